"""Exactly-once client writes: the same Idempotency-Key and body replay the first answer.

The same key with another body is a conflict. The record is written in the same transaction as the
write it remembers, so a crash leaves neither; a concurrent duplicate hits the unique constraint.
"""

import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext_lazy as _

from vaxbook.common.errors import Conflict, DomainError
from vaxbook.common.models import IdempotencyRecord
from vaxbook.common.rows import ModelRows, fetch, insert_instance

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
    if not key:
        return _run_catching(run)
    if len(key) > 200:
        raise DomainError.single("Idempotency-Key", "idempotency_key_too_long", _("Idempotency-Key is too long."))
    digest = body_hash(body)
    existing = _existing(user=user, scope=scope, key=key)
    if existing is not None:
        return _replay(existing, digest)
    try:
        with transaction.atomic():
            with _as_whole_unit():
                status, payload = run()
            insert_instance(
                IdempotencyRecord(
                    user=user, scope=scope, key=key, body_hash=digest, status_code=status, response=payload
                )
            )
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
            insert_instance(
                IdempotencyRecord(
                    user=user, scope=scope, key=key, body_hash=digest, status_code=refusal[0], response=refusal[1]
                )
            )
        return refusal
    except IntegrityError:
        existing = _existing(user=user, scope=scope, key=key)
        if existing is None:
            raise
        return _replay(existing, digest)


_RECORD = ModelRows(IdempotencyRecord, "r")


def _existing(*, user: Any, scope: str, key: str) -> IdempotencyRecord | None:
    """The record of (user, scope, key), by its unique index (hand-written: every keyed write asks)."""
    rows = fetch(_RECORD.select(connection, "r.user_id = %s AND r.scope = %s AND r.key = %s"), [user.pk, scope, key])
    return _RECORD.load(rows[0]) if rows else None


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
