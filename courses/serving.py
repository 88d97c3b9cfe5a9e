"""Serving pages from what publishing computed (see courses.publishing).

`serve` stands in front of Wagtail's own view for the site's pages. Under the request's
content token it finds the page from a routing table built once per publish (url path ->
page id, for live pages below live pages, without view restrictions, on a site that is
the only one) and serves the page object kept for that token, with Wagtail's serving
hooks except the view-restriction check (the table holds no restricted page). Anything
else (a page with view restrictions, an unknown or draft path, several sites) goes to
Wagtail's view unchanged, which applies every rule itself."""

import hashlib
import re

from django.conf import settings
from django.contrib.messages import get_messages
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.template.response import SimpleTemplateResponse, TemplateResponse
from django.utils.cache import patch_vary_headers
from django.utils import translation
from django.utils.formats import number_format
from django.utils.safestring import mark_safe
from wagtail import hooks
from wagtail import views as wagtail_views
from wagtail.models import Page, PageViewRestriction, Site
from wagtail.url_routing import RouteResult
from wagtail.wagtail_hooks import check_view_restrictions

from courses import publishing
from courses.blocks import EXERCISE_ANSWER_MAX_LENGTH, EXERCISE_MARKER, feedback_exercises


def serve(request, path):
    with publishing.generation():
        table = routing_table()
        page_id = table["paths"].get(path) if table else None
        if page_id is None:
            return finish(wagtail_views.serve(request, path))
        cache_key = anonymous_page_key(request, page_id)
        if cache_key is None:
            return serve_page(request, table, page_id)
        html = publishing.lookup(cache_key, shared=True)
        if html is not None:
            return anonymous_response(request, html)
        response = serve_page(request, table, page_id)
        if response.status_code == 200 and not response.cookies and response.get("Content-Type", "").startswith("text/html"):
            publishing.store(cache_key, CSRF_FIELD.sub(CSRF_FIELD_MARKED, response.content.decode()), shared=True)
        return response


# --- Whole pages for anonymous visitors ------------------------------------------------
# A visitor without a session sees the same page as every other such visitor, but for the
# CSRF token of its forms: the page is kept once per token, path and language, and each
# request gets its own CSRF token written in.
CSRF_FIELD = re.compile(r'(<input type="hidden" name="csrfmiddlewaretoken" value=")[^"]*(">)')
CSRF_FIELD_MARKED = r"\1<@csrf>\2"


def anonymous_page_key(request, page_id):
    if request.method != "GET" or request.GET or set(request.COOKIES) & {settings.SESSION_COOKIE_NAME, "messages"}:
        return None
    return f"anonymous-page:{translation.get_language()}:{page_id}"


def anonymous_response(request, html):
    response = HttpResponse(with_csrf_token(request, html))
    patch_vary_headers(response, ["Cookie"])
    return response


CSRF_MARKER = mark_safe("<@csrf>")  # where a kept page takes the request's CSRF token


def with_csrf_token(request, html):
    # One mask of the viewer's secret for the whole response (a new one per response).
    return html.replace(CSRF_MARKER, get_token(request)) if CSRF_MARKER in html else html


def serve_page(request, table, page_id):
    page = page_object(page_id)
    request._wagtail_site = site_object(table["site_id"])
    request._wagtail_route_for_request = RouteResult(page)
    chain = wagtail_views.serve_chain
    for fn in reversed(hooks.get_hooks("on_serve_page")):
        if fn is not check_view_restrictions:  # the table holds no restricted page
            chain = fn(chain)
    for fn in hooks.get_hooks("before_serve_page"):
        result = fn(page, request, [], {})
        if result is not None:
            return finish(result)
    return finish(chain(page, request, [], {}))


def finish(response):
    """Render a template response now, under the token pinned for this request."""
    if isinstance(response, SimpleTemplateResponse) and not response.is_rendered:
        response.render()
    return response


# --- Computed once per content token ---------------------------------------------------


def routing_table():
    return publishing.memoised("routes", build_routing_table, shared=True)


def build_routing_table():
    """{"site_id", "paths": {"formations/x/": page id}, "catalogue_url"} for the only
    site, or {} when there are several sites (then Wagtail routes every request). 3 queries."""
    sites = list(Site.objects.select_related("root_page")[:2])
    if len(sites) != 1:
        return {}
    site = sites[0]
    root = site.root_page
    rows = Page.objects.filter(path__startswith=root.path).values_list("pk", "path", "url_path", "live", "content_type_id")
    restricted = tuple(PageViewRestriction.objects.values_list("page__path", flat=True))
    not_live = tuple(path for _pk, path, _url, live, _ct in rows if not live)
    paths = {}
    for pk, path, url_path, live, _ct in rows:
        if not live or path.startswith(not_live) or path.startswith(restricted):
            continue
        paths[url_path[len(root.url_path):]] = pk
    return {"site_id": site.pk, "paths": paths, "catalogue_url": catalogue_url(root, paths)}


def catalogue_url(root, paths):
    from courses.models import CourseIndexPage

    catalogue = CourseIndexPage.objects.live().descendant_of(root).order_by("path").only("url_path").first()
    if catalogue is None:
        return "/"
    relative = catalogue.url_path[len(root.url_path):]
    return "/" + relative if relative in paths else "/"


def page_object(pk):
    """The specific page, loaded once per token in this process (kept in memory only)."""
    return publishing.memoised(f"page:{pk}", lambda: Page.objects.filter(pk=pk).specific().get())


def page_objects(pks):
    """{pk: specific page} for `pks`, those not yet kept for this token loaded together
    (one query, plus one per page type)."""
    pks = {pk for pk in pks if pk is not None}
    found = {pk: publishing.lookup(f"page:{pk}") for pk in pks}
    missing = [pk for pk, page in found.items() if page is None]
    if missing:
        for page in Page.objects.filter(pk__in=missing).specific():
            publishing.store(f"page:{page.pk}", page)
            found[page.pk] = page
    return found


def site_object(pk):
    return publishing.memoised(f"site:{pk}", lambda: Site.objects.select_related("root_page").get(pk=pk))


def cached_catalogue_url():
    table = routing_table()
    if table:
        return table["catalogue_url"]
    from home.context_processors import catalogue_url as lookup

    return lookup()


# --- Rendered fragments ----------------------------------------------------------------


def rendered_body(page):
    """A lesson's blocks rendered once per token and language (no block reads the request)."""
    language = translation.get_language()
    return mark_safe(
        publishing.memoised(f"body:{page.pk}:{language}", lambda: str(page.body.render_as_block()), shared=True)
    )


def lesson_exercises(page):
    """{block id: exercise value} of the lesson's exercises that give feedback, once per
    token in this process."""
    return publishing.memoised(f"exercises:{page.pk}", lambda: feedback_exercises(page))


def exercise_work(page, access, block_id, csrf_token):
    """The learner's own area under exercise `block_id`: the answer form, or their answer
    beside the model answer and the criteria to tick; an invitation for anyone not
    enrolled (an editor's preview). Never kept in a page shared by several people: it is
    rendered once per page, exercise, language and state (what the learner wrote and
    ticked), kept in this process under the content token, and given the request's CSRF
    token as it is served. Learners who have not started an exercise share its form."""
    exercise = lesson_exercises(page).get(block_id)
    if exercise is None:
        return ""
    enrolled = access is not None and access.enrollment is not None
    state = (access.exercises.get(block_id) or {}) if enrolled else {}
    digest = hashlib.sha256(repr(sorted(state.items())).encode()).hexdigest()
    key = f"exercise-work:{page.pk}:{block_id}:{translation.get_language()}:{int(enrolled)}:{digest}"

    def render():
        checked = set(state.get("checked") or ())
        criteria = [{"text": text, "checked": number in checked} for number, text in enumerate(exercise["checklist"])]
        return render_to_string("courses/includes/exercise_work.html", {
            "page": page, "block_id": block_id, "exercise": exercise, "enrolled": enrolled, "state": state,
            "criteria": criteria, "checked_count": sum(1 for criterion in criteria if criterion["checked"]),
            "limit": EXERCISE_ANSWER_MAX_LENGTH,
            "limit_display": number_format(EXERCISE_ANSWER_MAX_LENGTH, force_grouping=True),
            "csrf_token": CSRF_MARKER,
        })

    return publishing.cached(key, render).replace(CSRF_MARKER, str(csrf_token))


def body_with_exercise_work(body, page, access, csrf_token):
    """A lesson's rendered body with each exercise's marker replaced by the viewer's area."""
    return mark_safe(EXERCISE_MARKER.sub(lambda match: exercise_work(page, access, match.group(1), csrf_token), body))


def rendered_breadcrumbs(page):
    language = translation.get_language()

    def render():
        crumbs = page.get_ancestors().filter(depth__gt=2)
        return render_to_string("courses/includes/breadcrumbs.html", {"page": page, "crumbs": crumbs})

    return mark_safe(publishing.memoised(f"crumbs:{page.pk}:{language}", render, shared=True))


# In the outline rendered once per course, token and language, `<@S12c>` (etc.) mark the
# places that depend on the viewer: the current page, and the steps they completed or
# cannot open yet. They cannot occur in page text, which is escaped ("<" -> "&lt;").
# A learner's page shell (below) holds them with markers of its own.
MARKER = re.compile(r"<@(?:([MS])(\d+)([cam])|(csrf|pct|done|epk)|X([A-Za-z0-9_-]{1,64}))>")


def outline_fragment(outline):
    language = translation.get_language()

    def render():
        return {
            "html": render_to_string("courses/includes/outline.html", {"outline": outline}),
            "done": render_to_string("courses/includes/outline_mark.html", {"state": "done"}),
            "locked": render_to_string("courses/includes/outline_mark.html", {"state": "locked"}),
        }

    return publishing.memoised(f"outline:{outline.course.pk}:{language}", render, shared=True)


def rendered_outline(outline, *, page=None, module_outline=None, access=None):
    """The course outline with the viewer's marks applied: which page is current, what
    they completed and what stays locked."""
    parts = cut_at_markers(
        outline_fragment(outline)["html"],
        page.pk if page is not None else None,
        module_outline.page.pk if module_outline is not None else None,
    )
    return mark_safe(with_marks(parts, outline, access))


def cut_at_markers(html, current, current_module):
    """`html` cut at its `<@…>` markers (MARKER), as [text, mark, text, mark, …,
    text]. The marks of the page shown (`current`, in module `current_module`) are
    written into the text; each mark left depends on the viewer: ("c", step id) the
    step's class, ("m", step id) its sign, ("X", block id) an exercise's answer area,
    (name, None) the CSRF token or a figure of the learner's."""
    pieces = MARKER.split(html)  # text, then the marker's 5 groups, then text…
    parts, text = [], [pieces[0]]
    for index in range(1, len(pieces), 6):
        kind, pk, slot, name, exercise = pieces[index:index + 5]
        if slot == "a":
            text.append(' aria-current="page"' if int(pk) == current else "")
        elif kind == "M":
            text.append(" outline__module--current" if int(pk) in (current, current_module) else "")
        else:
            parts += ["".join(text), ("X", exercise) if exercise else (name, None) if name else (slot, int(pk))]
            text = []
        text.append(pieces[index + 5])
    parts.append("".join(text))
    return parts


def with_marks(parts, outline, access, other_mark=None):
    """The text of `parts` (cut_at_markers) with the viewer's marks: each step's state
    (done, locked or neither) from `access`, any other mark from `other_mark(kind,
    argument)`."""
    fragment = outline_fragment(outline)
    completed = access.completed_ids if access is not None else ()
    locked = access.locked_ids if access is not None else {}
    written = [parts[0]]
    for index in range(1, len(parts), 2):
        kind, argument = parts[index]
        if kind in ("c", "m"):
            state = "done" if argument in completed else "locked" if argument in locked else None
            written.append("" if state is None else f" outline__step--{state}" if kind == "c" else fragment[state])
        else:
            written.append(other_mark(kind, argument))
        written.append(parts[index + 1])
    return "".join(written)


def outline_with_markers(outline):
    """The outline with its markers left in (for a learner's page shell, see below)."""
    return mark_safe(outline_fragment(outline)["html"])


# --- A learner's lesson page, kept as a shell ------------------------------------------
# The page an enrolled learner sees differs from another learner's only by a few figures:
# their CSRF token, their progress numbers, the outline's marks. It is rendered once per
# token, page, language and the few things that change its shape (completed or not, the
# number of steps in the progress bar, the organisation link), with `<@csrf>`, `<@pct>`,
# `<@done>`, `<@epk>`, the outline's own markers and each exercise's `<@X…>` (the
# learner's answer area, see exercise_work) in place of those figures, which each
# request writes in. A request with anything else to show (messages, a query string, an
# administrator's toolbar) is rendered whole, as before. The shell is cut at its markers
# once per process and token (cut_at_markers), so a request only writes the marks in.


class ShellEnrollment:
    """The enrolment as the shell shows it: markers for the learner's own figures, and
    what changes the page's shape (in the shell's key: see shell_key)."""

    def __init__(self, enrollment, course):
        self.pk = mark_safe("<@epk>")
        self.percent = mark_safe("<@pct>")
        self.completed_steps = mark_safe("<@done>")
        self.total_steps = enrollment.total_steps
        self.is_completed = enrollment.is_completed
        self.resume_step = getattr(enrollment, "resume_step", None) if enrollment.resume_step_id else None
        self.course = course


def keeps_learner_pages(request):
    """Whether this request's page can come from what was kept: a learner's plain GET
    (no query string, no message to show, no administrator's toolbar)."""
    return (request.method == "GET" and not request.GET and request.user.is_authenticated
            and not request.session.get("can_access_admin") and not len(get_messages(request)))


def menu_shape(request):
    """What the site's menu shows of the viewer beyond the pages: an organisation link."""
    return "m" if request.session.get("manages_organisation") else "-"


def shell_key(request, page, access, shape):
    """The shell's key for this request, or None when the page must be rendered whole.
    `shape`: what else of the learner the page's template shows, as text."""
    if not keeps_learner_pages(request):
        return None
    enrollment = access.enrollment
    return ":".join((
        "learner-shell",
        str(page.pk),
        translation.get_language(),
        f"{enrollment.total_steps}" if enrollment is not None else "not-enrolled",
        shape,
        menu_shape(request),
    ))


def learner_page_response(request, page, access, template, context, shape=""):
    """The page for a logged-in learner: from the shell kept for its key, else rendered
    whole (and its shell kept)."""
    key = shell_key(request, page, access, shape)
    if key is None:
        return TemplateResponse(request, template, context)

    def render():
        shell_context = dict(context)
        shell_context["csrf_token"] = CSRF_MARKER
        shell_context["keep_outline_markers"] = True
        enrollment = access.enrollment
        shell_enrollment = ShellEnrollment(enrollment, access.outline.course) if enrollment is not None else None
        shell_context["access"] = ShellAccess(access, shell_enrollment)
        return render_to_string(template, shell_context, request=request)

    module_outline = context.get("module_outline")
    parts = publishing.memoised(f"{key}:parts", lambda: cut_at_markers(
        publishing.memoised(key, render, shared=True), page.pk,
        module_outline.page.pk if module_outline is not None else None))
    return HttpResponse(fill_shell(request, parts, page, access))


def learner_step_response(request, page, access, template, context):
    """A step (a lesson) for an enrolled learner: its shape is whether they completed it."""
    return learner_page_response(request, page, access, template, context, "c" if access.is_completed else "o")


def learner_course_response(request, page, access, template, context):
    """A course page for a learner: its shape is whether they finished the course and
    the step they resume at."""
    enrollment = access.enrollment
    shape = "" if enrollment is None else f"{'f' if enrollment.is_completed else 'u'}{enrollment.resume_step_id or ''}"
    return learner_page_response(request, page, access, template, context, shape)


class ShellAccess:
    """`access` as the shell shows it (the learner's enrolment replaced by markers)."""

    def __init__(self, access, enrollment):
        self._access = access
        self.enrollment = enrollment
        self.is_completed = access.is_completed

    def __getattr__(self, name):
        return getattr(self._access, name)


def fill_shell(request, parts, page, access):
    """The learner's page from its shell, cut once (cut_at_markers): their marks on the
    outline, their figures, their exercises and a CSRF token written in."""
    enrollment = access.enrollment
    figures = {} if enrollment is None else {
        "pct": str(enrollment.percent), "done": str(enrollment.completed_steps), "epk": str(enrollment.pk)}
    csrf = []

    def csrf_token():  # one mask of the learner's secret for the response, as for anonymous pages
        if not csrf:
            csrf.append(get_token(request))
        return csrf[0]

    def other_mark(kind, argument):
        if kind == "X":  # the learner's own work on an exercise, never kept in the shell
            return exercise_work(page, access, argument, csrf_token())
        return csrf_token() if kind == "csrf" else figures[kind]

    return with_marks(parts, access.outline, access, other_mark)


# --- A learner's page made of rows read for the request --------------------------------
# A page such as the dashboard shows the published pages (under the token) and rows read
# for the viewer, nothing else but their CSRF token and menu: the same rows give the same
# page. It is rendered once per token, language, menu and rows, and kept in the content
# cache (where per-viewer pages age out as it fills), keyed by a digest of those rows.


def page_from_rows(request, name, rows, template, context_for):
    """The response for `template` with the context `context_for()` builds from `rows`
    (plain values: everything of the viewer the page shows)."""
    if not keeps_learner_pages(request):
        return TemplateResponse(request, template, context_for())
    digest = hashlib.sha256(repr(rows).encode()).hexdigest()
    key = f"{name}:{translation.get_language()}:{menu_shape(request)}:{digest}"

    def render():
        context = context_for()
        context["csrf_token"] = CSRF_MARKER
        return render_to_string(template, context, request=request)

    return HttpResponse(with_csrf_token(request, publishing.cached(key, render)))
