"""System checks run by every manage.py command (`manage.py check`, `migrate`)."""

import sqlite3

from django.conf import settings
from django.core.checks import Error, Tags, register

# The recount of a course's progress (learners.progress) writes with UPDATE … FROM and
# RETURNING, which SQLite has since 3.35 (Django itself asks only for 3.31).
SQLITE_MINIMUM = (3, 35)


def sqlite_problems(engines, version_info, version):
    """The errors to report when one of the database `engines` is SQLite older than
    SQLITE_MINIMUM (`version_info`, `version`: what the sqlite3 module reports)."""
    if not any(engine.endswith("sqlite3") for engine in engines) or version_info >= SQLITE_MINIMUM:
        return []
    return [Error(
        f"SQLite {version} is too old: Passerelle needs SQLite 3.35 or later.",
        hint="Use a Python built with a newer SQLite, or PostgreSQL through DATABASE_URL.",
        id="passerelle.E001",
    )]


@register(Tags.compatibility)
def sqlite_is_recent_enough(app_configs, **kwargs):
    engines = [database["ENGINE"] for database in settings.DATABASES.values()]
    return sqlite_problems(engines, sqlite3.sqlite_version_info, sqlite3.sqlite_version)
