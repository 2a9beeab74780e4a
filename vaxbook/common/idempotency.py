"""Exactly-once client writes: the same Idempotency-Key and body replay the first answer.

The same key with another body is a conflict. The record is written in the same transaction as the
write it remembers, so a crash leaves neither; a concurrent duplicate hits the unique constraint.
"""

import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from vaxbook.common.errors import Conflict, DomainError
from vaxbook.common.models import IdempotencyRecord


def body_hash(body: Any) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def idempotent_call(
    *, user: Any, scope: str, key: str | None, body: Any, run: Callable[[], tuple[int, Any]]
) -> tuple[int, Any]:
    """Run `run()` (returning status and JSON-able payload) at most once per (user, scope, key).

    A DomainError from `run` is remembered too: the same request gets the same refusal.
    """
    if not key:
        return _run_catching(run)
    if len(key) > 200:
        raise DomainError.single("Idempotency-Key", "idempotency_key_too_long", _("Idempotency-Key is too long."))
    digest = body_hash(body)
    existing = IdempotencyRecord.objects.filter(user=user, scope=scope, key=key).first()
    if existing is not None:
        return _replay(existing, digest)
    try:
        with transaction.atomic():
            status, payload = _run_catching(run)
            IdempotencyRecord.objects.create(
                user=user, scope=scope, key=key, body_hash=digest, status_code=status, response=payload
            )
            if status >= 400:
                # Keep the refusal, but nothing else: the failed write left nothing behind.
                pass
            return status, payload
    except IntegrityError:
        existing = IdempotencyRecord.objects.filter(user=user, scope=scope, key=key).first()
        if existing is None:
            raise
        return _replay(existing, digest)


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
