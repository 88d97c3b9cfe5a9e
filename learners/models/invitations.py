"""Invitations to join an organisation, and CSV imports waiting for confirmation.

An invitation is a single-use link sent by e-mail. Only the SHA-256 hash of its token is
stored: the token itself exists only in the mail (and in memory while it is sent), so a
copy of the database opens no door. learners.invitations changes these rows."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from learners.models.organisations import Membership, Organisation, Team


class Invitation(models.Model):
    """Someone invited by e-mail to join an organisation (in a team or across it), with a role.

    At most one open invitation (neither accepted nor revoked) per organisation and
    e-mail address: inviting again renews it instead."""

    class Status(models.TextChoices):
        PENDING = "pending", _("En attente")  # sent, not yet used, not expired
        ACCEPTED = "accepted", _("Acceptée")  # used once: the membership exists
        EXPIRED = "expired", _("Expirée")  # not used before expires_at; may be sent again
        REVOKED = "revoked", _("Révoquée")  # withdrawn by a manager; the link is dead

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="invitations", verbose_name=_("organisation")
    )
    # A team's invitations go with it (a team with pending invitations cannot be deleted
    # from the manager space); never "no team", which would widen a manager's powers.
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="invitations", verbose_name=_("équipe")
    )
    email = models.EmailField(_("adresse e-mail"))
    first_name = models.CharField(_("prénom"), max_length=150, blank=True)
    last_name = models.CharField(_("nom"), max_length=150, blank=True)
    role = models.CharField(_("rôle"), max_length=16, choices=Membership.Role.choices, default=Membership.Role.LEARNER)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("invité par"),
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(_("expire le"))
    last_sent_at = models.DateTimeField(_("dernier envoi"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("acceptée le"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("acceptée par"),
    )
    revoked_at = models.DateTimeField(_("révoquée le"), null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "email"], condition=Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="one_open_invitation_per_email",
            ),
        ]

    def __str__(self):
        return f"{self.email} → {self.organisation}"

    def status(self, now=None):
        if self.accepted_at is not None:
            return self.Status.ACCEPTED
        if self.revoked_at is not None:
            return self.Status.REVOKED
        if self.expires_at <= (now or timezone.now()):
            return self.Status.EXPIRED
        return self.Status.PENDING

    @property
    def current_status(self):
        return self.status()

    def get_current_status_display(self):
        return self.Status(self.status()).label


class ImportBatch(models.Model):
    """A CSV file read and shown as a preview, waiting for the manager to confirm it.

    Holds the parsed rows (never the file) so that confirming does not trust anything the
    browser sends back; the rows are checked again on confirmation. Short-lived: one per
    manager and organisation (a new upload replaces it), deleted once imported, ignored
    after VALID_FOR."""

    VALID_FOR = timedelta(hours=1)

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    file_name = models.CharField(max_length=255, blank=True)
    encoding = models.CharField(max_length=16)  # "utf-8" or "cp1252": said in the preview
    rows = models.JSONField(default=list)  # [{"line", "email", "first_name", "last_name", "team"}]

    class Meta:
        verbose_name = _("import en attente")
        verbose_name_plural = _("imports en attente")

    def __str__(self):
        return f"{self.file_name} ({self.organisation_id})"

    @property
    def expires_at(self):
        return self.created_at + self.VALID_FOR
