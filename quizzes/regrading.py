"""Regrading: when a trainer changes the answer key of a question that graded attempts
have answered, those attempts can be graded again with the new key.

- `regrade_offer(question)`: after a save, how many graded attempts answered the question,
  if grading their stored answers again changes what any of them earned (else 0);
- `start_regrade(question=, user=)`: a Regrade row, one running per question, and its
  coordinator queued after the commit;
- `plan_regrade(regrade_id)` (the coordinator task): the attempts still to regrade, sent
  as batches of BATCH_SIZE;
- `regrade_attempts(regrade_id, attempt_ids)` (one batch task): each attempt graded again
  once, through the same grading code as its first grading, its progress following
  through learners.progress.

The attempts of a regrade are those graded when it was asked (`graded_at` up to
`requested_at`); any graded later already used the new key, and attempts in progress or
waiting for their grading will use it. Each attempt regraded leaves a RegradedAttempt
row, written with its new grades: a batch delivered twice, or a coordinator run twice,
regrades nothing twice, and the regrade finishes once no attempt of its set is left."""

import logging
from collections import defaultdict

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config import queueing
from courses import publishing
from courses.selectors import course_of, course_outline
from courses.serving import page_objects
from home.refusals import Kind, Refused
from learners import audit, progress
from learners.models import User
from quizzes import services, statistics, tasks
from quizzes.models import Answer, Attempt, Regrade, RegradedAttempt
from quizzes.selectors import load_questions

logger = logging.getLogger(__name__)

BATCH_SIZE = 100  # attempts per batch task


class RegradeRefused(Refused):
    """A regrade cannot be started; `message` tells the trainer why."""


class RegradeRunning(RegradeRefused):
    kind = Kind.CONFLICT
    message = _("Une recorrection de cette question est déjà en cours : attendez qu'elle se termine.")


class GradedByAPerson(RegradeRefused):
    kind = Kind.CONFLICT
    message = _("Les réponses à cette question sont notées par une personne : il n'y a pas de corrigé à réappliquer.")


class NothingToRegrade(RegradeRefused):
    kind = Kind.CONFLICT
    message = _("Aucune tentative corrigée n'a répondu à cette question : il n'y a rien à recorriger.")


def attempts_answering(question_id, until=None):
    """The graded attempts with an answer to the question (graded up to `until`, if given)."""
    attempts = Attempt.objects.filter(status=Attempt.Status.GRADED, answers__question_id=question_id)
    return attempts if until is None else attempts.filter(graded_at__lte=until)


def key_changed(question):
    """Whether grading the stored answers to `question` again, with its answer key as it is
    now, changes what any of them earned (points or maximum). Reads the answers in chunks
    and stops at the first that changes; writes nothing."""
    (question,) = load_questions([question.pk])
    if question.graded_by_a_person:  # no key: each answer has the score its reviewer gave
        return False
    answers = Answer.objects.filter(question_id=question.pk, attempt__status=Attempt.Status.GRADED)
    for payload, score, max_score in answers.values_list("payload", "score", "max_score").iterator(chunk_size=1000):
        grade = question.grade(payload)
        if grade.score != score or grade.max_score != max_score:
            return True
    return False


def regrade_offer(question):
    """How many graded attempts answered `question`, when its answer key changed for them
    (see key_changed); 0 when a regrade would change nothing."""
    return attempts_answering(question.pk).count() if key_changed(question) else 0


def running_regrade(question):
    return Regrade.objects.filter(question_id=question.pk, finished_at__isnull=True).first()


def start_regrade(*, question, user):
    """Start regrading the graded attempts that answered `question`: a Regrade row, an
    audit event, and its coordinator queued after the commit. Refused (nothing written)
    while another regrade of the question runs (RegradeRunning) or when no graded attempt
    answered it (NothingToRegrade), and for a question a person scores (GradedByAPerson)."""
    if question.graded_by_a_person:
        raise GradedByAPerson()
    with transaction.atomic():
        try:
            with transaction.atomic():
                regrade = Regrade.objects.create(question_id=question.pk, requested_by=user)
        except IntegrityError:
            raise RegradeRunning() from None
        regrade.attempts_total = attempts_answering(question.pk, until=regrade.requested_at).count()
        if not regrade.attempts_total:
            raise NothingToRegrade()
        regrade.save(update_fields=["attempts_total"])
        audit.record(actor=user, action=audit.Action.REGRADE, target=question, target_label=question.prompt[:200],
                     regrade=regrade.pk, attempts=regrade.attempts_total)
        queueing.enqueue_on_commit(tasks.plan_regrade, regrade.pk)
    return regrade


def resume_regrade(regrade):
    """Send the coordinator of a running regrade again (after the commit), for a regrade
    that stopped short (its messages lost with a broker): harmless if it was only slow,
    each attempt is still regraded once. Returns False for a finished regrade."""
    if not Regrade.objects.filter(pk=regrade.pk, finished_at__isnull=True).exists():
        return False
    queueing.enqueue_on_commit(tasks.plan_regrade, regrade.pk)
    return True


def remaining_attempt_ids(regrade):
    """The ids of the regrade's attempts not regraded yet, in order."""
    done = RegradedAttempt.objects.filter(regrade_id=regrade.pk).values("attempt_id")
    return list(
        attempts_answering(regrade.question_id, until=regrade.requested_at)
        .exclude(pk__in=done).order_by("pk").values_list("pk", flat=True)
    )


def plan_regrade(regrade_id):
    """The coordinator: send the attempts of the regrade not regraded yet as batch tasks
    of BATCH_SIZE. Safe to run again (it sends only what is left; a batch sent twice
    regrades nothing twice). Returns the number of batches sent."""
    regrade = Regrade.objects.filter(pk=regrade_id, finished_at__isnull=True).first()
    if regrade is None:
        return 0
    Regrade.objects.filter(pk=regrade.pk, started_at__isnull=True).update(started_at=timezone.now())
    ids = remaining_attempt_ids(regrade)
    if not ids:
        finish_if_done(regrade)
        return 0
    batches = [ids[start:start + BATCH_SIZE] for start in range(0, len(ids), BATCH_SIZE)]
    for batch in batches:
        queueing.send_task(tasks.regrade_batch, regrade.pk, batch)
    return len(batches)


def finish_if_done(regrade):
    """Mark the regrade finished once none of its attempts is left to regrade."""
    if not remaining_attempt_ids(regrade):
        Regrade.objects.filter(pk=regrade.pk, finished_at__isnull=True).update(finished_at=timezone.now())


def regrade_attempts(regrade_id, attempt_ids):
    """One batch: grade again, with the question's answer key as it is now, the answers to
    the regrade's question in the attempts `attempt_ids` it has not regraded yet; recompute
    each attempt's result (grading.attempt_result, under its quiz's rules as they are now);
    write the answers and attempts that changed, a RegradedAttempt per attempt and the
    regrade's counters in one transaction. Then progress follows through its door: an
    attempt that now passes completes the step; one that no longer passes reopens it (and
    revokes the course certificate) unless another attempt still passes. Idempotent: an
    attempt already regraded by this regrade is left as it is. Returns how many attempts
    it regraded."""
    with publishing.generation():  # one content token for the whole batch, read once
        return _regrade_attempts(regrade_id, attempt_ids)


def _regrade_attempts(regrade_id, attempt_ids):
    regrade = Regrade.objects.filter(pk=regrade_id, finished_at__isnull=True).first()
    if regrade is None:
        return 0
    (question,) = load_questions([regrade.question_id])
    quiz_ids = set(Attempt.objects.filter(pk__in=attempt_ids).values_list("quiz_id", flat=True))
    quizzes = page_objects(quiz_ids)
    outlines = {quiz_id: outline_of(quiz) for quiz_id, quiz in quizzes.items()}
    with transaction.atomic():
        attempts = list(
            Attempt.objects.select_for_update(of=("self",)).filter(pk__in=attempt_ids, status=Attempt.Status.GRADED)
            .order_by("pk")
        )
        # Read after the lock: a copy of this batch running meanwhile has committed its markers.
        done = set(RegradedAttempt.objects.filter(regrade=regrade, attempt_id__in=attempt_ids)
                   .values_list("attempt_id", flat=True))
        attempts = [attempt for attempt in attempts if attempt.pk not in done]
        answers = defaultdict(list)
        for answer in Answer.objects.filter(attempt__in=[attempt.pk for attempt in attempts]).order_by("attempt_id", "pk"):
            answers[answer.attempt_id].append(answer)
        # Every question of these attempts: the result asks each whether it takes a certainty.
        questions = {q.pk: q for q in load_questions({a.question_id for rows in answers.values() for a in rows})}
        changed_answers, changed_attempts, markers, gained, lost = [], [], [], [], []
        for attempt in attempts:
            attempt.quiz = quizzes[attempt.quiz_id]
            regraded = [answer for answer in answers[attempt.pk] if answer.question_id == question.pk]
            before = [graded_values(answer) for answer in regraded]
            for answer in regraded:
                services.grade_answer(question, answer)
            result = services.attempt_result_of(attempt, answers[attempt.pk], questions)
            changed_answers += [answer for answer, was in zip(regraded, before) if graded_values(answer) != was]
            markers.append(RegradedAttempt(
                regrade=regrade, attempt=attempt, score_before=attempt.score, score_after=result.score,
                passed_before=attempt.passed, passed_after=result.passed,
            ))
            if (attempt.score, attempt.max_score, attempt.percent, attempt.passed) != (
                result.score, result.max_score, result.percent, result.passed
            ):
                if attempt.passed and not result.passed:
                    lost.append(attempt)
                elif result.passed and not attempt.passed:
                    gained.append(attempt)
                attempt.score, attempt.max_score = result.score, result.max_score
                attempt.percent, attempt.passed = result.percent, result.passed
                changed_attempts.append(attempt)
        services.save_grades(changed_answers)
        Attempt.objects.bulk_update(changed_attempts, ["score", "max_score", "percent", "passed"])
        RegradedAttempt.objects.bulk_create(markers)
        Regrade.objects.filter(pk=regrade.pk).update(
            attempts_done=F("attempts_done") + len(markers),
            scores_changed=F("scores_changed") + len(changed_attempts),
            passed_to_failed=F("passed_to_failed") + len(lost),
            failed_to_passed=F("failed_to_passed") + len(gained),
        )
        for quiz_id in {attempt.quiz_id for attempt in changed_attempts}:
            statistics.request_refresh(quiz_id)
        follow_outcomes(gained, lost, quizzes, outlines)
    finish_if_done(regrade)
    return len(markers)


def graded_values(answer):
    return answer.score, answer.max_score, answer.feedback, answer.cbm_score


def outline_of(quiz):
    course = course_of(quiz)
    return course_outline(course) if course is not None else None


def follow_outcomes(gained, lost, quizzes, outlines):
    """Report the attempts that now pass (`gained`) or no longer pass (`lost`) through the
    progress door, each learner's step by the quiz's own rule."""
    users = User.objects.in_bulk({attempt.user_id for attempt in gained + lost})
    for attempt in gained:
        quiz, outline = quizzes[attempt.quiz_id], outlines[attempt.quiz_id]
        if outline is None:
            continue
        try:
            progress.record_step_completed(user=users[attempt.user_id], page=quiz, score=attempt.percent, outline=outline)
        except progress.ProgressRefused as refusal:
            logger.warning("Attempt %s passes once regraded but the step was not completed: %s", attempt.pk, refusal.message)
    for attempt in lost:
        quiz, outline = quizzes[attempt.quiz_id], outlines[attempt.quiz_id]
        if outline is not None:
            progress.withdraw_step_completion(
                user=users[attempt.user_id], page=quiz, reason=progress.REGRADED_CERTIFICATE_REASON, outline=outline
            )
