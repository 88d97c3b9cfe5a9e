from celery import shared_task

from home import services


@shared_task(name="home.tasks.record_worker_heartbeat", bind=True)
def record_worker_heartbeat(self):
    """Beat sends this every minute; the health page reads the result."""
    services.record_worker_heartbeat(hostname=self.request.hostname or "unknown")
