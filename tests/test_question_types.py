"""Each question type cleans and grades on a table of cases, with no database: the
question and its options are built in memory."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from quizzes.models import (
    EssayQuestion,
    MatchingPair,
    MatchingQuestion,
    MultipleChoiceOption,
    MultipleChoiceQuestion,
    NumericQuestion,
    OrderingItem,
    OrderingQuestion,
    Question,
    ShortAnswerQuestion,
    SingleChoiceOption,
    SingleChoiceQuestion,
    TriageComment,
    TriageQuestion,
    TrueFalseQuestion,
)

INVALID = "invalid"


def single():
    q = SingleChoiceQuestion(prompt="Premier réseau social ?", points=2)
    q.choices = [
        SingleChoiceOption(pk=1, text="SixDegrees", is_correct=False, feedback="Non, 1997."),
        SingleChoiceOption(pk=2, text="Classmates", is_correct=True, feedback="Oui, 1995."),
        SingleChoiceOption(pk=3, text="Facebook", is_correct=False),
    ]
    return q


def multiple():
    q = MultipleChoiceQuestion(prompt="Bons réflexes ?", points=2)
    q.choices = [
        MultipleChoiceOption(pk=1, text="2FA", is_correct=True),
        MultipleChoiceOption(pk=2, text="Mot de passe unique", is_correct=True),
        MultipleChoiceOption(pk=3, text="Partager son mot de passe", is_correct=False, feedback="Jamais."),
        MultipleChoiceOption(pk=4, text="Noter son code sur un post-it", is_correct=False),
    ]
    return q


def true_false():
    return TrueFalseQuestion(prompt="Le RGPD s'applique aux associations.", points=1, answer=True,
                             feedback_true="Exact.", feedback_false="Si, il s'applique.")


def short():
    return ShortAnswerQuestion(prompt="Nom du règlement ?", points=1, accepted_answers="RGPD\nRèglement général sur la protection des données\n")


def numeric():
    return NumericQuestion(prompt="Délai de notification (heures) ?", points=1, answer=Decimal("72"), tolerance=Decimal("0"))


def numeric_tolerant():
    return NumericQuestion(prompt="Part (en %) ?", points=1, answer=Decimal("61.5"), tolerance=Decimal("0.5"))


def matching():
    q = MatchingQuestion(prompt="Associez", points=3)
    q.pairs = [MatchingPair(pk=10, left="CNIL", right="Autorité"), MatchingPair(pk=11, left="DPO", right="Délégué"),
               MatchingPair(pk=12, left="2FA", right="Sécurité")]
    return q


def ordering():
    q = OrderingQuestion(prompt="Ordonnez la réponse à une crise", points=3)
    q.items = [OrderingItem(pk=20, text="Détecter"), OrderingItem(pk=21, text="Contenir"),
               OrderingItem(pk=22, text="Répondre"), OrderingItem(pk=23, text="Analyser")]
    return q


def triage():
    q = TriageQuestion(prompt="Triez les commentaires sous votre publication", points=3)
    q.comments = [
        TriageComment(pk=30, text="Trois semaines sans réponse à ma réclamation.", expected_category="complaint",
                      expected_action="reply", explanation="Une critique argumentée appelle une réponse."),
        TriageComment(pk=31, text="Encore une boîte de bras cassés, lol", author="@zorglub",
                      expected_category="troll", expected_action="hide"),
        TriageComment(pk=32, text="Voici l'adresse et le téléphone de la cheffe de cuisine : …",
                      expected_category="personal_data", expected_action="delete"),
    ]
    return q


def essay(word_limit=None):
    return EssayQuestion(prompt="Comment vérifiez-vous une information avant de la partager ?", points=4,
                         word_limit=word_limit, rubric="Source, date, auteur : 1 point chacun.")


def triage_raw(*choices):
    """The raw response of triage(): one (category, action) per comment, in order."""
    raw = {}
    for pk, (category, action) in zip((30, 31, 32), choices):
        raw[f"{pk}-category"], raw[f"{pk}-action"] = category, action
    return raw


def check(question, raw, expected_clean, expected_score):
    if expected_clean == INVALID:
        with pytest.raises(ValidationError) as error:
            question.clean_response(raw)
        assert error.value.messages and all(message.strip() for message in error.value.messages)
        return
    cleaned = question.clean_response(raw)
    assert cleaned == expected_clean
    grade = question.grade(cleaned)
    assert grade.score == Decimal(expected_score)
    assert grade.max_score == Decimal(question.points)
    assert Decimal(0) <= grade.score <= grade.max_score


@pytest.mark.parametrize("raw, cleaned, score", [
    ("2", 2, "2"), (2, 2, "2"), (" 2 ", 2, "2"), ("1", 1, "0"), ("3", 3, "0"),
    (None, None, "0"), ("", None, "0"),
    ("99", INVALID, None), ("abc", INVALID, None), (True, INVALID, None), ([2], INVALID, None),
    ({"id": 2}, INVALID, None), ("2.0", INVALID, None), ("-1", INVALID, None),
])
def test_single_choice(raw, cleaned, score):
    check(single(), raw, cleaned, score)


def test_single_choice_feedback_follows_the_choice():
    assert single().grade(1).feedback == ["Non, 1997."]


@pytest.mark.parametrize("raw, cleaned, score", [
    (["1", "2"], [1, 2], "2"), (["2", "1"], [1, 2], "2"), (["1"], [1], "1"), (["1", "3"], [1, 3], "0"),
    (["3"], [3], "0"), (["3", "4"], [3, 4], "0"), (["1", "2", "3"], [1, 2, 3], "1"), (["1", "2", "3", "4"], [1, 2, 3, 4], "0"),
    (["1", "1", "2"], [1, 2], "2"), ("1", [1], "1"), ([], None, "0"), (None, None, "0"),
    (["1", "42"], INVALID, None), ([["1"]], INVALID, None), (["x"], INVALID, None), ([str(i) for i in range(60)], INVALID, None),
])
def test_multiple_choice_partial_credit_never_below_zero(raw, cleaned, score):
    check(multiple(), raw, cleaned, score)


@pytest.mark.parametrize("raw, cleaned, score", [
    ("true", True, "1"), ("vrai", True, "1"), ("Vrai", True, "1"), (True, True, "1"), ("1", True, "1"),
    ("false", False, "0"), ("faux", False, "0"), (False, False, "0"), ("non", False, "0"),
    (None, None, "0"), ("", None, "0"),
    ("peut-être", INVALID, None), (["true"], INVALID, None), (2, INVALID, None), ({"a": 1}, INVALID, None),
])
def test_true_false(raw, cleaned, score):
    check(true_false(), raw, cleaned, score)


@pytest.mark.parametrize("raw, cleaned, score", [
    ("RGPD", "RGPD", "1"), ("rgpd", "rgpd", "1"), ("  rgpd  ", "rgpd", "1"), ("RGPD.", "RGPD.", "1"),
    ("Reglement general sur la protection des donnees", "Reglement general sur la protection des donnees", "1"),
    ("règlement  GÉNÉRAL sur la   protection des données", "règlement GÉNÉRAL sur la protection des données", "1"),
    ("GDPR", "GDPR", "0"), ("RGPD 2018", "RGPD 2018", "0"),
    ("<script>alert(1)</script>RGPD", "<script>alert(1)</script>RGPD", "0"), ("<b>RGPD</b>", "<b>RGPD</b>", "0"),
    ("RG\x00PD\u200b", "RGPD", "1"), ("\tRGPD\r\n", "RGPD", "1"), ("RGPD & co", "RGPD & co", "0"),
    (None, None, "0"), ("   ", None, "0"),
    ("x" * 501, INVALID, None), ("x" * 1_000_000, INVALID, None), (42, INVALID, None), (["RGPD"], INVALID, None),
])
def test_short_answer_is_kept_as_typed_but_compared_without_case_accents_or_spacing(raw, cleaned, score):
    check(short(), raw, cleaned, score)


@pytest.mark.parametrize("raw, cleaned, score", [
    ("72", "72", "1"), (72, "72", "1"), ("72,0", "72.0", "1"), ("72.0", "72.0", "1"), (" 72 ", "72", "1"),
    ("71", "71", "0"), ("-72", "-72", "0"), ("7 2", "72", "1"),
    (None, None, "0"), ("", None, "0"),
    ("soixante-douze", INVALID, None), ("72h", INVALID, None), ("1e3", INVALID, None), (True, INVALID, None),
    ([72], INVALID, None), ("9" * 40, INVALID, None),
])
def test_numeric_accepts_french_decimal_commas(raw, cleaned, score):
    check(numeric(), raw, cleaned, score)


@pytest.mark.parametrize("raw, score", [("61,5", "1"), ("61", "1"), ("62", "1"), ("62,01", "0"), ("60,9", "0")])
def test_numeric_tolerance(raw, score):
    question = numeric_tolerant()
    assert question.grade(question.clean_response(raw)).score == Decimal(score)


@pytest.mark.parametrize("raw, cleaned, score", [
    ({"10": "10", "11": "11", "12": "12"}, {"10": 10, "11": 11, "12": 12}, "3"),
    ({"10": "11", "11": "10", "12": "12"}, {"10": 11, "11": 10, "12": 12}, "1"),
    ({"10": "12", "11": "10", "12": "11"}, {"10": 12, "11": 10, "12": 11}, "0"),
    ({"10": "10", "11": "10", "12": "10"}, {"10": 10, "11": 10, "12": 10}, "1"),
    ({"10": 10, "11": 11, "12": 12}, {"10": 10, "11": 11, "12": 12}, "3"),
    ({"10": None, "11": None, "12": None}, None, "0"), ({}, None, "0"), (None, None, "0"),
    ({"10": "10", "11": "11"}, INVALID, None), ({"10": "10", "11": "11", "12": ""}, INVALID, None),
    ({"10": "10", "11": "11", "12": "99"}, INVALID, None), ({"10": "10", "11": "11", "99": "12"}, INVALID, None),
    (["10", "11", "12"], INVALID, None), ("10", INVALID, None),
])
def test_matching_partial_credit_per_pair(raw, cleaned, score):
    check(matching(), raw, cleaned, score)


@pytest.mark.parametrize("raw, cleaned, score", [
    ({"20": "1", "21": "2", "22": "3", "23": "4"}, [20, 21, 22, 23], "3"),
    ({"20": "4", "21": "3", "22": "2", "23": "1"}, [23, 22, 21, 20], "0"),
    ({"20": "2", "21": "1", "22": "3", "23": "4"}, [21, 20, 22, 23], "1"),
    ({"20": "4", "21": "1", "22": "2", "23": "3"}, [21, 22, 23, 20], "2"),
    ({"20": 1, "21": 2, "22": 3, "23": 4}, [20, 21, 22, 23], "3"),
    ({"20": " 1", "21": "2 ", "22": "3", "23": "4"}, [20, 21, 22, 23], "3"),
    ({"20": "", "21": "", "22": "", "23": ""}, None, "0"), (None, None, "0"),
    ({"20": "1", "21": "1", "22": "3", "23": "4"}, INVALID, None),
    ({"20": "1", "21": "2", "22": "3", "23": "5"}, INVALID, None),
    ({"20": "1", "21": "2", "22": "3"}, INVALID, None),
    ({"20": "un", "21": "2", "22": "3", "23": "4"}, INVALID, None),
    ({"20": "1", "21": "2", "22": "3", "23": ""}, INVALID, None),
    ([20, 21, 22, 23], INVALID, None),
])
def test_ordering_partial_credit_for_neighbours_kept(raw, cleaned, score):
    check(ordering(), raw, cleaned, score)


RIGHT = {"30": {"category": "complaint", "action": "reply"}, "31": {"category": "troll", "action": "hide"},
         "32": {"category": "personal_data", "action": "delete"}}


@pytest.mark.parametrize("raw, cleaned, score", [
    # right, half right, all wrong: each comment weighs 1 point, its category half, its action half
    (triage_raw(("complaint", "reply"), ("troll", "hide"), ("personal_data", "delete")), RIGHT, "3"),
    (triage_raw(("complaint", "hide"), ("troll", "delete"), ("personal_data", "hide")),
     {"30": {"category": "complaint", "action": "hide"}, "31": {"category": "troll", "action": "delete"},
      "32": {"category": "personal_data", "action": "hide"}}, "1.5"),
    (triage_raw(("complaint", "reply"), ("troll", "delete"), ("spam", "hide")),
     {"30": {"category": "complaint", "action": "reply"}, "31": {"category": "troll", "action": "delete"},
      "32": {"category": "spam", "action": "hide"}}, "1.5"),
    (triage_raw(("troll", "reply"), ("complaint", "hide"), ("personal_data", "delete")),
     {"30": {"category": "troll", "action": "reply"}, "31": {"category": "complaint", "action": "hide"},
      "32": {"category": "personal_data", "action": "delete"}}, "2"),
    (triage_raw(("spam", "delete"), ("complaint", "reply"), ("troll", "escalate")),
     {"30": {"category": "spam", "action": "delete"}, "31": {"category": "complaint", "action": "reply"},
      "32": {"category": "troll", "action": "escalate"}}, "0"),
    (triage_raw((" complaint ", "reply"), ("troll", "hide "), ("personal_data", "delete")), RIGHT, "3"),
    # unanswered
    (None, None, "0"), ({}, None, "0"), (triage_raw(("", ""), ("", ""), ("", "")), None, "0"),
    (triage_raw((None, None), ("  ", None), (None, "")), None, "0"),
    # every comment must be answered, with both choices
    (triage_raw(("complaint", "reply"), ("troll", "hide")), INVALID, None),
    (triage_raw(("complaint", "reply"), ("troll", ""), ("personal_data", "delete")), INVALID, None),
    (triage_raw(("complaint", "reply"), ("", ""), ("", "")), INVALID, None),
    # forged values
    (triage_raw(("insulte", "reply"), ("troll", "hide"), ("personal_data", "delete")), INVALID, None),
    (triage_raw(("hide", "complaint"), ("troll", "hide"), ("personal_data", "delete")), INVALID, None),
    (triage_raw(("Troll", "reply"), ("troll", "hide"), ("personal_data", "delete")), INVALID, None),
    (triage_raw((1, "reply"), ("troll", "hide"), ("personal_data", "delete")), INVALID, None),
    (triage_raw((["complaint"], "reply"), ("troll", "hide"), ("personal_data", "delete")), INVALID, None),
    (triage_raw(({"x": "complaint"}, "reply"), ("troll", "hide"), ("personal_data", "delete")), INVALID, None),
    ({**triage_raw(("complaint", "reply"), ("troll", "hide"), ("personal_data", "delete")), "99-category": "spam"},
     INVALID, None),  # a comment of another question
    ({**triage_raw(("complaint", "reply"), ("troll", "hide"), ("personal_data", "delete")),
      "18446744073709551646-category": "spam"}, INVALID, None),  # an id past 64 bits
    ({**triage_raw(("complaint", "reply"), ("troll", "hide"), ("personal_data", "delete")), "٣٠-category": "spam"},
     INVALID, None),  # "30" in Arabic-Indic digits
    ({**triage_raw(("complaint", "reply"), ("troll", "hide"), ("personal_data", "delete")), "30-tone": "calme"},
     INVALID, None),
    ({30: {"category": "complaint", "action": "reply"}}, INVALID, None),
    (["complaint", "reply"], INVALID, None), ("complaint", INVALID, None), (30, INVALID, None),
])
def test_triage_category_counts_half_and_action_half_per_comment(raw, cleaned, score):
    check(triage(), raw, cleaned, score)


def test_triage_says_what_is_missing_or_forged_in_french():
    question = triage()
    with pytest.raises(ValidationError) as missing:
        question.clean_response(triage_raw(("complaint", "reply"), ("troll", ""), ("", "delete")))
    assert missing.value.messages == [
        "Il manque la catégorie ou l'action de 2 commentaires : classez chaque commentaire."
    ]
    with pytest.raises(ValidationError) as foreign:
        question.clean_response({**triage_raw(("complaint", "reply")), "99-action": "hide"})
    assert foreign.value.messages == ["Une réponse porte sur un commentaire qui ne fait pas partie de cette question."]
    with pytest.raises(ValidationError) as unknown:
        question.clean_response(triage_raw(("complaint", "reply"), ("troll", "bannir"), ("spam", "hide")))
    assert unknown.value.messages == ["Choisissez une catégorie et une action parmi celles proposées."]


def test_a_triage_answer_of_comments_removed_since_counts_them_wrong_and_never_fails():
    question = triage()
    answer = {"30": {"category": "complaint", "action": "reply"}, "77": {"category": "spam", "action": "delete"}}
    assert question.grade(answer).score == Decimal("1")  # comment 30 right; 31 and 32 unanswered
    assert "?" in question.answer_text(answer)


def test_the_triage_review_sets_each_choice_beside_the_expected_one_and_counts_confusions():
    question = triage()
    answer = question.clean_response(triage_raw(("complaint", "hide"), ("complaint", "hide"), ("troll", "delete")))

    review = question.review(answer)

    assert [(row.category_label, row.category_right, row.action_label, row.action_right) for row in review.rows] == [
        ("Réclamation légitime", True, "Masquer", False),
        ("Réclamation légitime", False, "Masquer", True),
        ("Troll", False, "Supprimer", True),
    ]
    assert review.confusion.labels == ["Réclamation légitime", "Troll", "Spam", "Haine ou contenu illicite",
                                       "Fuite de données personnelles"]
    assert review.confusion.counts == [
        [1, 0, 0, 0, 0],  # expected a complaint: chosen a complaint once
        [1, 0, 0, 0, 0],  # expected a troll: chosen a complaint
        [0, 0, 0, 0, 0],
        [0, 0, 0, 0, 0],
        [0, 1, 0, 0, 0],  # expected a personal-data leak: chosen a troll
    ]
    assert [cells[0] for _label, cells in review.confusion.rows] == [(1, True), (1, False), (0, False), (0, False), (0, False)]


def test_an_unanswered_triage_shows_what_was_expected_and_no_confusion_table():
    review = triage().review(None)
    assert [(row.category, row.action, row.comment.pk) for row in review.rows] == [(None, None, 30), (None, None, 31), (None, None, 32)]
    assert review.confusion is None


@pytest.mark.parametrize("pairs, expected", [
    ([], [[0, 0], [0, 0]]),
    ([("a", "a"), ("a", "b"), ("b", "b"), ("b", "b")], [[1, 1], [0, 2]]),
    ([("a", "z"), ("z", "a"), (None, "a")], [[0, 0], [0, 0]]),  # values outside the choices are not counted
])
def test_a_confusion_table_counts_expected_in_rows_and_chosen_in_columns(pairs, expected):
    from quizzes.grading import confusion_table

    table = confusion_table(pairs, [("a", "A"), ("b", "B")])
    assert table.labels == ["A", "B"] and table.counts == expected


def test_every_type_says_what_the_right_answer_is():
    assert single().correct_answer_text() == "Classmates"
    assert multiple().correct_answer_text() == "2FA ; Mot de passe unique"
    assert true_false().correct_answer_text() == "Vrai"
    assert "RGPD" in short().correct_answer_text()
    assert numeric().correct_answer_text() == "72"
    assert numeric_tolerant().correct_answer_text() == "61,5 (à 0,5 près)"
    assert "CNIL → Autorité" in matching().correct_answer_text()
    assert ordering().correct_answer_text() == "Détecter → Contenir → Répondre → Analyser"
    assert essay().correct_answer_text() == ""  # the rubric is for reviewers only
    assert triage().correct_answer_text() == (
        "« Trois semaines sans réponse à ma réclamation. » : Réclamation légitime, Répondre publiquement ; "
        "« Encore une boîte de bras cassés, lol » : Troll, Masquer ; "
        "« Voici l'adresse et le téléphone de la cheffe de cuisine : … » : Fuite de données personnelles, Supprimer"
    )


# --- The question types (Question.types()) ------------------------------------------

EVERY_TYPE = [single, multiple, true_false, short, numeric, matching, ordering, triage, essay]


def test_every_question_type_has_its_own_name_and_is_found_by_it():
    kinds = [model.kind for model in Question.types()]

    assert {type(build()) for build in EVERY_TYPE} == set(Question.types())  # one example of each here
    assert all(kinds) and len(set(kinds)) == len(kinds)
    assert [Question.of_kind(kind) for kind in kinds] == list(Question.types())
    with pytest.raises(LookupError):
        Question.of_kind("no_such_type")


@pytest.mark.parametrize("build", EVERY_TYPE, ids=lambda build: build.__name__)
def test_the_example_responses_of_every_type_earn_all_the_points_or_none(build):
    question = build()

    right = question.grade(question.clean_response(question.example_response(right=True)))
    wrong = question.grade(question.clean_response(question.example_response(right=False)))

    if question.graded_by_a_person:  # a person scores it: no score until reviewed
        assert (right.score, wrong.score, right.max_score) == (None, None, question.max_score)
    else:
        assert (right.score, wrong.score) == (question.max_score, 0)


# --- An attempt's result (quizzes.grading.attempt_result) ------------------------------


@pytest.mark.parametrize(
    "scores, pass_mark, expected",
    [
        ([("2", "2"), ("2", "2")], 70, ("4", "4", 100, True)),
        ([("2", "2"), ("0", "2")], 50, ("2", "4", 50, True)),  # exactly the pass mark passes
        ([("2", "2"), ("0", "2")], 51, ("2", "4", 50, False)),
        ([("1.33", "2"), ("0", "1")], 0, ("1.33", "3", 44, True)),  # 44.33 % rounds down
        ([("1.99", "2")], 100, ("1.99", "2", 99, False)),  # 100 only when everything is right
        ([], 70, ("0", "0", 0, False)),  # nothing to earn: 0 %
    ],
)
def test_an_attempts_result_adds_its_grades_and_rounds_its_percent_down(scores, pass_mark, expected):
    from quizzes.grading import Grade, attempt_result

    result = attempt_result([Grade(Decimal(s), Decimal(m)) for s, m in scores], pass_mark=pass_mark)

    score, maximum, percent, passed = expected
    assert (result.score, result.max_score, result.percent, result.passed) == (
        Decimal(score), Decimal(maximum), percent, passed
    )
