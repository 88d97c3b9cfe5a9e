"""The content tree: which page may live where, and what each page shows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.models import Page

from courses.models import CourseIndexPage, CoursePage, LessonPage, ModulePage, ScenarioPage
from courses.selectors import course_outline
from home.models import HomePage
from quizzes.models import QuizPage
from tests.factories import enrolled_client, make_course_with, make_lesson, make_module

pytestmark = pytest.mark.django_db

ALLOWED_CHILDREN = {
    HomePage: {CourseIndexPage},
    CourseIndexPage: {CoursePage},
    CoursePage: {ModulePage},
    ModulePage: {LessonPage, QuizPage, ScenarioPage},
    QuizPage: set(),
    ScenarioPage: set(),
    LessonPage: set(),
}


@pytest.mark.parametrize("parent", list(ALLOWED_CHILDREN))
def test_each_page_type_accepts_only_its_designed_children(parent):
    assert set(parent.allowed_subpage_models()) == ALLOWED_CHILDREN[parent]


@pytest.mark.parametrize(
    "child, parent",
    [(LessonPage, CoursePage), (LessonPage, HomePage), (ModulePage, CourseIndexPage), (CoursePage, HomePage)],
)
def test_a_page_cannot_be_created_outside_its_parent_type(child, parent):
    assert child not in parent.allowed_subpage_models()
    assert parent not in child.allowed_parent_page_models()


def test_a_lesson_cannot_be_created_directly_under_a_course():
    course = make_course_with(modules=1, lessons_per_module=0)
    assert not LessonPage.can_create_at(course)
    assert LessonPage.can_create_at(course.get_children().get().specific)


def test_the_outline_lists_live_modules_and_steps_in_tree_order():
    # given a course with a draft lesson and a draft module
    course = make_course_with(modules=2, lessons_per_module=2)
    first_module = course.get_children().first().specific
    draft_lesson = make_lesson(first_module, title="Brouillon")
    draft_lesson.unpublish()
    draft_module = make_module(course, title="Module brouillon")
    make_lesson(draft_module)
    draft_module.unpublish()

    # when the outline is read
    outline = course_outline(course)

    # then only live pages appear, numbered in order
    assert [m.number for m in outline.modules] == [1, 2]
    assert all(len(m.steps) == 2 for m in outline.modules)
    assert "Brouillon" not in [step.title for step in outline.steps]
    assert outline.minutes == 4 * 5


def test_previous_and_next_cross_module_boundaries():
    course = make_course_with(modules=2, lessons_per_module=2)
    outline = course_outline(course)
    steps = outline.steps

    assert outline.neighbours(steps[0]) == (None, steps[1])
    assert outline.neighbours(steps[1]) == (steps[0], steps[2])
    assert outline.neighbours(steps[3]) == (steps[2], None)


def test_the_outline_runs_the_same_number_of_queries_whatever_the_course_size(django_assert_max_num_queries):
    small = make_course_with(modules=1, lessons_per_module=1)
    large = make_course_with(modules=20, lessons_per_module=5)

    for course in (small, large):
        with django_assert_max_num_queries(3):
            outline = course_outline(course)
    assert len(outline.steps) == 100


def test_the_course_page_lists_modules_and_their_steps(client, demo_course):
    response = client.get(demo_course.url)

    html = response.content.decode()
    assert response.status_code == 200
    for module in demo_course.get_children().specific():
        assert module.title in html
        for lesson in module.get_children():
            assert lesson.url in html


def test_a_lesson_shows_breadcrumbs_outline_and_its_neighbours(client, learner, demo_course):
    enrolled_client(client, learner, demo_course)
    crisis = ModulePage.objects.get(theme=ModulePage.Theme.CRISIS)
    first, second, *_rest = crisis.get_children().specific()

    response = client.get(second.url)

    html = response.content.decode()
    assert response.status_code == 200
    assert '<nav class="breadcrumbs" aria-label="Fil d\'Ariane">' in html
    assert f'<a href="{demo_course.url}">' in html
    assert f'rel="prev" href="{first.url}"' in html
    assert 'aria-current="page"' in html
    assert "À vous de jouer" in html


def test_the_last_step_leads_back_to_the_course(client, learner, demo_course):
    enrolled_client(client, learner, demo_course)
    last = course_outline(demo_course).steps[-1]

    html = client.get(last.url).content.decode()

    assert 'rel="next"' not in html
    assert "Revenir au programme" in html


def test_a_lesson_page_runs_a_constant_number_of_queries(client, learner):
    # Wagtail's routing walks the tree one level at a time: a fixed cost per depth.
    counts = []
    for size in (1, 20):
        course = make_course_with(modules=size, lessons_per_module=3)
        enrolled_client(client, learner, course)
        warm_up, lesson = course_outline(course).steps[:2]
        client.get(warm_up.url)  # fill the per-process caches (site root paths, content types)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(lesson.url).status_code == 200
        counts.append(len(queries))

    assert counts[0] == counts[1] <= 20, counts


def test_an_unknown_address_gets_the_styled_404(client, demo_course):
    response = client.get("/formations/nexiste-pas/")

    assert response.status_code == 404
    assert "Cette page est introuvable" in response.content.decode()


def test_the_styled_500_page_renders_without_a_request_context():
    from django.template.loader import render_to_string

    html = render_to_string("500.html")
    assert "Une erreur est survenue de notre côté" in html


def test_the_home_page_is_the_site_root_and_lists_courses(client, demo_course):
    assert Page.objects.get(depth=2).specific_class is HomePage
    html = client.get("/").content.decode()
    assert demo_course.title in html


def test_an_oversized_request_gets_the_styled_400(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000
    response = client.post("/comptes/connexion/", {"username": "x" * 5_000, "password": "y"})
    assert response.status_code == 400
    assert "Rien n'a été enregistré" in response.content.decode()
