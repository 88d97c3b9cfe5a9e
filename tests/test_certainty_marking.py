"""Certainty-based marking (QuizPage.certainty_based_marking): the scoring table, the
learner's calibration, the attempt form (certainty asked, autosaved, required, forged
values refused), grading through a real worker, and the managers' share of confident
wrong answers per team and module, hidden under 5 people."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from courses.models import ModulePage
from learners import progress
from learners.models import Organisation
from quizzes import services
from quizzes.grading import (
    Certainty, Grade, attempt_result, calibration, cbm_score, parse_certainty,
)
from quizzes.models import Answer, Attempt, QuizPage
from tests.factories import as_form, enrolled_client, make_course_with, make_quiz, make_user, right_answers
from tests.test_manager_dashboard import url, world  # noqa: F401 - the dashboard's world fixture
from tests.utils import wait_for

LOW, MEDIUM, HIGH = Certainty.LOW, Certainty.MEDIUM, Certainty.HIGH


def grade(score, max_score=1):
    return Grade(Decimal(score), Decimal(max_score))


# --- The scoring table (pure) --------------------------------------------------------------


@pytest.mark.parametrize("fraction, certainty, points", [
    # the six cells of Moodle's table, on a 1-point question
    (1, LOW, "1"), (1, MEDIUM, "2"), (1, HIGH, "3"),
    (0, LOW, "0"), (0, MEDIUM, "-2"), (0, HIGH, "-6"),
    # partial credit: any share above zero counts as right and is scaled (Moodle's adjust_fraction)
    ("0.5", LOW, "0.5"), ("0.5", MEDIUM, "1"), ("0.5", HIGH, "1.5"),
    ("0.25", HIGH, "0.75"),
])
def test_a_one_point_answer_earns_moodles_marks_by_certainty(fraction, certainty, points):
    assert cbm_score(grade(fraction), certainty) == Decimal(points)


@pytest.mark.parametrize("score, certainty, points", [
    (2, HIGH, "6"), (0, HIGH, "-12"), (1, MEDIUM, "2"), (0, LOW, "0"),
])
def test_the_marks_scale_with_the_questions_points(score, certainty, points):
    assert cbm_score(grade(score, max_score=2), certainty) == Decimal(points)


def test_an_unanswered_question_without_certainty_earns_nothing():
    assert cbm_score(grade(0), None) == 0


@pytest.mark.parametrize("answers, pass_mark, score, maximum, percent, passed", [
    # all right and very sure: everything
    ([(1, HIGH)] * 3, 60, "9", "9", 100, True),
    # all right but only fairly sure: 6 of 9
    ([(1, MEDIUM)] * 3, 60, "6", "9", 66, True),
    ([(1, MEDIUM)] * 3, 70, "6", "9", 66, False),
    # two right "high", one wrong "high": 3 + 3 - 6 = 0
    ([(1, HIGH), (1, HIGH), (0, HIGH)], 0, "0", "9", 0, True),
    # the total never goes below zero
    ([(0, HIGH)] * 3, 50, "0", "9", 0, False),
    ([(1, LOW), (0, HIGH)], 50, "0", "6", 0, False),
    # partial credit counts: half right "high" earns 1.5
    ([("0.5", HIGH), (1, LOW)], 40, "2.5", "6", 41, True),
])
def test_an_attempts_total_is_floored_at_zero_and_its_percent_is_out_of_three_times_the_points(
    answers, pass_mark, score, maximum, percent, passed,
):
    result = attempt_result([grade(f) for f, _c in answers], certainties=[c for _f, c in answers], pass_mark=pass_mark)
    assert (result.score, result.max_score, result.percent, result.passed) == (
        Decimal(score), Decimal(maximum), percent, passed,
    )


@pytest.mark.parametrize("raw, expected", [
    ("1", LOW), ("2", MEDIUM), (" 3 ", HIGH), (3, HIGH), ("", None), (None, None), ("  ", None),
])
def test_a_certainty_is_read_from_the_form(raw, expected):
    assert parse_certainty(raw) == expected


@pytest.mark.parametrize("raw", ["0", "4", "-1", "trois", "3.0", "٣", ["3"], {"c": "3"}, True, 99])
def test_a_forged_certainty_is_refused_with_a_message(raw):
    with pytest.raises(ValidationError) as error:
        parse_certainty(raw)
    assert "degré de certitude" in error.value.messages[0]


# --- Calibration (pure) ----------------------------------------------------------------------


def test_calibration_counts_answers_and_the_share_right_per_certainty_against_the_expected_window():
    # given 5 "high" answers with 3 right, 3 "medium" with 2 right, 2 "low" both wrong
    answers = [(HIGH, 1, 1)] * 3 + [(HIGH, 0, 1)] * 2 + [(MEDIUM, 2, 2)] * 2 + [(MEDIUM, 0, 2)] + [(LOW, 0, 1)] * 2
    # when
    result = calibration(answers + [(None, 0, 1)])  # unanswered: left out
    # then
    low, medium, high = result.levels
    assert [(level.answers, level.right) for level in result.levels] == [(2, 0), (3, 66), (5, 60)]
    assert (low.expected_low, low.expected_high, medium.expected_low, medium.expected_high) == (0, 67, 67, 80)
    assert (high.expected_low, high.expected_high) == (80, 100)
    assert (low.verdict, medium.verdict, high.verdict) == ("calibrated", "calibrated", "over")
    assert result.answers == 10
    assert result.advice.startswith("Vous êtes trop sûr·e de vous")


@pytest.mark.parametrize("answers, verdicts, advice", [
    ([(LOW, 1, 1)] * 3, ("under", "", ""), "Vous vous sous-estimez"),
    ([(MEDIUM, 1, 1)] * 3 + [(MEDIUM, 0, 1)], ("", "calibrated", ""), "Votre certitude correspond"),
    ([(HIGH, 1, 1)] * 9 + [(HIGH, 0, 1)], ("", "", "calibrated"), "Votre certitude correspond"),
    ([(MEDIUM, 1, 1)] + [(MEDIUM, 0, 1)], ("", "over", ""), "Vous êtes trop sûr·e"),
    ([(HIGH, 1, 2)] * 2, ("", "", "over"), "Vous êtes trop sûr·e"),  # half the points: 50 % right
    ([], ("", "", ""), ""),
])
def test_calibration_advice_follows_the_verdicts(answers, verdicts, advice):
    result = calibration(answers)
    assert tuple(level.verdict for level in result.levels) == verdicts
    assert result.advice.startswith(advice) if advice else result.advice == ""


# --- The attempt form -------------------------------------------------------------------------


@pytest.fixture
def cbm_quiz(client, learner):
    """A learner enrolled in a course whose module ends with a 4-question quiz marked by
    certainty (pass mark 60 %)."""
    course = make_course_with(modules=1, lessons_per_module=0)
    quiz = make_quiz(ModulePage.objects.child_of(course).get(), questions=4, pass_mark=60,
                     certainty_based_marking=True)
    enrolled_client(client, learner, course)
    return client, learner, quiz


def start(client, quiz):
    response = client.post(f"/quiz/{quiz.pk}/commencer/")
    assert response.status_code == 302, response
    return Attempt.objects.get(user__isnull=False, quiz=quiz, status=Attempt.Status.IN_PROGRESS)


def form_with_certainty(attempt, raw, certainty=HIGH, **certainties):
    """The attempt form: `raw` responses (tests.factories.as_form) and a certainty per
    question, `certainty` unless `certainties` says otherwise (c_<question id>=value or None)."""
    form = as_form(raw)
    for pk in attempt.question_order:
        value = certainties.get(f"c_{pk}", str(int(certainty)))
        if value is not None:
            form[f"c-{pk}"] = value
    return form


@pytest.mark.django_db
def test_the_attempt_form_asks_a_certainty_for_each_question_in_a_labelled_radio_group(cbm_quiz):
    client, learner, quiz = cbm_quiz
    rules = client.get(quiz.url).content.decode()
    assert "Notation selon votre certitude" in rules and "Il faut 60 % pour réussir." in rules
    attempt = start(client, quiz)

    html = client.get(f"/quiz/tentatives/{attempt.pk}/").content.decode()

    assert html.count('class="certainty"') == 4
    for number, pk in enumerate(attempt.question_order, start=1):
        assert f"Question {number} : à quel point êtes-vous sûr·e de votre réponse ?" in html
        for value, label in Certainty.choices:
            assert f'<input type="radio" id="c-{pk}-{value}" name="c-{pk}" value="{value}">' in html
            assert f'<label for="c-{pk}-{value}">{label}</label>' in html


@pytest.mark.django_db
def test_a_quiz_without_certainty_based_marking_asks_none_and_refuses_one(client, learner):
    course = make_course_with(modules=1, lessons_per_module=0)
    quiz = make_quiz(ModulePage.objects.child_of(course).get(), questions=2)
    enrolled_client(client, learner, course)
    attempt = start(client, quiz)
    assert 'class="certainty"' not in client.get(f"/quiz/tentatives/{attempt.pk}/").content.decode()

    response = client.post(f"/quiz/tentatives/{attempt.pk}/", form_with_certainty(attempt, right_answers(attempt)))

    assert response.status_code == 400 and "degré de certitude" in response.content.decode()
    assert Attempt.objects.get(pk=attempt.pk).status == Attempt.Status.IN_PROGRESS and not Answer.objects.exists()


@pytest.mark.django_db
def test_the_certainty_is_autosaved_with_the_draft_and_shown_again(cbm_quiz):
    client, learner, quiz = cbm_quiz
    attempt = start(client, quiz)
    first = str(attempt.question_order[0])

    response = client.post(f"/quiz/tentatives/{attempt.pk}/brouillon/", {f"c-{first}": "2"})

    assert response.json() == {"saved": True}
    assert Attempt.objects.get(pk=attempt.pk).drafts[f"c-{first}"] == "2"
    html = client.get(f"/quiz/tentatives/{attempt.pk}/").content.decode()
    assert f'id="c-{first}-2" name="c-{first}" value="2" checked>' in html


@pytest.mark.django_db
def test_a_missing_certainty_is_refused_with_a_message_and_nothing_is_stored(cbm_quiz):
    client, learner, quiz = cbm_quiz
    attempt = start(client, quiz)
    form = form_with_certainty(attempt, right_answers(attempt), **{f"c_{attempt.question_order[1]}": None})

    response = client.post(f"/quiz/tentatives/{attempt.pk}/", form)

    assert response.status_code == 400
    html = response.content.decode()
    assert "Question 2 : Indiquez à quel point vous êtes sûr·e de votre réponse." in html
    assert Attempt.objects.get(pk=attempt.pk).status == Attempt.Status.IN_PROGRESS and not Answer.objects.exists()
    # what was chosen is shown again
    assert f'name="c-{attempt.question_order[0]}" value="3" checked>' in html


@pytest.mark.parametrize("forged", ["7", "0", "sûr", "-6"])
@pytest.mark.django_db
def test_a_forged_certainty_value_is_refused_with_a_message_never_a_500(cbm_quiz, forged):
    client, learner, quiz = cbm_quiz
    attempt = start(client, quiz)
    form = form_with_certainty(attempt, right_answers(attempt), **{f"c_{attempt.question_order[0]}": forged})

    response = client.post(f"/quiz/tentatives/{attempt.pk}/", form)

    assert response.status_code == 400
    assert "Choisissez un degré de certitude parmi ceux proposés." in response.content.decode()
    assert not Answer.objects.exists()


@pytest.mark.django_db
def test_a_certainty_for_a_question_outside_the_quiz_is_refused(cbm_quiz):
    client, learner, quiz = cbm_quiz
    attempt = start(client, quiz)
    form = {**form_with_certainty(attempt, right_answers(attempt)), "c-999999": "3"}

    submitted = client.post(f"/quiz/tentatives/{attempt.pk}/", form)
    saved = client.post(f"/quiz/tentatives/{attempt.pk}/brouillon/", {"c-999999": "3"})

    assert submitted.status_code == 400 and saved.status_code == 400
    assert "ne fait pas partie de ce quiz" in saved.json()["error"]
    assert not Answer.objects.exists() and Attempt.objects.get(pk=attempt.pk).drafts == {}


@pytest.mark.django_db
def test_an_unanswered_question_needs_no_certainty_and_scores_nothing(cbm_quiz):
    # given three right answers "high" and one left blank
    client, learner, quiz = cbm_quiz
    attempt = start(client, quiz)
    blank = attempt.question_order[3]
    form = form_with_certainty(attempt, {**right_answers(attempt), str(blank): ""}, **{f"c_{blank}": ""})
    # when
    assert client.post(f"/quiz/tentatives/{attempt.pk}/", form).status_code == 302
    services.grade_submitted_attempt(attempt.pk)
    # then 9 of 12 (4 questions of 2 points, 3 times): 75 %
    attempt.refresh_from_db()
    assert (attempt.score, attempt.max_score, attempt.percent, attempt.passed) == (18, 24, 75, True)
    unanswered = Answer.objects.get(attempt=attempt, question_id=blank)
    assert unanswered.certainty is None and unanswered.cbm_score == 0


@pytest.mark.django_db
def test_an_expired_attempt_counts_answers_saved_without_certainty_at_low(cbm_quiz):
    client, learner, quiz = cbm_quiz
    QuizPage.objects.filter(pk=quiz.pk).update(time_limit_minutes=5)
    attempt = start(client, quiz)
    raw = right_answers(attempt)
    first, second = (str(pk) for pk in attempt.question_order[:2])
    Attempt.objects.filter(pk=attempt.pk).update(
        drafts={first: raw[first], f"c-{first}": "3", second: raw[second], f"c-{second}": "forged"},
        deadline=timezone.now() - timedelta(minutes=10),
    )

    services.submit_expired(attempt_id=attempt.pk)
    services.grade_submitted_attempt(attempt.pk)

    answers = {str(a.question_id): a for a in Answer.objects.filter(attempt=attempt)}
    assert (answers[first].certainty, answers[first].cbm_score) == (HIGH, 6)
    assert (answers[second].certainty, answers[second].cbm_score) == (LOW, 2)
    assert Attempt.objects.get(pk=attempt.pk).score == 8


# --- Through the real worker -----------------------------------------------------------------


@pytest.mark.worker
def test_a_learner_takes_a_quiz_marked_by_certainty_graded_by_the_worker_and_reads_the_calibration(
    celery_worker_process, client,
):
    # given a learner and a 4-question quiz marked by certainty (2 points each)
    course = make_course_with(modules=1, lessons_per_module=0)
    quiz = make_quiz(ModulePage.objects.child_of(course).get(), questions=4, pass_mark=60,
                     certainty_based_marking=True)
    learner = make_user()
    progress.enroll(user=learner, course=course)
    client.force_login(learner)
    attempt = start(client, quiz)
    # three right answers ("high", "high", "medium") and one wrong "high"
    order = attempt.question_order
    raw = right_answers(attempt)
    wrong = order[2]
    assert raw[str(wrong)] == "vrai"  # the third question is a true/false one: answered wrong below
    raw[str(wrong)] = "faux"
    form = form_with_certainty(attempt, raw, **{f"c_{order[3]}": "2"})
    # when it is sent through the form and the worker grades it
    assert client.post(f"/quiz/tentatives/{attempt.pk}/", form).status_code == 302
    wait_for(lambda: Attempt.objects.get(pk=attempt.pk).status == Attempt.Status.GRADED, timeout=60,
             message="the attempt graded by the worker")
    # then (6 + 6 - 12 + 4) = 4 of 24: 16 %, not passed; the answer rows keep both scores
    attempt.refresh_from_db()
    assert (attempt.score, attempt.max_score, attempt.percent, attempt.passed, attempt.grade_count) == (
        4, 24, 16, False, 1,
    )
    marks = dict(Answer.objects.filter(attempt=attempt).values_list("question_id", "cbm_score"))
    assert marks == {order[0]: 6, order[1]: 6, wrong: -12, order[3]: 4}
    # the result page and the quiz page show the calibration as a table, with advice
    result = client.get(f"/quiz/tentatives/{attempt.pk}/resultat/").content.decode()
    assert "Votre calibration" in result and "<caption>" in result
    assert '<th scope="row">Très sûr·e</th>' in result and "Vous êtes trop sûr·e de vous" in result
    assert "Votre certitude : Très sûr·e, soit -12 point(s) selon la certitude." in result
    history = client.get(quiz.url).content.decode()
    assert "Votre calibration sur toutes vos tentatives" in history and "Vous êtes trop sûr·e" in history


# --- The managers' figure ------------------------------------------------------------------------


def cbm_answers(person, quiz, answers, number):
    """One graded attempt of `person` at `quiz` per (certainty, right) in `answers`."""
    question_id = quiz.question_ids()[0]
    for offset, (certainty, right) in enumerate(answers):
        attempt = Attempt.objects.create(
            user=person, quiz=quiz, number=number + offset, status=Attempt.Status.GRADED, percent=0, passed=False,
            graded_at=timezone.now(),
        )
        Answer.objects.create(attempt=attempt, question_id=question_id, certainty=certainty,
                              score=2 if right else 0, max_score=2)


@pytest.fixture
def crisis_by_certainty(world):  # noqa: F811 - the dashboard's world fixture, imported above
    """The world's crisis quiz marked by certainty: in Com (5 people) c1 and c2 each give
    one confident wrong answer among 2; in RH (4 people) r1 one among 2."""
    QuizPage.objects.filter(pk=world.crisis_quiz.pk).update(certainty_based_marking=True)
    for name in ["c1", "c2", "c3", "c4", "c5", "r1", "r2", "r3", "r4"]:
        wrong = name in ("c1", "c2", "r1")
        cbm_answers(world.people[name], world.crisis_quiz, [(HIGH, not wrong), (MEDIUM, False)], number=10)
    return world


@pytest.mark.django_db
def test_managers_see_the_share_of_confident_wrong_answers_per_team_and_module_hidden_under_five(
    client, crisis_by_certainty,
):
    world = crisis_by_certainty
    client.force_login(world.director)

    response = client.get(url("organisation_dashboard", world))

    assert response.status_code == 200
    rows = response.context["dashboard"].confident_wrong
    assert len(rows) == 1  # only the crisis module has answers with a certainty
    module, overall, teams = rows[0]
    assert module.pk == world.crisis.pk
    assert (overall.value, overall.people, overall.shown) == (17, 9, True)  # 3 of 18
    figures = {team.name: team_figure for team, team_figure in teams}
    assert (figures["Com"].value, figures["Com"].shown) == (20, True)  # 2 of 10
    assert figures["RH"].hidden  # 4 people
    html = response.content.decode()
    assert "Erreurs commises en étant très sûr·e" in html and "20 %" in html


@pytest.mark.django_db
def test_the_confident_wrong_share_is_not_shown_without_answers_marked_by_certainty(client, world):  # noqa: F811
    client.force_login(world.director)

    response = client.get(url("organisation_dashboard", world))

    assert response.context["dashboard"].confident_wrong == []
    assert "Erreurs commises en étant très sûr·e" not in response.content.decode()


@pytest.mark.django_db
def test_a_manager_of_another_organisation_cannot_see_the_figure(client, crisis_by_certainty):
    world = crisis_by_certainty
    client.force_login(world.stranger)

    theirs = client.get(url("organisation_dashboard", world))
    own = client.get(reverse("organisation_dashboard", args=[world.other.slug]))

    assert theirs.status_code == 404 and "Erreurs commises" not in theirs.content.decode()
    assert "Erreurs commises" not in own.content.decode()


@pytest.mark.django_db
def test_a_manager_limited_to_their_team_sees_its_figure_only(client, crisis_by_certainty):
    world = crisis_by_certainty
    Organisation.objects.filter(pk=world.org.pk).update(manager_scope=Organisation.ManagerScope.OWN_TEAMS)
    client.force_login(world.com_manager)

    response = client.get(url("organisation_dashboard", world))

    module, overall, teams = response.context["dashboard"].confident_wrong[0]
    assert [team.name for team, _figure in teams] == ["Com"]
    assert (overall.value, overall.people) == (20, 5)


# --- The admin ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_trainer_turns_certainty_based_marking_on_in_the_quiz_rules(client):
    from django.contrib.auth.models import Group
    from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text

    from learners.roles import TRAINERS_GROUP
    from tests.factories import make_question

    # given a trainer, a module and a question of the bank
    trainer = make_user()
    trainer.groups.add(Group.objects.get(name=TRAINERS_GROUP))
    client.force_login(trainer)
    module = ModulePage.objects.child_of(make_course_with(modules=1, lessons_per_module=0)).get()
    question = make_question("true_false")
    url = f"/admin/pages/add/quizzes/quizpage/{module.pk}/"
    # the field is among the quiz rules, with the scheme explained
    form = client.get(url).content.decode()
    assert 'name="certainty_based_marking"' in form and "0, −2 ou −6 fois" in form
    assert form.index("Règles du quiz") < form.index('name="certainty_based_marking"')
    # when they create a quiz with it on
    response = client.post(url, nested_form_data({
        "title": "Quiz noté selon la certitude", "slug": "quiz-certitude", "intro": rich_text("<p>Deux questions.</p>"),
        "pass_mark": "60", "max_attempts": "", "time_limit_minutes": "", "feedback_policy": "corrections",
        "estimated_minutes": "10", "certainty_based_marking": "on", "action-publish": "publish",
        "quiz_questions": inline_formset([{"question": str(question.pk)}]),
    }))
    # then it is on
    assert response.status_code == 302, response.content.decode()[:2000]
    assert QuizPage.objects.get(slug="quiz-certitude").certainty_based_marking
