from django import template
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

register = template.Library()

# The manager space's tabs: (URL name, label, the URL names of the pages under it).
TABS = [
    ("organisation_dashboard", _("Tableau de bord"), ("organisation_dashboard", "organisation_person")),
    ("organisation_teams", _("Équipes"), ("organisation_team", "organisation_member")),
    ("organisation_invitations", _("Invitations"), ("organisation_invitation", "organisation_import")),
    ("organisation_assignments", _("Affectations"), ("organisation_assignment", "organisation_reminders")),
    ("organisation_exports", _("Exports"), ("organisation_export",)),
]


@register.simple_tag(takes_context=True)
def organisation_tabs(context, slug):
    """The tabs of organisation `slug`, each {"label", "url", "current"}; the current one
    is the tab the page being shown belongs to."""
    match = context["request"].resolver_match
    current = match.url_name if match else ""
    return [
        {"label": label, "url": reverse(name, args=[slug]), "current": current.startswith(pages)}
        for name, label, pages in TABS
    ]


@register.filter
def percent_class(value):
    """A colour class for a percentage (a bonus: the figure is always written too)."""
    if value is None:
        return ""
    return "level--high" if value >= 80 else "level--mid" if value >= 50 else "level--low"
