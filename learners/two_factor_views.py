"""Logging in (password, then a code when two-factor authentication is on) and the
account's security pages. The rules live in learners.two_factor; these views translate HTTP."""

from urllib.parse import urlsplit

import django_otp
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from home.redirects import local_path, requested_next
from learners import two_factor
from learners.forms import ConfirmIdentityForm, LoginCodeForm, LoginForm, OneTimeCodeForm

FRESH_CODES_SESSION_KEY = "two_factor_fresh_recovery_codes"


# --- Where a login leads ------------------------------------------------------------------


def login_pages():
    return {reverse("login"), reverse("login_code"), reverse("wagtailadmin_login")}


def safe_target(request, target):
    """`target` if it is a page of this site other than a login page, else None."""
    return local_path(request, target, excluded=login_pages())


def target_for_logged_in_visitor(request):
    """Where a visitor already logged in goes from a login page: the page asked for, or
    their dashboard; never the login page itself (no redirect loop). None when the page
    asked for is the admin and they may not enter it: the login page then lets them
    change account (the admin's own behaviour)."""
    target = safe_target(request, request.GET.get("next")) or reverse("dashboard")
    admin_home = reverse("wagtailadmin_home")
    if urlsplit(target).path.startswith(admin_home) and not request.user.has_perm("wagtailadmin.access_admin"):
        return None
    return target


# --- Logging in -----------------------------------------------------------------------------


@sensitive_post_parameters()
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request, default_next=None):
    """Step 1: e-mail and password (authenticate(), so login throttling applies). Without
    2FA the person is logged in; with it, they are only remembered as pending and asked
    for a code on the next page. /admin/login/ is this same view."""
    if request.user.is_authenticated and request.method == "GET":
        if target := target_for_logged_in_visitor(request):
            return redirect(target)
    form = LoginForm(request, data=request.POST if request.method == "POST" else None)
    if form.is_valid():
        user = form.get_user()
        next_url = requested_next(request, resolve_url(default_next or settings.LOGIN_REDIRECT_URL), excluded=login_pages())
        if two_factor.is_enabled(user):
            two_factor.begin_pending_login(request, user=user, next_url=next_url)
            return redirect("login_code")
        login(request, user)
        return redirect(next_url)
    next_url = requested_next(request, "", excluded=login_pages())
    return render(request, "registration/login.html", {"form": form, "next": next_url or ""})


@sensitive_post_parameters()
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_code(request):
    """Step 2: the code from the app (or a recovery code); then the person is logged in,
    and the session remembers which device verified it."""
    pending = two_factor.pending_login(request)
    if pending is None:
        messages.error(request, _("Votre connexion a expiré ou n'a pas commencé : saisissez à nouveau votre adresse e-mail et votre mot de passe."))
        return redirect("login")
    form = LoginCodeForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            device = two_factor.check_code(user=pending.user, code=form.token())
        except two_factor.CodeRefused as refusal:
            form.add_error("code" if form.cleaned_data["code"] else "recovery_code", refusal.message)
        else:
            two_factor.forget_pending_login(request)
            login(request, pending.user, backend=pending.backend)
            django_otp.login(request, device)
            if device.name == two_factor.RECOVERY_DEVICE_NAME:
                messages.warning(request, recovery_codes_left_message(two_factor.recovery_codes_left(pending.user)))
            return redirect(pending.next_url)
    return render(request, "registration/login_code.html", {"form": form})


def recovery_codes_left_message(left):
    if left == 0:
        return _("Vous avez utilisé votre dernier code de secours : créez-en de nouveaux depuis la page Sécurité du compte.")
    return _("Vous avez utilisé un code de secours ; il vous en reste %(left)d. Créez-en de nouveaux depuis la page Sécurité du compte si besoin.") % {"left": left}


# --- The security pages -------------------------------------------------------------------


@login_required
def security(request):
    user = request.user
    return render(request, "learners/security/overview.html", {
        "enabled": two_factor.is_enabled(user),
        "verified": user.is_verified(),
        "required": two_factor.is_required_for(user),
        "may_turn_off": two_factor.may_turn_off(user),
        "codes_left": two_factor.recovery_codes_left(user),
        "verify_form": OneTimeCodeForm(),
    })


@login_required
@require_POST
def start_setup(request):
    """Begin (or begin again) setting up an authenticator app. A person who already uses
    one confirms it is them first (verified session)."""
    if two_factor.is_enabled(request.user) and not request.user.is_verified():
        messages.error(request, _("Confirmez d'abord votre identité avec un code de votre application."))
        return redirect("two_factor")
    two_factor.start_setup(user=request.user)
    return redirect("two_factor_setup")


@login_required
@require_http_methods(["GET", "POST"])
def confirm_setup(request):
    """The QR code and the secret of the app being set up, and its first code."""
    device = two_factor.pending_setup(request.user)
    if device is None:
        return redirect("two_factor")
    form = OneTimeCodeForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            device, codes = two_factor.confirm_setup(user=request.user, code=form.cleaned_data["code"], request=request)
        except two_factor.CodeRefused as refusal:
            form.add_error("code", refusal.message)
        else:
            django_otp.login(request, device)
            request.session[FRESH_CODES_SESSION_KEY] = codes
            messages.success(request, _("La double authentification est activée."))
            return redirect("two_factor_recovery_codes")
    return render(request, "learners/security/setup.html", {
        "form": form,
        "qr_code": two_factor.qr_code_svg(device, _("QR code à scanner avec votre application d'authentification")),
        "secret": two_factor.secret_in_groups(device),
    })


@login_required
@never_cache
def recovery_codes(request):
    """Fresh recovery codes, shown once: the page forgets them as it shows them."""
    codes = request.session.pop(FRESH_CODES_SESSION_KEY, None)
    if not codes:
        return redirect("two_factor")
    return render(request, "learners/security/recovery_codes.html", {"codes": codes})


@sensitive_post_parameters()
@login_required
@require_http_methods(["GET", "POST"])
def new_recovery_codes(request):
    if not two_factor.is_enabled(request.user):
        return redirect("two_factor")
    form = ConfirmIdentityForm(request.POST if request.method == "POST" else None, request=request)
    if form.is_valid():
        request.session[FRESH_CODES_SESSION_KEY] = two_factor.replace_recovery_codes(user=request.user)
        messages.success(request, _("Vos nouveaux codes de secours sont prêts ; les anciens ne fonctionnent plus."))
        return redirect("two_factor_recovery_codes")
    return render(request, "learners/security/confirm_identity.html", {
        "form": form,
        "title": _("Créer de nouveaux codes de secours"),
        "explanation": _("Les 10 codes actuels cesseront de fonctionner et 10 nouveaux seront affichés une seule fois."),
        "submit": _("Créer de nouveaux codes"),
    })


@sensitive_post_parameters()
@login_required
@require_http_methods(["GET", "POST"])
def turn_off(request):
    """Turn 2FA off; someone who must use it may only replace their app (the setup of the
    new one starts at once, and the site stays closed to them until it is confirmed)."""
    if not two_factor.is_enabled(request.user):
        return redirect("two_factor")
    may_turn_off = two_factor.may_turn_off(request.user)
    form = ConfirmIdentityForm(request.POST if request.method == "POST" else None, request=request)
    if form.is_valid():
        two_factor.turn_off(user=request.user, request=request)
        if may_turn_off:
            messages.success(request, _("La double authentification est désactivée."))
            return redirect("two_factor")
        two_factor.start_setup(user=request.user)
        return redirect("two_factor_setup")
    if may_turn_off:
        texts = {
            "title": _("Désactiver la double authentification"),
            "explanation": _("Votre compte ne sera plus protégé que par votre mot de passe, et vos codes de secours seront effacés."),
            "submit": _("Désactiver"),
        }
    else:
        texts = {
            "title": _("Changer d'application d'authentification"),
            "explanation": _("Votre rôle exige la double authentification : vous ne pouvez pas la désactiver, mais vous pouvez la reconfigurer sur un nouveau téléphone. L'application actuelle et vos codes de secours cesseront de fonctionner."),
            "submit": _("Reconfigurer"),
        }
    return render(request, "learners/security/confirm_identity.html", {"form": form, **texts})


@login_required
@require_POST
def verify_session(request):
    """Someone who uses 2FA but whose session was not verified by it (it was opened before
    they turned it on) confirms it with a code."""
    form = OneTimeCodeForm(request.POST)
    if form.is_valid():
        try:
            device = two_factor.check_code(user=request.user, code=form.cleaned_data["code"])
        except two_factor.CodeRefused as refusal:
            form.add_error("code", refusal.message)
        else:
            django_otp.login(request, device)
            messages.success(request, _("Votre identité est confirmée."))
            return redirect(requested_next(request, "dashboard"))
    return render(request, "learners/security/verify.html", {"form": form})
