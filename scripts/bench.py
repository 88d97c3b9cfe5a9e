"""Passerelle's performance targets, measured as ratios against a ceiling taken in the
same run on the same machine (so the figures travel between machines):

  web pages        median time of a page / median time of a bare Django view
  grading          time for a real worker to grade N attempts / to run N no-op tasks
  progress recount time to recount 1,000 enrolments / a raw SQL aggregate over them

Run with `make bench`: a throwaway database and broker folder under var/bench/."""

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
os.environ.pop("DATABASE_URL", None)
os.environ.pop("CELERY_BROKER_URL", None)
sys.path.insert(0, str(ROOT))

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


def main():
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

    print(f"\n{'measure':<36}{'time':>11}{'ceiling':>11}{'ratio':>8}{'target':>8}  ceiling")
    failed = False
    for name, seconds, ceiling, ceiling_name in rows:
        ratio = seconds / ceiling
        ok = ratio <= TARGETS[name]
        failed |= not ok
        print(f"{name:<36}{seconds * 1000:>9.2f}ms{ceiling * 1000:>9.2f}ms{ratio:>7.1f}x{TARGETS[name]:>7}x  "
              f"{ceiling_name}{'' if ok else '  <- over target'}")
    shutil.rmtree(BENCH_DIR, ignore_errors=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
