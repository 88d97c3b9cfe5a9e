"""A person's data rights from their account: download their data, delete their account.
The rules live in learners.data_rights; these views translate HTTP."""

from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods

from learners import data_rights
from learners.forms import DeleteAccountForm
from learners.throttling import rate_limited


@login_required
@require_http_methods(["GET", "POST"])
@rate_limited("data_export")
def my_data(request):
    """GET: what Passerelle keeps and why. POST: the JSON file of it all (recorded in
    the audit log)."""
    if request.method == "POST":
        name, content = data_rights.export_file(user=request.user, request=request)
        response = HttpResponse(content, content_type="application/json; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    return render(request, "learners/data_rights/my_data.html")


@sensitive_post_parameters()
@login_required
@require_http_methods(["GET", "POST"])
def delete_account(request):
    """Confirm with the password (and a code with 2FA on), then delete in one
    transaction, log out and show the confirmation page."""
    refusal = data_rights.deletion_refusal(request.user)
    form = DeleteAccountForm(request.POST if request.method == "POST" and refusal is None else None, request=request)
    if refusal is None and form.is_valid():
        try:
            data_rights.delete_account(user=request.user, request=request)
        except data_rights.DeletionRefused as error:
            refusal = error.message
        else:
            logout(request)
            return redirect("account_deleted")
    status = 409 if refusal is not None and request.method == "POST" else 200
    return render(request, "learners/data_rights/delete_account.html", {"form": form, "refusal": refusal}, status=status)


@require_GET
def account_deleted(request):
    return render(request, "learners/data_rights/account_deleted.html")
