"""Inserting many new rows fast: PostgreSQL's COPY, with what `bulk_create` would have done.

`bulk_insert(objs)` behaves like `Model.objects.bulk_create(objs)` for new objects (auto_now_add and
auto_now set, every object gets its primary key, a unique violation raises IntegrityError) but on
PostgreSQL writes them with COPY, several times faster than the multi-row INSERT the ORM builds. The
primary keys are drawn from the table's sequence first, so the objects work as saved instances. On
other databases it is `bulk_create`.

`copy_prepare(objs)` is its first half: everything but the write (stamps, keys, the COPY data, in
PostgreSQL's text format, made here rather than by the driver). Its `write()` sends it, on whatever
connection the calling thread has: an importer prepares a chunk in one thread while another writes
the previous one (organizations/services.py).
"""

import functools
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from django.db import connections, router
from django.db.models import DateField, DateTimeField, Field, JSONField, Model
from django.utils import timezone
from psycopg.types.json import Json, Jsonb

from vaxbook.common.rows import insert_instance

BATCH = 5000
# Values psycopg writes exactly as Django would have prepared them (for the fields that are not JSON).
_PLAIN = frozenset({str, int, bool, float, uuid.UUID, date})
# COPY's text format: a backslash and the separators inside a value are escaped; NULL is \N.
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_NULL = "\\N"


def _escape(text: str) -> str:
    # str.translate looks every character up: only for the rare text that needs it.
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        return text.translate(_ESCAPES)
    return text


class _Unsupported(TypeError):
    """A prepared value of a type the text encoder does not know: the driver formats this batch."""


def _text(value: Any) -> str:
    """A value prepared by its field (what Django would give psycopg), in COPY's text format."""
    kind = type(value)
    if kind is str:
        return _escape(value)
    if value is None:
        return _NULL
    if kind is int:
        return str(value)
    if kind is bool:
        return "t" if value else "f"
    if kind is datetime:
        if value.tzinfo is None:
            raise _Unsupported(kind)  # naive: the driver decides (as it did before)
        return value.isoformat()
    if kind is date or kind is time:
        return value.isoformat()
    if kind is uuid.UUID:
        return str(value)
    if kind is float:
        return repr(value)
    if kind is Decimal:
        return str(value)
    if isinstance(value, str):  # a choices enum member (TextChoices): its text, as the driver sends it
        return _escape(str.__str__(value))
    if kind is Jsonb or kind is Json:
        dumped = (value.dumps or json.dumps)(value.obj)
        return _escape(dumped.decode() if isinstance(dumped, bytes) else dumped)
    raise _Unsupported(kind)


@dataclass
class CopyRows:
    """New objects of one model, ready to be written with COPY (see `copy_prepare`)."""

    objs: Sequence[Model]
    db: str
    sql: str = ""
    # The COPY data in text format, in batches; or, for values the encoder does not know, the rows.
    data: list[bytes] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)

    def write(self) -> None:
        """COPY the objects on this thread's connection (inside the caller's transaction, if any)."""
        if not self.objs:
            return
        connection = connections[self.db]
        if connection.vendor != "postgresql":
            type(self.objs[0])._default_manager.using(self.db).bulk_create(self.objs, batch_size=2000)
            return
        if not self.sql:  # one row: one INSERT ... RETURNING beats COPY's several round trips
            insert_instance(self.objs[0], using=self.db)
            return
        with connection.cursor() as cursor:
            if self.data:
                for data in self.data:
                    with connection.wrap_database_errors, cursor.cursor.copy(self.sql) as copy:
                        copy.write(data)
                return
            for start in range(0, len(self.rows), BATCH):
                with connection.wrap_database_errors, cursor.cursor.copy(self.sql) as copy:
                    for row in self.rows[start : start + BATCH]:
                        copy.write_row(row)


def copy_prepare(objs: Sequence[Model], *, using: str | None = None, keys: bool = True) -> CopyRows:
    """What `bulk_insert` does before writing: on PostgreSQL the timestamps, the keys (drawn from the
    sequence, so the objects are usable as saved ones at once) and the COPY data.

    `keys=False`, for rows nobody reads back (audit events): the database numbers them as it writes
    them, and the objects keep no primary key (as `bulk_create` leaves them where the database
    cannot return it). It spares the caller a round trip to the sequence."""
    if not objs:
        return CopyRows(objs, using or "default")
    model = type(objs[0])
    db = using or router.db_for_write(model)
    connection = connections[db]
    prepared = CopyRows(objs, db)
    if connection.vendor != "postgresql":
        return prepared
    if len(objs) == 1 and objs[0].pk is None:
        obj = objs[0]
        if obj._state.fields_cache:
            obj._prepare_related_fields_for_save(operation_name="bulk_insert")  # type: ignore[attr-defined]
        return prepared  # written by insert_instance (its own preparation)
    meta = model._meta
    pk = meta.pk
    assert pk is not None
    fields = [f for f in meta.concrete_fields if f is not pk]
    quote = connection.ops.quote_name
    keyed = keys or any(getattr(obj, pk.attname) is not None for obj in objs)
    columns = ", ".join(quote(str(f.column)) for f in ([pk, *fields] if keyed else fields))
    prepared.sql = f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN"
    prepare = [_preparer(f, connection) for f in fields]
    # auto_now / auto_now_add: one timestamp for the batch (bulk_create takes one per object).
    stamped = [f for f in fields if isinstance(f, DateField) and (f.auto_now or f.auto_now_add)]
    # Fields with their own pre_save (a file field saves its file) get it called, as bulk_create does.
    special = [f for f in fields if type(f).pre_save is not Field.pre_save and not isinstance(f, DateField)]
    # name → (the key's attname, the related object's key attname; None where that is not its pk)
    relations = {
        f.name: (f.attname, f.target_field.attname if f.target_field.primary_key else None)  # type: ignore[attr-defined]
        for f in fields
        if f.is_relation
    }
    now = timezone.now()
    stamps = [(f.attname, now if isinstance(f, DateTimeField) else date.today()) for f in stamped]  # noqa: DTZ011
    for obj in objs:
        cache = obj._state.fields_cache
        if cache and _needs_related_check(obj, cache, relations):
            obj._prepare_related_fields_for_save(operation_name="bulk_insert")  # type: ignore[attr-defined]
        values = obj.__dict__
        for attname, stamp in stamps:
            values[attname] = stamp
        for f in special:
            setattr(obj, f.attname, f.pre_save(obj, True))
    attnames = [f.attname for f in fields]
    encoders = [(_encoder(f, p), f.attname) for f, p in zip(fields, prepare, strict=True)]
    if keyed:
        draw_keys(objs, using=db)
        encoders.insert(0, (_text, pk.attname))
        prepare.insert(0, lambda value: value)
        attnames.insert(0, pk.attname)
    kinds = [_KINDS.get(f.get_internal_type(), "") for f in ([pk, *fields] if keyed else fields)]
    line = row_encoder([(e, a, kind) for (e, a), kind in zip(encoders, kinds, strict=True)])
    try:
        for start in range(0, len(objs), BATCH):
            lines = [line(obj.__dict__) for obj in objs[start : start + BATCH]]
            lines.append("")
            prepared.data.append("\n".join(lines).encode())
    except _Unsupported:
        prepared.data = []
        pairs = list(zip(prepare, attnames, strict=True))
        for obj in objs:
            values = obj.__dict__
            prepared.rows.append([p(values[a]) for p, a in pairs])
    for obj in objs:
        obj._state.adding = False
        obj._state.db = db
    return prepared


def draw_keys(objs: Sequence[Model], *, using: str | None = None) -> bool:
    """Give the objects without a primary key one from their table's sequence (PostgreSQL: one query),
    as their insert would. False, and nothing done, on a database that makes keys only on insert."""
    if not objs:
        return True
    model = type(objs[0])
    db = using or router.db_for_write(model)
    connection = connections[db]
    if connection.vendor != "postgresql":
        return False
    pk = model._meta.pk
    assert pk is not None
    missing = [obj for obj in objs if getattr(obj, pk.attname) is None]
    if missing:
        with connection.cursor() as cursor:
            key = (db, model._meta.db_table, str(pk.column))
            sequence = _SEQUENCES.get(key)
            if sequence is None:
                cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [key[1], key[2]])
                sequence = _SEQUENCES[key] = cursor.fetchone()[0]
            # The sequence by name, looked up once: pg_get_serial_sequence in the select list would
            # run for every row (a catalog look-up each, 5x the time of the nextval themselves).
            cursor.execute("SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [sequence, len(missing)])
            for obj, (value,) in zip(missing, cursor.fetchall(), strict=True):
                setattr(obj, pk.attname, value)
    return True


_SEQUENCES: dict[tuple[str, str, str], str] = {}


def _needs_related_check(obj: Model, cache: dict[str, Any], relations: dict[str, tuple[str, str | None]]) -> bool:
    """Whether a cached related object could make Django's check refuse or change the row: one that is
    unsaved, or whose key is not (yet) the one on this object. Loaded ones, the common case, cannot."""
    values = obj.__dict__
    for name, related in cache.items():
        relation = relations.get(name)
        if relation is None:
            return True  # not a forward relation of this model's concrete fields: let Django look
        if related is not None:
            attname, key_attname = relation
            if key_attname is None:
                return True  # a relation to another field than the key (to_field): let Django look
            key = related.__dict__.get(key_attname)
            if key is None or values.get(attname) != key:
                return True
    return False


def bulk_insert(objs: Sequence[Model], *, using: str | None = None, keys: bool = True) -> None:
    """Insert these new objects of one model (see the module's docstring; `keys`: see `copy_prepare`)."""
    copy_prepare(objs, using=using, keys=keys).write()


# A field's internal type → the kind of value it usually holds, formatted by `row_encoder` without a call.
_KINDS = {
    **dict.fromkeys(("CharField", "TextField", "EmailField", "SlugField", "URLField"), "str"),
    **dict.fromkeys(
        (
            "AutoField",
            "BigAutoField",
            "SmallAutoField",
            "IntegerField",
            "BigIntegerField",
            "SmallIntegerField",
            "PositiveIntegerField",
            "PositiveBigIntegerField",
            "PositiveSmallIntegerField",
            "ForeignKey",
            "OneToOneField",
        ),
        "int",
    ),
    "UUIDField": "uuid",
    "DateField": "date",
    "BooleanField": "bool",
}
# The expression for a value `x` of each kind, as the field's encoder `e` would format it. A text that is
# printable and has no backslash needs no escape (COPY escapes only the backslash, tab, newline and
# carriage return, and the three are not printable). Any other value, or type, is the encoder's.
_INLINE = {
    "str": "{x} if type({x} := {v}) is str and {x}.isprintable() and '\\\\' not in {x} else {e}({x})",
    "int": "str({x}) if type({x} := {v}) is int else '\\\\N' if {x} is None else {e}({x})",
    "uuid": "format({x}.int, '032x') if type({x} := {v}) is UUID else {e}({x})",
    "date": "{x}.isoformat() if type({x} := {v}) is date else {e}({x})",
    "bool": "('t' if {x} else 'f') if type({x} := {v}) is bool else {e}({x})",
    "": "{e}({v})",
}


def row_encoder(columns: Sequence[tuple[Callable[[Any], str], str, str]]) -> Callable[[dict[str, Any]], str]:
    """One row of COPY text from an object's values (its `__dict__`): the columns' encoders joined by tabs,
    as `"\\t".join([e(values[a]) for e, a, _kind in columns])` gives it, with each column's usual value
    formatted in place rather than by a call (a hundred thousand rows of thirty columns make three
    million calls). The function is generated, as `dataclasses` makes `__init__`: `columns` are
    (encoder, attribute name, kind), the kind a key of `_INLINE` ("" for the encoder alone); `{x}`, `{e}`
    and `{v}` in its templates are the column's variable, encoder and value."""
    namespace: dict[str, Any] = {"UUID": uuid.UUID, "date": date}
    parts = []
    for i, (encode, attname, kind) in enumerate(columns):
        namespace[f"e{i}"] = encode
        parts.append(_INLINE[kind].format(x=f"x{i}", e=f"e{i}", v=f"v[{attname!r}]"))
    source = "def row(v):\n    return '\\t'.join((\n        " + ",\n        ".join(parts) + ",\n    ))\n"
    exec(_compiled(source), namespace)  # noqa: S102 - our own source, made from field names above
    return namespace["row"]  # type: ignore[no-any-return]


@functools.lru_cache(maxsize=256)
def _compiled(source: str) -> Any:
    return compile(source, "<copy row encoder>", "exec")


def _encoder(field: Field, prepare: Callable[[Any], Any]) -> Callable[[Any], str]:
    """A field's value in COPY's text format, `_text(prepare(value))`, with the values that the
    preparer gives back unchanged handled here, in one call per value."""
    escapes = _ESCAPES
    if isinstance(field, JSONField):
        if field.encoder is not None:
            return lambda value: _text(prepare(value))

        encoded: dict[int, str] = {}  # id(value) → its text: one object shared by several rows, encoded once

        def encode_json(value: Any) -> str:
            # Django adapts a dict or a list as Jsonb(value, dumps=json.dumps): the same text, at once.
            # (The rows being encoded hold their values, so an id is not reused while this encoder lives.)
            kind = type(value)
            if kind is dict or kind is list:
                if not value:  # most rows' problems: none
                    return "[]" if kind is list else "{}"
                text = encoded.get(id(value))
                if text is None:
                    text = encoded[id(value)] = _escape(json.dumps(value))
                return text
            return _text(prepare(value))

        return encode_json
    # A text field gives a str subclass (a choices member) to the driver as it is: its text.
    text_field = field.get_internal_type() in ("CharField", "TextField")
    last: list[Any] = [None, ""]  # the batch's timestamps are one object: formatted once

    def encode(value: Any) -> str:
        kind = type(value)
        if kind is str:  # _escape, inlined
            if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
                return value.translate(escapes)
            return value
        if value is None:
            return _NULL
        if kind is int:
            return str(value)
        if kind is datetime and value.tzinfo is not None:
            if value is not last[0]:
                last[0], last[1] = value, value.isoformat()
            return last[1]  # type: ignore[no-any-return]
        if kind is uuid.UUID:
            return format(value.int, "032x")  # PostgreSQL reads a uuid without its hyphens too; str() is 4x slower
        if kind is date:
            return value.isoformat()
        if kind is bool:
            return "t" if value else "f"
        if text_field and isinstance(value, str):
            return _escape(str.__str__(value))
        return _text(prepare(value))

    return encode


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
