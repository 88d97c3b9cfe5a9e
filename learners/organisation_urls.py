"""The manager space, under /organisations/<slug>/. Every view resolves its scope with
learners.access.manager_scope first: people outside it get a 404."""

from django.urls import path

from learners import views_assignments

urlpatterns = [
    # Assignments and reminders (learners.assignments, learners.reminders)
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
