"""Reviews of essays (questions graded by a person): a trainer scores and comments an
answer awaiting review; once the last essay of an attempt is reviewed, a task finalises
the attempt (score, progress, notice and mail to the learner).

Who may review: whoever holds the `quizzes.review_answer` permission (the trainers'
group, learners.roles) and superusers. Reads of the queue are in quizzes.selectors."""

import logging
import smtplib
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Exists, Max, OuterRef
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from config import queueing
from courses import publishing
from courses.serving import page_object
from home.refusals import Kind, Refused
from learners import notices
from learners.reminders import absolute_url
from quizzes import services, statistics, tasks
from quizzes.grading import count_words, plain_text
from quizzes.models import Answer, Attempt, format_decimal
from quizzes.selectors import load_questions

logger = logging.getLogger(__name__)

REVIEW_PERMISSION = "quizzes.review_answer"
MAX_COMMENT_CHARACTERS = 5_000


class ReviewRefused(Refused):
    """This review cannot be saved; `message` tells the reviewer why."""


class NotAReviewer(ReviewRefused):
    kind = Kind.FORBIDDEN
    message = _("Vous n'avez pas le droit de relire les réponses.")


class NoSuchReview(ReviewRefused):
    """No such answer, or one that no person has to score."""

    kind = Kind.NOT_FOUND
    message = _("Cette réponse n'existe pas ou n'attend pas de relecture.")


class AlreadyReviewed(ReviewRefused):
    """Someone saved a review of this answer first; nothing of this one was written."""

    kind = Kind.CONFLICT

    def __init__(self, reviewer_name):
        super().__init__(_(
            "%(name)s vient d'enregistrer sa relecture de cette réponse : la vôtre n'a pas été enregistrée. "
            "Votre note et votre commentaire sont repris ci-dessous pour mémoire."
        ) % {"name": reviewer_name})


class InvalidScore(ReviewRefused):
    """Raised with what is wrong with the score (checked_score)."""

    kind = Kind.INVALID


def checked_score(score, max_score):
    """`score` (a Decimal) if a reviewer may give it to an answer worth `max_score`: from 0
    to it, to the hundredth at most; InvalidScore saying why otherwise."""
    if score is None or not Decimal(0) <= score <= max_score:
        raise InvalidScore(_("La note doit être comprise entre 0 et %(max)s.") % {"max": format_decimal(max_score)})
    if score != score.quantize(Decimal("0.01")):
        raise InvalidScore(_("Donnez la note au centième près au plus (par exemple 1,25)."))
    return score


def can_review(user):
    return user.is_authenticated and user.has_perm(REVIEW_PERMISSION)


def reviewer_name(user):
    if user is None:
        return gettext("Une autre personne")
    return user.get_full_name() or user.email


@dataclass(frozen=True)
class ReviewItem:
    """What the review screen shows of one answer: the question as its own type (prompt,
    rubric, word limit), the answer with its attempt and learner, the quiz."""

    answer: Answer
    question: object

    @property
    def attempt(self):
        return self.answer.attempt

    @property
    def text(self):
        return self.answer.payload

    @property
    def words(self):
        return count_words(self.answer.payload)


def answer_to_review(answer_id):
    """The answer `answer_id` as the review screen shows it; NoSuchReview unless it is an
    answered essay of a graded or reviewed attempt."""
    answer = (
        Answer.objects.select_related("attempt__user", "attempt__quiz", "reviewed_by")
        .filter(pk=answer_id, payload__isnull=False)
        .first()
    )
    if answer is None or answer.attempt.status not in (Attempt.Status.NEEDS_REVIEW, Attempt.Status.GRADED):
        raise NoSuchReview()
    question = load_questions([answer.question_id])[0]
    if not question.graded_by_a_person:
        raise NoSuchReview()
    return ReviewItem(answer, question)


def review_answer(*, reviewer, answer_id, score, comment=""):
    """`reviewer` scores the essay answer `answer_id` (`score`, a Decimal from 0 to the
    answer's maximum, to the hundredth) with a `comment` for the learner. A review is
    written once: when two reviewers save the same answer, the first wins and the other
    gets AlreadyReviewed, nothing of theirs written (the row changes only while its
    `reviewed_at` is null). The attempt row is locked first, so that reviews of one
    attempt's essays follow each other: the one that reviews the last essay queues the
    attempt's finalisation after its commit."""
    if not can_review(reviewer):
        raise NotAReviewer()
    answer = answer_to_review(answer_id).answer
    score = checked_score(score, answer.max_score)
    comment = plain_text(comment or "")[:MAX_COMMENT_CHARACTERS]
    with transaction.atomic():
        Attempt.objects.select_for_update().filter(pk=answer.attempt_id).first()
        written = Answer.objects.filter(pk=answer.pk, reviewed_at__isnull=True, score__isnull=True).update(
            score=score, reviewed_by=reviewer, reviewed_at=timezone.now(), review_comment=comment
        )
        if not written:
            first = Answer.objects.select_related("reviewed_by").get(pk=answer.pk).reviewed_by
            raise AlreadyReviewed(reviewer_name(first))
        if not Answer.objects.filter(attempt_id=answer.attempt_id, score__isnull=True).exists():
            queueing.enqueue_on_commit(tasks.finalise_reviewed_attempt, answer.attempt_id)
    return answer


def finalise_reviewed_attempt(attempt_id):
    """Finalise an attempt awaiting review whose essays are all reviewed: its total (by
    grading.attempt_result), status `graded`, its step completed if it passes (the
    progress door), the item statistics refreshed, a notice on the learner's dashboard
    and, after the commit, a mail in their language. Idempotent: an attempt not awaiting
    review, or with an essay still to review, is left as it is; returns True if
    finalised here (two runs at once: one finalises, the other finds nothing to do)."""
    with publishing.generation():
        attempt = Attempt.objects.select_related("user").filter(pk=attempt_id).first()
        if attempt is None or attempt.status != Attempt.Status.NEEDS_REVIEW:
            return False
        answers = list(attempt.answers.all())
        if any(answer.score is None for answer in answers):
            return False
        attempt.quiz = page_object(attempt.quiz_id)
        questions = {q.pk: q for q in load_questions([a.question_id for a in answers])}
        result = services.attempt_result_of(attempt, answers, questions)
        outline = services.passed_outline(attempt, result)
        with transaction.atomic():
            if not Attempt.objects.filter(pk=attempt.pk, status=Attempt.Status.NEEDS_REVIEW).update(
                score=result.score, max_score=result.max_score, percent=result.percent, passed=result.passed,
                status=Attempt.Status.GRADED, graded_at=timezone.now(),
            ):
                return False
            services.save_grades(answers)
            statistics.request_refresh(attempt.quiz_id)
            services.complete_passed_step(attempt, result, outline)
            notices.post_quiz_reviewed(
                user=attempt.user, attempt_id=attempt.pk, quiz_title=attempt.quiz.title, percent=result.percent,
                url=reverse("quiz_result", args=[attempt.pk]),
            )
            transaction.on_commit(lambda: mail_reviewed_attempt(attempt, result))
    return True


def mail_reviewed_attempt(attempt, result):
    """Tell the learner by mail that `attempt` is corrected (its `result`); a mail that
    cannot leave is logged (the dashboard notice remains)."""
    user = attempt.user
    with translation.override(user.preferred_language or settings.LANGUAGE_CODE):
        values = {"quiz": attempt.quiz.title, "percent": result.percent}
        subject = gettext("Votre quiz « %(quiz)s » a été corrigé : %(percent)s %%") % values
        body = render_to_string("quizzes/emails/attempt_reviewed.txt", {
            "user": user, "passed": result.passed, "pass_mark": attempt.quiz.pass_mark, **values,
            "result_url": absolute_url(reverse("quiz_result", args=[attempt.pk])),
        })
    try:
        send_mail(subject=subject, message=body, from_email=None, recipient_list=[user.email], fail_silently=False)
    except (smtplib.SMTPException, OSError):
        logger.exception("The mail of reviewed attempt %s could not be sent", attempt.pk)


def requeue_reviewed_attempts():
    """Queue again the finalisation of attempts awaiting review whose essays were all
    reviewed longer than QUIZ_REGRADE_AFTER ago (a lost message). Returns how many."""
    awaiting = Answer.objects.filter(attempt=OuterRef("pk"), score__isnull=True)
    due = list(
        Attempt.objects.filter(status=Attempt.Status.NEEDS_REVIEW).exclude(Exists(awaiting))
        .annotate(last_review=Max("answers__reviewed_at"))
        .filter(last_review__lt=timezone.now() - settings.QUIZ_REGRADE_AFTER).values_list("pk", flat=True)
    )
    for attempt_id in due:
        queueing.send_task(tasks.finalise_reviewed_attempt, attempt_id)
    return len(due)
