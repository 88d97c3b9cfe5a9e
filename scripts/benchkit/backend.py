"""One pass of `make bench` on one backend (the database, broker and cache named by the
environment the orchestrator, scripts/bench.py, gives it). Writes its measures as JSON.

    python -m benchkit.backend --out measures.json [--smoke]

The pass sets up its own data in a throwaway database, starts gunicorn (2 sync workers)
and a Celery worker (2 processes) bound to 127.0.0.1, measures, and stops them whatever
happens."""

import argparse
import json
import os
import re
import socket
import statistics
import sys
import time
import traceback
import uuid
from pathlib import Path

from benchkit import processes
from benchkit.processes import BenchError
from benchkit.timing import median_seconds, percentile, say

ROOT = Path(__file__).resolve().parents[2]
FULL = {"wrk_seconds": 10, "repeats": 3, "latency_samples": 100, "burst": 200, "recount": 10_000,
        "manager": 10_000}
SMOKE = {"wrk_seconds": 2, "repeats": 1, "latency_samples": 5, "burst": 10, "recount": 200, "manager": 200}
CONNECTIONS = 16
POLL = 0.005  # how often the grading scenario asks the result endpoint, and .get() its store
SETTLED = ("graded", "needs_review")  # the grader is done with the attempt


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    processes.interrupt_on_signals()
    sizes = SMOKE if args.smoke else FULL
    result = {"rows": [], "queries": {}, "memory": {}, "notes": [], "errors": [], "sizes": sizes}
    database_url = os.environ.get("DATABASE_URL", "")
    postgres = database_url.startswith(("postgres://", "postgresql://"))
    try:
        if postgres:
            from benchkit.database import recreate_database

            recreate_database(database_url)
        import django

        django.setup()
        measure(result, sizes, args.profile)
    except BenchError as error:
        result["errors"].append(str(error))
    except Exception:  # noqa: BLE001 - reported, and the pass fails
        result["errors"].append(traceback.format_exc())
    except KeyboardInterrupt:
        result["errors"].append("interrupted")
    finally:
        processes.stop_all()
        if postgres:
            try:
                from django.db import connections

                from benchkit.database import drop_database

                connections.close_all()
                drop_database(database_url)
            except Exception as error:  # noqa: BLE001 - reported with the measures
                result["errors"].append(f"could not drop the bench database: {error}")
        Path(args.out).write_text(json.dumps(result, indent=1))


def row(result, key, measured, ceiling, ratio, **detail):
    result["rows"].append({"key": key, "measured": measured, "ceiling": ceiling, "ratio": ratio, **detail})


def measure(result, sizes, profile=False):
    from django.core.management import call_command

    bench_dir = Path(os.environ["PASSERELLE_VAR_DIR"])
    say("migrating…")
    call_command("migrate", verbosity=0)
    say("loading the demo course…")
    call_command("load_demo_course", no_accounts=True, stdout=open(os.devnull, "w"))
    say("a learner, a 50-question quiz, attempts in progress, query counts…")
    data = prepare()
    result["queries"] = query_counts(data["pages"])
    if profile:
        result["profiles"] = profiles(data["pages"])

    port = int(os.environ.get("BENCH_PORT") or free_port())
    base = f"http://127.0.0.1:{port}"
    say(f"starting gunicorn on 127.0.0.1:{port}…")
    gunicorn = processes.start(
        [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--workers", "2", "--worker-class", "sync",
         "--bind", f"127.0.0.1:{port}", "--timeout", "30", "--graceful-timeout", "5", "--log-level", "warning"],
        log=bench_dir / "gunicorn.log", cwd=ROOT,
    )
    processes.wait_until(lambda: answers(base + "/bench/bare/"), "gunicorn to answer", 60, gunicorn)
    check_pages(base, data)
    web_rows(result, sizes, base, data, gunicorn)

    worker = start_worker(bench_dir)
    grading_latency(result, sizes, base, data, worker)
    grading_service_latency(result, sizes, data, worker)
    grading_throughput(result, sizes, data, worker)
    result["memory"] = {
        "web worker": max(filter(None, map(processes.peak_rss_mib, processes.children(gunicorn.pid))), default=None),
        "Celery worker (main process)": processes.peak_rss_mib(worker.pid),
        "Celery worker (pool process)": max(
            filter(None, map(processes.peak_rss_mib, processes.children(worker.pid))), default=None),
    }
    processes.stop(worker)
    processes.stop(gunicorn)

    recount(result, sizes, data)
    from benchkit.manager import manager_measures

    dashboard, export = manager_measures(learners=sizes["manager"])
    row(result, "manager_dashboard", dashboard["seconds"], dashboard["ceiling"],
        dashboard["seconds"] / dashboard["ceiling"], unit="s", people=sizes["manager"], queries=dashboard["queries"])
    result["notes"].append(export)


# --- Data ------------------------------------------------------------------------------


def make_people(count, prefix):
    """`count` learners (no usable password: the bench logs them in by session)."""
    from learners.models import User

    run = uuid.uuid4().hex[:8]
    return User.objects.bulk_create(
        [User(email=f"{prefix}-{run}-{n}@bench.example", first_name="Banc", last_name=f"N{n}", password="!")
         for n in range(count)], batch_size=2000,
    )


def session_cookie(user):
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def prepare():
    from django.urls import reverse

    from courses.models import CoursePage, LessonPage
    from courses.selectors import course_outline
    from learners import progress
    from quizzes import services
    from quizzes.models import QuizPage
    from tests.factories import make_course, make_module, make_quiz

    course = CoursePage.objects.get()  # the demo course
    outline = course_outline(course)
    lesson = next(step for step in outline.steps if isinstance(step, LessonPage))
    quiz10 = next(step for step in outline.steps if isinstance(step, QuizPage))
    learner, learner50 = make_people(2, "apprenant")
    progress.enroll(user=learner, course=course)
    # The 50-question quiz sits in a course of its own, taken by a learner of its own:
    # the demo learner's pages stay the demo's.
    course50 = make_course(catalogue=course.get_parent().specific, title="Banc d'essai : 50 questions")
    quiz50 = make_quiz(make_module(course50), questions=50, max_attempts=None)
    progress.enroll(user=learner50, course=course50)
    attempt10 = services.start_attempt(user=learner, quiz=quiz10)
    attempt50 = services.start_attempt(user=learner50, quiz=quiz50)
    cookie, cookie50 = session_cookie(learner), session_cookie(learner50)
    assert attempt10.quiz.question_ids(), "the demo quiz has questions"
    pages = {  # key: (url, session cookie or None for an anonymous visitor)
        "bare": ("/bench/bare/", None),
        "lesson_learner": (lesson.url, cookie),
        "course_learner": (course.url, cookie),
        "dashboard_learner": (reverse("dashboard"), cookie),
        "lesson_anonymous": (lesson.url, None),
        "course_anonymous": (course.url, None),
        "quiz10": (reverse("quiz_attempt", args=[attempt10.pk]), cookie),
        "quiz50": (reverse("quiz_attempt", args=[attempt50.pk]), cookie50),
    }
    return {"course": course, "quiz": quiz10, "pages": pages, "logout": reverse("logout"),
            "questions": {"quiz10": len(attempt10.question_order), "quiz50": len(attempt50.question_order)}}


def query_counts(pages):
    """Queries of each page on a warm request (the second), in-process."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    counts = {}
    for key, (url, cookie) in pages.items():
        client = Client()
        if cookie:
            name, value = cookie.split("=", 1)
            client.cookies[name] = value
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        if response.status_code != 200:
            raise BenchError(f"{url} answered {response.status_code} to the in-process client")
        counts[key] = len(queries)
    return counts


def profiles(pages, requests=20):
    """Where a warm request of each page spends its time: cProfile over `requests`
    in-process requests, the functions with the most cumulative time."""
    import cProfile
    import io
    import pstats

    from django.test import Client

    found = {}
    for key, (url, cookie) in pages.items():
        client = Client()
        if cookie:
            name, value = cookie.split("=", 1)
            client.cookies[name] = value
        client.get(url)
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(requests):
            client.get(url)
        profiler.disable()
        text = f"{requests} warm requests of {url}"
        for order, count in (("cumulative", 40), ("tottime", 15)):
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(count)
            text += f"\n\nsorted by {order}:\n" + out.getvalue().split("\n", 3)[-1].strip()
        for prefix in sorted({str(ROOT) + "/", *(path + "/" for path in sys.path if "-packages" in path)}, key=len,
                             reverse=True):
            text = text.replace(prefix, "")
        found[key] = text
    return found


# --- Web ---------------------------------------------------------------------------------


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def answers(url):
    import requests

    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


def check_pages(base, data):
    """Every page answers 200 through gunicorn; a learner's page is a logged-in page."""
    import requests

    for key, (url, cookie) in data["pages"].items():
        headers = {"Cookie": cookie} if cookie else {}
        for _ in range(3):  # both workers warm (the first request of a page fills caches)
            response = requests.get(base + url, headers=headers, allow_redirects=False, timeout=30)
            if response.status_code != 200:
                raise BenchError(f"{key}: {url} answered {response.status_code} "
                                 f"{response.headers.get('Location', '')}")
            logged_in = data["logout"] in response.text
            if key != "bare" and logged_in != bool(cookie):
                raise BenchError(f"{key}: {url} was served {'logged in' if logged_in else 'anonymously'}")


def web_rows(result, sizes, base, data, gunicorn):
    from benchkit import wrk

    program = wrk.ensure_wrk()
    workdir = Path(os.environ["PASSERELLE_VAR_DIR"])
    runs = {key: [] for key in data["pages"]}
    for repeat in range(sizes["repeats"]):
        for key, (url, cookie) in data["pages"].items():  # the bare view first, interleaved
            say(f"wrk {repeat + 1}/{sizes['repeats']}: {key}")
            processes.ensure_alive(gunicorn, "gunicorn")
            runs[key].append(wrk.run(program, base + url, seconds=sizes["wrk_seconds"], connections=CONNECTIONS,
                                     cookie=cookie, workdir=workdir))
    bare = statistics.median(run["rps"] for run in runs["bare"])
    result["bare"] = {"rps": bare, "runs": [run["rps"] for run in runs["bare"]]}
    for key in data["pages"]:
        if key == "bare":
            continue
        rps = statistics.median(run["rps"] for run in runs[key])
        middle = sorted(runs[key], key=lambda run: run["rps"])[len(runs[key]) // 2]
        row(result, key, rps, bare, rps / bare, unit="req/s", runs=[run["rps"] for run in runs[key]],
            p50_ms=middle["p50_ms"], p99_ms=middle["p99_ms"], questions=data["questions"].get(key))


# --- Grading -----------------------------------------------------------------------------


def queue_names(app):
    """Every queue a task can be sent to (the default one, the declared ones, the routed
    ones): the bench's one worker takes them all."""
    names = {app.conf.task_default_queue}
    # task_queues holds kombu Queues, or (as config.settings has it) a dict keyed by name
    names |= {getattr(queue, "name", queue) for queue in app.conf.task_queues or ()}
    routes = app.conf.task_routes or {}
    for table in routes if isinstance(routes, (list, tuple)) else [routes]:
        if isinstance(table, dict):
            names |= {route["queue"] for route in table.values() if isinstance(route, dict) and route.get("queue")}
    return sorted(names)


def start_worker(bench_dir):
    from config.celery import app
    from home.tasks import noop

    purged = app.control.purge()  # what setting up queued (recounts of the demo load)
    say(f"starting a Celery worker (2 processes, queues {', '.join(queue_names(app))}); "
        f"{purged} queued setup tasks purged")
    worker = processes.start(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel=warning", "--concurrency=2",
         "--queues", ",".join(queue_names(app)), "--hostname", f"bench-{uuid.uuid4().hex[:6]}@%h"],
        log=bench_dir / "worker.log", cwd=ROOT,
    )
    deadline = time.monotonic() + 90
    while True:  # the worker is ready when it answers a no-op
        processes.ensure_alive(worker, "the Celery worker")
        try:
            noop.apply_async(ignore_result=False).get(timeout=5, interval=POLL)
            return worker
        except Exception:  # noqa: BLE001 - celery's TimeoutError: not up yet
            if time.monotonic() > deadline:
                raise BenchError("the Celery worker did not run a no-op task within 90 s") from None


def noop_round_trip():
    from home.tasks import noop

    start = time.perf_counter()
    result = noop.apply_async(ignore_result=False)
    result.get(timeout=30, interval=POLL)
    elapsed = time.perf_counter() - start
    result.forget()
    return elapsed


def learners_with_attempts(count, data):
    from learners import progress
    from quizzes import services

    people = make_people(count, "correction")
    attempts = []
    for person in people:
        progress.enroll(user=person, course=data["course"])
        attempts.append(services.start_attempt(user=person, quiz=data["quiz"]))
    return people, attempts


def graded_round_trip(base, cookie, attempt, worker):
    """Submit `attempt` through the site, ask its status endpoint until graded, then
    fetch the result: what the learner's result page does (with a tighter poll). The
    clock starts when the answers are sent and stops when the result is received."""
    import requests

    from django.urls import reverse

    from tests.factories import as_form, right_answers

    session = requests.Session()
    session.headers["Cookie"] = cookie
    page_url = base + reverse("quiz_attempt", args=[attempt.pk])
    status_url = base + reverse("quiz_status", args=[attempt.pk])
    result_url = base + reverse("quiz_result", args=[attempt.pk]) + "?fragment=1"
    page = session.get(page_url, allow_redirects=False, timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    if page.status_code != 200 or not token:
        raise BenchError(f"the attempt page {page_url} answered {page.status_code} without a form")
    form = {**as_form(right_answers(attempt)), "csrfmiddlewaretoken": token.group(1)}
    # The CSRF cookie the page set, next to the session cookie.
    session.headers["Cookie"] = f"{cookie}; " + "; ".join(f"{k}={v}" for k, v in page.cookies.items())
    start = time.perf_counter()
    sent = session.post(page_url, data=form, headers={"Referer": page_url}, allow_redirects=False, timeout=30)
    if sent.status_code != 302:
        raise BenchError(f"submitting {page_url} answered {sent.status_code}: {sent.text[:500]}")
    deadline = start + 30
    while True:
        status = session.get(status_url, allow_redirects=False, timeout=30)
        if status.status_code != 200:
            raise BenchError(f"{status_url} answered {status.status_code}")
        state = status.json()["status"]
        if state in SETTLED:
            shown = session.get(result_url, allow_redirects=False, timeout=30)  # what the page then shows
            if shown.status_code != 200 or (state == "graded" and "score__value" not in shown.text):
                raise BenchError(f"{result_url} answered {shown.status_code} once graded: {shown.text[:300]}")
            return time.perf_counter() - start
        if time.perf_counter() > deadline:
            processes.ensure_alive(worker, "the Celery worker")
            raise BenchError(f"attempt {attempt.pk} was not graded within 30 s of its submission")
        time.sleep(POLL)


def grading_latency(result, sizes, base, data, worker):
    samples = sizes["latency_samples"]
    warm = 3
    say(f"{samples} gradings against {samples} no-op round trips, interleaved…")
    people, attempts = learners_with_attempts(samples + warm, data)
    cookies = [session_cookie(person) for person in people]
    noops, gradings = [], []
    for index, (cookie, attempt) in enumerate(zip(cookies, attempts)):
        noop = noop_round_trip()
        graded = graded_round_trip(base, cookie, attempt, worker)
        if index >= warm:
            noops.append(noop)
            gradings.append(graded)
    median, ceiling = statistics.median(gradings), statistics.median(noops)
    row(result, "grading_latency", median, ceiling, median / ceiling, unit="s", samples=samples,
        p99=percentile(gradings, 0.99), ceiling_p99=percentile(noops, 0.99))


def grading_service_latency(result, sizes, data, worker):
    """Issue #9's grading target, without the web: from `submit_attempt` (the service, its
    transaction committed, the grading queued) until the attempt row reads graded, against
    a task that writes one row, sent from the same process and observed the same way (its
    row read every POLL), interleaved."""
    from home.models import WorkerHeartbeat
    from home.tasks import write_one_row
    from quizzes import services
    from quizzes.models import Attempt
    from tests.factories import right_answers

    samples, warm = sizes["latency_samples"], 3
    say(f"{samples} gradings from the service against {samples} one-row tasks, interleaved…")
    people, attempts = learners_with_attempts(samples + warm, data)
    prefix = f"bench-latency-{uuid.uuid4().hex[:8]}-"
    rows, gradings = [], []
    for index, (person, attempt) in enumerate(zip(people, attempts)):
        raw = right_answers(attempt)
        start = time.perf_counter()
        write_one_row.delay(f"{prefix}{index}")
        processes.wait_until(lambda: WorkerHeartbeat.objects.filter(hostname=f"{prefix}{index}").exists(),
                             "a one-row task", 30, worker, interval=POLL)
        row_time = time.perf_counter() - start
        start = time.perf_counter()
        services.submit_attempt(user=person, attempt_id=attempt.pk, raw=raw)
        processes.wait_until(lambda: Attempt.objects.filter(pk=attempt.pk, status__in=SETTLED).exists(),
                             "a grading", 30, worker, interval=POLL)
        if index >= warm:
            rows.append(row_time)
            gradings.append(time.perf_counter() - start)
    median, ceiling = statistics.median(gradings), statistics.median(rows)
    row(result, "grading_service_latency", median, ceiling, median / ceiling, unit="s", samples=samples,
        p99=percentile(gradings, 0.99), ceiling_p99=percentile(rows, 0.99))


def grading_throughput(result, sizes, data, worker):
    """A burst of gradings against a burst of one-row tasks, `repeats` times interleaved,
    medians quoted. Both are watched the same way, by a count over a range of primary
    keys written once: the watcher shares the machine with the worker, and a count built
    by the ORM over a list of every attempt cost this process about 4 ms of CPU per
    grading (measured from /proc on 2 CPUs), taken from the worker it was timing."""
    count, repeats = sizes["burst"], sizes["repeats"]
    say(f"a burst of {count} gradings against {count} one-row tasks, {repeats} times…")
    rows, gradings = [], []
    for _ in range(repeats):
        rows.append(one_row_burst(count, worker))
        gradings.append(grading_burst(count, data, worker))
    rows_rate, graded_rate = statistics.median(rows), statistics.median(gradings)
    row(result, "grading_throughput", graded_rate, rows_rate, graded_rate / rows_rate, unit="per s", burst=count,
        runs=[round(rate, 1) for rate in gradings], ceiling_runs=[round(rate, 1) for rate in rows])


def one_row_burst(count, worker):
    """`count` one-row tasks sent at once: how many a second the worker completes."""
    from home.models import WorkerHeartbeat
    from home.tasks import write_one_row

    prefix = f"bench-row-{uuid.uuid4().hex[:8]}-"
    after = WorkerHeartbeat.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    start = time.perf_counter()
    for n in range(count):
        write_one_row.delay(f"{prefix}{n}")
    processes.wait_until(
        lambda: count_of("SELECT COUNT(*) FROM home_workerheartbeat WHERE id > %s AND hostname LIKE %s",
                         [after, f"{prefix}%"]) >= count,
        "the one-row tasks", 600, worker, interval=0.01)
    return count / (time.perf_counter() - start)


def grading_burst(count, data, worker):
    """`count` attempts submitted in one transaction: how many a second the worker grades."""
    from django.db import transaction

    from quizzes import services
    from tests.factories import right_answers

    people, attempts = learners_with_attempts(count, data)
    answers = [right_answers(attempt) for attempt in attempts]
    # The gradings are queued together when the transaction commits, and the clock
    # starts there (submitting is not what this row measures).
    with transaction.atomic():
        for person, attempt, raw in zip(people, attempts, answers):
            services.submit_attempt(user=person, attempt_id=attempt.pk, raw=raw)
        start = time.perf_counter()
    ids = [attempt.pk for attempt in attempts]  # the newest attempts: no other lies in their range
    processes.wait_until(
        lambda: count_of("SELECT COUNT(*) FROM quizzes_attempt WHERE id BETWEEN %s AND %s AND status IN (%s, %s)",
                         [min(ids), max(ids), *SETTLED]) >= count,
        "the burst of gradings", 600, worker, interval=0.01)
    return count / (time.perf_counter() - start)


def count_of(sql, params):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


# --- Recount -----------------------------------------------------------------------------


def recount(result, sizes, data, repeat=3):
    """Recount every enrolment of the demo course after a lesson is published in it,
    against one UPDATE over the same enrolment rows. Each timed recount follows a
    publish of its own: a recount of an unchanged outline returns at once, and this row
    measures the real one."""
    from django.db import connection
    from django.utils import timezone

    from courses.selectors import course_outline
    from learners import progress
    from learners.models import Enrollment, StepProgress
    from tests.factories import make_lesson

    course = data["course"]
    count = sizes["recount"]
    say(f"recount of {count:,} enrolments after a publish, {repeat} times…")
    steps = course_outline(course).steps
    people = make_people(count, "recompte")
    Enrollment.objects.bulk_create([Enrollment(user=person, course=course) for person in people], batch_size=2000)
    now = timezone.now()
    StepProgress.objects.bulk_create(
        [StepProgress(user=person, step=step, course=course, status="completed", completed_at=now)
         for index, person in enumerate(people) for step in steps[: index % len(steps)]],
        batch_size=5000,
    )
    progress.recount_course(course, force=True)  # the rollups as they stood before the publish
    total = Enrollment.objects.filter(course=course).count()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    ceilings, timings = [], []
    for number in range(repeat):
        run = uuid.uuid4().hex[:8]
        # the publish: one more step for everyone
        make_lesson(course_outline(course).modules[-1].page, title=f"Leçon du banc {run}", slug=f"banc-{run}")
        steps_now = len(course_outline(course).steps)

        def bulk_update():
            with connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE learners_enrollment SET total_steps = %s, percent = (100 * completed_steps) / %s "
                    "WHERE course_id = %s", [steps_now, steps_now, course.pk])

        # The recount first: the ceiling writes the new totals itself, and a recount after
        # it would find those rows already right and skip writing them.
        start = time.perf_counter()
        recounted = progress.recount_course(course)
        timings.append(time.perf_counter() - start)
        if recounted != total:
            raise BenchError(f"the recount after publish {number + 1} recounted {recounted} of {total} enrolments")
        ceilings.append(median_seconds(bulk_update, 1))
    seconds, ceiling = statistics.median(timings), statistics.median(ceilings)
    row(result, "recount", seconds, ceiling, seconds / ceiling, unit="s", enrolments=total)

    # A publish that adds a lesson is recounted in place (learners.progress.add_new_steps);
    # one that moves or removes steps reads every learner's step progress: say what that costs.
    start = time.perf_counter()
    progress.recount_course(course, force=True)
    full = time.perf_counter() - start
    result["notes"].append(
        f"Recount of all {total:,} enrolments from their step progress (a step moved or removed): "
        f"{full * 1000:.1f} ms, {full / ceiling:.1f}× the bulk UPDATE."
    )


if __name__ == "__main__":
    main()
