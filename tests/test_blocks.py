"""Every lesson block renders what a learner must see, with accessible markup."""

import pytest
from wagtail.embeds.finders.base import EmbedFinder
from wagtail.images.tests.utils import get_test_image_file
from wagtail.images.models import Image

from courses.blocks import LessonBodyBlock

pytestmark = pytest.mark.django_db

BLOCKS = LessonBodyBlock.base_blocks


class StaticEmbedFinder(EmbedFinder):
    """Stands in for the video provider (an edge we do not own): no network in tests."""

    def accept(self, url):
        return url.startswith("https://video.example/")

    def find_embed(self, url, max_width=None, max_height=None):
        return {
            "title": "Vidéo de démonstration",
            "type": "video",
            "html": '<iframe title="Vidéo de démonstration" src="https://video.example/embed/1"></iframe>',
            "width": 640,
            "height": 360,
        }


def render(name, value):
    block = BLOCKS[name]
    return block.render(block.to_python(value))


def test_every_block_but_the_media_ones_has_a_preview_that_renders():
    for name, block in BLOCKS.items():
        if name in {"image", "video", "table"}:
            continue
        html = block.render(block.get_preview_value())
        assert html.strip(), name


@pytest.mark.parametrize(
    "name, value, expected",
    [
        ("heading", {"text": "Pourquoi ?", "level": "h3"}, ['<h3 class="block-heading">Pourquoi ?</h3>']),
        ("paragraph", "<p>Un <b>texte</b></p>", ["<p>Un <b>texte</b></p>"]),
        (
            "key_figure",
            {"value": "1995", "label": "Premier réseau", "source": "Étude", "source_url": "https://exemple.org/"},
            ["1995", "Premier réseau", 'href="https://exemple.org/"', "Source :"],
        ),
        ("callout", {"kind": "warning", "title": "Prudence", "body": "<p>Attention</p>"}, ["callout--warning", "Prudence"]),
        ("do_dont", {"title": "Publier", "dos": ["Relire"], "donts": ["Insulter"]}, ["À faire", "Relire", "À éviter", "Insulter"]),
        ("quote", {"text": "Tester et apprendre", "attribution": "Une formatrice"}, ["<blockquote>", "— Une formatrice"]),
        ("checklist", {"title": "Avant", "items": ["Un", "Deux"]}, ["<li>Un</li>", "<li>Deux</li>"]),
        (
            "case_study",
            {"title": "Cas", "context": "<p>Contexte</p>", "steps": [{"title": "Détecter", "body": "<p>Voir</p>"}], "takeaway": "<p>Leçon</p>"},
            ["Étape 1", "Détecter", "À retenir"],
        ),
        (
            "exercise",
            {"title": "À vous de jouer", "instructions": "<p>Faites-le</p>", "steps": ["Ouvrir"], "duration_minutes": 10},
            ["À vous de jouer", "Environ 10 min", "<li>Ouvrir</li>"],
        ),
    ],
)
def test_block_renders(name, value, expected):
    html = render(name, value)
    for fragment in expected:
        assert fragment in html


def test_table_renders_headers_caption_and_row_headers():
    html = render(
        "table",
        {
            "caption": "Trois risques",
            "columns": [{"type": "text", "heading": "Risque"}, {"type": "text", "heading": "Réflexe"}],
            "rows": [{"values": ["Piratage", "Double authentification"]}],
        },
    )
    assert "<caption>Trois risques</caption>" in html
    assert '<th scope="col">Risque</th>' in html
    assert '<th scope="row">Piratage</th>' in html
    assert "<td>Double authentification</td>" in html


def test_image_renders_with_its_alt_text_and_caption():
    image = Image.objects.create(title="Capture", file=get_test_image_file())
    html = render("image", {"image": {"image": image.pk, "alt_text": "Écran des réglages", "decorative": False}, "caption": "Les réglages"})
    assert 'alt="Écran des réglages"' in html
    assert "<figcaption>Les réglages</figcaption>" in html


def test_video_renders_the_embed_title_and_transcript(settings):
    settings.WAGTAILEMBEDS_FINDERS = [{"class": "tests.test_blocks.StaticEmbedFinder"}]
    html = render(
        "video",
        {"video": "https://video.example/1", "title": "Paramétrer son compte", "transcript": "<p>Bonjour</p>"},
    )
    assert '<iframe title="Vidéo de démonstration"' in html
    assert "Paramétrer son compte" in html
    assert "Lire la transcription" in html
