"""A changed answer key regrades the attempts that answered the question: scores, pass or
fail, progress and certificates follow; twice changes nothing the second time."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from config.celery import app
from courses.models import ModulePage
from learners import progress
from learners.audit import Action
from learners.models import AuditEvent, Certificate, Enrollment, StepProgress
from learners.roles import TRAINERS_GROUP
from quizzes import regrading, services
from quizzes.models import Attempt, Regrade, RegradedAttempt, TrueFalseQuestion
from tests.factories import make_course_with, make_manager, make_quiz, make_user, right_answers

pytestmark = pytest.mark.django_db

BANK = "/admin/banque-de-questions/"


def confirm_url(question):
    return f"{BANK}{question.pk}/recorriger/"


def status_url(regrade):
    return f"{BANK}recorrection/{regrade.pk}/"


@pytest.fixture
def quiz():
    """A course whose only step is a quiz of a true/false (true) and a single choice
    question, 2 points each, passed at 70 %."""
    course = make_course_with(modules=1, lessons_per_module=0)
    return make_quiz(ModulePage.objects.child_of(course).get(), questions=2, kinds=["true_false", "single_choice"])


def true_false_of(quiz):
    return TrueFalseQuestion.objects.get(pk__in=quiz.question_ids())


def enrolled(quiz):
    learner = make_user()
    progress.enroll(user=learner, course=quiz.get_parent().get_parent().specific)
    return learner


def attempt_with(learner, quiz, true_false_right=True):
    """A graded attempt: the single choice right, the true/false right or not."""
    attempt = services.start_attempt(user=learner, quiz=quiz)
    raw = right_answers(attempt)
    if not true_false_right:
        raw[str(true_false_of(quiz).pk)] = "faux"
    if quiz.certainty_based_marking:
        raw.update({f"c-{pk}": "3" for pk in attempt.question_order})
    services.submit_attempt(user=learner, attempt_id=attempt.pk, raw=raw)
    services.grade_submitted_attempt(attempt.pk)
    attempt.refresh_from_db()
    return attempt


def flip_key(question):
    """The trainer says the statement is false after all (saved as the admin saves it)."""
    question.answer = not question.answer
    question.save()


def regrade_now(question, user=None):
    """Start a regrade and run its batches here, as a worker would."""
    regrade = regrading.start_regrade(question=question, user=user)
    regrading.regrade_attempts(regrade.pk, regrading.remaining_attempt_ids(regrade))
    regrade.refresh_from_db()
    return regrade


def course_of_quiz(quiz):
    return quiz.get_parent().get_parent().specific


def test_an_unchanged_key_offers_nothing_and_a_changed_one_counts_the_graded_attempts(quiz):
    # given two graded attempts and one in progress
    for learner in (enrolled(quiz), enrolled(quiz)):
        attempt_with(learner, quiz)
    services.start_attempt(user=enrolled(quiz), quiz=quiz)
    question = true_false_of(quiz)

    # then saving the question as it is offers no regrade
    question.save()
    assert regrading.regrade_offer(question) == 0

    # and changing its key offers to regrade the two graded attempts
    flip_key(question)
    assert regrading.regrade_offer(question) == 2


def test_a_lost_pass_reopens_the_step_recounts_the_course_and_revokes_its_certificate(quiz):
    # given a learner who passed the quiz, completing the course and earning its certificate
    learner = enrolled(quiz)
    attempt = attempt_with(learner, quiz)
    assert attempt.passed and Certificate.objects.get(user=learner).is_valid
    question = true_false_of(quiz)
    trainer = make_user()

    # when the key changes and the attempts are regraded
    flip_key(question)
    regrade = regrade_now(question, trainer)

    # then the attempt scores half and fails; the step is open again; the certificate is revoked
    attempt.refresh_from_db()
    assert (attempt.score, attempt.percent, attempt.passed, attempt.grade_count) == (Decimal("2.00"), 50, False, 1)
    assert attempt.answers.get(question=question).score == 0
    assert StepProgress.objects.get(user=learner, step_id=quiz.pk).status == StepProgress.Status.VIEWED
    enrollment = Enrollment.objects.get(user=learner)
    assert (enrollment.completed_steps, enrollment.percent, enrollment.completed_at) == (0, 0, None)
    certificate = Certificate.objects.get(user=learner)
    assert not certificate.is_valid and certificate.revocation_reason == progress.REGRADED_CERTIFICATE_REASON
    assert AuditEvent.objects.filter(action=Action.CERTIFICATE_REVOKED).count() == 1
    assert AuditEvent.objects.filter(action=Action.REGRADE, actor=trainer).count() == 1
    # and the report says so
    assert (regrade.attempts_total, regrade.attempts_done, regrade.scores_changed) == (1, 1, 1)
    assert (regrade.passed_to_failed, regrade.failed_to_passed, regrade.is_running) == (1, 0, False)
    assert regrade.started_at is None  # no coordinator ran: the batch was run directly


def test_a_new_pass_completes_the_step_and_issues_the_certificate(quiz):
    # given a learner who failed (the statement judged false)
    learner = enrolled(quiz)
    attempt = attempt_with(learner, quiz, true_false_right=False)
    assert not attempt.passed and not Certificate.objects.exists()

    # when the trainer decides the statement was false after all
    regrade = regrade_now_after_flip(true_false_of(quiz))

    # then the attempt passes, the step and the course are completed, the certificate issued
    attempt.refresh_from_db()
    assert (attempt.percent, attempt.passed) == (100, True)
    assert StepProgress.objects.get(user=learner, step_id=quiz.pk).status == StepProgress.Status.COMPLETED
    assert Enrollment.objects.get(user=learner).completed_at is not None
    assert Certificate.objects.get(user=learner).is_valid
    assert (regrade.scores_changed, regrade.passed_to_failed, regrade.failed_to_passed) == (1, 0, 1)


def test_a_certificate_revoked_by_a_regrade_is_valid_again_when_a_second_regrade_gives_the_pass_back(quiz):
    learner = enrolled(quiz)
    attempt_with(learner, quiz)
    question = true_false_of(quiz)
    regrade_now_after_flip(question)
    assert not Certificate.objects.get(user=learner).is_valid

    # when the trainer puts the key back
    back = regrade_now_after_flip(question)

    # then the step is completed again and the same certificate is valid again, said in the audit log
    assert back.failed_to_passed == 1
    certificate = Certificate.objects.get(user=learner)
    assert certificate.is_valid and certificate.revocation_reason == ""
    assert AuditEvent.objects.filter(action=Action.CERTIFICATE_REINSTATED, target_id=str(certificate.pk)).count() == 1


def test_a_certificate_revoked_for_another_reason_stays_revoked(quiz):
    learner = enrolled(quiz)
    attempt_with(learner, quiz)
    question = true_false_of(quiz)
    regrade_now_after_flip(question)
    Certificate.objects.filter(user=learner).update(revocation_reason="Fraude constatée.")

    regrade_now_after_flip(question)

    assert not Certificate.objects.get(user=learner).is_valid


def regrade_now_after_flip(question):
    flip_key(question)
    return regrade_now(question)


def test_regrading_twice_changes_nothing_the_second_time(quiz):
    learners = [enrolled(quiz) for _ in range(3)]
    for learner in learners:
        attempt_with(learner, quiz)
    question = true_false_of(quiz)
    first = regrade_now_after_flip(question)
    after_first = sorted(Attempt.objects.values_list("pk", "score", "percent", "passed"))
    events = AuditEvent.objects.exclude(action=Action.REGRADE).count()

    second = regrade_now(question)

    assert (first.scores_changed, first.passed_to_failed) == (3, 3)
    assert (second.attempts_total, second.attempts_done) == (3, 3)
    assert (second.scores_changed, second.passed_to_failed, second.failed_to_passed) == (0, 0, 0)
    assert sorted(Attempt.objects.values_list("pk", "score", "percent", "passed")) == after_first
    assert AuditEvent.objects.exclude(action=Action.REGRADE).count() == events


def test_a_batch_delivered_twice_regrades_each_attempt_once(quiz):
    for learner in (enrolled(quiz), enrolled(quiz)):
        attempt_with(learner, quiz)
    question = true_false_of(quiz)
    flip_key(question)
    regrade = regrading.start_regrade(question=question, user=None)
    ids = regrading.remaining_attempt_ids(regrade)

    assert regrading.regrade_attempts(regrade.pk, ids[:1]) == 1
    assert regrading.regrade_attempts(regrade.pk, ids) == 1  # only the one not done yet
    assert regrading.regrade_attempts(regrade.pk, ids) == 0  # finished: nothing

    regrade.refresh_from_db()
    assert (regrade.attempts_done, regrade.scores_changed, regrade.passed_to_failed) == (2, 2, 2)
    assert sorted(RegradedAttempt.objects.values_list("attempt_id", flat=True)) == ids
    assert not regrade.is_running


def test_the_coordinator_sends_batches_that_regrade_every_attempt(quiz, monkeypatch, django_capture_on_commit_callbacks):
    # given five graded attempts and batches of two
    for learner in [enrolled(quiz) for _ in range(5)]:
        attempt_with(learner, quiz)
    question = true_false_of(quiz)
    flip_key(question)
    monkeypatch.setattr(regrading, "BATCH_SIZE", 2)
    monkeypatch.setitem(app.conf, "task_always_eager", True)  # tasks run here, in order, when sent

    # when the regrade is started and its coordinator sent after the commit
    with django_capture_on_commit_callbacks(execute=True):
        regrade = regrading.start_regrade(question=question, user=None)

    # then its three batches regraded the five attempts once each
    regrade.refresh_from_db()
    assert regrade.started_at is not None and not regrade.is_running
    assert (regrade.attempts_done, regrade.scores_changed, regrade.passed_to_failed) == (5, 5, 5)
    assert RegradedAttempt.objects.filter(regrade=regrade).count() == 5
    assert regrading.plan_regrade(regrade.pk) == 0  # a coordinator sent again: nothing to do


def test_certainty_based_marking_is_recomputed_from_the_new_key(quiz):
    # given a quiz marked by certainty, answered all right at "très sûr·e"
    quiz.certainty_based_marking = True
    quiz.save_revision().publish()
    learner = enrolled(quiz)
    attempt = attempt_with(learner, quiz)
    assert (attempt.score, attempt.max_score, attempt.percent) == (Decimal("12.00"), Decimal("12.00"), 100)
    question = true_false_of(quiz)

    # when the true/false answer turns out wrong
    regrade_now_after_flip(question)

    # then it costs 6 times its points (−12), the total stops at zero, the attempt fails
    answer = attempt.answers.get(question=question)
    attempt.refresh_from_db()
    assert (answer.score, answer.cbm_score) == (Decimal("0.00"), Decimal("-12.00"))
    assert (attempt.score, attempt.percent, attempt.passed) == (Decimal("0.00"), 0, False)


def test_another_passing_attempt_keeps_the_step_completed(quiz):
    # given a learner who passed a first attempt, then a second one once the key changed
    learner = enrolled(quiz)
    attempt_with(learner, quiz)
    question = true_false_of(quiz)
    flip_key(question)
    second = attempt_with(learner, quiz)  # graded with the new key: right again
    assert second.passed

    # when the first attempt is regraded and fails
    regrade = regrade_now(question)

    # then the step stays completed by the second (regraded too: unchanged), and the certificate valid
    assert (regrade.attempts_total, regrade.scores_changed, regrade.passed_to_failed) == (2, 1, 1)
    assert StepProgress.objects.get(user=learner, step_id=quiz.pk).status == StepProgress.Status.COMPLETED
    assert Certificate.objects.get(user=learner).is_valid


def test_an_attempt_in_progress_is_left_alone_and_graded_with_the_new_key(quiz):
    graded = attempt_with(enrolled(quiz), quiz)
    learner = enrolled(quiz)
    open_attempt = services.start_attempt(user=learner, quiz=quiz)
    question = true_false_of(quiz)
    flip_key(question)

    regrade = regrade_now(question)

    assert regrade.attempts_total == 1
    assert set(RegradedAttempt.objects.values_list("attempt_id", flat=True)) == {graded.pk}
    services.submit_attempt(user=learner, attempt_id=open_attempt.pk, raw=right_answers(open_attempt))
    services.grade_submitted_attempt(open_attempt.pk)
    open_attempt.refresh_from_db()
    assert open_attempt.percent == 100  # "faux" is right now


def test_a_second_regrade_is_refused_while_one_runs_and_nothing_is_written(quiz):
    attempt_with(enrolled(quiz), quiz)
    question = true_false_of(quiz)
    flip_key(question)
    running = regrading.start_regrade(question=question, user=None)

    with pytest.raises(regrading.RegradeRunning):
        regrading.start_regrade(question=question, user=None)

    assert list(Regrade.objects.all()) == [running]
    assert AuditEvent.objects.filter(action=Action.REGRADE).count() == 1


def test_a_question_nobody_answered_has_nothing_to_regrade(quiz):
    with pytest.raises(regrading.NothingToRegrade):
        regrading.start_regrade(question=true_false_of(quiz), user=None)
    assert not Regrade.objects.exists()


# --- Admin ----------------------------------------------------------------------------


def true_false_form(question, answer):
    data = {"prompt": question.prompt, "points": str(question.points), "tag": question.tag,
            "explanation": question.explanation, "feedback_true": "", "feedback_false": ""}
    if answer:
        data["answer"] = "on"
    return data


def edit_url(question):
    return f"/admin/snippets/quizzes/truefalsequestion/edit/{question.pk}/"


def test_saving_a_new_key_leads_the_trainer_to_the_regrade_confirmation(trainer_client, quiz):
    # given two graded attempts
    for learner in (enrolled(quiz), enrolled(quiz)):
        attempt_with(learner, quiz)
    question = true_false_of(quiz)

    # saving the same key goes back to the listing as usual
    response = trainer_client.post(edit_url(question), true_false_form(question, answer=True))
    assert response.status_code == 302 and response.url == "/admin/snippets/quizzes/truefalsequestion/"

    # saving a new key leads to the confirmation, which counts the attempts
    response = trainer_client.post(edit_url(question), true_false_form(question, answer=False))
    assert response.status_code == 302 and response.url == confirm_url(question)
    page = trainer_client.get(confirm_url(question)).content.decode()
    assert "2 tentatives ont répondu à cette question : recorriger ?" in page
    assert not Regrade.objects.exists()  # nothing until the trainer confirms


def test_confirming_starts_the_regrade_and_its_screen_shows_the_report(trainer_client, quiz,
                                                                       django_capture_on_commit_callbacks):
    learner = enrolled(quiz)
    attempt_with(learner, quiz)
    question = true_false_of(quiz)
    flip_key(question)

    with django_capture_on_commit_callbacks() as callbacks:
        response = trainer_client.post(confirm_url(question))

    regrade = Regrade.objects.get()
    assert response.status_code == 302 and response.url == status_url(regrade)
    assert len(callbacks) == 1  # the coordinator, sent after the commit
    page = trainer_client.get(status_url(regrade)).content.decode()
    assert "En cours : 0 sur 1." in page

    # once its batch has run, the screen shows what changed
    regrading.regrade_attempts(regrade.pk, regrading.remaining_attempt_ids(Regrade.objects.get()))
    page = trainer_client.get(status_url(regrade)).content.decode()
    assert "Terminée le" in page
    assert "Réussites devenues échecs</th><td>1</td>" in page and "Notes changées</th><td>1</td>" in page


def test_a_running_regrade_can_be_sent_on_again_and_a_finished_one_cannot(trainer_client, quiz,
                                                                        django_capture_on_commit_callbacks):
    attempt_with(enrolled(quiz), quiz)
    question = true_false_of(quiz)
    flip_key(question)
    regrade = regrading.start_regrade(question=question, user=None)

    with django_capture_on_commit_callbacks() as callbacks:
        response = trainer_client.post(status_url(regrade), follow=True)
    assert len(callbacks) == 1  # its coordinator, sent again
    assert "Recorrection relancée" in response.content.decode()

    regrading.regrade_attempts(regrade.pk, regrading.remaining_attempt_ids(regrade))
    with django_capture_on_commit_callbacks() as callbacks:
        response = trainer_client.post(status_url(regrade), follow=True)
    assert callbacks == []
    assert "Cette recorrection est déjà terminée." in response.content.decode()


def test_confirming_again_while_it_runs_is_refused_with_the_reason(trainer_client, quiz):
    attempt_with(enrolled(quiz), quiz)
    question = true_false_of(quiz)
    flip_key(question)
    trainer_client.post(confirm_url(question))

    response = trainer_client.post(confirm_url(question), follow=True)

    assert Regrade.objects.count() == 1
    assert "Une recorrection de cette question est déjà en cours" in response.content.decode()


def test_the_regrade_screens_run_a_constant_number_of_queries(trainer_client, quiz):
    for learner in [enrolled(quiz) for _ in range(2)]:
        attempt_with(learner, quiz)
    question = true_false_of(quiz)
    regrade = regrade_now_after_flip(question)

    def queries(url):
        with CaptureQueriesContext(connection) as captured:
            assert trainer_client.get(url).status_code == 200
        return len(captured)

    few = (queries(confirm_url(question)), queries(status_url(regrade)))
    for learner in [enrolled(quiz) for _ in range(5)]:
        attempt_with(learner, quiz)
    regrade_now(question)
    assert (queries(confirm_url(question)), queries(status_url(regrade))) == few
    assert max(few) <= 15


@pytest.fixture
def started(quiz):
    attempt_with(enrolled(quiz), quiz)
    question = true_false_of(quiz)
    flip_key(question)
    return question, regrading.start_regrade(question=question, user=None)


@pytest.mark.parametrize("who", ["anonymous", "learner", "manager"])
def test_anonymous_people_learners_and_managers_are_sent_to_the_admin_login(started, who):
    question, regrade = started
    client = Client()
    if who != "anonymous":
        client.force_login(make_user() if who == "learner" else make_manager())

    for method, url in [("get", confirm_url(question)), ("post", confirm_url(question)), ("get", status_url(regrade)),
                        ("post", status_url(regrade))]:
        response = getattr(client, method)(url)
        assert response.status_code == 302 and "/admin/login/" in response.url, url
    assert Regrade.objects.count() == 1


def test_a_trainer_who_may_not_change_the_question_is_refused(started, trainer_client):
    question, regrade = started
    regrade.finished_at = regrade.requested_at
    regrade.save()
    group = Group.objects.get(name=TRAINERS_GROUP)
    group.permissions.remove(Permission.objects.get(codename="change_truefalsequestion"))

    for method, url in [("get", confirm_url(question)), ("post", confirm_url(question)), ("get", status_url(regrade)),
                        ("post", status_url(regrade))]:
        response = getattr(trainer_client, method)(url)
        assert response.status_code == 302 and response.url == "/admin/", url  # Wagtail's refusal
    assert Regrade.objects.count() == 1


@pytest.mark.parametrize("path", ["99999999/recorriger/", "recorrection/99999999/",
                                  "123456789012345678901/recorriger/", "recorrection/١٢/"])
def test_an_unknown_or_impossible_id_is_a_404(trainer_client, path):
    assert trainer_client.get(BANK + path).status_code == 404
