"""Courses assigned to people of an organisation: their status, derived from the
enrolment the assignment created (never stored, so it is never stale)."""

from learners.models import Assignment

Status = Assignment.Status


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
