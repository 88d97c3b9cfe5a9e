"""Where a `?next=` may send a person: a path of this site, never a view name, another
site, or a loop back to the page that answers."""

from urllib.parse import urlsplit

from django.utils.http import url_has_allowed_host_and_scheme


def local_path(request, target, *, excluded=()):
    """`target` if it is a path of this site other than the page being answered and the
    `excluded` paths; None otherwise."""
    if not target or not target.startswith("/"):
        return None
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return None
    path = urlsplit(target).path
    if path == request.path or path in excluded:
        return None
    return target


def requested_next(request, default, *, excluded=()):
    """The posted or queried `next`, if it is a safe local path; `default` otherwise."""
    return local_path(request, request.POST.get("next") or request.GET.get("next"), excluded=excluded) or default
