from django.urls import path

from quizzes import views

urlpatterns = [
    path("<id:quiz_id>/commencer/", views.start, name="quiz_start"),
    path("tentatives/<id:attempt_id>/", views.attempt_page, name="quiz_attempt"),
    path("tentatives/<id:attempt_id>/brouillon/", views.autosave, name="quiz_autosave"),
    path("tentatives/<id:attempt_id>/resultat/", views.result, name="quiz_result"),
    path("tentatives/<id:attempt_id>/statut/", views.status, name="quiz_status"),
]
