"""Pure scoring helpers shared by the question types and certainty-based marking: no
database, no I/O."""

import re
import unicodedata
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

MAX_TEXT_ANSWER = 500  # characters: a short answer is a word or an expression
MAX_ESSAY_CHARACTERS = 10_000  # an essay: about 1,500 words of French
ZERO = Decimal("0")


@dataclass
class Grade:
    """The result of grading one answer."""

    score: Decimal | None  # None: a person must score it (an answered essay)
    max_score: Decimal
    feedback: list = field(default_factory=list)

    @property
    def needs_review(self):
        return self.score is None


@dataclass(frozen=True)
class AttemptResult:
    """What an attempt earned: points, maximum, whole percent (rounded down) and pass."""

    score: Decimal
    max_score: Decimal
    percent: int
    passed: bool


def attempt_result(grades, *, pass_mark, certainties=None):
    """The result of an attempt from the grades of its answers: it passes at `pass_mark`
    percent or more (quizzes.grading's one rule for a total, a percent and a pass).

    Without `certainties`, the total is the sum of the grades out of the sum of their
    maximums. Under certainty-based marking, `certainties` are the learner's, in the order
    of `grades`: the total is the sum of cbm_score, never below zero, out of CBM_BEST times
    the questions' points. An attempt with nothing to earn scores 0 % (and passes only at
    a pass mark of 0)."""
    from learners.progress import percent  # the project's one rule for a percent

    points_at_stake = sum((Decimal(grade.max_score) for grade in grades), ZERO)
    if certainties is None:
        total, maximum = sum((grade.score for grade in grades), ZERO), points_at_stake
    else:
        earned = sum((cbm_score(grade, certainty) for grade, certainty in zip(grades, certainties)), ZERO)
        total, maximum = max(ZERO, earned), CBM_BEST * points_at_stake
    share = percent(total, maximum)
    return AttemptResult(score=total, max_score=maximum, percent=share, passed=share >= pass_mark)


FULL_MARKS = Decimal(100)  # a weight worth all the points, in percent
WEIGHT_SUM_TOLERANCE = Decimal("0.01")  # points of percent: three answers at 33.33333 % make 100 %


def weights_problem(weights, *, multiple):
    """Why `weights` (percents of the points, one per proposed answer) cannot grade a
    question fairly, in words, or None: one answer to pick (a single choice, a short
    answer) needs an answer worth 100 %; answers to tick (a multiple choice), positive
    weights adding up to 100 %. The GIFT import and the bank's editor apply it alike."""
    if multiple:
        total = sum((weight for weight in weights if weight > 0), ZERO)
        if abs(total - FULL_MARKS) > WEIGHT_SUM_TOLERANCE:
            return _("les poids positifs font %(total)s %% au lieu de 100 %%.") % {"total": f"{total.normalize():f}"}
        return None
    if not any(weight == FULL_MARKS for weight in weights):
        return _("aucune réponse ne vaut 100 % : il en faut une pour obtenir tous les points.")
    return None


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


def plain_text(raw):
    """A learner's text of several lines (an essay): each line as plain_answer makes it,
    runs of blank lines folded into one, none at the ends."""
    lines = [plain_answer(line) for line in str(raw).splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")


def count_words(text):
    """The words of a text as a learner counts them: what white space separates
    ("l'équipe" is one word, "réseau - social" three)."""
    return len(str(text).split())


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


# --- Certainty-based marking (Moodle's scheme) -------------------------------------------
# With certainty-based marking on, the learner says with each answer how sure they are.
# A right answer earns 1, 2 or 3 times the question's points by certainty, a wrong one 0,
# -2 or -6 times: guessing at "high" costs more than it can bring. Partial credit follows
# Moodle (question_cbm::adjust_fraction): any fraction above zero counts as right and is
# scaled (half right at "high" earns 1.5 times the points); only a fraction of zero earns
# the penalty. The attempt's total never goes below zero and its percent, the one compared
# with the pass mark, is that total over the best possible total (every answer right at
# "high", 3 times the points): all right at "medium" is 67 %, all right at "low" 33 %.


class Certainty(models.IntegerChoices):
    LOW = 1, gettext_lazy("Peu sûr·e")
    MEDIUM = 2, gettext_lazy("Assez sûr·e")
    HIGH = 3, gettext_lazy("Très sûr·e")


CBM_RIGHT = {Certainty.LOW: Decimal(1), Certainty.MEDIUM: Decimal(2), Certainty.HIGH: Decimal(3)}
CBM_WRONG = {Certainty.LOW: Decimal(0), Certainty.MEDIUM: Decimal(-2), Certainty.HIGH: Decimal(-6)}
CBM_BEST = CBM_RIGHT[Certainty.HIGH]
# The certainty of a question that asks none (an essay, scored by a person): it earns its
# share of the points at the best certainty and risks no penalty, so that it weighs in
# the percent as it would without certainty-based marking.
NOT_ASKED = "not_asked"
# The share right a well-calibrated learner has at each certainty (Moodle's optimal
# windows, qbehaviour_deferredcbm): below 67 % say "low", 67 to 80 % "medium", above 80 % "high".
CALIBRATION_WINDOWS = {
    Certainty.LOW: (Decimal(0), Decimal(2) / Decimal(3)),
    Certainty.MEDIUM: (Decimal(2) / Decimal(3), Decimal("0.8")),
    Certainty.HIGH: (Decimal("0.8"), Decimal(1)),
}


def parse_certainty(raw):
    """A certainty as the attempt form sends it ("1", "2", "3"); None when blank.
    Raises ValidationError for anything else (a forged value)."""
    if raw is None or raw == "" or (isinstance(raw, str) and not raw.strip()):
        return None
    value = parse_whole_number(raw) if isinstance(raw, (str, int)) else None
    if value not in Certainty.values:
        raise ValidationError(_("Choisissez un degré de certitude parmi ceux proposés."))
    return value


def fraction_of(score, max_score):
    """The share of its points an answer earned (0 to 1); 0 when there was nothing to earn."""
    if not max_score:
        return ZERO
    return max(ZERO, min(Decimal(1), Decimal(score) / Decimal(max_score)))


def cbm_score(grade, certainty):
    """What `grade` (a question's own Grade) earns at `certainty`; an answer without a
    certainty (unanswered) earns nothing; one to a question asking none (NOT_ASKED), its
    share of CBM_BEST times the points."""
    if certainty is None:
        return ZERO
    if certainty == NOT_ASKED:
        return (CBM_BEST * Decimal(grade.score)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    certainty = Certainty(certainty)
    fraction = fraction_of(grade.score, grade.max_score)
    if fraction > 0:
        marks = CBM_RIGHT[certainty] * fraction * Decimal(grade.max_score)
    else:
        marks = CBM_WRONG[certainty] * Decimal(grade.max_score)
    return marks.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class CalibrationLevel:
    """How a learner did at one certainty: `answers` given, `right` share (percent, None
    without answers) against the window a well-calibrated learner falls in."""

    certainty: int
    label: str
    answers: int
    share: Decimal | None  # exact, 0 to 1

    @property
    def right(self):
        from learners.progress import percent

        return None if self.share is None else percent(self.share, 1)

    @property
    def expected_low(self):
        return round(100 * CALIBRATION_WINDOWS[self.certainty][0])

    @property
    def expected_high(self):
        return round(100 * CALIBRATION_WINDOWS[self.certainty][1])

    @property
    def verdict(self):
        """"over" (too sure: fewer right than this certainty promises), "under" (more
        right than it promises: could have said more), "calibrated", or "" without answers."""
        if self.share is None:
            return ""
        low, high = CALIBRATION_WINDOWS[self.certainty]
        if self.share < low:
            return "over"
        if self.share > high:
            return "under"
        return "calibrated"


@dataclass(frozen=True)
class Calibration:
    levels: list
    advice: str

    @property
    def answers(self):
        return sum(level.answers for level in self.levels)


def calibration(answers):
    """A learner's calibration from their graded answers, given as (certainty, score,
    max_score) tuples (answers without a certainty are left out): per certainty, how many
    and the average share of points earned (Moodle's "accuracy"), with one sentence of advice."""
    counts = {certainty: 0 for certainty in Certainty}
    earned = {certainty: ZERO for certainty in Certainty}
    for certainty, score, max_score in answers:
        if certainty is None:
            continue
        certainty = Certainty(certainty)
        counts[certainty] += 1
        earned[certainty] += fraction_of(score, max_score)
    levels = []
    for certainty in Certainty:
        share = earned[certainty] / counts[certainty] if counts[certainty] else None
        levels.append(CalibrationLevel(certainty=certainty, label=certainty.label, answers=counts[certainty], share=share))
    return Calibration(levels=levels, advice=calibration_advice(levels))


def calibration_advice(levels):
    verdicts = {level.verdict for level in levels}
    if not any(level.answers for level in levels):
        return ""
    if "over" in verdicts:
        return _(
            "Vous êtes trop sûr·e de vous : quand vous vous dites certain·e, vous vous trompez plus souvent "
            "que prévu. Avant de répondre « Très sûr·e », demandez-vous ce qui pourrait vous donner tort."
        )
    if "under" in verdicts:
        return _(
            "Vous vous sous-estimez : vos réponses sont plus souvent justes que vous ne le pensez. "
            "Osez dire « Très sûr·e » quand vous connaissez la réponse."
        )
    return _("Votre certitude correspond bien à vos résultats : continuez ainsi.")

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
