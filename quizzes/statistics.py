"""Item statistics of a quiz for its trainers: read the graded attempts, compute them
with the pure quizzes.item_statistics, store the report (QuizStatistics) and keep it
fresh after new gradings.

One module for the whole path (its reads, its two writes and the report's JSON form), so
that the selector and the store that use the same shapes sit together; the learners'
reads stay in quizzes.selectors and the attempts' writes in quizzes.services.

Refreshes are coalesced: a grading only sets the quiz's `requested_at` marker (one
statement, no message). Beat's sweep (`send_due_computations`, every 30 s) sends one
computation for each quiz marked at least settings.QUIZ_STATISTICS_DELAY (30 s) ago, so a
burst of gradings (a class submitting together) is counted by one computation. The task
clears the marker as it starts, before it reads, so a grading that lands meanwhile marks
the quiz again and none is left uncounted; a message lost with a broker leaves the marker
set, and the next sweep sends it again. No computation waits in a worker with an ETA (a
worker holding a message when its broker goes away can die restoring it: kombu 5.7)."""

from dataclasses import asdict, dataclass
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from config import queueing
from quizzes.item_statistics import (
    AttemptScores, AttemptsCounted, Flag, OptionCount, QuestionScore, QuestionStatistics, QuizStatistics,
    quiz_statistics,
)
from quizzes.models import Answer, Attempt, QuizPage
from quizzes.models import QuizStatistics as StoredStatistics
from quizzes.selectors import load_questions

# --- Reading: graded attempts -> the pure module's input --------------------------------


@dataclass(frozen=True)
class StatisticsInput:
    """What quiz_statistics() takes for one quiz: its graded `attempts` (AttemptScores),
    its `questions` (question id -> option ids, in the quiz's order) and the
    `random_guesses` known (question id -> fraction)."""

    attempts: list
    questions: dict
    random_guesses: dict


def statistics_input(quiz):
    """The graded attempts of `quiz` as the pure module's input. A fixed number of
    queries whatever the number of attempts: the quiz's questions, the attempts, their
    answers, and the questions with their options (load_questions)."""
    quiz_question_ids = quiz.question_ids()
    attempts = list(
        Attempt.objects.filter(quiz=quiz, status=Attempt.Status.GRADED)
        .order_by("user_id", "number")
        .values_list("pk", "user_id", "number", "score", "max_score")
    )
    answers = list(
        Answer.objects.filter(attempt__quiz=quiz, attempt__status=Attempt.Status.GRADED)
        .order_by("attempt_id", "question_id")
        .values_list("attempt_id", "question_id", "payload", "score", "max_score")
    )
    answered_ids = sorted({question_id for _attempt, question_id, *_rest in answers} - set(quiz_question_ids))
    questions = {question.pk: question for question in load_questions(quiz_question_ids + answered_ids)}
    scores = {pk: {} for pk, *_rest in attempts}
    for attempt_id, question_id, payload, score, max_score in answers:
        question = questions.get(question_id)
        scores[attempt_id][question_id] = QuestionScore(
            fraction=_fraction(score, max_score),
            max_score=max_score or Decimal(0),
            chosen=question.picked_options(payload) if question is not None else None,
        )
    return StatisticsInput(
        attempts=[
            AttemptScores(
                learner=user_id, number=number, score=score or Decimal(0), max_score=max_score or Decimal(0),
                questions=scores[pk],
            )
            for pk, user_id, number, score, max_score in attempts
        ],
        questions={
            pk: [option.pk for option in questions[pk].options()] if questions[pk].has_distractors else []
            for pk in quiz_question_ids if pk in questions
        },
        random_guesses={
            pk: guess for pk, question in questions.items() if (guess := question.random_guess_fraction()) is not None
        },
    )


def _fraction(score, max_score):
    """The share of its points an answer earned, from 0 to 1 (0 when it had none to earn)."""
    if not score or not max_score:
        return Decimal(0)
    return max(Decimal(0), min(Decimal(1), Decimal(score) / Decimal(max_score)))


# --- Writing: computing, storing, asking for a refresh ------------------------------------


def compute_statistics(quiz_id):
    """Compute the item statistics of quiz `quiz_id` from its graded attempts and store
    them (the quiz's one QuizStatistics row). Clears the refresh marker first: a grading
    from now on queues another computation. Returns the stored row, or None when the quiz
    no longer exists. Safe to run twice, or twice at once: each stores a whole report."""
    StoredStatistics.objects.filter(quiz_id=quiz_id).update(requested_at=None)
    quiz = QuizPage.objects.filter(pk=quiz_id).first()
    if quiz is None:
        return None
    data = statistics_input(quiz)
    report = quiz_statistics(data.attempts, questions=data.questions, random_guesses=data.random_guesses)
    stored, _created = StoredStatistics.objects.update_or_create(
        quiz_id=quiz_id,
        defaults={"computed_at": timezone.now(), "attempts": report.attempts, "report": report_as_json(report)},
    )
    return stored


def request_refresh(quiz_id):
    """Mark quiz `quiz_id` as waiting for a computation of its statistics, unless it is
    marked already (the mark then keeps its age). Returns True if this call marked it.

    One statement, whatever the case, since every grading runs it: insert the quiz's row
    with its marker, or set the marker of the row there if it is unset; the database says
    whether it did (RETURNING), and concurrent gradings wait for each other on the row."""
    quote, adapt = connection.ops.quote_name, connection.ops.adapt_datetimefield_value
    table = quote(StoredStatistics._meta.db_table)
    marker = quote("requested_at")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({quote('quiz_id')}, {marker}, {quote('computed_at')}, {quote('attempts')}, "
            f"{quote('report')}) VALUES (%s, %s, NULL, 0, '{{}}') "
            f"ON CONFLICT ({quote('quiz_id')}) DO UPDATE SET {marker} = excluded.{marker} "
            f"WHERE {table}.{marker} IS NULL RETURNING {quote('id')}",
            [quiz_id, adapt(timezone.now())],
        )
        return cursor.fetchone() is not None


def refresh_now(quiz_id):
    """A trainer's refresh: mark the quiz and send its computation after the commit."""
    request_refresh(quiz_id)
    transaction.on_commit(lambda: send_computation(quiz_id))


def send_due_computations(now=None):
    """Beat's sweep: send one computation for each quiz marked at least
    QUIZ_STATISTICS_DELAY ago. Returns how many were sent. A quiz whose message is lost
    or refused stays marked: the next sweep sends it again."""
    due = (now or timezone.now()) - settings.QUIZ_STATISTICS_DELAY
    quiz_ids = list(StoredStatistics.objects.filter(requested_at__lte=due).values_list("quiz_id", flat=True))
    return sum(1 for quiz_id in quiz_ids if send_computation(quiz_id))


def send_computation(quiz_id):
    from quizzes.tasks import compute_item_statistics

    return queueing.send_task(compute_item_statistics, quiz_id)


# --- The stored report, to JSON and back ----------------------------------------------------


def report_as_json(report):
    """`report` (a QuizStatistics of the pure module) as plain data for the JSON column."""
    return asdict(report)


def report_from_json(data):
    """The QuizStatistics stored by report_as_json, with its Decimals, flags and counts."""
    questions = tuple(
        QuestionStatistics(
            question=item["question"],
            attempts=item["attempts"],
            **_percents(item, QUESTION_PERCENTS),
            options=tuple(OptionCount(option["option"], option["count"]) for option in item["options"]),
            no_choice=item["no_choice"],
            flags=tuple(Flag(flag) for flag in item["flags"]),
        )
        for item in data["questions"]
    )
    return QuizStatistics(
        counted=AttemptsCounted(data["counted"]), attempts=data["attempts"], **_percents(data, QUIZ_PERCENTS),
        questions=questions,
    )


# The figures stored as text (Decimals), by dataclass.
QUESTION_PERCENTS = (
    "facility_index", "standard_deviation", "discrimination_index", "discriminative_efficiency", "random_guess_score",
)
QUIZ_PERCENTS = ("mean", "median", "standard_deviation", "cronbach_alpha", "error_ratio", "standard_error")


def _percents(item, names):
    return {name: None if item[name] is None else Decimal(str(item[name])) for name in names}


# --- The report page --------------------------------------------------------------------


@dataclass(frozen=True)
class OptionRow:
    """One option of a choice question: its text (None when it was deleted since), whether
    it is a right answer, and how many counted attempts picked it."""

    text: str | None
    is_correct: bool
    count: int


@dataclass(frozen=True)
class QuestionRow:
    """One question of the report: its position, the question as it is now (its prompt
    and type), its figures, and for a choice question its options with their counts."""

    number: int
    question: object
    figures: QuestionStatistics
    options: tuple = ()

    @property
    def type_label(self):
        return self.question._meta.verbose_name

    @property
    def is_flagged(self):
        return bool(self.figures.flags)


@dataclass(frozen=True)
class ChartBar:
    """One bar of the facility chart: its label, value (None: undefined, no bar), row
    position and width, in the SVG's units, and whether its question is flagged (said
    in words after the value, not by the colour alone)."""

    label: str
    value: Decimal | None
    y: int
    width: Decimal
    flagged: bool = False

    @property
    def width_units(self):
        """The width rounded to a whole unit, to place the value's label after the bar."""
        return int(self.width)


@dataclass(frozen=True)
class FacilityChart:
    """A horizontal bar chart of the facility index per question, drawn by the server:
    the bars run from LEFT over WIDTH units for 0 to 100 %."""

    bars: tuple
    height: int

    LEFT = 60
    WIDTH = 500
    ROW = 28
    BAR = 18
    TOP = 8
    BOTTOM = 28

    @property
    def total_width(self):
        return self.LEFT + self.WIDTH + 150  # room for the value and "à vérifier" after a full bar

    @property
    def axis_y(self):
        return self.height - self.BOTTOM

    @property
    def ticks(self):
        """(percent, x) of the grid lines every 25 %."""
        return [(percent, self.LEFT + self.WIDTH * percent // 100) for percent in (0, 25, 50, 75, 100)]


def facility_chart(rows):
    """The facility chart of the report's question `rows`."""
    bars = tuple(
        ChartBar(
            label=f"Q{row.number}",
            value=row.figures.facility_index,
            y=FacilityChart.TOP + index * FacilityChart.ROW,
            width=Decimal(0) if row.figures.facility_index is None
            else row.figures.facility_index * FacilityChart.WIDTH / 100,
            flagged=row.is_flagged,
        )
        for index, row in enumerate(rows)
    )
    return FacilityChart(bars=bars, height=FacilityChart.TOP + len(bars) * FacilityChart.ROW + FacilityChart.BOTTOM)


@dataclass(frozen=True)
class StatisticsReport:
    """What the trainers' report page shows for a quiz: the stored row (None: never
    computed nor asked), the quiz's figures and one row per question, and the chart."""

    stored: StoredStatistics | None
    figures: QuizStatistics | None
    rows: tuple = ()
    chart: FacilityChart | None = None

    @property
    def is_computed(self):
        return self.figures is not None

    @property
    def refresh_pending(self):
        return self.stored is not None and self.stored.requested_at is not None

    @property
    def flagged_rows(self):
        return [row for row in self.rows if row.is_flagged]

    @property
    def choice_rows(self):
        """The rows of the questions with distractor counts (choice questions)."""
        return [row for row in self.rows if row.options]


def statistics_report(quiz):
    """The report page of `quiz` from its stored statistics, with each question as it is
    now: a fixed number of queries (the stored row, then load_questions)."""
    stored = StoredStatistics.objects.filter(quiz=quiz).first()
    if stored is None or not stored.is_computed:
        return StatisticsReport(stored=stored, figures=None)
    figures = report_from_json(stored.report)
    questions = {question.pk: question for question in load_questions([item.question for item in figures.questions])}
    rows = []
    for item in figures.questions:
        question = questions.get(item.question)
        if question is None:  # a question only kept in an old report: nothing to show it by
            continue
        options = {option.pk: option for option in question.options()} if question.has_distractors else {}
        rows.append(QuestionRow(
            number=len(rows) + 1,
            question=question,
            figures=item,
            options=tuple(
                OptionRow(
                    text=getattr(options.get(count.option), "text", None),
                    is_correct=getattr(options.get(count.option), "is_correct", False),
                    count=count.count,
                )
                for count in item.options
            ),
        ))
    return StatisticsReport(stored=stored, figures=figures, rows=tuple(rows), chart=facility_chart(rows))
