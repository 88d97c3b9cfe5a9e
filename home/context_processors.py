from django.conf import settings
from django.utils.functional import SimpleLazyObject


def catalogue_url():
    from courses.models import CourseIndexPage

    catalogue = CourseIndexPage.objects.live().order_by("path").first()
    return catalogue.url if catalogue else "/"


def site_navigation(request):
    """What every page's header and footer need (the catalogue is looked up only if shown)."""
    return {"LANGUAGE_CHOICES": settings.LANGUAGES, "CATALOGUE_URL": SimpleLazyObject(catalogue_url)}
