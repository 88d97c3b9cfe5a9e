"""Celery tasks of the courses app: thin wrappers, ids in, a service does the work."""

from celery import shared_task

from config.queueing import TRANSIENT_DATABASE_ERRORS, durable
from courses import scenario_services


@shared_task(
    name="courses.tasks.score_scenario_run",
    **durable(),
)
def score_scenario_run(run_id):
    """Score one ended crisis-room run. Safe to run twice: the second run does nothing."""
    return scenario_services.score_run(run_id)


@shared_task(name="courses.tasks.sweep_scenario_runs", autoretry_for=TRANSIENT_DATABASE_ERRORS, max_retries=3)
def sweep_scenario_runs():
    """Beat runs this with the quiz sweep: runs whose time ran out end, lost scorings are queued again."""
    return scenario_services.sweep_runs()
