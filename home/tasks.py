from celery import shared_task
from celery.signals import worker_ready

from home import services


@shared_task(name="home.tasks.record_worker_heartbeat", bind=True)
def record_worker_heartbeat(self):
    """Beat sends this every minute; the health page reads the result."""
    services.record_worker_heartbeat(hostname=self.request.hostname or "unknown")


@worker_ready.connect
def announce_worker(**kwargs):
    """A worker that just started says so through the broker, without waiting for beat."""
    record_worker_heartbeat.delay()


@shared_task(name="home.tasks.noop")
def noop():
    """Does nothing: the ceiling `make bench` measures real tasks against."""


@shared_task(name="home.tasks.write_one_row")
def write_one_row(key):
    """Writes one row (a heartbeat named `key`): the ceiling of grading throughput in
    `make bench`, a task that does the least a task touching the database can do."""
    services.write_one_row(key=key)
