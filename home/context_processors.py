from django.conf import settings
from django.utils.functional import SimpleLazyObject


def catalogue_url():
    from courses.models import CourseIndexPage

    catalogue = CourseIndexPage.objects.live().order_by("path").first()
    return catalogue.url if catalogue else "/"


def cached_catalogue_url():
    from courses.serving import cached_catalogue_url

    return cached_catalogue_url()


def site_navigation(request):
    """What every page's header and footer need (the catalogue's address is looked up
    only if shown, and kept from one publish to the next: courses.serving)."""
    return {"LANGUAGE_CHOICES": settings.LANGUAGES, "CATALOGUE_URL": SimpleLazyObject(cached_catalogue_url)}
