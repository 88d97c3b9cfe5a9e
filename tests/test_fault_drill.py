"""Fault drill, run in the PostgreSQL + Redis pass of CI: the broker stops for a minute
while learners submit quizzes through a real web server. Every submission is accepted
at once, every attempt is graded after the broker returns, none twice.

Everything that talks to the broker is a real process pointed at a private
`redis-server` that the test starts, crashes (SIGKILL, nothing saved: the messages it
held are lost, as in a real crash) and starts again, empty, on the same port. The web
server is gunicorn; the worker runs beat inside it (`-B`), so the sweep that recovers
lost messages is the one production runs, not a call made by the test. A second drill
freezes the broker instead (SIGSTOP): connections stay open and nothing answers.

DRILL_OUTAGE_SECONDS (default 60) sets how long the broker stays down, and
DRILL_FREEZE_SECONDS (default 20) how long it stays frozen."""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
import redis
import requests
from django.conf import settings
from django.db import connection
from django.test import Client

from courses.models import ModulePage
from learners import progress
from quizzes.models import Attempt
from tests.conftest import ROOT, WorkerProcess, database_url_for_other_processes
from tests.factories import as_form, make_course_with, make_quiz, make_user, right_answers
from tests.utils import wait_for


def on_postgresql_and_redis():
    return settings.CELERY_BROKER_URL.startswith("redis://") and connection.vendor == "postgresql"


pytestmark = [
    pytest.mark.worker,
    pytest.mark.drill,
    pytest.mark.skipif(
        not on_postgresql_and_redis(),
        reason="The broker fault drill runs in the PostgreSQL + Redis pass of CI "
        "(DATABASE_URL=postgres://… and CELERY_BROKER_URL=redis://…).",
    ),
]

Status = Attempt.Status

OUTAGE_SECONDS = int(os.environ.get("DRILL_OUTAGE_SECONDS", "60"))
FREEZE_SECONDS = int(os.environ.get("DRILL_FREEZE_SECONDS", "20"))
SLOWEST_SUBMIT_ALLOWED = 5.0  # seconds: a learner must never wait on a broker that is down
RECOVERY_ALLOWED = 120.0  # seconds from the broker's return to the last grade
# The worker's beat sweeps every 5 s and re-queues what waited 5 s (30 s and 120 s in
# production), so that the drill's recovery time is the machinery's, not the schedule's.
SWEEP_SECONDS = 5
REGRADE_AFTER_SECONDS = 5
LEARNERS_BEFORE, LEARNERS_DURING, LEARNERS_AFTER = 6, 10, 4


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """A private, non-persistent redis-server on a port of its own."""

    def __init__(self, folder):
        self.folder = folder
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self):
        self.log = open(self.folder / "redis.log", "ab")
        self.process = subprocess.Popen(
            [shutil.which("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", str(self.folder)],
            stdout=self.log, stderr=subprocess.STDOUT,
        )
        try:
            wait_for(self.answers, timeout=15, interval=0.1, message=f"redis-server on port {self.port}")
        except BaseException:  # pytest's failure included: leave no server behind
            self.stop()
            raise
        return self

    def answers(self):
        try:
            return redis.Redis(port=self.port, socket_connect_timeout=1).ping()
        except redis.ConnectionError:
            return False

    def crash(self):
        """SIGKILL: no shutdown, nothing saved; every connection to it breaks."""
        self.process.kill()
        self.process.wait(timeout=10)
        self.log.close()

    def freeze(self):
        """SIGSTOP: the server holds its connections and accepts new ones (the kernel
        does), but answers nothing."""
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self):
        self.process.send_signal(signal.SIGCONT)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.thaw()
            self.crash()


class WebServer:
    """gunicorn serving the site on the test database and the private broker."""

    def __init__(self, folder, broker_url):
        self.folder = folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.broker_url = broker_url
        self.process = None

    def start(self):
        env = dict(
            os.environ,
            DJANGO_SETTINGS_MODULE="config.settings.test",
            DATABASE_URL=database_url_for_other_processes(),
            CELERY_BROKER_URL=self.broker_url,
        )
        self.log = open(self.folder / "gunicorn.log", "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{self.port}",
             "--workers", "2", "--threads", "4", "--timeout", "60", "--access-logfile", "-"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        try:
            wait_for(self.answers, timeout=60, interval=0.2, message="gunicorn to answer")
        except BaseException:  # pytest's failure included: leave no server behind
            self.stop()
            raise
        return self

    def answers(self):
        if self.process.poll() is not None:
            pytest.fail(f"gunicorn exited:\n{self.output()}")
        try:
            return requests.get(f"{self.url}/sante/", timeout=15).status_code == 200
        except requests.RequestException:
            return False

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self.log.close()

    def output(self):
        return (self.folder / "gunicorn.log").read_text(errors="replace")

    def gradings_not_queued(self):
        """The attempts whose grading the web server could not queue (it logs each)."""
        return {int(n) for n in re.findall(r"Could not queue quizzes\.tasks\.grade_attempt\((\d+)\)", self.output())}


@dataclass
class Submission:
    attempt_id: int
    status_code: int
    location: str
    seconds: float


class LearnerAtTheKeyboard:
    """One learner's browser session on the web server (plain HTTP, cookies and CSRF as
    a browser sends them). The session is created in the database, not through the login
    form, whose rules (throttling, two-factor) are not this drill's subject."""

    def __init__(self, server, user):
        client = Client()
        client.force_login(user)
        self.server = server
        self.http = requests.Session()
        # A new connection per request: a kept-alive one that gunicorn closes as the
        # next request leaves would fail that request (a race of the harness, not the site).
        self.http.headers["Connection"] = "close"
        self.http.cookies.set(settings.SESSION_COOKIE_NAME, client.cookies[settings.SESSION_COOKIE_NAME].value)

    def open(self, quiz):
        page = self.http.get(f"{self.server.url}{quiz.get_url()}", timeout=30)
        assert page.status_code == 200, page.text[:500]
        return self

    def press_start(self, quiz):
        """Press "start" on the quiz page (opened before): the response."""
        return self.http.post(
            f"{self.server.url}/quiz/{quiz.pk}/commencer/", data={"csrfmiddlewaretoken": self.csrf()},
            allow_redirects=False, timeout=60,
        )

    def start(self, quiz):
        """Open the quiz page and press "start": the id of the attempt."""
        started = self.open(quiz).press_start(quiz)
        assert started.status_code == 302, started.text[:500]
        return attempt_id_in(started)

    def submit(self, attempt_id, form):
        began = time.monotonic()
        response = self.http.post(
            f"{self.server.url}/quiz/tentatives/{attempt_id}/", data={**form, "csrfmiddlewaretoken": self.csrf()},
            allow_redirects=False, timeout=60,
        )
        return Submission(attempt_id, response.status_code, response.headers.get("Location", ""),
                          time.monotonic() - began)

    def csrf(self):
        return self.http.cookies[settings.CSRF_COOKIE_NAME]


def attempt_id_in(response):
    """The attempt a "start" response redirects to."""
    return int(re.fullmatch(r"/quiz/tentatives/(\d+)/", response.headers["Location"]).group(1))


def submit_at(schedule):
    """Submit each (learner, attempt_id, form, delay) once `delay` seconds have passed,
    in parallel, as learners do; the submissions in the order given."""
    began = time.monotonic()

    def send(learner, attempt_id, form, delay):
        time.sleep(max(0.0, began + delay - time.monotonic()))
        return learner.submit(attempt_id, form)

    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(lambda job: send(*job), schedule))


def statuses(attempt_ids):
    return dict(Attempt.objects.filter(pk__in=attempt_ids).values_list("pk", "status"))


def all_graded(attempt_ids):
    return set(statuses(attempt_ids).values()) == {Status.GRADED}


@pytest.fixture
def broker(tmp_path):
    """A private redis-server. Missing binary: skipped here, a failure under CI=true."""
    if shutil.which("redis-server") is None:
        message = "redis-server not found: install it (apt-get install -y redis-server) to run the fault drill."
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    server = RedisServer(tmp_path).start()
    yield server
    server.stop()


@pytest.fixture
def web_server(django_db_serialized_rollback, transactional_db, broker, tmp_path):
    server = WebServer(tmp_path, broker.url).start()
    yield server
    server.stop()


@pytest.fixture
def worker_with_beat(django_db_serialized_rollback, transactional_db, broker, tmp_path):
    """A worker with beat inside it, on the private broker, sweeping every few seconds."""
    worker = WorkerProcess(
        tmp_path / "worker.log",
        env={
            "CELERY_BROKER_URL": broker.url,
            "QUIZ_SWEEP_SECONDS": str(SWEEP_SECONDS),
            "QUIZ_REGRADE_AFTER_SECONDS": str(REGRADE_AFTER_SECONDS),
        },
        args=["--beat", "--schedule", str(tmp_path / "celerybeat-schedule")],
    ).start()
    yield worker
    worker.stop()


def learners_on_a_quiz(server, count, **quiz_fields):
    """A new quiz and `count` learners enrolled in its course, at their keyboards."""
    course = make_course_with(modules=1, lessons_per_module=0)
    quiz = make_quiz(ModulePage.objects.child_of(course).get(), questions=7, **quiz_fields)
    learners = []
    for _ in range(count):
        person = make_user()
        progress.enroll(user=person, course=course)
        learners.append(LearnerAtTheKeyboard(server, person))
    return quiz, learners


def learners_with_attempts(server, count):
    """`count` learners enrolled in a new quiz, each with an attempt started through the
    web server: [(learner, attempt_id)], and the full-marks form of each attempt."""
    quiz, learners = learners_on_a_quiz(server, count)
    started, forms = [], {}
    for learner in learners:
        attempt_id = learner.start(quiz)
        forms[attempt_id] = as_form(right_answers(Attempt.objects.get(pk=attempt_id)))
        started.append((learner, attempt_id))
    return started, forms


def report(capsys, line):
    """A line in the CI log, whatever pytest captures."""
    with capsys.disabled():
        print(f"\n[fault drill] {line}")


def test_the_broker_down_for_a_minute_loses_no_submission_and_grades_none_twice(
    web_server, worker_with_beat, broker, capsys
):
    # given 20 enrolled learners, each with an attempt started through the web server
    started, forms = learners_with_attempts(web_server, LEARNERS_BEFORE + LEARNERS_DURING + LEARNERS_AFTER)
    before = started[:LEARNERS_BEFORE]
    during = started[LEARNERS_BEFORE:LEARNERS_BEFORE + LEARNERS_DURING]
    after = started[LEARNERS_BEFORE + LEARNERS_DURING:]
    # and six of them submit while the broker is up, and are graded
    submitted_before = submit_at([(learner, a, forms[a], 0) for learner, a in before])
    wait_for(lambda: all_graded([a for _, a in before]), timeout=60, interval=0.2,
             message="the first submissions graded while the broker is up")
    # and two other learners are on the page of a timed quiz (one minute), about to start
    timed_quiz, latecomers = learners_on_a_quiz(web_server, 2, time_limit_minutes=1)
    for latecomer in latecomers:
        latecomer.open(timed_quiz)

    # when the broker crashes and stays down while the two start the timed quiz (its
    # deadline is queued with an ETA) and ten others submit, spread over the outage
    broker.crash()
    crashed_at = time.monotonic()
    timed_starts = [latecomer.press_start(timed_quiz) for latecomer in latecomers]
    spacing = OUTAGE_SECONDS * 0.8 / LEARNERS_DURING
    submitted_during = submit_at([(learner, a, forms[a], i * spacing) for i, (learner, a) in enumerate(during)])
    time.sleep(max(0.0, crashed_at + OUTAGE_SECONDS - time.monotonic()))
    waiting_at_return = statuses([a for _, a in during])
    worker_alive_in_outage = worker_with_beat.process.poll() is None

    # and it comes back, empty, on the same port, and four more learners submit
    broker.start()
    back_at = time.monotonic()
    submitted_after = submit_at([(learner, a, forms[a], 0) for learner, a in after])

    # then every attempt is graded within the bound, each exactly once: the timed ones
    # too, submitted by the sweep when their time ran out (unanswered, so 0 %)
    for response in timed_starts:
        assert response.status_code == 302, f"starting a timed quiz without a broker: {response.status_code}"
    timed = [attempt_id_in(response) for response in timed_starts]
    everyone = list(forms) + timed
    wait_for(lambda: all_graded(forms), timeout=RECOVERY_ALLOWED, interval=0.2,
             message=f"all {len(forms)} submitted attempts graded after the broker came back")
    submissions_recovered_in = time.monotonic() - back_at
    wait_for(lambda: all_graded(everyone), timeout=max(1.0, RECOVERY_ALLOWED - submissions_recovered_in),
             interval=0.2, message="the timed attempts submitted and graded after their deadline")
    recovered_in = time.monotonic() - back_at
    time.sleep(2 * SWEEP_SECONDS)  # a second grading, if any, would land now

    submissions = submitted_before + submitted_during + submitted_after
    slowest_during = max([s.seconds for s in submitted_during] + [r.elapsed.total_seconds() for r in timed_starts])
    report(
        capsys,
        f"broker crashed for {OUTAGE_SECONDS} s: {len(submitted_during)} submits and {len(timed)} starts "
        f"of a timed quiz during the outage, "
        f"slowest {slowest_during:.2f} s (slowest of all {len(submissions)}: {max(s.seconds for s in submissions):.2f} s); "
        f"all {len(forms)} submitted attempts graded {submissions_recovered_in:.1f} s after the broker came back, "
        f"the {len(timed)} timed ones started during the outage {recovered_in:.1f} s after "
        f"(sweep every {SWEEP_SECONDS} s, re-queue after {REGRADE_AFTER_SECONDS} s); "
        f"grade counts {sorted(set(Attempt.objects.values_list('grade_count', flat=True)))}.",
    )
    for submission in submissions:
        assert (submission.status_code, submission.location) == (
            302, f"/quiz/tentatives/{submission.attempt_id}/resultat/"
        ), submission
    assert slowest_during < SLOWEST_SUBMIT_ALLOWED, f"a submit waited {slowest_during:.1f} s on the broker"
    assert set(waiting_at_return.values()) == {Status.SUBMITTED}, waiting_at_return
    not_queued = web_server.gradings_not_queued()
    assert {a for _, a in during} <= not_queued, "the web server reached a broker that was down?"
    assert not not_queued & {a for _, a in after}, "the web server did not reconnect to the broker by itself"
    assert worker_alive_in_outage and worker_with_beat.process.poll() is None, worker_with_beat.output()[-3000:]
    assert dict(Attempt.objects.values_list("pk", "grade_count")) == {a: 1 for a in everyone}
    assert set(Attempt.objects.filter(pk__in=forms).values_list("percent", flat=True)) == {100}


def test_a_frozen_broker_that_keeps_its_connections_open_holds_no_submission(
    web_server, worker_with_beat, broker, capsys
):
    # given 10 learners with started attempts, four of whom submit and are graded
    started, forms = learners_with_attempts(web_server, 10)
    before, during = started[:4], started[4:]
    submit_at([(learner, a, forms[a], 0) for learner, a in before])
    wait_for(lambda: all_graded([a for _, a in before]), timeout=60, interval=0.2,
             message="the first submissions graded while the broker is up")

    # when the broker freezes (SIGSTOP: its connections stay open, nothing answers, as
    # behind a dead network link) while the six others submit
    broker.freeze()
    frozen_at = time.monotonic()
    spacing = FREEZE_SECONDS * 0.8 / len(during)
    try:
        submitted = submit_at([(learner, a, forms[a], i * spacing) for i, (learner, a) in enumerate(during)])
        time.sleep(max(0.0, frozen_at + FREEZE_SECONDS - time.monotonic()))
        waiting_at_thaw = statuses([a for _, a in during])
    finally:
        broker.thaw()
    thawed_at = time.monotonic()

    # then each submit was answered at once, and everything is graded once
    everyone = list(forms)
    wait_for(lambda: all_graded(everyone), timeout=RECOVERY_ALLOWED, interval=0.2,
             message=f"all {len(everyone)} attempts graded after the broker thawed")
    recovered_in = time.monotonic() - thawed_at
    time.sleep(2 * SWEEP_SECONDS)
    slowest = max(s.seconds for s in submitted)
    report(
        capsys,
        f"broker frozen for {FREEZE_SECONDS} s: {len(submitted)} submits, slowest {slowest:.2f} s; "
        f"all {len(everyone)} attempts graded {recovered_in:.1f} s after it thawed.",
    )
    for submission in submitted:
        assert (submission.status_code, submission.location) == (
            302, f"/quiz/tentatives/{submission.attempt_id}/resultat/"
        ), submission
    assert slowest < SLOWEST_SUBMIT_ALLOWED, f"a submit waited {slowest:.1f} s on the frozen broker"
    assert set(waiting_at_thaw.values()) == {Status.SUBMITTED}, waiting_at_thaw
    assert worker_with_beat.process.poll() is None, worker_with_beat.output()[-3000:]
    assert dict(Attempt.objects.values_list("pk", "grade_count")) == {a: 1 for a in everyone}
