import functools

from django.conf import settings
from django.utils import translation
from django.utils.functional import SimpleLazyObject


def catalogue_url():
    from courses.models import CourseIndexPage

    catalogue = CourseIndexPage.objects.live().order_by("path").first()
    return catalogue.url if catalogue else "/"


def cached_catalogue_url():
    from courses.serving import cached_catalogue_url

    return cached_catalogue_url()


@functools.cache
def language_choices():
    """[(code, the language's name in that language)] for the language menu."""
    choices = []
    for code, name in settings.LANGUAGES:
        with translation.override(code):
            choices.append((code, str(name)))
    return choices


def site_navigation(request):
    """What every page's header and footer need (the catalogue's address is looked up
    only if shown, and kept from one publish to the next: courses.serving), and the
    links the viewer's session allows."""
    session = getattr(request, "session", {})
    return {
        "LANGUAGE_CHOICES": language_choices(),
        "CATALOGUE_URL": SimpleLazyObject(cached_catalogue_url),
        "SHOWS_ORGANISATION_LINK": session.get("manages_organisation", False),
        "SHOWS_ADMIN_LINK": session.get("can_access_admin", False),
    }
