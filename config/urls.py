from django.conf import settings
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from home import views as home_views
from learners import two_factor_views
from learners import views as learner_views
from learners import views_invitations

urlpatterns = [
    # The admin logs in through the site's two-step login (password, then the code when
    # two-factor authentication is on): before the admin's URLs, so that it wins.
    path("admin/login/", two_factor_views.login_view, {"default_next": "wagtailadmin_home"}, name="wagtailadmin_login"),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("comptes/", include("learners.urls")),
    path("quiz/", include("quizzes.urls")),
    path("salle-de-crise/", include("courses.scenario_urls")),
    path("organisations/", include("learners.organisation_urls")),
    path("invitation/<str:token>/", views_invitations.invitation_accept, name="invitation_accept"),
    path("verifier-un-certificat/", learner_views.certificate_verify, name="certificate_verify_form"),
    path("verifier-un-certificat/<str:code>/", learner_views.certificate_verify, name="certificate_verify"),
    path("langue/", include("django.conf.urls.i18n")),
    path("sante/", home_views.health, name="health"),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# Wagtail serves every other URL from the page tree: keep this last.
urlpatterns += [path("", include(wagtail_urls))]
