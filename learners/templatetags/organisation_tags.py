from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

register = template.Library()

# The manager space's tabs: (URL name, label). A tab whose page is not installed (its URL
# name does not resolve) is left out.
TABS = [
    ("organisation_dashboard", _("Tableau de bord")),
    ("organisation_teams", _("Équipes")),
    ("organisation_invitations", _("Invitations")),
    ("organisation_assignments", _("Affectations")),
    ("organisation_exports", _("Exports")),
]


@register.simple_tag
def organisation_tabs(slug, active):
    """The tabs of organisation `slug`, each {"label", "url", "current"}."""
    tabs = []
    for name, label in TABS:
        try:
            url = reverse(name, args=[slug])
        except NoReverseMatch:
            continue
        tabs.append({"label": label, "url": url, "current": name == active})
    return tabs


@register.filter
def percent_class(value):
    """A colour class for a percentage (a bonus: the figure is always written too)."""
    if value is None:
        return ""
    return "level--high" if value >= 80 else "level--mid" if value >= 50 else "level--low"
