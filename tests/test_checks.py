import sqlite3

from home import checks


def test_an_sqlite_older_than_3_35_is_refused_with_a_message(settings, monkeypatch):
    settings.DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "x"}}
    monkeypatch.setattr(sqlite3, "sqlite_version_info", (3, 31, 1))
    monkeypatch.setattr(sqlite3, "sqlite_version", "3.31.1")

    errors = checks.sqlite_is_recent_enough(None)

    assert [error.id for error in errors] == ["passerelle.E001"]
    assert "3.31.1" in errors[0].msg and "3.35" in errors[0].msg


def test_a_recent_sqlite_or_postgresql_passes(settings, monkeypatch):
    monkeypatch.setattr(sqlite3, "sqlite_version_info", (3, 40, 1))
    settings.DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "x"}}
    assert checks.sqlite_is_recent_enough(None) == []
    monkeypatch.setattr(sqlite3, "sqlite_version_info", (3, 31, 1))
    settings.DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "NAME": "x"}}
    assert checks.sqlite_is_recent_enough(None) == []
