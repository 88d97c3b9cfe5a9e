"""What publishing computes once, for every request after it.

The published site changes only when an editor (or a loader) changes a page. Every such
change replaces the token of the single ContentGeneration row, *in the same transaction*
as the change (signal handlers below). A request reads the token first (one primary-key
query), then finds what the page tree gives (routes, outlines, rendered fragments) under
that token:

1. in this process's memo (a dict, dropped as soon as another token is read);
2. else in the "content" cache (Django's cache framework: local memory by default,
   Redis when REDIS_URL or CACHE_URL is set), for what is plain data (routes, HTML);
3. else computed from the database and stored in both.

A change committed before a request starts is always seen: the request reads the new
token, which no cache entry carries yet. Entries never need deleting; they age out.
Changes made without signals (a queryset.update() on pages, raw SQL) must call bump()."""

import threading
import uuid
from collections import OrderedDict
from contextvars import ContextVar

from django.core.cache import caches
from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save
from wagtail.models import Page, PageViewRestriction, Site
from wagtail.signals import page_published, page_unpublished, post_page_move

# The token of the current request (a one-item list, filled at first use; see
# generation()), so that everything the request computes agrees on one generation, and
# a view that never looks at content reads no token; None outside a request: read each time.
_request_token = ContextVar("content_token", default=None)
# This process's memo: (token, {key: value}) for the last token seen; replaced as a
# whole (one assignment: threads of a development server see either memo, never half).
_memo = (None, {})
CACHE_TTL = 24 * 3600


def content_cache():
    return caches["content"]


def token_sql():
    """The SQL reading the current generation token: a statement of its own, or a column
    of another query that a request makes first (learners.sessions reads it with the
    session, one round trip fewer; see offer_token)."""
    from courses.models import ContentGeneration

    return f"SELECT token FROM {connection.ops.quote_name(ContentGeneration._meta.db_table)} WHERE id = 1"


def read_token():
    """The current generation token (one query), or None if the row is missing (a
    flushed test database): nothing is then reused."""
    # Read on every page request: plain SQL, without building a queryset each time.
    with connection.cursor() as cursor:
        cursor.execute(token_sql())
        row = cursor.fetchone()
    return row[0] if row else None


def offer_token(token):
    """A token read during this request (or grading) by a query made for something else
    (the session's, the attempt's): the request takes it as its generation unless it
    holds one already, as if current_token() had read it then. Ignored outside a
    `generation()` block."""
    holder = _request_token.get()
    if holder is not None and not holder and token is not None:
        holder.append(token)


def current_token():
    holder = _request_token.get()
    if holder is None:
        return read_token()
    if not holder:
        holder.append(read_token())
    return holder[0]


def bump(**_kwargs):
    """Give the published site a new token, within the caller's transaction."""
    from courses.models import ContentGeneration

    token = uuid.uuid4().hex
    with transaction.atomic():
        if not ContentGeneration.objects.filter(pk=1).update(token=token):
            ContentGeneration.objects.update_or_create(pk=1, defaults={"token": token})
    # What this request computes from now on includes the change: keep it under the new
    # token, which is never seen again if the change is rolled back.
    holder = _request_token.get()
    if holder is not None:
        holder[:] = [token]
    return token


class generation:
    """`with generation():` pins the content token for the block (a request): routes,
    outlines and fragments of one response all come from one generation. The token is
    read at its first use (or at once with `eager=True`); nested blocks share the outer one."""

    def __init__(self, eager=False):
        self.eager = eager

    def __enter__(self):
        self.reset = None
        if _request_token.get() is None:
            self.reset = _request_token.set([])
        return current_token() if self.eager else None

    def __exit__(self, *exc):
        if self.reset is not None:
            _request_token.reset(self.reset)
        return False


class ContentGenerationMiddleware:
    """Every request sees one content generation (read only if the view uses content)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with generation():
            return self.get_response(request)


def lookup(key, *, shared=False):
    """The value stored for `key` under the current token, or None."""
    token = current_token()
    if token is None:
        return None
    memo = _memo
    if memo[0] == token and key in memo[1]:
        return memo[1][key]
    if shared:
        value = content_cache().get(f"content:{token}:{key}")
        if value is not None and _memo[0] == token:
            _memo[1][key] = value
        return value
    return None


def store(key, value, *, shared=False):
    """Keep `value` for `key` under the current token (see memoised)."""
    global _memo
    token = current_token()
    if token is None:
        return
    if _memo[0] != token:
        _memo = (token, {})
    _memo[1][key] = value
    if shared:
        content_cache().set(f"content:{token}:{key}", value, CACHE_TTL)


def memoised(key, compute, *, shared=False):
    """The value for `key` under the current token: from this process's memo, then (when
    `shared`, for picklable plain data) from the content cache, else `compute()`d."""
    global _memo
    token = current_token()
    if token is None:
        return compute()
    memo = _memo
    if memo[0] != token:
        memo = _memo = (token, {})
    entries = memo[1]
    if key in entries:
        return entries[key]
    value = None
    cache_key = f"content:{token}:{key}"
    if shared:
        value = content_cache().get(cache_key)
    if value is None:
        value = compute()
        if shared:
            content_cache().set(cache_key, value, CACHE_TTL)
    entries[key] = value
    return value


# What is made per viewer (a learner's dashboard, a question as one attempt shows it) is
# kept in this process only, most recently used first, up to PER_VIEWER_MAX entries: it is
# quicker to make again than to fetch from a shared cache (a Redis round trip and a
# pickle for each page), and each key says everything the value was made from.
_per_viewer = OrderedDict()
_per_viewer_lock = threading.Lock()
PER_VIEWER_MAX = 2_000


def cached(key, compute):
    """The value for `key` under the current token, kept in this process (not its memo of
    what every request shares, which lives until the next token, but a bounded LRU)."""
    return cached_many({key: compute})[key]


def cached_many(computations):
    """{key: value} for `computations` ({key: function computing its value}), each value
    kept under the current token as `cached` does."""
    token = current_token()
    if token is None:
        return {key: compute() for key, compute in computations.items()}
    found = {}
    with _per_viewer_lock:
        for key in computations:
            value = _per_viewer.get((token, key))
            if value is not None:
                _per_viewer.move_to_end((token, key))
                found[key] = value
    missing = {key: compute() for key, compute in computations.items() if key not in found}
    if missing:
        with _per_viewer_lock:
            for key, value in missing.items():
                _per_viewer[(token, key)] = value
            while len(_per_viewer) > PER_VIEWER_MAX:
                _per_viewer.popitem(last=False)
    return {**found, **missing}


def connect():
    """Called once from CoursesConfig.ready()."""
    from wagtail.images import get_image_model
    from wagtail.models import get_page_models

    for model in [*get_page_models(), PageViewRestriction, Site, get_image_model()]:
        post_save.connect(bump, sender=model, dispatch_uid=f"content_generation_saved_{model._meta.label}")
        post_delete.connect(bump, sender=model, dispatch_uid=f"content_generation_deleted_{model._meta.label}")
    page_published.connect(bump, dispatch_uid="content_generation_published")
    page_unpublished.connect(bump, dispatch_uid="content_generation_unpublished")
    post_page_move.connect(bump, dispatch_uid="content_generation_moved")
