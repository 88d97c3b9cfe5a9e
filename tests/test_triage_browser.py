"""A moderation triage in headless Chromium: answered with the keyboard only, its
attempt page and its correction (with the confusion table) audited by axe-core."""

import pytest

from courses.models import ModulePage
from learners import progress
from quizzes import services
from quizzes.models import Attempt
from tests.accessibility import Audit
from tests.factories import make_course_with, make_user
from tests.keyboard import press_enter_and_wait, tab_to_text
from tests.test_browser import PASSWORD, answer_with_keyboard, log_in
from tests.test_triage import HALF_RIGHT, make_triage_quiz

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_learner_triages_with_the_keyboard_and_reads_an_accessible_correction(browser_page, screenshot):
    # given a learner, logged in, on a triage quiz
    page = browser_page
    learner = make_user(email="noa@example.org", password=PASSWORD)
    course = make_course_with(modules=1, lessons_per_module=0)
    quiz, question = make_triage_quiz(ModulePage.objects.child_of(course).get())
    progress.enroll(user=learner, course=course)
    log_in(page, "noa@example.org")
    page.goto(quiz.url)
    tab_to_text(page, "Commencer le quiz")
    press_enter_and_wait(page)
    attempt = Attempt.objects.get(user=learner)
    audit = Audit(page)
    audit(f"/quiz/tentatives/{attempt.pk}/")

    # when they choose a category and an action for each comment with the keyboard, and send
    raw = {}
    for comment, (category, action) in zip(question.comments.all(), HALF_RIGHT):
        raw[f"{comment.pk}-category"], raw[f"{comment.pk}-action"] = category, action
    answer_with_keyboard(page, {str(question.pk): raw})
    screenshot(page, "1-tri")
    tab_to_text(page, "Envoyer mes réponses")
    press_enter_and_wait(page)

    # then what they chose is stored, and once graded the correction passes the audit
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.SUBMITTED
    assert services.grade_submitted_attempt(attempt.pk)
    audit(f"/quiz/tentatives/{attempt.pk}/resultat/")
    screenshot(page, "2-correction")
    assert page.locator("table.confusion-table caption").is_visible()
    assert page.locator("table.confusion-table th[scope=row]").count() == 5
    assert audit.problems == {}
