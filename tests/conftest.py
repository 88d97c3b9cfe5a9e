import os
import shutil
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, transaction
from pytest_django.fixtures import validate_django_db

from courses.demo.loader import load_course, read_course
from courses.publishing import bump
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
    demo_course_kept_open.close()
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


def load_demo_course():
    course, _created, _updated = load_course(read_course())
    load_quizzes(course, read_quizzes())
    return course


class DemoCourseKeptOpen:
    """The demo course loaded once inside a transaction left open, for the tests that run
    one after the other in their own transaction (a savepoint within this one), each rolled
    back to the loaded course. Closed (rolled back) before any other database test, and at
    the end of the session: no other test ever sees it. Loading it takes seconds; a
    savepoint, nothing."""

    def __init__(self):
        self.atomic = None
        self.blocker = None
        self.course_class = self.course_pk = None

    @property
    def is_open(self):
        return self.atomic is not None

    def open(self, django_db_blocker):
        if self.is_open:
            return
        with django_db_blocker.unblock():
            atomic = transaction.atomic()
            atomic.__enter__()
            try:
                course = load_demo_course()
            except BaseException:
                atomic.__exit__(*sys.exc_info())
                raise
        self.atomic, self.blocker = atomic, django_db_blocker
        self.course_class, self.course_pk = type(course), course.pk

    def course(self):
        """The course as the test's own object, under a content token of the test's own
        (as a fresh load gives it): nothing a previous test computed or cached is served."""
        bump()
        return self.course_class.objects.get(pk=self.course_pk)

    def close(self):
        if not self.is_open:
            return
        with self.blocker.unblock():
            transaction.set_rollback(True)
            self.atomic.__exit__(None, None, None)
        self.atomic = None


demo_course_kept_open = DemoCourseKeptOpen()
TRANSACTIONAL_FIXTURES = {"transactional_db", "live_server", "django_db_reset_sequences", "django_db_serialized_rollback"}


def shares_the_loaded_demo_course(item):
    """Whether `item` uses the demo course inside a transaction rolled back after it (the
    others, which commit or flush, load it themselves)."""
    fixtures = set(getattr(item, "fixturenames", ()))
    if "demo_course" not in fixtures or fixtures & TRANSACTIONAL_FIXTURES:
        return False
    marker = item.get_closest_marker("django_db")
    if marker is None:
        return True
    transactional, reset_sequences, _databases, serialized_rollback, _apps = validate_django_db(marker)
    return not (transactional or reset_sequences or serialized_rollback)


def pytest_collection_modifyitems(items):
    """The tests sharing the loaded demo course run one after the other (where the first of
    them was), so that it is loaded once (pytest-django has already put the tests that
    roll back before those that commit)."""
    sharing = [item for item in items if shares_the_loaded_demo_course(item)]
    if not sharing:
        return
    others = [item for item in items if not shares_the_loaded_demo_course(item)]
    first = items.index(sharing[0])
    items[:] = others[:first] + sharing + others[first:]


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    if not shares_the_loaded_demo_course(item):
        demo_course_kept_open.close()


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef, request):
    """Before a sharing test opens its own transaction, the demo course is loaded in the
    one kept open (the test database exists by then: the helper depends on it)."""
    if fixturedef.argname == "_django_db_helper" and shares_the_loaded_demo_course(request.node):
        demo_course_kept_open.open(request.getfixturevalue("django_db_blocker"))
    return (yield)


@pytest.fixture
def demo_course(request, db):
    """The French demo course with its quizzes, as `manage.py load_demo_course` loads it."""
    if shares_the_loaded_demo_course(request.node):
        assert demo_course_kept_open.is_open
        return demo_course_kept_open.course()
    return load_demo_course()


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
        # A node name of its own, so that a shutdown asked through the broker reaches
        # this worker only.
        self.node_name = f"celery@test-{uuid.uuid4().hex[:12]}"

    def start(self):
        env = dict(os.environ, DJANGO_SETTINGS_MODULE="config.settings.test", DATABASE_URL=database_url_for_other_processes())
        env.update(self.env)
        self.log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel=info", f"--hostname={self.node_name}",
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
            self.ask_to_shut_down_through_the_broker()
            self.process.terminate()  # warm shutdown: the main process stops its pool
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()

    def ask_to_shut_down_through_the_broker(self):
        """Celery's remote `shutdown`: the same warm shutdown as SIGTERM, but acted on at
        once. On the file broker, a worker waiting for messages sees SIGTERM only once its
        wait ends (Celery waits 2 s at a time): half of the 5 s a stop took. Sent on the
        tests' own broker only; SIGTERM follows anyway (a worker on another broker, one
        not listening yet, a broker away)."""
        from kombu.exceptions import OperationalError

        from config.celery import app

        if "CELERY_BROKER_URL" in self.env:
            return
        try:
            app.control.shutdown(destination=[self.node_name])
        except OperationalError:
            pass

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
