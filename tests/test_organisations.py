"""Organisations: who sees what (learners.access) and assignment status."""

from datetime import date

import pytest
from django.http import Http404

from learners.access import manager_scope
from learners.assignments import assignment_status
from learners.models import Assignment, Enrollment, Membership, Organisation, Team
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def member(user, organisation, team=None, role=Membership.Role.LEARNER):
    return Membership.objects.create(user=user, organisation=organisation, team=team, role=role)


@pytest.fixture
def organisation():
    """An organisation of two teams, a learner in each, a manager of each and one over both."""
    org = Organisation.objects.create(name="Asso", slug="asso")
    com, rh = Team.objects.create(organisation=org, name="Com"), Team.objects.create(organisation=org, name="RH")
    people = {name: make_user(first_name=name) for name in ("lea", "rui", "manon", "hugo", "directrice")}
    member(people["lea"], org, com)
    member(people["rui"], org, rh)
    member(people["manon"], org, com, Membership.Role.MANAGER)
    member(people["hugo"], org, rh, Membership.Role.MANAGER)
    member(people["directrice"], org, None, Membership.Role.MANAGER)
    return org, com, rh, people


def seen(scope):
    return set(scope.people().values_list("first_name", flat=True))


def test_a_manager_of_the_whole_organisation_sees_every_team(organisation):
    org, com, rh, people = organisation
    scope = manager_scope(viewer=people["directrice"], slug="asso")
    assert scope.whole_organisation and scope.team_ids == {com.pk, rh.pk}
    assert seen(scope) == {"lea", "rui", "manon", "hugo", "directrice"}


@pytest.mark.parametrize("setting, expected", [
    (Organisation.ManagerScope.ORGANISATION, {"lea", "rui", "manon", "hugo", "directrice"}),
    (Organisation.ManagerScope.OWN_TEAMS, {"lea", "manon"}),
])
def test_what_a_teams_manager_sees_follows_the_organisations_setting(organisation, setting, expected):
    org, com, rh, people = organisation
    Organisation.objects.filter(pk=org.pk).update(manager_scope=setting)

    scope = manager_scope(viewer=people["manon"], slug="asso")

    assert seen(scope) == expected
    if setting == Organisation.ManagerScope.OWN_TEAMS:
        with pytest.raises(Http404):
            scope.team(rh.pk)
        with pytest.raises(Http404):
            scope.person(people["rui"].pk)


@pytest.mark.parametrize("viewer", ["lea", "stranger", "other_manager"])
def test_learners_and_outsiders_get_a_404_for_an_organisation(organisation, viewer):
    org, com, rh, people = organisation
    other = Organisation.objects.create(name="Autre", slug="autre")
    people["stranger"] = make_user()
    people["other_manager"] = make_user()
    member(people["other_manager"], other, None, Membership.Role.MANAGER)
    with pytest.raises(Http404):
        manager_scope(viewer=people[viewer], slug="asso")


def test_a_manager_of_two_organisations_sees_each_separately(organisation):
    org, com, rh, people = organisation
    other = Organisation.objects.create(name="Autre", slug="autre")
    outsider = make_user(first_name="zoe")
    member(outsider, other)
    member(people["directrice"], other, None, Membership.Role.MANAGER)

    assert "zoe" not in seen(manager_scope(viewer=people["directrice"], slug="asso"))
    assert seen(manager_scope(viewer=people["directrice"], slug="autre")) == {"zoe", "directrice"}


@pytest.mark.parametrize("value", ["abc", "①", str(2**64), "-1", "", None, 1.5])
def test_forged_ids_are_not_found(organisation, value):
    org, com, rh, people = organisation
    scope = manager_scope(viewer=people["directrice"], slug="asso")
    with pytest.raises(Http404):
        scope.team(value)
    with pytest.raises(Http404):
        scope.person(value)


TODAY = date(2026, 11, 22)


@pytest.mark.parametrize("due_on, enrollment, expected", [
    (None, None, Assignment.Status.NOT_STARTED),
    (None, Enrollment(completed_steps=0), Assignment.Status.NOT_STARTED),
    (None, Enrollment(completed_steps=0, last_step_id=7), Assignment.Status.IN_PROGRESS),
    (date(2026, 12, 1), Enrollment(completed_steps=3), Assignment.Status.IN_PROGRESS),
    (date(2026, 11, 22), Enrollment(completed_steps=3), Assignment.Status.IN_PROGRESS),  # due today: not late yet
    (date(2026, 11, 21), Enrollment(completed_steps=3), Assignment.Status.OVERDUE),
    (date(2026, 11, 21), None, Assignment.Status.OVERDUE),
    (date(2026, 11, 1), Enrollment(completed_steps=9, completed_at=date(2026, 11, 2)), Assignment.Status.COMPLETED),
])
def test_assignment_status(due_on, enrollment, expected):
    assert assignment_status(due_on=due_on, enrollment=enrollment, today=TODAY) == expected
