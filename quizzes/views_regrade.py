"""The regrade screens of the question bank (quizzes.regrading): confirm a regrade of the
attempts that answered a question, then follow it to its report. Both ask the snippet
permission to change the question's type, which the trainers' group holds."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.views import View
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from quizzes import regrading
from quizzes.bank_views import specific_question, type_url
from quizzes.models import Regrade


class RegradeConfirmView(WagtailAdminTemplateMixin, View):
    """GET: how many graded attempts answered the question, and its regrades so far;
    POST: start a regrade (refused, with the reason, while one runs)."""

    template_name = "quizzes/admin/regrade_confirm.html"
    header_icon = "redirect"

    def get_page_title(self):
        return gettext("Recorriger une question")

    def get(self, request, question_id):
        question = specific_question(request, question_id, ["change"])
        attempts = regrading.attempts_answering(question.pk).count()
        context = self.get_context_data(
            question=question,
            attempts=attempts,
            prompt_text=ngettext(
                "%(count)s tentative a répondu à cette question : recorriger ?",
                "%(count)s tentatives ont répondu à cette question : recorriger ?",
                attempts,
            ) % {"count": attempts},
            running=regrading.running_regrade(question),
            regrades=list(Regrade.objects.filter(question_id=question.pk)[:5]),
            edit_url=type_url(type(question), "edit", question.pk),
        )
        return TemplateResponse(request, self.template_name, context)

    def post(self, request, question_id):
        question = specific_question(request, question_id, ["change"])
        try:
            regrade = regrading.start_regrade(question=question, user=request.user)
        except regrading.RegradeRefused as refusal:
            messages.error(request, refusal.message)
            return redirect("question_bank:regrade", question_id=question.pk)
        messages.success(request, gettext("Recorrection lancée : cette page montre où elle en est."))
        return redirect("question_bank:regrade_status", regrade_id=regrade.pk)


class RegradeStatusView(WagtailAdminTemplateMixin, View):
    """GET: where a regrade stands and, once finished, how many scores and outcomes
    changed; POST: send a running regrade on again (regrading.resume_regrade)."""

    template_name = "quizzes/admin/regrade_status.html"
    header_icon = "redirect"

    def get_page_title(self):
        return gettext("Recorrection")

    def get(self, request, regrade_id):
        regrade = get_object_or_404(Regrade, pk=regrade_id)
        question = specific_question(request, regrade.question_id, ["change"])
        done = regrade.attempts_done * 100 // regrade.attempts_total if regrade.attempts_total else 100
        context = self.get_context_data(
            regrade=regrade, question=question, percent_done=done,
            confirm_url=reverse("question_bank:regrade", args=[question.pk]),
        )
        return TemplateResponse(request, self.template_name, context)

    def post(self, request, regrade_id):
        regrade = get_object_or_404(Regrade, pk=regrade_id)
        specific_question(request, regrade.question_id, ["change"])
        if regrading.resume_regrade(regrade):
            messages.success(request, gettext("Recorrection relancée : les tentatives déjà recorrigées ne le seront pas deux fois."))
        else:
            messages.error(request, gettext("Cette recorrection est déjà terminée."))
        return redirect("question_bank:regrade_status", regrade_id=regrade.pk)
