from django.contrib.auth import views as auth_views
from django.urls import path

from learners import views
from learners.throttling import rate_limited
from learners.forms import LoginForm

urlpatterns = [
    path("inscription/", views.signup, name="signup"),
    path("connexion/", auth_views.LoginView.as_view(authentication_form=LoginForm, redirect_authenticated_user=True), name="login"),
    path("deconnexion/", auth_views.LogoutView.as_view(), name="logout"),
    path("profil/", views.profile, name="profile"),
    path("mon-espace/", views.dashboard, name="dashboard"),
    path("formations/<int:course_id>/inscription/", views.enroll, name="enroll"),
    path("etapes/<int:page_id>/terminer/", views.complete_step, name="complete_step"),
    path("etapes/<int:page_id>/temps/", views.record_time, name="record_time"),
    path("certificats/<str:code>/", views.certificate_detail, name="certificate"),
    path("certificats/<str:code>/pdf/", views.certificate_pdf, name="certificate_pdf"),
    path("mot-de-passe/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("mot-de-passe/modifie/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("mot-de-passe/oubli/", rate_limited("password_reset")(auth_views.PasswordResetView.as_view()), name="password_reset"),
    path("mot-de-passe/oubli/envoye/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "mot-de-passe/nouveau/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("mot-de-passe/nouveau/fait/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
]
