"""Reminders about assigned courses, by mail, in the learner's language.

Automatic (the daily task): an assignment with a due date is reminded once when the
due date comes within the organisation's `reminder_days_before` days, then, once the
date has passed and while the course is not completed, the day after and every
`reminder_every_days` days; never when `reminder_days_before` is empty. By hand: a
manager reminds one person, or everyone late in a course.

Never twice the same day for the same assignment, whoever sends and however many
processes run at once: a `Reminder` row (unique per assignment and day) is inserted
first, in its own transaction; only the process whose insert succeeded sends, after
its commit. A failed delivery removes the row again, so that a later run may retry."""

import logging
import smtplib
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from urllib.parse import urljoin

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Exists, Max, OuterRef
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from learners.assignments import assignments_in_scope
from learners.models import Assignment, Enrollment, Organisation, Reminder

logger = logging.getLogger(__name__)

Kind = Reminder.Kind


@dataclass(frozen=True)
class Sent:
    sent: int = 0  # reminders claimed today by this call (their mail goes on commit)
    already: int = 0  # assignments someone had already reminded today: nothing sent


# --- When ---------------------------------------------------------------------------


def reminder_due(*, due_on, days_before, every_days, last_reminded_on, today):
    """Whether an assignment due `due_on`, last reminded `last_reminded_on` (or never),
    should be reminded automatically on `today`. Pure: no database.

    Before the due date: once, from `days_before` days ahead (a run missed on that day
    is caught up the next). After it: the day after, then every `every_days` days."""
    if days_before is None or due_on is None:
        return False
    window_opens = due_on - timedelta(days=days_before)
    if today < window_opens:
        return False
    if today <= due_on:
        return last_reminded_on is None or last_reminded_on < window_opens
    if last_reminded_on is None or last_reminded_on <= due_on:
        return True
    return (today - last_reminded_on).days >= every_days


def not_completed(assignments):
    """`assignments` whose person has not completed the course."""
    completed = Enrollment.objects.filter(
        user_id=OuterRef("user_id"), course_id=OuterRef("course_id"), completed_at__isnull=False
    )
    return assignments.exclude(Exists(completed))


def automatic_reminders_due(*, today):
    """The assignments the daily task reminds on `today`: 2 queries."""
    longest_notice = Organisation.objects.aggregate(days=Max("reminder_days_before"))["days"]
    if longest_notice is None:  # reminders are off everywhere
        return []
    candidates = (
        not_completed(
            Assignment.objects.filter(
                organisation__reminder_days_before__isnull=False,
                due_on__isnull=False,
                due_on__lte=today + timedelta(days=longest_notice),
                course__live=True,
                user__is_active=True,
            )
        )
        .select_related("organisation", "user", "course")
        .annotate(last_reminded_on=Max("reminders__sent_on"))
        .order_by("pk")
    )
    return [
        assignment
        for assignment in candidates
        if reminder_due(
            due_on=assignment.due_on,
            days_before=assignment.organisation.reminder_days_before,
            every_days=assignment.organisation.reminder_every_days,
            last_reminded_on=assignment.last_reminded_on,
            today=today,
        )
    ]


# --- Sending ------------------------------------------------------------------------


def send_due_reminders(*, today=None):
    """The daily run: remind everyone due a reminder on `today` (by default the local
    date). Running it again the same day, or twice at once, sends nothing more."""
    today = today or timezone.localdate()
    return send_reminders(automatic_reminders_due(today=today), kind=Kind.AUTOMATIC, sent_by=None, today=today)


def remind_by_hand(*, scope, course, sent_by, person=None, today=None):
    """A manager reminds `person` about `course`, or, without a person, everyone late
    in it, among the people `scope` sees. Completed courses are never reminded; someone
    already reminded today (by hand or by the daily task) is not reminded again.
    Returns None when `person` has no assignment of `course` in scope."""
    today = today or timezone.localdate()
    rows = assignments_in_scope(scope).filter(course=course)
    if person is not None:
        rows = rows.filter(user=person)
        if not rows.exists():
            return None
    else:
        rows = rows.filter(due_on__lt=today)
    rows = not_completed(rows).filter(user__is_active=True).select_related("organisation", "user", "course")
    return send_reminders(list(rows), kind=Kind.MANUAL, sent_by=sent_by, today=today)


def send_reminders(assignments, *, kind, sent_by, today):
    """Claim today's reminder of each assignment, then mail those claimed here after
    the commit. Each claim is its own transaction: the unique (assignment, day) row
    decides between concurrent senders."""
    sent = already = 0
    for assignment in assignments:
        reminder = claim(assignment=assignment, kind=kind, sent_by=sent_by, today=today)
        if reminder is None:
            already += 1
            continue
        sent += 1
        transaction.on_commit(partial(deliver, reminder=reminder, assignment=assignment))
    return Sent(sent=sent, already=already)


def claim(*, assignment, kind, sent_by, today):
    """Insert today's Reminder row for `assignment`; None when one exists already."""
    try:
        with transaction.atomic():
            return Reminder.objects.create(assignment=assignment, sent_on=today, kind=kind, sent_by=sent_by)
    except IntegrityError:
        return None


def deliver(*, reminder, assignment):
    """Send the mail of a claimed reminder. If it cannot leave, forget the claim so that
    a later run (or a manager) may try again today."""
    try:
        send_mail(**reminder_mail(assignment, today=reminder.sent_on), fail_silently=False)
    except (smtplib.SMTPException, OSError):
        logger.exception("Reminder %s for assignment %s could not be sent", reminder.pk, assignment.pk)
        Reminder.objects.filter(pk=reminder.pk).delete()


# --- The mail -------------------------------------------------------------------------


def absolute_url(path):
    return urljoin(settings.PUBLIC_BASE_URL + "/", path.lstrip("/"))


def resume_path(assignment):
    """Where the learner picks up the course: their next step, else the course page."""
    enrollment = (
        Enrollment.objects.filter(user_id=assignment.user_id, course_id=assignment.course_id)
        .select_related("resume_step")
        .first()
    )
    page = enrollment.resume_step if enrollment is not None and enrollment.resume_step else assignment.course
    parts = page.get_url_parts()
    return (parts[2] if parts else None) or reverse("dashboard"), enrollment


def reminder_mail(assignment, *, today):
    """The keyword arguments of send_mail for `assignment`, written in its learner's
    language."""
    user = assignment.user
    path, enrollment = resume_path(assignment)
    with translation.override(user.preferred_language or settings.LANGUAGE_CODE):
        due = date_format(assignment.due_on, "j F Y") if assignment.due_on is not None else ""
        values = {"course": assignment.course.title, "date": due}
        overdue = assignment.due_on is not None and assignment.due_on < today
        if assignment.due_on is None:
            subject = _("Rappel : « %(course)s » vous attend") % values
        elif overdue:
            subject = _("Rappel : « %(course)s » devait être terminée le %(date)s") % values
        else:
            subject = _("Rappel : « %(course)s » à terminer avant le %(date)s") % values
        body = render_to_string("learners/emails/assignment_reminder.txt", {
            "user": user,
            "organisation": assignment.organisation.name,
            "overdue": overdue,
            "enrollment": enrollment,
            "resume_url": absolute_url(path),
            "dashboard_url": absolute_url(reverse("dashboard")),
            **values,
        })
    return {"subject": subject, "message": body, "from_email": None, "recipient_list": [user.email]}
