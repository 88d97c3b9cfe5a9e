"""Sessions that name their person, so that a request reads both in one query."""

from django.conf import settings
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models


class Session(AbstractBaseSession):
    """Django's database session, plus the person it is logged in as (None for a visitor).
    `learners.sessions.SessionStore` keeps `user` in step with the session's data and reads
    the person with the session row; the data stays the only authority on who is logged in
    (see `learners.sessions.session_user`)."""

    # No database constraint: a session saved while its person is being deleted must not
    # fail the request; deleting a person still deletes their sessions (on_delete).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, db_constraint=False,
        related_name="+",
    )

    class Meta(AbstractBaseSession.Meta):
        verbose_name = "session"

    @classmethod
    def get_session_store_class(cls):
        from learners.sessions import SessionStore

        return SessionStore
