from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "reviews"

    def ready(self) -> None:
        from accounts.reports import register_report_target
        from reviews import kinds  # noqa: F401
        from reviews.services import review_report_target

        register_report_target("review", review_report_target)

        from marketplace.selectors import register_trust_provider
        from reviews.selectors import client_review_figures

        register_trust_provider(client_review_figures)

        from marketplace.selectors import register_freelancer_figures
        from reviews import receivers
        from reviews.reputation import freelancer_list_figures

        register_freelancer_figures(freelancer_list_figures)

        receivers.connect()
