"""Writes on the vaccine catalogue, lots and the stock ledger.

Stock is locked per (facility, lot): a writer locks the LotHolding row, then reads the ledger's position
inside the lock (its last line's sequence and balance), then appends the next line. On PostgreSQL the row
lock serializes writers of one lot at one facility; on SQLite every write transaction is BEGIN IMMEDIATE,
so writers serialize anyway. A line that would take the balance below zero is refused here
(`out_of_stock`) and by the database (`stock_balance_not_negative`).
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vaxbook.common.audit import audit_log
from vaxbook.common.errors import DomainError
from vaxbook.common.rows import ModelRows, Read, any_of, read
from vaxbook.places.models import Facility
from vaxbook.vaccines.access import RECEIVE_ROLES, STOCK_ROLES, oversees_facility, require_facility_role
from vaxbook.vaccines.errors import (
    FacilityForbidden,
    LotExpired,
    LotExpiryMismatch,
    QuantityInvalid,
    TransferToSelf,
    WasteReasonInvalid,
)
from vaxbook.vaccines.models import Lot, LotHolding, StockMovement, Vaccine
from vaxbook.vaccines.selectors import catalogue_invalidate, stock_position_read

DATA_FILE = Path(__file__).resolve().parent / "data" / "vaccines.json"

_CATALOGUE_FIELDS = (
    "name",
    "manufacturer",
    "manufacturer_code",
    "kind",
    "prophylaxis_code",
    "primary_doses",
    "min_interval_days",
    "booster_interval_days",
    "booster_allowed",
    "vial_size",
)


@dataclass(frozen=True)
class LoadResult:
    created: int
    updated: int
    unchanged: int


def vaccines_load(*, actor: Any = None, path: Path = DATA_FILE) -> LoadResult:
    """Create or update the vaccine catalogue from its data file. Running it twice changes nothing."""
    rows = json.loads(path.read_text(encoding="utf-8"))["vaccines"]
    created = updated = unchanged = 0
    with transaction.atomic():
        by_code: dict[str, Vaccine] = {}
        for order, row in enumerate(rows):
            values = {f: row[f] for f in _CATALOGUE_FIELDS}
            values["local_code"] = bool(row.get("local_code", False))
            values["sort_order"] = order
            vaccine = Vaccine.objects.filter(code=row["code"]).first()
            if vaccine is None:
                vaccine = Vaccine.objects.create(code=row["code"], **values)
                audit_log(actor=actor, action="vaccines.vaccine.created", subject=vaccine, data={"code": vaccine.code})
                created += 1
            else:
                changes = {k: [getattr(vaccine, k), v] for k, v in values.items() if getattr(vaccine, k) != v}
                if changes:
                    for k, (_old, new) in changes.items():
                        setattr(vaccine, k, new)
                    vaccine.save()
                    audit_log(actor=actor, action="vaccines.vaccine.updated", subject=vaccine, data=changes)
                    updated += 1
                else:
                    unchanged += 1
            by_code[vaccine.code] = vaccine
        for row in rows:
            vaccine = by_code[row["code"]]
            wanted = {by_code[c].pk for c in row.get("series_alternatives", [])}
            if set(vaccine.series_alternatives.values_list("pk", flat=True)) != wanted:
                vaccine.series_alternatives.set(wanted)
        transaction.on_commit(catalogue_invalidate)
    return LoadResult(created=created, updated=updated, unchanged=unchanged)


# The ledger -----------------------------------------------------------------------------------


_HOLDING_ID = ModelRows(LotHolding, "h", fields=["id"])


def stock_lock_read(*, facility_id: int, lot_id: int) -> Read[int | None]:
    """Lock the (facility, lot) holding row; its id, or None when the facility never held the lot.
    Inside a transaction, before reading where its ledger stands. (Hand-written: every dose takes it.)"""
    many = holdings_lock_read(facility_ids=[facility_id], lot_ids=[lot_id])
    return many.then(lambda ids: ids[0] if ids else None)


def stock_lock(*, facility_id: int, lot_id: int) -> int | None:
    return read(stock_lock_read(facility_id=facility_id, lot_id=lot_id))


def holdings_lock_read(*, facility_ids: Sequence[int], lot_ids: Sequence[int]) -> Read[list[int]]:
    """Lock the holdings of these facilities and lots (for a batch, a superset of its pairs) in key order."""
    facilities, f_params = any_of(LotHolding, "facility_id", "h", facility_ids)
    lots, l_params = any_of(LotHolding, "lot_id", "h", lot_ids)
    sql = _HOLDING_ID.select(connection, f"{facilities} AND {lots} ORDER BY h.id", for_update=True)
    return Read(sql, [*f_params, *l_params], lambda rows: [row[0] for row in rows])


def ledger_append(*, facility_id: int, lot_id: int, quantity: int, **fields: Any) -> StockMovement:
    """Append a line of `quantity` (signed) to the ledger of (facility, lot), whose holding the caller has
    locked: read where the ledger stands, refuse an outflow beyond what is on hand, write the line with
    its sequence and balance."""
    position = read(stock_position_read(facility_id=facility_id, lot_id=lot_id))
    return StockMovement.objects.create(facility_id=facility_id, lot_id=lot_id, **position.line(quantity), **fields)


def _holding(facility: Facility, lot: Lot) -> LotHolding:
    """The holding of (facility, lot), opened if new, and locked."""
    holding, _created = LotHolding.objects.get_or_create(facility=facility, lot=lot)
    stock_lock(facility_id=facility.pk, lot_id=lot.pk)
    return holding


def _check_quantity(quantity: int) -> None:
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0 or quantity > 1_000_000:
        raise QuantityInvalid()


def lot_receive(
    *,
    actor: Any,
    facility: Facility,
    vaccine: Vaccine,
    number: str,
    expiry: date,
    quantity: int,
    note: str = "",
    at: datetime | None = None,
) -> StockMovement:
    """Doses of a lot arrive at a facility: the lot is created if new, a `received` movement added."""
    require_facility_role(user=actor, facility=facility, roles=RECEIVE_ROLES)
    _check_quantity(quantity)
    number = number.strip().upper()
    if not number:
        raise DomainError.single("lot_number", "lot_number_required", _("Enter the lot number."))
    limit = Lot._meta.get_field("number").max_length or 0
    if len(number) > limit:
        raise DomainError.single(
            "lot_number",
            "lot_number_too_long",
            _("The lot number must be at most %(max)d characters long.") % {"max": limit},
        )
    at = at or timezone.now()
    if expiry < timezone.localdate(at):
        raise LotExpired()
    with transaction.atomic():
        lot, created = Lot.objects.get_or_create(vaccine=vaccine, number=number, defaults={"expiry": expiry})
        if not created and lot.expiry != expiry:
            raise LotExpiryMismatch(extra={"expiry": lot.expiry.isoformat()})
        _holding(facility, lot)
        movement = ledger_append(
            facility_id=facility.pk,
            lot_id=lot.pk,
            quantity=quantity,
            kind=StockMovement.Kind.RECEIVED,
            at=at,
            note=note,
            recorded_by=actor,
        )
        if created:
            audit_log(
                actor=actor,
                action="vaccines.lot.created",
                subject=lot,
                data={"vaccine": vaccine.code, "number": number, "expiry": expiry},
            )
        audit_log(
            actor=actor,
            action="vaccines.stock.received",
            subject=movement,
            data={"facility": facility, "lot": lot, "quantity": quantity},
        )
    return movement


def stock_waste(
    *, actor: Any, facility: Facility, lot: Lot, quantity: int, reason: str, note: str = ""
) -> StockMovement:
    """Doses lost at a facility (an opened vial not used in time, a broken vial): a `wasted` movement."""
    require_facility_role(user=actor, facility=facility, roles=STOCK_ROLES)
    _check_quantity(quantity)
    if reason not in StockMovement.WasteReason.values:
        raise WasteReasonInvalid()
    with transaction.atomic():
        stock_lock(facility_id=facility.pk, lot_id=lot.pk)
        movement = ledger_append(
            facility_id=facility.pk,
            lot_id=lot.pk,
            quantity=-quantity,
            kind=StockMovement.Kind.WASTED,
            at=timezone.now(),
            reason=reason,
            note=note,
            recorded_by=actor,
        )
        audit_log(
            actor=actor,
            action="vaccines.stock.wasted",
            subject=movement,
            data={"facility": facility, "lot": lot, "quantity": quantity, "reason": reason},
        )
    return movement


def stock_transfer(
    *, actor: Any, from_facility: Facility, to_facility: Facility, lot: Lot, quantity: int, note: str = ""
) -> tuple[StockMovement, StockMovement]:
    """Move doses of a lot between facilities: `transferred_out` here, `transferred_in` there, one transaction.

    The sending facility's manager or clerk does it, or an officer overseeing the sending facility.
    """
    from vaxbook.accounts.selectors import user_scope

    scope = user_scope(user=actor)
    if not oversees_facility(scope, from_facility):
        require_facility_role(user=actor, facility=from_facility, roles=RECEIVE_ROLES)
    if not to_facility.active:
        raise FacilityForbidden(field="to_facility_id")
    if from_facility.pk == to_facility.pk:
        raise TransferToSelf()
    _check_quantity(quantity)
    now = timezone.now()
    with transaction.atomic():
        LotHolding.objects.get_or_create(facility=to_facility, lot=lot)
        # Lock both holdings in key order, as every writer does, so that two opposite transfers cannot
        # deadlock. A sending facility that never held the lot has nothing on hand: ledger_append refuses.
        read(holdings_lock_read(facility_ids=[from_facility.pk, to_facility.pk], lot_ids=[lot.pk]))
        out = ledger_append(
            facility_id=from_facility.pk,
            lot_id=lot.pk,
            quantity=-quantity,
            kind=StockMovement.Kind.TRANSFERRED_OUT,
            at=now,
            counterpart=to_facility,
            note=note,
            recorded_by=actor,
        )
        into = ledger_append(
            facility_id=to_facility.pk,
            lot_id=lot.pk,
            quantity=quantity,
            kind=StockMovement.Kind.TRANSFERRED_IN,
            at=now,
            counterpart=from_facility,
            reference=str(out.public_id),
            note=note,
            recorded_by=actor,
        )
        audit_log(
            actor=actor,
            action="vaccines.stock.transferred",
            subject=out,
            data={"from": from_facility, "to": to_facility, "lot": lot, "quantity": quantity},
        )
    return out, into
