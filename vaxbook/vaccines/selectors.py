"""Reads on vaccines, lots and stock, scoped to the user who asks."""

import threading
import time
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import connection

from vaxbook.common.rows import ModelRows, Read, any_of, read
from vaxbook.places.models import Facility
from vaxbook.vaccines.access import require_facility_view
from vaxbook.vaccines.errors import FacilityNotFound, LotNotFound, LotVaccineMismatch, OutOfStock, VaccineNotFound
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


# Where a ledger stands ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Position:
    """Where a (facility, lot) ledger stands: the doses on hand and the number of lines written."""

    on_hand: int = 0
    sequence: int = 0

    def after(self, quantity: int) -> "Position":
        """The position once a line of `quantity` is appended."""
        return Position(self.on_hand + quantity, self.sequence + 1)

    def line(self, quantity: int) -> dict[str, int]:
        """The fields of the next line of `quantity`: its quantity, sequence and balance. An outflow beyond
        what is on hand (a facility that never held the lot holds nothing) is `out_of_stock`."""
        if self.on_hand + quantity < 0:
            raise OutOfStock(extra={"on_hand": max(self.on_hand, 0)})
        return {"quantity": quantity, "sequence": self.sequence + 1, "balance": self.on_hand + quantity}


def stock_position_read(*, facility_id: int, lot_id: int) -> Read[Position]:
    """Where the ledger of (facility, lot) stands (no lines: nothing on hand)."""
    many = stock_positions_read(facility_ids=[facility_id], lot_ids=[lot_id])
    return many.then(lambda found: found.get((facility_id, lot_id), Position()))


def stock_positions_read(
    *, facility_ids: Sequence[int], lot_ids: Sequence[int] | None = None
) -> Read[dict[tuple[int, int], Position]]:
    """Where the ledger of each held (facility, lot) of these facilities and lots (every lot they hold,
    without `lot_ids`) stands: its last line, found by an index probe per holding, however many lines it
    has."""
    qn = connection.ops.quote_name
    table = qn(StockMovement._meta.db_table)
    facilities, f_params = any_of(LotHolding, "facility_id", "h", facility_ids)
    lots, l_params = any_of(LotHolding, "lot_id", "h", lot_ids) if lot_ids is not None else ("1 = 1", [])
    pair = "m.facility_id = h.facility_id AND m.lot_id = h.lot_id"
    last = f"FROM {table} m WHERE {pair} ORDER BY m.sequence DESC LIMIT 1"
    sql = (
        f"SELECT h.facility_id, h.lot_id, (SELECT m.balance {last}), (SELECT m.sequence {last})"  # noqa: S608
        f" FROM {qn(LotHolding._meta.db_table)} h WHERE {facilities} AND {lots}"
    )
    return Read(
        sql,
        [*f_params, *l_params],
        lambda rows: {(f, lot): Position(int(on_hand or 0), int(n or 0)) for f, lot, on_hand, n in rows},
    )


def stock_on_hand(*, facility_id: int, lot_id: int) -> int:
    return read(stock_position_read(facility_id=facility_id, lot_id=lot_id)).on_hand


@dataclass(frozen=True)
class StockLine:
    vaccine_code: str
    vaccine_name: str
    lot_number: str
    lot_id: uuid.UUID
    expiry: date
    on_hand: int


def stock_for_user(*, user: Any, facility: Facility, include_empty: bool = False) -> list[StockLine]:
    """Stock on hand per lot at a facility (where each of its ledgers stands), soonest expiry first."""
    require_facility_view(user=user, facility=facility)
    positions = read(stock_positions_read(facility_ids=[facility.pk]))
    totals = {lot_id: position.on_hand for (_facility, lot_id), position in positions.items()}
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
