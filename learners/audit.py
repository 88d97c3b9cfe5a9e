"""The audit log of sensitive actions: who did what, to what, and when.

Call `record(...)` inside the transaction of the change it describes, so that the
event is written with the change or not at all:

    with transaction.atomic():
        attempt.override_score(...)
        audit.record(actor=request.user, action=audit.Action.SCORE_OVERRIDE, target=attempt,
                     request=request, before="12", after="15", reason=reason)

Events are never changed or deleted; administrators read them in the admin
(learners.viewsets.AuditEventViewSet)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from home.client import client_address


class Action(models.TextChoices):
    # An administrator set the revocation date of a certificate, or the platform revoked
    # one it should not have issued (no actor; details: reason).
    CERTIFICATE_REVOKED = "certificate_revoked", _("Certificat révoqué")
    # An administrator cleared the revocation date: the certificate is valid again.
    CERTIFICATE_REINSTATED = "certificate_reinstated", _("Certificat rétabli")
    # The date or the reason of a revocation changed while the certificate stays revoked.
    CERTIFICATE_REVOCATION_CHANGED = "certificate_revocation_changed", _("Révocation modifiée")
    # An attempt was graded again (planned: manual regrade).
    REGRADE = "regrade", _("Nouvelle correction")
    # A grader replaced the computed score of an answer or attempt (planned).
    SCORE_OVERRIDE = "score_override", _("Note modifiée à la main")
    # A step marked completed without meeting its rule was reopened (details: step, course).
    COMPLETION_WITHDRAWN = "completion_withdrawn", _("Étape rouverte")
    # Someone exported learners' data (planned: manager exports, data-rights requests).
    EXPORT = "export", _("Export de données")
    # A user's groups, superuser or staff status changed (details: before, after).
    ROLE_CHANGED = "role_changed", _("Rôle modifié")
    # An account was deleted (the target label keeps the e-mail address).
    ACCOUNT_DELETED = "account_deleted", _("Compte supprimé")
    # Two-factor authentication switched on or off for an account (by its owner).
    TWO_FACTOR_ENABLED = "two_factor_enabled", _("Double authentification activée")
    TWO_FACTOR_DISABLED = "two_factor_disabled", _("Double authentification désactivée")


def record(*, actor, action, target=None, target_label=None, request=None, **details):
    """Append one event to the audit log and return it.

    `actor` is the person acting (None or an anonymous user for the platform itself);
    their e-mail address is copied, so the event still says who after the account is
    deleted. `target` is the object acted on: its type, primary key and label (its
    str(), or `target_label`) are copied as they are now. `request` gives the IP address.
    `details` must be JSON-serialisable (dates and decimals are turned into text)."""
    from learners.models import AuditEvent

    if actor is not None and not actor.is_authenticated:
        actor = None
    return AuditEvent.objects.create(
        actor=actor,
        actor_email=actor.email if actor is not None else "",
        action=Action(action),
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_label=(target_label if target_label is not None else str(target) if target is not None else "")[:300],
        details=details,
        ip_address=client_address(request) if request is not None else None,
    )


# --- What changed: the events the admin screens record ---------------------------------


def revocation_action(*, was_revoked_at, was_reason, certificate):
    """The action a certificate edit amounts to, or None when the revocation is untouched."""
    if was_revoked_at is None and certificate.revoked_at is not None:
        return Action.CERTIFICATE_REVOKED
    if was_revoked_at is not None and certificate.revoked_at is None:
        return Action.CERTIFICATE_REINSTATED
    if certificate.revoked_at is not None and (was_revoked_at, was_reason) != (
        certificate.revoked_at, certificate.revocation_reason
    ):
        return Action.CERTIFICATE_REVOCATION_CHANGED
    return None


def record_certificate_edit(*, actor, certificate, was_revoked_at, was_reason, request=None):
    """Record the revocation, reinstatement or revocation change an edit made, if any."""
    action = revocation_action(was_revoked_at=was_revoked_at, was_reason=was_reason, certificate=certificate)
    if action is None:
        return None
    return record(
        actor=actor, action=action, target=certificate, request=request,
        reason=certificate.revocation_reason, revoked_at=certificate.revoked_at,
        previous_reason=was_reason, previously_revoked_at=was_revoked_at,
    )


def role_snapshot(user):
    """What gives `user` their powers: group names, superuser and staff status."""
    if user.pk is None:
        return {"groups": [], "is_superuser": False, "is_staff": False}
    return {
        "groups": sorted(user.groups.values_list("name", flat=True)),
        "is_superuser": user.is_superuser,
        "is_staff": user.is_staff,
    }


def record_role_change(*, actor, user, before, request=None):
    """Record role_changed with `before` and the user's roles now, if they differ."""
    after = role_snapshot(user)
    if after == before:
        return None
    return record(
        actor=actor, action=Action.ROLE_CHANGED, target=user, target_label=user.email, request=request,
        before=before, after=after,
    )


def record_account_deletion(*, actor, user, request=None):
    """Record that `user`'s account is being deleted (call it before the delete)."""
    return record(
        actor=actor, action=Action.ACCOUNT_DELETED, target=user, target_label=user.email, request=request,
        roles=role_snapshot(user),
    )
