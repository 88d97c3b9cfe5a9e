"""System checks run by every manage.py command (`manage.py check`)."""

import sqlite3

from django.conf import settings
from django.core.checks import Error, Tags, register

# The recount of a course's progress (learners.progress) writes with UPDATE … FROM and
# RETURNING, which SQLite has since 3.35 (Django itself asks only for 3.31).
SQLITE_MINIMUM = (3, 35)


@register(Tags.compatibility)
def sqlite_is_recent_enough(app_configs, **kwargs):
    uses_sqlite = any(database["ENGINE"].endswith("sqlite3") for database in settings.DATABASES.values())
    if not uses_sqlite or sqlite3.sqlite_version_info >= SQLITE_MINIMUM:
        return []
    return [Error(
        f"SQLite {sqlite3.sqlite_version} is too old: Passerelle needs SQLite 3.35 or later.",
        hint="Use a Python built with a newer SQLite, or PostgreSQL through DATABASE_URL.",
        id="passerelle.E001",
    )]
