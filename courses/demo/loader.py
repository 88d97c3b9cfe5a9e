"""Loads the French demo course from `course_fr.json` into the page tree.

The JSON is an authoring format, independent of how blocks store their values; this
module translates it. Loading is idempotent: pages are found by slug under their parent
and only get a new published revision when their content changed."""

import json
from pathlib import Path

from django.db import transaction
from wagtail.blocks import StreamValue
from wagtail.fields import StreamField

from courses.models import CourseIndexPage, CoursePage, LessonPage, ModulePage
from home.models import HomePage
from home.sanitize import clean_plain_text, clean_rich_text

DEMO_DIR = Path(__file__).resolve().parent
COURSE_FILE = DEMO_DIR / "course_fr.json"
CATALOGUE_SLUG = "formations"

RICH_TEXT_KEYS = {"body", "context", "instructions", "takeaway"}


def read_course(path=COURSE_FILE):
    return json.loads(Path(path).read_text(encoding="utf-8"))


@transaction.atomic
def load_course(data):
    """Create or update the catalogue, the course, its modules and lessons. Returns
    (course page, number of pages created, number of pages updated)."""
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
    for module_data in data["modules"]:
        module = upsert_child(
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
                body=[lesson_block(block) for block in lesson_data["body"]],
            )
    return course, counts["created"], counts["updated"]


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
