"""The ceilings `make bench` measures grading against are real tasks a worker runs."""

import pytest

from home.models import WorkerHeartbeat
from home.tasks import write_one_row
from tests.utils import wait_for


@pytest.mark.worker
def test_the_one_row_task_writes_one_row_per_task_through_a_real_worker(celery_worker_process):
    # given a running worker
    wait_for(WorkerHeartbeat.objects.exists, timeout=60, message="the worker to announce itself")

    # when three one-row tasks are sent through the broker
    for n in range(3):
        write_one_row.delay(f"bench-row-{n}")

    # then each writes its own row, and nothing else
    wait_for(lambda: WorkerHeartbeat.objects.filter(hostname__startswith="bench-row-").count() == 3,
             timeout=60, message="the three rows")
    assert sorted(WorkerHeartbeat.objects.filter(hostname__startswith="bench-row-").values_list(
        "hostname", flat=True)) == ["bench-row-0", "bench-row-1", "bench-row-2"]
