"""The French demo course: loaded by `make run`, idempotent, complete."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from wagtail.models import Page

from courses.models import CoursePage, LessonPage, ModulePage
from courses.scenarios import ScenarioAction, ScenarioPage, ScenarioRun
from learners.assignments import assignment_status
from learners.demo import DEMO_ACCOUNTS, DEMO_LEARNERS, MANAGER
from learners.models import (
    Assignment,
    Certificate,
    Enrollment,
    Membership,
    ModuleProgress,
    Organisation,
    StepProgress,
    Team,
    User,
)
from quizzes.models import Answer, Attempt

pytestmark = pytest.mark.django_db


def load(**options):
    call_command("load_demo_course", accounts=True, stdout=open("/dev/null", "w"), **options)


def every_row():
    """Every row the demo writes, as stored (pages and their revisions counted)."""
    tables = [User, Organisation, Team, Membership, Assignment, Enrollment, ModuleProgress, StepProgress, Attempt,
              Answer, Certificate, ScenarioRun, ScenarioAction]
    rows = {model.__name__: list(model.objects.order_by("pk").values()) for model in tables}
    rows["pages"] = Page.objects.count()
    rows["revisions"] = sum(p.revisions.count() for p in Page.objects.all())
    return rows


def test_loading_twice_changes_nothing_the_second_time():
    # given the demo course, its accounts and organisation loaded once
    load()
    before = every_row()

    # when it is loaded again
    load()

    # then no row was added, removed or changed
    assert every_row() == before
    assert User.objects.count() == len(DEMO_ACCOUNTS) + len(DEMO_LEARNERS)
    assert Membership.objects.count() == 2 + len(DEMO_LEARNERS)


def test_a_changed_lesson_is_restored_by_loading_again():
    load(no_organisation=True)
    lesson = LessonPage.objects.first()
    original_title = lesson.title
    lesson.title = "Titre modifié à la main"
    lesson.save_revision().publish()

    load(no_organisation=True)

    lesson.refresh_from_db()
    assert lesson.title == original_title


def test_the_course_has_the_five_themed_modules_in_order(demo_course):
    modules = [page.specific for page in demo_course.get_children().live()]
    assert [m.theme for m in modules] == ["privacy", "editorial_line", "community", "crisis", "governance"]
    for module in modules:
        assert module.get_children().live().type(LessonPage).count() >= 3


def test_every_lesson_ends_with_an_exercise_and_cites_its_key_figures(demo_course):
    lessons = LessonPage.objects.live().descendant_of(demo_course)
    assert lessons.count() >= 15
    for lesson in lessons:
        kinds = [block.block_type for block in lesson.body]
        assert kinds[-1] == "exercise", lesson.title
        assert len(set(kinds)) >= 3, lesson.title
        for block in lesson.body:
            if block.block_type == "key_figure":
                assert block.value["source"].strip() and block.value["source_url"], lesson.title


def test_the_crisis_module_works_through_a_case_step_by_step(demo_course):
    crisis = ModulePage.objects.get(theme=ModulePage.Theme.CRISIS)
    case_studies = [
        block.value
        for lesson in LessonPage.objects.live().child_of(crisis)
        for block in lesson.body
        if block.block_type == "case_study"
    ]
    assert case_studies
    assert all(len(case["steps"]) >= 3 for case in case_studies)


def test_the_demo_uses_every_lesson_block_but_media(demo_course):
    used = {block.block_type for lesson in LessonPage.objects.all() for block in lesson.body}
    assert used >= {"heading", "paragraph", "key_figure", "callout", "do_dont", "table", "quote",
                    "checklist", "case_study", "exercise", "sources"}


def test_the_command_prints_the_demo_accounts(capsys):
    call_command("load_demo_course", accounts=True, no_organisation=True)
    output = capsys.readouterr().out
    for account in DEMO_ACCOUNTS:
        assert account.email in output and account.password in output


def test_no_demo_accounts_on_a_site_without_debug_unless_asked(settings):
    settings.DEBUG = False
    call_command("load_demo_course", stdout=open("/dev/null", "w"))
    assert CoursePage.objects.exists()
    assert not User.objects.exists()


def test_demo_accounts_can_log_in(client):
    load(no_organisation=True)
    for account in DEMO_ACCOUNTS:
        client.post("/comptes/connexion/", {"username": account.email, "password": account.password})
        assert "_auth_user_id" in client.session, account.role
        client.logout()


def test_every_demo_module_ends_with_a_quiz_mixing_the_types(demo_course):
    from quizzes.models import QuizPage
    from quizzes.selectors import load_questions

    for module in ModulePage.objects.child_of(demo_course):
        quiz = QuizPage.objects.child_of(module).get()
        assert module.get_children().live().last().pk == quiz.pk
        questions = load_questions(quiz.question_ids())
        assert len(questions) == 10
        assert len({type(q) for q in questions}) >= 5, module.title
        assert all(q.explanation for q in questions)


# --- The demo organisation ----------------------------------------------------------------


def statuses_by_person(organisation):
    today = timezone.localdate()
    enrolments = {(e.user_id, e.course_id): e for e in Enrollment.objects.all()}
    return {
        assignment.user.email: assignment_status(
            due_on=assignment.due_on, enrollment=enrolments.get((assignment.user_id, assignment.course_id)), today=today
        )
        for assignment in Assignment.objects.filter(organisation=organisation).select_related("user")
    }


def test_the_demo_organisation_gives_its_manager_two_teams_of_learners_at_every_stage(demo_course):
    # given a debug site
    # when the demo is loaded
    load()

    # then the organisation has two teams and fifteen fictional learners who cannot log in
    organisation = Organisation.objects.get(name="Maison des associations (démo)")
    assert sorted(organisation.teams.values_list("name", flat=True)) == ["Accueil", "Communication"]
    fictional = User.objects.filter(email__endswith="@demo.passerelle.example")
    assert fictional.count() == len(DEMO_LEARNERS) == 15
    assert not any(user.has_usable_password() for user in fictional)
    assert Membership.objects.filter(user__in=fictional, organisation=organisation, team__isnull=False).count() == 15
    # the demo manager runs the whole organisation
    assert Membership.objects.get(user__email=MANAGER.email, organisation=organisation).team is None
    # the course is assigned through both teams, with due dates, to every learner of them
    assignments = Assignment.objects.filter(organisation=organisation, course=demo_course)
    assert assignments.count() == 16  # the fifteen and the demo learner account
    assert set(assignments.values_list("team__name", flat=True)) == {"Accueil", "Communication"}
    assert not assignments.filter(due_on__isnull=True).exists()
    # every status is present, and several of each
    statuses = list(statuses_by_person(organisation).values())
    for status in Assignment.Status:
        assert statuses.count(status) >= 2, status
    # whoever completed holds a certificate; some failed the crisis module's quiz
    completed = Enrollment.objects.filter(course=demo_course, completed_at__isnull=False)
    assert Certificate.objects.filter(user__in=completed.values("user")).count() == completed.count() >= 2
    failed_crisis = Attempt.objects.filter(
        quiz__in=ModulePage.objects.get(theme=ModulePage.Theme.CRISIS).get_children(), status=Attempt.Status.GRADED,
        passed=False,
    )
    assert failed_crisis.values("user").distinct().count() >= 2
    assert all(attempt.percent < attempt.quiz.pass_mark for attempt in failed_crisis)
    # whoever finished the crisis module played its crisis room: one run each, scored once,
    # the expert's path for some, a path of mistakes for others
    crisis_room = ScenarioPage.objects.descendant_of(demo_course).get()
    finished = [learner for learner in DEMO_LEARNERS if learner.modules_done >= 4]
    runs = ScenarioRun.objects.filter(scenario=crisis_room)
    assert sorted(runs.values_list("user__email", flat=True)) == sorted(learner.email for learner in finished)
    assert all(run.status == ScenarioRun.Status.SCORED and run.score_count == 1 for run in runs)
    assert len(set(runs.values_list("percent", flat=True))) == 2 and 100 in runs.values_list("percent", flat=True)
    assert StepProgress.objects.filter(step=crisis_room, status=StepProgress.Status.COMPLETED).count() == len(finished)
    assert not runs.filter(started_at__gte=timezone.now() - timedelta(days=1)).exists()  # backdated
    # progress was built through the services: rollups agree with the step rows
    for enrolment in Enrollment.objects.filter(user__in=fictional):
        done = StepProgress.objects.filter(user=enrolment.user, status=StepProgress.Status.COMPLETED).count()
        assert enrolment.completed_steps == done


def test_the_demo_organisation_needs_debug_like_the_accounts(settings):
    settings.DEBUG = False

    call_command("load_demo_course", stdout=open("/dev/null", "w"))

    assert not Assignment.objects.exists() and not Team.objects.exists()


@pytest.mark.django_db
def test_a_demo_exercise_keeps_its_block_id_when_the_course_is_loaded_again(demo_course):
    from courses.blocks import feedback_exercises
    from courses.demo.loader import load_course, read_course

    lesson = LessonPage.objects.live().descendant_of(demo_course).first()
    before = set(feedback_exercises(lesson))
    data = read_course()
    data["modules"][0]["lessons"][0]["title"] += " (revue)"

    load_course(data)

    lesson.refresh_from_db()
    assert lesson.title.endswith("(revue)")  # republished
    assert len(before) == 1 and set(feedback_exercises(lesson)) == before
