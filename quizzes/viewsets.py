"""The question bank in the Wagtail admin: every question in one listing first (see
quizzes.bank_views), the GIFT import (quizzes.gift_views), the essays' review queue
(quizzes.views_reviews), then one snippet screen per question type, grouped under one menu.
Each type edits its own options inline (choices, pairs, items)."""

from django.utils.translation import gettext_lazy as _
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from quizzes.bank_views import QuestionBankViewSet, QuestionEditView
from quizzes.gift_views import GiftViewSet
from quizzes.models import Question
from quizzes.views_reviews import ReviewsViewSet


class QuestionTypeViewSet(SnippetViewSet):
    """The screens of one question type, given as `model`. Its menu label is Wagtail's:
    the type's plural name, capitalised lazily, so translated whenever it is shown."""

    icon = "help"
    list_display = ["prompt", "tag", "points", "updated_at"]
    list_filter = ["tag"]
    search_fields = ["prompt", "tag"]
    ordering = ["tag", "prompt"]
    edit_view_class = QuestionEditView


class QuestionBank(SnippetViewSetGroup):
    menu_label = _("Banque de questions")
    menu_icon = "help"
    menu_order = 300
    items = [
        QuestionBankViewSet(), GiftViewSet(), ReviewsViewSet(),
        *(QuestionTypeViewSet(model=model) for model in Question.types()),
    ]
