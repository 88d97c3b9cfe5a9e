"""GIFT, Moodle's text format for questions (quizzes/gift.py): every construct read into plain
questions, tricky escapes, comments, categories, formats, encodings, the 10 MB refusal, each
error in French with its line, and the round trip export -> parse. Pure: no database."""

from decimal import Decimal

import pytest

from home.sanitize import clean_imported_rich_text, clean_rich_text
from quizzes.gift import (
    BLANK, MAX_BYTES, Answer, Description, Essay, Matching, MultipleChoice, Numeric, NumericAnswer, Pair,
    ShortAnswer, SingleChoice, TextFormat, TrueFalse, export, parse,
)

D = Decimal


def only_question(source):
    result = parse(source)
    assert result.errors == ()
    (question,) = result.questions
    return question


def errors_of(source):
    result = parse(source)
    return [str(error) for error in result.errors]


# --- Every kind of question --------------------------------------------------------------


@pytest.mark.parametrize("source, expected", [
    ("Bienvenue dans le quiz RGPD.", Description(prompt="Bienvenue dans le quiz RGPD.")),
    ("Racontez une crise que vous avez vécue. {}", Essay(prompt="Racontez une crise que vous avez vécue.")),
    ("Décrivez votre ligne éditoriale. {\n}", Essay(prompt="Décrivez votre ligne éditoriale.")),
    (
        "Qui répond aux commentaires ? {=La community manager ~Le stagiaire#Pas seul. ~%-50%Personne}",
        SingleChoice(prompt="Qui répond aux commentaires ?", choices=(
            Answer("La community manager", D(100)),
            Answer("Le stagiaire", D(0), feedback="Pas seul."),
            Answer("Personne", D(-50)),
        )),
    ),
    (
        # several right answers, and `=` with a weight (a half-right one)
        "Un réseau social ? {=Mastodon =LinkedIn ~%50%Un forum ~Un tableur}",
        SingleChoice(prompt="Un réseau social ?", choices=(
            Answer("Mastodon", D(100)), Answer("LinkedIn", D(100)), Answer("Un forum", D(50)), Answer("Un tableur", D(0)),
        )),
    ),
    (
        # Moodle: text before the first mark is a wrong answer
        "Capitale ? {Lyon ~Marseille =Paris}",
        SingleChoice(prompt="Capitale ?", choices=(Answer("Lyon", D(0)), Answer("Marseille", D(0)), Answer("Paris", D(100)))),
    ),
    (
        "Données personnelles ? {\n~%50%Le nom\n~%50%L'adresse IP#Oui, aussi.\n~%-100%La météo\n}",
        MultipleChoice(prompt="Données personnelles ?", choices=(
            Answer("Le nom", D(50)), Answer("L'adresse IP", D(50), feedback="Oui, aussi."), Answer("La météo", D(-100)),
        )),
    ),
    (
        "Trois tiers ? {~%33.33333%a ~%33.33333%b ~%33.33333%c ~d}",
        MultipleChoice(prompt="Trois tiers ?", choices=(
            Answer("a", D("33.33333")), Answer("b", D("33.33333")), Answer("c", D("33.33333")), Answer("d", D(0)),
        )),
    ),
    ("Le RGPD est européen. {T}", TrueFalse(prompt="Le RGPD est européen.", answer=True)),
    ("Le RGPD est européen. {TRUE}", TrueFalse(prompt="Le RGPD est européen.", answer=True)),
    ("On peut tout publier. {F}", TrueFalse(prompt="On peut tout publier.", answer=False)),
    (
        "On peut tout publier. {FALSE#Non : pensez au droit à l'image.#Exact.}",
        TrueFalse(prompt="On peut tout publier.", answer=False,
                  feedback_if_wrong="Non : pensez au droit à l'image.", feedback_if_right="Exact."),
    ),
    ("Vrai ? {TRUE##Bravo}", TrueFalse(prompt="Vrai ?", answer=True, feedback_if_right="Bravo")),
    # only the capital spellings are true/false (Moodle): anything else is a short answer
    ("Vrai ? {=true}", ShortAnswer(prompt="Vrai ?", answers=(Answer("true", D(100)),))),
    (
        "Qui est enterré dans la tombe de Grant ? {=Grant =Ulysses Grant#Oui. =%50%Ulysses}",
        ShortAnswer(prompt="Qui est enterré dans la tombe de Grant ?", answers=(
            Answer("Grant", D(100)), Answer("Ulysses Grant", D(100), feedback="Oui."), Answer("Ulysses", D(50)),
        )),
    ),
    ("Sigle ? {RGPD}", ShortAnswer(prompt="Sigle ?", answers=(Answer("RGPD", D(100)),))),
    ("Pi ? {#3.14:0.01}", Numeric(prompt="Pi ?", answers=(NumericAnswer(D("3.14"), D("0.01")),))),
    ("Combien ? {#12}", Numeric(prompt="Combien ?", answers=(NumericAnswer(D(12)),))),
    ("Négatif ? {#-4.5:0.5#Bien.}", Numeric(prompt="Négatif ?", answers=(NumericAnswer(D("-4.5"), D("0.5"), feedback="Bien."),))),
    (
        "Entre 1 et 5 ? {#1..5}",
        Numeric(prompt="Entre 1 et 5 ?", answers=(NumericAnswer(D(3), D(2), written_as_range=True),)),
    ),
    (
        "Naissance de Grant ? {#\n=1822:0#Exact.\n=%50%1822:2#Presque.\n~#Revoyez la date.\n}",
        Numeric(prompt="Naissance de Grant ?", answers=(
            NumericAnswer(D(1822), D(0), feedback="Exact."), NumericAnswer(D(1822), D(2), weight=D(50), feedback="Presque."),
        ), feedback_otherwise="Revoyez la date."),
    ),
    (
        "Associez. {=Facebook -> Meta =Instagram -> Meta =YouTube -> Google = -> Microsoft}",
        Matching(prompt="Associez.", pairs=(
            Pair("Facebook", "Meta"), Pair("Instagram", "Meta"), Pair("YouTube", "Google"), Pair("", "Microsoft"),
        )),
    ),
])
def test_each_kind_of_question_is_read_as_moodle_reads_it(source, expected):
    assert only_question(source) == expected


@pytest.mark.parametrize("source, expected", [
    (
        "::Droit à l'image::Une photo d'équipe ? {T####Demandez toujours l'accord.}",
        TrueFalse(title="Droit à l'image", prompt="Une photo d'équipe ?", answer=True,
                  general_feedback="Demandez toujours l'accord."),
    ),
    ("::Vide::{}", Essay(title="Vide")),
    ("::Seul titre::", Description(title="Seul titre")),
    # answers in the middle of the prompt leave a blank where they stood
    (
        "Le RGPD date de {#2016} et s'applique depuis 2018.",
        Numeric(prompt=f"Le RGPD date de {BLANK} et s'applique depuis 2018.", blank_at=16, answers=(NumericAnswer(D(2016)),)),
    ),
    (
        "{=Modérer ~Ignorer} un commentaire haineux.",
        SingleChoice(prompt=f"{BLANK} un commentaire haineux.", blank_at=0,
                     choices=(Answer("Modérer", D(100)), Answer("Ignorer", D(0)))),
    ),
    # only spaces after the answers: no blank
    ("Capitale ? {=Paris}   ", ShortAnswer(prompt="Capitale ?", answers=(Answer("Paris", D(100)),))),
    (
        "Réponses ? {=a#Oui. ~b ####Relisez le cours.}",
        SingleChoice(prompt="Réponses ?", general_feedback="Relisez le cours.", choices=(
            Answer("a", D(100), feedback="Oui."), Answer("b", D(0)),
        )),
    ),
])
def test_titles_general_feedback_and_blanks(source, expected):
    assert only_question(source) == expected


def test_the_prompt_may_run_over_several_lines_and_keeps_them():
    # given
    source = "Lisez ce message :\n« Votre produit est nul. »\nQue faites-vous ? {=Je réponds poliment ~Je supprime}"

    # when
    question = only_question(source)

    # then
    assert question.prompt == "Lisez ce message :\n« Votre produit est nul. »\nQue faites-vous ?"


# --- Escapes -------------------------------------------------------------------------------


@pytest.mark.parametrize("source, read, expected", [
    (r"Un ensemble \{a, b\} ? {T}", lambda q: q.prompt, "Un ensemble {a, b} ?"),
    (r"Accolade \} seule {T}", lambda q: q.prompt, "Accolade } seule"),
    (r"Le \#hashtag ? {=oui#C'est le \#1 des usages. ~non}", lambda q: q.prompt, "Le #hashtag ?"),
    (r"Q {=oui#C'est le \#1 des usages. ~non}", lambda q: q.choices[0].feedback, "C'est le #1 des usages."),
    (r"Q {=1 \= 1 -> vrai =2 \= 3 -> faux}", lambda q: q.pairs, (Pair("1 = 1", "vrai"), Pair("2 = 3", "faux"))),
    (r"::RGPD \: article 6:: Licite ? {T}", lambda q: q.title, "RGPD : article 6"),
    (r"Q {=environ \~ 3 ~exactement 3}", lambda q: [c.text for c in q.choices], ["environ ~ 3", "exactement 3"]),
    (r"Ligne un\nligne deux {T}", lambda q: q.prompt, "Ligne un\nligne deux"),
    (r"Un antislash \\ et \\n {T}", lambda q: q.prompt, "Un antislash \\ et \\n"),
    (r"TeX \(x^2\) garde ses antislashs {T}", lambda q: q.prompt, r"TeX \(x^2\) garde ses antislashs"),
    (r"Q {T####Pas de \{ ni de \}}", lambda q: q.general_feedback, "Pas de { ni de }"),
    (r"Q {=a\#b ~c}", lambda q: [c.text for c in q.choices], ["a#b", "c"]),
    (r"Q\: {T}", lambda q: (q.title, q.prompt), ("", "Q:")),
])
def test_escaped_characters_are_text_and_never_marks(source, read, expected):
    assert read(only_question(source)) == expected


# --- Comments, categories, formats ---------------------------------------------------------


def test_comment_lines_are_left_out_even_inside_a_question_and_lines_still_count():
    # given
    source = "// Quiz RGPD, version 2\n\nQ1 {T}\n\n// à revoir\nQ2 {\n// la bonne réponse d'abord\n=a\n~b\n~}"

    # when
    result = parse(source)

    # then
    assert [q.prompt for q in result.questions] == ["Q1"]
    assert [str(e) for e in result.errors] == ["Ligne 10 : réponse vide après « ~ »."]
    assert result.questions[0].line == 3


def test_a_double_slash_inside_a_line_is_text():
    assert only_question("Voir https://cnil.fr {T}").prompt == "Voir https://cnil.fr"


def test_each_question_takes_the_last_category_and_is_tagged_with_its_last_segment():
    # given
    source = (
        "Sans catégorie {T}\n\n"
        "$CATEGORY: $course$/top/RGPD\n\n"
        "Q1 {T}\n\n"
        "Q2 {F}\n\n"
        "$CATEGORY: $course$/top/Crise\n"
        "Q3 {T}\n"
    )

    # when
    questions = parse(source).questions

    # then
    assert [(q.prompt, q.category, q.tag) for q in questions] == [
        ("Sans catégorie", "", ""),
        ("Q1", "$course$/top/RGPD", "RGPD"),
        ("Q2", "$course$/top/RGPD", "RGPD"),
        ("Q3", "$course$/top/Crise", "Crise"),
    ]
    assert [q.line for q in questions] == [1, 5, 7, 10]


@pytest.mark.parametrize("source, prompt_format, prompt", [
    ("Texte simple {T}", TextFormat.MOODLE, "Texte simple"),
    ("[moodle]Texte <b>Moodle</b> {T}", TextFormat.MOODLE, "Texte <b>Moodle</b>"),
    ("[plain]<b>tel quel</b> {T}", TextFormat.PLAIN, "<b>tel quel</b>"),
    ("[markdown]Un **gras** et un [lien](https://cnil.fr) {T}", TextFormat.MARKDOWN,
     "Un **gras** et un [lien](https://cnil.fr)"),
    ("::Titre:: [html]<p>Bonjour</p> {T}", TextFormat.HTML, "<p>Bonjour</p>"),
    ('[html]<p onclick="vol()">Cliquez</p><script>vol()</script><img src=x> {T}', TextFormat.HTML,
     "<p>Cliquez</p>vol()"),
])
def test_the_format_marker_is_kept_and_html_is_sanitised(source, prompt_format, prompt):
    question = only_question(source)
    assert (question.prompt_format, question.prompt) == (prompt_format, prompt)


def test_html_feedback_and_choices_are_sanitised_but_short_answers_stay_as_typed():
    # given
    source = (
        "[html]Choix {=<b>oui</b><script>x</script>#<i>bien</i><iframe></iframe> ~non ####<a href=\"javascript:x\">lien</a>}\n\n"
        "[html]Tapez {=a <b> c#<script>x</script>}"
    )

    # when
    choice, short = parse(source).questions

    # then
    assert choice.choices[0] == Answer("<b>oui</b>x", D(100), feedback="<i>bien</i>")
    assert choice.general_feedback == "<a>lien</a>"
    assert short.answers == (Answer("a <b> c", D(100), feedback="x"),)


@pytest.mark.parametrize("text", [
    "", "Le consentement", "Tab\tet ligne\n, guillemets « » \" ', accents é, emoji 😀, \\ et /",
    "a < b", "a > b", "A & B", "&eacute;", "<b>gras</b>", "nul\x00", "retour\r", "\x7f", "\ufdd0", "\ufffe",
])
def test_the_quick_path_for_imported_html_cleans_exactly_like_the_sanitiser(text):
    assert clean_imported_rich_text(text) == clean_rich_text(text)


# --- Encodings and size ---------------------------------------------------------------------


@pytest.mark.parametrize("source", [
    "Q1 {T}\n\nQ2 {\n=a\n~b\n}\n".encode(),
    "\ufeffQ1 {T}\n\nQ2 {\n=a\n~b\n}\n".encode(),
    "\ufeffQ1 {T}\n\nQ2 {\n=a\n~b\n}\n",
    b"Q1 {T}\r\n\r\nQ2 {\r\n=a\r\n~b\r\n}\r\n",
    b"\xef\xbb\xbfQ1 {T}\r\n\r\nQ2 {\r\n=a\r\n~b\r\n}\r\n",
    b"Q1 {T}\r\rQ2 {\r=a\r~b\r}\r",
])
def test_utf8_with_or_without_bom_and_any_line_ending_read_the_same(source):
    result = parse(source)
    assert result.questions == (
        TrueFalse(prompt="Q1", answer=True),
        SingleChoice(prompt="Q2", choices=(Answer("a", D(100)), Answer("b", D(0)))),
    )
    assert [q.line for q in result.questions] == [1, 3]


def test_accents_survive_the_decoding():
    assert only_question("Sécurité ? {=Élevée ~Faible}".encode()).choices[0].text == "Élevée"


def test_a_file_not_in_utf8_is_refused_at_its_first_bad_line():
    assert errors_of("Q1 {T}\n\nQ2 é {F}".encode("latin-1")) == [
        "Ligne 3 : le fichier n'est pas en UTF-8 : enregistrez-le en UTF-8."
    ]


@pytest.mark.parametrize("source", [
    b"x" * (MAX_BYTES + 1),
    "é" * (MAX_BYTES // 2 + 1),  # fewer characters than the limit, more bytes
])
def test_a_file_over_10_mb_is_refused_before_it_is_read(source):
    result = parse(source)
    assert result.questions == ()
    assert [(e.line, str(e)) for e in result.errors] == [
        (None, "Le fichier dépasse 10 Mo : découpez-le en plusieurs fichiers.")
    ]


def test_a_file_of_exactly_10_mb_is_read():
    assert parse(b"// " + b"x" * (MAX_BYTES - 3)) == parse("")


# --- Errors: in French, with their line, and the faulty question left out -------------------


@pytest.mark.parametrize("source, message", [
    ("Q {=a ~b", "Ligne 1 : accolade ouvrante jamais fermée."),
    ("Q\n{=a\n~b\nQ2 {=c ~d}", "Ligne 2 : accolade ouvrante jamais fermée."),
    ("Q =a ~b}", "Ligne 1 : accolade fermante sans accolade ouvrante."),
    ("Q {=a ~b}\n}", "Ligne 2 : accolade fermante sans accolade ouvrante."),
    ("Q {=a ~b}\net {=c}", "Ligne 2 : une question n'a qu'un bloc de réponses entre accolades."),
    ("Q {\n=a\n~\n}", "Ligne 3 : réponse vide après « ~ »."),
    ("Q {\n~a\n=#Bien.\n}", "Ligne 3 : réponse vide après « = »."),
    ("Q {=a =%50%}", "Ligne 1 : réponse vide après « = »."),
    ("Q {#}", "Ligne 1 : réponse vide après « # »."),
    ("Q {=a -> b\n=\n=c -> d}", "Ligne 2 : réponse vide après « = »."),
    ("Q {=a -> b =c ->}", "Ligne 1 : réponse vide après « -> »."),
    ("Q {\n=%50%a\n~b\n}", "Ligne 1 : aucune réponse ne vaut 100 % : il en faut une pour obtenir tous les points."),
    ("Q {=%50%Grant =%20%Ulysses}", "Ligne 1 : aucune réponse ne vaut 100 % : il en faut une pour obtenir tous les points."),
    ("Q {~%50%a ~%20%b ~%-100%c}", "Ligne 1 : les poids positifs font 70 % au lieu de 100 %."),
    ("Q {~%60%a ~%60%b}", "Ligne 1 : les poids positifs font 120 % au lieu de 100 %."),
    ("Q {~a ~b}", "Ligne 1 : les poids positifs font 0 % au lieu de 100 %."),
    ("Q {~%33.3%a ~%33.3%b ~%33.3%c}", "Ligne 1 : les poids positifs font 99.9 % au lieu de 100 %."),
    ("Q {\n=a\n~%-150%b\n}", "Ligne 3 : poids de -150 % hors de l'intervalle -100 % à 100 %."),
    ("Q {=a =%120%b}", "Ligne 1 : poids de 120 % hors de l'intervalle -100 % à 100 %."),
    ("Bonne {=a}\n\nQ {~a}", "Ligne 3 : une question à choix demande au moins deux réponses."),
    ("Q {#trois}", "Ligne 1 : « trois » n'est pas un nombre (le séparateur décimal est le point)."),
    ("Q {#3,14}", "Ligne 1 : « 3,14 » n'est pas un nombre (le séparateur décimal est le point)."),
    ("Q {#3.14:}", "Ligne 1 : «  » n'est pas un nombre (le séparateur décimal est le point)."),
    ("Q {#nan}", "Ligne 1 : « nan » n'est pas un nombre (le séparateur décimal est le point)."),
    ("Q {#\n=1822:0\n=%50%1822:deux\n}", "Ligne 3 : « deux » n'est pas un nombre (le séparateur décimal est le point)."),
    ("Q {#5..1}", "Ligne 1 : intervalle 5..1 : le minimum dépasse le maximum."),
    ("Q {#1..}", "Ligne 1 : «  » n'est pas un nombre (le séparateur décimal est le point)."),
    ("Q {#3:-0.5}", "Ligne 1 : tolérance négative : -0.5."),
    ("Q {=a -> b}", "Ligne 1 : une association demande au moins 2 paires."),
    ("Q {\n=a -> b\n=c\n}", "Ligne 3 : paire sans « -> » : écrivez « =élément -> réponse »."),
    ("Q {=a -> b#non =c -> d}", "Ligne 1 : une paire d'association ne prend pas de commentaire après « # »."),
    ("[latex]Q {T}", "Ligne 1 : format « [latex] » inconnu : utilisez [html], [markdown], [plain] ou [moodle]."),
    ("::Titre Q {T}", "Ligne 1 : titre ouvert par « :: » mais jamais fermé."),
])
def test_each_error_is_in_french_with_its_line_and_its_question_is_left_out(source, message):
    # when
    result = parse(source)

    # then
    assert [str(error) for error in result.errors] == [message]
    assert not result.ok
    assert all(question.prompt != "Q" for question in result.questions)


def test_every_error_of_a_file_is_listed_with_its_line_beside_the_good_questions():
    # given
    source = (
        "// Un fichier avec trois fautes\n"      # 1
        "\n"
        "Bonne {T}\n"                             # 3
        "\n"
        "Mauvaise {=a ~b\n"                       # 5
        "\n"
        "::Bonne aussi:: Q {=oui ~non}\n"         # 7
        "\n"
        "Nombre {#\n"                             # 9
        "=1..x\n"                                 # 10
        "}\n"
        "\n"
        "Poids {~%50%a ~%20%b}\n"                 # 13
    )

    # when
    result = parse(source)

    # then
    assert [q.line for q in result.questions] == [3, 7]
    assert [(error.line, str(error)) for error in result.errors] == [
        (5, "Ligne 5 : accolade ouvrante jamais fermée."),
        (10, "Ligne 10 : « x » n'est pas un nombre (le séparateur décimal est le point)."),
        (13, "Ligne 13 : les poids positifs font 70 % au lieu de 100 %."),
    ]


def test_a_clean_file_is_ok():
    assert parse("Q {T}").ok


def test_errors_follow_the_language_of_the_request():
    from django.utils import translation

    with translation.override("en"):
        assert errors_of("Q {=a ~b") == ["Line 1: opening brace never closed."]


# --- Writing GIFT, and reading it back ------------------------------------------------------


RICH_SAMPLE = r"""// Un échantillon de chaque sorte de question
$CATEGORY: $course$/top/RGPD

::Accueil::[html]<p>Ce quiz porte sur le <b>RGPD</b>.</p>

::Base légale\: article 6::Quelle base légale pour une newsletter ? {
    =Le consentement#Oui \: il est libre et éclairé.
    ~%-50%L'intérêt légitime#Pas pour la prospection \{par e\-mail\}.
    ~Le contrat
    ####Voir l'article 6 \= licéité.
}

Données personnelles ? {~%50%Le nom ~%50%L'adresse IP ~%-100%La météo}

Le RGPD est européen. {TRUE#Non, relisez.#Oui \#Europe.}

On peut tout publier. {F}

$CATEGORY: $course$/top/Crise

Sigle de l'autorité ? {=CNIL =%50%La commission#Son nom complet.}

Pi à deux décimales ? {#3.14:0.005#Bien.}

Entre 1 et 5 ? {#1..5####Un entier suffit.}

Naissance ? {#=1822:0 =%50%1822:2#Presque. ~#Revoyez.}

Le RGPD date de {#2016} et s'applique depuis 2018.

Associez. {=1 \= 1 -> vrai =Facebook -> Meta = -> Google}

[markdown]Racontez **une crise**.\nEn détail. {####Un paragraphe suffit.}

[plain]<b>tel quel</b> \\ et un \~ {=a ~b}

{=Modérer ~Ignorer} un commentaire haineux.
"""


def test_the_rich_sample_reads_without_error_into_every_kind():
    result = parse(RICH_SAMPLE)
    assert result.errors == ()
    assert {type(question) for question in result.questions} == {
        Description, SingleChoice, MultipleChoice, TrueFalse, ShortAnswer, Numeric, Matching, Essay,
    }


def test_reading_an_export_gives_back_the_same_questions():
    # given
    questions = parse(RICH_SAMPLE).questions

    # when
    again = parse(export(questions))

    # then
    assert again.errors == ()
    assert again.questions == questions


@pytest.mark.parametrize("question", [
    Description(prompt="Tous les signes : ~ = # { } \\ et \\n, ::, ####, ->\navec une nouvelle ligne."),
    Description(prompt="[html] n'est pas un format ici"),
    Description(prompt="// pas un commentaire"),
    Description(prompt="$CATEGORY: pas une catégorie"),
    Description(title="Un :: titre \\", prompt="Texte\n\nen deux paragraphes"),
    Essay(prompt=""),
    Essay(prompt=f"{BLANK} au début", blank_at=0, general_feedback="#####"),
    TrueFalse(prompt="Q", answer=False, feedback_if_wrong="", feedback_if_right="#droit"),
    TrueFalse(prompt="Q", answer=True, feedback_if_wrong="TRUE", general_feedback="{}"),
    SingleChoice(prompt=f"Au milieu {BLANK}, avec un {{ après", blank_at=10, choices=(
        Answer("%50% écrit", D(100), feedback="a#b"), Answer("=~", D("-33.5")),
    )),
    MultipleChoice(prompt="Q", choices=(Answer("a", D(100)), Answer("b", D(0)), Answer("c", D(-100)))),
    ShortAnswer(prompt="Q", answers=(Answer("T", D(100)), Answer("a:b", D("12.5"), feedback="~"))),
    Numeric(prompt="Q", answers=(NumericAnswer(D("-0.5"), D("0.25"), written_as_range=True),), feedback_otherwise="x"),
    Numeric(prompt="Q", answers=(NumericAnswer(D("1E+3"), weight=D(50)),)),
    Matching(prompt="Q", pairs=(Pair("a = b", "c # d"), Pair("{", "e -> f"))),
    SingleChoice(category="$course$/top/A", prompt="Q", choices=(Answer("a", D(100)), Answer("b", D(0)))),
], ids=lambda question: type(question).__name__)
def test_tricky_texts_survive_the_round_trip(question):
    assert parse(export([question])).questions == (question,)


def test_the_export_writes_a_category_line_only_where_the_category_changes():
    # given
    questions = [
        TrueFalse(prompt="Q1", answer=True, category="$course$/top/RGPD"),
        TrueFalse(prompt="Q2", answer=False, category="$course$/top/RGPD"),
        TrueFalse(prompt="Q3", answer=True, category="$course$/top/Crise"),
        TrueFalse(prompt="Q4", answer=True),
    ]

    # when
    text = export(questions)

    # then
    assert text == (
        "$CATEGORY: $course$/top/RGPD\n\nQ1 {TRUE}\n\nQ2 {FALSE}\n\n"
        "$CATEGORY: $course$/top/Crise\n\nQ3 {TRUE}\n\n"
        "$CATEGORY: \n\nQ4 {TRUE}\n\n"
    )
    assert parse(text).questions == tuple(questions)


def test_the_export_reads_like_hand_written_gift():
    questions = parse("::Q1:: Pi ? {#3.14:0.01}\n\nLe ciel est {=bleu ~%-50%vert#Non.} ici.").questions
    assert export(questions) == "::Q1::Pi ? {#3.14:0.01}\n\nLe ciel est {=bleu ~%-50%vert#Non.} ici.\n\n"
