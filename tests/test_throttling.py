"""Failed logins lock the account and the address for longer each time; password-reset
mails and certificate look-ups are rate-limited; every refusal is a French 429 page."""

import threading
from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.db.models import F

from learners import progress
from learners.models import Certificate
from learners.throttling import CountingDatabaseCache
from tests.factories import complete_course, make_course_with, make_user

pytestmark = pytest.mark.django_db

PASSWORD = "un-mot-de-passe-solide"
LOGIN = "/comptes/connexion/"
ADMIN_LOGIN = "/admin/login/"
RESET = "/comptes/mot-de-passe/oubli/"
ATTACKER = "203.0.113.7"
ELSEWHERE = "198.51.100.20"


def log_in(client, email, password, url=LOGIN, address="127.0.0.1"):
    return client.post(url, {"username": email, "password": password}, REMOTE_ADDR=address)


def fail_logins(client, email, times, url=LOGIN, address="127.0.0.1"):
    return [log_in(client, email, "mauvais-mot-de-passe", url, address) for _ in range(times)]


def time_passes(delta):
    """Move every login record back by `delta`, as if that much time had passed."""
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - delta)
    AccessFailureLog.objects.update(attempt_time=F("attempt_time") - delta)


def is_logged_in(client):
    return "_auth_user_id" in client.session


# --- Logins -----------------------------------------------------------------------------


def test_five_wrong_passwords_lock_the_account_with_a_french_page(client):
    # given an account
    make_user(email="sam@example.org")

    # when its password is wrong five times in a row
    answers = fail_logins(client, "sam@example.org", 5)

    # then the first four say the password is wrong, the fifth locks the account for a minute
    assert [answer.status_code for answer in answers] == [200, 200, 200, 200, 429]
    assert "Adresse e-mail ou mot de passe incorrect" in answers[3].content.decode()
    page = answers[4].content.decode()
    assert "Trop de tentatives de connexion ont échoué pour ce compte ou depuis cette adresse" in page
    assert "la connexion est bloquée pendant 1 minute." in page
    assert "Vous pourrez réessayer à partir de" in page
    assert '<html lang="fr"' in page
    assert 55 <= int(answers[4]["Retry-After"]) <= 60


def test_the_right_password_is_refused_during_a_lockout(client):
    # given a locked account
    make_user(email="sam@example.org")
    fail_logins(client, "sam@example.org", 5)

    # when its owner types the right password
    answer = log_in(client, "sam@example.org", PASSWORD)

    # then the login is still refused
    assert answer.status_code == 429
    assert not is_logged_in(client)


def test_failures_count_for_the_account_whatever_the_case_of_the_address(client):
    # given an account
    make_user(email="sam@example.org")

    # when wrong passwords are tried with the e-mail in various cases
    for typed in ["SAM@example.org", "Sam@Example.org", " sam@EXAMPLE.org", "sam@example.ORG"]:
        assert log_in(client, typed, "faux").status_code == 200
    answer = log_in(client, "sam@example.org", "faux")

    # then they were all counted against the one account
    assert answer.status_code == 429
    assert set(AccessAttempt.objects.values_list("username", flat=True)) == {"sam@example.org"}


def test_one_address_trying_many_accounts_is_locked(client):
    # given a real account, and an address that tries one password on each of 20 accounts
    make_user(email="camille@example.org")
    answers = [log_in(client, f"cible{number}@example.org", "123456", address=ATTACKER) for number in range(20)]

    # then the 20th try is refused, and so is a right password from that address
    assert [answer.status_code for answer in answers].count(200) == 19
    assert answers[-1].status_code == 429
    assert log_in(client, "camille@example.org", PASSWORD, address=ATTACKER).status_code == 429
    assert not is_logged_in(client)

    # while the account's owner logs in from elsewhere
    assert log_in(client, "camille@example.org", PASSWORD, address=ELSEWHERE).status_code == 302
    assert is_logged_in(client)


def test_a_locked_account_stays_locked_from_another_address(client):
    # given an account locked by failures from one address
    make_user(email="sam@example.org")
    fail_logins(client, "sam@example.org", 5, address=ATTACKER)

    # when someone tries it from another address
    answer = log_in(client, "sam@example.org", PASSWORD, address=ELSEWHERE)

    # then the account is still locked
    assert answer.status_code == 429


def test_a_successful_login_forgets_the_account_failures(client):
    # given four wrong passwords, then the right one
    make_user(email="sam@example.org")
    fail_logins(client, "sam@example.org", 4)
    assert log_in(client, "sam@example.org", PASSWORD).status_code == 302
    client.post("/comptes/deconnexion/")

    # when four more wrong passwords follow
    answers = fail_logins(client, "sam@example.org", 4)

    # then the account is not locked: the count started again
    assert [answer.status_code for answer in answers] == [200] * 4
    assert log_in(client, "sam@example.org", PASSWORD).status_code == 302


def test_logging_in_to_ones_own_account_does_not_wipe_the_address_count(client):
    # given an attacker with an account of their own who sprays other accounts
    make_user(email="attaquant@example.org")
    for number in range(15):
        log_in(client, f"cible{number}@example.org", "123456", address=ATTACKER)

    # when they log in to their own account to wipe the count, and go on
    assert log_in(client, "attaquant@example.org", PASSWORD, address=ATTACKER).status_code == 302
    client.post("/comptes/deconnexion/")
    answers = [log_in(client, f"autre{number}@example.org", "123456", address=ATTACKER) for number in range(5)]

    # then the address is locked at its 20th failure all the same
    assert answers[-1].status_code == 429


def test_the_lockout_ends_after_its_cool_off(client):
    # given an account locked a minute ago
    make_user(email="sam@example.org")
    fail_logins(client, "sam@example.org", 5)
    time_passes(timedelta(seconds=30))
    assert log_in(client, "sam@example.org", PASSWORD).status_code == 429

    # when the minute is over
    time_passes(timedelta(seconds=31))

    # then the right password opens the session
    assert log_in(client, "sam@example.org", PASSWORD).status_code == 302


def test_each_new_lockout_lasts_longer(client):
    # given an account under attack, locked again each time its lockout ends
    make_user(email="sam@example.org")
    lockouts = []
    for wait in [timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15), timedelta(hours=1), None]:
        answers = fail_logins(client, "sam@example.org", 5, address=ATTACKER)
        assert answers[-1].status_code == 429
        lockouts.append(answers[-1].content.decode())
        if wait:
            # one second before the end it is still locked, at the end it opens again
            time_passes(wait - timedelta(seconds=1))
            assert log_in(client, "sam@example.org", PASSWORD, address=ELSEWHERE).status_code == 429
            time_passes(timedelta(seconds=1))

    # then each lockout was announced longer than the one before, up to an hour
    durations = ["1 minute.", "5 minutes.", "15 minutes.", "60 minutes.", "60 minutes."]
    for page, duration in zip(lockouts, durations):
        assert f"la connexion est bloquée pendant {duration}" in page


def test_another_persons_failure_does_not_shorten_a_longer_lockout(client):
    # given an account in its second lockout (5 minutes), two minutes in
    make_user(email="sam@example.org")
    fail_logins(client, "sam@example.org", 5, address=ATTACKER)
    time_passes(timedelta(minutes=1))
    fail_logins(client, "sam@example.org", 5, address=ATTACKER)
    time_passes(timedelta(minutes=2))

    # when someone else, whose failures are forgotten after a minute, mistypes a password
    make_user(email="camille@example.org")
    log_in(client, "camille@example.org", "faux", address=ELSEWHERE)

    # then the account is still locked
    assert log_in(client, "sam@example.org", PASSWORD, address=ELSEWHERE).status_code == 429


def test_lockouts_older_than_a_day_are_forgotten(client):
    # given an account locked three times
    make_user(email="sam@example.org")
    for wait in [timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15)]:
        fail_logins(client, "sam@example.org", 5)
        time_passes(wait)

    # when a day goes by
    time_passes(timedelta(hours=24))
    answer = fail_logins(client, "sam@example.org", 5)[-1]

    # then the next lockout is a minute again
    assert "la connexion est bloquée pendant 1 minute." in answer.content.decode()


def test_the_admin_login_is_throttled_too(client):
    # given an administrator
    make_user(email="admin@example.org", is_staff=True, is_superuser=True)

    # when the admin login form gets five wrong passwords, then the right one
    answers = fail_logins(client, "admin@example.org", 5, url=ADMIN_LOGIN)
    right = log_in(client, "admin@example.org", PASSWORD, url=ADMIN_LOGIN)

    # then the admin is locked like the site
    assert [answer.status_code for answer in answers] == [200, 200, 200, 200, 429]
    assert "Trop de tentatives de connexion" in answers[-1].content.decode()
    assert right.status_code == 429
    assert not is_logged_in(client)


def test_failures_on_the_admin_and_the_site_add_up(client):
    # given three failures on the site and two on the admin
    make_user(email="sam@example.org")
    fail_logins(client, "sam@example.org", 3)
    answer = fail_logins(client, "sam@example.org", 2, url=ADMIN_LOGIN)[-1]

    # then the account is locked
    assert answer.status_code == 429


# --- Password-reset mails ---------------------------------------------------------------


def ask_reset(client, email, address="127.0.0.1"):
    return client.post(RESET, {"email": email}, REMOTE_ADDR=address)


def test_password_reset_mails_stop_after_five_an_hour_for_one_address(client):
    # given an account
    make_user(email="sam@example.org")

    # when six reset mails are asked for it within the hour
    answers = [ask_reset(client, "sam@example.org") for _ in range(6)]

    # then five mails are sent and the sixth request is refused with a French page
    assert [answer.status_code for answer in answers] == [302] * 5 + [429]
    assert len(mail.outbox) == 5
    page = answers[-1].content.decode()
    assert "Trop de demandes de réinitialisation du mot de passe" in page
    assert "aucun nouvel e-mail ne sera envoyé pendant" in page


def test_the_reset_limit_reveals_nothing_about_which_accounts_exist(client):
    # given one known and one unknown e-mail, each asked for six times
    make_user(email="sam@example.org")
    known = [ask_reset(client, "sam@example.org") for _ in range(6)]
    unknown = [ask_reset(client, "personne@example.org") for _ in range(6)]

    # then both get the same answers, in the same order
    assert [answer.status_code for answer in known] == [answer.status_code for answer in unknown]
    assert [answer.get("Location") for answer in known] == [answer.get("Location") for answer in unknown]
    assert known[-1].status_code == unknown[-1].status_code == 429
    assert len(mail.outbox) == 5


def test_the_reset_limit_ignores_the_case_of_the_email(client):
    # given an account asked for five mails in various cases
    make_user(email="sam@example.org")
    for typed in ["sam@example.org", "SAM@example.org", "Sam@Example.org", "sam@EXAMPLE.org", " sam@example.org "]:
        ask_reset(client, typed)

    # when a sixth is asked
    answer = ask_reset(client, "sam@example.org")

    # then it is refused
    assert answer.status_code == 429


def test_one_address_asking_many_reset_mails_is_stopped(client):
    # given 25 accounts
    for number in range(25):
        make_user(email=f"membre{number}@example.org")

    # when one address asks a mail for each of them
    answers = [ask_reset(client, f"membre{number}@example.org", address=ATTACKER) for number in range(25)]

    # then it gets 20 mails and five refusals; another address is still served
    assert [answer.status_code for answer in answers] == [302] * 20 + [429] * 5
    assert len(mail.outbox) == 20
    assert ask_reset(client, "membre24@example.org", address=ELSEWHERE).status_code == 302
    assert len(mail.outbox) == 21


def test_showing_the_reset_form_is_not_counted(client):
    # given the reset form shown 30 times
    for _ in range(30):
        assert client.get(RESET).status_code == 200

    # then asking a mail still works
    make_user(email="sam@example.org")
    assert ask_reset(client, "sam@example.org").status_code == 302


# --- Certificate look-ups ---------------------------------------------------------------


def test_certificate_lookups_are_limited_per_address(client, learner):
    # given a genuine certificate
    course = make_course_with(modules=1, lessons_per_module=1)
    progress.enroll(user=learner, course=course)
    complete_course(learner, course)
    certificate = Certificate.objects.get()

    # when one address tries 30 codes within a minute
    tries = [client.get(f"/verifier-un-certificat/ABCD-EFGH-{number:04d}/", REMOTE_ADDR=ATTACKER) for number in range(30)]
    refused = client.get(f"/verifier-un-certificat/{certificate.code}/", REMOTE_ADDR=ATTACKER)
    typed = client.get("/verifier-un-certificat/", {"code": certificate.code}, REMOTE_ADDR=ATTACKER)

    # then the 31st look-up is refused, even for a genuine code, with a French page
    assert {answer.status_code for answer in tries} == {404}
    assert refused.status_code == typed.status_code == 429
    page = refused.content.decode()
    assert "Trop de vérifications de certificats en peu de temps" in page
    assert "Certificat valide" not in page

    # while another address checks the certificate
    answer = client.get(f"/verifier-un-certificat/{certificate.code}/", REMOTE_ADDR=ELSEWHERE)
    assert answer.status_code == 200 and "Certificat valide." in answer.content.decode()


# --- The counters -----------------------------------------------------------------------


def test_behind_a_trusted_proxy_the_forwarded_address_is_counted(client, settings):
    # given one proxy in front of the site, and a client who forges X-Forwarded-For
    settings.TRUSTED_PROXY_COUNT = 1
    make_user(email="sam@example.org")
    for number in range(20):
        client.post(LOGIN, {"username": f"cible{number}@example.org", "password": "123456"},
                    REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=f"192.0.2.{number}, {ATTACKER}")

    # then the failures were counted for the address the proxy saw, not the forged ones
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {ATTACKER}
    answer = client.post(LOGIN, {"username": "sam@example.org", "password": PASSWORD},
                         REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=ATTACKER)
    assert answer.status_code == 429


def expires_of(cache, key):
    with connection.cursor() as cursor:
        cursor.execute("SELECT expires FROM test_counting_cache WHERE cache_key = %s", [cache.make_key(key)])
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_database_cache_counts_every_increment_from_concurrent_requests(settings):
    # given the database cache the rate limits use by default, with a counter for an hour
    settings.CACHES = {**settings.CACHES, "counting": {"BACKEND": "learners.throttling.CountingDatabaseCache",
                                                       "LOCATION": "test_counting_cache"}}
    call_command("createcachetable", "test_counting_cache", verbosity=0)
    cache = CountingDatabaseCache("test_counting_cache", {})
    cache.add("compteur", 0, 3600)
    expiry = expires_of(cache, "compteur")

    # when 8 threads increment it 25 times each, at the same time
    barrier = threading.Barrier(8)
    errors = []

    def increment():
        try:
            barrier.wait()
            for _ in range(25):
                cache.incr("compteur")
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=increment) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # then no increment was lost and the counter still expires within the hour
    assert errors == []
    assert cache.get("compteur") == 200
    assert expires_of(cache, "compteur") == expiry
    cache.clear()
    with pytest.raises(ValueError):
        cache.incr("compteur")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_in_a_browser_a_guessed_password_locks_the_account_with_a_french_page(browser_page, screenshot):
    # given a learner's account
    make_user(email="sam@example.org", password=PASSWORD)
    page = browser_page

    # when someone types five wrong passwords, by keyboard
    for attempt in range(5):
        page.goto("/comptes/connexion/")
        page.get_by_label("Adresse e-mail").fill("sam@example.org")
        page.get_by_label("Mot de passe").fill(f"mauvais-{attempt}")
        with page.expect_navigation():
            page.keyboard.press("Enter")

    # then the page says the login is blocked, for how long, and until when
    assert page.get_by_role("heading", name="Trop de tentatives").is_visible()
    text = page.locator("main").inner_text()
    assert "la connexion est bloquée pendant 1 minute" in text and "Vous pourrez réessayer à partir de" in text
    screenshot(page, "compte-bloque")

    # and even the right password is refused until then
    page.goto("/comptes/connexion/")
    page.get_by_label("Adresse e-mail").fill("sam@example.org")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.get_by_role("heading", name="Trop de tentatives").is_visible()
    assert page.get_by_role("link", name="Mon espace").count() == 0
