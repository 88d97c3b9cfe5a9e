"""Essay: a free text the learner writes and a trainer scores by hand (the review queue,
quizzes.reviews). Grading leaves an answered essay without a score; the attempt then
waits "awaiting review" until every essay of it is reviewed."""

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel

from quizzes.grading import MAX_ESSAY_CHARACTERS, Grade, count_words, plain_text
from quizzes.models.questions import Question, is_blank


class EssayQuestion(Question):
    """A free text, scored by a trainer against the rubric (which only reviewers read)."""

    kind = "essay"
    description = _("Un texte libre, noté par un formateur ou une formatrice à l'aide d'une grille.")
    graded_by_a_person = True

    word_limit = models.PositiveIntegerField(
        _("nombre de mots maximum"), null=True, blank=True, validators=[MinValueValidator(1)],
        help_text=_("Facultatif : un texte plus long est refusé à l'envoi."),
    )
    rubric = models.TextField(
        _("grille de correction"), blank=True,
        help_text=_("Ce que la personne qui relit doit attendre du texte ; jamais montrée à l'apprenant·e."),
    )

    input_template = "quizzes/inputs/essay.html"
    correction_template = "quizzes/corrections/essay.html"
    panels = Question.common_panels + [FieldPanel("word_limit"), FieldPanel("rubric")]

    class Meta:
        verbose_name = _("question ouverte")
        verbose_name_plural = _("questions ouvertes")

    @classmethod
    def fields_from(cls, data):
        return {**super().fields_from(data), "word_limit": data.get("word_limit"), "rubric": data.get("rubric", "")}

    @property
    def max_characters(self):
        return MAX_ESSAY_CHARACTERS

    def clean_response(self, raw):
        """The text as typed, lines kept, control characters removed; refused when longer
        than the word limit or MAX_ESSAY_CHARACTERS."""
        if is_blank(raw):
            return None
        if not isinstance(raw, str):
            raise ValidationError(gettext("Saisissez votre réponse sous forme de texte."))
        # Line breaks may arrive as \r\n: a raw text twice the cap is refused before any work.
        text = plain_text(raw[: 2 * MAX_ESSAY_CHARACTERS + 1])
        if len(raw) > 2 * MAX_ESSAY_CHARACTERS or len(text) > MAX_ESSAY_CHARACTERS:
            raise ValidationError(
                gettext("Votre texte est trop long : %(max)s caractères au plus.") % {"max": MAX_ESSAY_CHARACTERS}
            )
        words = count_words(text)
        if self.word_limit and words > self.word_limit:
            raise ValidationError(
                ngettext(
                    "Votre texte compte %(count)s mots : %(limit)s mot au plus, raccourcissez-le.",
                    "Votre texte compte %(count)s mots : %(limit)s mots au plus, raccourcissez-le.",
                    self.word_limit,
                ) % {"count": words, "limit": self.word_limit}
            )
        return text or None

    def grade(self, answer):
        """Unanswered earns nothing; an answered essay has no score until reviewed."""
        if answer is None:
            return self.no_answer()
        return Grade(None, self.max_score)

    def example_response(self, right=True):
        if right:
            return "Je vérifie la source, la date et l'auteur\navant de partager une information."
        return "Je partage tout de suite."

    def correct_answer_text(self):
        return ""
