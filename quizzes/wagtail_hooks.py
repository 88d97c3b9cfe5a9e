from wagtail import hooks
from wagtail.snippets.models import register_snippet

from quizzes.chooser import question_chooser_viewset
from quizzes.viewsets import QuestionBank

register_snippet(QuestionBank)


@hooks.register("register_admin_viewset")
def register_question_chooser():
    return question_chooser_viewset


# --- A quiz's item statistics (quizzes.statistics) and GIFT download (quizzes.gift_views) ---

# Imported here, with the hooks they serve, so that this section stands on its own.
from django.urls import path, reverse  # noqa: E402
from django.utils.translation import gettext_lazy as _  # noqa: E402
from wagtail.admin.widgets import Button  # noqa: E402
from wagtail.models import Page  # noqa: E402

from quizzes import views_statistics  # noqa: E402
from quizzes.models import QuizPage  # noqa: E402


@hooks.register("register_admin_urls")
def register_quiz_statistics_url():
    return [path("quiz/<id:quiz_id>/statistiques/", views_statistics.quiz_statistics, name="quiz_statistics")]


def quiz_buttons(page, user, priority):
    """A quiz's item statistics and the GIFT download of its questions (quizzes.gift_views),
    for those who may edit it; nothing on other pages."""
    if issubclass(page.specific_class or Page, QuizPage) and views_statistics.can_read_statistics(user, page):
        yield Button(
            _("Statistiques des questions"), reverse("quiz_statistics", args=[page.pk]), icon_name="table", priority=priority
        )
        yield Button(
            _("Exporter les questions (GIFT)"), reverse("gift:export_quiz", args=[page.pk]), icon_name="download",
            priority=priority + 1,
        )


@hooks.register("register_page_header_buttons")
def quiz_header_buttons(page, user, view_name, next_url=None):
    yield from quiz_buttons(page, user, priority=66)


@hooks.register("register_page_listing_more_buttons")
def quiz_listing_buttons(page, user, next_url=None):
    yield from quiz_buttons(page, user, priority=55)
