"""State changes of quiz attempts. Each function is atomic; its docstring is its promise."""

import logging
import random
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from kombu.exceptions import OperationalError as BrokerUnavailable

from learners import progress
from quizzes.models import Answer, Attempt
from quizzes.selectors import load_questions

logger = logging.getLogger(__name__)

# Drafts are what the learner typed, kept as sent: bounded so that autosave cannot fill
# the database (the largest real answer is a short text).
MAX_DRAFT_VALUE = 2_000
MAX_DRAFT_ITEMS = 50


class AttemptRefused(Exception):
    """The attempt cannot do this; `message` tells the learner why."""

    def __init__(self, message, status=409):
        super().__init__(message)
        self.message = message
        self.status = status


class AnswersInvalid(Exception):
    """Some answers cannot be accepted: `errors` maps question ids to messages; `raw`
    is what was sent, to show it again."""

    def __init__(self, errors, raw):
        super().__init__(errors)
        self.errors = errors
        self.raw = raw


def start_attempt(*, user, quiz):
    """Start a new attempt, or return the one in progress (starting twice resumes).
    Refuses with a message when no attempt is left. The question and option order is
    drawn once here and stays the same for the whole attempt."""
    with transaction.atomic():
        progress.step_access(user=user, page=quiz).ensure_open()
        current = Attempt.objects.filter(user=user, quiz=quiz, status=Attempt.Status.IN_PROGRESS).first()
        if current is not None:
            return current
        used = Attempt.objects.filter(user=user, quiz=quiz).aggregate(last=Max("number"))["last"] or 0
        if quiz.max_attempts is not None and used >= quiz.max_attempts:
            raise AttemptRefused(
                _("Vous avez utilisé vos %(count)s tentatives pour ce quiz.") % {"count": quiz.max_attempts},
                status=403,
            )
        questions = load_questions(quiz.question_ids())
        if not questions:
            raise AttemptRefused(_("Ce quiz n'a pas encore de questions."), status=404)
        order = [q.pk for q in questions]
        if quiz.shuffle_questions:
            random.shuffle(order)
        now = timezone.now()
        try:
            with transaction.atomic():
                attempt = Attempt.objects.create(
                    user=user,
                    quiz=quiz,
                    number=used + 1,
                    question_order=order,
                    choice_order={str(q.pk): option_order(q, quiz.shuffle_choices) for q in questions},
                    deadline=now + timedelta(minutes=quiz.time_limit_minutes) if quiz.time_limit_minutes else None,
                )
        except IntegrityError:  # a concurrent start won the race: resume its attempt
            return Attempt.objects.get(user=user, quiz=quiz, status=Attempt.Status.IN_PROGRESS)
    if attempt.deadline is not None:
        transaction.on_commit(lambda: queue_deadline(attempt.pk, attempt.deadline))
    return attempt


def queue_deadline(attempt_id, deadline):
    """Submit the attempt when its time is up; without a broker the attempt still starts
    (the sweep submits expired attempts)."""
    from quizzes.tasks import submit_expired_attempt

    try:
        submit_expired_attempt.apply_async((attempt_id,), eta=deadline)
    except BrokerUnavailable:
        logger.exception("Could not queue the deadline of attempt %s; the sweep will submit it", attempt_id)


def option_order(question, shuffle):
    """The order in which the options of `question` are shown (ids), or [] if it has none."""
    options = [o.pk for relation in question.prefetch for o in getattr(question, relation).all()]
    if shuffle:
        random.shuffle(options)
    return options


def own_attempt(*, user, attempt_id, for_update=False):
    """The attempt if it is `user`'s; AttemptRefused (404) otherwise, whoever owns it."""
    attempts = Attempt.objects.select_related("quiz")
    if for_update:
        attempts = attempts.select_for_update(of=("self",))
    attempt = attempts.filter(pk=attempt_id, user=user).first()
    if attempt is None:
        raise AttemptRefused(_("Cette tentative n'existe pas ou n'est pas la vôtre."), status=404)
    return attempt


def ensure_open(attempt, now):
    if attempt.status != Attempt.Status.IN_PROGRESS:
        raise AttemptRefused(_("Cette tentative a déjà été envoyée."), status=409)
    if attempt.deadline is not None and now > attempt.deadline + settings.QUIZ_DEADLINE_GRACE:
        raise AttemptRefused(
            _("Le temps est écoulé : les réponses enregistrées avant la fin ont été envoyées pour correction."),
            status=403,
        )


def save_draft(*, user, attempt_id, form):
    """Keep what the learner typed so far in the attempt form (autosave). Nothing is
    validated yet, but sizes are bounded; the drafts only ever grow by question."""
    with transaction.atomic():
        attempt = own_attempt(user=user, attempt_id=attempt_id, for_update=True)
        ensure_open(attempt, timezone.now())
        raw = responses_in(load_questions(attempt.question_order), form)
        allowed = {str(pk) for pk in attempt.question_order}
        drafts = dict(attempt.drafts)
        for key, value in raw.items():
            if key in allowed:
                drafts[key] = bounded(value)
        attempt.drafts = drafts
        attempt.save(update_fields=["drafts"])
    return attempt


def bounded(value):
    if isinstance(value, dict):
        return {str(k)[:20]: bounded(v) for k, v in list(value.items())[:MAX_DRAFT_ITEMS]}
    if isinstance(value, (list, tuple)):
        return [bounded(v) for v in list(value)[:MAX_DRAFT_ITEMS]]
    if value is None:
        return None
    return str(value)[:MAX_DRAFT_VALUE]


def submit_attempt(*, user, attempt_id, raw=None, form=None, lenient=False):
    """Validate every answer (`raw` responses by question id, or read from the attempt
    `form`) and store them all, or store nothing and raise AnswersInvalid listing what
    is wrong. Then the attempt is `submitted` and grading is queued after
    the commit. Submitting an attempt twice is refused (409): it is graded once.

    `lenient` (for an attempt whose time ran out) keeps the valid answers and counts the
    invalid ones as unanswered, instead of refusing."""
    now = timezone.now()
    with transaction.atomic():
        attempt = own_attempt(user=user, attempt_id=attempt_id, for_update=True)
        if not lenient:
            ensure_open(attempt, now)
        elif attempt.status != Attempt.Status.IN_PROGRESS:
            return attempt
        questions = load_questions(attempt.question_order)
        if form is not None:
            raw = responses_in(questions, form)
        cleaned, errors = {}, {}
        for question in questions:
            try:
                cleaned[question.pk] = question.clean_response(raw.get(str(question.pk)))
            except ValidationError as error:
                if not lenient:
                    errors[question.pk] = " ".join(error.messages)
                cleaned[question.pk] = None
        if errors:
            raise AnswersInvalid(errors, raw)
        Answer.objects.bulk_create(
            [Answer(attempt=attempt, question=q, payload=cleaned[q.pk], max_score=q.max_score) for q in questions]
        )
        attempt.status = Attempt.Status.SUBMITTED
        attempt.submitted_at = now
        attempt.save(update_fields=["status", "submitted_at"])
        transaction.on_commit(lambda: queue_grading(attempt.pk))
    return attempt


def queue_grading(attempt_id):
    from quizzes.tasks import grade_attempt

    try:
        grade_attempt.delay(attempt_id)
    except BrokerUnavailable:  # the sweep will queue it again
        logger.exception("Could not queue the grading of attempt %s; the sweep will retry", attempt_id)


def grade_attempt(attempt_id):
    """Grade a submitted attempt and, if it passes, complete the step. Idempotent: an
    attempt already graded (or not submitted) is left as it is. Returns True if graded."""
    with transaction.atomic():
        attempt = Attempt.objects.select_for_update(of=("self",)).select_related("quiz", "user").filter(
            pk=attempt_id
        ).first()
        if attempt is None or attempt.status != Attempt.Status.SUBMITTED:
            return False
        answers = list(attempt.answers.all())
        questions = {q.pk: q for q in load_questions([a.question_id for a in answers])}
        total, maximum = Decimal(0), Decimal(0)
        for answer in answers:
            grade = questions[answer.question_id].grade(answer.payload)
            answer.score, answer.max_score, answer.feedback = grade.score, grade.max_score, grade.feedback
            total += grade.score
            maximum += grade.max_score
        Answer.objects.bulk_update(answers, ["score", "max_score", "feedback"])
        attempt.score, attempt.max_score = total, maximum
        attempt.percent = int(total * 100 // maximum) if maximum else 0
        attempt.passed = attempt.percent >= attempt.quiz.pass_mark
        attempt.status = Attempt.Status.GRADED
        attempt.graded_at = timezone.now()
        attempt.grade_count += 1
        attempt.save(update_fields=["score", "max_score", "percent", "passed", "status", "graded_at", "grade_count"])
        if attempt.passed:
            try:
                progress.record_step_completed(user=attempt.user, page=attempt.quiz, score=attempt.percent)
            except progress.ProgressRefused as refusal:
                logger.warning("Attempt %s passed but the step was not completed: %s", attempt.pk, refusal.message)
    return True


def requeue_stuck_attempts():
    """Queue again the grading of attempts left `submitted` longer than the configured
    delay (a lost message, a killed worker), and submit attempts whose time is up."""
    now = timezone.now()
    stuck = list(
        Attempt.objects.filter(
            status=Attempt.Status.SUBMITTED, submitted_at__lt=now - settings.QUIZ_REGRADE_AFTER
        ).values_list("pk", flat=True)
    )
    for attempt_id in stuck:
        queue_grading(attempt_id)
    expired = list(
        Attempt.objects.filter(
            status=Attempt.Status.IN_PROGRESS, deadline__lt=now - settings.QUIZ_DEADLINE_GRACE
        ).values_list("pk", flat=True)
    )
    for attempt_id in expired:
        try:
            submit_expired(attempt_id=attempt_id)
        except Exception:  # noqa: BLE001 - one bad attempt must never stop the others' sweep
            logger.exception("Could not submit expired attempt %s; the sweep goes on", attempt_id)
    return len(stuck), len(expired)


def submit_expired(*, attempt_id):
    """Submit an attempt whose time is up with the answers saved before the deadline.
    Does nothing if it was already submitted or its deadline is not reached."""
    attempt = Attempt.objects.filter(pk=attempt_id).select_related("user").first()
    if attempt is None or attempt.status != Attempt.Status.IN_PROGRESS or attempt.deadline is None:
        return None
    if timezone.now() < attempt.deadline:
        return None
    return submit_attempt(user=attempt.user, attempt_id=attempt.pk, raw=dict(attempt.drafts), lenient=True)


def responses_in(questions, form):
    """The raw responses to `questions` in a submitted attempt form, by question id.
    A field for any other question, or for a part (a pair, an item) of another question,
    is refused, not ignored: the form was forged."""
    known = set().union(*(q.form_field_names() for q in questions))
    for name in form:
        if name.startswith("q-") and name not in known:
            raise AttemptRefused(_("Une réponse porte sur une question qui ne fait pas partie de ce quiz."), status=400)
    return {str(q.pk): q.raw_from_post(form) for q in questions}
