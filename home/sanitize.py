"""The one place that imports bleach: every piece of HTML or text that comes from a
learner or from an import passes through here before it is stored or shown."""

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
