"""The access matrix of the manager space: every manager URL, read and written, by each
kind of person, with the exact answer each gets. A manager sees and runs their own
organisation only; everyone else learns nothing, not even that it exists (404)."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from courses.models import ModulePage
from learners.access import manager_scope
from learners.assignments import assign
from learners.models import Export, ImportBatch, Invitation, Membership, Organisation, Team
from tests.factories import make_course_with, make_quiz, make_user

pytestmark = pytest.mark.django_db

VIEWERS = ["anonymous", "learner", "manager_here", "manager_elsewhere", "administrator"]


@pytest.fixture
def world():
    """Asso (team Com: Léa learns; Dora manages the whole organisation), Autre (Otto
    manages it), an administrator; in Asso: a course assigned to Com, a pending
    invitation, an import waiting for confirmation and a finished export, all Dora's."""
    asso, autre = Organisation.objects.create(name="Asso", slug="asso"), Organisation.objects.create(name="Autre", slug="autre")
    com = Team.objects.create(organisation=asso, name="Com")
    people = {
        "learner": make_user(first_name="Léa"),
        "manager_here": make_user(first_name="Dora"),
        "manager_elsewhere": make_user(first_name="Otto"),
        "administrator": make_user(first_name="Ada", is_superuser=True, is_staff=True),
    }
    learner_membership = Membership.objects.create(user=people["learner"], organisation=asso, team=com)
    Membership.objects.create(user=people["manager_here"], organisation=asso, role=Membership.Role.MANAGER)
    Membership.objects.create(user=people["manager_elsewhere"], organisation=autre, role=Membership.Role.MANAGER)
    course = make_course_with(modules=1, lessons_per_module=1)
    make_quiz(ModulePage.objects.child_of(course).get(), questions=2)
    assign(scope=manager_scope(viewer=people["manager_here"], slug="asso"), course=course, team=com,
           due_on=timezone.localdate() + timedelta(days=7), assigned_by=people["manager_here"])
    invitation = Invitation.objects.create(
        organisation=asso, team=com, email="nina@example.org", first_name="Nina", last_name="N",
        token_hash="0" * 64, invited_by=people["manager_here"], expires_at=timezone.now() + timedelta(days=14),
    )
    batch = ImportBatch.objects.create(organisation=asso, created_by=people["manager_here"], rows=[], file_name="x.csv",
                                       encoding="utf-8")
    export = Export.objects.create(
        organisation=asso, requested_by=people["manager_here"], format="csv", filters={}, status="pending",
        expires_at=timezone.now() + timedelta(hours=24),
    )
    return {
        **people, "slug": "asso", "team": com, "membership": learner_membership, "invitation": invitation,
        "batch": batch, "export": export, "assignment": learner_membership.user.assignments.get(),
    }


def client_for(world, who):
    client = Client()
    if who != "anonymous":
        client.force_login(world[who])
    return client


def pages(world):
    """(url name, its arguments, method, answer for a manager here, for an administrator)."""
    slug = world["slug"]
    return [
        ("organisation_dashboard", [slug], "get", 200, 200),
        ("organisation_person", [slug, world["learner"].pk], "get", 200, 200),
        ("organisation_teams", [slug], "get", 200, 200),
        ("organisation_invitations", [slug], "get", 200, 200),
        ("organisation_import", [slug], "get", 200, 200),
        # a manager's own import; anyone else's is "done or expired": back to the upload
        ("organisation_import_preview", [slug, world["batch"].pk], "get", 200, 302),
        ("organisation_assignments", [slug], "get", 200, 200),
        ("organisation_exports", [slug], "get", 200, 200),
        ("organisation_export_status", [slug, world["export"].pk], "get", 200, 404),  # only who asked
        ("organisation_export_download", [slug, world["export"].pk], "get", 302, 404),  # not ready: back
        # actions: POST only; a GET is refused as such, to anyone logged in, before anything is read
        ("organisation_team_create", [slug], "get", 405, 405),
        ("organisation_team_rename", [slug, world["team"].pk], "get", 405, 405),
        ("organisation_team_delete", [slug, world["team"].pk], "get", 405, 405),
        ("organisation_member_move", [slug, world["membership"].pk], "get", 405, 405),
        ("organisation_member_role", [slug, world["membership"].pk], "get", 405, 405),
        ("organisation_member_remove", [slug, world["membership"].pk], "get", 405, 405),
        ("organisation_invitation_resend", [slug, world["invitation"].pk], "get", 405, 405),
        ("organisation_invitation_revoke", [slug, world["invitation"].pk], "get", 405, 405),
        ("organisation_assignment_due_date", [slug, world["assignment"].pk], "get", 405, 405),
        ("organisation_assignment_remove", [slug, world["assignment"].pk], "get", 405, 405),
        ("organisation_reminders", [slug], "get", 405, 405),
    ]


# Writes with an empty form: refused with a message or sent back, never done.
ACTIONS = [
    ("organisation_team_create", lambda w: [w["slug"]]),
    ("organisation_team_rename", lambda w: [w["slug"], w["team"].pk]),
    ("organisation_member_move", lambda w: [w["slug"], w["membership"].pk]),
    ("organisation_member_role", lambda w: [w["slug"], w["membership"].pk]),
    ("organisation_invitation_resend", lambda w: [w["slug"], w["invitation"].pk]),
    ("organisation_invitation_revoke", lambda w: [w["slug"], w["invitation"].pk]),
    ("organisation_assignment_due_date", lambda w: [w["slug"], w["assignment"].pk]),
    ("organisation_reminders", lambda w: [w["slug"]]),
    ("organisation_import", lambda w: [w["slug"]]),
    ("organisation_import_preview", lambda w: [w["slug"], w["batch"].pk]),
    ("organisation_invitations", lambda w: [w["slug"]]),
    ("organisation_assignments", lambda w: [w["slug"]]),
    ("organisation_exports", lambda w: [w["slug"]]),
    ("organisation_team_delete", lambda w: [w["slug"], w["team"].pk]),
    ("organisation_member_remove", lambda w: [w["slug"], w["membership"].pk]),
    ("organisation_assignment_remove", lambda w: [w["slug"], w["assignment"].pk]),
]


@pytest.mark.parametrize("who", VIEWERS)
def test_every_manager_page_gives_each_kind_of_person_its_exact_answer(world, who):
    client = client_for(world, who)
    for name, args, method, for_manager, for_administrator in pages(world):
        url = reverse(name, args=args)

        response = getattr(client, method)(url)

        outsiders = 405 if for_manager == 405 else 404
        expected = {
            "anonymous": 302, "learner": outsiders, "manager_elsewhere": outsiders,
            "manager_here": for_manager, "administrator": for_administrator,
        }[who]
        assert response.status_code == expected, (who, name, response.status_code)
        if who == "anonymous":
            assert response.url.startswith(reverse("login") + "?next="), name


@pytest.mark.parametrize("who", ["anonymous", "learner", "manager_elsewhere"])
def test_nobody_outside_the_organisation_can_change_anything_in_it(world, who):
    client = client_for(world, who)
    before = snapshot()
    for name, args in ACTIONS:
        response = client.post(reverse(name, args=args(world)), {
            "name": "Piratée", "team": str(world["team"].pk), "role": "manager", "due_on": "2030-01-01",
            "course": "1", "people": [str(world["learner"].pk)], "format": "csv", "confirm": "1",
        })
        assert response.status_code == (302 if who == "anonymous" else 404), (who, name, response.status_code)
    assert snapshot() == before


def snapshot():
    from learners.models import Assignment, AuditEvent

    return {
        "teams": list(Team.objects.values_list("pk", "name")),
        "memberships": list(Membership.objects.values_list("pk", "team_id", "role").order_by("pk")),
        "invitations": list(Invitation.objects.values_list("pk", "revoked_at", "token_hash").order_by("pk")),
        "assignments": list(Assignment.objects.values_list("pk", "due_on").order_by("pk")),
        "exports": Export.objects.count(),
        "audit": AuditEvent.objects.count(),
        "batches": ImportBatch.objects.count(),
    }


def test_the_organisations_list_shows_a_person_only_what_they_manage(world):
    assert client_for(world, "anonymous").get("/organisations/").status_code == 302
    learner_page = client_for(world, "learner").get("/organisations/")
    assert learner_page.status_code in (200, 404) and "Asso" not in learner_page.content.decode()
    assert client_for(world, "manager_elsewhere").get("/organisations/").url == "/organisations/autre/"
    assert client_for(world, "manager_here").get("/organisations/").url == "/organisations/asso/"
