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


@dataclass(frozen=True)
class AttemptResult:
    """What an attempt earned: points, maximum, whole percent (rounded down) and pass."""

    score: Decimal
    max_score: Decimal
    percent: int
    passed: bool


def attempt_result(grades, *, pass_mark):
    """The result of an attempt from the grades of its answers; it passes at `pass_mark`
    percent or more. An attempt with nothing to earn scores 0 % (and passes only at a
    pass mark of 0)."""
    from learners.progress import percent  # the project's one rule for a percent

    total = sum((grade.score for grade in grades), ZERO)
    maximum = sum((grade.max_score for grade in grades), ZERO)
    share = percent(total, maximum)
    return AttemptResult(score=total, max_score=maximum, percent=share, passed=share >= pass_mark)


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


def plain_answer(raw):
    """What the learner typed, as text to store and grade: white space folded to single
    spaces and control or formatting characters removed. Not escaped: it is escaped when
    shown, like any text ("test & learn" stays "test & learn")."""
    text = " ".join(str(raw).split())
    return "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")


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
    if not re.fullmatch(r"[-+]?[0-9]{1,15}(\.[0-9]{1,6})?", text):
        raise ValidationError(_("« %(value)s » n'est pas un nombre. Exemples : 72 ou 72,5.") % {"value": str(raw)[:40]})
    try:
        return Decimal(text)
    except InvalidOperation:
        raise ValidationError(_("Saisissez un nombre.")) from None


# Whole numbers as forms send them: ASCII digits only. str.isdigit() also accepts "²" and
# "①", which int() then refuses, and int() reads other scripts' digits ("١٢"): neither is
# an id or a rank a page of ours ever sends.
ASCII_WHOLE_NUMBER = re.compile(r"[0-9]{1,18}", re.ASCII)


def parse_whole_number(raw):
    """A non-negative int from an int or a string of ASCII digits (spaces around are
    ignored); None for anything else."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw if raw >= 0 else None
    if isinstance(raw, str) and ASCII_WHOLE_NUMBER.fullmatch(raw.strip()):
        return int(raw.strip())
    return None


def parse_id(raw, allowed, message):
    """An id among `allowed`, from an int or a string of ASCII digits; else ValidationError."""
    value = parse_whole_number(raw)
    if value is None or value not in allowed:
        raise ValidationError(message)
    return value


def ordered_pairs_fraction(given, expected):
    """Partial credit for an ordering: the share of consecutive pairs of `expected` that
    also follow each other in `given` (1 when identical, 0 when reversed)."""
    if len(expected) < 2:
        return Decimal(1) if list(given) == list(expected) else Decimal(0)
    position = {item: index for index, item in enumerate(given)}
    kept = sum(1 for a, b in zip(expected, expected[1:]) if position[b] == position[a] + 1)
    return Decimal(kept) / Decimal(len(expected) - 1)


def triage_fraction(expected, chosen):
    """The share earned by a moderation triage: `expected` and `chosen` map each comment
    to its (category, action). Every comment weighs the same; within it, the category is
    worth one half and the action the other. A comment left out earns nothing."""
    if not expected:
        return Decimal(0)
    halves = 0
    for comment, (category, action) in expected.items():
        chosen_category, chosen_action = chosen.get(comment, (None, None))
        halves += (chosen_category == category) + (chosen_action == action)
    return Decimal(halves) / Decimal(2 * len(expected))


@dataclass(frozen=True)
class ConfusionTable:
    """Counts of (expected, chosen) pairs: `labels` name the categories in order, each
    row of `counts` is an expected category, each column a chosen one."""

    labels: list
    counts: list

    @property
    def rows(self):
        """(label, [(count, on the diagonal)]) per expected category, for a template."""
        return [
            (label, [(count, row == column) for column, count in enumerate(counts)])
            for row, (label, counts) in enumerate(zip(self.labels, self.counts))
        ]


def confusion_table(pairs, choices):
    """The confusion table of (expected, chosen) `pairs` over `choices` ((value, label)
    in the order to show). A value outside `choices` is not counted."""
    index = {value: position for position, (value, _label) in enumerate(choices)}
    counts = [[0] * len(choices) for _choice in choices]
    for expected, chosen in pairs:
        if expected in index and chosen in index:
            counts[index[expected]][index[chosen]] += 1
    return ConfusionTable(labels=[label for _value, label in choices], counts=counts)
