"""A trainer imports a GIFT file in a real browser: upload, preview, confirm; the import's
own screens pass axe-core's serious and critical checks."""

import pytest
from django.contrib.auth.models import Group

from learners.roles import TRAINERS_GROUP
from quizzes.models import Question
from tests.factories import make_user
from tests.test_browser import PASSWORD, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

GIFT_FILE = (
    "$CATEGORY: top/Modération\n\n"
    "::Signalement:: Un commentaire haineux se signale à la plateforme. {T#Si : on le signale.}\n\n"
    "Que faire d'une rumeur ? {=Vérifier la source ~%50%Attendre ~Relayer}\n\n"
    "Associez. {=RGPD -> données =CNIL -> autorité =-> réseau}\n"
)


def serious_violations(axe, page, region):
    """axe-core's serious and critical violations inside `region` (a CSS selector)."""
    results = axe.run(page, context=region)
    return [(v["id"], [n["target"] for n in v["nodes"]][:3])
            for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


def test_a_trainer_uploads_previews_and_imports_a_gift_file(browser_page, screenshot):
    from axe_playwright_python.sync_playwright import Axe

    page, axe = browser_page, Axe()
    trainer = make_user(email="formatrice@example.org", password=PASSWORD)
    trainer.groups.add(Group.objects.get(name=TRAINERS_GROUP))
    log_in(page, "formatrice@example.org")

    # the upload form: one labelled file input
    page.goto("/admin/banque-de-questions/gift/")
    assert serious_violations(axe, page, "#main .nice-padding") == []
    page.get_by_label("Fichier GIFT").set_input_files(
        {"name": "moderation.gift", "mimeType": "text/plain", "buffer": GIFT_FILE.encode("utf-8")}
    )
    page.get_by_role("button", name="Voir l'aperçu").click()
    page.wait_for_url("**/gift/apercu/")

    # the preview: each question as learners see it, with its line and theme; nothing saved yet
    assert page.get_by_text("Ligne 3 · vrai ou faux").is_visible()
    assert page.get_by_label("Vérifier la source").is_visible()
    assert page.locator("select").count() == 2  # the decoy is an option, not a row
    assert serious_violations(axe, page, "#main .nice-padding") == []
    screenshot(page, "apercu")
    assert Question.objects.count() == 0

    page.get_by_role("button", name="Importer 3 questions").click()
    page.wait_for_url("**/banque-de-questions/")
    assert page.get_by_text("3 questions importées.").is_visible()
    assert sorted(Question.objects.values_list("tag", flat=True)) == ["Modération"] * 3
