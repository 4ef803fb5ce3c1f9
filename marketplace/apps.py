from django.apps import AppConfig


class MarketplaceConfig(AppConfig):
    name = "marketplace"
    verbose_name = "Market"

    def ready(self) -> None:
        from accounts.moderation import register_suspension_hook
        from accounts.reports import register_report_target
        from marketplace import kinds, topics  # noqa: F401
        from marketplace.services.moderation import on_suspension_changed, project_report_target

        register_suspension_hook(on_suspension_changed)
        register_report_target("project", project_report_target)
