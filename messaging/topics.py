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


def _resolve(topic_type: str, topic_id: int) -> TopicLink | None:
    resolver = _RESOLVERS.get(topic_type)
    if resolver is None:
        return None
    resolved = resolver(topic_id)
    if resolved is None:
        return None
    label, url = resolved
    return TopicLink(label=label, url=url)


def topic_links(conversation) -> list[TopicLink]:
    """The label and link of everything this conversation is about (a proposal, then the contracts
    that continued it), in the order they joined; unknown and gone ones are left out."""
    links = (_resolve(topic.topic_type, topic.topic_id) for topic in conversation.topics.all())
    return [link for link in links if link is not None]
