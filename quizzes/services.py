"""State changes of quiz attempts. Each function is atomic; its docstring is its promise.

Words used here, from the learner's form to the database:
- raw response: what was sent for one question, as sent (a posted form field, a saved
  draft); `raw` maps question ids (and `c-<id>` certainties) to raw responses;
- response: a raw response the question accepted (Question.clean_response), or None
  for unanswered; `responses` maps question ids to responses;
- Answer: the stored row of one response in a submitted attempt, graded later.
A refusal (home.refusals) says why an attempt cannot do what was asked."""

import json
import logging
import random
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config import queueing
from courses import publishing
from courses.selectors import course_of, course_outline
from courses.serving import page_object
from home.refusals import Kind, Refused
from learners import progress, rawsql
from quizzes import grading, statistics, tasks
from quizzes.models import Answer, Attempt
from quizzes.selectors import load_questions

logger = logging.getLogger(__name__)

# Drafts are what the learner typed, kept as sent: bounded so that autosave cannot fill
# the database (the largest real answer is an essay).
MAX_DRAFT_VALUE = grading.MAX_ESSAY_CHARACTERS
MAX_DRAFT_ITEMS = 50


class AttemptRefused(Refused):
    """The attempt cannot do this; `message` tells the learner why."""


class NoAttemptLeft(AttemptRefused):
    kind = Kind.FORBIDDEN

    def __init__(self, max_attempts):
        super().__init__(_("Vous avez utilisé vos %(count)s tentatives pour ce quiz.") % {"count": max_attempts})


class EmptyQuiz(AttemptRefused):
    kind = Kind.NOT_FOUND
    message = _("Ce quiz n'a pas encore de questions.")


class NotYourAttempt(AttemptRefused):
    """No such attempt, or someone else's: the same answer for both."""

    kind = Kind.NOT_FOUND
    message = _("Cette tentative n'existe pas ou n'est pas la vôtre.")


class AlreadySubmitted(AttemptRefused):
    kind = Kind.CONFLICT
    message = _("Cette tentative a déjà été envoyée.")


class TimeUp(AttemptRefused):
    kind = Kind.FORBIDDEN
    message = _("Le temps est écoulé : les réponses enregistrées avant la fin ont été envoyées pour correction.")


class ForeignAnswer(AttemptRefused):
    """The form names a question (or a part of one) that is not in the attempt: forged."""

    kind = Kind.INVALID
    message = _("Une réponse porte sur une question qui ne fait pas partie de ce quiz.")


class ForeignCertainty(AttemptRefused):
    """The form gives a certainty for a question not in the attempt, or on a quiz that
    asks none: forged."""

    kind = Kind.INVALID
    message = _("Un degré de certitude porte sur une question qui ne fait pas partie de ce quiz.")


class ResponsesInvalid(Exception):
    """Some raw responses cannot be accepted (none is stored): `errors` maps question ids
    to messages; `raw` is what was sent, to show it again."""

    def __init__(self, errors, raw):
        super().__init__(errors)
        self.errors = errors
        self.raw = raw


def start_attempt(*, user, quiz):
    """Start a new attempt, or return the one in progress (starting twice resumes).
    Refuses with a message when no attempt is left. The question and option order is
    drawn once here and stays the same for the whole attempt."""
    with transaction.atomic():
        progress.step_access(user=user, page=quiz).ensure_unlocked()
        current = Attempt.objects.filter(user=user, quiz=quiz, status=Attempt.Status.IN_PROGRESS).first()
        if current is not None:
            return current
        used = Attempt.objects.filter(user=user, quiz=quiz).aggregate(last=Max("number"))["last"] or 0
        if quiz.max_attempts is not None and used >= quiz.max_attempts:
            raise NoAttemptLeft(quiz.max_attempts)
        questions = load_questions(quiz.question_ids())
        if not questions:
            raise EmptyQuiz()
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
            # Without a broker the attempt still starts: the sweep submits expired attempts.
            queueing.enqueue_on_commit(tasks.submit_expired_attempt, attempt.pk, eta=attempt.deadline)
    return attempt


def option_order(question, shuffle):
    """The order in which the options of `question` are shown (ids), or [] if it has none."""
    options = [option.pk for option in question.options()]
    if shuffle:
        random.shuffle(options)
    return options


def own_attempt(*, user, attempt_id, for_update=False):
    """The attempt if it is `user`'s; NotYourAttempt otherwise, whoever owns it.
    Its quiz is the page as last published, kept for the content token (no join of the
    page tables on every request of a learner taking a quiz)."""
    attempt = rawsql.first(Attempt, "id = %s AND user_id = %s", [attempt_id, user.pk], for_update=for_update)
    if attempt is None:
        raise NotYourAttempt()
    attempt.quiz = page_object(attempt.quiz_id)
    return attempt


def own_attempt_status(*, user, attempt_id):
    """The status of the attempt if it is `user`'s; NotYourAttempt otherwise. One query
    of one column: what the result page asks every moment while it waits."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT status FROM {connection.ops.quote_name(Attempt._meta.db_table)} "
                       "WHERE id = %s AND user_id = %s", [attempt_id, user.pk])
        row = cursor.fetchone()
    if row is None:
        raise NotYourAttempt()
    return row[0]


def ensure_accepting_responses(attempt, now):
    """Raise AlreadySubmitted or TimeUp unless `attempt` still takes responses at `now`
    (in progress, its deadline not passed beyond the grace)."""
    if attempt.status != Attempt.Status.IN_PROGRESS:
        raise AlreadySubmitted()
    if attempt.deadline is not None and now > attempt.deadline + settings.QUIZ_DEADLINE_GRACE:
        raise TimeUp()


def save_draft(*, user, attempt_id, form):
    """Keep what the learner typed so far in the attempt form (autosave). Nothing is
    validated yet, but sizes are bounded; the drafts only ever grow by question."""
    with transaction.atomic():
        attempt = own_attempt(user=user, attempt_id=attempt_id, for_update=True)
        ensure_accepting_responses(attempt, timezone.now())
        questions = load_questions(attempt.question_order)
        raw = raw_responses_in(questions, form, attempt.quiz.certainty_based_marking)
        allowed = {str(pk) for pk in attempt.question_order}
        if attempt.quiz.certainty_based_marking:
            allowed |= {q.certainty_field_name for q in questions if q.asks_certainty}
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


def submit_attempt(*, user, attempt_id, raw=None, form=None, attempt=None):
    """The learner sends their attempt: validate every raw response (`raw` by question
    id, or read from the attempt `form`) and store them all as Answers, or store nothing
    and raise ResponsesInvalid listing what is wrong. Then the attempt is `submitted` and
    grading is queued after the commit. Submitting an attempt twice is refused
    (AlreadySubmitted): it is graded once; after the deadline, TimeUp (the deadline's own
    path is submit_expired).

    On a quiz with certainty-based marking, each answered question also needs a
    certainty (raw key `c-<question id>`, see Question.certainty_field_name); a missing
    or forged one is listed in ResponsesInvalid like a wrong answer.

    Everything is read and checked before the write, which is one short transaction:
    the status changes only if the attempt is still in progress (concurrent submits:
    one stores, the others are refused). A caller that has just read the attempt with
    own_attempt() passes it as `attempt`."""
    now = timezone.now()
    if attempt is None or attempt.pk != attempt_id or attempt.user_id != user.pk:
        attempt = own_attempt(user=user, attempt_id=attempt_id)
    ensure_accepting_responses(attempt, now)
    questions = load_questions(attempt.question_order)
    with_certainty = attempt.quiz.certainty_based_marking
    if form is not None:
        raw = raw_responses_in(questions, form, with_certainty)
    responses, certainties, errors = {}, {}, {}
    for question in questions:
        messages = []
        try:
            responses[question.pk] = question.clean_response(raw.get(str(question.pk)))
        except ValidationError as error:
            messages += error.messages
        if with_certainty and question.asks_certainty:
            try:
                certainties[question.pk] = grading.parse_certainty(raw.get(question.certainty_field_name))
            except ValidationError as error:
                messages += error.messages
            else:
                if certainties[question.pk] is None and responses.get(question.pk) is not None:
                    messages.append(str(_("Indiquez à quel point vous êtes sûr·e de votre réponse.")))
        if messages:
            errors[question.pk] = " ".join(messages)
    if errors:
        raise ResponsesInvalid(errors, raw)
    if not _store_answers(attempt, questions, responses, certainties, now):
        raise AlreadySubmitted()
    return attempt


def _store_answers(attempt, questions, responses, certainties, now):
    """In one transaction: mark `attempt` submitted if it is still in progress, store the
    `responses` (by question id; missing means unanswered) as Answers with their
    `certainties` (by question id; only on an answered question) and queue its grading
    after the commit. Returns False, storing nothing, if it was no longer in progress.
    The one writer of both submit_attempt and submit_expired."""
    with transaction.atomic():
        if not Attempt.objects.filter(pk=attempt.pk, status=Attempt.Status.IN_PROGRESS).update(
            status=Attempt.Status.SUBMITTED, submitted_at=now
        ):
            return False
        Answer.objects.bulk_create(
            [
                Answer(
                    attempt=attempt, question=q, payload=responses.get(q.pk), max_score=q.max_score,
                    certainty=certainties.get(q.pk) if responses.get(q.pk) is not None else None,
                )
                for q in questions
            ]
        )
        queueing.enqueue_on_commit(tasks.grade_attempt, attempt.pk)
    attempt.status, attempt.submitted_at = Attempt.Status.SUBMITTED, now
    return True


def grade_submitted_attempt(attempt_id):
    """Grade a submitted attempt and, if it passes, complete the step; the quiz's item
    statistics are then refreshed (coalesced, quizzes.statistics). Idempotent: an
    attempt already graded (or not submitted) is left as it is. Returns True if graded.

    An attempt with an answered essay (a question graded by a person) gets every other
    answer graded and waits `needs_review`, its score unknown, until its essays are
    reviewed (quizzes.reviews finalises it then).

    The answers, questions and course outline are read and graded first; the writes
    (answers, attempt, progress) then take one short transaction, which changes the
    attempt only if it is still `submitted`: when two graders race, one grades, the
    other finds nothing to do (grade_count stays 1)."""
    with publishing.generation():  # one content token for the whole grading, read once
        return _grade(attempt_id)


def _grade(attempt_id):
    # The content token read with the attempt: one round trip fewer.
    attempt = rawsql.first(Attempt, "id = %s", [attempt_id], annotations={"content_token": publishing.token_sql()})
    if attempt is None or attempt.status != Attempt.Status.SUBMITTED:
        return False
    publishing.offer_token(attempt.content_token)
    attempt.quiz = page_object(attempt.quiz_id)  # as published, kept per content token
    answers = rawsql.rows(Answer, "attempt_id = %s", [attempt.pk])
    questions = {q.pk: q for q in load_questions([a.question_id for a in answers])}
    grades = [grade_answer(questions[answer.question_id], answer) for answer in answers]
    if any(grade.needs_review for grade in grades):
        return _wait_for_review(attempt, answers, questions)
    result = attempt_result_of(attempt, answers, questions)
    outline = passed_outline(attempt, result)
    if outline is not None:  # the learner, for the progress door: read before the write transaction
        attempt.user = rawsql.first(get_user_model(), "id = %s", [attempt.user_id])
    with transaction.atomic():
        if not mark_graded(attempt.pk, result, timezone.now()):
            return False
        save_grades(answers)
        statistics.request_refresh(attempt.quiz_id)
        complete_passed_step(attempt, result, outline)
    return True


def mark_graded(attempt_id, result, now):
    """Store `result` on the attempt if it is still `submitted`, and count the grading.
    True if it changed here. Written by hand: the ORM's UPDATE took longer to build than
    to run (the worker's CPU bounds how many gradings a second it can do)."""
    quote = connection.ops.quote_name
    values = {"score": result.score, "max_score": result.max_score, "percent": result.percent,
              "passed": result.passed, "status": Attempt.Status.GRADED, "graded_at": now}
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(Attempt._meta.db_table)} SET {', '.join(f'{quote(name)} = %s' for name in values)}, "
            "grade_count = grade_count + 1 WHERE id = %s AND status = %s",
            [*(Attempt._meta.get_field(name).get_db_prep_save(value, connection) for name, value in values.items()),
             attempt_id, Attempt.Status.SUBMITTED],
        )
        return cursor.rowcount == 1


def grade_answer(question, answer):
    """Grade `answer`, an Answer to `question`, in memory: its score (None while a person
    must review it), maximum and feedback are set. Returns the Grade. The first grading
    and a regrade (quizzes.regrading) both grade through here."""
    grade = question.grade(answer.payload)
    answer.score, answer.max_score, answer.feedback = grade.score, grade.max_score, grade.feedback
    return grade


def _wait_for_review(attempt, answers, questions):
    """Store the grades of `answers` known so far (none yet for the answered essays) and
    set `attempt`, if still `submitted`, to wait for the review of its essays. True if
    it changed here."""
    with transaction.atomic():
        if not Attempt.objects.filter(pk=attempt.pk, status=Attempt.Status.SUBMITTED).update(
            status=Attempt.Status.NEEDS_REVIEW, grade_count=F("grade_count") + 1,
        ):
            return False
        for answer in answers:
            answer.cbm_score = cbm_score_of(attempt, answer, questions[answer.question_id])
        save_grades(answers)
    return True


def certainty_of(answer, question):
    """The certainty `answer` is marked at under certainty-based marking: the learner's,
    or grading.NOT_ASKED for a question that asks none (an essay)."""
    return answer.certainty if question.asks_certainty else grading.NOT_ASKED


def cbm_score_of(attempt, answer, question):
    """What `answer` (graded) earns under certainty-based marking; None on a quiz without
    it, or while the answer waits for its review."""
    if not attempt.quiz.certainty_based_marking or answer.score is None:
        return None
    return grading.cbm_score(grading.Grade(answer.score, answer.max_score), certainty_of(answer, question))


def attempt_result_of(attempt, answers, questions):
    """The result of `attempt` from its `answers`, every one with its score (graded or
    reviewed), their `questions` by id; each answer is given its cbm_score."""
    for answer in answers:
        answer.cbm_score = cbm_score_of(attempt, answer, questions[answer.question_id])
    certainties = None
    if attempt.quiz.certainty_based_marking:
        certainties = [certainty_of(answer, questions[answer.question_id]) for answer in answers]
    return grading.attempt_result(
        [grading.Grade(answer.score, answer.max_score) for answer in answers],
        pass_mark=attempt.quiz.pass_mark, certainties=certainties,
    )


def passed_outline(attempt, result):
    """The outline of the course of `attempt`'s quiz when `result` passes (read before
    the write that completes the step), else None."""
    course = course_of(attempt.quiz) if result.passed else None
    return course_outline(course) if course is not None else None


def complete_passed_step(attempt, result, outline):
    """Complete the quiz step of `attempt` through the progress door if `result` passes;
    called inside the transaction that grades the attempt."""
    if not result.passed:
        return
    try:
        progress.record_step_completed(user=attempt.user, page=attempt.quiz, score=result.percent, outline=outline)
    except progress.ProgressRefused as refusal:
        logger.warning("Attempt %s passed but the step was not completed: %s", attempt.pk, refusal.message)


def save_grades(answers):
    """Write the score (null while awaiting review), maximum, feedback and certainty-based
    score of `answers` (of one attempt, or of a regrade's batch) in one UPDATE.

    Written by hand: Django's bulk_update builds one CASE expression per field and row
    and spent about 5 ms on a 10-question attempt, a fifth of a whole grading. On
    PostgreSQL the values travel as one JSON document: a statement of one parameter keeps
    its plan and is not parsed again by the driver (psycopg parses afresh any statement
    of over 50 parameters, as the CASE form has from five answers on)."""
    if not answers:
        return
    grades = [{"id": answer.pk, "score": None if answer.score is None else str(answer.score),
               "max_score": str(answer.max_score), "feedback": list(answer.feedback),
               "cbm_score": None if answer.cbm_score is None else str(answer.cbm_score)} for answer in answers]
    table = connection.ops.quote_name(Answer._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"UPDATE {table} SET score = v.score, max_score = v.max_score, feedback = v.feedback, "
                "cbm_score = v.cbm_score FROM jsonb_to_recordset(CAST(%s AS jsonb)) AS "
                f"v(id bigint, score numeric, max_score numeric, feedback jsonb, cbm_score numeric) WHERE {table}.id = v.id",
                [json.dumps(grades)],
            )
            return
        sets, params = [], []
        for column in ("score", "max_score", "feedback", "cbm_score"):
            value = "%s" if column == "feedback" else "CAST(%s AS NUMERIC)"
            sets.append(f"{column} = CASE id {' '.join([f'WHEN %s THEN {value}'] * len(grades))} END")
            for grade in grades:
                params += [grade["id"], json.dumps(grade[column]) if column == "feedback" else grade[column]]
        ids = [grade["id"] for grade in grades]
        cursor.execute(f"UPDATE {table} SET {', '.join(sets)} WHERE id IN ({', '.join(['%s'] * len(ids))})",
                       [*params, *ids])


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
        queueing.send_task(tasks.grade_attempt, attempt_id)
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
    """Submit an attempt whose time is up with the answers saved before the deadline;
    a saved answer that is not valid counts as unanswered. Does nothing if it was already
    submitted or its deadline is not reached. On a quiz with certainty-based marking, an
    answer saved without a valid certainty counts at "low" (Moodle's default certainty):
    it earns its points once and costs nothing if wrong."""
    with transaction.atomic():
        # Locked, so that no draft saved meanwhile is left out.
        attempt = Attempt.objects.select_for_update().filter(pk=attempt_id).first()
        if attempt is None or attempt.status != Attempt.Status.IN_PROGRESS or attempt.deadline is None:
            return None
        now = timezone.now()
        if now < attempt.deadline:
            return None
        questions = load_questions(attempt.question_order)
        responses, certainties = {}, {}
        for question in questions:
            try:
                responses[question.pk] = question.clean_response(attempt.drafts.get(str(question.pk)))
            except ValidationError:
                responses[question.pk] = None
            if attempt.quiz.certainty_based_marking and question.asks_certainty:
                try:
                    certainty = grading.parse_certainty(attempt.drafts.get(question.certainty_field_name))
                except ValidationError:
                    certainty = None
                certainties[question.pk] = certainty or grading.Certainty.LOW
        _store_answers(attempt, questions, responses, certainties, now)
    return attempt


def raw_responses_in(questions, form, with_certainty=False):
    """The raw responses to `questions` in a submitted attempt form, by question id, and,
    `with_certainty` (certainty-based marking), how sure the learner is of each, by
    `c-<question id>`. A field for any other question, or for a part (a pair, an item) of
    another question, or a certainty on a quiz that asks none, is refused, not ignored:
    the form was forged."""
    known = set().union(*(q.form_field_names() for q in questions))
    asking = [q for q in questions if q.asks_certainty] if with_certainty else []
    certainty_names = {q.certainty_field_name for q in asking}
    for name in form:
        if name.startswith("q-") and name not in known:
            raise ForeignAnswer()
        if name.startswith("c-") and name not in certainty_names:
            raise ForeignCertainty()
    raw = {str(q.pk): q.raw_from_post(form) for q in questions}
    for question in asking:
        raw[question.certainty_field_name] = form.get(question.certainty_field_name)
    return raw
