"""Refusals: what the domain answers when it cannot do what was asked.

A refusal is an exception with a `message` for the person (French first, through gettext)
and a `kind`, the family of its reason. Each app declares one subclass per reason beside
the code that raises it (quizzes.services.AlreadySubmitted, learners.progress.StepLocked,
...). The domain knows nothing of HTTP: home.middleware.RefusalMiddleware turns a refusal
that leaves a view into the refusal page or JSON, with the status its kind maps to. A view
that shows a refusal inline (a form error, a message on the next page) catches it itself.

Everyone may import this module; it imports nothing of the project."""

from enum import StrEnum

from django.utils.translation import gettext_lazy as _


class Kind(StrEnum):
    """The family of a refusal's reason."""

    NOT_FOUND = "not_found"  # nothing by that name is the person's to see
    FORBIDDEN = "forbidden"  # it exists, but not for this person, or not yet, or no longer
    CONFLICT = "conflict"  # the state moved on: already sent, already ended
    INVALID = "invalid"  # what was sent cannot be accepted as it is
    GONE = "gone"  # it existed and is no more (an expired or used link)


class Refused(Exception):
    """A request the domain will not grant; nothing was written. `message` says why, to
    the person; a subclass sets its own `message` and `kind`, a call may override both."""

    kind = Kind.CONFLICT
    message = _("Cette action n'est pas possible.")

    def __init__(self, message=None, *, kind=None):
        if message is not None:
            self.message = message
        if kind is not None:
            self.kind = Kind(kind)
        super().__init__(self.message)
