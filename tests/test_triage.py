"""A learner takes a moderation triage (quizzes.models.TriageQuestion) through the
attempt form: the two choices per comment, the autosave, the refusals of forged fields,
the grading by a real worker and the correction with its confusion table."""

import re
from decimal import Decimal

import pytest

from courses.models import ModulePage
from quizzes.models import Answer, Attempt, QuizPage, QuizQuestion, TriageComment, TriageQuestion
from tests.factories import add_page, enrolled_client, make_course_with, make_question, make_user
from tests.utils import wait_for

# (text, author, expected category, expected action) of the triage the learner takes
COMMENTS = [
    ("Deux heures d'attente au guichet et personne pour nous renseigner. C'est inadmissible.", "@sami.k",
     "complaint", "reply"),
    ("Encore un post inutile, vous ne servez à rien, allez pleurer ailleurs", "@xXx_le_vrai", "troll", "hide"),
    ("Crédits gratuits pour tous ! Inscrivez-vous sur bit.ly/gratuit-maintenant", "", "spam", "delete"),
    ("Voici le numéro perso de l'agente qui m'a reçu : 06 12 34 56 78, appelez-la !", "@colere77",
     "personal_data", "delete"),
]


def make_triage_quiz(module, **fields):
    question = TriageQuestion(prompt="Sous votre publication de ce matin, triez ces commentaires.", points=4)
    question.comments = [
        TriageComment(text=text, author=author, expected_category=category, expected_action=action,
                      explanation=f"Explication {index}")
        for index, (text, author, category, action) in enumerate(COMMENTS)
    ]
    question.save()
    fields.setdefault("pass_mark", 50)
    quiz = add_page(module, QuizPage, quiz_questions=[QuizQuestion(question=question, sort_order=0)], **fields)
    return quiz, question


def triage_form(question, choices):
    """The attempt form's fields for `choices`, one (category, action) per comment in order."""
    data = {}
    for comment, (category, action) in zip(question.comments.all(), choices):
        data[f"q-{question.pk}-{comment.pk}-category"] = category
        data[f"q-{question.pk}-{comment.pk}-action"] = action
    return data


# right, right, category right and action wrong, category and action wrong: 5 halves of 8
HALF_RIGHT = [("complaint", "reply"), ("troll", "hide"), ("spam", "hide"), ("troll", "escalate")]


def start(client, quiz):
    response = client.post(f"/quiz/{quiz.pk}/commencer/")
    assert response.status_code == 302, response
    return Attempt.objects.get(quiz=quiz)


@pytest.fixture
def triage_setup(client, learner):
    course = make_course_with(modules=1, lessons_per_module=0)
    quiz, question = make_triage_quiz(ModulePage.objects.child_of(course).get())
    enrolled_client(client, learner, course)
    return client, quiz, question


# --- Asked -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_each_comment_is_a_fieldset_quoting_it_with_two_labelled_selects(triage_setup):
    client, quiz, question = triage_setup
    attempt = start(client, quiz)

    html = client.get(f"/quiz/tentatives/{attempt.pk}/").content.decode()

    fieldsets = html.split('<fieldset class="triage-comment">')[1:]
    assert len(fieldsets) == 4
    by_comment = {int(re.search(rf'id="q-{question.pk}-(\d+)-category"', chunk).group(1)): chunk for chunk in fieldsets}
    for comment in question.comments.all():
        chunk = by_comment[comment.pk]
        legend = re.search(r"<legend[^>]*>(.*?)</legend>", chunk, re.S).group(1)
        assert f"« {comment.text.replace(chr(39), '&#x27;')} »" in legend and comment.author in legend
        for part in ("category", "action"):
            name = f"q-{question.pk}-{comment.pk}-{part}"
            assert f'<label for="{name}">' in chunk and f'<select id="{name}" name="{name}">' in chunk
    assert html.count("<option value=\"personal_data\">Fuite de données personnelles</option>") == 4
    assert html.count("<option value=\"report\">Signaler à la plateforme et conserver les preuves</option>") == 4


@pytest.mark.django_db
def test_a_triage_draft_is_autosaved_and_shown_again_selected(triage_setup):
    client, quiz, question = triage_setup
    attempt = start(client, quiz)
    first = question.comments.all()[0]

    response = client.post(f"/quiz/tentatives/{attempt.pk}/brouillon/",
                           {f"q-{question.pk}-{first.pk}-category": "complaint", f"q-{question.pk}-{first.pk}-action": "private"})

    assert response.status_code == 200 and response.json() == {"saved": True}
    attempt.refresh_from_db()
    assert attempt.drafts[str(question.pk)][f"{first.pk}-category"] == "complaint"
    html = client.get(f"/quiz/tentatives/{attempt.pk}/").content.decode()
    assert '<option value="complaint" selected>' in html and '<option value="private" selected>' in html


# --- Refused -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_triage_with_a_comment_left_is_refused_with_a_message_and_nothing_is_stored(triage_setup):
    client, quiz, question = triage_setup
    attempt = start(client, quiz)
    data = triage_form(question, HALF_RIGHT[:3])  # the fourth comment is left

    response = client.post(f"/quiz/tentatives/{attempt.pk}/", data)

    assert response.status_code == 400
    assert "Il manque la catégorie ou l&#x27;action d&#x27;un commentaire : classez chaque commentaire." in response.content.decode()
    assert '<option value="spam" selected>' in response.content.decode()  # what was sent is shown again
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.IN_PROGRESS and not Answer.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("forge", [
    lambda q, other: {f"q-{q.pk}-{other.pk}-category": "spam"},  # a comment of another question
    lambda q, other: {f"q-{q.pk}-18446744073709551646-category": "spam"},  # past 64 bits
    lambda q, other: {f"q-{q.pk}-\u0663\u0660-category": "spam"},  # Arabic-Indic digits
    lambda q, other: {f"q-{q.pk}-{q.comments.all()[0].pk}-tone": "calme"},  # no such part
])
def test_forged_triage_fields_are_refused_whole(triage_setup, forge):
    client, quiz, question = triage_setup
    other = make_question("triage").comments.all()[0]
    attempt = start(client, quiz)
    data = {**triage_form(question, HALF_RIGHT), **forge(question, other)}

    for url in (f"/quiz/tentatives/{attempt.pk}/", f"/quiz/tentatives/{attempt.pk}/brouillon/"):
        response = client.post(url, data)
        assert response.status_code == 400, url

    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.IN_PROGRESS and attempt.drafts == {} and not Answer.objects.exists()


@pytest.mark.django_db
def test_an_unknown_category_is_refused_with_a_message(triage_setup):
    client, quiz, question = triage_setup
    attempt = start(client, quiz)
    data = triage_form(question, [("insulte", "reply"), *HALF_RIGHT[1:]])

    response = client.post(f"/quiz/tentatives/{attempt.pk}/", data)

    assert response.status_code == 400
    assert "Choisissez une catégorie et une action parmi celles proposées." in response.content.decode()
    assert not Answer.objects.exists()


# --- Graded by a real worker, corrected --------------------------------------------------


@pytest.mark.worker
def test_a_learner_triages_and_a_real_worker_grades_it_then_the_correction_shows_the_confusions(
    celery_worker_process, client
):
    # given a learner on a triage quiz whose corrections are shown
    learner = make_user()
    course = make_course_with(modules=1, lessons_per_module=0)
    quiz, question = make_triage_quiz(ModulePage.objects.child_of(course).get())
    enrolled_client(client, learner, course)
    attempt = start(client, quiz)

    # when they send a half-right triage through the form
    response = client.post(f"/quiz/tentatives/{attempt.pk}/", triage_form(question, HALF_RIGHT))
    assert response.status_code == 302

    # then the worker grades it once: 5 halves of 8, of 4 points
    wait_for(lambda: Attempt.objects.get(pk=attempt.pk).status == Attempt.Status.GRADED, timeout=60,
             message="the triage graded by the worker")
    attempt.refresh_from_db()
    assert (attempt.score, attempt.max_score, attempt.percent, attempt.passed, attempt.grade_count) == (
        Decimal("2.50"), Decimal("4.00"), 62, True, 1)
    answer = Answer.objects.get(attempt=attempt)
    assert answer.payload[str(question.comments.all()[3].pk)] == {"category": "troll", "action": "escalate"}

    # and the correction sets each choice beside the expected one, with the confusion table
    html = client.get(f"/quiz/tentatives/{attempt.pk}/resultat/").content.decode()
    assert "2,50 / 4 point(s)" in html
    assert html.count('class="verdict verdict--right"') == 5 and html.count('class="verdict verdict--wrong"') == 3
    assert "votre choix : Troll — attendue : Fuite de données personnelles" in html
    assert "Explication 3" in html
    table = re.search(r'<table class="confusion-table">(.*?)</table>', html, re.S).group(1)
    assert "<caption>Tableau de confusion : catégorie attendue (en ligne) et catégorie choisie (en colonne), " \
           "en nombre de commentaires</caption>" in table
    assert '<th scope="col">Catégorie attendue</th>' in table
    rows = re.findall(r'<tr><th scope="row">(.*?)</th>(.*?)</tr>', table, re.S)
    counts = {label: [int(n) for n in re.findall(r">(\d+)</td>", cells)] for label, cells in rows}
    assert counts == {
        "Réclamation légitime": [1, 0, 0, 0, 0],
        "Troll": [0, 1, 0, 0, 0],
        "Spam": [0, 0, 1, 0, 0],
        "Haine ou contenu illicite": [0, 0, 0, 0, 0],
        "Fuite de données personnelles": [0, 1, 0, 0, 0],
    }


@pytest.mark.django_db
def test_no_triage_correction_nor_confusion_table_where_the_quiz_shows_the_score_only(client, learner):
    from quizzes import services

    course = make_course_with(modules=1, lessons_per_module=0)
    quiz, question = make_triage_quiz(ModulePage.objects.child_of(course).get(),
                                      feedback_policy=QuizPage.FeedbackPolicy.SCORE_ONLY)
    enrolled_client(client, learner, course)
    attempt = start(client, quiz)
    assert client.post(f"/quiz/tentatives/{attempt.pk}/", triage_form(question, HALF_RIGHT)).status_code == 302
    services.grade_submitted_attempt(attempt.pk)

    html = client.get(f"/quiz/tentatives/{attempt.pk}/resultat/").content.decode()

    assert "2,50 sur 4 points, soit 62\xa0%" in html or "2,50 sur 4 points, soit 62 %" in html
    assert "confusion-table" not in html and "triage-review" not in html and "Explication 0" not in html


@pytest.mark.django_db
def test_an_unanswered_triage_is_corrected_with_the_expected_choices_and_no_table(client, learner):
    from quizzes import services

    course = make_course_with(modules=1, lessons_per_module=0)
    quiz, question = make_triage_quiz(ModulePage.objects.child_of(course).get())
    enrolled_client(client, learner, course)
    attempt = start(client, quiz)
    assert client.post(f"/quiz/tentatives/{attempt.pk}/", {"action": "submit"}).status_code == 302
    services.grade_submitted_attempt(attempt.pk)

    html = client.get(f"/quiz/tentatives/{attempt.pk}/resultat/").content.decode()

    assert "pas de réponse" in html and html.count("attendue : ") == 8
    assert "confusion-table" not in html and "verdict" not in html


# --- The demo course ---------------------------------------------------------------------


@pytest.mark.django_db
def test_the_demo_crisis_quiz_asks_one_triage_meeting_every_category_and_reloads_unchanged(demo_course):
    from quizzes.demo import load_quizzes, read_quizzes
    from quizzes.models import TriageCategory
    from quizzes.selectors import load_questions

    # given the demo crisis quiz, as the demo loader wrote it
    quiz = QuizPage.objects.descendant_of(demo_course).get(slug="quiz-gestion-de-crise")
    questions = load_questions(quiz.question_ids())
    triages = [question for question in questions if type(question) is TriageQuestion]

    # then it holds one triage among its ten questions, of five or six comments meeting every category
    assert len(questions) == 10 and len(triages) == 1
    triage = triages[0]
    comments = list(triage.comments.all())
    assert 5 <= len(comments) <= 6 and {c.expected_category for c in comments} == set(TriageCategory.values)
    assert all(c.text.strip() and c.explanation.strip() for c in comments)
    assert "Solane Restauration" in triage.prompt

    # and the demo learners' answers grade as they are meant to
    right, wrong = (triage.clean_response(triage.example_response(answer)) for answer in (True, False))
    assert triage.grade(right).score == triage.max_score and triage.grade(wrong).score == 0

    # and loading the demo again leaves the comments as they were (attempts keep their ids)
    ids = [c.pk for c in comments]
    assert load_quizzes(demo_course, read_quizzes())["updated"] == 0
    assert list(TriageQuestion.objects.get(pk=triage.pk).comments.values_list("pk", flat=True)) == ids
