"""Production settings: secrets from the environment, secure cookies, hashed static files."""

from config.env import env_bool, env_int, env_str
from config.settings.base import *  # noqa: F403
from config.settings.base import AUDIT_KEYS, DATA_KEYS, HASH_KEY, STORAGES

SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if len(SECRET_KEY) < 50:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be at least 50 characters in production.")
if not DATA_KEYS or not HASH_KEY:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("Set AFTERSALES_DATA_KEYS and AFTERSALES_HASH_KEY in production (personal data keys).")
if not AUDIT_KEYS:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("Set AFTERSALES_AUDIT_KEYS in production (the keys of the audit trail's hashes).")
DEBUG = False
SESSION_COOKIE_SECURE = env_bool("AFTERSALES_SECURE_COOKIES", True)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("AFTERSALES_HSTS_SECONDS", 0, minimum=0)
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = False
