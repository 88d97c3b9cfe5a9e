from django.contrib.auth import get_user_model
from wagtail import hooks
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet

from learners import audit
from learners.models import AuditEvent, Certificate, Organisation, Team
from learners.viewsets import AuditEventViewSet, AuditLogPolicy, CertificateViewSet, IssuedOnlyPolicy
from learners.viewsets_organisations import OrganisationsGroup, SuperusersOnlyPolicy

register_permission_policy(Certificate, IssuedOnlyPolicy(Certificate))
register_permission_policy(AuditEvent, AuditLogPolicy(AuditEvent))
register_snippet(CertificateViewSet)
register_permission_policy(Organisation, SuperusersOnlyPolicy(Organisation))
register_permission_policy(Team, SuperusersOnlyPolicy(Team))


@hooks.register("register_admin_viewset")
def register_organisations():
    return OrganisationsGroup()


@hooks.register("register_admin_viewset")
def register_audit_log():
    return AuditEventViewSet("audit_log", url_prefix="journal-audit")


# Bulk actions of the user listing run these hooks inside their transaction.


@hooks.register("before_bulk_action")
def remember_roles_before_bulk_action(request, action_type, objects, action):
    if action.model is not get_user_model():
        return
    if action_type == "delete":
        for user in objects:
            audit.record_account_deletion(actor=request.user, user=user, request=request)
    else:
        action.audit_roles_before = {user.pk: audit.role_snapshot(user) for user in objects}


@hooks.register("after_bulk_action")
def record_roles_after_bulk_action(request, action_type, objects, action):
    before = getattr(action, "audit_roles_before", None)
    if action.model is not get_user_model() or before is None:
        return
    for user in objects:
        user.refresh_from_db(fields=["is_superuser", "is_staff", "is_active"])
        audit.record_role_change(actor=request.user, user=user, before=before[user.pk], request=request)
