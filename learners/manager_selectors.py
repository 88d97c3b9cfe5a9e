"""Reads for the manager space: the dashboard, its heatmap, the drill-down per person
and the rows of an export.

Every read here runs a fixed number of queries whatever the number of people, teams and
modules: figures are aggregated by the database (GROUP BY, correlated subqueries over
indexed columns), and only one page of the heatmap is turned into Python objects.

What a manager sees is always `scope` (learners.access.manager_scope) narrowed by the
dashboard's filters (`View`): the people of the teams seen, to whom the chosen course is
assigned in this organisation.

Privacy: any figure computed over fewer than SMALL_GROUP people is withheld (`Figure.hidden`)
so that no one's score can be read off a group's figure."""

from dataclasses import dataclass, field
from datetime import timedelta

from django.db import connections
from django.db.models import (
    Avg, Case, CharField, Count, Exists, F, FilteredRelation, OuterRef, Q, Subquery, Value, When,
)
from django.db.models.functions import TruncWeek
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from courses.models import CoursePage, ModulePage
from learners.assignments import Status, assignment_status
from learners.models import Assignment, Certificate, Enrollment, Membership, ModuleProgress, StepProgress
from learners.progress import percent
from quizzes.grading import Certainty
from quizzes.models import Answer, Attempt, QuizPage

SMALL_GROUP = 5  # aggregates over fewer people than this are hidden
HEATMAP_PAGE_SIZE = 50
WEEKS = 12
# The competences a course trains, in the order the dashboard shows them.
THEMES = [
    ModulePage.Theme.PRIVACY, ModulePage.Theme.EDITORIAL_LINE, ModulePage.Theme.COMMUNITY, ModulePage.Theme.CRISIS,
    ModulePage.Theme.GOVERNANCE,
]
STATUSES = [Status.NOT_STARTED, Status.IN_PROGRESS, Status.COMPLETED, Status.OVERDUE]


# --- The view: scope + filters ------------------------------------------------------------


@dataclass
class View:
    """What the manager looks at: `scope`, narrowed to one course and optionally one team."""

    scope: object
    courses: list  # the courses assigned to people seen (the filter's choices)
    teams: list  # the teams seen (the filter's choices)
    course: CoursePage | None = None
    team: object = None
    problems: list = field(default_factory=list)  # why a filter sent was ignored

    @property
    def organisation(self):
        return self.scope.organisation

    def filters(self):
        """The filters as the export stores them and the query string carries them."""
        return {"course": self.course.pk if self.course else None, "team": self.team.pk if self.team else None}

    def query_string(self):
        params = []
        if self.course:
            params.append(f"course={self.course.pk}")
        if self.team:
            params.append(f"team={self.team.pk}")
        return "&".join(params)

    def memberships(self):
        """The memberships of the people in view (one per person and team)."""
        rows = self.scope.memberships()
        return rows.filter(team=self.team) if self.team is not None else rows

    def assignments(self):
        """The chosen course's assignments to the people in view."""
        if self.course is None:
            return Assignment.objects.none()
        return Assignment.objects.filter(
            organisation=self.organisation, course=self.course, user_id__in=self.memberships().values("user_id")
        )


def dashboard_view(scope, params):
    """The view the filters in `params` (a QueryDict or dict: `course`, `team`) ask for.
    An unknown, forged or unseen id is ignored, and `problems` says so. 2 queries."""
    courses = list(
        CoursePage.objects.live()
        .filter(pk__in=Assignment.objects.filter(
            organisation=scope.organisation, user_id__in=scope.memberships().values("user_id")
        ).values("course_id"))
        .order_by("title")
    )
    teams = list(scope.teams())
    view = View(scope=scope, courses=courses, teams=teams)
    team_id, course_id = (params.get("team") or "").strip(), (params.get("course") or "").strip()
    if team_id:
        view.team = next((team for team in teams if str(team.pk) == team_id), None)
        if view.team is None:
            view.problems.append(_("L'équipe demandée n'existe pas ou ne vous est pas visible : toutes les équipes sont affichées."))
    if course_id:
        view.course = next((course for course in courses if str(course.pk) == course_id), None)
        if view.course is None:
            view.problems.append(_("La formation demandée n'est affectée à personne ici : la première formation est affichée."))
    if view.course is None and courses:
        view.course = courses[0]
    return view


def view_from_filters(scope, filters):
    """The view an export stored (`View.filters()`), rebuilt in today's scope."""
    return dashboard_view(scope, {key: str(value) for key, value in (filters or {}).items() if value})


# --- Shared pieces of SQL -------------------------------------------------------------------


def with_enrollment(assignments, course):
    """`assignments` joined (LEFT JOIN) to each person's enrolment in `course` as `enrollment__`."""
    return assignments.annotate(
        enrollment=FilteredRelation("user__enrollments", condition=Q(user__enrollments__course_id=course.pk))
    )


def status_expression(today):
    """learners.assignments.assignment_status, written in SQL over `with_enrollment` rows
    (tests check that both agree)."""
    return Case(
        When(enrollment__completed_at__isnull=False, then=Value(Status.COMPLETED)),
        When(due_on__lt=today, then=Value(Status.OVERDUE)),
        When(Q(enrollment__completed_steps__gt=0) | Q(enrollment__last_step__isnull=False), then=Value(Status.IN_PROGRESS)),
        default=Value(Status.NOT_STARTED),
        output_field=CharField(),
    )


def best_percent(quiz_id, user_ref="user_id"):
    """The best graded score (percent) of the outer row's person on one quiz."""
    return Subquery(
        Attempt.objects.filter(user_id=OuterRef(user_ref), quiz_id=quiz_id, status=Attempt.Status.GRADED)
        .order_by("-percent").values("percent")[:1]
    )


# --- The course's columns -------------------------------------------------------------------


@dataclass
class ModuleColumn:
    pk: int
    title: str
    theme: str
    theme_label: str
    quiz_ids: list = field(default_factory=list)


def course_modules(course):
    """The live modules of `course` in order, each with its live quizzes: 2 queries."""
    modules = list(ModulePage.objects.live().child_of(course).order_by("path").values("pk", "title", "theme", "path"))
    quizzes = list(QuizPage.objects.live().descendant_of(course).order_by("path").values("pk", "path"))
    labels = dict(ModulePage.Theme.choices)
    columns = []
    for module in modules:
        column = ModuleColumn(module["pk"], module["title"], module["theme"], labels.get(module["theme"], ""))
        column.quiz_ids = [quiz["pk"] for quiz in quizzes if quiz["path"].startswith(module["path"])]
        columns.append(column)
    return columns


# --- Figures, withheld for small groups ----------------------------------------------------


@dataclass
class Figure:
    """A group figure (an average, a share) over `people` people; None when nobody counts."""

    value: float | None
    people: int

    @property
    def hidden(self):
        return 0 < self.people < SMALL_GROUP

    @property
    def shown(self):
        return self.value is not None and not self.hidden


def figure(value, people):
    return Figure(round(value) if value is not None else None, people or 0)


# --- The dashboard ----------------------------------------------------------------------------


@dataclass
class HeatmapCell:
    percent: int
    status: str  # "done" | "started" | "not_started"
    label: str


@dataclass
class HeatmapRow:
    user: object
    teams: list
    status: str
    status_label: str
    percent: int
    due_on: object
    cells: list


CHART_BAR_SPACE = 50  # the chart's geometry, in SVG user units
CHART_BAR_WIDTH = 32
CHART_TOP = 24
CHART_HEIGHT = 150


@dataclass
class Week:
    start: object
    completions: int
    x: int = 0  # where its bar is drawn in the chart
    y: int = 0
    height: int = 0

    @property
    def label_x(self):
        return self.x + CHART_BAR_WIDTH // 2


@dataclass
class Dashboard:
    view: View
    counts: dict  # status -> number of people, plus "assigned"
    modules: list
    heatmap: list
    page: int
    pages: int
    module_scores: list  # [(ModuleColumn, overall Figure, [(team, Figure)])]
    readiness: list  # [(team, people, [(theme label, Figure | None)])]
    themes: list  # [(theme, label)] of the course
    weeks: list
    # [(ModuleColumn, overall Figure, [(team, Figure)])]: share of confident wrong answers,
    # only for modules whose quizzes were answered with certainty-based marking
    confident_wrong: list = field(default_factory=list)
    small_group: int = SMALL_GROUP
    chart_width: int = 20 + WEEKS * CHART_BAR_SPACE
    chart_baseline: int = CHART_TOP + CHART_HEIGHT

    @property
    def completions(self):
        return sum(week.completions for week in self.weeks)


MODULE_STATUS = {
    "done": _("Terminé"),
    "started": _("En cours"),
    "not_started": _("Pas commencé"),
}


def module_cell(completed, total):
    key = "done" if total and completed >= total else "started" if completed else "not_started"
    return HeatmapCell(percent(completed, total), key, MODULE_STATUS[key])


def status_counts(view, today):
    """Assigned, not started, in progress, completed, overdue in `view`: 1 query (GROUP BY)."""
    rows = (
        with_enrollment(view.assignments(), view.course)
        .annotate(status=status_expression(today))
        .order_by()
        .values("status")
        .annotate(people=Count("pk"))
    )
    counts = {status: 0 for status in STATUSES}
    counts.update({row["status"]: row["people"] for row in rows})
    counts["assigned"] = sum(counts[status] for status in STATUSES)
    return counts


def heatmap_rows(view, modules, today, offset, limit):
    """One page of people × modules, by name: 3 queries."""
    labels = dict(Status.choices)
    assignments = list(
        with_enrollment(view.assignments(), view.course)
        .select_related("user")
        .annotate(
            e_id=F("enrollment__pk"), e_completed_at=F("enrollment__completed_at"),
            e_completed_steps=F("enrollment__completed_steps"), e_last_step=F("enrollment__last_step_id"),
            e_percent=F("enrollment__percent"),
        )
        .order_by("user__last_name", "user__first_name", "user_id")[offset:offset + limit]
    )
    user_ids = [assignment.user_id for assignment in assignments]
    progress = {
        (row["enrollment_id"], row["module_id"]): row
        for row in ModuleProgress.objects.filter(enrollment_id__in=[a.e_id for a in assignments if a.e_id])
        .values("enrollment_id", "module_id", "completed_steps", "total_steps")
    }
    team_names = {team.pk: team.name for team in view.teams}
    teams = {}
    for user_id, team_id in view.memberships().filter(user_id__in=user_ids, team__isnull=False).values_list(
        "user_id", "team_id"
    ):
        if team_id in team_names:
            teams.setdefault(user_id, []).append(team_names[team_id])
    rows = []
    for assignment in assignments:
        enrollment = None
        if assignment.e_id is not None:
            enrollment = Enrollment(
                pk=assignment.e_id, completed_at=assignment.e_completed_at,
                completed_steps=assignment.e_completed_steps, last_step_id=assignment.e_last_step,
            )
        status = assignment_status(due_on=assignment.due_on, enrollment=enrollment, today=today)
        cells = []
        for module in modules:
            row = progress.get((assignment.e_id, module.pk))
            cells.append(module_cell(row["completed_steps"], row["total_steps"]) if row else module_cell(0, 0))
        rows.append(HeatmapRow(
            user=assignment.user, teams=sorted(teams.get(assignment.user_id, [])), status=status,
            status_label=labels[status], percent=assignment.e_percent or 0, due_on=assignment.due_on, cells=cells,
        ))
    return rows


def compiled(queryset):
    """The SQL and parameters of `queryset`, to use as a subquery in raw SQL."""
    return queryset.query.get_compiler(using=queryset.db).as_sql()


def id_list(ids):
    """Ids (integers from our own pages) written into SQL: `1, 2, 3`."""
    return ", ".join(str(int(pk)) for pk in ids)


def group_figures(view, quiz_modules, theme_quizzes):
    """Per team, and overall (team None): the number of people, the average of their
    best scores per quiz module with how many people it counts, how many people passed
    every quiz of each theme, and per quiz module the share of confident wrong answers
    (certainty-based marking: "high" certainty, no point earned) among the answers given
    with a certainty in graded attempts, with how many people gave such answers.

    1 query, over derived tables: one row per person with their best score and pass per
    quiz (GROUP BY person) joined to one row per person with their certainty answers and
    confident wrong ones per module, then a column per module and per theme, then GROUP
    BY team. Returns {team_id: {"people": n, module_id: (average, people),
    ("confident_wrong", module_id): (share, people), theme: ready}}."""
    members_sql, members_params = compiled(
        view.memberships().filter(team__isnull=False, user_id__in=view.assignments().values("user_id"))
        .values("team_id", "user_id")
    )
    quiz_ids = sorted({quiz_id for module in quiz_modules for quiz_id in module.quiz_ids}
                      | {quiz_id for ids in theme_quizzes.values() for quiz_id in ids})
    sql = f"WITH members AS ({members_sql}) SELECT 'people', team_id, COUNT(*) FROM members GROUP BY team_id"
    params = list(members_params)
    if quiz_ids:
        bests = [
            f"MAX(CASE WHEN quiz_id = {quiz_id} THEN percent END) AS best_{quiz_id}, "
            f"MAX(CASE WHEN quiz_id = {quiz_id} AND passed THEN 1 ELSE 0 END) AS passed_{quiz_id}"
            for quiz_id in map(int, quiz_ids)
        ]
        columns, aggregates, certainty_columns = [], [], []
        for module in quiz_modules:
            taken = " + ".join(f"CASE WHEN best_{int(pk)} IS NULL THEN 0 ELSE 1 END" for pk in module.quiz_ids)
            total = " + ".join(f"COALESCE(best_{int(pk)}, 0)" for pk in module.quiz_ids)
            columns.append(f"CASE WHEN {taken} > 0 THEN 1.0 * ({total}) / ({taken}) END AS module_{module.pk}")
            aggregates += [f"AVG(module_{module.pk})", f"COUNT(module_{module.pk})"]
            in_module = f"attempt.quiz_id IN ({id_list(module.quiz_ids)})"
            certainty_columns += [
                f"SUM(CASE WHEN {in_module} THEN 1 ELSE 0 END) AS sure_{module.pk}",
                f"SUM(CASE WHEN {in_module} AND answer.certainty = {int(Certainty.HIGH)} AND answer.score <= 0 "
                f"THEN 1 ELSE 0 END) AS wrong_{module.pk}",
            ]
            # NULL for a person without certainty answers in the module: COUNT counts the others.
            columns += [
                f"CASE WHEN sure_{module.pk} > 0 THEN sure_{module.pk} END AS sure_{module.pk}",
                f"wrong_{module.pk}",
            ]
            aggregates += [f"SUM(sure_{module.pk})", f"SUM(wrong_{module.pk})", f"COUNT(sure_{module.pk})"]
        for number, ids in enumerate(theme_quizzes.values()):
            ids = sorted(set(map(int, ids)))
            passes = " + ".join(f"passed_{pk}" for pk in ids)
            columns.append(f"CASE WHEN {passes} = {len(ids)} THEN 1 ELSE 0 END AS theme_{number}")
            aggregates.append(f"SUM(theme_{number})")
        people_sql, people_params = compiled(view.assignments().values("user_id"))
        nothing = ", NULL" * len(aggregates)
        sql = (
            f"WITH members AS ({members_sql}), "
            f"bests AS (SELECT user_id, {', '.join(bests)} FROM {Attempt._meta.db_table} WHERE status = %s "
            f"AND quiz_id IN ({id_list(quiz_ids)}) AND user_id IN ({people_sql}) GROUP BY user_id), "
            f"sure AS (SELECT attempt.user_id, {', '.join(certainty_columns)} FROM {Answer._meta.db_table} answer "
            f"JOIN {Attempt._meta.db_table} attempt ON attempt.id = answer.attempt_id WHERE attempt.status = %s "
            f"AND attempt.quiz_id IN ({id_list(quiz_ids)}) AND attempt.user_id IN ({people_sql}) "
            "AND answer.certainty IS NOT NULL GROUP BY attempt.user_id), "
            f"person AS (SELECT bests.user_id AS user_id, {', '.join(columns)} FROM bests "
            "LEFT JOIN sure ON sure.user_id = bests.user_id) "
            f"SELECT 'people', team_id, COUNT(*){nothing} FROM members GROUP BY team_id "
            f"UNION ALL SELECT 'figures', members.team_id, COUNT(*), {', '.join(aggregates)} FROM person "
            "JOIN members ON members.user_id = person.user_id GROUP BY members.team_id "
            f"UNION ALL SELECT 'figures', NULL, COUNT(*), {', '.join(aggregates)} FROM person"
        )
        params += [Attempt.Status.GRADED, *people_params, Attempt.Status.GRADED, *people_params]
    with connections[view.assignments().db].cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    figures = {}
    for kind, team_id, people, *values in rows:
        group = figures.setdefault(team_id, {})
        if kind == "people":
            group["people"] = people
            continue
        for module in quiz_modules:
            average, counted, sure, wrong, sure_people, *values = values
            group[module.pk] = (float(average) if average is not None else None, counted)
            group[("confident_wrong", module.pk)] = (100 * float(wrong) / float(sure) if sure else None, sure_people)
        for theme, ready in zip(theme_quizzes, values):
            group[theme] = ready or 0
    return figures


def score_and_readiness(view, modules):
    """Average best score per quiz module (overall and per team), per team the share of
    people who passed every quiz of each theme's modules, and the share of confident wrong
    answers per module whose quizzes were taken with certainty-based marking (overall and
    per team): 1 query (group_figures)."""
    quiz_modules = [module for module in modules if module.quiz_ids]
    theme_quizzes = {}
    for module in quiz_modules:
        if module.theme in THEMES:
            theme_quizzes.setdefault(module.theme, []).extend(module.quiz_ids)
    figures = group_figures(view, quiz_modules, theme_quizzes)
    teams = [team for team in view.teams if view.team is None or team.pk == view.team.pk]

    def score(team_id, module):
        return figure(*figures.get(team_id, {}).get(module.pk, (None, 0)))

    module_scores = [
        (module, score(None, module), [(team, score(team.pk, module)) for team in teams]) for module in quiz_modules
    ]

    def confident_wrong(team_id, module):
        return figure(*figures.get(team_id, {}).get(("confident_wrong", module.pk), (None, 0)))

    confident_wrong_shares = [
        (module, confident_wrong(None, module), [(team, confident_wrong(team.pk, module)) for team in teams])
        for module in quiz_modules
        if confident_wrong(None, module).people
    ]
    labels = dict(ModulePage.Theme.choices)
    themes = [(theme, labels[theme]) for theme in THEMES if theme in theme_quizzes]
    readiness = []
    for team in teams:
        group = figures.get(team.pk, {})
        people = group.get("people", 0)
        shares = [
            (label, figure(100 * group.get(theme, 0) / people if people else None, people)) for theme, label in themes
        ]
        readiness.append((team, people, shares))
    return module_scores, readiness, themes, confident_wrong_shares


def completions_by_week(view, today):
    """Completions of the course in view per week, the last WEEKS weeks: 1 query (GROUP BY)."""
    first_monday = today - timedelta(days=today.weekday()) - timedelta(weeks=WEEKS - 1)
    weeks = [Week(first_monday + timedelta(weeks=number), 0) for number in range(WEEKS)]
    if view.course is None:
        return weeks
    rows = (
        Enrollment.objects.filter(
            course=view.course, user_id__in=view.assignments().values("user_id"),
            completed_at__date__gte=first_monday,
        )
        .annotate(week=TruncWeek("completed_at"))
        .order_by()
        .values("week")
        .annotate(completions=Count("pk"))
    )
    by_start = {week.start: week for week in weeks}
    for row in rows:
        start = row["week"].date() if hasattr(row["week"], "date") else row["week"]
        if start in by_start:
            by_start[start].completions += row["completions"]
    top = max([week.completions for week in weeks] + [1])
    for number, week in enumerate(weeks):
        week.x = 10 + number * CHART_BAR_SPACE
        week.height = round(CHART_HEIGHT * week.completions / top)
        week.y = CHART_TOP + CHART_HEIGHT - week.height
    return weeks


def manager_dashboard(view, page=1, today=None):
    """Everything the dashboard shows for `view`. 10 queries with a course in view, 0
    without (plus those of the scope and the view)."""
    today = today or timezone.localdate()
    if view.course is None:
        return Dashboard(
            view=view, counts={**{status: 0 for status in STATUSES}, "assigned": 0}, modules=[], heatmap=[], page=1,
            pages=1, module_scores=[], readiness=[], themes=[], weeks=completions_by_week(view, today),
        )
    counts = status_counts(view, today)
    modules = course_modules(view.course)
    pages = max(1, -(-counts["assigned"] // HEATMAP_PAGE_SIZE))
    page = min(max(1, page), pages)
    heatmap = heatmap_rows(view, modules, today, (page - 1) * HEATMAP_PAGE_SIZE, HEATMAP_PAGE_SIZE)
    module_scores, readiness, themes, confident_wrong = score_and_readiness(view, modules)
    return Dashboard(
        view=view, counts=counts, modules=modules, heatmap=heatmap, page=page, pages=pages,
        module_scores=module_scores, readiness=readiness, themes=themes, weeks=completions_by_week(view, today),
        confident_wrong=confident_wrong,
    )


# --- The rows of an export -------------------------------------------------------------------


EXPORT_COLUMNS = [
    _("Nom"), _("Prénom"), _("E-mail"), _("Équipes"), _("Formation"), _("Statut"), _("Progression (%)"),
    _("Échéance"), _("Terminée le"), _("Score moyen aux quiz (%)"),
]


def export_rows(view, today=None):
    """The rows of `view` for an export, in name order, as a generator of lists (the
    header first): 2 queries, the second read in chunks."""
    today = today or timezone.localdate()
    labels = dict(Status.choices)
    yield [str(title) for title in EXPORT_COLUMNS]
    if view.course is None:
        return
    team_names = {team.pk: team.name for team in view.teams}
    teams = {}
    for user_id, team_id in view.memberships().filter(team__isnull=False).values_list("user_id", "team_id"):
        if team_id in team_names:
            teams.setdefault(user_id, []).append(team_names[team_id])
    quiz_ids = list(QuizPage.objects.live().descendant_of(view.course).values_list("pk", flat=True))
    scores = {f"best_{quiz_id}": best_percent(quiz_id) for quiz_id in quiz_ids}
    rows = (
        with_enrollment(view.assignments(), view.course)
        .annotate(status=status_expression(today), **scores)
        .order_by("user__last_name", "user__first_name", "user_id")
        .values_list(
            "user_id", "user__last_name", "user__first_name", "user__email", "status", "enrollment__percent", "due_on",
            "enrollment__completed_at", *scores,
        )
    )
    title = view.course.title
    for user_id, last_name, first_name, email, status, course_percent, due_on, completed_at, *bests in rows.iterator(2000):
        bests = [best for best in bests if best is not None]
        average = round(sum(bests) / len(bests)) if bests else None
        yield [
            last_name, first_name, email, ", ".join(sorted(teams.get(user_id, []))), title, str(labels[status]),
            course_percent or 0, due_on, timezone.localtime(completed_at).date() if completed_at else None, average,
        ]


# --- The drill-down per person -----------------------------------------------------------------


@dataclass
class CourseRecord:
    assignment: object
    enrollment: object
    status: str
    status_label: str
    modules: list  # [(module page, [(step, StepProgress | None, attempts)])]
    certificate: object


def person_detail(scope, person, today=None):
    """A person's assigned courses in this organisation, each with its steps' status, quiz
    attempts and scores, time spent and certificate. A fixed number of queries per course."""
    from courses.selectors import course_outline

    today = today or timezone.localdate()
    labels = dict(Status.choices)
    assignments = list(
        Assignment.objects.filter(organisation=scope.organisation, user=person, course__live=True)
        .select_related("course").order_by("course__title")
    )
    course_ids = [assignment.course_id for assignment in assignments]
    enrollments = {e.course_id: e for e in Enrollment.objects.filter(user=person, course_id__in=course_ids)}
    steps = {row.step_id: row for row in StepProgress.objects.filter(user=person, course_id__in=course_ids)}
    attempts = {}
    certificates = {c.course_id: c for c in Certificate.objects.filter(user=person, course_id__in=course_ids)}
    outlines = [course_outline(assignment.course) for assignment in assignments]
    quiz_ids = [step.pk for outline in outlines for step in outline.steps if isinstance(step, QuizPage)]
    for attempt in Attempt.objects.filter(user=person, quiz_id__in=quiz_ids).order_by("number"):
        attempts.setdefault(attempt.quiz_id, []).append(attempt)
    records = []
    for assignment, outline in zip(assignments, outlines):
        enrollment = enrollments.get(assignment.course_id)
        status = assignment_status(due_on=assignment.due_on, enrollment=enrollment, today=today)
        modules = [
            (module.page, [(step, steps.get(step.pk), attempts.get(step.pk, [])) for step in module.steps])
            for module in outline.modules
        ]
        records.append(CourseRecord(
            assignment=assignment, enrollment=enrollment, status=status, status_label=labels[status], modules=modules,
            certificate=certificates.get(assignment.course_id),
        ))
    teams = list(
        Membership.objects.filter(organisation=scope.organisation, user=person, team_id__in=scope.team_ids)
        .select_related("team").order_by("team__name")
    )
    return records, [membership.team for membership in teams]
