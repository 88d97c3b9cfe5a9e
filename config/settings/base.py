"""Settings shared by every environment. Everything that differs between machines
comes from the environment; the defaults need no server (SQLite + a file broker)."""

from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.utils.translation import gettext_lazy as _
from wagtail.embeds import oembed_providers

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
    # wagtail.users, with the audit log on its user screens (learners/apps.py).
    "learners.apps.PasserelleUsersConfig",
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
    "axes",
    "django_ratelimit",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
    # Last: its post_migrate handler gives the trainers' group permissions that the
    # apps above create in theirs.
    "learners",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "home.middleware.ContentSecurityPolicyMiddleware",
    "home.middleware.PermissionsPolicyMiddleware",
    # One content generation per request, read at first use (courses.publishing).
    "courses.publishing.ContentGenerationMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Django's, with the session and its person read in one query (learners.sessions).
    "learners.sessions.AuthenticationMiddleware",
    # request.user.is_verified(): did this session pass the second factor?
    "django_otp.middleware.OTPMiddleware",
    "home.middleware.PrivateResponsesMiddleware",
    "home.middleware.LanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Administrators, trainers and managers set up 2FA before anything else (when required).
    "learners.middleware.TwoFactorEnforcementMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "home.middleware.HostileInputGuardMiddleware",
    # A refusal leaving a view (home.refusals.Refused) becomes the refusal page or JSON.
    "home.middleware.RefusalMiddleware",
    # Last: turns a login refused by the axes backend into the 429 page.
    "axes.middleware.AxesMiddleware",
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
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's backend, with a health check that sends nothing to a sound idle connection.
    DATABASES["default"]["ENGINE"] = "config.postgresql"
    if env_bool("DATABASE_PREPARED_STATEMENTS", True):
        # A page sends the same few statements on every request: prepared, PostgreSQL
        # plans each once per connection instead of once per request (planning was about
        # 60 % of the database's CPU per learner page). psycopg prepares a statement on
        # its second run, which needs server-side binding. Turn off behind a pooler that
        # cannot keep prepared statements (PgBouncer before 1.21 in transaction mode).
        DATABASES["default"]["OPTIONS"] = {"server_side_binding": True, "prepare_threshold": 2}
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
# Database sessions that name their person: a request reads both in one query.
SESSION_ENGINE = "learners.sessions"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# The axes backend only refuses locked-out logins (it needs the request: every login form
# passes it); the model backend checks the password.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

# --- Two-factor authentication (learners.two_factor, on django-otp) -------------------
# Offered to everyone; when required, administrators, trainers and managers must set it
# up before they reach any other page (production turns it on).
PASSERELLE_REQUIRE_2FA = env_bool("REQUIRE_2FA", False)
# How long the second step of a login waits for its code after the password was accepted.
PASSERELLE_2FA_PENDING_SECONDS = 300
OTP_TOTP_ISSUER = "Passerelle"
# django-otp's throttling: after n wrong codes, wait 2^(n-1) seconds (kept on on purpose).
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1

# --- Throttling (learners/throttling.py) ----------------------------------------------
# Failed logins (site and admin), counted in the database by django-axes: an account is
# locked after 5 failures, an address after 20 (on any accounts). Lockouts last 1 minute,
# then 5, 15 and 60 for each new lockout of the same account or address within 24 hours.
LOGIN_FAILURES_PER_ACCOUNT = env_int("LOGIN_FAILURES_PER_ACCOUNT", 5)
LOGIN_FAILURES_PER_ADDRESS = env_int("LOGIN_FAILURES_PER_ADDRESS", 20)
AXES_HANDLER = "learners.throttling.LoginAttemptsHandler"
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # each counted on its own
AXES_FAILURE_LIMIT = LOGIN_FAILURES_PER_ACCOUNT
AXES_COOLOFF_TIME = "learners.throttling.login_cool_off"
AXES_USERNAME_FORM_FIELD = "username"  # the e-mail, in Django's login forms
AXES_USERNAME_CALLABLE = "learners.throttling.login_username"
AXES_CLIENT_IP_CALLABLE = "home.client.client_address"
AXES_LOCKOUT_CALLABLE = "learners.throttling.login_lockout_response"
AXES_RESET_ON_SUCCESS = True
# Tries during a lockout are refused without counting: the lockout ends when announced,
# and each lockout is one line of the failure log, which the growing cool-off counts.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_DISABLE_ACCESS_LOG = True  # no record of successful logins (personal data we do not need)
AXES_VERBOSE = False
# Behind reverse proxies, how many of them append to X-Forwarded-For (0: use REMOTE_ADDR).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

# --- Caches -------------------------------------------------------------------------
# Rate-limit counters (password-reset mails, certificate look-ups) live in their own
# cache, shared by every web process: a table of the database by default (no server;
# an atomic increment, see CountingDatabaseCache), Redis when REDIS_URL is set.
REDIS_URL = env_str("REDIS_URL", "")
# What publishing computed (routes, rendered outlines and lesson bodies: courses.publishing):
# Redis when CACHE_URL (or REDIS_URL) is set, shared by every process; else each process's
# memory. Correct either way: entries are keyed by the content token in the database.
CONTENT_CACHE_URL = env_str("CACHE_URL", "") or REDIS_URL
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "content": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CONTENT_CACHE_URL, "KEY_PREFIX": "passerelle"}
        if CONTENT_CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "content", "OPTIONS": {"MAX_ENTRIES": 5000}}
    ),
    "ratelimit": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL, "KEY_PREFIX": "passerelle"}
        if REDIS_URL
        else {
            "BACKEND": "learners.throttling.CountingDatabaseCache",
            "LOCATION": "passerelle_ratelimit_cache",
            # Culling would drop live counters: the table only holds this hour's keys.
            "OPTIONS": {"MAX_ENTRIES": 1_000_000},
        }
    ),
}
RATELIMIT_USE_CACHE = "ratelimit"
# django-ratelimit warns about any cache it does not list; both of ours increment
# atomically (Redis INCR; CountingDatabaseCache locks the row).
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"]

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
        # The idle poll interval is config.broker.Transport's (0.02 s).
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
# Three queues, so that a recount or an export never delays a grade. A worker started
# without -Q consumes them all (tests, one-machine setups); the Procfile starts one
# worker for `grading` and one for the rest. Anything not routed goes to `grading`.
CELERY_TASK_DEFAULT_QUEUE = "grading"
CELERY_TASK_QUEUES = {name: {"exchange": name, "routing_key": name} for name in ("grading", "reports", "notify")}
CELERY_TASK_ROUTES = {
    # latency: a learner waits for these
    "quizzes.tasks.*": {"queue": "grading"},
    "courses.tasks.*": {"queue": "grading"},  # a crisis room's scoring: its debrief waits for it
    "home.tasks.*": {"queue": "grading"},  # heartbeat, and the ceilings the bench compares with
    # recounts, exports: long, nobody waits on a page
    "learners.tasks.recount_course_progress": {"queue": "reports"},
    "quizzes.tasks.compute_item_statistics": {"queue": "reports"},  # a name beats the pattern above
    "quizzes.tasks.send_due_item_statistics": {"queue": "reports"},
    "quizzes.tasks.plan_regrade": {"queue": "reports"},  # a trainer's regrade: nobody waits on a page
    "quizzes.tasks.regrade_batch": {"queue": "reports"},
    "learners.tasks.build_export": {"queue": "reports"},
    "learners.tasks.delete_expired_exports": {"queue": "reports"},
    # mail
    "learners.tasks.send_due_reminders": {"queue": "notify"},
}
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
    # Quizzes graded since their statistics were computed: one computation each.
    "send-due-item-statistics": {"task": "quizzes.tasks.send_due_item_statistics", "schedule": 30.0},
    # Crisis-room runs whose clock ran out end; lost scorings are queued again.
    "sweep-scenario-runs": {"task": "courses.tasks.sweep_scenario_runs", "schedule": 30.0},
    # Every morning at 8:00 in CELERY_TIMEZONE (Europe/Paris). Running it twice the same
    # day sends nothing more (one learners.Reminder per assignment and day).
    "send-due-reminders": {"task": "learners.tasks.send_due_reminders", "schedule": crontab(hour=8, minute=0)},
    "delete-expired-exports": {"task": "learners.tasks.delete_expired_exports", "schedule": 3600.0},
}
# A manager's export of at most this many people downloads at once; a larger one is
# built in the background (learners.exports).
EXPORT_DIRECT_MAX_PEOPLE = env_int("EXPORT_DIRECT_MAX_PEOPLE", 500)

# --- Quizzes ------------------------------------------------------------------------
# An attempt still waiting for its grade after this long is queued again (a lost
# message or a killed worker loses nothing).
QUIZ_REGRADE_AFTER = timedelta(seconds=env_int("QUIZ_REGRADE_AFTER_SECONDS", 120))
# Answers sent this long after the deadline are still accepted (network latency).
QUIZ_DEADLINE_GRACE = timedelta(seconds=env_int("QUIZ_DEADLINE_GRACE_SECONDS", 10))
# A quiz's item statistics are computed this long after the grading that asks for them,
# so that a class submitting together is counted by one computation (quizzes.statistics).
QUIZ_STATISTICS_DELAY = timedelta(seconds=env_int("QUIZ_STATISTICS_DELAY_SECONDS", 30))

# --- Organisations (learners.invitations) -------------------------------------------
# An invitation link works this many days after it was (re)sent, once.
INVITATION_VALID_DAYS = env_int("INVITATION_VALID_DAYS", 14)

# --- Wagtail ------------------------------------------------------------------------
WAGTAIL_SITE_NAME = "Passerelle"
WAGTAILADMIN_BASE_URL = env_str("WAGTAILADMIN_BASE_URL", "http://127.0.0.1:8000")
# The site's address as people reach it, for links in mails sent without a request
# (reminders): scheme and host, no trailing slash.
PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL", WAGTAILADMIN_BASE_URL).rstrip("/")
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "odt", "pdf", "pptx", "txt", "xlsx"]
WAGTAILIMAGES_MAX_UPLOAD_SIZE = 10 * 1024 * 1024
WAGTAIL_ENABLE_UPDATE_CHECK = False
WAGTAIL_USER_CUSTOM_FIELDS = ["preferred_language"]
# No avatars from gravatar.com: the admin would send a hash of each person's e-mail
# address to another site (and the admin's img-src allows this site only).
WAGTAIL_GRAVATAR_PROVIDER_URL = None

# Lesson videos: only these providers are accepted (their oEmbed answer is a bare
# <iframe>, no script), and only their players may be framed (CSP frame-src below).
VIDEO_PLAYER_ORIGINS = ["https://www.youtube.com", "https://player.vimeo.com"]
WAGTAILEMBEDS_FINDERS = [
    {"class": "wagtail.embeds.finders.oembed", "providers": [oembed_providers.youtube, oembed_providers.vimeo]}
]

# --- Security headers (README, "Security") ------------------------------------------
# Content-Security-Policy of the public site (django-csp): nothing inline, nothing from
# elsewhere but the video players.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "frame-src": VIDEO_PLAYER_ORIGINS,
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# The Wagtail admin (every URL under /admin/, page previews included) gets its own
# policy: home.middleware.ContentSecurityPolicyMiddleware picks it by path. What it
# adds to the public one was measured in Chromium (tests/test_headers.py, README):
ADMIN_CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        **CONTENT_SECURITY_POLICY["DIRECTIVES"],
        # Wagtail 8 still writes <script> elements into its forms (date pickers, inline
        # panels such as a question's choices, multiple choosers): no hash can follow
        # every field, language and release. Scripts still come from this site only.
        "script-src": [SELF, UNSAFE_INLINE],
        # The page editor, StreamField and its menus set style attributes and elements.
        "style-src": [SELF, UNSAFE_INLINE],
        # The preview panel shows the page in an <iframe> of the admin itself.
        "frame-src": [SELF, *VIDEO_PLAYER_ORIGINS],
        "frame-ancestors": [SELF],
    }
}
# Permissions-Policy: powerful browser features nobody here uses are switched off for
# the site and anything it embeds; the video players may go full screen.
PERMISSIONS_POLICY = {
    "accelerometer": [],
    "autoplay": [],
    "browsing-topics": [],
    "camera": [],
    "display-capture": [],
    "fullscreen": ["self", *VIDEO_PLAYER_ORIGINS],
    "geolocation": [],
    "gyroscope": [],
    "hid": [],
    "idle-detection": [],
    "magnetometer": [],
    "microphone": [],
    "midi": [],
    "payment": [],
    "screen-wake-lock": [],
    "serial": [],
    "usb": [],
    "xr-spatial-tracking": [],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}, "wagtail": {"level": "WARNING"}, "django_tasks": {"level": "WARNING"}},
}
