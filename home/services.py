from django.utils import timezone

from home.models import WorkerHeartbeat


def record_worker_heartbeat(*, hostname):
    """Store that `hostname` is alive now. Repeated calls update one row per worker."""
    WorkerHeartbeat.objects.update_or_create(hostname=hostname, defaults={"last_seen": timezone.now()})
