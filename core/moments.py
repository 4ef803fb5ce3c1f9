"""Moments written into text that someone else reads later (a notification, an email, an error):
in the reader's own timezone, never in the timezone of whoever's request wrote it."""

from __future__ import annotations

import zoneinfo
from datetime import datetime, tzinfo

from django.utils import timezone


def zone_of(person) -> tzinfo:
    """The person's own timezone, or the site's default when they chose none (or an unknown one)."""
    name = getattr(person, "timezone", "") or ""
    if name:
        try:
            return zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            pass
    return timezone.get_default_timezone()


def moment_for(person, at: datetime) -> str:
    """`at` as `person` reads it: "21 Dec 2026, 22:40 GMT"; in the active timezone without a person
    (a page, which already shows the viewer's own)."""
    local = timezone.localtime(at, zone_of(person)) if person is not None else timezone.localtime(at)
    return f"{local.day} {local:%b %Y, %H:%M} {local.tzname()}"
