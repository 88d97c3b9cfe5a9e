"""Reads for quizzes, with a fixed number of queries whatever the number of questions."""

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from dataclasses import fields as dataclass_fields
from functools import partial

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import mark_safe

from courses import publishing
from learners.rawsql import column_converters, converted
from quizzes.grading import Calibration, Certainty, calibration
from quizzes.models import Answer, Attempt, Question, QuizPage


# Loaded questions of this process, by id, with the `updated_at` they were read at. A
# question and its options change together (the admin saves them as one; saving an option
# alone touches its question, see quizzes.apps), so a question whose stamp in the database
# still matches is reused as it is: correct in every process, with one query, whatever the
# number of questions or types. Read-only objects: nothing mutates a loaded question.
_loaded_questions = OrderedDict()
_loaded_lock = threading.Lock()
LOADED_QUESTIONS_MAX = 5_000


def load_questions(ids, stamps=None):
    """The specific questions with these ids, in that order, their options prefetched.
    One query when each was read before in this process and has not changed since; else
    one more for each type to read again, plus one per relation. `stamps`: their
    `question_stamps`, when the caller has just read them."""
    rows = question_stamps(ids) if stamps is None else stamps
    found, stale = {}, {}
    with _loaded_lock:
        for pk, ctype_id, updated_at in rows:
            known = _loaded_questions.get(pk)
            if known is not None and known[0] == updated_at:
                found[pk] = known[1]
                _loaded_questions.move_to_end(pk)
            else:
                stale.setdefault(ctype_id, []).append(pk)
    for ctype_id, type_ids in stale.items():
        model = ContentType.objects.get_for_id(ctype_id).model_class()
        fresh = list(model.objects.non_polymorphic().filter(pk__in=type_ids).prefetch_related(*model.prefetch))
        with _loaded_lock:
            for question in fresh:
                found[question.pk] = question
                _loaded_questions[question.pk] = (question.updated_at, question)
            while len(_loaded_questions) > LOADED_QUESTIONS_MAX:
                _loaded_questions.popitem(last=False)
    return [found[pk] for pk in ids if pk in found]


def question_stamps(ids):
    """[(id, content type id, updated_at)] of the questions `ids`: one query, written once
    rather than compiled per request (every attempt page and submission reads it)."""
    if not ids:
        return []
    table = Question._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, polymorphic_ctype_id, updated_at FROM {connection.ops.quote_name(table)} WHERE id IN ({', '.join(['%s'] * len(ids))})",
            list(ids),
        )
        converters = column_converters(Question, "id", "polymorphic_ctype", "updated_at")
        return [tuple(converted(list(row), converters)) for row in cursor.fetchall()]


def forget_loaded_questions():
    """Drop this process's loaded questions (tests that change rows behind the ORM)."""
    with _loaded_lock:
        _loaded_questions.clear()


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
    certainty: object = None  # what the learner said of their certainty so far (raw)
    asks_certainty: bool = False  # the quiz is marked by certainty

    @property
    def certainty_choices(self):
        """(value as the form sends it, label, checked) for each certainty."""
        return [(str(value), label, str(value) == str(self.certainty)) for value, label in Certainty.choices]

    @property
    def rank_choices(self):
        return range(1, len(self.options) + 1)


def kept_html(items, template, name, signature):
    """`items`, each given `.html`: `template` rendered with the item as `name`, once per
    language and `signature(item)` (everything of the item the template shows, as plain
    values), then kept in this process under the content token (courses.publishing)."""
    language = translation.get_language()
    computations = {}
    for item in items:
        item.key = f"{template}:{language}:{hashlib.sha256(repr(signature(item)).encode()).hexdigest()}"
        computations[item.key] = partial(render_to_string, template, {name: item})
    html = publishing.cached_many(computations)
    for item in items:
        item.html = mark_safe(html[item.key])
    return items


def asked_signature(item):
    shown = [(name.name, getattr(item, name.name)) for name in dataclass_fields(item)
             if name.name not in ("question", "options")]
    return (item.question.pk, item.question.updated_at.isoformat(), [option.pk for option in item.options], shown)


def with_html(asked):
    """`asked` (AskedQuestion items), each given `.html`: the question as the learner sees
    it, rendered once per question version, language and everything the item holds (the
    options' order, what was typed, the error): a question shows the same for every
    attempt that asks it the same way."""
    return kept_html(asked, "quizzes/includes/asked_question.html", "item", asked_signature)


def correction_signature(correction):
    answer, question = correction.answer, correction.question
    return (question.pk, question.updated_at.isoformat(), correction.number, answer.payload, str(answer.score),
            str(answer.max_score), answer.certainty, str(answer.cbm_score), answer.feedback, answer.review_comment)


def corrections_with_html(corrections):
    """`corrections`, each given `.html`: the correction as the result page shows it,
    rendered once per question version, language, number and graded answer (the same
    response scored the same way shows the same correction in every attempt)."""
    return kept_html(corrections, "quizzes/includes/correction.html", "correction", correction_signature)


def asked_questions(attempt, values=None, errors=None, stamps=None):
    """The questions of `attempt` ready to be asked, prefilled from `values` (what was
    just sent) or the autosaved drafts (`stamps`: see load_questions)."""
    values = attempt.drafts if values is None else values
    errors = errors or {}
    asked = []
    for number, question in enumerate(load_questions(attempt.question_order, stamps), start=1):
        options = question.options()
        order = {pk: index for index, pk in enumerate(attempt.choice_order.get(str(question.pk), []))}
        options.sort(key=lambda option: order.get(option.pk, len(order)))
        asked.append(AskedQuestion(
            number, question, options, values.get(str(question.pk)), errors.get(question.pk, ""),
            values.get(question.certainty_field_name), attempt.quiz.certainty_based_marking and question.asks_certainty,
        ))
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

    @property
    def review(self):
        return self.question.review(self.answer.payload)


def attempt_corrections(attempt):
    """The graded answers of `attempt`, in the order the questions were asked."""
    answers = {answer.question_id: answer for answer in attempt.answers.all()}
    questions = load_questions(attempt.question_order)
    return [
        Correction(number, question, answers[question.pk])
        for number, question in enumerate(questions, start=1)
        if question.pk in answers
    ]


@dataclass
class AttemptReport:
    """What the result page of a submitted attempt shows: once graded, its corrections,
    whether the quiz's policy lets the learner see them, and under certainty-based
    marking the learner's calibration."""

    graded: bool
    corrections: list
    show_corrections: bool
    corrections_once_passed: bool  # corrections held back until the quiz is passed
    calibration: Calibration | None = None
    awaiting_review: bool = False  # graded but for its essays, which a trainer must score

    @property
    def settled(self):
        """Whether the grader is done with the attempt (the result page stops waiting)."""
        return self.graded or self.awaiting_review


def attempt_report(attempt):
    """The report of `attempt`: the one place that applies the quiz's corrections policy."""
    if attempt.status != Attempt.Status.GRADED:
        return AttemptReport(graded=False, corrections=[], show_corrections=False, corrections_once_passed=False,
                             awaiting_review=attempt.status == Attempt.Status.NEEDS_REVIEW)
    policy, with_certainty = attempt.quiz.feedback_policy, attempt.quiz.certainty_based_marking
    corrections = attempt_corrections(attempt)
    show = policy == QuizPage.FeedbackPolicy.SCORE_AND_CORRECTIONS or (
        policy == QuizPage.FeedbackPolicy.CORRECTIONS_WHEN_PASSED and bool(attempt.passed)
    )
    return AttemptReport(
        graded=True,
        corrections=corrections_with_html(corrections) if show else corrections,
        show_corrections=show,
        corrections_once_passed=policy == QuizPage.FeedbackPolicy.CORRECTIONS_WHEN_PASSED and not show,
        calibration=answers_calibration(c.answer for c in corrections) if with_certainty else None,
    )


def answers_awaiting_review(course=None):
    """The essay answers a person must still score, oldest submission first, with their
    learner, quiz and question (one query); only those of `course`'s quizzes if given."""
    answers = Answer.objects.filter(
        score__isnull=True, payload__isnull=False, attempt__status=Attempt.Status.NEEDS_REVIEW
    )
    if course is not None:
        answers = answers.filter(attempt__quiz__path__startswith=course.path)
    return answers.select_related("attempt__user", "attempt__quiz", "question").order_by(
        "attempt__submitted_at", "attempt_id", "pk"
    )


def review_courses():
    """{id: course} of every course, by title, for the review queue's filter: 1 query."""
    from courses.models import CoursePage

    return {course.pk: course for course in CoursePage.objects.order_by("title", "pk")}


def answers_calibration(answers):
    """The calibration shown with a graded attempt (quizzes.grading.calibration), from
    its `answers` as already read (the corrections'): no query."""
    return calibration((answer.certainty, answer.score, answer.max_score) for answer in answers)


def quiz_calibration(*, quiz, user):
    """`user`'s calibration over all their graded attempts at `quiz`: 1 query."""
    rows = Answer.objects.filter(
        attempt__quiz=quiz, attempt__user=user, attempt__status=Attempt.Status.GRADED, certainty__isnull=False
    ).values_list("certainty", "score", "max_score")
    return calibration(rows)
