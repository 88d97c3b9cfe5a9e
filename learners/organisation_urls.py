"""The manager space, under /organisations/<slug>/. Every view resolves its scope with
learners.access.manager_scope first: people outside it get a 404."""

from django.urls import path

from learners import views_assignments, views_invitations, views_manager

urlpatterns = []

# --- Teams and people, invitations, CSV import (learners.views_invitations) -------------
urlpatterns += [
    path("<slug:slug>/equipes/", views_invitations.teams_page, name="organisation_teams"),
    path("<slug:slug>/equipes/creer/", views_invitations.team_create, name="organisation_team_create"),
    path("<slug:slug>/equipes/<id:team_id>/renommer/", views_invitations.team_rename, name="organisation_team_rename"),
    path("<slug:slug>/equipes/<id:team_id>/supprimer/", views_invitations.team_delete, name="organisation_team_delete"),
    path(
        "<slug:slug>/equipes/personnes/<id:membership_id>/equipe/", views_invitations.member_move,
        name="organisation_member_move",
    ),
    path(
        "<slug:slug>/equipes/personnes/<id:membership_id>/role/", views_invitations.member_role,
        name="organisation_member_role",
    ),
    path(
        "<slug:slug>/equipes/personnes/<id:membership_id>/retirer/", views_invitations.member_remove,
        name="organisation_member_remove",
    ),
    path("<slug:slug>/invitations/", views_invitations.invitations_page, name="organisation_invitations"),
    path(
        "<slug:slug>/invitations/<id:invitation_id>/renvoyer/", views_invitations.invitation_resend,
        name="organisation_invitation_resend",
    ),
    path(
        "<slug:slug>/invitations/<id:invitation_id>/revoquer/", views_invitations.invitation_revoke,
        name="organisation_invitation_revoke",
    ),
    path("<slug:slug>/import/", views_invitations.import_upload, name="organisation_import"),
    path("<slug:slug>/import/<id:batch_id>/", views_invitations.import_preview, name="organisation_import_preview"),
]

# --- Assignments and reminders (learners.assignments, learners.reminders) ---------------
urlpatterns += [
    path("<slug:slug>/affectations/", views_assignments.assignment_list, name="organisation_assignments"),
    path(
        "<slug:slug>/affectations/<id:assignment_id>/echeance/", views_assignments.change_due_date,
        name="organisation_assignment_due_date",
    ),
    path(
        "<slug:slug>/affectations/<id:assignment_id>/retirer/", views_assignments.remove_assignment,
        name="organisation_assignment_remove",
    ),
    path("<slug:slug>/relances/", views_assignments.remind, name="organisation_reminders"),
]

# --- The dashboard, the drill-down per person and the exports (learners.views_manager) ---
urlpatterns += [
    path("", views_manager.organisation_list, name="organisation_list"),
    path("<slug:slug>/", views_manager.organisation_dashboard, name="organisation_dashboard"),
    path("<slug:slug>/personnes/<id:user_id>/", views_manager.organisation_person, name="organisation_person"),
    path("<slug:slug>/exports/", views_manager.organisation_exports, name="organisation_exports"),
    path("<slug:slug>/exports/<id:export_id>/etat/", views_manager.organisation_export_status,
         name="organisation_export_status"),
    path("<slug:slug>/exports/<id:export_id>/fichier/", views_manager.organisation_export_download,
         name="organisation_export_download"),
]
