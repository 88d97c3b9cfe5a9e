"""The content tree: CourseIndexPage > CoursePage > ModulePage > LessonPage.

A *step* is a page a learner works through inside a module (a lesson, a quiz). Steps
are ordered by the page tree; each says how it is completed (`completion_earned`)."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.http import Http404
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page
from wagtail.search import index

from courses.blocks import TEXT_FEATURES, LessonBodyBlock


def objectives_field():
    return StreamField(
        [("objective", blocks.CharBlock(label=_("objectif"), max_length=255, icon="tick"))],
        blank=True,
        verbose_name=_("objectifs pédagogiques"),
        help_text=_("Un objectif par ligne, commençant par un verbe : « Paramétrer… », « Rédiger… »."),
    )


class CourseIndexPage(Page):
    """The catalogue: every published course."""

    intro = RichTextField(_("introduction"), blank=True, features=TEXT_FEATURES)

    content_panels = Page.content_panels + [FieldPanel("intro")]

    parent_page_types = ["home.HomePage"]
    subpage_types = ["courses.CoursePage"]

    class Meta:
        verbose_name = _("catalogue des formations")

    def get_context(self, request, *args, **kwargs):
        from courses.selectors import catalogue_courses

        context = super().get_context(request, *args, **kwargs)
        context["courses"] = catalogue_courses(index=self)
        return context


class CoursePage(Page):
    """A course: modules in the order of the page tree, each made of steps."""

    class Level(models.TextChoices):
        BEGINNER = "beginner", _("Débutant")  # no prior knowledge needed
        INTERMEDIATE = "intermediate", _("Intermédiaire")  # uses social networks at work already
        ADVANCED = "advanced", _("Avancé")  # runs accounts or a team

    intro = RichTextField(_("introduction"), features=TEXT_FEATURES)
    objectives = objectives_field()
    audience = models.TextField(_("public visé"), blank=True)
    level = models.CharField(_("niveau"), max_length=16, choices=Level.choices, default=Level.BEGINNER)
    cover_image = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("image de couverture"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    sequential = models.BooleanField(
        _("parcours séquentiel"),
        default=False,
        help_text=_("Chaque étape ne s'ouvre qu'une fois la précédente terminée."),
    )

    content_panels = Page.content_panels + [
        FieldPanel("intro"),
        FieldPanel("objectives"),
        FieldPanel("audience"),
        FieldPanel("level"),
        FieldPanel("cover_image"),
        FieldPanel("sequential"),
    ]

    search_fields = Page.search_fields + [index.SearchField("intro"), index.SearchField("audience")]

    parent_page_types = ["courses.CourseIndexPage"]
    subpage_types = ["courses.ModulePage"]

    class Meta:
        verbose_name = _("formation")
        verbose_name_plural = _("formations")

    def get_context(self, request, *args, **kwargs):
        from courses.selectors import course_outline
        from learners.progress import course_standing

        context = super().get_context(request, *args, **kwargs)
        context["outline"] = course_outline(self)
        context["access"] = course_standing(user=request.user, outline=context["outline"])
        return context

    def serve(self, request, *args, **kwargs):
        """A logged-in learner's course page comes from a shell kept per publish, their
        figures written in (courses.serving); anyone else's is rendered by Wagtail."""
        if getattr(request, "is_preview", False) or not request.user.is_authenticated:
            return super().serve(request, *args, **kwargs)
        from courses import serving

        context = self.get_context(request, *args, **kwargs)
        template = self.get_template(request, *args, **kwargs)
        return serving.learner_course_response(request, self, context["access"], template, context)


class ModulePage(Page):
    """A theme of a course; its children are the steps, in tree order."""

    class Theme(models.TextChoices):
        PRIVACY = "privacy", _("Vie privée et données personnelles")
        EDITORIAL_LINE = "editorial_line", _("Ligne éditoriale")
        COMMUNITY = "community", _("Animation de communauté")
        CRISIS = "crisis", _("Gestion de crise")
        GOVERNANCE = "governance", _("Gouvernance et prise de parole")
        OTHER = "other", _("Autre")

    theme = models.CharField(_("thème"), max_length=32, choices=Theme.choices, default=Theme.OTHER)
    intro = RichTextField(_("introduction"), blank=True, features=TEXT_FEATURES)
    objectives = objectives_field()

    content_panels = Page.content_panels + [FieldPanel("theme"), FieldPanel("intro"), FieldPanel("objectives")]

    search_fields = Page.search_fields + [index.SearchField("intro")]

    parent_page_types = ["courses.CoursePage"]
    subpage_types = ["courses.LessonPage", "quizzes.QuizPage", "courses.ScenarioPage"]

    class Meta:
        verbose_name = _("module")
        verbose_name_plural = _("modules")

    def get_context(self, request, *args, **kwargs):
        from courses.selectors import course_of, course_outline
        from learners.progress import course_standing

        context = super().get_context(request, *args, **kwargs)
        outline = course_outline(course_of(self))
        context["outline"] = outline
        context["module_outline"] = outline.module(self)
        context["access"] = course_standing(user=request.user, outline=outline)
        return context


class StepPage(Page):
    """What every step (a lesson, a quiz) shares: only enrolled learners open it, a
    sequential course keeps it locked until the previous step is done, and each visit is
    recorded. Progress lives in the learners app, reached through learners.progress."""

    step_template_gate = "courses/step_gate.html"
    # Whether the learner completes the step by saying so ("J'ai terminé cette leçon").
    # Steps whose completion the platform decides (a quiz: a passed, graded attempt) say no.
    completed_by_learner = True
    # Whether the page an enrolled learner sees is kept as a shell with their figures
    # written in per request (courses.serving.learner_step_response): true for a page whose
    # template reads nothing of the learner but `access` and the outline's marks.
    learner_shell = False

    # Every step says how long it takes: the course outline adds them up, and the
    # catalogue card and the course page both show that one sum (CourseOutline.minutes).
    estimated_minutes = models.PositiveSmallIntegerField(
        _("durée estimée (minutes)"),
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(240)],
    )

    class Meta:
        abstract = True

    # What a learner is told when they ask to complete a step whose rule they have not met.
    completion_refused = _("Cette étape se termine par son activité : faites-la jusqu'au bout.")

    def completion_earned(self, user):
        """Whether `user` has met this step's own completion rule. The progress door asks
        it before completing any step, whoever calls it."""
        return self.completed_by_learner

    def serve(self, request, *args, **kwargs):
        from learners import progress

        if getattr(request, "is_preview", False):
            return super().serve(request, *args, **kwargs)
        try:
            access = progress.step_access(user=request.user, page=self)
        except progress.NotAStep:
            raise Http404 from None
        if access.enrollment is None or access.blocking_step is not None:
            status = 200 if access.enrollment is None else 403
            return TemplateResponse(request, self.step_template_gate, {"page": self, "access": access}, status=status)
        progress.record_step_viewed(access=access)
        template = self.get_template(request, *args, **kwargs)
        context = self.get_context(request, *args, access=access, **kwargs)
        if self.learner_shell:
            from courses import serving

            return serving.learner_step_response(request, self, access, template, context)
        return TemplateResponse(request, template, context)

    def get_context(self, request, *args, access=None, **kwargs):
        """`access`: where the learner stands on this step (StepPage.serve passes it);
        None in an editor's preview, which shows the step as a visitor would."""
        from courses.selectors import course_of, course_outline

        context = super().get_context(request, *args, **kwargs)
        outline = access.outline if access is not None else course_outline(course_of(self))
        context["access"] = access
        context["outline"] = outline
        context["module_outline"] = outline.module_of(self)
        context["previous_step"], context["next_step"] = outline.neighbours(self)
        return context


class LessonPage(StepPage):
    """A lesson: a stream of blocks that ends with a practical exercise."""

    summary = models.CharField(_("résumé"), max_length=255, blank=True)
    body = StreamField(LessonBodyBlock(), verbose_name=_("contenu"))

    content_panels = Page.content_panels + [
        FieldPanel("summary"),
        FieldPanel("estimated_minutes"),
        FieldPanel("body"),
    ]

    search_fields = Page.search_fields + [index.SearchField("summary"), index.SearchField("body")]

    parent_page_types = ["courses.ModulePage"]
    subpage_types = []
    learner_shell = True

    class Meta:
        verbose_name = _("leçon")
        verbose_name_plural = _("leçons")


class ContentGeneration(models.Model):
    """One row: a token that changes, in the same transaction, with every change to the
    published site (a page saved, published, unpublished, moved or deleted; a view
    restriction, a site or an image changed). Whatever is computed from the page tree is
    cached under the token read at the start of the request (courses.publishing): a new
    token misses every older entry, in every process. A random token, not a counter: a
    rolled-back change can never hand its number to a later, different one."""

    token = models.CharField(max_length=32)

    class Meta:
        verbose_name = _("génération du contenu publié")


from courses.scenarios import ScenarioAction, ScenarioPage, ScenarioRun  # noqa: E402,F401  the crisis room
