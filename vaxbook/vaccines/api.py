"""The vaccines API: the catalogue, and a facility's stock (receive, waste, transfer, on hand)."""

from datetime import date
from typing import Any

from django.http import HttpRequest, JsonResponse
from ninja import Router, Schema

from vaxbook.common.apifields import Body, IsoDate, column_text
from vaxbook.vaccines import selectors, services
from vaxbook.vaccines.apiutil import idempotency_header, idempotent_json
from vaxbook.vaccines.models import Lot, StockMovement, Vaccine

router = Router(tags=["vaccines"])


class ErrorItemOut(Schema):
    field: str
    code: str
    message: str


class ErrorsOut(Schema):
    errors: list[ErrorItemOut]


class VaccineOut(Schema):
    code: str
    name: str
    manufacturer: str
    manufacturer_code: str
    kind: str
    prophylaxis_code: str
    primary_doses: int
    min_interval_days: int
    booster_interval_days: int
    booster_allowed: bool
    vial_size: int
    series_alternatives: list[str]


class StockLineOut(Schema):
    vaccine_code: str
    lot_number: str
    expiry: date
    on_hand: int


class LotReceiveIn(Body):
    vaccine_code: str = column_text(Vaccine, "code")
    lot_number: str = column_text(Lot, "number")
    expiry: IsoDate
    quantity: int
    note: str = column_text(StockMovement, "note", "")


class WastageIn(Body):
    vaccine_code: str = column_text(Vaccine, "code")
    lot_number: str = column_text(Lot, "number")
    quantity: int
    reason: str = column_text(StockMovement, "reason")
    note: str = column_text(StockMovement, "note", "")


class TransferIn(Body):
    to_facility_id: str
    vaccine_code: str = column_text(Vaccine, "code")
    lot_number: str = column_text(Lot, "number")
    quantity: int
    note: str = column_text(StockMovement, "note", "")


class MovementOut(Schema):
    id: str
    facility_id: str
    vaccine_code: str
    lot_number: str
    expiry: date
    kind: str
    quantity: int
    at: str
    on_hand: int


def vaccine_out(v: Vaccine) -> dict[str, Any]:
    return {
        "code": v.code,
        "name": v.name,
        "manufacturer": v.manufacturer,
        "manufacturer_code": v.manufacturer_code,
        "kind": v.kind,
        "prophylaxis_code": v.prophylaxis_code,
        "primary_doses": v.primary_doses,
        "min_interval_days": v.min_interval_days,
        "booster_interval_days": v.booster_interval_days,
        "booster_allowed": v.booster_allowed,
        "vial_size": v.vial_size,
        "series_alternatives": sorted(v.alternative_codes),  # type: ignore[attr-defined]
    }


def movement_out(m: StockMovement) -> dict[str, Any]:
    return {
        "id": str(m.public_id),
        "facility_id": str(m.facility.public_id),
        "vaccine_code": selectors.vaccine_by_pk(m.lot.vaccine_id).code,
        "lot_number": m.lot.number,
        "expiry": m.lot.expiry.isoformat(),
        "kind": m.kind,
        "quantity": m.quantity,
        "at": m.at.isoformat(),
        "on_hand": m.balance,  # on hand at the facility once this line was written (no query)
    }


@router.get("/vaccines", response=list[VaccineOut])
def vaccines_list(request: HttpRequest) -> list[dict[str, Any]]:
    return [vaccine_out(v) for v in selectors.vaccines_for_user(user=request.user)]


@router.get("/facilities/{facility_id}/stock", response={200: list[StockLineOut], 403: ErrorsOut, 404: ErrorsOut})
def facility_stock(request: HttpRequest, facility_id: str) -> list[selectors.StockLine]:
    facility = selectors.facility_get(public_id=facility_id)
    return selectors.stock_for_user(user=request.user, facility=facility)


@router.post(
    "/facilities/{facility_id}/lots",
    response={201: MovementOut, 403: ErrorsOut, 409: ErrorsOut, 422: ErrorsOut},
    openapi_extra=idempotency_header(),
)
def lot_receive(request: HttpRequest, facility_id: str, payload: LotReceiveIn) -> JsonResponse:
    def run() -> tuple[int, Any]:
        movement = services.lot_receive(
            actor=request.user,
            facility=selectors.facility_get(public_id=facility_id),
            vaccine=selectors.vaccine_get(code=payload.vaccine_code),
            number=payload.lot_number,
            expiry=payload.expiry,
            quantity=payload.quantity,
            note=payload.note,
        )
        return 201, movement_out(movement)

    body = {"facility_id": facility_id, **payload.model_dump(mode="json")}
    return idempotent_json(request, scope="vaccines.lot.receive", body=body, run=run)


@router.post(
    "/facilities/{facility_id}/wastage",
    response={201: MovementOut, 403: ErrorsOut, 409: ErrorsOut, 422: ErrorsOut},
    openapi_extra=idempotency_header(),
)
def stock_waste(request: HttpRequest, facility_id: str, payload: WastageIn) -> JsonResponse:
    def run() -> tuple[int, Any]:
        vaccine = selectors.vaccine_get(code=payload.vaccine_code)
        movement = services.stock_waste(
            actor=request.user,
            facility=selectors.facility_get(public_id=facility_id),
            lot=selectors.lot_get(vaccine=vaccine, number=payload.lot_number),
            quantity=payload.quantity,
            reason=payload.reason,
            note=payload.note,
        )
        return 201, movement_out(movement)

    body = {"facility_id": facility_id, **payload.model_dump(mode="json")}
    return idempotent_json(request, scope="vaccines.stock.waste", body=body, run=run)


@router.post(
    "/facilities/{facility_id}/transfers",
    response={201: MovementOut, 403: ErrorsOut, 409: ErrorsOut, 422: ErrorsOut},
    openapi_extra=idempotency_header(),
)
def stock_transfer(request: HttpRequest, facility_id: str, payload: TransferIn) -> JsonResponse:
    def run() -> tuple[int, Any]:
        vaccine = selectors.vaccine_get(code=payload.vaccine_code)
        out, _into = services.stock_transfer(
            actor=request.user,
            from_facility=selectors.facility_get(public_id=facility_id),
            to_facility=selectors.facility_get(public_id=payload.to_facility_id),
            lot=selectors.lot_get(vaccine=vaccine, number=payload.lot_number),
            quantity=payload.quantity,
            note=payload.note,
        )
        return 201, movement_out(out)

    body = {"facility_id": facility_id, **payload.model_dump(mode="json")}
    return idempotent_json(request, scope="vaccines.stock.transfer", body=body, run=run)
