"""Exports of a manager's view of their organisation (CSV or XLSX), built in the
background when large. The file belongs to the manager who asked, and expires."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

EXPORT_LIFETIME = timedelta(hours=24)


def export_expiry():
    return timezone.now() + EXPORT_LIFETIME


class Export(models.Model):
    class Format(models.TextChoices):
        CSV = "csv", _("CSV (tableur, texte)")
        XLSX = "xlsx", _("Excel (XLSX)")

    class Status(models.TextChoices):
        PENDING = "pending", _("En attente")  # queued, no worker has taken it yet
        RUNNING = "running", _("En cours")  # a worker is writing the file
        DONE = "done", _("Prêt")  # the file can be downloaded until expires_at
        FAILED = "failed", _("Échec")  # nothing to download; the manager may ask again

    organisation = models.ForeignKey(
        "learners.Organisation", on_delete=models.CASCADE, related_name="exports", verbose_name=_("organisation")
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="exports", verbose_name=_("demandé par")
    )
    format = models.CharField(_("format"), max_length=8, choices=Format.choices)
    filters = models.JSONField(_("filtres"), default=dict, blank=True)  # {"team": id or None, "course": id}
    status = models.CharField(_("état"), max_length=16, choices=Status.choices, default=Status.PENDING)
    progress = models.PositiveSmallIntegerField(_("avancement (%)"), default=0)
    row_count = models.PositiveIntegerField(_("lignes"), default=0)
    file = models.FileField(_("fichier"), upload_to="exports/", blank=True)
    created_at = models.DateTimeField(_("demandé le"), default=timezone.now)
    expires_at = models.DateTimeField(_("expire le"), default=export_expiry)

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["expires_at"])]

    def __str__(self):
        return f"{self.organisation_id} {self.format} {self.created_at:%Y-%m-%d %H:%M} ({self.status})"

    def has_expired(self, now=None):
        return (now or timezone.now()) >= self.expires_at
