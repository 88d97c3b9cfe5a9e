"""Security headers: Content-Security-Policy (public site and admin), Permissions-Policy,
and no-store on everything shown to a logged-in person."""

import pytest
from django.conf import settings

from courses.selectors import course_outline
from learners import progress
from learners.models import Certificate
from quizzes import services
from quizzes.models import QuizPage
from tests.factories import complete_course, make_user

PASSWORD = "un-mot-de-passe-solide"


def directives(response):
    """The Content-Security-Policy of `response` as {directive: [sources]}."""
    header = response.headers.get("Content-Security-Policy")
    assert header, f"no Content-Security-Policy on {response.request['PATH_INFO']}"
    parsed = {}
    for part in header.split(";"):
        name, *sources = part.split()
        parsed[name] = sources
    return parsed


@pytest.fixture
def learner_journey(demo_course, learner):
    """A learner enrolled in the demo course, with a graded quiz attempt and a certificate."""
    progress.enroll(user=learner, course=demo_course)
    outline = course_outline(demo_course)
    quiz = QuizPage.objects.child_of(outline.modules[0].page).get()
    complete_course(learner, demo_course)
    attempt = services.start_attempt(user=learner, quiz=quiz)
    certificate = Certificate.objects.get(user=learner)
    return {"outline": outline, "quiz": quiz, "attempt": attempt, "certificate": certificate}


def public_urls(demo_course, certificate_code="INCONNU"):
    outline = course_outline(demo_course)
    return {
        "home": "/",
        "catalogue": demo_course.get_parent().url,
        "course": demo_course.url,
        "lesson": outline.steps[0].url,
        "login": "/comptes/connexion/",
        "certificate verify": f"/verifier-un-certificat/{certificate_code}/",
    }


# --- Content-Security-Policy ------------------------------------------------------------


def test_public_pages_send_a_strict_policy_without_inline_script_or_style(client, demo_course, learner):
    # given a learner (lesson pages need one) and the public pages
    client.force_login(learner)
    progress.enroll(user=learner, course=demo_course)
    for name, url in public_urls(demo_course).items():
        # when the page is served
        response = client.get(url)
        policy = directives(response)
        # then nothing inline and nothing from elsewhere may run or style it
        assert policy["default-src"] == ["'self'"], name
        assert policy["script-src"] == ["'self'"], name
        assert policy["style-src"] == ["'self'"], name
        assert policy["img-src"] == ["'self'", "data:"], name
        assert policy["object-src"] == ["'none'"], name
        assert policy["base-uri"] == ["'self'"], name
        assert policy["form-action"] == ["'self'"], name
        assert policy["frame-ancestors"] == ["'none'"], name
        assert policy["frame-src"] == settings.VIDEO_PLAYER_ORIGINS, name
        assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"], name
        assert "'unsafe-eval'" not in response.headers["Content-Security-Policy"], name


def test_a_lesson_video_can_only_come_from_the_players_the_policy_allows():
    # given the embed finders Wagtail uses for the video block
    from wagtail.embeds.finders import get_finders

    finders = get_finders()

    # then only YouTube and Vimeo addresses are accepted, whose players frame-src allows
    def accepted(url):
        return any(finder.accept(url) for finder in finders)

    assert accepted("https://www.youtube.com/watch?v=dQw4w9WgXcQ")
    assert accepted("https://vimeo.com/76979871")
    assert not accepted("https://www.dailymotion.com/video/x7tgad0")
    assert not accepted("https://twitter.com/wagtail/status/1")
    assert settings.VIDEO_PLAYER_ORIGINS == ["https://www.youtube.com", "https://player.vimeo.com"]


def test_the_admin_has_its_own_policy(client, demo_course):
    # given an administrator
    admin = make_user(is_staff=True, is_superuser=True)
    client.force_login(admin)
    lesson = course_outline(demo_course).steps[0]

    for url in ["/admin/", f"/admin/pages/{lesson.pk}/edit/", "/admin/login/"]:
        # when an admin page is served
        policy = directives(client.get(url))
        # then it keeps the public policy, plus what the admin was measured to need
        assert policy["script-src"] == ["'self'", "'unsafe-inline'"], url
        assert policy["style-src"] == ["'self'", "'unsafe-inline'"], url
        assert policy["img-src"] == ["'self'", "data:"], url
        assert policy["frame-src"] == ["'self'", *settings.VIDEO_PLAYER_ORIGINS], url
        assert policy["frame-ancestors"] == ["'self'"], url
        assert policy["object-src"] == ["'none'"], url
        assert policy["form-action"] == ["'self'"], url


def test_the_public_site_does_not_get_the_admin_policy(client, demo_course):
    # given an administrator on the public site (the Wagtail user bar is shown)
    client.force_login(make_user(is_staff=True, is_superuser=True))
    # when they open the home page
    policy = directives(client.get("/"))
    # then the strict public policy applies
    assert policy["style-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]


# --- Permissions-Policy -------------------------------------------------------------------


def test_every_response_switches_off_the_browser_features_nobody_uses(client, demo_course, learner):
    # given pages of every kind: public, private, admin, a redirect, an error, JSON
    responses = [client.get(url) for url in public_urls(demo_course).values()]
    responses.append(client.get("/page-qui-n-existe-pas/"))
    responses.append(client.get("/comptes/mon-espace/"))  # a redirect to the login page
    responses.append(client.get("/sante/"))
    client.force_login(learner)
    responses.append(client.get("/comptes/mon-espace/"))
    responses.append(client.get("/admin/"))

    for response in responses:
        # then each has the Permissions-Policy header
        header = response.headers.get("Permissions-Policy", "")
        features = dict(part.strip().split("=", 1) for part in header.split(","))
        for feature in ["camera", "microphone", "geolocation", "payment", "usb", "browsing-topics"]:
            assert features.get(feature) == "()", (response.status_code, feature, header)
        assert features["fullscreen"] == '(self "https://www.youtube.com" "https://player.vimeo.com")'


# --- Cache-Control -----------------------------------------------------------------------


def assert_not_stored(response, name):
    cache_control = response.headers.get("Cache-Control", "")
    assert "no-store" in cache_control and "private" in cache_control, (name, cache_control)


def test_every_page_showing_a_learners_data_is_never_stored(client, learner, learner_journey):
    # given a learner with progress, a quiz attempt and a certificate
    client.force_login(learner)
    attempt, certificate = learner_journey["attempt"], learner_journey["certificate"]
    services.submit_attempt(user=learner, attempt_id=attempt.pk, raw={})
    services.grade_submitted_attempt(attempt.pk)
    retry = services.start_attempt(user=learner, quiz=learner_journey["quiz"])
    private = {
        "dashboard": "/comptes/mon-espace/",
        "profile": "/comptes/profil/",
        "password change": "/comptes/mot-de-passe/",
        "lesson": learner_journey["outline"].steps[0].url,
        "quiz attempt": f"/quiz/tentatives/{retry.pk}/",
        "quiz result": f"/quiz/tentatives/{attempt.pk}/resultat/",
        "quiz status": f"/quiz/tentatives/{attempt.pk}/statut/",
        "certificate": f"/comptes/certificats/{certificate.code}/",
        "certificate pdf": f"/comptes/certificats/{certificate.code}/pdf/",
        "home, logged in": "/",
    }
    for name, url in private.items():
        # when the learner opens it
        response = client.get(url)
        # then neither the browser nor a proxy keeps a copy
        assert response.status_code == 200, (name, response.status_code)
        assert_not_stored(response, name)

    # and the autosave answer too
    response = client.post(f"/quiz/tentatives/{retry.pk}/brouillon/", {}, HTTP_ACCEPT="application/json")
    assert_not_stored(response, "autosave")


def test_admin_pages_are_never_stored(client, demo_course):
    # given an administrator
    client.force_login(make_user(is_staff=True, is_superuser=True))
    # when they open admin screens
    for url in ["/admin/", "/admin/users/", "/admin/snippets/learners/certificate/"]:
        # then nothing is kept
        assert_not_stored(client.get(url), url)


def test_public_pages_for_anonymous_visitors_stay_cacheable(client, demo_course):
    # given an anonymous visitor
    certificate_urls = public_urls(demo_course)
    del certificate_urls["login"]  # Django marks its login view never_cache itself
    del certificate_urls["lesson"]  # asks to log in
    for name, url in certificate_urls.items():
        # when they open a public page
        response = client.get(url)
        # then nothing forbids caching it
        assert "no-store" not in response.headers.get("Cache-Control", ""), name
        assert "private" not in response.headers.get("Cache-Control", ""), name


def test_a_view_that_chose_its_own_cache_control_keeps_it(client, learner):
    # given a logged-in learner
    client.force_login(learner)
    # when a view that sets Cache-Control itself answers (Django's login view is
    # never_cache; it sends a logged-in person on) and one that does not
    response = client.get("/comptes/connexion/")
    plain = client.get("/comptes/profil/")
    # then the first keeps its own header, the other gets ours
    assert response.status_code == 302
    assert "max-age=0" in response.headers["Cache-Control"] and "must-revalidate" in response.headers["Cache-Control"]
    assert plain.headers["Cache-Control"] in ("private, no-store", "no-store, private")


# --- In the browser: zero violations ---------------------------------------------------------


def collect_csp_violations(page):
    """Every console message about the Content Security Policy (or the Permissions
    Policy), from now on, in a list."""
    messages = []

    def keep(message):
        text = message.text
        if "Content Security Policy" in text or "Permissions-Policy" in text or "Permissions Policy" in text:
            messages.append(f"{page.url}: {text}")

    page.on("console", keep)
    return messages


def log_in_browser(page, live_server, client, user):
    """Give the browser the session of `user` (logged in through the test client)."""
    client.force_login(user)
    page.context.add_cookies([
        {"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
         "url": live_server.url}
    ])


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_violation_collector_sees_an_inline_script(browser_page):
    # given the collector on a page of the site
    page = browser_page
    violations = collect_csp_violations(page)
    page.goto("/verifier-un-certificat/")
    # when the page tries to add and run an inline script
    page.evaluate("""() => { const s = document.createElement('script'); s.textContent = 'window.ran = 1';
                     document.body.appendChild(s); }""")
    page.wait_for_timeout(200)
    # then the browser refuses it and the collector sees it
    assert page.evaluate("window.ran") is None
    assert violations and "script-src" in violations[0]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_learner_goes_through_lesson_quiz_result_dashboard_and_certificate_without_violations(
    browser_page, live_server, client, demo_course, screenshot
):
    # given a learner who finished the course except a first quiz attempt
    page = browser_page
    learner = make_user(email="noa@example.org", password=PASSWORD)
    progress.enroll(user=learner, course=demo_course)
    outline = course_outline(demo_course)
    quiz = QuizPage.objects.child_of(outline.modules[0].page).get()
    complete_course(learner, demo_course)
    certificate = Certificate.objects.get(user=learner)
    attempt = services.start_attempt(user=learner, quiz=quiz)
    violations = collect_csp_violations(page)
    log_in_browser(page, live_server, client, learner)

    # when they read a lesson (with its time tracking)
    page.goto(outline.steps[0].url)
    assert page.get_by_role("heading", level=1).inner_text() == outline.steps[0].title

    # and answer a quiz question: the draft is saved by script
    page.goto(f"/quiz/tentatives/{attempt.pk}/")
    with page.expect_response(lambda r: r.url.endswith("/brouillon/") and r.ok):
        page.locator("form[data-autosave-url] input[type=radio], form[data-autosave-url] input[type=checkbox]").first.check()
    page.get_by_text("Brouillon enregistré").wait_for()
    screenshot(page, "1-quiz")

    # and see the result
    services.submit_attempt(user=learner, attempt_id=attempt.pk, raw={})
    services.grade_submitted_attempt(attempt.pk)
    page.goto(f"/quiz/tentatives/{attempt.pk}/resultat/")
    page.get_by_role("heading", name="Pas encore réussi").wait_for()

    # and their dashboard
    page.goto("/comptes/mon-espace/")
    assert page.get_by_role("heading", level=1).is_visible()

    # and the certificate, whose print button works (shown and wired by a static script)
    page.goto(f"/comptes/certificats/{certificate.code}/")
    page.evaluate("() => { window.print = () => { window.printed = true; }; }")
    page.get_by_role("button", name="Imprimer").click()
    assert page.evaluate("window.printed") is True
    screenshot(page, "2-certificat")

    # then the browser refused nothing
    assert violations == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_admin_works_under_its_policy(browser_page, live_server, client, demo_course, screenshot):
    from quizzes.models import SingleChoiceQuestion

    # given an administrator in the admin, with a lesson and a question to edit
    page = browser_page
    admin = make_user(email="admin@example.org", is_staff=True, is_superuser=True)
    lesson = course_outline(demo_course).steps[0]
    question = SingleChoiceQuestion.objects.first()
    learner = make_user()
    progress.enroll(user=learner, course=demo_course)
    complete_course(learner, demo_course)
    certificate = Certificate.objects.get(user=learner)
    violations = collect_csp_violations(page)
    log_in_browser(page, live_server, client, admin)

    # when they open the dashboard
    page.goto("/admin/")
    page.get_by_role("heading", level=1).first.wait_for()

    # and edit a lesson: its StreamField, a new block, the preview panel
    page.goto(f"/admin/pages/{lesson.pk}/edit/")
    page.get_by_role("button", name="Afficher/masquer la prévisualisation").click()
    preview = page.frame_locator("#w-preview-iframe")
    preview.get_by_role("heading", level=1).wait_for()
    page.get_by_role("button", name="Insérer un bloc").first.click()
    page.get_by_role("option", name="Paragraphe").first.click()
    page.keyboard.type("Un paragraphe ajouté dans l'éditeur.")
    page.wait_for_timeout(1000)
    screenshot(page, "1-lecon")

    # and choose an image for a new image block
    page.goto(f"/admin/pages/{lesson.pk}/edit/")
    page.get_by_role("button", name="Insérer un bloc").first.click()
    page.get_by_role("option", name="Image").first.click()
    page.get_by_role("button", name="Choisir une image").first.click()
    page.get_by_role("dialog").last.wait_for()
    page.wait_for_timeout(500)
    screenshot(page, "2-images")

    # and edit a question of the bank, adding a choice (an inline panel)
    page.goto(f"/admin/snippets/quizzes/singlechoicequestion/edit/{question.pk}/")
    choices = page.locator("[id^='inline_child_choices-']:visible")
    count = choices.count()
    page.locator("#id_choices-ADD").click()
    page.wait_for_function(f"document.querySelectorAll('[id^=inline_child_choices-]:not([hidden])').length > {count}")
    screenshot(page, "3-question")

    # and open a certificate (a date picker) and the audit log
    page.goto(f"/admin/snippets/learners/certificate/edit/{certificate.pk}/")
    page.locator("#id_revoked_at").click()
    page.locator(".xdsoft_datetimepicker:visible").first.wait_for()
    screenshot(page, "4-certificat")
    page.goto("/admin/journal-audit/")

    # and visit the public site with the user bar
    page.goto(lesson.url)
    page.locator("wagtail-userbar").wait_for(state="attached")
    page.wait_for_timeout(500)

    # then the browser refused nothing
    assert violations == []
