from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse

from learners import two_factor


class TwoFactorEnforcementMiddleware:
    """Where 2FA is required (settings.PASSERELLE_REQUIRE_2FA), a privileged person
    (learners.roles.is_privileged) logged in without a verified second factor is sent to
    the security page from every page, the admin included, except the pages needed to set
    it up or leave: the security pages, logout, static and media files, the language
    switch and the health page. Learners are never stopped. Must come after
    django_otp.middleware.OTPMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.PASSERELLE_REQUIRE_2FA and self.must_stop(request):
            return redirect("two_factor")
        return self.get_response(request)

    def must_stop(self, request):
        user = request.user
        if not user.is_authenticated or user.is_verified():
            return False
        if request.path.startswith(self.open_prefixes()):
            return False
        return two_factor.is_privileged(user)

    @staticmethod
    def open_prefixes():
        return (
            reverse("two_factor"),
            reverse("logout"),
            reverse("wagtailadmin_logout"),
            reverse("set_language"),
            reverse("health"),
            settings.STATIC_URL,
            settings.MEDIA_URL,
        )
