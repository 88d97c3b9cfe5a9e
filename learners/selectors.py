"""Named reads for learners' pages: each runs a fixed number of queries."""

from dataclasses import dataclass

from django.db.models import Exists, F, OuterRef, Subquery
from django.utils import timezone

from courses.serving import page_objects
from learners.assignments import assignment_status
from learners.models import Assignment, Certificate, Enrollment, ModuleProgress


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


def learner_dashboard(user, *, today=None):
    """Enrolled courses with their module rollups and assignments, and certificates:
    3 queries, and the content token. Assigned courses come first among those in progress, soonest due first
    (the earliest date when several organisations assigned a course; no date comes last)."""
    today = today or timezone.localdate()
    assignments = Assignment.objects.filter(user=user, course=OuterRef("course"))
    enrollments = list(
        Enrollment.objects.filter(user=user, course__live=True)
        .annotate(
            is_assigned=Exists(assignments),
            assigned_due_on=Subquery(assignments.order_by(F("due_on").asc(nulls_last=True)).values("due_on")[:1]),
        )
        .prefetch_related("modules")
        .order_by("-enrolled_at")
    )
    # The pages shown (course, step to resume, modules) as last published, kept in memory
    # from one publish to the next (courses.serving.page_object): no join of page tables.
    pages = page_objects(
        [e.course_id for e in enrollments]
        + [e.resume_step_id for e in enrollments]
        + [row.module_id for e in enrollments for row in e.modules.all()]
    )
    for enrollment in enrollments:
        enrollment.course = pages[enrollment.course_id]
        enrollment.resume_step = pages.get(enrollment.resume_step_id)
        for row in enrollment.modules.all():
            row.module = pages[row.module_id]
        enrollment.module_progress = sorted(enrollment.modules.all(), key=lambda row: row.module.path)
    certificates = list(Certificate.objects.filter(user=user).order_by("-issued_at"))
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
