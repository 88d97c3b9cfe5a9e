from django.urls import path

from quizzes import views

urlpatterns = [
    path("<int:quiz_id>/commencer/", views.start, name="quiz_start"),
    path("tentatives/<int:attempt_id>/", views.attempt_page, name="quiz_attempt"),
    path("tentatives/<int:attempt_id>/brouillon/", views.autosave, name="quiz_autosave"),
    path("tentatives/<int:attempt_id>/resultat/", views.result, name="quiz_result"),
    path("tentatives/<int:attempt_id>/statut/", views.status, name="quiz_status"),
]
