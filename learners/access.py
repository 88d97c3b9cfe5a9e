"""Who may see and run what in an organisation: the one place that decides.

What a manager sees is what they run. A manager of the whole organisation (a membership
without a team) and an administrator see every team. A team's manager sees every team
when the organisation says so (`manager_scope` = organisation), otherwise only their own
teams. Learners and people from other organisations see nothing: the organisation's
pages answer them 404, so they do not even learn that it exists."""

from dataclasses import dataclass

from django.db.models import Q
from django.http import Http404

from learners.models import Membership, Organisation, Team, User


@dataclass(frozen=True)
class ManagerScope:
    """What `viewer` may see and run in `organisation`."""

    organisation: Organisation
    viewer: User
    whole_organisation: bool
    team_ids: frozenset  # the teams seen (every team when whole_organisation)

    def teams(self):
        return Team.objects.filter(organisation=self.organisation, pk__in=self.team_ids).order_by("name")

    def memberships(self):
        """The memberships of the people seen: everyone in the teams seen, and, for a
        whole-organisation view, the people who belong to no team."""
        rows = Membership.objects.filter(organisation=self.organisation)
        if self.whole_organisation:
            return rows
        return rows.filter(team_id__in=self.team_ids)

    def people(self):
        """The people seen, each once."""
        return User.objects.filter(pk__in=self.memberships().values("user_id"))

    def team(self, team_id):
        """A team seen, from an id sent by a form or a URL; Http404 for any other."""
        team = Team.objects.filter(organisation=self.organisation, pk=team_id).first() if is_id(team_id) else None
        if team is None or team.pk not in self.team_ids:
            raise Http404
        return team

    def person(self, user_id):
        """A person seen, from an id sent by a form or a URL; Http404 for anyone else."""
        person = self.people().filter(pk=user_id).first() if is_id(user_id) else None
        if person is None:
            raise Http404
        return person

    def sees_team(self, team_id):
        return team_id in self.team_ids


def is_id(value):
    """A database id as forms and URLs carry it: 1 to 18 ASCII digits, or an int."""
    if isinstance(value, int) and not isinstance(value, bool):
        return 0 < value < 2**63
    return isinstance(value, str) and value.isascii() and value.isdigit() and 0 < len(value) <= 18


def manager_scope(*, viewer, slug):
    """The scope of `viewer` in the organisation `slug`; Http404 when they manage
    nothing there (or it does not exist). Three queries for a manager."""
    organisation = Organisation.objects.filter(slug=slug).first()
    if organisation is None or not viewer.is_authenticated:
        raise Http404
    all_team_ids = frozenset(Team.objects.filter(organisation=organisation).values_list("pk", flat=True))
    if viewer.is_superuser:
        return ManagerScope(organisation, viewer, True, all_team_ids)
    managed = list(
        Membership.objects.filter(user=viewer, organisation=organisation, role=Membership.Role.MANAGER)
        .values_list("team_id", flat=True)
    )
    if not managed:
        raise Http404
    whole = None in managed or organisation.manager_scope == Organisation.ManagerScope.ORGANISATION
    return ManagerScope(organisation, viewer, whole, all_team_ids if whole else frozenset(managed))


def managed_organisations(user):
    """The organisations `user` manages (every one for an administrator), by name."""
    if not user.is_authenticated:
        return Organisation.objects.none()
    if user.is_superuser:
        return Organisation.objects.all()
    return Organisation.objects.filter(
        Q(memberships__user=user) & Q(memberships__role=Membership.Role.MANAGER)
    ).distinct()
