import logging

from celery import shared_task
from django.utils import timezone

from config.queueing import durable
from courses.models import CoursePage
from learners import content_changes, progress, reminders

logger = logging.getLogger(__name__)


@shared_task(
    name="learners.tasks.recount_course_progress",
    **durable(max_retries=5, retry_backoff_max=600),  # 600 s: Celery's default
)
def recount_course_progress(course_id):
    """Recount every enrolment of a course whose steps changed. Idempotent."""
    content_changes.start_recount(course_id)
    course = CoursePage.objects.filter(pk=course_id).first()
    if course is None:  # the course itself was deleted: its enrolments went with it
        return 0
    return progress.recount_course(course)


@shared_task(
    name="learners.tasks.send_due_reminders",
    **durable(max_retries=5, retry_backoff_max=600),  # 600 s: Celery's default
)
def send_due_reminders():
    """Beat's daily run (08:00 Europe/Paris). Safe to run twice, or twice at once: one
    reminder per assignment and day, the database decides (learners.reminders)."""
    result = reminders.send_due_reminders(today=timezone.localdate())
    logger.info("Due reminders: %s sent, %s already sent today", result.sent, result.already)
    return result.sent


@shared_task(
    name="learners.tasks.build_export",
    **durable(max_retries=5, retry_backoff_max=600),  # 600 s: Celery's default
)
def build_export(export_id):
    """Write the file of a manager's large export (learners.exports). Idempotent."""
    from learners import exports

    return exports.build_export_file(export_id)


@shared_task(name="learners.tasks.delete_expired_exports")
def delete_expired_exports():
    """Delete the files of exports past their expiry (scheduled by beat every hour)."""
    from learners import exports

    return exports.delete_expired_exports()
