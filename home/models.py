from django.db import models
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Page
from wagtail.url_routing import RouteResult


class HomePage(Page):
    """The landing page: what Passerelle teaches, and the courses on offer."""

    tagline = models.CharField(_("accroche"), max_length=255, blank=True)
    intro = RichTextField(_("introduction"), blank=True, features=["bold", "italic", "link"])

    content_panels = Page.content_panels + [FieldPanel("tagline"), FieldPanel("intro")]

    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["courses.CourseIndexPage"]
    max_count = 1

    class Meta:
        verbose_name = _("page d'accueil")

    def route(self, request, path_components):
        """Find the page for a URL in one lookup by its URL path, instead of Wagtail's
        walk down the tree (two queries per level). Like the walk, refuse a page that is
        not live or sits below a page that is not. Paths that name no page (a route
        inside a page, say) fall back to the walk."""
        from courses.selectors import ancestor_paths

        if not path_components:
            return super().route(request, path_components)
        page = Page.objects.filter(url_path=self.url_path + "/".join(path_components) + "/").specific().first()
        if page is None:
            return super().route(request, path_components)
        below_home = ancestor_paths(page.path, above_depth=self.depth)
        if not page.live or Page.objects.filter(path__in=below_home, live=False).exists():
            raise Http404
        return RouteResult(page)

    def get_context(self, request, *args, **kwargs):
        from courses.selectors import catalogue_courses

        context = super().get_context(request, *args, **kwargs)
        context["courses"] = catalogue_courses()
        return context


class WorkerHeartbeat(models.Model):
    """The last time each Celery worker answered: proof that background work runs."""

    hostname = models.CharField(max_length=255, unique=True)
    last_seen = models.DateTimeField()

    class Meta:
        verbose_name = _("signe de vie d'un worker")
        verbose_name_plural = _("signes de vie des workers")

    def __str__(self):
        return f"{self.hostname} @ {self.last_seen:%Y-%m-%d %H:%M:%S}"
