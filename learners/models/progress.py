"""Progress: enrolments with their course rollup, module rollups, step rows."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


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
    # The learner's work on the step's exercises (learners.exercises), by block id:
    # {"answer": text as typed, "done_at": ISO time, "checked": [criterion numbers]}.
    # Kept here so the lesson page reads it with the progress rows, in the same query.
    exercises = models.JSONField(_("exercices"), default=dict, blank=True)

    class Meta:
        verbose_name = _("progression dans une étape")
        verbose_name_plural = _("progressions dans les étapes")
        constraints = [models.UniqueConstraint(fields=["user", "step"], name="unique_step_progress")]
        indexes = [models.Index(fields=["course", "status"])]


class PendingRecount(models.Model):
    """A recount of a course's enrolments is queued and has not started yet. Set when
    the course's content changes, cleared by the recount task as it starts: a burst of
    publishes queues one recount, not one each (learners.content_changes)."""

    # Not a foreign key: a marker may be set while the course itself is being deleted
    # (its pages go first); the task then finds no course and clears it.
    course_id = models.BigIntegerField(unique=True)
    requested_at = models.DateTimeField()

    class Meta:
        verbose_name = _("recomptage en attente")
        verbose_name_plural = _("recomptages en attente")


class RecountedOutline(models.Model):
    """The outline (live modules and their live steps, in order) that a course's
    enrolments were last recounted against: a recount finding the same outline (a
    lesson's text edited and republished) has nothing to change and returns at once, and
    one finding some modules unchanged leaves their rows alone, and one finding only new
    steps that nobody has completed moves the totals in place. Every other change of the
    rollups goes through the learner's own step."""

    course_id = models.BigIntegerField(unique=True)  # as PendingRecount: no foreign key
    digest = models.CharField(max_length=64)  # of the whole outline, in order
    modules = models.JSONField(default=dict)  # module id (text) -> its live step ids, sorted
    steps = models.JSONField(default=list)  # the live step ids, in outline order (empty: not known)
    recounted_at = models.DateTimeField()

    class Meta:
        verbose_name = _("plan recompté")
        verbose_name_plural = _("plans recomptés")
