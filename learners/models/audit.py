"""The audit log: append-only events."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from learners.audit import Action as AuditAction


class AuditEvent(models.Model):
    """One sensitive action in the audit log (learners.audit.record writes them).

    Append-only: what it copies (the actor's e-mail, the target's label) stays as it
    was at the time, whatever happens to the people and objects afterwards."""

    at = models.DateTimeField(_("date"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("auteur"),
    )
    actor_email = models.CharField(_("e-mail de l'auteur"), max_length=254, blank=True)
    action = models.CharField(_("action"), max_length=40, choices=AuditAction.choices)
    target_type = models.CharField(_("type de la cible"), max_length=100, blank=True)
    target_id = models.CharField(_("identifiant de la cible"), max_length=64, blank=True)
    target_label = models.CharField(_("cible"), max_length=300, blank=True)
    details = models.JSONField(_("détails"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    ip_address = models.GenericIPAddressField(_("adresse IP"), null=True, blank=True)

    class Meta:
        verbose_name = _("événement du journal d'audit")
        verbose_name_plural = _("journal d'audit")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["target_type", "target_id"], name="audit_event_target")]

    def __str__(self):
        return f"{self.get_action_display()} — {self.target_label or '-'} ({self.actor_email or '-'})"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError("Audit events are append-only: an event is never changed.")
        super().save(*args, **kwargs)
