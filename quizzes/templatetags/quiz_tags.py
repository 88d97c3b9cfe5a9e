from django import template

register = template.Library()


@register.filter
def is_chosen(option_pk, value):
    """Whether an option is among the learner's raw response (a value or a list)."""
    values = value if isinstance(value, (list, tuple)) else [value]
    return str(option_pk) in {str(v) for v in values if v is not None}


@register.filter
def lookup(mapping, key):
    """mapping[str(key)] as a string, for prefilling selects from a raw response."""
    if not isinstance(mapping, dict):
        return ""
    value = mapping.get(str(key))
    return "" if value is None else str(value).strip()


@register.filter
def percent_or_dash(value):
    """A figure of the item statistics: "45,50 %" in the active language's format, or
    "—" where it is undefined (None), never 0."""
    from django.utils.formats import number_format

    if value is None:
        return "—"
    return f"{number_format(value, 2)}\u00a0%"
