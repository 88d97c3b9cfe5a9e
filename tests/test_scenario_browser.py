"""A learner lives the crisis room in headless Chromium with the keyboard only: the feed
fills by itself, a reload resumes at the same moment, the last action leads to the
debrief scored by a real worker; and an accessibility audit of the room's pages."""

from unittest import mock

import pytest
from django.utils import timezone

from courses.models import ModulePage
from courses.scenarios import ScenarioRun
from learners import progress
from tests.factories import make_course_with, make_user
from tests.accessibility import Audit
from tests.keyboard import press_enter_and_wait, tab_to, tab_to_button
from tests.scenario_factories import FrozenClock, make_scenario

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
PASSWORD = "un-mot-de-passe-solide"


@pytest.fixture
def clock():
    frozen = FrozenClock(timezone.now())
    with mock.patch("django.utils.timezone.now", frozen):
        yield frozen


@pytest.fixture
def crisis(db):
    course = make_course_with(modules=1, lessons_per_module=1)
    scenario = make_scenario(ModulePage.objects.child_of(course).get(), title="Salle de crise : la mutuelle")
    learner = make_user(email="noe@example.org", password=PASSWORD)
    progress.enroll(user=learner, course=course)
    return scenario, learner


def log_in(page):
    page.goto("/comptes/connexion/")
    page.get_by_label("Adresse e-mail").fill("noe@example.org")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/")


def feed_ids(page):
    return page.locator("[data-feed] [data-item-id]").evaluate_all("items => items.map(i => i.dataset.itemId)")


def test_a_learner_plays_the_crisis_with_the_keyboard_reloads_and_reads_the_debrief(
    browser_page, crisis, clock, celery_worker_process, screenshot
):
    scenario, learner = crisis
    page = browser_page
    log_in(page)

    # enter the room
    page.goto(scenario.url)
    tab_to_button(page, "Entrer dans la salle de crise")
    press_enter_and_wait(page)
    assert feed_ids(page) == ["depart:plainte"]

    # the feed fills by itself as the server's clock moves (130 s of scenario time)
    clock.advance(13)
    page.locator("[data-item-id='depart:soutien']").wait_for()
    assert page.locator("[data-feed]").get_attribute("aria-live") == "polite"
    screenshot(page, "1-fil")

    # reply with the keyboard, in the labelled field
    tab_to(page, "el.tagName === 'TEXTAREA' && el.labels[0].textContent.includes('Votre réponse')")
    page.keyboard.type("Bonjour Julie, nous sommes désolés : écrivez-nous en privé <avec votre dossier>.")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Répondre publiquement"
    press_enter_and_wait(page)

    # a minute of scenario time later the private message arrives; a reload resumes there
    clock.advance(6)
    page.locator("[data-item-id='dialogue:dossier']").wait_for()
    before = feed_ids(page)
    clock_text = page.locator("[data-clock]").text_content()
    page.reload()
    assert feed_ids(page) == before == ["depart:plainte", "depart:soutien", "dialogue:dossier"]
    assert page.locator("[data-clock]").text_content() == clock_text == "0:03:10"
    screenshot(page, "2-apres-rechargement")

    # the last action ends the scenario; the worker scores it and the debrief shows it
    tab_to_button(page, "Transmettre le dossier au service client")
    press_enter_and_wait(page)
    page.get_by_role("heading", name="Score global : 76 %").wait_for(timeout=60_000)
    assert page.get_by_role("cell", name="Chaîne d'escalade").count() + page.get_by_role(
        "rowheader", name="Chaîne d'escalade").count() == 1
    assert page.get_by_text("nous sommes désolés : écrivez-nous en privé <avec votre dossier>.").is_visible()
    assert page.get_by_text("comme vous").count() == 2
    screenshot(page, "3-bilan")
    run = ScenarioRun.objects.get(user=learner)
    assert run.status == ScenarioRun.Status.SCORED and run.score_count == 1

    # the step counts as completed
    page.goto(scenario.url)
    assert page.get_by_text("Scénario joué et noté : l'étape est terminée.").is_visible()


def test_the_crisis_room_has_no_serious_accessibility_violations(browser_page, crisis, clock):
    from courses import scenario_services as services

    scenario, learner = crisis
    page = browser_page
    log_in(page)
    run = services.start_run(user=learner, scenario=scenario)
    clock.advance(13)
    audit = Audit(page)

    audit(scenario.url)
    audit(f"/salle-de-crise/parties/{run.pk}/")
    # the debrief, once scored
    services.act(user=learner, run_id=run.pk, choice_id="depart:repondre", branch="depart", sequence=0,
                 text="Bonjour")
    services.act(user=learner, run_id=run.pk, choice_id="dialogue:service-client", branch="dialogue", sequence=1)
    services.score_run(run.pk)
    audit(f"/salle-de-crise/parties/{run.pk}/bilan/")
    assert audit.problems == {}
