"""The learners app's models, one module per subject; import them from here."""

from learners.models.accounts import EmailUserManager, User
from learners.models.audit import AuditEvent
from learners.models.certificates import Certificate
from learners.models.invitations import ImportBatch, Invitation
from learners.models.notices import Notice
from learners.models.exports import Export
from learners.models.organisations import Assignment, Membership, Organisation, Team, TeamCourse
from learners.models.progress import Enrollment, ModuleProgress, PendingRecount, RecountedOutline, StepProgress
from learners.models.reminders import Reminder
from learners.models.sessions import Session

__all__ = [
    "Assignment", "AuditEvent", "Certificate", "EmailUserManager", "Enrollment", "Export", "ImportBatch", "Invitation",
    "Membership", "ModuleProgress", "Notice", "Organisation", "PendingRecount", "RecountedOutline", "Reminder", "Session", "StepProgress", "Team", "TeamCourse", "User",
]
