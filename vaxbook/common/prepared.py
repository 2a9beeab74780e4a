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
- A query that fails for another reason: the PREPAREs in it may or may not have run (PREPARE is not
  transactional: one that ran outlives the failed transaction, and its name is taken), so those
  statements are prepared again under new names next time.
- A prepared statement gone from the session (`DEALLOCATE`, `DISCARD ALL`): the connection forgets
  what it had prepared and prepares again; outside a transaction the query is sent again at once.
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
#: Bounds on the statements prepared on one connection, and known to the process (statements whose
#: text varies are not kept up: past these they go as text).
_MAX_PER_CONNECTION = 500
_MAX_PLANS = 5000
_CHECKPOINT = "vx_prepare_check"
#: SQLSTATEs: a prepared statement that does not exist (invalid_sql_statement_name), and the class of
#: errors of analysis (syntax error or access rule violation), where a refused PREPARE's error falls.
_NO_SUCH_STATEMENT = "26000"
_ANALYSIS_ERRORS = "42"


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
    if len(_plans) >= _MAX_PLANS:
        return None
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
    checks: list[Statement] = []
    prepares: list[Statement] = []
    fresh: dict[str, str] = {}
    unchecked: list[str] = []
    out: list[Statement] = []
    for sql, params in statements:
        found = None if sql in _refused else plan(sql)
        if found is None or any(isinstance(p, list) and len(p) > _MAX_KEYS for p in params):
            out.append((sql, params))
            continue
        name = state.names.get(sql) or fresh.get(sql)
        if name is None:
            if len(state.names) >= _MAX_PER_CONNECTION:
                out.append((sql, params))
                continue
            renamed = state.renamed.get(sql, 0)
            name = fresh[sql] = found.name if not renamed else f"{found.name}_{renamed}"
            prepare = (f"PREPARE {name} AS {found.body}", ())
            if sql in _checked:
                prepares.append(prepare)
            else:
                checks.append(prepare)
                unchecked.append(sql)
        arguments = f"({', '.join(['%s'] * found.arity)})" if found.arity else ""
        out.append((f"EXECUTE {name}{arguments}", params))
    checkpoint = bool(checks) and not connection.get_autocommit()
    if checkpoint:
        checks = [(f"SAVEPOINT {_CHECKPOINT}", ()), *checks, (f"RELEASE SAVEPOINT {_CHECKPOINT}", ())]
    head = [*checks, *prepares]
    return Rewrite([*head, *out], len(head), list(fresh.items()), unchecked, checkpoint)


def succeeded(connection: BaseDatabaseWrapper, done: Rewrite) -> None:
    state = _state(connection)
    for sql, name in done.fresh:
        state.names[sql] = name
    _checked.update(done.unchecked)


def failed(connection: BaseDatabaseWrapper, done: Rewrite, error: DatabaseError) -> bool:
    """Note what a failed query left prepared; True when the caller's statements are to be sent again
    as text (nothing of the failed query is left in the transaction, and it failed for a reason of
    ours: a PREPARE PostgreSQL refused, or a prepared statement gone from the session)."""
    if connection.connection is None:
        return False  # the connection is gone, and what was prepared on it
    state = _state(connection)
    sqlstate = getattr(error.__cause__, "sqlstate", None) or ""
    for sql, _name in done.fresh:
        state.renamed[sql] = state.renamed.get(sql, 0) + 1
    if sqlstate == _NO_SUCH_STATEMENT:
        state.names.clear()
        return connection.get_autocommit()
    if not done.unchecked or not sqlstate.startswith(_ANALYSIS_ERRORS):
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
