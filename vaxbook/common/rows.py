"""Model rows read by hand-written SQL on the hot paths, typed exactly as the ORM types them.

Building a query with the ORM costs 0.3 to 1 ms of Python per query (compiling the SELECT, its joins
and its converters), several times what PostgreSQL spends answering a look-up by a unique key. The few
look-ups that every request of the desk and the API makes (the bearer token, the person by document,
phone or public id) write their SQL once and load the rows here: the same instances, with the same
Python types on SQLite and PostgreSQL, as a queryset would give.

Only plain SELECTs by keys belong here; anything with rules in it stays in the ORM.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import DatabaseError, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, Model
from django.db.models.base import ModelState
from django.db.models.fields import AutoFieldMixin

from vaxbook.common import prepared

_TUPLES_OK = 2  # libpq's PGRES_TUPLES_OK (psycopg.pq.ExecStatus.TUPLES_OK), without importing psycopg here

Converter = Callable[[Any, Any, BaseDatabaseWrapper], Any]


class ModelRows[M: Model]:
    """The concrete columns of `model` under a table alias, and the loader of a row of them."""

    def __init__(self, model: type[M], alias: str, fields: Sequence[str] | None = None):
        self.model = model
        self.alias = alias
        concrete = list(model._meta.concrete_fields)
        if fields is not None:
            by_name = {f.name: f for f in concrete} | {f.attname: f for f in concrete}
            concrete = [by_name[name] for name in fields]
        self.fields = concrete
        self.attnames = [f.attname for f in self.fields]
        self.width = len(self.fields)
        self._converters: dict[str, list[tuple[int, Any, list[Converter]]]] = {}
        self._columns: dict[str, str] = {}

    def columns(self, connection: BaseDatabaseWrapper) -> str:
        """`"alias"."column", …` for a SELECT list, quoted for the connection's database."""
        found = self._columns.get(connection.vendor)
        if found is None:
            qn = connection.ops.quote_name
            found = self._columns[connection.vendor] = ", ".join(
                f"{qn(self.alias)}.{qn(str(f.column))}" for f in self.fields
            )
        return found

    @property
    def table(self) -> str:
        return str(self.model._meta.db_table)

    def source(self, connection: BaseDatabaseWrapper) -> str:
        """`"table" alias`, for a FROM or JOIN clause."""
        return f"{connection.ops.quote_name(self.table)} {self.alias}"

    def select(self, connection: BaseDatabaseWrapper, where: str, *, for_update: bool = False) -> str:
        """`SELECT <the columns> FROM <the table> <alias> WHERE <where>`: `where` (and whatever follows
        it: ORDER BY, LIMIT) is written by the caller with %s placeholders. `for_update` locks the rows
        where the database can (SQLite serializes writers anyway)."""
        lock = " FOR UPDATE" if for_update and connection.features.has_select_for_update else ""
        return f"SELECT {self.columns(connection)} FROM {self.source(connection)} WHERE {where}{lock}"  # noqa: S608

    def _converters_for(self, connection: BaseDatabaseWrapper) -> list[tuple[int, Any, list[Converter]]]:
        key = connection.alias
        found = self._converters.get(key)
        if found is None:
            found = []
            for i, field in enumerate(self.fields):
                col = field.get_col(self.alias)
                funcs = list(connection.ops.get_db_converters(col)) + list(col.get_db_converters(connection))
                if funcs:
                    found.append((i, col, funcs))
            self._converters[key] = found
        return found

    def values(self, row: Sequence[Any], start: int = 0, *, using: str = "default") -> list[Any]:
        """The Python values of `row[start:start + width]`, converted as the ORM converts them."""
        connection = connections[using]
        values = list(row[start : start + self.width])
        for i, col, funcs in self._converters_for(connection):
            value = values[i]
            for func in funcs:
                value = func(value, col, connection)
            values[i] = value
        return values

    def load(self, row: Sequence[Any], start: int = 0, *, using: str = "default") -> M:
        """The model instance of `row[start:start + width]`, as `Model.from_db` would build it (the
        fields not selected deferred), built directly as `Builder` builds new ones: the attributes set,
        the state of a loaded row, no pre_init/post_init signals (the models have no receivers of
        them: test_rows.py checks)."""
        obj = self.model.__new__(self.model)
        state = obj._state = ModelState()
        state.adding = False
        state.db = using
        obj.__dict__.update(zip(self.attnames, self.values(row, start, using=using), strict=True))
        return obj


def fetch(sql: str, params: Sequence[Any], *, using: str = "default") -> list[tuple[Any, ...]]:
    """The rows of one hand-written SELECT."""
    return execute_all([(sql, params)], using=using)[0]


def param(model: type[Model], field: str, value: Any, *, using: str = "default") -> Any:
    """`value` as a query parameter for `model.field` (a UUID, a date or a time on SQLite, …)."""
    return model._meta.get_field(field).get_db_prep_value(value, connections[using], prepared=False)  # type: ignore[union-attr]


def any_of(
    model: type[Model], field: str, alias: str, values: Iterable[Any], *, using: str = "default"
) -> tuple[str, list[Any]]:
    """`alias.column IN (values)` for a hand-written WHERE, with its parameters (prepared here).

    On PostgreSQL the values go as one array parameter of the column's type (`= ANY(%s::type[])`): the
    driver binds one value, where hundreds of placeholders cost it a split of the query and a
    conversion each; the cast keeps the comparison on the column's own type, so its index serves
    it (an array of text against a varchar column would be a filter, not an index condition)."""
    connection = connections[using]
    key = (model, field, alias, connection.vendor)
    found = _ANY_OF.get(key)
    if found is None:
        f = model._meta.get_field(field)
        assert isinstance(f, Field), f"{model.__name__}.{field} is not a column"
        qn = connection.ops.quote_name
        column = f"{qn(alias)}.{qn(str(f.column))}"
        # The cast once per column: a foreign key's type is found by building its target's field anew.
        cast = f"{column} = ANY(%s::{f.db_type(connection)}[])" if connection.vendor == "postgresql" else ""
        found = _ANY_OF[key] = (f, column, cast)
    f, column, cast = found
    prepared = [f.get_db_prep_value(v, connection, prepared=False) for v in values]
    if not prepared:
        return "1 = 0", []
    if cast:
        return cast, [prepared]
    return f"{column} IN ({', '.join(['%s'] * len(prepared))})", prepared


_ANY_OF: dict[tuple[type[Model], str, str, str], tuple[Field[Any, Any], str, str]] = {}


def insert_values_sql(
    model: type[Model],
    values: dict[str, Any],
    *,
    only_if: tuple[str, Sequence[Any]] | None = None,
    using: str = "default",
) -> tuple[str, list[Any]]:
    """The INSERT of one row of `values` (by field name), prepared by their fields as `save` would.

    With `only_if` (a condition with its parameters, e.g. `EXISTS (SELECT …)`), the row is written only
    when the condition holds when the statement runs: a write that depends on an earlier statement of
    the same round trip (see `execute_at_once`)."""
    connection = connections[using]
    qn = connection.ops.quote_name
    fields = [model._meta.get_field(name) for name in values]
    columns = ", ".join(qn(str(f.column)) for f in fields)  # type: ignore[union-attr]
    params = [f.get_db_prep_save(values[f.name], connection) for f in fields]  # type: ignore[union-attr]
    placeholders = ", ".join(["%s"] * len(params))
    table = qn(model._meta.db_table)
    if only_if is None:
        return f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", params  # noqa: S608
    condition, condition_params = only_if
    return f"INSERT INTO {table} ({columns}) SELECT {placeholders} WHERE {condition}", [*params, *condition_params]


_INSERT_SQL: dict[tuple[type[Model], str, bool], tuple[str, list[Any], bool]] = {}


def insert_instance_sql(obj: Model, *, ignore_conflict: bool = False, using: str = "default") -> tuple[str, list[Any]]:
    """The INSERT that saves the new instance `obj` (see `insert_instance`), RETURNING its key where the
    database can."""
    connection = connections[using]
    model = type(obj)
    key = (model, connection.vendor, ignore_conflict)
    cached = _INSERT_SQL.get(key)
    if cached is None:
        qn = connection.ops.quote_name
        pk = model._meta.pk
        assert isinstance(pk, AutoFieldMixin), f"{model.__name__}: insert_instance needs a database-made key"
        fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        returning = bool(connection.features.can_return_columns_from_insert)
        assert returning or not ignore_conflict, "ignore_conflict needs INSERT ... RETURNING"
        sql = (
            f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(str(f.column)) for f in fields)})"  # noqa: S608
            f" VALUES ({', '.join(['%s'] * len(fields))})"
            + (" ON CONFLICT DO NOTHING" if ignore_conflict else "")
            + (f" RETURNING {qn(str(pk.column))}" if returning else "")
        )
        cached = _INSERT_SQL[key] = (sql, fields, returning)
    sql, fields, _returning = cached
    return sql, [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]


def _saved(obj: Model, pk: Any, using: str) -> None:
    obj.pk = pk
    obj._state.adding = False
    obj._state.db = using


def insert_instance[I: Model](obj: I, *, ignore_conflict: bool = False, using: str = "default") -> I | None:
    """Save a new instance with one hand-written INSERT: what `obj.save()` does for a new row of a model
    without signals or custom `save` (the defaults, `auto_now`, the field preparation), without the
    ORM's compiling. The primary key comes back with RETURNING where the database has it.

    With `ignore_conflict`, a row that a unique constraint refuses is not written and None comes back
    (ON CONFLICT DO NOTHING: no savepoint needed to go on inside a transaction)."""
    connection = connections[using]
    sql, params = insert_instance_sql(obj, ignore_conflict=ignore_conflict, using=using)
    if connection.features.can_return_columns_from_insert:
        returned = execute_all([(sql, params)], using=using)[0]
        if not returned:
            return None
        _saved(obj, returned[0][0], using)
        return obj
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        _saved(obj, cursor.lastrowid, using)
    return obj


def execute_all(
    statements: Sequence[tuple[str, Sequence[Any]]], *, using: str = "default"
) -> list[list[tuple[Any, ...]]]:
    """Several statements in one round trip on PostgreSQL, one by one elsewhere; the rows of each ([]
    for a statement that returns none).

    With psycopg's client-side binding (Django's default) the statements go as one query, and under
    READ COMMITTED each takes its own snapshot when it starts, after the previous one has finished (so
    a read after a `FOR UPDATE` sees what was committed before the lock was granted). With
    `server_side_binding` on they go one by one. A failing statement fails the ones after it: call
    inside a transaction.

    On PostgreSQL each statement runs as a prepared statement of the connection (`prepared.py`: the
    server plans it once per connection, not once per request)."""
    connection = connections[using]
    with connection.cursor() as cursor:
        if statements and prepared.enabled(connection):
            rewritten = prepared.rewrite(connection, statements)
            try:
                results = _send(connection, cursor, rewritten.statements)
            except DatabaseError as exc:
                if not prepared.failed(connection, rewritten, exc):
                    raise
            else:
                prepared.succeeded(connection, rewritten)
                return results[rewritten.skip :]
        return _send(connection, cursor, statements)


def _send(
    connection: BaseDatabaseWrapper, cursor: Any, statements: Sequence[tuple[str, Sequence[Any]]]
) -> list[list[tuple[Any, ...]]]:
    options = connection.settings_dict.get("OPTIONS") or {}
    together = connection.vendor == "postgresql" and not options.get("server_side_binding") and len(statements) > 1
    results: list[list[tuple[Any, ...]]] = []
    if not together:
        for sql, params in statements:
            cursor.execute(sql, params)
            results.append(_result_rows(cursor))
        return results
    cursor.execute(";\n".join(sql for sql, _ in statements), [p for _, params in statements for p in params])
    results.append(_result_rows(cursor))
    while cursor.nextset():
        results.append(_result_rows(cursor))
    assert len(results) == len(statements), "one result per statement"
    return results


#: Prepended to a transaction of ours whose commit need not wait for its WAL to reach the disk.
_NOT_DURABLE = ("SET LOCAL synchronous_commit TO OFF", ())


def execute_at_once(
    statements: Sequence[tuple[str, Sequence[Any]]], *, using: str = "default", durable: bool = True
) -> list[list[tuple[Any, ...]]]:
    """All of `statements` or none of them, in one round trip on PostgreSQL; the rows of each.

    Outside a transaction they go as one query, which PostgreSQL runs as one implicit transaction: a
    statement that fails rolls back the ones before it, and there is no BEGIN or COMMIT to send (two
    round trips of the four an atomic block of two writes costs). Inside a caller's transaction they
    are part of it. Elsewhere (SQLite, `server_side_binding`), in an atomic block.

    `durable=False` (PostgreSQL, outside a caller's transaction): the commit does not wait for its WAL
    to be flushed (`synchronous_commit` off for this transaction only). For state that is cheap to
    redo, such as a check-in: a crash of PostgreSQL itself may lose the last fraction of a second of
    such commits, whole, never part of one; and since every later durable commit flushes the WAL
    written before it, nothing durable that depends on them (a dose and its appointment) can outlive
    them. Inside a caller's transaction the flag is ignored (the caller's commit decides)."""
    connection = connections[using]
    options = connection.settings_dict.get("OPTIONS") or {}
    relaxed = not durable and connection.vendor == "postgresql" and connection.get_autocommit()
    if relaxed:
        statements = [_NOT_DURABLE, *statements]
    if (
        len(statements) < 2  # one statement is all or nothing by itself
        or not connection.get_autocommit()
        or (connection.vendor == "postgresql" and not options.get("server_side_binding"))
    ):
        results = execute_all(statements, using=using)
    else:
        with transaction.atomic(using=using):
            results = execute_all(statements, using=using)
    return results[1:] if relaxed else results


def _result_rows(cursor: Any) -> list[tuple[Any, ...]]:
    """The rows of the cursor's current result, [] for a statement that returns none. On psycopg the
    result's status tells (`description` would build a column object per column, per statement)."""
    result = getattr(cursor.cursor, "pgresult", None)
    if result is not None:
        return list(cursor.fetchall()) if result.status == _TUPLES_OK else []
    return list(cursor.fetchall()) if cursor.description else []


def mark_saved(obj: Model, returned: list[tuple[Any, ...]], *, using: str = "default") -> None:
    """Make `obj` a saved instance with the key its INSERT ... RETURNING gave (see `execute_all`)."""
    _saved(obj, returned[0][0], using)


class Builder[B: Model]:
    """New instances of a model built fast, for bulk writes (an import builds a hundred thousand): the
    attributes set directly, as the ORM's constructor does for loaded rows, with each field's default
    for what is not given, and no pre_init/post_init signals (use it only for models without receivers
    of those). Relations are given by their id (`person_id=…`); pass related objects to `relate` to
    have them cached."""

    def __init__(self, model: type[B]):
        self.model = model
        fields = list(model._meta.concrete_fields)
        self.names = frozenset(f.attname for f in fields)
        # Plain defaults are set with one dictionary update; callable ones are called per instance.
        self.static: dict[str, Any] = {}
        self.calls: list[tuple[str, Callable[[], Any]]] = []
        for f in fields:
            if f.has_default() and callable(f.default):
                self.calls.append((f.attname, f.default))
            else:
                self.static[f.attname] = f.get_default()
        self.cache_names = {f.name: f.cache_name for f in fields if f.is_relation}  # type: ignore[attr-defined]

    def __call__(self, values: dict[str, Any], relate: dict[str, Model | None] | None = None) -> B:
        assert values.keys() <= self.names, f"{self.model.__name__} has no fields {values.keys() - self.names}"
        obj = self.model.__new__(self.model)
        obj._state = ModelState()
        attrs = obj.__dict__
        attrs.update(self.static)
        for attname, default in self.calls:
            if attname not in values:
                attrs[attname] = default()
        attrs.update(values)
        if relate:
            cache = obj._state.fields_cache
            for name, related in relate.items():
                cache[self.cache_names[name]] = related
        return obj


@dataclass(frozen=True)
class Read[T]:
    """One hand-written SELECT and what to make of its rows: `read` runs one, `read_all` several."""

    sql: str
    params: Sequence[Any]
    load: Callable[[list[tuple[Any, ...]]], T]

    def then[U](self, pick: Callable[[T], U]) -> "Read[U]":
        """The same SELECT, with `pick` applied to what it loads: a look-up of one key written as the
        look-up of many (`facilities_read([id]).then(lambda found: found.get(id))`)."""
        load = self.load
        return Read(self.sql, self.params, lambda rows: pick(load(rows)))


def read[T](query: Read[T], *, using: str = "default") -> T:
    return query.load(fetch(query.sql, query.params, using=using))


def read_all(*queries: Read[Any], using: str = "default") -> list[Any]:
    """Several independent SELECTs, in one round trip on PostgreSQL (see `execute_all`)."""
    results = execute_all([(q.sql, q.params) for q in queries], using=using)
    return [q.load(rows) for q, rows in zip(queries, results, strict=True)]
