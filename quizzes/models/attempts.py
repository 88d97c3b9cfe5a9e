"""Attempts and answers: one learner's go at a quiz, and what they answered to each
question, with what it earned once graded."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from quizzes.grading import Certainty


class Attempt(models.Model):
    """One go at a quiz by one learner."""

    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", _("En cours")  # answering; drafts autosaved
        SUBMITTED = "submitted", _("Envoyée")  # answers stored, waiting for the grader
        GRADED = "graded", _("Corrigée")  # score known
        NEEDS_REVIEW = "needs_review", _("En attente de relecture")  # a trainer must grade part of it

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="quiz_attempts")
    quiz = models.ForeignKey("quizzes.QuizPage", on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.IN_PROGRESS)
    question_order = models.JSONField(default=list)  # question ids, as shown in this attempt
    choice_order = models.JSONField(default=dict)  # question id -> option ids, as shown
    drafts = models.JSONField(default=dict, blank=True)  # question id -> raw response, autosaved
    started_at = models.DateTimeField(auto_now_add=True)
    deadline = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    graded_at = models.DateTimeField(null=True, blank=True)
    grade_count = models.PositiveSmallIntegerField(default=0)  # how many times grading ran: 1
    score = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    max_score = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    percent = models.PositiveSmallIntegerField(null=True, blank=True)
    passed = models.BooleanField(null=True)

    class Meta:
        verbose_name = _("tentative")
        verbose_name_plural = _("tentatives")
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "quiz", "number"], name="unique_attempt_number"),
            models.UniqueConstraint(
                fields=["user", "quiz"], condition=Q(status="in_progress"), name="one_attempt_in_progress"
            ),
        ]
        indexes = [models.Index(fields=["status", "submitted_at"])]

    def __str__(self):
        return f"{self.quiz_id} #{self.number} — {self.user_id} ({self.status})"


class Answer(models.Model):
    """What a learner answered to one question of an attempt and, once graded, what it earned."""

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey("quizzes.Question", on_delete=models.PROTECT, related_name="answers")
    payload = models.JSONField(null=True)  # the cleaned response; null when unanswered
    score = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    max_score = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    feedback = models.JSONField(default=list, blank=True)
    # Certainty-based marking only (QuizPage.certainty_based_marking): how sure the learner
    # said they were (null when unanswered or on another quiz), and what the answer earned
    # at that certainty (quizzes.grading.cbm_score); score and max_score stay the
    # question's own points, from which right or wrong is read.
    certainty = models.PositiveSmallIntegerField(_("certitude"), choices=Certainty.choices, null=True, blank=True)
    cbm_score = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    # A question a person scores (Question.graded_by_a_person): once answered, it keeps a
    # null score after grading until a reviewer gives one (quizzes.reviews), with a comment.
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_comment = models.TextField(_("commentaire du relecteur"), blank=True)

    class Meta:
        verbose_name = _("réponse")
        verbose_name_plural = _("réponses")
        constraints = [models.UniqueConstraint(fields=["attempt", "question"], name="unique_answer_per_question")]
        permissions = [("review_answer", _("Peut relire et noter les réponses ouvertes"))]

    @property
    def is_right(self):
        """Whether the graded answer earned all of the question's points (a correction
        shows it as right, anything less as wrong); None before grading."""
        if self.score is None:
            return None
        return self.score >= self.max_score
