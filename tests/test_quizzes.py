"""Attempts: start, autosave, resume, submit (all or nothing), grade, deadlines, limits,
bad input. Grading here runs in-process; tests/test_quiz_worker.py uses a real worker."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from courses.models import ModulePage
from home.middleware import refusal_status
from learners.models import Enrollment, StepProgress
from quizzes import services
from quizzes.models import Answer, Attempt, Question, QuizPage
from quizzes.selectors import attempt_report, load_questions
from tests.factories import (
    as_form,
    enrolled_client,
    make_course_with,
    make_quiz,
    make_user,
    right_answers,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def quiz_setup(client, learner):
    """A learner enrolled in a course whose module ends with a 7-question quiz."""
    course = make_course_with(modules=1, lessons_per_module=1)
    quiz = make_quiz(ModulePage.objects.child_of(course).get(), questions=7, max_attempts=5)
    enrolled_client(client, learner, course)
    return client, learner, quiz


def start(client, quiz):
    response = client.post(f"/quiz/{quiz.pk}/commencer/")
    assert response.status_code == 302, response
    return Attempt.objects.get(pk=int(response.url.rstrip("/").split("/")[-1]))


def submit(client, attempt, raw, **extra):
    return client.post(f"/quiz/tentatives/{attempt.pk}/", {**as_form(raw), **extra})


# --- Start, resume, autosave -------------------------------------------------------


def test_the_quiz_page_shows_the_rules_and_starts_an_attempt(quiz_setup):
    client, learner, quiz = quiz_setup
    html = client.get(quiz.url).content.decode()
    assert "Commencer le quiz" in html and "5 sur 5 restantes" in html

    attempt = start(client, quiz)

    assert attempt.number == 1 and attempt.status == Attempt.Status.IN_PROGRESS
    assert len(attempt.question_order) == 7
    page = client.get(f"/quiz/tentatives/{attempt.pk}/").content.decode()
    assert page.count("<fieldset") == 7 and "Envoyer mes réponses" in page


def test_starting_twice_resumes_the_same_attempt_with_the_same_order(quiz_setup):
    client, learner, quiz = quiz_setup
    QuizPage.objects.filter(pk=quiz.pk).update(shuffle_questions=True)
    first = start(client, quiz)
    second = start(client, quiz)
    assert first.pk == second.pk and first.question_order == second.question_order


def test_autosave_keeps_answers_and_coming_back_resumes_them(quiz_setup):
    client, learner, quiz = quiz_setup
    attempt = start(client, quiz)
    raw = right_answers(attempt)
    short_id = next(k for k, v in raw.items() if v == "RÉSEAU")

    response = client.post(f"/quiz/tentatives/{attempt.pk}/brouillon/", as_form({short_id: "réseaux soc"}))

    assert response.json() == {"saved": True}
    assert Attempt.objects.get().drafts[short_id] == "réseaux soc"
    assert 'value="réseaux soc"' in client.get(f"/quiz/tentatives/{attempt.pk}/").content.decode()


def test_the_save_button_works_without_javascript(quiz_setup):
    client, learner, quiz = quiz_setup
    attempt = start(client, quiz)
    raw = right_answers(attempt)

    response = submit(client, attempt, raw, action="save")

    assert response.status_code == 302
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.IN_PROGRESS and len(attempt.drafts) == 7


# --- Submit and grade --------------------------------------------------------------


def test_right_answers_pass_and_complete_the_step(quiz_setup, django_capture_on_commit_callbacks):
    client, learner, quiz = quiz_setup
    attempt = start(client, quiz)

    with django_capture_on_commit_callbacks() as callbacks:
        response = submit(client, attempt, right_answers(attempt))
    assert response.status_code == 302 and response.url.endswith("/resultat/")
    assert Attempt.objects.get().status == Attempt.Status.SUBMITTED
    assert "Correction en cours" in client.get(response.url).content.decode()
    assert len(callbacks) == 1  # grading is queued after the commit

    assert services.grade_submitted_attempt(attempt.pk) is True
    attempt.refresh_from_db()
    assert (attempt.status, attempt.percent, attempt.passed, attempt.grade_count) == ("graded", 100, True, 1)
    assert StepProgress.objects.get(step_id=quiz.pk).status == StepProgress.Status.COMPLETED
    html = client.get(response.url).content.decode()
    assert "Quiz réussi !" in html and "Corrections" in html


def test_grading_twice_changes_nothing(quiz_setup):
    client, learner, quiz = quiz_setup
    attempt = start(client, quiz)
    submit(client, attempt, right_answers(attempt))
    services.grade_submitted_attempt(attempt.pk)
    assert services.grade_submitted_attempt(attempt.pk) is False
    assert Attempt.objects.get().grade_count == 1


def test_a_failed_attempt_does_not_complete_the_step_and_a_retry_can_pass(quiz_setup):
    client, learner, quiz = quiz_setup
    attempt = start(client, quiz)
    submit(client, attempt, {})
    services.grade_submitted_attempt(attempt.pk)
    attempt.refresh_from_db()
    assert (attempt.percent, attempt.passed) == (0, False)
    assert not StepProgress.objects.filter(step_id=quiz.pk, status="completed").exists()
    assert Answer.objects.filter(attempt=attempt).count() == 7

    retry = start(client, quiz)
    assert retry.number == 2
    submit(client, retry, right_answers(retry))
    services.grade_submitted_attempt(retry.pk)
    assert Enrollment.objects.get().completed_steps == 1


def test_corrections_follow_the_feedback_policy(quiz_setup):
    client, learner, quiz = quiz_setup
    QuizPage.objects.filter(pk=quiz.pk).update(feedback_policy=QuizPage.FeedbackPolicy.CORRECTIONS_WHEN_PASSED)
    attempt = start(client, quiz)
    submit(client, attempt, {})
    services.grade_submitted_attempt(attempt.pk)

    html = client.get(f"/quiz/tentatives/{attempt.pk}/resultat/").content.decode()

    assert "Pas encore réussi" in html and "Bonne réponse" not in html
    assert "une fois le quiz réussi" in html


POLICY = QuizPage.FeedbackPolicy


def test_a_correction_kept_for_one_learner_is_shown_to_another_only_for_the_same_graded_answer(quiz_setup):
    # given one learner all right, then another all wrong on the same quiz, corrections shown
    client, learner, quiz = quiz_setup
    QuizPage.objects.filter(pk=quiz.pk).update(feedback_policy=QuizPage.FeedbackPolicy.SCORE_AND_CORRECTIONS)
    right = start(client, quiz)
    submit(client, right, right_answers(right))
    services.grade_submitted_attempt(right.pk)
    right_html = client.get(f"/quiz/tentatives/{right.pk}/resultat/").content.decode()
    other = make_user()
    enrolled_client(client, other, quiz.get_parent().get_parent().specific)
    wrong = start(client, quiz)
    submit(client, wrong, {str(pk): question.example_response(right=False) for pk, question in
                           zip(wrong.question_order, load_questions(wrong.question_order))})
    services.grade_submitted_attempt(wrong.pk)
    # when the second learner reads their result, then they see their own corrections
    wrong_html = client.get(f"/quiz/tentatives/{wrong.pk}/resultat/").content.decode()
    assert right_html.count("correction--right") == 7 and "correction--wrong" not in right_html
    assert wrong_html.count("correction--wrong") == 7 and "correction--right" not in wrong_html


@pytest.mark.parametrize("policy, passed, shown, once_passed", [
    (POLICY.SCORE_ONLY, True, False, False),
    (POLICY.SCORE_ONLY, False, False, False),
    (POLICY.SCORE_AND_CORRECTIONS, False, True, False),
    (POLICY.CORRECTIONS_WHEN_PASSED, False, False, True),
    (POLICY.CORRECTIONS_WHEN_PASSED, True, True, False),
])
def test_the_result_report_applies_the_corrections_policy_and_says_which_answers_are_right(
    quiz_setup, policy, passed, shown, once_passed,
):
    client, learner, quiz = quiz_setup
    QuizPage.objects.filter(pk=quiz.pk).update(feedback_policy=policy)
    # given an attempt answered right, or left blank, submitted
    attempt = services.start_attempt(user=learner, quiz=quiz)
    services.submit_attempt(user=learner, attempt_id=attempt.pk, raw=right_answers(attempt) if passed else {})
    assert attempt_report(services.own_attempt(user=learner, attempt_id=attempt.pk)).graded is False

    # when it is graded
    services.grade_submitted_attempt(attempt.pk)
    report = attempt_report(services.own_attempt(user=learner, attempt_id=attempt.pk))

    # then the report follows the quiz's policy, and every answer is right or none is
    assert (report.graded, report.show_corrections, report.corrections_once_passed) == (True, shown, once_passed)
    assert [correction.answer.is_right for correction in report.corrections] == [passed] * 7


# --- Bad input: a clear 4xx, nothing stored ----------------------------------------


def assert_nothing_stored(attempt):
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.IN_PROGRESS
    assert not Answer.objects.filter(attempt=attempt).exists()


@pytest.mark.parametrize("case", ["foreign choice", "wrong type", "huge text", "bad number", "bad ranks"])
def test_malformed_answers_are_refused_with_a_message_and_nothing_is_stored(quiz_setup, case):
    client, learner, quiz = quiz_setup
    attempt = start(client, quiz)
    other = make_quiz(ModulePage.objects.get(), questions=1)
    raw = right_answers(attempt)
    single_id = next(k for k, v in raw.items() if isinstance(v, str) and v.isdigit())
    numeric_id = next(k for k, v in raw.items() if v == "42")
    ordering_id = next(k for k, v in raw.items() if isinstance(v, dict) and "1" in v.values() and len(v) == 3)
    short_id = next(k for k, v in raw.items() if v == "RÉSEAU")
    if case == "foreign choice":
        raw[single_id] = str(other.quiz_questions.get().question.choices.first().pk)
    elif case == "wrong type":
        raw[single_id] = "un choix"
    elif case == "huge text":
        raw[short_id] = "x" * 1_000_000
    elif case == "bad number":
        raw[numeric_id] = "quarante-deux"
    elif case == "bad ranks":
        raw[ordering_id] = {key: "1" for key in raw[ordering_id]}

    response = submit(client, attempt, raw)

    assert response.status_code == 400
    html = response.content.decode()
    assert "Rien n&#x27;a été envoyé" in html or "Rien n'a été envoyé" in html
    assert 'class="field__errors"' in html
    assert_nothing_stored(attempt)


def test_an_answer_to_a_question_outside_the_quiz_is_refused(quiz_setup):
    client, learner, quiz = quiz_setup
    attempt = start(client, quiz)
    foreign = make_quiz(ModulePage.objects.get(), questions=1).question_ids()[0]

    response = submit(client, attempt, {**right_answers(attempt), str(foreign): "1"})

    assert response.status_code == 400
    assert "ne fait pas partie de ce quiz" in response.content.decode()
    assert_nothing_stored(attempt)
    autosave = client.post(f"/quiz/tentatives/{attempt.pk}/brouillon/", {f"q-{foreign}": "1"})
    assert autosave.status_code == 400 and Attempt.objects.get(pk=attempt.pk).drafts == {}


def test_a_text_answer_is_stored_as_typed_and_escaped_only_when_shown(quiz_setup):
    client, learner, quiz = quiz_setup
    attempt = start(client, quiz)
    raw = right_answers(attempt)
    short_id = next(k for k, v in raw.items() if v == "RÉSEAU")
    raw[short_id] = "<script>alert('x')</script>\x07 <b>Réseau</b>\u202e"

    response = submit(client, attempt, raw)
    services.grade_submitted_attempt(attempt.pk)

    assert Answer.objects.get(question_id=int(short_id)).payload == "<script>alert('x')</script> <b>Réseau</b>"
    html = client.get(response.url).content.decode()
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &lt;b&gt;Réseau&lt;/b&gt;" in html
    assert "<script>alert" not in html and "&amp;lt;" not in html


def test_someone_elses_attempt_is_a_404_and_stays_untouched(quiz_setup, client):
    owner_client, learner, quiz = quiz_setup
    attempt = start(owner_client, quiz)
    intruder = make_user()
    enrolled_client(client, intruder, quiz.get_parent().get_parent().specific)

    for url in (f"/quiz/tentatives/{attempt.pk}/", f"/quiz/tentatives/{attempt.pk}/resultat/"):
        assert client.get(url).status_code == 404
    assert submit(client, attempt, right_answers(attempt)).status_code == 404
    assert client.post(f"/quiz/tentatives/{attempt.pk}/brouillon/", {}).status_code == 404
    assert_nothing_stored(attempt)


def test_a_second_submit_is_refused(quiz_setup):
    client, learner, quiz = quiz_setup
    attempt = start(client, quiz)
    submit(client, attempt, right_answers(attempt))
    with pytest.raises(services.AttemptRefused) as refusal:
        services.submit_attempt(user=learner, attempt_id=attempt.pk, raw={})
    assert refusal_status(refusal.value) == 409
    assert Answer.objects.filter(attempt=attempt).count() == 7


def test_an_attempt_beyond_the_limit_is_refused(quiz_setup):
    client, learner, quiz = quiz_setup
    QuizPage.objects.filter(pk=quiz.pk).update(max_attempts=2)
    for _ in range(2):
        attempt = start(client, quiz)
        submit(client, attempt, {})

    response = client.post(f"/quiz/{quiz.pk}/commencer/")

    assert response.status_code == 403
    assert "Vous avez utilisé vos 2 tentatives" in response.content.decode()
    assert Attempt.objects.count() == 2


def test_answers_after_the_deadline_are_refused_and_the_drafts_are_submitted(quiz_setup):
    client, learner, quiz = quiz_setup
    QuizPage.objects.filter(pk=quiz.pk).update(time_limit_minutes=5)
    attempt = start(client, quiz)
    raw = right_answers(attempt)
    client.post(f"/quiz/tentatives/{attempt.pk}/brouillon/", as_form(raw))
    Attempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() - timedelta(minutes=1))

    response = submit(client, attempt, raw)
    assert response.status_code == 403 and "Le temps est écoulé" in response.content.decode()
    assert_nothing_stored(attempt)

    # the sweep (or the task sent for the deadline) submits what was saved in time
    assert services.requeue_stuck_attempts() == (0, 1)
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.SUBMITTED
    services.grade_submitted_attempt(attempt.pk)
    attempt.refresh_from_db()
    assert attempt.percent == 100


def test_the_sweep_requeues_attempts_stuck_in_submitted(quiz_setup, monkeypatch):
    from config import queueing

    client, learner, quiz = quiz_setup
    stuck, recent = start(client, quiz), None
    submit(client, stuck, {})
    Attempt.objects.filter(pk=stuck.pk).update(submitted_at=timezone.now() - timedelta(minutes=10))
    other = make_user()
    enrolled_client(client, other, quiz.get_parent().get_parent().specific)
    recent = start(client, quiz)
    submit(client, recent, {})
    sent = []
    monkeypatch.setattr(queueing, "send_task", lambda task, *args, **options: sent.append((task.name, args)) or True)

    assert services.requeue_stuck_attempts() == (1, 0)

    # the grading of the stuck attempt is sent again, not the one submitted just now
    assert sent == [("quizzes.tasks.grade_attempt", (stuck.pk,))]


def test_a_quiz_of_a_course_one_is_not_enrolled_in_cannot_be_started(client):
    course = make_course_with(modules=1, lessons_per_module=0)
    quiz = make_quiz(ModulePage.objects.child_of(course).get(), questions=2)
    client.force_login(make_user())
    response = client.post(f"/quiz/{quiz.pk}/commencer/")
    assert response.status_code == 403 and not Attempt.objects.exists()


def test_the_status_endpoint_says_where_one_s_own_attempt_stands_from_its_row_alone(quiz_setup):
    # given a learner with an attempt in progress, and someone else
    client, learner, quiz = quiz_setup
    attempt = start(client, quiz)
    url = f"/quiz/tentatives/{attempt.pk}/statut/"
    assert client.get(url).json() == {"status": "in_progress"}
    # when they submit, then the endpoint says so, reading the session with its person
    # and the attempt's status, nothing else
    submit(client, attempt, right_answers(attempt))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.json() == {"status": "submitted"} and len(queries) == 2
    # and someone else learns nothing of it
    client.force_login(make_user())
    response = client.get(url)
    assert response.status_code == 404 and "status" not in response.json()


# --- Query budgets -----------------------------------------------------------------


def test_a_passed_attempt_stays_graded_when_its_step_cannot_be_completed(quiz_setup):
    # given a learner who passed, and whose enrolment was removed before the grading ran
    _client, learner, quiz = quiz_setup
    attempt = services.start_attempt(user=learner, quiz=quiz)
    services.submit_attempt(user=learner, attempt_id=attempt.pk, raw=right_answers(attempt))
    Enrollment.objects.filter(user=learner).delete()

    # when it is graded, the progress door refuses the step (not enrolled)...
    assert services.grade_submitted_attempt(attempt.pk)

    # ...and the grade is kept all the same: the refusal does not undo the grading
    attempt.refresh_from_db()
    assert (attempt.status, attempt.passed, attempt.grade_count) == (Attempt.Status.GRADED, True, 1)
    assert Answer.objects.filter(attempt=attempt, score__isnull=False).count() == len(attempt.question_order)
    assert not StepProgress.objects.filter(user=learner, status=StepProgress.Status.COMPLETED).exists()


# Warm: the session with its person and the content token (learners.sessions), the attempt
# and the questions' stamps (quizzes.selectors.load_questions). Submitting: the same reads,
# then one UPDATE and one INSERT (and the savepoint pair of the test's transaction). Grading: 3 reads and the learner, the course and the
# content token (its outline is kept per token: courses.publishing), 2 writes, the
# progress door (the enrolment locked with its step rows, the quiz's rule, the step row, the
# enrolment and module rollups; no savepoint of its own), the savepoints of the test's transaction, the item statistics' refresh marker (quizzes.statistics,
# one upsert) and, the course just completed, its certificate (a certificate a regrade
# revoked is looked for, to reinstate it, then a new one is inserted).
QUERY_BUDGETS = {"take": 3, "send": 7, "grade": 17, "result": 6}


def test_taking_submitting_and_grading_run_the_same_few_queries_at_10_and_50_questions(client, learner):
    from quizzes.selectors import forget_loaded_questions

    counts = {}
    for size in (10, 50):
        course = make_course_with(modules=1, lessons_per_module=0)
        quiz = make_quiz(ModulePage.objects.child_of(course).get(), questions=size)
        enrolled_client(client, learner, course)
        attempt = start(client, quiz)
        raw = right_answers(attempt)
        forget_loaded_questions()
        with CaptureQueriesContext(connection) as cold:  # questions read: 1 + types + relations
            client.get(f"/quiz/tentatives/{attempt.pk}/")
        with CaptureQueriesContext(connection) as take:
            client.get(f"/quiz/tentatives/{attempt.pk}/")
        with CaptureQueriesContext(connection) as send:
            assert submit(client, attempt, raw).status_code == 302
        with CaptureQueriesContext(connection) as grade:
            assert services.grade_submitted_attempt(attempt.pk)
        counts[size] = {"cold": len(cold), "take": len(take), "send": len(send), "grade": len(grade)}
        client.get(f"/quiz/tentatives/{attempt.pk}/resultat/")  # the quiz's address, once per token
        with CaptureQueriesContext(connection) as result:
            client.get(f"/quiz/tentatives/{attempt.pk}/resultat/")
        counts[size]["result"] = len(result)
        assert Attempt.objects.get(pk=attempt.pk).percent == 100
    cold = {size: counts[size].pop("cold") for size in counts}
    assert counts[10] == counts[50], counts
    assert counts[50] == QUERY_BUDGETS, counts
    # read afresh: the warm page, then 1 query per type and 1 per relation (the options
    # each type prefetches), plus the content types the first time, plus 3 for the course's
    # pages and 2 for the quiz's, read once per content token (courses.publishing)
    types = Question.types()
    relations = sum(len(model.prefetch) for model in types)
    assert all(count <= QUERY_BUDGETS["take"] + len(types) + relations + 1 + 3 + 2 for count in cold.values()), cold


def test_a_question_whose_option_changed_is_graded_as_it_now_is_by_a_process_that_read_it_before(quiz_setup):
    """Questions are reused per process while their updated_at holds: an option changed
    on its own touches its question, so no process grades against an old copy."""
    from quizzes.models import SingleChoiceQuestion
    from quizzes.selectors import load_questions

    client, learner, quiz = quiz_setup
    question = SingleChoiceQuestion.objects.filter(pk__in=quiz.question_ids()).first()
    load_questions([question.pk])  # this process now holds a copy
    right, wrong = list(question.choices.all())[:2]
    right.is_correct, wrong.is_correct = False, True
    right.save()
    wrong.save()

    loaded = load_questions([question.pk])[0]
    assert loaded.grade(wrong.pk).score == loaded.max_score
    assert loaded.grade(right.pk).score == 0


def test_a_question_kept_as_html_shows_its_last_edit_and_what_each_learner_typed(quiz_setup):
    """The attempt page keeps each question's HTML per version and what the item holds
    (quizzes.selectors.with_html): an edit shows on the next request, a draft shows
    only to its learner."""
    from quizzes.models import SingleChoiceQuestion

    client, learner, quiz = quiz_setup
    attempt = start(client, quiz)
    question = SingleChoiceQuestion.objects.filter(pk__in=quiz.question_ids()).first()
    option = question.choices.first()
    url = f"/quiz/tentatives/{attempt.pk}/"
    assert option.text in client.get(url).content.decode()

    # an option edited on its own (it touches its question)
    option.text = "Signaler le message et garder une capture"
    option.save()
    assert "Signaler le message et garder une capture" in client.get(url).content.decode()

    # a draft: checked for its learner, not for another who is asked the same
    chosen = f'id="q-{question.pk}-{option.pk}" name="q-{question.pk}" value="{option.pk}" checked'
    client.post(url, {f"q-{question.pk}": str(option.pk), "action": "save"})
    assert chosen in client.get(url).content.decode()
    other = client.__class__()
    enrolled_client(other, make_user(), quiz.get_parent().get_parent().specific)
    theirs = start(other, quiz)
    Attempt.objects.filter(pk=theirs.pk).update(choice_order=attempt.choice_order, question_order=attempt.question_order)
    page = other.get(f"/quiz/tentatives/{theirs.pk}/").content.decode()
    assert f'value="{option.pk}"' in page and " checked" not in page


# --- Random payloads ---------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4),
    max_leaves=8,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=st.dictionaries(st.text(max_size=12), st.one_of(st.text(max_size=40), st.lists(st.text(max_size=10), max_size=3)), max_size=8),
       use_real_keys=st.booleans())
def test_random_payloads_never_500_and_never_leave_partial_rows(quiz_setup, payload, use_real_keys):
    client, learner, quiz = quiz_setup
    attempt = Attempt.objects.filter(status=Attempt.Status.IN_PROGRESS).first() or start(client, quiz)
    if use_real_keys:
        keys = [f"q-{pk}" for pk in attempt.question_order]
        payload = {keys[i % len(keys)]: value for i, value in enumerate(payload.values())}

    response = client.post(f"/quiz/tentatives/{attempt.pk}/", payload)

    assert response.status_code < 500
    attempt.refresh_from_db()
    stored = Answer.objects.filter(attempt=attempt).count()
    if attempt.status == Attempt.Status.IN_PROGRESS:
        assert stored == 0
    else:
        assert stored == len(attempt.question_order)
        Answer.objects.filter(attempt=attempt).delete()
        Attempt.objects.filter(pk=attempt.pk).update(status=Attempt.Status.IN_PROGRESS, submitted_at=None)
