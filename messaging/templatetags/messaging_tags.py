"""Messaging on other apps' pages: a conversation panel.

{% load messaging_tags %}
{% conversation_panel conversation user %}        (renders nothing unless user takes part)
{% for person in conversation|others:user %}…{% endfor %}
"""

from __future__ import annotations

from django import template

from messaging import selectors
from messaging.views import thread_context

register = template.Library()

# A panel on another page shows the latest messages only; the conversation page has them all.
PANEL_MESSAGES = 20


@register.inclusion_tag("messaging/_panel.html", takes_context=True)
def conversation_panel(context, conversation, user) -> dict:
    request = context.get("request")
    shown = conversation is not None and (
        getattr(conversation, "viewer_id", None) == user.pk  # found for this person: they take part
        or selectors.is_participant(conversation=conversation, user=user)
    )
    panel = {"request": request, "user": user, "csrf_token": context.get("csrf_token"), "show_panel": shown}
    if shown:
        return_to = request.get_full_path() if request is not None else ""
        panel.update(thread_context(conversation=conversation, user=user, return_to=return_to, last=PANEL_MESSAGES))
        panel["more_messages"] = len(panel["message_list"]) >= PANEL_MESSAGES
    return panel


@register.filter
def others(conversation, user) -> list:
    """The other people in a conversation, as seen by `user`."""
    return selectors.other_members(conversation, user)
