"""The vaccination-day part of the demo: vaccines, the screening checklist, lots at every demo unit
(one expired, one nearly out), sessions today and tomorrow at the hospital with their invitations,
about 150 persons whose second dose is due (first doses entered from paper 8 to 12 weeks ago), three
doses given in the last half hour (so the observation list shows someone), and a few adverse events,
one of them serious.

`vaxbook.common.demo.demo_load` calls `clinic_demo_load` at the end of every run: it is idempotent
(a second run finds the hospital's demo lot and changes nothing), deterministic (`random.Random(SEED)`
and today's date) and goes through the same services as every other door, as the demo's users
(`clerk` and `vaccinator` of the hospital; `clerk2` of the station; `admin` elsewhere).
"""

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Protocol

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from vaxbook.accounts.models import User
from vaxbook.clinic import selectors, services
from vaxbook.clinic.models import Dose
from vaxbook.places.models import Facility
from vaxbook.registry.models import Person
from vaxbook.vaccines.models import Lot, Vaccine
from vaxbook.vaccines.services import lot_receive, vaccines_load

SEED = 2021
DUE_PERSONS = 150
COMIRNATY = "EU/1/20/1528"
VAXZEVRIA = "EU/1/21/1529"
SPIKEVAX = "EU/1/20/1507"
#: the hospital's main lot: its presence means the clinic demo is loaded
MARKER_LOT = "FK5127"
HOSPITAL = "75-BVDK"


class Writer(Protocol):
    def write(self, msg: str, /) -> Any: ...


@dataclass(frozen=True)
class LotSpec:
    facility: str
    vaccine: str
    number: str
    expiry_days: int  # from today
    quantity: int
    received_days_ago: int


LOTS = [
    LotSpec(HOSPITAL, COMIRNATY, MARKER_LOT, 180, 1200, 100),
    LotSpec(HOSPITAL, VAXZEVRIA, "ABV6023", 120, 400, 100),
    LotSpec(HOSPITAL, SPIKEVAX, "3004215", 90, 200, 30),
    LotSpec(HOSPITAL, VAXZEVRIA, "ABV5811", 45, 2, 20),  # nearly out: 2 doses left
    LotSpec(HOSPITAL, COMIRNATY, "FJ8761", -10, 30, 200),  # expired ten days ago, 30 doses still on the shelf
    LotSpec("75-TTYT-BH", COMIRNATY, MARKER_LOT, 180, 500, 60),
    LotSpec("75-TTYT-BH", VAXZEVRIA, "ABV6023", 120, 300, 60),
    LotSpec("75-TTYT-LK", SPIKEVAX, "3004216", 100, 300, 40),
    LotSpec("75-TYT-TAMHIEP", COMIRNATY, "FK5130", 150, 200, 14),
]

ADVERSE_EVENTS = [
    # (hours after the dose, symptoms, serious, outcome)
    (1, "Phản vệ độ 2: khó thở, nổi mề đay toàn thân, tụt huyết áp; chuyển cấp cứu", True, "hospitalized"),
    (6, "Sốt 38,2°C, đau tại chỗ tiêm", False, "recovered"),
    (3, "Đau đầu, mệt mỏi", False, "recovered"),
    (20, "Sưng đỏ tại chỗ tiêm, đau cơ", False, "recovered"),
]


def _say(stdout: Writer | None, line: str) -> None:
    if stdout is not None:
        stdout.write(f"{line}\n")


def _local(day: date, at: time) -> datetime:
    return timezone.make_aware(datetime.combine(day, at))


def clinic_demo_load(*, stdout: Writer | None = None) -> None:
    """Load the clinic demo once (see the module docstring); a second call only says so."""
    facilities = {f.code: f for f in Facility.objects.filter(code__in={spec.facility for spec in LOTS})}
    users = {u.username: u for u in User.objects.filter(username__in=["admin", "clerk", "clerk2", "vaccinator"])}
    hospital = facilities.get(HOSPITAL)
    if hospital is None or not {"admin", "clerk", "vaccinator"} <= set(users):
        _say(stdout, _("Clinic demo: the demo units and users are missing; load the demo first."))
        return
    if Lot.objects.filter(number=MARKER_LOT, vaccine__code=COMIRNATY, holdings__facility=hospital).exists():
        _say(stdout, _("Clinic demo: already loaded."))
        return
    with transaction.atomic():
        summary = _load(facilities=facilities, users=users, hospital=hospital)
    _say(
        stdout,
        _(
            "Clinic demo: %(lots)d lots, %(sessions)d sessions with %(invited)d invitations, %(due)d persons "
            "due for their second dose, %(live)d doses in the last half hour, %(events)d adverse events."
        )
        % summary,
    )


def _actor_for(code: str, users: dict[str, User]) -> User:
    if code == HOSPITAL:
        return users["clerk"]
    if code == "75-TYT-TAMHIEP" and "clerk2" in users:
        return users["clerk2"]
    return users["admin"]


def _load(*, facilities: dict[str, Facility], users: dict[str, User], hospital: Facility) -> dict[str, int]:
    rng = random.Random(SEED)
    now = timezone.now()
    today = timezone.localdate(now)
    vaccines_load()
    services.screening_questions_load()
    catalogue = {v.code: v for v in Vaccine.objects.filter(code__in=[COMIRNATY, VAXZEVRIA, SPIKEVAX])}

    lots: dict[tuple[str, str], Lot] = {}
    for spec in LOTS:
        facility = facilities.get(spec.facility)
        if facility is None:
            continue
        movement = lot_receive(
            actor=_actor_for(spec.facility, users),
            facility=facility,
            vaccine=catalogue[spec.vaccine],
            number=spec.number,
            expiry=today + timedelta(days=spec.expiry_days),
            quantity=spec.quantity,
            note=_("Demo delivery"),
            at=now - timedelta(days=spec.received_days_ago),
        )
        lots[(spec.facility, spec.number)] = movement.lot

    # Persons whose second dose is due: complete adults of the hospital's catchment, then anyone.
    adult = today.replace(year=today.year - 18)
    complete = Person.objects.filter(
        data_status=Person.DataStatus.COMPLETE, merged_into__isnull=True, date_of_birth__lte=adult
    ).order_by("search_name", "date_of_birth", "id_number", "public_id")
    catchment = list(hospital.catchment.values_list("pk", flat=True))
    chosen = list(complete.filter(ward_id__in=catchment)[:DUE_PERSONS])
    if len(chosen) < DUE_PERSONS:
        chosen += list(complete.exclude(pk__in=[p.pk for p in chosen])[: DUE_PERSONS - len(chosen)])
    vaccinator = users["vaccinator"]
    first_doses: list[Dose] = []
    for i, person in enumerate(chosen):
        lot = lots[(HOSPITAL, MARKER_LOT)] if i % 3 else lots[(HOSPITAL, "ABV6023")]
        day = today - timedelta(days=rng.randint(56, 84))
        at = _local(day, time(7, 30)) + timedelta(minutes=rng.randint(0, 8 * 60))
        first_doses.append(
            services.dose_record(
                actor=vaccinator,
                person=person,
                facility=hospital,
                vaccine=lot.vaccine,
                lot=lot,
                administered_at=at,
                source=Dose.Source.BACK_ENTRY,
            )
        )

    # Sessions at the hospital: today (Comirnaty second doses) and tomorrow (workers, Vaxzevria).
    clerk = users["clerk"]
    today_session = services.session_create(
        actor=clerk,
        facility=hospital,
        date=today,
        starts_at=time(7, 30),
        ends_at=time(16, 30),
        vaccine=catalogue[COMIRNATY],
        capacity=120,
        note=_("Second doses"),
    )
    comirnaty_due = [d.person for d in first_doses if d.vaccine_id == catalogue[COMIRNATY].pk]
    invited = services.appointments_invite(
        actor=clerk, session=today_session, person_ids=[p.public_id for p in comirnaty_due[:40]]
    )
    tomorrow_session = services.session_create(
        actor=clerk,
        facility=hospital,
        date=today + timedelta(days=1),
        starts_at=time(7, 30),
        ends_at=time(11, 30),
        vaccine=catalogue[VAXZEVRIA],
        capacity=60,
        priority_groups=["9"],
        note=_("Workers of the industrial parks"),
    )
    invited_tomorrow = services.appointments_invite(actor=clerk, session=tomorrow_session, priority_group="9")

    # Three second doses in the last half hour: checked in, screened, vaccinated (the observation list).
    live = 0
    all_no = {q.code: False for q in selectors.screening_questions()}
    for minutes_ago, person in zip((22, 12, 4), comirnaty_due[:3], strict=False):
        at = now - timedelta(minutes=minutes_ago)
        if timezone.localdate(at - timedelta(minutes=5)) != today:
            continue  # just after midnight: no live doses "today" yet
        services.checkin(actor=vaccinator, facility=hospital, person_id=person.public_id, now=at - timedelta(minutes=5))
        screening = services.screening_record(
            actor=vaccinator, person=person, facility=hospital, answers=all_no, now=at - timedelta(minutes=3)
        )
        services.dose_record(
            actor=vaccinator,
            person=person,
            facility=hospital,
            vaccine=catalogue[COMIRNATY],
            lot=lots[(HOSPITAL, MARKER_LOT)],
            administered_at=at,
            source=Dose.Source.LIVE,
            screening=screening,
            idempotency_key=f"demo-live-{person.public_id}",
        )
        live += 1

    # Adverse events after some of the first doses (the last one serious).
    events = 0
    step = max(1, (len(first_doses) - 3) // len(ADVERSE_EVENTS))
    for dose, (hours, symptoms, serious, outcome) in zip(first_doses[3::step], ADVERSE_EVENTS, strict=False):
        services.adverse_event_report(
            actor=vaccinator,
            dose=dose,
            onset_at=dose.administered_at + timedelta(hours=hours),
            symptoms=symptoms,
            serious=serious,
            outcome=outcome,
            now=dose.administered_at + timedelta(hours=hours + 2),
        )
        events += 1

    return {
        "lots": len(lots),
        "sessions": 2,
        "invited": len(invited.created) + len(invited_tomorrow.created),
        "due": len(first_doses),
        "live": live,
        "events": events,
    }
