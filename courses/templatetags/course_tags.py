from django import template

from courses import serving

register = template.Library()


@register.simple_tag
def breadcrumbs(page):
    """The path from the home page to `page`, rendered once per publish."""
    return serving.rendered_breadcrumbs(page)


@register.simple_tag(takes_context=True)
def course_outline(context):
    """The outline of the course in the context, with the viewer's current page and, for
    a learner, what is done or locked (left as markers in a learner's page shell)."""
    if context.get("keep_outline_markers"):
        return serving.outline_with_markers(context["outline"])
    return serving.rendered_outline(
        context["outline"],
        page=context.get("page"),
        module_outline=context.get("module_outline"),
        access=context.get("access"),
    )


@register.simple_tag(takes_context=True)
def lesson_body(context, page):
    """The lesson's blocks, rendered once per publish, with the viewer's own work under
    each exercise (left as markers in a learner's page shell, filled per request)."""
    body = serving.rendered_body(page)
    if context.get("keep_outline_markers"):
        return body
    return serving.body_with_exercise_work(body, page, context.get("access"), context.get("csrf_token"))
