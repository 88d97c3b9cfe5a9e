"""Small builders for test data; every argument has a sensible default (kwargs.setdefault)."""

from itertools import count

from courses.models import CourseIndexPage, CoursePage, LessonPage, ModulePage
from home.models import HomePage
from learners.models import User

_numbers = count(1)


def add_page(parent, page_class, **fields):
    number = next(_numbers)
    fields.setdefault("title", f"{page_class._meta.verbose_name} {number}")
    fields.setdefault("slug", f"{page_class.__name__.lower()}-{number}")
    page = page_class(**fields)
    parent.add_child(instance=page)
    page.save_revision().publish()
    return page


def make_catalogue(**fields):
    return add_page(HomePage.objects.get(), CourseIndexPage, **fields)


def make_course(catalogue=None, **fields):
    fields.setdefault("intro", "<p>Une formation de test.</p>")
    return add_page(catalogue or make_catalogue(), CoursePage, **fields)


def make_module(course, **fields):
    fields.setdefault("theme", ModulePage.Theme.PRIVACY)
    return add_page(course, ModulePage, **fields)


def make_lesson(module, **fields):
    fields.setdefault("estimated_minutes", 5)
    fields.setdefault("body", [{"type": "paragraph", "value": "<p>Contenu de la leçon.</p>"}])
    return add_page(module, LessonPage, **fields)


def make_course_with(modules=2, lessons_per_module=2, **fields):
    """A course with `modules` modules of `lessons_per_module` lessons each."""
    course = make_course(**fields)
    for _ in range(modules):
        module = make_module(course)
        for _ in range(lessons_per_module):
            make_lesson(module)
    return course


def make_user(**fields):
    number = next(_numbers)
    fields.setdefault("email", f"personne{number}@example.org")
    fields.setdefault("first_name", "Prénom")
    fields.setdefault("last_name", f"Nom{number}")
    password = fields.pop("password", "un-mot-de-passe-solide")
    return User.objects.create_user(password=password, **fields)


def enrolled_client(client, user, course):
    """`client` logged in as `user`, enrolled in `course`."""
    from learners import progress

    client.force_login(user)
    progress.enroll(user=user, course=course)
    return client
