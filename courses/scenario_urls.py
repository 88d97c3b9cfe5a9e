from django.urls import path

from courses import scenario_views as views

urlpatterns = [
    path("<id:scenario_id>/commencer/", views.start, name="scenario_start"),
    path("parties/<id:run_id>/", views.run_page, name="scenario_run"),
    path("parties/<id:run_id>/agir/", views.act, name="scenario_act"),
    path("parties/<id:run_id>/pause/", views.pause, name="scenario_pause"),
    path("parties/<id:run_id>/fin/", views.end, name="scenario_end"),
    path("parties/<id:run_id>/etat/", views.state, name="scenario_run_state"),
    path("parties/<id:run_id>/bilan/", views.debrief, name="scenario_debrief"),
    path("parties/<id:run_id>/statut/", views.status, name="scenario_status"),
]
