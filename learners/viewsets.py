"""Admin screens for learners' records. Certificates are issued by the platform only:
administrators may search them and revoke one (date and reason), never create or delete one.
Revocations, role changes and account deletions made here go to the audit log, in the
same transaction as the change; the log itself is a read-only screen for superusers."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permission_policies.base import BasePermissionPolicy
from wagtail.snippets.views.snippets import EditView as SnippetEditView
from wagtail.snippets.views.snippets import SnippetViewSet
from wagtail.users.views import users as wagtail_users

from learners import audit
from learners.models import AuditEvent, Certificate


class IssuedOnlyPolicy(ModelPermissionPolicy):
    """Model permissions, except that nobody may add a record by hand, nor delete one:
    a certificate is issued by the platform and withdrawn by revocation (dated, with a
    reason, in the audit log), so its verification page always has an answer."""

    refused = {"add", "delete"}

    def user_has_permission(self, user, action):
        return action not in self.refused and super().user_has_permission(user, action)

    def user_has_any_permission(self, user, actions):
        return super().user_has_any_permission(user, [action for action in actions if action not in self.refused])


class CertificateEditView(SnippetEditView):
    """The certificate form; a revocation or reinstatement is recorded with the save."""

    def save_instance(self):
        # Wagtail runs save_instance inside transaction.atomic(): the event and the
        # change are committed together. The stored values, not the bound form's.
        was_revoked_at, was_reason = (
            Certificate.objects.select_for_update().values_list("revoked_at", "revocation_reason").get(pk=self.object.pk)
        )
        certificate = super().save_instance()
        audit.record_certificate_edit(
            actor=self.request.user, certificate=certificate, was_revoked_at=was_revoked_at, was_reason=was_reason,
            request=self.request,
        )
        return certificate


class CertificateViewSet(SnippetViewSet):
    model = Certificate
    edit_view_class = CertificateEditView
    icon = "doc-full"
    menu_label = _("Certificats")
    menu_order = 310
    add_to_admin_menu = True
    list_display = ["code", "learner_name", "course_title", "issued_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["code", "learner_name", "course_title"]


# --- Users: Wagtail's user screens, with their role changes and deletions recorded ------


class AuditedUserCreateView(wagtail_users.CreateView):
    def save_instance(self):
        user = super().save_instance()  # inside Wagtail's transaction.atomic()
        audit.record_role_change(
            actor=self.request.user, user=user, before=audit.role_snapshot(get_user_model()()), request=self.request
        )
        return user


class AuditedUserEditView(wagtail_users.EditView):
    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.roles_before = audit.role_snapshot(self.object)

    def save_instance(self):
        user = super().save_instance()  # inside Wagtail's transaction.atomic()
        audit.record_role_change(actor=self.request.user, user=user, before=self.roles_before, request=self.request)
        return user


class AuditedUserDeleteView(wagtail_users.DeleteView):
    def delete_action(self):
        with transaction.atomic():
            audit.record_account_deletion(actor=self.request.user, user=self.object, request=self.request)
            super().delete_action()


class AuditedUserViewSet(wagtail_users.UserViewSet):
    """Wagtail's user admin (chosen in learners.apps.PasserelleUsersConfig)."""

    add_view_class = AuditedUserCreateView
    edit_view_class = AuditedUserEditView
    delete_view_class = AuditedUserDeleteView


# --- The audit log: read by superusers, written only by learners.audit.record ---------


class AuditLogPolicy(BasePermissionPolicy):
    """Superusers may view the log; nobody may add, change or delete an event."""

    def user_has_permission(self, user, action):
        return action == "view" and user.is_active and user.is_superuser

    def user_has_any_permission(self, user, actions):
        return any(self.user_has_permission(user, action) for action in actions)

    def users_with_any_permission(self, actions):
        if "view" not in actions:
            return get_user_model().objects.none()
        return get_user_model().objects.filter(is_active=True, is_superuser=True)


class AuditEventViewSet(ModelViewSet):
    model = AuditEvent
    icon = "history"
    menu_label = _("Journal d'audit")
    menu_order = 320
    add_to_admin_menu = True
    inspect_view_enabled = True
    copy_view_enabled = False
    list_display = ["at", "action", "actor_email", "target_label", "ip_address"]
    list_filter = ["action", "at"]
    search_fields = ["actor_email", "target_label", "target_id"]
    inspect_view_fields = [
        "at", "action", "actor_email", "target_type", "target_id", "target_label", "details", "ip_address",
    ]
    # Editing forms are never shown (the policy refuses them); Wagtail still builds one.
    form_fields = []

    def get_permissions_to_register(self):
        # The model's permissions mean nothing here (the policy decides): keep them out
        # of the group editor.
        return Permission.objects.none()
