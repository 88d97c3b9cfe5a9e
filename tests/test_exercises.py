"""Exercises that give something back (issue 10): under an "À vous de jouer" with a
model answer or a checklist, an enrolled learner types their answer, says they are done,
then compares it with the model answer and ticks the criteria (learners.exercises)."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from courses.blocks import EXERCISE_ANSWER_MAX_LENGTH
from courses.selectors import course_of
from learners import data_rights
from learners.models import StepProgress
from tests.factories import enrolled_client, make_course, make_lesson, make_module, make_user

pytestmark = pytest.mark.django_db

EXERCISE_ID = "6f1c3b8e-2d4a-4c1e-9b7a-0a1b2c3d4e5f"
PLAIN_EXERCISE_ID = "0b9d8c7e-1111-4c1e-9b7a-0a1b2c3d4e5f"
MODEL_ANSWER = "Seuls le nom et la photo restent publics"


def exercise_block(block_id=EXERCISE_ID, model_answer=f"<p>{MODEL_ANSWER}.</p>", checklist=("Profil vu comme un inconnu", "Date de naissance masquée")):
    return {"type": "exercise", "id": block_id, "value": {
        "title": "À vous de jouer",
        "instructions": "<p>Auditez votre compte.</p>",
        "steps": ["Ouvrez les paramètres"],
        "model_answer": model_answer,
        "checklist": list(checklist),
    }}


def course_with_exercise(**fields):
    """A course of two lessons; the first ends with an exercise that gives feedback and
    one that does not."""
    course = make_course(**fields)
    module = make_module(course)
    lesson = make_lesson(module, body=[
        {"type": "paragraph", "value": "<p>Le texte de la leçon.</p>"},
        exercise_block(),
        exercise_block(PLAIN_EXERCISE_ID, model_answer="", checklist=()),
    ])
    make_lesson(module)
    return course, lesson


def finish_url(lesson, block_id=EXERCISE_ID):
    return f"/comptes/etapes/{lesson.pk}/exercices/{block_id}/terminer/"


def assess_url(lesson, block_id=EXERCISE_ID):
    return f"/comptes/etapes/{lesson.pk}/exercices/{block_id}/criteres/"


def stored(user, lesson):
    row = StepProgress.objects.filter(user=user, step_id=lesson.pk).first()
    return row.exercises if row is not None else {}


@pytest.fixture
def lesson_and_client(client, learner):
    course, lesson = course_with_exercise()
    enrolled_client(client, learner, course)
    return lesson, client


# --- Doing the exercise ------------------------------------------------------------------


def test_saying_done_stores_the_answer_as_typed_and_returns_to_the_exercise(lesson_and_client, learner):
    # given
    lesson, client = lesson_and_client
    client.get(lesson.url)
    answer = "Ma date de naissance était publique <b>& visible</b>.\nJe l'ai masquée."

    # when
    response = client.post(finish_url(lesson), {"answer": answer})

    # then
    assert response.status_code == 302
    assert response["Location"] == f"{lesson.url}#exercice-{EXERCISE_ID}"
    state = stored(learner, lesson)[EXERCISE_ID]
    assert state["answer"] == answer and state["done_at"] and state["checked"] == []


def test_the_model_answer_is_absent_before_and_shown_beside_the_escaped_answer_after(lesson_and_client):
    lesson, client = lesson_and_client

    before = client.get(lesson.url).content.decode()
    assert MODEL_ANSWER not in before
    assert "J'ai terminé : comparer" in before
    assert f'id="exercice-{EXERCISE_ID}"' in before
    assert 'name="answer"' in before and f'maxlength="{EXERCISE_ANSWER_MAX_LENGTH}"' in before
    assert before.count('name="answer"') == 1  # the exercise without feedback gets no form

    client.post(finish_url(lesson), {"answer": "<script>alert(1)</script>"})
    after = client.get(lesson.url).content.decode()

    assert MODEL_ANSWER in after
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in after and "<script>alert(1)" not in after
    assert 'name="criterion"' in after and "Date de naissance masquée" in after
    assert 'name="answer"' not in after and "<@" not in after


def test_saying_done_twice_keeps_the_first_answer(lesson_and_client, learner):
    lesson, client = lesson_and_client
    client.post(finish_url(lesson), {"answer": "Première"})
    first = stored(learner, lesson)[EXERCISE_ID]

    client.post(finish_url(lesson), {"answer": "Seconde"})

    assert stored(learner, lesson)[EXERCISE_ID] == first


def test_an_empty_answer_is_allowed(lesson_and_client, learner):
    lesson, client = lesson_and_client

    assert client.post(finish_url(lesson), {}).status_code == 302

    assert stored(learner, lesson)[EXERCISE_ID]["answer"] == ""
    assert "Vous n'avez pas écrit de réponse." in client.get(lesson.url).content.decode()


def test_ticking_criteria_stores_them_and_shows_them_ticked(lesson_and_client, learner):
    lesson, client = lesson_and_client
    client.post(finish_url(lesson), {"answer": "Fait"})

    response = client.post(assess_url(lesson), {"criterion": ["1"]})

    assert response.status_code == 302 and response["Location"].endswith(f"#exercice-{EXERCISE_ID}")
    assert stored(learner, lesson)[EXERCISE_ID]["checked"] == [1]
    html = client.get(lesson.url).content.decode()
    assert f'id="criterion-{EXERCISE_ID}-1" name="criterion" value="1" checked' in html
    assert f'id="criterion-{EXERCISE_ID}-0" name="criterion" value="0">' in html
    assert "1 critère rempli sur 2" in html

    client.post(assess_url(lesson), {})  # nothing ticked any more
    assert stored(learner, lesson)[EXERCISE_ID]["checked"] == []


# --- Refusals: a message, nothing written ---------------------------------------------------


def test_an_anonymous_visitor_is_sent_to_log_in_and_nothing_is_stored(learner):
    _course, lesson = course_with_exercise()

    response = Client().post(finish_url(lesson), {"answer": "Anonyme"})

    assert response.status_code == 302 and "/connexion/" in response["Location"]
    assert not StepProgress.objects.exists()


def test_an_anonymous_visitor_sees_the_invitation_to_enrol_and_no_model_answer():
    _course, lesson = course_with_exercise()

    html = Client().get(lesson.url).content.decode()

    assert MODEL_ANSWER not in html and 'name="answer"' not in html
    assert "Créez un compte ou connectez-vous" in html


def test_a_learner_not_enrolled_is_refused(client, learner):
    _course, lesson = course_with_exercise()
    client.force_login(learner)

    response = client.post(finish_url(lesson), {"answer": "Pas inscrit"})

    assert response.status_code == 403
    assert "Inscrivez-vous à la formation" in response.content.decode()
    assert not StepProgress.objects.filter(user=learner).exists()


def test_a_learner_enrolled_in_another_course_is_refused(client, learner):
    other_course, _other_lesson = course_with_exercise()
    _course, lesson = course_with_exercise()
    enrolled_client(client, learner, other_course)

    response = client.post(finish_url(lesson), {"answer": "Autre formation"})

    assert response.status_code == 403
    assert stored(learner, lesson) == {}


@pytest.mark.parametrize("block_id", ["00000000-0000-4000-8000-000000000000", PLAIN_EXERCISE_ID])
def test_a_forged_block_id_or_an_exercise_without_feedback_is_refused(lesson_and_client, learner, block_id):
    lesson, client = lesson_and_client
    client.get(lesson.url)

    response = client.post(finish_url(lesson, block_id), {"answer": "Forgé"})

    assert response.status_code == 404
    assert "Cet exercice n&#x27;existe pas dans cette leçon." in response.content.decode()
    assert stored(learner, lesson) == {}


def test_an_answer_over_the_limit_is_refused_with_a_message(lesson_and_client, learner):
    lesson, client = lesson_and_client
    client.get(lesson.url)

    response = client.post(finish_url(lesson), {"answer": "x" * (EXERCISE_ANSWER_MAX_LENGTH + 1)})

    assert response.status_code == 400
    assert "Votre réponse dépasse" in response.content.decode()
    assert stored(learner, lesson) == {}
    assert client.post(finish_url(lesson), {"answer": "x" * EXERCISE_ANSWER_MAX_LENGTH}).status_code == 302


def test_a_get_writes_nothing(lesson_and_client, learner):
    lesson, client = lesson_and_client
    client.get(lesson.url)

    with CaptureQueriesContext(connection) as queries:
        assert client.get(finish_url(lesson)).status_code == 405
        assert client.get(assess_url(lesson), {"criterion": "0"}).status_code == 405

    assert stored(learner, lesson) == {}
    assert all(query["sql"].startswith("SELECT") for query in queries.captured_queries)


def test_ticking_before_saying_done_or_a_criterion_that_does_not_exist_is_refused(lesson_and_client, learner):
    lesson, client = lesson_and_client
    client.get(lesson.url)

    assert client.post(assess_url(lesson), {"criterion": ["0"]}).status_code == 400
    assert stored(learner, lesson) == {}

    client.post(finish_url(lesson), {"answer": "Fait"})
    for forged in ("2", "-1", "deux"):
        response = client.post(assess_url(lesson), {"criterion": ["0", forged]})
        assert response.status_code == 400, forged
    assert stored(learner, lesson)[EXERCISE_ID]["checked"] == []


def test_a_step_still_locked_in_a_sequential_course_is_refused(client, learner):
    course = make_course(sequential=True)
    module = make_module(course)
    make_lesson(module)
    locked = make_lesson(module, body=[exercise_block()])
    enrolled_client(client, learner, course)

    response = client.post(finish_url(locked), {"answer": "Trop tôt"})

    assert response.status_code == 403
    assert stored(learner, locked) == {}


# --- Per learner, through the shared page shell, at the same cost ---------------------------


def test_two_learners_never_see_each_other_s_answer_through_the_shell(lesson_and_client, learner):
    lesson, first_client = lesson_and_client
    first_client.post(finish_url(lesson), {"answer": "La réponse secrète de Camille"})
    first_html = first_client.get(lesson.url).content.decode()  # keeps the shell for this page
    other = make_user()
    other_client = enrolled_client(Client(), other, course_of(lesson))

    other_html = other_client.get(lesson.url).content.decode()
    first_again = first_client.get(lesson.url).content.decode()

    assert "La réponse secrète de Camille" in first_html and MODEL_ANSWER in first_html
    assert "La réponse secrète de Camille" not in other_html and MODEL_ANSWER not in other_html
    assert 'name="answer"' in other_html
    assert "La réponse secrète de Camille" in first_again


def test_a_warm_lesson_page_with_a_finished_exercise_still_runs_two_queries(lesson_and_client):
    lesson, client = lesson_and_client
    client.post(finish_url(lesson), {"answer": "Fait"})
    client.post(assess_url(lesson), {"criterion": ["0"]})
    assert client.get(lesson.url).status_code == 200

    with CaptureQueriesContext(connection) as queries:
        html = client.get(lesson.url).content.decode()

    # the session with its person and the token, the enrolment with its progress rows and
    # this step's exercises
    assert len(queries) == 2, [query["sql"] for query in queries.captured_queries]
    assert MODEL_ANSWER in html


def test_the_lesson_rendered_whole_shows_the_learner_s_work_too(lesson_and_client):
    # A query string renders the page whole, not from the shell.
    lesson, client = lesson_and_client
    client.post(finish_url(lesson), {"answer": "Rendue entière"})

    html = client.get(lesson.url, {"x": "1"}).content.decode()

    assert "Rendue entière" in html and MODEL_ANSWER in html and "<@" not in html


# --- Learner data rights ------------------------------------------------------------------


def test_the_export_holds_the_answers_and_deleting_the_account_erases_them(lesson_and_client, learner):
    lesson, client = lesson_and_client
    client.post(finish_url(lesson), {"answer": "Ma réponse personnelle"})
    client.post(assess_url(lesson), {"criterion": ["0"]})

    data = data_rights.personal_data(learner)
    rows = [row for row in data["step_progress"] if row["exercises"]]
    assert len(rows) == 1
    assert rows[0]["exercises"][EXERCISE_ID]["answer"] == "Ma réponse personnelle"
    assert rows[0]["exercises"][EXERCISE_ID]["checked"] == [0]

    data_rights.delete_account(user=learner)

    assert StepProgress.objects.filter(step_id=lesson.pk).count() == 1  # the counts are kept
    assert StepProgress.objects.get(step_id=lesson.pk).exercises == {}
