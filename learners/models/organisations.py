"""Client organisations, their teams, the people in them and the courses assigned to them.

A person may belong to several organisations, each seen separately. A manager's
membership either covers the whole organisation (no team) or one team; what a team's
manager sees is set per organisation (`manager_scope`)."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Organisation(models.Model):
    """A client organisation whose teams follow courses."""

    class ManagerScope(models.TextChoices):
        ORGANISATION = "organisation", _("Toute l'organisation")  # every manager sees every team
        OWN_TEAMS = "own_teams", _("Leurs équipes seulement")  # a team's manager sees that team only

    name = models.CharField(_("nom"), max_length=200)
    slug = models.SlugField(_("identifiant d'URL"), unique=True)
    manager_scope = models.CharField(
        _("ce que voient les responsables d'équipe"), max_length=16, choices=ManagerScope.choices,
        default=ManagerScope.ORGANISATION,
    )
    reminder_days_before = models.PositiveSmallIntegerField(
        _("relance avant l'échéance (jours)"), null=True, blank=True, default=3,
        validators=[MaxValueValidator(60)],
        help_text=_("Laisser vide pour ne jamais relancer automatiquement."),
    )
    reminder_every_days = models.PositiveSmallIntegerField(
        _("puis relancer tous les (jours)"), default=7, validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text=_("Après l'échéance, tant que la formation n'est pas terminée."),
    )
    created_at = models.DateTimeField(default=timezone.now)

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
    """A person in an organisation, with a role, in one team or (without a team) across
    the whole organisation. One row per person, organisation and team."""

    class Role(models.TextChoices):
        LEARNER = "learner", _("Apprenant")  # follows courses
        MANAGER = "manager", _("Responsable")  # follows progress, assigns courses; may also learn

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("utilisateur")
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("organisation")
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("équipe"),
        help_text=_("Vide : toute l'organisation (pour un responsable, il voit alors toutes les équipes)."),
    )
    role = models.CharField(_("rôle"), max_length=16, choices=Role.choices, default=Role.LEARNER)
    joined_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("appartenance")
        verbose_name_plural = _("appartenances")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation", "team"], condition=Q(team__isnull=False), name="unique_membership_per_team"
            ),
            models.UniqueConstraint(
                fields=["user", "organisation"], condition=Q(team__isnull=True), name="unique_membership_without_team"
            ),
        ]

    def __str__(self):
        return f"{self.user} — {self.team or self.organisation} ({self.get_role_display()})"


class Assignment(models.Model):
    """A course assigned to a person of an organisation, with an optional due date.
    Assigning enrols the person; the status is derived from their enrolment
    (learners.assignments.assignment_status), never stored."""

    class Status(models.TextChoices):
        NOT_STARTED = "not_started", _("Pas commencée")  # enrolled, no step done
        IN_PROGRESS = "in_progress", _("En cours")  # some steps done, due date not passed
        COMPLETED = "completed", _("Terminée")  # every step done
        OVERDUE = "overdue", _("En retard")  # due date passed, not completed

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="assignments")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assignments")
    course = models.ForeignKey("courses.CoursePage", on_delete=models.CASCADE, related_name="assignments")
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="assignments",
        help_text=_("L'équipe par laquelle la formation a été affectée, le cas échéant."),
    )
    due_on = models.DateField(_("échéance"), null=True, blank=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assigned_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("affectation")
        verbose_name_plural = _("affectations")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "user", "course"], name="one_assignment_per_course")
        ]
        indexes = [models.Index(fields=["organisation", "due_on"])]

    def __str__(self):
        return f"{self.course_id} → {self.user_id} ({self.organisation_id})"


class TeamCourse(models.Model):
    """A course assigned to a team as such: its members have an Assignment each, and
    whoever joins the team later gets one too (learners.assignments.assign_team_courses_to),
    even when the team was empty when the course was assigned."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="courses")
    course = models.ForeignKey("courses.CoursePage", on_delete=models.CASCADE, related_name="+")
    due_on = models.DateField(_("échéance"), null=True, blank=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assigned_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("formation d'une équipe")
        verbose_name_plural = _("formations des équipes")
        constraints = [models.UniqueConstraint(fields=["team", "course"], name="one_team_course")]

    def __str__(self):
        return f"{self.course_id} → {self.team}"
