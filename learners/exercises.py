"""A learner's work on a lesson's exercises ("À vous de jouer" with a model answer or a
checklist): their answer, the fact that they are done, and the criteria they ticked.

Kept in the learner's progress row for the step (StepProgress.exercises, by block id), so
the lesson page reads it with the progress rows it reads anyway. The same rules as a
lesson's completion apply: enrolled in the step's course, the step open to them
(learners.progress). Text is stored as typed and escaped when shown."""

from django.db import transaction
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from courses.blocks import EXERCISE_ANSWER_MAX_LENGTH, feedback_exercises
from courses.selectors import course_of, course_outline
from home.refusals import Kind
from learners.models import StepProgress
from learners.progress import NotAStep, ProgressRefused, locked_step_access

__all__ = [
    "AnswerTooLong",
    "ExerciseNotDone",
    "UnknownCriterion",
    "UnknownExercise",
    "assess_exercise",
    "finish_exercise",
]


class UnknownExercise(ProgressRefused):
    kind = Kind.NOT_FOUND
    message = _("Cet exercice n'existe pas dans cette leçon.")


class AnswerTooLong(ProgressRefused):
    kind = Kind.INVALID

    def __init__(self):
        super().__init__(
            _("Votre réponse dépasse %(limit)s caractères : raccourcissez-la, puis validez à nouveau.")
            % {"limit": number_format(EXERCISE_ANSWER_MAX_LENGTH, force_grouping=True)}
        )


class ExerciseNotDone(ProgressRefused):
    kind = Kind.INVALID
    message = _("Dites d'abord que vous avez terminé l'exercice, puis cochez les critères.")


class UnknownCriterion(ProgressRefused):
    kind = Kind.INVALID
    message = _("Un des critères cochés n'existe pas dans cet exercice.")


def finish_exercise(*, user, page, block_id, answer):
    """The learner says they are done with exercise `block_id` of lesson `page`: their
    `answer` (possibly empty) is stored as typed, with the time. Saying it again changes
    nothing (the first answer stays: it is the one they compared). Returns the stored
    state. Raises NotAStep, NotEnrolled, StepLocked, UnknownExercise or AnswerTooLong,
    and then stores nothing."""
    answer = answer or ""
    if len(answer) > EXERCISE_ANSWER_MAX_LENGTH:
        raise AnswerTooLong()

    def change(state):
        if state.get("done_at"):
            return state
        return {"answer": answer, "done_at": timezone.now().isoformat(), "checked": []}

    return _update_exercise(user=user, page=page, block_id=block_id, change=change)


def assess_exercise(*, user, page, block_id, checked):
    """The criteria of exercise `block_id` the learner ticks (numbers from 0, in the
    checklist's order; those not given are unticked). Only after `finish_exercise`.
    Returns the stored state. Raises what finish_exercise raises, ExerciseNotDone or
    UnknownCriterion, and then stores nothing."""

    def change(state, exercise):
        if not state.get("done_at"):
            raise ExerciseNotDone()
        numbers = set()
        for raw in checked:
            try:
                number = int(raw)
            except (TypeError, ValueError):
                raise UnknownCriterion() from None
            if not 0 <= number < len(exercise["checklist"]):
                raise UnknownCriterion()
            numbers.add(number)
        return {**state, "checked": sorted(numbers)}

    return _update_exercise(user=user, page=page, block_id=block_id, change=change, with_exercise=True)


def _update_exercise(*, user, page, block_id, change, with_exercise=False):
    """Apply `change` (state -> new state) to the learner's state of the exercise, in one
    transaction with their enrolment locked (as a completion), after the step's checks."""
    course = course_of(page)
    if course is None:
        raise NotAStep()
    outline = course_outline(course)  # read before the write transaction: keeps it short
    exercise = feedback_exercises(page).get(block_id)
    with transaction.atomic():
        access = locked_step_access(user=user, page=page, outline=outline)
        access.ensure_unlocked()
        if exercise is None:
            raise UnknownExercise()
        row, _created = StepProgress.objects.get_or_create(user=user, step_id=page.pk, defaults={"course": outline.course})
        before = dict(row.exercises.get(block_id) or {})
        after = change(before, exercise) if with_exercise else change(before)
        if after != before:
            row.exercises = {**row.exercises, block_id: after}
            row.save(update_fields=["exercises"])
    return after
