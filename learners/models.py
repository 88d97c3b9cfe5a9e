from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel

from learners.audit import Action as AuditAction


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

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = ["first_name", "last_name"]

    objects = EmailUserManager()

    class Meta:
        verbose_name = _("utilisateur")
        verbose_name_plural = _("utilisateurs")
        ordering = ["last_name", "first_name", "email"]

    def __str__(self):
        return self.get_full_name() or self.email

    def get_full_name(self):
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self):
        return self.first_name or self.email


class Organisation(models.Model):
    """A client organisation whose teams follow courses."""

    name = models.CharField(_("nom"), max_length=200)
    slug = models.SlugField(_("identifiant d'URL"), unique=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Team(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="teams", verbose_name=_("organisation")
    )
    name = models.CharField(_("nom"), max_length=200)

    class Meta:
        verbose_name = _("équipe")
        verbose_name_plural = _("équipes")
        ordering = ["organisation__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="unique_team_name_per_organisation")
        ]

    def __str__(self):
        return f"{self.organisation} — {self.name}"


class Membership(models.Model):
    class Role(models.TextChoices):
        LEARNER = "learner", _("Apprenant")  # follows courses
        MANAGER = "manager", _("Responsable")  # follows the team's progress, assigns courses

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("utilisateur")
    )
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("équipe"))
    role = models.CharField(_("rôle"), max_length=16, choices=Role.choices, default=Role.LEARNER)

    class Meta:
        verbose_name = _("appartenance")
        verbose_name_plural = _("appartenances")
        constraints = [models.UniqueConstraint(fields=["user", "team"], name="unique_membership_per_team")]

    def __str__(self):
        return f"{self.user} — {self.team} ({self.get_role_display()})"


class Enrollment(models.Model):
    """A learner following a course, with the course-level rollup of their progress.

    The counts are kept up to date in the same transaction as each step (and recounted
    in bulk when the course changes), so dashboards read this row, never the page tree."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrollments", verbose_name=_("apprenant")
    )
    course = models.ForeignKey(
        "courses.CoursePage", on_delete=models.CASCADE, related_name="enrollments", verbose_name=_("formation")
    )
    enrolled_at = models.DateTimeField(_("inscrit le"), auto_now_add=True)
    completed_steps = models.PositiveIntegerField(_("étapes terminées"), default=0)
    total_steps = models.PositiveIntegerField(_("étapes au total"), default=0)
    percent = models.PositiveSmallIntegerField(_("pourcentage"), default=0)
    last_step = models.ForeignKey(
        "wagtailcore.Page", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("dernière étape ouverte"),
    )
    resume_step = models.ForeignKey(
        "wagtailcore.Page", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("prochaine étape à faire"),
    )
    time_spent_seconds = models.PositiveIntegerField(_("temps passé (secondes)"), default=0)
    completed_at = models.DateTimeField(_("terminée le"), null=True, blank=True)

    class Meta:
        verbose_name = _("inscription")
        verbose_name_plural = _("inscriptions")
        constraints = [models.UniqueConstraint(fields=["user", "course"], name="unique_enrollment_per_course")]

    def __str__(self):
        return f"{self.user} — {self.course_id}"

    @property
    def is_completed(self):
        return self.completed_at is not None


class ModuleProgress(models.Model):
    """The module-level rollup of one enrolment."""

    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="modules")
    module = models.ForeignKey("courses.ModulePage", on_delete=models.CASCADE, related_name="+")
    completed_steps = models.PositiveIntegerField(default=0)
    total_steps = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("progression dans un module")
        verbose_name_plural = _("progressions dans les modules")
        constraints = [models.UniqueConstraint(fields=["enrollment", "module"], name="unique_module_progress")]

    @property
    def is_completed(self):
        return self.total_steps > 0 and self.completed_steps >= self.total_steps


class StepProgress(models.Model):
    """One learner on one step (a lesson, or a quiz)."""

    class Status(models.TextChoices):
        VIEWED = "viewed", _("Commencée")  # opened at least once
        COMPLETED = "completed", _("Terminée")  # marked done, or quiz passed

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="step_progress")
    step = models.ForeignKey("wagtailcore.Page", on_delete=models.CASCADE, related_name="+")
    course = models.ForeignKey("courses.CoursePage", on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.VIEWED)
    first_viewed_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    score = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    time_spent_seconds = models.PositiveIntegerField(default=0)
    last_time_report_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("progression dans une étape")
        verbose_name_plural = _("progressions dans les étapes")
        constraints = [models.UniqueConstraint(fields=["user", "step"], name="unique_step_progress")]
        indexes = [models.Index(fields=["course", "status"])]


class Certificate(models.Model):
    """Proof that a learner completed a course. Issued once; keeps the names it was
    issued with, so it outlives changes to (or the removal of) the course."""

    code = models.CharField(_("code de vérification"), max_length=32, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="certificates", verbose_name=_("apprenant")
    )
    course = models.ForeignKey(
        "courses.CoursePage", null=True, blank=True, on_delete=models.SET_NULL, related_name="certificates",
        verbose_name=_("formation"),
    )
    learner_name = models.CharField(_("nom de l'apprenant"), max_length=300)
    course_title = models.CharField(_("intitulé de la formation"), max_length=255)
    issued_at = models.DateTimeField(_("délivré le"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("révoqué le"), null=True, blank=True)
    revocation_reason = models.CharField(_("motif de révocation"), max_length=255, blank=True)

    panels = [
        FieldPanel("code", read_only=True),
        FieldPanel("learner_name", read_only=True),
        FieldPanel("course_title", read_only=True),
        FieldPanel("issued_at", read_only=True),
        FieldPanel("revoked_at"),
        FieldPanel("revocation_reason"),
    ]

    class Meta:
        verbose_name = _("certificat")
        verbose_name_plural = _("certificats")
        ordering = ["-issued_at"]
        constraints = [models.UniqueConstraint(fields=["user", "course"], name="one_certificate_per_course")]

    def __str__(self):
        return f"{self.course_title} — {self.learner_name} ({self.code})"

    @property
    def is_valid(self):
        return self.revoked_at is None


class AuditEvent(models.Model):
    """One sensitive action in the audit log (learners.audit.record writes them).

    Append-only: what it copies (the actor's e-mail, the target's label) stays as it
    was at the time, whatever happens to the people and objects afterwards."""

    at = models.DateTimeField(_("date"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("auteur"),
    )
    actor_email = models.CharField(_("e-mail de l'auteur"), max_length=254, blank=True)
    action = models.CharField(_("action"), max_length=40, choices=AuditAction.choices)
    target_type = models.CharField(_("type de la cible"), max_length=100, blank=True)
    target_id = models.CharField(_("identifiant de la cible"), max_length=64, blank=True)
    target_label = models.CharField(_("cible"), max_length=300, blank=True)
    details = models.JSONField(_("détails"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    ip_address = models.GenericIPAddressField(_("adresse IP"), null=True, blank=True)

    class Meta:
        verbose_name = _("événement du journal d'audit")
        verbose_name_plural = _("journal d'audit")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["target_type", "target_id"], name="audit_event_target")]

    def __str__(self):
        return f"{self.get_action_display()} — {self.target_label or '-'} ({self.actor_email or '-'})"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError("Audit events are append-only: an event is never changed.")
        super().save(*args, **kwargs)
