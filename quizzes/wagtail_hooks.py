from wagtail.snippets.models import register_snippet

from quizzes.viewsets import QuestionBank

register_snippet(QuestionBank)


# --- Item statistics of a quiz (quizzes.statistics) ---------------------------------------

# Imported here, with the hooks they serve, so that this section stands on its own.
from django.urls import path, reverse  # noqa: E402
from django.utils.translation import gettext_lazy as _  # noqa: E402
from wagtail import hooks  # noqa: E402
from wagtail.admin.widgets import Button  # noqa: E402
from wagtail.models import Page  # noqa: E402

from quizzes import views_statistics  # noqa: E402
from quizzes.models import QuizPage  # noqa: E402


@hooks.register("register_admin_urls")
def register_quiz_statistics_url():
    return [path("quiz/<id:quiz_id>/statistiques/", views_statistics.quiz_statistics, name="quiz_statistics")]


def quiz_statistics_button(page, user, priority):
    """The link to a quiz's statistics, for those who may read them; nothing on other pages."""
    if issubclass(page.specific_class or Page, QuizPage) and views_statistics.can_read_statistics(user, page):
        yield Button(
            _("Statistiques des questions"), reverse("quiz_statistics", args=[page.pk]), icon_name="table", priority=priority
        )


@hooks.register("register_page_header_buttons")
def quiz_statistics_header_button(page, user, view_name, next_url=None):
    yield from quiz_statistics_button(page, user, priority=66)


@hooks.register("register_page_listing_more_buttons")
def quiz_statistics_listing_button(page, user, next_url=None):
    yield from quiz_statistics_button(page, user, priority=55)


# --- A quiz's questions as a GIFT file (quizzes.gift_views) ---------------------------------


def quiz_gift_button(page, user, priority):
    """The GIFT download of a quiz's questions, for those who may edit it; nothing on other pages."""
    if issubclass(page.specific_class or Page, QuizPage) and page.permissions_for_user(user).can_edit():
        yield Button(_("Exporter les questions (GIFT)"), reverse("gift:export_quiz", args=[page.pk]),
                     icon_name="download", priority=priority)


@hooks.register("register_page_header_buttons")
def quiz_gift_header_button(page, user, view_name, next_url=None):
    yield from quiz_gift_button(page, user, priority=67)


@hooks.register("register_page_listing_more_buttons")
def quiz_gift_listing_button(page, user, next_url=None):
    yield from quiz_gift_button(page, user, priority=56)
