import re

from django.conf import settings
from django.http import Http404
from django.utils import translation

from home.converters import IdConverter

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


class PrimaryKeyGuardMiddleware:
    """Answers 404 to a URL whose `pk` cannot be a primary key of ours.

    Wagtail's snippet and chooser views take `<str:pk>` from the path and hand it to the
    database as it is: "abc", "①" or a number past 64 bits then fails there (a 500)
    instead of being simply not found. Every model of this project, and every Wagtail
    model it uses, has an integer primary key, so such a `pk` names nothing."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        pk = view_kwargs.get("pk")
        if isinstance(pk, str) and not ID_PATTERN.fullmatch(pk):
            raise Http404
        return None
