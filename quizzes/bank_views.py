"""The question bank's own admin screens, beside each type's snippet screens: every
question in one listing, a type picker before "new question", a copy of a question, and
a preview as the learner sees it. Each asks the snippet permissions Wagtail already
checks for the type concerned (the trainers' group holds them: learners/roles.py)."""

import django_filters
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.http import urlencode
from django.utils.text import Truncator
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import TemplateView
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.tables import Column, DateColumn, TitleColumn
from wagtail.admin.views.generic import IndexView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.base import ViewSet
from wagtail.admin.widgets import Button, HeaderButton
from wagtail.permissions import policy_registry
from wagtail.snippets.views.snippets import EditView

from quizzes.bank import (
    bank_questions,
    duplicate_question,
    question_types_by_content_type,
    quizzes_using,
    right_answer_score,
    tags_in_use,
)
from quizzes.models import Question, format_decimal
from quizzes.regrading import regrade_offer
from quizzes.selectors import AskedQuestion, with_html

ANY_SNIPPET_PERMISSION = ("add", "change", "delete", "view")


def can(user, action, model):
    """Whether `user` holds the snippet permission `action` on the question type `model`."""
    return policy_registry.get_by_type(model).user_has_permission(user, action)


def can_import(user):
    """Whether `user` may import GIFT files into the bank (quizzes.gift_views)."""
    return user.has_perm("quizzes.import_questions")


def types_allowed(user, actions=ANY_SNIPPET_PERMISSION):
    """The question types on which `user` holds one of the snippet permissions `actions`."""
    return [model for model in Question.types()
            if policy_registry.get_by_type(model).user_has_any_permission(user, actions)]


def type_url(model, view_name, *args):
    return reverse(model.snippet_viewset.get_url_name(view_name), args=args)


def specific_question(request, question_id, actions):
    """The question `question_id` as its own type, if `request.user` holds one of the
    snippet permissions `actions` on that type; PermissionDenied otherwise."""
    question = get_object_or_404(Question.objects.all(), pk=question_id)
    if not policy_registry.get_by_type(type(question)).user_has_any_permission(request.user, actions):
        raise PermissionDenied
    return question


class QuestionBankFilterSet(WagtailFilterSet):
    question_type = django_filters.ChoiceFilter(
        label=_("Type"), field_name="polymorphic_ctype", empty_label=_("Tous les types"),
        choices=lambda: [(pk, model._meta.verbose_name) for pk, model in question_types_by_content_type().items()],
    )
    tag = django_filters.ChoiceFilter(
        label=_("Thème"), empty_label=_("Tous les thèmes"),
        choices=lambda: [(tag, tag) for tag in tags_in_use()],
    )

    class Meta:
        model = Question
        fields = []


class QuizzesColumn(Column):
    """How many quizzes ask the question, and which (links to their editor)."""

    cell_template_name = "quizzes/admin/quizzes_cell.html"


class ActionsColumn(Column):
    """Preview, and duplicate (a small POST form, so the cell carries the CSRF token)."""

    cell_template_name = "quizzes/admin/actions_cell.html"

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        context["question"] = instance
        context["csrf_token"] = get_token(parent_context["request"])
        return context


class SeesTheBank:
    """A view over the whole bank: refused to whoever may see no question type; `types`
    are those the user may see."""

    def dispatch(self, request, *args, **kwargs):
        if not types_allowed(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def types(self):
        """{content type id: question type} the user may see."""
        allowed = set(types_allowed(self.request.user))
        return {pk: model for pk, model in question_types_by_content_type().items() if model in allowed}


class QuestionBankIndexView(SeesTheBank, IndexView):
    """Every question of every type the trainer may see, one query for the rows and one
    for the quizzes of the page shown, whatever their number."""

    model = Question
    permission_policy = None  # per type: see dispatch
    any_permission_required = None
    page_title = _("Toutes les questions")
    header_icon = "help"
    filterset_class = QuestionBankFilterSet
    search_fields = ["prompt", "tag"]
    search_backend_name = None  # the ORM's icontains: Question is not in the search index
    paginate_by = 50

    def get_base_queryset(self):
        return bank_questions().filter(polymorphic_ctype_id__in=list(self.types))

    @cached_property
    def columns(self):
        return [
            TitleColumn("prompt", label=_("Énoncé"), accessor=lambda q: Truncator(q.prompt).chars(90),
                        get_url=lambda q: q.edit_url, sort_key="prompt"),
            Column("type", label=_("Type"), accessor="type_label"),
            Column("tag", label=_("Thème"), sort_key="tag"),
            Column("points", label=_("Points"), sort_key="points"),
            QuizzesColumn("usage_count", label=_("Utilisée dans"), sort_key="usage_count"),
            DateColumn("updated_at", label=_("Modifiée"), sort_key="updated_at"),
            ActionsColumn("actions", label=_("Actions")),
        ]

    def paginate_queryset(self, queryset, page_size):
        paginator, page, rows, is_paginated = super().paginate_queryset(queryset, page_size)
        rows = list(rows)
        uses = quizzes_using(row.pk for row in rows)
        user = self.request.user
        for row in rows:
            model = self.types[row.polymorphic_ctype_id]
            row.type_label = model._meta.verbose_name
            row.edit_url = type_url(model, "edit", row.pk) if can(user, "change", model) else None
            row.preview_url = reverse("question_bank:preview", args=[row.pk])
            row.duplicate_url = reverse("question_bank:duplicate", args=[row.pk]) if can(user, "add", model) else None
            row.quizzes = [(use.title, reverse("wagtailadmin_pages:edit", args=[use.quiz_id])) for use in uses[row.pk]]
        return paginator, page, rows, is_paginated

    @cached_property
    def header_buttons(self):
        """New question, GIFT import, and the GIFT download of the theme shown (or of all)."""
        user, buttons = self.request.user, []
        if types_allowed(user, ["add"]):
            buttons.append(HeaderButton(_("Nouvelle question"), url=reverse("question_bank:new"), icon_name="plus"))
        if can_import(user):
            buttons.append(HeaderButton(_("Importer (GIFT)"), url=reverse("gift:upload"), icon_name="upload"))
        tag = self.request.GET.get("tag", "")
        export_url = reverse("gift:export_theme") + (f"?{urlencode({'tag': tag})}" if tag else "")
        label = _("Exporter ce thème (GIFT)") if tag else _("Exporter la banque (GIFT)")
        buttons.append(HeaderButton(label, url=export_url, icon_name="download"))
        return buttons


class QuestionTypePickerView(WagtailAdminTemplateMixin, TemplateView):
    """"Nouvelle question": the trainer picks the type first, then writes it."""

    template_name = "quizzes/admin/type_picker.html"
    page_title = _("Nouvelle question")
    header_icon = "help"

    def dispatch(self, request, *args, **kwargs):
        if not types_allowed(request.user, ["add"]):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["question_types"] = [
            {"label": model._meta.verbose_name, "description": model.description, "url": type_url(model, "add")}
            for model in types_allowed(self.request.user, ["add"])
        ]
        return context


class DuplicateQuestionView(WagtailAdminTemplateMixin, View):
    """GET asks to confirm; POST copies the question and its options, then opens the copy's editor."""

    template_name = "quizzes/admin/confirm_duplicate.html"
    header_icon = "copy"

    def get_page_title(self):
        return gettext("Dupliquer une question")

    def get(self, request, question_id):
        question = specific_question(request, question_id, ["add"])
        context = self.get_context_data(question=question, type_label=type(question)._meta.verbose_name)
        return TemplateResponse(request, self.template_name, context)

    def post(self, request, question_id):
        question = specific_question(request, question_id, ["add"])
        copy = duplicate_question(question)
        messages.success(request, gettext("Copie créée : relisez-la puis enregistrez-la."))
        return redirect(type_url(type(copy), "edit", copy.pk))


class QuestionPreviewView(TemplateView):
    """The question exactly as a learner sees it in an attempt (the learner's template and
    the site's style sheet), and what a right answer scores, by the type's own grading."""

    template_name = "quizzes/admin/preview.html"

    def get_context_data(self, question_id, **kwargs):
        question = specific_question(self.request, question_id, ANY_SNIPPET_PERMISSION)
        model = type(question)
        question = model.objects.prefetch_related(*model.prefetch).get(pk=question.pk)
        item = with_html([AskedQuestion(number=1, question=question, options=question.options())])[0]
        score = right_answer_score(question)
        return {
            **super().get_context_data(**kwargs),
            "question": question,
            "type_label": model._meta.verbose_name,
            "item": item,
            "right_answer": reviewed_sentence(question) if question.graded_by_a_person else right_answer_sentence(score),
            "correct_answer_text": question.correct_answer_text() if score is not None else "",
            "edit_url": type_url(model, "edit", question.pk) if can(self.request.user, "change", model) else None,
            "bank_url": reverse("question_bank:index"),
        }


def reviewed_sentence(question):
    return ngettext(
        "Une personne lit et note chaque réponse, jusqu'à %(points)s point.",
        "Une personne lit et note chaque réponse, jusqu'à %(points)s points.", question.points,
    ) % {"points": question.points}


def right_answer_sentence(score):
    if score is None:
        return gettext("Aucune réponse juste n'est possible : vérifiez les réponses attendues de cette question.")
    count = int(score) if score == int(score) else 2
    return ngettext(
        "Une réponse juste rapporte %(points)s point.", "Une réponse juste rapporte %(points)s points.", count
    ) % {"points": format_decimal(score)}


class QuestionEditView(EditView):
    """A type's own editor, with the bank's preview, duplicate and regrade among its
    actions. Saving a new answer key for a question that graded attempts answered leads
    to the regrade's confirmation (quizzes.regrading.regrade_offer)."""

    def get_success_url(self):
        if regrade_offer(self.object):
            return reverse("question_bank:regrade", args=[self.object.pk])
        return super().get_success_url()

    @cached_property
    def header_more_buttons(self):
        buttons = list(super().header_more_buttons)
        buttons.append(Button(_("Aperçu"), url=reverse("question_bank:preview", args=[self.object.pk]),
                              icon_name="view", priority=40))
        if self.user_has_permission("add"):
            buttons.append(Button(_("Dupliquer"), url=reverse("question_bank:duplicate", args=[self.object.pk]),
                                  icon_name="copy", priority=50))
        buttons.append(Button(_("Recorriger les tentatives"), url=reverse("question_bank:regrade", args=[self.object.pk]),
                              icon_name="redirect", priority=60))
        return buttons


class QuestionBankViewSet(ViewSet):
    """The first item of the "Banque de questions" menu and the screens it leads to."""

    name = "question_bank"
    url_prefix = "banque-de-questions"
    icon = "list-ul"
    menu_label = _("Toutes les questions")
    model = Question  # the menu group names its app from its items' models

    def get_urlpatterns(self):
        from quizzes.views_regrade import RegradeConfirmView, RegradeStatusView  # they use this module's helpers

        index = QuestionBankIndexView.as_view(
            index_url_name="question_bank:index", index_results_url_name="question_bank:index_results"
        )
        results = QuestionBankIndexView.as_view(
            index_url_name="question_bank:index", index_results_url_name="question_bank:index_results",
            results_only=True,
        )
        return [
            path("", index, name="index"),
            path("resultats/", results, name="index_results"),
            path("nouvelle/", QuestionTypePickerView.as_view(), name="new"),
            path("<id:question_id>/dupliquer/", DuplicateQuestionView.as_view(), name="duplicate"),
            path("<id:question_id>/apercu/", QuestionPreviewView.as_view(), name="preview"),
            path("<id:question_id>/recorriger/", RegradeConfirmView.as_view(), name="regrade"),
            path("recorrection/<id:regrade_id>/", RegradeStatusView.as_view(), name="regrade_status"),
        ]

    @cached_property
    def menu_item_class(self):
        return QuestionBankMenuItem


class QuestionBankMenuItem(MenuItem):
    """Shown to whoever may see questions of at least one type."""

    def is_shown(self, request):
        return bool(types_allowed(request.user))
