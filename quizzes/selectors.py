"""Reads for quizzes, with a fixed number of queries whatever the number of questions."""

from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType

from quizzes.models import Attempt, Question


def load_questions(ids):
    """The specific questions with these ids, in that order, their options prefetched:
    one query for the types, then one (plus one per relation) for each type present."""
    rows = Question.objects.non_polymorphic().filter(pk__in=ids).values_list("pk", "polymorphic_ctype_id")
    ids_by_type = {}
    for pk, ctype_id in rows:
        ids_by_type.setdefault(ctype_id, []).append(pk)
    found = {}
    for ctype_id, type_ids in ids_by_type.items():
        model = ContentType.objects.get_for_id(ctype_id).model_class()
        for question in model.objects.non_polymorphic().filter(pk__in=type_ids).prefetch_related(*model.prefetch):
            found[question.pk] = question
    return [found[pk] for pk in ids if pk in found]


@dataclass
class QuizOverview:
    """What the quiz page shows a learner: past attempts, the one in progress, what is left."""

    attempts: list
    in_progress: Attempt | None
    attempts_left: int | None  # None: unlimited
    question_count: int

    @property
    def can_start(self):
        return self.in_progress is None and (self.attempts_left is None or self.attempts_left > 0)

    @property
    def best(self):
        graded = [a for a in self.attempts if a.percent is not None]
        return max(graded, key=lambda a: a.percent) if graded else None


def quiz_overview(*, quiz, user):
    attempts = list(Attempt.objects.filter(quiz=quiz, user=user).order_by("number"))
    left = None if quiz.max_attempts is None else max(0, quiz.max_attempts - len(attempts))
    return QuizOverview(
        attempts=attempts,
        in_progress=next((a for a in attempts if a.status == Attempt.Status.IN_PROGRESS), None),
        attempts_left=left,
        question_count=quiz.quiz_questions.count(),
    )


@dataclass
class AskedQuestion:
    """A question as one attempt shows it: its number, options in the attempt's order,
    what the learner typed so far and the error to show, if any."""

    number: int
    question: Question
    options: list
    value: object = None
    error: str = ""

    @property
    def rank_choices(self):
        return range(1, len(self.options) + 1)


def asked_questions(attempt, values=None, errors=None):
    """The questions of `attempt` ready to be asked, prefilled from `values` (what was
    just sent) or the autosaved drafts."""
    values = attempt.drafts if values is None else values
    errors = errors or {}
    asked = []
    for number, question in enumerate(load_questions(attempt.question_order), start=1):
        options = [o for relation in question.prefetch for o in getattr(question, relation).all()]
        order = {pk: index for index, pk in enumerate(attempt.choice_order.get(str(question.pk), []))}
        options.sort(key=lambda option: order.get(option.pk, len(order)))
        asked.append(
            AskedQuestion(number, question, options, values.get(str(question.pk)), errors.get(question.pk, ""))
        )
    return asked


@dataclass
class Correction:
    number: int
    question: Question
    answer: object

    @property
    def answer_text(self):
        if self.answer.payload is None:
            return None
        return self.question.answer_text(self.answer.payload)


def attempt_corrections(attempt):
    """The graded answers of `attempt`, in the order the questions were asked."""
    answers = {answer.question_id: answer for answer in attempt.answers.all()}
    questions = load_questions(attempt.question_order)
    return [
        Correction(number, question, answers[question.pk])
        for number, question in enumerate(questions, start=1)
        if question.pk in answers
    ]
