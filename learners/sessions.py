"""The session and the person behind it in one query (SESSION_ENGINE and MIDDLEWARE).

Django reads a logged-in request's session row, then its user row: two round trips on
every page a learner opens. Here the session row names its person (`Session.user`), the
store reads both with one join, and `AuthenticationMiddleware` takes that person when
Django's own rule would give the same answer: the session's data names this person,
through `ModelBackend`, its password hash is verified with the current secret, and the
account may log in. Anything else (no such person, an inactive account, a password changed
elsewhere, a hash made with a rotated secret, another backend) goes through Django's
`auth.get_user`, which applies every rule itself (it flushes a session it refuses)."""

import logging

from django.conf import settings
from django.contrib import auth
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.middleware import AuthenticationMiddleware as DjangoAuthenticationMiddleware
from django.contrib.sessions.backends import db
from django.core.exceptions import SuspiciousOperation
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.functional import SimpleLazyObject

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
        try:
            row = self.model.objects.select_related("user").get(
                session_key=self.session_key, expire_date__gt=timezone.now()
            )
        except self.model.DoesNotExist:
            self._session_key = None  # as Django's store does: a new session if one is saved
            return None
        except SuspiciousOperation as error:
            logging.getLogger(f"django.security.{error.__class__.__name__}").warning(str(error))
            self._session_key = None
            return None
        self.user = row.user
        return row

    def create_model_instance(self, data):
        row = super().create_model_instance(data)
        user_id = str(data.get(auth.SESSION_KEY, ""))
        row.user_id = int(user_id) if user_id.isascii() and user_id.isdigit() else None
        return row


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
