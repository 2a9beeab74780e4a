"""Clinic reads, scoped to the user who asks.

Facility staff see their facility's sessions, appointments, observation list and adverse events, and
any one person's dose history (found by an exact look-up at check-in: anyone may be vaccinated
anywhere). Officers see the facilities of their unit; a national admin sees everything; a citizen sees
their own household's doses.
"""

import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from vaxbook.accounts.selectors import user_scope
from vaxbook.clinic import errors, rules
from vaxbook.clinic.models import AdverseEvent, Appointment, Dose, Screening, ScreeningQuestion, Session
from vaxbook.common.queries import unique_or_none
from vaxbook.common.rows import ModelRows, Read, any_of, param, read, read_all
from vaxbook.places.models import Facility
from vaxbook.registry.identity import normalize_id_number, normalize_phone
from vaxbook.registry.models import Person
from vaxbook.registry.selectors import (
    person_by_public_id,
    person_by_public_id_read,
    persons_by_numbers_limited_read,
    persons_by_phone_read,
)
from vaxbook.registry.tokens import person_public_id_from_token
from vaxbook.vaccines.access import facilities_q, may_see_facility, require_facility_view
from vaxbook.vaccines.errors import FacilityNotFound
from vaxbook.vaccines.models import Lot, Vaccine
from vaxbook.vaccines.selectors import (
    facility_public_id,
    facility_read,
    lot_of_vaccine,
    lots_by_number_read,
    vaccine_get,
)


def _uuid(value: uuid.UUID | str | None, error: type[errors.Refusal]) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        raise error() from None


def survivor(person: Person) -> Person:
    """A merged record stands for the record it was merged into."""
    hops = 0
    while person.merged_into_id and hops < 5:
        person = Person.objects.get(pk=person.merged_into_id)
        hops += 1
    return person


def history_doses(person_id: int) -> QuerySet[Dose]:
    """Every dose of a person's history: theirs and those of the records merged into them (merges stay
    one level deep: registry.person_merge). As `person_id IN (SELECT id FROM person WHERE id = … OR
    merged_into_id = …)`, which the two indexes serve; the same filter as a join with an OR across the
    two tables makes PostgreSQL scan both (2.9 s on the bench's 2,000,000 doses, against 1.7 ms).
    services.persons_history_read is the hand-written form of the same rule, for the hot paths."""
    records = Person.objects.filter(Q(pk=person_id) | Q(merged_into_id=person_id)).values("pk")
    return Dose.objects.filter(person_id__in=records)


# Look-ups the doors need -----------------------------------------------------------------------


def person_for_checkin(
    *,
    token: str | None = None,
    person_id: uuid.UUID | str | None = None,
    id_number: str | None = None,
    phone: str | None = None,
) -> Person:
    """Exactly one person by one exact identifier; `person_ambiguous` (with candidates) for a shared phone.

    Callers check that the user works at a facility first: the desk may find anyone.
    """
    lookup, pick = person_for_checkin_read(token=token, person_id=person_id, id_number=id_number, phone=phone)
    return pick(read(lookup) if lookup is not None else None)


def person_for_checkin_read(
    *,
    token: str | None = None,
    person_id: uuid.UUID | str | None = None,
    id_number: str | None = None,
    phone: str | None = None,
) -> tuple[Read[Any] | None, Callable[[Any], Person]]:
    """`person_for_checkin` in two halves, for a caller that sends the look-up with its own reads (the
    check-in reads the facility with it): the read (None when the identifiers are refused as given),
    and `pick`, which makes the person of what the read loaded, or raises the refusal. Nothing is
    refused before `pick` is called, so the caller checks the facility and the user's role first."""

    def refused(exc: errors.Refusal) -> tuple[None, Callable[[Any], Person]]:
        def pick(_loaded: Any) -> Person:
            raise exc

        return None, pick

    def one(field: str | None) -> Callable[[Any], Person]:
        def pick(person: Person | None) -> Person:
            if person is None:
                raise errors.PersonNotFound(field=field) if field else errors.PersonNotFound()
            return survivor(person)

        return pick

    def only(field: str | None) -> Callable[[Any], Person]:
        def pick(found: list[Person]) -> Person:
            if not found:
                raise errors.PersonNotFound(field=field or "phone")
            if len(found) > 1:
                extra = {"candidates": [_candidate(p) for p in found]}
                raise errors.PersonAmbiguous(field=field, extra=extra) if field else errors.PersonAmbiguous(extra=extra)
            return found[0]

        return pick

    given = [v for v in (token, person_id, id_number, phone) if v]
    if len(given) != 1:
        return refused(errors.CheckinIdentifierRequired())
    if token:
        public_id = person_public_id_from_token(token)
        if public_id is None:
            return refused(errors.PersonNotFound(field="token"))
        return person_by_public_id_read(public_id), one("token")
    if person_id:
        try:
            public_id = _uuid(person_id, errors.PersonNotFound)
        except errors.PersonNotFound as exc:
            return refused(exc)
        return person_by_public_id_read(public_id), one(None)
    if id_number:
        raw = id_number.strip().upper()
        numbers = {raw, normalize_id_number("cccd", raw)} - {""}
        if not numbers:
            return refused(errors.PersonNotFound(field="id_number"))
        return persons_by_numbers_limited_read(numbers, 2), only("id_number")
    normalized = normalize_phone(phone)
    if not normalized:
        return refused(errors.PersonNotFound(field="phone"))
    return persons_by_phone_read(normalized, 20), only(None)


def _candidate(person: Person) -> dict[str, str]:
    return {
        "id": str(person.public_id),
        "full_name": person.full_name,
        "date_of_birth": person.date_of_birth.isoformat(),
    }


def person_get(*, public_id: uuid.UUID | str) -> Person:
    person = person_by_public_id(_uuid(public_id, errors.PersonNotFound))
    if person is None:
        raise errors.PersonNotFound()
    return survivor(person)


def screening_get(*, public_id: uuid.UUID | str) -> Screening:
    screening = unique_or_none(Screening.objects.filter(public_id=_uuid(public_id, errors.ScreeningNotFound)))
    if screening is None:
        raise errors.ScreeningNotFound()
    return screening


def dose_inputs_reads(*, person_id: uuid.UUID | str, facility_id: uuid.UUID | str, lot_number: str) -> list[Read[Any]]:
    """The reads of a dose request: its facility, person and lots (`dose_inputs_from` makes the rest).
    A malformed facility or person id is refused here, in that order."""
    return [
        facility_read(facility_public_id(facility_id)),
        person_for_dose_read(_uuid(person_id, errors.PersonNotFound)),
        lots_by_number_read(lot_number),
    ]


def dose_inputs_from(
    found: list[Any],
    *,
    vaccine_code: str,
    screening_id: uuid.UUID | str | None = None,
    vaccinator_id: uuid.UUID | str | None = None,
) -> dict[str, Any]:
    """Resolve a dose request from what its `dose_inputs_reads` loaded; refused in this order: the
    facility, the person, the vaccine, the lot, the screening, the vaccinator."""
    from vaxbook.accounts.models import User

    facility_found, person_found, lots = found
    if facility_found is None:
        raise FacilityNotFound()
    if person_found is None:
        raise errors.PersonNotFound()
    facility, person = facility_found, survivor(person_found)
    vaccine = vaccine_get(code=vaccine_code)
    lot: Lot = lot_of_vaccine(lots, vaccine)
    screening = screening_get(public_id=screening_id) if screening_id else None
    vaccinator = None
    if vaccinator_id:
        vaccinator = User.objects.filter(public_id=_uuid(vaccinator_id, errors.VaccinatorInvalid)).first()
        if vaccinator is None:
            raise errors.VaccinatorInvalid()
    return {
        "person": person,
        "facility": facility,
        "vaccine": vaccine,
        "lot": lot,
        "screening": screening,
        "vaccinator": vaccinator,
    }


def dose_inputs(
    *,
    person_id: uuid.UUID | str,
    facility_id: uuid.UUID | str,
    vaccine_code: str,
    lot_number: str,
    screening_id: uuid.UUID | str | None = None,
    vaccinator_id: uuid.UUID | str | None = None,
) -> dict[str, Any]:
    """Resolve a dose request's public identifiers to objects (the service then checks everything):
    the facility, the person and the lot in one round trip (common/rows.py)."""
    found = read_all(*dose_inputs_reads(person_id=person_id, facility_id=facility_id, lot_number=lot_number))
    return dose_inputs_from(found, vaccine_code=vaccine_code, screening_id=screening_id, vaccinator_id=vaccinator_id)


# What a dose reads of its person: the gate, the birth date, the public id (the rest deferred).
_DOSE_PERSON = ModelRows(
    Person, "p", fields=["id", "public_id", "data_status", "problems", "merged_into_id", "date_of_birth"]
)


def person_for_dose_read(public_id: uuid.UUID) -> Read[Person | None]:
    """The person of a dose by public id (merged or not: the caller follows a merge)."""
    return persons_for_doses_read([public_id]).then(lambda found: found.get(public_id))


def persons_for_doses_read(public_ids: Collection[uuid.UUID]) -> Read[dict[uuid.UUID, Person]]:
    """The persons of doses by public id (those that exist), with what the checks and the answer read;
    the rest deferred (a person has 28 columns, a dose reads 6)."""
    among, values = any_of(Person, "public_id", "p", public_ids)
    return Read(
        _DOSE_PERSON.select(connection, among),
        values,
        lambda rows: {p.public_id: p for p in map(_DOSE_PERSON.load, rows)},
    )


# Screening -------------------------------------------------------------------------------------------


def screening_questions() -> list[ScreeningQuestion]:
    """The active checklist, in order (the same for every user)."""
    return list(ScreeningQuestion.objects.filter(active=True).order_by("order", "code"))


# Doses ---------------------------------------------------------------------------------------------


def _may_see_person_doses(user: Any, person: Person) -> bool:
    scope = user_scope(user=user)
    if scope.national or scope.area_unit_ids or scope.facility_ids:
        return True
    own = getattr(user, "person", None)
    if own is None:
        return False
    return own.pk == person.pk or (own.household_id is not None and own.household_id == person.household_id)


def dose_history(*, user: Any, person: Person) -> list[Dose]:
    """A person's doses, valid and voided, oldest first, with those of the records merged into theirs."""
    if not _may_see_person_doses(user, person):
        raise errors.PersonNotFound()
    return list(
        history_doses(person.pk)
        .select_related("vaccine", "lot", "facility", "person")
        .order_by("administered_at", "pk")
    )


def person_next_dose(*, person: Person, today: date | None = None) -> tuple[rules.NextDose, bool]:
    """What dose the person is due, and whether it is due on `today`."""
    from vaxbook.clinic.services import catalogue_rules, person_history

    nd = rules.next_dose(person_history(person.pk), catalogue_rules())
    return nd, nd.due_on(today or timezone.localdate())


def dose_get_for_user(*, user: Any, public_id: uuid.UUID | str) -> Dose:
    dose = (
        Dose.objects.select_related("facility", "person", "vaccine", "lot")
        .filter(public_id=_uuid(public_id, errors.DoseNotFound))
        .first()
    )
    if dose is None or not _may_see_person_doses(user, dose.person):
        raise errors.DoseNotFound()
    return dose


@dataclass(frozen=True)
class Observed:
    dose: Dose
    until: datetime
    minutes_left: int


def observation_list(*, user: Any, facility: Facility, now: datetime | None = None) -> list[Observed]:
    """Who is in the 30-minute observation after a live dose at this facility, the longest-waiting first."""
    require_facility_view(user=user, facility=facility)
    now = now or timezone.now()
    doses = (
        Dose.objects.filter(
            facility=facility,
            source=Dose.Source.LIVE,
            status=Dose.Status.VALID,
            administered_at__gt=now - rules.OBSERVATION,
            administered_at__lte=now,
        )
        .select_related("person", "vaccine")
        .order_by("administered_at")
    )
    out = []
    for d in doses:
        until = d.administered_at + rules.OBSERVATION
        out.append(Observed(dose=d, until=until, minutes_left=max(0, int((until - now).total_seconds() // 60))))
    return out


# Sessions ------------------------------------------------------------------------------------------


_APPOINTMENT = ModelRows(Appointment, "a")
_SESSION = ModelRows(Session, "s")


def appointment_today_read(*, facility: Facility, person: Person, day: date | None = None) -> Read[Appointment | None]:
    """The person's first appointment of the day at the facility that is not cancelled (hand-written:
    the check-in desk asks for every person; see common/rows.py).

    No scope check here: the callers (the check-in service, the desk) have already checked the facility.
    """
    sql = (
        f"SELECT {_APPOINTMENT.columns(connection)}, {_SESSION.columns(connection)}"  # noqa: S608
        f" FROM {_APPOINTMENT.source(connection)} JOIN {_SESSION.source(connection)} ON s.id = a.session_id"
        " WHERE a.person_id = %s AND s.facility_id = %s AND s.date = %s AND a.status <> %s"
        " ORDER BY s.starts_at, a.id LIMIT 1"
    )
    day_param = param(Session, "date", day or timezone.localdate())

    def load(rows: list[tuple[Any, ...]]) -> Appointment | None:
        if not rows:
            return None
        appointment, session = _APPOINTMENT.load(rows[0]), _SESSION.load(rows[0], _APPOINTMENT.width)
        session.facility = facility
        appointment.session = session
        appointment.person = person
        return appointment

    return Read(sql, [person.pk, facility.pk, day_param, Appointment.Status.CANCELLED], load)


def appointment_today(*, facility: Facility, person: Person, day: date | None = None) -> Appointment | None:
    """See `appointment_today_read` (one query)."""
    return read(appointment_today_read(facility=facility, person=person, day=day))


def facility_vaccinators(*, facility: Facility) -> list[Any]:
    """The active vaccinators of a facility (users), for the desk's vaccinator choice."""
    from vaxbook.accounts.models import Membership, Role

    rows = (
        Membership.objects.filter(facility=facility, role=Role.VACCINATOR, active=True, user__is_active=True)
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "user__username")
    )
    return [m.user for m in rows]


def sessions_for_user(
    *,
    user: Any,
    facility: Facility | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> QuerySet[Session]:
    scope = user_scope(user=user)
    qs = Session.objects.select_related("facility", "vaccine").annotate(
        booked=Count("appointments", filter=Q(appointments__status__in=Appointment.HOLDS_PLACE))
    )
    q = facilities_q(scope, "facility__")
    if q is not None:
        qs = qs.filter(q)
    if facility is not None:
        qs = qs.filter(facility=facility)
    if date_from is not None:
        qs = qs.filter(date__gte=date_from)
    if date_to is not None:
        qs = qs.filter(date__lte=date_to)
    return qs.order_by("date", "starts_at", "pk")


def session_get_for_user(*, user: Any, public_id: uuid.UUID | str) -> Session:
    session = (
        sessions_for_user(user=user)
        .prefetch_related("priority_groups")
        .filter(public_id=_uuid(public_id, errors.SessionNotFound))
        .first()
    )
    if session is None:
        raise errors.SessionNotFound()
    return session


def appointments_for_session(*, user: Any, session: Session) -> QuerySet[Appointment]:
    if not may_see_facility(user_scope(user=user), session.facility):
        raise errors.SessionNotFound()
    return session.appointments.select_related("person").order_by("created_at", "pk")


def vaccine_for_code(*, code: str) -> Vaccine:
    return vaccine_get(code=code)


# Adverse events ---------------------------------------------------------------------------------------


def adverse_events_for_user(*, user: Any, serious: bool | None = None) -> QuerySet[AdverseEvent]:
    """Facility staff: their facilities' reports; officers: their area's (the serious list); national: all."""
    scope = user_scope(user=user)
    qs = AdverseEvent.objects.select_related("dose", "dose__vaccine", "dose__lot", "person", "facility")
    if not (scope.national or scope.facility_ids or scope.area_unit_ids):
        return qs.none()
    q = facilities_q(scope, "facility__")
    if q is not None:
        qs = qs.filter(q)
    if serious is not None:
        qs = qs.filter(serious=serious)
    return qs.order_by("-onset_at", "-pk")


def adverse_event_get_for_user(*, user: Any, public_id: uuid.UUID | str) -> AdverseEvent:
    event = adverse_events_for_user(user=user).filter(public_id=_uuid(public_id, errors.AdverseEventNotFound)).first()
    if event is None:
        raise errors.AdverseEventNotFound()
    return event
