"""The question bank: Question, a django-polymorphic model, and one subclass per type.

Each type owns what makes it a type: `clean_response(raw)` turns what the learner sent
into a normalised answer (or raises a ValidationError the learner understands),
`grade(answer)` scores it, and its options (choices, pairs, items, comments) are an
inline relation listed in `prefetch`. The types are the concrete subclasses of Question
(`Question.types()`): adding one is writing its class."""

from decimal import Decimal
from fractions import Fraction

from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from polymorphic.models import PolymorphicModel
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, InlinePanel
from wagtail.models import Orderable

from quizzes.grading import (
    MAX_TEXT_ANSWER,
    ZERO,
    Grade,
    normalise_text,
    ordered_pairs_fraction,
    parse_id,
    parse_number,
    parse_whole_number,
    plain_answer,
    points,
    weights_problem,
)


class Question(PolymorphicModel, ClusterableModel):
    """A question of the bank. Subclasses define the type: what a response looks like,
    how it is cleaned and how it is graded."""

    title = models.CharField(
        _("titre"), max_length=255, blank=True,
        help_text=_("Facultatif, pour vous retrouver dans la banque ; les apprenants ne le voient pas."),
    )
    prompt = models.TextField(_("énoncé"))
    points = models.PositiveSmallIntegerField(
        _("points"), default=1, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    explanation = models.TextField(_("explication"), blank=True, help_text=_("Montrée après la correction."))
    tag = models.CharField(_("thème"), max_length=60, blank=True, help_text=_("Par exemple : rgpd, modération, crise."))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # What a subclass adds: its name in plain data (see fields_from), what it asks in one
    # line (the bank's type picker), the template that asks it, the one that shows its
    # correction, the relations holding its options.
    kind = ""
    description = ""
    input_template = ""
    correction_template = "quizzes/corrections/answer.html"
    prefetch = ()
    # A type whose answers a person scores (the essay): its grade has no score, the
    # attempt waits for a review, and certainty-based marking asks no certainty of it.
    graded_by_a_person = False

    common_panels = [
        FieldPanel("title"), FieldPanel("prompt"), FieldPanel("points"), FieldPanel("tag"), FieldPanel("explanation"),
    ]

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["tag", "prompt"]
        permissions = [("import_questions", _("Importer des questions (GIFT)"))]

    def __str__(self):
        label = self.get_real_instance_class()._meta.verbose_name if self.polymorphic_ctype_id else ""
        tag = f" #{self.tag}" if self.tag else ""
        return f"[{label}] {self.prompt[:80]}{tag}"

    @classmethod
    def types(cls):
        """Every question type, in the order the bank lists them: the concrete subclasses
        of Question, in the order Django registered them (this module's as written, then
        those of the modules quizzes/models/__init__.py imports after it)."""
        return tuple(
            model for model in apps.get_app_config("quizzes").get_models()
            if issubclass(model, Question) and model is not Question
        )

    @classmethod
    def of_kind(cls, kind):
        """The question type named `kind` in plain data; LookupError for any other name."""
        for model in cls.types():
            if model.kind == kind:
                return model
        raise LookupError(f"No question type is named {kind!r}.")

    @classmethod
    def fields_from(cls, data):
        """The fields of a question of this type given in plain data (the format of the
        demo quizzes, courses/demo/quizzes_fr.json), but its prompt and options."""
        return {"points": data["points"], "explanation": data.get("explanation", ""), "tag": data.get("tag", "")}

    @classmethod
    def options_from(cls, data):
        """{relation: [unsaved options]} of a question of this type given in plain data."""
        return {}

    def options(self):
        """The options of the question (choices, pairs, items or comments) in the trainer's
        order; none for a type without."""
        return [option for relation in self.prefetch for option in getattr(self, relation).all()]

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

    @property
    def asks_certainty(self):
        """Whether certainty-based marking asks how sure the learner is of this question:
        not of one a person scores (see grading.NOT_ASKED)."""
        return not self.graded_by_a_person

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

    def example_response(self, right=True):
        """A raw response, as the attempt form sends it, that earns all the points (`right`)
        or none: the demo learners' answers, and the tests'."""
        raise NotImplementedError

    # Item statistics (quizzes.statistics): a type whose options are proposed answers to
    # pick from says which ones a response picked (its distractor counts), and a type
    # whose random answer has a known average says it.
    has_distractors = False

    def picked_options(self, response):
        """The ids of the options a cleaned `response` picked (empty when unanswered), for
        a type with distractors; None for the others."""
        return None

    def random_guess_fraction(self):
        """The average share of the points a random answer earns; None where not known."""
        return None


def is_blank(raw):
    return raw is None or raw == "" or raw == [] or raw == {} or (isinstance(raw, str) and not raw.strip())


def weight_field(**kwargs):
    """A percent of the question's points, from -100 to 100 (GIFT's `%50%`)."""
    kwargs.setdefault("verbose_name", _("poids (%)"))
    return models.DecimalField(
        max_digits=8, decimal_places=5, validators=[MinValueValidator(-100), MaxValueValidator(100)], **kwargs
    )


FULL_WEIGHT = Decimal(100)


def weight_fraction(weight):
    """A weight as a fraction of the points (0.5 for 50 %)."""
    return Decimal(weight) / 100


class Choice(Orderable):
    """A proposed answer, with whether it is right and what to say when chosen. With a
    `weight` on any of its question's choices, the weights grade the question instead of
    "bonne réponse" (a choice without a weight then weighs 0)."""

    text = models.CharField(_("réponse proposée"), max_length=500)
    is_correct = models.BooleanField(_("bonne réponse"), default=False)
    weight = weight_field(
        null=True, blank=True,
        help_text=_("Facultatif : la part des points que rapporte ce choix, de -100 à 100. "
                    "Dès qu'un choix a un poids, les poids remplacent « bonne réponse » pour noter la question."),
    )
    feedback = models.CharField(_("commentaire si choisie"), max_length=500, blank=True)

    panels = [FieldPanel("text"), FieldPanel("is_correct"), FieldPanel("weight"), FieldPanel("feedback")]

    class Meta(Orderable.Meta):
        abstract = True

    def __str__(self):
        return self.text


class ChoiceQuestionForm(WagtailAdminModelForm):
    """The editor of a choice question: once the trainer weighs a proposed answer, the
    weights must let a right answer earn all the points (grading.weights_problem, the
    rule the GIFT import applies too); otherwise nothing is saved and the editor says why."""

    def clean(self):
        cleaned_data = super().clean()
        choices = self.formsets.get("choices")
        if choices is not None and choices.is_valid():
            weights = [form.cleaned_data.get("weight") for form in choices.forms
                       if form.cleaned_data and not form.cleaned_data.get("DELETE")]
            if any(weight is not None for weight in weights):
                problem = weights_problem([weight or ZERO for weight in weights], multiple=self._meta.model.multiple)
                if problem:
                    raise ValidationError(capfirst(problem))
        return cleaned_data


class ChoiceQuestionMixin:
    input_template = "quizzes/inputs/choice.html"
    prefetch = ("choices",)
    base_form_class = ChoiceQuestionForm

    @classmethod
    def options_from(cls, data):
        option = cls._meta.get_field("choices").related_model
        return {"choices": [
            option(text=c["text"], is_correct=c["correct"], feedback=c.get("feedback", "")) for c in data["choices"]
        ]}

    def choice_ids(self):
        return {choice.pk for choice in self.choices.all()}

    def chosen_feedback(self, chosen_ids):
        return [c.feedback for c in self.choices.all() if c.pk in chosen_ids and c.feedback]

    def is_weighted(self):
        """Whether the weights grade this question (one of its choices has a weight)."""
        return any(choice.weight is not None for choice in self.choices.all())

    def weights(self):
        """{choice id: weight in percent} of a weighted question (no weight: 0)."""
        return {choice.pk: choice.weight or ZERO for choice in self.choices.all()}

    def correct_answer_text(self):
        return " ; ".join(c.text for c in self.right_choices())

    def answer_text(self, answer):
        chosen = set(answer) if isinstance(answer, list) else {answer}
        return " ; ".join(c.text for c in self.choices.all() if c.pk in chosen)

    has_distractors = True

    def picked_options(self, response):
        if response is None:
            return frozenset()
        return frozenset(response) if isinstance(response, list) else frozenset([response])


class SingleChoiceQuestion(ChoiceQuestionMixin, Question):
    kind = "single_choice"
    description = _("Plusieurs réponses proposées, une seule est juste.")
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
        """Weighted: the chosen choice's weight (never below zero); else all or nothing."""
        if answer is None:
            return self.no_answer()
        if self.is_weighted():
            fraction = weight_fraction(self.weights().get(answer, ZERO))
        else:
            fraction = 1 if answer in {c.pk for c in self.right_choices()} else 0
        return Grade(points(self.points, fraction), self.max_score, self.chosen_feedback({answer}))

    def right_choices(self):
        """The right choices; weighted, those of the best weight (when above zero)."""
        if not self.is_weighted():
            return [c for c in self.choices.all() if c.is_correct]
        weights = self.weights()
        best = max(weights.values(), default=ZERO)
        return [c for c in self.choices.all() if best > 0 and weights[c.pk] == best]

    def example_response(self, right=True):
        if self.is_weighted():
            weights = self.weights()
            return str((max if right else min)(weights, key=weights.get))
        return str(next(c.pk for c in self.choices.all() if c.is_correct == right))

    def random_guess_fraction(self):
        choices = self.choices.all()
        if not choices:
            return None
        if self.is_weighted():
            earned = [max(ZERO, weight_fraction(weight)) for weight in self.weights().values()]
            return Fraction(sum(earned)) / len(earned)
        return Fraction(sum(1 for c in choices if c.is_correct), len(choices))


class SingleChoiceOption(Choice):
    question = ParentalKey(SingleChoiceQuestion, on_delete=models.CASCADE, related_name="choices")


class MultipleChoiceQuestion(ChoiceQuestionMixin, Question):
    """Several right answers; each wrong pick cancels a right one, never below zero."""

    kind = "multiple_choice"
    description = _("Plusieurs réponses proposées, plusieurs peuvent être justes ; chaque erreur annule une bonne réponse.")
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
        """Weighted: the sum of the chosen weights, from 0 to all the points; else each
        wrong pick cancels a right one."""
        if answer is None:
            return self.no_answer()
        chosen = set(answer)
        if self.is_weighted():
            weights = self.weights()
            fraction = weight_fraction(sum((weights.get(pk, ZERO) for pk in chosen), ZERO))
        else:
            right = {c.pk for c in self.right_choices()}
            fraction = Decimal(len(chosen & right) - len(chosen - right)) / Decimal(max(len(right), 1))
        return Grade(points(self.points, fraction), self.max_score, self.chosen_feedback(chosen))

    def right_choices(self):
        """The right choices; weighted, those of a positive weight."""
        if not self.is_weighted():
            return [c for c in self.choices.all() if c.is_correct]
        weights = self.weights()
        return [c for c in self.choices.all() if weights[c.pk] > 0]

    def example_response(self, right=True):
        rights = {c.pk for c in self.right_choices()}
        picked = [str(c.pk) for c in self.choices.all() if (c.pk in rights) == right]
        return picked or [str(self.choices.all()[0].pk)]


class MultipleChoiceOption(Choice):
    question = ParentalKey(MultipleChoiceQuestion, on_delete=models.CASCADE, related_name="choices")


class TrueFalseQuestion(Question):
    kind = "true_false"
    description = _("Une affirmation à juger vraie ou fausse.")
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

    @classmethod
    def fields_from(cls, data):
        return {**super().fields_from(data), "answer": data["answer"]}

    def example_response(self, right=True):
        return "vrai" if self.answer == right else "faux"

    def random_guess_fraction(self):
        return Fraction(1, 2)

    def correct_answer_text(self):
        return self.answer_text(self.answer)

    def answer_text(self, answer):
        return gettext("Vrai") if answer else gettext("Faux")


class ShortAnswerQuestion(Question):
    """A word or an expression; case, accents and spacing do not count. The accepted
    answers earn all the points; the weighted answers, their weight and their comment.
    A response earns the best weight among the answers it matches."""

    kind = "short_answer"
    description = _("Un mot ou une expression à saisir ; majuscules, accents et espaces ne comptent pas.")
    accepted_answers = models.TextField(
        _("réponses acceptées"), blank=True,
        help_text=_("Une réponse acceptée par ligne ; chacune rapporte tous les points."),
    )

    input_template = "quizzes/inputs/short_answer.html"
    prefetch = ("weighted_answers",)
    panels = Question.common_panels + [
        FieldPanel("accepted_answers"),
        InlinePanel("weighted_answers", label=_("Réponses pondérées ou commentées")),
    ]

    class Meta:
        verbose_name = _("réponse courte")
        verbose_name_plural = _("questions à réponse courte")

    @classmethod
    def fields_from(cls, data):
        return {**super().fields_from(data), "accepted_answers": "\n".join(data["accepted"])}

    def options(self):
        return []  # its answers are to be typed, not shown

    def accepted(self):
        return [line.strip() for line in self.accepted_answers.splitlines() if line.strip()]

    def answers_by_weight(self):
        """[(weight, text, feedback)] of every answer, the best first."""
        answers = [(FULL_WEIGHT, text, "") for text in self.accepted()]
        answers += [(answer.weight, answer.text, answer.feedback) for answer in self.weighted_answers.all()]
        return sorted(answers, key=lambda answer: -answer[0])

    def example_response(self, right=True):
        if not right:
            return "je ne sais pas"
        return self.answers_by_weight()[0][1]

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
        typed = normalise_text(answer)
        for weight, text, feedback in self.answers_by_weight():
            if normalise_text(text) == typed:
                return Grade(points(self.points, weight_fraction(weight)), self.max_score, [feedback] if feedback else [])
        return Grade(points(self.points, 0), self.max_score)

    def correct_answer_text(self):
        best = [text for weight, text, _feedback in self.answers_by_weight() if weight == FULL_WEIGHT]
        return " ; ".join(best)


class ShortAnswerOption(Orderable):
    """An answer of a short-answer question worth `weight` percent, with its comment."""

    question = ParentalKey(ShortAnswerQuestion, on_delete=models.CASCADE, related_name="weighted_answers")
    text = models.CharField(_("réponse"), max_length=500)
    weight = weight_field(default=100)
    feedback = models.CharField(_("commentaire si donnée"), max_length=500, blank=True)

    panels = [FieldPanel("text"), FieldPanel("weight"), FieldPanel("feedback")]


class NumericQuestion(Question):
    """A number. The answer, give or take its tolerance, earns all the points; the other
    answers, their weight. A response earns the best weight among the answers it falls in."""

    kind = "numeric"
    description = _("Un nombre à saisir, avec une tolérance éventuelle.")
    answer = models.DecimalField(_("réponse"), max_digits=18, decimal_places=6)
    tolerance = models.DecimalField(
        _("tolérance"), max_digits=18, decimal_places=6, default=0, validators=[MinValueValidator(0)],
        help_text=_("Écart accepté de part et d'autre de la réponse."),
    )
    feedback = models.CharField(_("commentaire si juste"), max_length=500, blank=True)
    feedback_otherwise = models.CharField(
        _("commentaire pour toute autre valeur"), max_length=500, blank=True,
        help_text=_("Montré quand la réponse ne tombe dans aucune des réponses prévues."),
    )

    input_template = "quizzes/inputs/numeric.html"
    prefetch = ("other_answers",)
    panels = Question.common_panels + [
        FieldPanel("answer"), FieldPanel("tolerance"), FieldPanel("feedback"),
        InlinePanel("other_answers", label=_("Autres réponses, pondérées")), FieldPanel("feedback_otherwise"),
    ]

    class Meta:
        verbose_name = _("réponse numérique")
        verbose_name_plural = _("questions à réponse numérique")

    def options(self):
        return []  # its answers are to be typed, not shown

    def clean_response(self, raw):
        if is_blank(raw):
            return None
        return str(parse_number(raw))

    def answers_by_weight(self):
        """[(weight, value, tolerance, feedback)] of every answer, the best first."""
        answers = [(FULL_WEIGHT, self.answer, self.tolerance, self.feedback)]
        answers += [(other.weight, other.value, other.tolerance, other.feedback) for other in self.other_answers.all()]
        return sorted(answers, key=lambda answer: -answer[0])

    def grade(self, answer):
        if answer is None:
            return self.no_answer()
        value = Decimal(answer)
        for weight, right, tolerance, feedback in self.answers_by_weight():
            if abs(value - right) <= tolerance:
                return Grade(points(self.points, weight_fraction(weight)), self.max_score, [feedback] if feedback else [])
        return Grade(points(self.points, 0), self.max_score, [self.feedback_otherwise] if self.feedback_otherwise else [])

    @classmethod
    def fields_from(cls, data):
        return {
            **super().fields_from(data),
            "answer": Decimal(str(data["answer"])), "tolerance": Decimal(str(data.get("tolerance", 0))),
        }

    def example_response(self, right=True):
        if right:
            return format_decimal(self.answer)
        far = max(abs(value) + tolerance for _weight, value, tolerance, _feedback in self.answers_by_weight())
        return format_decimal(far + 10)

    def answer_text(self, answer):
        return format_decimal(answer)

    def correct_answer_text(self):
        value = format_decimal(self.answer)
        if self.tolerance:
            return gettext("%(value)s (à %(tolerance)s près)") % {"value": value, "tolerance": format_decimal(self.tolerance)}
        return value


class NumericOption(Orderable):
    """Another answer of a numeric question, worth `weight` percent, with its comment."""

    question = ParentalKey(NumericQuestion, on_delete=models.CASCADE, related_name="other_answers")
    value = models.DecimalField(_("valeur"), max_digits=18, decimal_places=6)
    tolerance = models.DecimalField(
        _("tolérance"), max_digits=18, decimal_places=6, default=0, validators=[MinValueValidator(0)]
    )
    weight = weight_field()
    feedback = models.CharField(_("commentaire si donnée"), max_length=500, blank=True)

    panels = [FieldPanel("value"), FieldPanel("tolerance"), FieldPanel("weight"), FieldPanel("feedback")]


def format_decimal(value):
    text = f"{Decimal(value).normalize():f}"
    return text.replace(".", ",")


class MatchingQuestion(Question):
    """Pair each item on the left with its match on the right; partial credit per pair.
    A pair without an item is a decoy: its match is offered, but matches no item."""

    kind = "matching"
    description = _("Associer chaque élément à son correspondant ; chaque paire juste rapporte sa part.")
    input_template = "quizzes/inputs/matching.html"
    prefetch = ("pairs",)
    panels = Question.common_panels + [InlinePanel("pairs", label=_("Paires"), min_num=2)]

    class Meta:
        verbose_name = _("appariement")
        verbose_name_plural = _("questions d'appariement")

    @classmethod
    def options_from(cls, data):
        return {"pairs": [MatchingPair(left=pair["left"], right=pair["right"]) for pair in data["pairs"]]}

    def asked_pairs(self):
        """The pairs whose item the learner matches (all but the decoys)."""
        return [pair for pair in self.pairs.all() if pair.left]

    def raw_from_post(self, data):
        return {str(pair.pk): data.get(f"{self.field_name}-{pair.pk}") for pair in self.asked_pairs()}

    def form_field_names(self):
        return {f"{self.field_name}-{pair.pk}" for pair in self.asked_pairs()}

    def clean_response(self, raw):
        if is_blank(raw) or (isinstance(raw, dict) and all(is_blank(value) for value in raw.values())):
            return None
        if not isinstance(raw, dict):
            raise ValidationError(gettext("Associez chaque élément à un élément de la liste."))
        asked = {str(pair.pk) for pair in self.asked_pairs()}
        if asked != set(map(str, raw)) or any(is_blank(value) for value in raw.values()):
            raise ValidationError(gettext("Associez chaque élément de gauche à un élément de la liste."))
        message = gettext("Choisissez une association parmi celles proposées.")
        ids = {pair.pk for pair in self.pairs.all()}
        return {str(left): parse_id(right, ids, message) for left, right in raw.items()}

    def grade(self, answer):
        if answer is None:
            return self.no_answer()
        pairs = self.asked_pairs()
        right = sum(1 for pair in pairs if answer.get(str(pair.pk)) == pair.pk)
        return Grade(points(self.points, Decimal(right) / Decimal(max(len(pairs), 1))), self.max_score)

    def example_response(self, right=True):
        everyone = [pair.pk for pair in self.pairs.all()]
        matched = everyone if right else everyone[1:] + everyone[:1]
        chosen = dict(zip(everyone, matched))
        return {str(pair.pk): str(chosen[pair.pk]) for pair in self.asked_pairs()}

    def correct_answer_text(self):
        return " ; ".join(f"{pair.left} → {pair.right}" for pair in self.asked_pairs())

    def answer_text(self, answer):
        rights = {pair.pk: pair.right for pair in self.pairs.all()}
        return " ; ".join(f"{pair.left} → {rights.get(answer.get(str(pair.pk)), '?')}" for pair in self.asked_pairs())


class MatchingPair(Orderable):
    question = ParentalKey(MatchingQuestion, on_delete=models.CASCADE, related_name="pairs")
    left = models.CharField(
        _("élément"), max_length=255, blank=True,
        help_text=_("Vide : un leurre, une association proposée qui ne correspond à aucun élément."),
    )
    right = models.CharField(_("son association"), max_length=255)

    panels = [FieldPanel("left"), FieldPanel("right")]


class OrderingQuestion(Question):
    """Put items in order (the trainer enters them in the right order); partial credit
    for each pair of neighbours kept in sequence."""

    kind = "ordering"
    description = _("Remettre des éléments dans l'ordre ; chaque enchaînement juste rapporte sa part.")
    input_template = "quizzes/inputs/ordering.html"
    prefetch = ("items",)
    panels = Question.common_panels + [InlinePanel("items", label=_("Éléments, dans le bon ordre"), min_num=2)]

    class Meta:
        verbose_name = _("remise en ordre")
        verbose_name_plural = _("questions de remise en ordre")

    @classmethod
    def options_from(cls, data):
        return {"items": [OrderingItem(text=text) for text in data["items"]]}

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

    def example_response(self, right=True):
        items = [item.pk for item in self.items.all()]
        ranks = range(1, len(items) + 1) if right else range(len(items), 0, -1)
        return {str(item): str(rank) for item, rank in zip(items, ranks)}

    def correct_answer_text(self):
        return " → ".join(item.text for item in self.items.all())

    def answer_text(self, answer):
        texts = {item.pk: item.text for item in self.items.all()}
        return " → ".join(texts.get(pk, "?") for pk in answer)


class OrderingItem(Orderable):
    question = ParentalKey(OrderingQuestion, on_delete=models.CASCADE, related_name="items")
    text = models.CharField(_("élément"), max_length=255)

    panels = [FieldPanel("text")]

