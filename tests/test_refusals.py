"""Refusals: the domain raises them with a message and a kind, and no HTTP
(home.refusals); one middleware answers those that leave a view
(home.middleware.RefusalMiddleware): the refusal page, or JSON for the endpoints of the
pages' scripts, with the status of the refusal's kind and its reason in French."""

import pytest

from courses import scenario_engine, scenario_services
from home.middleware import REFUSAL_STATUS
from home.refusals import Kind, Refused
from learners import assignments, csv_import, data_rights, exercises, invitations, progress, teams, two_factor
from quizzes import services
from quizzes.models import Attempt, QuizPage
from tests.factories import right_answers
from tests.test_quizzes import quiz_setup, start, submit  # noqa: F401 - quiz_setup is a fixture

pytestmark = pytest.mark.django_db

DOMAIN_MODULES = (
    services, progress, exercises, scenario_services, scenario_engine,
    teams, invitations, assignments, data_rights, csv_import, two_factor,
)


def refusal_classes():
    """Every refusal declared by the domain modules."""
    found, todo = set(), [Refused]
    while todo:
        for subclass in todo.pop().__subclasses__():
            if subclass not in found:
                found.add(subclass)
                todo.append(subclass)
    return {cls for cls in found if any(cls.__module__ == module.__name__ for module in DOMAIN_MODULES)}


def submitted_attempt(client, quiz):
    attempt = start(client, quiz)
    submit(client, attempt, right_answers(attempt))
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.SUBMITTED
    return attempt


def test_every_kind_of_refusal_has_its_http_status_in_the_translation_layer():
    assert {kind: REFUSAL_STATUS[kind] for kind in Kind} == {
        Kind.NOT_FOUND: 404, Kind.FORBIDDEN: 403, Kind.CONFLICT: 409, Kind.INVALID: 400, Kind.GONE: 410,
    }


def test_the_refusals_of_the_domain_carry_a_kind_and_no_http_status():
    # given
    classes = refusal_classes()
    # then: the quiz, progress, exercise, crisis-room and organisation refusals all share the base
    assert {
        services.AlreadySubmitted, services.NoAttemptLeft, services.TimeUp, services.ForeignAnswer,
        progress.NotEnrolled, progress.StepLocked, exercises.UnknownCriterion, scenario_services.NotYourRun,
        scenario_engine.ActionRefused, teams.TeamActionRefused, invitations.InvitationRefused,
        assignments.AssignmentRefused, data_rights.DeletionRefused, csv_import.FileRefused, two_factor.CodeRefused,
    } <= classes
    for cls in classes:
        assert cls.kind in Kind, cls
        assert not any("status" in vars(ancestor) for ancestor in cls.__mro__), cls


def test_a_refusal_says_its_reason_and_a_call_may_give_its_own():
    # when
    refusal = services.NoAttemptLeft(2)
    specific = invitations.InvitationRefused("Ce lien a expiré.", kind=Kind.GONE)
    # then
    assert str(refusal.message) == "Vous avez utilisé vos 2 tentatives pour ce quiz." == str(refusal)
    assert refusal.kind == Kind.FORBIDDEN
    assert (specific.message, specific.kind) == ("Ce lien a expiré.", Kind.GONE)
    assert invitations.InvitationRefused("Autre chose.").kind == Kind.INVALID


def test_a_refusal_raised_by_a_service_reaches_a_page_as_its_status_with_its_french_reason(quiz_setup):
    # given: both attempts of a quiz allowing two used
    client, learner, quiz = quiz_setup
    QuizPage.objects.filter(pk=quiz.pk).update(max_attempts=2)
    submitted_attempt(client, quiz)
    submitted_attempt(client, quiz)
    # when: the service refuses a third (NoAttemptLeft, a forbidden kind)
    response = client.post(f"/quiz/{quiz.pk}/commencer/")
    # then
    assert response.status_code == 403
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "Action impossible" in html and "Vous avez utilisé vos 2 tentatives pour ce quiz." in html
    assert Attempt.objects.filter(user=learner, quiz=quiz).count() == 2


def test_a_refusal_raised_by_a_service_reaches_a_json_endpoint_as_its_status_with_its_french_reason(quiz_setup):
    # given
    client, learner, quiz = quiz_setup
    attempt = submitted_attempt(client, quiz)
    # when: the autosave of the page's script comes after the submit (AlreadySubmitted, a conflict)
    response = client.post(f"/quiz/tentatives/{attempt.pk}/brouillon/", {"q-1": "x"})
    # then
    assert response.status_code == 409
    assert response.json() == {"error": "Cette tentative a déjà été envoyée."}
    assert Attempt.objects.get(pk=attempt.pk).drafts == attempt.drafts


def test_a_script_asking_for_json_from_a_page_gets_the_refusal_as_json(quiz_setup):
    # given
    client, learner, quiz = quiz_setup
    attempt = submitted_attempt(client, quiz)
    # when: an attempt that is not the learner's (NotYourAttempt, not found)
    response = client.get(f"/quiz/tentatives/{attempt.pk + 1000}/", headers={"Accept": "application/json"})
    # then
    assert response.status_code == 404
    assert response.json() == {"error": "Cette tentative n'existe pas ou n'est pas la vôtre."}

