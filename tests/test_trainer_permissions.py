"""What the "Formateurs" group may do in the admin (learners.roles): edit the course
tree, the media and the question bank, review essays, read item statistics; never manage people,
organisations, groups or the site's settings. Each screen is asked by a trainer, and the
trainer's refusals by a manager and a learner too."""

import pytest
from django.test import Client

from courses.models import LessonPage, ModulePage
from learners.models import Membership, Organisation
from quizzes.models import Question
from tests.factories import make_course_with, make_quiz, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def course():
    course = make_course_with(modules=1, lessons_per_module=1)
    module = ModulePage.objects.child_of(course).get()
    return {"course": course, "module": module, "lesson": LessonPage.objects.descendant_of(course).get(),
            "quiz": make_quiz(module, questions=len(Question.types()))}


def trainer_screens(course):
    """The screens of a trainer's work: each must answer 200."""
    lesson, module, quiz = course["lesson"], course["module"], course["quiz"]
    question = Question.objects.first()
    return [
        "/admin/",
        "/admin/pages/",
        f"/admin/pages/{course['course'].pk}/",
        f"/admin/pages/{lesson.pk}/edit/",
        f"/admin/pages/{quiz.pk}/edit/",
        f"/admin/pages/add/courses/lessonpage/{module.pk}/",
        "/admin/images/",
        "/admin/documents/",
        "/admin/banque-de-questions/",
        "/admin/banque-de-questions/nouvelle/",
        f"/admin/banque-de-questions/{question.pk}/apercu/",
        *(f"/admin/snippets/quizzes/{model._meta.model_name}/add/" for model in Question.types()),
        f"/admin/quiz/{quiz.pk}/statistiques/",
        "/admin/relectures/",
        "/admin/banque-de-questions/gift/",
        f"/admin/banque-de-questions/gift/quiz/{quiz.pk}/",
        "/admin/banque-de-questions/gift/exporter/",
    ]


# People, organisations, groups and the site's settings: for administrators only.
ADMINISTRATORS_ONLY = [
    "/admin/users/",
    "/admin/users/new/",
    "/admin/groups/new/",
    "/admin/groups/",
    "/admin/sites/",
    "/admin/collections/",
    "/admin/workflows/list/",
    "/admin/organisations/",
    "/admin/equipes/",
    "/admin/journal-audit/",
]


# Their entries in the admin menu (the sidebar's data, as JSON in the page).
ADMINISTRATORS_MENU = ['"Utilisateurs"', '"Groupes"', '"Organisations"', '"Journal d\'audit"']


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


def refused_in_the_admin(response):
    """Wagtail refuses someone who reaches the admin by sending them to its home with a
    message, and someone who does not to its login page; either way, nothing is shown."""
    if response.status_code == 302:
        return response.url == "/admin/" or response.url.startswith("/admin/login/")
    return response.status_code in (403, 404)


def test_a_trainer_reaches_every_screen_of_their_work(trainer_client, course):
    for url in trainer_screens(course):
        assert trainer_client.get(url).status_code == 200, url


def test_a_trainer_cannot_manage_people_organisations_groups_or_settings(trainer_client, course):
    for url in ADMINISTRATORS_ONLY:
        response = trainer_client.get(url)
        assert refused_in_the_admin(response), (url, response.status_code)
    menu = trainer_client.get("/admin/").content.decode()
    assert not any(label in menu for label in ADMINISTRATORS_MENU)


def test_an_administrator_reaches_what_a_trainer_cannot(course):
    administrator = logged_in(make_user(is_superuser=True, is_staff=True))
    for url in ADMINISTRATORS_ONLY:
        assert administrator.get(url).status_code == 200, url
    menu = administrator.get("/admin/").content.decode()
    assert all(label in menu for label in ADMINISTRATORS_MENU)


@pytest.mark.parametrize("who", ["learner", "manager"])
def test_learners_and_managers_reach_none_of_the_trainers_screens(course, who):
    person = make_user()
    if who == "manager":
        organisation = Organisation.objects.create(name="Asso", slug="asso")
        Membership.objects.create(user=person, organisation=organisation, role=Membership.Role.MANAGER)
    client = logged_in(person)
    for url in trainer_screens(course):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith("/admin/login/"), (who, url)
