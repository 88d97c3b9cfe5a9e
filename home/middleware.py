import re

from csp.middleware import CSPMiddleware
from django.conf import settings
from django.core.exceptions import BadRequest
from django.http import Http404
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_cache_control

from home.converters import IdConverter
from home.refusals import Kind, Refused
from home.views import refusal

ID_PATTERN = re.compile(IdConverter.regex)


class LanguageMiddleware:
    """French unless the person chose otherwise.

    Django's LocaleMiddleware follows the browser's Accept-Language; Passerelle is French
    first, so only an explicit choice counts: the language cookie set by the switcher
    (Django's set_language view), then the logged-in user's preferred language."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        language = self.language_for(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        translation.deactivate()
        return response

    def language_for(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if chosen in self.supported:
            return chosen
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.preferred_language in self.supported:
            return user.preferred_language
        return settings.LANGUAGE_CODE


def is_admin_path(path):
    """True for the Wagtail admin's URLs (page previews included)."""
    return path.startswith(reverse("wagtailadmin_home"))


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, with the admin's own policy.

    Pages of the public site get settings.CONTENT_SECURITY_POLICY; every URL under the
    admin gets settings.ADMIN_CONTENT_SECURITY_POLICY. A view decorated with django-csp's
    @csp(...) still chooses its own."""

    def process_response(self, request, response):
        if getattr(request, "is_dummy", False):
            # Wagtail renders a preview through the middleware again, on a made-up
            # request for the page's public URL; the real admin request around it
            # sets the header (with the admin's policy).
            return response
        return super().process_response(request, response)

    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only=report_only)
        if not report_only and parts.config is None and is_admin_path(request.path_info):
            parts.config = settings.ADMIN_CONTENT_SECURITY_POLICY["DIRECTIVES"]
        return parts


def permissions_policy_header(features):
    """{"camera": [], "fullscreen": ["self", "https://x"]} -> 'camera=(), fullscreen=(self "https://x")'."""
    def allowlist(origins):
        return " ".join(origin if origin == "self" else f'"{origin}"' for origin in origins)

    return ", ".join(f"{feature}=({allowlist(origins)})" for feature, origins in features.items())


class PermissionsPolicyMiddleware:
    """Adds settings.PERMISSIONS_POLICY as the Permissions-Policy header of every response."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.header = permissions_policy_header(settings.PERMISSIONS_POLICY)

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", self.header)
        return response


class PrivateResponsesMiddleware:
    """Nothing shown to a logged-in person is kept by a browser or a proxy cache.

    Every response to an authenticated user gets `Cache-Control: private, no-store`,
    unless its view set Cache-Control itself. Pages for anonymous visitors are left
    as they are (cacheable)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if "Cache-Control" not in response.headers and user is not None and user.is_authenticated:
            patch_cache_control(response, private=True, no_store=True)
        return response


class HostileInputGuardMiddleware:
    """Answers what names nothing before it reaches the views and the database.

    - A URL whose `pk` cannot be a primary key of ours is a 404. Wagtail's snippet and
      chooser views take `<str:pk>` from the path and hand it to the database as it is:
      "abc", "①" or a number past 64 bits then fails there (a 500) instead of being
      simply not found. Every model here, and every Wagtail model used, has an integer
      primary key.
    - A NUL character anywhere in the path, the query string or a posted field is a 400:
      no text of this site contains one, and PostgreSQL refuses it in any text column
      or JSON value (a 500 from the first lookup or draft that carries it)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if "\x00" in request.path or carries_nul(request.GET) or carries_nul(request.POST):
            raise BadRequest("NUL character in the request")  # the styled 400 page
        pk = view_kwargs.get("pk")
        if isinstance(pk, str) and not ID_PATTERN.fullmatch(pk):
            raise Http404
        return None


def carries_nul(query_dict):
    return any("\x00" in key or any("\x00" in value for value in values) for key, values in query_dict.lists())


# --- Refusals: the one place where the domain's refusals become HTTP ---------------------

REFUSAL_STATUS = {
    Kind.NOT_FOUND: 404,
    Kind.FORBIDDEN: 403,
    Kind.CONFLICT: 409,
    Kind.INVALID: 400,
    Kind.GONE: 410,
}


def refusal_status(refused):
    """The HTTP status of a refusal, from its kind."""
    return REFUSAL_STATUS[refused.kind]


def answers_json(view):
    """Marks a view that answers JSON (for the pages' scripts): a refusal leaving it is
    answered {"error": message}, whatever the request accepts."""
    view.answers_json = True
    return view


class RefusalMiddleware:
    """Turns a refusal (home.refusals.Refused) that leaves a view into an answer: the
    refusal page with the reason, or {"error": reason} for a view marked @answers_json and
    for a script asking for JSON; the status follows the refusal's kind. The view's
    transaction is already rolled back: nothing half-written."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, Refused):
            return None
        view = getattr(getattr(request, "resolver_match", None), "func", None)
        return refusal(
            request, exception.message, refusal_status(exception), as_json=getattr(view, "answers_json", False)
        )
