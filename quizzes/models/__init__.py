"""Quizzes: a QuizPage (a step of a module) asks questions from the question bank.

page.py holds the quiz page, questions.py the bank (Question and every type but one),
triage.py the moderation triage type, essay.py the essay (scored by a trainer), attempts.py
the learners' attempts and answers, statistics.py the stored item statistics of each quiz,
regrades.py the regrades after an answer key changed.
Their public names are all importable from here. A question type in a module of its own
is one class, and its module imported here."""

from quizzes.models.attempts import Answer, Attempt
from quizzes.models.page import QuizPage, QuizQuestion
from quizzes.models.questions import (
    ChoiceQuestionMixin,  # named by migration 0001, as a base of the two choice types
    MatchingPair,
    MatchingQuestion,
    MultipleChoiceOption,
    MultipleChoiceQuestion,
    NumericOption,
    NumericQuestion,
    OrderingItem,
    OrderingQuestion,
    Question,
    ShortAnswerOption,
    ShortAnswerQuestion,
    SingleChoiceOption,
    SingleChoiceQuestion,
    TrueFalseQuestion,
    format_decimal,
)
from quizzes.models.regrades import Regrade, RegradedAttempt
from quizzes.models.statistics import QuizStatistics
from quizzes.models.triage import TriageAction, TriageCategory, TriageComment, TriageQuestion
from quizzes.models.essay import EssayQuestion  # noqa: I001 - after triage: the bank lists types in import order

__all__ = [
    "Answer", "Attempt", "ChoiceQuestionMixin", "EssayQuestion", "MatchingPair", "MatchingQuestion", "MultipleChoiceOption",
    "MultipleChoiceQuestion", "NumericOption", "NumericQuestion", "OrderingItem", "OrderingQuestion", "Question", "QuizPage",
    "QuizQuestion", "QuizStatistics", "Regrade", "RegradedAttempt", "ShortAnswerOption", "ShortAnswerQuestion",
    "SingleChoiceOption", "SingleChoiceQuestion", "TriageAction", "TriageCategory",
    "TriageComment", "TriageQuestion", "TrueFalseQuestion", "format_decimal",
]
