"""Notices on a learner's dashboard (learners.models.Notice): the door through which
another app tells a learner some news. Public names are in `__all__`."""

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from home.refusals import Kind, Refused
from learners.models import Notice, User

__all__ = ["Notice", "NoSuchNotice", "mark_seen", "post_quiz_reviewed", "unseen_notices"]


class NoSuchNotice(Refused):
    """No such notice, or someone else's: the same answer for both."""

    kind = Kind.NOT_FOUND
    message = _("Cet avis n'existe pas ou n'est pas le vôtre.")


def post_quiz_reviewed(*, user, attempt_id, quiz_title, percent, url):
    """Tell `user` that their attempt `attempt_id` at the quiz `quiz_title` is corrected,
    at `percent`. At most one notice per attempt: posting it again changes nothing."""
    with transaction.atomic():
        notice, created = Notice.objects.get_or_create(
            kind=Notice.Kind.QUIZ_REVIEWED, about_id=attempt_id,
            defaults={"user": user, "subject": quiz_title[:255], "percent": percent, "url": url},
        )
        if created:
            User.objects.filter(pk=user.pk).update(unseen_notices=F("unseen_notices") + 1)
    return notice


def unseen_notices(user):
    """`user`'s notices not yet marked seen, newest first: 1 query, none when `user` (the
    person's row as read with this request's session) counts no unseen notice."""
    if not user.unseen_notices:
        return []
    return list(Notice.objects.filter(user=user, seen_at__isnull=True).order_by("-created_at", "-pk"))


def mark_seen(*, user, notice_id):
    """`user` has read their notice `notice_id`: it leaves the dashboard. Marking it
    again is a no-op; someone else's notice is refused (NoSuchNotice)."""
    with transaction.atomic():
        if not Notice.objects.filter(pk=notice_id, user=user).exists():
            raise NoSuchNotice()
        if Notice.objects.filter(pk=notice_id, user=user, seen_at__isnull=True).update(seen_at=timezone.now()):
            User.objects.filter(pk=user.pk, unseen_notices__gt=0).update(unseen_notices=F("unseen_notices") - 1)
