from django.contrib.auth import views as auth_views
from django.urls import path

from learners import two_factor_views, views, views_data_rights
from learners.throttling import rate_limited

urlpatterns = [
    path("inscription/", views.signup, name="signup"),
    path("connexion/", two_factor_views.login_view, name="login"),
    path("connexion/code/", two_factor_views.login_code, name="login_code"),
    path("deconnexion/", auth_views.LogoutView.as_view(), name="logout"),
    path("profil/", views.profile, name="profile"),
    path("mon-espace/", views.dashboard, name="dashboard"),
    path("mon-espace/avis/<id:notice_id>/vu/", views.notice_seen, name="notice_seen"),
    path("formations/<id:course_id>/inscription/", views.enroll, name="enroll"),
    path("etapes/<id:page_id>/terminer/", views.complete_step, name="complete_step"),
    path("etapes/<id:page_id>/temps/", views.record_time, name="record_time"),
    path("etapes/<id:page_id>/exercices/<slug:block_id>/terminer/", views.finish_exercise, name="finish_exercise"),
    path("etapes/<id:page_id>/exercices/<slug:block_id>/criteres/", views.assess_exercise, name="assess_exercise"),
    path("certificats/<str:code>/", views.certificate_detail, name="certificate"),
    path("certificats/<str:code>/pdf/", views.certificate_pdf, name="certificate_pdf"),
    path("securite/", two_factor_views.security, name="two_factor"),
    path("securite/commencer/", two_factor_views.start_setup, name="two_factor_start"),
    path("securite/activer/", two_factor_views.confirm_setup, name="two_factor_setup"),
    path("securite/codes-de-secours/", two_factor_views.recovery_codes, name="two_factor_recovery_codes"),
    path("securite/codes-de-secours/nouveaux/", two_factor_views.new_recovery_codes, name="two_factor_new_codes"),
    path("securite/desactiver/", two_factor_views.turn_off, name="two_factor_turn_off"),
    path("securite/verifier/", two_factor_views.verify_session, name="two_factor_verify"),
    path("mes-donnees/", views_data_rights.my_data, name="my_data"),
    path("supprimer-mon-compte/", views_data_rights.delete_account, name="delete_account"),
    path("supprimer-mon-compte/fait/", views_data_rights.account_deleted, name="account_deleted"),
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
