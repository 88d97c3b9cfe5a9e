"""A task goes through the configured broker (files by default, Redis in CI's second
pass) to a real `celery worker` process, which writes to the test database."""

import pytest
from django.test import Client

from home.models import WorkerHeartbeat
from home.tasks import record_worker_heartbeat
from tests.utils import wait_for


@pytest.mark.worker
def test_a_real_worker_runs_a_task_sent_through_the_broker(celery_worker_process):
    # given a running worker whose start-up heartbeat has been recorded
    wait_for(WorkerHeartbeat.objects.exists, timeout=60, message="the worker to announce itself")
    first = WorkerHeartbeat.objects.get().last_seen

    # when the task is sent through the broker
    record_worker_heartbeat.delay()

    # then the worker runs it and the row moves on
    wait_for(lambda: WorkerHeartbeat.objects.get().last_seen > first, timeout=60, message="a second heartbeat")
    assert WorkerHeartbeat.objects.get().hostname.startswith("celery@")


@pytest.mark.django_db
def test_the_health_page_reports_a_silent_worker():
    assert Client().get("/sante/").json() == {"database": "ok", "worker": "silent", "worker_last_seen": None}


@pytest.mark.worker
def test_a_starting_worker_announces_itself_on_the_health_page(celery_worker_process):
    # when a worker starts, it sends its first heartbeat without waiting for beat
    wait_for(WorkerHeartbeat.objects.exists, timeout=60, message="the worker to announce itself")

    # then the health page says it is alive
    body = Client().get("/sante/").json()
    assert body == {"database": "ok", "worker": "ok", "worker_last_seen": body["worker_last_seen"]}
    assert body["worker_last_seen"]


@pytest.mark.worker
def test_publishing_a_lesson_recounts_progress_through_the_worker(celery_worker_process):
    from courses.selectors import course_outline
    from learners import progress
    from learners.models import Enrollment
    from tests.factories import make_course_with, make_lesson, make_user

    # given two learners enrolled in a one-lesson course, one of whom finished it
    course = make_course_with(modules=1, lessons_per_module=1)
    done, started = make_user(), make_user()
    for user in (done, started):
        progress.enroll(user=user, course=course)
    progress.record_step_completed(user=done, page=course_outline(course).steps[0])

    # when a trainer publishes a second lesson
    make_lesson(course.get_children().get().specific)

    # then the worker recounts every enrolment
    wait_for(
        lambda: set(Enrollment.objects.values_list("total_steps", flat=True)) == {2},
        timeout=60,
        message="the worker to recount the enrolments",
    )
    assert Enrollment.objects.get(user=done).percent == 50
    assert Enrollment.objects.get(user=done).completed_at is None
