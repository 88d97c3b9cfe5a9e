"""The question chooser of the quiz editor (a Wagtail ChooserViewSet over the polymorphic
Question): every type the trainer may see, filtered by type and theme, searched by prompt
or theme, each row with its real type's label; and a "Nouvelle question" tab writing a
question of the common types without leaving the quiz. The types whose answers do not fit
one line each (pairs, numbers, triage…) are written in their own editor, linked from it."""

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.text import Truncator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms.choosers import BaseFilterForm
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.admin.views.generic import chooser as chooser_views
from wagtail.admin.viewsets.chooser import ChooserViewSet

from quizzes.bank import create_question, tags_in_use
from quizzes.bank_views import SeesTheBank, type_url, types_allowed
from quizzes.grading import parse_whole_number
from quizzes.models import Question
from quizzes.models.questions import Choice

MAX_ANSWER_LINES = 20


def choice_lines(lines, *, single):
    """Plain choices from lines of text, a right one marked by a leading "*"."""
    choices = [{"text": line.lstrip("*").strip(), "correct": line.startswith("*")} for line in lines]
    if len(choices) < 2 or any(not choice["text"] for choice in choices):
        raise ValidationError(gettext("Écrivez au moins deux réponses proposées, une par ligne."))
    longest = Choice._meta.get_field("text").max_length
    if any(len(choice["text"]) > longest for choice in choices):
        raise ValidationError(gettext("Une réponse proposée tient en %(max)s caractères au plus.") % {"max": longest})
    right = sum(choice["correct"] for choice in choices)
    if single and right != 1:
        raise ValidationError(gettext("Marquez d'un « * » en début de ligne une seule bonne réponse."))
    if not right:
        raise ValidationError(gettext("Marquez d'un « * » en début de ligne au moins une bonne réponse."))
    return {"choices": choices}


def accepted_lines(lines):
    if not lines:
        raise ValidationError(gettext("Écrivez au moins une réponse acceptée."))
    return {"accepted": lines}


# The types written in the chooser: their answers, one per line, as plain data (the
# format of Question.fields_from / options_from).
QUICK_TYPES = {
    "single_choice": lambda lines: choice_lines(lines, single=True),
    "multiple_choice": lambda lines: choice_lines(lines, single=False),
    "short_answer": accepted_lines,
}


class QuickQuestionForm(forms.Form):
    """A new question of a common type, its answers one per line."""

    question_type = forms.ChoiceField(label=_("Type"))
    prompt = forms.CharField(label=_("Énoncé"), widget=forms.Textarea(attrs={"rows": 3}))
    answers = forms.CharField(
        label=_("Réponses"), widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Une par ligne. Choix unique ou multiple : les réponses proposées, chaque bonne réponse "
                    "précédée de « * ». Réponse courte : les réponses acceptées."),
    )
    points = forms.IntegerField(label=_("Points"), min_value=1, max_value=100, initial=1)
    tag = forms.CharField(label=_("Thème"), max_length=60, required=False)
    explanation = forms.CharField(label=_("Explication"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
                                  help_text=_("Montrée après la correction."))

    def __init__(self, *args, types=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["question_type"].choices = [(model.kind, model._meta.verbose_name) for model in types]

    def clean(self):
        data = super().clean()
        if "question_type" in data and "answers" in data:
            lines = [line.strip() for line in data["answers"].splitlines() if line.strip()]
            if len(lines) > MAX_ANSWER_LINES:
                self.add_error("answers", gettext("Vingt réponses au plus."))
            else:
                try:
                    data["options"] = QUICK_TYPES[data["question_type"]](lines)
                except ValidationError as error:
                    self.add_error("answers", error)
        return data

    def save(self):
        data = self.cleaned_data
        return create_question({
            "type": data["question_type"], "prompt": data["prompt"].strip(), "points": data["points"],
            "tag": data["tag"].strip(), "explanation": data["explanation"].strip(), **data["options"],
        })


class QuestionFilterForm(BaseFilterForm):
    """Search (prompt or theme), type and theme of the chooser's listing."""

    q = forms.CharField(label=_("Rechercher"), required=False,
                        widget=forms.TextInput(attrs={"placeholder": _("Énoncé ou thème")}))
    question_type = forms.TypedChoiceField(
        label=_("Type"), required=False, coerce=int, empty_value=None,
        widget=forms.Select(attrs={"data-chooser-modal-search-filter": True}),
    )
    tag = forms.ChoiceField(label=_("Thème"), required=False,
                            widget=forms.Select(attrs={"data-chooser-modal-search-filter": True}))

    def __init__(self, *args, types=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["question_type"].choices = [("", _("Tous les types"))] + [
            (pk, model._meta.verbose_name) for pk, model in (types or {}).items()
        ]
        self.fields["tag"].choices = [("", _("Tous les thèmes"))] + [
            (tag, tag) for tag in tags_in_use()
        ]

    def filter(self, objects):
        data = self.cleaned_data
        if data.get("q"):
            self.is_searching, self.search_query = True, data["q"]
            objects = objects.filter(Q(prompt__icontains=data["q"]) | Q(tag__icontains=data["q"]))
        if data.get("question_type"):
            objects = objects.filter(polymorphic_ctype_id=data["question_type"])
        if data.get("tag"):
            objects = objects.filter(tag=data["tag"])
        return objects


class QuestionChooserMixin(SeesTheBank):
    """What the chooser's views share: the types the trainer may see (SeesTheBank), and
    those they may write here."""

    @cached_property
    def quick_types(self):
        return [model for model in types_allowed(self.request.user, ["add"]) if model.kind in QUICK_TYPES]

    def can_create(self):
        return bool(self.quick_types)

    def get_creation_form_kwargs(self):
        # Prefixed: the listing's filters share the modal (and names such as "tag").
        return {**super().get_creation_form_kwargs(), "types": self.quick_types, "prefix": "new"}

    def get_creation_form_context_data(self, form):
        context = super().get_creation_form_context_data(form)
        other = [model for model in types_allowed(self.request.user, ["add"]) if model.kind not in QUICK_TYPES]
        context["other_types"] = [(model._meta.verbose_name, type_url(model, "add")) for model in other]
        return context


class QuestionChooseViewMixin(QuestionChooserMixin):
    per_page = 20

    def get_object_list(self):
        return Question.objects.non_polymorphic().filter(polymorphic_ctype_id__in=list(self.types)).order_by("tag", "prompt", "pk")

    def get_filter_form(self):
        return QuestionFilterForm(self.request.GET, types=self.types)

    @property
    def columns(self):
        return [
            TitleColumn(
                "prompt", label=_("Énoncé"), accessor=lambda q: Truncator(q.prompt).chars(90),
                get_url=lambda q: self.append_preserved_url_parameters(reverse(self.chosen_url_name, args=[q.pk])),
                link_attrs={"data-chooser-modal-choice": True},
            ),
            Column("type", label=_("Type"), accessor=lambda q: self.types[q.polymorphic_ctype_id]._meta.verbose_name),
            Column("tag", label=_("Thème")),
            Column("points", label=_("Points")),
        ]


class QuestionChooseView(QuestionChooseViewMixin, chooser_views.ChooseView):
    creation_form_template_name = "quizzes/admin/chooser_creation_form.html"


class QuestionChooseResultsView(QuestionChooseViewMixin, chooser_views.ChooseResultsView):
    pass


class QuestionChosenView(QuestionChooserMixin, chooser_views.ChosenView):
    def get_object(self, pk):
        """The question as its own type, if it is one the user may see; 404 for an id that
        is no database id (never a 500) or any other question."""
        pk = parse_whole_number(pk)
        if pk is None:
            raise Http404
        question = Question.objects.filter(pk=pk, polymorphic_ctype_id__in=list(self.types)).first()
        if question is None:
            raise Http404
        return question


class QuestionCreateView(QuestionChooserMixin, chooser_views.CreateView):
    creation_form_template_name = "quizzes/admin/chooser_creation_form.html"


class QuestionChooserViewSet(ChooserViewSet):
    """The chooser of QuizQuestion.question (its widget is registered for every foreign
    key to Question)."""

    model = Question
    icon = "help"
    choose_one_text = _("Choisir une question")
    choose_another_text = _("Choisir une autre question")
    edit_item_text = _("Modifier la question")
    page_title = _("Choisir une question")
    search_tab_label = _("Banque de questions")
    creation_tab_label = _("Nouvelle question")
    create_action_label = _("Créer et choisir")
    creation_form_class = QuickQuestionForm
    choose_view_class = QuestionChooseView
    choose_results_view_class = QuestionChooseResultsView
    chosen_view_class = QuestionChosenView
    create_view_class = QuestionCreateView
    preserve_url_parameters = []  # one question per row of the quiz: no multiple choice


question_chooser_viewset = QuestionChooserViewSet("question_chooser", url_prefix="quizzes/choisir-une-question")
