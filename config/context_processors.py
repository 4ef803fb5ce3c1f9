"""What every signed-in page's header shows: the unread notification and message counts."""

from __future__ import annotations

from functools import cached_property

from django.db.models import OuterRef

from accounts.models import User
from messaging import selectors as messaging
from notifications import selectors as notifications


class HeaderBadges:
    """Both counts, read when the page first shows one: from the few-second cache each app keeps,
    or, when either is missing, both in one query."""

    def __init__(self, user: User):
        self.user_id = user.pk

    @cached_property
    def _counts(self) -> tuple[int, int]:
        kept = notifications.unread_count_kept(self.user_id), messaging.conversation_unread_kept(self.user_id)
        if None not in kept:
            return kept
        row = (
            User.objects.filter(pk=self.user_id)
            .values(
                notes=notifications.unread_count_expression(OuterRef("pk")),
                chats=messaging.conversation_unread_expression(OuterRef("pk")),
            )
            .first()
        ) or {"notes": 0, "chats": 0}
        notifications.unread_count_keep(self.user_id, row["notes"])
        messaging.conversation_unread_keep(self.user_id, row["chats"])
        return row["notes"], row["chats"]

    @property
    def notifications(self) -> int:
        return self._counts[0]

    @property
    def messages(self) -> int:
        return self._counts[1]

    @property
    def total(self) -> int:
        """Both together: the menu button shows it on a phone, where the navigation is folded away."""
        return sum(self._counts)


def header_badges(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"header_badges": HeaderBadges(user)}
