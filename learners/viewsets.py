"""Admin screens for learners' records. Certificates are issued by the platform only:
administrators may search them and revoke one (date and reason), never create one."""

from django.utils.translation import gettext_lazy as _
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.snippets.views.snippets import SnippetViewSet

from learners.models import Certificate


class IssuedOnlyPolicy(ModelPermissionPolicy):
    """Model permissions, except that nobody may add a record by hand."""

    def user_has_permission(self, user, action):
        return action != "add" and super().user_has_permission(user, action)

    def user_has_any_permission(self, user, actions):
        return super().user_has_any_permission(user, [action for action in actions if action != "add"])


class CertificateViewSet(SnippetViewSet):
    model = Certificate
    icon = "doc-full"
    menu_label = _("Certificats")
    menu_order = 310
    add_to_admin_menu = True
    list_display = ["code", "learner_name", "course_title", "issued_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["code", "learner_name", "course_title"]
