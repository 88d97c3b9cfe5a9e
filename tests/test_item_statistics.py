"""Item statistics (quizzes.item_statistics), pure: a six-attempt quiz whose every figure
is worked out by hand below, then the edges (no attempt, one attempt, no variance, nobody
right, partial credit), which attempts count, and the warning under the minimum sample.

How to check a figure: x is what a question earned in each attempt, r the rest of the
test (the attempt's other questions); Σxx, Σrr and Σxr are the sums of squared and crossed
deviations from the means. Variances divide by n - 1, which cancels in a correlation:

    discrimination index = Σxr / √(Σxx × Σrr)
    discriminative efficiency = Σxr / Σxr' where r' pairs x and r each sorted
"""

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from math import sqrt

import pytest
from django.utils import translation

from quizzes.item_statistics import (
    MINIMUM_ATTEMPTS, AttemptScores, AttemptsCounted, Flag, OptionCount, QuestionScore,
    counted_attempts, quiz_statistics,
)

HALF = Fraction(1, 2)


def percent(value):
    """A hand-computed share (a Fraction, or a float after a square root) as the module
    shows it: a percent to two decimals, half up."""
    exact = Decimal(value.numerator) / Decimal(value.denominator) if isinstance(value, Fraction) else Decimal(value)
    return (100 * exact).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def attempt(learner, fractions, *, number=1, max_scores=None, chosen=None):
    """An attempt at questions "Q1", "Q2"… earning `fractions` of their points (1 point
    each unless `max_scores` says otherwise); its total is the sum of the points earned."""
    max_scores = max_scores or [1] * len(fractions)
    chosen = chosen or {}
    questions = {
        f"Q{position}": QuestionScore(
            fraction=Decimal(fraction.numerator) / Decimal(fraction.denominator) if isinstance(fraction, Fraction)
            else Decimal(fraction),
            max_score=Decimal(maximum),
            chosen=chosen.get(f"Q{position}"),
        )
        for position, (fraction, maximum) in enumerate(zip(fractions, max_scores), start=1)
    }
    total = sum(score.fraction * score.max_score for score in questions.values())
    return AttemptScores(
        learner=learner, number=number, score=total, max_score=Decimal(sum(max_scores)), questions=questions,
    )


def question(stats, question_id):
    return next(item for item in stats.questions if item.question == question_id)


# --- The six-attempt quiz, by hand --------------------------------------------------------
#
#            Q1   Q2   Q3   Q4   total /4
#   Anna      1    1    1    0    3
#   Bruno     1    1    1    0    3
#   Chloé     1    1   1/2   0    2.5
#   David     1    0   1/2   1    2.5
#   Emma      1    0    0    0    1
#   Farid     1    0    0    0    1
#
# Q1 everyone gets right; Q2 (single choice a/b/c, a is right) and Q3 (partial credit)
# follow the rest of the test; Q4 (true/false) only David, who is weak elsewhere, gets.

OPTIONS = {"Q1": [], "Q2": ["a", "b", "c"], "Q3": [], "Q4": ["vrai", "faux"]}


@pytest.fixture
def six_attempts():
    picked = [("a", "faux"), ("a", "faux"), ("a", "faux"), ("b", "vrai"), ("b", "faux"), (None, "faux")]
    rows = [
        ("Anna", [1, 1, 1, 0]),
        ("Bruno", [1, 1, 1, 0]),
        ("Chloé", [1, 1, HALF, 0]),
        ("David", [1, 0, HALF, 1]),
        ("Emma", [1, 0, 0, 0]),
        ("Farid", [1, 0, 0, 0]),
    ]
    return [
        attempt(learner, fractions, chosen={
            "Q2": frozenset([q2] if q2 else []),
            "Q4": frozenset([q4]),
        })
        for (learner, fractions), (q2, q4) in zip(rows, picked)
    ]


def test_the_facility_index_is_the_average_share_of_the_points_earned(six_attempts):
    # when
    stats = quiz_statistics(six_attempts, questions=OPTIONS)

    # then
    assert [item.facility_index for item in stats.questions] == [
        percent(Fraction(6, 6)),                    # Q1: 6 points out of 6
        percent(Fraction(3, 6)),                    # Q2: 3 of 6
        percent(Fraction(1 + 1 + HALF + HALF, 6)),  # Q3: 3 of 6
        percent(Fraction(1, 6)),                    # Q4: 1 of 6 = 16.67 %
    ]


def test_the_standard_deviation_of_a_question_is_the_spread_of_its_share(six_attempts):
    # given
    # Q2: mean 1/2, every deviation ±1/2: Σxx = 6 × 1/4 = 3/2, variance 3/2 ÷ 5 = 3/10
    # Q3: mean 1/2, deviations 1/2, 1/2, 0, 0, -1/2, -1/2: Σxx = 1, variance 1/5
    # Q4: mean 1/6, deviations -1/6 (×5) and 5/6: Σxx = 5/36 + 25/36 = 5/6, variance 1/6

    # when
    stats = quiz_statistics(six_attempts, questions=OPTIONS)

    # then
    assert [item.standard_deviation for item in stats.questions] == [
        Decimal("0.00"),                  # Q1: no spread at all
        percent(sqrt(3 / 10)),            # 54.77 %
        percent(sqrt(1 / 5)),             # 44.72 %
        percent(sqrt(1 / 6)),             # 40.82 %
    ]
    assert [item.attempts for item in stats.questions] == [6, 6, 6, 6]


def test_the_discrimination_index_correlates_a_question_with_the_rest_of_the_test(six_attempts):
    # given
    # Q2: x = 1 1 1 0 0 0, r = total - x = 2 2 1.5 2.5 1 1, mean r = 10/6 = 5/3
    #     r - 5/3 = 1/3 1/3 -1/6 5/6 -2/3 -2/3: Σrr = (4 + 4 + 1 + 25 + 16 + 16)/36 = 11/6
    #     Σxr = 1/2 × (1/3 + 1/3 - 1/6) - 1/2 × (5/6 - 2/3 - 2/3) = 1/4 + 1/4 = 1/2
    #     index = (1/2) / √(3/2 × 11/6) = 1/√11 = 30.15 %
    # Q3: x - 1/2 = 1/2 1/2 0 0 -1/2 -1/2, r = 2 2 2 2 1 1, mean 5/3
    #     Σrr = 4 × 1/9 + 2 × 4/9 = 4/3; Σxr = 2 × 1/2 × 1/3 + 2 × 1/2 × 2/3 = 1
    #     index = 1 / √(1 × 4/3) = √3/2 = 86.60 %
    # Q4: r = 3 3 2.5 1.5 1 1, mean 2, r - 2 = 1 1 1/2 -1/2 -1 -1: Σrr = 9/2
    #     Σxr = Σ x (r - 2) = 1 × -1/2 (only David earned it) = -1/2
    #     index = (-1/2) / √(5/6 × 9/2) = -1/√15 = -25.82 %

    # when
    stats = quiz_statistics(six_attempts, questions=OPTIONS)

    # then
    assert [item.discrimination_index for item in stats.questions] == [
        None,                           # Q1: a question without variance correlates with nothing
        percent(1 / sqrt(11)),
        percent(sqrt(3) / 2),
        percent(-1 / sqrt(15)),
    ]
    assert [str(item.discrimination_index) for item in stats.questions[1:]] == ["30.15", "86.60", "-25.82"]


def test_the_discriminative_efficiency_compares_with_the_best_order_the_scores_allow(six_attempts):
    # given
    # Q2: x sorted 0 0 0 1 1 1 against r sorted 1 1 1.5 2 2 2.5 (mean 5/3):
    #     Σxr' = -1/2 × (1 + 1 + 1.5 - 5) + 1/2 × (2 + 2 + 2.5 - 5) = 3/4 + 3/4 = 3/2
    #     efficiency = (1/2) / (3/2) = 33.33 %
    # Q3: r already follows x (2 2 2 2 against 1 1/2 1/2…, 1 1 against 0 0): Σxr' = Σxr = 1, 100 %
    # Q4: x sorted puts David's 1 against the best rest, 3: Σxr' = 1 × (3 - 2) = 1
    #     efficiency = (-1/2) / 1 = -50 %

    # when
    stats = quiz_statistics(six_attempts, questions=OPTIONS)

    # then
    assert [item.discriminative_efficiency for item in stats.questions] == [
        None, percent(Fraction(1, 3)), percent(Fraction(1)), percent(Fraction(-1, 2)),
    ]


def test_broken_looking_questions_are_flagged(six_attempts):
    # when
    stats = quiz_statistics(six_attempts, questions=OPTIONS)

    # then: Q2 (30.15 %) is just above Moodle's 30 % line, Q3 is well above
    assert [item.flags for item in stats.questions] == [
        (Flag.EVERYONE_RIGHT,), (), (), (Flag.NEGATIVE_DISCRIMINATION,),
    ]


def test_distractor_counts_list_every_option_in_order_even_those_nobody_picked(six_attempts):
    # when
    stats = quiz_statistics(six_attempts, questions=OPTIONS)

    # then: Farid left Q2 blank
    assert question(stats, "Q2").options == (OptionCount("a", 3), OptionCount("b", 2), OptionCount("c", 0))
    assert question(stats, "Q2").no_choice == 1
    assert question(stats, "Q4").options == (OptionCount("vrai", 1), OptionCount("faux", 5))
    assert question(stats, "Q4").no_choice == 0
    assert question(stats, "Q1").options == ()


def test_the_random_guess_score_is_shown_where_the_question_type_gives_one(six_attempts):
    # given: one of three options for Q2, true or false for Q4; nothing known for Q1 and Q3
    guesses = {"Q2": Fraction(1, 3), "Q4": Decimal("0.5")}

    # when
    stats = quiz_statistics(six_attempts, questions=OPTIONS, random_guesses=guesses)

    # then
    assert [item.random_guess_score for item in stats.questions] == [
        None, Decimal("33.33"), None, Decimal("50.00"),
    ]


def test_the_quiz_totals_mean_median_and_standard_deviation(six_attempts):
    # given
    # totals 3 3 2.5 2.5 1 1 out of 4 = 75 75 62.5 62.5 25 25 %
    # mean 13/6 points = 13/24 = 54.17 %; median (62.5 + 62.5)/2 = 62.5 %
    # deviations 5/6 5/6 1/3 1/3 -7/6 -7/6: Σ = (25 + 25 + 4 + 4 + 49 + 49)/36 = 13/3
    # variance 13/3 ÷ 5 = 13/15 points², standard deviation √(13/15) / 4 = 23.27 %

    # when
    stats = quiz_statistics(six_attempts, questions=OPTIONS)

    # then
    assert stats.attempts == 6
    assert stats.mean == percent(Fraction(13, 24))
    assert stats.median == Decimal("62.50")
    assert stats.standard_deviation == percent(sqrt(13 / 15) / 4)


def test_cronbach_alpha_the_error_ratio_and_the_standard_error(six_attempts):
    # given
    # question variances (points²): 0 + 3/10 + 1/5 + 1/6 = (0 + 9 + 6 + 5)/30 = 2/3
    # alpha = 4/3 × (1 - (2/3) / (13/15)) = 4/3 × (1 - 10/13) = 4/3 × 3/13 = 4/13 = 30.77 %
    # error ratio = √(1 - 4/13) = √(9/13) = 83.21 %
    # standard error = √(9/13) × √(13/15) / 4 = √(9/15) / 4 = 19.36 % of the maximum

    # when
    stats = quiz_statistics(six_attempts, questions=OPTIONS)

    # then
    assert stats.cronbach_alpha == percent(Fraction(4, 13))
    assert stats.error_ratio == percent(sqrt(9 / 13))
    assert stats.standard_error == percent(sqrt(9 / 15) / 4)
    assert str(stats.standard_error) == "19.36"


def test_six_attempts_are_too_few_to_trust_and_the_warning_says_the_threshold(six_attempts):
    # when
    stats = quiz_statistics(six_attempts, questions=OPTIONS)

    # then
    assert stats.sample_too_small
    assert "6 tentatives comptées" in stats.warning
    assert f"en dessous de {MINIMUM_ATTEMPTS} tentatives" in stats.warning
    with translation.override("en"):
        assert "Only 6 attempts counted" in stats.warning
        assert f"under {MINIMUM_ATTEMPTS} attempts" in stats.warning


# --- Low discrimination, by hand ----------------------------------------------------------


def test_a_question_with_a_weak_positive_index_is_flagged_as_low_discrimination():
    # given
    #          Q1  Q2  Q3
    #   one     0   1   1      Q1: x = 0 1 0 0, mean 1/4, Σxx = 3/4
    #   two     1   0   1          r = 2 1 0 0, mean 3/4, r - 3/4 = 5/4 1/4 -3/4 -3/4
    #   three   0   0   0          Σrr = (25 + 1 + 9 + 9)/16 = 11/4
    #   four    0   0   0          Σxr = 1 × 1/4 = 1/4: index = (1/4) / √(3/4 × 11/4) = 1/√33 = 17.41 %
    #   sorted: x 0 0 0 1 against r 0 0 1 2: Σxr' = 1 × (2 - 3/4) = 5/4, efficiency 1/5 = 20 %
    attempts = [
        attempt("one", [0, 1, 1]), attempt("two", [1, 0, 1]), attempt("three", [0, 0, 0]), attempt("four", [0, 0, 0]),
    ]

    # when
    q1 = question(quiz_statistics(attempts), "Q1")

    # then
    assert q1.discrimination_index == percent(1 / sqrt(33))
    assert q1.discriminative_efficiency == percent(Fraction(1, 5))
    assert q1.flags == (Flag.LOW_DISCRIMINATION,)
    assert "30 %" in str(Flag.LOW_DISCRIMINATION.explanation)


# --- Edges --------------------------------------------------------------------------------


def test_without_any_attempt_every_figure_is_undefined_and_the_questions_are_still_listed():
    # when
    stats = quiz_statistics([], questions={"Q1": ["a", "b"], "Q2": []})

    # then
    assert stats.attempts == 0
    assert (stats.mean, stats.median, stats.standard_deviation) == (None, None, None)
    assert (stats.cronbach_alpha, stats.error_ratio, stats.standard_error) == (None, None, None)
    assert stats.sample_too_small and "Seulement 0 tentative" in stats.warning
    q1, q2 = stats.questions
    assert (q1.attempts, q1.facility_index, q1.standard_deviation, q1.discrimination_index) == (0, None, None, None)
    assert q1.options == (OptionCount("a", 0), OptionCount("b", 0))
    assert q1.flags == q2.flags == ()


def test_one_attempt_has_a_mean_but_no_spread_and_no_correlation():
    # given
    only = attempt("Anna", [1, HALF, 0])  # 1.5 points of 3 = 50 %

    # when
    stats = quiz_statistics([only])

    # then
    assert (stats.attempts, stats.mean, stats.median) == (1, Decimal("50.00"), Decimal("50.00"))
    assert (stats.standard_deviation, stats.cronbach_alpha, stats.standard_error) == (None, None, None)
    assert [item.facility_index for item in stats.questions] == [Decimal("100.00"), Decimal("50.00"), Decimal("0.00")]
    assert all(item.standard_deviation is None and item.discrimination_index is None for item in stats.questions)
    assert all(item.discriminative_efficiency is None for item in stats.questions)


def test_identical_attempts_have_zero_spread_and_no_alpha_rather_than_a_division_by_zero():
    # given: everyone earns the same on every question, so every variance is 0
    attempts = [attempt(name, [1, HALF, 0]) for name in ("Anna", "Bruno", "Chloé")]

    # when
    stats = quiz_statistics(attempts)

    # then
    assert stats.standard_deviation == Decimal("0.00")
    assert (stats.cronbach_alpha, stats.error_ratio, stats.standard_error) == (None, None, None)
    assert [item.standard_deviation for item in stats.questions] == [Decimal("0.00")] * 3
    assert [item.discrimination_index for item in stats.questions] == [None] * 3
    assert [item.discriminative_efficiency for item in stats.questions] == [None] * 3
    assert [item.flags for item in stats.questions] == [(Flag.EVERYONE_RIGHT,), (), (Flag.EVERYONE_WRONG,)]


def test_a_question_nobody_gets_right_is_flagged_and_has_no_index():
    # given: Q2 is always wrong, Q1 varies
    attempts = [attempt("Anna", [1, 0]), attempt("Bruno", [0, 0]), attempt("Chloé", [1, 0])]

    # when
    q2 = question(quiz_statistics(attempts), "Q2")

    # then
    assert (q2.facility_index, q2.standard_deviation) == (Decimal("0.00"), Decimal("0.00"))
    assert (q2.discrimination_index, q2.discriminative_efficiency) == (None, None)
    assert q2.flags == (Flag.EVERYONE_WRONG,)


def test_partial_credit_counts_in_points_so_a_two_point_question_weighs_double_in_the_rest():
    # given
    #          Q1 (1 pt)  Q2 (2 pts)        Q2 earns 1/2 × 2 = 1, 1/4 × 2 = 1/2, 1 × 2 = 2 points
    #   Anna       1         1/2            facility = (1/2 + 1/4 + 1)/3 = 7/12 = 58.33 %
    #   Bruno      0         1/4            shares - 7/12 = -1/12 -4/12 5/12: Σ = 42/144 = 7/24
    #   Chloé      1          1             sd = √(7/24 ÷ 2) = √(7/48) = 38.19 %
    # Q1: x = 1 0 1 (mean 2/3), r = Q2's points 1 1/2 2 (mean 7/6)
    #     x - 2/3 = 1/3 -2/3 1/3, r - 7/6 = -1/6 -2/3 5/6: Σxx = 2/3, Σrr = (1 + 16 + 25)/36 = 7/6
    #     Σxr = -1/18 + 4/9 + 5/18 = 2/3: index = (2/3) / √(2/3 × 7/6) = 2/√7 = 75.59 %
    # totals 2 of 3, 0.5 of 3, 3 of 3
    attempts = [
        attempt("Anna", [1, HALF], max_scores=[1, 2]),
        attempt("Bruno", [0, Fraction(1, 4)], max_scores=[1, 2]),
        attempt("Chloé", [1, 1], max_scores=[1, 2]),
    ]

    # when
    stats = quiz_statistics(attempts)

    # then
    q1, q2 = stats.questions
    assert q2.facility_index == percent(Fraction(7, 12))
    assert q2.standard_deviation == percent(sqrt(7 / 48))
    assert q1.discrimination_index == percent(2 / sqrt(7))
    assert stats.mean == percent(Fraction(2 + HALF + 3, 9))  # (2/3 + 1/6 + 1)/3 = 11/18 = 61.11 %
    assert q2.flags == ()


def test_a_question_of_the_quiz_nobody_met_yet_is_listed_but_leaves_alpha_alone(six_attempts):
    # when
    stats = quiz_statistics(six_attempts, questions={**OPTIONS, "Q5": ["x", "y"]})

    # then: alpha is still 4/13 over the four questions met
    assert stats.cronbach_alpha == percent(Fraction(4, 13))
    q5 = question(stats, "Q5")
    assert (q5.attempts, q5.facility_index, q5.flags) == (0, None, ())
    assert q5.options == (OptionCount("x", 0), OptionCount("y", 0))


def test_a_question_added_after_some_attempts_counts_only_where_it_was_asked():
    # given: Q2 joined the quiz after Anna's attempt
    anna = attempt("Anna", [1])
    later = [attempt("Bruno", [0, 1]), attempt("Chloé", [1, 1]), attempt("David", [0, 0])]

    # when
    stats = quiz_statistics([anna, *later])

    # then
    q1, q2 = stats.questions
    assert (q1.attempts, q2.attempts) == (4, 3)
    assert q2.facility_index == percent(Fraction(2, 3))
    # Q2 against Q1 over Bruno, Chloé, David: x = 1 1 0, r = 0 1 0
    # x - 2/3 = 1/3 1/3 -2/3, r - 1/3 = -1/3 2/3 -1/3: Σxx = 2/3, Σrr = 2/3, Σxr = -1/9 + 2/9 + 2/9 = 1/3
    # index = (1/3) / (2/3) = 50 %
    assert q2.discrimination_index == percent(Fraction(1, 2))


def test_a_fraction_outside_zero_to_one_is_refused():
    # given
    broken = attempt("Anna", [Decimal("1.5")])

    # then
    with pytest.raises(ValueError, match="between 0 and 1"):
        quiz_statistics([broken])


# --- Which attempts count ---------------------------------------------------------------


@pytest.fixture
def two_tries_each():
    return [
        attempt("Anna", [0, 0], number=1),
        attempt("Anna", [1, 1], number=2),
        attempt("Bruno", [1, 0], number=2),
        attempt("Bruno", [1, 1], number=1),
        attempt("Bruno", [0, 0], number=3),
    ]


@pytest.mark.parametrize("counted, kept", [
    (AttemptsCounted.FIRST, [("Anna", 1), ("Bruno", 1)]),
    (AttemptsCounted.LAST, [("Anna", 2), ("Bruno", 3)]),
    (AttemptsCounted.HIGHEST, [("Anna", 2), ("Bruno", 1)]),
    (AttemptsCounted.ALL, [("Anna", 1), ("Anna", 2), ("Bruno", 2), ("Bruno", 1), ("Bruno", 3)]),
])
def test_each_learner_counts_once_by_default_with_their_first_graded_attempt(two_tries_each, counted, kept):
    # when
    chosen = counted_attempts(two_tries_each, counted)

    # then
    assert [(item.learner, item.number) for item in chosen] == kept


def test_the_statistics_count_first_attempts_unless_told_otherwise(two_tries_each):
    # when
    first = quiz_statistics(two_tries_each)
    every = quiz_statistics(two_tries_each, counted=AttemptsCounted.ALL)

    # then: Anna's first is 0 %, Bruno's first 100 %
    assert (first.counted, first.attempts, first.mean) == (AttemptsCounted.FIRST, 2, Decimal("50.00"))
    # (0 + 100 + 50 + 100 + 0) / 5 = 50 % over five attempts
    assert (every.counted, every.attempts, every.mean) == (AttemptsCounted.ALL, 5, Decimal("50.00"))


def test_the_highest_attempt_is_the_earliest_of_equal_ones():
    # given
    attempts = [attempt("Anna", [1], number=2), attempt("Anna", [1], number=1)]

    # then
    assert [item.number for item in counted_attempts(attempts, AttemptsCounted.HIGHEST)] == [1]


def test_the_sample_is_trusted_from_the_minimum_number_of_attempts_on():
    # given
    attempts = [attempt(f"learner {index}", [index % 2, 1]) for index in range(MINIMUM_ATTEMPTS)]

    # then
    assert not quiz_statistics(attempts).sample_too_small
    assert quiz_statistics(attempts).warning == ""
    assert quiz_statistics(attempts[1:]).sample_too_small
