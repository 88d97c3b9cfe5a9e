"""Organisations in the Wagtail admin, for administrators (superusers) only.

An administrator creates an organisation and names its first manager by e-mail: a
person with an account becomes manager of the whole organisation at once; anyone else
gets an invitation as manager (learners.invitations.name_first_manager), mailed after
the save. Teams have their own listing (filtered by organisation) rather than an inline
panel: an InlinePanel would need Organisation to become a ClusterableModel and Team to
hold a ParentalKey, a change to models the manager space is built on, for a screen
administrators rarely need — managers run their teams from the site
(/organisations/<slug>/equipes/)."""

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, MultiFieldPanel, ObjectList
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup
from wagtail.admin.views.generic import CreateView, EditView
from wagtail.permission_policies.base import BasePermissionPolicy

from learners import invitations
from learners.models import Invitation, Membership, Organisation, Team


class SuperusersOnlyPolicy(BasePermissionPolicy):
    """Administrators (active superusers) may do everything; nobody else anything —
    trainers included, whatever their groups say."""

    def user_has_permission(self, user, action):
        return bool(user.is_active and user.is_superuser)

    def user_has_any_permission(self, user, actions):
        return self.user_has_permission(user, None)

    def users_with_any_permission(self, actions):
        return get_user_model().objects.filter(is_active=True, is_superuser=True)


class OrganisationAdminForm(WagtailAdminModelForm):
    first_manager_email = forms.EmailField(
        label=_("E-mail du premier responsable"), required=False, max_length=254,
        help_text=_("Une personne qui a déjà un compte devient responsable de toute l'organisation ; sinon elle "
                    "reçoit une invitation comme responsable."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Required when the organisation is created; on an edit, fill it to add a manager.
        self.fields["first_manager_email"].required = self.instance.pk is None

    def clean_first_manager_email(self):
        email = invitations.normalise_email(self.cleaned_data.get("first_manager_email"))
        if email and self.instance.pk is not None:
            pending = invitations.open_invitations(self.instance).filter(email=email).first()
            if pending is not None and pending.status() == Invitation.Status.PENDING:
                raise forms.ValidationError(
                    _("Cette personne a déjà une invitation en attente pour cette organisation.")
                )
        return email


class FirstManagerMixin:
    """Names the manager typed in the form, in the transaction of the save."""

    def save_instance(self):
        organisation = super().save_instance()
        email = self.form.cleaned_data.get("first_manager_email")
        if email:
            self.named = invitations.name_first_manager(
                organisation=organisation, email=email, by=self.request.user, request=self.request
            )
        return organisation

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except invitations.InvitationRefused as refusal:  # raced with another invitation: all rolled back
            form.add_error("first_manager_email", refusal.message)
            return self.form_invalid(form)

    def get_success_message(self, *args):
        message = super().get_success_message(*args)
        named = getattr(self, "named", None)
        if isinstance(named, Membership):
            return _("%(message)s %(person)s en est responsable.") % {"message": message, "person": named.user}
        if isinstance(named, Invitation):
            return _("%(message)s Invitation de responsable envoyée à %(email)s.") % {
                "message": message, "email": named.email,
            }
        return message


class OrganisationCreateView(FirstManagerMixin, CreateView):
    pass


class OrganisationEditView(FirstManagerMixin, EditView):
    pass


class OrganisationViewSet(ModelViewSet):
    model = Organisation
    icon = "group"
    menu_label = _("Organisations")
    add_view_class = OrganisationCreateView
    edit_view_class = OrganisationEditView
    copy_view_enabled = False
    list_display = ["name", "slug", "manager_scope", "created_at"]
    search_fields = ["name", "slug"]
    edit_handler = ObjectList([
        FieldPanel("name"),
        FieldPanel("slug"),
        FieldPanel("manager_scope"),
        MultiFieldPanel(
            [FieldPanel("reminder_days_before"), FieldPanel("reminder_every_days")], heading=_("Relances automatiques")
        ),
        FieldPanel("first_manager_email"),
    ], base_form_class=OrganisationAdminForm)

    def get_permissions_to_register(self):
        return Permission.objects.none()  # the policy decides: superusers only


class TeamViewSet(ModelViewSet):
    model = Team
    icon = "folder-inverse"
    menu_label = _("Équipes")
    copy_view_enabled = False
    list_display = ["name", "organisation"]
    list_filter = ["organisation"]
    search_fields = ["name"]
    form_fields = ["organisation", "name"]

    def get_permissions_to_register(self):
        return Permission.objects.none()


class OrganisationsGroup(ModelViewSetGroup):
    menu_label = _("Organisations")
    menu_icon = "group"
    menu_order = 300
    items = (OrganisationViewSet("organisations", url_prefix="organisations"), TeamViewSet("teams", url_prefix="equipes"))
