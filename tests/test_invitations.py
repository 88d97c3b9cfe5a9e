"""Organisations, invitations part: the admin names a first manager; managers run teams
and people, invite by e-mail or CSV; invited people accept with a single-use link."""

import re
import threading
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from home.middleware import refusal_status
from learners import csv_import, invitations
from learners.access import manager_scope
from learners.models import AuditEvent, ImportBatch, Invitation, Membership, Organisation, Team, User
from learners.roles import TRAINERS_GROUP
from tests.factories import make_user

pytestmark = pytest.mark.django_db

APOS = "&#x27;"  # how templates escape an apostrophe
LINK = re.compile(r"/invitation/([A-Za-z0-9_-]+)/")


def member(user, organisation, team=None, role=Membership.Role.LEARNER):
    return Membership.objects.create(user=user, organisation=organisation, team=team, role=role)


@pytest.fixture
def world():
    """Asso (teams Com and RH; Léa learns in Com; Dora manages the whole of it), Autre
    (managed by Otto), and an administrator."""
    org = Organisation.objects.create(name="Asso", slug="asso")
    com, rh = Team.objects.create(organisation=org, name="Com"), Team.objects.create(organisation=org, name="RH")
    other = Organisation.objects.create(name="Autre", slug="autre")
    people = {
        "learner": make_user(email="lea@example.org", first_name="Léa"),
        "manager": make_user(email="dora@example.org", first_name="Dora"),
        "other_manager": make_user(email="otto@example.org", first_name="Otto"),
        "admin": make_user(email="admin@example.org", is_staff=True, is_superuser=True),
    }
    member(people["learner"], org, com)
    member(people["manager"], org, None, Membership.Role.MANAGER)
    member(people["other_manager"], other, None, Membership.Role.MANAGER)
    return {"org": org, "com": com, "rh": rh, "other": other, **people}


def token_in(message):
    return LINK.search(message.body).group(1)


def invite(world, email="nina@example.org", team=None, role=Membership.Role.LEARNER, capture=None):
    """An invitation sent by Dora, and the token of its mail."""
    mail.outbox.clear()
    with capture(execute=True):
        invitation = invitations.invite(
            organisation=world["org"], email=email, invited_by=world["manager"], first_name="Nina",
            last_name="Simon", team=team if team is not None else world["com"], role=role,
        )
    return invitation, token_in(mail.outbox[-1])


# --- Access rows ----------------------------------------------------------------------

VIEWERS = {"anonymous": None, "learner": "learner", "manager_here": "manager", "manager_elsewhere": "other_manager",
           "administrator": "admin"}


def manager_urls(world):
    """(method, url, what a manager of this organisation gets) for every URL of this part."""
    slug, com = "asso", world["com"]
    lea = Membership.objects.get(user=world["learner"])
    pending = Invitation.objects.create(
        organisation=world["org"], team=com, email="x@example.org", token_hash="0" * 64,
        expires_at=timezone.now() + timedelta(days=1),
    )
    batch = ImportBatch.objects.create(organisation=world["org"], created_by=world["manager"], encoding="utf-8", rows=[])
    return [
        ("get", reverse("organisation_teams", args=[slug]), 200),
        ("post", reverse("organisation_team_create", args=[slug]), 302),
        ("post", reverse("organisation_team_rename", args=[slug, com.pk]), 302),
        ("post", reverse("organisation_team_delete", args=[slug, world["rh"].pk]), 302),
        ("post", reverse("organisation_member_move", args=[slug, lea.pk]), 302),
        ("post", reverse("organisation_member_role", args=[slug, lea.pk]), 302),
        ("post", reverse("organisation_member_remove", args=[slug, lea.pk]), 302),
        ("get", reverse("organisation_invitations", args=[slug]), 200),
        ("post", reverse("organisation_invitation_resend", args=[slug, pending.pk]), 302),
        ("post", reverse("organisation_invitation_revoke", args=[slug, pending.pk]), 302),
        ("get", reverse("organisation_import", args=[slug]), 200),
        ("get", reverse("organisation_import_preview", args=[slug, batch.pk]), 200),
    ]


@pytest.mark.parametrize("viewer", VIEWERS)
def test_every_manager_url_answers_each_kind_of_viewer_as_designed(client, world, viewer):
    # given
    rows = manager_urls(world)
    person = world[VIEWERS[viewer]] if VIEWERS[viewer] else None
    for method, url, manager_status in rows:
        client.logout()
        if person is not None:
            client.force_login(person)
        # when
        response = getattr(client, method)(url)
        # then
        if viewer == "anonymous":
            assert response.status_code == 302 and response.url.startswith(reverse("login")), url
        elif viewer in ("learner", "manager_elsewhere"):
            assert response.status_code == 404, url
        elif viewer == "manager_here":
            assert response.status_code == manager_status, url
        else:  # the administrator's own import batch does not exist: the preview sends them back to the upload
            assert response.status_code in (manager_status, 302), url


def test_the_admin_lists_organisations_for_administrators_only(client, world):
    # given
    trainer = make_user(is_staff=True)
    trainer.groups.add(Group.objects.get(name=TRAINERS_GROUP))
    url = reverse("organisations:index")
    # when / then
    client.force_login(world["admin"])
    assert client.get(url).status_code == 200
    assert "Organisations" in client.get(reverse("wagtailadmin_home")).content.decode().replace(APOS, "'")
    client.force_login(trainer)
    assert client.get(url).status_code in (302, 403)
    assert reverse("organisations:index") not in client.get(reverse("wagtailadmin_home")).content.decode().replace(APOS, "'")
    assert client.post(reverse("organisations:add"), {"name": "Pirate", "slug": "pirate"}).status_code in (302, 403)
    assert not Organisation.objects.filter(slug="pirate").exists()


# --- Admin: an organisation and its first manager ---------------------------------------


def organisation_form(**fields):
    return {"name": "Mairie", "slug": "mairie", "manager_scope": "organisation", "reminder_days_before": "3",
            "reminder_every_days": "7", **fields}


def test_an_administrator_creates_an_organisation_whose_first_manager_already_has_an_account(
    client, world, django_capture_on_commit_callbacks
):
    # given
    client.force_login(world["admin"])
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("organisations:add"), organisation_form(first_manager_email="LEA@example.org"))
    # then
    assert response.status_code == 302
    organisation = Organisation.objects.get(slug="mairie")
    membership = Membership.objects.get(organisation=organisation, user=world["learner"])
    assert (membership.team, membership.role) == (None, Membership.Role.MANAGER)
    assert AuditEvent.objects.filter(action="role_changed", target_label="lea@example.org").exists()
    assert not Invitation.objects.filter(organisation=organisation).exists()


def test_an_administrator_creates_an_organisation_whose_first_manager_is_invited(
    client, world, django_capture_on_commit_callbacks
):
    # given
    client.force_login(world["admin"])
    mail.outbox.clear()
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("organisations:add"), organisation_form(first_manager_email="new.boss@example.org"))
    # then
    assert response.status_code == 302
    invitation = Invitation.objects.get(organisation__slug="mairie")
    assert (invitation.email, invitation.role, invitation.team) == ("new.boss@example.org", "manager", None)
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["new.boss@example.org"]
    assert "Mairie" in mail.outbox[0].subject and "Bonjour" in mail.outbox[0].body  # French: no account yet
    assert invitation.token_hash == invitations.hash_token(token_in(mail.outbox[0]))
    assert token_in(mail.outbox[0]) not in str(Invitation.objects.values_list())


def test_creating_an_organisation_needs_its_first_manager(client, world):
    # given
    client.force_login(world["admin"])
    # when
    response = client.post(reverse("organisations:add"), organisation_form())
    # then
    assert response.status_code == 200
    assert not Organisation.objects.filter(slug="mairie").exists()


def test_the_admin_forms_ask_for_the_first_manager_on_creation_only(client, world):
    # given
    client.force_login(world["admin"])
    # when
    add_page = client.get(reverse("organisations:add"))
    edit = client.post(reverse("organisations:edit", args=[world["org"].pk]),
                       organisation_form(name="Asso renommée", slug="asso"))
    # then
    assert add_page.status_code == 200 and "E-mail du premier responsable" in add_page.content.decode()
    assert edit.status_code == 302
    assert Organisation.objects.get(pk=world["org"].pk).name == "Asso renommée"


# --- Invitation lifecycle ---------------------------------------------------------------


def test_a_manager_invites_someone_who_gets_a_single_use_link(client, world, django_capture_on_commit_callbacks):
    # given
    client.force_login(world["manager"])
    mail.outbox.clear()
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("organisation_invitations", args=["asso"]), {
            "email": "Nina@Example.org", "first_name": "Nina", "last_name": "Simon",
            "team": str(world["rh"].pk), "role": "learner",
        })
    # then
    assert response.status_code == 302
    invitation = Invitation.objects.get(email="nina@example.org")
    assert (invitation.team, invitation.invited_by, invitation.last_sent_at is not None) == (world["rh"], world["manager"], True)
    token = token_in(mail.outbox[0])
    assert len(invitation.token_hash) == 64 and invitation.token_hash == invitations.hash_token(token)
    assert abs(invitation.expires_at - (timezone.now() + timedelta(days=14))) < timedelta(minutes=1)
    assert "nina@example.org" in client.get(reverse("organisation_invitations", args=["asso"])).content.decode().replace(APOS, "'")


def test_inviting_a_member_or_someone_already_invited_is_refused_clearly(client, world, django_capture_on_commit_callbacks):
    # given
    invite(world, capture=django_capture_on_commit_callbacks)
    client.force_login(world["manager"])
    url = reverse("organisation_invitations", args=["asso"])
    # when
    member_response = client.post(url, {"email": "lea@example.org", "team": str(world["com"].pk), "role": "learner"})
    invited_response = client.post(url, {"email": "nina@example.org", "team": str(world["com"].pk), "role": "learner"})
    # then
    assert member_response.status_code == 400 and "fait déjà partie de cette organisation" in member_response.content.decode().replace(APOS, "'")
    assert invited_response.status_code == 400 and "déjà une invitation en attente" in invited_response.content.decode().replace(APOS, "'")
    assert Invitation.objects.count() == 1


@pytest.mark.parametrize("team", ["abc", "99999999", str(2**64), "-1"])
def test_a_forged_team_in_the_invitation_form_is_a_form_error(client, world, team):
    # given
    client.force_login(world["manager"])
    # when
    response = client.post(reverse("organisation_invitations", args=["asso"]),
                           {"email": "nina@example.org", "team": team, "role": "learner"})
    # then
    assert response.status_code == 400
    assert not Invitation.objects.exists()


def test_a_team_of_another_organisation_cannot_be_picked(client, world):
    # given
    foreign = Team.objects.create(organisation=world["other"], name="Ailleurs")
    client.force_login(world["manager"])
    # when
    response = client.post(reverse("organisation_invitations", args=["asso"]),
                           {"email": "nina@example.org", "team": str(foreign.pk), "role": "learner"})
    # then
    assert response.status_code == 400 and not Invitation.objects.exists()


def test_resending_gives_a_new_link_and_kills_the_old_one(client, world, django_capture_on_commit_callbacks):
    # given
    invitation, old_token = invite(world, capture=django_capture_on_commit_callbacks)
    client.force_login(world["manager"])
    # when
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("organisation_invitation_resend", args=["asso", invitation.pk]))
    new_token = token_in(mail.outbox[-1])
    client.logout()
    # then
    assert new_token != old_token
    assert client.get(reverse("invitation_accept", args=[old_token])).status_code == 404
    assert client.get(reverse("invitation_accept", args=[new_token])).status_code == 200


def test_a_revoked_invitation_link_is_dead(client, world, django_capture_on_commit_callbacks):
    # given
    invitation, token = invite(world, capture=django_capture_on_commit_callbacks)
    client.force_login(world["manager"])
    # when
    client.post(reverse("organisation_invitation_revoke", args=["asso", invitation.pk]))
    client.logout()
    response = client.get(reverse("invitation_accept", args=[token]))
    # then
    assert response.status_code == 410 and "annulée" in response.content.decode().replace(APOS, "'")
    assert client.post(reverse("invitation_accept", args=[token]), signup_form()).status_code == 410
    assert not User.objects.filter(email="nina@example.org").exists()


def test_an_invitation_expires_when_the_clock_passes_its_date(client, world, django_capture_on_commit_callbacks, monkeypatch):
    # given
    invitation, token = invite(world, capture=django_capture_on_commit_callbacks)
    real_now = timezone.now
    # when: the clock moves to one minute after the expiry
    monkeypatch.setattr(timezone, "now", lambda: real_now() + timedelta(days=14, minutes=1))
    response = client.post(reverse("invitation_accept", args=[token]), signup_form())
    # then
    assert response.status_code == 410 and "expiré" in response.content.decode().replace(APOS, "'")
    assert not User.objects.filter(email="nina@example.org").exists()
    assert Invitation.objects.get().status() == Invitation.Status.EXPIRED


def test_an_expired_invitation_can_be_sent_again_and_then_works(client, world, django_capture_on_commit_callbacks):
    # given
    invitation, _old = invite(world, capture=django_capture_on_commit_callbacks)
    Invitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    # when
    with django_capture_on_commit_callbacks(execute=True):
        invitations.resend(invitation=invitation)
    token = token_in(mail.outbox[-1])
    response = client.post(reverse("invitation_accept", args=[token]), signup_form())
    # then
    assert response.status_code == 302
    assert Membership.objects.filter(user__email="nina@example.org", team=world["com"]).exists()


def test_an_invitation_link_works_once(client, world, django_capture_on_commit_callbacks):
    # given
    _invitation, token = invite(world, capture=django_capture_on_commit_callbacks)
    client.post(reverse("invitation_accept", args=[token]), signup_form())
    client.logout()
    # when
    response = client.get(reverse("invitation_accept", args=[token]))
    # then
    assert response.status_code == 410 and "déjà été utilisée" in response.content.decode().replace(APOS, "'")
    assert Membership.objects.filter(user__email="nina@example.org").count() == 1


@pytest.mark.parametrize("token", ["inconnu", "x" * 500, "①②③"])
def test_an_unknown_token_gets_a_french_page_not_found(client, world, token):
    # when
    response = client.get(f"/invitation/{token}/")
    # then
    assert response.status_code == 404
    assert "Ce lien d'invitation n'existe pas" in response.content.decode().replace(APOS, "'")


def test_a_token_with_a_nul_character_is_a_bad_request(client, world):
    assert client.get("/invitation/%00/").status_code == 400  # refused before any lookup


# --- Acceptance ---------------------------------------------------------------------------


def signup_form(**fields):
    return {"first_name": "Nina", "last_name": "Simon", "password1": "un-secret-bien-long", "password2": "un-secret-bien-long",
            **fields}


def test_a_newcomer_signs_up_from_the_invitation_and_is_logged_in(client, world, django_capture_on_commit_callbacks):
    # given
    _invitation, token = invite(world, capture=django_capture_on_commit_callbacks)
    url = reverse("invitation_accept", args=[token])
    page = client.get(url).content.decode().replace(APOS, "'")
    assert 'value="Nina"' in page and "nina@example.org" in page
    # when
    response = client.post(url, signup_form(email="pirate@example.org"))
    # then
    assert response.status_code == 302
    user = User.objects.get(email="nina@example.org")  # the invited address, whatever was posted
    assert not User.objects.filter(email="pirate@example.org").exists()
    assert client.get(reverse("dashboard")).wsgi_request.user == user
    membership = Membership.objects.get(user=user)
    assert (membership.organisation, membership.team, membership.role) == (world["org"], world["com"], "learner")
    invitation = Invitation.objects.get()
    assert invitation.accepted_by == user and invitation.accepted_at is not None


def test_a_signup_with_mismatched_passwords_writes_nothing(client, world, django_capture_on_commit_callbacks):
    # given
    _invitation, token = invite(world, capture=django_capture_on_commit_callbacks)
    # when
    response = client.post(reverse("invitation_accept", args=[token]), signup_form(password2="autre-chose-encore"))
    # then
    assert response.status_code == 400 and "ne sont pas identiques" in response.content.decode().replace(APOS, "'")
    assert not User.objects.filter(email="nina@example.org").exists()
    assert Invitation.objects.get().accepted_at is None


def test_someone_with_an_account_accepts_in_one_click(client, world, django_capture_on_commit_callbacks):
    # given
    nina = make_user(email="nina@example.org", preferred_language="en")
    _invitation, token = invite(world, team=world["rh"], role=Membership.Role.MANAGER,
                                capture=django_capture_on_commit_callbacks)
    url = reverse("invitation_accept", args=[token])
    assert "Se connecter" in client.get(url).content.decode().replace(APOS, "'")  # not logged in: asked to log in, not to sign up
    client.force_login(nina)
    # when
    assert client.get(url).status_code == 200
    response = client.post(url)
    # then
    assert response.status_code == 302
    membership = Membership.objects.get(user=nina)
    assert (membership.team, membership.role) == (world["rh"], "manager")


def test_the_mail_goes_out_in_the_invitees_language_when_they_have_an_account(world):
    # given
    make_user(email="nina@example.org", preferred_language="en")
    # when / then
    assert invitations.mail_language("nina@example.org") == "en"
    assert invitations.mail_language("nobody@example.org") == "fr"


def test_someone_logged_in_with_another_address_is_told_to_log_out(client, world, django_capture_on_commit_callbacks):
    # given
    _invitation, token = invite(world, capture=django_capture_on_commit_callbacks)
    client.force_login(world["learner"])
    url = reverse("invitation_accept", args=[token])
    # when
    page = client.get(url)
    response = client.post(url)
    # then
    assert page.status_code == 403 and "Me déconnecter" in page.content.decode().replace(APOS, "'")
    assert response.status_code == 403
    assert Invitation.objects.get().accepted_at is None
    assert not Membership.objects.filter(user=world["learner"], team=None).exists()
    with pytest.raises(invitations.InvitationRefused):
        invitations.accept(token=token, user=world["learner"])


def test_on_member_joined_is_called_once_with_the_new_membership(world, django_capture_on_commit_callbacks, monkeypatch):
    # given
    _invitation, token = invite(world, capture=django_capture_on_commit_callbacks)
    nina = make_user(email="nina@example.org")
    joined = []
    monkeypatch.setattr(invitations, "on_member_joined", joined.append)
    # when
    membership = invitations.accept(token=token, user=nina)
    # then
    assert joined == [membership]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_concurrent_accepts_make_one_membership():
    # given
    org = Organisation.objects.create(name="Asso", slug="asso")
    nina = make_user(email="nina@example.org")
    token, token_hash = invitations.new_token()
    Invitation.objects.create(organisation=org, email=nina.email, token_hash=token_hash,
                              expires_at=timezone.now() + timedelta(days=1))
    barrier, outcomes = threading.Barrier(2), []

    def accept():
        try:
            barrier.wait()
            invitations.accept(token=token, user=nina)
            outcomes.append("accepted")
        except invitations.InvitationRefused as refusal:
            outcomes.append(refusal_status(refusal))
        finally:
            connection.close()

    # when
    threads = [threading.Thread(target=accept) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then
    assert sorted(outcomes, key=str) == sorted(["accepted", 410], key=str)
    assert Membership.objects.filter(user=nina, organisation=org).count() == 1


# --- Teams and people ---------------------------------------------------------------------


def test_the_teams_page_lists_teams_with_their_counts_and_people(client, world):
    # given
    client.force_login(world["manager"])
    # when
    page = client.get(reverse("organisation_teams", args=["asso"])).content.decode().replace(APOS, "'")
    # then
    assert "Com" in page and "RH" in page and "lea@example.org" in page and "dora@example.org" in page
    assert "otto@example.org" not in page


def test_a_manager_creates_renames_and_deletes_an_empty_team(client, world):
    # given
    client.force_login(world["manager"])
    # when
    client.post(reverse("organisation_team_create", args=["asso"]), {"name": "  Accueil  "})
    team = Team.objects.get(organisation=world["org"], name="Accueil")
    client.post(reverse("organisation_team_rename", args=["asso", team.pk]), {"name": "Accueil public"})
    duplicate = client.post(reverse("organisation_team_create", args=["asso"]), {"name": "com"}, follow=True)
    client.post(reverse("organisation_team_delete", args=["asso", team.pk]))
    # then
    assert "Une équipe s'appelle déjà" in duplicate.content.decode().replace(APOS, "'")
    assert list(Team.objects.filter(organisation=world["org"]).values_list("name", flat=True)) == ["Com", "RH"]


def test_a_team_with_members_is_not_deleted(client, world):
    # given
    client.force_login(world["manager"])
    # when
    response = client.post(reverse("organisation_team_delete", args=["asso", world["com"].pk]), follow=True)
    # then
    assert "compte encore 1 personne" in response.content.decode().replace(APOS, "'")
    assert Team.objects.filter(pk=world["com"].pk).exists()


def test_a_manager_moves_a_person_and_changes_their_role_with_an_audit_trail(client, world):
    # given
    client.force_login(world["manager"])
    lea = Membership.objects.get(user=world["learner"])
    # when
    client.post(reverse("organisation_member_move", args=["asso", lea.pk]), {"team": str(world["rh"].pk)})
    client.post(reverse("organisation_member_role", args=["asso", lea.pk]), {"role": "manager"})
    # then
    lea.refresh_from_db()
    assert (lea.team, lea.role) == (world["rh"], "manager")
    events = AuditEvent.objects.filter(action="role_changed", target_id=str(lea.pk)).order_by("at", "pk")
    assert [event.details["after"] for event in events] == [
        {"team": "RH", "role": "learner"}, {"team": "RH", "role": "manager"},
    ]
    assert events[1].actor == world["manager"]


def test_a_manager_removes_a_person_from_the_organisation(client, world):
    # given
    client.force_login(world["manager"])
    lea = Membership.objects.get(user=world["learner"])
    # when
    client.post(reverse("organisation_member_remove", args=["asso", lea.pk]))
    # then
    assert not Membership.objects.filter(pk=lea.pk).exists()
    assert User.objects.filter(pk=world["learner"].pk).exists()
    assert AuditEvent.objects.filter(action="role_changed", target_id=str(lea.pk), details__after=None).exists()


def test_a_manager_cannot_change_their_own_place(client, world):
    # given
    client.force_login(world["manager"])
    own = Membership.objects.get(user=world["manager"])
    # when
    response = client.post(reverse("organisation_member_role", args=["asso", own.pk]), {"role": "learner"}, follow=True)
    # then
    assert "propre place" in response.content.decode().replace(APOS, "'")
    own.refresh_from_db()
    assert own.role == "manager"


def test_forged_ids_on_the_teams_page_are_not_found(client, world):
    # given
    foreign_team = Team.objects.create(organisation=world["other"], name="Ailleurs")
    foreign_member = member(make_user(), world["other"], foreign_team)
    lea = Membership.objects.get(user=world["learner"])
    client.force_login(world["manager"])
    # when / then
    assert client.post(reverse("organisation_member_move", args=["asso", lea.pk]),
                       {"team": str(foreign_team.pk)}).status_code == 404
    assert client.post(reverse("organisation_member_move", args=["asso", lea.pk]), {"team": "abc"}).status_code == 404
    assert client.post(reverse("organisation_member_remove", args=["asso", foreign_member.pk])).status_code == 404
    assert client.post(reverse("organisation_team_delete", args=["asso", foreign_team.pk])).status_code == 404
    assert client.post(f"/organisations/asso/equipes/{2**64}/supprimer/").status_code == 404
    lea.refresh_from_db()
    assert lea.team == world["com"] and Membership.objects.filter(pk=foreign_member.pk).exists()


def test_a_teams_own_manager_runs_only_their_team(client, world):
    # given
    Organisation.objects.filter(pk=world["org"].pk).update(manager_scope=Organisation.ManagerScope.OWN_TEAMS)
    hugo = make_user()
    member(hugo, world["org"], world["rh"], Membership.Role.MANAGER)
    lea = Membership.objects.get(user=world["learner"])
    client.force_login(hugo)
    # when / then
    assert "lea@example.org" not in client.get(reverse("organisation_teams", args=["asso"])).content.decode().replace(APOS, "'")
    assert client.post(reverse("organisation_member_remove", args=["asso", lea.pk])).status_code == 404
    response = client.post(reverse("organisation_team_create", args=["asso"]), {"name": "Nouvelle"}, follow=True)
    assert "Seuls les responsables de toute l" in response.content.decode().replace(APOS, "'")
    assert not Team.objects.filter(name="Nouvelle").exists()


# --- CSV import -------------------------------------------------------------------------


def upload(client, content, name="equipe.csv"):
    return client.post(reverse("organisation_import", args=["asso"]), {"file": SimpleUploadedFile(name, content)})


def test_a_file_full_of_bad_rows_names_each_by_line_and_reason_and_writes_nothing(
    client, world, django_capture_on_commit_callbacks
):
    # given
    invite(world, email="deja.invitee@example.org", capture=django_capture_on_commit_callbacks)
    content = (
        "email,prenom,nom,equipe\r\n"
        "bonne@example.org,Bonne,Ligne,Com\r\n"            # 2: OK
        "pas-une-adresse,Jean,Faux,Com\r\n"                # 3: bad e-mail
        "inconnue@example.org,Ines,Connue,Marketing\r\n"   # 4: unknown team
        "BONNE@example.org,Bonne,Encore,Com\r\n"           # 5: duplicate of line 2
        "lea@example.org,Léa,Déjà,Com\r\n"                 # 6: already a member
        "deja.invitee@example.org,Dé,Jà,RH\r\n"            # 7: already invited
        ",Sans,Adresse,RH\r\n"                             # 8: no e-mail
    ).encode()
    client.force_login(world["manager"])
    invitations_before = Invitation.objects.count()
    # when
    response = upload(client, content)
    preview = client.get(response.url)
    # then
    page = preview.content.decode().replace(APOS, "'")
    rows = {row.line: row.problem for row in csv_import.check_rows(
        scope=manager_scope(viewer=world["manager"], slug="asso"), rows=ImportBatch.objects.get().rows)}
    assert rows[2] == ""
    assert "invalide" in rows[3] and "pas-une-adresse" in rows[3]
    assert "équipe inconnue" in rows[4] and "Marketing" in rows[4]
    assert "ligne 2" in rows[5]
    assert "déjà membre" in rows[6]
    assert "déjà invité" in rows[7]
    assert "manquante" in rows[8]
    for reason in ("invalide", "équipe inconnue", "en double", "déjà membre", "déjà invité", "manquante"):
        assert reason in page
    assert Invitation.objects.count() == invitations_before  # nothing written by the preview


def test_confirming_imports_the_good_rows_in_one_go_and_mails_them(client, world, django_capture_on_commit_callbacks):
    # given
    client.force_login(world["manager"])
    preview_url = upload(client, "email;prénom;nom;équipe\nanne@example.org;Anne;A;Com\nbob@example.org;Bob;B;rh\nbad;X;Y;Com\n".encode()).url
    mail.outbox.clear()
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(preview_url)
    again = client.post(preview_url)
    # then
    assert response.status_code == 302 and response.url == reverse("organisation_invitations", args=["asso"])
    assert sorted(Invitation.objects.values_list("email", "team__name")) == [("anne@example.org", "Com"), ("bob@example.org", "RH")]
    assert sorted(message.to[0] for message in mail.outbox) == ["anne@example.org", "bob@example.org"]
    assert not ImportBatch.objects.exists()
    assert again.status_code == 302 and Invitation.objects.count() == 2  # a second confirmation imports nothing


def test_rows_gone_bad_since_the_preview_are_skipped_on_confirmation(client, world, django_capture_on_commit_callbacks):
    # given
    client.force_login(world["manager"])
    preview_url = upload(client, b"email,first_name,last_name,team\nanne@example.org,Anne,A,Com\nbob@example.org,Bob,B,RH\n").url
    member(make_user(email="bob@example.org"), world["org"], world["rh"])  # joined meanwhile
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(preview_url, follow=True)
    # then
    assert list(Invitation.objects.values_list("email", flat=True)) == ["anne@example.org"]
    assert "déjà membre" in response.content.decode().replace(APOS, "'")


def test_a_utf8_file_with_bom_and_semicolons_is_read(client, world):
    # given
    content = "\ufeffCourriel;Prénom;Nom;Équipe\r\nzoe@example.org;Zoé;Lefèvre;Com\r\n".encode("utf-8")
    client.force_login(world["manager"])
    # when
    response = upload(client, content)
    # then
    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and batch.encoding == "utf-8"
    assert batch.rows == [{"line": 2, "email": "zoe@example.org", "first_name": "Zoé", "last_name": "Lefèvre", "team": "Com"}]


def test_a_windows_1252_file_is_read_and_the_preview_says_so(client, world):
    # given
    content = "e-mail;prénom;nom;équipe\r\nzoe@example.org;Zoé;Lefèvre;Com\r\n".encode("cp1252")
    client.force_login(world["manager"])
    # when
    preview = client.get(upload(client, content).url)
    # then
    assert ImportBatch.objects.get().rows[0]["first_name"] == "Zoé"
    assert "Windows-1252" in preview.content.decode().replace(APOS, "'")


@pytest.mark.parametrize("content, reason", [
    (b"a" * (2 * 1024 * 1024 + 1), "dépasse 2 Mo"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "n'est pas un fichier texte CSV"),
    (b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00", "n'est pas un fichier texte CSV"),
    (b"", "vide"),
    (b"nom;prenom\nMartin;Lea\n", "il manque"),
    (b"email,prenom,nom\n", "aucune personne"),
])
def test_files_that_cannot_be_a_list_of_people_are_refused_whole(client, world, content, reason):
    # given
    client.force_login(world["manager"])
    # when
    response = upload(client, content)
    # then
    assert response.status_code == 400
    assert reason in response.content.decode().replace(APOS, "'")
    assert not ImportBatch.objects.exists() and not Invitation.objects.exists()


def test_more_than_5000_people_are_refused(client, world):
    # given
    lines = "\n".join(f"p{number}@example.org,P,{number},Com" for number in range(5001))
    client.force_login(world["manager"])
    # when
    response = upload(client, f"email,prenom,nom,equipe\n{lines}\n".encode())
    # then
    assert response.status_code == 400 and "plus de 5000 personnes" in response.content.decode().replace(APOS, "'")


def test_a_forged_or_foreign_import_batch_is_not_used(client, world):
    # given
    other_batch = ImportBatch.objects.create(
        organisation=world["org"], created_by=world["admin"], encoding="utf-8",
        rows=[{"line": 2, "email": "x@example.org", "first_name": "", "last_name": "", "team": "Com"}],
    )
    client.force_login(world["manager"])
    # when
    response = client.post(reverse("organisation_import_preview", args=["asso", other_batch.pk]))
    # then
    assert response.status_code == 302 and response.url == reverse("organisation_import", args=["asso"])
    assert not Invitation.objects.exists() and ImportBatch.objects.filter(pk=other_batch.pk).exists()


def test_a_team_named_in_a_file_must_be_one_the_manager_sees(world):
    # given
    Organisation.objects.filter(pk=world["org"].pk).update(manager_scope=Organisation.ManagerScope.OWN_TEAMS)
    hugo = make_user()
    member(hugo, world["org"], world["rh"], Membership.Role.MANAGER)
    Team.objects.create(organisation=world["other"], name="Ailleurs")
    scope = manager_scope(viewer=hugo, slug="asso")
    rows = [{"line": 2, "email": "a@example.org", "first_name": "", "last_name": "", "team": "Com"},
            {"line": 3, "email": "b@example.org", "first_name": "", "last_name": "", "team": "Ailleurs"},
            {"line": 4, "email": "c@example.org", "first_name": "", "last_name": "", "team": ""},
            {"line": 5, "email": "d@example.org", "first_name": "", "last_name": "", "team": "RH"}]
    # when
    problems = [row.problem for row in csv_import.check_rows(scope=scope, rows=rows)]
    # then
    assert "équipe inconnue" in problems[0] and "équipe inconnue" in problems[1]
    assert problems[2] == "équipe manquante" and problems[3] == ""


def test_accepting_an_invitation_to_a_team_brings_the_teams_courses(client, world, django_capture_on_commit_callbacks):
    # given a course assigned to RH, then Nina invited to RH
    from learners.assignments import assign
    from learners.models import Assignment, Enrollment
    from tests.factories import make_course_with

    course = make_course_with(modules=1, lessons_per_module=1)
    # (RH has nobody yet: a team's courses are the team's, not only its members')
    assign(scope=manager_scope(viewer=world["manager"], slug="asso"), course=course, team=world["rh"],
           due_on=None, assigned_by=world["manager"])
    nina = make_user(email="nina@example.org")
    _invitation, token = invite(world, team=world["rh"], capture=django_capture_on_commit_callbacks)

    # when she accepts
    client.force_login(nina)
    client.post(reverse("invitation_accept", args=[token]))

    # then she has the course and is enrolled
    assert Assignment.objects.filter(user=nina, course=course, team=world["rh"]).exists()
    assert Enrollment.objects.filter(user=nina, course=course).exists()


def test_moving_someone_to_a_team_brings_that_teams_courses(client, world):
    from learners.assignments import assign
    from learners.models import Assignment
    from tests.factories import make_course_with

    course = make_course_with(modules=1, lessons_per_module=1)
    assign(scope=manager_scope(viewer=world["manager"], slug="asso"), course=course, team=world["rh"],
           due_on=None, assigned_by=world["manager"])
    membership = Membership.objects.get(user=world["learner"])
    client.force_login(world["manager"])

    client.post(reverse("organisation_member_move", args=["asso", membership.pk]), {"team": str(world["rh"].pk)})

    assert Membership.objects.get(pk=membership.pk).team == world["rh"]
    assert Assignment.objects.filter(user=world["learner"], course=course).exists()
