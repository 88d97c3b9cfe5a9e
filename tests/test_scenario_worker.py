"""Crisis-room scoring through a real Celery worker process on the configured broker:
fifty runs end at once, each is scored exactly once and completes its step."""

import pytest

from courses import scenario_services as services
from courses.models import ModulePage
from courses.scenarios import ScenarioRun
from learners import progress
from learners.models import StepProgress
from tests.factories import make_course_with, make_user
from tests.scenario_factories import make_scenario
from tests.utils import wait_for

pytestmark = pytest.mark.worker

RUNS = 50


def scored():
    return ScenarioRun.objects.filter(status=ScenarioRun.Status.SCORED).count()


def test_fifty_runs_ending_at_once_are_each_scored_exactly_once(celery_worker_process):
    # given fifty learners each in the middle of the authored crisis
    course = make_course_with(modules=1, lessons_per_module=0)
    scenario = make_scenario(ModulePage.objects.child_of(course).get())
    learners = [make_user() for _ in range(RUNS)]
    runs = []
    for learner in learners:
        progress.enroll(user=learner, course=course)
        run = services.start_run(user=learner, scenario=scenario)
        services.act(user=learner, run_id=run.pk, choice_id="depart:repondre", branch="depart", sequence=0,
                     text="Bonjour, écrivez-nous en message privé.")
        runs.append(run)

    # when all take their last action (each queues its scoring on commit), and the sweep
    # then queues every scoring a second time, as after a lost acknowledgement
    for learner, run in zip(learners, runs):
        services.act(user=learner, run_id=run.pk, choice_id="dialogue:service-client", branch="dialogue", sequence=1)
    for run in runs:
        services.queue_scoring(run.pk)

    # then every run is scored once, and each learner's step is completed with its score
    wait_for(lambda: scored() == RUNS, timeout=240, message=f"{RUNS} runs scored")
    assert set(ScenarioRun.objects.values_list("score_count", flat=True)) == {1}
    assert set(ScenarioRun.objects.values_list("percent", flat=True)) == {76}
    completed = StepProgress.objects.filter(step_id=scenario.pk, status=StepProgress.Status.COMPLETED)
    assert sorted(completed.values_list("user_id", flat=True)) == sorted(learner.pk for learner in learners)
    assert set(completed.values_list("score", flat=True)) == {76}
