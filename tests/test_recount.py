"""The course-wide recount computed in SQL (learners.progress.write_rollups) against the
rule for one learner written out in Python: the same rollups after steps are added,
removed and moved, at 10 and at 500 learners; new steps counted in place (without
reading step progress) only when that gives the same rollups; a constant number of
queries; the certificates of learners a change completes issued once, even by two
recounts at once."""

import random
import threading

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from courses.models import ModulePage
from courses.selectors import course_outline
from learners import progress
from learners.models import Certificate, Enrollment, ModuleProgress, StepProgress, User
from tests.factories import make_course_with, make_lesson, make_module, make_user

pytestmark = pytest.mark.django_db
COMPLETED = StepProgress.Status.COMPLETED


def expected_rollups(outline, completed):
    """The rollups of one learner who completed the step ids `completed`, by the rule as
    a person would state it, step by step."""
    ids = [step.pk for step in outline.steps]
    done = sum(1 for pk in ids if pk in completed)
    return {
        "completed_steps": done,
        "total_steps": len(ids),
        "percent": 0 if not ids else 100 * done // len(ids),
        "resume_step_id": next((pk for pk in ids if pk not in completed), None),
        "complete": bool(ids) and done == len(ids),
        "modules": {
            module.page.pk: (sum(1 for step in module.steps if step.pk in completed), len(module.steps))
            for module in outline.modules
        },
    }


def stored_rollups(course):
    modules = {}
    for row in ModuleProgress.objects.filter(enrollment__course=course):
        modules.setdefault(row.enrollment_id, {})[row.module_id] = (row.completed_steps, row.total_steps)
    return {
        enrollment.user_id: {
            "completed_steps": enrollment.completed_steps,
            "total_steps": enrollment.total_steps,
            "percent": enrollment.percent,
            "resume_step_id": enrollment.resume_step_id,
            "complete": enrollment.completed_at is not None,
            "modules": modules.get(enrollment.pk, {}),
        }
        for enrollment in Enrollment.objects.filter(course=course)
    }


def assert_rollups_follow_the_rule(course):
    outline = course_outline(course)
    completed = {}
    for user_id, step_id in StepProgress.objects.filter(course=course, status=COMPLETED).values_list(
        "user_id", "step_id"
    ):
        completed.setdefault(user_id, set()).add(step_id)
    stored = stored_rollups(course)
    wrong = {
        user_id: (rollups, expected_rollups(outline, completed.get(user_id, set())))
        for user_id, rollups in stored.items()
        if rollups != expected_rollups(outline, completed.get(user_id, set()))
    }
    assert not wrong, f"{len(wrong)} of {len(stored)} enrolments differ, e.g. {next(iter(wrong.items()))}"
    return stored


def learners_with_random_progress(course, count, rng):
    """`count` enrolled learners, each with a random set of the course's steps completed
    (and a few only viewed); some with all of them."""
    run = rng.randrange(10**9)
    people = User.objects.bulk_create(
        [User(email=f"recompte-{run}-{n}@example.org", first_name="Prénom", last_name=f"N{n}", password="!")
         for n in range(count)]
    )
    Enrollment.objects.bulk_create([Enrollment(user=person, course=course) for person in people])
    add_random_progress(course, people, course_outline(course).steps, rng)
    return people


def add_random_progress(course, people, steps, rng):
    rows = []
    for index, person in enumerate(people):
        for step in steps:
            chance = 1.0 if index % 7 == 0 else 0.6  # every seventh learner did everything
            draw = rng.random()
            if draw < chance:
                rows.append(StepProgress(user=person, step=step, course=course, status=COMPLETED,
                                         completed_at=timezone.now()))
            elif draw < chance + 0.1:
                rows.append(StepProgress(user=person, step=step, course=course))
    StepProgress.objects.bulk_create(rows, ignore_conflicts=True)


@pytest.mark.parametrize("count", [10, 500])
def test_rollups_after_adding_removing_and_moving_steps_follow_the_rule_for_one_learner(count):
    rng = random.Random(count)
    course = make_course_with(modules=3, lessons_per_module=3)
    people = learners_with_random_progress(course, count, rng)
    progress.recount_course(course)
    assert_rollups_follow_the_rule(course)
    first, second, third = [module.page for module in course_outline(course).modules]

    # a step added in the middle of the outline, which some learners complete
    added = make_lesson(first)
    assert progress.recount_course(course) == count
    stored = assert_rollups_follow_the_rule(course)
    assert {rollups["total_steps"] for rollups in stored.values()} == {10}
    assert not any(rollups["complete"] for rollups in stored.values())
    add_random_progress(course, people, [added], rng)  # written directly: outside the progress door
    assert progress.recount_course(course) == 0  # the outline has not changed since the last recount
    assert progress.recount_course(course, force=True) == count
    assert_rollups_follow_the_rule(course)

    # a step removed (unpublished), then one deleted
    course_outline(course).modules[1].steps[0].unpublish()
    progress.recount_course(course)
    assert_rollups_follow_the_rule(course)
    course_outline(course).modules[2].steps[-1].delete()
    progress.recount_course(course)
    assert_rollups_follow_the_rule(course)

    # a step moved to another module, and one moved first in its own module
    course_outline(course).modules[0].steps[0].move(third, pos="last-child")
    progress.recount_course(course)
    assert_rollups_follow_the_rule(course)
    steps = course_outline(course).modules[1].steps
    steps[-1].move(steps[0], pos="left")
    progress.recount_course(course)
    assert_rollups_follow_the_rule(course)

    # a whole module unpublished: its rows go
    second.specific.unpublish()
    progress.recount_course(course)
    stored = assert_rollups_follow_the_rule(course)
    assert all(second.pk not in rollups["modules"] for rollups in stored.values())
    assert not ModuleProgress.objects.filter(module_id=second.pk).exists()


def test_a_learners_own_step_follows_the_same_rule_after_a_recount():
    rng = random.Random(3)
    course = make_course_with(modules=2, lessons_per_module=3)
    people = learners_with_random_progress(course, 20, rng)
    make_lesson(ModulePage.objects.child_of(course).first())
    progress.recount_course(course)
    for person in people:
        missing = [step for step in course_outline(course).steps
                   if not StepProgress.objects.filter(user=person, step=step, status=COMPLETED).exists()]
        if missing:
            enrollment = progress.record_step_completed(user=person, page=rng.choice(missing))
            fresh = Enrollment.objects.get(pk=enrollment.pk)
            for name in ("completed_steps", "total_steps", "percent", "resume_step_id", "completed_at"):
                assert getattr(enrollment, name) == getattr(fresh, name), name  # the object is kept current
    assert_rollups_follow_the_rule(course)


@pytest.mark.parametrize("count", [1, 5, 40])
def test_the_resume_step_past_one_bit_mask(monkeypatch, count):
    # the masks hold RESUME_CHUNK steps each: with 2 a course of 7 steps needs 4 of them
    monkeypatch.setattr(progress, "RESUME_CHUNK", 2)
    rng = random.Random(count)
    course = make_course_with(modules=2, lessons_per_module=3)
    make_lesson(ModulePage.objects.child_of(course).last())
    learners_with_random_progress(course, count, rng)
    progress.recount_course(course)
    assert_rollups_follow_the_rule(course)


def test_a_course_with_no_live_step_or_module():
    course = make_course_with(modules=1, lessons_per_module=1)
    learners_with_random_progress(course, 3, random.Random(1))
    ModulePage.objects.child_of(course).get().unpublish()
    progress.recount_course(course)
    stored = assert_rollups_follow_the_rule(course)
    assert {(r["total_steps"], r["percent"], r["resume_step_id"], r["complete"]) for r in stored.values()} == {
        (0, 0, None, False)
    }


def test_a_recount_runs_the_same_queries_at_10_and_500_learners():
    counts = []
    for count in (10, 500):
        course = make_course_with(modules=3, lessons_per_module=3)
        learners_with_random_progress(course, count, random.Random(count))
        make_lesson(ModulePage.objects.child_of(course).first())
        with CaptureQueriesContext(connection) as queries:
            progress.recount_course(course)
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 14, counts  # outline, digest, lock, 3 writes, newly complete…


def course_about_to_complete(learners=6):
    """A 3-step course: half the learners did the first two steps only, half all three."""
    course = make_course_with(modules=1, lessons_per_module=3)
    people = [make_user() for _ in range(learners)]
    Enrollment.objects.bulk_create([Enrollment(user=person, course=course) for person in people])
    first, second, third = course_outline(course).steps
    StepProgress.objects.bulk_create(
        [StepProgress(user=person, step=step, course=course, status=COMPLETED, completed_at=timezone.now())
         for index, person in enumerate(people) for step in ([first, second, third] if index % 2 else [first, second])]
    )
    progress.recount_course(course)
    return course, people, third


def test_a_change_that_completes_the_course_issues_those_certificates_once():
    course, people, third = course_about_to_complete()
    already = dict(Enrollment.objects.filter(completed_at__isnull=False).values_list("user_id", "completed_at"))
    assert len(already) == 3 and Certificate.objects.count() == 3

    # when the one step the others missed is unpublished, and the recount runs twice
    third.unpublish()
    progress.recount_course(course)
    progress.recount_course(course)

    # then everyone is complete and holds one certificate; the earlier ones keep their date
    assert sorted(Certificate.objects.values_list("user_id", flat=True)) == sorted(person.pk for person in people)
    finished = dict(Enrollment.objects.values_list("user_id", "completed_at"))
    assert all(finished[user_id] == completed_at for user_id, completed_at in already.items())
    assert all(finished.values())


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_recounts_at_once_issue_each_certificate_once():
    course, people, third = course_about_to_complete(learners=40)
    StepProgress.objects.filter(step=third).delete()  # nobody did the last step…
    progress.recount_course(course, force=True)
    Certificate.objects.all().delete()
    third.unpublish()  # …and it goes: everyone completes the course
    barrier = threading.Barrier(2)
    errors, counted = [], []

    def recount():
        try:
            barrier.wait()
            counted.append(progress.recount_course(course))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=recount) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # (the second, once the first let go of the rows, finds the outline recounted)
    assert errors == [] and sorted(counted) in ([0, 40], [40, 40])
    assert Certificate.objects.count() == 40
    assert sorted(Certificate.objects.values_list("user_id", flat=True)) == sorted(person.pk for person in people)
    assert_rollups_follow_the_rule(course)


def test_a_recount_of_an_unchanged_outline_returns_at_once(django_assert_max_num_queries):
    # given a recounted course
    course = make_course_with(modules=2, lessons_per_module=2)
    learners_with_random_progress(course, 30, random.Random(5))
    assert progress.recount_course(course) == 30
    before = stored_rollups(course)

    # when a lesson's text is edited and republished, the recount finds nothing to do
    lesson = course_outline(course).steps[1]
    lesson.title = "Un titre revu"
    lesson.save_revision().publish()
    with django_assert_max_num_queries(5):  # the content token, the outline (1 + one per page type), the digest
        assert progress.recount_course(course) == 0
    assert stored_rollups(course) == before

    # when a step is added or moved, it recounts
    make_lesson(ModulePage.objects.child_of(course).last())
    assert progress.recount_course(course) == 30
    steps = course_outline(course).steps
    steps[-1].move(steps[0], pos="left")
    assert progress.recount_course(course) == 30
    assert_rollups_follow_the_rule(course)


def statements_reading_step_progress(queries):
    return [query["sql"] for query in queries if "learners_stepprogress" in query["sql"]]


@pytest.mark.parametrize("where", ["first", "middle", "last", "new module"])
def test_new_steps_are_counted_in_place(where):
    # given a recounted course whose learners stand at every point of it
    rng = random.Random(11)
    course = make_course_with(modules=3, lessons_per_module=3)
    learners_with_random_progress(course, 40, rng)
    progress.recount_course(course)
    modules = [module.page for module in course_outline(course).modules]

    # when steps nobody has completed are published
    if where == "first":
        first_step = course_outline(course).steps[0]
        make_lesson(modules[0]).move(first_step, pos="left")
    elif where == "middle":
        make_lesson(modules[1])
        make_lesson(modules[1])
    elif where == "last":
        make_lesson(modules[2])
    else:
        make_lesson(make_module(course))
    with CaptureQueriesContext(connection) as queries:
        assert progress.recount_course(course) == 40

    # then the rollups follow the rule, and only the new steps' progress was read
    stored = assert_rollups_follow_the_rule(course)
    assert not any(rollups["complete"] for rollups in stored.values())
    reads = statements_reading_step_progress(queries)
    assert len(reads) == 1 and reads[0].rstrip().endswith("LIMIT 1"), reads  # does anyone have a new step?


def test_a_new_step_someone_completed_already_is_recounted_in_full():
    # given a course recounted after one of its lessons was unpublished…
    rng = random.Random(12)
    course = make_course_with(modules=2, lessons_per_module=3)
    people = learners_with_random_progress(course, 30, rng)
    lesson = course_outline(course).steps[2]
    lesson.unpublish()
    progress.recount_course(course)
    # …and completed meanwhile by a few learners (through a link they kept)
    StepProgress.objects.filter(step=lesson).delete()
    add_random_progress(course, people[:10], [lesson], rng)

    # when it is published again
    lesson.save_revision().publish()
    with CaptureQueriesContext(connection) as queries:
        assert progress.recount_course(course) == 30

    # then their completions count: the step progress was read in full
    assert_rollups_follow_the_rule(course)
    assert len(statements_reading_step_progress(queries)) > 1


def test_steps_moved_as_well_as_added_are_recounted_in_full():
    rng = random.Random(13)
    course = make_course_with(modules=2, lessons_per_module=3)
    learners_with_random_progress(course, 30, rng)
    progress.recount_course(course)
    first, second = [module.page for module in course_outline(course).modules]
    make_lesson(first)
    course_outline(course).steps[-1].move(first, pos="first-child")
    with CaptureQueriesContext(connection) as queries:
        progress.recount_course(course)
    assert_rollups_follow_the_rule(course)
    assert len(statements_reading_step_progress(queries)) > 1
