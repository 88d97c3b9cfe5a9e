"""The demo course's content, checked as a trainer would before signing it: every key
figure traceable to a primary source, quizzes that put the learner in situations rather
than test what a text said, honest durations, French typography.

The rules, as this file applies them:
- A *key figure* is a `key_figure` block, or in a lesson's text any number followed by
  « % », « million(s) » or « milliard(s) », or a year-stamped statistic: a sentence that
  holds a year (1990 to 2039) and another number. A lesson that holds one must cite a
  source with a link: a `sources` block, or the `source_url` of its key figures; every
  `key_figure` block carries its own link.
- Sources are primary (the study, the report, the official text, the original report)
  and their links point to the publishers listed in PRIMARY_HOSTS.
- A lesson announces at least its reading time (200 words a minute) plus its exercise's.
- French typography: narrow no-break space before ; ! ?, no-break space before : and %,
  inside « », and digits grouped by three with a narrow no-break space.
"""

import json
import math
import re
from urllib.parse import urlsplit

import pytest

from courses.demo.loader import COURSE_FILE, SCENARIO_FILE, read_course
from quizzes.demo import QUIZZES_FILE, read_quizzes

NBSP, NNBSP = "\u00a0", "\u202f"
# Publishers of the primary sources the course cites; add one only for a primary source.
PRIMARY_HOSTS = {
    "eur-lex.europa.eu",  # EU law and CJEU judgments
    "www.legifrance.gouv.fr",  # French law
    "www.cnil.fr",  # the French data protection authority
    "www.internet-signalement.gouv.fr",  # Pharos, Ministry of the Interior
    "www.service-public.gouv.fr",  # the French administration's own guidance
    "datareportal.com",  # Kepios' Digital reports
    "kantar.com",  # Kantar's COVID-19 Barometer
    "www.bleepingcomputer.com",  # the original report on the Zoom credentials
}
NOT_TEXT = {"slug", "type", "url", "source_url", "module", "level", "theme", "tag", "accepted", "scenario"}
FIGURE = re.compile(r"\d[\d\u202f\u00a0 ,.]*\s*(%|millions?\b|milliards?\b)")
YEAR = re.compile(r"\b(199\d|20[0-3]\d)\b")
NUMBER = re.compile(r"\d+(?:[,.\u202f]\d+)*")


def strings(value, key=None):
    """Every piece of French text in `value` (an authoring-format dict), tags stripped."""
    if isinstance(value, dict):
        for name, item in value.items():
            yield from strings(item, name)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item, key)
    elif isinstance(value, str) and key not in NOT_TEXT:
        yield re.sub(r"<[^>]+>", " ", value)


def lessons():
    return [lesson for module in read_course()["modules"] for lesson in module["lessons"]]


def blocks(lesson, kind):
    return [block["value"] for block in lesson["body"] if block["type"] == kind]


def key_figures(lesson):
    """The key figures `lesson` states, as the module docstring defines them."""
    found = [f"{kf['value']} {kf['label']}" for kf in blocks(lesson, "key_figure")]
    text = " ".join(strings([b for b in lesson["body"] if b["type"] not in ("key_figure", "sources")]))
    found += [match.group(0) for match in FIGURE.finditer(text)]
    for sentence in re.split(r"(?<=[.!?])\s+", text):
        years = YEAR.findall(sentence)
        others = [n for n in NUMBER.findall(sentence) if n not in years]
        if years and others:
            found.append(sentence)
    return found


def source_urls(lesson):
    urls = [item["url"] for value in blocks(lesson, "sources") for item in value["items"]]
    return urls + [kf["source_url"] for kf in blocks(lesson, "key_figure") if kf.get("source_url")]


def quiz_text(question):
    return " ".join(strings(question))


# --- Key figures and their sources -----------------------------------------------------


def test_the_rule_finds_the_figures_it_should():
    lesson = {"body": [
        {"type": "paragraph", "value": "<p>Près de 62\u00a0% des adultes, 5,04\u00a0milliards de comptes.</p>"},
        {"type": "paragraph", "value": "<p>En 2024, 3 personnes sur 4 l'utilisaient. Créé en 2004.</p>"},
    ]}
    assert key_figures(lesson) == ["62\u00a0%", "5,04\u00a0milliards", "En 2024, 3 personnes sur 4 l'utilisaient."]


@pytest.mark.parametrize("lesson", lessons(), ids=lambda lesson: lesson["slug"])
def test_every_key_figure_sits_in_a_lesson_that_cites_a_primary_source(lesson):
    figures = key_figures(lesson)
    if figures:
        assert source_urls(lesson), f"{lesson['slug']}: {figures} without a source link"
    for kf in blocks(lesson, "key_figure"):
        assert kf["source"].strip() and kf["source_url"], kf["value"]
    for url in source_urls(lesson):
        parts = urlsplit(url)
        assert parts.scheme == "https" and parts.netloc in PRIMARY_HOSTS, url


def test_sources_name_the_document_and_its_publisher():
    for lesson in lessons():
        for value in blocks(lesson, "sources"):
            assert value["items"], lesson["slug"]
            for item in value["items"]:
                assert item["title"].strip() and item["publisher"].strip(), item


def test_the_text_teaches_the_point_and_never_sends_to_an_unseen_article():
    for lesson in lessons():
        text = " ".join(strings(lesson))
        assert not re.search(r"\barticles? sources?\b|\bl'article «|\bmême article\b|\bl'auteur de l'article", text, re.I), lesson["slug"]


def test_no_figure_the_review_found_wrong_or_unsourced_is_left():
    text = " ".join(strings(read_course()))
    for dropped in ("80\u00a0%", "Près de 90", "Plus de 90", "3 milliards", "Frayssinhes", "Classmates", "i4emploi",
                    "de fréquentation des plateformes"):
        assert dropped not in text, dropped
    zoom = next(kf for lesson in lessons() for kf in blocks(lesson, "key_figure") if "Zoom" in kf["label"])
    assert "inaperçu" not in zoom["label"] and "faille de Zoom" in zoom["label"]


# --- The GDPR, stated right ------------------------------------------------------------


def test_consent_is_taught_as_a_lawful_basis_not_as_a_principle():
    for lesson in lessons():
        for table in blocks(lesson, "table"):
            if "principe" in table["caption"].lower():
                assert all(not row[0].lower().startswith("consentement") for row in table["rows"]), lesson["slug"]
    gdpr = next(lesson for lesson in lessons() if lesson["slug"] == "le-rgpd-applique-aux-reseaux-sociaux")
    assert "base légale, pas un principe" in " ".join(strings(gdpr))
    for quiz in read_quizzes():
        for question in quiz["questions"]:
            for pair in question.get("pairs", []):
                assert pair["left"].lower() != "consentement", question["prompt"]


def test_the_72_hours_are_if_possible_with_reasons_given_when_later():
    for lesson in lessons():
        for kf in blocks(lesson, "key_figure"):
            if kf["value"].startswith("72"):
                assert "si possible" in kf["label"] and "motifs du retard" in kf["label"]
        for table in blocks(lesson, "table"):
            for row in table["rows"]:
                if any("72" in cell for cell in row):
                    assert any("si possible" in cell for cell in row), row
    gdpr = next(lesson for lesson in lessons() if lesson["slug"] == "le-rgpd-applique-aux-reseaux-sociaux")
    assert "si possible, 72\u00a0heures au plus tard" in " ".join(strings(gdpr))


# --- Quizzes ---------------------------------------------------------------------------


@pytest.mark.parametrize("quiz", read_quizzes(), ids=lambda quiz: quiz["slug"])
def test_each_quiz_puts_the_learner_in_situations_at_least_half_the_time(quiz):
    questions = quiz["questions"]
    assert len(questions) == 10
    assert len({q["type"] for q in questions}) >= 5
    assert all(isinstance(q.get("scenario"), bool) for q in questions), "every question says whether it is a scenario"
    scenarios = [q for q in questions if q["scenario"]]
    assert len(scenarios) * 2 >= len(questions)
    for question in scenarios:
        # a situation the learner is in, and a decision to take
        assert re.search(r"\b(vous|votre|vos)\b", question["prompt"], re.I), question["prompt"]


def test_no_quiz_asks_what_a_text_said():
    for quiz in read_quizzes():
        for question in quiz["questions"]:
            text = quiz_text(question)
            assert not re.search(r"\barticles?\b", text, re.I), question["prompt"]
            assert not re.search(r"\b(selon|d'après|tel que présenté|cité)\b[^.?]*\b(le module|la leçon|le texte|l'auteur)", text, re.I), question["prompt"]


def test_no_trivia_question_on_a_year_or_a_name():
    for quiz in read_quizzes():
        for question in quiz["questions"]:
            if question["type"] == "numeric":
                assert not 1900 <= question["answer"] <= 2100, question["prompt"]
            assert not re.search(r"\b(en quelle année|nom de famille|qui a (créé|fondé))\b", question["prompt"], re.I)


def test_the_72_hour_rule_is_asked_once_in_the_whole_course():
    asking = [q["prompt"] for quiz in read_quizzes() for q in quiz["questions"] if re.search(r"\b72\b", quiz_text(q))]
    assert len(asking) == 1, asking


# --- Durations -------------------------------------------------------------------------


def words(value, key=None):
    if isinstance(value, dict):
        return sum(words(item, name) for name, item in value.items() if name != "duration_minutes")
    if isinstance(value, list):
        return sum(words(item, key) for item in value)
    if isinstance(value, str) and key not in NOT_TEXT:
        return len(re.sub(r"<[^>]+>", " ", value).split())
    return 0


@pytest.mark.parametrize("lesson", lessons(), ids=lambda lesson: lesson["slug"])
def test_a_lesson_announces_its_reading_and_its_exercise(lesson):
    exercise = sum(value.get("duration_minutes") or 0 for value in blocks(lesson, "exercise"))
    reading = math.ceil(words(lesson["body"]) / 200)
    assert reading + exercise <= lesson["estimated_minutes"] <= reading + exercise + 5


# --- Typography ------------------------------------------------------------------------


def typography_faults(text):
    faults = []
    if re.search(r"(^|[^\u202f])[;!?]", text):
        faults.append("; ! ? need a narrow no-break space before")
    if re.search(r"(?<![\u00a0\u202f]):(?=\s|$)", text):
        faults.append(": needs a no-break space before")
    if re.search(r"«(?!\u00a0)|(?<!\u00a0)»", text):
        faults.append("« » need no-break spaces inside")
    if re.search(r"\d(?: ?)%", text):
        faults.append("% needs a no-break space before")
    if re.search(r"\d \d{3}\b|\b\d{5,}\b", text):
        faults.append("digits are grouped by three with a narrow no-break space")
    return faults


def test_the_typography_check_catches_each_fault():
    assert typography_faults("Pourquoi ? Ainsi : « bien » 12 % de 12 000 et 25000") == [
        "; ! ? need a narrow no-break space before", ": needs a no-break space before", "« » need no-break spaces inside",
        "% needs a no-break space before", "digits are grouped by three with a narrow no-break space",
    ]
    assert typography_faults("Pourquoi\u202f? Ainsi\u00a0: «\u00a0bien\u00a0» 12\u00a0% de 12\u202f000") == []


@pytest.mark.parametrize(
    "path", [COURSE_FILE, QUIZZES_FILE, SCENARIO_FILE], ids=["course", "quizzes", "crisis-room"]
)
def test_french_typography_holds(path):
    data = json.loads(path.read_text(encoding="utf-8"))
    faults = {text: typography_faults(text) for text in strings(data) if typography_faults(text)}
    assert len(list(strings(data))) > 20  # the rule reads the file's text
    assert not faults, list(faults.items())[:5]


# --- What a learner sees -----------------------------------------------------------------


@pytest.mark.django_db
def test_a_loaded_lesson_shows_its_sources_with_their_links(demo_course):
    from courses.models import LessonPage

    lesson = LessonPage.objects.descendant_of(demo_course).get(slug="le-rgpd-applique-aux-reseaux-sociaux")
    html = str(lesson.body)
    assert '<h2 class="sources__title">Sources</h2>' in html
    assert 'href="https://eur-lex.europa.eu/legal-content/FR/TXT/?uri=CELEX:32016R0679"' in html
    assert 'href="https://www.cnil.fr/fr/notifier-une-violation-de-donnees-personnelles"' in html


# --- Exercises that give something back --------------------------------------------------


@pytest.mark.parametrize("lesson", lessons(), ids=lambda lesson: lesson["slug"])
def test_every_exercise_gives_a_model_answer_or_a_checklist(lesson):
    for exercise in blocks(lesson, "exercise"):
        model_answer = exercise.get("model_answer", "")
        checklist = exercise.get("checklist", [])
        assert model_answer or checklist, lesson["slug"]
        if model_answer:
            assert 60 <= len(re.sub(r"<[^>]+>", " ", model_answer).split()) <= 150, lesson["slug"]
        if checklist:
            assert 4 <= len(checklist) <= 6 and all(len(item) <= 200 for item in checklist), lesson["slug"]
