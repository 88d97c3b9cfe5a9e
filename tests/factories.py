"""Small builders for test data; every argument has a sensible default (kwargs.setdefault)."""

from itertools import count

from courses.models import CourseIndexPage, CoursePage, LessonPage, ModulePage
from home.models import HomePage
from learners.models import User
from quizzes.models import Question, ShortAnswerQuestion

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


def make_admin_user(**fields):
    """A person who reaches the Wagtail admin and holds no other permission."""
    from django.contrib.auth.models import Permission

    person = make_user(**fields)
    person.user_permissions.add(Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"))
    return person


def make_manager(**fields):
    """A person who manages a team of an organisation of their own (no admin access)."""
    from learners.models import Membership, Organisation

    person = make_user(**fields)
    organisation = Organisation.objects.create(name=f"Organisation {person.pk}", slug=f"organisation-{person.pk}")
    Membership.objects.create(user=person, organisation=organisation, role=Membership.Role.MANAGER)
    return person


def enrolled_client(client, user, course):
    """`client` logged in as `user`, enrolled in `course`."""
    from learners import progress

    client.force_login(user)
    progress.enroll(user=user, course=course)
    return client


# One question of each type, in plain data (quizzes.models.Question.fields_from): right
# answers are the first option, True, "réseau", 42, each left to its right, items in order;
# the essay has no right answer (a person scores it).
EXAMPLE_QUESTIONS = {
    "single_choice": {"choices": [{"text": "Bonne", "correct": True}, {"text": "Mauvaise", "correct": False}]},
    "multiple_choice": {"choices": [{"text": "Bonne 1", "correct": True}, {"text": "Bonne 2", "correct": True},
                                    {"text": "Mauvaise", "correct": False}]},
    "true_false": {"answer": True},
    "short_answer": {"accepted": ["réseau"]},
    "numeric": {"answer": "42", "tolerance": "0"},
    "matching": {"pairs": [{"left": "A", "right": "1"}, {"left": "B", "right": "2"}]},
    "ordering": {"items": ["Un", "Deux", "Trois"]},
    "triage": {"comments": [
        {"text": "Livraison en retard de trois jours, personne ne répond au téléphone.",
         "category": "complaint", "action": "reply"},
        {"text": "Gagnez 500 € par jour depuis chez vous, cliquez ici !", "author": "@promo_facile",
         "category": "spam", "action": "delete"},
    ]},
    "essay": {"word_limit": 150, "rubric": "Cite la source, la date et l'auteur."},
}


def make_question(kind, number=0, **fields):
    """A saved question of `kind` (a question type's name) with its options, as in
    EXAMPLE_QUESTIONS; 2 points."""
    from quizzes.bank import create_question

    data = {"prompt": f"Question {kind} {number} {next(_numbers)}", "points": 2, **EXAMPLE_QUESTIONS[kind], **fields}
    return create_question({**data, "type": kind})


QUESTION_KINDS = [model.kind for model in Question.types()]  # every type, in the bank's order
# The types graded without a person (all but the essay): a quiz of them is graded at once.
AUTOGRADED_KINDS = [model.kind for model in Question.types() if not model.graded_by_a_person]


def make_quiz(module, questions=7, kinds=AUTOGRADED_KINDS, **fields):
    """A published quiz of `questions` questions cycling through `kinds` (every type
    graded without a person, unless told)."""
    from quizzes.models import QuizPage, QuizQuestion

    made = [make_question(kinds[i % len(kinds)], i) for i in range(questions)]
    fields.setdefault("pass_mark", 70)
    # In this order on every database (an unset sort_order leaves it to the database).
    ranked = [QuizQuestion(question=question, sort_order=rank) for rank, question in enumerate(made)]
    quiz = add_page(module, QuizPage, quiz_questions=ranked, **fields)
    return quiz


def right_answers(attempt):
    """The raw responses (as a form sends them) that score full marks on `attempt`; a
    short answer typed in capitals, which grading ignores."""
    from quizzes.selectors import load_questions

    raw = {}
    for question in load_questions(attempt.question_order):
        response = question.example_response(right=True)
        raw[str(question.pk)] = response.upper() if isinstance(question, ShortAnswerQuestion) else response
    return raw


def pass_quiz(user, quiz):
    """`user` passes `quiz` the only way a quiz step completes: an attempt with the right
    answers, submitted and graded."""
    from quizzes import services

    attempt = services.start_attempt(user=user, quiz=quiz)
    raw = right_answers(attempt)
    if quiz.certainty_based_marking:  # sure of every right answer
        raw.update({f"c-{pk}": "3" for pk in attempt.question_order})
    services.submit_attempt(user=user, attempt_id=attempt.pk, raw=raw)
    services.grade_submitted_attempt(attempt.pk)
    return attempt


def complete_course(user, course):
    """`user`, enrolled, completes every step of `course` by its own rule: each lesson
    marked done, each quiz passed, each crisis room played and scored."""
    from courses.scenarios import ScenarioPage
    from courses.selectors import course_outline
    from learners import progress
    from quizzes.models import QuizPage

    for step in course_outline(course).steps:
        if isinstance(step, QuizPage):
            pass_quiz(user, step)
        elif isinstance(step, ScenarioPage):
            from tests.scenario_factories import play_expert_path

            play_expert_path(user, step)
        else:
            progress.record_step_completed(user=user, page=step)


def as_form(raw):
    """Raw responses keyed by question id -> the POST data of the attempt form."""
    data = {}
    for question_id, value in raw.items():
        if isinstance(value, dict):
            data.update({f"q-{question_id}-{key}": item for key, item in value.items()})
        else:
            data[f"q-{question_id}"] = value
    return data
