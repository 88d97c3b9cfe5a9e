"""Loads the demo quizzes (courses/demo/quizzes_fr.json): one quiz at the end of each
demo module. Idempotent: questions are found by type and prompt, options are rewritten
only when they changed (so attempts keep pointing at the same option ids)."""

import json
from decimal import Decimal

from django.db import transaction

from courses.demo.loader import DEMO_DIR, upsert_child
from courses.models import ModulePage
from quizzes.models import (
    MatchingPair,
    MatchingQuestion,
    MultipleChoiceOption,
    MultipleChoiceQuestion,
    NumericQuestion,
    OrderingItem,
    OrderingQuestion,
    QuizPage,
    QuizQuestion,
    ShortAnswerQuestion,
    SingleChoiceOption,
    SingleChoiceQuestion,
    TrueFalseQuestion,
)

QUIZZES_FILE = DEMO_DIR / "quizzes_fr.json"


def read_quizzes(path=QUIZZES_FILE):
    return json.loads(path.read_text(encoding="utf-8"))["quizzes"]


def choices(option_class):
    def build(data):
        return "choices", [
            option_class(text=c["text"], is_correct=c["correct"], feedback=c.get("feedback", "")) for c in data["choices"]
        ], ("text", "is_correct", "feedback")
    return build


# type -> (model, function giving its own fields, function giving (relation, children, compared fields))
TYPES = {
    "single_choice": (SingleChoiceQuestion, lambda d: {}, choices(SingleChoiceOption)),
    "multiple_choice": (MultipleChoiceQuestion, lambda d: {}, choices(MultipleChoiceOption)),
    "true_false": (TrueFalseQuestion, lambda d: {"answer": d["answer"]}, None),
    "short_answer": (ShortAnswerQuestion, lambda d: {"accepted_answers": "\n".join(d["accepted"])}, None),
    "numeric": (
        NumericQuestion,
        lambda d: {"answer": Decimal(str(d["answer"])), "tolerance": Decimal(str(d.get("tolerance", 0)))},
        None,
    ),
    "matching": (
        MatchingQuestion,
        lambda d: {},
        lambda d: ("pairs", [MatchingPair(left=p["left"], right=p["right"]) for p in d["pairs"]], ("left", "right")),
    ),
    "ordering": (
        OrderingQuestion,
        lambda d: {},
        lambda d: ("items", [OrderingItem(text=text) for text in d["items"]], ("text",)),
    ),
}


def upsert_question(data):
    model, own_fields, children = TYPES[data["type"]]
    question = model.objects.filter(prompt=data["prompt"]).first() or model(prompt=data["prompt"])
    fields = {"points": data["points"], "explanation": data.get("explanation", ""), "tag": data.get("tag", "")}
    fields.update(own_fields(data))
    changed = question.pk is None or any(getattr(question, name) != value for name, value in fields.items())
    for name, value in fields.items():
        setattr(question, name, value)
    if children:
        relation, new_children, compared = children(data)
        current = [tuple(getattr(c, f) for f in compared) for c in getattr(question, relation).all()] if question.pk else None
        if current != [tuple(getattr(c, f) for f in compared) for c in new_children]:
            setattr(question, relation, new_children)
            changed = True
    if changed:
        question.save()
    return question


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
            estimated_minutes=quiz_data.get("estimated_minutes", 10),
        )
        wanted = [q.pk for q in questions]
        if quiz.question_ids() != wanted:
            quiz.quiz_questions = [QuizQuestion(question_id=pk) for pk in wanted]
            quiz.save_revision().publish()
            counts["updated"] += 1
    return counts
