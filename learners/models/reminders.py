"""Reminders sent about an assignment: one row per assignment and day, written before
the mail goes, so that the database (not a lock, not luck) decides that a person is
never reminded twice the same day about the same course."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from learners.models.organisations import Assignment


class Reminder(models.Model):
    class Kind(models.TextChoices):
        AUTOMATIC = "automatic", _("Automatique")  # sent by the daily task, per the organisation's setting
        MANUAL = "manual", _("Manuelle")  # sent by a manager from the assignments page

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="reminders")
    sent_on = models.DateField(_("envoyée le"))
    kind = models.CharField(_("type"), max_length=16, choices=Kind.choices)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("envoyée par"),
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("relance")
        verbose_name_plural = _("relances")
        constraints = [
            models.UniqueConstraint(fields=["assignment", "sent_on"], name="one_reminder_per_assignment_and_day")
        ]

    def __str__(self):
        return f"{self.assignment_id} — {self.sent_on} ({self.kind})"
