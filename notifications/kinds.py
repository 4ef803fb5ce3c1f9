"""The events people can be told about. Each app registers its own kinds here at import time.

A kind decides its default: whether it emails unless the person turns it off. Kinds marked
`always_email` concern the account's safety or standing and cannot be switched off.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    key: str
    label: str
    email_default: bool = True
    always_email: bool = False


KINDS: dict[str, Kind] = {}


def register(key: str, label: str, *, email_default: bool = True, always_email: bool = False) -> Kind:
    kind = Kind(key=key, label=label, email_default=email_default, always_email=always_email)
    KINDS[key] = kind
    return kind


register("account.welcome", "Welcome and getting started", email_default=True)
register("account.suspended", "Changes to your account's standing", always_email=True)
register("moderation.hidden", "A moderator hid or showed again something I posted", always_email=True)
register("moderation.report", "The outcome of my reports to moderators")
register("staff.report", "Staff: new reports to review")
register("account.security", "Sign-in and security changes", always_email=True)
