"""Item statistics of a quiz, as Moodle's quiz statistics report defines them (classical
test theory): pure functions over plain data, no database, no I/O.

Input: one `AttemptScores` per graded attempt (the caller leaves ungraded attempts out),
each with the attempt's total and, per question, the share of its points earned and, for
choice questions, the options picked. `quiz_statistics(...)` keeps the attempts Moodle
keeps by default, each learner's first graded attempt (`AttemptsCounted`), and returns a
frozen `QuizStatistics` with one `QuestionStatistics` per question.

Notation (Moodle's "Quiz statistics calculations"): the n counted attempts; for a question,
x is the points it earned in each attempt (fraction × its points) and r the rest of the
test, the points earned on the *other* questions of the same attempt. Means are over the
attempts that contain the question; variances and covariances divide by n - 1 (sample):

    var(x) = Σ (x - x̄)² / (n - 1)        cov(x, r) = Σ (x - x̄)(r - r̄) / (n - 1)

Every figure is a percent, rounded half up to two decimals as Moodle shows them, and None
where it is undefined (no attempt, a single attempt, or a variance of zero): a statistic
that cannot be computed is never shown as 0 and never raises ZeroDivisionError.

A question left unanswered in an attempt counts with the fraction 0 (Moodle's choice:
"treat omitted items as having a score of 0"); a question absent from an attempt (added
to the quiz after it) is left out of that question's figures.

One departure from Moodle: under certainty-based marking Moodle computes on the marks
after the certainty multiplier (-6 to 3 times the points). Here the fraction is the
question's own score (0 to 1), before certainty, so that the facility index keeps its
meaning (the share of the points earned) and the figures judge the question, not how
sure the learners were. The attempt's total (`AttemptScores.score`) is used as given.
"""

import statistics
from collections import Counter
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from quizzes.grading import fraction_of

# Fewer counted attempts than this and the result says the sample is too small to trust.
# Why 30: the discrimination index is a correlation, and on n attempts a question that
# truly discriminates nothing still shows an index spread around 0 with a standard
# deviation of about 100/√(n - 1) points: 45 at 6 attempts, 19 at 30. Below 30, chance
# alone often puts an index past Moodle's 30 % line or below 0, so the flags say little;
# from 30 on, crossing it takes more than one and a half of those deviations. Each learner
# also weighs 1/n of a facility index (3.3 points at 30). Moodle states no minimum; 30 is
# the usual floor for classical item analysis, and a team course reaches it.
MINIMUM_ATTEMPTS = 30

# Moodle's threshold: its question bank says a question "very likely" needs checking below
# a discrimination index of 30 % (qbank_statistics). Its quiz report also marks a question
# as dubious below a discriminative efficiency of 15 %; that case always falls under the
# 30 % index, since the efficiency is never below the index when both are positive
# (cov_max ≤ √(var(x) × var(r))), so one threshold covers both.
LOW_DISCRIMINATION_INDEX = Decimal(30)

HUNDREDTH = Decimal("0.01")


class AttemptsCounted(models.TextChoices):
    """Which graded attempts of each learner the statistics count (Moodle's choice, the
    same four). FIRST is the default: later attempts follow feedback on the earlier ones
    and do not meet the assumptions of item analysis."""

    FIRST = "first", _("la première tentative de chaque personne")
    LAST = "last", _("la dernière tentative de chaque personne")
    HIGHEST = "highest", _("la meilleure tentative de chaque personne")
    ALL = "all", _("toutes les tentatives")


class Flag(models.TextChoices):
    """What makes a question look broken, with Moodle's thresholds."""

    # The discrimination index is below 0: learners who do well on the rest of the quiz
    # do worse on this question (often a wrong key or an ambiguous wording).
    NEGATIVE_DISCRIMINATION = "negative_discrimination", _("discrimination négative")
    # Every counted attempt earned all its points: the question tells no one apart.
    EVERYONE_RIGHT = "everyone_right", _("tout le monde a juste")
    # Every counted attempt earned nothing on it: too hard, or a wrong key.
    EVERYONE_WRONG = "everyone_wrong", _("tout le monde a faux")
    # Discrimination index from 0 to under LOW_DISCRIMINATION_INDEX (30 %).
    LOW_DISCRIMINATION = "low_discrimination", _("discrimination faible")

    @property
    def explanation(self):
        """One sentence for the trainer: what the flag means, with its threshold."""
        return FLAG_EXPLANATIONS[self] % {"threshold": LOW_DISCRIMINATION_INDEX}


FLAG_EXPLANATIONS = {
    Flag.NEGATIVE_DISCRIMINATION: _(
        "Les personnes qui réussissent le reste du quiz réussissent moins bien cette question : "
        "vérifiez la bonne réponse et la formulation."
    ),
    Flag.EVERYONE_RIGHT: _("Tout le monde a eu tous les points : la question ne distingue personne."),
    Flag.EVERYONE_WRONG: _(
        "Personne n'a eu de point : la question est trop difficile, ou sa bonne réponse est mal définie."
    ),
    Flag.LOW_DISCRIMINATION: _(
        "Indice de discrimination sous %(threshold)s %% : la question distingue mal celles et ceux "
        "qui maîtrisent le sujet des autres."
    ),
}


# --- Input ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionScore:
    """One question in one attempt: the `fraction` (0 to 1) of its `max_score` points
    earned, and for a choice question the ids of the options picked (`chosen`, empty when
    nothing was picked; None for a question without options)."""

    fraction: Decimal
    max_score: Decimal = Decimal(1)
    chosen: frozenset | None = None

    @property
    def points(self):
        return Fraction(self.fraction) * Fraction(self.max_score)


@dataclass(frozen=True)
class AttemptScores:
    """One graded attempt: whose (`learner`), which of theirs (`number`, 1 for the first),
    its total `score` out of `max_score`, and its `questions` (question id → QuestionScore)."""

    learner: object
    number: int
    score: Decimal
    max_score: Decimal
    questions: dict = field(default_factory=dict)

    @property
    def share(self):
        """The attempt's total as a share of its maximum (0 to 1)."""
        return Fraction(fraction_of(self.score, self.max_score))


# --- Output ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class OptionCount:
    """How many counted attempts picked `option` of a choice question."""

    option: object
    count: int


@dataclass(frozen=True)
class QuestionStatistics:
    """One question's figures (percents to two decimals, None when undefined):

    - `facility_index` = 100 × x̄ / max, the average share of its points earned (computed as
      the mean of the fractions, which stays right if the question's points changed).
    - `standard_deviation` = 100 × √var(x) / max: the spread of that share (likewise, the
      sample standard deviation of the fractions).
    - `discrimination_index` = 100 × cov(x, r) / √(var(x) × var(r)): the correlation between
      this question's points and the rest of the test (the total minus this question).
    - `discriminative_efficiency` = 100 × cov(x, r) / cov_max(x, r), where cov_max pairs the
      values of x and of r each sorted in increasing order: the covariance the question would
      reach if the order of its scores matched the order of the rest of the test exactly; it
      reads the index against the best this question's facility allows.

    `random_guess_score`: 100 × the fraction a learner would earn on average by answering
    at random (1/3 for a single choice among three, 1/2 for true or false), when the caller
    knows it for the question's type; None otherwise. A facility index near it suggests
    the learners guessed.

    `options`: the options of a choice question with how often each was picked (distractor
    counts; an option picked in several attempts counts once per attempt), and `no_choice`
    the attempts where none was. `flags`: the Flag values that apply, in Flag's order."""

    question: object
    attempts: int
    facility_index: Decimal | None
    standard_deviation: Decimal | None
    discrimination_index: Decimal | None
    discriminative_efficiency: Decimal | None
    random_guess_score: Decimal | None = None
    options: tuple = ()
    no_choice: int = 0
    flags: tuple = ()


@dataclass(frozen=True)
class QuizStatistics:
    """The quiz's figures over the counted attempts' totals, as percents of each attempt's
    maximum (two decimals, None when undefined):

    - `mean`, `median` (the middle total, or the average of the two middle ones), and
      `standard_deviation` = √(Σ (t - t̄)² / (n - 1)).
    - `cronbach_alpha`, Moodle's "coefficient of internal consistency":
      100 × p / (p - 1) × (1 - Σ var(x_q) / var(T)), over the p questions, where var(x_q) is
      each question's variance in points and T the sum of the question points of an attempt
      (which may differ from the attempt's own total, under certainty-based marking: alpha
      compares the questions with their own sum).
      It needs two questions, two attempts and a total that varies. (Moodle's report only
      shows it from three attempts on, a side effect of computing skewness first; the
      formula itself needs two.)
    - `error_ratio` = 100 × √(1 - alpha / 100): the share of the spread that is measurement
      error.
    - `standard_error` = error_ratio × standard_deviation / 100: how far a learner's total
      may be from their "true" one.

    `sample_too_small` is true under MINIMUM_ATTEMPTS counted attempts; `warning` then
    says so, with the threshold."""

    counted: AttemptsCounted
    attempts: int
    mean: Decimal | None
    median: Decimal | None
    standard_deviation: Decimal | None
    cronbach_alpha: Decimal | None
    error_ratio: Decimal | None
    standard_error: Decimal | None
    questions: tuple = ()

    minimum_attempts = MINIMUM_ATTEMPTS

    @property
    def sample_too_small(self):
        return self.attempts < MINIMUM_ATTEMPTS

    @property
    def warning(self):
        if not self.sample_too_small:
            return ""
        return ngettext(
            "Seulement %(attempts)s tentative comptée : en dessous de %(minimum)s tentatives, ces statistiques "
            "varient trop d'un groupe à l'autre pour juger une question. Lisez-les comme des indices, "
            "pas comme des verdicts.",
            "Seulement %(attempts)s tentatives comptées : en dessous de %(minimum)s tentatives, ces statistiques "
            "varient trop d'un groupe à l'autre pour juger une question. Lisez-les comme des indices, "
            "pas comme des verdicts.",
            self.attempts,
        ) % {"attempts": self.attempts, "minimum": MINIMUM_ATTEMPTS}


# --- Computation ----------------------------------------------------------------------------


def counted_attempts(attempts, counted=AttemptsCounted.FIRST):
    """The attempts the statistics count, in the order given: per learner the first
    (lowest `number`), the last (highest), the highest share of its maximum (the earliest
    on a tie), or all of them (each then treated as a different learner, as Moodle does)."""
    attempts = list(attempts)
    counted = AttemptsCounted(counted)
    if counted == AttemptsCounted.ALL:
        return attempts
    keys = {
        AttemptsCounted.FIRST: lambda attempt: -attempt.number,
        AttemptsCounted.LAST: lambda attempt: attempt.number,
        AttemptsCounted.HIGHEST: lambda attempt: (attempt.share, -attempt.number),
    }
    best = {}
    for attempt in attempts:
        kept = best.get(attempt.learner)
        if kept is None or keys[counted](attempt) > keys[counted](kept):
            best[attempt.learner] = attempt
    return [attempt for attempt in attempts if best[attempt.learner] is attempt]


def quiz_statistics(attempts, *, counted=AttemptsCounted.FIRST, questions=None, random_guesses=None):
    """The statistics of a quiz from its graded `attempts` (AttemptScores), counting those
    `counted` chooses (see counted_attempts). `questions`, optional, maps each question id
    of the quiz to its option ids, both in the order to show (empty for a question without
    options): it lists questions nobody has met yet and options nobody picked, with zero
    counts. Questions only found in the attempts follow, in the order first met.
    `random_guesses`, optional, maps question ids to the fraction (0 to 1) a random answer
    earns on average, for the question types where it is known."""
    kept = counted_attempts(attempts, counted)
    order = list(questions or {})
    for attempt in kept:
        order.extend(question for question in attempt.questions if question not in order)
    per_question = [
        _question_statistics(question, kept, (questions or {}).get(question, ()), (random_guesses or {}).get(question))
        for question in order
    ]
    totals = [100 * attempt.share for attempt in kept]
    alpha = _cronbach_alpha(kept, order)
    sd = _sample_sd(totals)
    # alpha is at most 100 when every attempt has every question; max() keeps a quiz whose
    # questions changed between attempts from asking for the root of a negative number.
    error_ratio = None if alpha is None else _sqrt(max(Fraction(0), 100 * (100 - alpha)))
    return QuizStatistics(
        counted=AttemptsCounted(counted),
        attempts=len(kept),
        mean=_rounded(_mean(totals)),
        median=_rounded(Fraction(statistics.median(totals)) if totals else None),
        standard_deviation=_rounded(sd),
        cronbach_alpha=_rounded(alpha),
        error_ratio=_rounded(error_ratio),
        standard_error=_rounded(None if error_ratio is None or sd is None else error_ratio * sd / 100),
        questions=tuple(per_question),
    )


def _question_statistics(question, attempts, options, random_guess):
    met = [attempt for attempt in attempts if question in attempt.questions]
    scores = [attempt.questions[question] for attempt in met]
    fractions = [Fraction(score.fraction) for score in scores]
    for value in fractions:
        if not 0 <= value <= 1:
            raise ValueError(f"question {question!r}: a fraction is between 0 and 1, not {value}")
    marks = [score.points for score in scores]
    rest = [
        sum((other.points for key, other in attempt.questions.items() if key != question), Fraction(0))
        for attempt in met
    ]

    facility = _mean(fractions)
    facility = None if facility is None else 100 * facility
    spread = _sample_sd([100 * value for value in fractions])
    covariance = _covariance(marks, rest)
    variances = _variance(marks), _variance(rest)
    index = efficiency = None
    if covariance is not None and variances[0] and variances[1]:
        index = 100 * covariance / _sqrt(variances[0] * variances[1])
        # Sorting keeps each list's mean; paired in order, the covariance is at its highest,
        # and above 0 since neither list is constant.
        efficiency = 100 * covariance / _covariance(sorted(marks), sorted(rest))

    picked, no_choice = _distractor_counts(scores, options)
    return QuestionStatistics(
        question=question,
        attempts=len(met),
        facility_index=_rounded(facility),
        standard_deviation=_rounded(spread),
        discrimination_index=_rounded(index),
        discriminative_efficiency=_rounded(efficiency),
        random_guess_score=None if random_guess is None else _rounded(100 * Fraction(random_guess)),
        options=picked,
        no_choice=no_choice,
        flags=_flags(fractions, index),
    )


def _distractor_counts(scores, options):
    """(OptionCount per option, attempts without a choice): the `options` given first, in
    their order, then any other option picked, by name; nothing for a question without options."""
    choices = [score.chosen for score in scores if score.chosen is not None]
    if not choices and not options:
        return (), 0
    counts = Counter(option for chosen in choices for option in chosen)
    order = list(options) + sorted((option for option in counts if option not in options), key=str)
    return tuple(OptionCount(option, counts[option]) for option in order), sum(1 for chosen in choices if not chosen)


def _flags(fractions, index):
    """The Flag values for a question's fractions and its (unrounded) discrimination index."""
    flags = []
    if index is not None and index < 0:
        flags.append(Flag.NEGATIVE_DISCRIMINATION)
    if fractions and all(value == 1 for value in fractions):
        flags.append(Flag.EVERYONE_RIGHT)
    if fractions and all(value == 0 for value in fractions):
        flags.append(Flag.EVERYONE_WRONG)
    if index is not None and 0 <= index < LOW_DISCRIMINATION_INDEX:
        flags.append(Flag.LOW_DISCRIMINATION)
    return tuple(flags)


def _cronbach_alpha(attempts, questions):
    """Moodle's coefficient of internal consistency, in percent (see QuizStatistics), over
    the questions met in at least one counted attempt."""
    questions = [question for question in questions if any(question in attempt.questions for attempt in attempts)]
    if len(questions) < 2:
        return None
    sums = [sum((score.points for score in attempt.questions.values()), Fraction(0)) for attempt in attempts]
    total_variance = _variance(sums)
    if not total_variance:
        return None
    item_variances = [
        _variance([attempt.questions[question].points for attempt in attempts if question in attempt.questions])
        for question in questions
    ]
    p = len(questions)
    return Fraction(100 * p, p - 1) * (1 - sum((v or 0 for v in item_variances), Fraction(0)) / total_variance)


# --- Exact arithmetic on Fractions; a square root is the only inexact step ------------------


def _mean(values):
    return sum(values, Fraction(0)) / len(values) if values else None


def _covariance(xs, ys):
    """Σ (x - x̄)(y - ȳ) / (n - 1); None under two values."""
    if len(xs) < 2:
        return None
    mean_x, mean_y = _mean(xs), _mean(ys)
    return sum(((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys)), Fraction(0)) / (len(xs) - 1)


def _variance(values):
    return _covariance(values, values)


def _sample_sd(values):
    variance = _variance(values)
    return None if variance is None else _sqrt(variance)


def _sqrt(value):
    with localcontext() as context:
        context.prec = 40
        root = (Decimal(value.numerator) / Decimal(value.denominator)).sqrt()
    return Fraction(root)


def _rounded(value):
    if value is None:
        return None
    with localcontext() as context:
        context.prec = 40
        exact = Decimal(value.numerator) / Decimal(value.denominator)
    return exact.quantize(HUNDREDTH, rounding=ROUND_HALF_UP)
