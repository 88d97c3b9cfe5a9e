"""Passerelle's performance targets, measured as ratios against a ceiling taken in the
same run on the same machine (so the figures travel between machines):

  web pages        median time of a page / median time of a bare Django view
  grading          time for a real worker to grade N attempts / to run N no-op tasks
  progress recount time to recount 1,000 enrolments / a raw SQL aggregate over them
  manager dashboard the dashboard's reads over 10,000 learners x 40 steps / one raw SQL
                   GROUP BY over the same 400,000 step progress rows
  XLSX export      10,000 learners: duration and peak memory (tracemalloc), reported

Run with `make bench`: a throwaway database and broker folder under var/bench/. With
BENCH_DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/passerelle_bench, a database
the bench drops and creates), the manager dashboard row is measured there too."""

import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
shutil.rmtree(BENCH_DIR, ignore_errors=True)
os.environ.update(PASSERELLE_VAR_DIR=str(BENCH_DIR), DJANGO_SETTINGS_MODULE="config.settings.dev", DEBUG="false")
MANAGER_ONLY = "--manager-only" in sys.argv  # the second pass, on BENCH_DATABASE_URL
if not MANAGER_ONLY:
    os.environ.pop("DATABASE_URL", None)
os.environ.pop("CELERY_BROKER_URL", None)
sys.path.insert(0, str(ROOT))



def recreate_database(url):
    """Drop and create the PostgreSQL database at `url`: the bench's throwaway."""
    from urllib.parse import urlsplit

    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    with psycopg.connect(parts._replace(path="/postgres").geturl(), autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


if MANAGER_ONLY:
    recreate_database(os.environ["DATABASE_URL"])

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.urls import include, path  # noqa: E402

# Targets: the most each measure may cost, as a multiple of its ceiling.
TARGETS = {
    "lesson page (learner)": 40,
    "course page (learner)": 40,
    "dashboard (learner)": 30,
    "quiz attempt page (10 questions)": 40,
    "grading, per attempt": 15,
    # Writes 1,000 enrolments and 4,000 module rows where the ceiling only reads.
    "recount of 1,000 enrolments": 800,
    "manager dashboard (10,000 x 40 steps)": 3,
    "manager dashboard, PostgreSQL": 3,
}
REQUESTS = 200


def bare_view(request):
    return HttpResponse("ok")


urlpatterns = [path("bench/bare/", bare_view), path("", include("config.urls"))]


def wait_until(condition, what, timeout=300):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"Gave up waiting for {what} after {timeout} s (see var/bench/worker.log).")
        time.sleep(0.02)


def median_seconds(function, repeat):
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def web_measures(client, urls):
    ceiling = median_seconds(lambda: client.get("/bench/bare/"), REQUESTS)
    rows = []
    for name, url in urls.items():
        client.get(url)
        assert client.get(url).status_code == 200, url
        rows.append((name, median_seconds(lambda: client.get(url), REQUESTS), ceiling, "bare Django view"))
    return rows


def worker_measure(quiz, learners):
    from config.celery import app
    from home.models import WorkerHeartbeat
    from quizzes import services
    from quizzes.models import Attempt
    from tests.factories import right_answers

    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-q", "-A", "config", "worker", "--loglevel=warning", "--concurrency=1"],
        cwd=ROOT, env=dict(os.environ), stdout=open(BENCH_DIR / "worker.log", "wb"), stderr=subprocess.STDOUT,
    )
    try:
        wait_until(WorkerHeartbeat.objects.exists, "the worker to start", 60)  # it announces itself
        count = len(learners)

        # One worker process takes tasks in order: when the heartbeat sent after the
        # no-op tasks is recorded, they have all run.
        WorkerHeartbeat.objects.all().delete()
        start = time.perf_counter()
        for _ in range(count):
            app.send_task("home.tasks.noop")
        app.send_task("home.tasks.record_worker_heartbeat")
        wait_until(WorkerHeartbeat.objects.exists, "the no-op tasks")
        noop = time.perf_counter() - start

        attempts = [services.start_attempt(user=learner, quiz=quiz) for learner in learners]
        raws = [right_answers(attempt) for attempt in attempts]
        start = time.perf_counter()
        for learner, attempt, raw in zip(learners, attempts, raws):
            services.submit_attempt(user=learner, attempt_id=attempt.pk, raw=raw)
        wait_until(lambda: Attempt.objects.filter(status=Attempt.Status.GRADED).count() >= count, "the grading")
        grading = time.perf_counter() - start
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    return ("grading, per attempt", grading / count, noop / count, "no-op Celery task")


def recount_measure(course):
    from django.utils import timezone

    from courses.selectors import course_outline
    from learners import progress
    from learners.models import Enrollment, StepProgress
    from tests.factories import make_user

    steps = course_outline(course).steps
    users = [make_user() for _ in range(1000)]
    Enrollment.objects.bulk_create([Enrollment(user=user, course=course) for user in users])
    StepProgress.objects.bulk_create(
        [StepProgress(user=user, step=step, course=course, status="completed", completed_at=timezone.now())
         for index, user in enumerate(users) for step in steps[: index % len(steps)]]
    )
    sql = ("SELECT user_id, COUNT(*) FROM learners_stepprogress WHERE course_id = %s AND status = 'completed' "
           "GROUP BY user_id")

    def raw_aggregate():
        with connection.cursor() as cursor:
            cursor.execute(sql, [course.pk])
            cursor.fetchall()

    ceiling = median_seconds(raw_aggregate, 20)
    recount = median_seconds(lambda: progress.recount_course(course), 5)
    return ("recount of 1,000 enrolments", recount, ceiling, "raw SQL aggregate")


def manager_measures(learners=10_000):
    """The manager dashboard's selector over `learners` people of a 40-step course,
    against a raw GROUP BY over their step rows; then the XLSX export of them all."""
    import tempfile
    import tracemalloc

    from django.utils import timezone

    from learners.access import manager_scope
    from learners.exports import write_xlsx
    from learners.manager_selectors import dashboard_view, export_rows, manager_dashboard
    from learners.models import (
        Assignment, Enrollment, Membership, ModuleProgress, Organisation, StepProgress, Team, User,
    )
    from quizzes.models import Attempt
    from tests.factories import make_course, make_lesson, make_module, make_quiz

    print(f"Building {learners:,} learners x 40 steps for the manager dashboard…", flush=True)
    course = make_course(title="Bench 40")
    modules, steps, quizzes = [], [], []
    for theme in ("privacy", "editorial_line", "community", "crisis"):
        module = make_module(course, theme=theme)
        module_steps = [make_lesson(module) for _ in range(9)]
        quiz = make_quiz(module, questions=1)
        modules.append((module, module_steps + [quiz]))
        steps += module_steps + [quiz]
        quizzes.append(quiz)
    organisation = Organisation.objects.create(name="Bench", slug="bench")
    teams = [Team.objects.create(organisation=organisation, name=f"Équipe {n}") for n in range(20)]
    manager = User.objects.create_user(email="manager-bench@example.org", password="x")
    Membership.objects.create(user=manager, organisation=organisation, role=Membership.Role.MANAGER)
    batch = 5000
    users = User.objects.bulk_create(
        [User(email=f"m{n}@bench.example", first_name="B", last_name=f"N{n:05d}", password="!") for n in range(learners)],
        batch_size=batch,
    )
    Membership.objects.bulk_create(
        [Membership(user=u, organisation=organisation, team=teams[n % len(teams)]) for n, u in enumerate(users)],
        batch_size=batch,
    )
    today = timezone.localdate()
    Assignment.objects.bulk_create(
        [Assignment(organisation=organisation, user=u, course=course, due_on=today) for u in users], batch_size=batch
    )
    now = timezone.now()
    done = {u.pk: n % 41 for n, u in enumerate(users)}  # steps completed, 0 to 40
    enrollments = Enrollment.objects.bulk_create(
        [Enrollment(user=u, course=course, completed_steps=done[u.pk], total_steps=40, percent=done[u.pk] * 100 // 40,
                    completed_at=now if done[u.pk] == 40 else None) for u in users],
        batch_size=batch,
    )
    ModuleProgress.objects.bulk_create(
        [ModuleProgress(enrollment=e, module=module, completed_steps=max(0, min(10, done[e.user_id] - 10 * m)),
                        total_steps=10)
         for e in enrollments for m, (module, _steps) in enumerate(modules)],
        batch_size=batch,
    )
    StepProgress.objects.bulk_create(
        [StepProgress(user=u, step=step, course=course, status="completed" if i < done[u.pk] else "viewed",
                      completed_at=now if i < done[u.pk] else None)
         for u in users for i, step in enumerate(steps)],
        batch_size=batch,
    )
    Attempt.objects.bulk_create(
        [Attempt(user=u, quiz=quiz, number=1, status=Attempt.Status.GRADED, percent=(n * 7) % 101,
                 passed=(n * 7) % 101 >= 70)
         for n, u in enumerate(users) for quiz in quizzes],
        batch_size=batch,
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    sql = ("SELECT user_id, COUNT(*) FROM learners_stepprogress WHERE course_id = %s AND status = 'completed' "
           "GROUP BY user_id")

    def raw_aggregate():
        with connection.cursor() as cursor:
            cursor.execute(sql, [course.pk])
            cursor.fetchall()

    def dashboard():
        view = dashboard_view(manager_scope(viewer=manager, slug="bench"), {"course": str(course.pk)})
        return manager_dashboard(view)

    assert dashboard().counts["assigned"] == learners
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        dashboard()
    ceiling = median_seconds(raw_aggregate, 5)
    selector = median_seconds(dashboard, 5)
    row = ("manager dashboard (10,000 x 40 steps)", selector, ceiling, "raw SQL GROUP BY")

    view = dashboard_view(manager_scope(viewer=manager, slug="bench"), {"course": str(course.pk)})

    def export():
        with tempfile.TemporaryFile() as handle:
            write_xlsx(export_rows(view), handle)
            return handle.tell()

    duration = median_seconds(export, 3)  # timed without tracemalloc, which slows Python ~6x
    tracemalloc.start()
    size = export()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    export_line = (f"XLSX export of {learners:,} learners: {duration:.2f} s, peak memory {peak / 2**20:.1f} MiB "
              f"(tracemalloc), file {size / 2**20:.1f} MiB; the dashboard's reads: {len(queries)} queries "
              f"at {learners:,} learners (16 at 10 and at 500 in tests/test_manager_dashboard.py)")
    return row, export_line


def manager_on_postgresql(url):
    """The manager dashboard row, measured by a second process on the database at `url`."""
    print("The manager dashboard again, on PostgreSQL…", flush=True)
    done = subprocess.run(
        [sys.executable, __file__, "--manager-only"], env={**os.environ, "DATABASE_URL": url},
        capture_output=True, text=True, timeout=1800,
    )
    if done.returncode:
        sys.exit(f"The PostgreSQL pass failed:\n{done.stdout}\n{done.stderr}")
    measured = json.loads(done.stdout.splitlines()[-1])
    return ("manager dashboard, PostgreSQL", measured["seconds"], measured["ceiling"], "raw SQL GROUP BY"), \
        measured["export"]


def main():
    if MANAGER_ONLY:
        call_command("migrate", verbosity=0)
        (_name, seconds, ceiling, _ceiling_name), export = manager_measures()
        print(json.dumps({"seconds": seconds, "ceiling": ceiling, "export": export}))
        return
    from courses.models import CoursePage, ModulePage
    from courses.selectors import course_outline
    from learners import progress
    from quizzes.models import QuizPage
    from tests.factories import make_user

    print("Preparing a throwaway database with the demo course…", flush=True)
    call_command("migrate", verbosity=0)
    call_command("load_demo_course", no_accounts=True, stdout=open(os.devnull, "w"))
    course = CoursePage.objects.get()
    learner = make_user(email="bench@example.org")
    progress.enroll(user=learner, course=course)
    outline = course_outline(course)
    quiz = QuizPage.objects.child_of(ModulePage.objects.child_of(course).first()).get()
    client = Client()
    client.force_login(learner)
    from quizzes import services

    attempt = services.start_attempt(user=learner, quiz=quiz)

    rows = []
    with override_settings(ROOT_URLCONF=__name__, ALLOWED_HOSTS=["*"]):
        rows += web_measures(client, {
            "lesson page (learner)": outline.steps[1].url,
            "course page (learner)": course.url,
            "dashboard (learner)": "/comptes/mon-espace/",
            "quiz attempt page (10 questions)": f"/quiz/tentatives/{attempt.pk}/",
        })
    print("Grading through a real worker…", flush=True)
    learners = [make_user() for _ in range(100)]
    for person in learners:
        progress.enroll(user=person, course=course)
    rows.append(worker_measure(quiz, learners))
    rows.append(recount_measure(course))
    dashboard_row, export_line = manager_measures()
    rows.append(dashboard_row)
    export_lines = [f"SQLite: {export_line}"]
    if os.environ.get("BENCH_DATABASE_URL"):
        dashboard_row, export_line = manager_on_postgresql(os.environ["BENCH_DATABASE_URL"])
        rows.append(dashboard_row)
        export_lines.append(f"PostgreSQL: {export_line}")

    print(f"\n{'measure':<36}{'time':>11}{'ceiling':>11}{'ratio':>8}{'target':>8}  ceiling")
    failed = False
    for name, seconds, ceiling, ceiling_name in rows:
        ratio = seconds / ceiling
        ok = ratio <= TARGETS[name]
        failed |= not ok
        print(f"{name:<36}{seconds * 1000:>9.2f}ms{ceiling * 1000:>9.2f}ms{ratio:>7.1f}x{TARGETS[name]:>7}x  "
              f"{ceiling_name}{'' if ok else '  <- over target'}")
    print("", *export_lines, sep="\n")
    shutil.rmtree(BENCH_DIR, ignore_errors=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
