"""Exactly-once client writes: the same Idempotency-Key and body replay the first answer.

The same key with another body is a conflict. The record is written in the same transaction as the
write it remembers, so a crash leaves neither; a concurrent duplicate hits the unique constraint.
"""

import hashlib
import json
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext_lazy as _

from vaxbook.common.errors import Conflict, DomainError
from vaxbook.common.models import IdempotencyRecord
from vaxbook.common.rows import (
    Builder,
    ModelRows,
    Read,
    any_of,
    execute_all,
    insert_instance,
    insert_instance_sql,
    read,
    read_all,
)

# True while `run()` of a keyed call executes as the whole of its transaction: any exception out of
# it rolls that transaction back entirely, so a block inside it needs no savepoint of its own.
_whole_unit: ContextVar[bool] = ContextVar("vaxbook_idempotent_whole_unit", default=False)


def body_hash(body: Any) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def service_atomic() -> Any:
    """`transaction.atomic()` for a service's write, without a savepoint (two round trips) when it
    runs as the whole unit of an idempotent call, whose transaction any failure rolls back whole.
    Use it only where the service lets its exceptions propagate (it does not catch and go on)."""
    return transaction.atomic(savepoint=not _whole_unit.get())


@contextmanager
def _as_whole_unit() -> Iterator[None]:
    token = _whole_unit.set(True)
    try:
        yield
    finally:
        _whole_unit.reset(token)


def idempotent_call(
    *, user: Any, scope: str, key: str | None, body: Any, run: Callable[[], tuple[int, Any]]
) -> tuple[int, Any]:
    """Run `run()` (returning status and JSON-able payload) at most once per (user, scope, key).

    A DomainError from `run` is remembered too: the same request gets the same refusal.

    A new key runs `run()` as the whole of one transaction, with its record: a failure rolls all of it
    back (no savepoint needed), and a refusal is then remembered on its own.
    """
    return idempotent_call_prefetching(user=user, scope=scope, key=key, body=body, prefetch=(), run=lambda _: run())


def idempotent_call_prefetching(
    *,
    user: Any,
    scope: str,
    key: str | None,
    body: Any,
    prefetch: Sequence[Read[Any]],
    run: Callable[[list[Any]], tuple[int, Any]],
) -> tuple[int, Any]:
    """`idempotent_call` for a write that starts by reading: the `prefetch` reads go in the same round
    trip as the look-up of the key (before the transaction), and `run` gets what they loaded (an empty
    list when there are none)."""
    if not key:
        found = read_all(*prefetch) if prefetch else []
        return _run_catching(lambda: run(found))
    if len(key) > 200:
        raise DomainError.single("Idempotency-Key", "idempotency_key_too_long", _("Idempotency-Key is too long."))
    digest = body_hash(body)
    existing, *found = read_all(_existing_read(user=user, scope=scope, key=key), *prefetch)
    if existing is not None:
        return _replay(existing, digest)
    try:
        with transaction.atomic():
            with _as_whole_unit():
                status, payload = run(found)
            _record_and_commit(new_record(user=user, scope=scope, key=key, digest=digest, answer=(status, payload)))
            return status, payload
    except DomainError as exc:
        # The failed write rolled back with its transaction: keep the refusal, but nothing else.
        refusal = exc.status, exc.as_payload()
    except IntegrityError:
        # A concurrent request with this key committed first: its answer wins.
        existing = _existing(user=user, scope=scope, key=key)
        if existing is None:
            raise
        return _replay(existing, digest)
    try:
        with transaction.atomic():
            insert_instance(new_record(user=user, scope=scope, key=key, digest=digest, answer=refusal))
        return refusal
    except IntegrityError:
        existing = _existing(user=user, scope=scope, key=key)
        if existing is None:
            raise
        return _replay(existing, digest)


_new_record = Builder(IdempotencyRecord)


def new_record(*, user: Any, scope: str, key: str, digest: str, answer: tuple[int, Any]) -> IdempotencyRecord:
    """The unsaved record of a first answer (built with the fast constructor: every keyed write makes
    one, a batch hundreds); `digest` is the `body_hash` of the request's body."""
    return _new_record(
        {
            "user_id": user.pk,
            "scope": scope,
            "key": key,
            "body_hash": digest,
            "status_code": answer[0],
            "response": answer[1],
        }
    )


def _record_and_commit(record: IdempotencyRecord) -> None:
    """Insert the record, the last write of its call's transaction. On PostgreSQL, when that transaction
    is the connection's only one (not nested in a caller's), the COMMIT goes with the INSERT in one
    round trip: the atomic block then finds the transaction committed and has nothing left to send
    (psycopg skips a COMMIT on an idle connection). A failure of either raises out of the block, which
    rolls back what is left, as before."""
    options = connection.settings_dict.get("OPTIONS") or {}
    alone = len(connection.atomic_blocks) == 1 and not connection.savepoint_ids
    if connection.vendor != "postgresql" or options.get("server_side_binding") or not alone:
        insert_instance(record)
        return
    execute_all([insert_instance_sql(record), ("COMMIT", [])])


_RECORD = ModelRows(IdempotencyRecord, "r")


def _existing_read(*, user: Any, scope: str, key: str) -> Read[IdempotencyRecord | None]:
    """The record of (user, scope, key), by its unique index (hand-written: every keyed write asks)."""
    sql = _RECORD.select(connection, "r.user_id = %s AND r.scope = %s AND r.key = %s")
    return Read(sql, [user.pk, scope, key], lambda rows: _RECORD.load(rows[0]) if rows else None)


def _existing(*, user: Any, scope: str, key: str) -> IdempotencyRecord | None:
    return read(_existing_read(user=user, scope=scope, key=key))


def records_read(*, user: Any, scope: str, keys: Collection[str]) -> Read[dict[str, IdempotencyRecord]]:
    """The records of these keys of (user, scope), by key (a batch asks for all of its items at once)."""
    among, values = any_of(IdempotencyRecord, "key", "r", sorted(keys))
    sql = _RECORD.select(connection, f"r.user_id = %s AND r.scope = %s AND {among}")
    return Read(sql, [user.pk, scope, *values], lambda rows: {r.key: r for r in map(_RECORD.load, rows)})


def _replay(record: IdempotencyRecord, digest: str) -> tuple[int, Any]:
    if record.body_hash != digest:
        raise Conflict.single(
            "Idempotency-Key",
            "idempotency_key_reused",
            _("This Idempotency-Key was already used for a different request."),
        )
    return record.status_code, record.response


def _run_catching(run: Callable[[], tuple[int, Any]]) -> tuple[int, Any]:
    try:
        with transaction.atomic():
            return run()
    except DomainError as exc:
        return exc.status, exc.as_payload()
