from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ConfigConfig(AppConfig):
    """The site itself: settings, URLconfs, site-wide pages and the demo data command.
    The one package that may import every app."""

    name = "config"
    verbose_name = "Site"

    def ready(self) -> None:
        from config.moderators import ensure_moderators_group

        # Not sender=self: post_migrate is sent only for apps with models, which this one has none of.
        post_migrate.connect(ensure_moderators_group, dispatch_uid="config.moderators_group")
