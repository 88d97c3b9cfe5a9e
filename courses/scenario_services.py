"""State changes of crisis-room runs. Each function is atomic; its docstring is its promise.

The run's row is locked (select_for_update) for every change, so that two requests of
one learner (two tabs, a double click) act one after the other on the same state."""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.queueing import enqueue_on_commit
from courses import scenario_engine as engine
from courses.scenarios import ScenarioAction, ScenarioRun
from home.refusals import Kind, Refused
from learners import progress

logger = logging.getLogger(__name__)

Status = ScenarioRun.Status
# A run ended longer ago than this and still not scored has its scoring queued again.
DEFAULT_RESCORE_AFTER = timedelta(seconds=120)


class RunRefused(Refused):
    """The run cannot do this; `message` tells the learner why. An action the scenario does
    not offer now is the engine's own refusal (scenario_engine.ActionRefused)."""


class NotYourRun(RunRefused):
    """No such run, or someone else's: the same answer for both."""

    kind = Kind.NOT_FOUND
    message = _("Cette partie n'existe pas ou n'est pas la vôtre.")


class ScenarioNotPlayable(RunRefused):
    kind = Kind.NOT_FOUND
    message = _("Ce scénario n'est pas encore jouable : prévenez votre formateur.")


class RunOver(RunRefused):
    kind = Kind.CONFLICT
    message = _("Le scénario est terminé : consultez votre bilan.")


class RunPaused(RunRefused):
    kind = Kind.CONFLICT
    message = _("Le scénario est en pause : reprenez-le avant d'agir.")


class ForbiddenCharacter(RunRefused):
    kind = Kind.INVALID
    message = _("Votre message contient un caractère non permis.")


class PauseNotAllowed(RunRefused):
    kind = Kind.FORBIDDEN
    message = _("La pause n'est pas permise à ce moment du scénario.")


class RunNotOver(RunRefused):
    kind = Kind.CONFLICT
    message = _("Le scénario n'est pas terminé : la situation attend encore votre réaction.")


@dataclass
class Snapshot:
    """A run as the engine sees it at one moment."""

    run: ScenarioRun
    actions: list
    now: float
    state: engine.State

    @property
    def script(self):
        return self.run.script


def scenario_now(run, now=None):
    """The run's scenario time at real time `now` (the server's clock)."""
    now = now or timezone.now()
    if run.status != Status.PLAYING and run.ended_scenario_seconds is not None:
        return run.ended_scenario_seconds
    return engine.scenario_seconds(
        started_at=run.started_at, now=now, speed=run.script["speed"],
        paused_seconds=run.paused_seconds, paused_at=run.paused_at,
    )


def snapshot(run, now=None):
    """The run's state now: one query for its actions."""
    actions = [action.as_engine_action() for action in run.actions.all()]
    at = scenario_now(run, now)
    return Snapshot(run=run, actions=actions, now=at, state=engine.state_at(run.script, actions, at))


def own_run(*, user, run_id, for_update=False):
    """The run if it is `user`'s; NotYourRun otherwise, whoever owns it."""
    runs = ScenarioRun.objects.select_related("scenario")
    if for_update:
        runs = runs.select_for_update(of=("self",))
    run = runs.filter(pk=run_id, user=user).first() if user.is_authenticated else None
    if run is None:
        raise NotYourRun()
    return run


def start_run(*, user, scenario):
    """Start a run of `scenario`, or return the one under way (starting twice resumes).
    The page as published now is frozen into the run."""
    with transaction.atomic():
        progress.step_access(user=user, page=scenario).ensure_unlocked()
        current = ScenarioRun.objects.filter(user=user, scenario=scenario, status=Status.PLAYING).first()
        if current is not None:
            return current
        script = scenario.script()
        if engine.script_errors(script):
            raise ScenarioNotPlayable()
        used = ScenarioRun.objects.filter(user=user, scenario=scenario).aggregate(last=Max("number"))["last"] or 0
        try:
            with transaction.atomic():
                return ScenarioRun.objects.create(
                    user=user, scenario=scenario, number=used + 1, script=script, started_at=timezone.now()
                )
        except IntegrityError:  # a concurrent start won the race: resume its run
            return ScenarioRun.objects.get(user=user, scenario=scenario, status=Status.PLAYING)


def ensure_playing(run):
    if run.status != Status.PLAYING:
        raise RunOver()


def act(*, user, run_id, choice_id, branch, sequence, text=""):
    """Take one of the actions open now. Stored whole, or refused with a message and
    nothing written: a finished or paused run, a stale page (another action or the clock
    moved the scenario on), an action not offered at this moment, a message over the
    limit. If the action ends the scenario, the run ends and its scoring is queued."""
    with transaction.atomic():
        run = own_run(user=user, run_id=run_id, for_update=True)
        ensure_playing(run)
        if run.paused_at is not None:
            raise RunPaused()
        if "\x00" in (text or ""):
            raise ForbiddenCharacter()
        current = snapshot(run)
        action = engine.act(
            run.script, current.actions, current.now,
            choice_id=choice_id, branch=branch, sequence=sequence, text=text,
        )
        ScenarioAction.objects.create(run=run, sequence=len(current.actions), **action)
        actions = current.actions + [action]
        state = engine.state_at(run.script, actions, current.now)
        if state.ended:
            finish(run, state)
    return run


def set_paused(*, user, run_id, paused):
    """Pause or resume the clock, where the trainer allows a pause. Pausing a paused run
    (or resuming a running one) changes nothing."""
    with transaction.atomic():
        run = own_run(user=user, run_id=run_id, for_update=True)
        ensure_playing(run)
        now = timezone.now()
        if paused and run.paused_at is None:
            current = snapshot(run, now)
            if current.state.ended:
                raise RunOver()
            if not engine.may_pause(run.script, current.state):
                raise PauseNotAllowed()
            run.paused_at = now
            run.save(update_fields=["paused_at"])
        elif not paused and run.paused_at is not None:
            run.paused_seconds += (now - run.paused_at).total_seconds()
            run.paused_at = None
            run.save(update_fields=["paused_seconds", "paused_at"])
    return run


def end_run(*, user, run_id):
    """End a run whose clock has run out (the page's "see my debrief"). Ending an ended
    run changes nothing; a run still under way is refused."""
    with transaction.atomic():
        run = own_run(user=user, run_id=run_id, for_update=True)
        if run.status != Status.PLAYING:
            return run
        current = snapshot(run)
        if not current.state.ended:
            raise RunNotOver()
        finish(run, current.state)
    return run


def finish(run, state):
    """Mark the (locked) run ended as the engine says, and queue its scoring after commit."""
    run.status = Status.ENDED
    run.ended_at = timezone.now()
    run.end_reason = state.end_reason
    run.ended_scenario_seconds = state.ended_at
    run.paused_at = None
    run.save(update_fields=["status", "ended_at", "end_reason", "ended_scenario_seconds", "paused_at"])
    queue_scoring(run.pk)


def queue_scoring(run_id):
    """Send the run's scoring once the current transaction commits; a broker that is away
    is logged, and the sweep sends it again (config.queueing)."""
    from courses.tasks import score_scenario_run

    enqueue_on_commit(score_scenario_run, run_id)


def score_run(run_id):
    """Score an ended run per axis and complete the step. Exactly once: the row is
    locked, and a run already scored (or not ended) is left as it is. Returns True if
    it scored."""
    with transaction.atomic():
        run = (
            ScenarioRun.objects.select_for_update(of=("self",)).select_related("scenario", "user")
            .filter(pk=run_id).first()
        )
        if run is None or run.status != Status.ENDED:
            return False
        actions = [action.as_engine_action() for action in run.actions.all()]
        result = engine.score(run.script, actions)
        run.result = result["axes"]
        run.percent = result["percent"]
        run.status = Status.SCORED
        run.scored_at = timezone.now()
        run.score_count += 1
        run.save(update_fields=["result", "percent", "status", "scored_at", "score_count"])
        try:
            progress.record_step_completed(user=run.user, page=run.scenario, score=run.percent)
        except progress.ProgressRefused as refusal:
            logger.warning("Scenario run %s scored but the step was not completed: %s", run.pk, refusal.message)
    return True


def sweep_runs():
    """End the runs whose clock has run out while nobody was looking, and queue again
    the scoring of runs ended longer than SCENARIO_RESCORE_AFTER ago (a lost message, a
    killed worker). Returns (ended, requeued)."""
    now = timezone.now()
    ended = 0
    playing = ScenarioRun.objects.filter(status=Status.PLAYING, paused_at__isnull=True).values_list("pk", flat=True)
    for run_id in list(playing):
        with transaction.atomic():
            run = ScenarioRun.objects.select_for_update().filter(pk=run_id, status=Status.PLAYING).first()
            if run is None or run.paused_at is not None:
                continue
            current = snapshot(run, now)
            if current.state.ended:
                finish(run, current.state)
                ended += 1
    stuck = list(
        ScenarioRun.objects.filter(
            status=Status.ENDED, ended_at__lt=now - getattr(settings, "SCENARIO_RESCORE_AFTER", DEFAULT_RESCORE_AFTER)
        ).values_list("pk", flat=True)
    )
    for run_id in stuck:
        queue_scoring(run_id)
    return ended, len(stuck)
