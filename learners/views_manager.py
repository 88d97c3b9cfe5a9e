"""The manager's dashboard, drill-down per person and exports. Every view starts with
learners.access.manager_scope: anyone outside it gets a 404. Reads are in
learners.manager_selectors, exports in learners.exports."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from home.views import refusal
from learners import exports
from learners.access import is_id, managed_organisations, manager_scope
from learners.manager_selectors import dashboard_view, manager_dashboard, person_detail
from learners.models import Export

CONTENT_TYPES = {
    Export.Format.CSV: "text/csv; charset=utf-8",
    Export.Format.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@login_required
@require_GET
def organisation_list(request):
    """The organisations the viewer manages; straight to the dashboard when there is one."""
    organisations = list(managed_organisations(request.user).order_by("name"))
    if not organisations:
        raise Http404
    if len(organisations) == 1:
        return redirect("organisation_dashboard", slug=organisations[0].slug)
    return render(request, "organisations/list.html", {"organisations": organisations})


def page_number(value):
    return int(value) if is_id(value) and len(value) < 7 else 1


@login_required
@require_GET
def organisation_dashboard(request, slug):
    scope = manager_scope(viewer=request.user, slug=slug)
    view = dashboard_view(scope, request.GET)
    for problem in view.problems:
        messages.warning(request, problem)
    dashboard = manager_dashboard(view, page=page_number(request.GET.get("page")))
    return render(request, "organisations/dashboard.html", {
        "organisation": scope.organisation, "dashboard": dashboard,
        "view": view,
    })


@login_required
@require_GET
def organisation_person(request, slug, user_id):
    scope = manager_scope(viewer=request.user, slug=slug)
    person = scope.person(user_id)
    records, teams = person_detail(scope, person)
    return render(request, "organisations/person.html", {
        "organisation": scope.organisation, "person": person,
        "records": records, "teams": teams,
    })


def own_export(request, scope, export_id):
    """An export of this organisation asked by the viewer; 404 for anyone else's."""
    export = Export.objects.filter(pk=export_id, organisation=scope.organisation, requested_by=request.user).first()
    if export is None:
        raise Http404
    return export


@login_required
@require_http_methods(["GET", "POST"])
def organisation_exports(request, slug):
    scope = manager_scope(viewer=request.user, slug=slug)
    if request.method == "POST":
        view = dashboard_view(scope, request.POST)
        export_format = request.POST.get("format", "")
        if export_format not in Export.Format.values:
            messages.error(request, _("Choisissez un format d'export : CSV ou XLSX."))
        elif view.problems:
            for problem in view.problems:
                messages.error(request, problem)
        elif view.course is None:
            messages.error(request, _("Aucune formation n'est affectée ici : il n'y a rien à exporter."))
        else:
            outcome, result = exports.request_export(request=request, view=view, export_format=export_format)
            if outcome == "direct":
                return download_now(view, export_format)
            messages.success(request, _(
                "L'export de %(rows)d personnes est en préparation ; il sera téléchargeable ici pendant 24 heures."
            ) % {"rows": result.row_count})
            return redirect(f"{reverse('organisation_exports', args=[slug])}#export-{result.pk}")
        return redirect(f"{reverse('organisation_exports', args=[slug])}?{view.query_string()}")
    view = dashboard_view(scope, request.GET)
    for problem in view.problems:
        messages.warning(request, problem)
    own = list(
        Export.objects.filter(organisation=scope.organisation, requested_by=request.user, expires_at__gt=timezone.now())
        .order_by("-created_at")[:20]
    )
    return render(request, "organisations/exports.html", {
        "organisation": scope.organisation, "view": view, "exports": own,
        "formats": Export.Format.choices, "direct_limit": exports.direct_limit(),
    })


def download_now(view, export_format):
    from learners.manager_selectors import export_rows

    name = exports.file_name(view, export_format)
    if export_format == Export.Format.CSV:
        response = StreamingHttpResponse(exports.csv_lines(export_rows(view)), content_type=CONTENT_TYPES[export_format])
    else:
        import tempfile

        handle = tempfile.TemporaryFile()  # closed by FileResponse once sent
        exports.write_xlsx(export_rows(view), handle)
        handle.seek(0)
        response = FileResponse(handle, content_type=CONTENT_TYPES[export_format])
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_GET
def organisation_export_status(request, slug, export_id):
    """The progress of one's own export, for the page's script (exports.js)."""
    scope = manager_scope(viewer=request.user, slug=slug)
    export = own_export(request, scope, export_id)
    ready = export.status == Export.Status.DONE and bool(export.file) and not export.has_expired()
    return JsonResponse({
        "status": export.status,
        "status_label": str(export.get_status_display()),
        "progress": export.progress,
        "row_count": export.row_count,
        "download_url": reverse("organisation_export_download", args=[slug, export.pk]) if ready else None,
    })


@login_required
@require_GET
def organisation_export_download(request, slug, export_id):
    """The file of one's own export: 404 for anyone else, 410 once it expired."""
    scope = manager_scope(viewer=request.user, slug=slug)
    export = own_export(request, scope, export_id)
    if export.has_expired() or (export.status == Export.Status.DONE and not export.file):
        return refusal(request, _(
            "Cet export a expiré : les fichiers ne sont gardés que 24 heures. Demandez un nouvel export."
        ), 410)
    if export.status != Export.Status.DONE:
        messages.info(request, _("Cet export n'est pas encore prêt : la page se met à jour toute seule."))
        return redirect(f"{reverse('organisation_exports', args=[slug])}#export-{export.pk}")
    name = export.file.name.rsplit("/", 1)[-1]
    return FileResponse(export.file.open("rb"), as_attachment=True, filename=name, content_type=CONTENT_TYPES[export.format])
