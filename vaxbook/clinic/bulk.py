"""Bulk inserts for the dose batch: COPY on PostgreSQL, bulk_create elsewhere.

COPY skips building and quoting one large INSERT statement in Python, which is most of the cost of
a batch of hundreds of doses. Primary keys are not returned: the rows are referred to by public id.
"""

from collections.abc import Sequence

from django.db import connection, models


def bulk_insert(model: type[models.Model], objs: Sequence[models.Model]) -> None:
    """Insert `objs` (unsaved, with their defaults) in the current transaction; their pk stays unset."""
    if not objs:
        return
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(objs)
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(f.column)) for f in fields)
    sql = f"COPY {quote(str(model._meta.db_table))} ({columns}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for obj in objs:
            copy.write_row([f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields])
