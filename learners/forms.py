from django import forms
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm
from django.utils.translation import gettext_lazy as _

from learners.models import User


class SignupForm(UserCreationForm):
    """A new learner account: name, e-mail, password twice."""

    class Meta:
        model = User
        fields = ("first_name", "last_name", "email")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("first_name", "last_name"):
            self.fields[name].required = True
        self.fields["email"].widget.attrs["autocomplete"] = "email"
        self.fields["first_name"].widget.attrs["autocomplete"] = "given-name"
        self.fields["last_name"].widget.attrs["autocomplete"] = "family-name"

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(
                _("Un compte existe déjà avec cette adresse. Connectez-vous ou réinitialisez votre mot de passe.")
            )
        return email


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ("first_name", "last_name", "preferred_language")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("first_name", "last_name"):
            self.fields[name].required = True


class LoginForm(AuthenticationForm):
    """Django's login form, with a message that fits e-mail logins (not case-sensitive)."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("Adresse e-mail ou mot de passe incorrect. Vérifiez-les et réessayez."),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs["autocomplete"] = "email"


# --- Two-factor authentication ----------------------------------------------------------


def one_time_code_field(label, required=True):
    """A field for the six digits an authenticator app shows (phones offer the number keypad
    and may fill it from the app)."""
    return forms.CharField(
        label=label,
        required=required,
        max_length=12,
        widget=forms.TextInput(attrs={
            "autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9 ]*", "spellcheck": "false",
        }),
    )


def digits_only(value):
    """The six digits typed (spaces are allowed, as apps show "123 456"), or a clear error."""
    code = "".join(value.split())
    if len(code) != 6 or not (code.isascii() and code.isdigit()):  # "²" and "①" pass isdigit()
        raise forms.ValidationError(_("Le code comporte 6 chiffres : saisissez-le tel que votre application l'affiche."))
    return code


class OneTimeCodeForm(forms.Form):
    """Six digits from the authenticator app (to confirm the app, or this session)."""

    code = one_time_code_field(_("Code à 6 chiffres"))

    def clean_code(self):
        return digits_only(self.cleaned_data["code"])


class LoginCodeForm(forms.Form):
    """The login's second step: the app's code, or a recovery code when the phone is not at hand."""

    code = one_time_code_field(_("Code à 6 chiffres"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].widget.attrs["autofocus"] = True
    recovery_code = forms.CharField(
        label=_("Code de secours"),
        required=False,
        max_length=20,
        help_text=_("Un des 10 codes reçus à l'activation, par exemple abcd-efgh. Chacun ne sert qu'une fois."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"}),
    )

    def clean_code(self):
        code = self.cleaned_data["code"]
        return digits_only(code) if code.strip() else ""

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not cleaned.get("code") and not cleaned.get("recovery_code", "").strip():
            self.add_error("code", _("Saisissez le code à 6 chiffres affiché par votre application, ou un code de secours."))
        return cleaned

    def token(self):
        return self.cleaned_data["code"] or self.cleaned_data["recovery_code"]


class ConfirmIdentityForm(forms.Form):
    """Before a change to 2FA: the current password, or a code from the app."""

    password = forms.CharField(
        label=_("Mot de passe actuel"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    code = one_time_code_field(_("Code à 6 chiffres de votre application"), required=False)

    def __init__(self, *args, request, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request

    def clean_code(self):
        code = self.cleaned_data["code"]
        return digits_only(code) if code.strip() else ""

    def clean(self):
        from django.contrib.auth import authenticate

        from learners import two_factor

        cleaned = super().clean()
        if self.errors:
            return cleaned
        user = self.request.user
        password, code = cleaned.get("password"), cleaned.get("code")
        if password:
            # Through authenticate(), so that login throttling counts these tries too.
            if authenticate(self.request, username=user.get_username(), password=password) != user:
                self.add_error("password", _("Ce mot de passe n'est pas le bon."))
        elif code:
            try:
                two_factor.check_code(user=user, code=code)
            except two_factor.CodeRefused as refusal:
                self.add_error("code", refusal.message)
        else:
            raise forms.ValidationError(_("Saisissez votre mot de passe actuel ou un code de votre application."))
        return cleaned


# --- Data rights --------------------------------------------------------------------------


class DeleteAccountForm(forms.Form):
    """Deleting one's account: the password, a two-factor code when 2FA is on, and an
    explicit "I understand". The password is checked through authenticate(), so login
    throttling counts wrong tries; the code only once the password is right (a recovery
    code is not spent on a wrong password)."""

    password = forms.CharField(
        label=_("Mot de passe"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    code = forms.CharField(
        label=_("Code de votre application ou code de secours"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autocapitalize": "none", "spellcheck": "false"}),
    )
    understood = forms.BooleanField(
        label=_("Je comprends que la suppression est définitive : mon nom, mon adresse e-mail et mon mot de passe seront effacés."),
    )

    def __init__(self, *args, request, **kwargs):
        from learners import two_factor

        super().__init__(*args, **kwargs)
        self.request = request
        self.two_factor_on = two_factor.is_enabled(request.user)
        if not self.two_factor_on:
            del self.fields["code"]

    def clean(self):
        from django.contrib.auth import authenticate

        from learners import two_factor

        cleaned = super().clean()
        if self.errors:  # a missing field or box: nothing is checked, nothing is spent
            return cleaned
        user = self.request.user
        password = cleaned["password"]
        if authenticate(self.request, username=user.get_username(), password=password) != user:
            self.add_error("password", _("Ce mot de passe n'est pas le bon."))
            return cleaned
        if self.two_factor_on:
            code = (cleaned.get("code") or "").strip()
            if not code:
                self.add_error("code", _("Votre compte est protégé par la double authentification : saisissez le code affiché par votre application, ou un code de secours."))
            else:
                try:
                    two_factor.check_code(user=user, code=code)
                except two_factor.CodeRefused as refusal:
                    self.add_error("code", refusal.message)
        return cleaned
