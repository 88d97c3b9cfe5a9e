"""GIFT files in the question bank: every construct imported and graded as Moodle grades it,
a file with any error imports nothing, the admin's upload → preview → confirm, the
`import_gift` command, and exports that import back to the same bank questions."""

import re
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.template.loader import render_to_string
from django.contrib.messages.storage.fallback import FallbackStorage
from django.test import Client, RequestFactory

from courses.models import ModulePage
from learners.models import Membership, Organisation, User
from learners.roles import TRAINERS_GROUP
from learners.sessions import SessionStore
from quizzes import gift
from quizzes.gift_import import MAPPINGS, ImportRefused, export_questions, import_gift, read_file
from quizzes.gift_views import GiftPreviewView
from quizzes.models import (
    EssayQuestion,
    MatchingPair,
    MultipleChoiceOption,
    NumericOption,
    Question,
    QuizPage,
    QuizQuestion,
    ShortAnswerOption,
    SingleChoiceOption,
)
from quizzes.selectors import AskedQuestion
from tests.factories import QUESTION_KINDS, add_page, make_course_with, make_question, make_user
from tests.utils import inline_panel

pytestmark = pytest.mark.django_db

UPLOAD = "/admin/banque-de-questions/gift/"
PREVIEW = UPLOAD + "apercu/"
EXPORT = UPLOAD + "exporter/"


def only(text):
    """The one question of a GIFT text, imported into the bank."""
    [question] = import_gift(text)
    return fresh(question)


def fresh(question):
    model = type(question)
    return model.objects.prefetch_related(*model.prefetch).get(pk=question.pk)


def score(question, raw):
    """The share (0 to 1) of the points that the raw response `raw` earns, and its feedback."""
    grade = question.grade(question.clean_response(raw))
    return grade.score / grade.max_score, grade.feedback


def choice_id(question, text):
    return str(next(choice.pk for choice in question.choices.all() if choice.text == text))


def row_counts():
    return [model.objects.count() for model in (
        Question, SingleChoiceOption, MultipleChoiceOption, ShortAnswerOption, NumericOption, MatchingPair,
    )]


# --- Every construct, into the bank and graded as Moodle would ----------------------------


def test_single_choice_weights_grade_the_chosen_answer_and_never_below_zero():
    question = only("Couleur ? {=bleu#Oui ~%50%vert#Presque ~%-100%rouge#Non}")

    assert type(question).kind == "single_choice" and question.points == 1
    assert [(c.text, c.weight, c.is_correct, c.feedback) for c in question.choices.all()] == [
        ("bleu", Decimal(100), True, "Oui"), ("vert", Decimal(50), False, "Presque"), ("rouge", Decimal(-100), False, "Non"),
    ]
    assert score(question, choice_id(question, "bleu")) == (1, ["Oui"])
    assert score(question, choice_id(question, "vert")) == (Decimal("0.5"), ["Presque"])
    assert score(question, choice_id(question, "rouge")) == (0, ["Non"])
    assert question.correct_answer_text() == "bleu"


def test_a_single_choice_without_partial_weights_keeps_the_bank_rule_right_or_wrong():
    question = only("Couleur ? {=bleu ~vert ~rouge}")

    assert [(c.weight, c.is_correct) for c in question.choices.all()] == [(None, True), (None, False), (None, False)]
    assert score(question, choice_id(question, "bleu"))[0] == 1
    assert score(question, choice_id(question, "vert"))[0] == 0


def test_multiple_choice_sums_the_chosen_weights_between_zero_and_all_the_points():
    question = only("Lesquels ? {~%50%a ~%50%b ~%-100%c ~d}")
    ids = {text: choice_id(question, text) for text in "abcd"}

    assert type(question).kind == "multiple_choice"
    assert [c.weight for c in question.choices.all()] == [Decimal(50), Decimal(50), Decimal(-100), Decimal(0)]
    assert score(question, [ids["a"]])[0] == Decimal("0.5")
    assert score(question, [ids["a"], ids["b"]])[0] == 1
    assert score(question, [ids["a"], ids["b"], ids["d"]])[0] == 1
    assert score(question, [ids["a"], ids["c"]])[0] == 0  # -50 %, never below zero
    assert question.correct_answer_text() == "a ; b"


def test_multiple_choice_weights_equal_to_the_bank_rule_are_kept_as_right_and_wrong():
    question = only("Lesquels ? {~%50%a ~%50%b ~%-50%c}")
    ids = {text: choice_id(question, text) for text in "abc"}

    assert [(c.weight, c.is_correct) for c in question.choices.all()] == [(None, True), (None, True), (None, False)]
    assert score(question, [ids["a"], ids["c"]])[0] == 0
    assert score(question, [ids["a"], ids["b"]])[0] == 1


def test_true_false_with_the_feedback_for_a_wrong_then_a_right_answer():
    short, long = import_gift("La Terre est ronde. {T}\n\nParis est en Italie. {FALSE#Non, en France.#Exact.}")
    long = fresh(long)

    assert short.answer is True and score(fresh(short), "vrai")[0] == 1
    assert long.answer is False
    assert (long.feedback_true, long.feedback_false) == ("Non, en France.", "Exact.")
    assert score(long, "vrai") == (0, ["Non, en France."])
    assert score(long, "faux") == (1, ["Exact."])


def test_short_answers_earn_the_best_weight_they_match_with_its_feedback():
    question = only("Capitale de la France ? {=Paris =%50%Lutèce#Ancien nom. =%100%Paname#Familier !}")

    assert question.accepted() == ["Paris"]
    assert [(a.text, a.weight, a.feedback) for a in question.weighted_answers.all()] == [
        ("Lutèce", Decimal(50), "Ancien nom."), ("Paname", Decimal(100), "Familier !"),
    ]
    assert score(question, "  PARIS ") == (1, [])
    assert score(question, "lutece") == (Decimal("0.5"), ["Ancien nom."])
    assert score(question, "paname") == (1, ["Familier !"])
    assert score(question, "Lyon") == (0, [])


@pytest.mark.parametrize("text, inside, outside", [
    ("Pi ? {#3.14:0.01}", ["3.14", "3,15", "3.13"], ["3.16", "3"]),
    ("Entre 1 et 5 ? {#1..5}", ["1", "3", "5"], ["0.9", "5.1"]),
    ("Exact ? {#42}", ["42"], ["42.0001"]),
])
def test_numeric_answers_with_a_tolerance_or_a_range(text, inside, outside):
    question = only(text)

    assert all(score(question, value)[0] == 1 for value in inside)
    assert all(score(question, value)[0] == 0 for value in outside)


def test_several_weighted_numeric_answers_earn_the_best_one_matched_else_the_other_feedback():
    question = only("Pi ? {#=3.14:0.01#Exact. =%50%3:0.2#Presque. ~#Non : environ 3,14.}")

    assert (question.answer, question.tolerance, question.feedback) == (Decimal("3.14"), Decimal("0.01"), "Exact.")
    assert [(o.value, o.tolerance, o.weight, o.feedback) for o in question.other_answers.all()] == [
        (Decimal(3), Decimal("0.2"), Decimal(50), "Presque."),
    ]
    assert score(question, "3.145") == (1, ["Exact."])
    assert score(question, "3.1") == (Decimal("0.5"), ["Presque."])
    assert score(question, "10") == (0, ["Non : environ 3,14."])


def test_matching_pairs_each_earn_their_share():
    question = only("Associez. {=chat -> miaule =chien -> aboie =vache -> meugle}")
    pairs = {pair.left: pair.pk for pair in question.pairs.all()}

    assert [(p.left, p.right) for p in question.pairs.all()] == [("chat", "miaule"), ("chien", "aboie"), ("vache", "meugle")]
    assert score(question, question.example_response(right=True))[0] == 1
    two_of_three = {str(pairs["chat"]): str(pairs["chat"]), str(pairs["chien"]): str(pairs["vache"]),
                    str(pairs["vache"]): str(pairs["vache"])}
    assert score(question, two_of_three)[0] == Decimal("0.67")


def test_matching_answers_without_an_item_are_decoys_offered_but_matching_nothing():
    question = only("Associez. {=chat -> miaule =chien -> aboie =-> hennit}")
    chat, chien, decoy = question.pairs.all()

    assert (decoy.left, decoy.right) == ("", "hennit")
    assert question.correct_answer_text() == "chat → miaule ; chien → aboie"
    assert question.raw_from_post({f"q-{question.pk}-{chat.pk}": str(decoy.pk)}) == {
        str(chat.pk): str(decoy.pk), str(chien.pk): None,
    }
    assert score(question, {str(chat.pk): str(chat.pk), str(chien.pk): str(decoy.pk)})[0] == Decimal("0.5")
    assert score(question, question.example_response(right=True))[0] == 1
    assert score(question, question.example_response(right=False))[0] == 0
    item = AskedQuestion(number=1, question=question, options=question.options())
    html = render_to_string("quizzes/includes/asked_question.html", {"item": item})
    assert html.count("<select") == 2 and html.count(">hennit</option>") == 2


def test_titles_general_feedback_escapes_comments_categories_and_formats():
    text = "\n".join([
        "// une ligne de commentaire",
        "$CATEGORY: $course$/top/RGPD",
        "",
        "::Accolades:: Que vaut \\{1\\} \\= \\# \\: ? {=un\\{1\\} ~deux ####Les accolades s'échappent.}",
        "",
        "::Formats::[markdown]Un *mot* en <b>gras</b> ? {T}",
        "",
        "[plain]Trois < quatre & cinq ? {T}",
        "",
        "$CATEGORY: crise",
        "",
        "Le {=chat} dort sur le tapis.",
    ])
    braces, markdown, plain, blank = (fresh(question) for question in import_gift(text))

    assert (braces.title, braces.prompt) == ("Accolades", "Que vaut {1} = # : ?")
    assert braces.explanation == "Les accolades s'échappent." and braces.tag == "RGPD"
    assert [choice.text for choice in braces.choices.all()] == ["un{1}", "deux"]
    assert markdown.prompt == "Un *mot* en <b>gras</b> ?" and markdown.title == "Formats"
    assert plain.prompt == "Trois < quatre & cinq ?"
    assert blank.prompt == "Le _____ dort sur le tapis." and blank.tag == "crise" and blank.accepted() == ["chat"]


def test_html_and_moodle_text_is_kept_as_text_without_markup_or_script():
    text = (
        "[html]<p>Cliquez <script>alert('html')</script><a href\\=\"javascript\\:x()\">ici</a></p>"
        " {=<b>oui</b>#<img src\\=x onerror\\=alert(1)>bien ~non}\n\n"
        "Le <em>moodle</em> aussi <script>alert('moodle')</script> ? {T#<script>alert(2)</script>faux}"
    )
    html, moodle = (fresh(question) for question in import_gift(text))

    stored = [html.prompt, *(c.text for c in html.choices.all()), *(c.feedback for c in html.choices.all()),
              moodle.prompt, moodle.feedback_true, moodle.feedback_false]
    assert not any("<" in text or "alert(1)" in text or "javascript" in text for text in stored), stored
    assert html.prompt == "Cliquez alert('html')ici"  # [html] is sanitised by the parser, then read as text
    assert [c.text for c in html.choices.all()] == ["oui", "non"]
    assert moodle.prompt == "Le moodle aussi  ?" and moodle.feedback_false == "faux"


def test_descriptions_are_left_out_with_a_notice_and_the_questions_imported():
    read = read_file("Un texte à lire avant les questions.\n\nVrai ? {T}")

    assert read.ok and [item.line for item in read.questions] == [3]
    assert [notice.message for notice in read.notices] == [
        "Ligne 1 : texte sans question (description) : la banque ne garde que des questions, il est ignoré.",
    ]


def test_essays_go_to_the_essay_type_and_back():
    question = only("$CATEGORY: écrit\n\n::Récit:: Racontez une crise. { ####Relisez la charte.}")

    assert isinstance(question, EssayQuestion)
    assert (question.title, question.prompt, question.explanation, question.tag, question.points) == (
        "Récit", "Racontez une crise.", "Relisez la charte.", "écrit", 1)
    assert snapshot(only(export_questions([question]))) == snapshot(question)


def test_a_category_longer_than_a_tag_is_cut_to_its_60_characters():
    question = only(f"$CATEGORY: top/{'x' * 70}\n\nVrai ? {{T}}")

    assert question.tag == "x" * 60


def test_a_utf8_file_with_a_bom_and_windows_line_endings():
    data = "\ufeff// Québec\r\n::Été:: Où est Montréal ?\r\n{=Québec ~Ontario}\r\n\r\nÇa va ? {T}\r\n".encode("utf-8")

    first, second = import_gift(data)

    assert first.title == "Été" and fresh(first).correct_answer_text() == "Québec"
    assert second.prompt == "Ça va ?"


# --- Bad files import nothing --------------------------------------------------------------


@pytest.mark.parametrize("text, message", [
    ("Vrai ? {T}\n\nOuvert ? {=oui ~non", "Ligne 3 : accolade ouvrante jamais fermée."),
    ("Vrai ? {T}\n\nPoids ? {=%50%oui ~non}",
     "Ligne 3 : aucune réponse ne vaut 100 % : il en faut une pour obtenir tous les points."),
    ("Vrai ? {T}\n\nCochez {~%50%a ~%30%b ~c}", "Ligne 3 : les poids positifs font 80 % au lieu de 100 %."),
    ("Vrai ? {T}\n\nVide ? {=oui ~}", "Ligne 3 : réponse vide après « ~ »."),
    ("Vrai ? {T}\n\nNombre ? {#5..1}", "Ligne 3 : intervalle 5..1 : le minimum dépasse le maximum."),
    ("Vrai ? {T}\n\nNombre ? {#=%50%3}",
     "Ligne 3 : aucune réponse numérique ne vaut 100 % : il en faut une pour obtenir tous les points."),
    ("Vrai ? {T}\n\nAssociez {=a -> 1 =-> 2 =-> 3}",
     "Ligne 3 : une association demande au moins 2 paires avec un élément, en plus des leurres."),
    ("Vrai ? {T}\n\nLong ? {=" + "x" * 501 + " ~non}",
     "Ligne 3 : réponse proposée : Assurez-vous que cette valeur comporte au plus 500 caractères (actuellement 501)."),
    ("Vrai ? {T}\n\nMot ? {=<b></b> =oui}", "Ligne 3 : une réponse attendue est vide une fois son HTML retiré."),
    ("", "Le fichier ne contient aucune question à importer."),
    ("Un texte seul.", "Le fichier ne contient aucune question à importer."),
])
def test_a_file_with_any_error_imports_nothing_and_says_where(text, message):
    make_question("single_choice")
    before = row_counts()

    with pytest.raises(ImportRefused) as refusal:
        import_gift(text)

    assert [str(error) for error in refusal.value.errors] == [message]
    assert row_counts() == before


def test_a_file_that_is_not_utf8_is_refused_with_its_line():
    with pytest.raises(ImportRefused) as refusal:
        import_gift("Vrai ? {T}\n\nCaf\xe9 ? {T}".encode("latin-1"))

    assert [str(error) for error in refusal.value.errors] == [
        "Ligne 3 : le fichier n'est pas en UTF-8 : enregistrez-le en UTF-8."
    ]
    assert Question.objects.count() == 0


# --- Export, then import: the same bank questions ------------------------------------------

OPTION_SKIPPED = {"id", "question", "sort_order"}


def snapshot(question):
    """Every field of a bank question and of its options, but its identity and dates."""
    question = fresh(question)
    fields = {
        field.name: getattr(question, field.attname) for field in question._meta.concrete_fields
        if field.name not in {"id", "created_at", "updated_at", "polymorphic_ctype"} and not field.name.endswith("_ptr")
    }
    for relation in type(question).prefetch:
        fields[relation] = [
            {field.name: getattr(option, field.attname) for field in option._meta.concrete_fields
             if field.name not in OPTION_SKIPPED}
            for option in getattr(question, relation).all()
        ]
    return fields


def weighted_questions():
    """Bank questions using what GIFT can say beyond the bank's examples: weights, feedback,
    several numeric answers, titles, blanks, text that must be written [plain]."""
    single = make_question("single_choice", points=1, title="Titre : spécial", explanation="Général",
                           prompt="Le _____ de l'entreprise est { fermé } = 100 % # vrai")
    single.choices.all().delete()
    SingleChoiceOption.objects.bulk_create([
        SingleChoiceOption(question=single, text="%ton", weight=100, is_correct=True, feedback="Oui"),
        SingleChoiceOption(question=single, text="a -> b", weight=Decimal("33.33333"), feedback="Bof"),
        SingleChoiceOption(question=single, text="Trois\nlignes", weight=-50, feedback="Non"),
    ])
    multiple = make_question("multiple_choice", points=1, tag="crise", prompt="<b>Pas</b> du HTML & entités &amp;")
    multiple.choices.all().delete()
    MultipleChoiceOption.objects.bulk_create([
        MultipleChoiceOption(question=multiple, text="a", weight=Decimal("66.66667"), is_correct=True),
        MultipleChoiceOption(question=multiple, text="b", weight=Decimal("33.33333"), is_correct=True),
        MultipleChoiceOption(question=multiple, text="c", weight=-100, feedback="Surtout pas"),
    ])
    true_false = make_question("true_false", points=1, answer=False)
    type(true_false).objects.filter(pk=true_false.pk).update(feedback_true="Raté", feedback_false="Bravo")
    short = make_question("short_answer", points=1, accepted=["Paris", "Paname"])
    ShortAnswerOption.objects.create(question=short, text="Lutèce", weight=50, feedback="Ancien nom")
    ShortAnswerOption.objects.create(question=short, text="Paris", weight=100, feedback="Bravo")
    numeric = make_question("numeric", points=1, answer="3.14", tolerance="0.005")
    type(numeric).objects.filter(pk=numeric.pk).update(feedback="Exact", feedback_otherwise="Non")
    NumericOption.objects.create(question=numeric, value=3, tolerance=Decimal("0.5"), weight=50, feedback="Presque")
    NumericOption.objects.create(question=numeric, value=-1, tolerance=0, weight=-10)
    matching = make_question("matching", points=1)
    MatchingPair.objects.create(question=matching, left="", right="Leurre")
    return [single, multiple, true_false, short, numeric, matching]


def exportable_kinds():
    """The bank's types GIFT writes, but essays (their word limit and rubric are not GIFT's:
    see the essay test)."""
    return [mapping.kind for mapping in MAPPINGS if mapping.kind in QUESTION_KINDS and mapping.kind != "essay"]


def test_every_type_gift_can_write_exports_and_imports_back_to_the_same_bank_question():
    originals = [make_question(kind, points=1, tag="rgpd") for kind in exportable_kinds()] + weighted_questions()
    originals = [fresh(question) for question in originals]

    text = export_questions(originals)
    copies = import_gift(text)

    assert [snapshot(copy) for copy in copies] == [snapshot(original) for original in originals]
    assert export_questions([fresh(copy) for copy in copies]) == text


def test_the_export_writes_plain_only_where_moodle_text_would_read_differently():
    simple = make_question("true_false", prompt="Vrai ?")
    compared = make_question("true_false", prompt="Est-ce que 1 < 2 & 3 ?")  # reads the same as Moodle text
    marked = make_question("true_false", prompt="Du <b>gras</b> &amp; ?")  # would lose its tags and entity

    assert export_questions([fresh(simple), fresh(compared), fresh(marked)]) == (
        "Vrai ? {TRUE}\n\nEst-ce que 1 < 2 & 3 ? {TRUE}\n\n[plain]Du <b>gras</b> &amp; ? {TRUE}\n\n"
    )


def test_types_gift_cannot_write_are_named_in_a_comment_and_left_out():
    ordering = make_question("ordering", prompt="Remettez dans l'ordre")
    kept = make_question("true_false", prompt="Vrai ?")

    text = export_questions([fresh(ordering), fresh(kept)])

    assert text.startswith("// Non exportée (remise en ordre, sans équivalent GIFT) : Remettez dans l'ordre\n")
    assert [type(q).kind for q in import_gift(text)] == ["true_false"]


# --- The admin: upload, preview, confirm -----------------------------------------------------

GOOD_FILE = "$CATEGORY: top/Réseaux\n\n::Un:: Vrai ? {T}\n\nCouleur ? {=bleu ~%50%vert ~rouge}\n\nUn texte seul.\n"


def upload(client, content, name="questions.gift"):
    data = content.encode("utf-8") if isinstance(content, str) else content
    return client.post(UPLOAD, {"file": SimpleUploadedFile(name, data, content_type="text/plain")})


def page_of(response):
    assert response.status_code == 200, response
    return response.content.decode()


def test_a_trainer_uploads_previews_then_confirms_and_the_questions_are_in_the_bank(trainer_client):
    form = page_of(trainer_client.get(UPLOAD))
    assert re.search(r'<label[^>]*for="id_file"', form) and 'type="file"' in form

    response = upload(trainer_client, GOOD_FILE)
    assert response.status_code == 302 and response.url == PREVIEW
    preview = page_of(trainer_client.get(PREVIEW))

    # every question as the learner will see it, with its line and theme; the description left out
    assert "Ligne 3" in preview and "Ligne 5" in preview and "Réseaux" in preview
    assert 'name="q-1"' in preview and 'for="q-2-1"' in preview and "vert" in preview
    assert "Ligne 7 : texte sans question" in preview
    assert Question.objects.count() == 0  # nothing saved by the preview

    digest = re.search(r'name="digest" value="([0-9a-f]+)"', preview)[1]
    done = trainer_client.post(PREVIEW, {"digest": digest}, follow=True)

    assert [(type(q).kind, q.tag) for q in Question.objects.order_by("pk")] == [
        ("true_false", "Réseaux"), ("single_choice", "Réseaux"),
    ]
    page = page_of(done)
    assert "2 questions importées." in page and '?tag=R%C3%A9seaux">Réseaux</a>' in page
    # confirming again imports nothing: the file left the session
    assert trainer_client.post(PREVIEW, {"digest": digest}).status_code == 302
    assert Question.objects.count() == 2


def test_two_confirmations_sent_at_once_import_the_file_once(trainer_client):
    # given a previewed file, and a second confirmation whose request read the session
    # before the first one imported (a double click): its copy still holds the file
    upload(trainer_client, GOOD_FILE)
    digest = trainer_client.session["gift_import"]["digest"]
    session_key = trainer_client.session.session_key
    second = RequestFactory().post(PREVIEW, {"digest": digest})
    second.session = SessionStore(session_key)
    assert second.session["gift_import"]["digest"] == digest  # loaded now, as that request did
    second.user = User.objects.get(pk=second.session["_auth_user_id"])
    second._messages = FallbackStorage(second)

    # when the first imports, then the second is answered
    assert trainer_client.post(PREVIEW, {"digest": digest}).status_code == 302
    response = GiftPreviewView.as_view()(second)

    # then the questions are in the bank once, and the second's copy lost the file too
    assert response.status_code == 302 and response.url == UPLOAD
    assert Question.objects.count() == 2
    assert "gift_import" not in second.session


def test_the_preview_lists_every_error_with_its_line_and_offers_no_import(trainer_client):
    upload(trainer_client, "Vrai ? {T}\n\nOuvert ? {=oui ~non\n\nVide ? {=oui ~}\n")

    preview = page_of(trainer_client.get(PREVIEW))
    digest = re.search(r'name="digest" value="([0-9a-f]+)"', preview)

    assert "Ligne 3 : accolade ouvrante jamais fermée." in preview
    assert "Ligne 5 : réponse vide après « ~ »." in preview
    assert "2 erreurs" in preview and digest is None
    # a confirm sent anyway re-reads the file and imports nothing
    kept = trainer_client.session["gift_import"]["digest"]
    trainer_client.post(PREVIEW, {"digest": kept})
    assert Question.objects.count() == 0


def test_a_confirm_for_another_file_than_the_one_previewed_imports_nothing(trainer_client):
    upload(trainer_client, "Vrai ? {T}")
    old_digest = trainer_client.session["gift_import"]["digest"]
    upload(trainer_client, "Faux ? {F}")

    response = trainer_client.post(PREVIEW, {"digest": old_digest})

    assert response.status_code == 302 and Question.objects.count() == 0


def test_script_in_an_uploaded_file_never_reaches_the_preview_or_the_bank(trainer_client):
    upload(trainer_client, "[html]<script>alert('x')</script>Bonjour {T}\n\nSalut <script>alert('y')</script> {=a ~b}")

    preview = page_of(trainer_client.get(PREVIEW))

    assert "<script>alert" not in preview and "&lt;script&gt;" not in preview


def test_a_file_over_10_mb_is_refused_before_anything_is_kept(trainer_client):
    big = b"// " + b"x" * (gift.MAX_BYTES) + b"\n\nVrai ? {T}"

    response = upload(trainer_client, big)

    assert response.status_code == 400
    assert "Le fichier dépasse 10 Mo" in response.content.decode()
    assert "gift_import" not in trainer_client.session


def test_the_upload_checks_its_csrf_token_itself(trainer_client):
    # given the trainer's session in a client that enforces CSRF checks, as browsers meet them
    client = Client(enforce_csrf_checks=True)
    client.cookies = trainer_client.cookies

    response = upload(client, GOOD_FILE)

    assert response.status_code == 403 and "gift_import" not in client.session


def test_a_file_that_even_compressed_is_too_large_to_keep_is_refused(trainer_client):
    import base64
    import os

    noise = base64.b64encode(os.urandom(4_600_000))  # 6 MB of text that hardly compresses

    response = upload(trainer_client, b"// " + noise + b"\n\nVrai ? {T}")

    assert response.status_code == 400
    assert "trop volumineux pour être prévisualisé" in response.content.decode()
    assert "gift_import" not in trainer_client.session


def test_the_preview_reads_the_same_few_queries_whatever_the_number_of_questions(trainer_client, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for size in (3, 30):
        upload(trainer_client, "\n\n".join(f"Question {n} ? {{=a ~b}}\n\nNombre {n} ? {{#{n}}}" for n in range(size)))
        with CaptureQueriesContext(connection) as queries:
            page_of(trainer_client.get(PREVIEW))
        counts.append(len(queries))
    assert counts[0] == counts[1]
    # the session with its person, the admin's permissions, profile, locale and menu (8
    # today, a menu item may add its own): nothing per question
    with django_assert_max_num_queries(10):
        page_of(trainer_client.get(PREVIEW))


def manager():
    person = make_user()
    organisation = Organisation.objects.create(name="Asso", slug="asso")
    Membership.objects.create(user=person, organisation=organisation, role=Membership.Role.MANAGER)
    return person


@pytest.mark.parametrize("who", ["anonymous", "learner", "manager"])
def test_learners_managers_and_visitors_are_sent_to_the_admin_login(who):
    client = Client()
    if who != "anonymous":
        client.force_login(make_user() if who == "learner" else manager())

    for response in (client.get(UPLOAD), upload(client, GOOD_FILE), client.get(PREVIEW),
                     client.post(PREVIEW, {"digest": "x"}), client.get(EXPORT)):
        assert response.status_code == 302 and "/admin/login/" in response.url
    assert Question.objects.count() == 0


def test_an_admin_user_without_the_import_permission_is_refused():
    # given a trainer-like user who may write questions but not import them
    editor = make_user()
    group = Group.objects.get(name=TRAINERS_GROUP)
    editor.user_permissions.set(group.permissions.exclude(codename="import_questions"))
    client = Client()
    client.force_login(editor)

    for response in (client.get(UPLOAD), upload(client, GOOD_FILE), client.get(PREVIEW)):
        assert response.status_code == 302 and response.url == "/admin/"
    assert Question.objects.count() == 0
    assert "Importer (GIFT)" not in page_of(client.get("/admin/banque-de-questions/"))


def test_the_trainers_group_holds_the_import_permission():
    group = Group.objects.get(name=TRAINERS_GROUP)

    assert group.permissions.filter(codename="import_questions", content_type__app_label="quizzes").exists()
    assert Permission.objects.get(codename="import_questions").name == "Importer des questions (GIFT)"


# --- Downloads ----------------------------------------------------------------------------


@pytest.fixture
def module():
    return ModulePage.objects.child_of(make_course_with(modules=1, lessons_per_module=1)).get()


def test_a_trainer_downloads_a_quiz_as_gift_and_importing_it_gives_the_same_questions(trainer_client, module):
    questions = weighted_questions() + [make_question("matching", points=1)]
    ranked = [QuizQuestion(question=question, sort_order=rank) for rank, question in enumerate(reversed(questions))]
    quiz = add_page(module, QuizPage, title="Quiz RGPD", quiz_questions=ranked)

    response = trainer_client.get(f"{UPLOAD}quiz/{quiz.pk}/")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="quiz-rgpd.gift.txt"'
    copies = import_gift(response.content)
    assert [snapshot(copy) for copy in copies] == [snapshot(question) for question in reversed(questions)]
    assert f"{UPLOAD}quiz/{quiz.pk}/" in page_of(trainer_client.get(f"/admin/pages/{quiz.pk}/edit/"))


def test_a_trainer_downloads_one_theme_of_the_bank(trainer_client):
    rgpd = make_question("true_false", prompt="RGPD ?", tag="rgpd")
    make_question("true_false", prompt="Crise ?", tag="crise")

    listing = page_of(trainer_client.get("/admin/banque-de-questions/", {"tag": "rgpd"}))
    response = trainer_client.get(EXPORT, {"tag": "rgpd"})

    assert f"{EXPORT}?tag=rgpd" in listing and f'href="{UPLOAD}"' in listing  # export this theme; import
    assert response["Content-Disposition"] == 'attachment; filename="rgpd.gift.txt"'
    assert response.content.decode() == "$CATEGORY: rgpd\n\nRGPD ? {TRUE}\n\n"
    [copy] = import_gift(response.content)
    assert snapshot(copy) == snapshot(rgpd) | {"points": 1}


def test_a_learner_cannot_download_a_quiz(module):
    quiz = add_page(module, QuizPage, title="Quiz", quiz_questions=[QuizQuestion(question=make_question("true_false"))])
    client = Client()
    client.force_login(make_user())

    response = client.get(f"{UPLOAD}quiz/{quiz.pk}/")

    assert response.status_code == 302 and "/admin/login/" in response.url


def test_a_quiz_id_past_64_bits_is_not_found(trainer_client):
    assert trainer_client.get(f"{UPLOAD}quiz/99999999999999999999/").status_code == 404


# --- The command ---------------------------------------------------------------------------


def write(tmp_path, content):
    path = tmp_path / "questions.gift"
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return str(path)


def test_the_command_imports_a_file_and_counts_the_questions(tmp_path):
    out = StringIO()

    call_command("import_gift", write(tmp_path, GOOD_FILE), stdout=out)

    assert Question.objects.count() == 2
    assert "Ligne 7 : texte sans question" in out.getvalue() and "2 questions importées." in out.getvalue()


def test_the_command_dry_run_reads_and_imports_nothing(tmp_path):
    out = StringIO()

    call_command("import_gift", write(tmp_path, GOOD_FILE), "--dry-run", stdout=out)

    assert Question.objects.count() == 0 and "2 questions à importer" in out.getvalue()


@pytest.mark.parametrize("dry_run", [False, True])
def test_the_command_prints_each_error_and_fails_with_nothing_imported(tmp_path, dry_run):
    err = StringIO()
    path = write(tmp_path, "Vrai ? {T}\n\nOuvert ? {=oui ~non\n")

    with pytest.raises(CommandError) as failure:
        call_command("import_gift", path, *(["--dry-run"] if dry_run else []), stderr=err)

    assert failure.value.returncode != 0
    assert "Ligne 3 : accolade ouvrante jamais fermée." in err.getvalue()
    assert Question.objects.count() == 0


def test_the_command_refuses_a_file_over_10_mb_and_a_missing_file(tmp_path):
    big = write(tmp_path, b"// " + b"x" * gift.MAX_BYTES)

    with pytest.raises(CommandError, match="Le fichier dépasse 10 Mo"):
        call_command("import_gift", big)
    with pytest.raises(CommandError, match="Lecture impossible"):
        call_command("import_gift", str(tmp_path / "absent.gift"))


# --- Weights in the admin ----------------------------------------------------------------------


def test_a_trainer_sets_weights_in_the_admin_and_grading_follows_them(trainer_client):
    common = {"title": "", "points": "2", "tag": "poids", "explanation": ""}
    choices = inline_panel("choices", [
        {"text": "Juste", "is_correct": "on", "weight": "100"}, {"text": "À moitié", "weight": "50"}, {"text": "Faux", "weight": ""},
    ])
    short = inline_panel("weighted_answers", [{"text": "Lutèce", "weight": "25", "feedback": "Ancien nom."}])
    numeric = inline_panel("other_answers", [{"value": "3", "tolerance": "0.5", "weight": "50", "feedback": "Presque."}])

    for model, data in (("singlechoicequestion", {"prompt": "Choix ?", **choices}),
                        ("shortanswerquestion", {"prompt": "Capitale ?", "accepted_answers": "Paris", **short}),
                        ("numericquestion", {"prompt": "Pi ?", "answer": "3.14", "tolerance": "0.01", "feedback": "",
                                             "feedback_otherwise": "Non.", **numeric})):
        prefix = next(key for key in data if key.endswith("-0-weight")).removesuffix("-0-weight")
        assert f'name="{prefix}-__prefix__-weight"' in page_of(trainer_client.get(f"/admin/snippets/quizzes/{model}/add/"))
        response = trainer_client.post(f"/admin/snippets/quizzes/{model}/add/", {**common, **data})
        assert response.status_code == 302, response.context["form"].errors if response.context else response

    single, short_answer, pi = (fresh(question) for question in Question.objects.filter(tag="poids").order_by("pk"))
    assert score(single, choice_id(single, "À moitié"))[0] == Decimal("0.5")
    assert score(single, choice_id(single, "Faux"))[0] == 0
    assert score(short_answer, "lutece") == (Decimal("0.25"), ["Ancien nom."])
    assert score(pi, "2.8") == (Decimal("0.5"), ["Presque."]) and score(pi, "7") == (0, ["Non."])
