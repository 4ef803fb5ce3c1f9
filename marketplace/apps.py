from django.apps import AppConfig


class MarketplaceConfig(AppConfig):
    name = "marketplace"
    verbose_name = "Market"

    def ready(self) -> None:
        from marketplace import kinds, topics  # noqa: F401
