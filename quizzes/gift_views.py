"""GIFT in the bank's admin: upload a file, preview every question and error, confirm to
import it whole (quizzes.gift_import); download a quiz or a theme as GIFT.

Between preview and confirm the uploaded text waits in the trainer's session, compressed
and bounded; the confirm reads it again from there (never from the form), imports only
the very text that was previewed, and takes it out of the session in the same transaction:
a file is imported once, however many times its confirmation is sent."""

import base64
import hashlib
import zlib

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.text import slugify
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views import View
from wagtail.admin.menu import MenuItem
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.base import ViewSet

from learners.models import User
from quizzes import gift
from quizzes.bank import right_answer_score
from quizzes.bank_views import can_import, right_answer_sentence, types_allowed
from quizzes.gift_import import ImportRefused, export_questions, import_questions, read_file
from quizzes.models import Question, QuizPage
from quizzes.selectors import AskedQuestion, load_questions

SESSION_KEY = "gift_import"
MAX_KEPT_BYTES = 4 * 1024 * 1024  # the compressed text kept in a session between preview and confirm


def require_import_permission(request):
    if not can_import(request.user):
        raise PermissionDenied


class GiftUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Fichier GIFT"),
        help_text=_("Un fichier texte au format GIFT de Moodle, en UTF-8, de 10 Mo au plus."),
    )

    def clean_file(self):
        uploaded = self.cleaned_data["file"]
        if uploaded.size > gift.MAX_BYTES:
            raise forms.ValidationError(gettext("Le fichier dépasse 10 Mo : découpez-le en plusieurs fichiers."))
        return uploaded


# --- The uploaded text in the session ------------------------------------------------------


def keep_upload(session, name, data):
    """Keep `data` (the file's bytes) in `session` for the preview and the confirm; False
    when even compressed it is too large to keep."""
    packed = zlib.compress(data, level=6)
    if len(packed) > MAX_KEPT_BYTES:
        return False
    session[SESSION_KEY] = {
        "name": name[:200], "data": base64.b64encode(packed).decode("ascii"),
        "digest": hashlib.sha256(data).hexdigest(),
    }
    return True


def kept_upload(session):
    """(file name, bytes, digest) of the file kept in `session`, or None."""
    kept = session.get(SESSION_KEY)
    if not kept:
        return None
    data = zlib.decompress(base64.b64decode(kept["data"]))
    return kept["name"], data, kept["digest"]


# --- Screens -------------------------------------------------------------------------------


class GiftScreen(WagtailAdminTemplateMixin, View):
    """A screen of the import: for those who may import, under "Toutes les questions"."""

    header_icon = "upload"

    def dispatch(self, request, *args, **kwargs):
        require_import_permission(request)
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse("question_bank:index"), "label": gettext("Toutes les questions")},
            {"url": "", "label": self.get_page_title()},
        ]


class GiftUploadView(GiftScreen):
    """Step 1: the trainer sends a file; it is kept in the session, then previewed."""

    template_name = "quizzes/admin/gift_upload.html"
    page_title = _("Importer des questions (GIFT)")

    def get(self, request):
        return self.render(GiftUploadForm())

    def post(self, request):
        form = GiftUploadForm(request.POST, request.FILES)
        if form.is_valid():
            uploaded = form.cleaned_data["file"]
            if keep_upload(request.session, uploaded.name, uploaded.read()):
                return redirect("gift:preview")
            form.add_error("file", gettext("Le fichier est trop volumineux pour être prévisualisé : découpez-le."))
        return self.render(form, status=400)

    def render(self, form, status=200):
        context = self.get_context_data(form=form)
        return TemplateResponse(self.request, self.template_name, context, status=status)


class PreviewItem:
    """A question of the file as the learner will see it, with where it comes from."""

    def __init__(self, number, read):
        question = read.question
        options = question.options()
        # Unsaved: numbers stand in for ids, so that each input has its own label.
        question.pk = number
        for index, option in enumerate(options, start=1):
            option.pk = index
        self.line = read.line
        self.question = question
        self.type_label = type(question)._meta.verbose_name
        asked = AskedQuestion(number=number, question=question, options=options)
        self.html = mark_safe(render_to_string("quizzes/includes/asked_question.html", {"item": asked}))
        score = right_answer_score(question)
        self.right_answer = right_answer_sentence(score)
        self.correct_answer_text = question.correct_answer_text() if score is not None else ""


class GiftPreviewView(GiftScreen):
    """Step 2: every question of the kept file as the learner will see it, every error and
    left-out text with its line; POST imports the kept file whole, or nothing."""

    template_name = "quizzes/admin/gift_preview.html"
    page_title = _("Aperçu de l'import GIFT")

    def get(self, request):
        kept = kept_upload(request.session)
        if kept is None:
            messages.error(request, gettext("Aucun fichier à importer : envoyez d'abord un fichier GIFT."))
            return redirect("gift:upload")
        name, data, digest = kept
        read = read_file(data)
        context = self.get_context_data(
            file_name=name, digest=digest, read=read,
            items=[PreviewItem(number, item) for number, item in enumerate(read.questions, start=1)],
        )
        return TemplateResponse(request, self.template_name, context)

    def post(self, request):
        with transaction.atomic():
            kept = kept_upload(session_as_stored(request))
            if kept is None:  # imported meanwhile (a second click), or never sent
                request.session.pop(SESSION_KEY, None)  # not written back from a copy read earlier
                messages.error(request, gettext("Aucun fichier à importer : envoyez d'abord un fichier GIFT."))
                return redirect("gift:upload")
            if request.POST.get("digest") != kept[2]:
                messages.error(request, gettext(
                    "Ce fichier n'est plus celui de l'aperçu (un autre a été envoyé depuis) : vérifiez l'aperçu puis confirmez."
                ))
                return redirect("gift:preview")
            try:
                created = import_questions(read_file(kept[1]))
            except ImportRefused as refusal:
                messages.error(request, refusal.message)
                return redirect("gift:preview")
            request.session.pop(SESSION_KEY, None)
            request.session.save()  # before the lock is released: a confirmation waiting on it finds no file
        messages.success(request, imported_message(created))
        return redirect("question_bank:index")


def session_as_stored(request):
    """The trainer's session as its row holds it now, read while the trainer's row is
    locked (inside the caller's transaction): two confirmations sent at once take turns,
    and the second reads what the first left, not the copy it loaded when it began."""
    User.objects.select_for_update().filter(pk=request.user.pk).values_list("pk", flat=True).first()
    return type(request.session)(request.session.session_key)


def imported_message(created):
    """The success message: how many questions, and a link to each theme they were given."""
    tags = sorted({question.tag for question in created if question.tag})
    count = ngettext("%(count)s question importée.", "%(count)s questions importées.", len(created)) % {
        "count": len(created)
    }
    if not tags:
        return count
    bank = reverse("question_bank:index")
    links = format_html_join(", ", '<a href="{}">{}</a>', ((f"{bank}?{urlencode({'tag': tag})}", tag) for tag in tags))
    return format_html("{} {} {}", count, gettext("Voir dans la banque :"), links)


# --- Export ------------------------------------------------------------------------------


def gift_download(text, name):
    response = HttpResponse(text, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.gift.txt"'
    return response


def exportable(user, questions):
    """The bank questions among `questions` whose type `user` may see."""
    allowed = set(types_allowed(user))
    return [question for question in questions if type(question) in allowed]


class ExportThemeView(View):
    """The bank's questions of one theme (`?tag=`), or of the whole bank without it, as GIFT."""

    def get(self, request):
        if not types_allowed(request.user):
            raise PermissionDenied
        tag = request.GET.get("tag", "")
        rows = Question.objects.non_polymorphic().filter(tag=tag) if tag else Question.objects.non_polymorphic()
        ids = list(rows.order_by("tag", "prompt", "pk").values_list("pk", flat=True))
        questions = exportable(request.user, load_questions(ids))
        return gift_download(export_questions(questions), slugify(tag) or "banque")


class ExportQuizView(View):
    """The questions of a quiz, in its order, as GIFT; for those who may edit the quiz."""

    def get(self, request, quiz_id):
        quiz = get_object_or_404(QuizPage, pk=quiz_id)
        if not quiz.permissions_for_user(request.user).can_edit() or not types_allowed(request.user):
            raise PermissionDenied
        ids = list(quiz.quiz_questions.order_by("sort_order", "pk").values_list("question_id", flat=True))
        questions = exportable(request.user, load_questions(ids))
        return gift_download(export_questions(questions), slugify(quiz.title) or "quiz")


class GiftViewSet(ViewSet):
    """"Importer (GIFT)" in the "Banque de questions" menu, and the GIFT downloads."""

    name = "gift"
    url_prefix = "banque-de-questions/gift"
    icon = "upload"
    menu_label = _("Importer (GIFT)")
    model = Question  # the menu group names its app from its items' models

    def get_urlpatterns(self):
        return [
            path("", GiftUploadView.as_view(), name="upload"),
            path("apercu/", GiftPreviewView.as_view(), name="preview"),
            path("exporter/", ExportThemeView.as_view(), name="export_theme"),
            path("quiz/<id:quiz_id>/", ExportQuizView.as_view(), name="export_quiz"),
        ]

    @cached_property
    def menu_item_class(self):
        return GiftMenuItem


class GiftMenuItem(MenuItem):
    """Shown to whoever may import questions."""

    def is_shown(self, request):
        return can_import(request.user)
