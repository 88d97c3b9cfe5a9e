"""A small but real crisis-room scenario, authored as a trainer would in the admin, and
builders for pages and runs of it (the style of tests/factories.py)."""

from datetime import timedelta

from courses.scenarios import ScenarioPage, build_script
from tests.factories import add_page


def item(id, author, text, at=0, kind="post", reactions=0, reactions_per_minute=0, shares=0, shares_per_minute=0):
    return {"type": "item", "id": id, "value": {
        "kind": kind, "author": author, "text": text, "at": at, "reactions": reactions,
        "reactions_per_minute": reactions_per_minute, "shares": shares, "shares_per_minute": shares_per_minute}}


def action(id, kind, label, next="", points=None, expert=False, comment="", limit=280, escalate_to=""):
    return {"type": "item", "id": id, "value": {
        "kind": kind, "label": label, "escalate_to": escalate_to, "limit": limit, "next": next,
        "points": [{"type": "item", "id": f"{id}-{axis}", "value": {"axis": axis, "points": value}}
                   for axis, value in (points or {}).items()],
        "expert": expert, "comment": comment}}


def moment(key, title, items, actions, situation="", timeout=None, on_timeout="", pause_allowed=False):
    return {"type": "moment", "id": f"moment-{key}", "value": {
        "key": key, "title": title, "situation": situation, "timeout": timeout, "on_timeout": on_timeout,
        "pause_allowed": pause_allowed, "items": items, "actions": actions}}


def axis(key, label, max, kind="points", target=None, zero_at=None):
    return {"type": "axis", "id": f"axis-{key}", "value": {
        "key": key, "label": label, "kind": kind, "max": max, "target": target, "zero_at": zero_at,
        "description": ""}}


# Mutuelle Horizon (fictional): a member's complaint about an unpaid refund spreads.
MOMENTS = [
    moment("depart", "Une plainte publique", [
        item("plainte", "@julie_m", "Trois semaines que @MutuelleHorizon ne rembourse pas mes lunettes. "
             "Personne ne répond au téléphone. #arnaque", at=0, reactions=12, reactions_per_minute=30,
             shares=3, shares_per_minute=8),
        item("soutien", "@paul_75", "Pareil pour moi depuis janvier…", at=120, kind="reply", reactions=4,
             reactions_per_minute=6),
        item("presse", "Le Quotidien du Nord", "Nous préparons un article sur les délais de remboursement "
             "des mutuelles : acceptez-vous de répondre ?", at=300, kind="private_message"),
    ], [
        action("repondre", "reply", "Répondre publiquement", next="dialogue", expert=True,
               points={"ton": 3, "risque": 2, "coherence": 2},
               comment="Répondre vite, reconnaître le problème, proposer de continuer en message privé."),
        action("masquer", "hide", "Masquer la publication", next="emballement",
               points={"ton": -2, "risque": -2, "coherence": -2},
               comment="Masquer une plainte légitime nourrit l'effet Streisand."),
        action("juridique", "escalate", "Transmettre au service juridique", next="attente-juridique",
               escalate_to="legal", points={"escalade": 1}),
        action("attendre", "wait", "Attendre", next="emballement"),
    ], situation="Une adhérente se plaint publiquement.", timeout=600, on_timeout="emballement"),
    moment("dialogue", "Le dialogue s'engage", [
        item("dossier", "@julie_m", "Merci. Mon numéro de dossier : 48213.", at=60, kind="private_message"),
    ], [
        action("service-client", "escalate", "Transmettre le dossier au service client", escalate_to="customer_service",
               expert=True, points={"escalade": 4, "coherence": 3},
               comment="Le service client traite le dossier ; on revient vers l'adhérente publiquement ensuite."),
        action("attente", "holding_statement", "Publier un message d'attente", limit=500,
               points={"ton": 1, "coherence": 1}),
    ], pause_allowed=True),
    moment("attente-juridique", "Le juridique demande d'attendre", [
        item("consigne", "Service juridique", "Ne répondez rien pour l'instant, nous regardons le dossier.",
             kind="private_message"),
    ], [
        action("communication", "escalate", "Prévenir la direction de la communication", next="dialogue",
               escalate_to="communication", expert=True, points={"escalade": 3, "coherence": 1}),
        action("attendre-feu-vert", "wait", "Attendre le feu vert", next="emballement"),
    ], timeout=300, on_timeout="emballement", pause_allowed=True),
    moment("emballement", "L'emballement", [
        item("article", "Le Quotidien du Nord", "Mutuelle Horizon : des adhérents dénoncent des remboursements "
             "en souffrance.", kind="press", reactions=150, reactions_per_minute=50, shares=40, shares_per_minute=20),
    ], [
        action("message-attente", "holding_statement", "Publier un message d'attente", limit=500, expert=True,
               points={"ton": 2, "coherence": 1, "risque": 1}),
        action("direction", "escalate", "Alerter la direction générale", escalate_to="management",
               points={"escalade": 2}),
    ]),
]

AXES = [
    axis("rapidite", "Rapidité de la première réponse", 10, kind="speed", target=300, zero_at=1200),
    axis("ton", "Ton", 5),
    axis("escalade", "Chaîne d'escalade", 7),
    axis("risque", "Risque juridique maîtrisé", 3),
    axis("coherence", "Cohérence", 5),
]


def scenario_fields(**fields):
    fields.setdefault("organisation", "Mutuelle Horizon")
    fields.setdefault("organisation_description", "Une mutuelle régionale de 40 000 adhérents.")
    fields.setdefault("clock_speed", 10)
    fields.setdefault("time_limit_minutes", 30)
    fields.setdefault("pause_policy", "marked")
    fields.setdefault("moments", MOMENTS)
    fields.setdefault("axes", AXES)
    return fields


def authored_script(**fields):
    """The script a run of the scenario plays, built without a database."""
    fields = scenario_fields(**fields)
    return build_script(
        moments=ScenarioPage._meta.get_field("moments").to_python(fields["moments"]),
        axes=ScenarioPage._meta.get_field("axes").to_python(fields["axes"]),
        speed=fields["clock_speed"], time_limit_minutes=fields["time_limit_minutes"], pause=fields["pause_policy"],
    )


def make_scenario(module, **fields):
    return add_page(module, ScenarioPage, **scenario_fields(**fields))


class FrozenClock:
    """The server's clock, frozen at `now`; `advance(real seconds)` moves it. Patch
    django.utils.timezone.now with it (every thread of the process sees it)."""

    def __init__(self, now):
        self.now = now

    def advance(self, seconds):
        self.now += timedelta(seconds=seconds)

    def __call__(self):
        return self.now


def play_expert_path(user, scenario):
    """`user` (enrolled) plays `scenario` the expert's way, at once, and the run is scored:
    the only way a crisis-room step completes."""
    from courses import scenario_engine as engine
    from courses import scenario_services as services

    run = services.start_run(user=user, scenario=scenario)
    for sequence, (branch, choice) in enumerate(engine.expert_path(run.script)):
        text = "Nous sommes désolés : écrivez-nous en message privé."[: choice["limit"]]
        services.act(user=user, run_id=run.pk, choice_id=choice["id"], branch=branch["key"], sequence=sequence,
                     text=text if choice["kind"] in engine.TEXT_KINDS else "")
    services.score_run(run.pk)
    return run
