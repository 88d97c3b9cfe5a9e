"""Enrolment, step completion, stored rollups, sequential courses, certificates, time."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from courses.selectors import course_outline
from learners import progress
from learners.models import Certificate, Enrollment, ModuleProgress, StepProgress
from tests.factories import enrolled_client, make_course_with, make_lesson, make_user

pytestmark = pytest.mark.django_db


def steps_of(course):
    return course_outline(course).steps


def complete(user, *steps):
    for step in steps:
        progress.record_step_completed(user=user, page=step)


# --- Enrolment ----------------------------------------------------------------------


def test_enrolling_computes_totals_and_twice_is_a_no_op(learner):
    course = make_course_with(modules=2, lessons_per_module=3)

    first = progress.enroll(user=learner, course=course)
    second = progress.enroll(user=learner, course=course)

    assert first.pk == second.pk and Enrollment.objects.count() == 1
    assert (first.completed_steps, first.total_steps, first.percent) == (0, 6, 0)
    assert first.resume_step_id == steps_of(course)[0].pk
    assert ModuleProgress.objects.filter(enrollment=first).count() == 2


def test_enrolling_is_a_csrf_protected_post_that_leads_to_the_first_step(learner_client):
    course = make_course_with(modules=1, lessons_per_module=2)
    url = f"/comptes/formations/{course.pk}/inscription/"

    assert learner_client.get(url).status_code == 405
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(Enrollment._meta.get_field("user").related_model.objects.get())
    assert strict.post(url).status_code == 403

    response = learner_client.post(url)
    assert response.status_code == 302 and response.url == steps_of(course)[0].url
    learner_client.post(url)
    assert Enrollment.objects.count() == 1


def test_enrolling_in_an_unknown_or_draft_course_is_a_404(learner_client):
    course = make_course_with(modules=1, lessons_per_module=1)
    course.unpublish()
    assert learner_client.post(f"/comptes/formations/{course.pk}/inscription/").status_code == 404
    assert learner_client.post("/comptes/formations/999999/inscription/").status_code == 404
    assert not Enrollment.objects.exists()


def test_a_visitor_reads_the_course_page_but_a_lesson_asks_to_log_in(client):
    course = make_course_with(modules=1, lessons_per_module=2)

    assert "Créez un compte ou connectez-vous" in client.get(course.url).content.decode()
    html = client.get(steps_of(course)[0].url).content.decode()
    assert "Créez un compte ou connectez-vous pour vous inscrire" in html
    assert "Contenu de la leçon" not in html
    assert not StepProgress.objects.exists()


def test_a_logged_in_learner_not_enrolled_is_asked_to_enrol(learner_client):
    course = make_course_with(modules=1, lessons_per_module=2)
    html = learner_client.get(steps_of(course)[0].url).content.decode()
    assert "S&#x27;inscrire à la formation" in html or "S'inscrire à la formation" in html
    assert "Contenu de la leçon" not in html


# --- Completion ---------------------------------------------------------------------


def test_completing_a_step_updates_every_rollup_in_one_go(learner):
    course = make_course_with(modules=2, lessons_per_module=2)
    progress.enroll(user=learner, course=course)
    first, second, third, _fourth = steps_of(course)

    complete(learner, first, second)

    enrollment = Enrollment.objects.get()
    assert (enrollment.completed_steps, enrollment.total_steps, enrollment.percent) == (2, 4, 50)
    assert enrollment.resume_step_id == third.pk
    modules = list(ModuleProgress.objects.order_by("module__path"))
    assert [(m.completed_steps, m.total_steps, m.is_completed) for m in modules] == [(2, 2, True), (0, 2, False)]


def test_completing_twice_changes_nothing(learner):
    course = make_course_with(modules=1, lessons_per_module=2)
    progress.enroll(user=learner, course=course)
    first = steps_of(course)[0]
    complete(learner, first)
    before = StepProgress.objects.get(step=first).completed_at

    complete(learner, first)

    assert StepProgress.objects.get(step=first).completed_at == before
    assert Enrollment.objects.get().completed_steps == 1


def test_the_complete_button_moves_to_the_next_step(client, learner):
    course = make_course_with(modules=2, lessons_per_module=1)
    enrolled_client(client, learner, course)
    first, second = steps_of(course)

    response = client.post(f"/comptes/etapes/{first.pk}/terminer/")

    assert response.status_code == 302 and response.url == second.url
    assert "J&#x27;ai terminé cette leçon" not in client.get(first.url).content.decode()


@pytest.mark.parametrize("case", ["not enrolled", "unknown page", "not a step", "draft step"])
def test_completing_what_one_may_not_is_refused_and_stores_nothing(client, learner, case):
    course = make_course_with(modules=1, lessons_per_module=2)
    first = steps_of(course)[0]
    client.force_login(learner)
    if case != "not enrolled":
        progress.enroll(user=learner, course=course)
    page_id = {"not enrolled": first.pk, "unknown page": 999999, "not a step": course.pk}.get(case)
    if case == "draft step":
        draft = make_lesson(first.get_parent().specific)
        draft.unpublish()
        page_id = draft.pk

    response = client.post(f"/comptes/etapes/{page_id}/terminer/")

    assert response.status_code == (403 if case == "not enrolled" else 404)
    if case == "not enrolled":
        assert "Inscrivez-vous à la formation" in response.content.decode()
    assert not StepProgress.objects.filter(status=StepProgress.Status.COMPLETED).exists()


def test_a_get_on_the_complete_action_changes_nothing(client, learner):
    course = make_course_with(modules=1, lessons_per_module=1)
    enrolled_client(client, learner, course)
    assert client.get(f"/comptes/etapes/{steps_of(course)[0].pk}/terminer/").status_code == 405
    assert Enrollment.objects.get().completed_steps == 0


# --- Sequential courses -------------------------------------------------------------


def test_a_sequential_course_locks_a_step_until_the_previous_is_done(client, learner):
    course = make_course_with(modules=1, lessons_per_module=3, sequential=True)
    enrolled_client(client, learner, course)
    first, second, _third = steps_of(course)

    # the second step is locked, says why, and cannot be completed
    response = client.get(second.url)
    assert response.status_code == 403
    assert f"quand vous aurez terminé « {first.title} »" in response.content.decode()
    refused = client.post(f"/comptes/etapes/{second.pk}/terminer/")
    assert refused.status_code == 403
    assert StepProgress.objects.filter(step=second).count() == 0

    # once the first is done, the second opens
    complete(learner, first)
    assert client.get(second.url).status_code == 200


def test_locked_steps_show_in_the_outline(client, learner):
    course = make_course_with(modules=1, lessons_per_module=3, sequential=True)
    enrolled_client(client, learner, course)
    html = client.get(course.url).content.decode()
    assert html.count("outline__step--locked") == 2


# --- Certificates -------------------------------------------------------------------


def test_completing_the_last_step_issues_one_certificate(learner):
    course = make_course_with(modules=2, lessons_per_module=1, title="Réseaux et crise")
    progress.enroll(user=learner, course=course)

    complete(learner, *steps_of(course))
    complete(learner, *steps_of(course))

    enrollment = Enrollment.objects.get()
    assert enrollment.percent == 100 and enrollment.completed_at is not None and enrollment.resume_step is None
    certificate = Certificate.objects.get()
    assert (certificate.learner_name, certificate.course_title) == ("Camille Martin", "Réseaux et crise")
    assert len(certificate.code) == 14 and certificate.is_valid


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_concurrent_completions_issue_the_certificate_once():
    # given a learner with two steps left, completed at the same moment by two requests
    learner = make_user()
    course = make_course_with(modules=1, lessons_per_module=2)
    progress.enroll(user=learner, course=course)
    steps = steps_of(course)
    barrier = threading.Barrier(len(steps))
    errors = []

    def finish(step):
        try:
            barrier.wait()
            progress.record_step_completed(user=learner, page=step)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=finish, args=(step,)) for step in steps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # then both are recorded and exactly one certificate exists
    assert errors == []
    assert Enrollment.objects.get().completed_steps == 2
    assert Certificate.objects.count() == 1


def test_certificate_pages_pdf_and_public_verification(client, learner):
    course = make_course_with(modules=1, lessons_per_module=1, title="Crise et réputation")
    progress.enroll(user=learner, course=course)
    complete(learner, *steps_of(course))
    certificate = Certificate.objects.get()
    client.force_login(learner)

    page = client.get(f"/comptes/certificats/{certificate.code}/")
    assert page.status_code == 200 and "Camille Martin" in page.content.decode()

    pdf = client.get(f"/comptes/certificats/{certificate.code}/pdf/")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert len(pdf.content) > 5_000

    client.logout()
    valid = client.get(f"/verifier-un-certificat/{certificate.code}/").content.decode()
    assert "Certificat valide." in valid and "Crise et réputation" in valid
    typed = client.get("/verifier-un-certificat/", {"code": certificate.code.lower().replace("-", " ")})
    assert "Certificat valide." in typed.content.decode()


def test_a_revoked_certificate_says_so_and_an_unknown_code_is_not_found(client, learner):
    course = make_course_with(modules=1, lessons_per_module=1)
    progress.enroll(user=learner, course=course)
    complete(learner, *steps_of(course))
    certificate = Certificate.objects.get()
    certificate.revoked_at = timezone.now()
    certificate.save()

    assert "Certificat révoqué." in client.get(f"/verifier-un-certificat/{certificate.code}/").content.decode()
    unknown = client.get("/verifier-un-certificat/", {"code": "ZZZZ-ZZZZ-ZZZZ"})
    assert unknown.status_code == 404 and "Aucun certificat ne correspond" in unknown.content.decode()


def test_someone_else_cannot_open_a_learners_certificate(client, learner):
    course = make_course_with(modules=1, lessons_per_module=1)
    progress.enroll(user=learner, course=course)
    complete(learner, *steps_of(course))
    code = Certificate.objects.get().code

    client.force_login(make_user())
    assert client.get(f"/comptes/certificats/{code}/").status_code == 404
    assert client.get(f"/comptes/certificats/{code}/pdf/").status_code == 404


def test_a_deleted_lesson_breaks_neither_dashboard_nor_certificate(client, learner):
    course = make_course_with(modules=1, lessons_per_module=2)
    progress.enroll(user=learner, course=course)
    complete(learner, *steps_of(course))
    certificate = Certificate.objects.get()

    steps_of(course)[0].delete()
    progress.recount_course(course)

    client.force_login(learner)
    assert client.get("/comptes/mon-espace/").status_code == 200
    assert client.get(f"/comptes/certificats/{certificate.code}/").status_code == 200
    assert Enrollment.objects.get().total_steps == 1


# --- Content changes ----------------------------------------------------------------


def test_recount_after_publishing_a_step_for_a_thousand_enrolments(django_assert_max_num_queries):
    # given 1,000 learners, half of whom completed the whole 2-step course
    course = make_course_with(modules=1, lessons_per_module=2)
    steps = steps_of(course)
    learners = [make_user() for _ in range(1000)]
    Enrollment.objects.bulk_create([Enrollment(user=user, course=course) for user in learners])
    StepProgress.objects.bulk_create(
        [
            StepProgress(user=user, step=step, course=course, status=StepProgress.Status.COMPLETED, completed_at=timezone.now())
            for user in learners[:500]
            for step in steps
        ]
    )
    with django_assert_max_num_queries(30):
        progress.recount_course(course)
    assert Enrollment.objects.filter(completed_at__isnull=False).count() == 500
    assert Certificate.objects.count() == 500

    # when a trainer publishes a third step
    make_lesson(course.get_children().get().specific)
    with django_assert_max_num_queries(30):
        assert progress.recount_course(course) == 1000

    # then every total moves, and no one is complete any more (certificates stay)
    assert set(Enrollment.objects.values_list("total_steps", flat=True)) == {3}
    assert Enrollment.objects.filter(percent=66).count() == 500
    assert not Enrollment.objects.filter(completed_at__isnull=False).exists()
    assert Certificate.objects.count() == 500


def test_recount_after_unpublishing_the_last_missing_step_completes_the_course(learner):
    course = make_course_with(modules=1, lessons_per_module=3)
    progress.enroll(user=learner, course=course)
    first, second, third = steps_of(course)
    complete(learner, first, second)

    third.unpublish()
    progress.recount_course(course)

    enrollment = Enrollment.objects.get()
    assert (enrollment.completed_steps, enrollment.total_steps, enrollment.percent) == (2, 2, 100)
    assert Certificate.objects.filter(user=learner).exists()


@pytest.fixture
def sent_tasks(monkeypatch):
    """The tasks sent through config.queueing, as (task name, args), instead of the broker."""
    from config import queueing

    sent = []
    monkeypatch.setattr(queueing, "send_task", lambda task, *args, **options: sent.append((task.name, args)) or True)
    return sent


RECOUNT = "learners.tasks.recount_course_progress"


def test_publishing_a_step_schedules_a_recount_of_its_course_after_the_commit(
    django_capture_on_commit_callbacks, learner, sent_tasks
):
    from learners import content_changes

    course = make_course_with(modules=1, lessons_per_module=1)
    other_course = make_course_with(modules=1, lessons_per_module=1)
    progress.enroll(user=learner, course=course)
    content_changes.start_recount(course.pk)  # as if every recount so far had run
    sent_tasks.clear()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        make_lesson(course.get_children().get().specific)
    assert sent_tasks == [], "sent before the commit"
    for callback in callbacks:
        callback()

    assert sent_tasks == [(RECOUNT, (course.pk,))]
    assert other_course.pk not in {args[0] for _name, args in sent_tasks}


def test_a_burst_of_publishes_queues_one_recount_and_a_change_after_it_started_queues_the_next(
    django_capture_on_commit_callbacks, sent_tasks
):
    from learners import content_changes

    course = make_course_with(modules=1, lessons_per_module=1)
    module = course.get_children().get().specific
    content_changes.start_recount(course.pk)  # as if every recount so far had run
    sent_tasks.clear()

    # when a trainer publishes five lessons in a row
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(5):
            make_lesson(module)

    # then one recount is queued for the course
    assert sent_tasks == [(RECOUNT, (course.pk,))]

    # and once it has started, the next publish queues another one (it may have read the
    # course before this change)
    content_changes.start_recount(course.pk)
    with django_capture_on_commit_callbacks(execute=True):
        make_lesson(module)
    assert sent_tasks == [(RECOUNT, (course.pk,))] * 2


def test_a_recount_that_could_not_be_sent_does_not_block_the_next_one(django_capture_on_commit_callbacks, monkeypatch):
    from config import queueing
    from learners import content_changes

    course = make_course_with(modules=1, lessons_per_module=1)
    module = course.get_children().get().specific
    content_changes.start_recount(course.pk)
    attempts = []
    monkeypatch.setattr(queueing, "send_task", lambda task, *args, **options: attempts.append(args) and False)

    with django_capture_on_commit_callbacks(execute=True):
        make_lesson(module)
    with django_capture_on_commit_callbacks(execute=True):
        make_lesson(module)

    assert attempts == [(course.pk,), (course.pk,)]


# --- Time spent ---------------------------------------------------------------------


def test_time_reports_are_bounded(client, learner):
    course = make_course_with(modules=1, lessons_per_module=1)
    enrolled_client(client, learner, course)
    step = steps_of(course)[0]
    client.get(step.url)  # the visit creates the step's progress row
    url = f"/comptes/etapes/{step.pk}/temps/"

    assert client.post(url, {"seconds": "45"}).status_code == 204
    # a report claiming eight hours right after the previous one counts for a second or two
    assert client.post(url, {"seconds": str(8 * 3600)}).status_code == 204
    row = StepProgress.objects.get()
    assert 45 <= row.time_spent_seconds <= 48
    assert Enrollment.objects.get().time_spent_seconds == row.time_spent_seconds

    # a report after a long pause still counts at most two minutes
    StepProgress.objects.update(last_time_report_at=timezone.now() - timedelta(hours=8))
    client.post(url, {"seconds": str(8 * 3600)})
    assert StepProgress.objects.get().time_spent_seconds <= 48 + progress.MAX_SECONDS_PER_REPORT

    assert client.post(url, {"seconds": "beaucoup"}).status_code == 400
    assert client.post(url, {"seconds": "-50"}).status_code == 204
    assert StepProgress.objects.get().time_spent_seconds <= 48 + progress.MAX_SECONDS_PER_REPORT


def test_time_on_a_course_one_is_not_enrolled_in_is_refused(learner_client):
    course = make_course_with(modules=1, lessons_per_module=1)
    response = learner_client.post(f"/comptes/etapes/{steps_of(course)[0].pk}/temps/", {"seconds": "30"})
    assert response.status_code == 403


# --- Dashboard ----------------------------------------------------------------------


def test_the_dashboard_runs_a_constant_number_of_queries(client, learner):
    counts = []
    for modules in (1, 20):
        course = make_course_with(modules=modules, lessons_per_module=3)
        enrolled_client(client, learner, course)
        complete(learner, steps_of(course)[0])
        client.get("/comptes/mon-espace/")  # the pages shown are then kept until the next publish
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            response = client.get("/comptes/mon-espace/")
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] == 3, counts  # no notice read: the person's row counts none (learners.notices)


def test_the_dashboard_shows_progress_resume_modules_and_certificates(client, learner):
    course = make_course_with(modules=2, lessons_per_module=2, title="Cours A")
    done = make_course_with(modules=1, lessons_per_module=1, title="Cours B")
    enrolled_client(client, learner, course)
    progress.enroll(user=learner, course=done)
    complete(learner, steps_of(course)[0])
    complete(learner, *steps_of(done))

    html = client.get("/comptes/mon-espace/").content.decode()

    assert '<progress id="progress-' in html and 'value="25"' in html
    assert "25 % — 1 sur 4 étapes" in html
    assert f'href="{steps_of(course)[1].url}"' in html and "Reprendre" in html
    assert "Formations terminées" in html and "Cours B" in html
    assert Certificate.objects.get().code in html


def test_the_dashboard_asks_anonymous_visitors_to_log_in(client):
    assert client.get("/comptes/mon-espace/").status_code == 302


def test_an_administrator_revokes_a_certificate_and_the_public_page_says_so(client, learner):
    from learners.models import User

    course = make_course_with(modules=1, lessons_per_module=1)
    progress.enroll(user=learner, course=course)
    complete(learner, *steps_of(course))
    certificate = Certificate.objects.get()
    admin = User.objects.create_superuser(email="admin@example.org", password="x", first_name="A", last_name="B")
    client.force_login(admin)
    edit = f"/admin/snippets/learners/certificate/edit/{certificate.pk}/"
    assert client.get("/admin/snippets/learners/certificate/").status_code == 200
    assert client.get("/admin/snippets/learners/certificate/add/").status_code in (302, 403)
    delete = f"/admin/snippets/learners/certificate/delete/{certificate.pk}/"
    assert client.get(delete).status_code in (302, 403) and client.post(delete).status_code in (302, 403)
    assert Certificate.objects.filter(pk=certificate.pk).exists()  # withdrawn by revocation only

    response = client.post(edit, {"revoked_at": "2026-11-20 10:00", "revocation_reason": "Fraude constatée."})

    assert response.status_code == 302
    certificate.refresh_from_db()
    assert not certificate.is_valid and certificate.learner_name == "Camille Martin"
    client.logout()
    html = client.get(f"/verifier-un-certificat/{certificate.code}/").content.decode()
    assert "Certificat révoqué." in html and "Fraude constatée." in html


def test_a_trainer_cannot_open_certificates_in_the_admin(client):
    from django.contrib.auth.models import Group

    from learners.roles import TRAINERS_GROUP

    trainer = make_user()
    trainer.groups.add(Group.objects.get(name=TRAINERS_GROUP))
    client.force_login(trainer)
    assert client.get("/admin/snippets/learners/certificate/").status_code in (302, 403)


@pytest.mark.parametrize("change", ["unpublish", "move", "delete"])
def test_every_content_change_schedules_a_recount_of_its_course_after_the_commit(
    change, django_capture_on_commit_callbacks, sent_tasks
):
    from learners import content_changes

    course = make_course_with(modules=2, lessons_per_module=2)
    make_course_with(modules=1, lessons_per_module=1)  # another course, never recounted here
    lesson = steps_of(course)[0]
    other_module = course.get_children().last()
    content_changes.start_recount(course.pk)
    sent_tasks.clear()

    with django_capture_on_commit_callbacks(execute=True):
        if change == "unpublish":
            lesson.unpublish()
        elif change == "move":
            lesson.move(other_module, pos="last-child")
        else:
            lesson.delete()

    assert sent_tasks == [(RECOUNT, (course.pk,))], f"{change} must schedule one recount of its course"


# --- The one rule for a percent (learners.progress.percent) ---------------------------


@pytest.mark.parametrize("done, total, expected", [
    (0, 0, 0),  # nothing to do: 0 %
    (0, 4, 0),
    (2, 4, 50),
    (2, 3, 66),  # rounded down
    (199, 200, 99),  # 100 only when everything is done
    (200, 200, 100),
    (Decimal("1.33"), Decimal("3"), 44),  # points, as quiz grading gives them
])
def test_a_percent_is_whole_and_rounded_down_so_that_100_means_everything(done, total, expected):
    assert progress.percent(done, total) == expected


def test_a_module_of_the_heatmap_counts_its_percent_by_the_same_rule_as_the_enrolment():
    from learners.manager_selectors import module_cell

    assert [module_cell(done, 3).percent for done in range(4)] == [0, 33, 66, 100]
    assert module_cell(199, 200).percent == 99
