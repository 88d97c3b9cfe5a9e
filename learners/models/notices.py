"""Notices: short news for a learner, shown on their dashboard until they mark them seen."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Notice(models.Model):
    """One piece of news for one learner. Its text is written when shown, in the reader's
    language, from its kind and values (`message`)."""

    class Kind(models.TextChoices):
        QUIZ_REVIEWED = "quiz_reviewed", _("Quiz corrigé")  # a trainer reviewed the essays of an attempt

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    about_id = models.PositiveBigIntegerField()  # what it is about (QUIZ_REVIEWED: the attempt)
    subject = models.CharField(max_length=255)  # named in the text (QUIZ_REVIEWED: the quiz's title)
    percent = models.PositiveSmallIntegerField(null=True, blank=True)
    url = models.CharField(max_length=500, blank=True)  # where "Voir" leads
    created_at = models.DateTimeField(auto_now_add=True)
    seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("avis")
        verbose_name_plural = _("avis")
        constraints = [models.UniqueConstraint(fields=["kind", "about_id"], name="one_notice_per_subject")]
        indexes = [models.Index(fields=["user", "seen_at"])]

    def __str__(self):
        return f"{self.kind} {self.about_id} → {self.user_id}"

    @property
    def message(self):
        return _("Votre quiz « %(quiz)s » a été corrigé : %(percent)s %%") % {
            "quiz": self.subject, "percent": self.percent,
        }
