"""The item statistics of a quiz as last computed (quizzes.statistics), kept as a row so
that every process reads the same report and it survives restarts."""

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _


class QuizStatistics(models.Model):
    """One quiz's stored item statistics, and whether a new computation is queued."""

    quiz = models.OneToOneField(
        "quizzes.QuizPage", on_delete=models.CASCADE, related_name="item_statistics", verbose_name=_("quiz")
    )
    # A computation is queued and has not started: set when an attempt is graded (or a
    # trainer asks), cleared by the task as it starts; a burst of gradings queues one.
    requested_at = models.DateTimeField(_("calcul demandé le"), null=True, blank=True)
    computed_at = models.DateTimeField(_("calculées le"), null=True, blank=True)  # null: never computed
    attempts = models.PositiveIntegerField(_("tentatives comptées"), default=0)
    report = models.JSONField(_("rapport"), default=dict, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        verbose_name = _("statistiques d'un quiz")
        verbose_name_plural = _("statistiques des quiz")

    def __str__(self):
        return f"{self.quiz_id} ({self.attempts})"

    @property
    def is_computed(self):
        return self.computed_at is not None
