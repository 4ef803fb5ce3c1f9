"""A small fixed-window counter in the shared cache, for floods a person can cause (messages, proposals)."""

from __future__ import annotations

import time

from django.core.cache import cache

from core.exceptions import RateLimited


def hit(*, key: str, limit: int, window_seconds: int, message: str) -> None:
    """Count one action; raise RateLimited once `limit` actions happened in the current window."""
    bucket = int(time.time()) // window_seconds
    cache_key = f"ratelimit:{key}:{bucket}"
    cache.add(cache_key, 0, timeout=window_seconds * 2)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # evicted between add and incr
        cache.set(cache_key, 1, timeout=window_seconds * 2)
        count = 1
    if count > limit:
        raise RateLimited(message)
