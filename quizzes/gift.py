"""GIFT, Moodle's text format for questions: `parse` reads a file into plain question values
(no database) with every error and its line number; `export` writes questions back so that
parsing the export gives the same questions.

Vocabulary: the file is cut into *blocks*, runs of lines up to a blank line (comment lines
starting with `//` are left out). A block is a question, possibly led by a `$CATEGORY:` line.
A question is `::title::[format]prompt {answers}`; the *answers* are the text between the
braces, where `=` and `~` start an answer, `%50%` weighs it, `#` starts its feedback and the
last `####` the question's general feedback. Escapes `\\: \\~ \\= \\# \\{ \\} \\\\` stand for the
character itself and `\\n` for a new line.

Semantics follow Moodle's question/format/gift: the kind of a question is read from its
answers (empty: essay; `#` first: numeric; any `~`: choice, single when an `=` is present;
`=` and `->`: matching; T/TRUE/F/FALSE: true/false; otherwise short answer), and answers in
the middle of the prompt leave a blank (BLANK) where they stood. Weights are percents of the
question's points, from -100 to 100.
"""

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from django.utils.translation import gettext as _

from home.sanitize import clean_imported_rich_text
from quizzes.grading import FULL_MARKS, weights_problem

MAX_BYTES = 10 * 1024 * 1024
BLANK = "_____"
TRUE_FALSE = {"T": True, "TRUE": True, "F": False, "FALSE": False}


class TextFormat(StrEnum):
    MOODLE = "moodle"  # Moodle's default: text with some HTML and automatic line breaks
    HTML = "html"  # sanitised here, through home.sanitize
    MARKDOWN = "markdown"  # kept as written, rendered later
    PLAIN = "plain"  # shown as typed


# --- Parsed questions ----------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """An answer of a choice or short-answer question; `weight` is the percent of the
    question's points it earns (negative: it costs points)."""

    text: str
    weight: Decimal
    feedback: str = ""

    def gift(self, marker):
        """Written after `marker`, whose weight goes without saying (100 % for `=`, 0 for
        `~`) unless the text itself starts with a percent sign."""
        implied = self.weight == default_weight(marker) and not self.text.startswith("%")
        weight = "" if implied else f"%{self.weight:f}%"
        return marker + weight + escape(self.text) + gift_feedback(self.feedback)


@dataclass(frozen=True)
class NumericAnswer:
    """A right value give or take `tolerance`; written `3.14:0.01`, or as a range `1..5`
    (then `value` is the middle and `tolerance` half the width)."""

    value: Decimal
    tolerance: Decimal = Decimal(0)
    weight: Decimal = FULL_MARKS
    feedback: str = ""
    written_as_range: bool = False

    @property
    def minimum(self):
        return self.value - self.tolerance

    @property
    def maximum(self):
        return self.value + self.tolerance

    def gift(self):
        if self.written_as_range:
            return f"{self.minimum:f}..{self.maximum:f}" + gift_feedback(self.feedback)
        tolerance = f":{self.tolerance:f}" if self.tolerance else ""
        return f"{self.value:f}{tolerance}" + gift_feedback(self.feedback)


@dataclass(frozen=True)
class Pair:
    """A matching pair; an empty `prompt` makes `answer` a distractor (Moodle's extra answer)."""

    prompt: str
    answer: str


@dataclass(frozen=True, kw_only=True)
class Question:
    """What every kind of question carries. `prompt` shows BLANK at `blank_at` when the
    answers sat in the middle of it (None when they follow it). `line` is where the question
    starts in its file, left out of comparisons."""

    title: str = ""
    prompt: str = ""
    prompt_format: TextFormat = TextFormat.MOODLE
    blank_at: int | None = None
    general_feedback: str = ""
    category: str = ""
    line: int = field(default=0, compare=False)

    @property
    def tag(self):
        """The category's last segment: "$course$/top/RGPD" is tagged "RGPD"."""
        return self.category.rsplit("/", 1)[-1]

    def gift_answers(self):
        """The GIFT text between the braces (escaped), or None for a question without answers."""
        raise NotImplementedError


@dataclass(frozen=True, kw_only=True)
class Description(Question):
    """Text shown between questions, nothing to answer."""

    def gift_answers(self):
        return None


@dataclass(frozen=True, kw_only=True)
class Essay(Question):
    """A free text answer, marked by a person."""

    def gift_answers(self):
        return ""


@dataclass(frozen=True, kw_only=True)
class SingleChoice(Question):
    """One answer to pick; at least one is worth 100 %."""

    choices: tuple[Answer, ...]

    def gift_answers(self):
        return " ".join(choice.gift("=" if choice.weight == FULL_MARKS else "~") for choice in self.choices)


@dataclass(frozen=True, kw_only=True)
class MultipleChoice(Question):
    """Several answers to tick; the positive weights add up to 100 %."""

    choices: tuple[Answer, ...]

    def gift_answers(self):
        return " ".join(choice.gift("~") for choice in self.choices)


@dataclass(frozen=True, kw_only=True)
class TrueFalse(Question):
    """`feedback_if_wrong` is for whoever answers wrong, `feedback_if_right` for the others
    (Moodle's `{FALSE#wrong#right}`)."""

    answer: bool
    feedback_if_wrong: str = ""
    feedback_if_right: str = ""

    def gift_answers(self):
        text = "TRUE" if self.answer else "FALSE"
        if self.feedback_if_wrong or self.feedback_if_right:
            text += gift_feedback(self.feedback_if_wrong, always=True)
        if self.feedback_if_right:
            text += gift_feedback(self.feedback_if_right)
        return text


@dataclass(frozen=True, kw_only=True)
class ShortAnswer(Question):
    """A typed word or expression, compared with each accepted answer."""

    answers: tuple[Answer, ...]

    def gift_answers(self):
        return " ".join(answer.gift("=") for answer in self.answers)


@dataclass(frozen=True, kw_only=True)
class Numeric(Question):
    """A number; `feedback_otherwise` answers any value no answer matches (Moodle's `~#`)."""

    answers: tuple[NumericAnswer, ...]
    feedback_otherwise: str = ""

    def gift_answers(self):
        first, *others = self.answers
        if not others and first.weight == FULL_MARKS:
            text = "#" + first.gift()
        else:
            text = "#" + " ".join(
                "=" + (f"%{answer.weight:f}%" if answer.weight != FULL_MARKS else "") + answer.gift()
                for answer in self.answers
            )
        if self.feedback_otherwise:
            text += " ~" + gift_feedback(self.feedback_otherwise)
        return text


@dataclass(frozen=True, kw_only=True)
class Matching(Question):
    """Each prompt to match with its answer, picked among all the answers."""

    pairs: tuple[Pair, ...]

    def gift_answers(self):
        return " ".join(f"={escape(pair.prompt)} -> {escape(pair.answer)}" for pair in self.pairs)


@dataclass(frozen=True)
class GiftError:
    """A problem in the file; `line` is None when it concerns the whole file."""

    line: int | None
    message: str

    def __str__(self):
        return self.message


@dataclass(frozen=True)
class ParseResult:
    """The questions read without error, and every error. Import only when `ok`."""

    questions: tuple[Question, ...]
    errors: tuple[GiftError, ...]

    @property
    def ok(self):
        return not self.errors


# --- Escapes ------------------------------------------------------------------------------

ESCAPED = re.compile(r"\\([\\:~=#{}n])")
ESCAPES = str.maketrans({char: "\\" + char for char in "\\:~=#{}"} | {"\n": "\\n"})


def unescape(text):
    """Written GIFT to text: `\\=` is `=`, `\\n` a new line; other backslashes stay (TeX)."""
    return ESCAPED.sub(lambda match: "\n" if match[1] == "n" else match[1], text)


def escape(text):
    return text.translate(ESCAPES)


def gift_feedback(feedback, always=False):
    return "#" + escape(feedback) if feedback or always else ""


# --- Tokens: the marks of GIFT ({ } = ~ # #### :: ->), runs of text between them, and
# escapes kept whole, so that an escaped character is never a mark -------------------------

TOKEN = re.compile(r"\\.|####|::|->|[{}=~#]|[^\\{}=~#:-]+|.", re.DOTALL)


@dataclass(frozen=True)
class Token:
    text: str  # as written, escapes included
    offset: int  # in its block's text


def tokenize(text):
    return [Token(match[0], match.start()) for match in TOKEN.finditer(text)]


def raw(tokens):
    return "".join(token.text for token in tokens)


def plain(tokens):
    return unescape(raw(tokens)).strip()


def lstrip(tokens):
    """Without the leading tokens that are only spaces."""
    start = 0
    while start < len(tokens) and not tokens[start].text.strip():
        start += 1
    return tokens[start:]


def split_at(tokens, marks):
    """[(mark token or None, tokens after it)], cut at every token in `marks`."""
    pieces = [(None, [])]
    for token in tokens:
        if token.text in marks:
            pieces.append((token, []))
        else:
            pieces[-1][1].append(token)
    return pieces


def split_once(tokens, mark, *, last=False):
    """(tokens before, tokens after) the first (or last) `mark`; after is None without one."""
    positions = [index for index, token in enumerate(tokens) if token.text == mark]
    if not positions:
        return tokens, None
    index = positions[-1] if last else positions[0]
    return tokens[:index], tokens[index + 1:]


# --- Reading a file -----------------------------------------------------------------------


class GiftProblem(Exception):
    """One problem that stops reading a question; `offset` is where, in its block."""

    def __init__(self, offset, message):
        super().__init__(message)
        self.offset = offset
        self.message = message


@dataclass(frozen=True)
class Block:
    """Lines of the file up to a blank line, each with its number."""

    lines: tuple[tuple[int, str], ...]

    @property
    def text(self):
        return "\n".join(line for _number, line in self.lines)

    @property
    def first_line(self):
        return self.lines[0][0]

    def line_at(self, offset):
        starts, start = [], 0
        for _number, line in self.lines:
            starts.append(start)
            start += len(line) + 1
        return self.lines[bisect_right(starts, offset) - 1][0]


class FileRefused(Exception):
    def __init__(self, error):
        super().__init__(error.message)
        self.error = error


def located(line, problem):
    return GiftError(line, _("Ligne %(line)s : %(problem)s") % {"line": line, "problem": problem})


def parse(source):
    """Read a GIFT file (str, or bytes in UTF-8 with or without BOM) into questions and
    errors. Nothing is stored; a file over 10 MB is refused before it is read."""
    try:
        text = decode(source)
    except FileRefused as refusal:
        return ParseResult(questions=(), errors=(refusal.error,))
    questions, errors, category = [], [], ""
    for block in blocks(text):
        first_line = block.lines[0][1].strip()
        if first_line.startswith("$CATEGORY:"):
            category = first_line.removeprefix("$CATEGORY:").strip()
            block = Block(block.lines[1:])
            if not block.lines:
                continue
        try:
            questions.append(read_question(block, category))
        except GiftProblem as problem:
            errors.append(located(block.line_at(problem.offset), problem.message))
    return ParseResult(questions=tuple(questions), errors=tuple(errors))


def decode(source):
    """The text of `source` with "\n" line ends, or FileRefused when too large or not UTF-8."""
    too_large = len(source) > MAX_BYTES or (
        isinstance(source, str) and len(source.encode("utf-8", "surrogatepass")) > MAX_BYTES
    )
    if too_large:
        raise FileRefused(GiftError(None, _("Le fichier dépasse 10 Mo : découpez-le en plusieurs fichiers.")))
    if isinstance(source, bytes):
        try:
            source = source.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            line = source.count(b"\n", 0, error.start) + 1
            raise FileRefused(located(line, _("le fichier n'est pas en UTF-8 : enregistrez-le en UTF-8."))) from None
    return source.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def blocks(text):
    lines = []
    for number, line in enumerate(text.split("\n"), start=1):
        if line.strip().startswith("//"):
            continue
        if line.strip():
            lines.append((number, line))
        elif lines:
            yield Block(tuple(lines))
            lines = []
    if lines:
        yield Block(tuple(lines))


def read_question(block, category):
    tokens = lstrip(tokenize(block.text))
    title, tokens = read_title(tokens)
    text_format, tokens = read_format(lstrip(tokens))
    before, answers, after = find_answers(tokens)
    prompt, blank_at = read_prompt(before, after, text_format)
    common = dict(
        title=title, prompt=prompt, prompt_format=text_format, blank_at=blank_at,
        category=category, line=block.first_line,
    )
    if answers is None:
        return Description(**common)
    body, general_feedback = split_once(answers[1:], "####", last=True)
    common["general_feedback"] = formatted(plain(general_feedback or []), text_format)
    return read_answers(body, answers[0], text_format, common)


def read_title(tokens):
    if not tokens or tokens[0].text != "::":
        return "", tokens
    title, rest = split_once(tokens[1:], "::")
    if rest is None:
        raise GiftProblem(tokens[0].offset, _("titre ouvert par « :: » mais jamais fermé."))
    return plain(title), rest


FORMAT_MARKER = re.compile(r"\s*\[([a-z]+)\]")


def read_format(tokens):
    match = FORMAT_MARKER.match(tokens[0].text) if tokens else None
    if not match:
        return TextFormat.MOODLE, tokens
    if match[1] not in {text_format.value for text_format in TextFormat}:
        raise GiftProblem(tokens[0].offset, _(
            "format « [%(name)s] » inconnu : utilisez [html], [markdown], [plain] ou [moodle]."
        ) % {"name": match[1]})
    rest = Token(tokens[0].text[match.end():], tokens[0].offset + match.end())
    return TextFormat(match[1]), [rest, *tokens[1:]]


def find_answers(tokens):
    """(prompt before, answers with their opening brace first, prompt after); answers is
    None for a description. Braces must pair up, once."""
    opening = closing = None
    for index, token in enumerate(tokens):
        if token.text == "{":
            if opening is not None and closing is None:
                break  # a second brace opens before the first closes
            if closing is not None:
                raise GiftProblem(token.offset, _("une question n'a qu'un bloc de réponses entre accolades."))
            opening = index
        elif token.text == "}":
            if opening is None or closing is not None:
                raise GiftProblem(token.offset, _("accolade fermante sans accolade ouvrante."))
            closing = index
    if opening is None:
        return tokens, None, []
    if closing is None:
        raise GiftProblem(tokens[opening].offset, _("accolade ouvrante jamais fermée."))
    return tokens[:opening], tokens[opening:closing], tokens[closing + 1:]


BLANK_PLACE = "\ue000"  # a private character marking the blank through sanitising


def read_prompt(before, after, text_format):
    """(prompt, blank_at): text after the answers makes a blank where they stood (Moodle)."""
    text = unescape(raw(before)).replace(BLANK_PLACE, "")
    if raw(after).strip():
        text += BLANK_PLACE + unescape(raw(after)).replace(BLANK_PLACE, "")
    prompt = formatted(text.strip(), text_format)
    blank_at = prompt.find(BLANK_PLACE)
    if blank_at < 0:
        return prompt, None
    return prompt.replace(BLANK_PLACE, BLANK), blank_at


def formatted(text, text_format):
    """HTML is sanitised; every other format is kept as written."""
    return clean_imported_rich_text(text).strip() if text_format == TextFormat.HTML else text


# --- Reading the answers: one function per kind ---------------------------------------------


def read_answers(body, opening, text_format, common):
    marks = {token.text for token in body}
    first = lstrip(body)
    if not first:
        return Essay(**common)
    if first[0].text == "#":
        return read_numeric(first[0], first[1:], text_format, common)
    if "~" in marks:
        return read_choice(body, opening, text_format, common)
    if "=" in marks and "->" in marks:
        return read_matching(body, opening, text_format, common)
    if plain(split_once(body, "#")[0]) in TRUE_FALSE:
        return read_true_false(body, text_format, common)
    return read_short_answer(body, opening, text_format, common)


def read_choice(body, opening, text_format, common):
    pieces = answer_pieces(body, {"=", "~"})
    choices = tuple(read_answer(marker, tokens, text_format) for marker, tokens in pieces)
    if len(choices) < 2:
        raise GiftProblem(opening.offset, _("une question à choix demande au moins deux réponses."))
    single = any(marker.text == "=" for marker, _tokens in pieces)
    require_fair_weights(choices, opening, multiple=not single)
    return (SingleChoice if single else MultipleChoice)(choices=choices, **common)


def read_short_answer(body, opening, text_format, common):
    answers = tuple(
        read_answer(marker, tokens, text_format, rich_text=False) for marker, tokens in answer_pieces(body, {"="})
    )
    require_fair_weights(answers, opening, multiple=False)
    return ShortAnswer(answers=answers, **common)


def read_true_false(body, text_format, common):
    answer, feedbacks = split_once(body, "#")
    wrong, right = split_once(feedbacks or [], "#")
    return TrueFalse(
        answer=TRUE_FALSE[plain(answer)],
        feedback_if_wrong=formatted(plain(wrong), text_format),
        feedback_if_right=formatted(plain(right or []), text_format),
        **common,
    )


def read_numeric(hash_mark, body, text_format, common):
    body, otherwise = split_once(body, "~")
    feedback_otherwise = split_once(otherwise or [], "#")[1] or []
    if any(token.text == "=" for token in body):
        pieces = answer_pieces(body, {"="})
    else:
        pieces = [(hash_mark, body)]
    answers = []
    for marker, tokens in pieces:
        text_part, feedback = split_once(tokens, "#")
        weight, spec = read_weight(raw(text_part), marker, FULL_MARKS)
        if not unescape(spec).strip():
            raise empty_answer(marker.offset, marker.text)
        value, tolerance, as_range = read_number_spec(unescape(spec).strip(), marker.offset)
        answers.append(NumericAnswer(
            value=value, tolerance=tolerance, weight=weight, written_as_range=as_range,
            feedback=formatted(plain(feedback or []), text_format),
        ))
    return Numeric(
        answers=tuple(answers), feedback_otherwise=formatted(plain(feedback_otherwise), text_format), **common,
    )


def read_matching(body, opening, text_format, common):
    pairs = []
    for marker, tokens in answer_pieces(body, {"="}):
        if not raw(tokens).strip():
            raise empty_answer(marker.offset, marker.text)
        if any(token.text == "#" for token in tokens):
            raise GiftProblem(marker.offset, _("une paire d'association ne prend pas de commentaire après « # »."))
        prompt, answer = split_once(tokens, "->")
        if answer is None:
            raise GiftProblem(marker.offset, _("paire sans « -> » : écrivez « =élément -> réponse »."))
        if not plain(answer):
            raise empty_answer(marker.offset, "->")
        pairs.append(Pair(prompt=formatted(plain(prompt), text_format), answer=plain(answer)))
    if len(pairs) < 2:
        raise GiftProblem(opening.offset, _("une association demande au moins 2 paires."))
    return Matching(pairs=tuple(pairs), **common)


# --- Pieces of answers ----------------------------------------------------------------------


def answer_pieces(body, marks):
    """[(mark token, tokens)] for each answer; text before the first mark is an answer too
    when it is not blank (Moodle), marked as by the first mark."""
    (_none, leading), *pieces = split_at(body, marks)
    if raw(leading).strip():
        pieces.insert(0, (Token("~" if "~" in marks else "=", leading[0].offset), leading))
    return pieces


WEIGHT = re.compile(r"\s*%(-?\d+(?:\.\d+)?)%")


def read_weight(text, marker, default):
    """(weight, text after it) of a written answer; `%50%` weighs it, else `default`."""
    match = WEIGHT.match(text)
    if not match:
        return default, text
    weight = Decimal(match[1])
    if not -FULL_MARKS <= weight <= FULL_MARKS:
        raise GiftProblem(marker.offset, _("poids de %(weight)s %% hors de l'intervalle -100 %% à 100 %%.") % {
            "weight": match[1],
        })
    return weight, text[match.end():]


def empty_answer(offset, marker):
    return GiftProblem(offset, _("réponse vide après « %(marker)s ».") % {"marker": marker})


def default_weight(marker):
    return FULL_MARKS if marker == "=" else Decimal(0)


def read_answer(marker, tokens, text_format, rich_text=True):
    """An answer of a choice or short-answer question: `=` is worth 100 % unless weighed, `~` 0.
    A short answer is compared with what learners type: its text is never rich."""
    text_part, feedback = split_once(tokens, "#")
    weight, text = read_weight(raw(text_part), marker, default_weight(marker.text))
    text = unescape(text).strip()
    if not text:
        raise empty_answer(marker.offset, marker.text)
    return Answer(
        text=formatted(text, text_format) if rich_text else text,
        weight=weight,
        feedback=formatted(plain(feedback or []), text_format),
    )


def require_fair_weights(answers, opening, *, multiple):
    problem = weights_problem([answer.weight for answer in answers], multiple=multiple)
    if problem:
        raise GiftProblem(opening.offset, problem)


def read_number_spec(text, offset):
    """(value, tolerance, written as a range) from `3.14`, `3.14:0.01` or `1..5`."""
    if ".." in text:
        minimum, maximum = (read_number(part, offset) for part in text.split("..", 1))
        if minimum > maximum:
            raise GiftProblem(offset, _("intervalle %(minimum)s..%(maximum)s : le minimum dépasse le maximum.") % {
                "minimum": f"{minimum:f}", "maximum": f"{maximum:f}",
            })
        return (minimum + maximum) / 2, (maximum - minimum) / 2, True
    value, colon, tolerance = text.partition(":")
    tolerance = read_number(tolerance, offset) if colon else Decimal(0)
    if tolerance < 0:
        raise GiftProblem(offset, _("tolérance négative : %(tolerance)s.") % {"tolerance": f"{tolerance:f}"})
    return read_number(value, offset), tolerance, False


def read_number(text, offset):
    try:
        number = Decimal(text.strip())
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite() or "_" in text:
        raise GiftProblem(offset, _("« %(text)s » n'est pas un nombre (le séparateur décimal est le point).") % {
            "text": text.strip(),
        })
    return number


# --- Writing a file -------------------------------------------------------------------------


def export(questions):
    """GIFT text for `questions`, one paragraph each, with a `$CATEGORY:` line wherever the
    category changes; parse(export(questions)).questions == questions."""
    paragraphs, category = [], ""
    for question in questions:
        if question.category != category:
            category = question.category
            paragraphs.append(f"$CATEGORY: {category}")
        paragraphs.append(question_gift(question))
    return "".join(paragraph + "\n\n" for paragraph in paragraphs)


def question_gift(question):
    head = f"::{escape(question.title)}::" if question.title else ""
    prompt = question.prompt
    if question.prompt_format != TextFormat.MOODLE or prompt.startswith(("[", "/")):
        head += f"[{question.prompt_format}]"  # also keeps a prompt from reading as a format or comment
    answers = question.gift_answers()
    if answers is None:
        return head + escape(prompt)
    general_feedback = f" ####{escape(question.general_feedback)}" if question.general_feedback else ""
    braces = "{" + answers + general_feedback + "}"
    if question.blank_at is None:
        return f"{head}{escape(prompt)} {braces}"
    before, after = prompt[:question.blank_at], prompt[question.blank_at + len(BLANK):]
    return f"{head}{escape(before)}{braces}{escape(after)}"
