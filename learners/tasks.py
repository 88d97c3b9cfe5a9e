import logging

from celery import shared_task
from django.db import OperationalError

from courses.models import CoursePage
from learners import progress

logger = logging.getLogger(__name__)


@shared_task(
    name="learners.tasks.recount_course_progress",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def recount_course_progress(course_id):
    """Recount every enrolment of a course whose steps changed. Idempotent."""
    course = CoursePage.objects.filter(pk=course_id).first()
    if course is None:  # the course itself was deleted: its enrolments went with it
        return 0
    return progress.recount_course(course)
