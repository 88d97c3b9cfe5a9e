"""Assignments and reminders: a manager assigns a course to a team or to people (which
enrols them), follows each person's status, changes or removes an assignment and
reminds by hand; the daily task reminds by mail, never twice the same day."""

from datetime import date, timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from django.utils.translation import gettext

from courses.selectors import course_outline
from learners import progress, reminders
from learners.access import manager_scope
from learners.assignments import (
    AssignmentRefused,
    assign,
    assign_team_courses_to,
    assignments_overview,
)
from learners.models import Assignment, Enrollment, Membership, Organisation, Reminder, Team, User
from tests.factories import complete_course, make_course_with, make_user
from tests.utils import mails_in, wait_for

pytestmark = pytest.mark.django_db

Status = Assignment.Status
TODAY = date(2026, 11, 22)


def member(user, organisation, team=None, role=Membership.Role.LEARNER):
    return Membership.objects.create(user=user, organisation=organisation, team=team, role=role)


@pytest.fixture
def org():
    """An organisation of two teams (Com: léa and her manager manon; RH: rui and his
    manager hugo), a manager of the whole organisation, another organisation with its
    own manager, an administrator, and a live course."""
    asso = Organisation.objects.create(name="Asso", slug="asso")
    com, rh = Team.objects.create(organisation=asso, name="Com"), Team.objects.create(organisation=asso, name="RH")
    other = Organisation.objects.create(name="Autre", slug="autre")
    other_team = Team.objects.create(organisation=other, name="Ailleurs")
    people = {name: make_user(first_name=name) for name in ("lea", "rui", "manon", "hugo", "directrice", "voisin", "zoe")}
    people["admin"] = User.objects.create_superuser(email="admin@example.org", password="x", first_name="admin")
    member(people["lea"], asso, com)
    member(people["rui"], asso, rh)
    member(people["manon"], asso, com, Membership.Role.MANAGER)
    member(people["hugo"], asso, rh, Membership.Role.MANAGER)
    member(people["directrice"], asso, None, Membership.Role.MANAGER)
    member(people["voisin"], other, None, Membership.Role.MANAGER)
    member(people["zoe"], other, other_team)
    course = make_course_with(modules=1, lessons_per_module=2, title="Les réseaux sociaux en équipe")
    return {"org": asso, "com": com, "rh": rh, "other": other, "other_team": other_team, "course": course, **people}


def scope_of(viewer, slug="asso"):
    return manager_scope(viewer=viewer, slug=slug)


def assigned(org, user, course=None):
    return Assignment.objects.filter(organisation=org["org"], user=user, course=course or org["course"]).first()


def first_step(course):
    return course_outline(course).steps[0]


def page(client, viewer):
    client.force_login(viewer)
    return client.get("/organisations/asso/affectations/")


# --- Access -------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["list", "due_date", "remove", "remind"])
@pytest.mark.parametrize("viewer, expected", [
    ("anonymous", "login"),
    ("lea", 404),  # a learner of the organisation
    ("directrice", "ok"),  # a manager of this organisation
    ("voisin", 404),  # a manager of another organisation
    ("admin", "ok"),  # an administrator
])
def test_access_to_the_assignments_pages(client, org, action, viewer, expected):
    # given an assignment of léa's, due in a week
    today = timezone.localdate()
    row = Assignment.objects.create(organisation=org["org"], user=org["lea"], course=org["course"], due_on=today)
    if viewer != "anonymous":
        client.force_login(org[viewer])
    requests = {
        "list": ("get", "/organisations/asso/affectations/", {}),
        "due_date": ("post", f"/organisations/asso/affectations/{row.pk}/echeance/", {"due_on": str(today + timedelta(7))}),
        "remove": ("post", f"/organisations/asso/affectations/{row.pk}/retirer/", {}),
        "remind": ("post", "/organisations/asso/relances/", {"course": org["course"].pk, "person": org["lea"].pk}),
    }
    method, url, data = requests[action]

    # when
    response = getattr(client, method)(url, data)

    # then
    if expected == "login":
        assert response.status_code == 302 and response.url.startswith("/comptes/connexion/")
    elif expected == "ok":
        assert response.status_code == (200 if action == "list" else 302)
    else:
        assert response.status_code == expected
    if expected != "ok" and action == "remove":
        assert Assignment.objects.filter(pk=row.pk).exists()


def test_the_actions_refuse_a_get(client, org):
    row = Assignment.objects.create(organisation=org["org"], user=org["lea"], course=org["course"])
    client.force_login(org["directrice"])
    for url in (f"/organisations/asso/affectations/{row.pk}/retirer/", "/organisations/asso/relances/"):
        assert client.get(url).status_code == 405
    assert Assignment.objects.filter(pk=row.pk).exists()


# --- Assigning ------------------------------------------------------------------------


def test_assigning_a_course_to_a_team_assigns_and_enrols_every_current_member(client, org):
    # given the Com team: léa (learner) and manon (its manager, who may also learn)
    client.force_login(org["directrice"])
    due = timezone.localdate() + timedelta(days=20)

    # when the manager assigns the course to Com with a due date
    response = client.post("/organisations/asso/affectations/", {
        "course": org["course"].pk, "team": org["com"].pk, "due_on": due.isoformat(),
    }, follow=True)

    # then both are assigned through the team and enrolled; RH is untouched
    assert "2 personnes ajoutées et inscrites." in response.content.decode()
    rows = Assignment.objects.filter(course=org["course"])
    assert {(row.user.first_name, row.team_id, row.due_on) for row in rows} == {
        ("lea", org["com"].pk, due), ("manon", org["com"].pk, due),
    }
    assert set(Enrollment.objects.filter(course=org["course"]).values_list("user__first_name", flat=True)) == {"lea", "manon"}
    assert all(row.assigned_by == org["directrice"] for row in rows)


def test_assigning_a_course_to_chosen_people_without_a_due_date(client, org):
    client.force_login(org["directrice"])

    response = client.post("/organisations/asso/affectations/", {
        "course": org["course"].pk, "people": [org["lea"].pk, org["rui"].pk],
    })

    assert response.status_code == 302
    rows = Assignment.objects.filter(course=org["course"])
    assert {(row.user.first_name, row.team_id, row.due_on) for row in rows} == {("lea", None, None), ("rui", None, None)}
    assert Enrollment.objects.filter(course=org["course"]).count() == 2


def test_assigning_again_updates_the_due_date_and_never_duplicates(client, org):
    # given léa assigned by name, due in 10 days
    client.force_login(org["directrice"])
    today = timezone.localdate()
    client.post("/organisations/asso/affectations/", {
        "course": org["course"].pk, "people": [org["lea"].pk], "due_on": (today + timedelta(10)).isoformat(),
    })

    # when the course is assigned again to her whole team, due in 30 days
    response = client.post("/organisations/asso/affectations/", {
        "course": org["course"].pk, "team": org["com"].pk, "due_on": (today + timedelta(30)).isoformat(),
    }, follow=True)

    # then one row each, the new date, léa now counted with her team
    html = response.content.decode()
    assert "1 personne ajoutée et inscrite." in html and "1 personne l&#x27;avait déjà : échéance mise à jour." in html
    assert Assignment.objects.filter(user=org["lea"]).count() == 1
    assert assigned(org, org["lea"]).due_on == today + timedelta(30)
    assert assigned(org, org["lea"]).team == org["com"]
    assert Enrollment.objects.filter(user=org["lea"]).count() == 1


def test_a_due_date_in_the_past_is_refused_with_a_clear_message(client, org):
    client.force_login(org["directrice"])
    yesterday = timezone.localdate() - timedelta(days=1)

    response = client.post("/organisations/asso/affectations/", {
        "course": org["course"].pk, "team": org["com"].pk, "due_on": yesterday.isoformat(),
    })

    assert response.status_code == 400
    assert "L&#x27;échéance est déjà passée : choisissez aujourd&#x27;hui ou une date à venir." in response.content.decode()
    assert not Assignment.objects.exists() and not Enrollment.objects.exists()


def test_the_service_refuses_a_past_due_date_too(org):
    with pytest.raises(AssignmentRefused):
        assign(scope=scope_of(org["directrice"]), course=org["course"], team=org["com"],
               due_on=TODAY - timedelta(days=1), assigned_by=org["directrice"], today=TODAY)
    assert not Assignment.objects.exists()


@pytest.mark.parametrize("field, forged", [
    ("team", "other_team"),  # a team of another organisation
    ("team", "abc"),
    ("team", str(2**70)),
    ("people", "zoe"),  # a person of another organisation
    ("people", "①"),
    ("course", "missing"),  # no such page
    ("course", "module"),  # a page that is not a course
    ("course", str(2**64)),
])
def test_forged_ids_are_form_errors_and_nothing_is_written(client, org, field, forged):
    client.force_login(org["directrice"])
    value = {
        "other_team": org["other_team"].pk, "zoe": org["zoe"].pk, "missing": 999999,
        "module": org["course"].get_children().first().pk,
    }.get(forged, forged)
    data = {"course": org["course"].pk, "team": org["com"].pk, field: value}

    response = client.post("/organisations/asso/affectations/", data)

    assert response.status_code == 400
    assert "Ce choix n&#x27;est pas disponible" in response.content.decode()
    assert not Assignment.objects.exists() and not Enrollment.objects.exists()


def test_a_teams_manager_cannot_assign_outside_their_teams(client, org):
    # given an organisation where a team's manager sees their own team only
    Organisation.objects.filter(pk=org["org"].pk).update(manager_scope=Organisation.ManagerScope.OWN_TEAMS)
    client.force_login(org["manon"])

    # when manon forges RH's id, then rui's
    by_team = client.post("/organisations/asso/affectations/", {"course": org["course"].pk, "team": org["rh"].pk})
    by_person = client.post("/organisations/asso/affectations/", {"course": org["course"].pk, "people": [org["rui"].pk]})

    # then both are form errors, and the service refuses them as well
    assert by_team.status_code == by_person.status_code == 400
    with pytest.raises(AssignmentRefused):
        assign(scope=scope_of(org["manon"]), course=org["course"], team=org["rh"], due_on=None, assigned_by=org["manon"])
    with pytest.raises(AssignmentRefused):
        assign(scope=scope_of(org["manon"]), course=org["course"], people=[org["rui"]], due_on=None, assigned_by=org["manon"])
    assert not Assignment.objects.exists()


def test_a_course_that_is_not_live_cannot_be_assigned(client, org):
    draft = make_course_with(modules=1, lessons_per_module=1, title="Brouillon")
    draft.unpublish()
    client.force_login(org["directrice"])

    response = client.post("/organisations/asso/affectations/", {"course": draft.pk, "team": org["com"].pk})

    assert response.status_code == 400
    assert "Ce choix n&#x27;est pas disponible" in response.content.decode()
    with pytest.raises(AssignmentRefused):
        assign(scope=scope_of(org["directrice"]), course=draft, team=org["com"], due_on=None, assigned_by=org["directrice"])
    assert not Assignment.objects.exists()


def test_choosing_nobody_is_a_form_error(client, org):
    client.force_login(org["directrice"])
    response = client.post("/organisations/asso/affectations/", {"course": org["course"].pk})
    assert response.status_code == 400
    assert "Choisissez une équipe ou au moins une personne." in response.content.decode()


# --- Newcomers ------------------------------------------------------------------------


def test_a_person_who_joins_a_team_gets_its_courses_and_is_enrolled(org):
    # given the course assigned to Com, due in 10 days
    assign(scope=scope_of(org["directrice"]), course=org["course"], team=org["com"],
           due_on=TODAY + timedelta(days=10), assigned_by=org["directrice"], today=TODAY)
    newcomer = make_user(first_name="nina")

    # when nina joins Com (as an accepted invitation does)
    membership = member(newcomer, org["org"], org["com"])
    created = assign_team_courses_to(membership, today=TODAY)

    # then she has the course, with the team's due date, and is enrolled; again: nothing new
    assert [(row.course_id, row.due_on, row.team_id) for row in created] == [
        (org["course"].pk, TODAY + timedelta(days=10), org["com"].pk)
    ]
    assert Enrollment.objects.filter(user=newcomer, course=org["course"]).exists()
    assert assign_team_courses_to(membership, today=TODAY) == []
    assert Assignment.objects.filter(user=newcomer).count() == 1


def test_a_newcomer_is_not_late_on_day_one_nor_given_courses_of_other_teams(org):
    # given Com's course due last week, and RH's own course
    scope = scope_of(org["directrice"])
    assign(scope=scope, course=org["course"], team=org["com"], due_on=TODAY, assigned_by=None, today=TODAY)
    rh_course = make_course_with(modules=1, lessons_per_module=1, title="RH")
    assign(scope=scope, course=rh_course, team=org["rh"], due_on=None, assigned_by=None, today=TODAY)
    newcomer = make_user()

    created = assign_team_courses_to(member(newcomer, org["org"], org["com"]), today=TODAY + timedelta(days=7))

    assert [(row.course_id, row.due_on) for row in created] == [(org["course"].pk, None)]
    assert assign_team_courses_to(member(make_user(), org["org"], None)) == []


# --- Following ------------------------------------------------------------------------


def test_the_page_counts_each_status_per_course(client, org):
    # given four people assigned the course: one not started, one in progress, one done, one late
    today = timezone.localdate()
    course = org["course"]
    scope = scope_of(org["directrice"])
    assign(scope=scope, course=course, people=[org["lea"], org["rui"], org["hugo"]],
           due_on=today + timedelta(days=5), assigned_by=None)
    assign(scope=scope, course=course, people=[org["manon"]], due_on=today, assigned_by=None)
    Assignment.objects.filter(user=org["manon"]).update(due_on=today - timedelta(days=2))
    progress.record_step_completed(user=org["rui"], page=first_step(course))
    complete_course(org["hugo"], course)

    # when the manager reads the page
    overview = assignments_overview(scope, today=today)
    html = page(client, org["directrice"]).content.decode()

    # then each status is counted, and written as text per person
    assert [(label, count) for _status, label, count in overview[0].counts] == [
        ("Pas commencée", 1), ("En cours", 1), ("Terminée", 1), ("En retard", 1),
    ]
    assert "Pas commencée : <strong>1</strong>" in html and "En retard : <strong>1</strong>" in html
    assert "Relancer la personne en retard" in html


def test_the_page_runs_a_constant_number_of_queries(client, org):
    client.force_login(org["directrice"])
    counts = []
    for extra in (1, 15):
        for _ in range(extra):
            member(make_user(), org["org"], org["rh"])
        assign(scope=scope_of(org["directrice"]), course=org["course"], team=org["rh"], due_on=None, assigned_by=None)
        client.get("/organisations/asso/affectations/")
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/organisations/asso/affectations/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_changing_a_due_date_and_removing_an_assignment_keeps_progress(client, org):
    # given léa assigned and halfway through
    today = timezone.localdate()
    assign(scope=scope_of(org["directrice"]), course=org["course"], people=[org["lea"]], due_on=None, assigned_by=None)
    progress.record_step_completed(user=org["lea"], page=first_step(org["course"]))
    row = assigned(org, org["lea"])
    client.force_login(org["directrice"])

    # when the manager sets a due date, tries one in the past, then removes the assignment
    client.post(f"/organisations/asso/affectations/{row.pk}/echeance/", {"due_on": (today + timedelta(3)).isoformat()})
    changed = assigned(org, org["lea"]).due_on
    refused = client.post(f"/organisations/asso/affectations/{row.pk}/echeance/",
                          {"due_on": (today - timedelta(3)).isoformat()}, follow=True)
    still = assigned(org, org["lea"]).due_on
    client.post(f"/organisations/asso/affectations/{row.pk}/retirer/")

    # then the date changed once, and the enrolment and its progress remain
    assert changed == still == today + timedelta(3)
    assert "L&#x27;échéance est déjà passée" in refused.content.decode()
    assert assigned(org, org["lea"]) is None
    assert Enrollment.objects.get(user=org["lea"], course=org["course"]).completed_steps == 1


def test_an_assignment_of_another_organisation_or_out_of_scope_is_not_found(client, org):
    # given zoé's assignment in the other organisation, and rui's in RH
    theirs = Assignment.objects.create(organisation=org["other"], user=org["zoe"], course=org["course"])
    ruis = Assignment.objects.create(organisation=org["org"], user=org["rui"], course=org["course"])
    Organisation.objects.filter(pk=org["org"].pk).update(manager_scope=Organisation.ManagerScope.OWN_TEAMS)
    client.force_login(org["manon"])

    # when manon (Com only) forges their ids
    responses = [
        client.post(f"/organisations/asso/affectations/{theirs.pk}/retirer/"),
        client.post(f"/organisations/asso/affectations/{ruis.pk}/retirer/"),
        client.post(f"/organisations/asso/affectations/{ruis.pk}/echeance/", {"due_on": ""}),
        client.post("/organisations/asso/relances/", {"course": org["course"].pk, "person": org["rui"].pk}),
        client.post("/organisations/asso/relances/", {"course": "abc"}),
        client.post("/organisations/asso/relances/", {"course": org["course"].pk, "person": str(2**70)}),
    ]

    # then each is a 404, and both assignments remain
    assert [response.status_code for response in responses] == [404] * 6
    assert Assignment.objects.count() == 2 and not Reminder.objects.exists()


# --- The learner's side ---------------------------------------------------------------


def test_the_learner_dashboard_shows_due_dates_and_lateness_as_text(client, org):
    # given two courses assigned to léa: one due on 12 December, one already late
    late = make_course_with(modules=1, lessons_per_module=1, title="Cours en retard")
    today = timezone.localdate()
    due = today + timedelta(days=20)
    scope = scope_of(org["directrice"])
    assign(scope=scope, course=org["course"], people=[org["lea"]], due_on=due, assigned_by=None)
    assign(scope=scope, course=late, people=[org["lea"]], due_on=today, assigned_by=None)
    Assignment.objects.filter(course=late).update(due_on=today - timedelta(days=1))
    client.force_login(org["lea"])

    # when she opens her dashboard
    html = client.get("/comptes/mon-espace/").content.decode()

    # then each says when it is due, the late one first and in words
    with translation.override("fr"):
        from django.utils.formats import date_format

        due_text = date_format(due, "j F Y")
    assert f"Formation affectée : à terminer avant le {due_text}." in html
    assert "En retard : à terminer avant le" in html
    assert html.index("Cours en retard") < html.index("Les réseaux sociaux en équipe")


def test_the_dashboard_adds_one_query_for_assignments_whatever_their_number(client, org):
    client.force_login(org["lea"])
    counts = []
    for _ in range(2):
        course = make_course_with(modules=1, lessons_per_module=1)
        assign(scope=scope_of(org["directrice"]), course=course, people=[org["lea"]], due_on=None, assigned_by=None)
        client.get("/comptes/mon-espace/")
        with CaptureQueriesContext(connection) as queries:
            client.get("/comptes/mon-espace/")
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


# --- Reminders: when ------------------------------------------------------------------


@pytest.mark.parametrize("today, last, expected", [
    (date(2026, 12, 8), None, False),  # 4 days ahead: too early
    (date(2026, 12, 9), None, True),  # 3 days ahead: the window opens
    (date(2026, 12, 10), date(2026, 12, 9), False),  # reminded once before the date is enough
    (date(2026, 12, 11), None, True),  # a missed run is caught up
    (date(2026, 12, 12), None, True),  # due today
    (date(2026, 12, 12), date(2026, 12, 9), False),
    (date(2026, 12, 13), date(2026, 12, 9), True),  # the day after: late
    (date(2026, 12, 14), date(2026, 12, 13), False),
    (date(2026, 12, 19), date(2026, 12, 13), False),
    (date(2026, 12, 20), date(2026, 12, 13), True),  # every 7 days after
    (date(2026, 12, 21), date(2026, 12, 13), True),  # catch up a missed run
])
def test_when_an_assignment_is_reminded(today, last, expected):
    assert reminders.reminder_due(
        due_on=date(2026, 12, 12), days_before=3, every_days=7, last_reminded_on=last, today=today
    ) is expected


def test_no_due_date_or_the_setting_off_means_no_automatic_reminder():
    assert not reminders.reminder_due(due_on=None, days_before=3, every_days=7, last_reminded_on=None, today=TODAY)
    assert not reminders.reminder_due(due_on=TODAY, days_before=None, every_days=7, last_reminded_on=None, today=TODAY)


# --- Reminders: sending ---------------------------------------------------------------


@pytest.fixture
def due_soon(org):
    """léa and rui assigned the course, due on 12 December 2026; reminders 3 days before,
    then every 7 days."""
    Organisation.objects.filter(pk=org["org"].pk).update(reminder_days_before=3, reminder_every_days=7)
    assign(scope=scope_of(org["directrice"]), course=org["course"], people=[org["lea"], org["rui"]],
           due_on=date(2026, 12, 12), assigned_by=None, today=TODAY)
    return org


def run(today, capture):
    with capture(execute=True):
        return reminders.send_due_reminders(today=today)


def test_learners_are_reminded_when_the_due_date_comes_near(due_soon, django_capture_on_commit_callbacks, settings):
    settings.PUBLIC_BASE_URL = "https://lms.example.org"

    assert run(date(2026, 12, 8), django_capture_on_commit_callbacks).sent == 0
    result = run(date(2026, 12, 9), django_capture_on_commit_callbacks)

    assert result.sent == 2 and len(mail.outbox) == 2
    message = next(m for m in mail.outbox if m.to == [due_soon["lea"].email])
    assert message.subject == "Rappel : « Les réseaux sociaux en équipe » à terminer avant le 12 décembre 2026"
    assert "Bonjour lea," in message.body and "que Asso vous a confiée" in message.body
    assert "Reprendre la formation : https://lms.example.org/" in message.body
    assert "&#x27;" not in message.body and "&amp;" not in message.body
    assert set(Reminder.objects.values_list("kind", "sent_on")) == {(Reminder.Kind.AUTOMATIC, date(2026, 12, 9))}


def test_overdue_reminders_repeat_every_n_days_until_completed(due_soon, django_capture_on_commit_callbacks):
    # when the daily task runs every day from 1 to 31 December, léa finishing on the 22nd
    sent_days = []
    for day in range(1, 32):
        today = date(2026, 12, day)
        if day == 22:
            complete_course(due_soon["lea"], due_soon["course"])
        run(today, django_capture_on_commit_callbacks)
    for reminder in Reminder.objects.filter(assignment__user=due_soon["lea"]).order_by("sent_on"):
        sent_days.append(reminder.sent_on.day)
    rui_days = sorted(Reminder.objects.filter(assignment__user=due_soon["rui"]).values_list("sent_on__day", flat=True))

    # then once 3 days before, the day after the due date, then every 7 days, until done
    assert sent_days == [9, 13, 20]
    assert rui_days == [9, 13, 20, 27]
    overdue = [m for m in mail.outbox if m.to == [due_soon["rui"].email]][-1]
    assert overdue.subject == "Rappel : « Les réseaux sociaux en équipe » devait être terminée le 12 décembre 2026"


def test_no_automatic_reminder_when_the_setting_is_off(due_soon, django_capture_on_commit_callbacks):
    Organisation.objects.filter(pk=due_soon["org"].pk).update(reminder_days_before=None)

    for day in (9, 12, 13, 20):
        run(date(2026, 12, day), django_capture_on_commit_callbacks)

    assert not Reminder.objects.exists() and mail.outbox == []


def test_completed_learners_are_not_reminded(due_soon, django_capture_on_commit_callbacks):
    complete_course(due_soon["lea"], due_soon["course"])

    run(date(2026, 12, 13), django_capture_on_commit_callbacks)

    assert [m.to for m in mail.outbox] == [[due_soon["rui"].email]]


def test_running_the_service_twice_the_same_day_sends_once(due_soon, django_capture_on_commit_callbacks):
    first = run(date(2026, 12, 9), django_capture_on_commit_callbacks)
    # even when the cadence would say yes (as when two runs read before either wrote)
    again = reminders.send_reminders(
        list(Assignment.objects.select_related("organisation", "user", "course")),
        kind=Reminder.Kind.AUTOMATIC, sent_by=None, today=date(2026, 12, 9),
    )
    second = run(date(2026, 12, 9), django_capture_on_commit_callbacks)

    assert (first.sent, again.sent, again.already, second.sent) == (2, 0, 2, 0)
    assert Reminder.objects.count() == 2 and len(mail.outbox) == 2


def test_a_mail_that_cannot_leave_frees_the_day_for_a_retry(due_soon, django_capture_on_commit_callbacks, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2  # nothing listens there

    run(date(2026, 12, 9), django_capture_on_commit_callbacks)

    assert not Reminder.objects.exists()


def test_the_mail_is_written_in_the_learners_language(due_soon, django_capture_on_commit_callbacks):
    # given léa reads French, rui English
    User.objects.filter(pk=due_soon["rui"].pk).update(preferred_language="en")

    with translation.override("fr"):
        run(date(2026, 12, 9), django_capture_on_commit_callbacks)

    by_person = {tuple(m.to): m for m in mail.outbox}
    assert by_person[(due_soon["lea"].email,)].subject.startswith("Rappel : « Les réseaux sociaux en équipe » à terminer avant le")
    with translation.override("en"):
        from django.utils.formats import date_format

        expected = gettext("Rappel : « %(course)s » à terminer avant le %(date)s") % {
            "course": "Les réseaux sociaux en équipe", "date": date_format(date(2026, 12, 12), "j F Y"),
        }
    english = by_person[(due_soon["rui"].email,)]
    assert english.subject == expected  # the English text once translated; today the French msgid
    assert "December" in english.subject  # the date at least is written in English already


def test_reminders_are_scheduled_every_morning_at_eight_paris_time():
    entry = settings.CELERY_BEAT_SCHEDULE["send-due-reminders"]
    assert entry["task"] == "learners.tasks.send_due_reminders"
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({8}, {0})
    assert settings.CELERY_TIMEZONE == "Europe/Paris"


# --- Reminders by hand ----------------------------------------------------------------


def test_a_manager_reminds_everyone_late_and_nobody_twice_a_day(client, org, django_capture_on_commit_callbacks):
    # given léa and rui late, hugo not late yet, manon late but done
    today = timezone.localdate()
    scope = scope_of(org["directrice"])
    assign(scope=scope, course=org["course"], people=[org["lea"], org["rui"], org["hugo"], org["manon"]],
           due_on=today, assigned_by=None)
    Assignment.objects.exclude(user=org["hugo"]).update(due_on=today - timedelta(days=4))
    complete_course(org["manon"], org["course"])
    client.force_login(org["directrice"])

    # when rui was reminded by hand this morning, then the manager reminds everyone late
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/organisations/asso/relances/", {"course": org["course"].pk, "person": org["rui"].pk})
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/organisations/asso/relances/", {"course": org["course"].pk}, follow=True)

    # then léa only is reminded now, and the manager is told about rui
    html = response.content.decode()
    assert "1 relance envoyée. 1 personne déjà relancée aujourd&#x27;hui : pas de seconde relance." in html
    assert sorted(m.to[0] for m in mail.outbox) == sorted([org["rui"].email, org["lea"].email])
    assert set(Reminder.objects.values_list("kind", "sent_by")) == {(Reminder.Kind.MANUAL, org["directrice"].pk)}


def test_a_manual_reminder_today_counts_for_the_daily_task(client, org, django_capture_on_commit_callbacks):
    today = timezone.localdate()
    assign(scope=scope_of(org["directrice"]), course=org["course"], people=[org["lea"]], due_on=today, assigned_by=None)
    client.force_login(org["directrice"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/organisations/asso/relances/", {"course": org["course"].pk, "person": org["lea"].pk})

    result = run(today, django_capture_on_commit_callbacks)

    assert (result.sent, len(mail.outbox), Reminder.objects.count()) == (0, 1, 1)


# --- Reminders on a real worker -------------------------------------------------------


@pytest.fixture
def worker_mail_folder(tmp_path, monkeypatch):
    """Where a worker started after this fixture writes its mails (config.settings.test)."""
    folder = tmp_path / "mails"
    folder.mkdir()
    monkeypatch.setenv("EMAIL_FILE_PATH", str(folder))
    return folder


def runs_finished(worker):
    return sum(
        1 for line in worker.output().splitlines() if "send_due_reminders[" in line and " succeeded " in line
    )


@pytest.mark.worker
def test_the_task_run_twice_at_once_on_a_real_worker_reminds_each_assignment_once(
    worker_mail_folder, celery_worker_process
):
    from learners.tasks import send_due_reminders

    # given three learners whose course is due tomorrow (reminders 3 days before)
    org = Organisation.objects.create(name="Concurrente", slug="concurrente", reminder_days_before=3)
    course = make_course_with(modules=1, lessons_per_module=1)
    learners = [make_user() for _ in range(3)]
    for person in learners:
        member(person, org)
        Assignment.objects.create(organisation=org, user=person, course=course,
                                  due_on=timezone.localdate() + timedelta(days=1))

    # when beat's message arrives twice, for the two processes of the worker at once
    send_due_reminders.delay()
    send_due_reminders.delay()

    # then one reminder per assignment, and three mails in all
    wait_for(lambda: runs_finished(celery_worker_process) == 2, timeout=60, message="both runs to finish")
    assert Reminder.objects.count() == 3
    assert sorted(Reminder.objects.values_list("assignment__user_id", flat=True)) == sorted(p.pk for p in learners)
    wait_for(lambda: mails_in(worker_mail_folder) >= 3, timeout=10, message="the mails")
    assert mails_in(worker_mail_folder) == 3
