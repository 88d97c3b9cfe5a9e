"""The quiz editor picks its questions with a chooser over the whole bank (every type,
filtered by type and theme, searched), keeps the trainer's order, and writes a new
question of a common type without leaving the quiz."""

import json
import re

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape

from courses.models import ModulePage
from learners.roles import TRAINERS_GROUP
from quizzes.models import MultipleChoiceQuestion, Question, QuizPage, ShortAnswerQuestion, SingleChoiceQuestion
from tests.factories import (
    QUESTION_KINDS,
    make_admin_user,
    make_course_with,
    make_manager,
    make_question,
    make_quiz,
    make_user,
)

pytestmark = pytest.mark.django_db

CHOOSER = "/admin/quizzes/choisir-une-question/"
RESULTS = CHOOSER + "results/"
CREATE = CHOOSER + "create/"


def new_question(fields):
    """The POST data of the chooser's "Nouvelle question" form (its fields are prefixed)."""
    return {f"new-{name}": value for name, value in fields.items()}


def chosen_url(question_id):
    return f"{CHOOSER}chosen/{question_id}/"


def modal(response):
    """The modal workflow's JSON answer of a chooser view."""
    assert response.status_code == 200, response
    return json.loads(response.content)


def listed(html, questions):
    return {question.prompt for question in questions if escape(question.prompt) in html}


def test_the_chooser_lists_every_type_with_its_own_label_and_a_link_choosing_it(trainer_client):
    questions = [make_question(kind) for kind in QUESTION_KINDS]

    data = modal(trainer_client.get(CHOOSER))

    assert data["step"] == "choose"
    assert listed(data["html"], questions) == {question.prompt for question in questions}
    for question in questions:
        assert escape(str(type(question)._meta.verbose_name)) in data["html"]
        assert chosen_url(question.pk) in data["html"]


def test_the_chooser_filters_by_type_and_theme_and_searches(trainer_client):
    rgpd_choice = make_question("single_choice", tag="rgpd", prompt="Qui contrôle les données ?")
    crise_choice = make_question("single_choice", tag="crise", prompt="Premier message de crise ?")
    rgpd_numeric = make_question("numeric", tag="rgpd", prompt="Combien de jours pour répondre ?")
    everything = [rgpd_choice, crise_choice, rgpd_numeric]
    choice_type = rgpd_choice.polymorphic_ctype_id

    def results(**params):
        response = trainer_client.get(RESULTS, params)
        assert response.status_code == 200
        return listed(response.content.decode(), everything)

    assert results(question_type=choice_type) == {rgpd_choice.prompt, crise_choice.prompt}
    assert results(tag="rgpd") == {rgpd_choice.prompt, rgpd_numeric.prompt}
    assert results(tag="rgpd", question_type=choice_type) == {rgpd_choice.prompt}
    assert results(q="CRISE") == {crise_choice.prompt}
    assert results(q="jours") == {rgpd_numeric.prompt}
    # a value no form sends filters nothing and fails nothing
    assert results(question_type="999999999999999999999", tag="<script>") == {q.prompt for q in everything}
    # the modal offers the themes in use and the types
    html = modal(trainer_client.get(CHOOSER))["html"]
    assert 'value="crise"' in html and f'value="{choice_type}"' in html


def test_choosing_a_question_answers_with_its_id_and_real_type(trainer_client):
    question = make_question("matching", prompt="Associez chaque réseau à son public.")

    data = modal(trainer_client.get(chosen_url(question.pk)))

    assert data["step"] == "chosen"
    assert data["result"]["id"] == str(question.pk)
    assert data["result"]["title"] == str(question) and "[appariement]" in data["result"]["title"]
    assert data["result"]["edit_url"] == f"/admin/snippets/quizzes/matchingquestion/edit/{question.pk}/"


@pytest.mark.parametrize("bad_id", ["999999", "12345678901234567890", "١٢", "abc"])
def test_choosing_an_id_that_is_no_question_is_a_404(trainer_client, bad_id):
    assert trainer_client.get(chosen_url(bad_id)).status_code == 404


def chooser_queries(client):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(CHOOSER).status_code == 200
    return len(queries)


def test_the_chooser_runs_as_many_queries_for_4_questions_as_for_40(trainer_client):
    for number in range(4):
        make_question(QUESTION_KINDS[number % len(QUESTION_KINDS)], tag=f"thème {number % 3}")
    chooser_queries(trainer_client)  # content types and permissions read once
    few = chooser_queries(trainer_client)

    for number in range(36):
        make_question(QUESTION_KINDS[number % len(QUESTION_KINDS)], tag=f"thème {number % 3}")

    assert chooser_queries(trainer_client) == few
    assert few <= 12


def test_the_quiz_editor_asks_its_questions_through_the_chooser_in_the_trainers_order(trainer_client):
    # given a quiz asking three questions
    module = ModulePage.objects.child_of(make_course_with(modules=1, lessons_per_module=0)).get()
    quiz = make_quiz(module, questions=3)
    ordered = list(quiz.quiz_questions.order_by("sort_order").values_list("question_id", flat=True))

    # when the trainer opens its editor
    page = trainer_client.get(f"/admin/pages/{quiz.pk}/edit/").content.decode()

    # then each row of the quiz is a chooser of the bank, in the quiz's order
    assert CHOOSER in page
    assert page.count("Choisir une autre question") >= 3
    positions = [page.index(escape(str(Question.objects.get(pk=pk)))) for pk in ordered]
    assert positions == sorted(positions)


def test_a_new_question_written_in_the_chooser_is_saved_and_chosen(trainer_client):
    # when the trainer writes a single choice question in the chooser's "Nouvelle question" tab
    data = modal(trainer_client.post(CREATE, new_question({
        "question_type": "single_choice", "prompt": "Qui est responsable du traitement ?", "points": "2",
        "tag": "rgpd", "explanation": "L'organisme qui décide des finalités.",
        "answers": "*L'organisme qui décide\nLe prestataire\n  \nL'hébergeur",
    })))

    # then it is saved with its choices, the right one marked, and the chooser selects it
    question = SingleChoiceQuestion.objects.get(prompt="Qui est responsable du traitement ?")
    assert (question.points, question.tag) == (2, "rgpd")
    assert [(c.text, c.is_correct) for c in question.choices.all()] == [
        ("L'organisme qui décide", True), ("Le prestataire", False), ("L'hébergeur", False)]
    assert data["step"] == "chosen"
    assert data["result"]["id"] == str(question.pk) and "[choix unique]" in data["result"]["title"]


def test_the_chooser_writes_multiple_choice_and_short_answer_questions(trainer_client):
    modal(trainer_client.post(CREATE, new_question({"question_type": "multiple_choice", "prompt": "Données sensibles ?",
                                                    "points": "1", "answers": "*Santé\n*Opinions\nPrénom"})))
    modal(trainer_client.post(CREATE, new_question({"question_type": "short_answer", "prompt": "Le sigle du règlement ?",
                                                    "points": "1", "answers": "RGPD\nGDPR"})))

    multiple = MultipleChoiceQuestion.objects.get()
    assert [c.is_correct for c in multiple.choices.all()] == [True, True, False]
    assert ShortAnswerQuestion.objects.get().accepted() == ["RGPD", "GDPR"]


@pytest.mark.parametrize("fields, message", [
    ({"answers": "Une\nDeux"}, "une seule bonne réponse"),
    ({"answers": "*Une\n*Deux"}, "une seule bonne réponse"),
    ({"answers": "*Une seule"}, "au moins deux réponses"),
    ({"answers": "*Oui\n" + "x" * 501}, "500 caractères au plus"),
    ({"question_type": "numeric"}, "Sélectionnez un choix valide"),
    ({"question_type": "short_answer", "answers": " \n "}, "Champ requis"),
    ({"points": "0"}, "supérieure ou égale à 1"),
    ({"prompt": ""}, "Champ requis"),
])
def test_a_new_question_with_a_mistake_is_shown_again_with_the_reason_and_nothing_saved(trainer_client, fields, message):
    post = {"question_type": "single_choice", "prompt": "Une question ?", "points": "1", "answers": "*Oui\nNon", **fields}

    data = modal(trainer_client.post(CREATE, new_question(post)))

    assert data["step"] == "reshow_creation_form"
    assert message in data["htmlFragment"]
    assert Question.objects.count() == 0


def test_the_creation_tab_links_the_other_types_to_their_own_editor(trainer_client):
    html = modal(trainer_client.get(CHOOSER))["html"]

    assert "Nouvelle question" in html and 'name="new-answers"' in html
    assert "/admin/snippets/quizzes/matchingquestion/add/" in html
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), "the filters and the creation form share the modal: no id twice"
    assert 'value="numeric"' not in html  # not written in the chooser


def chooser_requests(question):
    return [("get", CHOOSER), ("get", RESULTS), ("get", chosen_url(question.pk)),
            ("post", CREATE, new_question({"question_type": "short_answer", "prompt": "Intrus ?", "points": "1",
                                           "answers": "x"}))]


def send(client, method, url, *data):
    return getattr(client, method)(url, *data)


@pytest.mark.parametrize("who", ["anonymous", "learner", "manager"])
def test_anonymous_people_learners_and_managers_are_sent_to_the_admin_login(who):
    question = make_question("single_choice")
    client = Client()
    if who != "anonymous":
        client.force_login(make_user() if who == "learner" else make_manager())

    for method, url, *data in chooser_requests(question):
        response = send(client, method, url, *data)
        assert response.status_code == 302 and "/admin/login/" in response.url, url
    assert Question.objects.count() == 1


def test_an_admin_user_without_question_permissions_is_refused_the_chooser():
    question = make_question("single_choice")
    client = Client()
    client.force_login(make_admin_user())

    for method, url, *data in chooser_requests(question):
        response = send(client, method, url, *data)
        assert response.status_code == 302 and response.url == "/admin/", url  # Wagtail's refusal
    assert Question.objects.count() == 1


def test_a_trainer_who_may_not_add_a_type_cannot_write_it_in_the_chooser(trainer_client):
    group = Group.objects.get(name=TRAINERS_GROUP)
    group.permissions.remove(Permission.objects.get(codename="add_shortanswerquestion"))

    data = modal(trainer_client.post(CREATE, new_question({"question_type": "short_answer", "prompt": "Sigle ?",
                                                           "points": "1", "answers": "RGPD"})))

    assert data["step"] == "reshow_creation_form"
    assert not ShortAnswerQuestion.objects.exists()
    assert 'value="short_answer"' not in modal(trainer_client.get(CHOOSER))["html"]


def test_a_trainer_may_choose_but_not_write_without_any_add_permission(trainer_client):
    group = Group.objects.get(name=TRAINERS_GROUP)
    group.permissions.remove(*Permission.objects.filter(codename__startswith="add_", content_type__app_label="quizzes"))

    html = modal(trainer_client.get(CHOOSER))["html"]

    assert 'name="new-answers"' not in html
    response = trainer_client.post(CREATE, new_question({"question_type": "single_choice", "prompt": "Q ?", "points": "1",
                                                         "answers": "*a\nb"}))
    assert response.status_code == 302 and response.url == "/admin/"
    assert not Question.objects.exists()


def test_the_saved_quiz_keeps_the_questions_chosen_in_their_order(trainer_client):
    # given a quiz and two questions of the bank it does not ask yet
    module = ModulePage.objects.child_of(make_course_with(modules=1, lessons_per_module=0)).get()
    quiz = make_quiz(module, questions=1, title="Quiz à compléter")
    first, second = make_question("true_false"), make_question("ordering")
    kept = quiz.quiz_questions.get()

    # when the trainer saves the quiz with the chooser's values, the new ones first
    form = {
        "title": quiz.title, "slug": quiz.slug, "pass_mark": "70", "feedback_policy": "corrections",
        "shuffle_choices": "on", "estimated_minutes": "5",
        "quiz_questions-TOTAL_FORMS": "3", "quiz_questions-INITIAL_FORMS": "1",
        "quiz_questions-MIN_NUM_FORMS": "1", "quiz_questions-MAX_NUM_FORMS": "1000",
        "quiz_questions-0-id": str(kept.pk), "quiz_questions-0-question": str(kept.question_id),
        "quiz_questions-0-ORDER": "3",
        "quiz_questions-1-id": "", "quiz_questions-1-question": str(second.pk), "quiz_questions-1-ORDER": "1",
        "quiz_questions-2-id": "", "quiz_questions-2-question": str(first.pk), "quiz_questions-2-ORDER": "2",
    }
    response = trainer_client.post(f"/admin/pages/{quiz.pk}/edit/", form)

    # then the draft asks them in that order
    assert response.status_code == 302, response.content.decode()[:3000]
    draft = QuizPage.objects.get(pk=quiz.pk).get_latest_revision_as_object()
    assert [row.question_id for row in draft.quiz_questions.all()] == [second.pk, first.pk, kept.question_id]
