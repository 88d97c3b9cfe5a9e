"""The session and the person behind it in one query (SESSION_ENGINE and MIDDLEWARE).

Django reads a logged-in request's session row, then its user row: two round trips on
every page a learner opens. Here the session row names its person (`Session.user`), the
store reads both with one join (SQL written once), and `AuthenticationMiddleware` takes that person when
Django's own rule would give the same answer: the session's data names this person,
through `ModelBackend`, its password hash is verified with the current secret, and the
account may log in. Anything else (no such person, an inactive account, a password changed
elsewhere, a hash made with a rotated secret, another backend) goes through Django's
`auth.get_user`, which applies every rule itself (it flushes a session it refuses)."""

from django.conf import settings
from django.contrib import auth
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.middleware import AuthenticationMiddleware as DjangoAuthenticationMiddleware
from django.contrib.sessions.backends import db
from django.db import connection
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.functional import SimpleLazyObject

from courses import publishing
from learners.rawsql import column_converters, converted

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


class SessionStore(db.SessionStore):
    """Django's database store on `learners.models.Session`: saving a session records its
    person; loading one reads its person too (`self.user`, None for a visitor)."""

    user = None

    @classmethod
    def get_model_class(cls):
        from learners.models import Session

        return Session

    def _get_session_from_db(self):
        self.user = None
        found = session_with_person(self.session_key, timezone.now())
        if found is None:
            self._session_key = None  # as Django's store does: a new session if one is saved
            return None
        row, self.user = found
        return row

    def create_model_instance(self, data):
        row = super().create_model_instance(data)
        user_id = str(data.get(auth.SESSION_KEY, ""))
        row.user_id = int(user_id) if user_id.isascii() and user_id.isdigit() else None
        return row


def session_with_person(session_key, now):
    """(the session row `session_key` if it has not expired at `now`, its person or None),
    or None: one query, its SQL written once per database (learners.rawsql), which also
    reads the content token for the request (courses.publishing.offer_token)."""
    from learners.models import Session, User

    query = _session_sql.get(connection.vendor)
    if query is None:
        query = _session_sql[connection.vendor] = _session_query(Session, User)
    sql, session_fields, user_fields, session_converters, user_converters = query
    with connection.cursor() as cursor:
        cursor.execute(sql, [session_key, connection.ops.adapt_datetimefield_value(now)])
        values = cursor.fetchone()
    if values is None:
        return None
    publishing.offer_token(values[-1])
    values = list(values[:-1])
    converted(values, session_converters)
    session = Session.from_db(connection.alias, session_fields, values[:len(session_fields)])
    if values[len(session_fields)] is None:
        return session, None
    converted(values, user_converters, offset=len(session_fields))
    return session, User.from_db(connection.alias, user_fields, values[len(session_fields):])


_session_sql = {}  # database vendor -> what _session_query gives


def _session_query(Session, User):
    """The SQL of session_with_person, with the fields and converters of its columns."""
    quote = connection.ops.quote_name
    session_fields, user_fields = Session._meta.concrete_fields, User._meta.concrete_fields
    column = {name: quote(Session._meta.get_field(name).column) for name in ("session_key", "expire_date", "user")}
    columns = [f"s.{quote(field.column)}" for field in session_fields] + [f"u.{quote(field.column)}" for field in user_fields]
    # Last column: the content token, which the request would read next (courses.publishing).
    columns.append(f"({publishing.token_sql()})")
    sql = (f"SELECT {', '.join(columns)} FROM {quote(Session._meta.db_table)} s "
           f"LEFT JOIN {quote(User._meta.db_table)} u ON u.{quote(User._meta.pk.column)} = s.{column['user']} "
           f"WHERE s.{column['session_key']} = %s AND s.{column['expire_date']} > %s")
    return (sql, [field.attname for field in session_fields], [field.attname for field in user_fields],
            column_converters(Session, *(field.name for field in session_fields)),
            column_converters(User, *(field.name for field in user_fields)))


def session_user(request):
    """The person logged in on `request`, as `django.contrib.auth.get_user` decides it."""
    session = request.session
    user = getattr(session, "user", None) if session.get(auth.BACKEND_SESSION_KEY) == MODEL_BACKEND else None
    if (
        user is not None
        and MODEL_BACKEND in settings.AUTHENTICATION_BACKENDS
        and str(user.pk) == str(session.get(auth.SESSION_KEY))
        and ModelBackend().user_can_authenticate(user)
        and constant_time_compare(session.get(auth.HASH_SESSION_KEY) or "", user.get_session_auth_hash())
    ):
        return user
    return auth.get_user(request)


class AuthenticationMiddleware(DjangoAuthenticationMiddleware):
    """Django's, with `request.user` from `session_user` (one query fewer per request)."""

    def process_request(self, request):
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: session_user(request))
