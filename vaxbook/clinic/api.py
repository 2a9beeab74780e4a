"""The clinic API: check-in, screening, doses (one, a batch, void), sessions and appointments,
observation and adverse events. Every client write carries an Idempotency-Key header."""

from datetime import date, datetime, time
from typing import Any, Literal

from django.http import HttpRequest, JsonResponse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from ninja import Router, Schema

from vaxbook.clinic import selectors, services
from vaxbook.clinic.models import AdverseEvent, Appointment, Dose, Screening, Session
from vaxbook.common.apifields import (
    Body,
    IsoDate,
    IsoDateTime,
    IsoTime,
    PlainBody,
    column_text,
    local_time,
    page_limit,
    page_offset,
)
from vaxbook.common.errors import DomainError
from vaxbook.common.idempotency import idempotent_call_prefetching
from vaxbook.vaccines.api import ErrorsOut
from vaxbook.vaccines.apiutil import idempotency_header, idempotency_key, idempotent_json, json_response
from vaxbook.vaccines.models import Lot, Vaccine
from vaxbook.vaccines.selectors import facility_get, vaccine_by_pk, vaccine_get

router = Router(tags=["clinic"])

MAX_BATCH = 1000

# Schemas -----------------------------------------------------------------------------------------


class ProblemOut(Schema):
    field: str
    code: str
    message: str = ""
    kind: str = "invalid"


class PersonBriefOut(Schema):
    id: str
    full_name: str
    date_of_birth: date
    sex: str
    data_status: str
    problems: list[ProblemOut]


class NextDoseOut(Schema):
    number: int
    earliest_date: date | None
    vaccines: list[str]
    booster: bool
    due_now: bool


class AppointmentOut(Schema):
    id: str
    session_id: str
    person_id: str
    full_name: str
    status: str
    source: str
    session_date: date
    starts_at: time = local_time()
    invitation_sent_at: datetime | None = None
    checked_in_at: datetime | None = None


class ScreeningOut(Schema):
    id: str
    person_id: str
    facility_id: str
    outcome: str
    reasons: list[str]
    answers: dict[str, bool]
    screened_at: datetime


class CheckinIn(Body):
    facility_id: str
    token: str | None = None
    person_id: str | None = None
    id_number: str | None = None
    phone: str | None = None


class CheckinOut(Schema):
    person: PersonBriefOut
    next_dose: NextDoseOut
    appointment: AppointmentOut | None
    screening: ScreeningOut | None
    doses_given: int


class QuestionOut(Schema):
    code: str
    text: str
    text_vi: str
    text_en: str
    order: int
    yes_leads_to: str


class ScreeningIn(Body):
    person_id: str
    facility_id: str
    answers: dict[str, bool]
    note: str = column_text(Screening, "note", "")


class DoseIn(PlainBody):
    """A dose as a client sends it. Request bodies of doses are plain pydantic models: ninja's Schema
    reads each object through a getter made for ORM instances, a tenth of a batch's Python."""

    person_id: str
    facility_id: str
    vaccine_code: str = column_text(Vaccine, "code")
    lot_number: str = column_text(Lot, "number")
    administered_at: IsoDateTime
    source: Literal["live", "back_entry"] = "live"
    screening_id: str | None = None
    vaccinator_id: str | None = None


class DoseOut(Schema):
    id: str
    person_id: str
    dose_number: int
    vaccine_code: str
    lot_number: str
    facility_id: str
    administered_at: datetime
    recorded_at: datetime
    entry_delay_seconds: int
    source: str
    status: str
    screening_id: str | None
    vaccinator_id: str | None
    void_reason: str
    voided_at: datetime | None


class DoseBatchItemIn(DoseIn):
    idempotency_key: str = column_text(Dose, "idempotency_key")


class DoseBatchIn(PlainBody):
    items: list[DoseBatchItemIn]


class DoseBatchItemOut(Schema):
    idempotency_key: str
    status: int
    dose: DoseOut | None = None
    errors: list[ProblemOut] | None = None


class DoseBatchOut(Schema):
    results: list[DoseBatchItemOut]
    created: int
    refused: int


class VoidIn(Body):
    reason: str = column_text(Dose, "void_reason")


class SessionIn(Body):
    facility_id: str
    date: IsoDate
    starts_at: IsoTime = local_time()
    ends_at: IsoTime = local_time()
    vaccine_code: str = column_text(Vaccine, "code")
    capacity: int
    priority_groups: list[str] = []
    note: str = column_text(Session, "note", "")


class SessionOut(Schema):
    id: str
    facility_id: str
    facility_name: str
    date: date
    starts_at: time = local_time()
    ends_at: time = local_time()
    vaccine_code: str
    capacity: int
    booked: int
    status: str
    priority_groups: list[str]


class InviteIn(Body):
    person_ids: list[str] | None = None
    priority_group: str | None = None
    organization_id: str | None = None


class InviteOut(Schema):
    invited: int
    already_invited: int
    skipped_incomplete: int
    left_out_full: int
    appointments: list[AppointmentOut]


class ObservedOut(Schema):
    dose_id: str
    person_id: str
    full_name: str
    vaccine_code: str
    administered_at: datetime
    until: datetime
    minutes_left: int


class AdverseEventIn(Body):
    dose_id: str
    onset_at: IsoDateTime
    symptoms: str = column_text(AdverseEvent, "symptoms")
    serious: bool = False
    outcome: str = column_text(AdverseEvent, "outcome", "ongoing")
    note: str = column_text(AdverseEvent, "note", "")


class AdverseEventOut(Schema):
    id: str
    dose_id: str
    person_id: str
    full_name: str
    facility_id: str
    vaccine_code: str
    lot_number: str
    onset_at: datetime
    symptoms: str
    serious: bool
    outcome: str
    reported_at: datetime


# Renderers (plain JSON: they are also what an idempotency record replays) ---------------------------


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def dose_out(d: Dose) -> dict[str, Any]:
    return {
        "id": str(d.public_id),
        "person_id": str(d.person.public_id),
        "dose_number": d.dose_number,
        "vaccine_code": vaccine_by_pk(d.vaccine_id).code,
        "lot_number": d.lot.number,
        "facility_id": str(d.facility.public_id),
        "administered_at": d.administered_at.isoformat(),
        "recorded_at": d.recorded_at.isoformat(),
        "entry_delay_seconds": int(d.entry_delay.total_seconds()),
        "source": d.source,
        "status": d.status,
        "screening_id": str(d.screening.public_id) if d.screening_id and d.screening else None,
        "vaccinator_id": str(d.vaccinator.public_id) if d.vaccinator_id and d.vaccinator else None,
        "void_reason": d.void_reason,
        "voided_at": _iso(d.voided_at),
    }


def appointment_out(a: Appointment) -> dict[str, Any]:
    return {
        "id": str(a.public_id),
        "session_id": str(a.session.public_id),
        "person_id": str(a.person.public_id),
        "full_name": a.person.full_name,
        "status": a.status,
        "source": a.source,
        "session_date": a.session.date.isoformat(),
        "starts_at": a.session.starts_at.isoformat(),
        "invitation_sent_at": _iso(a.invitation_sent_at),
        "checked_in_at": _iso(a.checked_in_at),
    }


def screening_out(s: Screening) -> dict[str, Any]:
    return {
        "id": str(s.public_id),
        "person_id": str(s.person.public_id),
        "facility_id": str(s.facility.public_id),
        "outcome": s.outcome,
        "reasons": list(s.reasons),
        "answers": dict(s.answers),
        "screened_at": s.screened_at.isoformat(),
    }


def session_out(s: Session, booked: int | None = None) -> dict[str, Any]:
    return {
        "id": str(s.public_id),
        "facility_id": str(s.facility.public_id),
        "facility_name": s.facility.name,
        "date": s.date.isoformat(),
        "starts_at": s.starts_at.isoformat(),
        "ends_at": s.ends_at.isoformat(),
        "vaccine_code": vaccine_by_pk(s.vaccine_id).code,
        "capacity": s.capacity,
        "booked": booked if booked is not None else getattr(s, "booked", 0),
        "status": s.status,
        "priority_groups": [g.code for g in s.priority_groups.all()],
    }


def adverse_event_out(e: AdverseEvent) -> dict[str, Any]:
    return {
        "id": str(e.public_id),
        "dose_id": str(e.dose.public_id),
        "person_id": str(e.person.public_id),
        "full_name": e.person.full_name,
        "facility_id": str(e.facility.public_id),
        "vaccine_code": vaccine_by_pk(e.dose.vaccine_id).code,
        "lot_number": e.dose.lot.number,
        "onset_at": e.onset_at.isoformat(),
        "symptoms": e.symptoms,
        "serious": e.serious,
        "outcome": e.outcome,
        "reported_at": e.reported_at.isoformat(),
    }


def checkin_out(r: services.CheckinResult) -> dict[str, Any]:
    p = r.person
    return {
        "person": {
            "id": str(p.public_id),
            "full_name": p.full_name,
            "date_of_birth": p.date_of_birth.isoformat(),
            "sex": p.sex,
            "data_status": p.data_status,
            "problems": [
                {
                    "field": str(x.get("field", "")),
                    "code": str(x.get("code", "")),
                    "message": str(x.get("message", "")),
                    "kind": str(x.get("kind", "invalid")),
                }
                for x in (p.problems or [])
            ],
        },
        "next_dose": {
            "number": r.next_dose.number,
            "earliest_date": r.next_dose.earliest.isoformat() if r.next_dose.earliest else None,
            "vaccines": list(r.next_dose.vaccine_codes),
            "booster": r.next_dose.booster,
            "due_now": r.due_now,
        },
        "appointment": appointment_out(r.appointment) if r.appointment else None,
        "screening": screening_out(r.screening) if r.screening else None,
        "doses_given": r.doses_given,
    }


# Check-in and screening ------------------------------------------------------------------------------


@router.post(
    "/checkins",
    response={200: CheckinOut, 403: ErrorsOut, 404: ErrorsOut, 409: ErrorsOut, 422: ErrorsOut},
    openapi_extra=idempotency_header(required=False),
)
def checkin(request: HttpRequest, payload: CheckinIn) -> JsonResponse:
    """Check a person in by QR token, public id, identity number or phone (exact). The key is optional:
    a check-in is naturally repeatable."""

    def run() -> tuple[int, Any]:
        result = services.checkin(
            actor=request.user,
            facility=payload.facility_id,  # read with the person (one round trip)
            token=payload.token,
            person_id=payload.person_id,
            id_number=payload.id_number,
            phone=payload.phone,
        )
        return 200, checkin_out(result)

    if idempotency_key(request, required=False) is None:
        status, body = run()
        return json_response(body, status=status)
    return idempotent_json(request, scope="clinic.checkin", body=payload.model_dump(mode="json"), run=run)


@router.get("/screening-questions", response=list[QuestionOut])
def screening_questions(request: HttpRequest) -> list[dict[str, Any]]:
    language = get_language()
    return [
        {
            "code": q.code,
            "text": q.text(language),
            "text_vi": q.text_vi,
            "text_en": q.text_en,
            "order": q.order,
            "yes_leads_to": q.yes_leads_to,
        }
        for q in selectors.screening_questions()
    ]


@router.post(
    "/screenings",
    response={201: ScreeningOut, 403: ErrorsOut, 404: ErrorsOut, 422: ErrorsOut},
    openapi_extra=idempotency_header(),
)
def screening_create(request: HttpRequest, payload: ScreeningIn) -> JsonResponse:
    def run() -> tuple[int, Any]:
        screening = services.screening_record(
            actor=request.user,
            person=selectors.person_get(public_id=payload.person_id),
            facility=facility_get(public_id=payload.facility_id),
            answers=payload.answers,
            note=payload.note,
        )
        return 201, screening_out(screening)

    return idempotent_json(request, scope="clinic.screening.record", body=payload.model_dump(mode="json"), run=run)


# Doses ---------------------------------------------------------------------------------------------


@router.post(
    "/doses",
    response={201: DoseOut, 403: ErrorsOut, 404: ErrorsOut, 409: ErrorsOut, 422: ErrorsOut},
    openapi_extra=idempotency_header(),
)
def dose_create(request: HttpRequest, payload: DoseIn) -> JsonResponse:
    key = idempotency_key(request)
    # The facility, the person and the lot are read with the look-up of the key, in one round trip. A
    # malformed id is refused inside `run`, so that the refusal is remembered with the key.
    malformed: DomainError | None = None
    try:
        reads = selectors.dose_inputs_reads(
            person_id=payload.person_id, facility_id=payload.facility_id, lot_number=payload.lot_number
        )
    except DomainError as exc:
        reads, malformed = [], exc

    def run(found: list[Any]) -> tuple[int, Any]:
        if malformed is not None:
            raise malformed
        inputs = selectors.dose_inputs_from(
            found,
            vaccine_code=payload.vaccine_code,
            screening_id=payload.screening_id,
            vaccinator_id=payload.vaccinator_id,
        )
        dose = services.dose_record(
            actor=request.user,
            administered_at=payload.administered_at,
            source=payload.source,
            idempotency_key=key or "",
            **inputs,
        )
        return 201, dose_out(dose)

    status, body = idempotent_call_prefetching(
        user=request.user,
        scope=services.DOSE_SCOPE,
        key=key,
        body=payload.model_dump(mode="json"),
        prefetch=reads,
        run=run,
    )
    return json_response(body, status=status)


@router.post("/doses/batch", response={200: DoseBatchOut, 422: ErrorsOut})
def dose_batch(request: HttpRequest, payload: DoseBatchIn) -> JsonResponse:
    """Many doses at once (an offline queue, a paper backlog): each item has its own idempotency key and
    succeeds or fails on its own; the answer lists every item's status and dose or errors, `created` the
    doses answered (each once: items that repeat a key share one dose) and `refused` the items refused."""
    if len(payload.items) > MAX_BATCH:
        raise DomainError.single("items", "batch_too_large", _("At most %(n)d items per batch.") % {"n": MAX_BATCH})
    items = []
    for it in payload.items:
        # The same body a POST /doses with this key would hash to, so a retry through either door replays.
        body = it.model_dump(mode="json", exclude={"idempotency_key"})
        items.append(
            services.DoseItem(
                key=it.idempotency_key,
                body=body,
                person_id=_uuid_or_none(it.person_id),  # type: ignore[arg-type]
                facility_id=_uuid_or_none(it.facility_id),  # type: ignore[arg-type]
                vaccine_code=it.vaccine_code,
                lot_number=it.lot_number,
                administered_at=it.administered_at,
                source=it.source,
                screening_id=_uuid_or_none(it.screening_id),
                vaccinator_id=_uuid_or_none(it.vaccinator_id),
            )
        )
    results = services.doses_record_batch(actor=request.user, items=items, render=dose_out)
    out = []
    doses: set[str] = set()  # an item that repeats an earlier item's key answers with the same dose
    refused = 0
    for r in results:
        row: dict[str, Any] = {"idempotency_key": r.key, "status": r.status}
        if r.status < 300:
            row["dose"] = r.payload
            doses.add(str(r.payload.get("id")))
        else:
            row["errors"] = r.payload.get("errors", [])
            refused += 1
        out.append(row)
    return json_response({"results": out, "created": len(doses), "refused": refused})


def _uuid_or_none(value: str | None) -> Any:
    import uuid

    if not value:
        return None
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return uuid.UUID(int=0)  # never a real public id: the item is refused as not found


@router.post(
    "/doses/{dose_id}/void",
    response={200: DoseOut, 403: ErrorsOut, 404: ErrorsOut, 409: ErrorsOut},
    openapi_extra=idempotency_header(),
)
def dose_void(request: HttpRequest, dose_id: str, payload: VoidIn) -> JsonResponse:
    def run() -> tuple[int, Any]:
        dose = selectors.dose_get_for_user(user=request.user, public_id=dose_id)
        voided = services.dose_void(actor=request.user, dose=dose, reason=payload.reason)
        return 200, dose_out(voided)

    body = {"dose_id": dose_id, **payload.model_dump(mode="json")}
    return idempotent_json(request, scope="clinic.dose.void", body=body, run=run)


@router.get("/persons/{person_id}/doses", response={200: list[DoseOut], 404: ErrorsOut})
def person_doses(request: HttpRequest, person_id: str) -> JsonResponse:
    person = selectors.person_get(public_id=person_id)
    return json_response([dose_out(d) for d in selectors.dose_history(user=request.user, person=person)])


@router.get("/facilities/{facility_id}/observation", response={200: list[ObservedOut], 403: ErrorsOut})
def observation(request: HttpRequest, facility_id: str) -> list[dict[str, Any]]:
    rows = selectors.observation_list(user=request.user, facility=facility_get(public_id=facility_id))
    return [
        {
            "dose_id": str(o.dose.public_id),
            "person_id": str(o.dose.person.public_id),
            "full_name": o.dose.person.full_name,
            "vaccine_code": o.dose.vaccine.code,
            "administered_at": o.dose.administered_at,
            "until": o.until,
            "minutes_left": o.minutes_left,
        }
        for o in rows
    ]


# Adverse events -----------------------------------------------------------------------------------------


@router.post(
    "/adverse-events",
    response={201: AdverseEventOut, 403: ErrorsOut, 404: ErrorsOut, 422: ErrorsOut},
    openapi_extra=idempotency_header(),
)
def adverse_event_create(request: HttpRequest, payload: AdverseEventIn) -> JsonResponse:
    def run() -> tuple[int, Any]:
        event = services.adverse_event_report(
            actor=request.user,
            dose=selectors.dose_get_for_user(user=request.user, public_id=payload.dose_id),
            onset_at=payload.onset_at,
            symptoms=payload.symptoms,
            serious=payload.serious,
            outcome=payload.outcome,
            note=payload.note,
        )
        return 201, adverse_event_out(event)

    return idempotent_json(request, scope="clinic.adverse_event.report", body=payload.model_dump(mode="json"), run=run)


@router.get("/adverse-events", response=list[AdverseEventOut])
def adverse_events(
    request: HttpRequest,
    serious: bool | None = None,
    limit: int = page_limit(200, 1000),
    offset: int = page_offset(),
) -> list[dict[str, Any]]:
    """Adverse events in the user's area, the latest onset first, a page at a time (a short page is the last)."""
    rows = selectors.adverse_events_for_user(user=request.user, serious=serious)[offset : offset + limit]
    return [adverse_event_out(e) for e in rows]


# Sessions and appointments ----------------------------------------------------------------------------


@router.post(
    "/sessions",
    response={201: SessionOut, 403: ErrorsOut, 404: ErrorsOut, 422: ErrorsOut},
    openapi_extra=idempotency_header(),
)
def session_create(request: HttpRequest, payload: SessionIn) -> JsonResponse:
    def run() -> tuple[int, Any]:
        session = services.session_create(
            actor=request.user,
            facility=facility_get(public_id=payload.facility_id),
            date=payload.date,
            starts_at=payload.starts_at,
            ends_at=payload.ends_at,
            vaccine=vaccine_get(code=payload.vaccine_code),
            capacity=payload.capacity,
            priority_groups=payload.priority_groups,
            note=payload.note,
        )
        return 201, session_out(session, booked=0)

    return idempotent_json(request, scope="clinic.session.create", body=payload.model_dump(mode="json"), run=run)


@router.get("/sessions", response=list[SessionOut])
def sessions(
    request: HttpRequest,
    facility_id: str | None = None,
    date_from: IsoDate | None = None,
    date_to: IsoDate | None = None,
    limit: int = page_limit(200, 1000),
    offset: int = page_offset(),
) -> list[dict[str, Any]]:
    """Sessions by date and start, a page at a time (a short page is the last)."""
    facility = facility_get(public_id=facility_id) if facility_id else None
    qs = selectors.sessions_for_user(user=request.user, facility=facility, date_from=date_from, date_to=date_to)
    return [session_out(s) for s in qs.prefetch_related("priority_groups")[offset : offset + limit]]


@router.get("/sessions/{session_id}", response={200: SessionOut, 404: ErrorsOut})
def session_detail(request: HttpRequest, session_id: str) -> dict[str, Any]:
    return session_out(selectors.session_get_for_user(user=request.user, public_id=session_id))


@router.post(
    "/sessions/{session_id}/appointments",
    response={201: InviteOut, 403: ErrorsOut, 404: ErrorsOut, 409: ErrorsOut},
    openapi_extra=idempotency_header(),
)
def session_invite(request: HttpRequest, session_id: str, payload: InviteIn) -> JsonResponse:
    def run() -> tuple[int, Any]:
        session = selectors.session_get_for_user(user=request.user, public_id=session_id)
        result = services.appointments_invite(
            actor=request.user,
            session=session,
            person_ids=list(payload.person_ids) if payload.person_ids else None,
            priority_group=payload.priority_group,
            organization_id=_uuid_or_none(payload.organization_id),
        )
        created = result.created
        return 201, {
            "invited": len(created),
            "already_invited": result.already_invited,
            "skipped_incomplete": result.skipped_incomplete,
            "left_out_full": result.left_out_full,
            "appointments": [appointment_out(a) for a in created],
        }

    body = {"session_id": session_id, **payload.model_dump(mode="json")}
    return idempotent_json(request, scope="clinic.appointment.invite", body=body, run=run)


@router.get("/sessions/{session_id}/appointments", response={200: list[AppointmentOut], 404: ErrorsOut})
def session_appointments(request: HttpRequest, session_id: str) -> JsonResponse:
    session = selectors.session_get_for_user(user=request.user, public_id=session_id)
    rows = selectors.appointments_for_session(user=request.user, session=session)
    return json_response([appointment_out(a) for a in rows])
