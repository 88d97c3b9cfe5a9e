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


def make_question(kind, number=0, **fields):
    """A saved question of `kind` with its options; right answers are the first option,
    True, "réseau", 42, each left to its right, items in order."""
    from decimal import Decimal

    from quizzes import models as q

    fields.setdefault("prompt", f"Question {kind} {number} {next(_numbers)}")
    fields.setdefault("points", 2)
    builders = {
        "single_choice": lambda: q.SingleChoiceQuestion(**fields, choices=[
            q.SingleChoiceOption(text="Bonne", is_correct=True), q.SingleChoiceOption(text="Mauvaise")]),
        "multiple_choice": lambda: q.MultipleChoiceQuestion(**fields, choices=[
            q.MultipleChoiceOption(text="Bonne 1", is_correct=True), q.MultipleChoiceOption(text="Bonne 2", is_correct=True),
            q.MultipleChoiceOption(text="Mauvaise")]),
        "true_false": lambda: q.TrueFalseQuestion(**fields, answer=True),
        "short_answer": lambda: q.ShortAnswerQuestion(**fields, accepted_answers="réseau"),
        "numeric": lambda: q.NumericQuestion(**fields, answer=Decimal("42"), tolerance=Decimal("0")),
        "matching": lambda: q.MatchingQuestion(**fields, pairs=[
            q.MatchingPair(left="A", right="1"), q.MatchingPair(left="B", right="2")]),
        "ordering": lambda: q.OrderingQuestion(**fields, items=[
            q.OrderingItem(text="Un"), q.OrderingItem(text="Deux"), q.OrderingItem(text="Trois")]),
        "triage": lambda: q.TriageQuestion(**fields, comments=[
            q.TriageComment(text="Livraison en retard de trois jours, personne ne répond au téléphone.",
                            expected_category="complaint", expected_action="reply"),
            q.TriageComment(text="Gagnez 500 € par jour depuis chez vous, cliquez ici !", author="@promo_facile",
                            expected_category="spam", expected_action="delete")]),
    }
    question = builders[kind]()
    question.save()
    return question


QUESTION_KINDS = ["single_choice", "multiple_choice", "true_false", "short_answer", "numeric", "matching", "ordering",
                  "triage"]


def make_quiz(module, questions=7, kinds=QUESTION_KINDS, **fields):
    """A published quiz of `questions` questions cycling through `kinds` (every type)."""
    from quizzes.models import QuizPage, QuizQuestion

    made = [make_question(kinds[i % len(kinds)], i) for i in range(questions)]
    fields.setdefault("pass_mark", 70)
    # In this order on every database (an unset sort_order leaves it to the database).
    ranked = [QuizQuestion(question=question, sort_order=rank) for rank, question in enumerate(made)]
    quiz = add_page(module, QuizPage, quiz_questions=ranked, **fields)
    return quiz


def right_answers(attempt):
    """The raw responses (as a form sends them) that score full marks on `attempt`."""
    from quizzes.models import format_decimal
    from quizzes.selectors import load_questions

    raw = {}
    for question in load_questions(attempt.question_order):
        kind = type(question).__name__
        if kind == "SingleChoiceQuestion":
            raw[str(question.pk)] = str(next(c.pk for c in question.choices.all() if c.is_correct))
        elif kind == "MultipleChoiceQuestion":
            raw[str(question.pk)] = [str(c.pk) for c in question.choices.all() if c.is_correct]
        elif kind == "TrueFalseQuestion":
            raw[str(question.pk)] = "vrai" if question.answer else "faux"
        elif kind == "ShortAnswerQuestion":
            raw[str(question.pk)] = question.accepted()[0].upper()
        elif kind == "NumericQuestion":
            raw[str(question.pk)] = format_decimal(question.answer)
        elif kind == "MatchingQuestion":
            raw[str(question.pk)] = {str(p.pk): str(p.pk) for p in question.pairs.all()}
        elif kind == "OrderingQuestion":
            raw[str(question.pk)] = {str(item.pk): str(rank) for rank, item in enumerate(question.items.all(), 1)}
        elif kind == "TriageQuestion":
            raw[str(question.pk)] = {
                f"{comment.pk}-{part}": getattr(comment, f"expected_{part}")
                for comment in question.comments.all() for part in ("category", "action")
            }
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
