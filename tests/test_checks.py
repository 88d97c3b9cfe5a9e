from home.checks import sqlite_is_recent_enough, sqlite_problems

SQLITE = "django.db.backends.sqlite3"
POSTGRESQL = "django.db.backends.postgresql"


def test_an_sqlite_older_than_3_35_is_refused_with_a_message():
    errors = sqlite_problems([SQLITE], (3, 31, 1), "3.31.1")

    assert [error.id for error in errors] == ["passerelle.E001"]
    assert "3.31.1" in errors[0].msg and "3.35" in errors[0].msg


def test_a_recent_sqlite_or_postgresql_passes():
    assert sqlite_problems([SQLITE], (3, 35, 0), "3.35.0") == []
    assert sqlite_problems([POSTGRESQL], (3, 31, 1), "3.31.1") == []


def test_this_machine_passes_the_check():
    assert sqlite_is_recent_enough(None) == []
