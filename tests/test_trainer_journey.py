"""A trainer's whole journey, in headless Chromium with a real Celery worker: a GIFT file
imported into the bank, a quiz built from it under a demo module and published, taken
by a learner, the learner's essay reviewed, the quiz's item statistics read."""

import re

import pytest
from django.contrib.auth.models import Group

from courses.models import ModulePage
from learners import progress
from learners.models import Notice
from learners.roles import TRAINERS_GROUP
from quizzes.models import Attempt, EssayQuestion, QuizPage, QuizStatistics, SingleChoiceQuestion, TrueFalseQuestion
from tests.factories import make_user
from tests.test_browser import PASSWORD, log_in
from tests.utils import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

GIFT = """// Questions written by a trainer for the crisis module
$CATEGORY: $course$/top/crise-parcours

::Premier réflexe::Une rumeur grossit sur vos réseaux : que publiez-vous en premier ? {
=Un message d'attente qui dit ce que vous vérifiez#C'est le premier réflexe.
~%50%Un démenti, si vous êtes sûr·e des faits#Utile, mais seulement une fois les faits vérifiés.
~Rien, en attendant que ça passe#Le silence laisse la rumeur s'installer.
}

::Supprimer::Supprimer les commentaires critiques calme une crise. {FALSE#Faux : cela nourrit la crise.}

::Votre message::Rédigez en trois phrases le message d'attente de votre organisation. {}
"""

QUIZ_TITLE = "Quiz du parcours formateur"


def trainer_in_browser(page):
    trainer = make_user(email="formatrice@example.org", password=PASSWORD, first_name="Nadia", last_name="Formatrice")
    trainer.groups.add(Group.objects.get(name=TRAINERS_GROUP))
    log_in(page, trainer.email)
    return trainer


def import_gift(page, tmp_path, screenshot):
    gift_file = tmp_path / "crise.gift"
    gift_file.write_text(GIFT, encoding="utf-8")
    page.goto("/admin/banque-de-questions/")
    page.get_by_role("link", name="Importer (GIFT)").first.click()
    page.get_by_label("Fichier GIFT").set_input_files(str(gift_file))
    page.get_by_role("button", name="Voir l'aperçu").click()
    page.get_by_role("heading", name="Les questions, comme les apprenants les verront").wait_for()
    screenshot(page, "1-apercu-gift")
    page.get_by_role("button", name="Importer 3 questions").click()
    page.get_by_text("3 questions").first.wait_for()
    screenshot(page, "2-import")


def choose(page, row, prompt):
    """Open the chooser of question row `row` and pick the question whose prompt is `prompt`."""
    chooser = page.locator(f"#id_quiz_questions-{row}-question-chooser")
    chooser.get_by_role("button", name=re.compile("Choisir une question")).first.click()
    modal = page.locator(".modal-dialog")
    modal.get_by_label("Rechercher").fill(prompt[:30])
    modal.get_by_role("link", name=prompt).click()
    modal.wait_for(state="hidden")


def build_and_publish_quiz(page, module, screenshot):
    page.goto(f"/admin/pages/add/quizzes/quizpage/{module.pk}/")
    page.get_by_role("textbox", name=re.compile("^Titre")).first.fill(QUIZ_TITLE)
    prompts = [SingleChoiceQuestion.objects.get(tag="crise-parcours").prompt,
               TrueFalseQuestion.objects.get(tag="crise-parcours").prompt,
               EssayQuestion.objects.get(tag="crise-parcours").prompt]
    for row, prompt in enumerate(prompts):
        if row:
            page.locator("#id_quiz_questions-ADD").click()
        choose(page, row, prompt)
    screenshot(page, "3-quiz")
    page.get_by_role("button", name="Plus d'actions").click()
    page.get_by_role("button", name="Publier").click()
    page.wait_for_url(f"**/admin/pages/{module.pk}/")
    return QuizPage.objects.get(title=QUIZ_TITLE)


def test_a_trainer_imports_builds_publishes_reviews_and_reads_the_statistics(
    browser_page, demo_course, celery_worker_process, screenshot, tmp_path
):
    page = browser_page
    crisis = ModulePage.objects.get(theme=ModulePage.Theme.CRISIS)
    learner = make_user(email="apprenant@example.org", password=PASSWORD, first_name="Lou")
    progress.enroll(user=learner, course=demo_course)

    # the trainer imports a GIFT file into the bank, after its preview
    trainer_in_browser(page)
    import_gift(page, tmp_path, screenshot)
    assert EssayQuestion.objects.filter(tag="crise-parcours").count() == 1

    # builds a quiz of its three questions under the crisis module, and publishes it
    quiz = build_and_publish_quiz(page, crisis, screenshot)
    assert quiz.live and quiz.question_ids() == [
        model.objects.get(tag="crise-parcours").pk for model in (SingleChoiceQuestion, TrueFalseQuestion, EssayQuestion)
    ]

    # a learner takes it: the essay waits for a person, the rest is graded by the worker
    page.context.clear_cookies()
    log_in(page, learner.email)
    page.goto(quiz.url)
    page.get_by_role("button", name="Commencer le quiz").click()
    page.get_by_label("Un message d'attente qui dit ce que vous vérifiez").check()
    page.get_by_role("group", name=re.compile("Supprimer les commentaires")).get_by_label("Faux").check()
    page.get_by_label("Votre réponse rédigée").fill(
        "Nous avons vu les messages. Nous vérifions les faits. Nous revenons vers vous à 16 h.")
    screenshot(page, "4-tentative")
    page.get_by_role("button", name="Envoyer mes réponses").click()
    page.get_by_role("heading", name="En attente de relecture").wait_for(timeout=60_000)
    attempt = Attempt.objects.get(user=learner, quiz=quiz)
    assert attempt.status == Attempt.Status.NEEDS_REVIEW
    screenshot(page, "5-en-attente")

    # the trainer reviews the essay from the queue
    page.context.clear_cookies()
    log_in(page, "formatrice@example.org")
    page.goto("/admin/relectures/")
    page.get_by_role("link", name=re.compile(QUIZ_TITLE)).first.click()
    page.get_by_label("Note").fill("1")
    page.get_by_label("Commentaire pour l'apprenant·e").fill("Clair et daté ; citez aussi où suivre les nouvelles.")
    screenshot(page, "6-relecture")
    page.get_by_role("button", name="Enregistrer la relecture").click()
    page.get_by_text("Relecture enregistrée.").wait_for()

    # the worker finalises the attempt: 3 of 3 points, passed; the learner is told
    wait_for(lambda: Attempt.objects.get(pk=attempt.pk).status == Attempt.Status.GRADED, timeout=60)
    attempt.refresh_from_db()
    assert (attempt.score, attempt.percent, attempt.passed) == (3, 100, True)
    assert Notice.objects.filter(user=learner).count() == 1

    # and reads the quiz's item statistics, computed by the worker when asked
    page.goto(f"/admin/quiz/{quiz.pk}/statistiques/")
    page.get_by_role("button", name="Recalculer maintenant").click()
    wait_for(lambda: QuizStatistics.objects.filter(quiz=quiz, attempts=1).exists(), timeout=60,
             message="the item statistics computed")
    page.goto(f"/admin/quiz/{quiz.pk}/statistiques/")
    assert page.get_by_text("Premier réflexe").or_(page.get_by_text("Une rumeur grossit")).first.is_visible()
    screenshot(page, "7-statistiques")
