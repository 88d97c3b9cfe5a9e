"""Trainers work the question bank as one: every question of every type in one listing,
a type picked before a new question, a copy of a question, a preview as learners see it."""

import re

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.template.loader import render_to_string
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape

from courses.models import ModulePage
from learners.models import Membership, Organisation
from learners.roles import TRAINERS_GROUP
from quizzes.models import Question, QuizPage, QuizQuestion, SingleChoiceQuestion
from quizzes.selectors import AskedQuestion
from tests.factories import QUESTION_KINDS, add_page, make_admin_user, make_course_with, make_question, make_user

pytestmark = pytest.mark.django_db

BANK = "/admin/banque-de-questions/"
NEW = BANK + "nouvelle/"


def duplicate_url(question):
    return f"{BANK}{question.pk}/dupliquer/"


def preview_url(question):
    return f"{BANK}{question.pk}/apercu/"


def edit_url(question):
    return f"/admin/snippets/quizzes/{type(question)._meta.model_name}/edit/{question.pk}/"


def add_url(model):
    return f"/admin/snippets/quizzes/{model._meta.model_name}/add/"


@pytest.fixture
def module():
    return ModulePage.objects.child_of(make_course_with(modules=1, lessons_per_module=1)).get()


def quiz_asking(module, title, questions):
    ranked = [QuizQuestion(question=question, sort_order=rank) for rank, question in enumerate(questions)]
    return add_page(module, QuizPage, title=title, quiz_questions=ranked)


def one_of_each_type():
    return [make_question(kind) for kind in QUESTION_KINDS]


def page_of(response):
    assert response.status_code == 200, response
    return response.content.decode()


def row_of(page, question):
    """The listing's row of `question` (the one linking to its editor)."""
    rows = [row for row in page.split("<tr")[1:] if edit_url(question) in row]
    assert len(rows) == 1, f"{len(rows)} rows for question {question.pk}"
    return rows[0]


def listed_prompts(page, questions):
    return {question.prompt for question in questions if escape(question.prompt) in page}


def test_the_bank_lists_every_question_of_every_type_each_linking_to_its_own_editor(trainer_client):
    # given a question of each type
    questions = one_of_each_type()

    # when the trainer opens "Toutes les questions"
    page = page_of(trainer_client.get(BANK))

    # then each is listed once, with its type, theme, points, and links to its type's editor and preview
    assert listed_prompts(page, questions) == {question.prompt for question in questions}
    for question in questions:
        row = row_of(page, question)
        assert escape(str(type(question)._meta.verbose_name)) in row
        assert ">2<" in re.sub(r"\s+", "", row)  # the points
        assert preview_url(question) in row and duplicate_url(question) in row
        assert trainer_client.get(edit_url(question)).status_code == 200


def test_the_bank_counts_and_names_the_quizzes_that_use_each_question(trainer_client, module):
    # given a question asked by two quizzes, one by a single quiz and one by none
    shared, single, unused = (make_question("single_choice") for _ in range(3))
    first, second = quiz_asking(module, "Quiz RGPD", [shared, single]), quiz_asking(module, "Quiz crise", [shared])

    page = page_of(trainer_client.get(BANK))

    # then each row says how many quizzes ask it and lists them, each linking to its editor
    shared_row, single_row, unused_row = (row_of(page, question) for question in (shared, single, unused))
    assert "2 quiz" in shared_row and "Quiz RGPD" in shared_row and "Quiz crise" in shared_row
    assert f"/admin/pages/{first.pk}/edit/" in shared_row and f"/admin/pages/{second.pk}/edit/" in shared_row
    assert "1 quiz" in single_row and "Quiz RGPD" in single_row and "Quiz crise" not in single_row
    assert "0 quiz" in unused_row and "Quiz" not in unused_row.replace("0 quiz", "")


def test_the_bank_sorts_by_how_many_quizzes_ask_a_question(trainer_client, module):
    shared, unused = make_question("numeric", prompt="Partagée"), make_question("numeric", prompt="Inutilisée")
    quiz_asking(module, "Un", [shared])
    quiz_asking(module, "Deux", [shared])

    page = page_of(trainer_client.get(BANK, {"ordering": "-usage_count"}))

    assert page.index(edit_url(shared)) < page.index(edit_url(unused))


def test_the_bank_filters_by_type_and_by_theme(trainer_client):
    # given questions of two types and two themes
    rgpd_choice = make_question("single_choice", tag="rgpd")
    crise_choice = make_question("single_choice", tag="crise")
    rgpd_numeric = make_question("numeric", tag="rgpd")
    everything = [rgpd_choice, crise_choice, rgpd_numeric]
    choice_type = str(rgpd_choice.polymorphic_ctype_id)

    # then each filter keeps only its questions, and both together their intersection
    assert listed_prompts(page_of(trainer_client.get(BANK, {"question_type": choice_type})), everything) == {
        rgpd_choice.prompt, crise_choice.prompt}
    assert listed_prompts(page_of(trainer_client.get(BANK, {"tag": "rgpd"})), everything) == {
        rgpd_choice.prompt, rgpd_numeric.prompt}
    both = page_of(trainer_client.get(BANK, {"tag": "rgpd", "question_type": choice_type}))
    assert listed_prompts(both, everything) == {rgpd_choice.prompt}
    # the theme filter offers the themes in use
    assert 'value="crise"' in page_of(trainer_client.get(BANK))


def test_the_bank_searches_prompts_and_themes(trainer_client):
    cookies = make_question("true_false", prompt="Les cookies de mesure d'audience demandent un consentement.")
    tagged = make_question("short_answer", prompt="Quel règlement ?", tag="moderation")
    other = make_question("numeric", prompt="Combien de jours pour répondre ?")
    everything = [cookies, tagged, other]

    assert listed_prompts(page_of(trainer_client.get(BANK, {"q": "COOKIES"})), everything) == {cookies.prompt}
    assert listed_prompts(page_of(trainer_client.get(BANK, {"q": "modéra"})), everything) == set()
    assert listed_prompts(page_of(trainer_client.get(BANK, {"q": "moderation"})), everything) == {tagged.prompt}


def test_an_unknown_filter_value_lists_everything_without_failing(trainer_client):
    question = make_question("ordering")

    page = page_of(trainer_client.get(BANK, {"question_type": "999999", "tag": "<script>", "ordering": "drop"}))

    assert escape(question.prompt) in page and '"<script>"' not in page


def bank_queries(client):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(BANK).status_code == 200
    return len(queries)


def test_the_bank_reads_as_many_queries_for_5_questions_as_for_50(trainer_client, module):
    # given 5 questions asked by a quiz
    questions = [make_question(QUESTION_KINDS[i % len(QUESTION_KINDS)], i) for i in range(5)]
    quiz_asking(module, "Quiz un", questions)
    trainer_client.get(BANK)  # content types and permissions read once
    with_5 = bank_queries(trainer_client)

    # when there are 50, of every type, asked by two quizzes
    more = [make_question(QUESTION_KINDS[i % len(QUESTION_KINDS)], i) for i in range(45)]
    quiz_asking(module, "Quiz deux", questions + more[:20])
    page = page_of(trainer_client.get(BANK))
    assert len(listed_prompts(page, questions + more)) == 50
    with_50 = bank_queries(trainer_client)

    # then the listing reads the same number of queries
    assert with_50 == with_5


def test_new_question_asks_the_type_first_then_opens_its_editor(trainer_client):
    page = page_of(trainer_client.get(NEW))

    for model in Question.types():
        assert escape(str(model._meta.verbose_name).capitalize()) in page
        assert escape(str(model.description)) in page
        assert f'href="{add_url(model)}"' in page
        assert trainer_client.get(add_url(model)).status_code == 200
    # the listing offers it
    assert NEW in page_of(trainer_client.get(BANK))


def test_the_bank_comes_first_in_the_question_bank_menu(trainer_client):
    page = page_of(trainer_client.get("/admin/"))

    assert "Toutes les questions" in page
    assert page.index("Toutes les questions") < page.index("Questions \\u00e0 choix unique")


def option_rows(question):
    """What a question's options hold, without their ids nor question."""
    ignored = {"id", "question", "question_id"}
    return [{key: value for key, value in vars(option).items() if key not in ignored and not key.startswith("_")}
            for option in question.options()]


@pytest.mark.parametrize("kind", QUESTION_KINDS)
def test_a_trainer_duplicates_a_question_of_every_type_with_its_options(trainer_client, module, kind):
    # given a question of this type asked by a quiz
    original = make_question(kind, tag="rgpd", explanation="Parce que.")
    quiz_asking(module, "Quiz", [original])
    original_options = option_rows(original)

    # when the trainer duplicates it
    response = trainer_client.post(duplicate_url(original))

    # then a copy of the same type exists, with the same fields and copies of its options,
    # its prompt marked as a copy, asked by no quiz; and the trainer is in the copy's editor
    copy = Question.objects.exclude(pk=original.pk).get()
    assert type(copy) is type(original)
    assert response.status_code == 302 and response.url == edit_url(copy)
    assert copy.prompt == f"{original.prompt} (copie)"
    assert (copy.points, copy.tag, copy.explanation) == (original.points, original.tag, original.explanation)
    assert option_rows(copy) == original_options
    assert not {option.pk for option in copy.options()} & {option.pk for option in original.options()}
    assert not QuizQuestion.objects.filter(question=copy).exists()
    assert option_rows(Question.objects.get(pk=original.pk)) == original_options
    # and it grades as its own question (an essay: left for a person to score)
    grade = copy.grade(copy.clean_response(copy.example_response(right=True)))
    assert grade.score == (None if copy.graded_by_a_person else copy.max_score)
    assert trainer_client.get(edit_url(copy)).status_code == 200


def test_the_edit_view_offers_duplicate_and_preview_and_duplicate_asks_to_confirm(trainer_client):
    question = make_question("matching")

    edit_page = page_of(trainer_client.get(edit_url(question)))
    confirm_page = page_of(trainer_client.get(duplicate_url(question)))

    assert duplicate_url(question) in edit_page and preview_url(question) in edit_page
    assert 'method="post"' in confirm_page and escape(question.prompt) in confirm_page
    assert Question.objects.count() == 1  # a GET copies nothing


def learner_sees(question):
    """The question as an attempt shows it, first in the quiz."""
    item = AskedQuestion(number=1, question=question, options=question.options())
    return render_to_string("quizzes/includes/asked_question.html", {"item": item})


@pytest.mark.parametrize("kind", QUESTION_KINDS)
def test_the_preview_shows_a_question_of_every_type_as_a_learner_sees_it_and_what_a_right_answer_scores(
    trainer_client, kind
):
    question = Question.objects.get(pk=make_question(kind).pk)  # 2 points

    page = page_of(trainer_client.get(preview_url(question)))

    assert learner_sees(question).strip() in page
    assert "css/passerelle.css" in page
    if question.graded_by_a_person:
        assert "Une personne lit et note chaque réponse, jusqu&#x27;à 2 points." in page
    else:
        assert "Une réponse juste rapporte 2 points." in page
    previewed_form = page.split('class="quiz-form"')[1].split("</form>")[0]
    assert "Envoyer mes réponses" not in page and "csrfmiddlewaretoken" not in previewed_form


def test_the_preview_tells_partial_points_and_a_question_without_right_answer_without_failing(trainer_client):
    odd = make_question("matching", points=3, pairs=[{"left": "A", "right": "1"}, {"left": "B", "right": "2"}])
    wrong_only = make_question("single_choice", choices=[{"text": "Non", "correct": False}, {"text": "Non plus", "correct": False}])

    assert "Une réponse juste rapporte 3 points." in page_of(trainer_client.get(preview_url(odd)))
    page = page_of(trainer_client.get(preview_url(wrong_only)))
    assert "Aucune réponse juste n&#x27;est possible" in page


def test_the_preview_speaks_the_trainers_admin_language(client):
    from wagtail.users.models import UserProfile

    trainer = make_user()
    trainer.groups.add(Group.objects.get(name=TRAINERS_GROUP))
    UserProfile.get_for_user(trainer).__class__.objects.filter(user=trainer).update(preferred_language="en")
    client.force_login(trainer)
    question = make_question("true_false", points=1)

    page = page_of(client.get(preview_url(question)))

    assert "A right answer scores 1 point." in page


def manager():
    person = make_user()
    organisation = Organisation.objects.create(name="Asso", slug="asso")
    Membership.objects.create(user=person, organisation=organisation, role=Membership.Role.MANAGER)
    return person


def bank_urls(question):
    return [("get", BANK), ("get", NEW), ("get", preview_url(question)), ("get", duplicate_url(question)),
            ("post", duplicate_url(question))]


@pytest.mark.parametrize("who", ["learner", "manager"])
def test_learners_and_managers_are_sent_to_the_admin_login_by_every_bank_screen(who):
    question = make_question("single_choice")
    client = Client()
    client.force_login(make_user() if who == "learner" else manager())

    for method, url in bank_urls(question):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and "/admin/login/" in response.url, url
    assert Question.objects.count() == 1


def test_an_admin_user_without_the_bank_permissions_is_refused_every_bank_screen():
    # given someone who reaches the admin but holds no question permission
    question = make_question("single_choice")
    client = Client()
    client.force_login(make_admin_user())

    for method, url in bank_urls(question):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and response.url == "/admin/", url  # Wagtail's refusal
    assert Question.objects.count() == 1
    assert "Toutes les questions" not in page_of(client.get("/admin/"))


def test_a_trainer_may_only_duplicate_types_they_may_add():
    # given a trainer's group missing the right to add single choice questions
    from django.contrib.auth.models import Permission

    group = Group.objects.get(name=TRAINERS_GROUP)
    group.permissions.remove(Permission.objects.get(codename="add_singlechoicequestion"))
    trainer = make_user()
    trainer.groups.add(group)
    client = Client()
    client.force_login(trainer)
    choice, numeric = make_question("single_choice"), make_question("numeric")

    # then the listing offers no duplicate for it, refuses it, and the picker does not offer that type
    page = page_of(client.get(BANK))
    assert duplicate_url(choice) not in row_of(page, choice) and duplicate_url(numeric) in row_of(page, numeric)
    refused = client.post(duplicate_url(choice))
    assert refused.status_code == 302 and refused.url == "/admin/"
    assert add_url(SingleChoiceQuestion) not in page_of(client.get(NEW))
    assert Question.objects.count() == 2


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_trainer_finds_a_question_in_the_bank_previews_it_and_duplicates_it_in_a_browser(browser_page, screenshot):
    from playwright.sync_api import expect

    from tests.accessibility import Audit
    from tests.test_browser import PASSWORD, log_in

    # given a trainer, logged in, and a triage asked by a quiz
    page = browser_page
    trainer = make_user(email="formatrice@example.org", password=PASSWORD)
    trainer.groups.add(Group.objects.get(name=TRAINERS_GROUP))
    course = make_course_with(modules=1, lessons_per_module=0)
    question = make_question("triage", tag="moderation")
    other = make_question("numeric", tag="rgpd")
    quiz_asking(ModulePage.objects.child_of(course).get(), "Quiz modération", [question])
    log_in(page, "formatrice@example.org")

    # when they look for it in the bank
    page.goto(BANK)
    page.locator("#id_q").fill("moderation")
    expect(page.locator("tr", has_text=other.prompt)).to_have_count(0)
    row = page.locator("tr", has_text=question.prompt)
    assert "Quiz modération" in row.inner_text()
    screenshot(page, "1-banque")

    # then its preview is the learner's question, accessible, with what a right answer scores
    audit = Audit(page)
    audit(preview_url(question))
    assert audit.problems == {}
    assert page.get_by_text("Une réponse juste rapporte 2 points.").is_visible()
    assert page.locator(".question select").count() == 4  # a category and an action per comment
    screenshot(page, "2-apercu")

    # and duplicating it from the bank opens the copy's editor
    page.goto(BANK)
    page.locator("tr", has_text=question.prompt).get_by_role("button", name="Dupliquer").click()
    page.wait_for_url("**/edit/**")
    copy = Question.objects.exclude(pk__in=[question.pk, other.pk]).get()
    assert page.url.endswith(edit_url(copy)) and copy.prompt == f"{question.prompt} (copie)"
    screenshot(page, "3-copie")
