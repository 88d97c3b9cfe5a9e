"""Sending Celery tasks from the code that changes the database, and what tasks retry.

Two rules shared by every app:

* A task is sent only once the transaction that made its work visible has committed
  (`enqueue_on_commit`), and a broker that is away never undoes that transaction nor
  answers a learner with an error: the send is logged, and the periodic sweeps (or the
  next change) send it again.
* A task retries the database errors that pass by themselves (`TRANSIENT_DATABASE_ERRORS`:
  a lock timeout, a dropped connection), never a bug.
"""

import logging

from django.db import InterfaceError, OperationalError, transaction
from kombu.exceptions import OperationalError as BrokerUnavailable

__all__ = ["BrokerUnavailable", "TRANSIENT_DATABASE_ERRORS", "durable", "enqueue_on_commit", "send_task"]

logger = logging.getLogger(__name__)

TRANSIENT_DATABASE_ERRORS = (OperationalError, InterfaceError)


def durable(**overrides):
    """The options of a task whose message must not be lost once sent: acknowledged only
    when done (a worker killed mid-task hands it to another), retried with backoff on
    transient database errors. Such a task must be idempotent."""
    return {
        "acks_late": True, "reject_on_worker_lost": True, "autoretry_for": TRANSIENT_DATABASE_ERRORS,
        "retry_backoff": True, "retry_backoff_max": 60, "max_retries": 8, **overrides,
    }


def send_task(task, *args, **options):
    """Send `task` now with `args` (and apply_async `options`, e.g. eta). Returns False,
    after logging, when the broker cannot be reached."""
    try:
        task.apply_async(args, **options)
    except BrokerUnavailable:
        logger.exception("Could not queue %s(%s); it is sent again later", task.name, ", ".join(map(repr, args)))
        return False
    return True


def enqueue_on_commit(task, *args, **options):
    """Send `task` once the current transaction commits (at once outside of one)."""
    transaction.on_commit(lambda: send_task(task, *args, **options))
