"""Settings of the processes `make bench` starts (gunicorn, the Celery worker, the bench
itself): the development settings (DEBUG off, set by the bench's environment), plus the
bench's URLconf and a result store so that the no-op ceiling can be `.delay().get()`.
Only the bench uses this module."""

from config.settings.dev import *  # noqa: F401,F403
from config.settings.dev import ALLOWED_HOSTS, CELERY_BROKER_URL, VAR_DIR

ROOT_URLCONF = "benchkit.urls"
# The bench's own in-process client counts queries per page (Django's test host).
ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver"]

# Results are stored only for the tasks the bench sends with ignore_result=False (the
# ceilings); every other task keeps CELERY_TASK_IGNORE_RESULT.
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CELERY_RESULT_BACKEND = CELERY_BROKER_URL
else:
    (VAR_DIR / "bench-results").mkdir(parents=True, exist_ok=True)
    CELERY_RESULT_BACKEND = f"file://{VAR_DIR / 'bench-results'}"
