"""Named reads for learners' pages: each runs a fixed number of queries."""

from dataclasses import dataclass

from django.db import connection
from django.utils import timezone

from courses.serving import page_objects
from learners.assignments import assignment_status
from learners.models import Assignment, Certificate, Enrollment, ModuleProgress
from learners.rawsql import column_converters, converted


@dataclass
class Dashboard:
    in_progress: list
    completed: list
    certificates: list
    time_spent_seconds: int


@dataclass(frozen=True)
class AssignedCourse:
    """A course someone's organisation assigned them, as their dashboard shows it."""

    due_on: object  # a date, or None
    status: Assignment.Status

    @property
    def is_overdue(self):
        return self.status == Assignment.Status.OVERDUE


def assigned_first(enrollment):
    """Sort key: assigned courses by due date, then those assigned without one, then the
    rest (each group keeps its order)."""
    if enrollment.assignment is None:
        return (2, None)
    if enrollment.assignment.due_on is None:
        return (1, None)
    return (0, enrollment.assignment.due_on)


# What a learner's dashboard shows, read as plain rows: the rows key the rendered page
# (learners.views.dashboard), and the page is built from those very rows.
ENROLMENT_ROWS = (
    "SELECT e.id, e.course_id, e.resume_step_id, e.last_step_id, e.completed_steps, e.total_steps, e.percent, "
    "e.time_spent_seconds, e.completed_at, a.due_on, a.assigned, m.module_id, m.completed_steps, m.total_steps "
    "FROM learners_enrollment e JOIN wagtailcore_page p ON p.id = e.course_id AND p.live "
    "LEFT JOIN (SELECT course_id, COUNT(*) AS assigned, MIN(due_on) AS due_on FROM learners_assignment "
    "WHERE user_id = %s GROUP BY course_id) a ON a.course_id = e.course_id "
    "LEFT JOIN learners_moduleprogress m ON m.enrollment_id = e.id "
    "WHERE e.user_id = %s ORDER BY e.enrolled_at DESC, e.id, m.id"
)
CERTIFICATE_ROWS = (
    "SELECT code, course_id, course_title, issued_at, revoked_at FROM learners_certificate "
    "WHERE user_id = %s ORDER BY issued_at DESC, id"
)


def dashboard_rows(user):
    """(enrolment rows with their module rows, certificate rows) of `user`: 2 queries,
    plain values (the earliest due date of the organisations that assigned the course;
    no date when none gave one)."""
    enrolment_converters = column_converters(
        Enrollment, "id", "course", "resume_step", "last_step", "completed_steps", "total_steps", "percent",
        "time_spent_seconds", "completed_at")
    due_on_converters = column_converters(Assignment, "due_on")  # column 9
    certificate_converters = column_converters(Certificate, "code", "course", "course_title", "issued_at", "revoked_at")
    with connection.cursor() as cursor:
        cursor.execute(ENROLMENT_ROWS, [user.pk, user.pk])
        enrolments = [tuple(converted(converted(list(row), enrolment_converters), due_on_converters, offset=9))
                      for row in cursor.fetchall()]
        cursor.execute(CERTIFICATE_ROWS, [user.pk])
        certificates = [tuple(converted(list(row), certificate_converters)) for row in cursor.fetchall()]
    return enrolments, certificates


def learner_dashboard(user, rows=None, *, today=None):
    """Enrolled courses with their module rollups and assignments, and certificates, from
    `dashboard_rows(user)` (read if not given), and the content token. Assigned courses come
    first among those in progress, soonest due first (no date comes last)."""
    today = today or timezone.localdate()
    enrolment_rows, certificate_rows = rows if rows is not None else dashboard_rows(user)
    enrollments, modules = {}, {}
    for (pk, course_id, resume_id, last_id, done, total, percent_value, seconds, completed_at, due_on, assigned,
         module_id, module_done, module_total) in enrolment_rows:
        if pk not in enrollments:
            enrollment = Enrollment(
                id=pk, user=user, course_id=course_id, resume_step_id=resume_id, last_step_id=last_id,
                completed_steps=done, total_steps=total, percent=percent_value, time_spent_seconds=seconds,
                completed_at=completed_at,
            )
            enrollment.is_assigned, enrollment.assigned_due_on = bool(assigned), due_on
            enrollments[pk], modules[pk] = enrollment, []
        if module_id is not None:
            modules[pk].append(ModuleProgress(enrollment_id=pk, module_id=module_id, completed_steps=module_done,
                                              total_steps=module_total))
    enrollments = list(enrollments.values())
    # The pages shown (course, step to resume, modules) as last published, kept in memory
    # from one publish to the next (courses.serving.page_object): no join of page tables.
    pages = page_objects(
        [e.course_id for e in enrollments]
        + [e.resume_step_id for e in enrollments]
        + [row.module_id for rows_of in modules.values() for row in rows_of]
    )
    for enrollment in enrollments:
        enrollment.course = pages[enrollment.course_id]
        enrollment.resume_step = pages.get(enrollment.resume_step_id)
        for row in modules[enrollment.pk]:
            row.module = pages[row.module_id]
        enrollment.module_progress = sorted(modules[enrollment.pk], key=lambda row: row.module.path)
    certificates = [
        Certificate(user=user, code=code, course_id=course_id, course_title=title, issued_at=issued_at,
                    revoked_at=revoked_at)
        for code, course_id, title, issued_at, revoked_at in certificate_rows
    ]
    by_course = {certificate.course_id: certificate for certificate in certificates}
    for enrollment in enrollments:
        enrollment.certificate = by_course.get(enrollment.course_id)
        enrollment.assignment = None
        if enrollment.is_assigned:
            due_on = enrollment.assigned_due_on
            enrollment.assignment = AssignedCourse(
                due_on=due_on, status=assignment_status(due_on=due_on, enrollment=enrollment, today=today)
            )
    return Dashboard(
        in_progress=sorted((e for e in enrollments if not e.is_completed), key=assigned_first),
        completed=[e for e in enrollments if e.is_completed],
        certificates=certificates,
        time_spent_seconds=sum(e.time_spent_seconds for e in enrollments),
    )
