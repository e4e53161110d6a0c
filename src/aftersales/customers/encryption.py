"""Protection of personal data: encryption at rest, keyed digests for exact search, masking.

Keys come from the environment: ``AFTERSALES_DATA_KEYS`` (comma-separated Fernet keys, the first
encrypts, all decrypt, so a new key can be put in front and ``aftersales archive rotate-keys``
re-encrypts) and ``AFTERSALES_HASH_KEY`` for the search digests (after changing it, the same command
recomputes every digest; until it has, an exact resident-ID search misses the rows not yet done).
Without them (a single local machine) both are derived from ``SECRET_KEY``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def _derived(purpose: str) -> bytes:
    return hashlib.sha256(f"{purpose}:{settings.SECRET_KEY}".encode()).digest()


@cache
def _fernet() -> MultiFernet:
    raw = [key.strip() for key in getattr(settings, "DATA_KEYS", []) if key.strip()]
    keys = raw or [base64.urlsafe_b64encode(_derived("data-key")).decode()]
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except ValueError as error:
        raise ImproperlyConfigured(f"AFTERSALES_DATA_KEYS holds a key that is not a Fernet key: {error}") from None


def _hash_key() -> bytes:
    configured = getattr(settings, "HASH_KEY", "")
    return configured.encode() if configured else _derived("hash-key")


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode() if value else ""


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise ImproperlyConfigured("A stored value cannot be decrypted with the configured data keys.") from None


def rotate(token: str) -> str:
    """Re-encrypt a stored value with the current (first) key."""
    return _fernet().rotate(token.encode()).decode() if token else ""


def digest(value: str) -> str:
    """A keyed hash for exact-match search of a value that is stored encrypted."""
    return hmac.new(_hash_key(), value.encode(), hashlib.sha256).hexdigest() if value else ""


def reset_key_cache() -> None:
    _fernet.cache_clear()
