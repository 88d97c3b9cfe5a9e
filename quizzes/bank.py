"""The question bank as trainers work it: every question of every type in one listing,
with the quizzes that use each; a copy of a question; what a right answer scores."""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext

from quizzes.models import Question, QuizQuestion


def question_types_by_content_type():
    """{content type id: question type}, for every type of Question.types(): at most one
    query (Django keeps content types once read)."""
    content_types = ContentType.objects.get_for_models(*Question.types(), for_concrete_models=False)
    return {content_type.pk: model for model, content_type in content_types.items()}


def bank_questions():
    """Every question of the bank as base rows (the type is `polymorphic_ctype_id`), each
    with `usage_count`: how many quizzes ask it. One query, whatever the number."""
    usage = (
        QuizQuestion.objects.filter(question=OuterRef("pk")).order_by().values("question")
        .annotate(count=Count("pk")).values("count")
    )
    return Question.objects.non_polymorphic().annotate(
        usage_count=Coalesce(Subquery(usage, output_field=IntegerField()), Value(0))
    )


def tags_in_use():
    """The themes of the bank's questions, each once, in order."""
    return Question.objects.exclude(tag="").order_by("tag").values_list("tag", flat=True).distinct()


@dataclass(frozen=True)
class QuizUse:
    """A quiz asking a question of the bank."""

    quiz_id: int
    title: str


def quizzes_using(question_ids):
    """{question id: [QuizUse]} for the questions `question_ids`, quizzes by title: one query."""
    uses = defaultdict(list)
    rows = (
        QuizQuestion.objects.filter(question_id__in=list(question_ids))
        .order_by("quiz__title", "quiz_id").values_list("question_id", "quiz_id", "quiz__title")
    )
    for question_id, quiz_id, title in rows:
        uses[question_id].append(QuizUse(quiz_id, title))
    return uses


@transaction.atomic
def duplicate_question(question):
    """A saved copy of `question` (of any type) with copies of its options, in the same
    order, its prompt marked as a copy, asked by no quiz (quizzes hold their questions,
    not the other way round)."""
    original = question.get_real_instance()
    copy, _options = original.copy_cluster(exclude_fields=["id", "created_at", "updated_at"])
    copy.prompt = gettext("%(prompt)s (copie)") % {"prompt": original.prompt}
    copy.save()
    return copy


def right_answer_score(question):
    """What a right answer to `question` scores, by the type's own cleaning and grading
    of its example of a right response (nothing is written); None when the question
    admits no right answer (a choice question none of whose choices is right) or a
    person scores it (an essay)."""
    try:
        answer = question.clean_response(question.example_response(right=True))
        grade = question.grade(answer)
        return None if grade.needs_review else Decimal(grade.score)
    except (StopIteration, IndexError, ArithmeticError, ValidationError):
        return None


@transaction.atomic
def create_question(data):
    """A new question of the bank, saved with its options, from plain data (the format of
    the demo quizzes, courses/demo/quizzes_fr.json: its `type`, `prompt`, fields and options)."""
    model = Question.of_kind(data["type"])
    question = model(prompt=data["prompt"], **model.fields_from(data))
    for relation, options in model.options_from(data).items():
        setattr(question, relation, options)
    question.save()
    return question
