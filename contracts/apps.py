from django.apps import AppConfig


class ContractsConfig(AppConfig):
    name = "contracts"

    def ready(self) -> None:
        from contracts import kinds, topics  # noqa: F401
        from contracts.selectors import offer_summaries
        from contracts.services import offer_create_from_hire
        from marketplace.hiring import register_hire_handler, register_offer_lookup

        register_hire_handler(offer_create_from_hire)
        register_offer_lookup(offer_summaries)

        from contracts.trust import client_figures_with_disputes
        from marketplace.selectors import register_trust_provider

        register_trust_provider(client_figures_with_disputes)

        from contracts.selectors import milestone_references
        from payments.selectors import register_reference_resolver

        register_reference_resolver("milestone", milestone_references)

        from contracts.payment_events import register

        register()
