"""People: an e-mail login, a preferred language."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

# The address domain of deleted accounts (learners.data_rights.delete_account): ".invalid"
# is reserved (RFC 2606) and never receives mail.
DELETED_ACCOUNT_DOMAIN = "comptes-supprimes.invalid"


class EmailUserManager(UserManager):
    """Users are found by their e-mail address, compared case-insensitively."""

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)

    def get_by_natural_key(self, email):
        return self.get(email__iexact=email)


class User(AbstractUser):
    """A person using Passerelle. Logs in with an e-mail address; no username."""

    username = None
    email = models.EmailField(_("adresse e-mail"), unique=True)
    preferred_language = models.CharField(
        _("langue préférée"), max_length=8, choices=settings.LANGUAGES, default="fr"
    )
    # How many notices wait on the dashboard (learners.notices keeps it in step): read with
    # the session, it spares the dashboard of a learner without news a query.
    unseen_notices = models.PositiveIntegerField(default=0, editable=False)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = ["first_name", "last_name"]

    objects = EmailUserManager()

    class Meta:
        verbose_name = _("utilisateur")
        verbose_name_plural = _("utilisateurs")
        ordering = ["last_name", "first_name", "email"]

    def __str__(self):
        return self.get_full_name() or self.email

    @property
    def is_deleted_account(self):
        """Whether this row stands for a deleted account: it keeps the statistics of
        someone who deleted their account, and says nothing about who they were."""
        return self.email.endswith("@" + DELETED_ACCOUNT_DOMAIN)

    def get_full_name(self):
        if self.is_deleted_account:
            return gettext("Compte supprimé")
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self):
        if self.is_deleted_account:
            return self.get_full_name()
        return self.first_name or self.email
