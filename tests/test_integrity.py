"""Integrity: a certificate means every quiz passed, and the inputs a public site meets
every day (odd digits, forged fields, huge ids, bad `?next=`) get an answer, never a 500."""

from datetime import timedelta

import pytest
from django.utils import timezone

from courses.models import LessonPage, ModulePage
from learners import progress
from learners.models import Certificate, Enrollment, StepProgress
from quizzes import services
from quizzes.models import Answer, Attempt, QuizPage, QuizQuestion
from tests.factories import (
    as_form,
    enrolled_client,
    make_course_with,
    make_question,
    make_quiz,
    make_user,
    right_answers,
)

pytestmark = pytest.mark.django_db

HUGE_ID = 2**64


@pytest.fixture
def course_with_quiz(client, learner):
    """A learner enrolled in a course of one module: two lessons, then a quiz."""
    course = make_course_with(modules=1, lessons_per_module=2)
    quiz = make_quiz(ModulePage.objects.child_of(course).get(), questions=7)
    enrolled_client(client, learner, course)
    return client, learner, course, quiz


def start(client, quiz):
    response = client.post(f"/quiz/{quiz.pk}/commencer/")
    assert response.status_code == 302, response
    return Attempt.objects.get(pk=int(response.url.rstrip("/").split("/")[-1]))


def complete(client, page):
    return client.post(f"/comptes/etapes/{page.pk}/terminer/")


# --- A certificate means every quiz passed ---------------------------------------------


def test_completing_every_step_by_hand_without_passing_the_quiz_gives_no_certificate(course_with_quiz):
    # given a learner who posts "done" for every step of the course, the quiz included
    client, learner, course, quiz = course_with_quiz
    steps = [*LessonPage.objects.descendant_of(course), quiz]

    # when
    answers = [complete(client, step) for step in steps]

    # then the lessons are done, the quiz is refused with the reason, and no certificate
    assert [response.status_code for response in answers] == [302, 302, 403]
    assert "réussissant son quiz" in answers[-1].content.decode()
    enrollment = Enrollment.objects.get(user=learner)
    assert (enrollment.completed_steps, enrollment.total_steps, enrollment.completed_at) == (2, 3, None)
    assert not StepProgress.objects.filter(step_id=quiz.pk, status=StepProgress.Status.COMPLETED).exists()
    assert not Certificate.objects.exists()


def test_the_progress_door_refuses_a_quiz_whatever_calls_it(course_with_quiz):
    client, learner, course, quiz = course_with_quiz
    failed = start(client, quiz)
    client.post(f"/quiz/tentatives/{failed.pk}/", {})
    services.grade_submitted_attempt(failed.pk)

    with pytest.raises(progress.CompletionNotEarned):
        progress.record_step_completed(user=learner, page=quiz, score=100)

    assert not StepProgress.objects.filter(step_id=quiz.pk, status=StepProgress.Status.COMPLETED).exists()


def test_only_a_passed_graded_attempt_completes_the_quiz_and_then_the_certificate_is_issued(course_with_quiz):
    client, learner, course, quiz = course_with_quiz
    for lesson in LessonPage.objects.descendant_of(course):
        complete(client, lesson)
    attempt = start(client, quiz)
    client.post(f"/quiz/tentatives/{attempt.pk}/", as_form(right_answers(attempt)))
    assert not Certificate.objects.exists()  # submitted, not graded yet

    services.grade_submitted_attempt(attempt.pk)

    certificate = Certificate.objects.get(user=learner)
    assert Enrollment.objects.get(user=learner).completed_at is not None
    assert "valide" in client.get(f"/verifier-un-certificat/{certificate.code}/").content.decode()


def test_a_quiz_added_to_a_completed_course_reopens_it_but_keeps_the_certificate(course_with_quiz):
    # given a learner who completed the course and holds its certificate
    client, learner, course, quiz = course_with_quiz
    for lesson in LessonPage.objects.descendant_of(course):
        complete(client, lesson)
    attempt = start(client, quiz)
    client.post(f"/quiz/tentatives/{attempt.pk}/", as_form(right_answers(attempt)))
    services.grade_submitted_attempt(attempt.pk)
    certificate = Certificate.objects.get(user=learner)

    # when a trainer publishes a second quiz in the course (and the recount task runs)
    make_quiz(ModulePage.objects.child_of(course).get(), questions=2)
    progress.recount_course(course)

    # then the course is no longer complete until that quiz is passed; the certificate,
    # which certified the course as it stood, stays valid
    enrollment = Enrollment.objects.get(user=learner)
    assert (enrollment.completed_steps, enrollment.total_steps, enrollment.completed_at) == (3, 4, None)
    certificate.refresh_from_db()
    assert certificate.is_valid


def test_a_raised_pass_mark_does_not_undo_a_pass_already_earned(course_with_quiz):
    client, learner, course, quiz = course_with_quiz
    attempt = start(client, quiz)
    client.post(f"/quiz/tentatives/{attempt.pk}/", as_form(right_answers(attempt)))
    services.grade_submitted_attempt(attempt.pk)

    QuizPage.objects.filter(pk=quiz.pk).update(pass_mark=100)
    progress.recount_course(course)

    assert StepProgress.objects.get(step_id=quiz.pk).status == StepProgress.Status.COMPLETED


# --- Quiz answers: odd digits, forged fields, text as typed -------------------------------


@pytest.mark.parametrize("digits", ["²", "①", "١٢", "１", "-1", "1.0", " 99999999999999999999999 "])
def test_choice_values_that_are_not_ascii_digits_are_refused_with_a_message(course_with_quiz, digits):
    client, learner, course, quiz = course_with_quiz
    attempt = start(client, quiz)
    raw = right_answers(attempt)
    single_id = next(k for k, v in raw.items() if isinstance(v, str) and v.isdigit())
    matching_id = next(k for k, v in raw.items() if isinstance(v, dict) and len(v) == 2)
    raw[single_id] = digits
    raw[matching_id] = {key: digits for key in raw[matching_id]}

    response = client.post(f"/quiz/tentatives/{attempt.pk}/", as_form(raw))

    assert response.status_code == 400
    assert "Choisissez une des réponses proposées" in response.content.decode()
    assert not Answer.objects.filter(attempt=attempt).exists()


def test_a_draft_of_odd_digits_never_blocks_the_sweep_for_other_learners(course_with_quiz, client):
    # given two learners whose timed attempts expired, the first with odd digits in its drafts
    first_client, first, course, quiz = course_with_quiz
    QuizPage.objects.filter(pk=quiz.pk).update(time_limit_minutes=5)
    broken = start(first_client, quiz)
    raw = right_answers(broken)
    odd = {key: {k: "²" for k in value} if isinstance(value, dict) else "①" for key, value in raw.items()}
    assert first_client.post(f"/quiz/tentatives/{broken.pk}/brouillon/", as_form(odd)).status_code == 200
    second_client = enrolled_client(client.__class__(), make_user(), course)
    other = start(second_client, quiz)
    second_client.post(f"/quiz/tentatives/{other.pk}/brouillon/", as_form(right_answers(other)))
    Attempt.objects.update(deadline=timezone.now() - timedelta(minutes=1))

    # when the sweep runs
    services.requeue_stuck_attempts()

    # then both are submitted: the odd values count as unanswered
    assert set(Attempt.objects.values_list("status", flat=True)) == {Attempt.Status.SUBMITTED}
    services.grade_submitted_attempt(broken.pk)
    services.grade_submitted_attempt(other.pk)
    assert Attempt.objects.get(pk=other.pk).percent == 100
    assert Attempt.objects.get(pk=broken.pk).percent < 100


def test_a_short_answer_with_an_ampersand_is_stored_as_typed_and_scores(course_with_quiz):
    client, learner, course, quiz = course_with_quiz
    question = make_question("short_answer")
    question.accepted_answers = "test & learn"
    question.save()
    QuizQuestion.objects.create(quiz=quiz, question=question, sort_order=99)
    attempt = start(client, quiz)
    raw = right_answers(attempt)
    raw[str(question.pk)] = "  Test   &  Learn "

    response = client.post(f"/quiz/tentatives/{attempt.pk}/", as_form(raw))
    services.grade_submitted_attempt(attempt.pk)

    answer = Answer.objects.get(attempt=attempt, question=question)
    assert (answer.payload, answer.score) == ("Test & Learn", answer.max_score)
    html = client.get(response.url).content.decode()
    assert "Test &amp; Learn" in html and "&amp;amp;" not in html


def test_a_field_for_a_pair_of_another_question_is_refused(course_with_quiz):
    client, learner, course, quiz = course_with_quiz
    attempt = start(client, quiz)
    foreign_pair = make_question("matching").pairs.first()
    matching_id = next(k for k, v in right_answers(attempt).items() if isinstance(v, dict) and len(v) == 2)
    form = {**as_form(right_answers(attempt)), f"q-{matching_id}-{foreign_pair.pk}": str(foreign_pair.pk)}

    response = client.post(f"/quiz/tentatives/{attempt.pk}/", form)
    autosave = client.post(f"/quiz/tentatives/{attempt.pk}/brouillon/", form)

    assert response.status_code == 400 and "ne fait pas partie de ce quiz" in response.content.decode()
    assert autosave.status_code == 400
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.IN_PROGRESS and attempt.drafts == {}


# --- URLs: ids past 64 bits, `?next=` ---------------------------------------------------


@pytest.mark.parametrize(
    "url", [f"/quiz/{HUGE_ID}/commencer/", f"/comptes/formations/{HUGE_ID}/inscription/",
            f"/comptes/etapes/{HUGE_ID}/terminer/", f"/quiz/tentatives/{HUGE_ID}/"],
)
def test_an_id_past_64_bits_is_simply_not_found(learner_client, url):
    assert learner_client.post(url).status_code == 404


@pytest.mark.parametrize("next_url", ["foo", "dashboard", "//evil.example/", "https://evil.example/", "/\\evil.example"])
def test_sign_up_with_a_bad_next_creates_the_account_logs_in_and_goes_home(client, next_url):
    response = client.post(
        f"/comptes/inscription/?next={next_url}",
        {"first_name": "Inès", "last_name": "Durand", "email": "ines@example.org",
         "password1": "un-mot-de-passe-solide", "password2": "un-mot-de-passe-solide"},
    )

    assert (response.status_code, response.url) == (302, "/")
    assert client.get("/comptes/mon-espace/").status_code == 200


def test_sign_up_keeps_a_good_next(client):
    response = client.post(
        "/comptes/inscription/?next=/comptes/mon-espace/",
        {"first_name": "Inès", "last_name": "Durand", "email": "ines@example.org",
         "password1": "un-mot-de-passe-solide", "password2": "un-mot-de-passe-solide"},
    )
    assert response.url == "/comptes/mon-espace/"


def test_the_sign_up_page_never_redirects_a_signed_in_person_to_itself(learner_client):
    response = learner_client.get("/comptes/inscription/?next=/comptes/inscription/")
    assert (response.status_code, response.url) == (302, "/")


def test_completions_written_before_the_rule_are_reopened_and_their_certificate_revoked(course_with_quiz, client):
    # given a certificate obtained the old way: the quiz step written "completed" directly
    from django.core.management import call_command

    from learners.models import AuditEvent

    client_, learner, course, quiz = course_with_quiz
    for lesson in LessonPage.objects.descendant_of(course):
        complete(client_, lesson)
    StepProgress.objects.create(user=learner, step_id=quiz.pk, course=course, status=StepProgress.Status.COMPLETED,
                                completed_at=timezone.now())
    progress.recount_course(course)
    certificate = Certificate.objects.get(user=learner)
    honest = make_user()
    enrolled_client(client.__class__(), honest, course)

    # when an operator runs the repair command, twice
    call_command("check_completions", "--fix")
    call_command("check_completions", "--fix")

    # then the quiz step is open again, the course incomplete, the certificate revoked once, all audited
    assert StepProgress.objects.get(user=learner, step_id=quiz.pk).status == StepProgress.Status.VIEWED
    assert Enrollment.objects.get(user=learner).completed_at is None
    certificate.refresh_from_db()
    assert not certificate.is_valid and "quiz" in certificate.revocation_reason
    assert sorted(AuditEvent.objects.values_list("action", flat=True)) == ["certificate_revoked", "completion_withdrawn"]
    assert "révoqué" in client.get(f"/verifier-un-certificat/{certificate.code}/").content.decode()


@pytest.mark.parametrize("method, url, data", [
    ("get", "/comptes/certificats/%00/", {}),
    ("get", "/verifier-un-certificat/", {"code": "AB\x00CD"}),
    ("post", "/comptes/profil/", {"first_name": "Lou\x00", "last_name": "Dupont", "preferred_language": "fr"}),
])
def test_a_nul_character_anywhere_is_a_bad_request_on_every_database(learner_client, method, url, data):
    response = getattr(learner_client, method)(url, data)
    assert response.status_code == 400
    assert "Camille" == learners_first_name(learner_client)


def learners_first_name(client):
    from learners.models import User

    return User.objects.get(pk=client.session["_auth_user_id"]).first_name


def test_a_nul_character_in_an_autosaved_answer_is_refused_and_the_drafts_stay(course_with_quiz):
    client, learner, course, quiz = course_with_quiz
    attempt = start(client, quiz)
    short_id = next(k for k, v in right_answers(attempt).items() if v == "RÉSEAU")

    response = client.post(f"/quiz/tentatives/{attempt.pk}/brouillon/", {f"q-{short_id}": "ré\x00seau"})

    assert response.status_code == 400
    attempt.refresh_from_db()
    assert attempt.drafts == {}
