"""Essay questions and their review: a learner writes, grading leaves the essay to a
person, a trainer reviews it in the admin queue, a task finalises the attempt."""

import re
import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.html import escape

from config import queueing
from courses.models import ModulePage
from learners import notices, progress
from learners.models import Certificate, Enrollment, Membership, Notice, Organisation, StepProgress
from learners.roles import TRAINERS_GROUP
from quizzes import grading, regrading, reviews, services
from quizzes.models import Answer, Attempt, EssayQuestion, TrueFalseQuestion
from tests.conftest import WorkerProcess
from tests.factories import as_form, make_admin_user, make_course_with, make_quiz, make_user, right_answers
from tests.utils import mails_in, wait_for

Status = Attempt.Status
QUEUE = "/admin/relectures/"


def essay(**fields):
    fields.setdefault("prompt", "Répondez à ce client mécontent.")
    fields.setdefault("points", 4)
    return EssayQuestion(**fields)


# --- The type: cleaning and grading, no database ---------------------------------------------


@pytest.mark.parametrize("raw, expected", [
    (None, None),
    ("", None),
    ("   \n\t ", None),
    ("Bonjour", "Bonjour"),
    ("  Bonjour   madame,\r\n\r\n\r\n\r\nNous   sommes désolés.  \n", "Bonjour madame,\n\nNous sommes désolés."),
    ("Ligne un\nLigne deux", "Ligne un\nLigne deux"),
    ("Texte\u200b avec\x07 contrôle", "Texte avec contrôle"),
    ("<script>alert(1)</script> & co", "<script>alert(1)</script> & co"),  # kept as text, escaped when shown
])
def test_an_essay_keeps_the_learners_lines_as_plain_text(raw, expected):
    assert essay().clean_response(raw) == expected


@pytest.mark.parametrize("raw", [42, ["un", "deux"], {"a": "b"}, True])
def test_an_essay_refuses_what_is_not_text(raw):
    with pytest.raises(ValidationError) as error:
        essay().clean_response(raw)
    assert error.value.messages == ["Saisissez votre réponse sous forme de texte."]


def test_an_essay_refuses_a_text_over_its_word_limit_and_says_how_many_words_it_has():
    question = essay(word_limit=5)

    assert question.clean_response("un deux trois quatre cinq") == "un deux trois quatre cinq"
    with pytest.raises(ValidationError) as error:
        question.clean_response("un deux trois\nquatre cinq six sept")
    assert error.value.messages == ["Votre texte compte 7 mots : 5 mots au plus, raccourcissez-le."]


def test_an_essay_refuses_a_text_over_the_character_cap_even_without_a_word_limit():
    long_text = "a" * (grading.MAX_ESSAY_CHARACTERS + 1)

    with pytest.raises(ValidationError) as error:
        essay().clean_response(long_text)
    assert error.value.messages == ["Votre texte est trop long : 10000 caractères au plus."]
    with pytest.raises(ValidationError):  # short once folded, but refused before any work
        essay().clean_response(("a" + "\n" * 9) * (grading.MAX_ESSAY_CHARACTERS // 5 + 1))
    assert essay().clean_response("a" * grading.MAX_ESSAY_CHARACTERS) == "a" * grading.MAX_ESSAY_CHARACTERS


def test_an_answered_essay_has_no_score_until_reviewed_and_an_unanswered_one_scores_zero():
    question = essay()

    answered = question.grade("Mon texte.")
    unanswered = question.grade(None)

    assert (answered.score, answered.max_score, answered.needs_review) == (None, Decimal(4), True)
    assert (unanswered.score, unanswered.max_score, unanswered.needs_review) == (0, Decimal(4), False)
    assert question.random_guess_fraction() is None and not question.has_distractors
    assert question.picked_options("Mon texte.") is None and not question.asks_certainty


@pytest.mark.parametrize("text, words", [("", 0), ("l'équipe réagit", 2), ("réseau - social\n\nun", 4)])
def test_words_are_what_white_space_separates(text, words):
    assert grading.count_words(text) == words


def test_under_certainty_based_marking_an_essay_weighs_as_without_it():
    # a right answer at "high" (2 of 2 points) and an essay scored 2 of 4
    result = grading.attempt_result(
        [grading.Grade(Decimal(2), Decimal(2)), grading.Grade(Decimal(2), Decimal(4))],
        pass_mark=50, certainties=[grading.Certainty.HIGH, grading.NOT_ASKED],
    )
    # 6 + 3 × 2 out of 3 × 6
    assert (result.score, result.max_score, result.percent) == (Decimal(12), Decimal(18), 66)


# --- Grading and reviewing (services) -----------------------------------------------------------


@pytest.fixture
def essay_quiz(db):
    """A published quiz of a true-or-false question and an essay (2 points each, pass
    mark 70 %), and a learner enrolled in its course."""
    course = make_course_with(modules=1, lessons_per_module=0, title="Communication de crise")
    quiz = make_quiz(ModulePage.objects.child_of(course).get(), questions=2, kinds=["true_false", "essay"],
                     title="Quiz rédigé", shuffle_questions=False)
    learner = make_user(first_name="Inès")
    progress.enroll(user=learner, course=course)
    return quiz, learner, course


def trainer(first_name="Théo"):
    person = make_user(first_name=first_name)
    person.groups.add(Group.objects.get(name=TRAINERS_GROUP))
    return person


def submitted(quiz, learner, essay_text="Je vérifie la source.\nPuis je réponds.", right=True):
    attempt = services.start_attempt(user=learner, quiz=quiz)
    raw = right_answers(attempt)
    essay_answer = next(pk for pk in attempt.question_order if EssayQuestion.objects.filter(pk=pk).exists())
    raw[str(essay_answer)] = essay_text
    if not right:
        raw = {key: ("faux" if value == "vrai" else value) for key, value in raw.items()}
    services.submit_attempt(user=learner, attempt_id=attempt.pk, raw=raw)
    return attempt


def essay_answer_of(attempt):
    return Answer.objects.get(attempt=attempt, question__in=EssayQuestion.objects.all())


@pytest.fixture
def sent_tasks(monkeypatch):
    """The tasks sent to the broker (by name and arguments), none really sent."""
    sent = []
    monkeypatch.setattr(queueing, "send_task", lambda task, *args, **options: sent.append((task.name, args)) or True)
    return sent


def test_an_attempt_with_an_answered_essay_is_graded_but_for_it_and_waits_for_review(essay_quiz):
    quiz, learner, _course = essay_quiz
    attempt = submitted(quiz, learner)

    assert services.grade_submitted_attempt(attempt.pk)

    attempt.refresh_from_db()
    assert (attempt.status, attempt.score, attempt.percent, attempt.passed, attempt.grade_count) == (
        Status.NEEDS_REVIEW, None, None, None, 1)
    scores = {answer.question.get_real_instance_class(): answer.score for answer in attempt.answers.all()}
    assert scores == {EssayQuestion: None, type(quiz.quiz_questions.first().question.get_real_instance()): Decimal(2)}
    assert not StepProgress.objects.filter(user=learner, step=quiz).exists()
    # grading again changes nothing
    assert not services.grade_submitted_attempt(attempt.pk)
    assert Attempt.objects.get(pk=attempt.pk).grade_count == 1


def test_an_unanswered_essay_scores_zero_and_needs_no_review(essay_quiz):
    quiz, learner, _course = essay_quiz
    attempt = submitted(quiz, learner, essay_text="   ")

    services.grade_submitted_attempt(attempt.pk)

    attempt.refresh_from_db()
    assert (attempt.status, attempt.score, attempt.max_score, attempt.percent) == (Status.GRADED, 2, 4, 50)
    assert essay_answer_of(attempt).score == 0


def test_the_result_page_and_status_say_awaiting_review_and_stop_waiting(essay_quiz, client):
    quiz, learner, _course = essay_quiz
    attempt = submitted(quiz, learner)
    services.grade_submitted_attempt(attempt.pk)
    client.force_login(learner)

    status = client.get(f"/quiz/tentatives/{attempt.pk}/statut/").json()
    page = client.get(f"/quiz/tentatives/{attempt.pk}/resultat/").content.decode()

    assert status == {"status": "needs_review"}
    assert "<h2 id=\"score-title\">En attente de relecture</h2>" in page
    assert "data-status-url" not in page  # settled: the page does not poll
    assert "Correction en cours" not in page


def test_reviewing_the_last_essay_queues_the_finalisation_which_completes_the_step_and_tells_the_learner(
    essay_quiz, sent_tasks, django_capture_on_commit_callbacks
):
    quiz, learner, course = essay_quiz
    learner.preferred_language = "en"
    learner.save()
    attempt = submitted(quiz, learner)
    services.grade_submitted_attempt(attempt.pk)
    answer = essay_answer_of(attempt)

    # when a trainer scores the essay 0.5 of 2 and comments it
    with django_capture_on_commit_callbacks(execute=True):
        reviews.review_answer(reviewer=trainer(), answer_id=answer.pk, score=Decimal("0.5"),
                              comment="Bien.\nCitez la source.")

    # then the finalisation is queued, once, after the commit
    assert sent_tasks == [("quizzes.tasks.finalise_reviewed_attempt", (attempt.pk,))]
    answer.refresh_from_db()
    assert (answer.score, answer.review_comment, answer.reviewed_at is not None) == (
        Decimal("0.5"), "Bien.\nCitez la source.", True)

    # when the task runs
    with django_capture_on_commit_callbacks(execute=True):
        assert reviews.finalise_reviewed_attempt(attempt.pk)

    # then the attempt is graded (2 + 0.5 of 2 + 2 = 62 %: not passed at 70 %)...
    attempt.refresh_from_db()
    assert (attempt.status, attempt.score, attempt.max_score, attempt.percent, attempt.passed) == (
        Status.GRADED, Decimal("2.5"), 4, 62, False)
    # ...the learner has a notice and a mail, in their language
    notice = Notice.objects.get(user=learner)
    assert (notice.about_id, notice.percent, notice.seen_at) == (attempt.pk, 62, None)
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [learner.email]
    assert mail.outbox[0].subject == "Your quiz “Quiz rédigé” has been marked: 62%"
    assert f"/quiz/tentatives/{attempt.pk}/resultat/" in mail.outbox[0].body
    # ...and running the task again changes nothing
    with django_capture_on_commit_callbacks(execute=True):
        assert not reviews.finalise_reviewed_attempt(attempt.pk)
    assert len(mail.outbox) == 1 and Notice.objects.count() == 1


def test_a_passed_reviewed_attempt_completes_the_step_through_the_progress_door(essay_quiz, sent_tasks):
    quiz, learner, course = essay_quiz
    attempt = submitted(quiz, learner)
    services.grade_submitted_attempt(attempt.pk)

    reviews.review_answer(reviewer=trainer(), answer_id=essay_answer_of(attempt).pk, score=Decimal("2"))
    reviews.finalise_reviewed_attempt(attempt.pk)

    assert Attempt.objects.get(pk=attempt.pk).passed is True
    step = StepProgress.objects.get(user=learner, step=quiz)
    assert (step.status, step.score) == (StepProgress.Status.COMPLETED, 100)
    enrollment = Enrollment.objects.get(user=learner, course=course)
    assert enrollment.completed_at is not None  # the quiz was the course's only step
    assert Certificate.objects.filter(user=learner, course=course).exists()


def test_item_statistics_count_an_essay_once_reviewed_and_ignore_attempts_awaiting_review(essay_quiz, sent_tasks):
    from quizzes import statistics

    quiz, learner, course = essay_quiz
    reviewed = submitted(quiz, learner)
    services.grade_submitted_attempt(reviewed.pk)
    reviews.review_answer(reviewer=trainer(), answer_id=essay_answer_of(reviewed).pk, score=Decimal(1))
    reviews.finalise_reviewed_attempt(reviewed.pk)
    other = make_user()
    progress.enroll(user=other, course=course)
    waiting = submitted(quiz, other)
    services.grade_submitted_attempt(waiting.pk)

    stored = statistics.compute_statistics(quiz.pk)

    assert stored.attempts == 1  # the attempt awaiting review is not counted yet
    essay_id = EssayQuestion.objects.get().pk
    item = next(row for row in stored.report["questions"] if row["question"] == essay_id)
    assert Decimal(str(item["facility_index"])) == 50  # 1 of 2 points


def test_a_regrade_keeps_the_reviewers_scores_and_an_essay_is_never_regraded(essay_quiz, sent_tasks):
    quiz, learner, _course = essay_quiz
    attempt = submitted(quiz, learner)
    services.grade_submitted_attempt(attempt.pk)
    reviews.review_answer(reviewer=trainer(), answer_id=essay_answer_of(attempt).pk, score=Decimal("1.5"), comment="")
    assert reviews.finalise_reviewed_attempt(attempt.pk)

    # an essay has no key to apply again: nothing is offered, a regrade is refused
    essay = EssayQuestion.objects.get(pk__in=quiz.question_ids())
    assert regrading.regrade_offer(essay) == 0
    with pytest.raises(regrading.GradedByAPerson):
        regrading.start_regrade(question=essay, user=trainer("Lina"))

    # the true-or-false's key flipped: its answer is regraded, the reviewed essay keeps its score
    statement = TrueFalseQuestion.objects.get(pk__in=quiz.question_ids())
    statement.answer = not statement.answer
    statement.save()
    regrade = regrading.start_regrade(question=statement, user=trainer("Lina"))
    regrading.regrade_attempts(regrade.pk, regrading.remaining_attempt_ids(regrade))

    attempt.refresh_from_db()
    assert essay_answer_of(attempt).score == Decimal("1.5")
    assert (attempt.status, attempt.score, attempt.max_score, attempt.percent) == (
        Attempt.Status.GRADED, Decimal("1.5"), 4, 37)


def test_the_finalisation_waits_while_an_essay_is_still_to_review(essay_quiz):
    quiz, learner, _course = essay_quiz
    attempt = submitted(quiz, learner)
    services.grade_submitted_attempt(attempt.pk)

    assert not reviews.finalise_reviewed_attempt(attempt.pk)
    assert Attempt.objects.get(pk=attempt.pk).status == Status.NEEDS_REVIEW


def test_a_second_review_of_the_same_answer_is_refused_and_writes_nothing(essay_quiz, sent_tasks):
    quiz, learner, _course = essay_quiz
    attempt = submitted(quiz, learner)
    services.grade_submitted_attempt(attempt.pk)
    answer = essay_answer_of(attempt)
    first, second = trainer("Alix"), trainer("Bruno")

    reviews.review_answer(reviewer=first, answer_id=answer.pk, score=Decimal("1"), comment="Trop court.")
    with pytest.raises(reviews.AlreadyReviewed) as refusal:
        reviews.review_answer(reviewer=second, answer_id=answer.pk, score=Decimal("2"), comment="Parfait.")

    assert "Alix Nom" in str(refusal.value.message) and "n'a pas été enregistrée" in str(refusal.value.message)
    answer.refresh_from_db()
    assert (answer.score, answer.reviewed_by, answer.review_comment) == (1, first, "Trop court.")


@pytest.mark.parametrize("score", [Decimal("-1"), Decimal("2.01"), Decimal("1.005"), None])
def test_a_review_score_outside_the_points_is_refused(essay_quiz, score):
    quiz, learner, _course = essay_quiz
    attempt = submitted(quiz, learner)
    services.grade_submitted_attempt(attempt.pk)

    with pytest.raises(reviews.InvalidScore):
        reviews.review_answer(reviewer=trainer(), answer_id=essay_answer_of(attempt).pk, score=score)
    assert essay_answer_of(attempt).reviewed_at is None


def test_only_reviewers_may_review_and_only_answered_essays(essay_quiz):
    quiz, learner, _course = essay_quiz
    attempt = submitted(quiz, learner)
    services.grade_submitted_attempt(attempt.pk)
    other = Answer.objects.filter(attempt=attempt).exclude(pk=essay_answer_of(attempt).pk).get()

    with pytest.raises(reviews.NotAReviewer):
        reviews.review_answer(reviewer=learner, answer_id=essay_answer_of(attempt).pk, score=Decimal(1))
    with pytest.raises(reviews.NoSuchReview):
        reviews.review_answer(reviewer=trainer(), answer_id=other.pk, score=Decimal(1))
    with pytest.raises(reviews.NoSuchReview):
        reviews.review_answer(reviewer=trainer(), answer_id=2**63 - 1, score=Decimal(1))


def test_the_sweep_queues_again_a_reviewed_attempt_whose_finalisation_was_lost(essay_quiz, sent_tasks, settings):
    settings.QUIZ_REGRADE_AFTER = timedelta(seconds=0)
    quiz, learner, _course = essay_quiz
    waiting = submitted(quiz, learner)
    services.grade_submitted_attempt(waiting.pk)
    assert reviews.requeue_reviewed_attempts() == 0  # still to review: nothing to finalise
    reviews.review_answer(reviewer=trainer(), answer_id=essay_answer_of(waiting).pk, score=Decimal(2))

    assert reviews.requeue_reviewed_attempts() == 1
    assert sent_tasks == [("quizzes.tasks.finalise_reviewed_attempt", (waiting.pk,))]


def test_a_certainty_quiz_asks_no_certainty_of_an_essay(db):
    course = make_course_with(modules=1, lessons_per_module=0)
    quiz = make_quiz(ModulePage.objects.child_of(course).get(), questions=2, kinds=["true_false", "essay"],
                     certainty_based_marking=True, shuffle_questions=False)
    learner = make_user()
    progress.enroll(user=learner, course=course)
    attempt = services.start_attempt(user=learner, quiz=quiz)
    true_false, essay_id = attempt.question_order
    form = as_form({str(true_false): "vrai", str(essay_id): "Mon texte."}) | {f"c-{true_false}": "3"}

    services.submit_attempt(user=learner, attempt_id=attempt.pk, form=form)
    with pytest.raises(services.ForeignCertainty):  # a certainty on the essay is forged
        services.raw_responses_in(attempt_questions(attempt), {f"c-{essay_id}": "3"}, True)

    services.grade_submitted_attempt(attempt.pk)
    reviews.review_answer(reviewer=trainer(), answer_id=essay_answer_of(attempt).pk, score=Decimal(1))
    reviews.finalise_reviewed_attempt(attempt.pk)
    attempt.refresh_from_db()
    # 3 × 2 for the sure right answer, 3 × 1 for the essay, out of 3 × 4
    assert (attempt.score, attempt.max_score, attempt.percent) == (9, 12, 75)
    assert essay_answer_of(attempt).certainty is None and essay_answer_of(attempt).cbm_score == 3


def attempt_questions(attempt):
    from quizzes.selectors import load_questions

    return load_questions(attempt.question_order)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_reviewers_saving_at_once_one_wins(essay_quiz, sent_tasks):
    """Two threads, two connections, two transactions: on PostgreSQL they really overlap
    (the attempt row lock orders them); on SQLite the database takes them in turn."""
    quiz, learner, _course = essay_quiz
    attempt = submitted(quiz, learner)
    services.grade_submitted_attempt(attempt.pk)
    answer_id = essay_answer_of(attempt).pk
    people = [trainer("Alix"), trainer("Bruno")]
    start, outcomes = threading.Barrier(2), []

    def review(person, score):
        try:
            start.wait()
            reviews.review_answer(reviewer=person, answer_id=answer_id, score=Decimal(score))
            outcomes.append("saved")
        except reviews.AlreadyReviewed:
            outcomes.append("refused")
        except Exception as error:  # noqa: BLE001 - a lock error on SQLite is a refusal too, reported
            outcomes.append(type(error).__name__)
        finally:
            connection.close()

    threads = [threading.Thread(target=review, args=(person, score)) for person, score in zip(people, ("1", "2"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert sorted(outcomes) == ["refused", "saved"], outcomes
    answer = Answer.objects.get(pk=answer_id)
    assert answer.score == (1 if answer.reviewed_by == people[0] else 2)
    assert [args for name, args in sent_tasks if name == "quizzes.tasks.finalise_reviewed_attempt"] == [(attempt.pk,)]


# --- The admin queue and review screen ----------------------------------------------------------


def awaiting(quiz, learners):
    attempts = []
    for learner in learners:
        progress.enroll(user=learner, course=quiz.get_parent().get_parent().specific)
        attempt = submitted(quiz, learner)
        services.grade_submitted_attempt(attempt.pk)
        attempts.append(attempt)
    return attempts


def test_the_queue_lists_answers_awaiting_review_oldest_first_filtered_by_course(essay_quiz, trainer_client):
    quiz, learner, course = essay_quiz
    other_course = make_course_with(modules=1, lessons_per_module=0, title="Autre formation")
    other_quiz = make_quiz(ModulePage.objects.child_of(other_course).get(), questions=1, kinds=["essay"],
                           title="Quiz autre")
    first = awaiting(quiz, [learner])[0]
    second = awaiting(other_quiz, [make_user(first_name="Zoé")])[0]
    third = awaiting(quiz, [make_user(first_name="Yann")])[0]
    Attempt.objects.filter(pk=third.pk).update(submitted_at=timezone.now() - timedelta(days=400))

    page = trainer_client.get(QUEUE).content.decode()
    filtered = trainer_client.get(f"{QUEUE}?course={course.pk}").content.decode()

    rows = [essay_answer_of(attempt).pk for attempt in (third, first, second)]
    links = [f'href="/admin/relectures/{pk}/"' for pk in rows]
    assert "3 réponses attendent une relecture." in page
    assert page.index(links[0]) < page.index(links[1]) < page.index(links[2])
    assert links[0] in filtered and links[1] in filtered and links[2] not in filtered
    assert "2 réponses attendent une relecture." in filtered
    # the menu tells how many wait
    assert "Relectures (3 en attente)" in page
    # a filter that is no course lists everything, with a word
    for hostile in ("999999999999999999999999", "١٢", "abc"):
        response = trainer_client.get(f"{QUEUE}?course={hostile}")
        assert response.status_code == 200, hostile
        assert "Cette formation n'existe pas" in response.content.decode(), hostile


def test_the_queue_reads_as_many_queries_for_2_answers_as_for_20(essay_quiz, trainer_client):
    quiz, learner, _course = essay_quiz
    awaiting(quiz, [make_user() for _ in range(2)])
    trainer_client.get(QUEUE)
    with CaptureQueriesContext(connection) as few:
        assert trainer_client.get(QUEUE).status_code == 200
    awaiting(quiz, [make_user() for _ in range(18)])
    with CaptureQueriesContext(connection) as many:
        assert trainer_client.get(QUEUE).status_code == 200
    assert len(few) == len(many) <= 12, [query["sql"] for query in many.captured_queries]


def test_the_review_screen_shows_prompt_rubric_limit_and_the_escaped_text(essay_quiz, trainer_client):
    quiz, learner, _course = essay_quiz
    EssayQuestion.objects.update(rubric="Source citée : 2 points.", word_limit=150)
    from quizzes.selectors import forget_loaded_questions

    forget_loaded_questions()
    attempt = submitted(quiz, learner, essay_text="<b>Gras</b> & <script>alert(1)</script>\nLigne deux")
    services.grade_submitted_attempt(attempt.pk)
    answer = essay_answer_of(attempt)

    trainer_client.get(f"{QUEUE}{answer.pk}/")
    with CaptureQueriesContext(connection) as queries:
        page = trainer_client.get(f"{QUEUE}{answer.pk}/").content.decode()

    # the admin's own (session, permissions, profile, locale, page and collection
    # permissions, explorer root), the answer, its question's stamp, the menu's count
    assert len(queries) <= 11, "\n".join(query["sql"][:150] for query in queries.captured_queries)
    assert escape(answer.question.prompt) in page and "Source citée : 2 points." in page
    assert "<dd>150</dd>" in page
    assert "&lt;b&gt;Gras&lt;/b&gt; &amp; &lt;script&gt;alert(1)&lt;/script&gt;<br>Ligne deux" in page
    assert "<script>alert(1)" not in page
    assert '<label for="id_score"' in page and '<label for="id_comment"' in page
    # the header says where the reviewer is: Relectures › Relire une réponse
    assert re.search(r'<a[^>]*href="/admin/relectures/"[^>]*>\s*Relectures', page) and "Relire une réponse" in page
    assert "Note (de 0 à 2 points)" in page


def test_a_trainer_reviews_with_a_comma_and_goes_back_to_the_queue(essay_quiz, trainer_client, sent_tasks):
    quiz, learner, _course = essay_quiz
    attempt = awaiting(quiz, [learner])[0]
    answer = essay_answer_of(attempt)

    response = trainer_client.post(f"{QUEUE}{answer.pk}/", {"score": "1,5", "comment": "Presque."})

    assert response.status_code == 302 and response.url == QUEUE
    answer.refresh_from_db()
    assert (answer.score, answer.review_comment) == (Decimal("1.5"), "Presque.")
    assert trainer_client.get(QUEUE).content.decode().count(f"/admin/relectures/{answer.pk}/") == 0


@pytest.mark.parametrize("score, message", [
    ("١", "n&#x27;est pas un nombre"),  # non-ASCII digits
    ("2,5", "La note doit être comprise entre 0 et 2."),
    ("-1", "La note doit être comprise entre 0 et 2."),
    ("1,333", "au centième près"),
    ("", "Donnez une note."),
    ("beaucoup", "n&#x27;est pas un nombre"),
])
def test_a_wrong_score_is_refused_clearly_and_the_input_is_kept(essay_quiz, trainer_client, score, message):
    quiz, learner, _course = essay_quiz
    answer = essay_answer_of(awaiting(quiz, [learner])[0])

    response = trainer_client.post(f"{QUEUE}{answer.pk}/", {"score": score, "comment": "Mon commentaire"})

    page = response.content.decode()
    assert response.status_code == 400 and message in page and "Mon commentaire" in page
    assert Answer.objects.get(pk=answer.pk).reviewed_at is None


def test_the_second_trainer_to_save_is_told_and_sees_what_they_typed(essay_quiz, client, sent_tasks):
    quiz, learner, _course = essay_quiz
    answer = essay_answer_of(awaiting(quiz, [learner])[0])
    alix, bruno = trainer("Alix"), trainer("Bruno")
    client.force_login(bruno)
    assert client.get(f"{QUEUE}{answer.pk}/").status_code == 200  # both opened it
    reviews.review_answer(reviewer=alix, answer_id=answer.pk, score=Decimal(2), comment="Très bien.")

    response = client.post(f"{QUEUE}{answer.pk}/", {"score": "0,5", "comment": "À revoir entièrement."})

    page = response.content.decode()
    assert response.status_code == 409
    assert "Alix Nom" in page and "n&#x27;a pas été enregistrée" in page
    assert "À revoir entièrement." in page and 'value="0,5"' in page
    assert "Très bien." in page  # the review that was saved
    assert Answer.objects.get(pk=answer.pk).review_comment == "Très bien."


def manager_of_a_team(learner):
    organisation = Organisation.objects.create(name="Asso", slug="asso-relectures")
    manager = make_user(first_name="Dora")
    Membership.objects.create(user=manager, organisation=organisation, role=Membership.Role.MANAGER)
    Membership.objects.create(user=learner, organisation=organisation)
    return manager


def test_learners_managers_anonymous_and_trainers_without_the_permission_are_refused(essay_quiz, client):
    quiz, learner, _course = essay_quiz
    answer = essay_answer_of(awaiting(quiz, [learner])[0])
    urls = [QUEUE, f"{QUEUE}{answer.pk}/"]

    for url in urls:  # anonymous: to the admin login
        assert "/admin/login/" in client.get(url).url
    for person in (learner, manager_of_a_team(learner)):
        client.force_login(person)
        for url in urls:
            assert client.get(url).status_code == 302  # no admin access at all
        assert client.post(urls[1], {"score": "2"}).status_code == 302
    # an admin user outside the trainers' group, without the review permission: Wagtail's
    # refusal (back to the admin's home, with its message)
    client.force_login(make_admin_user())
    for url in urls:
        response = client.get(url)
        assert (response.status_code, response.url) == (302, "/admin/")
    assert client.post(urls[1], {"score": "2"}).url == "/admin/"
    assert "Relectures" not in client.get("/admin/").content.decode()
    assert Answer.objects.get(pk=answer.pk).reviewed_at is None


def test_trainers_hold_the_review_permission_and_a_superuser_may_review(essay_quiz, client):
    quiz, learner, _course = essay_quiz
    answer = essay_answer_of(awaiting(quiz, [learner])[0])
    assert Group.objects.get(name=TRAINERS_GROUP).permissions.filter(codename="review_answer").exists()
    admin = make_user(is_superuser=True, is_staff=True)
    client.force_login(admin)

    assert client.get(f"{QUEUE}{answer.pk}/").status_code == 200
    assert "Relectures (1 en attente)" in client.get("/admin/").content.decode()


def test_an_answer_id_past_64_bits_or_not_an_essay_is_a_404(essay_quiz, trainer_client):
    quiz, learner, _course = essay_quiz
    attempt = awaiting(quiz, [learner])[0]
    other = Answer.objects.filter(attempt=attempt).exclude(pk=essay_answer_of(attempt).pk).get()

    assert trainer_client.get(f"{QUEUE}99999999999999999999999/").status_code == 404
    assert trainer_client.get(f"{QUEUE}{other.pk}/").status_code == 404
    assert trainer_client.post(f"{QUEUE}{other.pk}/", {"score": "1"}).status_code == 404


# --- The learner's dashboard notice ----------------------------------------------------------------


def test_the_dashboard_shows_the_notice_until_the_learner_marks_it_seen(essay_quiz, client, sent_tasks):
    quiz, learner, _course = essay_quiz
    attempt = submitted(quiz, learner)
    services.grade_submitted_attempt(attempt.pk)
    reviews.review_answer(reviewer=trainer(), answer_id=essay_answer_of(attempt).pk, score=Decimal(1),
                          comment="Pensez à <citer> la source.")
    reviews.finalise_reviewed_attempt(attempt.pk)
    client.force_login(learner)

    page = client.get("/comptes/mon-espace/").content.decode()
    notice = Notice.objects.get(user=learner)
    assert "Votre quiz « Quiz rédigé » a été corrigé : 75 %" in page
    assert f"/quiz/tentatives/{attempt.pk}/resultat/" in page
    # the correction shows the learner's text and the reviewer's comment, escaped
    result = client.get(f"/quiz/tentatives/{attempt.pk}/resultat/").content.decode()
    assert "Je vérifie la source.<br>Puis je réponds." in result and "Pensez à &lt;citer&gt; la source." in result

    # someone else cannot mark it; a GET writes nothing
    intruder = make_user()
    client.force_login(intruder)
    assert client.post(f"/comptes/mon-espace/avis/{notice.pk}/vu/").status_code == 404
    client.force_login(learner)
    assert client.get(f"/comptes/mon-espace/avis/{notice.pk}/vu/").status_code == 405
    assert Notice.objects.get(pk=notice.pk).seen_at is None

    response = client.post(f"/comptes/mon-espace/avis/{notice.pk}/vu/")
    assert response.status_code == 302 and response.url == "/comptes/mon-espace/"
    assert "a été corrigé" not in client.get("/comptes/mon-espace/").content.decode()
    notices.mark_seen(user=learner, notice_id=notice.pk)  # again: a no-op
    # the person's row counted the notice while it waited, and counts none now
    learner.refresh_from_db()
    assert learner.unseen_notices == 0
    notices.post_quiz_reviewed(user=learner, attempt_id=attempt.pk, quiz_title="x", percent=1, url="/")  # again
    learner.refresh_from_db()
    assert learner.unseen_notices == 0 and Notice.objects.count() == 1


def test_a_learner_s_essay_and_its_review_are_in_their_data_and_blanked_when_they_leave(essay_quiz, sent_tasks):
    from learners import data_rights

    quiz, learner, _course = essay_quiz
    attempt = submitted(quiz, learner, essay_text="Mon texte personnel.")
    services.grade_submitted_attempt(attempt.pk)
    reviews.review_answer(reviewer=trainer(), answer_id=essay_answer_of(attempt).pk, score=Decimal(1),
                          comment="Votre exemple personnel est bien choisi.")

    exported = data_rights.personal_data(learner)["quiz_attempts"][0]["answers"]
    assert {"answer": "Mon texte personnel.", "review_comment": "Votre exemple personnel est bien choisi."}.items() <= \
        next(answer for answer in exported if answer["answer"] == "Mon texte personnel.").items()

    data_rights.delete_account(user=learner)

    answer = essay_answer_of(attempt)
    assert (answer.payload, answer.review_comment, answer.score) == ("", "", 1)


# --- On a real worker ----------------------------------------------------------------------------


@pytest.fixture
def worker_with_mail(tmp_path, monkeypatch, django_db_serialized_rollback, transactional_db):
    """A real worker writing its mails as files in a folder (config.settings.test)."""
    from config.celery import app

    folder = tmp_path / "mails"
    folder.mkdir()
    monkeypatch.setenv("EMAIL_FILE_PATH", str(folder))
    app.control.purge()
    worker = WorkerProcess(tmp_path / "worker.log").start()
    yield worker, folder
    worker.stop()


@pytest.mark.worker
def test_a_real_worker_grades_waits_for_review_then_finalises_completing_the_course(worker_with_mail):
    worker, folder = worker_with_mail
    course = make_course_with(modules=1, lessons_per_module=0)
    quiz = make_quiz(ModulePage.objects.child_of(course).get(), questions=2, kinds=["true_false", "essay"],
                     title="Quiz rédigé")
    learner = make_user()
    progress.enroll(user=learner, course=course)

    # given an attempt graded by the worker, waiting for review
    attempt = submitted(quiz, learner)
    wait_for(lambda: Attempt.objects.get(pk=attempt.pk).status == Status.NEEDS_REVIEW, timeout=60,
             message="the worker to grade all but the essay")

    # when a trainer reviews the essay (the finalisation is queued on commit)
    reviews.review_answer(reviewer=trainer(), answer_id=essay_answer_of(attempt).pk, score=Decimal("1.5"))

    # then the worker finalises it: graded, step and course completed, certificate, mail
    wait_for(lambda: Attempt.objects.get(pk=attempt.pk).status == Status.GRADED, timeout=60,
             message="the worker to finalise the reviewed attempt", )
    attempt.refresh_from_db()
    assert (attempt.score, attempt.percent, attempt.passed) == (Decimal("3.5"), 87, True)
    assert Enrollment.objects.get(user=learner, course=course).completed_at is not None
    assert Certificate.objects.filter(user=learner, course=course).exists()
    assert Notice.objects.filter(user=learner, about_id=attempt.pk).exists()
    wait_for(lambda: mails_in(folder) >= 1, timeout=20, message="the mail to be written")
    mails = "".join(path.read_text() for path in folder.iterdir())
    assert mails_in(folder) == 1 and learner.email in mails


# --- In a browser ---------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_learner_writes_an_essay_with_a_live_word_count_on_accessible_pages(browser_page, sent_tasks):
    from tests.accessibility import Audit
    from tests.test_browser import log_in

    page = browser_page
    course = make_course_with(modules=1, lessons_per_module=0)
    quiz = make_quiz(ModulePage.objects.child_of(course).get(), questions=1, kinds=["essay"], title="Quiz rédigé")
    EssayQuestion.objects.update(word_limit=5)
    learner = make_user(email="ines@example.org")
    progress.enroll(user=learner, course=course)
    attempt = services.start_attempt(user=learner, quiz=quiz)
    essay_id = attempt.question_order[0]
    audit = Audit(page)
    log_in(page, "ines@example.org")

    # the count follows the text, and says when it is too long
    audit(f"/quiz/tentatives/{attempt.pk}/")
    field = page.get_by_label("Votre réponse rédigée")
    field.fill("un deux trois")
    counter = page.locator(f"#words-{essay_id}")
    assert counter.inner_text().startswith("3 mots sur 5")
    field.fill("un deux trois quatre cinq six sept")
    assert "7 mots sur 5" in counter.inner_text() and "Trop long" in counter.inner_text()
    assert f"words-{essay_id}" in field.get_attribute("aria-describedby")

    # sent too long: refused with the count, the text kept
    page.get_by_role("button", name="Envoyer mes réponses").click()
    assert "Votre texte compte 7 mots : 5 mots au plus" in page.content()
    assert field.input_value() == "un deux trois quatre cinq six sept"

    # sent within the limit, graded: the result says it awaits review
    field.fill("Je vérifie la source.")
    page.get_by_role("button", name="Envoyer mes réponses").click()
    page.wait_for_url(f"**/tentatives/{attempt.pk}/resultat/")
    services.grade_submitted_attempt(attempt.pk)
    audit(f"/quiz/tentatives/{attempt.pk}/resultat/")
    assert page.get_by_role("heading", name="En attente de relecture").is_visible()

    # reviewed and finalised: the dashboard's notice
    reviews.review_answer(reviewer=trainer(), answer_id=essay_answer_of(attempt).pk, score=Decimal(2))
    reviews.finalise_reviewed_attempt(attempt.pk)
    audit("/comptes/mon-espace/")
    assert "Votre quiz « Quiz rédigé » a été corrigé : 100 %" in page.content()
    assert audit.problems == {}
