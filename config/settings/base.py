"""Settings shared by every environment. Environment-specific modules import and adjust these."""

from __future__ import annotations

from pathlib import Path

from django.contrib.messages import constants as message_constants
from django.utils.translation import gettext_lazy as _

from config.env import (
    database_from_url,
    env_bool,
    env_int,
    env_list,
    env_networks,
    env_path,
    env_secrets,
    env_str,
    huey_settings,
    sqlite_database,
)

BASE_DIR = Path(__file__).resolve().parent.parent.parent
SRC_DIR = BASE_DIR / "src" / "aftersales"
DATA_DIR = env_path("AFTERSALES_DATA_DIR", BASE_DIR / "var")

SECRET_KEY = env_str("DJANGO_SECRET_KEY", "insecure-local-key-change-me-in-production-0123456789abcdef")
DEBUG = env_bool("AFTERSALES_DEBUG", False)
ALLOWED_HOSTS = env_list("AFTERSALES_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("AFTERSALES_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "huey.contrib.djhuey",
    "ninja",
    "aftersales.core",
    "aftersales.messaging",
    "aftersales.customers",
    "aftersales.parts",
    "aftersales.catalogue",
    "aftersales.purchasing",
    "aftersales.appointments",
    "aftersales.campaigns",
    "aftersales.visits",
    "aftersales.workshop",
    "aftersales.quality",
    "aftersales.billing",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "aftersales.core.middleware.RequestURILimitMiddleware",
    "aftersales.core.middleware.RequestBodyLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "aftersales.core.middleware.RequestContextMiddleware",
    "aftersales.core.middleware.PasswordChangeRequiredMiddleware",
    "aftersales.core.middleware.ApiErrorBodyMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [SRC_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "aftersales.core.context_processors.navigation",
            ],
        },
    }
]

DATA_DIR.mkdir(parents=True, exist_ok=True)
_database_url = env_str("DATABASE_URL", "")
DATABASES = {
    "default": database_from_url(_database_url) if _database_url else sqlite_database(DATA_DIR / "aftersales.sqlite3")
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
LOGIN_URL = "core:login"
LOGIN_REDIRECT_URL = "core:today"
# Bootstrap calls the error alert "danger" (base.html renders alert-<tag>).
MESSAGE_TAGS = {message_constants.ERROR: "danger"}
LOGOUT_REDIRECT_URL = "core:login"

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("username", "full_name", "first_name", "last_name", "email")},
    },
    {"NAME": "aftersales.core.passwords.NameInPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Idle expiry: the cookie's age is renewed on every request, so a session ends after this much inactivity.
SESSION_IDLE_MINUTES = env_int("AFTERSALES_SESSION_IDLE_MINUTES", 30, minimum=1)
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "aftersales.core.views.csrf_failure"

# Sign-in lockout (core.services.auth_attempt): at most LOGIN_FAILURE_LIMIT failures per user name and
# client address, and LOGIN_ADDRESS_FAILURE_LIMIT per client address whatever the names (staff of a
# store share one address), within LOGIN_LOCKOUT_MINUTES; at the limit the next attempts are refused
# for that long without the password being checked.
LOGIN_FAILURE_LIMIT = env_int("AFTERSALES_LOGIN_FAILURE_LIMIT", 5, minimum=1)
LOGIN_ADDRESS_FAILURE_LIMIT = env_int("AFTERSALES_LOGIN_ADDRESS_FAILURE_LIMIT", 50, minimum=1)
# And at most this many per user name from every address: guessing one account from many addresses.
LOGIN_NAME_FAILURE_LIMIT = env_int("AFTERSALES_LOGIN_NAME_FAILURE_LIMIT", 50, minimum=1)
LOGIN_LOCKOUT_MINUTES = env_int("AFTERSALES_LOGIN_LOCKOUT_MINUTES", 15, minimum=1)
# Reverse proxies whose X-Forwarded-For is believed (addresses or CIDR ranges); empty: the client
# address is the connection's (REMOTE_ADDR). See core.services.client_ip_of.
TRUSTED_PROXIES = env_networks("AFTERSALES_TRUSTED_PROXIES")
# Days until a token from POST /api/v1/auth/token expires; the default choice on the tokens page.
TOKEN_DAYS = env_int("AFTERSALES_TOKEN_DAYS", 30, minimum=1)

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
# The catalogues' sources (.po) ship in the package; the compiled catalogues (.mo) are derived from
# them when the app starts (aftersales.core.translations), into the data directory, which is
# writable however the package is installed. The compiled folder comes first, so that it wins over a
# .mo an older version may have left beside a .po; makemessages adds the package's messages to the
# sources.
LOCALE_SOURCE_DIR = SRC_DIR / "locale"
LOCALE_COMPILED_DIR = DATA_DIR / "locale"
LOCALE_PATHS = [LOCALE_COMPILED_DIR, LOCALE_SOURCE_DIR]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [SRC_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Static files are served by WhiteNoise straight from the source folders: no collectstatic on a fresh install.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Request bodies: JSON and forms up to 10 MB; uploads (multipart) are checked by their own endpoints.
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
REQUEST_BODY_LIMIT_BYTES = DATA_UPLOAD_MAX_MEMORY_SIZE
UPLOAD_BODY_LIMIT_BYTES = env_int("AFTERSALES_UPLOAD_LIMIT_MB", 60, minimum=1) * 1024 * 1024
# The address of a request (path and query) is limited like a reverse proxy's default request line
# (nginx: 8 KB): longer ones are answered 414 by the app, in the error body of the API or page.
REQUEST_URI_LIMIT_BYTES = 8 * 1024

API_PAGE_DEFAULT_LIMIT = 50
API_PAGE_MAX_LIMIT = 500

# The cache (rate limits of pages anyone may open): this process's memory by default; shared by every
# app process through Redis when REDIS_URL is set.
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": env_str("REDIS_URL", "")}
        if env_str("REDIS_URL", "")
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "aftersales"}
    )
}

# Background jobs. SQLite storage in the data directory by default; Redis when REDIS_URL is set.
HUEY = huey_settings(
    redis_url=env_str("REDIS_URL", ""), data_dir=DATA_DIR, workers=env_int("AFTERSALES_WORKERS", 2, minimum=1)
)
# Messages (aftersales.messaging). E-mail goes over SMTP when EMAIL_HOST is set; SMS through the
# provider named here ("aliyun"; empty: SMS is not sent and such messages fail with that reason).
EMAIL_HOST = env_str("EMAIL_HOST", "")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10, minimum=1)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "noreply@aftersales.local")
# Where customers reach this installation's pages: the links in messages that no page sends (a repair's
# progress page, told when the work starts) begin with it.
PUBLIC_URL = env_str("AFTERSALES_PUBLIC_URL", "http://127.0.0.1:8000")
AFTERSALES_SMS_PROVIDER = env_str("AFTERSALES_SMS_PROVIDER", "")
ALIYUN_SMS_ACCESS_KEY_ID = env_str("ALIYUN_SMS_ACCESS_KEY_ID", "")
ALIYUN_SMS_ACCESS_KEY_SECRET = env_str("ALIYUN_SMS_ACCESS_KEY_SECRET", "")
ALIYUN_SMS_ENDPOINT = env_str("ALIYUN_SMS_ENDPOINT", "https://dysmsapi.aliyuncs.com/")
ALIYUN_SMS_REGION = env_str("ALIYUN_SMS_REGION", "cn-hangzhou")
ALIYUN_SMS_TIMEOUT = env_int("ALIYUN_SMS_TIMEOUT", 10, minimum=1)  # seconds
# The secret part of the URLs Aliyun pushes delivery receipts and replies to (empty: not accepted):
# /api/v1/messaging/aliyun/<token>/report and /api/v1/messaging/aliyun/<token>/reply.
ALIYUN_SMS_CALLBACK_TOKEN = env_str("ALIYUN_SMS_CALLBACK_TOKEN", "")
# A message still "sending" this long after its attempt began is one a worker lost (killed between the
# provider accepting and our commit): the provider is asked about it, else it becomes "unknown".
AFTERSALES_MESSAGE_RECOVER_SECONDS = env_int("AFTERSALES_MESSAGE_RECOVER_SECONDS", 120, minimum=1)

# Payments at the counter (aftersales.billing): a scanned payment code (付款码) goes through the provider
# named here ("wechat"; empty: such payments are refused with that reason). WeChat Pay API v2: the
# merchant's appid and mch_id, its API key (API密钥, v2) and sign type (MD5 or HMAC-SHA256). Revoking an
# order (撤销订单) and refunding through WeChat Pay (申请退款) need the merchant's API client certificate,
# apiclient_cert.pem and apiclient_key.pem (WECHAT_PAY_CERT_PATH, WECHAT_PAY_KEY_PATH; unset: refused with
# that reason).
AFTERSALES_PAYMENT_PROVIDER = env_str("AFTERSALES_PAYMENT_PROVIDER", "")
# A scanned payment code: the provider asked again up to this many times, this many seconds apart (WeChat Pay
# suggests 5-10 s for up to 30-45 s), before the order is revoked.
AFTERSALES_PAYMENT_POLLS = env_int("AFTERSALES_PAYMENT_POLLS", 6, minimum=0)
AFTERSALES_PAYMENT_WAIT = env_int("AFTERSALES_PAYMENT_WAIT", 5, minimum=0)
WECHAT_PAY_APPID = env_str("WECHAT_PAY_APPID", "")
WECHAT_PAY_MCH_ID = env_str("WECHAT_PAY_MCH_ID", "")
WECHAT_PAY_API_KEY = env_str("WECHAT_PAY_API_KEY", "")
WECHAT_PAY_SIGN_TYPE = env_str("WECHAT_PAY_SIGN_TYPE", "HMAC-SHA256")
WECHAT_PAY_ENDPOINT = env_str("WECHAT_PAY_ENDPOINT", "https://api.mch.weixin.qq.com/")
WECHAT_PAY_TIMEOUT = env_int("WECHAT_PAY_TIMEOUT", 10, minimum=1)  # seconds
WECHAT_PAY_CERT_PATH = env_str("WECHAT_PAY_CERT_PATH", "")
WECHAT_PAY_KEY_PATH = env_str("WECHAT_PAY_KEY_PATH", "")

# The worker beats every minute; older than this, /api/v1/health reports the queue stale and pages that
# queue a job warn that no worker is running.
QUEUE_STALE_SECONDS = env_int("AFTERSALES_QUEUE_STALE_SECONDS", 180, minimum=1)

# Personal data at rest: Fernet keys (first encrypts, all decrypt) and the key of the search digests.
# Unset on a single local machine: both are then derived from SECRET_KEY.
DATA_KEYS = env_list("AFTERSALES_DATA_KEYS", [])
HASH_KEY = env_str("AFTERSALES_HASH_KEY", "")

# The audit trail's keyed hashes (HMAC-SHA256): the first key signs new entries and checkpoints, every
# key listed verifies (core.audit). Unset on a single local machine: one key derived from SECRET_KEY.
AUDIT_KEYS = env_secrets("AFTERSALES_AUDIT_KEYS", min_length=43)
# The append-only file, outside the database, to which the worker writes the chain heads (core.audit).
AUDIT_CHECKPOINTS = env_path("AFTERSALES_AUDIT_CHECKPOINTS", DATA_DIR / "audit-checkpoints.log")

DEMO_PASSWORD = env_str("AFTERSALES_DEMO_PASSWORD", "AfterSales@2026")
DEMO_CUSTOMERS_PER_STORE = env_int("AFTERSALES_DEMO_CUSTOMERS_PER_STORE", 2000, minimum=0)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("AFTERSALES_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # With a handler of its own, the worker's consumer adds none: each line is logged once.
        "huey": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
