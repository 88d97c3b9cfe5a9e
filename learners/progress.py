"""Learner progress: enrolment, step views and completions, rollups, certificates.

`record_step_completed(user=..., page=..., score=None)` is the one door through which any
step (a lesson, a quiz) reports completion. Rollups per enrolment and per module are
written in the same transaction as the step, so reading progress never walks the tree."""

import hashlib
import json
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.models import Page

from courses.models import CoursePage
from courses.selectors import course_of, course_outline
from home.refusals import Kind, Refused
from learners import audit, certificates
from learners.models import Certificate, Enrollment, RecountedOutline, StepProgress
from learners.rawsql import column_converters, converted, upsert

COMPLETED = StepProgress.Status.COMPLETED
# A time report can never claim more than the time since the previous one, nor more
# than this (the page reports every minute while the learner is active).
MAX_SECONDS_PER_REPORT = 120
# Stored on the certificate (shown on its public page), in the platform's language.
UNEARNED_CERTIFICATE_REASON = "Délivré avant que tous les quiz de la formation soient réussis."
REGRADED_CERTIFICATE_REASON = certificates.REGRADED_REASON  # reinstated when the course is completed again
# Steps per bit mask when the rollups find the resume step (write_rollups): 62 bits
# keep a chunk's sum and its "+ 1" inside a signed 64-bit integer.
RESUME_CHUNK = 62


class ProgressRefused(Refused):
    """A request about progress that cannot be granted; `message` says why to the learner."""

    kind = Kind.FORBIDDEN


class NotAStep(ProgressRefused):
    kind = Kind.NOT_FOUND
    message = _("Cette page n'est pas une étape publiée d'une formation.")


class NotEnrolled(ProgressRefused):
    message = _("Inscrivez-vous à la formation pour suivre cette étape et enregistrer votre progression.")


class CompletionNotEarned(ProgressRefused):
    """Raised with the step's own `completion_refused` message."""


class InvalidDuration(ProgressRefused):
    """A time report that is not a whole number of seconds."""

    kind = Kind.INVALID
    message = _("Durée invalide.")


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
    # The learner's work on the exercises of `step` (StepProgress.exercises), read with the rows.
    exercises: dict = field(default_factory=dict)

    @property
    def is_completed(self):
        return self.step is not None and self.step.pk in self.completed_ids

    @property
    def blocking_step(self):
        return self.locked_ids.get(self.step.pk) if self.step is not None else None

    def ensure_unlocked(self):
        """Raise NotEnrolled or StepLocked unless the learner may work on the step: enrolled
        in its course, and no earlier step to complete first."""
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


def course_standing(*, user, outline, step=None, lock=False):
    """Where `user` stands in the course of `outline`: 1 query for a learner (the
    enrolment with its step rows, and the exercises of `step`). `lock`: the enrolment
    row stays locked until the transaction ends (a write follows)."""
    standing = Standing(outline=outline, step=step, enrollment=None)
    rows = ()
    if user.is_authenticated:
        standing.enrollment, rows, standing.exercises = enrollment_with_step_rows(
            user_id=user.pk, course_id=outline.course.pk, step_id=step.pk if step is not None else None, lock=lock)
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


def enrollment_with_step_rows(*, user_id, course_id, step_id=None, lock=False):
    """(the learner's enrolment in the course or None, [(step id, status)] of their step
    rows in it, the exercises of their row for `step_id` as a dict) in one query: the
    enrolment LEFT JOIN its step rows, the enrolment row locked if `lock` (on SQLite the
    write transaction is the lock). Read on every page a learner opens, and by every
    completion, so its SQL is written once, not compiled per request."""
    sql, fields, converters = _standing_sql(lock)
    enrollment, rows, exercises = None, [], {}
    with connection.cursor() as cursor:
        cursor.execute(sql, [step_id, user_id, course_id])
        for row in cursor.fetchall():
            if enrollment is None:
                values = converted(list(row[: len(fields)]), converters)
                enrollment = Enrollment.from_db(connection.alias, [f.attname for f in fields], values)
            if row[-3] is not None:
                rows.append((row[-3], row[-2]))
            if row[-1] is not None:
                exercises = json.loads(row[-1]) if isinstance(row[-1], (str, bytes)) else dict(row[-1])
    return enrollment, rows, exercises


_standing_sql_by_vendor = {}


def _standing_sql(lock):
    """The SQL of enrollment_with_step_rows for this database, with the converters the
    ORM would apply to each column (datetimes on SQLite)."""
    key = (connection.vendor, lock)
    if key not in _standing_sql_by_vendor:
        quote = connection.ops.quote_name
        enrollments, steps = Enrollment._meta.db_table, StepProgress._meta.db_table
        fields = Enrollment._meta.concrete_fields
        columns = ", ".join(f"e.{quote(f.column)}" for f in fields)
        sql = (
            f"SELECT {columns}, s.{quote('step_id')}, s.{quote('status')}, "
            f"CASE WHEN s.{quote('step_id')} = %s THEN s.{quote('exercises')} END "
            f"FROM {quote(enrollments)} e "
            f"LEFT JOIN {quote(steps)} s ON s.{quote('user_id')} = e.{quote('user_id')} "
            f"AND s.{quote('course_id')} = e.{quote('course_id')} "
            f"WHERE e.{quote('user_id')} = %s AND e.{quote('course_id')} = %s"
        )
        if lock and connection.features.has_select_for_update_of:
            sql += " FOR UPDATE OF e"
        converters = column_converters(Enrollment, *(f.name for f in fields))
        _standing_sql_by_vendor[key] = (sql, fields, converters)
    return _standing_sql_by_vendor[key]


def step_access(*, user, page, outline=None, lock=False):
    """Where `user` stands on step `page` (`lock`: see course_standing). Raises NotAStep
    if the page is no live step."""
    if outline is None:
        course = course_of(page)
        if course is None:
            raise NotAStep()
        outline = course_outline(course)
    if all(step.pk != page.pk for step in outline.steps):
        raise NotAStep()
    return course_standing(user=user, outline=outline, step=page, lock=lock)


def locked_step_access(*, user, page, outline):
    """step_access with the learner's enrolment locked, for a write to their progress in
    the current transaction: concurrent writes by one learner run one at a time. Raises
    NotAStep, or NotEnrolled."""
    access = step_access(user=user, page=page, outline=outline, lock=True)
    if access.enrollment is None:
        raise NotEnrolled()
    access.enrollment.user = user
    return access


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


def record_step_completed(*, user, page, score=None, outline=None):
    """Mark step `page` completed for `user`, update the rollups, and issue the course
    certificate when it was the last step. Completing twice changes nothing.

    The step's own rule decides (`page.completion_earned(user)`): a lesson is completed
    by the learner's word, a quiz only by a passed, graded attempt, whoever calls.

    A caller that already holds the course `outline` (read before its own write
    transaction, to keep it short) passes it. Raises NotAStep, NotEnrolled, StepLocked or
    CompletionNotEarned, and then stores nothing."""
    enrollment, _access = _complete(user=user, page=page, score=score, outline=outline)
    return enrollment


def _complete(*, user, page, score=None, outline=None):
    if outline is None:
        course = course_of(page)
        if course is None:
            raise NotAStep()
        outline = course_outline(course)
    # Within the caller's transaction when there is one (a grading), without a savepoint of
    # its own (two round trips fewer): every refusal comes before the first write and is
    # raised once out of the block, so that it never marks the caller's transaction for rollback.
    with transaction.atomic(savepoint=False):
        try:
            enrollment, access = _complete_locked(user=user, page=page, score=score, outline=outline)
        except ProgressRefused as refused:
            refusal = refused
        else:
            refusal = None
    if refusal is not None:
        raise refusal
    return enrollment, access


def _complete_locked(*, user, page, score, outline):
    access = locked_step_access(user=user, page=page, outline=outline)
    enrollment = access.enrollment
    if access.is_completed:
        return enrollment, access
    access.ensure_unlocked()
    if not page.specific.completion_earned(user):
        raise CompletionNotEarned(page.specific.completion_refused)
    # The refusals are all above: from here on, only writes.
    # One statement whether the step was viewed before or not (first view kept).
    now = timezone.now()
    upsert(
        StepProgress,
        {"user_id": user.pk, "step_id": page.pk, "course_id": outline.course.pk, "status": COMPLETED,
         "first_viewed_at": now, "completed_at": now, "score": score},
        unique=["user", "step"], update=["status", "completed_at", "score"],
    )
    refresh_enrollments(outline, [enrollment])
    return enrollment, access


def record_time_spent(*, user, page, seconds):
    """Add active time spent on a step, bounded: never more than MAX_SECONDS_PER_REPORT
    per report, nor more than the wall time since the previous report. `seconds` may be
    the raw report (a string): InvalidDuration unless it is a whole number."""
    try:
        seconds = int(seconds)
    except (TypeError, ValueError):
        raise InvalidDuration() from None
    now = timezone.now()
    progress = StepProgress.objects.filter(user=user, step_id=page.pk).first()
    if progress is None:
        raise NotEnrolled()
    bound = MAX_SECONDS_PER_REPORT
    if progress.last_time_report_at is not None:
        bound = min(bound, int((now - progress.last_time_report_at).total_seconds()) + 1)
    seconds = max(0, min(seconds, bound))
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
        recount_course(CoursePage.objects.get(pk=course_id), force=True)
    revoked = 0
    for certificate in Certificate.objects.select_for_update().filter(revoked_at__isnull=True, course__isnull=False):
        if (certificate.user_id, certificate.course_id) in affected:
            revoke_certificate(certificate, UNEARNED_CERTIFICATE_REASON)
            revoked += 1
    return len(rows), revoked


def revoke_certificate(certificate, reason):
    """Revoke `certificate` (locked by the caller) now, for `reason`, with an audit event."""
    certificate.revoked_at = timezone.now()
    certificate.revocation_reason = reason
    certificate.save(update_fields=["revoked_at", "revocation_reason"])
    audit.record(actor=None, action=audit.Action.CERTIFICATE_REVOKED, target=certificate, reason=reason)


def withdraw_step_completion(*, user, page, reason, outline=None):
    """Reopen step `page` for `user` when the step's own rule no longer holds (a quiz
    whose only passing attempt was graded again as failed): the step is marked viewed
    again, with an audit event, the rollups follow, and the learner's certificate of the
    course, which needs every step completed, is revoked for `reason`. Does nothing when
    the step is not completed or its rule still holds. Returns whether it reopened it."""
    if outline is None:
        course = course_of(page)
        if course is None:
            return False
        outline = course_outline(course)
    with transaction.atomic():
        enrollment = Enrollment.objects.select_for_update().filter(user=user, course=outline.course).first()
        completed = StepProgress.objects.filter(user=user, step_id=page.pk, status=COMPLETED)
        if enrollment is None or not completed.exists() or page.specific.completion_earned(user):
            return False
        enrollment.user = user
        completed.update(status=StepProgress.Status.VIEWED, completed_at=None, score=None)
        audit.record(actor=None, action=audit.Action.COMPLETION_WITHDRAWN, target=user,
                     step=page.pk, course=outline.course.pk)
        refresh_enrollments(outline, [enrollment])
        certificate = Certificate.objects.select_for_update().filter(
            user=user, course=outline.course, revoked_at__isnull=True).first()
        if certificate is not None:
            revoke_certificate(certificate, reason)
    return True


def recount_course(course, force=False):
    """Recount every enrolment of `course` after its content changed: a fixed number of
    statements whatever the number of learners, all computed in the database
    (`write_rollups`). Returns the number of enrolments recounted: 0 when the course's
    live steps and their modules are those of the last recount (nothing can change).
    Module rows are recounted only for the modules whose steps changed since then.
    `force`: everything, as if never recounted (the step progress itself was changed
    outside the progress door)."""
    outline = course_outline(course)  # read before the write transaction: keeps it short
    shape = outline_shape(outline)
    digest = hashlib.sha256(json.dumps(shape).encode()).hexdigest()
    last = RecountedOutline.objects.filter(course_id=course.pk)
    if not force and last.filter(digest=digest).exists():
        return 0
    with transaction.atomic():
        count = lock_enrollments(course)
        previous = None if force else last.first()  # read again: a concurrent recount may have run meanwhile
        if previous is not None and previous.digest == digest:
            return 0
        changed_modules = None
        if previous is not None:
            before = dict(previous.modules)
            changed_modules = {module_id for module_id, steps in shape if before.get(str(module_id)) != sorted(steps)}
        if not (previous is not None and add_new_steps(outline, previous, changed_modules)):
            write_rollups(outline, changed_modules=changed_modules)
        RecountedOutline.objects.bulk_create(
            [RecountedOutline(course_id=course.pk, digest=digest, recounted_at=timezone.now(),
                              modules={str(module_id): sorted(steps) for module_id, steps in shape},
                              steps=[step.pk for step in outline.steps])],
            update_conflicts=True, unique_fields=["course_id"],
            update_fields=["digest", "modules", "steps", "recounted_at"],
        )
    return count


def add_new_steps(outline, previous, changed_modules):
    """The recount of the most common publish, in place: when the outline differs from
    the `previous` one (a RecountedOutline) only by new steps, each learner's completed
    steps stay what they were, so the rollups follow without reading step progress:

    - the enrolment: the new total and percent; no longer complete; the resume step is
      the first new step for those whose resume step came after it (or who had none);
    - the rows of the changed modules: their new totals (new modules: rows at zero).

    Returns False, having written nothing, when that does not hold: a step removed or
    moved, or a new step someone has completed already (a lesson unpublished, completed
    through a link kept, then published again); `write_rollups` then recounts it all."""
    ids = [step.pk for step in outline.steps]
    known = set(previous.steps)
    if not known or [pk for pk in ids if pk in known] != previous.steps:
        return False
    new = [pk for pk in ids if pk not in known]
    before = {int(module_id): set(steps) for module_id, steps in previous.modules.items()}
    for module in outline.modules:
        kept = {step.pk for step in module.steps} & known
        if kept != before.pop(module.page.pk, set()):
            return False  # a step moved to another module
    if not new or before or StepProgress.objects.filter(course_id=outline.course.pk, step_id__in=new, status=COMPLETED).exists():
        return False  # a module gone (with no step: nothing else shows it), or progress on a new step
    first_new = ids.index(new[0])
    resume_kept = ids[:first_new]
    course_id, total = outline.course.pk, len(ids)
    placeholders = ", ".join(["%s"] * len(resume_kept)) or "NULL"
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE learners_enrollment SET total_steps = %s, percent = (100 * completed_steps) / %s WHERE course_id = %s",
            [total, total, course_id],
        )
        # Only the rows whose completion or resume step changes: writing an indexed foreign
        # key costs an index update and a constraint check per row, even to the same value.
        changing = (f" AND (completed_at IS NOT NULL OR resume_step_id IS NULL OR resume_step_id NOT IN ({placeholders}))"
                    if resume_kept else "")  # a first step new: every resume step changes
        cursor.execute(
            "UPDATE learners_enrollment SET completed_at = NULL, "
            f"resume_step_id = CASE WHEN resume_step_id IN ({placeholders}) THEN resume_step_id ELSE %s END "
            f"WHERE course_id = %s{changing}",
            [*resume_kept, new[0], course_id, *resume_kept],
        )
        known_modules = {int(module_id) for module_id in previous.modules}
        changed = [(module.page.pk, len(module.steps)) for module in outline.modules if module.page.pk in changed_modules]
        moved = [row for row in changed if row[0] in known_modules]
        if moved:
            # A module's rows are its course's: a full recount deletes the rows of a module
            # that left the course (write_rollups), so the module ids alone select them.
            cursor.execute(
                "UPDATE learners_moduleprogress SET total_steps = CASE module_id "
                + " ".join("WHEN %s THEN %s" for _ in moved) + " END "
                "WHERE module_id IN (" + ", ".join(["%s"] * len(moved)) + ")",
                [*(value for row in moved for value in row), *(module_id for module_id, _total in moved)],
            )
        added = [row for row in changed if row[0] not in known_modules]
        if added:
            cursor.execute(
                "INSERT INTO learners_moduleprogress (enrollment_id, module_id, completed_steps, total_steps) "
                "SELECT e.id, m.column1, 0, m.column2 FROM learners_enrollment e "
                f"CROSS JOIN (VALUES {', '.join(['(%s, %s)'] * len(added))}) AS m WHERE e.course_id = %s "
                "ON CONFLICT (enrollment_id, module_id) DO NOTHING",
                [*(value for row in added for value in row), course_id],
            )
    return True


def outline_shape(outline):
    """What the rollups depend on in an outline: its live modules, and their live steps,
    in order."""
    return [[module.page.pk, [step.pk for step in module.steps]] for module in outline.modules]


def refresh_enrollments(outline, enrollments):
    """Bring the rollups of `enrollments` (a few enrolments of `outline.course`, already
    locked by the caller) in line with the stored step progress and the live steps,
    update the objects in place, and issue the certificates now due."""
    if enrollments:
        write_rollups(outline, enrollments)


def lock_enrollments(course):
    """Lock the enrolment rows of `course` (PostgreSQL; on SQLite the write transaction
    is the lock) before the rollups read the step progress, so that a completion
    committed meanwhile is counted, not overwritten. Returns how many there are."""
    with connection.cursor() as cursor:
        locking = " FOR UPDATE" if connection.features.has_select_for_update else ""
        cursor.execute(
            f"SELECT COUNT(*) FROM (SELECT id FROM learners_enrollment WHERE course_id = %s{locking}) AS locked",
            [course.pk],
        )
        return cursor.fetchone()[0]


def write_rollups(outline, enrollments=None, changed_modules=None):
    """The one rule for the rollups of an enrolment, as three statements computed from
    StepProgress in the database, for every enrolment of `outline.course` (a recount) or
    for the `enrollments` given (a learner's step, an enrolment):

    - the enrolment: completed live steps, total, percent (the rule of `percent`), the
      resume step (the first live step, in outline order, not completed), and
      `completed_at` (kept while complete, set now when it becomes complete, cleared
      otherwise);
    - one ModuleProgress row per live module (INSERT … SELECT … ON CONFLICT DO UPDATE),
      and none for modules no longer live;
    - then the certificates of the enrolments that just became complete (few: issued in
      Python, once: the unique (learner, course) constraint).

    Rows whose values do not change are not written. The objects given are updated in
    place. `changed_modules`: the live modules whose steps changed since the rollups were
    last right (a recount that knows the last outline); None for all."""
    course = outline.course
    steps = [(step.pk, module.page.pk) for module in outline.modules for step in module.steps]
    modules = [(module.page.pk, len(module.steps)) for module in outline.modules]
    total = len(steps)
    now = timezone.now()
    ops = connection.ops
    stamp = ops.adapt_datetimefield_value(now)
    ids = [enrollment.pk for enrollment in enrollments] if enrollments is not None else None

    # The outline's own numbers (step and module ids, counts, bits) are written into the
    # statements' text, as integers: each statement's text is then the same for every
    # learner of an outline, with a handful of parameters, so the database keeps its plan
    # and the driver its parsing (psycopg parses afresh a statement of over 50 parameters).
    live = f"sp.step_id IN ({numbers(step_id for step_id, _module in steps)})" if steps else "1 = 0"
    scope, scope_params = "e.course_id = %s", [course.pk]
    completed = f"FROM learners_stepprogress sp WHERE sp.course_id = %s AND sp.status = %s AND {live}"
    completed_params = [course.pk, COMPLETED]
    learners_only, learners_params = "", []
    if ids is not None:
        scope += f" AND e.id IN ({', '.join(['%s'] * len(ids))})"
        scope_params += ids
        learners_only = f" AND sp.user_id IN ({', '.join(['%s'] * len(ids))})"
        learners_params = [enrollment.user_id for enrollment in enrollments]

    # The resume step in one pass, without sorting: each learner's completed steps as
    # bits (step n of the outline is bit n-1 of chunk (n-1) // CHUNK), so the first step
    # not completed is the lowest zero bit of the first chunk not full: (~m) & (m + 1).
    chunks = [steps[start:start + RESUME_CHUNK] for start in range(0, total, RESUME_CHUNK)]
    masks = [
        "CAST(SUM(CASE sp.step_id " + " ".join(f"WHEN {int(step_id)} THEN {1 << bit}"
                                              for bit, (step_id, _module) in enumerate(chunk))
        + f" ELSE 0 END) AS BIGINT) AS m{number}"
        for number, chunk in enumerate(chunks)
    ]
    per_learner = "SELECT sp.user_id AS user_id, COUNT(*) AS done" + "".join(", " + mask for mask in masks)
    per_learner += f" {completed}{learners_only} GROUP BY sp.user_id"
    rows = "SELECT e.id AS id, COALESCE(a.done, 0) AS done" + "".join(
        f", COALESCE(a.m{number}, 0) AS m{number}" for number in range(len(chunks))
    )
    rows += f" FROM learners_enrollment e LEFT JOIN ({per_learner}) a ON a.user_id = e.user_id WHERE {scope}"
    rows_params = [*completed_params, *learners_params, *scope_params]
    resume = "CASE" + "".join(
        f" WHEN r.m{number} <> {(1 << len(chunk)) - 1} THEN CASE (~r.m{number}) & (r.m{number} + 1) "
        + " ".join(f"WHEN {1 << bit} THEN {int(step_id)}" for bit, (step_id, _module) in enumerate(chunk)) + " END"
        for number, chunk in enumerate(chunks)
    )
    resume = resume + " END" if chunks else "NULL"
    percent_sql = f"(100 * r.done) / {total}" if total else "0"
    finished = f"(r.done = {total} AND {total} > 0)"
    target = "learners_enrollment"
    update = (
        f"UPDATE {target} SET completed_steps = r.done, total_steps = {total}, percent = {percent_sql}, "
        f"resume_step_id = {resume}, "
        f"completed_at = CASE WHEN {finished} THEN COALESCE({target}.completed_at, %s) END "
        f"FROM ({rows}) r WHERE {target}.id = r.id AND ("
        f"{target}.completed_steps <> r.done OR {target}.total_steps <> {total} "
        f"OR {target}.percent <> {percent_sql} "
        f"OR COALESCE({target}.resume_step_id, 0) <> COALESCE({resume}, 0) "
        f"OR ({target}.completed_at IS NULL) = {finished})"
    )
    update_params = [stamp, *rows_params]
    if ids is not None:
        update += (
            f" RETURNING {target}.id, {target}.completed_steps, {target}.total_steps, {target}.percent, "
            f"{target}.resume_step_id, {target}.completed_at IS NULL, {target}.completed_at = %s"
        )
        update_params.append(stamp)

    module_scope = f"SELECT e.id FROM learners_enrollment e WHERE {scope}"
    with connection.cursor() as cursor:
        cursor.execute(update, update_params)
        if ids is not None:
            by_id = {enrollment.pk: enrollment for enrollment in enrollments}
            newly_completed = []
            for pk, done, total_steps, percent_value, resume_id, not_completed, newly in cursor.fetchall():
                enrollment = by_id[pk]
                enrollment.completed_steps, enrollment.total_steps = done, total_steps
                enrollment.percent, enrollment.resume_step_id = percent_value, resume_id
                if not_completed:
                    enrollment.completed_at = None
                elif newly:
                    enrollment.completed_at = now
                    newly_completed.append(enrollment)

        # Module rows of modules no longer live go; the live ones are upserted.
        stale = f"DELETE FROM learners_moduleprogress WHERE enrollment_id IN ({module_scope})"
        if modules:
            stale += f" AND module_id NOT IN ({numbers(module_id for module_id, _total in modules)})"
        cursor.execute(stale, scope_params)
        # Only the modules whose steps changed since the last recount, when the caller
        # knows them: another module's counts moved only with its learners' own steps.
        counted = [module for module in modules if changed_modules is None or module[0] in changed_modules]
        if counted:
            counted_steps = [(step_id, module_id) for step_id, module_id in steps
                             if changed_modules is None or module_id in changed_modules]
            if counted_steps:
                module_of = "CASE sp.step_id " + " ".join(
                    f"WHEN {int(step_id)} THEN {int(module_id)}" for step_id, module_id in counted_steps) + " END"
                module_completed = (
                    "FROM learners_stepprogress sp WHERE sp.course_id = %s AND sp.status = %s "
                    f"AND sp.step_id IN ({numbers(step_id for step_id, _module in counted_steps)}){learners_only}"
                )
                module_completed_params = [course.pk, COMPLETED, *learners_params]
            else:
                module_of, module_completed, module_completed_params = "0", "FROM learners_stepprogress sp WHERE 1 = 0", []
            values = ", ".join(f"({int(module_id)}, {int(module_total)})" for module_id, module_total in counted)
            cursor.execute(
                "INSERT INTO learners_moduleprogress (enrollment_id, module_id, completed_steps, total_steps) "
                "SELECT e.id, m.column1, COALESCE(c.done, 0), m.column2 "
                f"FROM learners_enrollment e CROSS JOIN (VALUES {values}) AS m "
                f"LEFT JOIN (SELECT sp.user_id AS user_id, {module_of} AS module_id, COUNT(*) AS done "
                f"{module_completed} GROUP BY 1, 2) c ON c.user_id = e.user_id AND c.module_id = m.column1 "
                f"WHERE {scope} "
                "ON CONFLICT (enrollment_id, module_id) DO UPDATE SET "
                "completed_steps = excluded.completed_steps, total_steps = excluded.total_steps "
                "WHERE learners_moduleprogress.completed_steps <> excluded.completed_steps "
                "OR learners_moduleprogress.total_steps <> excluded.total_steps",
                [*module_completed_params, *scope_params],
            )
    if ids is None:
        newly_completed = list(Enrollment.objects.filter(course=course, completed_at=now).select_related("user"))
    certificates.issue_for(newly_completed, course)


def numbers(values):
    """Integers as SQL text ("3, 5, 8"), for the ids and counts an outline gives a
    statement: int() makes sure nothing else is ever written into SQL."""
    return ", ".join(str(int(value)) for value in values)


def percent(done, total):
    """Whole percent of `done` out of `total` (counts or points), rounded down: 100 only
    when everything is done. The one rule for a percent in the project."""
    return 0 if not total else int(100 * done // total)
