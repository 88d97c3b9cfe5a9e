from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def duration_text(seconds):
    """A learner-friendly duration: "moins d'une minute", "12 min", "1 h 05 min"."""
    minutes = int(seconds or 0) // 60
    if minutes < 1:
        return _("moins d'une minute")
    hours, minutes = divmod(minutes, 60)
    if hours:
        return _("%(hours)d h %(minutes)02d min") % {"hours": hours, "minutes": minutes}
    return _("%(minutes)d min") % {"minutes": minutes}
