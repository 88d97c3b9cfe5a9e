"""Regrades: the attempts that answered a question graded again after its answer key
changed (quizzes.regrading), with their progress and what changed."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Regrade(models.Model):
    """One regrade of the graded attempts that answered `question`, asked by a trainer.
    Running while `finished_at` is null; one at a time per question."""

    question = models.ForeignKey(
        "quizzes.Question", on_delete=models.CASCADE, related_name="regrades", verbose_name=_("question")
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("demandée par")
    )
    requested_at = models.DateTimeField(_("demandée le"), auto_now_add=True)
    started_at = models.DateTimeField(_("commencée le"), null=True, blank=True)
    finished_at = models.DateTimeField(_("terminée le"), null=True, blank=True)
    attempts_total = models.PositiveIntegerField(_("tentatives à recorriger"), default=0)
    attempts_done = models.PositiveIntegerField(_("tentatives recorrigées"), default=0)
    scores_changed = models.PositiveIntegerField(_("notes changées"), default=0)
    passed_to_failed = models.PositiveIntegerField(_("réussies devenues échouées"), default=0)
    failed_to_passed = models.PositiveIntegerField(_("échouées devenues réussies"), default=0)

    class Meta:
        verbose_name = _("recorrection")
        verbose_name_plural = _("recorrections")
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["question"], condition=Q(finished_at__isnull=True), name="one_running_regrade_per_question"
            )
        ]

    def __str__(self):
        return f"{self.question_id} ({self.attempts_done}/{self.attempts_total})"

    @property
    def is_running(self):
        return self.finished_at is None

    @property
    def outcomes_changed(self):
        return self.passed_to_failed + self.failed_to_passed


class RegradedAttempt(models.Model):
    """An attempt a regrade has graded again, with its result before and after: the
    marker that makes each attempt regraded once per regrade, whatever redelivers."""

    regrade = models.ForeignKey(Regrade, on_delete=models.CASCADE, related_name="attempts")
    attempt = models.ForeignKey("quizzes.Attempt", on_delete=models.CASCADE, related_name="+")
    score_before = models.DecimalField(max_digits=8, decimal_places=2, null=True)
    score_after = models.DecimalField(max_digits=8, decimal_places=2, null=True)
    passed_before = models.BooleanField(null=True)
    passed_after = models.BooleanField(null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["regrade", "attempt"], name="unique_attempt_per_regrade")]
