"""Who is asking: the client's address, the one rule for throttling and the audit log."""

import ipaddress

from django.conf import settings


def client_address(request):
    """The address of the person making the request: REMOTE_ADDR, or, behind
    `TRUSTED_PROXY_COUNT` reverse proxies, the entry the outermost of them appended to
    X-Forwarded-For (entries further left are whatever the client sent: never trusted)."""
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if proxies:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= proxies and is_ip_address(forwarded[-proxies]):
            return forwarded[-proxies]
    remote = request.META.get("REMOTE_ADDR", "")
    return remote if is_ip_address(remote) else None


def is_ip_address(text):
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True
