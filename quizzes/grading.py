"""Pure scoring helpers shared by the question types: no database, no I/O."""

import re
import unicodedata
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_TEXT_ANSWER = 500  # characters: a short answer is a word or an expression
ZERO = Decimal("0")


@dataclass
class Grade:
    """The result of grading one answer."""

    score: Decimal
    max_score: Decimal
    feedback: list = field(default_factory=list)

    @property
    def is_correct(self):
        return self.score >= self.max_score

    def as_dict(self):
        return {"score": str(self.score), "max_score": str(self.max_score), "feedback": self.feedback}


def points(max_score, fraction):
    """`fraction` (0 to 1) of `max_score`, to the hundredth, never below zero."""
    fraction = max(Decimal(0), min(Decimal(1), Decimal(fraction)))
    return (Decimal(max_score) * fraction).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def normalise_text(text):
    """For comparing short answers: no accents, no case, single spaces, no punctuation
    at the ends ("  Réseaux  sociaux ! " == "reseaux sociaux")."""
    text = unicodedata.normalize("NFKD", str(text))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.casefold().replace("’", "'").replace("œ", "oe").replace("æ", "ae")
    text = re.sub(r"[\s\u00a0\u202f]+", " ", text)
    return text.strip(" .,;:!?\"'«»()-")


def parse_number(raw):
    """A number as a learner types it in French or English: "72", "72,5", "1 995",
    "-0.5". Raises ValidationError with a message the learner understands."""
    if isinstance(raw, bool) or raw is None:
        raise ValidationError(_("Saisissez un nombre."))
    if isinstance(raw, (int, float, Decimal)):
        text = str(raw)
    elif isinstance(raw, str):
        text = re.sub(r"[\s\u00a0\u202f]", "", raw).replace(",", ".")
    else:
        raise ValidationError(_("Saisissez un nombre."))
    if not re.fullmatch(r"[-+]?\d{1,15}(\.\d{1,6})?", text):
        raise ValidationError(_("« %(value)s » n'est pas un nombre. Exemples : 72 ou 72,5.") % {"value": str(raw)[:40]})
    try:
        return Decimal(text)
    except InvalidOperation:
        raise ValidationError(_("Saisissez un nombre.")) from None


def parse_id(raw, allowed, message):
    """An id among `allowed`, from an int or a string of digits; else ValidationError."""
    if isinstance(raw, bool):
        raise ValidationError(message)
    if isinstance(raw, str) and raw.strip().isdigit():
        raw = int(raw.strip())
    if not isinstance(raw, int) or raw not in allowed:
        raise ValidationError(message)
    return raw


def ordered_pairs_fraction(given, expected):
    """Partial credit for an ordering: the share of consecutive pairs of `expected` that
    also follow each other in `given` (1 when identical, 0 when reversed)."""
    if len(expected) < 2:
        return Decimal(1) if list(given) == list(expected) else Decimal(0)
    position = {item: index for index, item in enumerate(given)}
    kept = sum(1 for a, b in zip(expected, expected[1:]) if position[b] == position[a] + 1)
    return Decimal(kept) / Decimal(len(expected) - 1)
