"""GIFT files in the question bank: read a file into unsaved bank questions (to preview),
import it whole or not at all, and export bank questions as GIFT.

One table, MAPPINGS, pairs each kind of parsed question (quizzes.gift) with the bank type
holding it and says how its fields and options go each way, so that importing an export
gives back the same bank questions. The bank keeps plain text, escaped wherever it is
shown: text written in GIFT's [html] or [moodle] format is reduced to its text (markup and
scripts dropped, through home.sanitize); [plain] and [markdown] text is kept as written.
GIFT has no points: an imported question is worth 1 point."""

from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Callable

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from home.refusals import Kind, Refused
from home.sanitize import html_to_text
from quizzes import gift
from quizzes.models import Question
from quizzes.models.questions import FULL_WEIGHT

TAG_LENGTH = Question._meta.get_field("tag").max_length
WEIGHT_PLACES = Decimal("0.00001")  # as the bank's weight fields keep them


class NotImportable(Exception):
    """A parsed question the bank cannot hold as it is; `message` says why, in French."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


class ImportRefused(Refused):
    """A GIFT file with errors: nothing was imported. `errors` lists them, with their lines."""

    kind = Kind.INVALID

    def __init__(self, errors):
        self.errors = tuple(errors)
        super().__init__(_("Le fichier GIFT contient des erreurs : rien n'a été importé."))


# --- Text -------------------------------------------------------------------------------------


def bank_text(text, text_format):
    """What the bank keeps of a GIFT text written in `text_format`."""
    if text_format in (gift.TextFormat.HTML, gift.TextFormat.MOODLE):
        return html_to_text(text)
    return text


def gift_format(texts):
    """The format to write bank texts in: Moodle's, unless reading one of them as Moodle
    text would change it (markup, entities), then [plain]."""
    if all(html_to_text(text) == text for text in texts):
        return gift.TextFormat.MOODLE
    return gift.TextFormat.PLAIN


def bank_weight(weight):
    return Decimal(weight).quantize(WEIGHT_PLACES)


def gift_decimal(value):
    """A bank decimal as GIFT writes it: 50, not 50.00000."""
    return Decimal(value).normalize() + 0


# --- One mapping per kind: (bank fields, {relation: [unsaved options]}) from a parsed
# question whose texts are already the bank's, and back ----------------------------------------


def option_model(kind, relation):
    return Question.of_kind(kind)._meta.get_field(relation).related_model


def canonical_weights(weights, multiple):
    """Whether `weights` grade exactly as the bank's rule without weights: single choice,
    right (100 %) or wrong (0); multiple choice, each right answer 100/n % and each wrong
    one -100/n %. Such a question is kept without weights."""
    if not multiple:
        return all(weight in (0, FULL_WEIGHT) for weight in weights)
    rights = sum(1 for weight in weights if weight > 0)
    share = bank_weight(FULL_WEIGHT / rights) if rights else None
    return all(bank_weight(weight) in (share, -share) for weight in weights) if share else False


def choices_to_bank(kind, *, multiple):
    def to_bank(parsed):
        option = option_model(kind, "choices")
        weights = [choice.weight for choice in parsed.choices]
        keep_weights = not canonical_weights(weights, multiple)
        choices = [
            option(
                text=choice.text, feedback=choice.feedback,
                is_correct=choice.weight > 0 if multiple else choice.weight == FULL_WEIGHT,
                weight=bank_weight(choice.weight) if keep_weights else None,
            )
            for choice in parsed.choices
        ]
        return {}, {"choices": choices}

    return to_bank


def choices_to_gift(*, multiple):
    def to_gift(question):
        choices = list(question.choices.all())
        if question.is_weighted():
            weights = [choice.weight or 0 for choice in choices]
        else:
            rights = sum(1 for choice in choices if choice.is_correct)
            share = FULL_WEIGHT / rights if multiple and rights else FULL_WEIGHT
            weights = [share if choice.is_correct else (-share if multiple else 0) for choice in choices]
        return {"choices": tuple(
            gift.Answer(text=choice.text, weight=gift_decimal(bank_weight(weight)), feedback=choice.feedback)
            for choice, weight in zip(choices, weights)
        )}

    return to_gift


def true_false_to_bank(parsed):
    right, wrong = parsed.feedback_if_right, parsed.feedback_if_wrong
    return {
        "answer": parsed.answer,
        "feedback_true": right if parsed.answer else wrong,
        "feedback_false": wrong if parsed.answer else right,
    }, {}


def true_false_to_gift(question):
    if question.answer:
        right, wrong = question.feedback_true, question.feedback_false
    else:
        right, wrong = question.feedback_false, question.feedback_true
    return {"answer": question.answer, "feedback_if_right": right, "feedback_if_wrong": wrong}


def short_answer_to_bank(parsed):
    """Answers worth all the points without a comment are the accepted answers; the others
    are weighted answers."""
    accepted, weighted = [], []
    option = option_model("short_answer", "weighted_answers")
    for answer in parsed.answers:
        if not answer.text:
            raise NotImportable(_("une réponse attendue est vide une fois son HTML retiré."))
        if answer.weight == FULL_WEIGHT and not answer.feedback and "\n" not in answer.text:
            accepted.append(answer.text)
        else:
            weighted.append(option(text=answer.text, weight=bank_weight(answer.weight), feedback=answer.feedback))
    return {"accepted_answers": "\n".join(accepted)}, {"weighted_answers": weighted}


def short_answer_to_gift(question):
    answers = [gift.Answer(text=text, weight=FULL_WEIGHT) for text in question.accepted()]
    answers += [
        gift.Answer(text=answer.text, weight=gift_decimal(answer.weight), feedback=answer.feedback)
        for answer in question.weighted_answers.all()
    ]
    return {"answers": tuple(answers)}


def numeric_to_bank(parsed):
    """The first answer worth all the points is the question's answer; the others are its
    other answers. A range `1..5` is kept as 3 give or take 2."""
    main = next((answer for answer in parsed.answers if answer.weight == FULL_WEIGHT), None)
    if main is None:
        raise NotImportable(_("aucune réponse numérique ne vaut 100 % : il en faut une pour obtenir tous les points."))
    option = option_model("numeric", "other_answers")
    others = [
        option(value=answer.value, tolerance=answer.tolerance, weight=bank_weight(answer.weight), feedback=answer.feedback)
        for answer in parsed.answers if answer is not main
    ]
    fields = {
        "answer": main.value, "tolerance": main.tolerance, "feedback": main.feedback,
        "feedback_otherwise": parsed.feedback_otherwise,
    }
    return fields, {"other_answers": others}


def numeric_to_gift(question):
    answers = [gift.NumericAnswer(
        value=gift_decimal(question.answer), tolerance=gift_decimal(question.tolerance), feedback=question.feedback,
    )]
    answers += [
        gift.NumericAnswer(
            value=gift_decimal(other.value), tolerance=gift_decimal(other.tolerance),
            weight=gift_decimal(other.weight), feedback=other.feedback,
        )
        for other in question.other_answers.all()
    ]
    return {"answers": tuple(answers), "feedback_otherwise": question.feedback_otherwise}


def matching_to_bank(parsed):
    """Pairs in their order; a pair without an item (`=-> answer`) is a decoy."""
    if sum(1 for pair in parsed.pairs if pair.prompt) < 2:
        raise NotImportable(_("une association demande au moins 2 paires avec un élément, en plus des leurres."))
    pair = option_model("matching", "pairs")
    return {}, {"pairs": [pair(left=p.prompt, right=p.answer) for p in parsed.pairs]}


def matching_to_gift(question):
    return {"pairs": tuple(gift.Pair(prompt=pair.left, answer=pair.right) for pair in question.pairs.all())}


def no_options_to_bank(parsed):
    return {}, {}


def nothing_to_gift(question):
    return {}


def choices_texts(parsed, convert):
    return {"choices": tuple(
        replace(choice, text=convert(choice.text), feedback=convert(choice.feedback)) for choice in parsed.choices
    )}


def true_false_texts(parsed, convert):
    return {"feedback_if_wrong": convert(parsed.feedback_if_wrong), "feedback_if_right": convert(parsed.feedback_if_right)}


def short_answer_texts(parsed, convert):
    return {"answers": tuple(
        replace(answer, text=convert(answer.text), feedback=convert(answer.feedback)) for answer in parsed.answers
    )}


def numeric_texts(parsed, convert):
    return {
        "answers": tuple(replace(answer, feedback=convert(answer.feedback)) for answer in parsed.answers),
        "feedback_otherwise": convert(parsed.feedback_otherwise),
    }


def matching_texts(parsed, convert):
    return {"pairs": tuple(gift.Pair(prompt=convert(pair.prompt), answer=convert(pair.answer)) for pair in parsed.pairs)}


def no_texts(parsed, convert):
    return {}


@dataclass(frozen=True)
class Mapping:
    """How a kind of parsed question goes into the bank type named `kind`, and back:
    `texts(parsed, convert)` gives the kind's own texts passed through `convert`,
    `to_bank(parsed)` the type's own fields and options, `to_gift(question)` the kind's own
    fields (the common ones are the same for every kind)."""

    parsed: type
    kind: str
    texts: Callable
    to_bank: Callable
    to_gift: Callable


MAPPINGS = (
    Mapping(gift.SingleChoice, "single_choice", choices_texts,
            choices_to_bank("single_choice", multiple=False), choices_to_gift(multiple=False)),
    Mapping(gift.MultipleChoice, "multiple_choice", choices_texts,
            choices_to_bank("multiple_choice", multiple=True), choices_to_gift(multiple=True)),
    Mapping(gift.TrueFalse, "true_false", true_false_texts, true_false_to_bank, true_false_to_gift),
    Mapping(gift.ShortAnswer, "short_answer", short_answer_texts, short_answer_to_bank, short_answer_to_gift),
    Mapping(gift.Numeric, "numeric", numeric_texts, numeric_to_bank, numeric_to_gift),
    Mapping(gift.Matching, "matching", matching_texts, matching_to_bank, matching_to_gift),
    Mapping(gift.Essay, "essay", no_texts, no_options_to_bank, nothing_to_gift),
)


def mapping_of_parsed(parsed):
    return next((mapping for mapping in MAPPINGS if type(parsed) is mapping.parsed), None)


def mapping_of_question(question):
    """The mapping of a bank question's type; None for a type GIFT cannot write."""
    return next((mapping for mapping in MAPPINGS if mapping.kind == question.kind), None)


# --- The texts of a parsed question ------------------------------------------------------------


def with_texts(parsed, convert):
    """`parsed` with every text passed through `convert`: its prompt and general feedback,
    and those its kind's mapping names (answers, feedback, pairs)."""
    changes = {"prompt": convert(parsed.prompt), "general_feedback": convert(parsed.general_feedback)}
    return replace(parsed, **changes, **mapping_of_parsed(parsed).texts(parsed, convert))


def texts_of(parsed):
    """Every text of `parsed` that with_texts converts."""
    found = []

    def keep(text):
        found.append(text)
        return text

    with_texts(parsed, keep)
    return found


# --- Import -----------------------------------------------------------------------------------


def bank_tag(parsed):
    """The tag of a parsed question (its category's last segment), cut to what a tag holds."""
    return parsed.tag.strip()[:TAG_LENGTH].strip()


def bank_question(parsed):
    """An unsaved bank question (with its unsaved options) holding `parsed`, checked as the
    admin would check it; NotImportable when the bank cannot hold it."""
    if isinstance(parsed, gift.Description):
        raise NotImportable(_("texte sans question (description) : la banque ne garde que des questions, il est ignoré."))
    mapping = mapping_of_parsed(parsed)
    model = Question.of_kind(mapping.kind)
    parsed = with_texts(parsed, lambda text: bank_text(text, parsed.prompt_format))
    fields, options = mapping.to_bank(parsed)
    question = model(
        title=parsed.title, prompt=parsed.prompt, explanation=parsed.general_feedback, tag=bank_tag(parsed),
        **fields, **options,
    )
    check(question, options)
    return question


def check(question, options):
    """NotImportable naming every problem the bank's own checks find in `question` or its options."""
    problems = validation_problems(question, exclude=["polymorphic_ctype"])
    for relation in options.values():
        for option in relation:
            problems += validation_problems(option, exclude=["question"])
    if problems:
        raise NotImportable(" ; ".join(dict.fromkeys(problems)))


def validation_problems(instance, exclude):
    """["field: message"] for what full_clean finds wrong in `instance`."""
    try:
        instance.full_clean(exclude=exclude)
    except ValidationError as error:
        return [f"{field_label(instance, name)} : {message}"
                for name, messages in error.message_dict.items() for message in messages]
    return []


def field_label(instance, name):
    try:
        return str(instance._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:  # an error about the whole instance
        return str(instance._meta.verbose_name)


@dataclass(frozen=True)
class ReadQuestion:
    """A question of a file, as the bank would hold it (unsaved), and where it starts."""

    line: int
    question: Question


@dataclass(frozen=True)
class ReadFile:
    """A GIFT file read for the bank: its questions (unsaved), every error and the texts
    left out (descriptions), each with its line. Import only when `ok`."""

    questions: tuple[ReadQuestion, ...]
    errors: tuple[gift.GiftError, ...]
    notices: tuple[gift.GiftError, ...]

    @property
    def ok(self):
        return not self.errors


def read_file(source):
    """`source` (bytes or text) read for the bank, without writing anything."""
    parsed = gift.parse(source)
    questions, errors, notices = [], list(parsed.errors), []
    for question in parsed.questions:
        try:
            questions.append(ReadQuestion(question.line, bank_question(question)))
        except NotImportable as problem:
            target = notices if isinstance(question, gift.Description) else errors
            target.append(gift.located(question.line, problem.message))
    if not questions and not errors:
        errors.append(gift.GiftError(None, _("Le fichier ne contient aucune question à importer.")))
    errors.sort(key=lambda error: error.line or 0)
    return ReadFile(tuple(questions), tuple(errors), tuple(notices))


@transaction.atomic
def import_questions(read):
    """Save every question of `read` (a ReadFile) with its options, in one transaction;
    ImportRefused, and nothing saved, when the file has any error. Returns the saved questions."""
    if not read.ok:
        raise ImportRefused(read.errors)
    for item in read.questions:
        item.question.save()
    return [item.question for item in read.questions]


def import_gift(source):
    """Read `source` and import it whole, or nothing (ImportRefused). The saved questions."""
    return import_questions(read_file(source))


# --- Export -----------------------------------------------------------------------------------


def parsed_question(question):
    """The parsed GIFT question holding bank `question` (specific, options loaded); None
    for a type GIFT cannot write (ordering, triage)."""
    mapping = mapping_of_question(question)
    if mapping is None:
        return None
    prompt = question.prompt
    blank = prompt.find(gift.BLANK)
    parsed = mapping.parsed(
        title=question.title, prompt=prompt, general_feedback=question.explanation, category=question.tag,
        blank_at=blank if blank >= 0 and prompt[blank + len(gift.BLANK):].strip() else None,
        **mapping.to_gift(question),
    )
    return replace(parsed, prompt_format=gift_format(texts_of(parsed)))


def export_questions(questions):
    """GIFT text for bank `questions` (specific, options loaded), in their order, with a
    `$CATEGORY:` line for each tag. A question GIFT cannot write is named in a comment
    line at the top instead."""
    parsed, left_out = [], []
    for question in questions:
        written = parsed_question(question)
        if written is not None:
            parsed.append(written)
        else:
            left_out.append("// " + _("Non exportée (%(type)s, sans équivalent GIFT) : %(prompt)s") % {
                "type": type(question)._meta.verbose_name, "prompt": " ".join(question.prompt.split())[:80],
            } + "\n")
    return "".join(left_out) + ("\n" if left_out else "") + gift.export(parsed)
