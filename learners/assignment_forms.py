"""Forms of the assignments page. Every choice comes from the manager's scope: an id
from elsewhere (another organisation's team, a person not seen, a course not live, or
anything that is not an id) is a form error, never a 500."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from courses.models import CoursePage
from learners.access import is_id
from learners.assignments import DUE_DATE_IN_THE_PAST

INVALID_CHOICE = _("Ce choix n'est pas disponible : rechargez la page et choisissez dans la liste.")


class IdChoiceField(forms.ModelChoiceField):
    """A choice by id that refuses what is not an id before asking the database."""

    default_error_messages = {"invalid_choice": INVALID_CHOICE}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if not is_id(str(value)):
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class IdMultipleChoiceField(forms.ModelMultipleChoiceField):
    default_error_messages = {"invalid_choice": INVALID_CHOICE, "invalid_pk_value": INVALID_CHOICE}

    def _check_values(self, value):
        if any(not is_id(str(item)) for item in value):
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super()._check_values(value)


class PersonChoiceField(IdMultipleChoiceField):
    def label_from_instance(self, obj):
        name = obj.get_full_name()
        return f"{name} ({obj.email})" if name else obj.email


def due_date_field():
    return forms.DateField(
        label=_("Échéance"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Facultative. La formation est due au plus tard ce jour-là."),
    )


def clean_due_date(value, today):
    if value is not None and value < today:
        raise forms.ValidationError(DUE_DATE_IN_THE_PAST, code="past")
    return value


class AssignForm(forms.Form):
    course = IdChoiceField(
        label=_("Formation"), queryset=CoursePage.objects.none(), empty_label=_("— Choisissez une formation —")
    )
    team = IdChoiceField(
        label=_("Équipe"), queryset=None, required=False, empty_label=_("— Aucune équipe —"),
        help_text=_("Tous ses membres actuels, responsables compris, et ceux qui la rejoindront."),
    )
    people = PersonChoiceField(
        label=_("Personnes"), queryset=None, required=False,
        help_text=_("En plus de l'équipe, ou à sa place. Ctrl (ou Cmd) + clic pour en choisir plusieurs."),
    )
    due_on = due_date_field()

    def __init__(self, *args, scope, today=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today or timezone.localdate()
        self.fields["course"].queryset = CoursePage.objects.live().order_by("title")
        self.fields["team"].queryset = scope.teams()
        self.fields["people"].queryset = scope.people().order_by("last_name", "first_name", "email")

    def clean_due_on(self):
        return clean_due_date(self.cleaned_data.get("due_on"), self.today)

    def clean(self):
        cleaned = super().clean()
        if not self.errors and cleaned.get("team") is None and not cleaned.get("people"):
            raise forms.ValidationError(_("Choisissez une équipe ou au moins une personne."), code="no_one")
        return cleaned


class DueDateForm(forms.Form):
    due_on = due_date_field()

    def __init__(self, *args, today=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today or timezone.localdate()

    def clean_due_on(self):
        return clean_due_date(self.cleaned_data.get("due_on"), self.today)
