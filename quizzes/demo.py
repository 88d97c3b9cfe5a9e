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
    TriageAction,
    TriageCategory,
    TriageComment,
    TriageQuestion,
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
    "triage": (
        TriageQuestion,
        lambda d: {},
        lambda d: ("comments", [
            TriageComment(text=c["text"], author=c.get("author", ""), expected_category=c["category"],
                          expected_action=c["action"], explanation=c.get("explanation", ""))
            for c in d["comments"]
        ], ("text", "author", "expected_category", "expected_action", "explanation")),
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


def single_choice_response(question, right):
    return str(next(c.pk for c in question.choices.all() if c.is_correct == right))


def multiple_choice_response(question, right):
    picked = [str(c.pk) for c in question.choices.all() if c.is_correct == right]
    return picked or [str(question.choices.all()[0].pk)]


def true_false_response(question, right):
    return "vrai" if question.answer == right else "faux"


def short_answer_response(question, right):
    return question.accepted()[0] if right else "je ne sais pas"


def numeric_response(question, right):
    from quizzes.models import format_decimal

    return format_decimal(question.answer if right else question.answer + question.tolerance + 10)


def matching_response(question, right):
    pairs = [pair.pk for pair in question.pairs.all()]
    matched = pairs if right else pairs[1:] + pairs[:1]
    return {str(left): str(chosen) for left, chosen in zip(pairs, matched)}


def ordering_response(question, right):
    items = [item.pk for item in question.items.all()]
    ranks = range(1, len(items) + 1) if right else range(len(items), 0, -1)
    return {str(item): str(rank) for item, rank in zip(items, ranks)}


def triage_response(question, right):
    """Each comment's expected category and action, or (wrong) the next ones in the lists."""
    def pick(choices, expected):
        values = choices.values
        return expected if right else values[(values.index(expected) + 1) % len(values)]

    raw = {}
    for comment in question.comments.all():
        raw[f"{comment.pk}-category"] = pick(TriageCategory, comment.expected_category)
        raw[f"{comment.pk}-action"] = pick(TriageAction, comment.expected_action)
    return raw


RESPONSES = {
    SingleChoiceQuestion: single_choice_response,
    MultipleChoiceQuestion: multiple_choice_response,
    TrueFalseQuestion: true_false_response,
    ShortAnswerQuestion: short_answer_response,
    NumericQuestion: numeric_response,
    MatchingQuestion: matching_response,
    OrderingQuestion: ordering_response,
    TriageQuestion: triage_response,
}


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
        raw[str(question.pk)] = RESPONSES[type(question)](question, right)
        if attempt.quiz.certainty_based_marking:
            sure = right or position % 2 == 0
            raw[question.certainty_field_name] = str(Certainty.HIGH if sure else Certainty.MEDIUM)
    return raw
