"""When a trainer publishes, unpublishes, moves or deletes a page of a course, the
progress of everyone enrolled in it is recounted by a Celery task after the commit.

Recounts are coalesced: a change sets the course's PendingRecount marker and queues a
recount only if no marker was set, and the task clears the marker as it starts, before
it reads the course. A burst of publishes therefore queues one recount; a change that
lands after the task started sets a new marker and queues the next one, so no change is
ever left uncounted. A marker whose recount could not be sent (broker away) is cleared
at once, and one older than RECOUNT_MARKER_STALE is taken as lost and sent again."""

import logging
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models.signals import post_delete
from django.utils import timezone
from wagtail.models import Page

from config import queueing
from wagtail.signals import page_published, page_unpublished, post_page_move

from courses.models import CoursePage
from courses.selectors import ancestor_paths
from learners.models import PendingRecount

logger = logging.getLogger(__name__)

# A queued recount starts within seconds; a marker this old lost its message.
RECOUNT_MARKER_STALE = timedelta(minutes=5)


def course_id_for(path):
    return CoursePage.objects.filter(path__in=ancestor_paths(path) + [path]).values_list("pk", flat=True).first()


def schedule_recount(path):
    course_id = course_id_for(path)
    if course_id is not None:
        request_recount(course_id)


def request_recount(course_id):
    """Queue a recount of `course_id` after the commit, unless one is already queued
    and not started. Returns True if this call queued it."""
    now = timezone.now()
    try:
        with transaction.atomic():
            marker, created = PendingRecount.objects.get_or_create(course_id=course_id, defaults={"requested_at": now})
    except IntegrityError:  # a concurrent change set it first: its recount will see ours
        return False
    if not created:
        if marker.requested_at > now - RECOUNT_MARKER_STALE:
            return False
        PendingRecount.objects.filter(pk=marker.pk).update(requested_at=now)
    transaction.on_commit(lambda: send_recount(course_id))
    return True


def send_recount(course_id):
    from learners.tasks import recount_course_progress

    if not queueing.send_task(recount_course_progress, course_id):
        # The change itself is saved; the next change of this course queues a recount.
        PendingRecount.objects.filter(course_id=course_id).delete()


def start_recount(course_id):
    """The recount task calls this before it reads the course: changes from now on queue
    a new recount."""
    PendingRecount.objects.filter(course_id=course_id).delete()


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
