"""Learner progress: enrolment, step views and completions, rollups, certificates.

`record_step_completed(user=..., page=..., score=None)` is the one door through which any
step (a lesson, a quiz) reports completion. Rollups per enrolment and per module are
written in the same transaction as the step, so reading progress never walks the tree."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.models import Page

from courses.models import CoursePage
from courses.selectors import course_of, course_outline
from learners import audit, certificates
from learners.models import Certificate, Enrollment, ModuleProgress, StepProgress

COMPLETED = StepProgress.Status.COMPLETED
# A time report can never claim more than the time since the previous one, nor more
# than this (the page reports every minute while the learner is active).
MAX_SECONDS_PER_REPORT = 120
# Stored on the certificate (shown on its public page), in the platform's language.
UNEARNED_CERTIFICATE_REASON = "Délivré avant que tous les quiz de la formation soient réussis."


class ProgressRefused(Exception):
    """A request about progress that cannot be granted; `message` says why to the learner."""

    status = 403
    message = _("Cette action n'est pas possible.")

    def __init__(self, message=None):
        super().__init__(message or self.message)
        if message:
            self.message = message


class NotAStep(ProgressRefused):
    status = 404
    message = _("Cette page n'est pas une étape publiée d'une formation.")


class NotEnrolled(ProgressRefused):
    message = _("Inscrivez-vous à la formation pour suivre cette étape et enregistrer votre progression.")


class CompletionNotEarned(ProgressRefused):
    """Raised with the step's own `completion_refused` message."""


class StepLocked(ProgressRefused):
    def __init__(self, blocking_step):
        self.blocking_step = blocking_step
        super().__init__(
            _("Cette étape s'ouvrira quand vous aurez terminé « %(title)s ».") % {"title": blocking_step.title}
        )


@dataclass
class Standing:
    """Where a learner stands in a course (and on one step of it, if `step` is set)."""

    outline: object
    step: Page | None = None
    enrollment: Enrollment | None = None
    completed_ids: set = field(default_factory=set)
    viewed_ids: set = field(default_factory=set)  # every step with a progress row (opened at least once)
    locked_ids: dict = field(default_factory=dict)  # step id -> the step that must be completed first

    @property
    def is_completed(self):
        return self.step is not None and self.step.pk in self.completed_ids

    @property
    def blocking_step(self):
        return self.locked_ids.get(self.step.pk) if self.step is not None else None

    def ensure_open(self):
        """Raise NotEnrolled or StepLocked unless the learner may work on the step."""
        if self.enrollment is None:
            raise NotEnrolled()
        if self.blocking_step is not None:
            raise StepLocked(self.blocking_step)


# --- Reading --------------------------------------------------------------------------


def locked_steps(outline, completed_ids):
    """In a sequential course, each step whose previous step is not completed, mapped to
    that previous step. Empty for a free course."""
    if not outline.course.sequential:
        return {}
    steps = outline.steps
    return {
        step.pk: previous
        for previous, step in zip(steps, steps[1:])
        if previous.pk not in completed_ids
    }


def course_standing(*, user, outline, step=None, enrollment=None):
    """Where `user` stands in the course of `outline`: 2 queries for a learner (1 when
    the caller already holds the enrolment)."""
    standing = Standing(outline=outline, step=step, enrollment=enrollment)
    rows = ()
    if enrollment is None and user.is_authenticated:
        standing.enrollment, rows = enrollment_with_step_rows(user_id=user.pk, course_id=outline.course.pk)
    elif enrollment is not None:
        rows = StepProgress.objects.filter(user=user, course=outline.course).values_list("step_id", "status")
    if standing.enrollment is not None:
        # What the page shows of the enrolment comes from the outline, not more queries.
        standing.enrollment.course = outline.course
        resume = next((step for step in outline.steps if step.pk == standing.enrollment.resume_step_id), None)
        if resume is not None:
            standing.enrollment.resume_step = resume
        for step_id, status in rows:
            standing.viewed_ids.add(step_id)
            if status == COMPLETED:
                standing.completed_ids.add(step_id)
        standing.locked_ids = locked_steps(outline, standing.completed_ids)
    return standing


def enrollment_with_step_rows(*, user_id, course_id):
    """(the learner's enrolment in the course or None, [(step id, status)] of their step
    rows in it) in one query: the enrolment LEFT JOIN its step rows. Read on every page a
    learner opens, so its SQL is written once, not compiled per request."""
    sql, fields, converters = _standing_sql()
    enrollment, rows = None, []
    with connection.cursor() as cursor:
        cursor.execute(sql, [user_id, course_id])
        for row in cursor.fetchall():
            if enrollment is None:
                values = list(row[: len(fields)])
                for index, col, field_converters in converters:
                    for convert in field_converters:
                        values[index] = convert(values[index], col, connection)
                enrollment = Enrollment.from_db(connection.alias, [f.attname for f in fields], values)
            if row[-2] is not None:
                rows.append((row[-2], row[-1]))
    return enrollment, rows


_standing_sql_by_vendor = {}


def _standing_sql():
    """The SQL of enrollment_with_step_rows for this database, with the converters the
    ORM would apply to each column (datetimes on SQLite)."""
    if connection.vendor not in _standing_sql_by_vendor:
        quote = connection.ops.quote_name
        enrollments, steps = Enrollment._meta.db_table, StepProgress._meta.db_table
        fields = Enrollment._meta.concrete_fields
        columns = ", ".join(f"e.{quote(f.column)}" for f in fields)
        sql = (
            f"SELECT {columns}, s.{quote('step_id')}, s.{quote('status')} FROM {quote(enrollments)} e "
            f"LEFT JOIN {quote(steps)} s ON s.{quote('user_id')} = e.{quote('user_id')} "
            f"AND s.{quote('course_id')} = e.{quote('course_id')} "
            f"WHERE e.{quote('user_id')} = %s AND e.{quote('course_id')} = %s"
        )
        converters = []
        for index, f in enumerate(fields):
            col = f.get_col(enrollments)
            found = connection.ops.get_db_converters(col) + f.get_db_converters(connection)
            if found:
                converters.append((index, col, found))
        _standing_sql_by_vendor[connection.vendor] = (sql, fields, converters)
    return _standing_sql_by_vendor[connection.vendor]


def step_access(*, user, page, outline=None, enrollment=None):
    """Where `user` stands on step `page`. Raises NotAStep if the page is no live step."""
    if outline is None:
        course = course_of(page)
        if course is None:
            raise NotAStep()
        outline = course_outline(course)
    if all(step.pk != page.pk for step in outline.steps):
        raise NotAStep()
    return course_standing(user=user, outline=outline, step=page, enrollment=enrollment)


# --- Writing --------------------------------------------------------------------------


def enroll(*, user, course):
    """Enrol `user` in `course` and compute their progress. Enrolling twice is a no-op
    that returns the same enrolment."""
    with transaction.atomic():
        enrollment, created = Enrollment.objects.get_or_create(user=user, course=course)
        enrollment.user = user
        if created:
            refresh_enrollments(course_outline(course), [enrollment])
    return enrollment


def record_step_viewed(*, access):
    """Note the learner's first view of the step (its time, and the enrolment's last
    step opened). Later views write nothing: `access` already knows, from the progress
    rows it read, whether the step was opened before; reading a page stays a read."""
    if access.enrollment is None or access.step.pk in access.viewed_ids:
        return
    # One INSERT that does nothing when the row exists: no read-then-write.
    StepProgress.objects.bulk_create(
        [StepProgress(user_id=access.enrollment.user_id, step_id=access.step.pk, course_id=access.outline.course.pk)],
        ignore_conflicts=True,
    )
    if access.enrollment.last_step_id != access.step.pk:
        Enrollment.objects.filter(pk=access.enrollment.pk).update(last_step_id=access.step.pk)


@dataclass
class Completion:
    enrollment: Enrollment
    next_step: Page | None  # the step after the completed one in the course, if any


def complete_step(*, user, page):
    """The learner's "J'ai terminé": record_step_completed, and the step to go to next
    from the same outline. Raises what record_step_completed raises."""
    enrollment, access = _complete(user=user, page=page)
    _previous, next_step = access.outline.neighbours(page)
    return Completion(enrollment=enrollment, next_step=next_step)


def record_step_completed(*, user, page, score=None):
    """Mark step `page` completed for `user`, update the rollups, and issue the course
    certificate when it was the last step. Completing twice changes nothing.

    The step's own rule decides (`page.completion_earned(user)`): a lesson is completed
    by the learner's word, a quiz only by a passed, graded attempt, whoever calls.

    Raises NotAStep, NotEnrolled, StepLocked or CompletionNotEarned, and then stores nothing."""
    enrollment, _access = _complete(user=user, page=page, score=score)
    return enrollment


@transaction.atomic
def _complete(*, user, page, score=None):
    course = course_of(page)
    if course is None:
        raise NotAStep()
    # Lock the enrolment row: concurrent completions by one learner run one at a time.
    enrollment = Enrollment.objects.select_for_update().filter(user=user, course=course).first()
    if enrollment is None:
        raise NotEnrolled()
    enrollment.user = user
    access = step_access(user=user, page=page, outline=course_outline(course), enrollment=enrollment)
    if access.is_completed:
        return enrollment, access
    access.ensure_open()
    if not page.specific.completion_earned(user):
        raise CompletionNotEarned(page.specific.completion_refused)
    now = timezone.now()
    progress, created = StepProgress.objects.get_or_create(
        user=user,
        step_id=page.pk,
        defaults={"course": course, "status": COMPLETED, "completed_at": now, "score": score},
    )
    if not created:
        progress.status, progress.completed_at, progress.score = COMPLETED, now, score
        progress.save(update_fields=["status", "completed_at", "score"])
    refresh_enrollments(access.outline, [enrollment])
    return enrollment, access


def record_time_spent(*, user, page, seconds):
    """Add active time spent on a step, bounded: never more than MAX_SECONDS_PER_REPORT
    per report, nor more than the wall time since the previous report."""
    now = timezone.now()
    progress = StepProgress.objects.filter(user=user, step_id=page.pk).first()
    if progress is None:
        raise NotEnrolled()
    bound = MAX_SECONDS_PER_REPORT
    if progress.last_time_report_at is not None:
        bound = min(bound, int((now - progress.last_time_report_at).total_seconds()) + 1)
    seconds = max(0, min(int(seconds), bound))
    with transaction.atomic():
        StepProgress.objects.filter(pk=progress.pk).update(
            time_spent_seconds=F("time_spent_seconds") + seconds, last_time_report_at=now
        )
        Enrollment.objects.filter(user=user, course_id=progress.course_id).update(
            time_spent_seconds=F("time_spent_seconds") + seconds
        )
    return seconds


def unearned_completions():
    """Step rows marked completed whose step's own rule is not met: quizzes marked done
    through the lessons' "J'ai terminé" before the progress door asked the rule. One
    check per completed row: for the repair command, not for pages."""
    rows = list(StepProgress.objects.filter(status=COMPLETED).select_related("user"))
    steps = Page.objects.filter(pk__in={row.step_id for row in rows}).specific().in_bulk()
    return [row for row in rows if row.step_id in steps and not steps[row.step_id].completion_earned(row.user)]


@transaction.atomic
def withdraw_unearned_completions():
    """Reopen every unearned completion (marked viewed again), recount the courses
    concerned, and revoke the certificates those learners were issued for them, each
    with a reason and an audit event. Returns (completions reopened, certificates
    revoked). A second run finds nothing to do."""
    rows = unearned_completions()
    for row in rows:
        StepProgress.objects.filter(pk=row.pk).update(status=StepProgress.Status.VIEWED, completed_at=None, score=None)
        audit.record(actor=None, action=audit.Action.COMPLETION_WITHDRAWN, target=row.user,
                     step=row.step_id, course=row.course_id)
    affected = {(row.user_id, row.course_id) for row in rows}
    for course_id in {course_id for _user_id, course_id in affected}:
        recount_course(CoursePage.objects.get(pk=course_id))
    revoked = 0
    for certificate in Certificate.objects.select_for_update().filter(revoked_at__isnull=True, course__isnull=False):
        if (certificate.user_id, certificate.course_id) in affected:
            certificate.revoked_at = timezone.now()
            certificate.revocation_reason = UNEARNED_CERTIFICATE_REASON
            certificate.save(update_fields=["revoked_at", "revocation_reason"])
            audit.record(actor=None, action=audit.Action.CERTIFICATE_REVOKED, target=certificate,
                         reason=UNEARNED_CERTIFICATE_REASON)
            revoked += 1
    return len(rows), revoked


def recount_course(course):
    """Recount every enrolment of `course` after its content changed: a fixed number of
    queries whatever the number of learners."""
    with transaction.atomic():
        enrollments = list(
            Enrollment.objects.select_for_update(of=("self",)).filter(course=course).select_related("user")
        )
        refresh_enrollments(course_outline(course), enrollments)
    return len(enrollments)


def refresh_enrollments(outline, enrollments):
    """Bring the rollups of `enrollments` (all of `outline.course`) in line with the
    stored step progress and the live steps, and issue the certificates now due."""
    if not enrollments:
        return
    course = outline.course
    steps = outline.steps
    step_ids = [step.pk for step in steps]
    done = defaultdict(set)
    rows = StepProgress.objects.filter(course=course, status=COMPLETED, step_id__in=step_ids)
    if len(enrollments) == 1:
        rows = rows.filter(user_id=enrollments[0].user_id)
    for user_id, step_id in rows.values_list("user_id", "step_id"):
        done[user_id].add(step_id)

    now = timezone.now()
    newly_completed = []
    module_rows = []
    for enrollment in enrollments:
        completed = done[enrollment.user_id]
        enrollment.completed_steps = len(completed)
        enrollment.total_steps = len(steps)
        enrollment.percent = percent(len(completed), len(steps))
        enrollment.resume_step_id = next((pk for pk in step_ids if pk not in completed), None)
        finished = bool(steps) and len(completed) == len(steps)
        if finished and enrollment.completed_at is None:
            enrollment.completed_at = now
            newly_completed.append(enrollment)
        elif not finished:
            enrollment.completed_at = None
        for module in outline.modules:
            module_rows.append(
                ModuleProgress(
                    enrollment=enrollment,
                    module_id=module.page.pk,
                    completed_steps=sum(1 for step in module.steps if step.pk in completed),
                    total_steps=len(module.steps),
                )
            )
    Enrollment.objects.bulk_update(
        enrollments,
        ["completed_steps", "total_steps", "percent", "resume_step", "completed_at"],
        batch_size=500,
    )
    module_ids = [module.page.pk for module in outline.modules]
    ModuleProgress.objects.filter(enrollment__in=enrollments).exclude(module_id__in=module_ids).delete()
    ModuleProgress.objects.bulk_create(
        module_rows,
        update_conflicts=True,
        unique_fields=["enrollment", "module"],
        update_fields=["completed_steps", "total_steps"],
        batch_size=500,
    )
    certificates.issue_for(newly_completed, course)


def percent(done, total):
    """Whole percent, rounded down: 100 only when everything is done."""
    return 0 if total == 0 else (100 * done) // total
