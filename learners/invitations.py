"""Invitations to an organisation: invite, resend, revoke, accept; and the first manager
an administrator names.

A token is 32 random bytes (URL-safe text); only its SHA-256 hash is stored. The token
travels in the mail's link and nowhere else; resending draws a new one, so the old link
dies. Accepting claims the invitation with one conditional UPDATE (still open, not
expired) in the same transaction as the membership: two concurrent accepts make one
membership, the second is told the link was already used.

Mails are sent after the commit (never for a change that was rolled back), in the
invitee's language when they already have an account, otherwise in French (the site's
default): the inviter's language says nothing about the person invited. Links are built
on settings.WAGTAILADMIN_BASE_URL, the site's public address."""

import hashlib
import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from home.refusals import Kind, Refused
from learners import audit
from learners.assignments import assign_team_courses_to
from learners.models import Invitation, Membership, User

logger = logging.getLogger(__name__)

TOKEN_BYTES = 32
MAX_TOKEN_LENGTH = 100  # a token is 43 characters; anything much longer is not one of ours


class InvitationRefused(Refused):
    """An invitation action that cannot be done; `message` says why, in the user's language."""

    kind = Kind.INVALID


# --- Tokens and small reads -----------------------------------------------------------


def hash_token(token):
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token():
    """A fresh token and its hash."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    return token, hash_token(token)


def expiry(now=None):
    return (now or timezone.now()) + timedelta(days=settings.INVITATION_VALID_DAYS)


def normalise_email(email):
    return (email or "").strip().lower()


def is_member(organisation, email):
    return Membership.objects.filter(organisation=organisation, user__email__iexact=normalise_email(email)).exists()


def open_invitations(organisation):
    """Invitations neither accepted nor revoked (pending or expired)."""
    return Invitation.objects.filter(organisation=organisation, accepted_at__isnull=True, revoked_at__isnull=True)


def member_emails(organisation):
    """The e-mail addresses (lower case) of everyone in `organisation`. One query."""
    return set(
        Membership.objects.filter(organisation=organisation).annotate(address=Lower("user__email"))
        .values_list("address", flat=True)
    )


def pending_emails(organisation, now=None):
    """The addresses with a pending (open, not expired) invitation. One query."""
    return set(open_invitations(organisation).filter(expires_at__gt=now or timezone.now()).values_list("email", flat=True))


def invitations_seen(scope):
    """The invitations `scope` may see and act on: those of the teams it sees, and those
    without a team for a whole-organisation view."""
    rows = Invitation.objects.filter(organisation=scope.organisation)
    if not scope.whole_organisation:
        rows = rows.filter(team_id__in=scope.team_ids)
    return rows.select_related("team", "invited_by", "accepted_by")


# --- Mail -----------------------------------------------------------------------------


def accept_url(token):
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + reverse("invitation_accept", args=[token])


def mail_language(email, languages=None):
    """The language of the invitee's account if they have one, else the site's (French)."""
    if languages is None:
        languages = dict(
            User.objects.filter(email__iexact=email).annotate(address=Lower("email"))
            .values_list("address", "preferred_language")
        )
    supported = {code for code, _name in settings.LANGUAGES}
    language = languages.get(normalise_email(email))
    return language if language in supported else settings.LANGUAGE_CODE


def invitation_message(invitation, token, language):
    with translation.override(language):
        context = {
            "invitation": invitation,
            "organisation": invitation.organisation,
            "inviter": invitation.invited_by,
            "url": accept_url(token),
            "valid_days": settings.INVITATION_VALID_DAYS,
        }
        subject = render_to_string("learners/emails/invitation_subject.txt", context).strip()
        body = render_to_string("learners/emails/invitation_body.txt", context)
    return EmailMessage(subject=" ".join(subject.split()), body=body, to=[invitation.email])


def send_invitation_mails(issued):
    """Mail each (invitation, token) of `issued` over one connection, then date the
    invitations sent. Called after the commit: a failure is logged, the invitations stay
    (a manager can send them again)."""
    if not issued:
        return
    emails = [invitation.email for invitation, _token in issued]
    languages = dict(
        User.objects.annotate(address=Lower("email")).filter(address__in=emails).values_list("address", "preferred_language")
    )
    messages = [invitation_message(invitation, token, mail_language(invitation.email, languages)) for invitation, token in issued]
    try:
        get_connection().send_messages(messages)
    except Exception:  # the mail server is an edge we do not own: say so, keep the rows
        logger.exception("Invitation mails could not be sent (%d invitations).", len(messages))
        return
    Invitation.objects.filter(pk__in=[invitation.pk for invitation, _token in issued]).update(last_sent_at=timezone.now())


def mail_after_commit(issued):
    transaction.on_commit(lambda: send_invitation_mails(issued))


# --- Invite, resend, revoke -------------------------------------------------------------


def invite(*, organisation, email, invited_by, first_name="", last_name="", team=None, role=Membership.Role.LEARNER):
    """Invite `email` to `organisation` (in `team`, or across it when None) with `role`,
    and mail the link after the commit. An expired invitation to the same address is
    renewed (new link, new details). Refused, with nothing written, when the person is
    already a member or already has a pending invitation."""
    email = normalise_email(email)
    try:
        with transaction.atomic():
            if is_member(organisation, email):
                raise InvitationRefused(
                    _("%(email)s fait déjà partie de cette organisation : changez plutôt son équipe ou son rôle "
                      "dans « Équipes et personnes ».") % {"email": email}
                )
            invitation = open_invitations(organisation).select_for_update().filter(email=email).first()
            now = timezone.now()
            if invitation is not None and invitation.status(now) == Invitation.Status.PENDING:
                raise InvitationRefused(
                    _("%(email)s a déjà une invitation en attente : renvoyez-la depuis la liste si le message "
                      "s'est perdu.") % {"email": email}
                )
            token, token_hash = new_token()
            invitation = invitation or Invitation(organisation=organisation, email=email, created_at=now)
            invitation.team, invitation.role = team, role
            invitation.first_name, invitation.last_name = first_name.strip(), last_name.strip()
            invitation.invited_by, invitation.token_hash, invitation.expires_at = invited_by, token_hash, expiry(now)
            invitation.save()
            mail_after_commit([(invitation, token)])
    except IntegrityError:  # the same address invited at the same moment by someone else
        raise InvitationRefused(_("%(email)s a déjà une invitation en attente.") % {"email": email}) from None
    return invitation


def resend(*, invitation):
    """Send `invitation` again with a new link and a new expiry; the old link stops
    working at once. Refused for an accepted or revoked invitation."""
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update(of=("self",))  # PostgreSQL locks no nullable join
            .select_related("organisation", "team", "invited_by").get(pk=invitation.pk)
        )
        if invitation.accepted_at is not None:
            raise InvitationRefused(_("Cette invitation a déjà été acceptée."), kind=Kind.CONFLICT)
        if invitation.revoked_at is not None:
            raise InvitationRefused(
                _("Cette invitation a été révoquée : invitez la personne à nouveau."), kind=Kind.CONFLICT
            )
        token, invitation.token_hash = new_token()
        invitation.expires_at = expiry()
        invitation.save(update_fields=["token_hash", "expires_at"])
        mail_after_commit([(invitation, token)])
    return invitation


def revoke(*, invitation):
    """Withdraw `invitation`: its link stops working. Revoking twice is a no-op; an
    accepted invitation cannot be revoked (remove the person instead)."""
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if invitation.accepted_at is not None:
            raise InvitationRefused(
                _("Cette invitation a déjà été acceptée : retirez plutôt la personne de l'organisation."),
                kind=Kind.CONFLICT,
            )
        if invitation.revoked_at is None:
            invitation.revoked_at = timezone.now()
            invitation.save(update_fields=["revoked_at"])
    return invitation


# --- Acceptance ---------------------------------------------------------------------------


def find_invitation(token):
    """The open invitation whose link carries `token`. InvitationRefused (not found) for a
    token that is not ours, (gone) for one that was used, revoked or has expired."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise InvitationRefused(
            _("Ce lien d'invitation n'existe pas. Vérifiez qu'il a été copié en entier."), kind=Kind.NOT_FOUND
        )
    invitation = Invitation.objects.select_related("organisation", "team").filter(token_hash=hash_token(token)).first()
    if invitation is None:
        raise InvitationRefused(
            _("Ce lien d'invitation n'existe pas ou n'est plus valable (une invitation renvoyée remplace "
              "l'ancien lien). Utilisez le dernier message reçu ou demandez une nouvelle invitation."),
            kind=Kind.NOT_FOUND,
        )
    status = invitation.status()
    if status == Invitation.Status.ACCEPTED:
        raise InvitationRefused(
            _("Cette invitation a déjà été utilisée. Connectez-vous pour accéder à votre espace."), kind=Kind.GONE
        )
    if status == Invitation.Status.REVOKED:
        raise InvitationRefused(_("Cette invitation a été annulée par l'organisation."), kind=Kind.GONE)
    if status == Invitation.Status.EXPIRED:
        raise InvitationRefused(
            _("Cette invitation a expiré. Demandez à la personne qui vous a invité de vous l'envoyer à nouveau."),
            kind=Kind.GONE,
        )
    return invitation


def email_matches(invitation, user):
    return normalise_email(user.email) == normalise_email(invitation.email)


def accept(*, token, user):
    """`user` accepts the invitation: claims it and joins the organisation, in one
    transaction. Only the invited address may accept (403 otherwise); a token already
    used — also by a concurrent request — is refused (410) and changes nothing."""
    with transaction.atomic():
        invitation = find_invitation(token)
        if not email_matches(invitation, user):
            raise InvitationRefused(
                _("Cette invitation a été envoyée à une autre adresse que celle de votre compte. Déconnectez-vous, "
                  "puis ouvrez à nouveau le lien."), kind=Kind.FORBIDDEN
            )
        now = timezone.now()
        claimed = Invitation.objects.filter(
            pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now
        ).update(accepted_at=now, accepted_by=user)
        if not claimed:
            raise InvitationRefused(
                _("Cette invitation a déjà été utilisée. Connectez-vous pour accéder à votre espace."), kind=Kind.GONE
            )
        membership, _created = Membership.objects.get_or_create(
            user=user, organisation=invitation.organisation, team=invitation.team, defaults={"role": invitation.role}
        )
        on_member_joined(membership)
    return membership


def sign_up_and_accept(*, token, first_name, last_name, password, language):
    """A new account for the invited address, and the invitation accepted, together
    (both or neither). Refused (a conflict) when an account already exists for the address."""
    with transaction.atomic():
        invitation = find_invitation(token)
        if User.objects.filter(email__iexact=invitation.email).exists():
            raise InvitationRefused(
                _("Un compte existe déjà avec cette adresse : connectez-vous pour accepter l'invitation."),
                kind=Kind.CONFLICT,
            )
        try:
            with transaction.atomic():
                user = User.objects.create_user(
                    email=invitation.email, password=password, first_name=first_name.strip(),
                    last_name=last_name.strip(), preferred_language=language,
                )
        except IntegrityError:  # the same address signed up at the same moment
            raise InvitationRefused(
                _("Un compte existe déjà avec cette adresse : connectez-vous pour accepter l'invitation."),
                kind=Kind.CONFLICT,
            ) from None
        membership = accept(token=token, user=user)
    return user, membership


def on_member_joined(membership):
    """Called inside the acceptance's transaction, once the membership exists: the
    newcomer gets the courses already assigned to their team, and is enrolled."""
    assign_team_courses_to(membership)


# --- The first manager, named by an administrator ---------------------------------------


def name_first_manager(*, organisation, email, by, request=None):
    """Make `email` a manager of the whole `organisation`: at once when they have an
    account (recorded in the audit log), otherwise by an invitation as manager. Returns
    the membership or the invitation. A person already managing the whole organisation
    is left as they are."""
    email = normalise_email(email)
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        return invite(organisation=organisation, email=email, invited_by=by, role=Membership.Role.MANAGER)
    with transaction.atomic():
        membership, created = Membership.objects.select_for_update().get_or_create(
            user=user, organisation=organisation, team=None, defaults={"role": Membership.Role.MANAGER}
        )
        before = None if created else {"team": None, "role": membership.role}
        if created or membership.role != Membership.Role.MANAGER:
            membership.role = Membership.Role.MANAGER
            membership.save(update_fields=["role"])
            audit.record(
                actor=by, action=audit.Action.ROLE_CHANGED, target=membership, target_label=user.email, request=request,
                organisation=organisation.slug, before=before, after={"team": None, "role": Membership.Role.MANAGER},
            )
    return membership
