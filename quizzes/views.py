"""Quiz views translate HTTP; quizzes.services changes state. A refusal of the services
(home.refusals) leaves the view as it is: home.middleware.RefusalMiddleware answers it."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from courses.serving import page_from_rows
from home.middleware import answers_json
from quizzes import services
from quizzes.models import Attempt, QuizPage
from quizzes.selectors import asked_questions, attempt_report, question_stamps, quiz_overview, with_html


@login_required
@require_POST
def start(request, quiz_id):
    quiz = get_object_or_404(QuizPage.objects.live(), pk=quiz_id)
    attempt = services.start_attempt(user=request.user, quiz=quiz)
    return redirect("quiz_attempt", attempt_id=attempt.pk)


@login_required
def attempt_page(request, attempt_id):
    """GET: the questions. POST: save the draft (action=save) or submit."""
    attempt = services.own_attempt(user=request.user, attempt_id=attempt_id)
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
    except services.ResponsesInvalid as invalid:
        return render_attempt(request, attempt, values=invalid.raw, errors=invalid.errors, status=400)
    return redirect("quiz_result", attempt_id=attempt.pk)


def render_attempt(request, attempt, values=None, errors=None, status=200):
    """The attempt form, prefilled from `values` (what was just sent, with `errors`) or
    from the autosaved drafts. With the drafts, everything the page shows of the learner
    is in the attempt row and its questions' versions: the page is kept under those rows
    (courses.serving.page_from_rows), so a learner coming back to it renders nothing."""

    stamps = question_stamps(attempt.question_order)

    def context():
        return {
            "attempt": attempt,
            "quiz": attempt.quiz,
            "asked": with_html(asked_questions(attempt, values, errors, stamps)),
            "errors": errors or {},
        }

    if values is None and errors is None:
        rows = (attempt.pk, attempt.number, attempt.quiz_id, attempt.deadline, attempt.drafts,
                attempt.question_order, attempt.choice_order, stamps)
        return page_from_rows(request, "quiz-attempt", rows, "quizzes/attempt.html", context)
    return render(request, "quizzes/attempt.html", context(), status=status)


@answers_json
@login_required
@require_POST
def autosave(request, attempt_id):
    """Autosave from the page's script: the same form, answered in JSON."""
    services.save_draft(user=request.user, attempt_id=attempt_id, form=request.POST)
    return JsonResponse({"saved": True})


@login_required
@require_GET
def result(request, attempt_id):
    attempt = services.own_attempt(user=request.user, attempt_id=attempt_id)
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


@answers_json
@login_required
@require_GET
def status(request, attempt_id):
    return JsonResponse({"status": services.own_attempt_status(user=request.user, attempt_id=attempt_id)})
