"""Data rights: a person downloads everything kept about them and deletes their account;
the organisation's statistics stay whole and stop naming them."""

import json
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from learners import audit, data_rights, progress
from learners.models import (
    Assignment,
    AuditEvent,
    Certificate,
    Enrollment,
    Membership,
    Organisation,
    StepProgress,
    Team,
    User,
)
from quizzes.models import Answer, Attempt
from tests.factories import complete_course, make_course_with, make_module, make_quiz, make_user, pass_quiz
from tests.test_two_factor import allow_next_try, app_device, fresh_code, turn_on, wrong_code

pytestmark = pytest.mark.django_db

MY_DATA = "/comptes/mes-donnees/"
DELETE = "/comptes/supprimer-mon-compte/"
PASSWORD = "un-mot-de-passe-solide"


@pytest.fixture
def course():
    """Two modules of two lessons, then a quiz of every question type (a short answer
    among them)."""
    course = make_course_with(modules=2, lessons_per_module=2, title="Réseaux en équipe")
    make_quiz(make_module(course, title="Bilan"), title="Quiz bilan")
    return course


@pytest.fixture
def organisation():
    org = Organisation.objects.create(name="Maison des associations", slug="mda")
    return org, Team.objects.create(organisation=org, name="Accueil")


def learner_with_history(course, organisation, **fields):
    """A learner of the team who completed the course (certificate), with an assignment."""
    org, team = organisation
    user = make_user(**fields)
    Membership.objects.create(user=user, organisation=org, team=team)
    Assignment.objects.create(organisation=org, user=user, course=course, team=team, due_on=date(2030, 6, 30))
    progress.enroll(user=user, course=course)
    complete_course(user, course)
    return user


@pytest.fixture
def lea(course, organisation):
    return learner_with_history(course, organisation, first_name="Léa", last_name="Moreau", email="lea@example.org")


@pytest.fixture
def other(course, organisation):
    return learner_with_history(course, organisation, first_name="Hugo", last_name="Lefèvre", email="hugo@example.org")


def download(client):
    response = client.post(MY_DATA)
    return response, json.loads(response.content)


def everything_counted(course):
    return {
        "enrolments": Enrollment.objects.filter(course=course).count(),
        "completed": Enrollment.objects.filter(course=course, completed_at__isnull=False).count(),
        "steps": StepProgress.objects.filter(course=course).count(),
        "attempts": Attempt.objects.filter(quiz__in=course.get_descendants()).count(),
        "passed": Attempt.objects.filter(passed=True).count(),
        "answers": Answer.objects.count(),
        "certificates": Certificate.objects.filter(course=course).count(),
        "memberships": Membership.objects.count(),
        "assignments": Assignment.objects.filter(course=course).count(),
    }


# --- Access -----------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_the_login_for_both_pages(client):
    for url in (MY_DATA, DELETE):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/comptes/connexion/")
    assert client.post(MY_DATA).status_code == 302


def test_the_page_explains_what_is_kept_and_offers_the_download(client, lea):
    # given
    client.force_login(lea)

    # when
    response = client.get(MY_DATA)

    # then
    page = response.content.decode()
    assert response.status_code == 200
    assert "Ce que Passerelle conserve" in page
    assert 'method="post"' in page and DELETE in page


def test_the_download_is_a_dated_json_attachment_with_every_section(client, lea):
    # given a learner with a history, two-factor on and an earlier sensitive action
    turn_on(lea)
    client.force_login(lea)

    # when
    response, data = download(client)

    # then
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"] == (
        f'attachment; filename="passerelle-mes-donnees-{date.today().isoformat()}.json"'
    )
    assert data["profile"] == {
        "first_name": "Léa", "last_name": "Moreau", "email": "lea@example.org", "preferred_language": "fr",
        "date_joined": data["profile"]["date_joined"], "last_login": data["profile"]["last_login"],
    }
    assert data["profile"]["date_joined"]
    assert data["memberships"] == [
        {"organisation": "Maison des associations", "team": "Accueil", "role": "learner",
         "joined_at": data["memberships"][0]["joined_at"]}
    ]
    [enrolment] = data["enrolments"]
    assert enrolment["course"] == "Réseaux en équipe" and enrolment["percent"] == 100
    assert enrolment["completed_steps"] == enrolment["total_steps"] == 5 and enrolment["completed_at"]
    assert len(data["step_progress"]) == 5 and {row["status"] for row in data["step_progress"]} == {"completed"}
    [attempt] = data["quiz_attempts"]
    assert attempt["quiz"] == "Quiz bilan" and attempt["passed"] is True and attempt["percent"] == 100
    assert len(attempt["answers"]) == 7
    short = next(answer for answer in attempt["answers"] if answer["question"].startswith("Question short_answer"))
    assert short["answer"] == "RÉSEAU" and short["score"] == short["max_score"] == "2.00"
    assert data["assignments"] == [
        {"organisation": "Maison des associations", "course": "Réseaux en équipe", "team": "Accueil",
         "due_on": "2030-06-30", "assigned_at": data["assignments"][0]["assigned_at"]}
    ]
    [certificate] = data["certificates"]
    assert certificate["course_title"] == "Réseaux en équipe" and certificate["revoked"] is False
    assert certificate["code"] == Certificate.objects.get(user=lea).code
    assert data["two_factor"] == {"enabled": True}
    assert [event["action"] for event in data["audit_events"]] == ["two_factor_enabled"]


def test_the_download_holds_no_secret_and_nothing_of_another_person(client, lea, other):
    # given two learners of the same team and course, one of whom acted on the other
    turn_on(lea)
    audit.record(actor=lea, action=audit.Action.ROLE_CHANGED, target=other, target_label=other.email,
                 before={"groups": []}, after={"groups": ["Formateurs"]})
    device = app_device(lea)
    client.force_login(lea)

    # when
    response, _data = download(client)

    # then
    text = response.content.decode()
    for trace in ("Hugo", "Lefèvre", "hugo@example.org", Certificate.objects.get(user=other).code, "Formateurs"):
        assert trace not in text
    assert device.key not in text
    for token in StaticDevice.objects.get(user=lea).token_set.values_list("token", flat=True):
        assert token not in text


def test_the_download_is_recorded_in_the_audit_log(client, lea):
    client.force_login(lea)

    download(client)

    event = AuditEvent.objects.get(action=audit.Action.EXPORT)
    assert event.actor == lea and event.target_id == str(lea.pk)


def test_collecting_the_data_takes_the_same_few_queries_whatever_the_history(course, lea, organisation):
    # given a learner with one course behind them
    with CaptureQueriesContext(connection) as small:
        data_rights.personal_data(lea)

    # when they have much more: a second course, more attempts, more events
    second = make_course_with(modules=3, lessons_per_module=3)
    quiz = make_quiz(make_module(second))
    progress.enroll(user=lea, course=second)
    for _ in range(3):
        attempt = Attempt.objects.create(user=lea, quiz=quiz, number=Attempt.objects.filter(user=lea).count() + 1,
                                         status=Attempt.Status.GRADED, passed=False)
        Answer.objects.create(attempt=attempt, question_id=quiz.question_ids()[0], payload="x")
    pass_quiz(lea, quiz)
    for _ in range(5):
        audit.record(actor=lea, action=audit.Action.EXPORT, target=lea)
    with CaptureQueriesContext(connection) as large:
        data = data_rights.personal_data(lea)

    # then
    assert len(small) == len(large) == data_rights.EXPORT_QUERIES
    assert len(data["quiz_attempts"]) == 5 and len(data["enrolments"]) == 2


def test_a_learner_downloading_again_and_again_is_slowed_down(client, lea):
    client.force_login(lea)

    statuses = [client.post(MY_DATA).status_code for _ in range(11)]

    assert statuses == [200] * 10 + [429]
    assert "Réessayez dans" in client.post(MY_DATA).content.decode()


# --- Erasure ----------------------------------------------------------------------------


def delete_with(client, **data):
    return client.post(DELETE, {"understood": "on", **data})


def test_deleting_the_account_keeps_every_count_but_no_longer_names_the_person(client, course, lea, other):
    # given
    before = everything_counted(course)
    lea_pk = lea.pk
    client.force_login(lea)

    # when
    response = delete_with(client, password=PASSWORD)

    # then the person is logged out and told
    assert response.status_code == 302 and response["Location"] == "/comptes/supprimer-mon-compte/fait/"
    assert "_auth_user_id" not in client.session
    assert "Votre compte est supprimé" in client.get(response["Location"]).content.decode()
    # every count of the course is unchanged
    assert everything_counted(course) == before
    # nobody is found by their e-mail or name any more
    assert not User.objects.filter(pk=lea_pk).exists()
    assert not User.objects.filter(email__iexact="lea@example.org").exists()
    assert not User.objects.filter(first_name="Léa").exists() and not User.objects.filter(last_name="Moreau").exists()
    assert not Certificate.objects.filter(learner_name__icontains="Moreau").exists()
    # their rows belong to one inactive deleted account, with no usable password
    placeholder = Enrollment.objects.exclude(user=other).get(course=course).user
    assert placeholder.is_deleted_account and not placeholder.is_active and not placeholder.has_usable_password()
    assert (placeholder.first_name, placeholder.last_name, str(placeholder)) == ("", "", "Compte supprimé")
    assert Membership.objects.get(user=placeholder).team.name == "Accueil"
    assert Assignment.objects.filter(user=placeholder).count() == 1
    assert StepProgress.objects.filter(user=placeholder).count() == 5
    # the other learner is untouched
    assert Enrollment.objects.get(user=other).completed_at is not None


def test_written_answers_and_drafts_are_blanked_and_scores_kept(client, course, lea):
    # given a passed attempt with a short answer, and drafts left on it
    Attempt.objects.filter(user=lea).update(drafts={"1": "mon association, rue des Lilas"})
    short = Answer.objects.get(attempt__user=lea, question__prompt__startswith="Question short_answer")
    client.force_login(lea)

    # when
    delete_with(client, password=PASSWORD)

    # then
    short.refresh_from_db()
    assert short.payload == "" and short.score == short.max_score
    attempt = short.attempt
    attempt.refresh_from_db()
    assert attempt.drafts == {} and attempt.passed is True and attempt.user.is_deleted_account
    other_answers = Answer.objects.filter(attempt=attempt).exclude(pk=short.pk)
    assert all(answer.payload not in (None, "") for answer in other_answers)


def test_certificates_stay_verifiable_as_issued_to_a_deleted_account(client, lea):
    # given
    certificate = Certificate.objects.get(user=lea)
    client.force_login(lea)

    # when
    delete_with(client, password=PASSWORD)

    # then
    certificate.refresh_from_db()
    assert certificate.is_valid and certificate.issued_to_deleted_account and certificate.learner_name == ""
    page = client.get(f"/verifier-un-certificat/{certificate.code}/").content.decode()
    assert "Certificat valide." in page and "Délivré à un compte supprimé" in page
    assert "Moreau" not in page


def test_every_session_of_the_person_ends(client, lea):
    # given the person logged in on two devices
    from django.test import Client

    phone = Client()
    phone.force_login(lea)
    client.force_login(lea)

    # when they delete their account from one
    delete_with(client, password=PASSWORD)

    # then the other is logged out too
    response = phone.get("/comptes/mon-espace/")
    assert response.status_code == 302 and response["Location"].startswith("/comptes/connexion/")


def test_the_deletion_is_audited_without_naming_the_person_in_the_label_or_details(client, lea):
    client.force_login(lea)

    delete_with(client, password=PASSWORD)

    event = AuditEvent.objects.get(action=audit.Action.ACCOUNT_DELETED)
    assert event.target_label == "compte supprimé"
    assert event.actor_email == "lea@example.org"  # the one copy kept: who asked for the erasure
    assert event.actor is None  # the row is gone
    details = json.dumps(event.details, ensure_ascii=False)
    assert "lea@example.org" not in details and "Moreau" not in details
    assert event.details["kept"]["enrolments"] == 1 and event.details["kept"]["certificates"] == 1


def test_a_wrong_password_changes_nothing_and_says_so(client, course, lea):
    # given
    before = everything_counted(course)
    client.force_login(lea)

    # when
    response = delete_with(client, password="pas-le-bon")

    # then
    assert response.status_code == 200
    assert "Ce mot de passe n&#x27;est pas le bon." in response.content.decode()
    assert User.objects.filter(pk=lea.pk, email="lea@example.org", is_active=True).exists()
    assert everything_counted(course) == before
    assert not AuditEvent.objects.filter(action=audit.Action.ACCOUNT_DELETED).exists()


def test_the_box_must_be_ticked(client, lea):
    client.force_login(lea)

    response = client.post(DELETE, {"password": PASSWORD})

    assert response.status_code == 200 and User.objects.filter(pk=lea.pk).exists()


def test_with_two_factor_on_a_code_is_required_and_a_wrong_one_refused(client, lea):
    # given
    turn_on(lea)
    device = app_device(lea)
    client.force_login(lea)

    # when the code is missing, then wrong
    missing = delete_with(client, password=PASSWORD)
    wrong = delete_with(client, password=PASSWORD, code=wrong_code(device))

    # then nothing is deleted and each answer says why
    assert "saisissez le code affiché par votre application" in missing.content.decode()
    assert "Ce code n&#x27;est pas valable." in wrong.content.decode()
    assert User.objects.filter(pk=lea.pk).exists()

    # when the right code comes
    allow_next_try(lea)
    done = delete_with(client, password=PASSWORD, code=fresh_code(device))

    # then the account and its devices are gone
    assert done.status_code == 302
    assert not User.objects.filter(pk=lea.pk).exists()
    assert not TOTPDevice.objects.exists() and not StaticDevice.objects.exists()


def test_a_recovery_code_also_confirms_the_deletion(client, lea):
    codes = turn_on(lea)
    client.force_login(lea)

    response = delete_with(client, password=PASSWORD, code=codes[0])

    assert response.status_code == 302 and not User.objects.filter(pk=lea.pk).exists()


def test_the_last_administrator_may_not_delete_their_account(client):
    # given
    admin = make_user(is_superuser=True, is_staff=True)
    client.force_login(admin)

    # when
    page = client.get(DELETE)
    response = delete_with(client, password=PASSWORD)

    # then
    assert "dernier administrateur" in page.content.decode()
    assert response.status_code == 409 and User.objects.filter(pk=admin.pk).exists()
    with pytest.raises(data_rights.DeletionRefused):
        data_rights.delete_account(user=admin)


def test_an_administrator_may_delete_their_account_when_another_remains(client):
    admin, _other_admin = make_user(is_superuser=True), make_user(is_superuser=True)
    client.force_login(admin)

    response = delete_with(client, password=PASSWORD)

    assert response.status_code == 302 and not User.objects.filter(pk=admin.pk).exists()


def test_a_manager_deleting_their_account_leaves_no_manager_behind(client, organisation):
    # given a manager of the whole organisation
    org, _team = organisation
    manager = make_user()
    Membership.objects.create(user=manager, organisation=org, role=Membership.Role.MANAGER)
    client.force_login(manager)

    # when
    delete_with(client, password=PASSWORD)

    # then the membership still counts, as a learner's, under the deleted account
    membership = Membership.objects.get(organisation=org)
    assert membership.role == Membership.Role.LEARNER and membership.user.is_deleted_account


def test_two_deleted_accounts_stay_two_in_the_statistics(client, course, lea, other):
    for person in (lea, other):
        client.force_login(person)
        delete_with(client, password=PASSWORD)

    placeholders = User.objects.filter(enrollments__course=course)
    assert placeholders.count() == 2 and all(user.is_deleted_account for user in placeholders)
    assert Enrollment.objects.filter(course=course, completed_at__isnull=False).count() == 2
    assert not User.objects.filter(is_active=True).exists()

