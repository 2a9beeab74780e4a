"""Reads on vaccines, lots and stock, scoped to the user who asks."""

import threading
import time
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import connection
from django.db.models import OuterRef, Subquery

from vaxbook.common.rows import ModelRows, Read, any_of, read
from vaxbook.places.models import Facility
from vaxbook.vaccines.access import require_facility_view
from vaxbook.vaccines.errors import FacilityNotFound, LotNotFound, LotVaccineMismatch, VaccineNotFound
from vaxbook.vaccines.models import Lot, LotHolding, StockMovement, Vaccine

# The catalogue is a handful of rows read on every dose: keep it in memory for a minute.
_CATALOGUE_TTL = 60.0
_catalogue_lock = threading.Lock()
_catalogue: dict[str, Any] = {"at": 0.0, "by_code": {}, "by_pk": {}}


def catalogue_invalidate() -> None:
    with _catalogue_lock:
        _catalogue["at"] = 0.0


def _catalogue_load() -> tuple[dict[str, Vaccine], dict[int, Vaccine]]:
    now = time.monotonic()
    with _catalogue_lock:
        if now - _catalogue["at"] < _CATALOGUE_TTL and _catalogue["by_code"]:
            return _catalogue["by_code"], _catalogue["by_pk"]
    vaccines = list(Vaccine.objects.prefetch_related("series_alternatives"))
    for v in vaccines:
        v.alternative_codes = frozenset(a.code for a in v.series_alternatives.all())  # type: ignore[attr-defined]
    by_code = {v.code: v for v in vaccines}
    by_pk = {v.pk: v for v in vaccines}
    with _catalogue_lock:
        _catalogue.update(at=now, by_code=by_code, by_pk=by_pk)
    return by_code, by_pk


def vaccine_catalogue() -> dict[str, Vaccine]:
    """Every vaccine (active or not) by code; each carries `alternative_codes`."""
    return _catalogue_load()[0]


def vaccine_by_pk(pk: int) -> Vaccine:
    by_pk = _catalogue_load()[1]
    if pk not in by_pk:
        catalogue_invalidate()
        by_pk = _catalogue_load()[1]
    return by_pk[pk]


def vaccine_get(*, code: str) -> Vaccine:
    """A vaccine by its product code (for any signed-in user: the catalogue is public data)."""
    vaccine = vaccine_catalogue().get(code)
    if vaccine is None:
        catalogue_invalidate()
        vaccine = vaccine_catalogue().get(code)
    if vaccine is None:
        raise VaccineNotFound()
    return vaccine


def vaccines_for_user(*, user: Any, active_only: bool = True) -> list[Vaccine]:
    vaccines = sorted(vaccine_catalogue().values(), key=lambda v: (v.sort_order, v.name))
    return [v for v in vaccines if v.active or not active_only]


_LOT = ModelRows(Lot, "l")


def _lot_number(number: str | None) -> str:
    return (number or "").strip().upper()


def lots_by_number_read(number: str) -> Read[list[Lot]]:
    """The lots with this number (of any vaccine), hand-written: every dose asks."""
    return lots_by_numbers_read([number]).then(lambda found: found.get(_lot_number(number), []))


def lots_by_numbers_read(numbers: Collection[str]) -> Read[dict[str, list[Lot]]]:
    """The lots of each of these numbers (trimmed, upper case), by number."""
    among, values = any_of(Lot, "number", "l", sorted({_lot_number(n) for n in numbers}))

    def load(rows: list[tuple[Any, ...]]) -> dict[str, list[Lot]]:
        found: dict[str, list[Lot]] = {}
        for lot in map(_LOT.load, rows):
            found.setdefault(lot.number, []).append(lot)
        return found

    return Read(_LOT.select(connection, among), values, load)


def lot_of_vaccine(lots: list[Lot], vaccine: Vaccine) -> Lot:
    """The lot of `vaccine` among same-numbered lots; `lot_vaccine_mismatch` when the number is another's."""
    for lot in lots:
        if lot.vaccine_id == vaccine.pk:
            return lot
    if lots:
        raise LotVaccineMismatch()
    raise LotNotFound()


def lot_get(*, vaccine: Vaccine, number: str) -> Lot:
    """The lot `number` of `vaccine`; `lot_vaccine_mismatch` when the number belongs to another vaccine."""
    return lot_of_vaccine(read(lots_by_number_read(number)), vaccine)


_FACILITY = ModelRows(Facility, "f")


def facility_public_id(public_id: uuid.UUID | str) -> uuid.UUID:
    try:
        return public_id if isinstance(public_id, uuid.UUID) else uuid.UUID(str(public_id))
    except ValueError:
        raise FacilityNotFound() from None


def facility_read(public_id: uuid.UUID) -> Read[Facility | None]:
    """A facility by its public id, hand-written: every request of the desk asks."""
    return facilities_read([public_id]).then(lambda found: found.get(public_id))


def facilities_read(public_ids: Collection[uuid.UUID]) -> Read[dict[uuid.UUID, Facility]]:
    """Facilities by public id (those that exist)."""
    among, values = any_of(Facility, "public_id", "f", public_ids)
    return Read(
        _FACILITY.select(connection, among), values, lambda rows: {f.public_id: f for f in map(_FACILITY.load, rows)}
    )


def facility_get(*, public_id: uuid.UUID | str) -> Facility:
    """A facility by its public id. Access is checked by the service or selector that uses it."""
    facility = read(facility_read(facility_public_id(public_id)))
    if facility is None:
        raise FacilityNotFound()
    return facility


@dataclass(frozen=True)
class StockLine:
    vaccine_code: str
    vaccine_name: str
    lot_number: str
    lot_id: uuid.UUID
    expiry: date
    on_hand: int


def stock_for_user(*, user: Any, facility: Facility, include_empty: bool = False) -> list[StockLine]:
    """Stock on hand per lot at a facility: the balance of each of its ledgers' last line, soonest expiry
    first."""
    require_facility_view(user=user, facility=facility)
    last = StockMovement.objects.filter(facility=facility, lot=OuterRef("lot")).order_by("-sequence").values("balance")
    rows = LotHolding.objects.filter(facility=facility).annotate(on_hand=Subquery(last[:1])).values("lot_id", "on_hand")
    totals = {r["lot_id"]: int(r["on_hand"] or 0) for r in rows}
    lots = Lot.objects.filter(pk__in=list(totals)).order_by("expiry", "number")
    lines = []
    for lot in lots:
        on_hand = totals[lot.pk]
        if on_hand <= 0 and not include_empty:
            continue
        vaccine = vaccine_by_pk(lot.vaccine_id)
        lines.append(
            StockLine(
                vaccine_code=vaccine.code,
                vaccine_name=vaccine.name,
                lot_number=lot.number,
                lot_id=lot.public_id,
                expiry=lot.expiry,
                on_hand=on_hand,
            )
        )
    return lines


def stock_movements_for_user(*, user: Any, facility: Facility, limit: int = 200) -> list[StockMovement]:
    require_facility_view(user=user, facility=facility)
    return list(
        StockMovement.objects.filter(facility=facility)
        .select_related("lot", "lot__vaccine", "counterpart", "recorded_by")
        .order_by("-at", "-id")[:limit]
    )
