"""The learners app's models, one module per subject; import them from here."""

from learners.models.accounts import EmailUserManager, User
from learners.models.audit import AuditEvent
from learners.models.certificates import Certificate
from learners.models.exports import Export
from learners.models.organisations import Assignment, Membership, Organisation, Team
from learners.models.progress import Enrollment, ModuleProgress, StepProgress

__all__ = [
    "Assignment", "AuditEvent", "Certificate", "EmailUserManager", "Enrollment", "Export", "Membership", "ModuleProgress", "Organisation",
    "StepProgress", "Team", "User",
]
