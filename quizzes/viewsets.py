"""The question bank in the Wagtail admin: one snippet screen per question type, grouped
under one menu. Each type edits its own options inline (choices, pairs, items)."""

from django.utils.translation import gettext_lazy as _
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from quizzes.models import QUESTION_TYPES


def question_viewset(model):
    return type(
        f"{model.__name__}ViewSet",
        (SnippetViewSet,),
        {
            "model": model,
            "icon": "help",
            "menu_label": model._meta.verbose_name_plural.capitalize(),
            "list_display": ["prompt", "tag", "points", "updated_at"],
            "list_filter": ["tag"],
            "search_fields": ["prompt", "tag"],
            "ordering": ["tag", "prompt"],
        },
    )


class QuestionBank(SnippetViewSetGroup):
    menu_label = _("Banque de questions")
    menu_icon = "help"
    menu_order = 300
    items = [question_viewset(model) for model in QUESTION_TYPES]
