"""The manager space, under /organisations/<slug>/. Every view resolves its scope with
learners.access.manager_scope first: people outside it get a 404."""

from django.urls import path

from learners import views_manager

urlpatterns = [
    # The dashboard, the drill-down per person and the exports (learners.views_manager).
    path("", views_manager.organisation_list, name="organisation_list"),
    path("<slug:slug>/", views_manager.organisation_dashboard, name="organisation_dashboard"),
    path("<slug:slug>/personnes/<id:user_id>/", views_manager.organisation_person, name="organisation_person"),
    path("<slug:slug>/exports/", views_manager.organisation_exports, name="organisation_exports"),
    path("<slug:slug>/exports/<id:export_id>/etat/", views_manager.organisation_export_status,
         name="organisation_export_status"),
    path("<slug:slug>/exports/<id:export_id>/fichier/", views_manager.organisation_export_download,
         name="organisation_export_download"),
]
