"""Quiz views translate HTTP; quizzes.services changes state."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from home.views import refusal
from learners import progress
from quizzes import services
from quizzes.models import Attempt, QuizPage
from quizzes.selectors import asked_questions, attempt_report, quiz_overview, with_html


@login_required
@require_POST
def start(request, quiz_id):
    quiz = get_object_or_404(QuizPage.objects.live(), pk=quiz_id)
    try:
        attempt = services.start_attempt(user=request.user, quiz=quiz)
    except (progress.ProgressRefused, services.AttemptRefused) as error:
        return refusal(request, error.message, error.status)
    return redirect("quiz_attempt", attempt_id=attempt.pk)


@login_required
def attempt_page(request, attempt_id):
    """GET: the questions. POST: save the draft (action=save) or submit."""
    try:
        attempt = services.own_attempt(user=request.user, attempt_id=attempt_id)
    except services.AttemptRefused as error:
        return refusal(request, error.message, error.status)
    if attempt.status != Attempt.Status.IN_PROGRESS:
        return redirect("quiz_result", attempt_id=attempt.pk)
    if request.method != "POST":
        return render_attempt(request, attempt)

    try:
        if request.POST.get("action") == "save":
            services.save_draft(user=request.user, attempt_id=attempt.pk, form=request.POST)
            messages.success(request, _("Vos réponses sont enregistrées. Vous pouvez revenir plus tard."))
            return redirect("quiz_attempt", attempt_id=attempt.pk)
        services.submit_attempt(user=request.user, attempt_id=attempt.pk, form=request.POST, attempt=attempt)
    except services.AnswersInvalid as invalid:
        return render_attempt(request, attempt, values=invalid.raw, errors=invalid.errors, status=400)
    except services.AttemptRefused as error:
        return refusal(request, error.message, error.status)
    return redirect("quiz_result", attempt_id=attempt.pk)


def render_attempt(request, attempt, values=None, errors=None, status=200):
    context = {
        "attempt": attempt,
        "quiz": attempt.quiz,
        "asked": with_html(asked_questions(attempt, values, errors)),
        "errors": errors or {},
    }
    return render(request, "quizzes/attempt.html", context, status=status)


@login_required
@require_POST
def autosave(request, attempt_id):
    """Autosave from the page's script: the same form, answered in JSON."""
    try:
        services.save_draft(user=request.user, attempt_id=attempt_id, form=request.POST)
    except services.AttemptRefused as error:
        return JsonResponse({"error": str(error.message)}, status=error.status)
    return JsonResponse({"saved": True})


@login_required
@require_GET
def result(request, attempt_id):
    try:
        attempt = services.own_attempt(user=request.user, attempt_id=attempt_id)
    except services.AttemptRefused as error:
        return refusal(request, error.message, error.status)
    if attempt.status == Attempt.Status.IN_PROGRESS:
        return redirect("quiz_attempt", attempt_id=attempt.pk)
    context = {
        "attempt": attempt,
        "quiz": attempt.quiz,
        "report": attempt_report(attempt),
        "overview": quiz_overview(quiz=attempt.quiz, user=request.user),
    }
    template = "quizzes/includes/result.html" if request.GET.get("fragment") else "quizzes/result.html"
    return render(request, template, context)


@login_required
@require_GET
def status(request, attempt_id):
    try:
        attempt = services.own_attempt(user=request.user, attempt_id=attempt_id)
    except services.AttemptRefused as error:
        return JsonResponse({"error": str(error.message)}, status=error.status)
    return JsonResponse({"status": attempt.status})
