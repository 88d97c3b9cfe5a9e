"""The manager dashboard row: the dashboard's selector over N learners of a 40-step
course against one raw GROUP BY over their step rows, and the XLSX export of them all."""


from django.db import connection

from benchkit.timing import median_seconds, say


def manager_measures(learners=10_000):
    """The manager dashboard's selector over `learners` people of a 40-step course,
    against a raw GROUP BY over their step rows; then the XLSX export of them all."""
    import tempfile
    import tracemalloc

    from django.utils import timezone

    from learners.access import manager_scope
    from learners.exports import write_xlsx
    from learners.manager_selectors import dashboard_view, export_rows, manager_dashboard
    from learners.models import (
        Assignment, Enrollment, Membership, ModuleProgress, Organisation, StepProgress, Team, User,
    )
    from quizzes.models import Attempt
    from tests.factories import make_course, make_lesson, make_module, make_quiz

    say(f"manager dashboard: building {learners:,} learners x 40 steps…")
    course = make_course(title="Bench 40")
    modules, steps, quizzes = [], [], []
    for theme in ("privacy", "editorial_line", "community", "crisis"):
        module = make_module(course, theme=theme)
        module_steps = [make_lesson(module) for _ in range(9)]
        quiz = make_quiz(module, questions=1)
        modules.append((module, module_steps + [quiz]))
        steps += module_steps + [quiz]
        quizzes.append(quiz)
    organisation = Organisation.objects.create(name="Bench", slug="bench")
    teams = [Team.objects.create(organisation=organisation, name=f"Équipe {n}") for n in range(20)]
    manager = User.objects.create_user(email="manager-bench@example.org", password="x")
    Membership.objects.create(user=manager, organisation=organisation, role=Membership.Role.MANAGER)
    batch = 5000
    users = User.objects.bulk_create(
        [User(email=f"m{n}@bench.example", first_name="B", last_name=f"N{n:05d}", password="!") for n in range(learners)],
        batch_size=batch,
    )
    Membership.objects.bulk_create(
        [Membership(user=u, organisation=organisation, team=teams[n % len(teams)]) for n, u in enumerate(users)],
        batch_size=batch,
    )
    today = timezone.localdate()
    Assignment.objects.bulk_create(
        [Assignment(organisation=organisation, user=u, course=course, due_on=today) for u in users], batch_size=batch
    )
    now = timezone.now()
    done = {u.pk: n % 41 for n, u in enumerate(users)}  # steps completed, 0 to 40
    enrollments = Enrollment.objects.bulk_create(
        [Enrollment(user=u, course=course, completed_steps=done[u.pk], total_steps=40, percent=done[u.pk] * 100 // 40,
                    completed_at=now if done[u.pk] == 40 else None) for u in users],
        batch_size=batch,
    )
    ModuleProgress.objects.bulk_create(
        [ModuleProgress(enrollment=e, module=module, completed_steps=max(0, min(10, done[e.user_id] - 10 * m)),
                        total_steps=10)
         for e in enrollments for m, (module, _steps) in enumerate(modules)],
        batch_size=batch,
    )
    StepProgress.objects.bulk_create(
        [StepProgress(user=u, step=step, course=course, status="completed" if i < done[u.pk] else "viewed",
                      completed_at=now if i < done[u.pk] else None)
         for u in users for i, step in enumerate(steps)],
        batch_size=batch,
    )
    Attempt.objects.bulk_create(
        [Attempt(user=u, quiz=quiz, number=1, status=Attempt.Status.GRADED, percent=(n * 7) % 101,
                 passed=(n * 7) % 101 >= 70)
         for n, u in enumerate(users) for quiz in quizzes],
        batch_size=batch,
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    sql = ("SELECT user_id, COUNT(*) FROM learners_stepprogress WHERE course_id = %s AND status = 'completed' "
           "GROUP BY user_id")

    def raw_aggregate():
        with connection.cursor() as cursor:
            cursor.execute(sql, [course.pk])
            cursor.fetchall()

    def dashboard():
        view = dashboard_view(manager_scope(viewer=manager, slug="bench"), {"course": str(course.pk)})
        return manager_dashboard(view)

    assert dashboard().counts["assigned"] == learners
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        dashboard()
    ceiling = median_seconds(raw_aggregate, 5)
    selector = median_seconds(dashboard, 5)
    row = {"seconds": selector, "ceiling": ceiling, "queries": len(queries)}

    view = dashboard_view(manager_scope(viewer=manager, slug="bench"), {"course": str(course.pk)})

    def export():
        with tempfile.TemporaryFile() as handle:
            write_xlsx(export_rows(view), handle)
            return handle.tell()

    duration = median_seconds(export, 3)  # timed without tracemalloc, which slows Python ~6x
    tracemalloc.start()
    size = export()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    export = (f"XLSX export of {learners:,} learners: {duration:.2f} s, peak memory {peak / 2**20:.1f} MiB "
              f"(tracemalloc), file {size / 2**20:.1f} MiB; the dashboard's reads: {len(queries)} queries "
              f"at {learners:,} learners (14 at 10 and at 500 in tests/test_manager_dashboard.py)")
    return row, export
