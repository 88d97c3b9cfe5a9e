from datetime import timedelta

from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from home.models import WorkerHeartbeat

# Beat records a heartbeat every minute: three missed beats mean no worker is running.
HEARTBEAT_STALE_AFTER = timedelta(minutes=3)


@never_cache
def health(request):
    """For operators and load balancers: is the database reachable, is a worker alive?"""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    latest = WorkerHeartbeat.objects.order_by("-last_seen").first()
    worker_alive = latest is not None and timezone.now() - latest.last_seen < HEARTBEAT_STALE_AFTER
    return JsonResponse(
        {
            "database": "ok",
            "worker": "ok" if worker_alive else "silent",
            "worker_last_seen": latest.last_seen.isoformat() if latest else None,
        }
    )


def refusal(request, message, status, as_json=False):
    """An action that cannot be granted: the reason, in the person's language, as a page
    or as JSON (`as_json`, or asked by the pages' scripts with Accept: application/json)."""
    if as_json or wants_json(request):
        return JsonResponse({"error": str(message)}, status=status)
    return render(request, "refused.html", {"message": message}, status=status)


def wants_json(request):
    return request.headers.get("Accept", "").startswith("application/json")
