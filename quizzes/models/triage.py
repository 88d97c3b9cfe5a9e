"""Moderation triage: a question type whose options are the comments of a feed, each
to be given a category and an action; corrected with a confusion table of categories."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import FieldPanel, InlinePanel
from wagtail.models import Orderable

from quizzes.grading import ConfusionTable, Grade, confusion_table, points, triage_fraction
from quizzes.models.questions import Question, is_blank


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

    kind = "triage"
    description = _("Classer chaque commentaire d'un fil et choisir l'action de modération.")
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

    @classmethod
    def options_from(cls, data):
        return {"comments": [
            TriageComment(text=c["text"], author=c.get("author", ""), expected_category=c["category"],
                          expected_action=c["action"], explanation=c.get("explanation", ""))
            for c in data["comments"]
        ]}

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

    def example_response(self, right=True):
        """Each comment's expected category and action or, not `right`, the next ones in the lists."""
        def pick(choices, expected):
            values = choices.values
            return expected if right else values[(values.index(expected) + 1) % len(values)]

        return {
            f"{comment.pk}-{part}": pick(choices, getattr(comment, f"expected_{part}"))
            for comment in self.comments.all()
            for part, choices in (("category", TriageCategory), ("action", TriageAction))
        }

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

