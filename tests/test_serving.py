"""Pages served from what publishing computed (courses.serving, courses.publishing):
a constant handful of queries, no write on a GET, and never older than the last publish,
whichever process made the change."""

import os
import re
import subprocess
import sys
import urllib.request

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from courses.models import LessonPage
from courses.selectors import course_outline
from learners.models import StepProgress
from tests.conftest import ROOT, database_url_for_other_processes
from tests.factories import enrolled_client, make_course_with

pytestmark = pytest.mark.django_db


def warm_queries(client, url):
    assert client.get(url).status_code == 200  # fills this process's memo for the token
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return [query["sql"] for query in queries.captured_queries]


def test_anonymous_lesson_and_course_pages_read_only_the_content_token(client, demo_course):
    lesson = course_outline(demo_course).steps[0]
    assert len(warm_queries(client, lesson.url)) == 1
    assert len(warm_queries(client, demo_course.url)) == 1


def test_a_learner_s_lesson_course_and_dashboard_pages_run_at_most_six_queries(client, learner, demo_course):
    enrolled_client(client, learner, demo_course)
    lesson = course_outline(demo_course).steps[1]
    # the session with its person and the content token (one query: learners.sessions),
    # the enrolment with its progress rows (one query)
    assert len(warm_queries(client, lesson.url)) == 2
    assert len(warm_queries(client, demo_course.url)) == 2
    # the session with its person and the token, enrolments with their module rows,
    # certificates (no notice to read: the person's row counts none, learners.notices)
    dashboard = warm_queries(client, "/comptes/mon-espace/")
    assert len(dashboard) == 3
    assert not any("wagtailcore_grouppagepermission" in sql or "auth_permission" in sql for sql in dashboard)


def test_the_same_number_of_queries_whatever_the_course_size(client, learner):
    counts = []
    for size in (1, 20):
        course = make_course_with(modules=size, lessons_per_module=3)
        enrolled_client(client, learner, course)
        counts.append(len(warm_queries(client, course_outline(course).steps[1].url)))
    assert counts == [2, 2]


def test_only_the_first_view_of_a_step_writes(client, learner, demo_course):
    enrolled_client(client, learner, demo_course)
    lesson = course_outline(demo_course).steps[2]

    with CaptureQueriesContext(connection) as first:
        client.get(lesson.url)
    with CaptureQueriesContext(connection) as second:
        client.get(lesson.url)

    assert StepProgress.objects.filter(user=learner, step_id=lesson.pk).count() == 1
    assert any(q["sql"].startswith("INSERT") for q in first.captured_queries)
    assert all(q["sql"].startswith("SELECT") for q in second.captured_queries), second.captured_queries


def test_the_learner_s_marks_are_applied_to_the_shared_outline(client, learner, demo_course):
    enrolled_client(client, learner, demo_course)
    first, second = course_outline(demo_course).steps[:2]
    client.post(f"/comptes/etapes/{first.pk}/terminer/")

    html = client.get(second.url).content.decode()

    assert "<@" not in html
    assert html.count("outline__step--done") == 1
    assert f'href="{second.url}" aria-current="page"' in html
    anonymous = client.__class__().get(second.url).content.decode()
    assert "outline__step--done" not in anonymous and "<@" not in anonymous


def test_publish_unpublish_move_and_delete_show_on_the_next_request(client, demo_course):
    outline = course_outline(demo_course)
    lesson = LessonPage.objects.get(pk=outline.steps[0].pk)
    other_module = outline.modules[1].page
    assert client.get(lesson.url).status_code == 200
    client.get(demo_course.url)

    lesson.title = "Titre republié"
    lesson.save_revision().publish()
    assert "Titre republié" in client.get(lesson.url).content.decode()
    assert "Titre republié" in client.get(demo_course.url).content.decode()

    lesson.unpublish()
    assert client.get(lesson.url).status_code == 404
    assert "Titre republié" not in client.get(demo_course.url).content.decode()

    lesson.refresh_from_db()
    lesson.save_revision().publish()
    old_url = lesson.url
    lesson.move(other_module, pos="last-child")
    lesson.refresh_from_db()
    assert client.get(old_url).status_code == 404
    assert client.get(lesson.url).status_code == 200

    lesson.delete()
    assert client.get(lesson.url).status_code == 404
    assert "Titre republié" not in client.get(demo_course.url).content.decode()


def test_a_draft_module_hides_its_lessons_from_a_warm_cache(client, demo_course):
    module = course_outline(demo_course).modules[0].page
    lesson = course_outline(demo_course).steps[0]
    assert client.get(lesson.url).status_code == 200

    module.unpublish()

    assert client.get(lesson.url).status_code == 404


PUBLISH_ELSEWHERE = """
import django; django.setup()
from courses.models import LessonPage
lesson = LessonPage.objects.get(pk={pk})
lesson.title = "Publié par un autre processus"
lesson.save_revision().publish()
"""


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_publish_in_another_process_shows_on_the_next_request_here(live_server, client, learner, demo_course):
    lesson = course_outline(demo_course).steps[0]
    url = live_server.url + lesson.url
    enrolled_client(client, learner, demo_course)
    # a learner's request reads the token with its session (learners.sessions), a visitor's on its own
    as_learner = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"}

    def read(url, headers=None):
        return urllib.request.urlopen(urllib.request.Request(url, headers=headers or {})).read().decode()

    for headers in (None, as_learner):
        page = read(url, headers)  # warms this process's memo
        assert "Publié par un autre processus" not in page
        assert ("Se déconnecter" in page) == (headers is as_learner)

    env = dict(os.environ, DJANGO_SETTINGS_MODULE="config.settings.test", DATABASE_URL=database_url_for_other_processes())
    subprocess.run([sys.executable, "-c", PUBLISH_ELSEWHERE.format(pk=lesson.pk)], cwd=ROOT, env=env, check=True, timeout=120)

    for headers in (as_learner, None):
        assert "Publié par un autre processus" in read(url, headers)
        assert "Publié par un autre processus" in read(live_server.url + demo_course.url, headers)


def test_a_view_restriction_added_to_a_warm_course_applies_on_the_next_request(client, demo_course):
    from wagtail.models import PageViewRestriction

    lesson = course_outline(demo_course).steps[0]
    assert client.get(lesson.url).status_code == 200

    PageViewRestriction.objects.create(page=demo_course, restriction_type=PageViewRestriction.LOGIN)

    response = client.get(lesson.url)
    assert response.status_code == 302 and "next=" in response["Location"]


def test_an_anonymous_page_kept_whole_gets_a_fresh_csrf_token_and_follows_publishing(client, demo_course):
    lesson = LessonPage.objects.get(pk=course_outline(demo_course).steps[0].pk)
    first = client.get(lesson.url)
    visitor = client.__class__()
    second = visitor.get(lesson.url)

    def tokens(response):
        return re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.content.decode())

    assert first.status_code == second.status_code == 200
    assert tokens(second) and all(len(token) == 64 for token in tokens(second))
    assert "<@" not in second.content.decode()
    assert tokens(first) != tokens(second)
    assert "Cookie" in second["Vary"]
    assert second.cookies.get("csrftoken")

    lesson.title = "Nouveau titre pour tous"
    lesson.save_revision().publish()
    assert "Nouveau titre pour tous" in visitor.get(lesson.url).content.decode()


CSRF_VALUE = re.compile(r'(name="csrfmiddlewaretoken" value="|data-csrf=")[^"]*"')


def page_as_rendered_whole_and_from_the_shell(client, url, monkeypatch):
    """The page rendered in full (no shell), then twice from the shell (kept, then reused),
    CSRF tokens blanked: each request masks the secret afresh."""
    from courses import serving

    with monkeypatch.context() as patch:
        patch.setattr(serving, "shell_key", lambda *args: None)
        whole = client.get(url)
    shelled = [client.get(url) for _ in range(2)]
    assert whole.status_code == 200 and all(response.status_code == 200 for response in shelled)
    return [CSRF_VALUE.sub(r"\1x", response.content.decode()) for response in [whole, *shelled]]


def test_a_learner_s_lesson_and_course_page_from_the_shell_are_the_pages_rendered_whole(client, learner, monkeypatch):
    from learners import progress
    from tests.factories import make_user

    course = make_course_with(modules=2, lessons_per_module=2, sequential=True)
    steps = course_outline(course).steps
    enrolled_client(client, learner, course)
    progress.record_step_completed(user=learner, page=steps[0])
    other = client.__class__()
    enrolled_client(other, make_user(first_name="Inès", last_name="Roy"), course)

    newcomer = client.__class__()
    newcomer.force_login(make_user(first_name="Léa", last_name="Petit"))  # logged in, not enrolled
    for viewer, url in (
        (client, steps[0].url), (client, steps[1].url), (other, steps[0].url),
        (client, course.url), (other, course.url), (newcomer, course.url),
    ):
        whole, kept, reused = page_as_rendered_whole_and_from_the_shell(viewer, url, monkeypatch)
        assert kept == whole and reused == whole, url
        assert "<@" not in whole
    mine = client.get(steps[1].url).content.decode()
    theirs = other.get(steps[0].url).content.decode()
    assert "outline__step--done" in mine and "25 %" in mine  # 1 of 4 steps
    assert "outline__step--done" not in theirs and "0 %" in theirs and "outline__step--locked" in theirs
    assert "Reprendre" in client.get(course.url).content.decode()
    assert "S&#x27;inscrire" in newcomer.get(course.url).content.decode() or "S'inscrire" in newcomer.get(course.url).content.decode()
    # The token written into the shell is one the CSRF check accepts (and it is checked).
    strict = client.__class__(enforce_csrf_checks=True)
    strict.force_login(learner)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', strict.get(steps[1].url).content.decode())[1]
    assert strict.post(f"/comptes/etapes/{steps[1].pk}/terminer/").status_code == 403
    assert strict.post(f"/comptes/etapes/{steps[1].pk}/terminer/", {"csrfmiddlewaretoken": token}).status_code == 302


def test_a_message_or_the_admin_link_is_shown_on_a_lesson_kept_as_a_shell(client, learner, demo_course):
    enrolled_client(client, learner, demo_course)
    first, second = course_outline(demo_course).steps[:2]
    client.get(second.url)  # its shell is kept
    client.post(f"/comptes/etapes/{first.pk}/terminer/")  # "Étape « … » terminée." waits for the next page

    assert f"Étape « {first.title} » terminée." in client.get(second.url).content.decode()
    assert "terminée." not in client.get(second.url).content.decode()  # shown once

    session = client.session
    session["can_access_admin"] = True
    session.save()
    assert 'href="/admin/"' in client.get(second.url).content.decode()


def test_the_one_query_standing_reads_the_enrolment_as_the_orm_does(learner, demo_course):
    from learners import progress
    from learners.models import Enrollment

    enrollment = progress.enroll(user=learner, course=demo_course)
    first, second = course_outline(demo_course).steps[:2]
    progress.record_step_completed(user=learner, page=first)
    StepProgress.objects.get_or_create(user=learner, step_id=second.pk, course=demo_course,
                                       defaults={"exercises": {"b1": {"answer": "Mon « texte »", "checked": [0]}}})

    with CaptureQueriesContext(connection) as queries:
        read, rows, exercises = progress.enrollment_with_step_rows(
            user_id=learner.pk, course_id=demo_course.pk, step_id=second.pk)

    assert len(queries) == 1
    expected = Enrollment.objects.get(pk=enrollment.pk)
    for field in Enrollment._meta.concrete_fields:
        assert getattr(read, field.attname) == getattr(expected, field.attname), field.name
    assert read.enrolled_at.tzinfo is not None and read.completed_at is None
    assert sorted(rows) == sorted([(first.pk, "completed"), (second.pk, "viewed")])
    assert exercises == {"b1": {"answer": "Mon « texte »", "checked": [0]}}  # the step's own row only
    assert progress.enrollment_with_step_rows(user_id=learner.pk, course_id=demo_course.pk, step_id=first.pk)[2] == {}
    assert progress.enrollment_with_step_rows(user_id=learner.pk + 1000, course_id=demo_course.pk) == (None, [], {})


def test_the_dashboard_kept_for_its_rows_follows_progress_publishing_and_the_viewer(client, learner, monkeypatch):
    from courses import serving
    from learners import progress
    from learners.models import Assignment, Certificate, Organisation
    from tests.factories import make_user

    course = make_course_with(modules=2, lessons_per_module=2, title="Parler au nom de l'équipe")
    steps = course_outline(course).steps
    enrolled_client(client, learner, course)
    other = client.__class__()
    enrolled_client(other, make_user(first_name="Inès", last_name="Roy"), course)
    url = "/comptes/mon-espace/"

    def page(viewer):
        return CSRF_VALUE.sub(r"\1x", viewer.get(url).content.decode())

    def rendered_whole(viewer):
        with monkeypatch.context() as patch:
            patch.setattr(serving, "keeps_learner_pages", lambda request: False)
            return page(viewer)

    # the page kept is the page rendered whole, for each viewer, and never another's
    mine, theirs = page(client), page(other)
    assert page(client) == mine == rendered_whole(client) and page(other) == theirs == rendered_whole(other)
    assert "Bonjour Camille" in mine and "Inès" not in mine and "Bonjour Inès" in theirs

    # a step completed, a due date given, a publish: each shows on the next request
    progress.record_step_completed(user=learner, page=steps[0])
    assert "25 % — 1 sur 4 étapes" in page(client) and "0 % — 0 sur 4 étapes" in page(other)
    organisation = Organisation.objects.create(name="Les Tilleuls", slug="les-tilleuls")
    Assignment.objects.create(organisation=organisation, user=learner, course=course)
    assert "Formation affectée, sans échéance." in page(client)
    course.title = "Parler au nom de l'organisation"
    course.save_revision().publish()
    assert "Parler au nom de l&#x27;organisation" in page(client)
    for step in steps[1:]:
        progress.record_step_completed(user=learner, page=step)
    certificate = Certificate.objects.get(user=learner)
    assert certificate.code in page(client) and "révoqué" not in page(client)
    Certificate.objects.filter(pk=certificate.pk).update(revoked_at=certificate.issued_at)
    assert "(révoqué)" in page(client)
    assert page(client) == rendered_whole(client)

    # the CSRF token written in is one the check accepts
    strict = client.__class__(enforce_csrf_checks=True)
    strict.force_login(learner)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', strict.get(url).content.decode())[1]
    assert strict.post("/comptes/deconnexion/", {"csrfmiddlewaretoken": token}).status_code == 302
