"""The crisis room through its services and pages, on a real database: a run resumes at
the same moment after a reload, actions out of place are refused with nothing written,
the run is scored exactly once and completes the step, the debrief, the pause, the sweep,
and a trainer authoring a scenario in the admin."""

import html
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from unittest import mock

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from wagtail.test.utils.form_data import nested_form_data, rich_text, streamfield

from courses import scenario_services as services
from courses.models import ModulePage
from courses.scenarios import ScenarioAction, ScenarioPage, ScenarioRun
from learners import progress
from learners.models import StepProgress
from learners.roles import TRAINERS_GROUP
from tests.factories import enrolled_client, make_course_with, make_user
from tests.scenario_factories import FrozenClock, make_scenario

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, 9, 0, tzinfo=dt_timezone.utc)
Status = ScenarioRun.Status


@pytest.fixture
def clock():
    frozen = FrozenClock(START)
    with mock.patch("django.utils.timezone.now", frozen):
        yield frozen


@pytest.fixture
def room(client):
    """A learner enrolled in a course whose one module holds the authored scenario."""
    course = make_course_with(modules=1, lessons_per_module=1)
    scenario = make_scenario(ModulePage.objects.child_of(course).get())
    learner = make_user()
    enrolled_client(client, learner, course)
    return {"client": client, "learner": learner, "scenario": scenario, "course": course}


def start(room):
    response = room["client"].post(f"/salle-de-crise/{room['scenario'].pk}/commencer/")
    assert response.status_code == 302
    return ScenarioRun.objects.get(user=room["learner"], status=Status.PLAYING)


def act(client, run, choice, branch, sequence, text="", **headers):
    return client.post(f"/salle-de-crise/parties/{run.pk}/agir/",
                       {"choice": choice, "branch": branch, "sequence": str(sequence), "text": text}, **headers)


def feed_ids(client, run):
    return [item["id"] for item in client.get(f"/salle-de-crise/parties/{run.pk}/etat/").json()["items"]]


def written():
    return (ScenarioAction.objects.count(), list(ScenarioRun.objects.values_list("status", "paused_at")))


# --- Playing ---------------------------------------------------------------------------------


def test_a_reload_resumes_the_run_at_the_same_moment_on_the_servers_clock(room, clock):
    client = room["client"]
    run = start(room)
    assert client.post(f"/salle-de-crise/{room['scenario'].pk}/commencer/").url == f"/salle-de-crise/parties/{run.pk}/"

    # given 13 real seconds (130 s of scenario time at speed 10)
    clock.advance(13)
    page = client.get(f"/salle-de-crise/parties/{run.pk}/")
    assert page.status_code == 200
    assert "Trois semaines que @MutuelleHorizon" in page.content.decode()
    assert feed_ids(client, run) == ["depart:plainte", "depart:soutien"]

    # when the learner replies, then the connection is lost and the page reloaded later
    assert act(client, run, "depart:repondre", "depart", 0, "Bonjour Julie, écrivez-nous en privé.").status_code == 302
    clock.advance(6)  # 60 s of scenario time in the new moment
    state = client.get(f"/salle-de-crise/parties/{run.pk}/etat/").json()

    # then the same scenario at the same moment: the new branch and its private message
    assert state["branch"] == "dialogue" and state["sequence"] == 1 and state["clock"] == "0:03:10"
    assert [item["id"] for item in state["items"]] == ["depart:plainte", "depart:soutien", "dialogue:dossier"]
    # counters stopped at the reply (130 s): 12 + 30 × 130 / 60
    assert state["items"][0]["reactions"] == 77 and state["items"][0]["reactions_label"] == "77 réactions"
    assert client.get(f"/salle-de-crise/parties/{run.pk}/etat/").json() == state


def test_the_rooms_pages_are_private_and_never_stored(room, clock):
    client = room["client"]
    run = start(room)
    act(client, run, "depart:masquer", "depart", 0)
    act(client, run, "emballement:direction", "emballement", 1)
    for url in [room["scenario"].url, f"/salle-de-crise/parties/{run.pk}/bilan/",
                f"/salle-de-crise/parties/{run.pk}/statut/", f"/salle-de-crise/parties/{run.pk}/etat/"]:
        response = client.get(url)
        assert response.status_code == 200, url
        cache_control = response.headers.get("Cache-Control", "")
        assert "no-store" in cache_control and "private" in cache_control, (url, cache_control)


def test_reading_the_feed_takes_the_same_few_queries_whatever_was_played_and_writes_nothing(room, clock):
    run = start(room)
    client = room["client"]
    urls = [f"/salle-de-crise/parties/{run.pk}/etat/", f"/salle-de-crise/parties/{run.pk}/"]

    def counts():
        measured = []
        for url in urls:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            measured.append(len(queries))
        return measured

    clock.advance(13)
    counts()  # the first request of the process also reads the site (cached afterwards)
    at_start = counts()
    act(client, run, "depart:repondre", "depart", 0, "Bonjour")
    clock.advance(10)
    before = written()
    # the session with its person (and the content token: the page's catalogue link), the
    # run, its actions
    assert counts() == at_start == [3, 3]
    assert written() == before


def test_the_last_action_ends_the_run_which_is_scored_once_and_completes_the_step(
    room, clock, django_capture_on_commit_callbacks
):
    client = room["client"]
    run = start(room)
    clock.advance(10)
    act(client, run, "depart:repondre", "depart", 0, "<script>alert(1)</script> Bonjour")
    # the step is not completed by the learner's word
    with pytest.raises(progress.CompletionNotEarned, match="partie en salle de crise est notée"):
        progress.record_step_completed(user=room["learner"], page=room["scenario"])

    clock.advance(15)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = act(client, run, "dialogue:service-client", "dialogue", 1)
    assert response.url == f"/salle-de-crise/parties/{run.pk}/bilan/"
    assert len(callbacks) == 1  # the scoring, queued after the commit
    run.refresh_from_db()
    assert run.status == Status.ENDED and run.end_reason == "last_branch" and run.ended_scenario_seconds == 250
    debrief = client.get(f"/salle-de-crise/parties/{run.pk}/bilan/").content.decode()
    assert "Notation en cours" in debrief

    # when the scoring runs twice (a message delivered again)
    assert services.score_run(run.pk) is True
    assert services.score_run(run.pk) is False

    run.refresh_from_db()
    assert run.status == Status.SCORED and run.score_count == 1 and run.percent == 76
    step = StepProgress.objects.get(user=room["learner"], step_id=room["scenario"].pk)
    assert step.status == StepProgress.Status.COMPLETED and step.score == 76
    debrief = client.get(f"/salle-de-crise/parties/{run.pk}/bilan/").content.decode()
    assert "Score global : 76 %" in debrief and "Chaîne d&#x27;escalade" in debrief
    # the learner's text, stored as typed, is escaped on the page
    assert ScenarioAction.objects.get(sequence=0).text == "<script>alert(1)</script> Bonjour"
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Bonjour" in debrief and "<script>alert(1)" not in debrief
    # what the expert would have done, beside what the learner did
    assert "Transmettre le dossier au service client" in debrief and "comme vous" in debrief


def test_a_run_whose_time_ran_out_ends_from_the_page_or_the_sweep(room, clock, django_capture_on_commit_callbacks):
    client = room["client"]
    run = start(room)
    # not over yet: ending is refused
    assert client.post(f"/salle-de-crise/parties/{run.pk}/fin/").status_code == 409
    clock.advance(180)  # 1800 s of scenario time: the limit
    page = client.get(f"/salle-de-crise/parties/{run.pk}/").content.decode()
    assert "Voir mon bilan" in page
    assert ScenarioRun.objects.get(pk=run.pk).status == Status.PLAYING  # a GET never writes

    with django_capture_on_commit_callbacks(execute=False):
        assert services.sweep_runs() == (1, 0)
    run.refresh_from_db()
    assert run.status == Status.ENDED and run.end_reason == "time_out"
    services.score_run(run.pk)
    assert ScenarioRun.objects.get(pk=run.pk).percent == 0
    assert client.post(f"/salle-de-crise/parties/{run.pk}/fin/").url.endswith("/bilan/")


def test_the_sweep_queues_again_a_scoring_left_undone(room, clock, django_capture_on_commit_callbacks, settings):
    settings.SCENARIO_RESCORE_AFTER = timedelta(seconds=60)
    run = start(room)
    act(room["client"], run, "depart:masquer", "depart", 0)
    act(room["client"], run, "emballement:direction", "emballement", 1)
    assert services.sweep_runs() == (0, 0)
    clock.advance(61)
    with mock.patch("courses.tasks.score_scenario_run.apply_async") as send:
        with django_capture_on_commit_callbacks(execute=True):
            assert services.sweep_runs() == (0, 1)
    send.assert_called_once_with((run.pk,))


def test_pause_only_where_the_trainer_allows_and_no_action_while_paused(room, clock):
    client = room["client"]
    run = start(room)
    pause = f"/salle-de-crise/parties/{run.pk}/pause/"
    response = client.post(pause, {"action": "pause"})
    assert response.status_code == 403 and "pas permise" in response.content.decode()

    act(client, run, "depart:repondre", "depart", 0, "Bonjour")  # "dialogue" allows a pause
    clock.advance(2)
    assert client.post(pause, {"action": "pause"}).status_code == 302
    clock.advance(600)  # ten real minutes away: the scenario did not move
    assert client.get(f"/salle-de-crise/parties/{run.pk}/etat/").json()["clock"] == "0:00:20"
    before = written()
    response = act(client, run, "dialogue:service-client", "dialogue", 1)
    assert response.status_code == 409 and "en pause" in response.content.decode()
    assert written() == before
    assert client.post(pause, {"action": "resume"}).status_code == 302
    clock.advance(1)
    assert client.get(f"/salle-de-crise/parties/{run.pk}/etat/").json()["clock"] == "0:00:30"


# --- Refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "choice, branch, sequence, text, status, message",
    [
        ("dialogue:service-client", "depart", "0", "", 409, "pas proposée à ce moment"),
        ("depart:forgee", "depart", "0", "", 409, "pas proposée à ce moment"),
        ("depart:masquer", "dialogue", "0", "", 409, "La situation a changé"),
        ("depart:masquer", "depart", "3", "", 409, "La situation a changé"),
        ("depart:masquer", "depart", "-1", "", 400, "pas proposée"),
        ("depart:masquer", "depart", "１", "", 400, "pas proposée"),
        ("depart:masquer", "depart", "9" * 40, "", 400, "pas proposée"),
        ("x" * 500, "depart", "0", "", 400, "pas proposée"),
        ("depart:repondre", "depart", "0", "é" * 281, 409, "281 caractères : la limite est de 280"),
        ("depart:repondre", "depart", "0", "Bonjour\x00", 400, "Rien n'a été enregistré"),
    ],
)
def test_actions_out_of_place_are_refused_in_french_and_nothing_is_written(
    room, clock, choice, branch, sequence, text, status, message
):
    run = start(room)
    before = written()
    response = room["client"].post(f"/salle-de-crise/parties/{run.pk}/agir/",
                                   {"choice": choice, "branch": branch, "sequence": sequence, "text": text})
    assert response.status_code == status
    assert message in html.unescape(response.content.decode())
    assert written() == before


def test_a_refused_reply_keeps_what_was_typed(room, clock):
    run = start(room)
    typed = "Trop long " + "x" * 280
    response = act(room["client"], run, "depart:repondre", "depart", 0, typed)
    assert response.status_code == 409 and typed in response.content.decode()


def test_actions_on_a_finished_run_are_refused(room, clock):
    client = room["client"]
    run = start(room)
    act(client, run, "depart:masquer", "depart", 0)
    act(client, run, "emballement:direction", "emballement", 1)
    before = written()
    response = act(client, run, "emballement:direction", "emballement", 2)
    assert response.status_code == 409 and "Le scénario est terminé" in response.content.decode()
    assert client.post(f"/salle-de-crise/parties/{run.pk}/pause/", {"action": "pause"}).status_code == 409
    assert written() == before
    assert client.get(f"/salle-de-crise/parties/{run.pk}/").url.endswith("/bilan/")


def test_someone_elses_run_is_not_found_whatever_the_verb(room, clock):
    run = start(room)
    other = Client()
    other.force_login(make_user())
    before = written()
    for url in ["", "etat/", "bilan/", "statut/"]:
        response = other.get(f"/salle-de-crise/parties/{run.pk}/{url}")
        assert response.status_code == 404
    for url, data in [("agir/", {"choice": "depart:masquer", "branch": "depart", "sequence": "0"}),
                      ("pause/", {"action": "pause"}), ("fin/", {})]:
        response = other.post(f"/salle-de-crise/parties/{run.pk}/{url}", data)
        assert response.status_code == 404 and "n'est pas la vôtre" in html.unescape(response.content.decode())
    assert written() == before
    anonymous = Client().get(f"/salle-de-crise/parties/{run.pk}/")
    assert anonymous.status_code == 302 and "/comptes/connexion/" in anonymous.url


def test_a_learner_not_enrolled_cannot_start(room):
    stranger = Client()
    stranger.force_login(make_user())
    response = stranger.post(f"/salle-de-crise/{room['scenario'].pk}/commencer/")
    assert response.status_code == 403 and "Inscrivez-vous" in response.content.decode()
    assert not ScenarioRun.objects.exists()
    assert stranger.get(f"/salle-de-crise/{room['scenario'].pk}/commencer/").status_code == 405


def test_the_scenario_page_offers_to_start_then_to_resume(room):
    client = room["client"]
    page = client.get(room["scenario"].url).content.decode()
    assert "Entrer dans la salle de crise" in page and "Mutuelle Horizon" in page
    run = start(room)
    page = client.get(room["scenario"].url).content.decode()
    assert "Reprendre la partie en cours" in page and f"/salle-de-crise/parties/{run.pk}/" in page


def test_a_trainer_edit_does_not_change_a_run_under_way(room, clock):
    run = start(room)
    scenario = ScenarioPage.objects.get(pk=room["scenario"].pk)
    scenario.clock_speed = 1
    scenario.save_revision().publish()
    clock.advance(13)
    assert feed_ids(room["client"], run) == ["depart:plainte", "depart:soutien"]


# --- Authoring in the admin -------------------------------------------------------------------


def list_block(values):
    data = {str(i): {"value": value, "deleted": "", "order": str(i), "id": ""} for i, value in enumerate(values)}
    data["count"] = str(len(values))
    return data


def moment_form(key, title, items, actions, timeout="", on_timeout=""):
    return {"key": key, "title": title, "situation": "", "timeout": timeout, "on_timeout": on_timeout,
            "pause_allowed": "", "items": list_block(items), "actions": list_block(actions)}


def item_form(author, text, at="0"):
    return {"kind": "post", "author": author, "text": text, "at": at, "reactions": "5", "reactions_per_minute": "10",
            "shares": "0", "shares_per_minute": "2"}


def action_form(kind, label, next="", points=(), expert=""):
    return {"kind": kind, "label": label, "escalate_to": "", "limit": "280", "next": next,
            "points": list_block([{"axis": axis, "points": str(value)} for axis, value in points]),
            "expert": expert, "comment": "Bien vu."}


def admin_form(moments, axes):
    return nested_form_data({
        "title": "Le gâteau avarié", "slug": "gateau-avarie", "intro": rich_text("<p>Gérez la crise.</p>"),
        "organisation": "Pâtisserie Lemoine", "organisation_description": "Trois boutiques à Lille.",
        "clock_speed": "20", "time_limit_minutes": "20", "pause_policy": "anytime", "estimated_minutes": "8",
        "moments": streamfield(moments), "axes": streamfield(axes), "expert_summary": rich_text(""),
        "action-publish": "publish",
    })


@pytest.fixture
def trainer_client():
    trainer = make_user()
    trainer.groups.add(Group.objects.get(name=TRAINERS_GROUP))
    client = Client()
    client.force_login(trainer)
    return client


def test_a_trainer_authors_a_new_scenario_in_the_admin(trainer_client):
    module = ModulePage.objects.child_of(make_course_with(modules=1, lessons_per_module=0)).get()
    url = f"/admin/pages/add/courses/scenariopage/{module.pk}/"
    assert trainer_client.get(url).status_code == 200
    moments = [
        ("moment", moment_form("avis", "Un avis furieux", [item_form("@lea", "Intoxiquée par votre gâteau !")], [
            action_form("reply", "Répondre", next="suite", points=[("ton", 3)], expert="on"),
            action_form("hide", "Masquer", points=[("ton", -3)]),
        ], timeout="300", on_timeout="suite")),
        ("moment", moment_form("suite", "La suite", [item_form("@lea", "Merci de votre réponse.", at="30")], [
            action_form("escalate", "Prévenir la direction", points=[("ton", 1)], expert="on"),
        ])),
    ]
    axes = [("axis", {"key": "ton", "label": "Ton", "kind": "points", "max": "4", "target": "", "zero_at": "",
                      "description": ""})]

    response = trainer_client.post(url, admin_form(moments, axes))

    assert response.status_code == 302, response.content.decode()[:3000]
    scenario = ScenarioPage.objects.get(slug="gateau-avarie")
    assert scenario.live and ModulePage.objects.get(pk=module.pk).get_children().get().pk == scenario.pk
    script = scenario.script()
    assert script["start"] == "avis" and script["speed"] == 20 and script["pause"] == "anytime"
    first = script["branches"]["avis"]
    assert [c["label"] for c in first["choices"]] == ["Répondre", "Masquer"]
    assert first["choices"][0]["points"] == {"ton": 3} and first["choices"][0]["expert"]
    assert first["items"][0]["text"] == "Intoxiquée par votre gâteau !"
    assert len({c["id"] for b in script["branches"].values() for c in b["choices"]}) == 3
    # and opens it again to edit it
    assert trainer_client.get(f"/admin/pages/{scenario.pk}/edit/").status_code == 200


def test_the_admin_refuses_a_scenario_that_cannot_be_played(trainer_client):
    module = ModulePage.objects.child_of(make_course_with(modules=1, lessons_per_module=0)).get()
    moments = [("moment", moment_form("avis", "Un avis", [item_form("@lea", "Bof.")], [
        action_form("reply", "Répondre", next="ailleurs", points=[("charme", 2)])]))]
    axes = [("axis", {"key": "ton", "label": "Ton", "kind": "points", "max": "4", "target": "", "zero_at": "",
                      "description": ""})]
    response = trainer_client.post(f"/admin/pages/add/courses/scenariopage/{module.pk}/", admin_form(moments, axes))
    assert response.status_code == 200
    page = response.content.decode()
    assert "qui n&#x27;existe pas" in page
    assert not ScenarioPage.objects.exists()


# --- Random bodies on every endpoint of the room -------------------------------------------------

FIELD_VALUES = ["", " ", "0", "1", "-1", str(2**63), "１", "²", "depart", "dialogue", "depart:repondre",
                "depart:masquer", "dialogue:service-client", "pause", "resume", "<script>x</script>", "é" * 300,
                "x" * 5_000]


@hypothesis_settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(choice=st.integers(min_value=0, max_value=50), fields=st.lists(
    st.tuples(st.integers(min_value=0, max_value=6), st.one_of(st.sampled_from(FIELD_VALUES), st.text(max_size=30))),
    max_size=10), as_json=st.booleans())
def test_random_bodies_never_5xx_and_write_whole_or_nothing(room, choice, fields, as_json):
    client = room["client"]
    run = ScenarioRun.objects.filter(user=room["learner"], status=Status.PLAYING).first() or start(room)
    names = ["choice", "branch", "sequence", "text", "action", "stray", "next"]
    urls = [f"/salle-de-crise/parties/{run.pk}/agir/", f"/salle-de-crise/parties/{run.pk}/pause/",
            f"/salle-de-crise/parties/{run.pk}/fin/", f"/salle-de-crise/{room['scenario'].pk}/commencer/"]
    url = urls[choice % len(urls)]
    data = {}
    for index, value in fields:
        data.setdefault(names[index], []).append(value)
    actions_before = ScenarioAction.objects.filter(run=run).count()

    response = client.post(url, data, **({"HTTP_ACCEPT": "application/json"} if as_json else {}))

    assert response.status_code < 500, (url, data)
    actions_after = ScenarioAction.objects.filter(run=run).count()
    if actions_after != actions_before:  # an action went through, whole
        assert url.endswith("/agir/") and response.status_code == 302
        assert actions_after == actions_before + 1
        action = ScenarioAction.objects.get(run=run, sequence=actions_before)
        assert action.text == (data["text"][-1] if action.text else "")
    assert ScenarioRun.objects.filter(user=room["learner"], status=Status.PLAYING).count() <= 1


def test_the_learners_data_export_holds_their_runs_and_messages_and_deletion_erases_them(room, clock):
    from learners import data_rights

    client = room["client"]
    run = start(room)
    act(client, run, "depart:repondre", "depart", 0, "Bonjour <b>Julie</b>")
    [exported] = data_rights.personal_data(room["learner"])["crisis_room_runs"]
    assert exported["number"] == 1 and exported["status"] == Status.PLAYING
    assert exported["actions"] == [{"moment": "depart", "action": "depart:repondre", "text": "Bonjour <b>Julie</b>",
                                    "scenario_second": 0.0, "at": START}]

    data_rights.delete_account(user=room["learner"])
    assert not ScenarioAction.objects.exists() and not ScenarioRun.objects.exists()


def test_a_course_with_a_crisis_room_is_completed_by_its_scored_run(room):
    from tests.factories import complete_course

    complete_course(room["learner"], room["course"])
    enrollment = progress.enroll(user=room["learner"], course=room["course"])
    assert enrollment.percent == 100 and enrollment.completed_at is not None
    assert ScenarioRun.objects.get(user=room["learner"]).percent == 76
