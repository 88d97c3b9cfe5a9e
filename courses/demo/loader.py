"""Loads the French demo course from `course_fr.json` into the page tree, and the crisis
module's crisis room from `scenario_fr.json`.

The JSON is an authoring format, independent of how blocks store their values; this
module translates it. Loading is idempotent: pages are found by slug under their parent
and only get a new published revision when their content changed."""

import json
import uuid
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from wagtail.blocks import StreamValue
from wagtail.fields import StreamField

from courses.models import CourseIndexPage, CoursePage, LessonPage, ModulePage
from courses.scenarios import ScenarioPage
from home.models import HomePage
from home.sanitize import clean_plain_text, clean_rich_text

DEMO_DIR = Path(__file__).resolve().parent
COURSE_FILE = DEMO_DIR / "course_fr.json"
SCENARIO_FILE = DEMO_DIR / "scenario_fr.json"
CATALOGUE_SLUG = "formations"

RICH_TEXT_KEYS = {"body", "context", "instructions", "takeaway", "model_answer"}


def read_course(path=COURSE_FILE):
    return json.loads(Path(path).read_text(encoding="utf-8"))


def read_scenario(path=SCENARIO_FILE):
    return json.loads(Path(path).read_text(encoding="utf-8"))


@transaction.atomic
def load_course(data, scenario=None):
    """Create or update the catalogue, the course, its modules and lessons, and the
    crisis room `scenario` (the demo's by default) in its module, after the lessons.
    Returns (course page, number of pages created, number of pages updated). A scenario
    the admin would refuse raises ValidationError and nothing is written."""
    scenario = read_scenario() if scenario is None else scenario
    counts = {"created": 0, "updated": 0}
    home = HomePage.objects.get()
    catalogue = upsert_child(
        home,
        CourseIndexPage,
        counts,
        slug=CATALOGUE_SLUG,
        title="Formations",
        intro="<p>Des parcours courts, concrets et pratiques pour utiliser les réseaux sociaux en équipe.</p>",
    )
    meta = data["course"]
    course = upsert_child(
        catalogue,
        CoursePage,
        counts,
        slug=meta["slug"],
        title=meta["title"],
        intro=clean_rich_text(meta["intro"]),
        objectives=objectives(meta["objectives"]),
        audience=clean_plain_text(meta["audience"]),
        level=meta["level"],
        search_description=meta.get("search_description", ""),
    )
    modules = {}
    for module_data in data["modules"]:
        module = modules[module_data["slug"]] = upsert_child(
            course,
            ModulePage,
            counts,
            slug=module_data["slug"],
            title=module_data["title"],
            theme=module_data["theme"],
            intro=clean_rich_text(module_data["intro"]),
            objectives=objectives(module_data["objectives"]),
        )
        for lesson_data in module_data["lessons"]:
            upsert_child(
                module,
                LessonPage,
                counts,
                slug=lesson_data["slug"],
                title=lesson_data["title"],
                summary=lesson_data.get("summary", ""),
                estimated_minutes=lesson_data["estimated_minutes"],
                body=[with_stable_id(lesson_block(block), lesson_data["slug"], number)
                      for number, block in enumerate(lesson_data["body"])],
            )
    if scenario:
        load_scenario(modules[scenario["module"]], scenario, counts)
    return course, counts["created"], counts["updated"]


# --- The crisis room ------------------------------------------------------------------------


def scenario_fields(data):
    """The ScenarioPage fields of an authoring-format scenario. Block ids are the
    authored keys, so the feed items and actions keep the same ids from load to load."""
    return {
        "title": data["title"],
        "intro": clean_rich_text(data["intro"]),
        "organisation": data["organisation"],
        "organisation_description": data.get("organisation_description", ""),
        "clock_speed": data["clock_speed"],
        "time_limit_minutes": data["time_limit_minutes"],
        "pause_policy": data["pause_policy"],
        "estimated_minutes": data["estimated_minutes"],
        "moments": [moment_block(moment) for moment in data["moments"]],
        "axes": [
            {"type": "axis", "id": f"axe-{axis['key']}", "value": {
                "key": axis["key"], "label": axis["label"], "kind": axis["kind"], "max": axis["max"],
                "target": axis.get("target"), "zero_at": axis.get("zero_at"),
                "description": axis.get("description", ""),
            }}
            for axis in data["axes"]
        ],
        "expert_summary": clean_rich_text(data.get("expert_summary", "")),
    }


def moment_block(moment):
    key = moment["key"]
    items = [
        {"type": "item", "id": item["id"], "value": {
            "kind": item["kind"], "author": item["author"], "text": item["text"], "at": item.get("at", 0),
            "reactions": item.get("reactions", 0), "reactions_per_minute": item.get("reactions_per_minute", 0),
            "shares": item.get("shares", 0), "shares_per_minute": item.get("shares_per_minute", 0),
        }}
        for item in moment["items"]
    ]
    actions = [
        {"type": "item", "id": action["id"], "value": {
            "kind": action["kind"], "label": action["label"], "escalate_to": action.get("escalate_to", ""),
            "limit": action.get("limit"), "next": action.get("next", ""),
            "points": [
                {"type": "item", "id": f"{action['id']}-{axis}", "value": {"axis": axis, "points": points}}
                for axis, points in action.get("points", {}).items()
            ],
            "expert": action.get("expert", False), "comment": action.get("comment", ""),
        }}
        for action in moment["actions"]
    ]
    return {"type": "moment", "id": f"moment-{key}", "value": {
        "key": key, "title": moment["title"], "situation": moment.get("situation", ""),
        "timeout": moment.get("timeout"), "on_timeout": moment.get("on_timeout", ""),
        "pause_allowed": moment.get("pause_allowed", False), "items": items, "actions": actions,
    }}


def check_scenario(fields):
    """Refuse, as the admin would, a scenario that cannot be played: each field
    validated (its validators, its choices; each StreamField's blocks as the admin form
    cleans them), then the page's own checks."""
    page = ScenarioPage(slug="verification", **fields)
    errors = []
    for name in fields:
        field = ScenarioPage._meta.get_field(name)
        try:
            if isinstance(field, StreamField):
                field.stream_block.clean(getattr(page, name))
            else:
                field.clean(getattr(page, name), page)
        except ValidationError as error:
            errors.append(f"{name} : {' '.join(error.messages)}")
    if not errors:
        try:
            page.clean()
        except ValidationError as error:
            errors.extend(error.messages)
    if errors:
        raise ValidationError(f"La salle de crise « {fields['title']} » ne peut pas être jouée : {' ; '.join(errors)}")


def load_scenario(module, data, counts):
    """The crisis room of `module`, checked, created or brought up to date, and placed
    right after the module's last lesson (before its quiz)."""
    fields = scenario_fields(data)
    check_scenario(fields)
    scenario = upsert_child(module, ScenarioPage, counts, slug=data["slug"], **fields)
    last_lesson = LessonPage.objects.child_of(module).order_by("-path").first()
    if last_lesson is not None and scenario.get_prev_sibling() != last_lesson:
        scenario.move(last_lesson, pos="right")
    return scenario


def objectives(items):
    return [{"type": "objective", "value": clean_plain_text(item)} for item in items]


def lesson_block(block):
    """One authoring-format block -> the raw value the StreamField stores."""
    kind, value = block["type"], block["value"]
    if kind == "paragraph":
        return {"type": kind, "value": clean_rich_text(value)}
    if kind == "table":
        return {
            "type": kind,
            "value": {
                "caption": value.get("caption", ""),
                "columns": [{"type": "text", "heading": heading} for heading in value["header"]],
                "rows": [{"values": row} for row in value["rows"]],
            },
        }
    if kind == "case_study":
        value = dict(value, steps=[clean_struct(step) for step in value["steps"]])
    return {"type": kind, "value": clean_struct(value)}


def with_stable_id(block, lesson_slug, number):
    """An exercise keeps the same block id from one load to the next (the learners'
    answers are kept under it, see learners.exercises), whatever else changed."""
    if block["type"] == "exercise":
        block["id"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"passerelle-demo:{lesson_slug}:{number}"))
    return block


def clean_struct(value):
    return {key: clean_rich_text(item) if key in RICH_TEXT_KEYS else item for key, item in value.items()}


def upsert_child(parent, page_class, counts, *, slug, **fields):
    """The child of `parent` with this slug, created or brought up to date and published."""
    page = page_class.objects.child_of(parent).filter(slug=slug).first()
    if page is None:
        page = page_class(slug=slug, **fields)
        parent.add_child(instance=page)
        page.save_revision().publish()
        counts["created"] += 1
        return page
    changed = [name for name, value in fields.items() if stored(page, name, getattr(page, name)) != stored(page, name, value)]
    if changed or not page.live or page.has_unpublished_changes:
        for name, value in fields.items():
            setattr(page, name, value)
        page.save_revision().publish()
        counts["updated"] += 1
    return page


def stored(page, name, value):
    """`value` as the database would hold it in field `name`, minus block ids."""
    field = page._meta.get_field(name)
    if isinstance(field, StreamField) and not isinstance(value, StreamValue):
        value = field.to_python(value)
    return comparable(field.get_prep_value(value))


def comparable(value):
    if isinstance(value, dict):
        return {key: comparable(item) for key, item in value.items() if key != "id"}
    if isinstance(value, (list, tuple)):
        return [comparable(item) for item in value]
    return value
