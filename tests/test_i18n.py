"""French first, English complete: every interface string has an English translation,
compiled, and the English interface is one click away."""

import ast
import re
from pathlib import Path

import pytest
from django.utils import translation

PO_FILE = Path(__file__).resolve().parent.parent / "locale" / "en" / "LC_MESSAGES" / "django.po"


def read_catalogue(path):
    """(msgid, msgstr, flags) for every entry of a .po file; plural forms as tuples."""
    entries, entry, key, flags = [], {}, None, ""
    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        if not line.strip():
            if entry.get("msgid"):
                entries.append((entry, flags))
            entry, key, flags = {}, None, ""
        elif line.startswith("#,"):
            flags = line
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            entry[key] += ast.literal_eval(line)
        else:
            key, value = line.split(" ", 1)
            entry[key] = ast.literal_eval(value)
    return entries


def placeholders(text):
    return sorted(re.findall(r"%\(\w+\)[sd]", text))


def test_the_english_catalogue_is_complete_and_not_fuzzy():
    entries = read_catalogue(PO_FILE)
    assert len(entries) > 100
    for entry, flags in entries:
        assert "fuzzy" not in flags, entry["msgid"]
        translations = [value for key, value in entry.items() if key.startswith("msgstr")]
        assert all(translations), f"untranslated: {entry['msgid']!r}"
        for value in translations:
            assert placeholders(value) == placeholders(entry.get("msgid_plural", entry["msgid"])) or \
                placeholders(value) == placeholders(entry["msgid"]), entry["msgid"]


def test_the_compiled_catalogue_matches_the_source():
    for entry, _flags in read_catalogue(PO_FILE):
        if "msgid_plural" in entry or "msgctxt" in entry:
            continue
        with translation.override("en"):
            assert translation.gettext(entry["msgid"]) == entry["msgstr"], entry["msgid"]


@pytest.mark.django_db
def test_french_by_default_whatever_the_browser_asks_and_english_on_request(client, demo_course):
    french = client.get(demo_course.url, HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert '<html lang="fr">' in french and "Programme" in french

    client.post("/langue/setlang/", {"language": "en", "next": demo_course.url})
    english = client.get(demo_course.url).content.decode()
    assert '<html lang="en">' in english
    assert "Course outline" in english and "Log in" in english and "Se connecter" not in english
