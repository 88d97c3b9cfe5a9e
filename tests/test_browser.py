"""Journeys a person makes, in headless Chromium (Playwright)."""

import re
from pathlib import Path

import pytest
from django.conf import settings

from courses.blocks import feedback_exercises
from courses.models import LessonPage, ModulePage
from courses.scenarios import ScenarioPage
from courses.selectors import course_outline
from learners import exercises, progress
from learners.models import Certificate, User
from quizzes.models import QuizPage
from tests.factories import make_user, pass_quiz
from tests.accessibility import Audit
from tests.keyboard import press_enter_and_wait, tab_to, tab_to_button, tab_to_text
from tests.scenario_factories import play_expert_path

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
PASSWORD = "un-mot-de-passe-solide"


def log_in(page, email, password=PASSWORD):
    """Log in through the login form and wait for the home page."""
    page.goto("/comptes/connexion/")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("main").get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/")


def progress_value(page):
    return int(page.locator("progress").first.get_attribute("value"))


def test_a_visitor_reaches_a_crisis_lesson_and_moves_to_the_next(browser_page, demo_course, screenshot):
    page = browser_page
    make_user(email="visiteur@example.org", password=PASSWORD)
    crisis = ModulePage.objects.get(theme=ModulePage.Theme.CRISIS)
    first_lesson, second_lesson = course_outline(demo_course).module(crisis).steps[:2]

    # the home page lists the course
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "fr"
    screenshot(page, "1-accueil")
    page.get_by_role("link", name=demo_course.title).click()

    # the course page shows its modules, including crisis management
    page.wait_for_url(f"**{demo_course.url}")
    assert page.get_by_role("heading", level=1).inner_text() == demo_course.title
    screenshot(page, "2-formation")

    # a crisis lesson asks the visitor to log in, then to enrol
    page.get_by_role("main").get_by_role("link", name=first_lesson.title).first.click()
    page.wait_for_url(f"**{first_lesson.url}")
    assert page.get_by_text("Créez un compte ou connectez-vous").is_visible()
    page.get_by_role("main").get_by_role("link", name="Se connecter").click()
    page.get_by_label("Adresse e-mail").fill("visiteur@example.org")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"**{first_lesson.url}")
    page.get_by_role("button", name="S'inscrire à la formation").click()
    page.goto(first_lesson.url)

    # the lesson shows breadcrumbs, the exercise and a link to the next step
    assert page.get_by_role("heading", level=1).inner_text() == first_lesson.title
    assert page.get_by_role("navigation", name="Fil d'Ariane").is_visible()
    assert page.get_by_role("heading", name="À vous de jouer").is_visible()
    screenshot(page, "3-lecon-crise")
    page.locator("a[rel=next]").click()

    page.wait_for_url(f"**{second_lesson.url}")
    assert page.get_by_role("heading", level=1).inner_text() == second_lesson.title
    assert page.locator("a[rel=prev]").get_attribute("href") == first_lesson.url
    screenshot(page, "4-lecon-suivante")


def test_the_keyboard_reaches_the_content_through_the_skip_link(browser_page, demo_course):
    page = browser_page
    page.goto(demo_course.url)

    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused.strip() == "Aller au contenu"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "contenu"


def test_a_new_learner_goes_from_sign_up_to_a_verified_certificate_with_the_keyboard(
    browser_page, demo_course, screenshot
):
    page = browser_page
    outline = course_outline(demo_course)
    first_module = outline.modules[0]

    # sign up, typing only
    page.goto(f"/comptes/inscription/?next={demo_course.url}")
    tab_to(page, "el.id === 'id_first_name'")
    page.keyboard.type("Lou")
    page.keyboard.press("Tab")
    page.keyboard.type("Bernard")
    page.keyboard.press("Tab")
    page.keyboard.type("lou@example.org")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    press_enter_and_wait(page)
    page.wait_for_url(f"**{demo_course.url}")

    # enrol
    tab_to_text(page, "S'inscrire à la formation")
    press_enter_and_wait(page)
    page.wait_for_url(f"**{first_module.steps[0].url}")

    # the first lesson's exercise: type an answer, say it is done, read the model answer
    # beside it and tick a criterion, with the keyboard only
    first_lesson = first_module.steps[0].specific
    block_id = next(iter(feedback_exercises(first_lesson)))
    tab_to(page, f"el.id === 'answer-{block_id}'")
    page.keyboard.type("Ma ville et ma liste d'amis étaient publiques.")
    tab_to_button(page, "J'ai terminé : comparer")
    press_enter_and_wait(page)
    page.wait_for_url(f"**{first_lesson.url}#exercice-{block_id}")
    assert page.get_by_text("Ma ville et ma liste d'amis étaient publiques.").is_visible()
    assert page.get_by_role("heading", name="Réponse modèle").is_visible()
    assert page.get_by_text("Trois réglages modifiés").is_visible()
    tab_to(page, f"el.id === 'criterion-{block_id}-0'")
    page.keyboard.press("Space")
    tab_to_button(page, "Enregistrer mon auto-évaluation")
    press_enter_and_wait(page)
    assert page.locator(f"#criterion-{block_id}-0").is_checked()
    screenshot(page, "0-exercice-compare")

    # complete every lesson of the first module; the progress bar moves each time
    seen = [progress_value(page)]
    lessons = [step for step in first_module.steps if isinstance(step, LessonPage)]
    for step in lessons:
        page.wait_for_url(re.compile(re.escape(step.url) + "(#.*)?$"))
        tab_to_text(page, "J'ai terminé cette leçon")
        press_enter_and_wait(page)
        if page.locator("progress").count():  # the module's quiz page shows none
            seen.append(progress_value(page))
    screenshot(page, "1-module-termine")
    assert seen == sorted(seen) and len(set(seen)) == len(seen), seen

    # resume from the dashboard
    tab_to(page, "el.textContent.trim() === 'Mon espace'")
    press_enter_and_wait(page)
    page.wait_for_url("**/comptes/mon-espace/")
    assert progress_value(page) == 100 * len(lessons) // len(outline.steps)
    screenshot(page, "2-mon-espace")
    tab_to_text(page, "Reprendre")
    press_enter_and_wait(page)
    page.wait_for_url(f"**{first_module.steps[len(lessons)].url}")

    # the other steps are done elsewhere (quizzes and the crisis room have their own
    # journeys); the learner completes the last lesson here
    learner = User.objects.get(email="lou@example.org")
    last_lesson = [step for step in outline.steps if isinstance(step, LessonPage)][-1]
    assert any(isinstance(step, ScenarioPage) for step in outline.steps)
    for step in outline.steps[len(lessons):]:
        if isinstance(step, QuizPage):
            pass_quiz(learner, step)
        elif isinstance(step, ScenarioPage):  # completed only by a scored run
            play_expert_path(learner, step)
        elif step.pk != last_lesson.pk:
            progress.record_step_completed(user=learner, page=step)
    page.goto(last_lesson.url)
    tab_to_text(page, "J'ai terminé cette leçon")
    press_enter_and_wait(page)
    page.wait_for_url("**/comptes/mon-espace/")
    assert page.get_by_text("Bravo, vous avez terminé la formation").is_visible()
    screenshot(page, "3-formation-terminee")

    # download the certificate
    with page.expect_download() as download_info:
        tab_to_text(page, "Télécharger le PDF")
        page.keyboard.press("Enter")
    pdf = Path(settings.TEST_OUTPUT_DIR) / "certificat.pdf"
    download_info.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")

    # anyone can verify it
    code = Certificate.objects.get(user=learner).code
    page.goto("/verifier-un-certificat/")
    tab_to(page, "el.id === 'certificate-code'")
    page.keyboard.type(code)
    press_enter_and_wait(page)
    page.wait_for_url(re.compile(r".*code=.*"))
    assert page.get_by_text("Certificat valide.").is_visible()
    screenshot(page, "4-verification")


def answer_with_keyboard(page, raw):
    """Give the responses `raw` (as right_answers returns them, with certainties under
    `c-<question id>` on a quiz marked by certainty) with the keyboard only: Tab between
    controls, arrows inside radio groups and lists, Space to tick, typing."""
    actions = []
    for question_id, value in raw.items():
        field = f"q-{question_id}"
        if question_id.startswith("c-"):
            actions.append((f"{question_id}-{value}", "tick", None))
        elif isinstance(value, dict):
            actions += [(f"{field}-{key}", "select", item) for key, item in value.items()]
        elif isinstance(value, list):
            actions += [(f"{field}-{item}", "tick", None) for item in value]
        elif page.locator(f"#{field}").count():
            actions.append((field, "type", value))
        else:
            target = {"vrai": "true", "faux": "false"}.get(value, value)
            actions.append((f"{field}-{target}", "tick", None))
    order = page.evaluate("Array.from(document.querySelectorAll('input, select')).map(el => el.id)")
    for element_id, action, value in sorted(actions, key=lambda a: order.index(a[0])):
        if action == "tick" and page.evaluate(f"document.getElementById({element_id!r}).type") == "radio":
            name = page.evaluate(f"document.getElementById({element_id!r}).name")
            tab_to(page, f"el.name === {name!r}")
            for _ in range(10):
                if page.evaluate("document.activeElement.id") == element_id:
                    break
                page.keyboard.press("ArrowDown")
            page.keyboard.press("Space")
        elif action == "tick":
            tab_to(page, f"el.id === {element_id!r}")
            page.keyboard.press("Space")
        elif action == "type":
            tab_to(page, f"el.id === {element_id!r}")
            page.keyboard.type(value)
        else:
            tab_to(page, f"el.id === {element_id!r}")
            for _ in range(12):
                if page.evaluate("document.activeElement.value") == str(value):
                    break
                page.keyboard.press("ArrowDown")
        assert page.evaluate(f"document.getElementById({element_id!r}).checked || document.getElementById({element_id!r}).value") not in (False, "")


def test_a_learner_fails_then_passes_a_demo_quiz_with_the_keyboard(
    browser_page, demo_course, celery_worker_process, screenshot
):
    from quizzes.models import Attempt, QuizPage
    from tests.factories import right_answers

    page = browser_page
    learner = make_user(email="sam@example.org", password=PASSWORD)
    progress.enroll(user=learner, course=demo_course)
    crisis = ModulePage.objects.get(theme=ModulePage.Theme.CRISIS)
    quiz = QuizPage.objects.child_of(crisis).get()
    log_in(page, "sam@example.org")

    # start the quiz and send it blank: the result appears by itself, failed
    page.goto(quiz.url)
    tab_to_text(page, "Commencer le quiz")
    press_enter_and_wait(page)
    screenshot(page, "1-questions")
    tab_to_text(page, "Envoyer mes réponses")
    press_enter_and_wait(page)
    page.get_by_role("heading", name="Pas encore réussi").wait_for(timeout=60_000)
    screenshot(page, "2-echec")

    # retry, answering every question with the keyboard, and saying how sure (the demo
    # crisis quiz is marked by certainty): very sure of every answer
    assert quiz.certainty_based_marking
    tab_to_text(page, "Nouvelle tentative")
    press_enter_and_wait(page)
    attempt = Attempt.objects.get(user=learner, number=2)
    certainties = {f"c-{pk}": "3" for pk in attempt.question_order}
    answer_with_keyboard(page, {**right_answers(attempt), **certainties})
    screenshot(page, "3-reponses")
    tab_to_text(page, "Envoyer mes réponses")
    press_enter_and_wait(page)
    page.get_by_role("heading", name="Quiz réussi !").wait_for(timeout=60_000)
    assert page.get_by_text("soit 100 %").is_visible()
    assert page.get_by_role("table").filter(has_text="Très sûr·e").is_visible()  # the calibration
    screenshot(page, "4-reussite")

    # the module shows the quiz completed
    page.goto(crisis.url)
    assert page.locator(f".outline__step--done a[href='{quiz.url}']").count() == 1


def test_key_pages_have_no_serious_accessibility_violations(browser_page, demo_course, screenshot):
    """axe-core (the engine behind most accessibility audits) on every kind of page a
    learner meets, logged out and in, including a quiz being taken and its result."""
    from quizzes import services
    from quizzes.demo import demo_responses
    from quizzes.models import QuizPage

    page = browser_page
    learner = make_user(email="lea@example.org", password=PASSWORD)
    progress.enroll(user=learner, course=demo_course)
    outline = course_outline(demo_course)
    quiz = QuizPage.objects.child_of(outline.modules[0].page).get()
    attempt = services.start_attempt(user=learner, quiz=quiz)

    pages = ["/", demo_course.url, "/comptes/connexion/", "/comptes/inscription/", "/verifier-un-certificat/"]
    logged_in = [outline.steps[0].url, outline.modules[0].page.url, quiz.url, f"/quiz/tentatives/{attempt.pk}/",
                 "/comptes/mon-espace/", "/comptes/profil/"]
    audit = Audit(page)

    # the audit itself works: it flags an unlabelled field on a page without a language
    page.set_content("<html><body><input type='text'></body></html>")
    assert {v["id"] for v in audit.axe.run(page).response["violations"]} >= {"label", "html-has-lang"}

    for url in pages:
        audit(url)
    log_in(page, "lea@example.org")
    for url in logged_in:
        audit(url)
    # a lesson whose exercise is done: the learner's answer beside the model answer
    lesson = outline.steps[0].specific
    exercises.finish_exercise(user=learner, page=lesson, block_id=next(iter(feedback_exercises(lesson))), answer="Fait")
    audit(f"{lesson.url}?apres-exercice")
    services.submit_attempt(user=learner, attempt_id=attempt.pk, raw={})
    services.grade_submitted_attempt(attempt.pk)
    audit(f"/quiz/tentatives/{attempt.pk}/resultat/")
    # a quiz marked by certainty: the certainty asked with each question, the calibration
    crisis_quiz = QuizPage.objects.get(certainty_based_marking=True)
    marked = services.start_attempt(user=learner, quiz=crisis_quiz)
    audit(f"/quiz/tentatives/{marked.pk}/")
    services.submit_attempt(user=learner, attempt_id=marked.pk, raw=demo_responses(marked, wrong={0, 1}))
    services.grade_submitted_attempt(marked.pk)
    audit(f"/quiz/tentatives/{marked.pk}/resultat/")
    audit(crisis_quiz.url)

    assert audit.problems == {}
