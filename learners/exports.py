"""Exports of the manager's current view (learners.manager_selectors.export_rows) as
CSV or XLSX.

Small views (at most EXPORT_DIRECT_MAX_PEOPLE people) are streamed straight to the
manager; larger ones become an `Export` built by a Celery task (learners.tasks.build_export)
that writes the file under MEDIA_ROOT/exports/, reporting its progress on the row. The file
is for the manager who asked only, and expires after 24 hours (a beat task deletes it).
Every export is recorded in the audit log.

Spreadsheet safety: a text cell starting with = + - @ (or a tab or carriage return) would
be run as a formula by Excel or LibreOffice; such cells are written with a leading quote."""

import csv
import tempfile
from datetime import date, datetime

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.text import slugify

from learners import audit
from learners.access import manager_scope
from learners.manager_selectors import export_rows, status_counts, view_from_filters
from learners.models import Export
from learners.progress import percent

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PROGRESS_EVERY_ROWS = 500
CSV_DELIMITER = ";"  # what French spreadsheets expect


def direct_limit():
    return getattr(settings, "EXPORT_DIRECT_MAX_PEOPLE", 500)


def safe_cell(value):
    """A cell's value that no spreadsheet will take for a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_text(value):
    if value is None:
        return ""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(safe_cell(value)) if isinstance(value, str) else str(value)


class _Echo:
    """A file-like object whose write() returns what it is given (for csv.writer)."""

    def write(self, value):
        return value


def csv_lines(rows):
    """The CSV text of `rows`, line by line (UTF-8 with a BOM so spreadsheets read accents)."""
    writer = csv.writer(_Echo(), delimiter=CSV_DELIMITER)
    yield "\ufeff"
    for row in rows:
        yield writer.writerow([csv_text(value) for value in row])


def write_xlsx(rows, target, on_row=None):
    """Write `rows` to `target` (a path or a binary file) as one sheet, streaming: openpyxl's
    write-only mode keeps no row in memory once appended."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title="Export")
    for number, row in enumerate(rows):
        sheet.append([safe_cell(value) for value in row])
        if on_row is not None:
            on_row(number)
    workbook.save(target)


def write_csv(rows, target, on_row=None):
    """Write `rows` as CSV into the binary file `target`."""
    for number, line in enumerate(csv_lines(rows)):
        target.write(line.encode("utf-8"))
        if on_row is not None and number:
            on_row(number - 1)


def file_name(view, export_format):
    course = slugify(view.course.title)[:40] if view.course else "formation"
    return f"{view.organisation.slug}-{course}-{timezone.localdate():%Y-%m-%d}.{export_format}"


def is_direct(counts):
    return counts["assigned"] <= direct_limit()


def record_export(*, request, view, export_format, rows, export=None):
    audit.record(
        actor=request.user, action=audit.Action.EXPORT, target=export or view.organisation, request=request,
        organisation=view.organisation.slug, format=export_format, filters=view.filters(), rows=rows,
        background=export is not None,
    )


def request_export(*, request, view, export_format):
    """Start an export of `view` for the viewer. Returns ("direct", rows count) when the
    view is small enough to be streamed now, else ("queued", Export): the row is written,
    audited and its task queued after the commit."""
    counts = status_counts(view, timezone.localdate())
    if is_direct(counts):
        record_export(request=request, view=view, export_format=export_format, rows=counts["assigned"])
        return "direct", counts["assigned"]
    from learners.tasks import build_export

    with transaction.atomic():
        export = Export.objects.create(
            organisation=view.organisation, requested_by=request.user, format=export_format, filters=view.filters(),
            row_count=counts["assigned"],
        )
        record_export(request=request, view=view, export_format=export_format, rows=counts["assigned"], export=export)
        transaction.on_commit(lambda: build_export.delay(export.pk))
    return "queued", export


def build_export_file(export_id):
    """Write the file of export `export_id` in the scope its manager has now (a manager
    who lost the role gets a failed export, not the data). Idempotent: an export already
    done or failed is left alone. Progress is saved every PROGRESS_EVERY_ROWS rows."""
    export = Export.objects.select_related("organisation", "requested_by").filter(pk=export_id).first()
    if export is None or export.status in (Export.Status.DONE, Export.Status.FAILED):
        return None
    Export.objects.filter(pk=export.pk).update(status=Export.Status.RUNNING, progress=0)
    try:
        scope = manager_scope(viewer=export.requested_by, slug=export.organisation.slug)
    except Http404:
        Export.objects.filter(pk=export.pk).update(status=Export.Status.FAILED)
        return None
    view = view_from_filters(scope, export.filters)
    total = max(1, view.assignments().count())
    written = [0]

    def on_row(number):
        written[0] = number + 1
        if written[0] % PROGRESS_EVERY_ROWS == 0:
            Export.objects.filter(pk=export.pk).update(progress=min(99, percent(written[0], total)))

    writer = write_xlsx if export.format == Export.Format.XLSX else write_csv
    with tempfile.TemporaryFile() as handle:
        writer(export_rows(view), handle, on_row=on_row)
        handle.seek(0)
        export.file.save(file_name(view, export.format), File(handle), save=False)
    rows = max(0, written[0] - 1)  # the header is no person
    Export.objects.filter(pk=export.pk).update(
        status=Export.Status.DONE, progress=100, row_count=rows, file=export.file.name
    )
    return export.file.name


def delete_expired_exports(now=None):
    """Delete the files of expired exports (the rows stay, so a late download is told the
    file expired). Returns how many files were deleted."""
    now = now or timezone.now()
    deleted = 0
    for export in Export.objects.filter(expires_at__lte=now).exclude(file=""):
        export.file.delete(save=False)
        Export.objects.filter(pk=export.pk).update(file="")
        deleted += 1
    return deleted
