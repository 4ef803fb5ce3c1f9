"""Django's Redis cache, made to degrade instead of fail while Redis is unreachable.

Everything this site keeps in the cache can be lost: page copies, counts, sessions (also in the
database), rate-limit counters. So while Redis is down or restarting, a read misses, a write is
skipped and a counter starts again, each with a warning in the log, and pages keep serving from
the database instead of answering 500. Rate limits are not enforced during the outage.
"""

from __future__ import annotations

import logging
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

OUTAGE = (RedisConnectionError, RedisTimeoutError)
_WARN_EVERY_SECONDS = 10.0


class FaultTolerantRedisCache(RedisCache):
    _last_warning = 0.0

    def _outage(self, operation: str, error: Exception) -> None:
        # One line every few seconds is enough to see an outage; one per request would flood the log.
        now = time.monotonic()
        if now - FaultTolerantRedisCache._last_warning >= _WARN_EVERY_SECONDS:
            FaultTolerantRedisCache._last_warning = now
            logger.warning("Cache unreachable (%s skipped): %s", operation, error)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().add(key, value, timeout, version)
        except OUTAGE as error:
            self._outage("add", error)
            return False

    def get(self, key, default=None, version=None):
        try:
            return super().get(key, default, version)
        except OUTAGE as error:
            self._outage("get", error)
            return default

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            super().set(key, value, timeout, version)
        except OUTAGE as error:
            self._outage("set", error)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().touch(key, timeout, version)
        except OUTAGE as error:
            self._outage("touch", error)
            return False

    def delete(self, key, version=None):
        try:
            return super().delete(key, version)
        except OUTAGE as error:
            self._outage("delete", error)
            return False

    def get_many(self, keys, version=None):
        try:
            return super().get_many(keys, version)
        except OUTAGE as error:
            self._outage("get_many", error)
            return {}

    def has_key(self, key, version=None):
        try:
            return super().has_key(key, version)
        except OUTAGE as error:
            self._outage("has_key", error)
            return False

    def incr(self, key, delta=1, version=None):
        try:
            return super().incr(key, delta, version)
        except OUTAGE as error:
            self._outage("incr", error)
            # What a missing key raises: callers that count (core.ratelimit) already start afresh on it.
            raise ValueError(f"Key '{key}' not found (cache unreachable).") from error

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().set_many(data, timeout, version)
        except OUTAGE as error:
            self._outage("set_many", error)
            return list(data)

    def delete_many(self, keys, version=None):
        try:
            super().delete_many(keys, version)
        except OUTAGE as error:
            self._outage("delete_many", error)

    def clear(self):
        try:
            return super().clear()
        except OUTAGE as error:
            self._outage("clear", error)
            return False
