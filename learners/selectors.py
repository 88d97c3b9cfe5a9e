"""Named reads for learners' pages: each runs a fixed number of queries."""

from dataclasses import dataclass

from django.db.models import Prefetch

from learners.models import Certificate, Enrollment, ModuleProgress


@dataclass
class Dashboard:
    in_progress: list
    completed: list
    certificates: list
    time_spent_seconds: int


def learner_dashboard(user):
    """Enrolled courses with their module rollups, and certificates: 3 queries."""
    enrollments = list(
        Enrollment.objects.filter(user=user, course__live=True)
        .select_related("course", "resume_step", "last_step")
        .prefetch_related(
            Prefetch("modules", queryset=ModuleProgress.objects.select_related("module").order_by("module__path"))
        )
        .order_by("-enrolled_at")
    )
    certificates = list(Certificate.objects.filter(user=user).order_by("-issued_at"))
    by_course = {certificate.course_id: certificate for certificate in certificates}
    for enrollment in enrollments:
        enrollment.certificate = by_course.get(enrollment.course_id)
    return Dashboard(
        in_progress=[e for e in enrollments if not e.is_completed],
        completed=[e for e in enrollments if e.is_completed],
        certificates=certificates,
        time_spent_seconds=sum(e.time_spent_seconds for e in enrollments),
    )
