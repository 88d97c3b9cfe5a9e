"""The trainers' item statistics report of a quiz, in the Wagtail admin (registered by
quizzes.wagtail_hooks). Read by whoever may edit the quiz page; anyone else is told the
page does not exist."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from quizzes import statistics
from quizzes.item_statistics import LOW_DISCRIMINATION_INDEX
from quizzes.models import QuizPage


def can_read_statistics(user, quiz):
    """Whether `user` may read (and refresh) the item statistics of `quiz`: those who
    may edit the quiz page, superusers included."""
    return quiz.permissions_for_user(user).can_edit()


@require_http_methods(["GET", "POST"])
def quiz_statistics(request, quiz_id):
    quiz = get_object_or_404(QuizPage, pk=quiz_id)
    if not can_read_statistics(request.user, quiz):
        raise Http404
    if request.method == "POST":
        statistics.refresh_now(quiz.pk)
        messages.success(
            request, _("Calcul demandé : rechargez la page dans un moment pour voir les statistiques à jour.")
        )
        return redirect("quiz_statistics", quiz_id=quiz.pk)
    report = statistics.statistics_report(quiz)
    return TemplateResponse(request, "quizzes/admin/statistics.html", {
        "quiz": quiz, "report": report, "low_discrimination": LOW_DISCRIMINATION_INDEX,
    })
