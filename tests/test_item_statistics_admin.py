"""Item statistics for trainers: the graded attempts of a quiz read as the pure module's
input (quizzes.statistics), the report computed by a task and stored, refreshed after
gradings (coalesced), and the report page of the Wagtail admin with who may read it."""

import re
from datetime import timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from django.conf import settings as project_settings
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from config import queueing
from courses.models import ModulePage
from learners import progress
from learners.models import Membership, Organisation
from learners.roles import TRAINERS_GROUP
from quizzes import services, statistics, tasks
from quizzes.item_statistics import MINIMUM_ATTEMPTS, AttemptScores, QuestionScore, quiz_statistics
from quizzes.models import Question, QuizStatistics
from quizzes.selectors import forget_loaded_questions, load_questions
from tests.factories import make_admin_user, make_course_with, make_quiz, make_user, right_answers
from tests.utils import wait_for

COMPUTE = "quizzes.tasks.compute_item_statistics"


# --- Builders -------------------------------------------------------------------------------


def quiz_of(kinds):
    """A published quiz asking one question of each of `kinds`, in that order."""
    course = make_course_with(modules=1, lessons_per_module=0)
    return make_quiz(ModulePage.objects.child_of(course).get(), questions=len(kinds), kinds=kinds, shuffle_choices=False)


def graded_attempt(quiz, responses, learner=None):
    """A learner (enrolled) answers `quiz` with `responses`, one per question in the quiz's
    order (None leaves it unanswered), and the attempt is graded."""
    learner = learner or make_user()
    progress.enroll(user=learner, course=quiz.get_parent().get_parent().specific)
    attempt = services.start_attempt(user=learner, quiz=quiz)
    raw = {str(pk): response for pk, response in zip(attempt.question_order, responses) if response is not None}
    services.submit_attempt(user=learner, attempt_id=attempt.pk, raw=raw)
    services.grade_submitted_attempt(attempt.pk)
    return attempt


def options_of(question):
    return [option.pk for option in question.options()]


@pytest.fixture
def sent_tasks(monkeypatch):
    """What the code sends to the broker (the edge we do not own): (task name, args, options)."""
    sent = []
    monkeypatch.setattr(queueing, "send_task", lambda task, *args, **options: sent.append((task.name, args, options)) or True)
    return sent


def computations(sent):
    return [(args, options) for name, args, options in sent if name == COMPUTE]


@pytest.fixture
def class_of_three(db):
    """A four-question quiz answered by three learners:

                  single choice    multiple choice         true/false   short answer
        Anna      right            both right ones         right        right
        Bruno     wrong            one right one           right        right
        Chloé     (unanswered)     one right + the wrong   wrong        right
    """
    quiz = quiz_of(["single_choice", "multiple_choice", "true_false", "short_answer"])
    single, multiple, true_false, short = load_questions(quiz.question_ids())
    right, wrong = options_of(single)
    good_1, good_2, bad = options_of(multiple)
    learners = [make_user(first_name=name) for name in ("Anna", "Bruno", "Chloé")]
    graded_attempt(quiz, [str(right), [str(good_1), str(good_2)], "vrai", "réseau"], learners[0])
    graded_attempt(quiz, [str(wrong), [str(good_1)], "vrai", "réseau"], learners[1])
    graded_attempt(quiz, [None, [str(good_1), str(bad)], "faux", "Réseau"], learners[2])
    return quiz, learners, (single, multiple, true_false, short), (right, wrong, good_1, good_2, bad)


def trainer():
    user = make_user(first_name="Inès")
    user.groups.add(Group.objects.get(name=TRAINERS_GROUP))
    return user


def report_url(quiz):
    return f"/admin/quiz/{quiz.pk}/statistiques/"


# --- The selector ---------------------------------------------------------------------------


def test_the_graded_attempts_of_a_quiz_become_the_pure_modules_input(class_of_three):
    quiz, (anna, bruno, chloe), (single, multiple, true_false, short), (right, wrong, good_1, good_2, bad) = class_of_three
    two = Decimal(2)

    data = statistics.statistics_input(quiz)

    def scores(single_share, single_chosen, multiple_share, multiple_chosen, true_false_share):
        return {
            single.pk: QuestionScore(Decimal(single_share), two, frozenset(single_chosen)),
            multiple.pk: QuestionScore(Decimal(multiple_share), two, frozenset(multiple_chosen)),
            true_false.pk: QuestionScore(Decimal(true_false_share), two, None),
            short.pk: QuestionScore(Decimal(1), two, None),
        }

    assert data.attempts == [
        AttemptScores(anna.pk, 1, Decimal(8), Decimal(8), scores(1, {right}, 1, {good_1, good_2}, 1)),
        AttemptScores(bruno.pk, 1, Decimal(5), Decimal(8), scores(0, {wrong}, "0.5", {good_1}, 1)),
        AttemptScores(chloe.pk, 1, Decimal(2), Decimal(8), scores(0, set(), 0, {good_1, bad}, 0)),
    ]
    assert data.questions == {single.pk: [right, wrong], multiple.pk: [good_1, good_2, bad], true_false.pk: [], short.pk: []}
    assert data.random_guesses == {single.pk: Fraction(1, 2), true_false.pk: Fraction(1, 2)}


def test_attempts_not_graded_yet_are_left_out(class_of_three):
    quiz, *_rest = class_of_three
    # given a fourth learner who submitted but is not graded yet, and a fifth still answering
    late = make_user()
    progress.enroll(user=late, course=quiz.get_parent().get_parent().specific)
    attempt = services.start_attempt(user=late, quiz=quiz)
    services.submit_attempt(user=late, attempt_id=attempt.pk, raw=right_answers(attempt))
    answering = make_user()
    progress.enroll(user=answering, course=quiz.get_parent().get_parent().specific)
    services.start_attempt(user=answering, quiz=quiz)

    assert len(statistics.statistics_input(quiz).attempts) == 3


@pytest.mark.django_db
def test_the_selector_runs_the_same_queries_at_5_and_50_attempts():
    kinds = ["single_choice", "multiple_choice", "true_false", "numeric"]
    quiz = quiz_of(kinds)
    counts = {}
    done = 0
    for size in (5, 50):
        for _ in range(size - done):
            attempt_of = make_user()
            progress.enroll(user=attempt_of, course=quiz.get_parent().get_parent().specific)
            attempt = services.start_attempt(user=attempt_of, quiz=quiz)
            services.submit_attempt(user=attempt_of, attempt_id=attempt.pk, raw=right_answers(attempt))
            services.grade_submitted_attempt(attempt.pk)
        done = size
        forget_loaded_questions()
        with CaptureQueriesContext(connection) as queries:
            data = statistics.statistics_input(quiz)
        assert len(data.attempts) == size
        counts[size] = len(queries)

    assert counts[5] == counts[50]
    # the quiz's questions, its graded attempts, their answers; then load_questions: the
    # stamps, one per type (4) and one per relation each type prefetches (its options)
    relations = sum(len(Question.of_kind(kind).prefetch) for kind in kinds)
    assert counts[50] == 3 + 1 + len(kinds) + relations, counts


# --- Computing and storing ------------------------------------------------------------------


def test_the_task_stores_the_report_of_the_graded_attempts(class_of_three):
    quiz, _learners, (single, multiple, true_false, short), _options = class_of_three
    data = statistics.statistics_input(quiz)

    # when the task runs
    tasks.compute_item_statistics(quiz.pk)

    # then the quiz's one row holds the report, as the pure module computes it
    stored = QuizStatistics.objects.get(quiz=quiz)
    assert stored.attempts == 3 and stored.computed_at is not None and stored.requested_at is None
    report = statistics.report_from_json(stored.report)
    assert report == quiz_statistics(data.attempts, questions=data.questions, random_guesses=data.random_guesses)
    assert report.sample_too_small
    short_answer = report.questions[3]
    assert short_answer.question == short.pk and short_answer.facility_index == Decimal("100.00")
    assert [flag.value for flag in short_answer.flags] == ["everyone_right"]
    assert [(count.option, count.count) for count in report.questions[0].options] == [
        (option, 1) for option in options_of(single)
    ]
    assert report.questions[0].no_choice == 1


def test_a_quiz_deleted_before_its_computation_is_left_alone(db):
    assert tasks.compute_item_statistics(987654) is False
    assert not QuizStatistics.objects.exists()


# --- Refreshing, coalesced ------------------------------------------------------------------


def test_a_burst_of_gradings_is_computed_once_by_the_first_sweep_after_the_delay(db, sent_tasks, django_capture_on_commit_callbacks, settings):
    settings.QUIZ_STATISTICS_DELAY = timedelta(seconds=30)
    quiz = quiz_of(["true_false", "single_choice"])

    # when five attempts are graded in a row
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(5):
            graded_attempt(quiz, ["vrai", None])

    # then the quiz is marked, nothing is sent while it grades, nor by a sweep before the delay
    marked_at = QuizStatistics.objects.get(quiz=quiz).requested_at
    assert marked_at is not None and computations(sent_tasks) == []
    assert statistics.send_due_computations(now=marked_at + timedelta(seconds=29)) == 0
    # and the first sweep after it sends one computation, with no ETA
    assert statistics.send_due_computations(now=marked_at + timedelta(seconds=30)) == 1
    assert computations(sent_tasks) == [((quiz.pk,), {})]


def test_a_grading_after_the_computation_started_marks_the_quiz_again(db, sent_tasks, django_capture_on_commit_callbacks, settings):
    settings.QUIZ_STATISTICS_DELAY = timedelta(0)
    quiz = quiz_of(["true_false", "single_choice"])
    with django_capture_on_commit_callbacks(execute=True):
        graded_attempt(quiz, ["vrai", None])

    # given the computation has run
    assert statistics.send_due_computations() == 1
    tasks.compute_item_statistics(quiz.pk)
    assert QuizStatistics.objects.get(quiz=quiz).attempts == 1
    assert statistics.send_due_computations() == 0  # nothing new to count

    # when one more attempt is graded
    with django_capture_on_commit_callbacks(execute=True):
        graded_attempt(quiz, ["faux", None])

    # then the next sweep sends a second computation, which counts it
    assert statistics.send_due_computations() == 1 and len(computations(sent_tasks)) == 2
    tasks.compute_item_statistics(quiz.pk)
    assert QuizStatistics.objects.get(quiz=quiz).attempts == 2


def test_a_computation_the_broker_refused_is_sent_again_by_the_next_sweep(db, monkeypatch, sent_tasks, django_capture_on_commit_callbacks, settings):
    settings.QUIZ_STATISTICS_DELAY = timedelta(0)
    quiz = quiz_of(["true_false", "single_choice"])
    with django_capture_on_commit_callbacks(execute=True):
        graded_attempt(quiz, ["vrai", None])

    # when the broker refuses the sweep's message
    refusing = monkeypatch.context()
    with refusing as patch:
        patch.setattr(queueing, "send_task", lambda task, *args, **options: False)
        assert statistics.send_due_computations() == 0

    # then the quiz stays marked, and the next sweep sends it
    assert QuizStatistics.objects.get(quiz=quiz).requested_at is not None
    assert statistics.send_due_computations() == 1 and len(computations(sent_tasks)) == 1


def test_beat_sweeps_the_marked_quizzes_every_30_seconds_on_the_reports_queue():
    from config.celery import app

    entry = next(entry for entry in project_settings.CELERY_BEAT_SCHEDULE.values()
                 if entry["task"] == "quizzes.tasks.send_due_item_statistics")
    assert entry["schedule"] == 30.0
    assert app.amqp.router.route({}, "quizzes.tasks.send_due_item_statistics")["queue"].name == "reports"


def test_the_statistics_task_goes_to_the_reports_queue():
    from config.celery import app

    assert app.amqp.router.route({}, COMPUTE)["queue"].name == "reports"
    assert app.amqp.router.route({}, "quizzes.tasks.grade_attempt")["queue"].name == "grading"


# --- The report page ------------------------------------------------------------------------


def test_a_trainer_reads_the_table_the_warning_and_the_chart(class_of_three, trainer_client):
    quiz, _learners, (single, multiple, true_false, short), _options = class_of_three
    statistics.compute_statistics(quiz.pk)

    response = trainer_client.get(report_url(quiz))

    assert response.status_code == 200
    html = response.content.decode()
    table = re.search(r'<table class="listing quiz-statistics__questions">.*?</table>', html, re.S).group(0)
    assert table.count("<tr") == 5  # the header and one row per question
    assert single.prompt in table and short.prompt in table
    assert "Choix unique" in table and "Réponse courte" in table
    assert "100,00\u00a0%" in table  # the short answer's facility index, as French writes it
    assert "À vérifier : tout le monde a juste" in table  # a flag in words, not colour alone
    assert f"en dessous de {MINIMUM_ATTEMPTS} tentatives" in html  # the small-sample warning, with its threshold
    assert "Seulement 3 tentatives comptées" in html
    figure = re.search(r"<figure.*?</figure>", html, re.S).group(0)
    assert 'role="img"' in figure and 'aria-labelledby="facility-chart-caption"' in figure
    assert '<figcaption id="facility-chart-caption">' in figure
    assert figure.count("<rect ") == 4 and 'width="500.0' in figure  # 100 % over 500 units, a dot in SVG
    assert "100,00\u00a0% · à vérifier" in figure  # the flagged question, said in words on the chart too
    assert figure.count("<tr>") == 5  # the same values as a table
    assert "Aucune réponse choisie" in html  # distractor counts of the choice questions


def test_a_quiz_not_computed_yet_says_so_and_offers_the_refresh(db, trainer_client):
    quiz = quiz_of(["true_false", "single_choice"])

    response = trainer_client.get(report_url(quiz))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Aucune statistique n'a encore été calculée pour ce quiz." in html
    assert "Recalculer maintenant" in html and 'name="csrfmiddlewaretoken"' in html


def test_a_trainer_asks_a_refresh_which_is_queued_at_once(db, trainer_client, sent_tasks, django_capture_on_commit_callbacks):
    quiz = quiz_of(["true_false", "single_choice"])

    with django_capture_on_commit_callbacks(execute=True):
        response = trainer_client.post(report_url(quiz))

    assert response.status_code == 302 and response.url == report_url(quiz)
    assert computations(sent_tasks) == [((quiz.pk,), {})]
    assert "Un calcul est en attente" in trainer_client.get(report_url(quiz)).content.decode()


def test_a_refresh_without_the_csrf_token_is_refused(db, sent_tasks):
    quiz = quiz_of(["true_false", "single_choice"])
    client = Client(enforce_csrf_checks=True)
    client.force_login(trainer())

    assert client.post(report_url(quiz)).status_code == 403
    assert not QuizStatistics.objects.exists()


def test_the_quiz_edit_screen_links_to_its_statistics(db, trainer_client):
    quiz = quiz_of(["true_false", "single_choice"])

    edit = trainer_client.get(f"/admin/pages/{quiz.pk}/edit/").content.decode()
    module_edit = trainer_client.get(f"/admin/pages/{quiz.get_parent().pk}/edit/").content.decode()

    assert report_url(quiz) in edit
    assert "/statistiques/" not in module_edit


def test_the_quiz_listing_offers_its_statistics_in_the_more_menu(db, trainer_client):
    quiz = quiz_of(["true_false", "single_choice"])

    listing = trainer_client.get(f"/admin/pages/{quiz.get_parent().pk}/").content.decode()

    assert report_url(quiz) in listing and "Statistiques des questions" in listing


def test_the_report_page_reads_the_same_queries_at_3_and_30_attempts(db, trainer_client):
    quiz = quiz_of(["single_choice", "true_false"])
    single, true_false = load_questions(quiz.question_ids())
    right, wrong = options_of(single)
    counts = {}
    done = 0
    for size in (3, 30):
        for index in range(size - done):
            graded_attempt(quiz, [str(right if index % 2 else wrong), "vrai" if index % 3 else "faux"])
        done = size
        statistics.compute_statistics(quiz.pk)
        forget_loaded_questions()
        trainer_client.get(report_url(quiz))  # the session and permissions as every admin page reads them
        with CaptureQueriesContext(connection) as queries:
            response = trainer_client.get(report_url(quiz))
        assert response.status_code == 200
        counts[size] = len(queries)
    assert "Échantillon trop petit" not in response.content.decode()  # 30 counted: no warning

    assert counts[3] == counts[30]
    # session, user, page permissions, quiz, stored row, questions, the review menu's count
    assert counts[30] <= 12, counts


# --- Who may read it --------------------------------------------------------------------------


@pytest.fixture
def computed_quiz(class_of_three):
    quiz = class_of_three[0]
    statistics.compute_statistics(quiz.pk)
    return quiz


def test_a_learner_never_reaches_the_report(computed_quiz, client, sent_tasks):
    learner = make_user()
    client.force_login(learner)

    for response in (client.get(report_url(computed_quiz)), client.post(report_url(computed_quiz))):
        assert response.status_code == 302 and response.url.startswith("/admin/login/")
    assert computations(sent_tasks) == []


def test_a_manager_never_reaches_the_report(computed_quiz, client):
    manager = make_user()
    organisation = Organisation.objects.create(name="Asso", slug="asso")
    Membership.objects.create(user=manager, organisation=organisation, role=Membership.Role.MANAGER)
    client.force_login(manager)

    response = client.get(report_url(computed_quiz))

    assert response.status_code == 302 and response.url.startswith("/admin/login/")


def test_someone_in_the_admin_who_may_not_edit_the_quiz_is_told_it_does_not_exist(computed_quiz, client):
    client.force_login(make_admin_user())

    assert client.get(report_url(computed_quiz)).status_code == 404
    assert client.post(report_url(computed_quiz)).status_code == 404
    assert "/statistiques/" not in client.get(f"/admin/pages/{computed_quiz.get_parent().pk}/").content.decode()


def test_an_administrator_reads_the_report(computed_quiz, client):
    client.force_login(make_user(is_superuser=True, is_staff=True))

    assert client.get(report_url(computed_quiz)).status_code == 200


# --- Through a real worker --------------------------------------------------------------------


@pytest.mark.worker
def test_a_burst_graded_by_the_worker_is_counted_by_one_stored_report(celery_worker_process, settings):
    settings.QUIZ_STATISTICS_DELAY = timedelta(0)
    quiz = quiz_of(["single_choice", "true_false", "multiple_choice"])
    learners = [make_user() for _ in range(8)]

    # when eight learners submit together and the worker grades them
    for learner in learners:
        progress.enroll(user=learner, course=quiz.get_parent().get_parent().specific)
        attempt = services.start_attempt(user=learner, quiz=quiz)
        services.submit_attempt(user=learner, attempt_id=attempt.pk, raw=right_answers(attempt))
    wait_for(lambda: quiz.attempts.filter(status="graded").count() == 8, timeout=120, message="the eight gradings")

    # and beat's sweep comes by, then one report counts them all, from one computation
    assert statistics.send_due_computations() == 1

    def stored():
        return QuizStatistics.objects.filter(quiz=quiz, computed_at__isnull=False).first()

    wait_for(lambda: stored() is not None, timeout=120, message="the stored statistics")
    assert stored().attempts == 8 and stored().requested_at is None
    log = celery_worker_process.output()
    assert len(re.findall(rf"{COMPUTE}\[[^\]]+\] succeeded", log)) == 1, log


# --- In a browser -------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_report_page_has_no_serious_accessibility_violations(browser_page, screenshot):
    from tests.accessibility import Audit
    from tests.test_browser import log_in

    # given a computed report with a flagged question and choice questions
    quiz = quiz_of(["single_choice", "multiple_choice", "true_false", "short_answer"])
    single, multiple, _true_false, _short = load_questions(quiz.question_ids())
    right, wrong = options_of(single)
    good_1, good_2, bad = options_of(multiple)
    graded_attempt(quiz, [str(right), [str(good_1), str(good_2)], "vrai", "réseau"])
    graded_attempt(quiz, [str(wrong), [str(good_1)], "vrai", "réseau"])
    graded_attempt(quiz, [None, [str(good_1), str(bad)], "faux", "réseau"])
    statistics.compute_statistics(quiz.pk)
    user = trainer()
    user.email = "ines@example.org"
    user.save()

    # when the trainer opens it
    page = browser_page
    log_in(page, "ines@example.org")
    audit = Audit(page)
    audit(report_url(quiz))
    screenshot(page, "item-statistics")

    # then axe-core finds nothing serious, and the chart is announced by its caption
    assert audit.problems == {}
    assert page.get_by_role("img", name=re.compile("Indice de facilité de chaque question")).count() == 1
