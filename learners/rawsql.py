"""Rows read with hand-written SQL, converted as the ORM converts them: for the reads made
on every page a learner opens, whose SQL is written once rather than compiled per request."""

import weakref

from django.db import DEFAULT_DB_ALIAS, connection, connections

_known_converters = weakref.WeakKeyDictionary()  # a thread's connection -> {(model, names): converters}


def column_converters(model, *names):
    """[(index, column, converters)] for the fields `names` of `model` read in that order:
    what the ORM applies to each column of this database (datetimes on SQLite, for
    instance), for the columns that need it. Worked out once per connection: asked of the
    ORM on each request, they cost a dashboard about as much as one of its queries."""
    known = _known_converters.setdefault(connections[DEFAULT_DB_ALIAS], {})
    key = (model, names)
    if key not in known:
        known[key] = _column_converters(model, names)
    return known[key]


def _column_converters(model, names):
    found = []
    for index, name in enumerate(names):
        field = model._meta.get_field(name)
        column = field.get_col(model._meta.db_table)
        converters = connection.ops.get_db_converters(column) + field.get_db_converters(connection)
        if converters:
            found.append((index, column, converters))
    return found


def converted(values, converters, offset=0):
    """`values` (a list, changed in place from `offset` on) as the ORM would give them."""
    for index, column, field_converters in converters:
        for convert in field_converters:
            values[offset + index] = convert(values[offset + index], column, connection)
    return values


def first(model, where, params, *, for_update=False, annotations=None):
    """The first `model` row matching `where` (SQL over its own columns, e.g. "id = %s
    AND user_id = %s"), as the ORM would give it, or None: without compiling a queryset."""
    found = rows(model, where, params, for_update=for_update, annotations=annotations)
    return found[0] if found else None


def rows(model, where, params, *, for_update=False, annotations=None):
    """Every `model` row matching `where` (as for `first`), in no particular order.
    `annotations`: {attribute: SQL expression without parameters}, read with each row
    and set on it as it comes, as QuerySet.annotate() does (e.g. a scalar subquery that
    saves a statement of its own)."""
    fields = model._meta.concrete_fields
    annotations = annotations or {}
    quote = connection.ops.quote_name
    columns = [quote(field.column) for field in fields] + [f"({sql})" for sql in annotations.values()]
    sql = f"SELECT {', '.join(columns)} FROM {quote(model._meta.db_table)} WHERE {where}"
    if for_update and connection.features.has_select_for_update:
        sql += " FOR UPDATE"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchall()
    converters = column_converters(model, *(field.name for field in fields))
    names = [field.attname for field in fields]
    objects = []
    for row in found:
        instance = model.from_db(connection.alias, names, converted(list(row[:len(names)]), converters))
        for name, value in zip(annotations, row[len(names):]):
            setattr(instance, name, value)
        objects.append(instance)
    return objects


def exists(model, where, params):
    """Whether a `model` row matches `where` (as for `first`): one short statement."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {connection.ops.quote_name(model._meta.db_table)} WHERE {where} LIMIT 1", params)
        return cursor.fetchone() is not None


def upsert(model, values, *, unique, update):
    """Insert one `model` row, or update the `update` fields of the row that has the same
    `unique` fields: one statement. `values`: {field attname: value} for every field
    but the primary key; the others take their default. Written once per call site
    rather than compiled by the ORM (bulk_create with update_conflicts)."""
    meta = model._meta
    quote = connection.ops.quote_name
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    columns = ", ".join(quote(field.column) for field in fields)
    conflict = ", ".join(quote(meta.get_field(name).column) for name in unique)
    changes = ", ".join(f"{quote(meta.get_field(name).column)} = excluded.{quote(meta.get_field(name).column)}"
                        for name in update)
    params = [field.get_db_prep_save(values[field.attname] if field.attname in values else field.get_default(),
                                     connection) for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({', '.join(['%s'] * len(fields))}) "
            f"ON CONFLICT ({conflict}) DO UPDATE SET {changes}",
            params,
        )
