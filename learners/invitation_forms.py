"""Forms of the manager's invitation, team and import pages, and of the invitation
acceptance (learners.views_invitations)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from learners.models import Membership, User


NO_TEAM = ""


def team_choices(scope):
    """The teams a manager may pick: those they see, and "no team" (the whole
    organisation) for those who see all of it. Values are ids as text: a forged value is
    a form error, never a query."""
    choices = [(str(team.pk), team.name) for team in scope.teams()]
    if scope.whole_organisation:
        choices.insert(0, (NO_TEAM, _("Aucune équipe (toute l'organisation)")))
    return choices


class InvitationForm(forms.Form):
    """Invite one person by e-mail."""

    email = forms.EmailField(label=_("Adresse e-mail"), max_length=254)
    first_name = forms.CharField(label=_("Prénom"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Nom"), max_length=150, required=False)
    team = forms.ChoiceField(label=_("Équipe"), required=False)
    role = forms.ChoiceField(label=_("Rôle"), choices=Membership.Role.choices, initial=Membership.Role.LEARNER)

    def __init__(self, *args, scope, **kwargs):
        super().__init__(*args, **kwargs)
        self.scope = scope
        self.fields["team"].choices = team_choices(scope)
        self.fields["email"].widget.attrs["autocomplete"] = "off"

    def clean_team(self):
        value = self.cleaned_data["team"]
        if value == NO_TEAM:
            if not self.scope.whole_organisation:
                raise forms.ValidationError(_("Choisissez une équipe."))
            return None
        return self.scope.teams().get(pk=int(value))  # one of the choices: checked by ChoiceField


class TeamNameForm(forms.Form):
    name = forms.CharField(label=_("Nom de l'équipe"), max_length=200)


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Fichier CSV"),
        help_text=_("Une ligne de titres (e-mail, prénom, nom, équipe), puis une personne par ligne ; séparateur "
                    "« ; » ou « , » ; 2 Mo et 5 000 personnes au plus."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv,text/plain"}),
    )


class InvitationSignupForm(forms.Form):
    """A new account from an invitation: the e-mail address is the invited one, fixed."""

    first_name = forms.CharField(label=_("Prénom"), max_length=150)
    last_name = forms.CharField(label=_("Nom"), max_length=150)
    password1 = forms.CharField(
        label=_("Mot de passe"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    password2 = forms.CharField(
        label=_("Confirmation du mot de passe"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, email, **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email
        self.fields["first_name"].widget.attrs["autocomplete"] = "given-name"
        self.fields["last_name"].widget.attrs["autocomplete"] = "family-name"

    def clean(self):
        from django.contrib.auth import password_validation

        cleaned = super().clean()
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", _("Les deux mots de passe ne sont pas identiques."))
        elif password1:
            candidate = User(email=self.email, first_name=cleaned.get("first_name", ""), last_name=cleaned.get("last_name", ""))
            try:
                password_validation.validate_password(password1, candidate)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned
