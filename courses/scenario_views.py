"""Crisis-room views translate HTTP; courses.scenario_services changes state. A refusal
(home.refusals) leaves the view as it is: home.middleware.RefusalMiddleware answers it,
except a refused action on one's own run under way, shown in the feed.

Everything works without JavaScript: the run page is a feed with one form per action and
a refresh link. With it, courses/static/js/crisis-room.js polls `scenario_run_state`
and adds the new items to the feed."""

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from courses import scenario_engine as engine
from courses import scenario_services as services
from courses.scenarios import ITEM_KINDS, ScenarioPage, ScenarioRun
from home.middleware import answers_json, refusal_status
from home.refusals import Kind, Refused
from home.views import wants_json

# Bounds on what a form may carry: the longest authored id, a sequence that fits.
MAX_ID_LENGTH = 120
MAX_SEQUENCE_DIGITS = 6


@login_required
@require_POST
def start(request, scenario_id):
    scenario = get_object_or_404(ScenarioPage.objects.live(), pk=scenario_id)
    run = services.start_run(user=request.user, scenario=scenario)
    return redirect("scenario_run", run_id=run.pk)


@login_required
@require_GET
def run_page(request, run_id):
    run = services.own_run(user=request.user, run_id=run_id)
    if run.status != ScenarioRun.Status.PLAYING:
        return redirect("scenario_debrief", run_id=run.pk)
    current = services.snapshot(run)
    return render(request, "courses/scenario/run.html", run_context(current))


def run_context(current, error=None):
    run, state, script = current.run, current.state, current.script
    return {
        "run": run,
        "scenario": run.scenario,
        "state": state,
        "branch": None if state.ended else script["branches"][state.branch],
        "feed": [feed_item(released) for released in state.released],
        "choices": engine.available_choices(script, state),
        "sequence": len(current.actions),
        "clock": clock_label(current.now),
        "paused": run.paused_at is not None,
        "may_pause": engine.may_pause(script, state),
        "error": error,
    }


KIND_LABELS = dict(ITEM_KINDS)


def feed_item(released):
    item = released.item
    return {
        "id": item["id"],
        "kind": item["kind"],
        "kind_label": str(KIND_LABELS.get(item["kind"], item["kind"])),
        "author": item["author"],
        "text": item["text"],
        "at": clock_label(released.released_at),
        "reactions": released.reactions,
        "shares": released.shares,
        "reactions_label": ngettext("%(count)s réaction", "%(count)s réactions", released.reactions)
        % {"count": released.reactions},
        "shares_label": ngettext("%(count)s partage", "%(count)s partages", released.shares)
        % {"count": released.shares},
    }


def clock_label(seconds):
    """Scenario time as "h:mm:ss" from the start (the feed's clock)."""
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def posted_sequence(value):
    value = (value or "").strip()
    if not value.isascii() or not value.isdigit() or len(value) > MAX_SEQUENCE_DIGITS:
        return None
    return int(value)


@login_required
@require_POST
def act(request, run_id):
    """One action, then back to the feed (or to the debrief if it ended the scenario)."""
    choice_id = request.POST.get("choice", "")
    branch = request.POST.get("branch", "")
    sequence = posted_sequence(request.POST.get("sequence"))
    if sequence is None or len(choice_id) > MAX_ID_LENGTH or len(branch) > MAX_ID_LENGTH:
        raise engine.ActionRefused(_("Cette action n'est pas proposée à ce moment du scénario."), kind=Kind.INVALID)
    try:
        run = services.act(
            user=request.user, run_id=run_id, choice_id=choice_id, branch=branch, sequence=sequence,
            text=request.POST.get("text", ""),
        )
    except Refused as error:
        return run_refused(request, run_id, error)
    if run.status != ScenarioRun.Status.PLAYING:
        return redirect("scenario_debrief", run_id=run.pk)
    return redirect("scenario_run", run_id=run.pk)


def run_refused(request, run_id, error):
    """A refused action on one's own run playing: the feed again, with the reason and
    what was typed kept; otherwise the refusal goes on to the refusal page."""
    if wants_json(request):
        raise error
    try:
        run = services.own_run(user=request.user, run_id=run_id)
    except services.RunRefused:
        raise error from None
    if run.status != ScenarioRun.Status.PLAYING:
        raise error
    context = run_context(services.snapshot(run), error=error.message)
    context["typed"] = {"choice": request.POST.get("choice", ""), "text": request.POST.get("text", "")}
    return render(request, "courses/scenario/run.html", context, status=refusal_status(error))


@login_required
@require_POST
def pause(request, run_id):
    paused = request.POST.get("action") != "resume"
    services.set_paused(user=request.user, run_id=run_id, paused=paused)
    return redirect("scenario_run", run_id=run_id)


@login_required
@require_POST
def end(request, run_id):
    run = services.end_run(user=request.user, run_id=run_id)
    return redirect("scenario_debrief", run_id=run.pk)


@answers_json
@login_required
@require_GET
def state(request, run_id):
    """The feed now, for the page's script. Reads only."""
    run = services.own_run(user=request.user, run_id=run_id)
    if run.status != ScenarioRun.Status.PLAYING:
        return JsonResponse({"status": run.status, "ended": True})
    current = services.snapshot(run)
    next_release = current.state.next_release(run.script)
    return JsonResponse(
        {
            "status": run.status,
            "ended": current.state.ended,
            "paused": run.paused_at is not None,
            "branch": current.state.branch,
            "sequence": len(current.actions),
            "clock": clock_label(current.now),
            "items": [feed_item(released) for released in current.state.released],
            "next_in": None if next_release is None else engine.real_seconds_until(
                next_release, speed=run.script["speed"], now_scenario=current.now
            ),
        }
    )


@login_required
@require_GET
def debrief(request, run_id):
    run = services.own_run(user=request.user, run_id=run_id)
    if run.status == ScenarioRun.Status.PLAYING:
        return redirect("scenario_run", run_id=run.pk)
    current = services.snapshot(run)
    moments = engine.debrief(run.script, current.actions, current.state)
    for moment in moments:
        moment["feed"] = [feed_item(released) for released in moment["items"]]
        moment["entered_label"] = clock_label(moment["entered"])
        if moment["action"]:
            moment["action_at"] = clock_label(moment["action"]["at"])
    expert = [{"branch": branch, "choice": choice} for branch, choice in engine.expert_path(run.script)]
    context = {
        "run": run,
        "scenario": run.scenario,
        "moments": moments,
        "expert_path": expert,
        "scored": run.status == ScenarioRun.Status.SCORED,
        "ended_at": clock_label(run.ended_scenario_seconds or 0),
        "time_out": run.end_reason == engine.END_TIME_OUT,
    }
    fragment = bool(request.GET.get("fragment"))
    template = "courses/scenario/includes/scores.html" if fragment else "courses/scenario/debrief.html"
    return render(request, template, context)


@answers_json
@login_required
@require_GET
def status(request, run_id):
    run = services.own_run(user=request.user, run_id=run_id)
    return JsonResponse({"status": run.status})
