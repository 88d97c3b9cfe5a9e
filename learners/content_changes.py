"""When a trainer publishes, unpublishes, moves or deletes a page of a course, the
progress of everyone enrolled in it is recounted by a Celery task after the commit."""

import logging

from django.db import transaction
from django.db.models.signals import post_delete
from kombu.exceptions import OperationalError as BrokerUnavailable
from wagtail.models import Page
from wagtail.signals import page_published, page_unpublished, post_page_move

from courses.models import CoursePage
from courses.selectors import ancestor_paths

logger = logging.getLogger(__name__)


def course_id_for(path):
    return CoursePage.objects.filter(path__in=ancestor_paths(path) + [path]).values_list("pk", flat=True).first()


def schedule_recount(path):
    course_id = course_id_for(path)
    if course_id is not None:
        transaction.on_commit(lambda: send_recount(course_id))


def send_recount(course_id):
    from learners.tasks import recount_course_progress

    try:
        recount_course_progress.delay(course_id)
    except BrokerUnavailable:
        # The change itself is saved; the next change of this course recounts it all.
        logger.exception("Could not queue the progress recount of course %s", course_id)


def on_publish_or_unpublish(sender, instance, **kwargs):
    schedule_recount(instance.path)


def on_delete(sender, instance, **kwargs):
    # A page's rows are deleted as the specific type and as Page: act once, on the first.
    if isinstance(instance, Page) and type(instance) is not Page:
        schedule_recount(instance.path)


def on_move(sender, instance, parent_page_before, parent_page_after, **kwargs):
    schedule_recount(parent_page_before.path)
    if parent_page_after.pk != parent_page_before.pk:
        schedule_recount(parent_page_after.path)


def connect():
    page_published.connect(on_publish_or_unpublish, dispatch_uid="learners-recount-published")
    page_unpublished.connect(on_publish_or_unpublish, dispatch_uid="learners-recount-unpublished")
    post_page_move.connect(on_move, dispatch_uid="learners-recount-moved")
    post_delete.connect(on_delete, dispatch_uid="learners-recount-deleted")
