"""A task goes through the configured broker (files by default, Redis in CI's second
pass) to a real `celery worker` process, which writes to the test database."""

import pytest
from django.test import Client

from home.models import WorkerHeartbeat
from home.tasks import record_worker_heartbeat
from tests.conftest import wait_for

pytestmark = pytest.mark.worker


def test_a_real_worker_runs_a_task_sent_through_the_broker(celery_worker_process):
    # given a worker process and no heartbeat yet
    assert not WorkerHeartbeat.objects.exists()

    # when the task is sent through the broker
    record_worker_heartbeat.delay()

    # then the worker runs it and the row appears
    wait_for(WorkerHeartbeat.objects.exists, timeout=60, message="the worker to record its heartbeat")
    heartbeat = WorkerHeartbeat.objects.get()
    assert heartbeat.hostname.startswith("celery@")


def test_the_health_page_reports_the_worker_alive_once_it_answered(celery_worker_process):
    # given a health page that has heard of no worker
    assert Client().get("/sante/").json()["worker"] == "silent"

    # when a worker answers
    record_worker_heartbeat.delay()
    wait_for(WorkerHeartbeat.objects.exists, timeout=60, message="the worker to record its heartbeat")

    # then the health page says so
    body = Client().get("/sante/").json()
    assert body == {"database": "ok", "worker": "ok", "worker_last_seen": body["worker_last_seen"]}
    assert body["worker_last_seen"]
