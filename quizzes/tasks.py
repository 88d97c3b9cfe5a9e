"""Quiz tasks, on the `grading` queue but the item statistics' two and the regrades' two,
on `reports` (config.settings: CELERY_TASK_ROUTES)."""

from celery import shared_task

from config.queueing import TRANSIENT_DATABASE_ERRORS, durable
from quizzes import reviews, services


@shared_task(
    name="quizzes.tasks.grade_attempt",
    **durable(),
)
def grade_attempt(attempt_id):
    """Grade one submitted attempt. Safe to run twice: the second run does nothing."""
    return services.grade_submitted_attempt(attempt_id)


@shared_task(
    name="quizzes.tasks.finalise_reviewed_attempt",
    **durable(),
)
def finalise_reviewed_attempt(attempt_id):
    """Finalise an attempt whose essays are all reviewed. Safe to run twice: the second run does nothing."""
    return reviews.finalise_reviewed_attempt(attempt_id)


@shared_task(
    name="quizzes.tasks.submit_expired_attempt",
    acks_late=True,
    autoretry_for=TRANSIENT_DATABASE_ERRORS,
    retry_backoff=True,
    max_retries=8,
)
def submit_expired_attempt(attempt_id):
    """Sent with an ETA at the deadline of a timed attempt."""
    services.submit_expired(attempt_id=attempt_id)


@shared_task(name="quizzes.tasks.requeue_stuck_attempts", autoretry_for=TRANSIENT_DATABASE_ERRORS, max_retries=3)
def requeue_stuck_attempts():
    """Beat runs this every QUIZ_SWEEP_SECONDS (30 s): nothing submitted stays ungraded, nothing timed stays open,
    nothing reviewed stays unfinalised."""
    reviews.requeue_reviewed_attempts()
    return services.requeue_stuck_attempts()


@shared_task(
    name="quizzes.tasks.compute_item_statistics",
    **durable(),
)
def compute_item_statistics(quiz_id):
    """Compute and store a quiz's item statistics (quizzes.statistics). Idempotent."""
    from quizzes import statistics

    return statistics.compute_statistics(quiz_id) is not None


@shared_task(name="quizzes.tasks.send_due_item_statistics", autoretry_for=TRANSIENT_DATABASE_ERRORS, max_retries=3)
def send_due_item_statistics():
    """Beat runs this every 30 s: the quizzes graded since their last computation, and
    waiting QUIZ_STATISTICS_DELAY, are computed once each (quizzes.statistics)."""
    from quizzes import statistics

    return statistics.send_due_computations()


@shared_task(name="quizzes.tasks.plan_regrade", **durable())
def plan_regrade(regrade_id):
    """A regrade's coordinator: sends its attempts left as batches (quizzes.regrading). Idempotent."""
    from quizzes import regrading

    return regrading.plan_regrade(regrade_id)


@shared_task(name="quizzes.tasks.regrade_batch", **durable())
def regrade_batch(regrade_id, attempt_ids):
    """Regrade a batch of attempts (quizzes.regrading). Each attempt is regraded once per regrade."""
    from quizzes import regrading

    return regrading.regrade_attempts(regrade_id, attempt_ids)
