"""The audit log: sensitive actions made in the admin are recorded (who, when, what),
and only superusers can read the log; nobody can change it."""

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from learners import audit, progress
from learners.models import AuditEvent, Certificate, User
from learners.roles import TRAINERS_GROUP
from tests.factories import complete_course, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def administrator(client):
    admin = make_user(email="admin@example.org", is_staff=True, is_superuser=True)
    client.force_login(admin)
    return admin


@pytest.fixture
def certificate(demo_course):
    learner = make_user(email="diplome@example.org")
    progress.enroll(user=learner, course=demo_course)
    complete_course(learner, demo_course)
    return Certificate.objects.get(user=learner)


def certificate_form(certificate, revoked_at="", reason=""):
    return {"revoked_at": revoked_at, "revocation_reason": reason}


def edit_certificate(client, certificate, **fields):
    return client.post(f"/admin/snippets/learners/certificate/edit/{certificate.pk}/", certificate_form(certificate, **fields))


def user_form(user, groups=(), is_superuser=False):
    data = {
        "email": user.email, "first_name": user.first_name, "last_name": user.last_name,
        "preferred_language": "fr", "is_active": "on", "password1": "", "password2": "",
        "groups": [str(group.pk) for group in groups],
    }
    if is_superuser:
        data["is_superuser"] = "on"
    return data


def test_revoking_a_certificate_in_the_admin_records_one_event_with_the_actor_and_reason(
    client, administrator, certificate
):
    # when an administrator revokes the certificate through its edit view
    response = edit_certificate(client, certificate, revoked_at="2026-03-01 10:00", reason="Fraude à l'examen")

    # then the certificate is revoked and one event says who, what and why
    assert response.status_code == 302
    certificate.refresh_from_db()
    assert certificate.revoked_at is not None
    event = AuditEvent.objects.get()
    assert event.action == audit.Action.CERTIFICATE_REVOKED
    assert event.actor == administrator and event.actor_email == "admin@example.org"
    assert (event.target_type, event.target_id) == ("learners.certificate", str(certificate.pk))
    assert certificate.code in event.target_label
    assert event.details["reason"] == "Fraude à l'examen"
    assert event.ip_address == "127.0.0.1"


def test_reinstating_a_certificate_records_one_event(client, administrator, certificate):
    # given a revoked certificate
    certificate.revoked_at, certificate.revocation_reason = timezone.now(), "Erreur"
    certificate.save()

    # when an administrator clears the revocation
    edit_certificate(client, certificate)

    # then one reinstatement is recorded
    certificate.refresh_from_db()
    assert certificate.revoked_at is None
    assert list(AuditEvent.objects.values_list("action", flat=True)) == [audit.Action.CERTIFICATE_REINSTATED]


def test_saving_a_certificate_without_touching_its_revocation_records_nothing(client, administrator, certificate):
    # when an administrator saves the certificate as it is
    response = edit_certificate(client, certificate)
    # then no event
    assert response.status_code == 302
    assert not AuditEvent.objects.exists()


def test_changing_a_users_groups_in_the_admin_records_the_role_change_with_before_and_after(client, administrator):
    # given a learner
    person = make_user(email="future.formatrice@example.org")
    trainers = Group.objects.get(name=TRAINERS_GROUP)

    # when an administrator puts them in the trainers' group
    response = client.post(f"/admin/users/edit/{person.pk}/", user_form(person, groups=[trainers]))

    # then the change is made and recorded with before and after
    assert response.status_code == 302, response.content.decode()[:2000]
    assert list(person.groups.values_list("name", flat=True)) == [TRAINERS_GROUP]
    event = AuditEvent.objects.get()
    assert event.action == audit.Action.ROLE_CHANGED
    assert event.actor == administrator
    assert event.target_label == "future.formatrice@example.org"
    assert event.details["before"] == {"groups": [], "is_superuser": False, "is_staff": False}
    assert event.details["after"] == {"groups": [TRAINERS_GROUP], "is_superuser": False, "is_staff": False}


def test_editing_a_user_without_changing_their_roles_records_nothing(client, administrator):
    # given a learner
    person = make_user()
    # when an administrator edits only their name
    data = user_form(person)
    data["first_name"] = "Autre"
    client.post(f"/admin/users/edit/{person.pk}/", data)
    # then no event
    person.refresh_from_db()
    assert person.first_name == "Autre"
    assert not AuditEvent.objects.exists()


def test_assigning_a_role_to_several_users_at_once_records_each_change(client, administrator):
    # given two learners
    people = [make_user(), make_user()]
    trainers = Group.objects.get(name=TRAINERS_GROUP)
    # when an administrator assigns them the trainers' role from the user listing
    ids = "&".join(f"id={person.pk}" for person in people)
    response = client.post(f"/admin/bulk/learners/user/assign_role/?{ids}&next=/admin/users/", {"role": trainers.pk})
    # then each change is recorded
    assert response.status_code == 302
    events = AuditEvent.objects.filter(action=audit.Action.ROLE_CHANGED)
    assert sorted(events.values_list("target_label", flat=True)) == sorted(person.email for person in people)


def test_deleting_a_user_in_the_admin_records_the_deletion_with_their_email(client, administrator):
    # given a learner
    person = make_user(email="partant@example.org")
    # when an administrator deletes the account
    response = client.post(f"/admin/users/delete/{person.pk}/")
    # then the account is gone, and the log keeps who it was
    assert response.status_code == 302
    assert not User.objects.filter(pk=person.pk).exists()
    event = AuditEvent.objects.get()
    assert event.action == audit.Action.ACCOUNT_DELETED
    assert event.target_label == "partant@example.org"
    assert event.target_id == str(person.pk)
    assert event.actor_email == "admin@example.org"


def test_an_event_keeps_the_actors_email_after_their_account_is_deleted(administrator):
    # given an event recorded by the administrator
    event = audit.record(actor=administrator, action=audit.Action.EXPORT, rows=12)
    # when the administrator's account is deleted
    administrator.delete()
    # then the event still says who it was
    event.refresh_from_db()
    assert event.actor is None and event.actor_email == "admin@example.org"
    assert event.details == {"rows": 12}


def test_an_event_is_never_changed():
    # given an event
    event = audit.record(actor=None, action=audit.Action.REGRADE)
    # when someone tries to save it again
    event.target_label = "autre chose"
    # then it is refused
    with pytest.raises(ValueError):
        event.save()


def test_an_unknown_action_is_refused():
    with pytest.raises(ValueError):
        audit.record(actor=None, action="made_up")


# --- Who sees the log ----------------------------------------------------------------------


def test_the_listing_shows_events_to_a_superuser(client, administrator):
    # given events
    audit.record(actor=administrator, action=audit.Action.ACCOUNT_DELETED, target_label="parti@example.org")
    event = audit.record(actor=administrator, action=audit.Action.EXPORT, target_label="Équipe Nord")

    # when a superuser opens the log, filters it and inspects an event
    listing = client.get("/admin/journal-audit/")
    filtered = client.get("/admin/journal-audit/", {"action": audit.Action.EXPORT})
    searched = client.get("/admin/journal-audit/", {"q": "parti@"})
    inspect = client.get(f"/admin/journal-audit/inspect/{event.pk}/")

    # then they see them
    assert listing.status_code == 200
    assert "parti@example.org" in listing.content.decode() and "Équipe Nord" in listing.content.decode()
    assert "Équipe Nord" in filtered.content.decode() and "parti@example.org" not in filtered.content.decode()
    assert "parti@example.org" in searched.content.decode() and "Équipe Nord" not in searched.content.decode()
    assert inspect.status_code == 200 and "Équipe Nord" in inspect.content.decode()
    assert "Journal d'audit" in client.get("/admin/").content.decode()


def test_a_trainer_cannot_see_the_audit_log(client):
    # given a trainer (admin access, course editing) and an event
    trainer = make_user()
    trainer.groups.add(Group.objects.get(name=TRAINERS_GROUP))
    event = audit.record(actor=None, action=audit.Action.EXPORT)
    client.force_login(trainer)

    # when they look for the log
    dashboard = client.get("/admin/")
    listing = client.get("/admin/journal-audit/")
    inspect = client.get(f"/admin/journal-audit/inspect/{event.pk}/")

    # then there is no menu item and no access
    assert dashboard.status_code == 200
    assert "/admin/journal-audit/" not in dashboard.content.decode()
    for response in (listing, inspect):
        assert response.status_code in (302, 403)
        assert response.status_code == 403 or response.url == "/admin/"


def test_nobody_can_add_change_or_delete_an_event_through_the_admin(client, administrator):
    # given an event
    event = audit.record(actor=administrator, action=audit.Action.EXPORT, target_label="Équipe Sud")
    # when even a superuser tries to add, edit or delete one
    attempts = [
        client.get("/admin/journal-audit/new/"),
        client.post("/admin/journal-audit/new/", {"action": audit.Action.EXPORT}),
        client.get(f"/admin/journal-audit/edit/{event.pk}/"),
        client.post(f"/admin/journal-audit/edit/{event.pk}/", {"target_label": "falsifié"}),
        client.get(f"/admin/journal-audit/delete/{event.pk}/"),
        client.post(f"/admin/journal-audit/delete/{event.pk}/"),
    ]
    # then every request is refused and the log is as it was
    for response in attempts:
        assert response.status_code in (302, 403)
        assert response.status_code == 403 or response.url == "/admin/"
    assert list(AuditEvent.objects.values_list("target_label", flat=True)) == ["Équipe Sud"]
    listing = client.get("/admin/journal-audit/").content.decode()
    assert "/admin/journal-audit/new/" not in listing and f"/admin/journal-audit/edit/{event.pk}/" not in listing
