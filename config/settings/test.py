"""Settings for the test suite: the same stack, faster hashing, mail kept in memory."""

from .base import *  # noqa: F401,F403
from .base import BASE_DIR, CELERY_BROKER_URL, DATABASES, VAR_DIR, filesystem_broker_options
from .environment import env_str

SECRET_KEY = "django-insecure-passerelle-tests"
DEBUG = False
# Off, as on a development machine: tests that need it turn it on (override_settings).
PASSERELLE_REQUIRE_2FA = False
ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# A worker process started by a test cannot share its memory: with EMAIL_FILE_PATH set
# in its environment it writes its mails as files there, for the test to count.
if env_str("EMAIL_FILE_PATH"):
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH")
# Browser tests and worker processes need the test database in a file they can open.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
TEST_OUTPUT_DIR = BASE_DIR / env_str("TEST_OUTPUT_DIR", "test-results")
if CELERY_BROKER_URL.startswith("filesystem://"):
    # Never share message files with a `make run` worker on the same checkout.
    CELERY_BROKER_TRANSPORT_OPTIONS = filesystem_broker_options(
        env_str("PASSERELLE_BROKER_DIR", str(VAR_DIR / "test-broker"))
    )
# The live test server answers each request in a new thread: a persistent connection
# would outlive its thread and keep the test database from being dropped.
DATABASES["default"]["CONN_MAX_AGE"] = 0
