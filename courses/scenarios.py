"""The crisis room: a ScenarioPage (a step of a module) plays a simulated feed about a
fictional organisation on a server-driven clock; each of the learner's actions leads to
the next moment (branch), and the run is scored per axis when it ends.

The trainer authors everything here, in the Wagtail admin: moments with their items and
actions, and the scoring axes. When a learner starts, the page is frozen into the run as
a plain *script* (`ScenarioPage.script()`), which `courses.scenario_engine` plays."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, validate_slug
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page
from wagtail.search import index

from courses import scenario_engine as engine
from courses.blocks import TEXT_FEATURES
from courses.models import StepPage

# The longest message a learner may write, whatever the action's own limit.
MAX_TEXT = 5_000

ITEM_KINDS = [
    ("post", _("Publication")),
    ("reply", _("Réponse")),
    ("private_message", _("Message privé")),
    ("press", _("Article de presse")),
]
ACTION_KINDS = [
    (engine.REPLY, _("Répondre")),
    (engine.HIDE, _("Masquer")),
    (engine.ESCALATE, _("Faire remonter")),
    (engine.HOLDING_STATEMENT, _("Publier un message d'attente")),
    (engine.WAIT, _("Attendre")),
]
ESCALATION_TARGETS = [
    ("legal", _("Service juridique")),
    ("communication", _("Direction de la communication")),
    ("customer_service", _("Service client")),
    ("management", _("Direction générale")),
]
PAUSE_POLICIES = [
    (engine.PAUSE_NEVER, _("Jamais")),
    (engine.PAUSE_ANYTIME, _("À tout moment")),
    (engine.PAUSE_MARKED, _("Seulement aux moments marqués « pause permise »")),
]
AXIS_KINDS = [
    (engine.AXIS_POINTS, _("Somme des points des actions")),
    (engine.AXIS_SPEED, _("Rapidité de la première réponse")),
]


class KeyBlock(blocks.CharBlock):
    def __init__(self, **kwargs):
        super().__init__(max_length=50, validators=[validate_slug], **kwargs)


class FeedItemBlock(blocks.StructBlock):
    kind = blocks.ChoiceBlock(choices=ITEM_KINDS, label=_("type"), default="post")
    author = blocks.CharBlock(label=_("auteur"), max_length=120)
    text = blocks.TextBlock(label=_("texte"))
    at = blocks.IntegerBlock(
        label=_("publié à (secondes)"), min_value=0, default=0,
        help_text=_("En secondes du scénario, depuis l'arrivée dans ce moment."),
    )
    reactions = blocks.IntegerBlock(label=_("réactions au départ"), min_value=0, default=0)
    reactions_per_minute = blocks.IntegerBlock(
        label=_("réactions par minute"), min_value=0, default=0,
        help_text=_("Elles augmentent tant que personne n'agit."),
    )
    shares = blocks.IntegerBlock(label=_("partages au départ"), min_value=0, default=0)
    shares_per_minute = blocks.IntegerBlock(label=_("partages par minute"), min_value=0, default=0)

    class Meta:
        icon = "comment"
        label = _("élément du fil")


class AxisPointsBlock(blocks.StructBlock):
    axis = KeyBlock(label=_("axe (identifiant)"))
    points = blocks.IntegerBlock(label=_("points"), min_value=-100, max_value=100)

    class Meta:
        icon = "pick"
        label = _("points")


class ActionBlock(blocks.StructBlock):
    kind = blocks.ChoiceBlock(choices=ACTION_KINDS, label=_("type d'action"), default=engine.REPLY)
    label = blocks.CharBlock(label=_("intitulé du bouton"), max_length=120)
    escalate_to = blocks.ChoiceBlock(choices=ESCALATION_TARGETS, label=_("faire remonter à"), required=False)
    limit = blocks.IntegerBlock(
        label=_("limite de caractères"), min_value=1, max_value=MAX_TEXT, required=False, default=280,
        help_text=_("Pour une réponse ou un message d'attente."),
    )
    next = KeyBlock(
        label=_("moment suivant (identifiant)"), required=False,
        help_text=_("Laisser vide : l'action termine le scénario."),
    )
    points = blocks.ListBlock(AxisPointsBlock(), label=_("points par axe"), default=[])
    expert = blocks.BooleanBlock(label=_("choix de l'expert"), required=False)
    comment = blocks.TextBlock(label=_("commentaire pour le bilan"), required=False)

    class Meta:
        icon = "form"
        label = _("action possible")


class MomentBlock(blocks.StructBlock):
    key = KeyBlock(label=_("identifiant"), help_text=_("Par exemple « depart ». Le premier moment ouvre le scénario."))
    title = blocks.CharBlock(label=_("titre"), max_length=120)
    situation = blocks.TextBlock(label=_("situation"), required=False)
    timeout = blocks.IntegerBlock(
        label=_("délai (secondes)"), min_value=1, required=False,
        help_text=_("Si personne n'agit dans ce délai (en secondes du scénario), on passe au moment ci-dessous."),
    )
    on_timeout = KeyBlock(label=_("moment après le délai (identifiant)"), required=False)
    pause_allowed = blocks.BooleanBlock(label=_("pause permise"), required=False)
    items = blocks.ListBlock(FeedItemBlock(), label=_("fil"))
    actions = blocks.ListBlock(ActionBlock(), label=_("actions possibles"))

    class Meta:
        icon = "time"
        label = _("moment")


class AxisBlock(blocks.StructBlock):
    key = KeyBlock(label=_("identifiant"), help_text=_("Par exemple « rapidite », « ton », « escalade »."))
    label = blocks.CharBlock(label=_("intitulé"), max_length=120)
    kind = blocks.ChoiceBlock(choices=AXIS_KINDS, label=_("calcul"), default=engine.AXIS_POINTS)
    max = blocks.IntegerBlock(label=_("points maximum"), min_value=1, max_value=1000, default=10)
    target = blocks.IntegerBlock(
        label=_("rapidité : tous les points avant (secondes)"), min_value=0, required=False,
    )
    zero_at = blocks.IntegerBlock(label=_("rapidité : aucun point après (secondes)"), min_value=0, required=False)
    description = blocks.TextBlock(label=_("ce que l'axe mesure"), required=False)

    class Meta:
        icon = "pick"
        label = _("axe de notation")


class ScenarioPage(StepPage):
    """A crisis room: a timed feed, the learner's actions, branches, a scored debrief."""

    template = "courses/scenario/scenario_page.html"

    intro = RichTextField(_("consigne"), blank=True, features=TEXT_FEATURES)
    organisation = models.CharField(_("organisation fictive"), max_length=120)
    organisation_description = models.TextField(_("présentation de l'organisation"), blank=True)
    clock_speed = models.PositiveSmallIntegerField(
        _("vitesse de l'horloge"), default=10, validators=[MinValueValidator(1), MaxValueValidator(120)],
        help_text=_("Une seconde réelle vaut ce nombre de secondes du scénario (temps accéléré)."),
    )
    time_limit_minutes = models.PositiveSmallIntegerField(
        _("durée du scénario (minutes du scénario)"), default=60,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 60)],
    )
    pause_policy = models.CharField(
        _("pause"), max_length=16, choices=PAUSE_POLICIES, default=engine.PAUSE_NEVER,
    )
    estimated_minutes = models.PositiveSmallIntegerField(
        _("durée estimée (minutes)"), default=10, validators=[MinValueValidator(1), MaxValueValidator(240)]
    )
    moments = StreamField(
        [("moment", MomentBlock())], verbose_name=_("moments"),
        help_text=_("Le premier moment ouvre le scénario ; chaque action mène au moment suivant."),
    )
    axes = StreamField([("axis", AxisBlock())], verbose_name=_("axes de notation"))
    expert_summary = RichTextField(_("synthèse de l'expert (bilan)"), blank=True, features=TEXT_FEATURES)

    content_panels = Page.content_panels + [
        FieldPanel("intro"),
        MultiFieldPanel(
            [FieldPanel("organisation"), FieldPanel("organisation_description")], heading=_("Organisation fictive")
        ),
        MultiFieldPanel(
            [
                FieldPanel("clock_speed"),
                FieldPanel("time_limit_minutes"),
                FieldPanel("pause_policy"),
                FieldPanel("estimated_minutes"),
            ],
            heading=_("Horloge"),
        ),
        FieldPanel("moments"),
        FieldPanel("axes"),
        FieldPanel("expert_summary"),
    ]

    search_fields = Page.search_fields + [index.SearchField("intro"), index.SearchField("organisation")]

    parent_page_types = ["courses.ModulePage"]
    subpage_types = []

    class Meta:
        verbose_name = _("salle de crise")
        verbose_name_plural = _("salles de crise")

    # A scenario is completed by a scored run, never by the learner's word.
    completed_by_learner = False

    def completion_earned(self, user):
        return self.runs.filter(user=user, status=ScenarioRun.Status.SCORED).exists()

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        if context["access"] is not None and request.user.is_authenticated:
            runs = list(self.runs.filter(user=request.user).defer("script").order_by("-number"))
            context["overview"] = {
                "runs": runs,
                "playing": next((run for run in runs if run.status == ScenarioRun.Status.PLAYING), None),
            }
        return context

    def clean(self):
        super().clean()
        errors = engine.script_errors(self.script())
        keys = [block.value["key"] for block in self.moments]
        for key in sorted({key for key in keys if keys.count(key) > 1}):
            errors.append(_("Deux moments ont le même identifiant « %(key)s ».") % {"key": key})
        if errors:
            raise ValidationError([str(error) for error in errors])

    def script(self):
        """This page as the plain script a run plays (see courses.scenario_engine)."""
        return build_script(
            moments=self.moments, axes=self.axes, speed=self.clock_speed,
            time_limit_minutes=self.time_limit_minutes, pause=self.pause_policy,
        )


def build_script(*, moments, axes, speed, time_limit_minutes, pause):
    """The plain script of authored `moments` and `axes` (StreamField values)."""
    branches = {}
    for block in moments:
        moment = block.value
        key = moment["key"]
        items = [
            {
                "id": f"{key}:{child.id or index}",
                "kind": item["kind"],
                "author": item["author"],
                "text": item["text"],
                "at": item["at"] or 0,
                "reactions": item["reactions"] or 0,
                "reactions_per_minute": item["reactions_per_minute"] or 0,
                "shares": item["shares"] or 0,
                "shares_per_minute": item["shares_per_minute"] or 0,
            }
            for index, child in enumerate(moment["items"].bound_blocks)
            for item in [child.value]
        ]
        choices = [
            {
                "id": f"{key}:{child.id or index}",
                "kind": action["kind"],
                "label": action["label"],
                "escalate_to": action["escalate_to"] or "",
                "limit": min(action["limit"] or MAX_TEXT, MAX_TEXT),
                "next": action["next"] or "",
                "points": {row["axis"]: row["points"] or 0 for row in action["points"]},
                "expert": bool(action["expert"]),
                "comment": action["comment"] or "",
            }
            for index, child in enumerate(moment["actions"].bound_blocks)
            for action in [child.value]
        ]
        branches.setdefault(key, {
            "key": key,
            "title": moment["title"],
            "situation": moment["situation"] or "",
            "timeout": moment["timeout"] or None,
            "on_timeout": moment["on_timeout"] or "",
            "pause_allowed": bool(moment["pause_allowed"]),
            "items": items,
            "choices": choices,
        })
    axes = [
        {
            "key": axis["key"],
            "label": axis["label"],
            "kind": axis["kind"],
            "max": axis["max"] or 0,
            "target": axis["target"] or 0,
            "zero_at": axis["zero_at"] or 0,
            "description": axis["description"] or "",
        }
        for axis in (block.value for block in axes)
    ]
    return {
        "speed": speed,
        "time_limit": time_limit_minutes * 60,
        "pause": pause,
        "start": moments[0].value["key"] if len(moments) else "",
        "axes": axes,
        "branches": branches,
    }


class ScenarioRun(models.Model):
    """One play of a scenario by a learner. The script is frozen at the start: a trainer
    editing the page never changes a run under way. Its clock is the server's."""

    class Status(models.TextChoices):
        PLAYING = "playing", _("En cours")  # the clock runs (or is paused)
        ENDED = "ended", _("Terminé, notation en cours")  # ended; the scoring task is queued
        SCORED = "scored", _("Noté")  # scored once, the step completed

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="scenario_runs")
    scenario = models.ForeignKey(ScenarioPage, on_delete=models.CASCADE, related_name="runs")
    number = models.PositiveIntegerField(_("numéro"))
    status = models.CharField(_("état"), max_length=16, choices=Status.choices, default=Status.PLAYING)
    script = models.JSONField(_("scénario joué"))
    started_at = models.DateTimeField(_("commencé le"))
    paused_at = models.DateTimeField(_("en pause depuis"), null=True, blank=True)
    paused_seconds = models.FloatField(_("temps de pause (secondes réelles)"), default=0)
    ended_at = models.DateTimeField(_("terminé le"), null=True, blank=True)
    end_reason = models.CharField(_("fin"), max_length=16, blank=True)
    ended_scenario_seconds = models.FloatField(null=True, blank=True)
    result = models.JSONField(_("score par axe"), null=True, blank=True)
    percent = models.PositiveSmallIntegerField(_("score (%)"), null=True, blank=True)
    scored_at = models.DateTimeField(_("noté le"), null=True, blank=True)
    # How many times scoring ran: 1 once scored, whatever the deliveries of its message.
    score_count = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("partie de salle de crise")
        constraints = [
            models.UniqueConstraint(fields=["user", "scenario", "number"], name="unique_scenario_run_number"),
            models.UniqueConstraint(
                fields=["user", "scenario"], condition=Q(status="playing"), name="one_playing_run_per_scenario"
            ),
        ]
        indexes = [models.Index(fields=["status", "ended_at"], name="scenario_run_status_ended")]

    def __str__(self):
        return f"{self.scenario_id} #{self.number} ({self.user_id})"


class ScenarioAction(models.Model):
    """What the learner did, at which scenario second. `text` is stored as typed."""

    run = models.ForeignKey(ScenarioRun, on_delete=models.CASCADE, related_name="actions")
    sequence = models.PositiveIntegerField()
    branch = models.CharField(max_length=120)
    choice = models.CharField(max_length=120)
    text = models.TextField(blank=True)
    at = models.FloatField(_("seconde du scénario"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("action dans une salle de crise")
        ordering = ["sequence"]
        constraints = [models.UniqueConstraint(fields=["run", "sequence"], name="unique_scenario_action_sequence")]

    def as_engine_action(self):
        return {"choice": self.choice, "branch": self.branch, "at": self.at, "text": self.text}
