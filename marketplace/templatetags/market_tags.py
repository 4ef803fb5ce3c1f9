"""The market on other apps' pages (a freelancer's public profile), without them importing it.

{% load market_tags %}
{% invite_to_project freelancer=person %}
"""

from __future__ import annotations

from django import template

from marketplace.models import Invitation, Project
from marketplace.selectors import client_projects, client_trust

register = template.Library()


@register.inclusion_tag("marketplace/_invite_to_project.html", takes_context=True)
def invite_to_project(context, *, freelancer) -> dict:
    """For a client looking at a freelancer's profile: invite them to one of their projects."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_client or user.pk == freelancer.pk:
        return {"show": False}
    invited = set(Invitation.objects.filter(freelancer=freelancer).values_list("project_id", flat=True))
    projects = [
        project
        for project in client_projects(user).filter(status__in=[Project.Status.DRAFT, Project.Status.OPEN])
        if project.pk not in invited
    ]
    return {
        "show": True,
        "freelancer": freelancer,
        "projects": projects,
        "already_invited": bool(invited and not projects),
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("marketplace/_trust_panel.html")
def client_trust_panel(client) -> dict:
    """The client's record as freelancers see it on a project page, for the client's public profile."""
    return {"trust": client_trust(client), "heading": "Client record", "client": client}
