import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from courses.demo.loader import load_course, read_course
from quizzes.demo import load_quizzes, read_quizzes
from tests.factories import make_user

# Playwright's sync API runs an event loop in the test thread; the ORM calls the tests
# make around it are ordinary synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """At the end, close what other processes and server threads left open on the test
    database (a killed worker, a keep-alive browser connection), so that it can be dropped."""
    yield
    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )


@pytest.fixture(autouse=True)
def fresh_rate_limits(settings, request):
    """Each test starts with no rate-limit counters: a key prefix of its own in the
    "ratelimit" cache (a Redis database may be shared with the broker: never flushed).
    Login failures are rows of the test database, rolled back after each test."""
    settings.RATELIMIT_CACHE_PREFIX = f"rl:{request.node.nodeid}:{os.getpid()}:"


@pytest.fixture
def demo_course(db):
    """The French demo course with its quizzes, as `manage.py load_demo_course` loads it."""
    course, _created, _updated = load_course(read_course())
    load_quizzes(course, read_quizzes())
    return course


@pytest.fixture
def learner(db):
    return make_user(first_name="Camille", last_name="Martin")


@pytest.fixture
def learner_client(client, learner):
    client.force_login(learner)
    return client


@pytest.fixture
def trainer_client(client):
    """`client` logged in as a member of the trainers' group (learners.roles)."""
    from django.contrib.auth.models import Group

    from learners.roles import TRAINERS_GROUP

    trainer = make_user()
    trainer.groups.add(Group.objects.get(name=TRAINERS_GROUP))
    client.force_login(trainer)
    return client


# --- A real Celery worker -------------------------------------------------------------


def database_url_for_other_processes():
    """The URL of the database the tests are using, for another process to open."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class WorkerProcess:
    """`celery worker` in a subprocess, on the same broker and test database as the tests."""

    def __init__(self, log_path, env=None, args=()):
        """`env` adds to (or overrides) the tests' environment; `args` add to the command."""
        self.log_path = log_path
        self.env = env or {}
        self.args = list(args)
        self.process = None

    def start(self):
        env = dict(os.environ, DJANGO_SETTINGS_MODULE="config.settings.test", DATABASE_URL=database_url_for_other_processes())
        env.update(self.env)
        self.log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel=info",
             "--concurrency=2", "--without-heartbeat", "--without-mingle", "--without-gossip", *self.args],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        return self

    def kill(self, sig=signal.SIGKILL):
        """Kill the worker and its pool children at once (no warm shutdown)."""
        os.killpg(self.process.pid, sig)
        self.process.wait(timeout=30)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()  # warm shutdown: the main process stops its pool
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()

    def output(self):
        return Path(self.log_path).read_text(errors="replace")


@pytest.fixture
def celery_worker_process(django_db_serialized_rollback, transactional_db, tmp_path):
    """Start a real worker (after emptying the queue); stop it after the test. The
    database is really committed (the worker is another process) and restored after."""
    from config.celery import app

    app.control.purge()
    worker = WorkerProcess(tmp_path / "worker.log").start()
    yield worker
    worker.stop()
    if worker.process.returncode not in (0, -signal.SIGTERM, -signal.SIGKILL):
        print(worker.output())


# --- A real browser -------------------------------------------------------------------


@pytest.fixture
def browser_page(live_server):
    """A Chromium page (Playwright) on the live test server. Skips where no Chromium is
    installed, except under CI=true, where a missing browser fails the run."""
    if not CHROMIUM.exists():
        message = f"Chromium not found at {CHROMIUM}: install it (apt-get install -y chromium) to run browser tests."
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(15_000)
        yield page
        context.close()
        browser.close()


@pytest.fixture
def screenshot(request):
    """screenshot(page, name) writes a full-page PNG under the test output folder."""
    folder = Path(settings.TEST_OUTPUT_DIR) / "screenshots" / request.node.name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)

    def take(page, name):
        path = folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
