"""Contracts on other apps' pages (the dashboard), without those apps importing contracts.

{% load contracts_tags %}
{% client_contracts_summary user as client_contracts %}
{% freelancer_contracts_summary user as freelancer_contracts %}
"""

from __future__ import annotations

from django import template

from contracts import selectors

register = template.Library()


@register.simple_tag
def client_contracts_summary(user) -> dict:
    return selectors.client_dashboard(user) if user.is_authenticated and user.is_client else {}


@register.simple_tag
def freelancer_contracts_summary(user) -> dict:
    return selectors.freelancer_dashboard(user) if user.is_authenticated and user.is_freelancer else {}


@register.inclusion_tag("contracts/_dispute_record.html")
def dispute_record(person) -> dict:
    """A person's record in disputes, for their public profile: {% dispute_record person %}."""
    from contracts.trust import dispute_records

    return {"record": dispute_records([person.pk])[person.pk], "person": person}
