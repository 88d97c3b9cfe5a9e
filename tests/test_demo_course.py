"""The French demo course: loaded by `make run`, idempotent, complete."""

import pytest
from django.core.management import call_command
from wagtail.models import Page

from courses.models import CoursePage, LessonPage, ModulePage
from learners.demo import DEMO_ACCOUNTS
from learners.models import Membership, User

pytestmark = pytest.mark.django_db


def load(**options):
    call_command("load_demo_course", accounts=True, stdout=open("/dev/null", "w"), **options)


def test_loading_twice_creates_no_duplicates_and_no_new_revisions():
    # given the demo course loaded once
    load()
    pages, revisions = Page.objects.count(), sum(p.revisions.count() for p in Page.objects.all())

    # when it is loaded again
    load()

    # then nothing was added
    assert Page.objects.count() == pages
    assert sum(p.revisions.count() for p in Page.objects.all()) == revisions
    assert User.objects.count() == len(DEMO_ACCOUNTS)
    assert Membership.objects.count() == 2


def test_a_changed_lesson_is_restored_by_loading_again():
    load()
    lesson = LessonPage.objects.first()
    original_title = lesson.title
    lesson.title = "Titre modifié à la main"
    lesson.save_revision().publish()

    load()

    lesson.refresh_from_db()
    assert lesson.title == original_title


def test_the_course_has_the_four_themed_modules_in_order(demo_course):
    modules = [page.specific for page in demo_course.get_children().live()]
    assert [m.theme for m in modules] == ["privacy", "editorial_line", "community", "crisis"]
    for module in modules:
        assert module.get_children().live().type(LessonPage).count() >= 3


def test_every_lesson_ends_with_an_exercise_and_cites_its_key_figures(demo_course):
    lessons = LessonPage.objects.live().descendant_of(demo_course)
    assert lessons.count() >= 12
    for lesson in lessons:
        kinds = [block.block_type for block in lesson.body]
        assert kinds[-1] == "exercise", lesson.title
        assert len(set(kinds)) >= 3, lesson.title
        for block in lesson.body:
            if block.block_type == "key_figure":
                assert block.value["source"].strip(), lesson.title


def test_the_crisis_module_works_through_a_case_step_by_step(demo_course):
    crisis = ModulePage.objects.get(theme=ModulePage.Theme.CRISIS)
    case_studies = [
        block.value
        for lesson in LessonPage.objects.live().child_of(crisis)
        for block in lesson.body
        if block.block_type == "case_study"
    ]
    assert case_studies
    assert all(len(case["steps"]) >= 3 for case in case_studies)


def test_the_demo_uses_every_lesson_block_but_media(demo_course):
    used = {block.block_type for lesson in LessonPage.objects.all() for block in lesson.body}
    assert used >= {"heading", "paragraph", "key_figure", "callout", "do_dont", "table", "quote",
                    "checklist", "case_study", "exercise"}


def test_the_command_prints_the_demo_accounts(capsys):
    call_command("load_demo_course", accounts=True)
    output = capsys.readouterr().out
    for account in DEMO_ACCOUNTS:
        assert account.email in output and account.password in output


def test_no_demo_accounts_on_a_site_without_debug_unless_asked(settings):
    settings.DEBUG = False
    call_command("load_demo_course", stdout=open("/dev/null", "w"))
    assert CoursePage.objects.exists()
    assert not User.objects.exists()


def test_demo_accounts_can_log_in(client):
    load()
    for account in DEMO_ACCOUNTS:
        client.post("/comptes/connexion/", {"username": account.email, "password": account.password})
        assert "_auth_user_id" in client.session, account.role
        client.logout()


def test_every_demo_module_ends_with_a_quiz_mixing_the_types(demo_course):
    from quizzes.models import QuizPage
    from quizzes.selectors import load_questions

    for module in ModulePage.objects.child_of(demo_course):
        quiz = QuizPage.objects.child_of(module).get()
        assert module.get_children().live().last().pk == quiz.pk
        questions = load_questions(quiz.question_ids())
        assert len(questions) >= 8
        assert len({type(q) for q in questions}) >= 5, module.title
        assert all(q.explanation for q in questions)
