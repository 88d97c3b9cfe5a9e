"""The trainers' review queue in the Wagtail admin ("Relectures", in the question bank's
menu): essay answers awaiting review, oldest submission first, by course; the review
screen scores and comments one (quizzes.reviews). Only reviewers (quizzes.reviews.
can_review) see them; anyone else is refused."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import TemplateView
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.sidebar import LinkMenuItem
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.base import ViewSet

from quizzes import reviews
from quizzes.grading import parse_number, parse_whole_number
from quizzes.models import format_decimal
from quizzes.selectors import answers_awaiting_review, review_courses

QUEUE_PAGE_SIZE = 50


class ReviewScreen(WagtailAdminTemplateMixin):
    """A screen of the review queue: for reviewers only, under "Relectures"."""

    header_icon = "edit"

    def dispatch(self, request, *args, **kwargs):
        if not reviews.can_review(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [{"url": reverse("reviews:index"), "label": gettext("Relectures")}]


class ReviewQueueView(ReviewScreen, TemplateView):
    """Answers awaiting review, oldest submission first; `?course=<id>` keeps one course's."""

    template_name = "quizzes/admin/review_queue.html"
    page_title = _("Relectures")

    def get_context_data(self, **kwargs):
        courses = review_courses()
        course = courses.get(parse_course(self.request.GET.get("course")))
        queue = answers_awaiting_review(course=course)
        page = Paginator(queue, QUEUE_PAGE_SIZE).get_page(self.request.GET.get("p"))
        return {
            **super().get_context_data(**kwargs),
            "courses": courses.values(), "course": course, "page": page, "count": page.paginator.count,
            "unknown_course": bool(self.request.GET.get("course")) and course is None,
        }


def parse_course(raw):
    """A course id from the filter (ASCII digits only); None for anything else."""
    return parse_whole_number(raw) if raw else None


class ReviewForm(forms.Form):
    score = forms.CharField(label=_("Note"), max_length=20, error_messages={"required": _("Donnez une note.")})
    comment = forms.CharField(
        label=_("Commentaire pour l'apprenant·e"), required=False, max_length=reviews.MAX_COMMENT_CHARACTERS,
        widget=forms.Textarea(attrs={"rows": 6}),
    )

    def __init__(self, *args, max_score, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_score = max_score
        self.fields["score"].label = gettext("Note (de 0 à %(max)s points)") % {"max": format_decimal(max_score)}
        self.fields["score"].help_text = gettext("Un nombre, virgule ou point acceptés : 1,5 ou 1.5.")
        self.fields["score"].widget.attrs.update({"inputmode": "decimal", "autocomplete": "off"})

    def clean_score(self):
        try:
            return reviews.checked_score(parse_number(self.cleaned_data["score"]), self.max_score)
        except reviews.InvalidScore as refusal:
            raise forms.ValidationError(refusal.message) from None


class ReviewAnswerView(ReviewScreen, View):
    """GET: the prompt, rubric, word limit and the learner's text, with the review form.
    POST: the review saved (then back to the queue), or the form again with what was typed."""

    template_name = "quizzes/admin/review_answer.html"
    page_title = _("Relire une réponse")

    def get_breadcrumbs_items(self):
        return super().get_breadcrumbs_items() + [{"url": "", "label": self.get_page_title()}]

    def get(self, request, answer_id):
        item = reviews.answer_to_review(answer_id)
        return self.render(item, ReviewForm(max_score=item.answer.max_score))

    def post(self, request, answer_id):
        item = reviews.answer_to_review(answer_id)
        form = ReviewForm(request.POST, max_score=item.answer.max_score)
        if not form.is_valid():
            return self.render(item, form, status=400)
        try:
            reviews.review_answer(reviewer=request.user, answer_id=item.answer.pk,
                                  score=form.cleaned_data["score"], comment=form.cleaned_data["comment"])
        except reviews.AlreadyReviewed as refusal:  # shown with the first review and what was typed here
            return self.render(reviews.answer_to_review(answer_id), form, refusal=refusal, status=409)
        messages.success(request, gettext("Relecture enregistrée."))
        return redirect("reviews:index")

    def render(self, item, form, refusal=None, status=200):
        context = self.get_context_data(item=item, form=form, refusal=refusal)
        return TemplateResponse(self.request, self.template_name, context, status=status)


class ReviewsViewSet(ViewSet):
    """The "Relectures" item of the question bank's menu and the screens it leads to."""

    name = "reviews"
    url_prefix = "relectures"
    icon = "edit"
    menu_label = _("Relectures")

    def get_urlpatterns(self):
        return [
            path("", ReviewQueueView.as_view(), name="index"),
            path("<id:answer_id>/", ReviewAnswerView.as_view(), name="review"),
        ]

    @cached_property
    def menu_item_class(self):
        return ReviewsMenuItem


class ReviewsMenuItem(MenuItem):
    """Shown to reviewers, with how many answers await review (one query)."""

    def is_shown(self, request):
        return reviews.can_review(request.user)

    def render_component(self, request):
        count = answers_awaiting_review().count()
        label = gettext("%(label)s (%(count)s en attente)") % {"label": self.label, "count": count} if count else self.label
        return LinkMenuItem(self.name, label, self.url, icon_name=self.icon_name, classname=self.classname,
                            attrs=self.attrs)

