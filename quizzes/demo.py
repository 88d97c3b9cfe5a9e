"""Loads the demo quizzes (courses/demo/quizzes_fr.json): one quiz at the end of each
demo module. Idempotent: questions are found by type and prompt, options are rewritten
only when they changed (so attempts keep pointing at the same option ids)."""

import json

from django.db import transaction

from courses.demo.loader import DEMO_DIR, upsert_child
from courses.models import ModulePage
from quizzes.models import Question, QuizPage, QuizQuestion

QUIZZES_FILE = DEMO_DIR / "quizzes_fr.json"


def read_quizzes(path=QUIZZES_FILE):
    return json.loads(path.read_text(encoding="utf-8"))["quizzes"]


def upsert_question(data):
    """The question of the bank of `data`'s type and prompt, created or brought up to
    date; its options are rewritten only when they changed."""
    model = Question.of_kind(data["type"])
    question = model.objects.filter(prompt=data["prompt"]).first() or model(prompt=data["prompt"])
    fields = model.fields_from(data)
    changed = question.pk is None or any(getattr(question, name) != value for name, value in fields.items())
    for name, value in fields.items():
        setattr(question, name, value)
    for relation, new_options in model.options_from(data).items():
        current = option_rows(model, relation, getattr(question, relation).all()) if question.pk else None
        if current != option_rows(model, relation, new_options):
            setattr(question, relation, new_options)
            changed = True
    if changed:
        question.save()
    return question


def option_rows(model, relation, options):
    """`options` (of `relation` of `model`) as rows of what a trainer writes on them."""
    option_model = model._meta.get_field(relation).related_model
    names = [
        field.name for field in option_model._meta.concrete_fields
        if not field.primary_key and not field.is_relation and field.name != "sort_order"
    ]
    return [tuple(getattr(option, name) for name in names) for option in options]


@transaction.atomic
def load_quizzes(course, quizzes):
    """Create or update the demo quizzes of `course`; returns how many pages changed."""
    counts = {"created": 0, "updated": 0}
    for quiz_data in quizzes:
        module = ModulePage.objects.child_of(course).get(slug=quiz_data["module"])
        questions = [upsert_question(q) for q in quiz_data["questions"]]
        quiz = upsert_child(
            module,
            QuizPage,
            counts,
            slug=quiz_data["slug"],
            title=quiz_data["title"],
            intro=quiz_data.get("intro", ""),
            pass_mark=quiz_data.get("pass_mark", 70),
            certainty_based_marking=quiz_data.get("certainty_based_marking", False),
            estimated_minutes=quiz_data.get("estimated_minutes", 10),
        )
        wanted = [q.pk for q in questions]
        numbered = [(row.question_id, row.sort_order) for row in quiz.quiz_questions.all()]
        if numbered != [(pk, index) for index, pk in enumerate(wanted)]:
            # Numbered: without a sort order, the questions' order is the database's whim
            # (PostgreSQL returns them in any order, and the next load would publish again).
            quiz.quiz_questions = [QuizQuestion(question_id=pk, sort_order=index) for index, pk in enumerate(wanted)]
            quiz.save_revision().publish()
            counts["updated"] += 1
    return counts


# --- Demo learners' answers ---------------------------------------------------------------


def demo_responses(attempt, wrong=()):
    """The raw responses (as the attempt form sends them) of a demo learner to `attempt`:
    right, except the questions at the positions in `wrong` (0 = the first shown). On a
    quiz with certainty-based marking, each with a certainty: right answers "high", wrong
    ones "high" at even positions (the confident wrong answers the manager dashboard
    counts) and "medium" at odd ones."""
    from quizzes.grading import Certainty
    from quizzes.selectors import load_questions

    raw = {}
    for position, question in enumerate(load_questions(attempt.question_order)):
        right = position not in wrong
        raw[str(question.pk)] = question.example_response(right)
        if attempt.quiz.certainty_based_marking:
            sure = right or position % 2 == 0
            raw[question.certainty_field_name] = str(Certainty.HIGH if sure else Certainty.MEDIUM)
    return raw
