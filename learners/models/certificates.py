"""Certificates: issued by the platform, withdrawn by revocation."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel


class Certificate(models.Model):
    """Proof that a learner completed a course. Issued once; keeps the names it was
    issued with, so it outlives changes to (or the removal of) the course."""

    code = models.CharField(_("code de vérification"), max_length=32, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="certificates", verbose_name=_("apprenant")
    )
    course = models.ForeignKey(
        "courses.CoursePage", null=True, blank=True, on_delete=models.SET_NULL, related_name="certificates",
        verbose_name=_("formation"),
    )
    learner_name = models.CharField(_("nom de l'apprenant"), max_length=300)
    course_title = models.CharField(_("intitulé de la formation"), max_length=255)
    issued_at = models.DateTimeField(_("délivré le"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("révoqué le"), null=True, blank=True)
    revocation_reason = models.CharField(_("motif de révocation"), max_length=255, blank=True)

    panels = [
        FieldPanel("code", read_only=True),
        FieldPanel("learner_name", read_only=True),
        FieldPanel("course_title", read_only=True),
        FieldPanel("issued_at", read_only=True),
        FieldPanel("revoked_at"),
        FieldPanel("revocation_reason"),
    ]

    class Meta:
        verbose_name = _("certificat")
        verbose_name_plural = _("certificats")
        ordering = ["-issued_at"]
        constraints = [models.UniqueConstraint(fields=["user", "course"], name="one_certificate_per_course")]

    def __str__(self):
        return f"{self.course_title} — {self.learner_name} ({self.code})"

    @property
    def is_valid(self):
        return self.revoked_at is None

    @property
    def issued_to_deleted_account(self):
        """The holder deleted their account: the certificate stays verifiable (code,
        course, date) but no longer names them (learners.data_rights.delete_account)."""
        return not self.learner_name
