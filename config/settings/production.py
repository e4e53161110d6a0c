"""Production settings: secrets from the environment, HTTPS behind a reverse proxy, hashed static files.

Every variable is described in README.md ("Production"). The app speaks plain HTTP (Waitress has no
TLS): a reverse proxy in front of it terminates HTTPS and is named in AFTERSALES_TRUSTED_PROXIES.
"""

from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list, env_str
from config.settings.base import *  # noqa: F403
from config.settings.base import AUDIT_KEYS, DATA_KEYS, HASH_KEY, STORAGES, TRUSTED_PROXIES

SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be at least 50 characters in production.")
if not DATA_KEYS or not HASH_KEY:
    raise ImproperlyConfigured("Set AFTERSALES_DATA_KEYS and AFTERSALES_HASH_KEY in production (personal data keys).")
if not AUDIT_KEYS:
    raise ImproperlyConfigured("Set AFTERSALES_AUDIT_KEYS in production (the keys of the audit trail's hashes).")
DEBUG = False
# No default: the local defaults (127.0.0.1, localhost, testserver) are not the names a server answers to.
ALLOWED_HOSTS = env_list("AFTERSALES_ALLOWED_HOSTS", [])
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("Set AFTERSALES_ALLOWED_HOSTS to the host names the app is served under.")

# HTTPS. Only a trusted proxy can say that the browser's connection was HTTPS (X-Forwarded-Proto): Django
# believes the header from any peer, so it is read only when a proxy is declared, and the app must then
# be reachable through that proxy alone (serve on 127.0.0.1 or a private address). Without a declared
# proxy every request looks like plain HTTP, so redirecting to HTTPS would loop; check --deploy then
# warns (security.W008), rightly.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if TRUSTED_PROXIES else None
SECURE_SSL_REDIRECT = bool(TRUSTED_PROXIES)
# A monitor on the server itself asks for the health answer over plain HTTP, past the proxy.
SECURE_REDIRECT_EXEMPT = [r"^api/v1/health$"]
SECURE_HSTS_SECONDS = env_int("AFTERSALES_HSTS_SECONDS", 365 * 24 * 3600, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("AFTERSALES_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("AFTERSALES_HSTS_PRELOAD", True)
SESSION_COOKIE_SECURE = env_bool("AFTERSALES_SECURE_COOKIES", True)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# Hashed, compressed static files from STATIC_ROOT (aftersales collectstatic), served by WhiteNoise with
# far-future cache headers. The storage stays strict: a CSS url() or source map comment naming a file
# that is not shipped fails collectstatic, and a template naming a file not collected fails the page.
# So the vendored minified files carry no sourceMappingURL comment (the maps are not shipped; a browser
# would only fetch them into a 404): remove it again when updating a vendored file.
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = False
