"""The audit log: every service writes one event in the same transaction as its change."""

from collections.abc import Sequence
from typing import Any

from django.db import models
from django.utils import timezone

from vaxbook.common.models import AuditEvent
from vaxbook.common.rows import Builder, execute_all, insert_values_sql


def _jsonable(value: Any) -> Any:
    kind = type(value)
    if kind is str or kind is int or value is None:  # most values, at once (a batch audits thousands)
        return value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, models.Model):
        return str(getattr(value, "public_id", value.pk))
    return str(value)


def audit_statement(
    *,
    actor: Any,
    action: str,
    subject: models.Model,
    data: dict[str, Any] | None = None,
    only_if: tuple[str, Sequence[Any]] | None = None,
) -> tuple[str, list[Any]]:
    """The INSERT of an audit event, for a caller that sends its writes together (rows.execute_all);
    `only_if`: written only when that condition holds (rows.insert_values_sql)."""
    return insert_values_sql(
        AuditEvent,
        {
            "at": timezone.now(),
            "actor": actor.pk if getattr(actor, "is_authenticated", False) else None,
            "action": action,
            "subject_type": subject._meta.label_lower,
            "subject_id": str(getattr(subject, "public_id", subject.pk)),
            "data": _jsonable(data or {}),
        },
        only_if=only_if,
    )


def audit_log(*, actor: Any, action: str, subject: models.Model, data: dict[str, Any] | None = None) -> None:
    """Record `action` by `actor` on `subject`. Call inside the writing transaction.

    One plain INSERT (common/rows.py): every write of the product makes one, the desk's many times a
    minute, and nobody needs the event back.
    """
    execute_all([audit_statement(actor=actor, action=action, subject=subject, data=data)])


_new_event = Builder(AuditEvent)
_NO_PUBLIC_ID = object()


def audit_event_objects(
    *, actor: Any, action: str, subjects: Sequence[models.Model], data: Sequence[dict[str, Any]] | None = None
) -> list[AuditEvent]:
    """Unsaved audit events for a bulk write (saved with bulk_insert or bulk_create): thousands at a
    time for an import, so the subject type is read once per model, and a data dict given for several
    events (the same object) is made JSON-ready once and shared by them (copy_prepare writes it once)."""
    actor_id = actor.pk if getattr(actor, "is_authenticated", False) else None
    at = timezone.now()
    datas = data if data is not None else [{}] * len(subjects)
    labels: dict[type, str] = {}
    ready: dict[int, Any] = {}  # id(a data dict) → its JSON-ready form; `datas` keeps the dicts alive
    events = []
    for s, d in zip(subjects, datas, strict=True):
        kind = type(s)
        label = labels.get(kind)
        if label is None:
            label = labels[kind] = s._meta.label_lower
        jsonable = ready.get(id(d))
        if jsonable is None:
            jsonable = ready[id(d)] = _jsonable(d)
        public_id = getattr(s, "public_id", _NO_PUBLIC_ID)
        events.append(
            _new_event(
                {
                    "at": at,
                    "actor_id": actor_id,
                    "action": action,
                    "subject_type": label,
                    "subject_id": str(public_id if public_id is not _NO_PUBLIC_ID else s.pk),
                    "data": jsonable,
                }
            )
        )
    return events


def changed_fields(instance: models.Model, before: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    """{field: [old, new]} for the fields that changed."""
    changes = {}
    for f in fields:
        new = getattr(instance, f)
        if before.get(f) != new:
            changes[f] = [_jsonable(before.get(f)), _jsonable(new)]
    return changes
