"""Vaccination day writes: sessions, invitations, check-in, screening, doses, voids, adverse events.

`dose_record` has the shape of pretix's `perform_checkin`: the cheap checks first (role, times, the
record's status, lot, screening), then one short transaction that locks the person's row (their dose
history), re-checks inside the lock, locks the (facility, lot) stock, writes the dose, its stock
movement, its counter and its audit event, and commits. A second request for the same person waits
for the lock and then finds the first dose.
"""

import logging
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from django.apps import apps
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from vaxbook.accounts.models import Membership, Role
from vaxbook.accounts.selectors import user_scope
from vaxbook.clinic import errors, rules
from vaxbook.clinic.models import (
    AdverseEvent,
    Appointment,
    Dose,
    DoseCounter,
    Screening,
    ScreeningQuestion,
    Session,
)
from vaxbook.clinic.selectors import (
    appointment_today,
    appointment_today_read,
    history_doses,
    persons_for_doses_read,
    survivor,
)
from vaxbook.common.audit import audit_event_objects, audit_log, audit_statement
from vaxbook.common.bulk import bulk_insert
from vaxbook.common.errors import Conflict, DomainError, ErrorItem
from vaxbook.common.idempotency import body_hash, new_record, records_read, service_atomic
from vaxbook.common.models import AuditEvent
from vaxbook.common.rows import (
    Builder,
    ModelRows,
    Read,
    any_of,
    execute_all,
    execute_at_once,
    insert_instance_sql,
    mark_saved,
    param,
    read,
    read_all,
)
from vaxbook.places.models import Facility
from vaxbook.registry.models import Person, PriorityGroup
from vaxbook.vaccines.access import FACILITY_STAFF, oversees_facility, require_facility_role
from vaxbook.vaccines.errors import FacilityForbidden, LotExpired, LotVaccineMismatch, RoleForbidden
from vaxbook.vaccines.models import Lot, StockMovement, Vaccine
from vaxbook.vaccines.selectors import (
    Position,
    facilities_read,
    lots_by_numbers_read,
    stock_position_read,
    stock_positions_read,
    vaccine_by_pk,
    vaccine_catalogue,
)
from vaxbook.vaccines.services import holdings_lock_read, ledger_append, stock_lock, stock_lock_read

logger = logging.getLogger(__name__)

DOSE_ROLES = FACILITY_STAFF
SCREEN_ROLES = FACILITY_STAFF
CHECKIN_ROLES = FACILITY_STAFF
SESSION_ROLES = (Role.FACILITY_MANAGER, Role.DATA_CLERK)
DOSE_SCOPE = "clinic.dose.record"  # the idempotency scope shared by POST /doses and the batch items

# Doses are built with the fast constructor (common/rows.py), relations by id: a batch builds thousands,
# and a single dose is the hottest write of the product.
_new_dose = Builder(Dose)
_new_movement = Builder(StockMovement)

# The refusal of each code that clinic/rules.py gives (a dose's, a reaction report's).
_RULE_REFUSALS: dict[str, type[errors.Refusal]] = {
    "dose_duplicate": errors.DoseDuplicate,
    "dose_out_of_order": errors.DoseOutOfOrder,
    "dose_conflicts_with_later": errors.DoseConflictsWithLater,
    "dose_too_soon": errors.DoseTooSoon,
    "booster_not_due": errors.BoosterNotDue,
    "vaccine_not_allowed": errors.VaccineNotAllowed,
    "administered_in_future": errors.AdministeredInFuture,
    "administered_before_birth": errors.AdministeredBeforeBirth,
    "symptoms_required": errors.SymptomsRequired,
    "outcome_invalid": errors.OutcomeInvalid,
    "onset_before_dose": errors.OnsetBeforeDose,
    "onset_in_future": errors.OnsetInFuture,
}


# Shared pieces ---------------------------------------------------------------------------------


def catalogue_rules() -> dict[str, rules.VaccineRule]:
    """The vaccine catalogue as pure rule objects, in catalogue order."""
    return {
        v.code: rules.VaccineRule(
            code=v.code,
            primary_doses=v.primary_doses,
            min_interval_days=v.min_interval_days,
            booster_interval_days=v.booster_interval_days,
            booster_allowed=v.booster_allowed,
            alternatives=v.alternative_codes,  # type: ignore[attr-defined]
            active=v.active,
        )
        for v in sorted(vaccine_catalogue().values(), key=lambda v: (v.sort_order, v.name))
    }


_HISTORY = ModelRows(Dose, "d", fields=["person_id", "administered_on", "vaccine_id"])


def persons_history_read(person_ids: Sequence[int]) -> Read[dict[int, list[rules.PriorDose]]]:
    """Each person's valid doses as the rules see them, oldest first (hand-written: every check-in and
    dose reads it; the batch reads many at once). The doses of the records merged into a person are
    theirs too: selectors.history_doses's rule, written by hand here."""
    qn = connection.ops.quote_name
    person_table = qn(Person._meta.db_table)
    if len(person_ids) == 1:
        # One person (a check-in, a single dose): their doses and their merged records' in one scan of
        # the dose index, each row theirs. A third of the UNION's planning on PostgreSQL (measured:
        # 0.12 against 0.39 ms).
        [one] = person_ids
        records = f"SELECT p.id FROM {person_table} p WHERE p.id = %s OR p.merged_into_id = %s"  # noqa: S608
        among = (
            f"d.person_id = ANY(ARRAY({records}))"
            if connection.vendor == "postgresql"
            else f"d.person_id IN ({records})"
        )
        sql = _HISTORY.select(connection, f"{among} AND d.status = %s")
        params: list[Any] = [one, one, Dose.Status.VALID]
        owner: int | None = one
    else:
        among, ids = any_of(Dose, "person_id", "d", person_ids)
        merged, merged_ids = any_of(Person, "merged_into_id", "p", person_ids)
        from_merged = (
            f"SELECT p.merged_into_id, d.administered_on, d.vaccine_id FROM {person_table} p"  # noqa: S608
            f" JOIN {qn(Dose._meta.db_table)} d ON d.person_id = p.id WHERE {merged} AND d.status = %s"
        )
        sql = f"{_HISTORY.select(connection, f'{among} AND d.status = %s')} UNION ALL {from_merged}"
        params = [*ids, Dose.Status.VALID, *merged_ids, Dose.Status.VALID]
        owner = None

    def load(rows: list[tuple[Any, ...]]) -> dict[int, list[rules.PriorDose]]:
        history: dict[int, list[rules.PriorDose]] = defaultdict(list)
        for person_id, day, vaccine_id in (_HISTORY.values(row) for row in rows):
            history[owner or person_id].append(rules.PriorDose(day=day, vaccine_code=vaccine_by_pk(vaccine_id).code))
        for doses in history.values():
            doses.sort(key=lambda d: d.day)
        return history

    return Read(sql, params, load)


def person_history_read(person_id: int) -> Read[list[rules.PriorDose]]:
    """One person's valid doses as the rules see them, oldest first."""
    return persons_history_read([person_id]).then(lambda found: found.get(person_id, []))


def person_history(person_id: int) -> list[rules.PriorDose]:
    return read(person_history_read(person_id))


_SCREENING = ModelRows(Screening, "s")


def _screening_of_day_read(person: Person, day: date) -> Read[Screening | None]:
    """The person's latest screening of the day, if any."""
    sql = _SCREENING.select(
        connection, "s.person_id = %s AND s.screened_on = %s ORDER BY s.screened_at DESC, s.id DESC LIMIT 1"
    )

    def load(rows: list[tuple[Any, ...]]) -> Screening | None:
        if not rows:
            return None
        screening = _SCREENING.load(rows[0])
        screening.person = person
        return screening

    return Read(sql, [person.pk, param(Screening, "screened_on", day)], load)


_GATE = ModelRows(Person, "p", fields=["id", "data_status", "problems", "merged_into_id"])


def _person_lock_read(person_id: int) -> Read["_GateView | None"]:
    """Lock the person's row (their dose history) and read what the gate needs, inside the lock."""
    return _persons_lock_read([person_id]).then(lambda found: found.get(person_id))


def _persons_lock_read(person_ids: Sequence[int]) -> Read[dict[int, "_GateView"]]:
    """Lock these persons' rows in key order and read what the gate needs of each."""
    among, ids = any_of(Person, "id", "p", person_ids)
    sql = _GATE.select(connection, f"{among} ORDER BY p.id", for_update=True)
    return Read(sql, ids, lambda rows: {view.pk: view for view in (_GateView(*_GATE.values(row)) for row in rows)})


@dataclass(frozen=True)
class _GateView:
    """What the gate reads of a person, fetched without building a model instance (the batch)."""

    pk: int
    data_status: str
    problems: list[dict[str, Any]]
    merged_into_id: int | None


def person_gate(person: Person | _GateView) -> None:
    """The completeness gate: an incomplete or invalid record is neither screened nor vaccinated."""
    if person.merged_into_id:
        raise errors.PersonNotFound()
    problems = list(person.problems or [])
    if person.data_status == Person.DataStatus.INVALID:
        raise errors.PersonDataInvalid(extra={"problems": problems})
    if person.data_status != Person.DataStatus.COMPLETE:
        missing = [p.get("field") for p in problems if p.get("kind") == "missing"]
        raise errors.PersonDataIncomplete(extra={"missing": missing, "problems": problems})


def _rule_refusal(decision: rules.DoseDecision) -> DomainError:
    assert decision.refusal is not None
    extra = {"earliest_date": decision.earliest.isoformat()} if decision.earliest else None
    return _RULE_REFUSALS[decision.refusal](extra=extra)


def _counter_sql(
    *, facility_id: int, vaccine_id: int, day: date, dose_number: int, delta: int
) -> tuple[str, list[Any]]:
    """The upsert adding `delta` to a dose counter (INSERT … ON CONFLICT DO UPDATE: PostgreSQL, SQLite)."""
    table = connection.ops.quote_name(DoseCounter._meta.db_table)
    return (
        f"INSERT INTO {table} (facility_id, vaccine_id, date, dose_number, count) "  # noqa: S608
        "VALUES (%s, %s, %s, %s, %s) "
        "ON CONFLICT (facility_id, vaccine_id, date, dose_number) "
        f"DO UPDATE SET count = {table}.count + EXCLUDED.count",
        [facility_id, vaccine_id, connection.ops.adapt_datefield_value(day), dose_number, delta],
    )


def _counter_add(*, facility_id: int, vaccine_id: int, day: date, dose_number: int, delta: int) -> None:
    """Add `delta` to the dose counter, creating the row the first time: one upsert statement
    (INSERT … ON CONFLICT DO UPDATE, on PostgreSQL and SQLite alike)."""
    if connection.vendor in ("postgresql", "sqlite"):
        execute_all(
            [
                _counter_sql(
                    facility_id=facility_id, vaccine_id=vaccine_id, day=day, dose_number=dose_number, delta=delta
                )
            ]
        )
        return
    rows = DoseCounter.objects.filter(facility_id=facility_id, vaccine_id=vaccine_id, date=day, dose_number=dose_number)
    if rows.update(count=F("count") + delta):
        return
    DoseCounter.objects.bulk_create(
        [DoseCounter(facility_id=facility_id, vaccine_id=vaccine_id, date=day, dose_number=dose_number, count=0)],
        ignore_conflicts=True,
    )
    rows.update(count=F("count") + delta)


_ECHO = 50


def _echo(unknown: list[str]) -> dict[str, Any]:
    """What a refusal repeats of the values it did not know: the first 50 and how many there were (a
    request naming 20,000 unknown ids gets a short answer)."""
    return {"unknown": unknown[:_ECHO], "unknown_count": len(unknown)}


def _aware(value: datetime) -> datetime:
    return value if timezone.is_aware(value) else timezone.make_aware(value)


def _administered(value: datetime) -> tuple[datetime, date]:
    """A dose's time, made aware, and its local day. A time at the very edge of the calendar (the year 1
    or 9999 with an offset) has no local day Python can hold: it is before any birth or in the future,
    refused as such rather than failing."""
    at = _aware(value)
    try:
        return at, timezone.localdate(at)
    except OverflowError:
        raise errors.AdministeredBeforeBirth() if at.year < 2000 else errors.AdministeredInFuture() from None


# Sessions and appointments -------------------------------------------------------------------

# A session is one site's day: the largest mass-vaccination sites of 2021 gave a few thousand doses a day.
MAX_SESSION_CAPACITY = 100_000


def session_create(
    *,
    actor: Any,
    facility: Facility,
    date: date,
    starts_at: time,
    ends_at: time,
    vaccine: Vaccine,
    capacity: int,
    priority_groups: Sequence[str] = (),
    note: str = "",
) -> Session:
    require_facility_role(user=actor, facility=facility, roles=SESSION_ROLES)
    if not 1 <= capacity <= MAX_SESSION_CAPACITY:
        raise errors.CapacityInvalid()
    # A session's times are the facility's wall-clock times: a time with an offset (an API client's
    # "07:30:00+07:00", "11:00:00Z") would lose it in the column, or not compare with one without.
    for name, value in (("starts_at", starts_at), ("ends_at", ends_at)):
        if value.tzinfo is not None:
            raise errors.SessionTimeHasOffset(field=name)
    if ends_at <= starts_at:
        raise errors.SessionWindowInvalid()
    if date < timezone.localdate():
        raise errors.SessionInPast()
    groups = list(PriorityGroup.objects.filter(code__in=list(priority_groups)))
    if len(groups) != len(set(priority_groups)):
        raise errors.PriorityGroupNotFound(field="priority_groups")
    with transaction.atomic():
        session = Session.objects.create(
            facility=facility,
            date=date,
            starts_at=starts_at,
            ends_at=ends_at,
            vaccine=vaccine,
            capacity=capacity,
            note=note,
            created_by=actor,
        )
        session.priority_groups.set(groups)
        audit_log(
            actor=actor,
            action="clinic.session.created",
            subject=session,
            data={
                "facility": facility,
                "date": date,
                "vaccine": vaccine.code,
                "capacity": capacity,
                "priority_groups": [g.code for g in groups],
            },
        )
    return session


def session_cancel(*, actor: Any, session: Session, reason: str) -> Session:
    require_facility_role(user=actor, facility=session.facility, roles=SESSION_ROLES)
    with transaction.atomic():
        session = Session.objects.select_for_update().get(pk=session.pk)
        if session.status == Session.Status.CANCELLED:
            return session
        session.status = Session.Status.CANCELLED
        session.save(update_fields=["status", "updated_at"])
        session.appointments.filter(status=Appointment.Status.INVITED).update(status=Appointment.Status.CANCELLED)
        audit_log(actor=actor, action="clinic.session.cancelled", subject=session, data={"reason": reason})
    return session


@dataclass
class InviteResult:
    created: list[Appointment] = field(default_factory=list)
    already_invited: int = 0
    skipped_incomplete: int = 0
    left_out_full: int = 0


def _catchment_q(facility: Facility) -> Q:
    wards = list(facility.catchment.values_list("pk", flat=True))
    if wards:
        return Q(ward_id__in=wards)
    return Q(ward_id=facility.admin_unit_id) | Q(province_id=facility.admin_unit_id)


def appointments_invite(
    *,
    actor: Any,
    session: Session,
    person_ids: Sequence[uuid.UUID | str] | None = None,
    priority_group: str | None = None,
    organization_id: uuid.UUID | None = None,
) -> InviteResult:
    """Invite persons to a session, within its capacity, and send each an SMS once the invitations commit.

    Named persons (`person_ids`) are invited all or none: `session_full` if they do not all fit. A priority
    group (in the facility's catchment) or an organization's roster fills the free places, complete records
    first by priority and age, and reports how many were left out.
    """
    require_facility_role(user=actor, facility=session.facility, roles=SESSION_ROLES)
    targets = [t for t in (person_ids, priority_group, organization_id) if t]
    if len(targets) != 1:
        raise errors.InviteTargetRequired()
    result = InviteResult()
    all_or_nothing = False
    source = Appointment.Source.REGISTRY
    if person_ids:
        wanted: set[uuid.UUID] = set()
        malformed: list[str] = []
        for given in person_ids:
            try:
                wanted.add(given if isinstance(given, uuid.UUID) else uuid.UUID(str(given or "")))
            except ValueError:
                malformed.append(str(given or ""))
        candidates = list(Person.objects.filter(public_id__in=wanted, merged_into__isnull=True))
        unknown = sorted(str(u) for u in wanted - {p.public_id for p in candidates}) + malformed
        if unknown:
            raise errors.PersonNotFound(field="person_ids", extra=_echo(unknown))
        all_or_nothing = True
    else:
        if priority_group:
            group = PriorityGroup.objects.filter(code=priority_group).first()
            if group is None:
                raise errors.PriorityGroupNotFound()
            base = Person.objects.filter(_catchment_q(session.facility), priority_group=group)
            source = Appointment.Source.PRIORITY_GROUP
        else:
            base = Person.objects.filter(pk__in=_roster_person_ids(organization_id))
            source = Appointment.Source.ROSTER
        base = base.filter(merged_into__isnull=True)
        result.skipped_incomplete = base.exclude(data_status=Person.DataStatus.COMPLETE).count()
        candidates = list(
            base.filter(data_status=Person.DataStatus.COMPLETE)
            .exclude(appointments__session=session)
            .order_by("priority_group__rank", "date_of_birth", "pk")
        )
    with transaction.atomic():
        # Lock the session row before counting: two invitations racing for the last places serialize here.
        locked = Session.objects.select_for_update().get(pk=session.pk)
        if locked.status != Session.Status.PLANNED or locked.date < timezone.localdate():
            raise errors.SessionClosed()
        taken = set(locked.appointments.values_list("person_id", flat=True))
        holding = locked.appointments.filter(status__in=Appointment.HOLDS_PLACE).count()
        fresh = [p for p in candidates if p.pk not in taken]
        result.already_invited = len(candidates) - len(fresh)
        free = max(locked.capacity - holding, 0)
        if (fresh and free == 0) or (all_or_nothing and len(fresh) > free):
            raise errors.SessionFull(extra={"free": free})
        chosen, result.left_out_full = fresh[:free], max(len(fresh) - free, 0)
        appointments = [
            Appointment(session=locked, person=p, source=source, invited_by=actor if actor else None) for p in chosen
        ]
        Appointment.objects.bulk_create(appointments)
        created = list(
            Appointment.objects.filter(session=locked, person_id__in=[p.pk for p in chosen]).select_related(
                "person", "session"
            )
        )
        result.created = created
        AuditEvent.objects.bulk_create(
            audit_event_objects(
                actor=actor,
                action="clinic.appointment.invited",
                subjects=list(created),
                data=[{"session": locked, "person": a.person_id, "source": source} for a in created],
            )
        )
        ids = [a.pk for a in created]
        if ids:
            transaction.on_commit(lambda: _enqueue_invitations(ids))
    return result


def _roster_person_ids(organization_id: uuid.UUID | None) -> list[int]:
    try:
        organization_model = apps.get_model("organizations", "Organization")
        entry_model = apps.get_model("organizations", "RosterEntry")
    except LookupError:
        raise errors.OrganizationNotFound() from None
    organization = organization_model.objects.filter(public_id=str(organization_id)).first()
    if organization is None:
        raise errors.OrganizationNotFound()
    return list(entry_model.objects.filter(organization=organization).values_list("person_id", flat=True))


def _enqueue_invitations(ids: list[int]) -> None:
    from vaxbook.clinic.tasks import appointments_send_invitations

    for start in range(0, len(ids), 500):
        appointments_send_invitations.enqueue(ids[start : start + 500])


def session_send_reminders(*, actor: Any, session: Session) -> int:
    """Queue an SMS reminder to everyone still invited to the session; returns how many are queued."""
    if actor is not None:
        require_facility_role(user=actor, facility=session.facility, roles=SESSION_ROLES)
    ids = list(
        session.appointments.filter(status=Appointment.Status.INVITED, reminder_sent_at__isnull=True).values_list(
            "pk", flat=True
        )
    )
    if ids:
        from vaxbook.clinic.tasks import appointments_send_reminders

        with transaction.atomic():
            audit_log(actor=actor, action="clinic.session.reminders_queued", subject=session, data={"count": len(ids)})
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                transaction.on_commit(lambda chunk=chunk: appointments_send_reminders.enqueue(chunk))  # type: ignore[misc]
    return len(ids)


def reminders_queue_for_day(*, day: date) -> int:
    """Queue reminders for every planned session of `day` (the daily cron job); returns how many."""
    sessions = Session.objects.filter(date=day, status=Session.Status.PLANNED).select_related("facility")
    return sum(session_send_reminders(actor=None, session=s) for s in sessions)


def appointment_cancel(*, actor: Any, appointment: Appointment, reason: str = "") -> Appointment:
    require_facility_role(user=actor, facility=appointment.session.facility, roles=SESSION_ROLES)
    with transaction.atomic():
        updated = Appointment.objects.filter(
            pk=appointment.pk, status__in=[Appointment.Status.INVITED, Appointment.Status.CHECKED_IN]
        ).update(status=Appointment.Status.CANCELLED, updated_at=timezone.now())
        if updated:
            audit_log(actor=actor, action="clinic.appointment.cancelled", subject=appointment, data={"reason": reason})
    appointment.refresh_from_db()
    return appointment


# Check-in --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckinResult:
    person: Person
    next_dose: rules.NextDose
    due_now: bool
    appointment: Appointment | None
    screening: Screening | None  # the person's latest screening of today, if any
    doses_given: int


def checkin(
    *,
    actor: Any,
    facility: Facility | uuid.UUID | str,
    token: str | None = None,
    person_id: uuid.UUID | str | None = None,
    id_number: str | None = None,
    phone: str | None = None,
    now: datetime | None = None,
) -> CheckinResult:
    """Find the person (QR token, public id, identity number or phone, exact), show what the desk needs,
    and mark their appointment checked in (a walk-in gets one in today's session, if there is one).

    The record's status and problems are shown, not refused: the desk corrects the record here, and
    the gate at screening and dose does the refusing. `facility` may be given by its public id (the
    API): it is then read with the person, in one round trip, and checked before the person is shown.
    """
    from vaxbook.clinic.selectors import person_for_checkin_read
    from vaxbook.vaccines.errors import FacilityNotFound
    from vaxbook.vaccines.selectors import facility_public_id, facility_read

    lookup, pick = person_for_checkin_read(token=token, person_id=person_id, id_number=id_number, phone=phone)
    also = [lookup] if lookup is not None else []
    if isinstance(facility, Facility):
        site = facility
        require_facility_role(user=actor, facility=site, roles=CHECKIN_ROLES)
        found = read(lookup) if lookup is not None else None
    else:
        found_site, *rest = read_all(facility_read(facility_public_id(facility)), *also)
        if found_site is None:
            raise FacilityNotFound()
        site = found_site
        require_facility_role(user=actor, facility=site, roles=CHECKIN_ROLES)
        found = rest[0] if rest else None
    person = pick(found)
    now = now or timezone.now()
    today = timezone.localdate(now)
    # Four independent reads, one round trip (common/rows.py): history, today's appointment here,
    # today's sessions (for a walk-in), today's screening (a re-scan must not ask for it again).
    history, appointment, planned, screening = read_all(
        person_history_read(person.pk),
        appointment_today_read(facility=site, person=person, day=today),
        _walk_in_sessions_read(facility=site, day=today),
        _screening_of_day_read(person, today),
    )
    nd = rules.next_dose(history, catalogue_rules())
    if appointment is None and planned:
        appointment = _walk_in(
            actor=actor, person=person, facility=site, sessions=planned, codes=nd.vaccine_codes, now=now
        )
    else:
        _check_in(actor=actor, person=person, facility=site, appointment=appointment, now=now)
    return CheckinResult(
        person=person,
        next_dose=nd,
        due_now=nd.due_on(today),
        appointment=appointment,
        screening=screening,
        doses_given=len(history),
    )


def _checked_in_audit(
    *,
    actor: Any,
    person: Person,
    facility: Facility,
    appointment: Appointment | None,
    only_if: tuple[str, list[Any]] | None = None,
) -> tuple[str, list[Any]]:
    return audit_statement(
        actor=actor,
        action="clinic.person.checked_in",
        subject=person,
        data={"facility": facility, "appointment": appointment},
        only_if=only_if,
    )


def _check_in(
    *, actor: Any, person: Person, facility: Facility, appointment: Appointment | None, now: datetime
) -> None:
    """The check-in's writes when the person has an appointment here today, or no session to join: an
    invited appointment becomes checked in (one in another state stays as it is: a cancellation
    meanwhile wins), and the check-in's audit event. One round trip, both or neither (`execute_at_once`)."""
    statements = [_checked_in_audit(actor=actor, person=person, facility=facility, appointment=appointment)]
    invited = appointment is not None and appointment.status == Appointment.Status.INVITED
    if invited:
        assert appointment is not None
        stamp = timezone.now()
        table = connection.ops.quote_name(Appointment._meta.db_table)
        update = (
            f"UPDATE {table} SET status = %s, checked_in_at = %s, updated_at = %s"  # noqa: S608
            " WHERE id = %s AND status = %s RETURNING id"
        )
        statements.insert(
            0,
            (
                update,
                [
                    Appointment.Status.CHECKED_IN,
                    param(Appointment, "checked_in_at", now),
                    param(Appointment, "updated_at", stamp),
                    appointment.pk,
                    Appointment.Status.INVITED,
                ],
            ),
        )
    results = execute_at_once(statements, durable=False)  # a check-in is cheap to redo: rows.execute_at_once
    if invited and results[0]:
        assert appointment is not None
        appointment.status = Appointment.Status.CHECKED_IN
        appointment.checked_in_at = now
        appointment.updated_at = stamp


_SESSION = ModelRows(Session, "s")


def _walk_in_sessions_read(*, facility: Facility, day: date) -> Read[list[Session]]:
    """Today's planned sessions at the facility, earliest first (hand-written: a walk-in's check-in)."""
    sql = _SESSION.select(connection, "s.facility_id = %s AND s.date = %s AND s.status = %s ORDER BY s.starts_at, s.id")

    def load(rows: list[tuple[Any, ...]]) -> list[Session]:
        sessions = [_SESSION.load(row) for row in rows]
        for session in sessions:
            session.facility = facility
            session.vaccine = vaccine_by_pk(session.vaccine_id)
        return sessions

    return Read(sql, [facility.pk, param(Session, "date", day), Session.Status.PLANNED], load)


def _walk_in(
    *, actor: Any, person: Person, facility: Facility, sessions: list[Session], codes: Sequence[str], now: datetime
) -> Appointment:
    """A walk-in joins today's session (one with a vaccine the person may get, if any), checked in at
    once. Walk-ins are accepted beyond the planned capacity: the person is here, and stock (not the
    plan) is what limits.

    The appointment and its two audit events (the walk-in's, the check-in's) go in one round trip, all
    or none (`execute_at_once`). The caller found no appointment of today for the person here, so the
    insert is the usual outcome; (session, person) is unique, so a row already there (a cancelled
    appointment, or a concurrent walk-in's) wins: then neither event goes with the insert, and the row
    there is checked in instead (`_check_in`)."""
    session = next((s for s in sessions if s.vaccine.code in codes), sessions[0])
    appointment = Appointment(
        session=session,
        person=person,
        source=Appointment.Source.WALK_IN,
        invited_by=actor,
        status=Appointment.Status.CHECKED_IN,
        checked_in_at=now,
    )
    table = connection.ops.quote_name(Appointment._meta.db_table)
    inserted: tuple[str, list[Any]] = (
        f"EXISTS (SELECT 1 FROM {table} WHERE public_id = %s)",  # noqa: S608
        [param(Appointment, "public_id", appointment.public_id)],
    )
    returned, _walk_in_event, _checked_in_event = execute_at_once(
        [
            insert_instance_sql(appointment, ignore_conflict=True),
            audit_statement(
                actor=actor,
                action="clinic.appointment.walk_in",
                subject=appointment,
                data={"session": session},
                only_if=inserted,
            ),
            _checked_in_audit(actor=actor, person=person, facility=facility, appointment=appointment, only_if=inserted),
        ],
        durable=False,  # a check-in is cheap to redo, and a dose's durable commit flushes it first
    )
    if returned:
        mark_saved(appointment, returned)
        return appointment
    there = Appointment.objects.select_related("session").get(session=session, person=person)
    _check_in(actor=actor, person=person, facility=facility, appointment=there, now=now)
    return there


# Screening -------------------------------------------------------------------------------------


def screening_questions_load(*, actor: Any = None) -> tuple[int, int]:
    """Create or update the screening checklist from its data file. Returns (created, updated)."""
    import json
    from pathlib import Path

    path = Path(__file__).resolve().parent / "data" / "screening_questions.json"
    rows = json.loads(path.read_text(encoding="utf-8"))["questions"]
    created = updated = 0
    with transaction.atomic():
        for order, row in enumerate(rows, start=1):
            values = {"text_vi": row["vi"], "text_en": row["en"], "order": order, "yes_leads_to": row["yes_leads_to"]}
            question = ScreeningQuestion.objects.filter(code=row["code"]).first()
            if question is None:
                question = ScreeningQuestion.objects.create(code=row["code"], **values)
                audit_log(actor=actor, action="clinic.screening_question.created", subject=question, data=values)
                created += 1
            elif any(getattr(question, k) != v for k, v in values.items()):
                for k, v in values.items():
                    setattr(question, k, v)
                question.save()
                audit_log(actor=actor, action="clinic.screening_question.updated", subject=question, data=values)
                updated += 1
    return created, updated


def screening_record(
    *,
    actor: Any,
    person: Person,
    facility: Facility,
    answers: Mapping[str, bool | None],
    note: str = "",
    now: datetime | None = None,
) -> Screening:
    """Record the pre-vaccination check. Every active question must be answered; the outcome is the
    worst consequence of the "yes" answers, and the questions that led to it are kept as reasons."""
    require_facility_role(user=actor, facility=facility, roles=SCREEN_ROLES)
    person_gate(person)
    questions = [
        rules.QuestionRule(code=c, yes_leads_to=y)
        for c, y in ScreeningQuestion.objects.filter(active=True).order_by("order").values_list("code", "yes_leads_to")
    ]
    result = rules.screening_outcome(answers, questions)
    if result.unknown:
        raise errors.ScreeningAnswerUnknown(extra=_echo(list(result.unknown)))
    if result.missing:
        raise errors.ScreeningAnswersMissing(extra={"missing": list(result.missing)})
    now = now or timezone.now()
    today = timezone.localdate(now)
    with transaction.atomic():
        appointment = appointment_today(facility=facility, person=person, day=today)
        screening = Screening.objects.create(
            person=person,
            facility=facility,
            appointment=appointment,
            screened_at=now,
            screened_on=today,
            screened_by=actor,
            answers={q.code: bool(answers[q.code]) for q in questions},
            outcome=result.outcome,
            reasons=list(result.reasons),
            note=note,
        )
        audit_log(
            actor=actor,
            action="clinic.screening.recorded",
            subject=screening,
            data={"person": person, "facility": facility, "outcome": result.outcome, "reasons": list(result.reasons)},
        )
    return screening


# Doses -------------------------------------------------------------------------------------------


def _vaccinator_for(*, actor: Any, facility: Facility, vaccinator: Any) -> Any:
    if vaccinator is None:
        scope = user_scope(user=actor)
        return actor if Role.VACCINATOR in scope.facility_roles.get(facility.pk, frozenset()) else None
    if not Membership.objects.filter(
        user=vaccinator, facility=facility, role=Role.VACCINATOR, active=True, user__is_active=True
    ).exists():
        raise errors.VaccinatorInvalid()
    return vaccinator


def _check_screening(*, screening: Screening | None, person: Person, day: date, source: str) -> None:
    if screening is None:
        if source == Dose.Source.LIVE:
            raise errors.ScreeningRequired()
        return
    if screening.person_id != person.pk or screening.screened_on != day:
        raise errors.ScreeningRequired()
    if screening.outcome not in rules.VACCINABLE:
        raise errors.ScreeningNotEligible(extra={"outcome": screening.outcome, "reasons": screening.reasons})


_SOURCES = frozenset(Dose.Source.values)


def _precheck(
    *,
    person: Person,
    vaccine: Vaccine,
    lot: Lot,
    administered_at: datetime,
    administered_on: date,
    source: str,
    screening: Screening | None,
    now: datetime,
) -> None:
    """The checks that need no lock, cheapest first."""
    if source not in _SOURCES:
        raise errors.SourceInvalid()
    problem = rules.administered_time_problem(
        administered_at, administered_on, now=now, date_of_birth=person.date_of_birth
    )
    if problem:
        raise _RULE_REFUSALS[problem]()
    person_gate(person)
    if not vaccine.active and source == Dose.Source.LIVE:
        raise errors.VaccineWithdrawn()
    if lot.vaccine_id != vaccine.pk:
        raise LotVaccineMismatch()
    if administered_on > lot.expiry:
        raise LotExpired(extra={"expiry": lot.expiry.isoformat()})
    _check_screening(screening=screening, person=person, day=administered_on, source=source)


def dose_record(
    *,
    actor: Any,
    person: Person,
    facility: Facility,
    vaccine: Vaccine,
    lot: Lot,
    administered_at: datetime,
    source: str = Dose.Source.LIVE,
    screening: Screening | None = None,
    vaccinator: Any = None,
    idempotency_key: str = "",
    now: datetime | None = None,
) -> Dose:
    """Record one dose, once. Refusals: see `errors` (each its own code); the dose number is computed."""
    try:
        return _dose_record(
            actor=actor,
            person=person,
            facility=facility,
            vaccine=vaccine,
            lot=lot,
            administered_at=administered_at,
            source=source,
            screening=screening,
            vaccinator=vaccinator,
            idempotency_key=idempotency_key,
            now=now,
        )
    except DomainError as exc:
        logger.info("dose refused: person=%s facility=%s codes=%s", person.public_id, facility.pk, exc.codes)
        raise


def _dose_record(
    *,
    actor: Any,
    person: Person,
    facility: Facility,
    vaccine: Vaccine,
    lot: Lot,
    administered_at: datetime,
    source: str,
    screening: Screening | None,
    vaccinator: Any,
    idempotency_key: str,
    now: datetime | None,
) -> Dose:
    require_facility_role(user=actor, facility=facility, roles=DOSE_ROLES)
    now = now or timezone.now()
    administered_at, administered_on = _administered(administered_at)
    _precheck(
        person=person,
        vaccine=vaccine,
        lot=lot,
        administered_at=administered_at,
        administered_on=administered_on,
        source=source,
        screening=screening,
        now=now,
    )
    vaccinator = _vaccinator_for(actor=actor, facility=facility, vaccinator=vaccinator)
    try:
        # No savepoint of its own when it is the whole of an idempotent call's transaction.
        with service_atomic():
            # Lock the person's row (their history), read the history; lock the (facility, lot) holding,
            # read where its ledger stands: four statements in this order, in one round trip on PostgreSQL.
            # Under READ COMMITTED each statement of the query takes its own snapshot when it starts, so the
            # history and the ledger's position see everything committed before their lock was granted, as
            # separate round trips would (rows.read_all; the race tests run two writers against each other).
            # With a screening, the person's latest of the day is read under the lock too: a later one
            # (a fever found at a second look) replaces it.
            gate, history, _holding, position, *latest = read_all(
                _person_lock_read(person.pk),
                person_history_read(person.pk),
                stock_lock_read(facility_id=facility.pk, lot_id=lot.pk),
                stock_position_read(facility_id=facility.pk, lot_id=lot.pk),
                *([_screening_of_day_read(person, administered_on)] if screening is not None else []),
            )
            if gate is None:
                raise errors.PersonNotFound()
            person_gate(gate)
            if screening is not None and latest[0] is not None and latest[0].pk != screening.pk:
                raise errors.ScreeningSuperseded()
            decision = rules.check_dose(
                history, vaccine.code, administered_on, catalogue_rules(), back_entry=source == Dose.Source.BACK_ENTRY
            )
            if not decision.ok:
                raise _rule_refusal(decision)
            assert decision.number is not None
            line = position.line(-1)  # out_of_stock when the facility holds none (or never held the lot)
            # The fast constructor (common/rows.py), as the batch builds its doses: relations by id, the
            # related objects cached for the answer and the audit.
            dose = _new_dose(
                {
                    "person_id": person.pk,
                    "vaccine_id": vaccine.pk,
                    "lot_id": lot.pk,
                    "dose_number": decision.number,
                    "administered_at": administered_at,
                    "administered_on": administered_on,
                    "facility_id": facility.pk,
                    "vaccinator_id": vaccinator.pk if vaccinator else None,
                    "recorded_by_id": actor.pk,
                    "recorded_at": now,
                    "source": source,
                    "screening_id": screening.pk if screening else None,
                    "appointment_id": screening.appointment_id if screening else None,
                    "idempotency_key": idempotency_key,
                },
                {
                    "person": person,
                    "vaccine": vaccine,
                    "lot": lot,
                    "facility": facility,
                    "vaccinator": vaccinator,
                    "recorded_by": actor,
                    "screening": screening,
                },
            )
            movement = _new_movement(
                {
                    "facility_id": facility.pk,
                    "lot_id": lot.pk,
                    "kind": StockMovement.Kind.USED,
                    **line,
                    "at": administered_at,
                    "reference": str(dose.public_id),
                    "recorded_by_id": actor.pk,
                },
                {"facility": facility, "lot": lot, "recorded_by": actor},
            )
            # The dose, its stock movement, its counter, its appointment and its audit event: one round
            # trip on PostgreSQL (rows.execute_all), in this transaction.
            writes = [
                insert_instance_sql(dose),
                insert_instance_sql(movement),
                _counter_sql(
                    facility_id=facility.pk,
                    vaccine_id=vaccine.pk,
                    day=administered_on,
                    dose_number=decision.number,
                    delta=1,
                ),
                audit_statement(actor=actor, action="clinic.dose.recorded", subject=dose, data=_dose_audit(dose)),
            ]
            if decision.later:
                writes += history_renumber_writes(
                    actor=actor, person_id=person.pk, now=now, because=dose.public_id, cause="recorded", adding=dose
                )
            if dose.appointment_id:
                table = connection.ops.quote_name(Appointment._meta.db_table)
                writes.append(
                    (
                        f"UPDATE {table} SET status = %s, updated_at = %s WHERE id = %s AND status <> %s",  # noqa: S608
                        [
                            Appointment.Status.VACCINATED,
                            connection.ops.adapt_datetimefield_value(now),
                            dose.appointment_id,
                            Appointment.Status.CANCELLED,
                        ],
                    )
                )
            returned = execute_all(writes)
            mark_saved(dose, returned[0])
            mark_saved(movement, returned[1])
    except IntegrityError as exc:
        # Only reachable if a writer bypassed the person lock: the partial unique index still says no.
        if "dose_one_valid_per_person_day" in str(exc) or "administered_on" in str(exc):
            raise errors.DoseDuplicate() from exc
        raise
    return dose


def history_renumber_writes(
    *, actor: Any, person_id: int, now: datetime, because: Any, cause: str, adding: Dose | None = None
) -> list[tuple[str, list[Any]]]:
    """Number a person's valid doses 1, 2, 3, ... in date order again, theirs and their merged records'
    (the rules number by position: a back-entered dose from the paper backlog dated before doses
    recorded since, a voided dose before others, two records merged). Called under the person's lock;
    `adding` is a dose about to be inserted in the same writes. Returns the writes for every dose whose
    number changes: the dose, its counter moved from the old number to the new, and an audit event
    (clinic.dose.renumbered: from, to, the public id of the dose or merged record `because` of which,
    and the cause)."""
    doses: list[tuple[tuple[Any, ...], Any]] = [
        ((row[4], row[5], row[0]), row)
        for row in history_doses(person_id)
        .filter(status=Dose.Status.VALID)
        .values_list(
            "pk", "public_id", "facility_id", "vaccine_id", "administered_on", "administered_at", "dose_number"
        )
    ]
    if adding is not None:
        # Not yet inserted: after every dose of its date already there.
        doses.append(((adding.administered_on, adding.administered_at, float("inf")), None))
    doses.sort(key=lambda pair: pair[0])
    table = connection.ops.quote_name(Dose._meta.db_table)
    writes: list[tuple[str, list[Any]]] = []
    for number, (_key, row) in enumerate(doses, 1):
        if row is None or row[6] == number:
            continue
        pk, public_id, facility_id, vaccine_id, day, _at, old = row
        writes.append(
            (
                f"UPDATE {table} SET dose_number = %s, updated_at = %s WHERE id = %s",  # noqa: S608
                [number, connection.ops.adapt_datetimefield_value(now), pk],
            )
        )
        for counted, delta in ((old, -1), (number, 1)):
            writes.append(
                _counter_sql(facility_id=facility_id, vaccine_id=vaccine_id, day=day, dose_number=counted, delta=delta)
            )
        writes.append(
            audit_statement(
                actor=actor,
                action="clinic.dose.renumbered",
                subject=Dose(public_id=public_id),
                data={"from": old, "to": number, "because_of": str(because), "cause": cause},
            )
        )
    return writes


def _dose_audit(dose: Dose) -> dict[str, Any]:
    return {
        "person": str(dose.person.public_id) if dose.person_id else None,
        "facility": dose.facility_id,
        "vaccine": vaccine_by_pk(dose.vaccine_id).code,
        "lot": dose.lot_id,
        "dose_number": dose.dose_number,
        "administered_at": dose.administered_at.isoformat(),
        "source": dose.source,
        "entry_delay_s": int(dose.entry_delay.total_seconds()),
    }


def dose_void(*, actor: Any, dose: Dose, reason: str, now: datetime | None = None) -> Dose:
    """Void a dose with a reason: never deleted. Its facility's staff may within 7 days of recording;
    after that an officer overseeing the facility or a national admin. The stock comes back by a
    `void_reversal` movement and the counter goes down, in the same transaction; the person's later
    doses, if any, are numbered one down (each renumbering audited)."""
    reason = (reason or "").strip()
    if not reason:
        raise errors.VoidReasonRequired()
    now = now or timezone.now()
    facility = dose.facility
    scope = user_scope(user=actor)
    if not oversees_facility(scope, facility):
        if facility.pk not in scope.facility_ids:
            raise FacilityForbidden()
        if not scope.can_work_at(facility.pk, *DOSE_ROLES):
            raise RoleForbidden()
        if not rules.within_void_window(dose.recorded_at, now):
            raise errors.VoidWindowPassed()
    with transaction.atomic():
        # The history's owner: the person, or the record a merged duplicate became (its doses are theirs).
        owner = Person.objects.select_for_update().only("pk", "merged_into_id").get(pk=dose.person_id)
        if owner.merged_into_id:
            owner = Person.objects.select_for_update().only("pk").get(pk=owner.merged_into_id)
        locked = Dose.objects.select_for_update().get(pk=dose.pk)
        if locked.status == Dose.Status.VOIDED:
            raise errors.DoseAlreadyVoided()
        _void_locked(actor=actor, locked=locked, reason=reason, now=now)
        # Doses after it move down one (a wrong dose before others: recorded for the wrong person, twice).
        execute_all(
            history_renumber_writes(actor=actor, person_id=owner.pk, now=now, because=locked.public_id, cause="voided")
        )
    return locked


def _void_locked(*, actor: Any, locked: Dose, reason: str, now: datetime, cause: str = "") -> None:
    """Void a dose already locked with its person's history: the stock comes back by a `void_reversal`
    movement, the counter goes down, its appointment is open again, and the audit says why."""
    stock_lock(facility_id=locked.facility_id, lot_id=locked.lot_id)
    reversal = ledger_append(
        facility_id=locked.facility_id,
        lot_id=locked.lot_id,
        quantity=1,
        kind=StockMovement.Kind.VOID_REVERSAL,
        at=now,
        reference=str(locked.public_id),
        note=reason[:255],
        recorded_by=actor,
    )
    locked.status = Dose.Status.VOIDED
    locked.void_reason = reason[:255]
    locked.voided_at = now
    locked.voided_by = actor
    locked.save(update_fields=["status", "void_reason", "voided_at", "voided_by", "updated_at"])
    _counter_add(
        facility_id=locked.facility_id,
        vaccine_id=locked.vaccine_id,
        day=locked.administered_on,
        dose_number=locked.dose_number,
        delta=-1,
    )
    if locked.appointment_id:
        Appointment.objects.filter(pk=locked.appointment_id, status=Appointment.Status.VACCINATED).update(
            status=Appointment.Status.CHECKED_IN, updated_at=now
        )
    audit_log(
        actor=actor,
        action="clinic.dose.voided",
        subject=locked,
        data={
            "reason": reason,
            "stock_reversal": str(reversal.public_id),
            "dose_number": locked.dose_number,
            **({"cause": cause} if cause else {}),
        },
    )


def history_renumber_after_merge(*, actor: Any, duplicate: Person, into: Person) -> None:
    """After `duplicate` was merged into `into` (registry.person_merge, in its transaction, by the
    registry's person_merged signal): the duplicate's doses are now part of `into`'s history. A dose
    the duplicate holds on a day the history already has one is the same dose entered twice (by two
    sites, on two records of one person): it is voided, its stock given back, and audited with the
    merge as its cause. The rest are numbered again with `into`'s, under `into`'s lock."""
    Person.objects.select_for_update().only("pk").get(pk=into.pk)
    now = timezone.now()
    others = history_doses(into.pk).filter(status=Dose.Status.VALID).exclude(person_id=duplicate.pk)
    days = dict(others.values_list("administered_on", "public_id"))
    twice = Dose.objects.select_for_update().filter(
        person_id=duplicate.pk, status=Dose.Status.VALID, administered_on__in=list(days)
    )
    for dose in twice:
        reason = _("Entered twice: the same day as dose %(dose)s of the record this one was merged into.") % {
            "dose": days[dose.administered_on]
        }
        _void_locked(actor=actor, locked=dose, reason=reason, now=now, cause="merged")
    execute_all(
        history_renumber_writes(actor=actor, person_id=into.pk, now=now, because=duplicate.public_id, cause="merged")
    )


# Batch of doses -------------------------------------------------------------------------------------


@dataclass
class DoseItem:
    """One item of a batch: its idempotency key, the body it is hashed with, and the parsed fields."""

    key: str
    body: dict[str, Any]
    person_id: uuid.UUID
    facility_id: uuid.UUID
    vaccine_code: str
    lot_number: str
    administered_at: datetime
    source: str = Dose.Source.LIVE
    screening_id: uuid.UUID | None = None
    vaccinator_id: uuid.UUID | None = None


@dataclass
class ItemResult:
    key: str
    status: int
    payload: dict[str, Any]


def _refusal_result(key: str, exc: DomainError) -> ItemResult:
    return ItemResult(key=key, status=exc.status, payload=exc.as_payload())


def doses_record_batch(
    *, actor: Any, items: Sequence[DoseItem], render: Callable[[Dose], dict[str, Any]], now: datetime | None = None
) -> list[ItemResult]:
    """Record many doses (a clinic's offline queue, a paper backlog) fast, each item on its own.

    Each item succeeds or fails by itself and has its own idempotency record (the same scope as POST
    /doses, so a retry through either door replays). The reads are batched: persons, facilities, lots,
    screenings, histories and stock are fetched in a few queries; then one short transaction locks the
    persons and the (facility, lot) holdings in a fixed order, decides every item in memory with the
    same rules as `dose_record`, and writes doses, movements, counters, audit events and idempotency
    records in bulk. Should that transaction fail on a constraint (a concurrent request with one of the
    keys), the undecided items are recorded one by one through `dose_record`.
    """
    now = now or timezone.now()
    results: dict[int, ItemResult] = {}
    digests = [body_hash(item.body) for item in items]
    first_index: dict[str, int] = {}
    pending: list[int] = []
    for i, item in enumerate(items):
        if not item.key:
            results[i] = _refusal_result("", errors.IdempotencyKeyRequired(field="idempotency_key"))
        elif item.key in first_index:
            continue  # resolved at the end from the first item with the key
        else:
            first_index[item.key] = i
            pending.append(i)

    # What every item needs, read in one round trip (common/rows.py): the idempotency records of the
    # keys, the persons, the facilities and the lots. (A replayed item's are read for nothing: cheap.)
    sel = [items[i] for i in pending]
    existing, persons, facilities, lots_by_number = (
        read_all(
            records_read(user=actor, scope=DOSE_SCOPE, keys={it.key for it in sel}),
            persons_for_doses_read({it.person_id for it in sel if it.person_id}),
            facilities_read({it.facility_id for it in sel if it.facility_id}),
            lots_by_numbers_read({it.lot_number for it in sel}),
        )
        if sel
        else ({}, {}, {}, {})
    )
    # A merged record stands for the record it was merged into, as in POST /doses (rare: a look-up each).
    persons = {public_id: survivor(p) if p.merged_into_id else p for public_id, p in persons.items()}
    todo: list[int] = []
    for i in pending:
        record = existing.get(items[i].key)
        if record is None:
            todo.append(i)
        elif record.body_hash != digests[i]:
            results[i] = _refusal_result(items[i].key, _key_reused())
        else:
            results[i] = ItemResult(key=items[i].key, status=record.status_code, payload=record.response)

    if todo:
        decided = _batch_decide_and_write(
            actor=actor,
            items=items,
            indexes=todo,
            digests=digests,
            render=render,
            now=now,
            prefetched=_BatchRead(persons, facilities, lots_by_number),
        )
        results.update(decided)

    out: list[ItemResult] = []
    for i, item in enumerate(items):
        if i in results:
            out.append(results[i])
            continue
        first = first_index[item.key]
        if digests[first] != digests[i]:
            out.append(_refusal_result(item.key, _key_reused()))
        else:
            out.append(results[first])
    return out


def _key_reused() -> Conflict:
    from django.utils.translation import gettext_lazy as _

    return Conflict.single(
        "Idempotency-Key",
        "idempotency_key_reused",
        _("This Idempotency-Key was already used for a different request."),
    )


@dataclass(frozen=True)
class _BatchRead:
    """What a batch read of its items before deciding them (see `doses_record_batch`)."""

    persons: dict[uuid.UUID, Person]
    facilities: dict[uuid.UUID, Facility]
    lots_by_number: dict[str, list[Lot]]


@dataclass
class _Ready:
    index: int
    person: Person
    facility: Facility
    vaccine: Vaccine
    lot: Lot
    administered_at: datetime
    administered_on: date
    screening: Screening | None
    vaccinator: Any


def _batch_decide_and_write(
    *,
    actor: Any,
    items: Sequence[DoseItem],
    indexes: list[int],
    digests: list[str],
    render: Callable[[Dose], dict[str, Any]],
    now: datetime,
    prefetched: _BatchRead,
) -> dict[int, ItemResult]:
    from vaxbook.accounts.models import User
    from vaxbook.vaccines.errors import FacilityNotFound, LotNotFound, VaccineNotFound

    refused: dict[int, DomainError] = {}
    scope = user_scope(user=actor)
    sel = [items[i] for i in indexes]
    persons, facilities, lots_by_number = prefetched.persons, prefetched.facilities, prefetched.lots_by_number
    screening_ids = {it.screening_id for it in sel if it.screening_id}
    screenings = (
        {s.public_id: s for s in Screening.objects.filter(public_id__in=screening_ids)} if screening_ids else {}
    )
    # The latest screening of each of their persons' days: a later one replaces an earlier (as in
    # dose_record, which reads it under the person's lock; here before the locks, a batch being mostly
    # back-entry without screenings).
    latest_screening: dict[tuple[int, date], int] = {}
    if screenings:
        for person_id, day, pk in (
            Screening.objects.filter(
                person_id__in={s.person_id for s in screenings.values()},
                screened_on__in={s.screened_on for s in screenings.values()},
            )
            .order_by("person_id", "screened_on", "screened_at", "id")
            .values_list("person_id", "screened_on", "id")
        ):
            latest_screening[(person_id, day)] = pk
    vaccinator_ids = {it.vaccinator_id for it in sel if it.vaccinator_id}
    vaccinators = {u.public_id: u for u in User.objects.filter(public_id__in=vaccinator_ids)} if vaccinator_ids else {}
    vaccinator_ok = (
        set(
            Membership.objects.filter(
                user__public_id__in=vaccinator_ids, role=Role.VACCINATOR, active=True, user__is_active=True
            ).values_list("user__public_id", "facility__public_id")
        )
        if vaccinator_ids
        else set()
    )
    catalogue = vaccine_catalogue()
    actor_is_vaccinator_at = {f for f, roles in scope.facility_roles.items() if Role.VACCINATOR in roles}

    ready: list[_Ready] = []
    allowed_at: set[int] = set()
    for i in indexes:
        it = items[i]
        try:
            facility = facilities.get(it.facility_id)
            if facility is None:
                raise FacilityNotFound()
            # The role once per facility of the batch (the answer is the same for each of its items).
            if facility.id not in allowed_at:
                require_facility_role(user=actor, facility=facility, roles=DOSE_ROLES)
                allowed_at.add(facility.id)
            person = persons.get(it.person_id)
            if person is None:
                raise errors.PersonNotFound()
            vaccine = catalogue.get(it.vaccine_code)
            if vaccine is None:
                raise VaccineNotFound()
            candidates = lots_by_number.get(it.lot_number.strip().upper(), [])
            found = next((c for c in candidates if c.vaccine_id == vaccine.pk), None)
            if found is None:
                raise LotVaccineMismatch() if candidates else LotNotFound()
            lot = found
            screening = None
            if it.screening_id:
                screening = screenings.get(it.screening_id)
                if screening is None:
                    raise errors.ScreeningNotFound()
            administered_at, administered_on = _administered(it.administered_at)
            _precheck(
                person=person,
                vaccine=vaccine,
                lot=lot,
                administered_at=administered_at,
                administered_on=administered_on,
                source=it.source,
                screening=screening,
                now=now,
            )
            if (
                screening is not None
                and latest_screening.get((screening.person_id, screening.screened_on), screening.pk) != screening.pk
            ):
                raise errors.ScreeningSuperseded()
            if it.vaccinator_id:
                vaccinator = vaccinators.get(it.vaccinator_id)
                if vaccinator is None or (it.vaccinator_id, facility.public_id) not in vaccinator_ok:
                    raise errors.VaccinatorInvalid()
            else:
                vaccinator = actor if facility.pk in actor_is_vaccinator_at else None
            ready.append(
                _Ready(i, person, facility, vaccine, lot, administered_at, administered_on, screening, vaccinator)
            )
        except DomainError as exc:
            refused[i] = exc

    try:
        deferred: list[int] = []
        results = _batch_write(
            actor=actor,
            items=items,
            ready=ready,
            refused=refused,
            digests=digests,
            render=render,
            now=now,
            deferred=deferred,
        )
        # Paper doses dated before doses recorded since renumber those: one at a time, as POST /doses.
        results.update(_batch_one_by_one(actor=actor, items=items, indexes=deferred, render=render, now=now))
        return results
    except IntegrityError:
        logger.warning("dose batch: falling back to one item at a time after a constraint conflict")
        return _batch_one_by_one(actor=actor, items=items, indexes=indexes, render=render, now=now)


def _batch_write(
    *,
    actor: Any,
    items: Sequence[DoseItem],
    ready: list[_Ready],
    refused: dict[int, DomainError],
    digests: list[str],
    render: Callable[[Dose], dict[str, Any]],
    now: datetime,
    deferred: list[int],
) -> dict[int, ItemResult]:
    """Decide the ready items under the locks and write the accepted ones in bulk. An item that would
    renumber later doses (a paper dose dated before them) is left to the caller (`deferred`)."""
    rules_by_code = catalogue_rules()
    actor_id = actor.pk
    accepted: list[tuple[_Ready, Dose]] = []
    lines: list[dict[str, int]] = []  # each accepted dose's stock line: quantity, sequence, balance
    with transaction.atomic():
        if ready:
            person_ids = sorted({r.person.pk for r in ready})
            facility_ids = sorted({r.facility.pk for r in ready})
            lot_ids = sorted({r.lot.pk for r in ready})
            # Lock the persons, then the holdings, each in primary-key order (the order dose_record uses),
            # and read the histories and the stock inside the locks: one round trip on PostgreSQL.
            locked, _holdings, history_found, stock_found = read_all(
                _persons_lock_read(person_ids),
                holdings_lock_read(facility_ids=facility_ids, lot_ids=lot_ids),
                persons_history_read(person_ids),
                stock_positions_read(facility_ids=facility_ids, lot_ids=lot_ids),
            )
            history = defaultdict(list, history_found)
            stock: defaultdict[tuple[int, int], Position] = defaultdict(Position, stock_found)
            for r in ready:
                # The keys once (`.pk` is a property call; a batch reads each of them several times).
                person_id, pair = r.person.id, (r.facility.id, r.lot.id)
                try:
                    person_gate(locked[person_id])
                    source = items[r.index].source
                    decision = rules.check_dose(
                        history[person_id],
                        r.vaccine.code,
                        r.administered_on,
                        rules_by_code,
                        back_entry=source == Dose.Source.BACK_ENTRY,
                    )
                    if not decision.ok:
                        raise _rule_refusal(decision)
                    if decision.later:
                        deferred.append(r.index)
                        continue
                    assert decision.number is not None
                    line = stock[pair].line(-1)
                except DomainError as exc:
                    refused[r.index] = exc
                    continue
                lines.append(line)
                stock[pair] = stock[pair].after(-1)
                history[person_id].append(rules.PriorDose(day=r.administered_on, vaccine_code=r.vaccine.code))
                dose = _new_dose(
                    {
                        "person_id": person_id,
                        "vaccine_id": r.vaccine.id,
                        "lot_id": pair[1],
                        "dose_number": decision.number,
                        "administered_at": r.administered_at,
                        "administered_on": r.administered_on,
                        "facility_id": pair[0],
                        "vaccinator_id": r.vaccinator.pk if r.vaccinator else None,
                        "recorded_by_id": actor_id,
                        "recorded_at": now,
                        "source": items[r.index].source,
                        "screening_id": r.screening.pk if r.screening else None,
                        "appointment_id": r.screening.appointment_id if r.screening else None,
                        "idempotency_key": items[r.index].key,
                    },
                    # What the answer shows (dose_out) and the audit reads, without a query.
                    {
                        "person": r.person,
                        "lot": r.lot,
                        "facility": r.facility,
                        "screening": r.screening,
                        "vaccinator": r.vaccinator,
                    },
                )
                accepted.append((r, dose))
        doses = [d for _, d in accepted]
        bulk_insert(doses)  # COPY on PostgreSQL (vaxbook/common/bulk.py); bulk_create elsewhere
        bulk_insert(
            [
                _new_movement(
                    {
                        "facility_id": d.facility_id,
                        "lot_id": d.lot_id,
                        "kind": StockMovement.Kind.USED,
                        **line,
                        "at": d.administered_at,
                        "reference": str(d.public_id),
                        "recorded_by_id": actor.pk,
                    }
                )
                for d, line in zip(doses, lines, strict=True)
            ],
            keys=False,  # nobody reads a movement, an event or a record back: no keys to draw first
        )
        groups = Counter((d.facility_id, d.vaccine_id, d.administered_on, d.dose_number) for d in doses)
        for (f, v, day, number), n in sorted(groups.items()):
            _counter_add(facility_id=f, vaccine_id=v, day=day, dose_number=number, delta=n)
        appointment_ids = [d.appointment_id for d in doses if d.appointment_id]
        if appointment_ids:
            Appointment.objects.filter(pk__in=appointment_ids).exclude(status=Appointment.Status.CANCELLED).update(
                status=Appointment.Status.VACCINATED, updated_at=now
            )
        bulk_insert(
            audit_event_objects(
                actor=actor, action="clinic.dose.recorded", subjects=list(doses), data=[_dose_audit(d) for d in doses]
            ),
            keys=False,
        )
        results: dict[int, ItemResult] = {}
        for (r, _), d in zip(accepted, doses, strict=True):
            results[r.index] = ItemResult(key=items[r.index].key, status=201, payload=render(d))
        for i, refusal in refused.items():
            results[i] = _refusal_result(items[i].key, refusal)
        bulk_insert(
            [
                new_record(
                    user=actor, scope=DOSE_SCOPE, key=res.key, digest=digests[i], answer=(res.status, res.payload)
                )
                for i, res in results.items()
            ],
            keys=False,
        )
    return results


def _batch_one_by_one(
    *,
    actor: Any,
    items: Sequence[DoseItem],
    indexes: list[int],
    render: Callable[[Dose], dict[str, Any]],
    now: datetime,
) -> dict[int, ItemResult]:
    from vaxbook.clinic.selectors import dose_inputs
    from vaxbook.common.idempotency import idempotent_call

    results: dict[int, ItemResult] = {}
    for i in indexes:
        it = items[i]

        def run(it: DoseItem = it) -> tuple[int, Any]:
            inputs = dose_inputs(
                person_id=it.person_id,
                facility_id=it.facility_id,
                vaccine_code=it.vaccine_code,
                lot_number=it.lot_number,
                screening_id=it.screening_id,
                vaccinator_id=it.vaccinator_id,
            )
            dose = dose_record(
                actor=actor,
                administered_at=it.administered_at,
                source=it.source,
                idempotency_key=it.key,
                now=now,
                **inputs,
            )
            return 201, render(dose)

        try:
            status, payload = idempotent_call(user=actor, scope=DOSE_SCOPE, key=it.key, body=it.body, run=run)
        except DomainError as exc:
            status, payload = exc.status, exc.as_payload()
        results[i] = ItemResult(key=it.key, status=status, payload=payload)
    return results


# Adverse events ---------------------------------------------------------------------------------------


def adverse_event_problems(
    *,
    administered_at: datetime,
    onset_at: datetime | None,
    symptoms: str | None,
    outcome: str | None,
    now: datetime,
) -> list[ErrorItem]:
    """`rules.adverse_event_problems` with each problem's field and message. The page asks it too, so
    that a form refused for one field still shows the other fields' problems."""
    codes = rules.adverse_event_problems(
        administered_at=administered_at,
        onset_at=_aware(onset_at) if onset_at is not None else None,
        symptoms=symptoms,
        outcome=outcome,
        outcomes=AdverseEvent.Outcome.values,
        now=now,
    )
    return [item for code in codes for item in _RULE_REFUSALS[code]().errors]


def adverse_event_report(
    *,
    actor: Any,
    dose: Dose,
    onset_at: datetime,
    symptoms: str,
    serious: bool,
    outcome: str = AdverseEvent.Outcome.ONGOING,
    note: str = "",
    now: datetime | None = None,
) -> AdverseEvent:
    """Report a reaction after a dose. Staff of any facility may report (the person may turn up at a
    hospital); the event belongs to the dose's facility, and a serious one lands on its area's list."""
    scope = user_scope(user=actor)
    if not (scope.national or scope.facility_ids or oversees_facility(scope, dose.facility)):
        raise FacilityForbidden()
    now = now or timezone.now()
    onset_at = _aware(onset_at)
    symptoms = (symptoms or "").strip()
    if dose.status != Dose.Status.VALID:  # no report on a voided dose, whatever it says
        raise errors.DoseVoided()
    problems = adverse_event_problems(
        administered_at=dose.administered_at, onset_at=onset_at, symptoms=symptoms, outcome=outcome, now=now
    )
    if problems:
        raise DomainError(problems)
    with transaction.atomic():
        event = AdverseEvent.objects.create(
            dose=dose,
            person_id=dose.person_id,
            facility_id=dose.facility_id,
            onset_at=onset_at,
            symptoms=symptoms,
            serious=serious,
            outcome=outcome,
            reported_by=actor,
            reported_at=now,
            note=note,
        )
        audit_log(
            actor=actor,
            action="clinic.adverse_event.reported",
            subject=event,
            data={"dose": dose, "serious": serious, "outcome": outcome},
        )
    return event


def adverse_event_update(*, actor: Any, event: AdverseEvent, outcome: str, note: str | None = None) -> AdverseEvent:
    scope = user_scope(user=actor)
    facility = event.facility
    if not (oversees_facility(scope, facility) or scope.can_work_at(facility.pk, *FACILITY_STAFF)):
        raise FacilityForbidden()
    if outcome not in AdverseEvent.Outcome.values:
        raise errors.OutcomeInvalid()
    with transaction.atomic():
        before = {"outcome": event.outcome, "note": event.note}
        event.outcome = outcome
        if note is not None:
            event.note = note
        event.save(update_fields=["outcome", "note", "updated_at"])
        audit_log(
            actor=actor,
            action="clinic.adverse_event.updated",
            subject=event,
            data={"before": before, "outcome": outcome},
        )
    return event
