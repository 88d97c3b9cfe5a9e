"""Two-factor authentication: a code from an authenticator app (TOTP) after the password,
or one of ten single-use recovery codes. Built on django-otp's devices and throttling.

Turning it on takes two steps: start_setup() gives an unconfirmed TOTP device (its QR code
and secret are shown), confirm_setup() confirms it with a first code and returns the
recovery codes, shown once. At login, check_code() checks a code against the person's
devices; wrong codes slow down the next tries (django-otp: 1, 2, 4, 8… seconds).

The login's second step keeps the person "pending" in the session (begin_pending_login /
pending_login) for a few minutes, between the password and the code."""

import math
import time
from base64 import b32encode
from dataclasses import dataclass
from xml.etree import ElementTree

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_otp.models import VerifyNotAllowed
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from home.refusals import Kind, Refused
from learners import audit
from learners.models import User
from learners.roles import is_privileged

__all__ = [
    "CodeRefused", "PendingLogin", "RECOVERY_CODE_COUNT", "begin_pending_login", "check_code", "confirm_setup",
    "forget_pending_login", "is_enabled", "is_privileged", "is_required_for", "may_turn_off", "pending_login",
    "pending_setup", "qr_code_svg", "recovery_codes_left", "replace_recovery_codes", "secret_in_groups",
    "start_setup", "turn_off",
]

RECOVERY_CODE_COUNT = 10
APP_DEVICE_NAME = "authenticator-app"
RECOVERY_DEVICE_NAME = "recovery-codes"
PENDING_SESSION_KEY = "two_factor_pending_login"
TOTP_DIGITS = 6


class CodeRefused(Refused):
    """A code was not accepted; `message` says why, in words a person understands."""

    kind = Kind.INVALID


# --- Who, and whether ------------------------------------------------------------------


def is_enabled(user):
    """Whether `user` confirmed an authenticator app (then every login asks for a code)."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def is_required_for(user):
    """Whether `user` must use 2FA: required on this site and a privileged role."""
    return bool(settings.PASSERELLE_REQUIRE_2FA) and is_privileged(user)


def may_turn_off(user):
    """Everyone may turn 2FA off, except those who must use it (they may replace their app)."""
    return not is_required_for(user)


def recovery_codes_left(user):
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


# --- Setting up -------------------------------------------------------------------------


def start_setup(*, user):
    """Create a new unconfirmed authenticator device for `user` (forgetting any earlier
    unconfirmed one) and return it. Devices already confirmed keep working until the new
    one is confirmed."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        return TOTPDevice.objects.create(user=user, name=APP_DEVICE_NAME, confirmed=False)


def pending_setup(user):
    """The unconfirmed device `user` is setting up, or None."""
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()


def confirm_setup(*, user, code, request=None):
    """Confirm the device being set up with a first code from the app. On success the new
    device replaces any earlier one and fresh recovery codes replace the old ones, and the
    audit log records it, all in one transaction; returns (device, recovery codes).
    Raises CodeRefused otherwise."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("-pk").first()
        if device is None:
            raise CodeRefused(_("Aucune activation en cours : recommencez depuis la page Sécurité du compte."))
        refusal = refusal_for(device, code)
        if refusal is None:
            TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            codes = replace_recovery_codes(user=user)
            audit.record(actor=user, action=audit.Action.TWO_FACTOR_ENABLED, target=user, request=request)
    # Raised after the commit: a wrong code's failure count must be kept (throttling).
    if refusal is not None:
        raise CodeRefused(refusal)
    return device, codes


def replace_recovery_codes(*, user):
    """Give `user` RECOVERY_CODE_COUNT new single-use recovery codes; the old ones stop
    working. Returns the codes as shown to the person (e.g. "abcd-efgh")."""
    with transaction.atomic():
        device, _created = StaticDevice.objects.get_or_create(
            user=user, name=RECOVERY_DEVICE_NAME, defaults={"confirmed": True}
        )
        StaticDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.token_set.all().delete()
        tokens = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
        StaticToken.objects.bulk_create(StaticToken(device=device, token=token) for token in tokens)
        device.throttle_reset()
    return [f"{token[:4]}-{token[4:]}" for token in tokens]


def turn_off(*, user, request=None):
    """Remove every device of `user` (app and recovery codes) and record it in the audit
    log, in one transaction. Callers check may_turn_off()."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        audit.record(actor=user, action=audit.Action.TWO_FACTOR_DISABLED, target=user, request=request)


# --- What the setup page shows ----------------------------------------------------------


def secret_in_groups(device):
    """The secret in base32, in groups of four, for typing it into an app by hand."""
    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[index:index + 4] for index in range(0, len(secret), 4))


def qr_code_svg(device, label):
    """The device's otpauth:// address as an inline SVG QR code (made here, no external
    service), sized by the stylesheet (class "qr-code") and named for screen readers."""
    code = qrcode.QRCode(border=4, box_size=10, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(device.config_url)
    svg = code.make_image(image_factory=qrcode.image.svg.SvgPathImage).get_image()
    for attribute in ("width", "height"):
        svg.attrib.pop(attribute, None)
    svg.set("class", "qr-code")
    svg.set("role", "img")
    svg.set("aria-label", label)
    return mark_safe(ElementTree.tostring(svg, encoding="unicode"))  # noqa: S308 (built here, no user text)


# --- Checking a code ----------------------------------------------------------------------


def normalise(code):
    return "".join((code or "").split()).replace("-", "").lower()


def check_code(*, user, code):
    """The device that accepts `code` for `user`: six digits are checked against the
    authenticator app, anything else against the recovery codes (a recovery code works
    once). Raises CodeRefused when the code is wrong or when too many wrong codes were
    tried lately (then it says how long to wait)."""
    code = normalise(code)
    looks_like_app_code = len(code) == TOTP_DIGITS and code.isascii() and code.isdigit()
    model = TOTPDevice if looks_like_app_code else StaticDevice
    with transaction.atomic():
        device = model.objects.select_for_update().filter(user=user, confirmed=True).order_by("-pk").first()
        refusal = wrong_code_message() if device is None else refusal_for(device, code)
    # Raised after the commit: a wrong code's failure count must be kept (throttling).
    if refusal is not None:
        raise CodeRefused(refusal)
    return device


def refusal_for(device, code):
    """None if `code` is accepted by `device`, else why not. django-otp's throttling is on:
    a wrong code adds a failure (saved), and after n failures the device refuses every
    code for 2^(n-1) seconds."""
    allowed, details = device.verify_is_allowed()
    if not allowed:
        return throttled_message(details)
    if not device.verify_token(normalise(code)):
        return wrong_code_message()
    return None


def wrong_code_message():
    return _("Ce code n'est pas valable. Saisissez le code affiché en ce moment par votre application, "
             "ou un code de secours que vous n'avez pas encore utilisé.")


def throttled_message(details):
    locked_until = (details or {}).get("locked_until")
    if (details or {}).get("reason") == VerifyNotAllowed.N_FAILED_ATTEMPTS and locked_until:
        seconds = max(1, math.ceil((locked_until - timezone.now()).total_seconds()))
        return ngettext(
            "Trop de codes incorrects : attendez %(seconds)d seconde avant de réessayer.",
            "Trop de codes incorrects : attendez %(seconds)d secondes avant de réessayer.",
            seconds,
        ) % {"seconds": seconds}
    return _("Trop de codes incorrects : attendez quelques instants avant de réessayer.")


# --- The login's second step (session state) ---------------------------------------------


@dataclass(frozen=True)
class PendingLogin:
    user: User
    backend: str
    next_url: str


def begin_pending_login(request, *, user, next_url):
    """Remember that `user` gave the right password (not logged in yet): the code page
    finishes the login within settings.PASSERELLE_2FA_PENDING_SECONDS."""
    request.session[PENDING_SESSION_KEY] = {
        "user_id": user.pk,
        "backend": user.backend,
        "password_hash": user.get_session_auth_hash(),
        "at": time.time(),
        "next": next_url,
    }


def pending_login(request):
    """The login waiting for its code, or None (none, expired, or the account changed:
    deactivated or a new password since)."""
    state = request.session.get(PENDING_SESSION_KEY)
    if not isinstance(state, dict):
        return None
    if time.time() - state.get("at", 0) > settings.PASSERELLE_2FA_PENDING_SECONDS:
        forget_pending_login(request)
        return None
    user = User.objects.filter(pk=state.get("user_id"), is_active=True).first()
    if user is None or not constant_time_compare(user.get_session_auth_hash(), state.get("password_hash", "")):
        forget_pending_login(request)
        return None
    return PendingLogin(user=user, backend=state["backend"], next_url=state["next"])


def forget_pending_login(request):
    request.session.pop(PENDING_SESSION_KEY, None)
