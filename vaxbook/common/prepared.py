"""The hand-written statements of `rows.py` as server-side prepared statements on PostgreSQL.

PostgreSQL plans a statement each time it receives it as text. For the hot paths' statements (a look-up
by key in a table with many indexes, an INSERT, a FOR UPDATE) that planning costs more than running the
statement: measured on the benchmark database, five look-ups of one request took about 800 µs of the
backend's CPU as text and about 250 µs as EXECUTEs of prepared statements. So each statement is
prepared once per connection (`PREPARE vx_… AS …`, sent in the same round trip as its first use) and
then sent as `EXECUTE vx_…(…)`, with its parameters still formatted by the driver: the round trips of
`rows.execute_all` (several statements in one query) stay as they are.

What can go wrong, and what happens then:

- A statement PostgreSQL cannot prepare (a parameter whose type it cannot infer): the first time this
  process meets a statement, its PREPARE is checked. Outside a transaction the failed query rolled back
  whole and runs again as text; inside one, the PREPARE runs under a savepoint, which is rolled back.
  The statement is then never prepared again in this process.
- A query that fails for another reason after its PREPAREs ran: a prepared statement outlives the
  transaction that made it (PREPARE is not transactional), so its name is taken. When the error does
  not tell whether the PREPAREs ran, the statement is prepared again under a new name next time.
- A new connection (`CONN_MAX_AGE`, a reconnect) starts with no prepared statements: they are kept per
  driver connection. Their plans are generic (`plan_cache_mode`, settings.py) and kept until the
  connection closes or the table's statistics change (ANALYZE, autovacuum).
- A look-up by many keys at once (more than `_MAX_KEYS`: an import's chunk) goes as text, planned
  for its own keys.
- A pooler in transaction mode (PgBouncer) shares server sessions between clients, which breaks
  named prepared statements: `DATABASE_PREPARED_STATEMENTS=0` turns all of this off.
"""

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from weakref import WeakKeyDictionary

from django.conf import settings
from django.db import DatabaseError
from django.db.backends.base.base import BaseDatabaseWrapper

Statement = tuple[str, Sequence[Any]]

#: Only these can be prepared; the others (SET LOCAL, COMMIT, …) are sent as they are.
_PREPARABLE = re.compile(r"\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\b", re.IGNORECASE)
#: A placeholder of the driver's format, or an escaped percent sign (left as it is: the query that
#: carries the PREPARE still goes through the driver's formatting).
_PLACEHOLDER = re.compile(r"%%|%s")
#: Beyond this many parameters a statement is a bulk write, whose planning is a small part of its cost.
_MAX_PARAMETERS = 1000
#: A look-up by an array of more keys than this is a bulk read (an import's chunk): it is planned for its
#: own keys, as text. A generic plan is made for a few keys, and may have been made when the table was
#: nearly empty (a sequential scan that a long import would then repeat for every chunk).
_MAX_KEYS = 64
#: Bound on the statements prepared on one connection (statements whose text varies are not kept up).
_MAX_PER_CONNECTION = 500
_CHECKPOINT = "vx_prepare_check"


@dataclass(frozen=True)
class Plan:
    """How one statement text is prepared: its base name and its body with numbered parameters."""

    name: str
    body: str
    arity: int


_plans: dict[str, Plan | None] = {}
_checked: set[str] = set()  # statements this process has prepared once without error
_refused: set[str] = set()  # statements PostgreSQL would not prepare


def plan(sql: str) -> Plan | None:
    """The plan of `sql`, None when it is not to be prepared."""
    try:
        return _plans[sql]
    except KeyError:
        pass
    found: Plan | None = None
    if _PREPARABLE.match(sql):
        count = 0

        def number(match: re.Match[str]) -> str:
            nonlocal count
            if match.group() == "%%":
                return "%%"
            count += 1
            return f"${count}"

        body = _PLACEHOLDER.sub(number, sql)
        if count <= _MAX_PARAMETERS:
            found = Plan("vx_" + hashlib.blake2b(sql.encode(), digest_size=10).hexdigest(), body, count)
    _plans[sql] = found
    return found


@dataclass
class _Connection:
    """What is prepared on one driver connection: the name of each statement, and how many times a
    statement had to be renamed (its PREPARE may or may not have run before an error)."""

    names: dict[str, str] = field(default_factory=dict)
    renamed: dict[str, int] = field(default_factory=dict)


_connections: "WeakKeyDictionary[Any, _Connection]" = WeakKeyDictionary()


def _state(connection: BaseDatabaseWrapper) -> _Connection:
    raw = connection.connection
    found = _connections.get(raw)
    if found is None:
        found = _connections[raw] = _Connection()
    return found


@dataclass
class Rewrite:
    """The statements to send in place of the caller's, and what to note once the query has run."""

    statements: list[Statement]
    skip: int  # the leading statements added here (their results are not the caller's)
    fresh: list[tuple[str, str]]  # (sql, name) prepared by this query
    unchecked: list[str]  # statements prepared for the first time in this process
    checkpoint: bool  # the unchecked PREPAREs run under a savepoint


def enabled(connection: BaseDatabaseWrapper) -> bool:
    options = connection.settings_dict.get("OPTIONS") or {}
    return (
        connection.vendor == "postgresql"
        and not options.get("server_side_binding")
        and bool(getattr(settings, "DATABASE_PREPARED_STATEMENTS", True))
    )


def rewrite(connection: BaseDatabaseWrapper, statements: Sequence[Statement]) -> Rewrite:
    """`statements` as EXECUTEs of prepared statements, preceded by the PREPAREs this connection lacks.
    Call with the connection open (a cursor made)."""
    state = _state(connection)
    in_transaction = not connection.get_autocommit()
    checks: list[Statement] = []
    prepares: list[Statement] = []
    fresh: list[tuple[str, str]] = []
    unchecked: list[str] = []
    out: list[Statement] = []
    for sql, params in statements:
        found = None if sql in _refused else plan(sql)
        if found is None or any(isinstance(p, list) and len(p) > _MAX_KEYS for p in params):
            out.append((sql, params))
            continue
        name = state.names.get(sql)
        if name is None:
            if len(state.names) >= _MAX_PER_CONNECTION or any(sql == s for s, _ in fresh):
                out.append((sql, params))
                continue
            renamed = state.renamed.get(sql, 0)
            name = found.name if not renamed else f"{found.name}_{renamed}"
            prepare = (f"PREPARE {name} AS {found.body}", ())
            if sql in _checked:
                prepares.append(prepare)
            else:
                checks.append(prepare)
                unchecked.append(sql)
            fresh.append((sql, name))
        arguments = f"({', '.join(['%s'] * found.arity)})" if found.arity else ""
        out.append((f"EXECUTE {name}{arguments}", params))
    checkpoint = bool(checks) and in_transaction
    head: list[Statement] = []
    if checkpoint:
        head = [(f"SAVEPOINT {_CHECKPOINT}", ()), *checks, (f"RELEASE SAVEPOINT {_CHECKPOINT}", ())]
    else:
        head = checks
    head += prepares
    return Rewrite([*head, *out], len(head), fresh, unchecked, checkpoint)


def succeeded(connection: BaseDatabaseWrapper, done: Rewrite) -> None:
    state = _state(connection)
    for sql, name in done.fresh:
        state.names[sql] = name
    _checked.update(done.unchecked)


def failed(connection: BaseDatabaseWrapper, done: Rewrite, error: DatabaseError) -> bool:
    """Note what a failed query left prepared; True when the caller's statements are to be sent again
    as text (a PREPARE failed, and nothing of the query is left in the transaction)."""
    if not done.fresh:
        return False
    state = _state(connection)
    sqlstate = getattr(error.__cause__, "sqlstate", None) or ""
    if not sqlstate.startswith("42"):
        # Not an error of analysis: every PREPARE ran (they come first in the query).
        succeeded(connection, done)
        return False
    # A PREPARE may or may not have run: those statements get new names next time.
    for sql, _name in done.fresh:
        state.renamed[sql] = state.renamed.get(sql, 0) + 1
    if not done.unchecked:
        return False
    if not done.checkpoint:
        # Outside a transaction the query was one implicit transaction: all of it rolled back.
        if connection.get_autocommit():
            _refused.update(done.unchecked)
            return True
        return False
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"ROLLBACK TO SAVEPOINT {_CHECKPOINT}; RELEASE SAVEPOINT {_CHECKPOINT}")
    except DatabaseError:
        return False  # the failure came after the checked PREPAREs: it is the caller's
    _refused.update(done.unchecked)
    return True
