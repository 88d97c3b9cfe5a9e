"""The one place that imports bleach: every piece of HTML or text that comes from a
learner or from an import passes through here before it is stored or shown."""

import html
import re

import bleach

RICH_TEXT_TAGS = {"p", "br", "b", "strong", "i", "em", "a", "ul", "ol", "li", "h2", "h3", "h4"}
RICH_TEXT_ATTRIBUTES = {"a": ["href"]}
SAFE_PROTOCOLS = {"http", "https", "mailto"}


def clean_rich_text(html):
    """Keep simple formatting and links; drop every other tag, attribute and script."""
    return bleach.clean(
        html, tags=RICH_TEXT_TAGS, attributes=RICH_TEXT_ATTRIBUTES, protocols=SAFE_PROTOCOLS, strip=True
    )


def clean_plain_text(text):
    """Remove all markup: what is left is text, to be escaped again when shown."""
    return bleach.clean(text, tags=set(), attributes={}, strip=True)


# What bleach may change in a text: markup, entities, control and non-characters.
MAY_NEED_CLEANING = re.compile(r"[<>&\x00-\x08\x0b-\x1f\x7f-\x9f\ufdd0-\ufdef\ufffe\uffff\ud800-\udfff]")


def clean_imported_rich_text(html):
    """clean_rich_text, skipped for a text it would leave as it is: most answers and
    feedback of an imported file are plain words, and bleach costs a parse each."""
    return clean_rich_text(html) if MAY_NEED_CLEANING.search(html) else html


LINE_ENDING_TAGS = re.compile(r"<br\s*/?>|</p\s*>|</li\s*>|</h[2-6]\s*>", re.IGNORECASE)
SCRIPTS = re.compile(r"<(script|style)\b.*?(</\1\s*>|$)", re.IGNORECASE | re.DOTALL)


def html_to_text(markup):
    """The text of a piece of HTML, as plain text to be escaped when shown: every tag and
    script dropped, entities read, a line break where a paragraph, item or `<br>` ended."""
    if not MAY_NEED_CLEANING.search(markup):
        return markup
    text = clean_plain_text(LINE_ENDING_TAGS.sub("\n", SCRIPTS.sub("", markup)))
    return html.unescape(text).strip()
