"""A manager runs the teams and the people of their organisation: create, rename and
delete teams; move a person, change their role, remove them.

Every function takes the viewer's ManagerScope (learners.access) and acts only inside
it. The shape of the organisation (creating, renaming, deleting teams) belongs to those
who see all of it: administrators, managers of the whole organisation, and team managers
when the organisation lets them see every team. Changes to a membership are recorded in
the audit log (role_changed, with the team and role before and after), in the same
transaction; nobody changes or removes their own membership here (another manager or an
administrator does), so that no one locks themselves out by mistake."""

from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.http import Http404
from django.utils.translation import gettext as _

from home.refusals import Kind, Refused
from learners import audit
from learners.access import is_id
from learners.assignments import assign_team_courses_to
from learners.models import Invitation, Membership, Team

TEAM_NAME_MAX_LENGTH = Team._meta.get_field("name").max_length


class TeamActionRefused(Refused):
    """A change the viewer may not make, or that would break something; `message` says why."""

    kind = Kind.INVALID


# --- Reads ------------------------------------------------------------------------------


def teams_with_counts(scope):
    """The teams seen, each with `member_count` (people in it). One query."""
    return scope.teams().annotate(member_count=Count("memberships"))


def people_rows(scope):
    """The memberships seen, with their person and team, by name. One query."""
    return scope.memberships().select_related("user", "team").order_by(
        "user__last_name", "user__first_name", "user__email", "team__name"
    )


def membership_in_scope(scope, membership_id):
    """A membership seen, from an id in a URL or a form; Http404 for any other."""
    membership = (
        scope.memberships().select_related("user", "team").filter(pk=membership_id).first()
        if is_id(membership_id) else None
    )
    if membership is None:
        raise Http404
    return membership


# --- Teams ------------------------------------------------------------------------------


def require_whole_view(scope):
    if not scope.whole_organisation:
        raise TeamActionRefused(
            _("Seuls les responsables de toute l'organisation peuvent créer, renommer ou supprimer des équipes."),
            kind=Kind.FORBIDDEN,
        )


def clean_team_name(scope, name, exclude=None):
    name = " ".join((name or "").split())
    if not name:
        raise TeamActionRefused(_("Donnez un nom à l'équipe."))
    if len(name) > TEAM_NAME_MAX_LENGTH:
        raise TeamActionRefused(_("Ce nom est trop long (%(max)d caractères au plus).") % {"max": TEAM_NAME_MAX_LENGTH})
    taken = Team.objects.filter(organisation=scope.organisation, name__iexact=name)
    if exclude is not None:
        taken = taken.exclude(pk=exclude.pk)
    if taken.exists():
        raise TeamActionRefused(_("Une équipe s'appelle déjà « %(name)s ».") % {"name": name})
    return name


def create_team(*, scope, name):
    """A new team in the scope's organisation, named `name` (unique in it, any case)."""
    require_whole_view(scope)
    name = clean_team_name(scope, name)
    try:
        with transaction.atomic():
            return Team.objects.create(organisation=scope.organisation, name=name)
    except IntegrityError:  # created at the same moment by someone else
        raise TeamActionRefused(_("Une équipe s'appelle déjà « %(name)s ».") % {"name": name}) from None


def rename_team(*, scope, team, name):
    require_whole_view(scope)
    name = clean_team_name(scope, name, exclude=team)
    try:
        with transaction.atomic():
            Team.objects.filter(pk=team.pk).update(name=name)
    except IntegrityError:
        raise TeamActionRefused(_("Une équipe s'appelle déjà « %(name)s ».") % {"name": name}) from None
    team.name = name
    return team


def delete_team(*, scope, team):
    """Delete an empty team. Refused while people belong to it or are invited to it:
    move or remove them first (nobody is dropped out of an organisation by accident)."""
    require_whole_view(scope)
    with transaction.atomic():
        team = Team.objects.select_for_update().get(pk=team.pk)
        members = Membership.objects.filter(team=team).count()
        if members:
            raise TeamActionRefused(
                _("L'équipe « %(name)s » compte encore %(count)d personne(s) : déplacez-les ou retirez-les "
                  "avant de la supprimer.") % {"name": team.name, "count": members}, kind=Kind.CONFLICT
            )
        invited = Invitation.objects.filter(team=team, accepted_at__isnull=True, revoked_at__isnull=True).count()
        if invited:
            raise TeamActionRefused(
                _("L'équipe « %(name)s » a encore %(count)d invitation(s) en cours : révoquez-les avant de la "
                  "supprimer.") % {"name": team.name, "count": invited}, kind=Kind.CONFLICT
            )
        team.delete()


# --- People -------------------------------------------------------------------------------


def snapshot(membership):
    return {"team": membership.team.name if membership.team_id else None, "role": membership.role}


def refuse_own(scope, membership):
    if membership.user_id == scope.viewer.pk:
        raise TeamActionRefused(
            _("Vous ne pouvez pas modifier votre propre place dans l'organisation : demandez-le à un autre "
              "responsable."), kind=Kind.FORBIDDEN
        )


def record_change(*, scope, membership, before, after, request):
    audit.record(
        actor=scope.viewer, action=audit.Action.ROLE_CHANGED, target=membership, target_label=membership.user.email,
        request=request, organisation=scope.organisation.slug, before=before, after=after,
    )


def move_member(*, scope, membership, team, request=None):
    """Move a person's membership to `team` (a team seen), or to no team (the whole
    organisation; for those who see all of it). They get the new team's assigned
    courses; the old team's stay theirs."""
    refuse_own(scope, membership)
    if team is None:
        require_whole_view(scope)
    if membership.team_id == (team.pk if team else None):
        return membership
    others = Membership.objects.filter(user=membership.user, organisation=scope.organisation).exclude(pk=membership.pk)
    if others.filter(Q(team=team) if team else Q(team__isnull=True)).exists():
        raise TeamActionRefused(
            _("%(person)s fait déjà partie de cette équipe.") % {"person": membership.user}, kind=Kind.CONFLICT
        )
    before = snapshot(membership)
    try:
        with transaction.atomic():
            membership.team = team
            membership.save(update_fields=["team"])
            record_change(scope=scope, membership=membership, before=before, after=snapshot(membership), request=request)
            assign_team_courses_to(membership)  # the new team's courses come with it
    except IntegrityError:
        raise TeamActionRefused(
            _("%(person)s fait déjà partie de cette équipe.") % {"person": membership.user}, kind=Kind.CONFLICT
        ) from None
    return membership


def change_role(*, scope, membership, role, request=None):
    """Make the person a learner or a manager (of their team, or of the whole
    organisation when they belong to no team)."""
    refuse_own(scope, membership)
    if role not in Membership.Role.values:
        raise TeamActionRefused(_("Choisissez un rôle de la liste."))
    if membership.role == role:
        return membership
    before = snapshot(membership)
    with transaction.atomic():
        membership.role = role
        membership.save(update_fields=["role"])
        record_change(scope=scope, membership=membership, before=before, after=snapshot(membership), request=request)
    return membership


def remove_member(*, scope, membership, request=None):
    """Take this membership away (the person's account, progress and certificates stay)."""
    refuse_own(scope, membership)
    with transaction.atomic():
        record_change(scope=scope, membership=membership, before=snapshot(membership), after=None, request=request)
        membership.delete()
