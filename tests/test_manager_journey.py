"""A manager runs their team's training end to end, in a real browser: imports the team
by CSV, assigns the demo course with a due date; a newcomer accepts the invitation and
progresses; the manager sees the heatmap change and downloads the XLSX."""

import re
from datetime import timedelta
from io import BytesIO
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.utils import timezone
from openpyxl import load_workbook

from courses.models import LessonPage
from learners.models import Membership, Organisation, Team
from tests.factories import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "un-mot-de-passe-solide"
CSV = "e-mail;prénom;nom;équipe\r\nnina.roux@example.org;Nina;Roux;Communication\r\n".encode("utf-8-sig")


def log_in(page, email):
    page.goto("/comptes/connexion/")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Se connecter").click()


def submit(page, name):
    with page.expect_navigation():
        page.get_by_role("button", name=name).click()


def test_a_manager_imports_assigns_follows_and_exports_while_a_newcomer_progresses(
    browser_page, live_server, demo_course, screenshot
):
    # given an organisation with an empty team, run by Dora
    organisation = Organisation.objects.create(name="Maison de quartier", slug="maison")
    team = Team.objects.create(organisation=organisation, name="Communication")
    dora = make_user(email="dora@example.org", first_name="Dora", password=PASSWORD)
    Membership.objects.create(user=dora, organisation=organisation, role=Membership.Role.MANAGER)
    page = browser_page
    log_in(page, "dora@example.org")

    # Dora imports her team from a spreadsheet: a preview first, then the invitations
    page.goto("/organisations/maison/import/")
    page.get_by_label("Fichier CSV").set_input_files(
        {"name": "equipe.csv", "mimeType": "text/csv", "buffer": CSV}
    )
    submit(page, "Voir l'aperçu")
    assert page.get_by_text("nina.roux@example.org").is_visible()
    screenshot(page, "1-apercu-import")
    submit(page, "Importer 1 personne et envoyer son invitation")
    link = re.search(r"https?://\S+/invitation/\S+/", mail.outbox[-1].body).group(0)

    # and assigns the demo course to the team, due in two weeks
    due = timezone.localdate() + timedelta(days=14)
    page.goto("/organisations/maison/affectations/")
    page.locator("#id_course").select_option(value=str(demo_course.pk))
    page.locator("#id_team").select_option(value=str(team.pk))
    page.locator("#id_due_on").fill(due.isoformat())
    submit(page, "Affecter")
    assert page.get_by_text(f"« {demo_course.title} » est affectée.").is_visible()

    # Nina accepts the invitation, creates her account and finishes two lessons
    learner = page.context.browser.new_context(base_url=live_server.url)
    nina = learner.new_page()
    nina.goto(urlsplit(link).path)
    nina.locator("#id_password1").fill(PASSWORD)
    nina.locator("#id_password2").fill(PASSWORD)
    with nina.expect_navigation():
        nina.get_by_role("button", name="Créer mon compte et rejoindre").click()
    first_lessons = list(LessonPage.objects.live().descendant_of(demo_course).order_by("path")[:2])
    for lesson in first_lessons:
        nina.goto(lesson.url)
        with nina.expect_navigation():
            nina.get_by_role("button", name="J'ai terminé cette leçon").click()
    screenshot(nina, "2-nina-progresse")
    learner.close()

    # Dora sees Nina in the heatmap, in progress, with her first module started
    page.goto("/organisations/maison/")
    row = page.locator("table.heatmap tbody tr", has_text="Nina")
    assert row.count() == 1
    assert "En cours" in row.inner_text()
    first_module_cell = row.locator("td.heatmap__cell").first.inner_text()
    assert int(first_module_cell.split("%")[0].strip()) > 0
    screenshot(page, "3-tableau-de-bord")

    # and downloads the XLSX of this view: Nina's row is in it
    page.get_by_role("link", name="Exporter cette vue").click()
    page.wait_for_url("**/exports/**")
    page.get_by_label("Excel (XLSX)").check()
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Exporter").click()
    workbook = load_workbook(BytesIO(download_info.value.path().read_bytes()), read_only=True)
    rows = list(workbook.active.iter_rows(values_only=True))
    nina_rows = [row for row in rows if "nina.roux@example.org" in row]
    assert len(nina_rows) == 1
    assert "Communication" in nina_rows[0] and "En cours" in nina_rows[0]
