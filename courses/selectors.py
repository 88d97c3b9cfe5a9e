"""Read-only queries for course pages. Each runs a fixed number of queries, whatever
the size of the course."""

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from wagtail.models import Page

from courses import publishing
from courses.models import CoursePage, ModulePage


@dataclass
class ModuleOutline:
    page: ModulePage
    number: int
    steps: list = field(default_factory=list)

    @property
    def minutes(self):
        return sum(step.estimated_minutes for step in self.steps)


@dataclass
class CourseOutline:
    """A course's live modules and their live steps, in tree order."""

    course: CoursePage
    modules: list

    @property
    def steps(self):
        return [step for module in self.modules for step in module.steps]

    @property
    def minutes(self):
        return sum(module.minutes for module in self.modules)

    def module(self, module_page):
        return next((m for m in self.modules if m.page.pk == module_page.pk), None)

    def module_of(self, step_page):
        return next((m for m in self.modules if any(s.pk == step_page.pk for s in m.steps)), None)

    def neighbours(self, step_page):
        """The steps before and after `step_page` across module boundaries (None at the ends)."""
        steps = self.steps
        ids = [step.pk for step in steps]
        if step_page.pk not in ids:
            return None, None
        position = ids.index(step_page.pk)
        previous_step = steps[position - 1] if position > 0 else None
        next_step = steps[position + 1] if position + 1 < len(steps) else None
        return previous_step, next_step


def ancestor_paths(path, above_depth=0):
    """The tree paths of a page's ancestors deeper than `above_depth`, root first."""
    return [path[:end] for end in range((above_depth + 1) * Page.steplen, len(path), Page.steplen)]


def course_of(page):
    """The course a page belongs to (itself for a course), or None: one query, once per
    publish (courses.publishing)."""
    if isinstance(page, CoursePage):
        return page
    return publishing.memoised(
        f"course-of:{page.path}", lambda: CoursePage.objects.filter(path__in=ancestor_paths(page.path)).first()
    )


# Outlines already read, by course id, while reusing_outlines() is active (else None).
_reused_outlines = ContextVar("reused_outlines", default=None)


@contextmanager
def reusing_outlines():
    """Within this block, course_outline() reads each course's tree once and returns the
    same outline afterwards. For batch jobs that change progress, never the page tree
    (the demo organisation's learners): a page published meanwhile would not be seen."""
    token = _reused_outlines.set({})
    try:
        yield
    finally:
        _reused_outlines.reset(token)


def course_outline(course):
    """The outline of `course` as last published: read from the tree once per content
    token in each process (courses.publishing), so one query (the token) when warm; on
    a miss, one query for the whole tree below `course` plus one per page type."""
    reused = _reused_outlines.get()
    if reused is not None:
        if course.pk not in reused:
            reused[course.pk] = publishing.memoised(f"outline:{course.pk}", lambda: read_outline(course))
        return reused[course.pk]
    return publishing.memoised(f"outline:{course.pk}", lambda: read_outline(course))


def read_outline(course):
    pages = Page.objects.live().descendant_of(course).order_by("path").specific()
    modules = []
    by_path = {}
    for page in pages:
        if isinstance(page, ModulePage) and page.depth == course.depth + 1:
            outline = ModuleOutline(page=page, number=len(modules) + 1)
            modules.append(outline)
            by_path[page.path] = outline
        elif page.depth == course.depth + 2:
            parent = by_path.get(page.path[: -Page.steplen])
            if parent is not None:  # a live step under a draft module stays hidden
                parent.steps.append(page)
    return CourseOutline(course=course, modules=modules)


def catalogue_courses(index=None):
    """Live courses (under `index` if given), each with its outline's module count and
    duration (the same figures as the course page: CourseOutline.minutes). Warm: the
    token and the course list; each outline is read once per publish."""
    courses = CoursePage.objects.live().order_by("path")
    if index is not None:
        courses = courses.child_of(index)
    courses = list(courses.select_related("cover_image"))
    for course in courses:
        outline = course_outline(course)
        course.module_count = len(outline.modules)
        course.minutes = outline.minutes
    return courses
