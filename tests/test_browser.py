"""A visitor's journey in headless Chromium: home -> course -> crisis lesson -> next lesson."""

import pytest

from courses.models import ModulePage
from courses.selectors import course_outline

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_visitor_reaches_a_crisis_lesson_and_moves_to_the_next(browser_page, demo_course, screenshot):
    page = browser_page
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
    page.get_by_role("main").get_by_role("link", name=first_lesson.title).first.click()

    # the lesson shows breadcrumbs, the outline and a link to the next step
    page.wait_for_url(f"**{first_lesson.url}")
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
