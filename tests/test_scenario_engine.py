"""The crisis room's engine on the authored scenario (tests/scenario_factories.py): what
is released when, the counters, the branches, the end, the refusals and the score per
axis. Pure functions: no database, the clock is a number."""

from datetime import datetime, timedelta, timezone

import pytest

from courses import scenario_engine as engine
from tests.scenario_factories import authored_script

SCRIPT = authored_script()


def ids(state):
    return [released.item["id"] for released in state.released]


def played(*moves):
    """Actions as the engine returns them: (choice id, scenario second[, text])."""
    actions = []
    for choice_id, at, *text in moves:
        state = engine.state_at(SCRIPT, actions, at)
        actions.append(engine.act(SCRIPT, actions, at, choice_id=choice_id, branch=state.branch,
                                  sequence=len(actions), text=text[0] if text else ""))
    return actions


# --- Timeline ------------------------------------------------------------------------------


def test_items_are_released_on_the_clock_and_counters_grow_while_nobody_acts():
    assert ids(engine.state_at(SCRIPT, [], 0)) == ["depart:plainte"]
    assert ids(engine.state_at(SCRIPT, [], 119.9)) == ["depart:plainte"]
    state = engine.state_at(SCRIPT, [], 300)
    assert ids(state) == ["depart:plainte", "depart:soutien", "depart:presse"]
    complaint = state.released[0]
    # 5 minutes of scenario time: 12 + 30 × 5 reactions, 3 + 8 × 5 shares
    assert (complaint.reactions, complaint.shares) == (162, 43)
    assert state.next_release(SCRIPT) is None
    assert engine.state_at(SCRIPT, [], 10).next_release(SCRIPT) == 120


def test_counters_stop_growing_at_the_learners_first_action():
    actions = played(("depart:repondre", 60, "Bonjour Julie, nous regardons votre dossier."))
    later = engine.state_at(SCRIPT, actions, 900)
    complaint = next(r for r in later.released if r.item["id"] == "depart:plainte")
    assert (complaint.reactions, complaint.shares) == (42, 11)


# --- Branches ------------------------------------------------------------------------------


def test_an_action_leads_to_its_branch_and_the_old_branch_releases_nothing_more():
    actions = played(("depart:repondre", 100, "Bonjour, écrivez-nous en privé."))
    state = engine.state_at(SCRIPT, actions, 200)
    assert state.branch == "dialogue" and state.entered == 100
    # "soutien" (at 120 in the first moment) never comes; the private message comes at 100 + 60
    assert ids(state) == ["depart:plainte", "dialogue:dossier"]
    assert [c["id"] for c in engine.available_choices(SCRIPT, state)] == ["dialogue:service-client", "dialogue:attente"]


def test_nobody_acting_lets_the_moment_time_out_into_the_next():
    assert engine.state_at(SCRIPT, [], 599).branch == "depart"
    state = engine.state_at(SCRIPT, [], 600)
    assert state.branch == "emballement" and state.entered == 600
    assert ids(state)[-1] == "emballement:article"


def test_timeouts_chain_through_moments():
    actions = played(("depart:juridique", 30))
    assert engine.state_at(SCRIPT, actions, 329).branch == "attente-juridique"
    assert engine.state_at(SCRIPT, actions, 330).branch == "emballement"


def test_an_action_with_no_next_moment_ends_the_scenario_there():
    actions = played(("depart:repondre", 100, "Bonjour"), ("dialogue:service-client", 250))
    state = engine.state_at(SCRIPT, actions, 5000)
    assert state.ended and state.ended_at == 250 and state.end_reason == engine.END_LAST_BRANCH
    assert engine.available_choices(SCRIPT, state) == []


def test_the_time_limit_ends_the_scenario():
    state = engine.state_at(SCRIPT, [], 1799)
    assert not state.ended
    state = engine.state_at(SCRIPT, [], 1800)
    assert state.ended and state.ended_at == 1800 and state.end_reason == engine.END_TIME_OUT


# --- The server's clock ----------------------------------------------------------------------


def test_scenario_time_is_real_time_times_the_speed_less_the_pauses():
    start = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)
    now = start + timedelta(seconds=30)
    assert engine.scenario_seconds(started_at=start, now=now, speed=10) == 300
    assert engine.scenario_seconds(started_at=start, now=now, speed=10, paused_seconds=12) == 180
    # a pause under way stops the clock at its beginning
    paused_at = start + timedelta(seconds=20)
    assert engine.scenario_seconds(started_at=start, now=now, speed=10, paused_at=paused_at) == 200


def test_a_reload_at_the_same_moment_shows_the_same_feed():
    actions = played(("depart:repondre", 100, "Bonjour"))
    first, again = engine.state_at(SCRIPT, actions, 170), engine.state_at(SCRIPT, list(actions), 170)
    assert ids(first) == ids(again) and first.branch == again.branch
    assert [(r.reactions, r.shares) for r in first.released] == [(r.reactions, r.shares) for r in again.released]


def test_pause_only_where_the_trainer_allows_it():
    assert not engine.may_pause(SCRIPT, engine.state_at(SCRIPT, [], 10))
    actions = played(("depart:repondre", 100, "Bonjour"))
    assert engine.may_pause(SCRIPT, engine.state_at(SCRIPT, actions, 120))
    assert not engine.may_pause(authored_script(pause_policy="never"), engine.state_at(SCRIPT, actions, 120))
    assert engine.may_pause(authored_script(pause_policy="anytime"), engine.state_at(SCRIPT, [], 10))


# --- Refusals --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "choice_id, branch, sequence, text, message",
    [
        ("dialogue:service-client", "depart", 0, "", "pas proposée"),  # an action of another moment
        ("depart:inconnue", "depart", 0, "", "pas proposée"),  # a forged id
        ("depart:masquer", "dialogue", 0, "", "La situation a changé"),  # a forged branch
        ("depart:masquer", "depart", 1, "", "La situation a changé"),  # a stale page
        ("depart:repondre", "depart", 0, "   ", "Écrivez votre message"),
        ("depart:repondre", "depart", 0, "x" * 281, "281 caractères : la limite est de 280"),
    ],
)
def test_actions_out_of_place_are_refused_with_a_message(choice_id, branch, sequence, text, message):
    with pytest.raises(engine.ActionRefused) as refused:
        engine.act(SCRIPT, [], 50, choice_id=choice_id, branch=branch, sequence=sequence, text=text)
    assert message in str(refused.value.message)


def test_a_reply_at_the_limit_is_kept_as_typed_and_text_on_other_actions_is_dropped():
    typed = "<b>Bonjour</b> & merci " + "é" * 257
    assert len(typed) == 280
    reply = engine.act(SCRIPT, [], 50, choice_id="depart:repondre", branch="depart", sequence=0, text=typed)
    assert reply["text"] == typed
    assert engine.act(SCRIPT, [], 50, choice_id="depart:masquer", branch="depart", sequence=0, text="x")["text"] == ""


def test_no_action_once_the_scenario_has_ended():
    actions = played(("depart:repondre", 100, "Bonjour"), ("dialogue:service-client", 250))
    with pytest.raises(engine.ActionRefused, match="terminé"):
        engine.act(SCRIPT, actions, 260, choice_id="dialogue:attente", branch="dialogue", sequence=2, text="x")
    with pytest.raises(engine.ActionRefused, match="terminé"):
        engine.act(SCRIPT, [], 1800, choice_id="emballement:direction", branch="emballement", sequence=0)


# --- Scoring ---------------------------------------------------------------------------------


def axes(result):
    return {axis["key"]: (axis["points"], axis["max"], axis["percent"]) for axis in result["axes"]}


def test_the_experts_path_scores_on_every_axis():
    result = engine.score(SCRIPT, played(("depart:repondre", 100, "Bonjour"), ("dialogue:service-client", 250)))
    assert axes(result) == {
        "rapidite": (10, 10, 100), "ton": (3, 5, 60), "escalade": (4, 7, 57), "risque": (2, 3, 66),
        "coherence": (5, 5, 100),
    }
    assert result["percent"] == (100 + 60 + 57 + 66 + 100) // 5


def test_waiting_first_costs_speed_and_a_late_holding_statement_scores_little():
    actions = played(("depart:attendre", 50), ("emballement:message-attente", 700, "Nous revenons vers vous."))
    result = engine.score(SCRIPT, actions)
    # first response at 700 s: full marks until 300 s, none from 1200 s: 10 × 500 / 900
    assert axes(result)["rapidite"] == (6, 10, 60)
    assert axes(result)["ton"] == (2, 5, 40)
    assert axes(result)["escalade"] == (0, 7, 0)
    assert result["percent"] == (60 + 40 + 0 + 33 + 20) // 5


def test_negative_points_never_take_an_axis_below_zero():
    result = engine.score(SCRIPT, played(("depart:masquer", 50), ("emballement:direction", 100)))
    assert axes(result) == {
        "rapidite": (10, 10, 100), "ton": (0, 5, 0), "escalade": (2, 7, 28), "risque": (0, 3, 0),
        "coherence": (0, 5, 0),
    }


def test_nobody_acting_scores_zero():
    assert engine.score(SCRIPT, [])["percent"] == 0


# --- Debrief ---------------------------------------------------------------------------------


def test_the_debrief_puts_what_happened_beside_what_the_expert_would_have_done():
    actions = played(("depart:masquer", 50))
    state = engine.state_at(SCRIPT, actions, 1800)
    moments = engine.debrief(SCRIPT, actions, state)
    assert [m["branch"]["key"] for m in moments] == ["depart", "emballement"]
    assert [m["outcome"] for m in moments] == [engine.OUTCOME_ACTED, engine.OUTCOME_TIME_OUT]
    assert moments[0]["choice"]["id"] == "depart:masquer" and moments[0]["expert"]["id"] == "depart:repondre"
    assert not moments[0]["matches_expert"]
    assert [r.item["id"] for r in moments[0]["items"]] == ["depart:plainte"]
    assert [choice["id"] for _branch, choice in engine.expert_path(SCRIPT)] == [
        "depart:repondre", "dialogue:service-client"]


def test_a_moment_left_by_its_delay_says_so():
    state = engine.state_at(SCRIPT, [], 1800)
    assert [m["outcome"] for m in engine.debrief(SCRIPT, [], state)] == [
        engine.OUTCOME_WAITED_OUT, engine.OUTCOME_TIME_OUT]


# --- Authoring checks ------------------------------------------------------------------------


def test_an_unplayable_script_is_explained_to_the_trainer():
    assert engine.script_errors(SCRIPT) == []
    broken = authored_script()
    broken["branches"]["depart"]["choices"][0]["next"] = "nulle-part"
    broken["branches"]["dialogue"]["choices"][0]["points"]["charme"] = 3
    broken["branches"]["emballement"].update(timeout=60, on_timeout="attente-juridique")
    messages = [str(message) for message in engine.script_errors(broken)]
    assert any("« nulle-part », qui n'existe pas" in m for m in messages)
    assert any("l'axe « charme »" in m for m in messages)
    assert any("boucle sans fin" in m for m in messages)
