"""Inserting many new rows fast: PostgreSQL's COPY, with what `bulk_create` would have done.

`bulk_insert(objs)` behaves like `Model.objects.bulk_create(objs)` for new objects (auto_now_add and
auto_now set, every object gets its primary key, a unique violation raises IntegrityError) but on
PostgreSQL writes them with COPY, several times faster than the multi-row INSERT the ORM builds. The
primary keys are drawn from the table's sequence first, so the objects work as saved instances. On
other databases it is `bulk_create`.
"""

import uuid
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

from django.db import connections, router
from django.db.models import DateField, DateTimeField, Field, JSONField, Model
from django.utils import timezone

from vaxbook.common.rows import insert_instance

BATCH = 5000
# Values psycopg writes exactly as Django would have prepared them (for the fields that are not JSON).
_PLAIN = frozenset({str, int, bool, float, uuid.UUID, date})


def bulk_insert(objs: Sequence[Model], *, using: str | None = None) -> None:
    """Insert these new objects of one model (see the module's docstring)."""
    if not objs:
        return
    model = type(objs[0])
    db = using or router.db_for_write(model)
    connection = connections[db]
    if connection.vendor != "postgresql":
        model._default_manager.using(db).bulk_create(objs, batch_size=2000)
        return
    if len(objs) == 1 and objs[0].pk is None:
        # One row (a registration at the desk): one INSERT ... RETURNING beats COPY's several round trips.
        obj = objs[0]
        if obj._state.fields_cache:
            obj._prepare_related_fields_for_save(operation_name="bulk_insert")  # type: ignore[attr-defined]
        insert_instance(obj, using=db)
        return
    meta = model._meta
    pk = meta.pk
    assert pk is not None
    fields = [f for f in meta.concrete_fields if f is not pk]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(f.column)) for f in [pk, *fields])
    sql = f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN"
    prepare = [_preparer(f, connection) for f in fields]
    # auto_now / auto_now_add: one timestamp for the batch (bulk_create takes one per object).
    stamped = [f for f in fields if isinstance(f, DateField) and (f.auto_now or f.auto_now_add)]
    # Fields with their own pre_save (a file field saves its file) get it called, as bulk_create does.
    special = [f for f in fields if type(f).pre_save is not Field.pre_save and not isinstance(f, DateField)]
    with connection.cursor() as cursor:
        for start in range(0, len(objs), BATCH):
            batch = objs[start : start + BATCH]
            now = timezone.now()
            for obj in batch:
                if obj._state.fields_cache:  # only cached related objects need checking (unsaved ones refused)
                    obj._prepare_related_fields_for_save(operation_name="bulk_insert")  # type: ignore[attr-defined]
                for stamp in stamped:
                    setattr(obj, stamp.attname, now if isinstance(stamp, DateTimeField) else date.today())  # noqa: DTZ011
                for f in special:
                    setattr(obj, f.attname, f.pre_save(obj, True))
            missing = [obj for obj in batch if getattr(obj, pk.attname) is None]
            if missing:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                    [meta.db_table, pk.column, len(missing)],
                )
                for obj, (value,) in zip(missing, cursor.fetchall(), strict=True):
                    setattr(obj, pk.attname, value)
            attnames = [pk.attname, *(f.attname for f in fields)]
            with connection.wrap_database_errors, cursor.cursor.copy(sql) as copy:
                for obj in batch:
                    values = obj.__dict__
                    row = [values[attnames[0]]]
                    row += [p(values[a]) for p, a in zip(prepare, attnames[1:], strict=True)]
                    copy.write_row(row)
            for obj in batch:
                obj._state.adding = False
                obj._state.db = db


def _preparer(field: Field, connection: Any) -> Callable[[Any], Any]:
    """The value to write for a field: as it is when Django's preparation would not change it."""

    def full(value: Any) -> Any:
        return field.get_db_prep_save(value, connection=connection)

    if isinstance(field, JSONField):
        return full

    def plain(value: Any) -> Any:
        kind = type(value)
        if value is None or kind in _PLAIN or (kind is datetime and value.tzinfo is not None):
            return value
        return full(value)

    return plain
