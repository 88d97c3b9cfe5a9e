"""The manager's dashboard, drill-down per person and exports (learners.views_manager,
learners.manager_selectors, learners.exports)."""

import csv
import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from courses.models import ModulePage
from learners import progress
from learners.access import manager_scope
from learners.assignments import assignment_status
from learners.exports import delete_expired_exports, safe_cell
from learners.manager_selectors import dashboard_view, manager_dashboard, status_counts
from learners.models import (
    Assignment, AuditEvent, Enrollment, Export, Membership, ModuleProgress, Organisation, Team, User,
)
from learners.tasks import build_export
from quizzes.models import Attempt
from tests.factories import make_course, make_lesson, make_module, make_quiz, make_user

pytestmark = pytest.mark.django_db

SENTENCE = "Les chiffres calculés sur moins de 5 personnes sont masqués"


def member(user, organisation, team=None, role=Membership.Role.LEARNER):
    return Membership.objects.create(user=user, organisation=organisation, team=team, role=role)


def graded(user, quiz, percent, number=1):
    return Attempt.objects.create(
        user=user, quiz=quiz, number=number, status=Attempt.Status.GRADED, percent=percent,
        passed=percent >= quiz.pass_mark, score=percent, max_score=100, graded_at=timezone.now(),
    )


class World:
    pass


@pytest.fixture
def world(settings, tmp_path):
    """Asso: team Com (5 learners c1..c5) and team RH (4 learners r1..r4), all assigned a
    course of two modules (privacy, crisis), each a lesson and a quiz; a manager of the
    whole organisation, a manager of Com, a manager of another organisation, an admin."""
    settings.MEDIA_ROOT = tmp_path / "media"
    w = World()
    w.course = make_course(title="Réseaux en équipe")
    w.privacy = make_module(w.course, title="Vie privée", theme=ModulePage.Theme.PRIVACY)
    w.privacy_lesson = make_lesson(w.privacy)
    w.privacy_quiz = make_quiz(w.privacy, questions=1)
    w.crisis = make_module(w.course, title="Crise", theme=ModulePage.Theme.CRISIS)
    w.crisis_lesson = make_lesson(w.crisis)
    w.crisis_quiz = make_quiz(w.crisis, questions=1)
    w.org = Organisation.objects.create(name="Asso", slug="asso")
    w.com = Team.objects.create(organisation=w.org, name="Com")
    w.rh = Team.objects.create(organisation=w.org, name="RH")
    w.other = Organisation.objects.create(name="Autre", slug="autre")
    w.director = make_user(first_name="Directrice", last_name="Zed")
    member(w.director, w.org, None, Membership.Role.MANAGER)
    w.com_manager = make_user(first_name="Manon", last_name="Zorro")
    member(w.com_manager, w.org, w.com, Membership.Role.MANAGER)
    w.stranger = make_user(first_name="Autre", last_name="Responsable")
    member(w.stranger, w.other, None, Membership.Role.MANAGER)
    w.admin = make_user(first_name="Admin", last_name="Root", is_superuser=True, is_staff=True)
    today = timezone.localdate()
    w.people = {}
    for name, team in [(f"c{i}", w.com) for i in range(1, 6)] + [(f"r{i}", w.rh) for i in range(1, 5)]:
        person = make_user(first_name=name.upper(), last_name=f"Nom-{name}")
        member(person, w.org, team)
        due = today - timedelta(days=1) if name == "r1" else today + timedelta(days=10)
        Assignment.objects.create(organisation=w.org, user=person, course=w.course, team=team, due_on=due)
        progress.enroll(user=person, course=w.course)
        w.people[name] = person
    w.learner = w.people["c1"]
    # c1 did the privacy lesson: module 1 half done. c2 completed the whole course.
    progress.record_step_completed(user=w.people["c1"], page=w.privacy_lesson)
    for step in (w.privacy_lesson, w.crisis_lesson):
        progress.record_step_completed(user=w.people["c2"], page=step)
    # Privacy quiz: Com scores 60..100 (best of two attempts for c1), RH 50 each.
    for number, name in enumerate(["c1", "c2", "c3", "c4", "c5"]):
        graded(w.people[name], w.privacy_quiz, 60 + 10 * number)
    graded(w.people["c1"], w.privacy_quiz, 20, number=2)
    for name in ["r1", "r2", "r3", "r4"]:
        graded(w.people[name], w.privacy_quiz, 50)
    graded(w.people["c2"], w.crisis_quiz, 90)
    for quiz in (w.privacy_quiz, w.crisis_quiz):
        progress.record_step_completed(user=w.people["c2"], page=quiz)
    return w


def url(name, w, *args):
    return reverse(name, args=[w.org.slug, *args])


# --- Access ------------------------------------------------------------------------------------


def own_export(w):
    return Export.objects.create(
        organisation=w.org, requested_by=w.director, format=Export.Format.CSV, status=Export.Status.PENDING
    )


URLS = {
    "dashboard": lambda w: url("organisation_dashboard", w),
    "person": lambda w: url("organisation_person", w, w.people["c1"].pk),
    "exports": lambda w: url("organisation_exports", w),
    "export status": lambda w: url("organisation_export_status", w, own_export(w).pk),
}


@pytest.mark.parametrize("page", sorted(URLS))
@pytest.mark.parametrize("viewer, expected", [
    (None, 302), ("learner", 404), ("director", 200), ("stranger", 404), ("admin", 200),
])
def test_each_manager_page_answers_each_kind_of_visitor_as_designed(client, world, page, viewer, expected):
    # given
    address = URLS[page](world)
    if viewer == "admin":  # the export belongs to the director: only they may follow it
        expected = 404 if page == "export status" else expected
        client.force_login(world.admin)
    elif viewer:
        client.force_login(getattr(world, viewer))
    # when
    response = client.get(address)
    # then
    assert response.status_code == expected
    if viewer is None:
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("viewer, expected", [
    (None, 302), ("learner", 404), ("director", 302), ("stranger", 302), ("admin", 200),
])
def test_the_list_of_organisations_sends_a_manager_of_one_straight_to_its_dashboard(client, world, viewer, expected):
    # given
    if viewer:
        client.force_login(getattr(world, viewer))
    # when
    response = client.get(reverse("organisation_list"))
    # then
    assert response.status_code == expected
    if viewer == "director":
        assert response["Location"] == url("organisation_dashboard", world)
    if viewer == "stranger":
        assert response["Location"] == reverse("organisation_dashboard", args=["autre"])
    if viewer == "admin":
        assert "Asso" in response.content.decode() and "Autre" in response.content.decode()


@pytest.mark.parametrize("viewer, expected", [
    (None, 302), ("learner", 404), ("director", 200), ("com_manager", 404), ("stranger", 404), ("admin", 404),
])
def test_only_the_manager_who_asked_downloads_an_export(client, world, viewer, expected):
    # given
    export = Export.objects.create(organisation=world.org, requested_by=world.director, format=Export.Format.CSV,
                                   status=Export.Status.DONE, progress=100)
    export.file.save("asso.csv", io.BytesIO(b"\xef\xbb\xbfNom;Pr\xc3\xa9nom\r\n"), save=True)
    if viewer:
        client.force_login(getattr(world, viewer))
    # when
    response = client.get(url("organisation_export_download", world, export.pk))
    # then
    assert response.status_code == expected


def test_managers_see_a_link_to_their_organisation_in_the_header_and_learners_do_not(client, world):
    # given / when
    client.post(reverse("login"), {"username": world.director.email, "password": "un-mot-de-passe-solide"})
    manager_page = client.get(reverse("dashboard")).content.decode()
    client.post(reverse("logout"))
    client.post(reverse("login"), {"username": world.learner.email, "password": "un-mot-de-passe-solide"})
    learner_page = client.get(reverse("dashboard")).content.decode()
    # then
    assert "Mon organisation" in manager_page and reverse("organisation_list") in manager_page
    assert "Mon organisation" not in learner_page


@pytest.mark.parametrize("page, tab", [
    ("organisation_exports", "organisation_exports"),
    ("organisation_teams", "organisation_teams"),
    ("organisation_import", "organisation_invitations"),
    ("organisation_assignments", "organisation_assignments"),
])
def test_every_manager_page_shows_the_tabs_with_its_own_marked(client, world, page, tab):
    # given
    client.force_login(world.director)
    # when
    html = client.get(url(page, world)).content.decode()
    # then
    assert f'href="{url(tab, world)}" aria-current="page"' in html
    assert html.count('aria-current="page"') == 1
    for name in ("organisation_dashboard", "organisation_teams", "organisation_invitations",
                 "organisation_assignments", "organisation_exports"):
        assert f'href="{url(name, world)}"' in html


# --- A team's manager under own_teams ----------------------------------------------------------


def test_a_teams_manager_limited_to_own_teams_sees_only_their_team_everywhere(client, world):
    # given
    Organisation.objects.filter(pk=world.org.pk).update(manager_scope=Organisation.ManagerScope.OWN_TEAMS)
    client.force_login(world.com_manager)
    # when
    dashboard = client.get(url("organisation_dashboard", world)).content.decode()
    other_person = client.get(url("organisation_person", world, world.people["r2"].pk))
    forged_team = client.get(url("organisation_dashboard", world) + f"?team={world.rh.pk}")
    export = client.post(url("organisation_exports", world), {"format": "csv", "course": world.course.pk})
    # then
    assert "Nom-c3" in dashboard and "Nom-r2" not in dashboard and ">RH<" not in dashboard
    assert other_person.status_code == 404
    assert "toutes les équipes sont affichées" in forged_team.content.decode()
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig")), delimiter=";"))
    assert sorted(row[0] for row in rows[1:]) == [f"Nom-c{i}" for i in range(1, 6)]


# --- The dashboard's content -------------------------------------------------------------------


def test_the_counts_follow_each_persons_assignment_status(client, world):
    # given
    client.force_login(world.director)
    # when
    dashboard = client.get(url("organisation_dashboard", world)).context["dashboard"]
    # then: c1 in progress, c2 completed, r1 overdue, the six others not started
    assert dashboard.counts == {"assigned": 9, "not_started": 6, "in_progress": 1, "completed": 1, "overdue": 1}


def test_counting_in_sql_agrees_with_assignment_status_on_every_kind_of_row(world):
    # given: rows of every kind (started by a view only, completed late, overdue, ...)
    today = timezone.localdate()
    Enrollment.objects.filter(user=world.people["c3"]).update(last_step=world.privacy_lesson)
    Assignment.objects.filter(user=world.people["c2"]).update(due_on=today - timedelta(days=30))
    Assignment.objects.filter(user=world.people["c4"]).update(due_on=today)
    Assignment.objects.filter(user=world.people["c5"]).update(due_on=None)
    Enrollment.objects.filter(user=world.people["r4"]).delete()
    view = dashboard_view(manager_scope(viewer=world.director, slug="asso"), {})
    # when
    counts = status_counts(view, today)
    # then
    expected = {"not_started": 0, "in_progress": 0, "completed": 0, "overdue": 0}
    for assignment in Assignment.objects.filter(organisation=world.org):
        enrollment = Enrollment.objects.filter(user=assignment.user, course=assignment.course).first()
        expected[assignment_status(due_on=assignment.due_on, enrollment=enrollment, today=today)] += 1
    assert {key: counts[key] for key in expected} == expected


def test_the_heatmap_shows_percent_and_status_in_words_for_each_module(client, world):
    # given
    client.force_login(world.director)
    # when
    response = client.get(url("organisation_dashboard", world))
    # then
    rows = {row.user.last_name: row for row in response.context["dashboard"].heatmap}
    assert [(cell.percent, str(cell.label)) for cell in rows["Nom-c1"].cells] == [(50, "En cours"), (0, "Pas commencé")]
    assert [(cell.percent, str(cell.label)) for cell in rows["Nom-c2"].cells] == [(100, "Terminé"), (100, "Terminé")]
    assert str(rows["Nom-r1"].status_label) == "En retard"
    html = response.content.decode()
    assert '<th scope="col">Vie privée</th>' in html and '<th scope="col">Crise</th>' in html
    assert "50 % <span class=\"heatmap__status\">En cours</span>" in html


def test_average_scores_take_each_persons_best_attempt_and_hide_groups_under_five(client, world):
    # given
    client.force_login(world.director)
    # when
    response = client.get(url("organisation_dashboard", world))
    # then
    (privacy, overall, teams), (crisis, crisis_overall, _crisis_teams) = response.context["dashboard"].module_scores
    assert privacy.title == "Vie privée" and overall.value == round((60 + 70 + 80 + 90 + 100 + 4 * 50) / 9)
    by_team = {team.name: figure for team, figure in teams}
    assert by_team["Com"].value == 80 and by_team["Com"].shown  # c1's best (60), not their 20
    assert by_team["RH"].hidden and by_team["RH"].people == 4
    assert crisis_overall.hidden  # one person scored
    html = response.content.decode()
    assert SENTENCE in html and "masqué" in html


def test_readiness_by_competence_is_shown_for_five_people_and_hidden_for_four(client, world):
    # given: Com has 5 people, 3 of whom passed the privacy quiz (70, 80, 90, 100 ≥ 70: c2..c5 → 4)
    client.force_login(world.director)
    # when
    response = client.get(url("organisation_dashboard", world))
    # then
    dashboard = response.context["dashboard"]
    assert [label for _theme, label in dashboard.themes] == ["Vie privée et données personnelles", "Gestion de crise"]
    readiness = {team.name: (people, shares) for team, people, shares in dashboard.readiness}
    com_people, com_shares = readiness["Com"]
    rh_people, rh_shares = readiness["RH"]
    assert com_people == 5 and [share.value for _label, share in com_shares] == [80, 20]
    assert all(share.shown for _label, share in com_shares)
    assert rh_people == 4 and all(share.hidden for _label, share in rh_shares)
    assert SENTENCE in response.content.decode()


def test_a_fifth_person_in_a_team_makes_its_figures_appear(client, world):
    # given
    fifth = make_user(last_name="Nom-r5")
    member(fifth, world.org, world.rh)
    Assignment.objects.create(organisation=world.org, user=fifth, course=world.course)
    graded(fifth, world.privacy_quiz, 100)
    client.force_login(world.director)
    # when
    dashboard = client.get(url("organisation_dashboard", world)).context["dashboard"]
    # then
    readiness = {team.name: shares for team, _people, shares in dashboard.readiness}
    assert readiness["RH"][0][1].shown and readiness["RH"][0][1].value == 20
    scores = dict(dashboard.module_scores[0][2])
    assert scores[world.rh].value == 60 and scores[world.rh].shown


def test_the_completions_chart_is_an_inline_svg_with_a_table_and_no_inline_style(client, world):
    # given
    client.force_login(world.director)
    # when
    response = client.get(url("organisation_dashboard", world))
    # then
    weeks = response.context["dashboard"].weeks
    assert len(weeks) == 12 and weeks[-1].completions == 1 and sum(week.completions for week in weeks) == 1
    html = response.content.decode()
    assert "<svg" in html and 'role="img"' in html and "<desc" in html
    assert "Formations terminées par semaine" in html
    assert "style=" not in html and "<script>" not in html


@pytest.mark.parametrize("query", ["?team=999999", "?team=abc", "?course=999999", "?course=①", "?page=-3&team=x"])
def test_forged_filters_are_ignored_with_a_message(client, world, query):
    # given
    client.force_login(world.director)
    # when
    response = client.get(url("organisation_dashboard", world) + query)
    # then
    assert response.status_code == 200
    assert response.context["dashboard"].counts["assigned"] == 9
    if "page" not in query or "team" in query:
        assert "class=\"message message--warning\"" in response.content.decode()


def test_a_nul_character_in_a_filter_is_a_bad_request(client, world):
    client.force_login(world.director)
    assert client.get(url("organisation_dashboard", world) + "?course=%00").status_code == 400


def test_the_team_filter_narrows_every_figure(client, world):
    # given
    client.force_login(world.director)
    # when
    dashboard = client.get(url("organisation_dashboard", world) + f"?team={world.rh.pk}").context["dashboard"]
    # then
    assert dashboard.counts["assigned"] == 4
    assert {row.user.last_name for row in dashboard.heatmap} == {"Nom-r1", "Nom-r2", "Nom-r3", "Nom-r4"}
    assert [team.name for team, _people, _shares in dashboard.readiness] == ["RH"]


def test_the_drill_down_shows_steps_attempts_time_and_certificate(client, world):
    # given
    client.force_login(world.director)
    # when
    html = client.get(url("organisation_person", world, world.people["c2"].pk)).content.decode()
    c1 = client.get(url("organisation_person", world, world.people["c1"].pk)).content.decode()
    # then
    assert "Réseaux en équipe" in html and world.crisis_lesson.title in html
    assert "90 % — réussie" in html and "Terminée" in html
    assert "délivré le" in html
    assert "n° 1 : 60 % — non réussie" in c1 and "n° 2 : 20 % — non réussie" in c1 and "pas encore" in c1


@pytest.mark.parametrize("user_id", ["999999"])
def test_the_drill_down_of_someone_unknown_is_not_found(client, world, user_id):
    client.force_login(world.director)
    assert client.get(f"/organisations/asso/personnes/{user_id}/").status_code == 404
    assert client.get(url("organisation_person", world, world.stranger.pk)).status_code == 404


# --- Query budget ------------------------------------------------------------------------------


def populate(world, start, count):
    """`count` more people in Com, each assigned, enrolled, with module rows and two attempts."""
    users = User.objects.bulk_create([
        User(email=f"bulk{start + n}@example.org", first_name="Bulk", last_name=f"Bulk{start + n:04d}", password="!")
        for n in range(count)
    ])
    Membership.objects.bulk_create([Membership(user=user, organisation=world.org, team=world.com) for user in users])
    Assignment.objects.bulk_create([Assignment(organisation=world.org, user=user, course=world.course) for user in users])
    enrollments = Enrollment.objects.bulk_create([
        Enrollment(user=user, course=world.course, completed_steps=n % 5, total_steps=4, percent=(n % 5) * 25,
                   completed_at=timezone.now() if n % 5 == 4 else None)
        for n, user in enumerate(users)
    ])
    ModuleProgress.objects.bulk_create([
        ModuleProgress(enrollment=enrollment, module=module, completed_steps=n % 3, total_steps=2)
        for n, enrollment in enumerate(enrollments) for module in (world.privacy, world.crisis)
    ])
    Attempt.objects.bulk_create([
        Attempt(user=user, quiz=quiz, number=1, status=Attempt.Status.GRADED, percent=40 + n % 60,
                passed=40 + n % 60 >= 70)
        for n, user in enumerate(users) for quiz in (world.privacy_quiz, world.crisis_quiz)
    ])


def queries_of(client, address):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(address)
    assert response.status_code == 200
    return len(queries)


def test_the_dashboard_and_exports_run_the_same_number_of_queries_for_10_and_500_people(client, world):
    # given
    client.force_login(world.director)
    populate(world, 0, 1)  # 10 people with the world's nine
    dashboard, person = url("organisation_dashboard", world), url("organisation_person", world, world.people["c1"].pk)
    client.get(dashboard)  # warms the per-process caches (content types, sites)
    export_queries(client, world)
    # when
    small = queries_of(client, dashboard), queries_of(client, dashboard + f"?team={world.com.pk}")
    small_export = export_queries(client, world)
    populate(world, 1, 490)  # 500 people
    large = queries_of(client, dashboard), queries_of(client, dashboard + f"?team={world.com.pk}")
    large_export = export_queries(client, world)
    # then
    assert small == large == (14, 14)
    assert small_export == large_export == 16
    assert Assignment.objects.filter(organisation=world.org).count() == 500
    assert queries_of(client, person) < 40


def export_queries(client, world):
    with CaptureQueriesContext(connection) as queries:
        response = client.post(url("organisation_exports", world), {"format": "xlsx", "course": world.course.pk})
        assert response.status_code == 200
        b"".join(response.streaming_content)
    return len(queries)


# --- Exports -----------------------------------------------------------------------------------


def test_a_small_csv_export_downloads_at_once_with_the_views_rows(client, world):
    # given
    client.force_login(world.director)
    # when
    response = client.post(url("organisation_exports", world), {"format": "csv", "course": world.course.pk})
    # then
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:7] == ["Nom", "Prénom", "E-mail", "Équipes", "Formation", "Statut", "Progression (%)"]
    by_name = {row[0]: row for row in rows[1:]}
    assert len(by_name) == 9
    assert by_name["Nom-c2"][3:7] == ["Com", "Réseaux en équipe", "Terminée", "100"]
    assert by_name["Nom-c2"][8] == timezone.localdate().isoformat() and by_name["Nom-c2"][9] == "80"
    assert by_name["Nom-c1"][9] == "60" and by_name["Nom-r1"][5] == "En retard"
    assert AuditEvent.objects.filter(action="export", actor=world.director).count() == 1


def test_a_small_xlsx_export_opens_in_openpyxl_with_the_views_rows(client, world):
    # given
    client.force_login(world.director)
    # when
    response = client.post(url("organisation_exports", world), {"format": "xlsx", "course": world.course.pk,
                                                              "team": world.rh.pk})
    # then
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0][0] == "Nom" and len(rows) == 5
    assert [row[0] for row in rows[1:]] == ["Nom-r1", "Nom-r2", "Nom-r3", "Nom-r4"]
    assert rows[1][3:7] == ["RH", "Réseaux en équipe", "En retard", 0] and rows[1][9] == 50


def test_cells_that_a_spreadsheet_would_run_as_formulas_are_quoted(client, world):
    # given
    User.objects.filter(pk=world.people["c3"].pk).update(last_name="=HYPERLINK(\"http://x\")", first_name="@SUM(1)")
    client.force_login(world.director)
    # when
    response = client.post(url("organisation_exports", world), {"format": "xlsx", "course": world.course.pk})
    # then
    rows = list(load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.iter_rows(values_only=True))
    assert ("'=HYPERLINK(\"http://x\")", "'@SUM(1)") in [row[:2] for row in rows]
    assert [safe_cell(value) for value in ("+1", "-2", "ok", 3, None)] == ["'+1", "'-2", "ok", 3, None]


@pytest.mark.parametrize("data", [{"format": "pdf"}, {"format": "csv", "team": "999999"}, {"format": "csv", "course": "x"}])
def test_a_forged_export_request_is_refused_with_a_message(client, world, data):
    client.force_login(world.director)
    response = client.post(url("organisation_exports", world), data, follow=True)
    assert response.status_code == 200 and "message--error" in response.content.decode()
    assert not AuditEvent.objects.filter(action="export").exists()


def test_a_large_export_runs_as_a_task_with_progress_and_expires(client, world, settings, django_capture_on_commit_callbacks):
    # given: more people than a direct download allows
    settings.EXPORT_DIRECT_MAX_PEOPLE = 5
    client.force_login(world.director)
    # when: asked
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post(url("organisation_exports", world), {"format": "xlsx", "course": world.course.pk})
    export = Export.objects.get()
    status_url = url("organisation_export_status", world, export.pk)
    # then: pending, shown with a progress bar, the task queued after the commit
    assert response.status_code == 302 and len(queued) == 1
    assert export.status == Export.Status.PENDING and export.requested_by == world.director
    assert export.filters == {"course": world.course.pk, "team": None}
    assert client.get(status_url).json() == {
        "status": "pending", "status_label": "En attente", "progress": 0, "row_count": 9, "download_url": None,
    }
    page = client.get(url("organisation_exports", world)).content.decode()
    assert f'id="export-progress-{export.pk}" max="100" value="0"' in page and "Actualiser la page" in page
    assert AuditEvent.objects.filter(action="export", target_id=str(export.pk)).exists()

    # when: the task runs
    build_export(export.pk)
    # then: done, downloadable by the manager who asked only
    export.refresh_from_db()
    assert export.status == Export.Status.DONE and export.progress == 100 and export.row_count == 9
    assert export.file.name.startswith("exports/asso-")
    assert client.get(status_url).json()["download_url"] == url("organisation_export_download", world, export.pk)
    download = client.get(url("organisation_export_download", world, export.pk))
    rows = list(load_workbook(io.BytesIO(b"".join(download.streaming_content))).active.iter_rows(values_only=True))
    assert len(rows) == 10 and rows[1][0] == "Nom-c1"
    client.force_login(world.com_manager)
    assert client.get(url("organisation_export_download", world, export.pk)).status_code == 404
    assert client.get(status_url).status_code == 404

    # when: it expires
    Export.objects.filter(pk=export.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    client.force_login(world.director)
    expired = client.get(url("organisation_export_download", world, export.pk))
    path = Path(export.file.path)
    deleted = delete_expired_exports()
    # then
    assert expired.status_code == 410 and "Cet export a expiré" in expired.content.decode()
    assert deleted == 1 and not path.exists() and Export.objects.get().file.name == ""
    assert client.get(url("organisation_export_download", world, export.pk)).status_code == 410


def test_an_export_asked_by_someone_no_longer_manager_fails_without_data(world, settings):
    # given
    export = Export.objects.create(organisation=world.org, requested_by=world.com_manager, format="csv",
                                   filters={"course": world.course.pk, "team": None})
    Membership.objects.filter(user=world.com_manager).delete()
    # when
    build_export(export.pk)
    # then
    export.refresh_from_db()
    assert export.status == Export.Status.FAILED and not export.file
