from django import template

register = template.Library()


@register.inclusion_tag("courses/includes/breadcrumbs.html")
def breadcrumbs(page):
    """The path from the home page to `page`: one query."""
    return {"page": page, "crumbs": page.get_ancestors().filter(depth__gt=2)}
