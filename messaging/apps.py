from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "messaging"

    def ready(self) -> None:
        from accounts.reports import register_report_target
        from messaging import kinds  # noqa: F401
        from messaging.services import message_report_target

        register_report_target("message", message_report_target)
