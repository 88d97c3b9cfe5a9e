"""Two-factor authentication: setting it up, logging in with a code or a recovery code,
the admin's login, who must use it (PASSERELLE_REQUIRE_2FA) and a learner's journey."""

import re
import time

import pytest
from django.contrib.auth.models import Group
from django.test import override_settings
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from learners import two_factor
from learners.audit import Action
from learners.models import AuditEvent
from learners.models import Membership, Organisation, Team
from learners.roles import TRAINERS_GROUP
from tests.factories import make_user
from tests.test_browser import press_enter_and_wait, tab_to, tab_to_text
from tests.test_settings import run_python

pytestmark = pytest.mark.django_db

PASSWORD = "un-mot-de-passe-solide"
LOGIN = "/comptes/connexion/"
LOGIN_CODE = "/comptes/connexion/code/"
SECURITY = "/comptes/securite/"


def fresh_code(device):
    """The code the person's app shows now, or the next one if this one was already used
    (a TOTP code is accepted once; the device allows one step of clock drift)."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    steps_ahead = max(0, device.last_t + 1 - totp.t())
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def wrong_code(device):
    """Six digits that no step around now accepts."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    accepted = set()
    for offset in (-2, -1, 0, 1, 2):
        totp.time = time.time() + offset * device.step
        accepted.add(f"{totp.token():06d}")
    return next(code for code in (f"{n:06d}" for n in range(123456, 999999)) if code not in accepted)


def app_device(user):
    return TOTPDevice.objects.get(user=user, confirmed=True)


def turn_on(user):
    """Turn 2FA on for `user` as the setup page does; returns the recovery codes."""
    device = two_factor.start_setup(user=user)
    _device, codes = two_factor.confirm_setup(user=user, code=fresh_code(device))
    return codes


def allow_next_try(user):
    """Forget django-otp's wait after wrong codes (its delay is tested on its own)."""
    for device in TOTPDevice.objects.filter(user=user):
        device.throttle_reset()


def log_in_with_password(client, email, next_url=None, path=LOGIN):
    data = {"username": email, "password": PASSWORD}
    if next_url is not None:
        data["next"] = next_url
    return client.post(path, data)


def make_trainer(**fields):
    trainer = make_user(**fields)
    trainer.groups.add(Group.objects.get(name=TRAINERS_GROUP))
    return trainer


def make_manager(**fields):
    manager = make_user(**fields)
    organisation = Organisation.objects.create(name="Asso", slug="asso")
    team = Team.objects.create(organisation=organisation, name="Com")
    Membership.objects.create(user=manager, organisation=organisation, team=team, role=Membership.Role.MANAGER)
    return manager


def make_administrator(**fields):
    return make_user(is_staff=True, is_superuser=True, **fields)


# --- Setting it up ---------------------------------------------------------------------


def test_a_learner_turns_two_factor_on_with_a_first_code_and_sees_ten_recovery_codes_once(client):
    # given a learner on the security page
    learner = make_user()
    client.force_login(learner)
    assert "Désactivée" in client.get(SECURITY).content.decode()

    # when they start, the setup page shows a QR code and the secret of an unconfirmed device
    response = client.post("/comptes/securite/commencer/")
    assert response.status_code == 302 and response.url == "/comptes/securite/activer/"
    page = client.get("/comptes/securite/activer/").content.decode()
    device = TOTPDevice.objects.get(user=learner)
    assert not device.confirmed and not two_factor.is_enabled(learner)
    assert '<svg version="1.1" viewBox=' in page and 'class="qr-code" role="img"' in page
    assert two_factor.secret_in_groups(device) in page

    # and a wrong first code does not turn it on
    response = client.post("/comptes/securite/activer/", {"code": wrong_code(device)})
    assert "Ce code n&#x27;est pas valable" in response.content.decode()
    assert not two_factor.is_enabled(learner)
    allow_next_try(learner)

    # then the right code turns it on and shows 10 recovery codes, once
    response = client.post("/comptes/securite/activer/", {"code": fresh_code(device)})
    assert response.status_code == 302 and response.url == "/comptes/securite/codes-de-secours/"
    assert two_factor.is_enabled(learner)
    assert client.session["otp_device_id"] == device.persistent_id
    assert list(AuditEvent.objects.values_list("action", "actor", "target_id")) == [
        (Action.TWO_FACTOR_ENABLED, learner.pk, str(learner.pk))
    ]
    page = client.get("/comptes/securite/codes-de-secours/").content.decode()
    shown = re.findall(r"<code>([a-z2-7]{4}-[a-z2-7]{4})</code>", page)
    assert len(shown) == 10
    stored = set(StaticToken.objects.filter(device__user=learner).values_list("token", flat=True))
    assert {code.replace("-", "") for code in shown} == stored
    assert client.get("/comptes/securite/codes-de-secours/").url == SECURITY


def test_the_setup_page_is_accessible_and_needs_no_inline_style_or_outside_image(client):
    # given a learner setting up 2FA
    learner = make_user()
    client.force_login(learner)
    client.post("/comptes/securite/commencer/")

    # when they open the setup page
    page = client.get("/comptes/securite/activer/").content.decode()

    # then the code field has a label and the attributes phones use; the QR code is inline
    assert '<label for="id_code">' in page
    code_input = re.search(r'<input[^>]*name="code"[^>]*>', page).group(0)
    assert 'autocomplete="one-time-code"' in code_input and 'inputmode="numeric"' in code_input
    assert "style=" not in page and "data:" not in page and "<script" not in page.split("</main>")[0]


def test_the_profile_links_to_the_security_page(client):
    learner = make_user()
    client.force_login(learner)

    page = client.get("/comptes/profil/").content.decode()

    assert f'href="{SECURITY}"' in page and "désactivée" in page


def test_new_recovery_codes_need_the_password_and_replace_the_old_ones(client):
    # given a learner with 2FA on
    learner = make_user()
    old_codes = turn_on(learner)
    client.force_login(learner)

    # when a wrong password is given, nothing changes
    response = client.post("/comptes/securite/codes-de-secours/nouveaux/", {"password": "faux"})
    assert "Ce mot de passe n&#x27;est pas le bon." in response.content.decode()
    assert two_factor.recovery_codes_left(learner) == 10

    # then with the password, new codes are shown and the old ones no longer work
    response = client.post("/comptes/securite/codes-de-secours/nouveaux/", {"password": PASSWORD})
    assert response.url == "/comptes/securite/codes-de-secours/"
    new_codes = re.findall(r"<code>([a-z2-7-]{9})</code>", client.get(response.url).content.decode())
    assert len(new_codes) == 10 and not set(new_codes) & set(old_codes)
    with pytest.raises(two_factor.CodeRefused):
        two_factor.check_code(user=learner, code=old_codes[0])


def test_a_learner_turns_two_factor_off_with_a_current_code(client):
    # given a learner with 2FA on
    learner = make_user()
    turn_on(learner)
    client.force_login(learner)

    # when they confirm with a code from the app
    response = client.post("/comptes/securite/desactiver/", {"code": fresh_code(app_device(learner))})

    # then the app and the recovery codes are gone
    assert response.status_code == 302 and response.url == SECURITY
    assert not two_factor.is_enabled(learner) and two_factor.recovery_codes_left(learner) == 0
    assert AuditEvent.objects.filter(action=Action.TWO_FACTOR_DISABLED, actor=learner).count() == 1


def test_turning_two_factor_off_without_password_or_code_is_refused_with_a_message(client):
    learner = make_user()
    turn_on(learner)
    client.force_login(learner)

    response = client.post("/comptes/securite/desactiver/", {"password": "", "code": ""})

    assert "Saisissez votre mot de passe actuel ou un code de votre application." in response.content.decode()
    assert two_factor.is_enabled(learner)


@override_settings(PASSERELLE_REQUIRE_2FA=True)
def test_a_trainer_who_must_use_two_factor_may_replace_the_app_but_not_turn_it_off(client):
    # given a trainer with 2FA on, logged in with a code
    trainer = make_trainer(email="ines@example.org")
    turn_on(trainer)
    log_in_with_password(client, "ines@example.org")
    client.post(LOGIN_CODE, {"code": fresh_code(app_device(trainer))})
    assert "Désactiver la double authentification" not in client.get(SECURITY).content.decode()

    # when they use the "turn off" page with their password
    response = client.post("/comptes/securite/desactiver/", {"password": PASSWORD})

    # then the setup of a new app starts at once and the site stays closed until it is confirmed
    assert response.url == "/comptes/securite/activer/"
    assert not two_factor.is_enabled(trainer) and two_factor.pending_setup(trainer) is not None
    assert client.get("/comptes/mon-espace/").url == SECURITY


# --- Logging in ------------------------------------------------------------------------


def test_logging_in_with_two_factor_asks_for_the_code_before_the_session_opens(client):
    # given a learner with 2FA on
    learner = make_user(email="sam@example.org")
    turn_on(learner)

    # when the password is right, the person is not logged in yet
    response = log_in_with_password(client, "sam@example.org", next_url="/formations/")
    assert response.status_code == 302 and response.url == LOGIN_CODE
    assert "_auth_user_id" not in client.session
    assert client.get("/comptes/profil/").url.startswith(LOGIN)

    # then the code from the app opens the session, verified by the device, on the page asked for
    page = client.get(LOGIN_CODE).content.decode()
    assert 'autocomplete="one-time-code"' in page and '<label for="id_recovery_code">' in page
    response = client.post(LOGIN_CODE, {"code": fresh_code(app_device(learner))})
    assert response.status_code == 302 and response.url == "/formations/"
    assert client.session["_auth_user_id"] == str(learner.pk)
    assert client.session["otp_device_id"] == app_device(learner).persistent_id
    assert client.get("/comptes/profil/").status_code == 200


def test_a_learner_without_two_factor_logs_in_with_the_password_alone(client):
    make_user(email="sam@example.org")

    response = log_in_with_password(client, "sam@example.org", next_url="/formations/")

    assert response.url == "/formations/" and "_auth_user_id" in client.session


def test_a_wrong_code_is_refused_clearly_and_the_next_tries_are_slowed_down(client):
    # given a learner past the password step
    learner = make_user(email="sam@example.org")
    turn_on(learner)
    log_in_with_password(client, "sam@example.org")

    # when a wrong code is typed, it is refused with a message
    response = client.post(LOGIN_CODE, {"code": wrong_code(app_device(learner))})
    assert response.status_code == 200
    assert "Ce code n&#x27;est pas valable." in response.content.decode()
    assert "_auth_user_id" not in client.session

    # then even the right code must wait (django-otp's throttling), and says so
    response = client.post(LOGIN_CODE, {"code": fresh_code(app_device(learner))})
    assert "Trop de codes incorrects : attendez 1 seconde avant de réessayer." in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("code", ["12ab", "12345²", "①②③④⑤⑥", "١٢٣٤٥٦"])
def test_a_code_of_the_wrong_shape_gets_a_message_and_costs_no_try(client, code):
    learner = make_user(email="sam@example.org")
    turn_on(learner)
    log_in_with_password(client, "sam@example.org")

    response = client.post(LOGIN_CODE, {"code": code})

    assert "Le code comporte 6 chiffres" in response.content.decode()
    assert app_device(learner).throttling_failure_count == 0


def test_a_recovery_code_logs_in_once(client):
    # given a learner with 2FA on and their recovery codes
    learner = make_user(email="sam@example.org")
    codes = turn_on(learner)

    # when they log in with a recovery code (typed in capitals, without the dash)
    log_in_with_password(client, "sam@example.org")
    response = client.post(LOGIN_CODE, {"recovery_code": codes[0].replace("-", "").upper()})

    # then they are in, warned that 9 codes are left
    assert response.status_code == 302 and "_auth_user_id" in client.session
    assert "il vous en reste 9" in client.get("/").content.decode()

    # and the same code does not work a second time
    client.post("/comptes/deconnexion/")
    log_in_with_password(client, "sam@example.org")
    response = client.post(LOGIN_CODE, {"recovery_code": codes[0]})
    assert "Ce code n&#x27;est pas valable." in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_pending_login_expires_after_five_minutes(client):
    # given a learner who gave the right password six minutes ago
    learner = make_user(email="sam@example.org")
    turn_on(learner)
    log_in_with_password(client, "sam@example.org")
    session = client.session
    session[two_factor.PENDING_SESSION_KEY]["at"] -= 6 * 60
    session.save()

    # when they type the right code
    response = client.post(LOGIN_CODE, {"code": fresh_code(app_device(learner))}, follow=True)

    # then they start again from the password, with a message
    assert response.redirect_chain[-1][0] == LOGIN
    assert "Votre connexion a expiré" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_code_page_without_a_password_first_sends_back_to_the_login(client):
    response = client.get(LOGIN_CODE)

    assert response.status_code == 302 and response.url == LOGIN


def test_an_external_next_is_ignored_through_both_steps(client):
    learner = make_user(email="sam@example.org")
    turn_on(learner)

    log_in_with_password(client, "sam@example.org", next_url="https://ailleurs.example.com/piege")
    response = client.post(LOGIN_CODE, {"code": fresh_code(app_device(learner))})

    assert response.status_code == 302 and response.url == "/"


def test_a_logged_in_visitor_of_the_login_page_goes_to_their_dashboard_instead_of_a_redirect_loop(client):
    # given a logged-in learner (this used to raise "Redirection loop" and answer 500)
    client.force_login(make_user())

    # when they open the login page with itself as the next page
    response = client.get(f"{LOGIN}?next={LOGIN}")

    # then they go to their dashboard
    assert response.status_code == 302 and response.url == "/comptes/mon-espace/"
    assert client.get(f"{LOGIN}?next=/formations/").url == "/formations/"
    assert client.get(f"{LOGIN}?next=https://ailleurs.example.com/").url == "/comptes/mon-espace/"


# --- The admin --------------------------------------------------------------------------


def test_the_admin_login_asks_a_trainer_with_two_factor_for_the_code(client):
    # given a trainer with 2FA on
    trainer = make_trainer(email="ines@example.org")
    turn_on(trainer)

    # when they log in on the admin's login page with the password only
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/admin/login/")
    response = log_in_with_password(client, "ines@example.org", next_url="/admin/", path="/admin/login/")

    # then the admin stays closed until the code is given
    assert response.url == LOGIN_CODE
    assert client.get("/admin/").url.startswith("/admin/login/")
    response = client.post(LOGIN_CODE, {"code": fresh_code(app_device(trainer))})
    assert response.url == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_the_admin_login_leads_to_the_admin_by_default(client):
    make_trainer(email="ines@example.org")

    response = log_in_with_password(client, "ines@example.org", path="/admin/login/")

    assert response.url == "/admin/"


# --- Who must use it ------------------------------------------------------------------------


@pytest.mark.parametrize("make_privileged", [make_administrator, make_trainer, make_manager])
def test_a_privileged_person_without_two_factor_is_sent_to_set_it_up_when_it_is_required(client, make_privileged):
    # given an administrator, trainer or manager without 2FA, on a site that requires it
    client.force_login(make_privileged())

    with override_settings(PASSERELLE_REQUIRE_2FA=True):
        # when they open any page, the admin included, they are sent to the security page
        assert client.get("/comptes/mon-espace/").url == SECURITY
        assert client.get("/admin/").url == SECURITY
        assert client.get("/comptes/profil/").url == SECURITY
        # then the pages needed to set it up, switch language or leave stay open
        page = client.get(SECURITY).content.decode()
        assert "exige la double authentification" in page
        assert client.post("/comptes/securite/commencer/").url == "/comptes/securite/activer/"
        assert client.get("/comptes/securite/activer/").status_code == 200
        assert client.get("/sante/").status_code == 200
        assert client.post("/langue/setlang/", {"language": "en", "next": "/"}).status_code == 302
        assert client.post("/comptes/deconnexion/").url == "/"


@pytest.mark.parametrize("make_privileged", [make_administrator, make_trainer, make_manager])
def test_a_privileged_person_is_not_stopped_when_two_factor_is_not_required(client, make_privileged):
    client.force_login(make_privileged())

    assert client.get("/comptes/mon-espace/").status_code == 200


@override_settings(PASSERELLE_REQUIRE_2FA=True)
def test_a_learner_is_never_forced_to_use_two_factor(client):
    client.force_login(make_user())

    assert client.get("/comptes/mon-espace/").status_code == 200
    assert "exige" not in client.get(SECURITY).content.decode()


@override_settings(PASSERELLE_REQUIRE_2FA=True)
def test_a_trainer_who_logged_in_with_the_code_reaches_the_admin_when_it_is_required(client):
    trainer = make_trainer(email="ines@example.org")
    turn_on(trainer)

    log_in_with_password(client, "ines@example.org", path="/admin/login/")
    client.post(LOGIN_CODE, {"code": fresh_code(app_device(trainer))})

    assert client.get("/admin/").status_code == 200


@override_settings(PASSERELLE_REQUIRE_2FA=True)
def test_a_session_opened_without_the_code_is_confirmed_with_one(client):
    # given a trainer with 2FA whose session was opened before it (no verified device)
    trainer = make_trainer()
    turn_on(trainer)
    client.force_login(trainer)
    assert client.get("/admin/").url == SECURITY

    # when they give a code on the security page
    response = client.post("/comptes/securite/verifier/", {"code": fresh_code(app_device(trainer))})

    # then the site opens
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_production_requires_two_factor_unless_the_environment_says_otherwise():
    code = ("import django; django.setup(); from django.conf import settings; "
            "print(settings.PASSERELLE_REQUIRE_2FA)")
    production = {"SECRET_KEY": "x" * 20 + "abcdefghijklmnopqrstuvwxyz0123456789", "ALLOWED_HOSTS": "lms.example.org"}

    assert run_python(code, "config.settings.production", **production).stdout.strip() == "True"
    assert run_python(code, "config.settings.production", REQUIRE_2FA="false", **production).stdout.strip() == "False"
    assert run_python(code, "config.settings.dev").stdout.strip() == "False"


# --- A person's journey, in a browser ------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_learner_turns_two_factor_on_and_logs_in_again_with_a_code_by_keyboard(browser_page, screenshot):
    page = browser_page
    learner = make_user(email="lou@example.org", password=PASSWORD)

    # log in by keyboard, then open the profile
    page.goto(LOGIN)
    tab_to(page, "el.id === 'id_username'")
    page.keyboard.type("lou@example.org")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    press_enter_and_wait(page)
    page.goto("/comptes/profil/")
    screenshot(page, "1-profil")

    # from the profile, the security page, then the setup page
    tab_to_text(page, "Double authentification")
    press_enter_and_wait(page)
    assert page.get_by_role("heading", level=1).inner_text() == "Sécurité du compte"
    screenshot(page, "2-securite")
    tab_to_text(page, "Activer la double authentification")
    press_enter_and_wait(page)
    assert page.get_by_role("img", name="QR code à scanner avec votre application d'authentification").is_visible()
    screenshot(page, "3-qr-code")

    # confirm with the code the app would show
    device = TOTPDevice.objects.get(user=learner)
    tab_to(page, "el.id === 'id_code'")
    page.keyboard.type(fresh_code(device))
    press_enter_and_wait(page)
    codes = page.locator(".recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    screenshot(page, "4-codes-de-secours")

    # log out
    tab_to_text(page, "Se déconnecter")
    press_enter_and_wait(page)

    # log in again: e-mail, password, then the code
    page.goto(LOGIN)
    tab_to(page, "el.id === 'id_username'")
    page.keyboard.type("lou@example.org")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    press_enter_and_wait(page)
    page.wait_for_url(f"**{LOGIN_CODE}")
    assert page.evaluate("document.activeElement.id") == "id_code"
    screenshot(page, "5-code")
    page.keyboard.type(fresh_code(device))
    press_enter_and_wait(page)

    # the session is open: the profile shows 2FA on
    page.goto("/comptes/profil/")
    assert page.get_by_text("Double authentification — activée").is_visible()
    screenshot(page, "6-profil-active")
