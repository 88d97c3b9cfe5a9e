"""Trainers build the question bank and quizzes in the Wagtail admin."""

import json
import re
from decimal import Decimal

import pytest
from wagtail.test.utils.form_data import rich_text

from courses.models import ModulePage
from quizzes.models import (
    EssayQuestion,
    MatchingQuestion,
    MultipleChoiceQuestion,
    NumericQuestion,
    OrderingQuestion,
    Question,
    QuizPage,
    ShortAnswerQuestion,
    SingleChoiceQuestion,
    TriageQuestion,
    TrueFalseQuestion,
)
from tests.factories import make_course_with, make_user
from tests.utils import inline_panel as inline

pytestmark = pytest.mark.django_db


def common(prompt, **fields):
    return {"prompt": prompt, "points": "2", "tag": "test", "explanation": "Parce que.", **fields}


CHOICES = [{"text": "Oui", "is_correct": "on", "feedback": "Bien."}, {"text": "Non", "feedback": "Hélas."}]
# The admin form of a question of each type (Question.types()).
ADMIN_FORMS = dict([
    (SingleChoiceQuestion, common("Choix unique ?", **inline("choices", CHOICES))),
    (MultipleChoiceQuestion, common("Choix multiple ?", **inline("choices", CHOICES + [{"text": "Aussi", "is_correct": "on"}]))),
    (TrueFalseQuestion, common("Vrai ou faux ?", answer="on", feedback_true="Oui", feedback_false="Non")),
    (ShortAnswerQuestion, common("Réponse courte ?", accepted_answers="RGPD\nGDPR", **inline("weighted_answers", []))),
    (NumericQuestion, common("Combien ?", answer="72", tolerance="0", **inline("other_answers", []))),
    (MatchingQuestion, common("Associez", **inline("pairs", [{"left": "A", "right": "1"}, {"left": "B", "right": "2"}]))),
    (OrderingQuestion, common("Ordonnez", **inline("items", [{"text": "Un"}, {"text": "Deux"}, {"text": "Trois"}]))),
    (TriageQuestion, common("Triez ces commentaires", **inline("comments", [
        {"text": "Mon colis est arrivé ouvert.", "author": "", "expected_category": "complaint",
         "expected_action": "private", "explanation": "On règle le cas en privé."},
        {"text": "Achetez des abonnés pas chers !", "author": "@bot42", "expected_category": "spam",
         "expected_action": "delete", "explanation": ""},
    ]))),
    (EssayQuestion, common("Rédigez votre réponse à ce commentaire", word_limit="120",
                           rubric="Ton courtois, excuse, solution proposée.")),
])


def add_url(model):
    return f"/admin/snippets/quizzes/{model._meta.model_name}/add/"


@pytest.mark.parametrize("model, weights, message", [
    (SingleChoiceQuestion, ["50", "0"], "Aucune réponse ne vaut 100 % : il en faut une pour obtenir tous les points."),
    (MultipleChoiceQuestion, ["50", "30"], "Les poids positifs font 80 % au lieu de 100 %."),
], ids=["single", "multiple"])
def test_weights_that_cannot_give_all_the_points_are_refused_in_the_editor(trainer_client, model, weights, message):
    rows = [{"text": text, "weight": weight} for text, weight in zip(["Oui", "Non"], weights)]

    response = trainer_client.post(add_url(model), common("Pesée ?", **inline("choices", rows)))

    assert response.status_code == 200 and message in response.content.decode()
    assert not model.objects.exists()
    # weights that give all the points are saved, and grade the question
    rows[0]["weight"], rows[1]["weight"] = "100", "-50"
    response = trainer_client.post(add_url(model), common("Pesée ?", **inline("choices", rows)))
    assert response.status_code == 302 and model.objects.get().is_weighted()


@pytest.mark.parametrize("model", Question.types(), ids=lambda model: model.__name__)
def test_a_trainer_creates_every_question_type_with_its_options(trainer_client, model):
    data = ADMIN_FORMS[model]
    assert trainer_client.get(add_url(model)).status_code == 200

    response = trainer_client.post(add_url(model), data)

    assert response.status_code == 302, response.context["form"].errors if response.context else response
    question = model.objects.get()
    assert question.prompt == data["prompt"] and question.points == 2
    assert trainer_client.get(f"/admin/snippets/quizzes/{model._meta.model_name}/edit/{question.pk}/").status_code == 200
    assert trainer_client.get(f"/admin/snippets/quizzes/{model._meta.model_name}/").status_code == 200


def test_a_trainer_builds_a_quiz_from_the_bank(trainer_client):
    for model in Question.types():
        trainer_client.post(add_url(model), ADMIN_FORMS[model])
    questions = list(Question.objects.order_by("pk"))
    assert len(questions) == len(Question.types())
    course = make_course_with(modules=1, lessons_per_module=1)
    module = ModulePage.objects.child_of(course).get()
    url = f"/admin/pages/add/quizzes/quizpage/{module.pk}/"
    assert trainer_client.get(url).status_code == 200

    data = {
        "title": "Quiz du module", "slug": "quiz-du-module", "intro": rich_text("<p>Dix questions.</p>"), "pass_mark": "60", "max_attempts": "3",
        "time_limit_minutes": "", "shuffle_choices": "on", "feedback_policy": "corrections", "estimated_minutes": "10",
        "action-publish": "publish",
        **inline("quiz_questions", [{"question": str(q.pk)} for q in reversed(questions)]),
    }
    response = trainer_client.post(url, data)

    assert response.status_code == 302, response.content.decode()[:3000]
    quiz = QuizPage.objects.get()
    assert quiz.live and quiz.max_attempts == 3
    assert quiz.question_ids() == [q.pk for q in reversed(questions)]


def test_a_trainer_writes_a_triage_with_its_comments_and_reads_the_grading_rule(trainer_client):
    # given the add form, which states how a triage is graded
    page = trainer_client.get(add_url(TriageQuestion)).content.decode()
    assert "la bonne catégorie rapporte la moitié de sa part des points, la bonne action l&#x27;autre moitié" in page
    assert "Haine ou contenu illicite" in page and "Signaler à la plateforme et conserver les preuves" in page

    # when the trainer saves a triage of two comments
    data = dict(ADMIN_FORMS[TriageQuestion])
    response = trainer_client.post(add_url(TriageQuestion), data)

    # then it is in the bank with its comments, in order, and grades as the rule says
    assert response.status_code == 302
    question = TriageQuestion.objects.get()
    comments = list(question.comments.all())
    assert [(c.text, c.author, c.expected_category, c.expected_action) for c in comments] == [
        ("Mon colis est arrivé ouvert.", "", "complaint", "private"),
        ("Achetez des abonnés pas chers !", "@bot42", "spam", "delete"),
    ]
    first, second = (str(c.pk) for c in comments)
    answer = question.clean_response({f"{first}-category": "complaint", f"{first}-action": "reply",
                                      f"{second}-category": "spam", f"{second}-action": "delete"})
    assert question.grade(answer).score == Decimal("1.50")  # 2 points: 3 halves of 4


def test_a_triage_refuses_an_unknown_category_in_the_admin(trainer_client):
    data = dict(ADMIN_FORMS[TriageQuestion])
    data["comments-0-expected_category"] = "insulte"

    response = trainer_client.post(add_url(TriageQuestion), data)

    assert response.status_code == 200 and not TriageQuestion.objects.exists()


def test_a_learner_cannot_reach_the_question_bank(client):
    client.force_login(make_user())
    response = client.get(add_url(SingleChoiceQuestion))
    assert response.status_code == 302 and "/admin/login/" in response.url


def test_the_question_bank_menu_speaks_the_language_of_the_admin(trainer_client, settings):
    def menu_labels(language):
        """The labels of the admin's sidebar menu (JSON in the page) in `language`."""
        trainer_client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        html = trainer_client.get("/admin/").content.decode()
        return {json.loads(label) for label in re.findall(r'"label": ("(?:[^"\\]|\\.)*")', html)}

    # given the admin shown in French, then in English, then in French again, in one process
    french, english, french_again = menu_labels("fr"), menu_labels("en"), menu_labels("fr")

    # then each time the bank and its question types are named in that language
    assert {"Banque de questions", "Questions à choix unique", "Questions de tri de modération"} <= french
    assert {"Question bank", "Single-choice questions", "Moderation triage questions"} <= english
    assert "Questions à choix unique" not in english and "Single-choice questions" not in french_again
    assert french_again == french
