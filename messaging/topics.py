"""What a conversation is about, without messaging importing the apps that own the topics.

An app that starts conversations registers a resolver for its topic type at start-up:

    register_topic("proposal", lambda pk: (f"Proposal for {…}", reverse(…)) if … else None)

A resolver returns (label, url) or None when the topic is gone; unregistered types show only
the conversation's title.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

Resolver = Callable[[int], tuple[str, str] | None]

_RESOLVERS: dict[str, Resolver] = {}


@dataclass(frozen=True)
class TopicLink:
    label: str
    url: str


def register_topic(topic_type: str, resolver: Resolver) -> None:
    _RESOLVERS[topic_type] = resolver


def topic_link(conversation) -> TopicLink | None:
    """The label and link of what this conversation is about, or None when unknown."""
    resolver = _RESOLVERS.get(conversation.topic_type)
    if resolver is None:
        return None
    resolved = resolver(conversation.topic_id)
    if resolved is None:
        return None
    label, url = resolved
    return TopicLink(label=label, url=url)
