"""Manager pages for teams and people, invitations and CSV imports (under
/organisations/<slug>/), and the public invitation acceptance (/invitation/<token>/).

Every manager view resolves the viewer's scope first (learners.access.manager_scope:
404 for anyone outside it); the work is done by learners.teams, learners.invitations and
learners.csv_import."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from home.middleware import refusal_status
from learners import csv_import, invitations, teams
from learners.access import is_id, manager_scope
from learners.invitation_forms import ImportUploadForm, InvitationForm, InvitationSignupForm, TeamNameForm, team_choices
from learners.models import Invitation, Membership, User

# --- Teams and people -------------------------------------------------------------------


def teams_page_context(scope, **extra):
    return {
        "organisation": scope.organisation,
        "scope": scope,
        "teams": teams.teams_with_counts(scope),
        "people": teams.people_rows(scope),
        "team_choices": team_choices(scope),
        "roles": Membership.Role.choices,
        "create_form": TeamNameForm(auto_id="id_new_team_%s"),
        **extra,
    }


@login_required
def teams_page(request, slug):
    scope = manager_scope(viewer=request.user, slug=slug)
    return render(request, "organisations/teams.html", teams_page_context(scope))


def back_to_teams(request, scope, done=None, refusal=None):
    if refusal is not None:
        messages.error(request, refusal.message)
    elif done:
        messages.success(request, done)
    return redirect("organisation_teams", slug=scope.organisation.slug)


@login_required
@require_POST
def team_create(request, slug):
    scope = manager_scope(viewer=request.user, slug=slug)
    try:
        team = teams.create_team(scope=scope, name=request.POST.get("name", ""))
    except teams.TeamActionRefused as refusal:
        return back_to_teams(request, scope, refusal=refusal)
    return back_to_teams(request, scope, _("L'équipe « %(name)s » est créée.") % {"name": team.name})


@login_required
@require_POST
def team_rename(request, slug, team_id):
    scope = manager_scope(viewer=request.user, slug=slug)
    team = scope.team(team_id)
    try:
        teams.rename_team(scope=scope, team=team, name=request.POST.get("name", ""))
    except teams.TeamActionRefused as refusal:
        return back_to_teams(request, scope, refusal=refusal)
    return back_to_teams(request, scope, _("L'équipe s'appelle maintenant « %(name)s ».") % {"name": team.name})


@login_required
@require_POST
def team_delete(request, slug, team_id):
    scope = manager_scope(viewer=request.user, slug=slug)
    team = scope.team(team_id)
    try:
        teams.delete_team(scope=scope, team=team)
    except teams.TeamActionRefused as refusal:
        return back_to_teams(request, scope, refusal=refusal)
    return back_to_teams(request, scope, _("L'équipe « %(name)s » est supprimée.") % {"name": team.name})


@login_required
@require_POST
def member_move(request, slug, membership_id):
    scope = manager_scope(viewer=request.user, slug=slug)
    membership = teams.membership_in_scope(scope, membership_id)
    value = request.POST.get("team", "")
    team = scope.team(value) if value else None
    try:
        teams.move_member(scope=scope, membership=membership, team=team, request=request)
    except teams.TeamActionRefused as refusal:
        return back_to_teams(request, scope, refusal=refusal)
    return back_to_teams(request, scope, _("%(person)s a changé d'équipe.") % {"person": membership.user})


@login_required
@require_POST
def member_role(request, slug, membership_id):
    scope = manager_scope(viewer=request.user, slug=slug)
    membership = teams.membership_in_scope(scope, membership_id)
    try:
        teams.change_role(scope=scope, membership=membership, role=request.POST.get("role", ""), request=request)
    except teams.TeamActionRefused as refusal:
        return back_to_teams(request, scope, refusal=refusal)
    return back_to_teams(
        request, scope,
        _("%(person)s est maintenant : %(role)s.") % {"person": membership.user, "role": membership.get_role_display()},
    )


@login_required
@require_POST
def member_remove(request, slug, membership_id):
    scope = manager_scope(viewer=request.user, slug=slug)
    membership = teams.membership_in_scope(scope, membership_id)
    try:
        teams.remove_member(scope=scope, membership=membership, request=request)
    except teams.TeamActionRefused as refusal:
        return back_to_teams(request, scope, refusal=refusal)
    return back_to_teams(request, scope, _("%(person)s ne fait plus partie de l'organisation.") % {"person": membership.user})


# --- Invitations ------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def invitations_page(request, slug):
    scope = manager_scope(viewer=request.user, slug=slug)
    form = InvitationForm(request.POST or None, scope=scope)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                invitation = invitations.invite(
                    organisation=scope.organisation, email=data["email"], invited_by=request.user,
                    first_name=data["first_name"], last_name=data["last_name"], team=data["team"], role=data["role"],
                )
            except invitations.InvitationRefused as refusal:
                form.add_error("email", refusal.message)
            else:
                messages.success(request, _("Invitation envoyée à %(email)s.") % {"email": invitation.email})
                return redirect("organisation_invitations", slug=slug)
        status = 400
    rows = list(invitations.invitations_seen(scope))
    return render(
        request, "organisations/invitations.html",
        {"organisation": scope.organisation, "form": form, "invitations": rows, "statuses": Invitation.Status},
        status=status,
    )


def invitation_in_scope(scope, invitation_id):
    invitation = invitations.invitations_seen(scope).filter(pk=invitation_id).first() if is_id(invitation_id) else None
    if invitation is None:
        raise Http404
    return invitation


@login_required
@require_POST
def invitation_resend(request, slug, invitation_id):
    scope = manager_scope(viewer=request.user, slug=slug)
    invitation = invitation_in_scope(scope, invitation_id)
    try:
        invitations.resend(invitation=invitation)
    except invitations.InvitationRefused as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("Invitation renvoyée à %(email)s ; l'ancien lien ne fonctionne plus.")
                         % {"email": invitation.email})
    return redirect("organisation_invitations", slug=slug)


@login_required
@require_POST
def invitation_revoke(request, slug, invitation_id):
    scope = manager_scope(viewer=request.user, slug=slug)
    invitation = invitation_in_scope(scope, invitation_id)
    try:
        invitations.revoke(invitation=invitation)
    except invitations.InvitationRefused as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("Invitation de %(email)s révoquée.") % {"email": invitation.email})
    return redirect("organisation_invitations", slug=slug)


# --- CSV import ---------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def import_upload(request, slug):
    scope = manager_scope(viewer=request.user, slug=slug)
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            uploaded = form.cleaned_data["file"]
            try:
                parsed = csv_import.read_csv(uploaded)
            except csv_import.FileRefused as refusal:
                form.add_error("file", refusal.message)
            else:
                batch = csv_import.store_preview(scope=scope, parsed=parsed, file_name=uploaded.name)
                return redirect("organisation_import_preview", slug=slug, batch_id=batch.pk)
        status = 400
    return render(request, "organisations/import.html", {"organisation": scope.organisation, "form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def import_preview(request, slug, batch_id):
    scope = manager_scope(viewer=request.user, slug=slug)
    batch = csv_import.batch_in_scope(scope, batch_id)
    if batch is None:
        messages.error(request, _("Cet import a déjà été fait ou a expiré : envoyez le fichier à nouveau."))
        return redirect("organisation_import", slug=slug)
    if request.method == "POST":
        try:
            result = csv_import.import_batch(scope=scope, batch=batch)
        except csv_import.FileRefused as refusal:
            messages.error(request, refusal.message)
            return redirect("organisation_import", slug=slug)
        messages.success(request, _("%(count)d invitation(s) envoyée(s).") % {"count": result.invited})
        if result.skipped:
            messages.warning(
                request, _("%(count)d ligne(s) écartée(s) car elles ont changé depuis l'aperçu : %(lines)s.") % {
                    "count": len(result.skipped),
                    "lines": "; ".join(f"{row.line} ({row.problem})" for row in result.skipped[:20]),
                }
            )
        return redirect("organisation_invitations", slug=slug)
    rows = csv_import.check_rows(scope=scope, rows=batch.rows)
    good = sum(1 for row in rows if row.ok)
    return render(request, "organisations/import_preview.html", {
        "organisation": scope.organisation, "batch": batch, "rows": rows, "good_count": good,
        "bad_count": len(rows) - good,
    })


# --- Acceptance (public) ------------------------------------------------------------------


def invitation_refused(request, refusal):
    return render(
        request, "organisations/invitation_refused.html", {"message": refusal.message}, status=refusal_status(refusal)
    )


@never_cache
@require_http_methods(["GET", "POST"])
def invitation_accept(request, token):
    """Anyone holding the link: a visitor creates their account here, the invited person
    (logged in) accepts with one click, anyone else is asked to log out first."""
    try:
        invitation = invitations.find_invitation(token)
    except invitations.InvitationRefused as refusal:
        return invitation_refused(request, refusal)
    context = {"invitation": invitation, "organisation": invitation.organisation}
    user = request.user
    if user.is_authenticated:
        if not invitations.email_matches(invitation, user):
            return render(request, "organisations/invitation_wrong_account.html", context, status=403)
        if request.method == "POST":
            try:
                invitations.accept(token=token, user=user)
            except invitations.InvitationRefused as refusal:
                return invitation_refused(request, refusal)
            messages.success(request, _("Bienvenue dans « %(organisation)s » !") % {"organisation": invitation.organisation})
            return redirect("dashboard")
        return render(request, "organisations/invitation_accept.html", context)
    if User.objects.filter(email__iexact=invitation.email).exists():
        return render(request, "organisations/invitation_login.html", {**context, "next": request.path})
    form = InvitationSignupForm(
        request.POST or None, email=invitation.email,
        initial={"first_name": invitation.first_name, "last_name": invitation.last_name},
    )
    if request.method == "POST" and form.is_valid():
        try:
            user, _membership = invitations.sign_up_and_accept(
                token=token, first_name=form.cleaned_data["first_name"], last_name=form.cleaned_data["last_name"],
                password=form.cleaned_data["password1"], language=translation.get_language() or "fr",
            )
        except invitations.InvitationRefused as refusal:
            return invitation_refused(request, refusal)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Bienvenue, %(name)s ! Votre compte est créé et vous avez rejoint « %(organisation)s ».")
                         % {"name": user.first_name, "organisation": invitation.organisation})
        return redirect("dashboard")
    return render(request, "organisations/invitation_signup.html", {**context, "form": form},
                  status=400 if form.errors else 200)
