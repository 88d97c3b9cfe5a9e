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
