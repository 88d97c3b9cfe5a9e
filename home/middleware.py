from django.conf import settings
from django.utils import translation


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
