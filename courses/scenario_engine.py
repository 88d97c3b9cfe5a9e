"""The crisis room's engine: pure functions, no database, no clock of their own.

Everything is computed from three things: the *script* (the scenario as the trainer
authored it, frozen into the run when it starts, see `ScenarioPage.script()`), the
learner's *actions* so far, and the scenario time *now* (seconds of simulated time since
the start, from `scenario_seconds()`). So a reload, a lost connection or another
process finds the same feed at the same moment: nothing depends on what a browser kept.

Script (plain JSON):
    {"speed": 10, "time_limit": 1800, "pause": "never|anytime|marked", "start": "branch-key",
     "axes": [{"key", "label", "kind": "points|speed", "max", "target", "zero_at", "description"}],
     "branches": {key: {"key", "title", "situation", "timeout", "on_timeout", "pause_allowed",
                        "items": [{"id", "kind", "author", "text", "at", "reactions", "reactions_per_minute",
                                   "shares", "shares_per_minute"}],
                        "choices": [{"id", "kind", "label", "escalate_to", "limit", "next", "points": {axis: int},
                                     "expert", "comment"}]}}}
Action (as stored): {"choice": id, "branch": key, "at": scenario seconds, "text": str}
"""

import math
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from home.refusals import Kind, Refused

# Kinds of action, as authored. Text kinds carry what the learner writes.
REPLY = "reply"
HIDE = "hide"
ESCALATE = "escalate"
HOLDING_STATEMENT = "holding_statement"
WAIT = "wait"
TEXT_KINDS = frozenset({REPLY, HOLDING_STATEMENT})

# Why a run ended.
END_LAST_BRANCH = "last_branch"  # an action (or a branch's timeout) led to the end
END_TIME_OUT = "time_out"  # the scenario's time limit was reached

# How the learner left a moment, in the debrief.
OUTCOME_ACTED = "acted"
OUTCOME_WAITED_OUT = "waited_out"  # nobody acted before the moment's delay
OUTCOME_TIME_OUT = "time_out"
OUTCOME_CURRENT = "current"

# Scoring axis kinds.
AXIS_POINTS = "points"  # the sum of the points of the learner's actions on this axis
AXIS_SPEED = "speed"  # how soon the first action other than waiting came

PAUSE_NEVER = "never"
PAUSE_ANYTIME = "anytime"
PAUSE_MARKED = "marked"  # only in the moments (branches) the trainer marked

# A chain of branch timeouts longer than this is a loop in the authoring.
MAX_TIMEOUT_CHAIN = 200


class ActionRefused(Refused):
    """An action the scenario cannot take now (a stale page, an action not offered, a
    message over the limit); `message` tells the learner why."""

    kind = Kind.CONFLICT


# --- The clock --------------------------------------------------------------------------


def scenario_seconds(*, started_at, now, speed, paused_seconds=0.0, paused_at=None):
    """Simulated seconds since the start: real time elapsed, less the time spent paused
    (a pause under way counts up to its beginning), times the clock speed."""
    until = paused_at if paused_at is not None else now
    real = (until - started_at).total_seconds() - paused_seconds
    return max(0.0, real) * speed


def real_seconds_until(scenario_time, *, speed, now_scenario):
    """Real seconds until the scenario reaches `scenario_time` (0 if already there)."""
    return max(0.0, (scenario_time - now_scenario) / speed)


# --- The state at a moment ---------------------------------------------------------------


@dataclass
class Released:
    """An item of the feed, released at `released_at`, with its counters now."""

    item: dict
    branch: str
    released_at: float
    reactions: int
    shares: int


@dataclass
class Visit:
    """A stay in a branch: from `entered` until `left` (None while there), left through
    `via` (the action's index, or None for the branch's timeout)."""

    branch: str
    entered: float
    left: float | None = None
    via: int | None = None


@dataclass
class State:
    now: float
    visits: list = field(default_factory=list)
    released: list = field(default_factory=list)
    ended: bool = False
    ended_at: float | None = None
    end_reason: str | None = None

    @property
    def branch(self):
        """The branch the learner is in (None once the scenario has ended)."""
        return None if self.ended else self.visits[-1].branch

    @property
    def entered(self):
        return self.visits[-1].entered

    def next_release(self, script):
        """Scenario time of the next item of the current branch still to come, or None."""
        if self.ended:
            return None
        visit = self.visits[-1]
        upcoming = [visit.entered + item["at"] for item in script["branches"][visit.branch]["items"]]
        upcoming = [at for at in upcoming if at > self.now]
        return min(upcoming) if upcoming else None


def branch_timeout_at(script, visit):
    timeout = script["branches"][visit.branch].get("timeout")
    return None if not timeout else visit.entered + timeout


def state_at(script, actions, now):
    """Where the scenario stands at scenario time `now`, given the learner's `actions`
    (in order): the branches visited, the items released with their counters, and
    whether (when, why) it has ended."""
    state = State(now=now)
    time_limit = script.get("time_limit") or math.inf
    visits = [Visit(branch=script["start"], entered=0.0)]
    pending = list(enumerate(actions))
    end_at, end_reason = None, None
    chain = 0
    while True:
        visit = visits[-1]
        timeout_at = branch_timeout_at(script, visit)
        action_index, action = pending[0] if pending else (None, None)
        if action is not None and (timeout_at is None or action["at"] <= timeout_at):
            pending.pop(0)
            visit.left, visit.via = action["at"], action_index
            target = choice_in(script, visit.branch, action["choice"])["next"]
            chain = 0
            if not target:
                end_at, end_reason = action["at"], END_LAST_BRANCH
                break
            visits.append(Visit(branch=target, entered=action["at"]))
            continue
        if timeout_at is not None and timeout_at <= min(now, time_limit):
            chain += 1
            if chain > MAX_TIMEOUT_CHAIN:
                raise ValueError("branch timeouts loop without end")
            visit.left = timeout_at
            target = script["branches"][visit.branch].get("on_timeout")
            if not target:
                end_at, end_reason = timeout_at, END_LAST_BRANCH
                break
            visits.append(Visit(branch=target, entered=timeout_at))
            continue
        if now >= time_limit:
            visit.left = time_limit
            end_at, end_reason = time_limit, END_TIME_OUT
        break
    state.visits = visits
    if end_at is not None:
        state.ended, state.ended_at, state.end_reason = True, end_at, end_reason
    horizon = end_at if end_at is not None else now
    action_times = sorted(action["at"] for action in actions)
    for visit in visits:
        until = min(horizon, visit.left if visit.left is not None else horizon)
        for item in script["branches"][visit.branch]["items"]:
            released_at = visit.entered + item["at"]
            if released_at > until or released_at > now:
                continue
            # Counters grow from the release until the learner's next action.
            stop = next((at for at in action_times if at >= released_at), horizon)
            minutes = max(0.0, min(stop, horizon) - released_at) / 60
            state.released.append(
                Released(
                    item=item,
                    branch=visit.branch,
                    released_at=released_at,
                    reactions=int(item.get("reactions", 0) + item.get("reactions_per_minute", 0) * minutes),
                    shares=int(item.get("shares", 0) + item.get("shares_per_minute", 0) * minutes),
                )
            )
    state.released.sort(key=lambda released: released.released_at)
    return state


def choice_in(script, branch, choice_id):
    return next((c for c in script["branches"][branch]["choices"] if c["id"] == choice_id), None)


def available_choices(script, state):
    """The actions open to the learner now (none once it has ended)."""
    if state.ended:
        return []
    return script["branches"][state.branch]["choices"]


def may_pause(script, state):
    if state.ended:
        return False
    policy = script.get("pause", PAUSE_NEVER)
    if policy == PAUSE_ANYTIME:
        return True
    return policy == PAUSE_MARKED and bool(script["branches"][state.branch].get("pause_allowed"))


# --- Acting --------------------------------------------------------------------------------


def act(script, actions, now, *, choice_id, branch, sequence, text=""):
    """The action the learner takes at `now`, checked against the state: returns the
    action to store, or raises ActionRefused. `branch` and `sequence` (how many actions
    the learner had seen taken) are what the page showed: a stale or forged page is
    refused rather than applied to another moment."""
    state = state_at(script, actions, now)
    if state.ended:
        raise ActionRefused(_("Le scénario est terminé : consultez votre bilan."))
    if sequence != len(actions) or branch != state.branch:
        raise ActionRefused(
            _("La situation a changé depuis l'affichage de la page : relisez le fil avant d'agir.")
        )
    choice = choice_in(script, state.branch, choice_id)
    if choice is None:
        raise ActionRefused(_("Cette action n'est pas proposée à ce moment du scénario."))
    text = text or ""
    if choice["kind"] in TEXT_KINDS:
        if not text.strip():
            raise ActionRefused(_("Écrivez votre message avant de l'envoyer."))
        limit = choice.get("limit") or 0
        if limit and len(text) > limit:
            raise ActionRefused(
                _("Votre message fait %(length)s caractères : la limite est de %(limit)s.")
                % {"length": len(text), "limit": limit}
            )
    else:
        text = ""
    return {"choice": choice["id"], "branch": state.branch, "at": now, "text": text}


# --- Scoring and debrief ---------------------------------------------------------------------


def chosen(script, actions):
    """(action, choice) for each action, in order."""
    return [(action, choice_in(script, action["branch"], action["choice"])) for action in actions]


def first_response_at(script, actions):
    for action, choice in chosen(script, actions):
        if choice["kind"] != WAIT:
            return action["at"]
    return None


def score_axis(script, axis, actions):
    """(points, max) on one axis."""
    maximum = axis.get("max") or 0
    if axis["kind"] == AXIS_SPEED:
        at = first_response_at(script, actions)
        target, zero_at = axis.get("target") or 0, axis.get("zero_at") or 0
        if at is None or maximum <= 0:
            return 0, maximum
        if at <= target:
            return maximum, maximum
        if zero_at <= target or at >= zero_at:
            return 0, maximum
        return round(maximum * (zero_at - at) / (zero_at - target)), maximum
    total = sum(choice["points"].get(axis["key"], 0) for _action, choice in chosen(script, actions))
    return max(0, min(maximum, total)), maximum


def score(script, actions):
    """The score per axis, in the trainer's order, and the overall percent (the mean of
    the axes' percents, rounded down)."""
    from learners.progress import percent  # the project's one rule for a percent

    axes = []
    for axis in script["axes"]:
        points, maximum = score_axis(script, axis, actions)
        axes.append({
            "key": axis["key"], "label": axis["label"], "points": points, "max": maximum,
            "percent": percent(points, maximum),
        })
    overall = sum(axis["percent"] for axis in axes) // len(axes) if axes else 0
    return {"axes": axes, "percent": overall}


def expert_path(script):
    """The expert's choices from the start, branch by branch, until the end (or a branch
    with no expert choice)."""
    path, branch, seen = [], script["start"], set()
    while branch and branch not in seen:
        seen.add(branch)
        choice = next((c for c in script["branches"][branch]["choices"] if c.get("expert")), None)
        if choice is None:
            break
        path.append((script["branches"][branch], choice))
        branch = choice["next"]
    return path


def debrief(script, actions, state):
    """The timeline for the debrief: per branch visited, what happened (items released),
    what the learner did, and what the expert would have done there."""
    moments = []
    for number, visit in enumerate(state.visits):
        branch = script["branches"][visit.branch]
        action = actions[visit.via] if visit.via is not None else None
        choice = choice_in(script, visit.branch, action["choice"]) if action else None
        expert = next((c for c in branch["choices"] if c.get("expert")), None)
        if action is not None:
            outcome = OUTCOME_ACTED
        elif visit.left is None:
            outcome = OUTCOME_CURRENT
        elif number == len(state.visits) - 1 and state.end_reason == END_TIME_OUT:
            outcome = OUTCOME_TIME_OUT
        else:
            outcome = OUTCOME_WAITED_OUT
        moments.append(
            {
                "branch": branch,
                "entered": visit.entered,
                "left": visit.left,
                "items": [
                    r for r in state.released
                    if r.branch == visit.branch and visit.entered <= r.released_at
                    and (visit.left is None or r.released_at <= visit.left)
                ],
                "action": action,
                "choice": choice,
                "outcome": outcome,
                "expert": expert,
                "matches_expert": choice is not None and expert is not None and choice["id"] == expert["id"],
            }
        )
    return moments


# --- Checking what the trainer authored ----------------------------------------------------------


def script_errors(script):
    """What makes an authored script unplayable, as messages for the trainer."""
    errors = []
    branches = script["branches"]
    if not branches:
        return [_("Ajoutez au moins un moment (branche) au scénario.")]
    axis_keys = {axis["key"] for axis in script["axes"]}
    if not axis_keys:
        errors.append(_("Ajoutez au moins un axe de notation."))
    if len(axis_keys) != len(script["axes"]):
        errors.append(_("Deux axes de notation ont le même identifiant."))
    for key, branch in branches.items():
        targets = [c["next"] for c in branch["choices"]] + [branch.get("on_timeout") or ""]
        for target in targets:
            if target and target not in branches:
                errors.append(
                    _("Le moment « %(branch)s » mène à « %(target)s », qui n'existe pas.")
                    % {"branch": key, "target": target}
                )
        if not branch["choices"] and not branch.get("timeout"):
            errors.append(
                _("Le moment « %(branch)s » n'a ni action ni délai : le scénario s'y bloquerait.") % {"branch": key}
            )
        for choice in branch["choices"]:
            for axis_key in choice["points"]:
                if axis_key not in axis_keys:
                    errors.append(
                        _("L'action « %(label)s » donne des points sur l'axe « %(axis)s », qui n'existe pas.")
                        % {"label": choice["label"], "axis": axis_key}
                    )
    # A loop of timeouts alone would never end: follow each chain.
    for key in branches:
        seen, current = set(), key
        while current and branches[current].get("timeout") and current not in seen:
            seen.add(current)
            current = branches[current].get("on_timeout") or None
            if current is not None and current not in branches:
                break
        if current in seen:
            errors.append(
                _("Les délais des moments forment une boucle sans fin à partir de « %(branch)s ».") % {"branch": key}
            )
            break
    return errors
