"""Throttling: how many failed logins, password-reset mails and certificate look-ups one
person (an account, an e-mail address) or one network address may cause.

- Logins (site and Wagtail admin) are counted by django-axes in the database: an account
  is locked after `LOGIN_FAILURES_PER_ACCOUNT` failures, an address after
  `LOGIN_FAILURES_PER_ADDRESS` failures on any accounts. Each lockout lasts longer than
  the one before (`COOL_OFF_STEPS`), as long as the earlier ones are fresher than
  `LOCKOUT_MEMORY`.
- Password-reset mails, certificate look-ups and personal-data downloads are counted by django-ratelimit in the
  "ratelimit" cache (`RATE_LIMITS`), which every web process shares.

Both answer with the same page: HTTP 429, what is blocked, and when to try again.
"""

import base64
import math
import pickle
from dataclasses import dataclass
from datetime import timedelta
from functools import wraps

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt, AccessFailureLog
from django.conf import settings
from django.core.cache.backends.db import DatabaseCache
from django.db import connections, router, transaction
from django.db.models import Max, Q, Sum
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django_ratelimit.core import get_usage

from home.client import client_address

# --- Logins (django-axes) -------------------------------------------------------------

# The n-th lockout of an account or an address within LOCKOUT_MEMORY lasts COOL_OFF_STEPS[n-1]
# (the last step for every lockout after that).
COOL_OFF_STEPS = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15), timedelta(hours=1))
LOCKOUT_MEMORY = timedelta(hours=24)


def login_username(request, credentials):
    """The account a login attempt is about, as axes counts it: the e-mail typed in the
    form's `username` field, trimmed and in lower case (logins are not case-sensitive, so
    neither is the count)."""
    typed = (credentials or {}).get("username")
    if typed is None and request is not None:
        typed = getattr(request, "POST", {}).get("username")
    return typed.strip().lower() if typed else None


def recent_lockouts(request):
    """How many times, within LOCKOUT_MEMORY, the account or the address of this request
    was locked out (axes logs the failure that locked it with `locked_out=True`)."""
    username = get_client_username(request)
    address = getattr(request, "axes_ip_address", None) or client_address(request)
    since = timezone.now() - LOCKOUT_MEMORY
    return AccessFailureLog.objects.filter(
        Q(username=username) | Q(ip_address=address), locked_out=True, attempt_time__gte=since
    ).count()


def login_cool_off(request):
    """AXES_COOLOFF_TIME: how long failures are remembered and a lockout lasts, for the
    account and address of `request`: 1 minute, then 5, 15 and 60 for each new lockout
    within 24 hours. Before a lockout, failures older than the coming cool-off are forgotten."""
    if request is None:
        return COOL_OFF_STEPS[-1]
    step = max(recent_lockouts(request) - 1, 0)
    return COOL_OFF_STEPS[min(step, len(COOL_OFF_STEPS) - 1)]


class LoginAttemptsHandler(AxesDatabaseHandler):
    """Axes' database handler with two changes:

    - an address may fail LOGIN_FAILURES_PER_ADDRESS times, an account only
      LOGIN_FAILURES_PER_ACCOUNT (= AXES_FAILURE_LIMIT): a team behind one office address
      does not lock itself out as fast as one account under attack;
    - expired attempts are removed per client: the cool-off differs between clients, so
      axes' clean-up (every attempt older than *this* client's cool-off) would end other
      clients' longer lockouts early.
    """

    def get_failures(self, request, credentials=None):
        per_account, per_address = (
            attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        )
        # Axes compares one number with AXES_FAILURE_LIMIT: scale the address count to it.
        scaled_address = per_address * settings.LOGIN_FAILURES_PER_ACCOUNT // settings.LOGIN_FAILURES_PER_ADDRESS
        return max(per_account, scaled_address)

    def clean_expired_user_attempts(self, request=None, credentials=None):
        now = timezone.now()
        count, _deleted = AccessAttempt.objects.filter(attempt_time__lte=now - max(COOL_OFF_STEPS)).delete()
        AccessFailureLog.objects.filter(attempt_time__lte=now - LOCKOUT_MEMORY).delete()
        if request is not None and hasattr(request, "axes_ip_address"):
            threshold = now - login_cool_off(request)
            for attempts in self.filter_user_attempts(request, credentials):
                deleted, _deleted = attempts.filter(attempt_time__lte=threshold).delete()
                count += deleted
        return count

    def reset_user_attempts(self, request, credentials=None):
        """A successful login forgets the failures on that account, not those of the
        address: otherwise anyone with an account of their own could wipe the address
        count between guesses at other accounts by logging in."""
        count, _deleted = AccessAttempt.objects.filter(username=get_client_username(request, credentials)).delete()
        return count

    def locked_until(self, request, credentials=None):
        """When the lockout of this request's account or address ends."""
        moments = [
            attempts.aggregate(latest=Max("attempt_time"))["latest"]
            for attempts in self.get_user_attempts(request, credentials)
        ]
        latest = max((moment for moment in moments if moment is not None), default=timezone.now())
        return latest + login_cool_off(request)


def login_lockout_response(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: the page a locked-out person sees instead of the login form."""
    from axes.handlers.proxy import AxesProxyHandler

    handler = AxesProxyHandler.get_implementation()
    retry_at = handler.locked_until(request, credentials) if isinstance(handler, LoginAttemptsHandler) else None
    message = _(
        "Trop de tentatives de connexion ont échoué pour ce compte ou depuis cette adresse. "
        "Par sécurité, la connexion est bloquée pendant %(duration)s."
    ) % {"duration": spoken_duration(login_cool_off(request))}
    return too_many_requests(request, message, retry_at)


# --- Mails and look-ups (django-ratelimit) --------------------------------------------


@dataclass(frozen=True)
class Rule:
    """At most `rate` (django-ratelimit's "count/period") requests with `method` per value
    of `key(group, request)`."""

    group: str
    key: object
    rate: str
    method: tuple
    message: str  # shown when the limit is reached; %(duration)s is the time to wait


def by_address(group, request):
    return client_address(request) or "unknown"


def by_account(group, request):
    return str(request.user.pk)


def by_reset_email(group, request):
    return request.POST.get("email", "").strip().lower()


RESET_REFUSED = gettext_lazy(
    "Trop de demandes de réinitialisation du mot de passe. "
    "Par sécurité, aucun nouvel e-mail ne sera envoyé pendant %(duration)s."
)

EXPORT_REFUSED = gettext_lazy("Vous avez déjà téléchargé vos données plusieurs fois en peu de temps. Réessayez dans %(duration)s.")

VERIFY_REFUSED = gettext_lazy("Trop de vérifications de certificats en peu de temps. Réessayez dans %(duration)s.")

RATE_LIMITS = {
    # One address asks at most 20 reset mails an hour, whatever the e-mails; one e-mail is
    # sent at most 5 an hour. Counted whether or not an account has that e-mail: the
    # answer never tells which addresses have an account.
    "password_reset": (
        Rule("password-reset-address", by_address, "20/h", ("POST",), RESET_REFUSED),
        Rule("password-reset-email", by_reset_email, "5/h", ("POST",), RESET_REFUSED),
    ),
    # 30 certificate look-ups a minute per address: enough for a recruiter, far too few to
    # guess codes.
    # A person downloads their own data at most 10 times an hour: plenty for them, and an
    # export is a full read of their history.
    "data_export": (Rule("data-export-account", by_account, "10/h", ("POST",), EXPORT_REFUSED),),
    "certificate_verify": (
        Rule("certificate-verify-address", by_address, "30/m", ("GET", "POST"), VERIFY_REFUSED),
    ),
}


def rate_limited(name):
    """View decorator: counts the request against every rule of RATE_LIMITS[name] and
    answers the 429 page instead of the view when one of them is exhausted."""
    rules = RATE_LIMITS[name]

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            for rule in rules:
                usage = get_usage(request, group=rule.group, key=rule.key, rate=rule.rate,
                                  method=list(rule.method), increment=True)
                if usage is not None and usage["should_limit"]:
                    wait = timedelta(seconds=max(usage["time_left"], 1))
                    message = str(rule.message) % {"duration": spoken_duration(wait)}
                    return too_many_requests(request, message, timezone.now() + wait)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


# --- The answer -----------------------------------------------------------------------


def spoken_duration(delta):
    """'1 minute', '5 minutes', '2 heures' (rounded up to the minute, whole hours as hours)."""
    minutes = max(math.ceil(delta.total_seconds() / 60), 1)
    if minutes >= 120 and minutes % 60 == 0:
        hours = minutes // 60
        return ngettext("%(count)d heure", "%(count)d heures", hours) % {"count": hours}
    return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}


def too_many_requests(request, message, retry_at=None):
    """HTTP 429 with the site's page: what is blocked and when to try again."""
    response = render(request, "throttled.html", {"message": message, "retry_at": retry_at}, status=429)
    if retry_at is not None:
        response["Retry-After"] = str(max(math.ceil((retry_at - timezone.now()).total_seconds()), 1))
    return response


# --- A cache that counts correctly across processes, with no server -------------------


class CountingDatabaseCache(DatabaseCache):
    """Django's database cache, whose incr() is a read-modify-write that two processes
    can interleave (and that resets the key's expiry): here it runs in one transaction,
    holding the row (SELECT ... FOR UPDATE on PostgreSQL; SQLite's IMMEDIATE transactions
    queue writers), and keeps the expiry, so rate-limit counters lose no request."""

    def incr(self, key, delta=1, version=None):
        key = self.make_and_validate_key(key, version=version)
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        table = connection.ops.quote_name(self._table)
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        now = connection.ops.adapt_datetimefield_value(timezone.now().replace(microsecond=0))
        with transaction.atomic(using=db), connection.cursor() as cursor:
            cursor.execute(
                f"SELECT value FROM {table} WHERE {connection.ops.quote_name('cache_key')} = %s "
                f"AND {connection.ops.quote_name('expires')} > %s{lock}",
                [key, now],
            )
            row = cursor.fetchone()
            if row is None:
                raise ValueError(f"Key '{key}' not found.")
            value = pickle.loads(base64.b64decode(connection.ops.process_clob(row[0]).encode())) + delta
            encoded = base64.b64encode(pickle.dumps(value, self.pickle_protocol)).decode("latin1")
            cursor.execute(
                f"UPDATE {table} SET {connection.ops.quote_name('value')} = %s "
                f"WHERE {connection.ops.quote_name('cache_key')} = %s",
                [encoded, key],
            )
        return value
