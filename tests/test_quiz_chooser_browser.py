"""A trainer picks a quiz's question in the chooser modal, then writes a new one there,
in headless Chromium: the modal's own JavaScript, not only its URLs."""

import pytest
from django.contrib.auth.models import Group

from courses.models import ModulePage
from learners.roles import TRAINERS_GROUP
from quizzes.models import SingleChoiceQuestion
from tests.factories import make_course_with, make_question, make_quiz, make_user
from tests.test_browser import PASSWORD, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_trainer_chooses_a_question_then_writes_one_in_the_chooser(browser_page, screenshot):
    page = browser_page
    trainer = make_user(email="formatrice@example.org", password=PASSWORD)
    trainer.groups.add(Group.objects.get(name=TRAINERS_GROUP))
    quiz = make_quiz(ModulePage.objects.child_of(make_course_with(modules=1, lessons_per_module=0)).get(), questions=1)
    wanted = make_question("numeric", prompt="Combien de jours pour répondre à une demande d'accès ?", tag="rgpd")
    log_in(page, trainer.email)

    # the quiz editor: its question row opens the chooser
    page.goto(f"/admin/pages/{quiz.pk}/edit/")
    row_chooser = page.locator("#id_quiz_questions-0-question-chooser")

    def choose_another():
        row_chooser.get_by_role("button", name="Actions").click()
        row_chooser.get_by_role("button", name="Choisir une autre question").click()

    choose_another()
    modal = page.locator(".modal-dialog")
    modal.get_by_role("heading", name="Choisir une question").wait_for()
    screenshot(page, "1-chooser")

    # searched, the question is listed with its type and chosen with a click
    modal.get_by_label("Rechercher").fill("demande d'accès")
    modal.get_by_role("link", name=wanted.prompt).wait_for()
    assert modal.locator("#search-results td", has_text="réponse numérique").is_visible()
    modal.get_by_role("link", name=wanted.prompt).click()
    modal.wait_for(state="hidden")
    chooser_input = page.locator("input[name='quiz_questions-0-question']")
    assert chooser_input.input_value() == str(wanted.pk)
    assert row_chooser.locator("[data-chooser-title]").inner_text() == str(wanted)

    # "Nouvelle question": written in the modal, saved and chosen
    choose_another()
    modal.get_by_role("tab", name="Nouvelle question").click()
    tab = modal.get_by_role("tabpanel", name="Nouvelle question")
    tab.get_by_label("Type").select_option("single_choice")
    tab.get_by_label("Énoncé").fill("Qui décide des finalités d'un traitement ?")
    tab.get_by_label("Réponses").fill("*Le responsable de traitement\nLe sous-traitant")
    screenshot(page, "2-nouvelle-question")
    tab.get_by_role("button", name="Créer et choisir").click()
    modal.wait_for(state="hidden")
    created = SingleChoiceQuestion.objects.get(prompt="Qui décide des finalités d'un traitement ?")
    assert chooser_input.input_value() == str(created.pk)
    screenshot(page, "3-choisie")
