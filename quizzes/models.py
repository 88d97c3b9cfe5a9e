"""Quizzes: a QuizPage (a step of a module) asks questions from the question bank.

Each question type is a django-polymorphic subclass of Question and owns two pure
methods: `clean_response(raw)` turns what the learner sent into a normalised answer (or
raises a ValidationError the learner understands) and `grade(answer)` scores it."""

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from polymorphic.models import PolymorphicModel
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Orderable, Page
from wagtail.search import index

from courses.blocks import TEXT_FEATURES
from courses.models import StepPage
from quizzes.grading import (
    MAX_TEXT_ANSWER,
    ZERO,
    Certainty,

    ConfusionTable,
    Grade,
    confusion_table,
    normalise_text,
    ordered_pairs_fraction,
    parse_id,
    parse_whole_number,
    plain_answer,
    parse_number,
    points,
    triage_fraction,
)

# --- The quiz page --------------------------------------------------------------------


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
        return self.attempts.filter(user=user, status=Attempt.Status.GRADED, passed=True).exists()

    def question_ids(self):
        return [row.question_id for row in self.quiz_questions.all()]

    def shows_corrections(self, attempt):
        if self.feedback_policy == self.FeedbackPolicy.SCORE_ONLY:
            return False
        if self.feedback_policy == self.FeedbackPolicy.CORRECTIONS_WHEN_PASSED:
            return bool(attempt.passed)
        return True


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


# --- The question bank ----------------------------------------------------------------


class Question(PolymorphicModel, ClusterableModel):
    """A question of the bank. Subclasses define the type: what a response looks like,
    how it is cleaned and how it is graded."""

    prompt = models.TextField(_("énoncé"))
    points = models.PositiveSmallIntegerField(
        _("points"), default=1, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    explanation = models.TextField(_("explication"), blank=True, help_text=_("Montrée après la correction."))
    tag = models.CharField(_("thème"), max_length=60, blank=True, help_text=_("Par exemple : rgpd, modération, crise."))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # What a subclass adds: the template that asks it, the one that shows its correction,
    # the relations to prefetch.
    input_template = ""
    correction_template = "quizzes/corrections/answer.html"
    prefetch = ()

    common_panels = [FieldPanel("prompt"), FieldPanel("points"), FieldPanel("tag"), FieldPanel("explanation")]

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["tag", "prompt"]

    def __str__(self):
        label = self.get_real_instance_class()._meta.verbose_name if self.polymorphic_ctype_id else ""
        tag = f" #{self.tag}" if self.tag else ""
        return f"[{label}] {self.prompt[:80]}{tag}"

    @property
    def max_score(self):
        return Decimal(self.points)

    def raw_from_post(self, data):
        """The raw response in a submitted form (a QueryDict or a dict)."""
        return data.get(self.field_name)

    @property
    def field_name(self):
        return f"q-{self.pk}"

    @property
    def certainty_field_name(self):
        """The attempt form's name for how sure the learner is (certainty-based marking);
        also the key of that certainty in the drafts and in the raw responses."""
        return f"c-{self.pk}"

    def form_field_names(self):
        """Every name under which the attempt form sends a response to this question."""
        return {self.field_name}

    def clean_response(self, raw):
        raise NotImplementedError

    def grade(self, answer):
        raise NotImplementedError

    def correct_answer_text(self):
        raise NotImplementedError

    def answer_text(self, answer):
        """A cleaned answer, as the learner should read it back."""
        return str(answer)

    def review(self, answer):
        """What a correction shows beyond the answer texts (see correction_template);
        None for the types whose correction is the learner's answer and the right one."""
        return None

    def no_answer(self):
        return Grade(ZERO, self.max_score)


def is_blank(raw):
    return raw is None or raw == "" or raw == [] or raw == {} or (isinstance(raw, str) and not raw.strip())


class Choice(Orderable):
    """A proposed answer, with whether it is right and what to say when chosen."""

    text = models.CharField(_("réponse proposée"), max_length=500)
    is_correct = models.BooleanField(_("bonne réponse"), default=False)
    feedback = models.CharField(_("commentaire si choisie"), max_length=500, blank=True)

    panels = [FieldPanel("text"), FieldPanel("is_correct"), FieldPanel("feedback")]

    class Meta(Orderable.Meta):
        abstract = True

    def __str__(self):
        return self.text


class ChoiceQuestionMixin:
    input_template = "quizzes/inputs/choice.html"
    prefetch = ("choices",)

    def choice_ids(self):
        return {choice.pk for choice in self.choices.all()}

    def chosen_feedback(self, chosen_ids):
        return [c.feedback for c in self.choices.all() if c.pk in chosen_ids and c.feedback]

    def correct_answer_text(self):
        return " ; ".join(c.text for c in self.choices.all() if c.is_correct)

    def answer_text(self, answer):
        chosen = set(answer) if isinstance(answer, list) else {answer}
        return " ; ".join(c.text for c in self.choices.all() if c.pk in chosen)


class SingleChoiceQuestion(ChoiceQuestionMixin, Question):
    multiple = False
    panels = Question.common_panels + [InlinePanel("choices", label=_("Réponses proposées"), min_num=2)]

    class Meta:
        verbose_name = _("choix unique")
        verbose_name_plural = _("questions à choix unique")

    def clean_response(self, raw):
        if is_blank(raw):
            return None
        return parse_id(raw, self.choice_ids(), gettext("Choisissez une des réponses proposées."))

    def grade(self, answer):
        if answer is None:
            return self.no_answer()
        right = {c.pk for c in self.choices.all() if c.is_correct}
        return Grade(points(self.points, 1 if answer in right else 0), self.max_score, self.chosen_feedback({answer}))


class SingleChoiceOption(Choice):
    question = ParentalKey(SingleChoiceQuestion, on_delete=models.CASCADE, related_name="choices")


class MultipleChoiceQuestion(ChoiceQuestionMixin, Question):
    """Several right answers; each wrong pick cancels a right one, never below zero."""

    multiple = True
    panels = Question.common_panels + [InlinePanel("choices", label=_("Réponses proposées"), min_num=2)]

    class Meta:
        verbose_name = _("choix multiple")
        verbose_name_plural = _("questions à choix multiple")

    def raw_from_post(self, data):
        return data.getlist(self.field_name) if hasattr(data, "getlist") else data.get(self.field_name)

    def clean_response(self, raw):
        if is_blank(raw):
            return None
        if not isinstance(raw, (list, tuple)):
            raw = [raw]
        if len(raw) > 50:
            raise ValidationError(gettext("Trop de réponses cochées."))
        allowed = self.choice_ids()
        message = gettext("Cochez seulement des réponses proposées.")
        return sorted({parse_id(item, allowed, message) for item in raw})

    def grade(self, answer):
        if answer is None:
            return self.no_answer()
        right = {c.pk for c in self.choices.all() if c.is_correct}
        chosen = set(answer)
        fraction = Decimal(len(chosen & right) - len(chosen - right)) / Decimal(max(len(right), 1))
        return Grade(points(self.points, fraction), self.max_score, self.chosen_feedback(chosen))


class MultipleChoiceOption(Choice):
    question = ParentalKey(MultipleChoiceQuestion, on_delete=models.CASCADE, related_name="choices")


class TrueFalseQuestion(Question):
    TRUE_WORDS = {"true", "vrai", "1", "oui", "yes"}
    FALSE_WORDS = {"false", "faux", "0", "non", "no"}

    answer = models.BooleanField(_("l'affirmation est vraie"), default=True)
    feedback_true = models.CharField(_("commentaire si « vrai »"), max_length=500, blank=True)
    feedback_false = models.CharField(_("commentaire si « faux »"), max_length=500, blank=True)

    input_template = "quizzes/inputs/true_false.html"
    panels = Question.common_panels + [FieldPanel("answer"), FieldPanel("feedback_true"), FieldPanel("feedback_false")]

    class Meta:
        verbose_name = _("vrai ou faux")
        verbose_name_plural = _("questions vrai ou faux")

    def clean_response(self, raw):
        if is_blank(raw):
            return None
        if isinstance(raw, bool):
            return raw
        word = str(raw).strip().lower() if isinstance(raw, (str, int)) else None
        if word in self.TRUE_WORDS:
            return True
        if word in self.FALSE_WORDS:
            return False
        raise ValidationError(gettext("Répondez par vrai ou faux."))

    def grade(self, answer):
        if answer is None:
            return self.no_answer()
        feedback = self.feedback_true if answer else self.feedback_false
        return Grade(points(self.points, 1 if answer == self.answer else 0), self.max_score, [feedback] if feedback else [])

    def correct_answer_text(self):
        return self.answer_text(self.answer)

    def answer_text(self, answer):
        return gettext("Vrai") if answer else gettext("Faux")


class ShortAnswerQuestion(Question):
    """A word or an expression; case, accents and spacing do not count."""

    accepted_answers = models.TextField(_("réponses acceptées"), help_text=_("Une réponse acceptée par ligne."))

    input_template = "quizzes/inputs/short_answer.html"
    panels = Question.common_panels + [FieldPanel("accepted_answers")]

    class Meta:
        verbose_name = _("réponse courte")
        verbose_name_plural = _("questions à réponse courte")

    def accepted(self):
        return [line.strip() for line in self.accepted_answers.splitlines() if line.strip()]

    def clean_response(self, raw):
        if is_blank(raw):
            return None
        if not isinstance(raw, str):
            raise ValidationError(gettext("Saisissez votre réponse sous forme de texte."))
        if len(raw) > MAX_TEXT_ANSWER:
            raise ValidationError(
                gettext("Votre réponse est trop longue : %(max)s caractères au plus.") % {"max": MAX_TEXT_ANSWER}
            )
        return plain_answer(raw) or None

    def grade(self, answer):
        if answer is None:
            return self.no_answer()
        right = {normalise_text(accepted) for accepted in self.accepted()}
        return Grade(points(self.points, 1 if normalise_text(answer) in right else 0), self.max_score)

    def correct_answer_text(self):
        return " ; ".join(self.accepted())


class NumericQuestion(Question):
    answer = models.DecimalField(_("réponse"), max_digits=18, decimal_places=6)
    tolerance = models.DecimalField(
        _("tolérance"), max_digits=18, decimal_places=6, default=0, validators=[MinValueValidator(0)],
        help_text=_("Écart accepté de part et d'autre de la réponse."),
    )

    input_template = "quizzes/inputs/numeric.html"
    panels = Question.common_panels + [FieldPanel("answer"), FieldPanel("tolerance")]

    class Meta:
        verbose_name = _("réponse numérique")
        verbose_name_plural = _("questions à réponse numérique")

    def clean_response(self, raw):
        if is_blank(raw):
            return None
        return str(parse_number(raw))

    def grade(self, answer):
        if answer is None:
            return self.no_answer()
        right = abs(Decimal(answer) - self.answer) <= self.tolerance
        return Grade(points(self.points, 1 if right else 0), self.max_score)

    def answer_text(self, answer):
        return format_decimal(answer)

    def correct_answer_text(self):
        value = format_decimal(self.answer)
        if self.tolerance:
            return gettext("%(value)s (à %(tolerance)s près)") % {"value": value, "tolerance": format_decimal(self.tolerance)}
        return value


def format_decimal(value):
    text = f"{Decimal(value).normalize():f}"
    return text.replace(".", ",")


class MatchingQuestion(Question):
    """Pair each item on the left with its match on the right; partial credit per pair."""

    input_template = "quizzes/inputs/matching.html"
    prefetch = ("pairs",)
    panels = Question.common_panels + [InlinePanel("pairs", label=_("Paires"), min_num=2)]

    class Meta:
        verbose_name = _("appariement")
        verbose_name_plural = _("questions d'appariement")

    def raw_from_post(self, data):
        return {str(pair.pk): data.get(f"{self.field_name}-{pair.pk}") for pair in self.pairs.all()}

    def form_field_names(self):
        return {f"{self.field_name}-{pair.pk}" for pair in self.pairs.all()}

    def clean_response(self, raw):
        if is_blank(raw) or (isinstance(raw, dict) and all(is_blank(value) for value in raw.values())):
            return None
        if not isinstance(raw, dict):
            raise ValidationError(gettext("Associez chaque élément à un élément de la liste."))
        ids = {pair.pk for pair in self.pairs.all()}
        if {str(pk) for pk in ids} != set(map(str, raw)) or any(is_blank(value) for value in raw.values()):
            raise ValidationError(gettext("Associez chaque élément de gauche à un élément de la liste."))
        message = gettext("Choisissez une association parmi celles proposées.")
        return {str(left): parse_id(right, ids, message) for left, right in raw.items()}

    def grade(self, answer):
        if answer is None:
            return self.no_answer()
        pairs = list(self.pairs.all())
        right = sum(1 for pair in pairs if answer.get(str(pair.pk)) == pair.pk)
        return Grade(points(self.points, Decimal(right) / Decimal(len(pairs))), self.max_score)

    def correct_answer_text(self):
        return " ; ".join(f"{pair.left} → {pair.right}" for pair in self.pairs.all())

    def answer_text(self, answer):
        rights = {pair.pk: pair.right for pair in self.pairs.all()}
        return " ; ".join(f"{pair.left} → {rights.get(answer.get(str(pair.pk)), '?')}" for pair in self.pairs.all())


class MatchingPair(Orderable):
    question = ParentalKey(MatchingQuestion, on_delete=models.CASCADE, related_name="pairs")
    left = models.CharField(_("élément"), max_length=255)
    right = models.CharField(_("son association"), max_length=255)

    panels = [FieldPanel("left"), FieldPanel("right")]


class OrderingQuestion(Question):
    """Put items in order (the trainer enters them in the right order); partial credit
    for each pair of neighbours kept in sequence."""

    input_template = "quizzes/inputs/ordering.html"
    prefetch = ("items",)
    panels = Question.common_panels + [InlinePanel("items", label=_("Éléments, dans le bon ordre"), min_num=2)]

    class Meta:
        verbose_name = _("remise en ordre")
        verbose_name_plural = _("questions de remise en ordre")

    def raw_from_post(self, data):
        return {str(item.pk): data.get(f"{self.field_name}-{item.pk}") for item in self.items.all()}

    def form_field_names(self):
        return {f"{self.field_name}-{item.pk}" for item in self.items.all()}

    def clean_response(self, raw):
        if is_blank(raw) or (isinstance(raw, dict) and all(is_blank(value) for value in raw.values())):
            return None
        items = [item.pk for item in self.items.all()]
        if not isinstance(raw, dict) or set(map(str, raw)) != {str(pk) for pk in items}:
            raise ValidationError(gettext("Donnez un rang à chaque élément."))
        ranks = {}
        for item, rank in raw.items():
            item_id, rank = parse_whole_number(item), parse_whole_number(rank)
            if item_id is None or rank is None:
                raise ValidationError(gettext("Donnez à chaque élément un rang en chiffres (1, 2, 3…)."))
            ranks[item_id] = rank
        if sorted(ranks.values()) != list(range(1, len(items) + 1)):
            raise ValidationError(
                gettext("Utilisez chaque rang de 1 à %(count)s une seule fois.") % {"count": len(items)}
            )
        return [item for item, _rank in sorted(ranks.items(), key=lambda pair: pair[1])]

    def grade(self, answer):
        if answer is None:
            return self.no_answer()
        expected = [item.pk for item in self.items.all()]
        return Grade(points(self.points, ordered_pairs_fraction(answer, expected)), self.max_score)

    def correct_answer_text(self):
        return " → ".join(item.text for item in self.items.all())

    def answer_text(self, answer):
        texts = {item.pk: item.text for item in self.items.all()}
        return " → ".join(texts.get(pk, "?") for pk in answer)


class OrderingItem(Orderable):
    question = ParentalKey(OrderingQuestion, on_delete=models.CASCADE, related_name="items")
    text = models.CharField(_("élément"), max_length=255)

    panels = [FieldPanel("text")]


class TriageCategory(models.TextChoices):
    """What a comment of a moderation triage is."""

    LEGITIMATE_COMPLAINT = "complaint", _("Réclamation légitime")
    TROLL = "troll", _("Troll")
    SPAM = "spam", _("Spam")
    HATE_OR_ILLEGAL = "illegal", _("Haine ou contenu illicite")
    PERSONAL_DATA_LEAK = "personal_data", _("Fuite de données personnelles")


class TriageAction(models.TextChoices):
    """What the moderator does with a comment of a moderation triage."""

    REPLY_PUBLICLY = "reply", _("Répondre publiquement")
    MOVE_TO_PRIVATE = "private", _("Passer en message privé")
    HIDE = "hide", _("Masquer")
    DELETE = "delete", _("Supprimer")
    REPORT = "report", _("Signaler à la plateforme et conserver les preuves")
    ESCALATE = "escalate", _("Escalader (juridique, direction)")


TRIAGE_PARTS = ("category", "action")  # the two choices the learner makes per comment


class TriageQuestion(Question):
    """Moderation triage: for each comment of a feed, the learner picks its category and
    the action to take.

    Grading: every comment weighs the same; for each, the right category earns half of
    its share and the right action the other half. The score is the points times the
    halves earned over twice the number of comments (quizzes.grading.triage_fraction).

    The raw response holds one value per comment and part, keyed "<comment id>-category"
    and "<comment id>-action" (the form sends them as q-<question id>-<comment id>-<part>);
    the cleaned answer maps each comment id (a string, as JSON keeps it) to
    {"category": …, "action": …}."""

    input_template = "quizzes/inputs/triage.html"
    correction_template = "quizzes/corrections/triage.html"
    prefetch = ("comments",)
    panels = Question.common_panels + [
        InlinePanel(
            "comments", label=_("Commentaires à trier"), min_num=2,
            help_text=_(
                "Chaque commentaire compte autant que les autres : la bonne catégorie rapporte la moitié "
                "de sa part des points, la bonne action l'autre moitié."
            ),
        )
    ]

    class Meta:
        verbose_name = _("tri de modération")
        verbose_name_plural = _("questions de tri de modération")

    @property
    def parts(self):
        """(part, label, choices) of the two selects the learner answers per comment."""
        return [("category", gettext("Catégorie"), TriageCategory.choices), ("action", gettext("Action"), TriageAction.choices)]

    def raw_from_post(self, data):
        return {
            f"{comment.pk}-{part}": data.get(f"{self.field_name}-{comment.pk}-{part}")
            for comment in self.comments.all()
            for part in TRIAGE_PARTS
        }

    def form_field_names(self):
        return {f"{self.field_name}-{comment.pk}-{part}" for comment in self.comments.all() for part in TRIAGE_PARTS}

    def clean_response(self, raw):
        if is_blank(raw) or (isinstance(raw, dict) and all(is_blank(value) for value in raw.values())):
            return None
        if not isinstance(raw, dict):
            raise ValidationError(gettext("Choisissez une catégorie et une action pour chaque commentaire."))
        ids = [str(comment.pk) for comment in self.comments.all()]
        expected_keys = {f"{pk}-{part}" for pk in ids for part in TRIAGE_PARTS}
        if not set(map(str, raw)) <= expected_keys:
            raise ValidationError(gettext("Une réponse porte sur un commentaire qui ne fait pas partie de cette question."))
        allowed = {"category": set(TriageCategory.values), "action": set(TriageAction.values)}
        answer, missing = {}, 0
        for pk in ids:
            values = {part: raw.get(f"{pk}-{part}") for part in TRIAGE_PARTS}
            if any(is_blank(value) for value in values.values()):
                missing += 1
                continue
            for part, value in values.items():
                if not isinstance(value, str) or value.strip() not in allowed[part]:
                    raise ValidationError(gettext("Choisissez une catégorie et une action parmi celles proposées."))
            answer[pk] = {part: value.strip() for part, value in values.items()}
        if missing:
            raise ValidationError(
                ngettext(
                    "Il manque la catégorie ou l'action d'un commentaire : classez chaque commentaire.",
                    "Il manque la catégorie ou l'action de %(count)s commentaires : classez chaque commentaire.",
                    missing,
                ) % {"count": missing}
            )
        return answer

    def expected(self):
        """comment id (str) -> (category, action) the trainer expects."""
        return {str(c.pk): (c.expected_category, c.expected_action) for c in self.comments.all()}

    def chosen(self, answer):
        """comment id (str) -> (category, action) in a cleaned answer."""
        return {pk: (value.get("category"), value.get("action")) for pk, value in (answer or {}).items()}

    def grade(self, answer):
        if answer is None:
            return self.no_answer()
        return Grade(points(self.points, triage_fraction(self.expected(), self.chosen(answer))), self.max_score)

    def correct_answer_text(self):
        return " ; ".join(comment.summary(comment.expected_category, comment.expected_action) for comment in self.comments.all())

    def answer_text(self, answer):
        chosen = self.chosen(answer)
        return " ; ".join(comment.summary(*chosen.get(str(comment.pk), (None, None))) for comment in self.comments.all())

    def review(self, answer):
        """Per comment, the learner's category and action beside the expected ones, and
        the confusion table of categories (expected in rows, chosen in columns)."""
        chosen = self.chosen(answer)
        rows = [TriageReviewRow(comment, *chosen.get(str(comment.pk), (None, None))) for comment in self.comments.all()]
        confusion = None
        if answer is not None:
            pairs = [(row.comment.expected_category, row.category) for row in rows if row.category]
            confusion = confusion_table(pairs, TriageCategory.choices)
        return TriageReview(rows, confusion)


class TriageComment(Orderable):
    """A comment to triage, as a learner would read it in a feed, with what the trainer
    expects the moderator to make of it."""

    question = ParentalKey(TriageQuestion, on_delete=models.CASCADE, related_name="comments")
    text = models.TextField(_("commentaire"), max_length=1000, help_text=_("Tel qu'il apparaîtrait dans le fil."))
    author = models.CharField(_("pseudo de l'auteur"), max_length=80, blank=True, help_text=_("Facultatif, par exemple @camille.r."))
    expected_category = models.CharField(_("catégorie attendue"), max_length=20, choices=TriageCategory.choices)
    expected_action = models.CharField(_("action attendue"), max_length=20, choices=TriageAction.choices)
    explanation = models.CharField(
        _("explication"), max_length=500, blank=True, help_text=_("Facultative, montrée avec la correction de ce commentaire.")
    )

    panels = [
        FieldPanel("text"), FieldPanel("author"), FieldPanel("expected_category"), FieldPanel("expected_action"),
        FieldPanel("explanation"),
    ]

    def __str__(self):
        return self.text[:80]

    def excerpt(self, length=60):
        return self.text if len(self.text) <= length else self.text[: length - 1].rstrip() + "…"

    def summary(self, category, action):
        """« excerpt » : category, action — a line of a triage as text."""
        labels = [label_of(TriageCategory, category), label_of(TriageAction, action)]
        return gettext("« %(comment)s » : %(choices)s") % {"comment": self.excerpt(), "choices": ", ".join(labels)}


def label_of(choices, value):
    return str(choices(value).label) if value in choices.values else "?"


@dataclass(frozen=True)
class TriageReviewRow:
    """One comment of a graded triage: what the learner chose beside what was expected."""

    comment: TriageComment
    category: str | None
    action: str | None

    @property
    def category_label(self):
        return label_of(TriageCategory, self.category) if self.category else ""

    @property
    def action_label(self):
        return label_of(TriageAction, self.action) if self.action else ""

    @property
    def category_right(self):
        return self.category == self.comment.expected_category

    @property
    def action_right(self):
        return self.action == self.comment.expected_action


@dataclass(frozen=True)
class TriageReview:
    rows: list
    confusion: ConfusionTable | None


QUESTION_TYPES = [
    SingleChoiceQuestion, MultipleChoiceQuestion, TrueFalseQuestion, ShortAnswerQuestion,
    NumericQuestion, MatchingQuestion, OrderingQuestion, TriageQuestion,
]


# --- Attempts and answers -------------------------------------------------------------


class Attempt(models.Model):
    """One go at a quiz by one learner."""

    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", _("En cours")  # answering; drafts autosaved
        SUBMITTED = "submitted", _("Envoyée")  # answers stored, waiting for the grader
        GRADED = "graded", _("Corrigée")  # score known
        NEEDS_REVIEW = "needs_review", _("En attente de relecture")  # a trainer must grade part of it

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="quiz_attempts")
    quiz = models.ForeignKey(QuizPage, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.IN_PROGRESS)
    question_order = models.JSONField(default=list)  # question ids, as shown in this attempt
    choice_order = models.JSONField(default=dict)  # question id -> option ids, as shown
    drafts = models.JSONField(default=dict, blank=True)  # question id -> raw response, autosaved
    started_at = models.DateTimeField(auto_now_add=True)
    deadline = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    graded_at = models.DateTimeField(null=True, blank=True)
    grade_count = models.PositiveSmallIntegerField(default=0)  # how many times grading ran: 1
    score = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    max_score = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    percent = models.PositiveSmallIntegerField(null=True, blank=True)
    passed = models.BooleanField(null=True)

    class Meta:
        verbose_name = _("tentative")
        verbose_name_plural = _("tentatives")
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "quiz", "number"], name="unique_attempt_number"),
            models.UniqueConstraint(
                fields=["user", "quiz"], condition=Q(status="in_progress"), name="one_attempt_in_progress"
            ),
        ]
        indexes = [models.Index(fields=["status", "submitted_at"])]

    def __str__(self):
        return f"{self.quiz_id} #{self.number} — {self.user_id} ({self.status})"


class Answer(models.Model):
    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    payload = models.JSONField(null=True)  # the cleaned response; null when unanswered
    score = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    max_score = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    feedback = models.JSONField(default=list, blank=True)
    # Certainty-based marking only (QuizPage.certainty_based_marking): how sure the learner
    # said they were (null when unanswered or on another quiz), and what the answer earned
    # at that certainty (quizzes.grading.cbm_score); score and max_score stay the
    # question's own points, from which right or wrong is read.
    certainty = models.PositiveSmallIntegerField(_("certitude"), choices=Certainty.choices, null=True, blank=True)
    cbm_score = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)

    class Meta:
        verbose_name = _("réponse")
        verbose_name_plural = _("réponses")
        constraints = [models.UniqueConstraint(fields=["attempt", "question"], name="unique_answer_per_question")]
