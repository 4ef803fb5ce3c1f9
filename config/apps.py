from django.apps import AppConfig


class ConfigConfig(AppConfig):
    """The site itself: settings, URLconfs, site-wide pages and the demo data command.
    The one package that may import every app."""

    name = "config"
    verbose_name = "Site"
