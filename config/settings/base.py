"""Settings shared by every environment. Everything that differs between machines
comes from the environment; the defaults need no server (SQLite + a file broker)."""

from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from .environment import env_bool, env_float, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent
# Everything the running site writes (database, broker messages, media) lives here.
VAR_DIR = Path(env_str("PASSERELLE_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY", "")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "home",
    "courses",
    "quizzes",
    "wagtail.contrib.settings",
    "wagtail.contrib.typed_table_block",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    "polymorphic",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # Last: its post_migrate handler gives the trainers' group permissions that the
    # apps above create in theirs.
    "learners",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "home.middleware.LanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "home" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "home.context_processors.site_navigation",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------
# DATABASE_URL, e.g. postgres://user@127.0.0.1:5432/passerelle; default: an SQLite file.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'passerelle.sqlite3'}"),
        # Persistent connections: a new PostgreSQL connection per request cost 35-40 %
        # of the pages served on this kind of machine.
        conn_max_age=env_int("CONN_MAX_AGE", 600),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # The web process and the Celery worker write to the same file: WAL lets readers
    # go on during a write, IMMEDIATE transactions queue writers instead of failing
    # with "database is locked" halfway through.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts -----------------------------------------------------------------------
AUTH_USER_MODEL = "learners.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

# --- Languages: French first, English complete ---------------------------------------
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "Europe/Paris"

# --- Static and media ---------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

# --- E-mail (console by default: password-reset mails are printed) --------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Passerelle <noreply@passerelle.example>")

# --- Celery -------------------------------------------------------------------------
# Default: a file-based broker under var/ (no server), made atomic by config.broker.
# Grown: CELERY_BROKER_URL=redis://127.0.0.1:6379/0
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")


def filesystem_broker_options(folder):
    """Transport options of the embedded broker: message files under `folder`."""
    folder = Path(folder)
    return {
        "data_folder_in": str(folder / "queue"),
        "data_folder_out": str(folder / "queue"),
        "processed_folder": str(folder / "processed"),
        "control_folder": str(folder / "control"),
        "store_processed": False,
        # The stock transport polls once a second: a one-second delay on every task.
        "polling_interval": 0.02,
    }


if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = filesystem_broker_options(
        env_str("PASSERELLE_BROKER_DIR", str(VAR_DIR / "broker"))
    )
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    # A broker that stops answering without closing its connections (frozen, behind a
    # dead network link) would otherwise hold a publish forever (redis-py waits without
    # a timeout), and with it the learner's request: a command or a connection that
    # takes longer than this fails, `queue_grading` logs it and the sweep queues the
    # grading again. Workers are not affected: they wait for messages with BRPOP,
    # through the event loop, not a blocking read.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "socket_timeout": env_float("CELERY_BROKER_SOCKET_TIMEOUT", 1.0),
        "socket_connect_timeout": env_float("CELERY_BROKER_SOCKET_TIMEOUT", 1.0),
    }
    # Sending a task: one quick retry (a pooled connection the broker closed when it
    # restarted), not Celery's three, so that a learner waits at most about two socket
    # timeouts when the broker is away; the sweep sends again what could not be sent.
    CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
    # A worker keeps trying to reach the broker however long it is away (Celery's
    # default gives up after 100 attempts, about 45 minutes, and the worker exits).
    CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
# Celery's Django fixup closes the database connection around every task unless told
# to reuse it; reusing it tripled row-writing tasks per second on PostgreSQL.
CELERY_DB_REUSE_MAX = env_int("CELERY_DB_REUSE_MAX", 200)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "worker-heartbeat": {"task": "home.tasks.record_worker_heartbeat", "schedule": 60.0},
    "requeue-stuck-attempts": {
        "task": "quizzes.tasks.requeue_stuck_attempts",
        "schedule": float(env_int("QUIZ_SWEEP_SECONDS", 30)),
    },
}

# --- Quizzes ------------------------------------------------------------------------
# An attempt still waiting for its grade after this long is queued again (a lost
# message or a killed worker loses nothing).
QUIZ_REGRADE_AFTER = timedelta(seconds=env_int("QUIZ_REGRADE_AFTER_SECONDS", 120))
# Answers sent this long after the deadline are still accepted (network latency).
QUIZ_DEADLINE_GRACE = timedelta(seconds=env_int("QUIZ_DEADLINE_GRACE_SECONDS", 10))

# --- Wagtail ------------------------------------------------------------------------
WAGTAIL_SITE_NAME = "Passerelle"
WAGTAILADMIN_BASE_URL = env_str("WAGTAILADMIN_BASE_URL", "http://127.0.0.1:8000")
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "odt", "pdf", "pptx", "txt", "xlsx"]
WAGTAILIMAGES_MAX_UPLOAD_SIZE = 10 * 1024 * 1024
WAGTAIL_ENABLE_UPDATE_CHECK = False
WAGTAIL_USER_CUSTOM_FIELDS = ["preferred_language"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}, "wagtail": {"level": "WARNING"}, "django_tasks": {"level": "WARNING"}},
}
