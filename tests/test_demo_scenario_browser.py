"""A learner lives the DEMO course's crisis room in headless Chromium with the keyboard
only: the feed fills by itself on the server's clock, a reload in the middle resumes at
the same moment, a pause is offered only at a calm moment, the last action leads to the
debrief scored by a real worker."""

import pytest

from courses.scenarios import ScenarioPage, ScenarioRun
from learners import progress
from learners.models import StepProgress
from tests.factories import make_user
from tests.keyboard import press_enter_and_wait, tab_to, tab_to_button
from tests.test_scenario_browser import PASSWORD, clock, feed_ids, log_in  # noqa: F401  (clock is a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def write_and_send(page, label, text, button):
    """Tab to the text field labelled `label`, type `text`, Tab to its button and send."""
    tab_to(page, f"el.tagName === 'TEXTAREA' && el.labels[0].textContent.includes({label!r})")
    page.keyboard.type(text)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == button
    press_enter_and_wait(page)


def test_a_learner_plays_the_demo_crisis_with_the_keyboard_reloads_and_reads_the_debrief(
    browser_page, demo_course, clock, celery_worker_process, screenshot
):
    scenario = ScenarioPage.objects.descendant_of(demo_course).get()
    learner = make_user(email="noe@example.org", password=PASSWORD)
    progress.enroll(user=learner, course=demo_course)
    page = browser_page
    log_in(page)

    # enter the room: the mother's post, and no pause in the heat of the moment
    page.goto(scenario.url)
    tab_to_button(page, "Entrer dans la salle de crise")
    press_enter_and_wait(page)
    assert feed_ids(page) == ["depart:plainte"]
    assert page.get_by_role("button", name="Mettre en pause").count() == 0

    # the feed fills by itself (100 s of scenario time) and the counters grow
    counters = page.locator("[data-item-id='depart:plainte']").inner_text()
    clock.advance(10)
    page.locator("[data-item-id='depart:meme-chose']").wait_for()
    page.reload()
    assert page.locator("[data-item-id='depart:plainte']").inner_text() != counters
    screenshot(page, "1-le-plateau")

    # reply within the character limit; the learner's text is shown as typed
    write_and_send(page, "Votre réponse", "Bonjour Aurélie, merci <de votre> signalement : nous vérifions avec la "
                   "cuisine et revenons vers vous aujourd'hui. Écrivez-nous en privé.", "Répondre publiquement")

    # the private message and the comment about the cook arrive; a reload resumes there
    clock.advance(16)
    page.locator("[data-item-id='dialogue:cuisiniere']").wait_for()
    before = feed_ids(page)
    clock_text = page.locator("[data-clock]").text_content()
    page.reload()
    assert feed_ids(page) == before == [
        "depart:plainte", "depart:meme-chose", "dialogue:message-prive", "dialogue:cuisiniere"
    ]
    assert page.locator("[data-clock]").text_content() == clock_text == "0:04:20"
    screenshot(page, "2-apres-rechargement")
    tab_to_button(page, "Masquer le commentaire qui désigne la cuisinière")
    press_enter_and_wait(page)

    # a calm moment: the learner may pause, and the clock stays still meanwhile
    tab_to_button(page, "Mettre en pause")
    press_enter_and_wait(page)
    paused_at = page.locator("[data-clock]").text_content()
    clock.advance(60)
    page.reload()
    assert page.locator("[data-clock]").text_content() == paused_at
    tab_to_button(page, "Reprendre")
    press_enter_and_wait(page)
    tab_to_button(page, "Transmettre le dossier au service client (suivi des familles)")
    press_enter_and_wait(page)

    # the press calls: up to the communication department, then the holding statement
    page.locator("[data-item-id='presse:journaliste']").wait_for()
    tab_to_button(page, "Faire remonter à la direction de la communication (presse et élus)")
    press_enter_and_wait(page)
    write_and_send(page, "Votre message d'attente", "Nous avons vu vos messages sur le repas de mardi aux Tilleuls. "
                   "Nous vérifions la livraison avec l'école et reviendrons vers les familles jeudi.",
                   "Publier le message d'attente")

    # the last action ends the scenario; a real worker scores it and the debrief shows it
    tab_to_button(page, "Faire remonter à la direction générale le bilan et la date du retour d'expérience")
    press_enter_and_wait(page)
    page.get_by_role("heading", name="Score global : 100 %").wait_for(timeout=60_000)
    assert page.get_by_text("comme vous").count() == 6
    assert page.get_by_text("merci <de votre> signalement").is_visible()
    assert page.get_by_text("Le parcours de l'expert tient en quatre gestes").is_visible()
    screenshot(page, "3-bilan")
    run = ScenarioRun.objects.get(user=learner)
    assert run.status == ScenarioRun.Status.SCORED and run.score_count == 1 and run.percent == 100

    # the step counts as completed
    assert StepProgress.objects.get(user=learner, step=scenario).status == StepProgress.Status.COMPLETED
    page.goto(scenario.url)
    assert page.get_by_text("Scénario joué et noté : l'étape est terminée.").is_visible()
