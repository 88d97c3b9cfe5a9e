"""The site's URLs behind a bare Django view, the ceiling of the page rows: served by the
same gunicorn workers, through the same middleware, in the same run."""

from django.http import HttpResponse
from django.urls import include, path


def bare_view(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/bare/", bare_view), path("", include("config.urls"))]
