"""Courses assigned to people of an organisation: assigning (which enrols), changing a
due date, removing, the courses a newcomer to a team inherits, and the overview a
manager reads. The status is derived from the enrolment the assignment created (never
stored, so it is never stale).

Who gets a team's assignment: every current member of the team, learners and managers
alike (a manager may also learn; one who does not can have their own row removed).
People who join the team later get its courses (`assign_team_courses_to`)."""

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F, Max
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from courses.models import CoursePage
from home.refusals import Kind, Refused
from learners import progress
from learners.access import is_id
from learners.models import Assignment, Enrollment, Membership, TeamCourse, User

Status = Assignment.Status


class AssignmentRefused(Refused):
    """An assignment that cannot be made; `message` says why, to the manager."""

    kind = Kind.INVALID


DUE_DATE_IN_THE_PAST = _("L'échéance est déjà passée : choisissez aujourd'hui ou une date à venir.")


def assignment_status(*, due_on, enrollment, today):
    """The status of an assignment due `due_on` (or None) whose person's enrolment is
    `enrollment` (or None), on `today`. Pure: no database."""
    if enrollment is not None and enrollment.completed_at is not None:
        return Status.COMPLETED
    if due_on is not None and due_on < today:
        return Status.OVERDUE
    if enrollment is not None and (enrollment.completed_steps > 0 or enrollment.last_step_id is not None):
        return Status.IN_PROGRESS
    return Status.NOT_STARTED


def check_due_on(due_on, today):
    """Refuse a due date before `today` (today itself is allowed)."""
    if due_on is not None and due_on < today:
        raise AssignmentRefused(DUE_DATE_IN_THE_PAST)


# --- Writing ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Assigned:
    created: int  # people newly assigned the course
    updated: int  # people who had it already: their due date changed


def team_member_ids(team):
    """The active people currently in `team`, whatever their role."""
    return set(
        Membership.objects.filter(organisation_id=team.organisation_id, team=team, user__is_active=True)
        .values_list("user_id", flat=True)
    )


def assign(*, scope, course, due_on, assigned_by, team=None, people=(), today=None):
    """Assign `course` to every member of `team` and/or to `people`, due `due_on` (or
    without a due date), and enrol each of them: everything or nothing, in one
    transaction. One row per organisation, person and course: assigning again updates
    the due date, never duplicates.

    Raises AssignmentRefused for a due date in the past, a course that is not live, a
    team or a person outside `scope` (the form checks them first; this is the promise)."""
    today = today or timezone.localdate()
    check_due_on(due_on, today)
    if course is None or not CoursePage.objects.live().filter(pk=course.pk).exists():
        raise AssignmentRefused(_("Cette formation n'est pas publiée : elle ne peut pas être affectée."))
    if team is not None and (team.organisation_id != scope.organisation.pk or not scope.sees_team(team.pk)):
        raise AssignmentRefused(_("Cette équipe n'est pas dans votre périmètre."))
    chosen = {person.pk for person in people}
    if chosen and len(chosen) != scope.people().filter(pk__in=chosen).count():
        raise AssignmentRefused(_("Une des personnes choisies n'est pas dans votre périmètre."))
    if team is None and not chosen:
        raise AssignmentRefused(_("Choisissez une équipe ou au moins une personne."))

    organisation = scope.organisation
    with transaction.atomic():
        members = team_member_ids(team) if team is not None else set()
        targets = chosen | members
        rows = Assignment.objects.filter(organisation=organisation, course=course, user_id__in=targets)
        existing = set(rows.select_for_update().values_list("user_id", flat=True))
        Assignment.objects.bulk_create(
            [
                Assignment(
                    organisation=organisation, user_id=user_id, course=course, due_on=due_on,
                    team=team if user_id in members else None, assigned_by=assigned_by,
                )
                for user_id in sorted(targets - existing)
            ],
            ignore_conflicts=True,  # assigned at the same moment by someone else: the update below wins
        )
        rows.update(due_on=due_on)
        if team is not None:  # remember the team for those assigned by name before
            rows.filter(user_id__in=members, team__isnull=True).update(team=team)
            # and for whoever joins the team later
            TeamCourse.objects.update_or_create(
                team=team, course=course, defaults={"due_on": due_on, "assigned_by": assigned_by}
            )
        for user in User.objects.filter(pk__in=targets):
            progress.enroll(user=user, course=course)
    return Assigned(created=len(targets - existing), updated=len(existing & targets))


def assign_team_courses_to(membership, *, today=None):
    """Give a person who just joined a team (`membership`) the live courses assigned to
    the team (TeamCourse), and enrol them. Each keeps the team's due date when it is still ahead,
    and has none when it has passed (the newcomer is not late on their first day; the
    manager can set one). Courses the person already has in this organisation are left
    as they are. Returns the new assignments."""
    if membership.team_id is None:
        return []
    today = today or timezone.localdate()
    with transaction.atomic():
        team_courses = (
            TeamCourse.objects.filter(team_id=membership.team_id, course__live=True)
            .values("course_id", latest_due_on=F("due_on"))
            .order_by("course_id")
        )
        already = set(
            Assignment.objects.filter(organisation_id=membership.organisation_id, user_id=membership.user_id)
            .values_list("course_id", flat=True)
        )
        created = []
        for row in team_courses:
            if row["course_id"] in already:
                continue
            due_on = row["latest_due_on"] if row["latest_due_on"] and row["latest_due_on"] >= today else None
            assignment, was_created = Assignment.objects.get_or_create(
                organisation_id=membership.organisation_id, user_id=membership.user_id, course_id=row["course_id"],
                defaults={"team_id": membership.team_id, "due_on": due_on},
            )
            progress.enroll(user=membership.user, course=assignment.course)
            if was_created:
                created.append(assignment)
    return created


def change_due_date(*, assignment, due_on, today=None):
    """Set the due date of one assignment (None removes it); a date in the past is refused."""
    check_due_on(due_on, today or timezone.localdate())
    Assignment.objects.filter(pk=assignment.pk).update(due_on=due_on)
    assignment.due_on = due_on
    return assignment


def remove_assignment(*, assignment):
    """Withdraw an assignment. The person's enrolment and progress stay: they may go on
    with the course, and what they did still counts."""
    assignment.delete()


# --- Reading ----------------------------------------------------------------------------


def assignments_in_scope(scope):
    """The assignments of the people `scope` sees, in its organisation."""
    return Assignment.objects.filter(
        organisation=scope.organisation, user_id__in=scope.memberships().values("user_id")
    )


def scoped_assignment(scope, assignment_id):
    """An assignment `scope` sees, from an id sent by a form or a URL; Http404 for any other."""
    assignment = (
        assignments_in_scope(scope).select_related("user", "course").filter(pk=assignment_id).first()
        if is_id(assignment_id) else None
    )
    if assignment is None:
        raise Http404
    return assignment


@dataclass
class CourseAssignments:
    """One course's assignments as a manager reads them."""

    course: CoursePage
    rows: list = field(default_factory=list)  # Assignment, each with .enrollment and .status

    def count(self, status):
        return sum(1 for row in self.rows if row.status == status)

    @property
    def counts(self):
        """(status, label, count) for every status, in the order of Assignment.Status."""
        return [(status, status.label, self.count(status)) for status in Status]

    @property
    def overdue(self):
        return self.count(Status.OVERDUE)


def assignments_overview(scope, *, today):
    """The assignments `scope` sees, grouped by course, each row with its person, team,
    enrolment, status and last reminder: 2 queries, whatever the number of people."""
    assignments = list(
        assignments_in_scope(scope)
        .select_related("user", "course", "team")
        .annotate(last_reminded_on=Max("reminders__sent_on"))
        .order_by("course__title", "course_id", "user__last_name", "user__first_name", "user_id")
    )
    course_ids = {assignment.course_id for assignment in assignments}
    enrollments = {
        (enrollment.user_id, enrollment.course_id): enrollment
        for enrollment in Enrollment.objects.filter(
            course_id__in=course_ids, user_id__in=scope.memberships().values("user_id")
        ).only("user_id", "course_id", "completed_steps", "total_steps", "percent", "last_step_id", "completed_at")
    } if course_ids else {}
    courses = {}
    for assignment in assignments:
        assignment.enrollment = enrollments.get((assignment.user_id, assignment.course_id))
        assignment.status = assignment_status(due_on=assignment.due_on, enrollment=assignment.enrollment, today=today)
        courses.setdefault(assignment.course_id, CourseAssignments(course=assignment.course)).rows.append(assignment)
    return list(courses.values())
