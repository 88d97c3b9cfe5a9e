"""The quiz page: a step of a module that asks questions of the bank, in the trainer's
order, under its rules (pass mark, attempts, time limit, corrections shown)."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Orderable, Page
from wagtail.search import index

from courses.blocks import TEXT_FEATURES
from courses.models import StepPage
from learners import rawsql
from quizzes.models.attempts import Attempt


class QuizPage(StepPage):
    """A quiz inside a module. Passing it completes the step."""

    class FeedbackPolicy(models.TextChoices):
        SCORE_ONLY = "score_only", _("Score seulement")  # no corrections, ever
        SCORE_AND_CORRECTIONS = "corrections", _("Score et corrections")  # after every attempt
        CORRECTIONS_WHEN_PASSED = "corrections_when_passed", _("Corrections une fois le quiz réussi")

    intro = RichTextField(_("consigne"), blank=True, features=TEXT_FEATURES)
    pass_mark = models.PositiveSmallIntegerField(
        _("note pour réussir (%)"), default=70, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    max_attempts = models.PositiveSmallIntegerField(
        _("nombre maximal de tentatives"), null=True, blank=True, validators=[MinValueValidator(1)],
        help_text=_("Laisser vide pour un nombre illimité."),
    )
    time_limit_minutes = models.PositiveSmallIntegerField(
        _("durée limite (minutes)"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(600)],
        help_text=_("Laisser vide pour ne pas limiter le temps."),
    )
    shuffle_questions = models.BooleanField(_("mélanger les questions"), default=False)
    shuffle_choices = models.BooleanField(_("mélanger les réponses proposées"), default=True)
    feedback_policy = models.CharField(
        _("corrections montrées"), max_length=32, choices=FeedbackPolicy.choices,
        default=FeedbackPolicy.SCORE_AND_CORRECTIONS,
    )
    certainty_based_marking = models.BooleanField(
        _("notation selon la certitude"), default=False,
        help_text=_(
            "Pour chaque question, l'apprenant·e indique s'il ou elle est peu, assez ou très sûr·e. "
            "Une bonne réponse rapporte 1, 2 ou 3 fois les points de la question, une mauvaise 0, −2 ou −6 fois : "
            "se dire très sûr·e d'une erreur coûte cher. Le total ne descend jamais sous zéro ; le pourcentage "
            "comparé à la note pour réussir est ce total rapporté au maximum (tout juste en « très sûr·e ») : "
            "tout juste en « assez sûr·e » donne 67 %. Choisissez la note pour réussir en conséquence."
        ),
    )
    content_panels = Page.content_panels + [
        FieldPanel("intro"),
        InlinePanel("quiz_questions", label=_("Questions"), min_num=1),
        MultiFieldPanel(
            [
                FieldPanel("pass_mark"),
                FieldPanel("max_attempts"),
                FieldPanel("time_limit_minutes"),
                FieldPanel("shuffle_questions"),
                FieldPanel("shuffle_choices"),
                FieldPanel("feedback_policy"),
                FieldPanel("certainty_based_marking"),
                FieldPanel("estimated_minutes"),
            ],
            heading=_("Règles du quiz"),
        ),
    ]

    search_fields = Page.search_fields + [index.SearchField("intro")]

    parent_page_types = ["courses.ModulePage"]
    subpage_types = []

    class Meta:
        verbose_name = _("quiz")
        verbose_name_plural = _("quiz")

    def get_context(self, request, *args, **kwargs):
        from quizzes.selectors import quiz_calibration, quiz_overview

        context = super().get_context(request, *args, **kwargs)
        if context["access"] is not None:
            context["overview"] = quiz_overview(quiz=self, user=request.user)
            if self.certainty_based_marking and any(a.status == Attempt.Status.GRADED for a in context["overview"].attempts):
                context["calibration"] = quiz_calibration(quiz=self, user=request.user)
        return context

    # A quiz is completed by a passed, graded attempt, never by the learner's word.
    completed_by_learner = False
    completion_refused = _("Cette étape se termine en réussissant son quiz : lancez une tentative.")

    def completion_earned(self, user):
        # Written by hand: every grading that passes asks it (learners.progress).
        return rawsql.exists(Attempt, "quiz_id = %s AND user_id = %s AND status = %s AND passed",
                             [self.pk, user.pk, Attempt.Status.GRADED])

    def question_ids(self):
        return [row.question_id for row in self.quiz_questions.all()]


class QuizQuestion(Orderable):
    """A question of a quiz, in the order the trainer chose."""

    quiz = ParentalKey(QuizPage, on_delete=models.CASCADE, related_name="quiz_questions")
    question = models.ForeignKey(
        "quizzes.Question", on_delete=models.PROTECT, related_name="+", verbose_name=_("question")
    )

    panels = [FieldPanel("question")]

    class Meta(Orderable.Meta):
        verbose_name = _("question du quiz")
        constraints = [models.UniqueConstraint(fields=["quiz", "question"], name="unique_question_per_quiz")]

