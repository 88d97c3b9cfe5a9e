"""The assignments page of an organisation and its actions: assign, change a due date,
remove, remind. Every view resolves the manager's scope first (404 for anyone else);
the work is done by learners.assignments and learners.reminders."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from courses.models import CoursePage
from learners import assignments, reminders
from learners.access import is_id, manager_scope
from learners.assignment_forms import AssignForm, DueDateForm


@login_required
@require_http_methods(["GET", "POST"])
def assignment_list(request, slug):
    scope = manager_scope(viewer=request.user, slug=slug)
    today = timezone.localdate()
    form = AssignForm(request.POST or None, scope=scope, today=today)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            result = assignments.assign(
                scope=scope, course=data["course"], team=data["team"], people=data["people"],
                due_on=data["due_on"], assigned_by=request.user, today=today,
            )
        except assignments.AssignmentRefused as refusal:
            form.add_error(None, refusal.message)
        else:
            messages.success(request, assigned_message(data["course"], result))
            return redirect("organisation_assignments", slug=slug)
    return render(
        request,
        "organisations/assignments.html",
        {
            "organisation": scope.organisation,
            "form": form,
            "courses": assignments.assignments_overview(scope, today=today),
            "today": today,
        },
        status=400 if form.errors else 200,
    )


def assigned_message(course, result):
    parts = [_("« %(course)s » est affectée.") % {"course": course.title}]
    if result.created:
        parts.append(ngettext(
            "%(count)d personne ajoutée et inscrite.", "%(count)d personnes ajoutées et inscrites.", result.created
        ) % {"count": result.created})
    if result.updated:
        parts.append(ngettext(
            "%(count)d personne l'avait déjà : échéance mise à jour.",
            "%(count)d personnes l'avaient déjà : échéance mise à jour.", result.updated,
        ) % {"count": result.updated})
    return " ".join(parts)


@login_required
@require_POST
def change_due_date(request, slug, assignment_id):
    scope = manager_scope(viewer=request.user, slug=slug)
    assignment = assignments.scoped_assignment(scope, assignment_id)
    today = timezone.localdate()
    form = DueDateForm(request.POST, today=today)
    if not form.is_valid():
        for error in form.errors.get("due_on", []):
            messages.error(request, error)
        return redirect("organisation_assignments", slug=slug)
    assignments.change_due_date(assignment=assignment, due_on=form.cleaned_data["due_on"], today=today)
    messages.success(request, _("Échéance de %(person)s pour « %(course)s » enregistrée.") % {
        "person": assignment.user, "course": assignment.course.title,
    })
    return redirect("organisation_assignments", slug=slug)


@login_required
@require_POST
def remove_assignment(request, slug, assignment_id):
    scope = manager_scope(viewer=request.user, slug=slug)
    assignment = assignments.scoped_assignment(scope, assignment_id)
    assignments.remove_assignment(assignment=assignment)
    messages.success(request, _(
        "« %(course)s » n'est plus affectée à %(person)s. Sa progression est conservée."
    ) % {"person": assignment.user, "course": assignment.course.title})
    return redirect("organisation_assignments", slug=slug)


@login_required
@require_POST
def remind(request, slug):
    """Remind one person (`person`) or everyone late in a course (`course`)."""
    scope = manager_scope(viewer=request.user, slug=slug)
    course_id = request.POST.get("course", "")
    course = (
        CoursePage.objects.filter(pk=course_id, pk__in=assignments.assignments_in_scope(scope).values("course_id")).first()
        if is_id(course_id) else None
    )
    if course is None:
        raise Http404
    person = scope.person(request.POST["person"]) if request.POST.get("person") else None
    result = reminders.remind_by_hand(scope=scope, course=course, person=person, sent_by=request.user)
    if result is None:
        raise Http404
    messages.success(request, reminded_message(result, person=person))
    return redirect("organisation_assignments", slug=slug)


def reminded_message(result, *, person):
    if not result.sent and not result.already:
        if person is not None:
            return _("%(person)s a terminé la formation : pas de relance.") % {"person": person}
        return _("Personne n'est en retard dans cette formation : aucune relance envoyée.")
    parts = [ngettext("%(count)d relance envoyée.", "%(count)d relances envoyées.", result.sent) % {"count": result.sent}]
    if result.already:
        parts.append(ngettext(
            "%(count)d personne déjà relancée aujourd'hui : pas de seconde relance.",
            "%(count)d personnes déjà relancées aujourd'hui : pas de seconde relance.", result.already,
        ) % {"count": result.already})
    return " ".join(parts)
