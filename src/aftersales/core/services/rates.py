"""The rate limiter of pages anyone may open (customer links): fixed windows counted in Django's cache.

The embedded default (one process, the local-memory cache) counts exactly; several app processes share
their counts when ``CACHES`` points at Redis, as production's settings do with ``REDIS_URL``. Counting
in the cache writes nothing to the database, so a refused request leaves no trace there.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.cache import cache


def rate_allow(key: str, *, limit: int, window: timedelta) -> bool:
    """Count one request against ``key``; False once more than ``limit`` arrived in the window that the
    first of them opened."""
    name = f"rate:{key}"[:200]
    seconds = max(1, int(window.total_seconds()))
    if cache.add(name, 1, timeout=seconds):
        return True
    try:
        count = cache.incr(name)
    except ValueError:  # the window ended between the two calls: this request opens the next one
        cache.add(name, 1, timeout=seconds)
        return True
    if count == 1:  # the key expired between add() and incr(), which made it anew without an expiry
        cache.touch(name, seconds)
    return count <= limit
