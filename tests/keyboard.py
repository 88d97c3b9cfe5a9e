"""Moving through a page with the keyboard only, as the browser journeys do."""

import pytest


def tab_to(page, matches, limit=120):
    """Press Tab until the focused element satisfies `matches` (a JS predicate on `el`)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"(el => {matches})(document.activeElement)"):
            return
    pytest.fail(f"Tab never reached an element where {matches}")


def tab_to_text(page, text):
    tab_to(page, f"el.textContent.trim().startsWith({text!r})")


def tab_to_button(page, text):
    tab_to(page, f"el.tagName === 'BUTTON' && el.textContent.trim() === {text!r}")


def press_enter_and_wait(page):
    """Press Enter on the focused link or button and wait for the page it leads to."""
    with page.expect_navigation():
        page.keyboard.press("Enter")
