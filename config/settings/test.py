"""Settings for the test suite: fast hashing, jobs run inline, an isolated data directory."""

import os
import tempfile
from pathlib import Path

from config.settings.base import *  # noqa: F403
from config.settings.base import DATABASES, HUEY, LOCALE_SOURCE_DIR

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
HUEY = {**HUEY, "immediate": True}
DEBUG = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file (not :memory:) so that tests with several threads share one database.
    # Named per process so that two test runs on one machine never share a file.
    DATABASES["default"]["TEST"] = {"NAME": str(Path(tempfile.gettempdir()) / f"aftersales_test_{os.getpid()}.sqlite3")}
# Threads in tests (live server, concurrency tests) must not keep connections that block teardown.
DATABASES["default"]["CONN_MAX_AGE"] = 0
DEMO_CUSTOMERS_PER_STORE = 24
# Files the tests write (documents, imports) go to a per-process temporary folder, not var/.
DATA_DIR = Path(tempfile.gettempdir()) / f"aftersales_test_data_{os.getpid()}"
DATA_DIR.mkdir(exist_ok=True)
# So every test run starts without compiled catalogues, as a fresh installation does.
LOCALE_COMPILED_DIR = DATA_DIR / "locale"
# Explicit audit keys, whatever the environment says, and checkpoints in the per-process folder (each
# test removes the file it wrote: aftersales.conftest).
AUDIT_KEYS = ["test-audit-key-0123456789abcdefghijklmnopqrstuvwxyz"]
AUDIT_CHECKPOINTS = DATA_DIR / "audit-checkpoints.log"
LOCALE_PATHS = [LOCALE_COMPILED_DIR, LOCALE_SOURCE_DIR]
# The secret of the URLs the SMS provider pushes receipts and replies to (aftersales.messaging).
ALIYUN_SMS_CALLBACK_TOKEN = "test-push-token"  # noqa: S105 - the test suite's own
