"""The demo course's crisis room (courses/demo/scenario_fr.json), checked as a trainer
would before signing it: playable, the expert's path worth every point, each branch
reachable and really different, counters that grow while nobody acts, pauses only at
calm moments, an honest duration; and loaded into the crisis module like the rest of
the demo, refused whole when the admin would refuse it."""

import copy
import json
import math
import re
from collections import deque

import pytest
from django.core.exceptions import ValidationError
from wagtail.models import Page

from courses import scenario_engine as engine
from courses import scenario_services as services
from courses.demo.loader import load_course, read_course, read_scenario, scenario_fields
from courses.models import LessonPage, ModulePage
from courses.scenarios import ScenarioPage, ScenarioRun, build_script
from learners import progress
from learners.models import StepProgress
from quizzes.demo import load_quizzes, read_quizzes
from quizzes.models import QuizPage
from tests.factories import make_user

AXES = {"rapidite", "ton", "escalade", "risque", "coherence"}


def demo_script(data=None):
    """The script a run of the demo scenario plays, built without a database."""
    fields = scenario_fields(read_scenario() if data is None else data)
    return build_script(
        moments=ScenarioPage._meta.get_field("moments").to_python(fields["moments"]),
        axes=ScenarioPage._meta.get_field("axes").to_python(fields["axes"]),
        speed=fields["clock_speed"], time_limit_minutes=fields["time_limit_minutes"], pause=fields["pause_policy"],
    )


def play(script, choices, at=0.0):
    """The actions taking `choices` (ids) one after the other at scenario time `at`."""
    actions = []
    for choice_id in choices:
        state = engine.state_at(script, actions, at)
        text = "Bonjour, nous vérifions et revenons vers vous."
        actions.append(engine.act(script, actions, at, choice_id=choice_id, branch=state.branch,
                                  sequence=len(actions), text=text))
    return actions


def paths_to_every_branch(script):
    """For each branch, the shortest list of choice ids that leads there from the start
    (by actions only)."""
    paths = {script["start"]: []}
    queue = deque([script["start"]])
    while queue:
        key = queue.popleft()
        for choice in script["branches"][key]["choices"]:
            if choice["next"] and choice["next"] not in paths:
                paths[choice["next"]] = paths[key] + [choice["id"]]
                queue.append(choice["next"])
    return paths


# --- The script ------------------------------------------------------------------------------


def test_the_demo_scenario_is_playable_with_15_to_25_feed_items_and_the_five_axes():
    script = demo_script()
    assert engine.script_errors(script) == []
    items = [item for branch in script["branches"].values() for item in branch["items"]]
    assert 15 <= len(items) <= 25
    assert {item["kind"] for item in items} == {"post", "reply", "private_message", "press"}
    assert {axis["key"] for axis in script["axes"]} == AXES
    kinds = {choice["kind"] for branch in script["branches"].values() for choice in branch["choices"]}
    assert kinds == {engine.REPLY, engine.HIDE, engine.ESCALATE, engine.HOLDING_STATEMENT, engine.WAIT}
    targets = {choice["escalate_to"] for branch in script["branches"].values() for choice in branch["choices"]}
    assert targets >= {"legal", "communication", "customer_service", "management"}
    # every action says something in the debrief; every text action has a limit
    for branch in script["branches"].values():
        for choice in branch["choices"]:
            assert choice["comment"].strip(), choice["id"]
            if choice["kind"] in engine.TEXT_KINDS:
                assert 0 < choice["limit"] <= 1000, choice["id"]


def test_the_expert_path_reaches_the_end_and_scores_the_maximum_on_every_axis():
    script = demo_script()
    path = engine.expert_path(script)
    actions = play(script, [choice["id"] for _branch, choice in path], at=120.0)
    state = engine.state_at(script, actions, 120.0)
    assert state.ended and state.end_reason == engine.END_LAST_BRANCH
    result = engine.score(script, actions)
    assert [(axis["key"], axis["points"]) for axis in result["axes"]] == [
        (axis["key"], axis["max"]) for axis in script["axes"]
    ]
    assert result["percent"] == 100
    # the expert acts in several ways, not by one button pressed five times
    assert {choice["kind"] for _branch, choice in path} >= {
        engine.REPLY, engine.HIDE, engine.ESCALATE, engine.HOLDING_STATEMENT
    }


def test_no_other_path_scores_as_well_as_the_expert():
    script = demo_script()
    expert = [choice["id"] for _branch, choice in engine.expert_path(script)]
    best = 0
    stack = [[]]
    while stack:  # every path of actions from the start (the graph has no loop by actions)
        choices = stack.pop()
        state = engine.state_at(script, play(script, choices), 0.0)
        if state.ended:
            if choices != expert:
                best = max(best, engine.score(script, play(script, choices))["percent"])
            continue
        stack.extend(choices + [choice["id"]] for choice in script["branches"][state.branch]["choices"])
    assert best <= 90


def test_each_branch_is_reachable_and_the_first_actions_lead_to_really_different_moments():
    script = demo_script()
    paths = paths_to_every_branch(script)
    assert set(paths) == set(script["branches"])
    for key, choices in paths.items():
        assert engine.state_at(script, play(script, choices), 0.0).branch == key
    # the four first actions open four moments that share no feed item
    first = [choice["next"] for choice in script["branches"][script["start"]]["choices"]]
    assert len(set(first)) == len(first) >= 4
    item_texts = [{item["text"] for item in script["branches"][key]["items"]} for key in first]
    assert all(not (a & b) for i, a in enumerate(item_texts) for b in item_texts[i + 1:])


def test_nobody_acting_the_counters_grow_and_the_scenario_slides_to_its_end():
    script = demo_script()
    early, later = (engine.state_at(script, [], at) for at in (60.0, 600.0))
    complaint = lambda state: next(r for r in state.released if r.item["id"] == "depart:plainte")  # noqa: E731
    assert complaint(later).reactions > complaint(early).reactions
    assert complaint(later).shares > complaint(early).shares
    # an action stops the growth
    acted = play(script, ["depart:repondre"], at=60.0)
    assert complaint(engine.state_at(script, acted, 600.0)).reactions == complaint(early).reactions
    # the moment's delay moves a silent learner on, and the scenario ends within its time
    state = engine.state_at(script, [], 901.0)
    assert state.branch == "emballement"
    end = engine.state_at(script, [], script["time_limit"])
    assert end.ended and end.ended_at <= script["time_limit"]
    assert engine.score(script, [])["percent"] == 0


def test_pause_is_allowed_only_at_one_or_two_calm_moments():
    script = demo_script()
    assert script["pause"] == engine.PAUSE_MARKED
    calm = [branch for branch in script["branches"].values() if branch["pause_allowed"]]
    assert 1 <= len(calm) <= 2
    for branch in calm:
        assert all(item["reactions_per_minute"] <= 5 and item["shares_per_minute"] <= 5 for item in branch["items"])


def words(value, key=None):
    skipped = {"slug", "module", "key", "id", "kind", "next", "on_timeout", "escalate_to", "axis", "pause_policy"}
    if isinstance(value, dict):
        return sum(words(item, name) for name, item in value.items())
    if isinstance(value, list):
        return sum(words(item, key) for item in value)
    if isinstance(value, str) and key not in skipped:
        return len(re.sub(r"<[^>]+>", " ", value).split())
    return 0


def test_the_scenario_announces_its_reading_and_its_play():
    data = read_scenario()
    reading = math.ceil(words(data) / 200)  # everything, the debrief's comments included
    playing = math.ceil(data["time_limit_minutes"] * 60 / data["clock_speed"] / 60)  # real minutes at most
    assert reading + playing <= data["estimated_minutes"] <= reading + playing + 5


# --- Loaded into the demo course ---------------------------------------------------------------


@pytest.mark.django_db
def test_the_scenario_sits_in_the_crisis_module_after_the_lessons_and_before_the_quiz(demo_course):
    crisis = ModulePage.objects.child_of(demo_course).get(theme=ModulePage.Theme.CRISIS)
    steps = [page.specific for page in crisis.get_children().live()]
    kinds = [type(step) for step in steps]
    assert kinds == [LessonPage] * (len(steps) - 2) + [ScenarioPage, QuizPage]
    assert ScenarioPage.objects.count() == 1
    scenario = steps[-2]
    assert scenario.script() == demo_script()


@pytest.mark.django_db
def test_loading_onto_a_demo_loaded_before_the_scenario_puts_it_before_the_quiz():
    # given a demo course loaded without its crisis room
    course, _created, _updated = load_course(read_course(), scenario={})
    load_quizzes(course, read_quizzes())
    assert not ScenarioPage.objects.exists()

    # when the demo is loaded again, then once more
    load_course(read_course())
    _course, created, updated = load_course(read_course())

    # then the crisis room comes between the last lesson and the quiz, and nothing changes the second time
    crisis = ModulePage.objects.child_of(course).get(theme=ModulePage.Theme.CRISIS)
    kinds = [type(page.specific) for page in crisis.get_children()]
    assert kinds[-2:] == [ScenarioPage, QuizPage] and kinds.count(ScenarioPage) == 1
    assert (created, updated) == (0, 0)


@pytest.mark.django_db
def test_the_loader_refuses_a_scenario_the_admin_would_refuse_and_writes_nothing():
    broken = copy.deepcopy(read_scenario())
    broken["moments"][0]["actions"][0]["next"] = "nulle-part"
    with pytest.raises(ValidationError) as refused:
        load_course(read_course(), broken)
    assert "« nulle-part », qui n'existe pas" in " ".join(refused.value.messages)
    assert Page.objects.count() == 2  # the root and the home page, as before

    blank = copy.deepcopy(read_scenario())
    blank["moments"][1]["items"][0]["author"] = ""  # a required field of a block
    with pytest.raises(ValidationError):
        load_course(read_course(), blank)
    assert Page.objects.count() == 2

    stopped = dict(read_scenario(), clock_speed=0)  # the admin's minimum is 1
    with pytest.raises(ValidationError, match="clock_speed"):
        load_course(read_course(), stopped)
    assert Page.objects.count() == 2


@pytest.mark.django_db
def test_the_command_reports_an_unplayable_scenario_in_french(tmp_path):
    from django.core.management import CommandError, call_command

    broken = copy.deepcopy(read_scenario())
    broken["axes"] = []
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps(broken), encoding="utf-8")
    with pytest.raises(CommandError, match="ne peut pas être jouée"):
        call_command("load_demo_course", no_accounts=True, scenario_file=str(path), stdout=open("/dev/null", "w"))
    assert not ScenarioPage.objects.exists() and Page.objects.count() == 2


@pytest.mark.django_db
def test_a_learner_plays_the_demo_scenario_the_experts_way_and_completes_the_step(demo_course):
    scenario = ScenarioPage.objects.descendant_of(demo_course).get()
    learner = make_user(email="samia@example.org")
    progress.enroll(user=learner, course=demo_course)

    run = services.start_run(user=learner, scenario=scenario)
    for sequence, (branch, choice) in enumerate(engine.expert_path(run.script)):
        services.act(user=learner, run_id=run.pk, choice_id=choice["id"], branch=branch["key"], sequence=sequence,
                     text="Bonjour, nous vérifions avec la cuisine et revenons vers vous avant 16\u00a0h.")
    assert services.score_run(run.pk)

    run.refresh_from_db()
    assert run.status == ScenarioRun.Status.SCORED and run.percent == 100 and run.score_count == 1
    step = StepProgress.objects.get(user=learner, step=scenario)
    assert step.status == StepProgress.Status.COMPLETED
