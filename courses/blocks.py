"""The blocks a lesson is written with. Each carries its template, icon, description and
preview, so trainers see in the admin what the learner will see."""

import re

from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.contrib.typed_table_block.blocks import TypedTableBlock
from wagtail.embeds.blocks import EmbedBlock
from wagtail.images.blocks import ImageBlock

TEXT_FEATURES = ["bold", "italic", "link", "ol", "ul"]


def rich_text(label, required=True):
    return blocks.RichTextBlock(label=label, features=TEXT_FEATURES, required=required)


class HeadingBlock(blocks.StructBlock):
    text = blocks.CharBlock(label=_("texte"), max_length=200)
    level = blocks.ChoiceBlock(
        label=_("niveau"), choices=[("h2", _("Titre de section")), ("h3", _("Sous-titre"))], default="h2"
    )

    class Meta:
        icon = "title"
        label = _("Titre")
        template = "courses/blocks/heading.html"
        description = _("Un titre de section, pour découper la leçon.")
        preview_value = {"text": "Pourquoi protéger ses comptes ?", "level": "h2"}


class KeyFigureBlock(blocks.StructBlock):
    value = blocks.CharBlock(label=_("chiffre"), max_length=40)
    label = blocks.CharBlock(label=_("ce qu'il mesure"), max_length=255)
    source = blocks.CharBlock(label=_("source"), max_length=255)
    source_url = blocks.URLBlock(label=_("lien vers la source"), required=False)

    class Meta:
        icon = "pick"
        label = _("Chiffre clé")
        template = "courses/blocks/key_figure.html"
        description = _("Un chiffre marquant, toujours avec sa source.")
        preview_value = {"value": "1995", "label": "Premier réseau social en ligne", "source": "Exemple"}


class CalloutBlock(blocks.StructBlock):
    kind = blocks.ChoiceBlock(
        label=_("type"),
        choices=[("tip", _("Astuce")), ("warning", _("Attention")), ("example", _("Exemple"))],
        default="tip",
    )
    title = blocks.CharBlock(label=_("titre"), max_length=200, required=False)
    body = rich_text(_("texte"))

    class Meta:
        icon = "help"
        label = _("Encadré")
        template = "courses/blocks/callout.html"
        description = _("Une astuce, une mise en garde ou un exemple mis en valeur.")
        preview_value = {"kind": "tip", "title": "Astuce", "body": "<p>Activez la double authentification.</p>"}


class DoDontBlock(blocks.StructBlock):
    title = blocks.CharBlock(label=_("titre"), max_length=200, required=False)
    dos = blocks.ListBlock(blocks.CharBlock(label=_("à faire")), label=_("À faire"))
    donts = blocks.ListBlock(blocks.CharBlock(label=_("à éviter")), label=_("À éviter"))

    class Meta:
        icon = "tasks"
        label = _("À faire / à éviter")
        template = "courses/blocks/do_dont.html"
        description = _("Deux listes côte à côte : les bons réflexes et les erreurs à éviter.")
        preview_value = {"title": "Publier", "dos": ["Relire avant de publier"], "donts": ["Répondre à chaud"]}


class TableBlock(TypedTableBlock):
    text = blocks.CharBlock(label=_("texte"))
    number = blocks.DecimalBlock(label=_("nombre"))

    class Meta:
        icon = "table"
        label = _("Tableau")
        template = "courses/blocks/table.html"
        description = _("Un tableau avec une ligne d'en-tête et une légende.")


class QuoteBlock(blocks.StructBlock):
    text = blocks.TextBlock(label=_("citation"))
    attribution = blocks.CharBlock(label=_("auteur ou source"), max_length=255, required=False)

    class Meta:
        icon = "openquote"
        label = _("Citation")
        template = "courses/blocks/quote.html"
        description = _("Une citation et son auteur.")
        preview_value = {"text": "Tester, mesurer, ajuster.", "attribution": "Exemple"}


class FigureBlock(blocks.StructBlock):
    image = ImageBlock(label=_("image"))
    caption = blocks.CharBlock(label=_("légende"), max_length=255, required=False)

    class Meta:
        icon = "image"
        label = _("Image")
        template = "courses/blocks/image.html"
        description = _("Une image avec son texte alternatif et une légende.")


class VideoBlock(blocks.StructBlock):
    video = EmbedBlock(label=_("adresse de la vidéo"))
    title = blocks.CharBlock(label=_("titre"), max_length=200)
    transcript = rich_text(_("transcription"), required=False)

    class Meta:
        icon = "media"
        label = _("Vidéo")
        template = "courses/blocks/video.html"
        description = _("Une vidéo intégrée, avec sa transcription pour qui ne peut pas l'écouter.")


class ChecklistBlock(blocks.StructBlock):
    title = blocks.CharBlock(label=_("titre"), max_length=200)
    items = blocks.ListBlock(blocks.CharBlock(label=_("point")), label=_("points à vérifier"))

    class Meta:
        icon = "list-ul"
        label = _("Liste de vérification")
        template = "courses/blocks/checklist.html"
        description = _("Les points à vérifier, un par un.")
        preview_value = {"title": "Avant de publier", "items": ["Orthographe relue", "Lien testé"]}


class CaseStepBlock(blocks.StructBlock):
    title = blocks.CharBlock(label=_("titre de l'étape"), max_length=200)
    body = rich_text(_("déroulé"))


class CaseStudyBlock(blocks.StructBlock):
    title = blocks.CharBlock(label=_("titre"), max_length=200)
    context = rich_text(_("contexte"))
    steps = blocks.ListBlock(CaseStepBlock(), label=_("étapes"))
    takeaway = rich_text(_("à retenir"), required=False)

    class Meta:
        icon = "doc-full"
        label = _("Étude de cas")
        template = "courses/blocks/case_study.html"
        description = _("Un cas réaliste, déroulé étape par étape.")
        preview_value = {
            "title": "Un commentaire qui s'emballe",
            "context": "<p>Un vendredi soir, un client mécontent publie…</p>",
            "steps": [{"title": "Détecter", "body": "<p>La veille repère le message.</p>"}],
            "takeaway": "<p>Répondre vite, sur un ton calme.</p>",
        }


# The longest answer a learner may type under an exercise (characters).
EXERCISE_ANSWER_MAX_LENGTH = 4000


class ExerciseBlock(blocks.StructBlock):
    """A practical exercise. With a model answer or a checklist it gives something back:
    the learner may type their answer, says they are done, then compares it with the
    model answer and ticks the checklist (learners.exercises). The model answer is never
    in the page before they say they are done: the rendered lesson keeps a marker in its
    place (EXERCISE_MARKER), filled per request with the learner's own state
    (courses.serving)."""

    title = blocks.CharBlock(label=_("titre"), max_length=200, default=_("À vous de jouer"))
    instructions = rich_text(_("consigne"))
    steps = blocks.ListBlock(blocks.CharBlock(label=_("étape")), label=_("étapes"))
    duration_minutes = blocks.IntegerBlock(label=_("durée (minutes)"), min_value=1, max_value=240, required=False)
    model_answer = blocks.RichTextBlock(
        label=_("réponse modèle"),
        features=TEXT_FEATURES,
        required=False,
        help_text=_("Montrée à l'apprenant seulement après qu'il a dit avoir terminé, à côté de sa propre réponse."),
    )
    checklist = blocks.ListBlock(
        blocks.CharBlock(label=_("critère"), max_length=200),
        label=_("critères d'auto-évaluation"),
        default=[],
        help_text=_("Des critères courts que l'apprenant coche une fois l'exercice terminé."),
    )

    class Meta:
        icon = "pick"
        label = _("À vous de jouer")
        template = "courses/blocks/exercise.html"
        description = _("Un exercice concret, sur ses propres comptes ou ceux de son organisation.")
        preview_value = {
            "title": "À vous de jouer",
            "instructions": "<p>Vérifiez les paramètres de confidentialité de votre compte.</p>",
            "steps": ["Ouvrez les paramètres", "Notez ce qui est public"],
            "duration_minutes": 10,
            "model_answer": "<p>Seuls le nom et la photo de profil restent publics.</p>",
            "checklist": ["Profil vu comme un inconnu", "Date de naissance masquée"],
        }

    def render(self, value, context=None, block_id=None):
        context = dict(context or {})
        context["block_id"] = block_id
        context["exercise_marker"] = exercise_marker(block_id) if block_id and gives_feedback(value) else ""
        return super().render(value, context=context)


# In a rendered lesson, where an exercise's answer area goes: filled per request.
EXERCISE_MARKER = re.compile(r"<@X([A-Za-z0-9_-]{1,64})>")


def exercise_marker(block_id):
    return mark_safe(f"<@X{block_id}>")


def gives_feedback(value):
    """Whether an exercise has something to compare with (a model answer or a checklist)."""
    return bool(value.get("model_answer") and value["model_answer"].source.strip()) or bool(value.get("checklist"))


def feedback_exercises(page):
    """{block id: exercise value} for the exercises of lesson `page` that give feedback."""
    return {
        child.id: child.value
        for child in getattr(page, "body", ())
        if child.block_type == "exercise" and gives_feedback(child.value)
    }


class SourceBlock(blocks.StructBlock):
    title = blocks.CharBlock(label=_("titre du document"), max_length=255)
    publisher = blocks.CharBlock(label=_("auteur ou éditeur"), max_length=255)
    url = blocks.URLBlock(label=_("lien vers le document"))
    note = blocks.CharBlock(label=_("ce que la leçon en retient"), max_length=255, required=False)


class SourcesBlock(blocks.StructBlock):
    """The primary sources a lesson relies on (the study, the report, the legal text
    itself), each with its link, listed under the text."""

    items = blocks.ListBlock(SourceBlock(), label=_("sources"), min_num=1)

    class Meta:
        icon = "link"
        label = _("Sources")
        template = "courses/blocks/sources.html"
        description = _("Les sources primaires de la leçon (étude, rapport, texte officiel), chacune avec son lien.")
        preview_value = {
            "items": [
                {
                    "title": "Règlement (UE) 2016/679 (RGPD)",
                    "publisher": "Journal officiel de l'Union européenne",
                    "url": "https://eur-lex.europa.eu/legal-content/FR/TXT/?uri=CELEX:32016R0679",
                    "note": "Art. 33\u00a0: notification d'une violation de données",
                }
            ]
        }


class LessonBodyBlock(blocks.StreamBlock):
    heading = HeadingBlock()
    paragraph = blocks.RichTextBlock(
        label=_("Paragraphe"),
        features=TEXT_FEATURES,
        icon="pilcrow",
        template="courses/blocks/paragraph.html",
        description=_("Du texte mis en forme."),
        preview_value="<p>Les réseaux sociaux relient des personnes avant de relier des marques.</p>",
    )
    key_figure = KeyFigureBlock()
    callout = CalloutBlock()
    do_dont = DoDontBlock()
    table = TableBlock()
    quote = QuoteBlock()
    image = FigureBlock()
    video = VideoBlock()
    checklist = ChecklistBlock()
    case_study = CaseStudyBlock()
    exercise = ExerciseBlock()
    sources = SourcesBlock()

    def render_basic(self, value, context=None):
        # As Wagtail's, but an exercise learns its block id (its answers are kept under it).
        return format_html_join(
            "\n",
            '<div class="w-block-{1} block-{1}">{0}</div>',
            [
                (
                    child.block.render(child.value, context=context, block_id=child.id)
                    if isinstance(child.block, ExerciseBlock)
                    else child.render(context=context),
                    child.block_type,
                )
                for child in value
            ],
        )
