"""The clinic services: the gate, screening, doses and their refusals, voids, check-in, sessions, AEFI.

Cast (conftest): facility A (ward 1) with clerk_a, vaccinator_a, manager_a; facility B (ward 2) with
clerk_b; `officer` oversees the province of both; `admin` is national; `person` is complete.
"""

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from vaxbook.clinic import services
from vaxbook.clinic.models import AdverseEvent, Appointment, Dose, DoseCounter
from vaxbook.clinic.selectors import history_doses
from vaxbook.clinic.tests import factories as f
from vaxbook.clinic.tests.fixtures import COMIRNATY, JCOVDEN, SPIKEVAX, VAXZEVRIA
from vaxbook.common.errors import DomainError
from vaxbook.common.models import AuditEvent, SentMessage
from vaxbook.registry.models import Person
from vaxbook.registry.tokens import person_qr_token
from vaxbook.vaccines.models import StockMovement
from vaxbook.vaccines.selectors import stock_on_hand

pytestmark = pytest.mark.django_db


def codes(exc: pytest.ExceptionInfo[DomainError]) -> list[str]:
    return exc.value.codes


def on_hand(facility: Any, lot: Any) -> int:
    return stock_on_hand(facility_id=facility.pk, lot_id=lot.pk)


def counter(facility: Any, vaccine: Any, number: int = 1) -> int:
    row = DoseCounter.objects.filter(facility=facility, vaccine=vaccine, dose_number=number).first()
    return row.count if row else 0


def record(actor: Any, person: Any, facility: Any, lot: Any, **kw: Any) -> Dose:
    values: dict[str, Any] = {
        "administered_at": timezone.now(),
        "source": "live",
        "screening": None,
        "vaccine": lot.vaccine,
    }
    values.update(kw)
    return services.dose_record(actor=actor, person=person, facility=facility, lot=lot, **values)


# The gate --------------------------------------------------------------------------------------------


def test_an_incomplete_record_cannot_be_screened(
    catalogue: Any, vaccinator_a: Any, facility_a: Any, all_no: Any
) -> None:
    person = f.incomplete_person()
    with pytest.raises(DomainError) as exc:
        services.screening_record(actor=vaccinator_a, person=person, facility=facility_a, answers=all_no)
    assert codes(exc) == ["person_data_incomplete"]
    assert exc.value.extra["missing"] == ["phone", "ward_code"]


def test_an_incomplete_record_cannot_be_vaccinated_even_back_entered(
    catalogue: Any, vaccinator_a: Any, facility_a: Any, lot_a: Any
) -> None:
    person = f.incomplete_person()
    with pytest.raises(DomainError) as exc:
        record(vaccinator_a, person, facility_a, lot_a, source="back_entry")
    assert codes(exc) == ["person_data_incomplete"]
    assert Dose.objects.count() == 0


def test_an_invalid_record_cannot_be_vaccinated(vaccinator_a: Any, facility_a: Any, lot_a: Any) -> None:
    person = f.PersonFactory(
        data_status="invalid", problems=[{"field": "id_number", "code": "id_number_year_mismatch", "kind": "invalid"}]
    )
    with pytest.raises(DomainError) as exc:
        record(vaccinator_a, person, facility_a, lot_a, source="back_entry")
    assert codes(exc) == ["person_data_invalid"]
    assert exc.value.extra["problems"][0]["code"] == "id_number_year_mismatch"


def test_the_gate_is_checked_again_inside_the_lock(vaccinator_a: Any, facility_a: Any, lot_a: Any, person: Any) -> None:
    """The record became incomplete after the desk loaded it: the locked re-read refuses."""
    Person.objects.filter(pk=person.pk).update(data_status="incomplete", problems=[])
    with pytest.raises(DomainError) as exc:
        record(vaccinator_a, person, facility_a, lot_a, source="back_entry")
    assert codes(exc) == ["person_data_incomplete"]


# Screening -------------------------------------------------------------------------------------------


def test_screening_keeps_answers_outcome_and_reasons(screen: Any, person: Any) -> None:
    screening = screen(person, pregnant=True, fever=True)
    assert screening.outcome == "postpone"
    assert screening.reasons == ["fever", "pregnant"]
    assert screening.answers["fever"] is True and screening.answers["anaphylaxis_history"] is False
    assert AuditEvent.objects.filter(action="clinic.screening.recorded", subject_id=str(screening.public_id)).exists()


@pytest.mark.parametrize(
    ("yes", "outcome"),
    [
        ("anaphylaxis_history", "refer"),
        ("prior_dose_allergy", "refer"),
        ("acute_illness", "postpone"),
        ("covid_last_3_months", "postpone"),
        ("other_vaccine_14_days", "postpone"),
        ("abnormal_vitals", "postpone"),
        ("immunosuppressed", "precaution"),
        ("pregnant", "precaution"),
        ("bleeding_disorder", "precaution"),
        ("age_65_plus", "precaution"),
    ],
)
def test_the_moh_checklist(screen: Any, person: Any, yes: str, outcome: str) -> None:
    assert screen(person, **{yes: True}).outcome == outcome


def test_screening_refuses_missing_answers(vaccinator_a: Any, facility_a: Any, person: Any, all_no: Any) -> None:
    answers = dict(all_no)
    del answers["fever"]
    with pytest.raises(DomainError) as exc:
        services.screening_record(actor=vaccinator_a, person=person, facility=facility_a, answers=answers)
    assert codes(exc) == ["screening_answers_missing"]
    assert exc.value.extra["missing"] == ["fever"]


def test_screening_refuses_unknown_questions(vaccinator_a: Any, facility_a: Any, person: Any, all_no: Any) -> None:
    with pytest.raises(DomainError) as exc:
        services.screening_record(
            actor=vaccinator_a, person=person, facility=facility_a, answers={**all_no, "made_up": True}
        )
    assert codes(exc) == ["screening_answer_unknown"]


def test_screening_at_another_facility_is_forbidden(clerk_b: Any, facility_a: Any, person: Any, all_no: Any) -> None:
    with pytest.raises(DomainError) as exc:
        services.screening_record(actor=clerk_b, person=person, facility=facility_a, answers=all_no)
    assert codes(exc) == ["facility_forbidden"]


# Recording a dose ---------------------------------------------------------------------------------------


def test_a_live_dose_moves_stock_counter_appointment_and_audit(
    give: Any, person: Any, facility_a: Any, lot_a: Any, vaccinator_a: Any, comirnaty: Any
) -> None:
    session = f.SessionFactory(facility=facility_a, vaccine=comirnaty)
    appointment = Appointment.objects.create(session=session, person=person, source="registry")
    dose = give(person)
    assert (dose.dose_number, dose.source, dose.status) == (1, "live", "valid")
    assert dose.vaccinator == vaccinator_a and dose.recorded_by == vaccinator_a
    assert dose.appointment == appointment
    assert on_hand(facility_a, lot_a) == 99
    movement = StockMovement.objects.get(kind="used")
    assert (movement.quantity, movement.reference) == (-1, str(dose.public_id))
    assert counter(facility_a, comirnaty) == 1
    appointment.refresh_from_db()
    assert appointment.status == "vaccinated"
    event = AuditEvent.objects.get(action="clinic.dose.recorded")
    assert event.subject_id == str(dose.public_id) and event.actor == vaccinator_a
    assert event.data["dose_number"] == 1


def test_a_back_entered_dose_keeps_its_entry_delay(vaccinator_a: Any, facility_a: Any, lot_a: Any, person: Any) -> None:
    at = timezone.now() - timedelta(days=3)
    dose = record(vaccinator_a, person, facility_a, lot_a, administered_at=at, source="back_entry")
    assert dose.entry_delay >= timedelta(days=3)
    assert dose.screening is None


def test_the_dose_number_follows_the_valid_history(give: Any, person: Any) -> None:
    first = give(person, at=timezone.now() - timedelta(days=200))
    second = give(person, at=timezone.now() - timedelta(days=170))
    third = give(person)
    assert [first.dose_number, second.dose_number, third.dose_number] == [1, 2, 3]


def test_a_data_clerk_records_for_a_named_vaccinator(
    clerk_a: Any, vaccinator_a: Any, facility_a: Any, lot_a: Any, person: Any
) -> None:
    dose = record(clerk_a, person, facility_a, lot_a, source="back_entry", vaccinator=vaccinator_a)
    assert (dose.vaccinator, dose.recorded_by) == (vaccinator_a, clerk_a)


def test_the_named_vaccinator_must_vaccinate_here(
    clerk_a: Any, clerk_b: Any, facility_a: Any, lot_a: Any, person: Any
) -> None:
    with pytest.raises(DomainError) as exc:
        record(clerk_a, person, facility_a, lot_a, source="back_entry", vaccinator=clerk_b)
    assert codes(exc) == ["vaccinator_invalid"]


def test_live_dose_without_screening(vaccinator_a: Any, facility_a: Any, lot_a: Any, person: Any) -> None:
    with pytest.raises(DomainError) as exc:
        record(vaccinator_a, person, facility_a, lot_a)
    assert codes(exc) == ["screening_required"]


def test_live_dose_with_another_persons_screening(
    screen: Any, vaccinator_a: Any, facility_a: Any, lot_a: Any, person: Any
) -> None:
    other = f.PersonFactory()
    with pytest.raises(DomainError) as exc:
        record(vaccinator_a, person, facility_a, lot_a, screening=screen(other))
    assert codes(exc) == ["screening_required"]


def test_live_dose_with_yesterdays_screening(vaccinator_a: Any, facility_a: Any, lot_a: Any, person: Any) -> None:
    yesterday = timezone.now() - timedelta(days=1)
    old = f.ScreeningFactory(person=person, facility=facility_a, screened_at=yesterday)
    with pytest.raises(DomainError) as exc:
        record(vaccinator_a, person, facility_a, lot_a, screening=old)
    assert codes(exc) == ["screening_required"]


@pytest.mark.parametrize("answer", ["fever", "anaphylaxis_history"])
def test_live_dose_after_a_not_eligible_screening(
    screen: Any, vaccinator_a: Any, facility_a: Any, lot_a: Any, person: Any, answer: str
) -> None:
    with pytest.raises(DomainError) as exc:
        record(vaccinator_a, person, facility_a, lot_a, screening=screen(person, **{answer: True}))
    assert codes(exc) == ["screening_not_eligible"]


def test_a_precaution_screening_allows_the_dose(
    screen: Any, vaccinator_a: Any, facility_a: Any, lot_a: Any, person: Any
) -> None:
    dose = record(vaccinator_a, person, facility_a, lot_a, screening=screen(person, pregnant=True))
    assert dose.dose_number == 1


def test_lot_of_another_vaccine(vaccinator_a: Any, facility_a: Any, lot_a: Any, person: Any, catalogue: Any) -> None:
    with pytest.raises(DomainError) as exc:
        record(vaccinator_a, person, facility_a, lot_a, source="back_entry", vaccine=catalogue[SPIKEVAX])
    assert codes(exc) == ["lot_vaccine_mismatch"]


def test_lot_expired_on_the_administered_date(vaccinator_a: Any, facility_a: Any, comirnaty: Any, person: Any) -> None:
    lot = f.LotFactory(vaccine=comirnaty, expiry=timezone.localdate() - timedelta(days=1))
    f.stock(facility_a, lot, 10)
    with pytest.raises(DomainError) as exc:
        record(vaccinator_a, person, facility_a, lot, source="back_entry")
    assert codes(exc) == ["lot_expired"]
    # ...but a dose given before the expiry may be back-entered.
    dose = record(
        vaccinator_a, person, facility_a, lot, source="back_entry", administered_at=timezone.now() - timedelta(days=2)
    )
    assert dose.dose_number == 1


def test_out_of_stock_here(vaccinator_a: Any, facility_a: Any, facility_b: Any, comirnaty: Any, person: Any) -> None:
    lot = f.LotFactory(vaccine=comirnaty)
    f.stock(facility_b, lot, 10)  # the lot is at B, not at A
    with pytest.raises(DomainError) as exc:
        record(vaccinator_a, person, facility_a, lot, source="back_entry")
    assert codes(exc) == ["out_of_stock"]


def test_out_of_stock_when_the_ledger_is_used_up(vaccinator_a: Any, facility_a: Any, comirnaty: Any) -> None:
    lot = f.LotFactory(vaccine=comirnaty)
    f.stock(facility_a, lot, 1)
    record(vaccinator_a, f.PersonFactory(), facility_a, lot, source="back_entry")
    with pytest.raises(DomainError) as exc:
        record(vaccinator_a, f.PersonFactory(), facility_a, lot, source="back_entry")
    assert codes(exc) == ["out_of_stock"]
    assert on_hand(facility_a, lot) == 0


def test_too_soon_after_the_previous_dose(give: Any, person: Any) -> None:
    first = give(person, at=timezone.now() - timedelta(days=10))
    with pytest.raises(DomainError) as exc:
        give(person)
    assert codes(exc) == ["dose_too_soon"]
    assert exc.value.extra["earliest_date"] == (first.administered_on + timedelta(days=21)).isoformat()


def test_booster_not_due(give: Any, person: Any) -> None:
    give(person, at=timezone.now() - timedelta(days=100))
    second = give(person, at=timezone.now() - timedelta(days=60))
    with pytest.raises(DomainError) as exc:
        give(person)
    assert codes(exc) == ["booster_not_due"]
    assert exc.value.extra["earliest_date"] == (second.administered_on + timedelta(days=90)).isoformat()


def test_vaccine_not_allowed_for_the_series(
    give: Any, person: Any, vaccinator_a: Any, facility_a: Any, catalogue: Any
) -> None:
    give(person, at=timezone.now() - timedelta(days=60))  # Comirnaty
    lot = f.LotFactory(vaccine=catalogue[VAXZEVRIA])
    f.stock(facility_a, lot, 10)
    with pytest.raises(DomainError) as exc:
        record(vaccinator_a, person, facility_a, lot, source="back_entry")
    assert codes(exc) == ["vaccine_not_allowed"]


def test_a_mixed_schedule_the_ministry_allowed(
    person: Any, vaccinator_a: Any, facility_a: Any, catalogue: Any, lot_a: Any
) -> None:
    az = f.LotFactory(vaccine=catalogue[VAXZEVRIA])
    f.stock(facility_a, az, 10)
    record(
        vaccinator_a, person, facility_a, az, source="back_entry", administered_at=timezone.now() - timedelta(days=60)
    )
    dose = record(vaccinator_a, person, facility_a, lot_a, source="back_entry")  # Comirnaty as dose 2
    assert dose.dose_number == 2


def test_a_second_dose_the_same_day_is_a_duplicate(give: Any, person: Any) -> None:
    give(person, at=timezone.now() - timedelta(hours=2))
    with pytest.raises(DomainError) as exc:
        give(person)
    assert codes(exc) == ["dose_duplicate"]
    assert exc.value.status == 409


def test_a_paper_dose_dated_before_the_latest_one_takes_its_place(give: Any, person: Any, facility_a: Any) -> None:
    """The paper backlog: a dose given 60 days ago, entered after one given 30 days ago, becomes dose 1;
    the later one is renumbered 2, its counter moved with it, and the audit says why. One that would put
    the later dose too soon after it is for a person to check against the card, not entered."""
    later = give(person, at=timezone.now() - timedelta(days=30))
    assert later.dose_number == 1
    with pytest.raises(DomainError) as exc:
        give(person, at=timezone.now() - timedelta(days=40))  # 10 days before it: Pfizer wants 21
    assert codes(exc) == ["dose_conflicts_with_later"]
    assert exc.value.extra["earliest_date"] == later.administered_on.isoformat()
    paper = give(person, at=timezone.now() - timedelta(days=60))
    assert paper.dose_number == 1
    later.refresh_from_db()
    assert later.dose_number == 2
    counters = dict(
        DoseCounter.objects.filter(facility=facility_a, date=later.administered_on).values_list("dose_number", "count")
    )
    assert counters.get(1, 0) == 0 and counters[2] == 1
    event = AuditEvent.objects.get(action="clinic.dose.renumbered")
    assert (event.subject_id, event.data) == (
        str(later.public_id),
        {"from": 1, "to": 2, "because_of": str(paper.public_id), "cause": "recorded"},
    )
    assert list(
        Dose.objects.filter(person=person).order_by("administered_on").values_list("dose_number", flat=True)
    ) == [
        1,
        2,
    ]


def test_administered_in_the_future(vaccinator_a: Any, facility_a: Any, lot_a: Any, person: Any) -> None:
    with pytest.raises(DomainError) as exc:
        record(
            vaccinator_a,
            person,
            facility_a,
            lot_a,
            source="back_entry",
            administered_at=timezone.now() + timedelta(hours=1),
        )
    assert codes(exc) == ["administered_in_future"]


def test_administered_before_birth(vaccinator_a: Any, facility_a: Any, lot_a: Any) -> None:
    baby = f.PersonFactory(date_of_birth=timezone.localdate() - timedelta(days=3))
    with pytest.raises(DomainError) as exc:
        record(
            vaccinator_a,
            baby,
            facility_a,
            lot_a,
            source="back_entry",
            administered_at=timezone.now() - timedelta(days=5),
        )
    assert codes(exc) == ["administered_before_birth"]


def test_unknown_source(vaccinator_a: Any, facility_a: Any, lot_a: Any, person: Any) -> None:
    with pytest.raises(DomainError) as exc:
        record(vaccinator_a, person, facility_a, lot_a, source="carrier_pigeon")
    assert codes(exc) == ["source_invalid"]


def test_it_rejects_a_dose_at_another_facility(clerk_b: Any, facility_a: Any, lot_a: Any, person: Any) -> None:
    with pytest.raises(DomainError) as exc:
        record(clerk_b, person, facility_a, lot_a, source="back_entry")
    assert codes(exc) == ["facility_forbidden"]
    assert exc.value.status == 403


def test_an_officer_may_not_record_doses(officer: Any, facility_a: Any, lot_a: Any, person: Any, rep: Any) -> None:
    with pytest.raises(DomainError) as exc:
        record(officer, person, facility_a, lot_a, source="back_entry")
    assert codes(exc) == ["role_forbidden"]
    with pytest.raises(DomainError) as exc:
        record(rep, person, facility_a, lot_a, source="back_entry")
    assert codes(exc) == ["facility_forbidden"]


# Void -------------------------------------------------------------------------------------------------------


def test_void_reverses_stock_and_counter_and_is_audited(
    give: Any, person: Any, clerk_a: Any, facility_a: Any, lot_a: Any, comirnaty: Any
) -> None:
    dose = give(person)
    services.dose_void(actor=clerk_a, dose=dose, reason="wrong person")
    dose.refresh_from_db()
    assert (dose.status, dose.void_reason, dose.voided_by) == ("voided", "wrong person", clerk_a)
    assert on_hand(facility_a, lot_a) == 100
    reversal = StockMovement.objects.get(kind="void_reversal")
    assert (reversal.quantity, reversal.reference) == (1, str(dose.public_id))
    assert counter(facility_a, comirnaty) == 0
    actions = set(AuditEvent.objects.filter(subject_id=str(dose.public_id)).values_list("action", flat=True))
    assert actions == {"clinic.dose.recorded", "clinic.dose.voided"}
    assert Dose.objects.filter(pk=dose.pk).exists()  # never deleted
    # The person may now get a dose again the same day.
    assert give(person).dose_number == 1


def test_void_twice(give: Any, person: Any, clerk_a: Any) -> None:
    dose = give(person)
    services.dose_void(actor=clerk_a, dose=dose, reason="typo")
    with pytest.raises(DomainError) as exc:
        services.dose_void(actor=clerk_a, dose=dose, reason="typo")
    assert codes(exc) == ["dose_already_voided"]


def test_void_needs_a_reason(give: Any, person: Any, clerk_a: Any) -> None:
    with pytest.raises(DomainError) as exc:
        services.dose_void(actor=clerk_a, dose=give(person), reason="  ")
    assert codes(exc) == ["void_reason_required"]


def numbers(person: Any) -> list[tuple[str, int, str]]:
    """The person's doses, theirs and their merged records', in date order: (date, number, status)."""
    doses = history_doses(person.pk).order_by("administered_on")
    return [(d.administered_on.isoformat(), d.dose_number, d.status) for d in doses]


def counters_on(facility: Any, day: Any) -> dict[int, int]:
    found = DoseCounter.objects.filter(facility=facility, date=day).values_list("dose_number", "count")
    return {number: count for number, count in found if count}


def test_voiding_an_earlier_dose_numbers_the_later_ones_down(
    give: Any, person: Any, clerk_a: Any, facility_a: Any
) -> None:
    """A dose recorded wrongly before others (the wrong person's, or the same dose twice) is voided like
    any other; the doses after it are numbered one down, their counters moved, each renumbering audited."""
    first = give(person, at=timezone.now() - timedelta(days=300))
    second = give(person, at=timezone.now() - timedelta(days=270))
    third = give(person)  # a booster
    services.dose_void(actor=clerk_a, dose=first, reason="another person's dose")
    day = lambda d: d.administered_on.isoformat()  # noqa: E731
    assert numbers(person) == [(day(first), 1, "voided"), (day(second), 1, "valid"), (day(third), 2, "valid")]
    assert counters_on(facility_a, second.administered_on) == {1: 1}
    assert counters_on(facility_a, third.administered_on) == {2: 1}
    events = AuditEvent.objects.filter(action="clinic.dose.renumbered").order_by("id")
    assert [(e.subject_id, e.data) for e in events] == [
        (str(second.public_id), {"from": 2, "to": 1, "because_of": str(first.public_id), "cause": "voided"}),
        (str(third.public_id), {"from": 3, "to": 2, "because_of": str(first.public_id), "cause": "voided"}),
    ]


def test_a_merge_numbers_the_two_histories_as_one(give: Any, clerk_a: Any, facility_a: Any, catalogue: Any) -> None:
    """Two records of one person, each with a dose: merged, the doses are one history numbered by date
    (the survivor's dose, given after the duplicate's, becomes dose 2), counters and audit with it."""
    from vaxbook.registry.services import person_merge

    survivor, duplicate = f.PersonFactory(), f.PersonFactory()
    earlier = give(duplicate, at=timezone.now() - timedelta(days=60))
    later = give(survivor, at=timezone.now() - timedelta(days=30))
    person_merge(actor=clerk_a, duplicate=duplicate, into=survivor)
    day = lambda d: d.administered_on.isoformat()  # noqa: E731
    assert numbers(survivor) == [(day(earlier), 1, "valid"), (day(later), 2, "valid")]
    assert counters_on(facility_a, later.administered_on) == {2: 1}
    event = AuditEvent.objects.get(action="clinic.dose.renumbered")
    assert (event.subject_id, event.data) == (
        str(later.public_id),
        {"from": 1, "to": 2, "because_of": str(duplicate.public_id), "cause": "merged"},
    )
    # Voiding the duplicate's dose numbers the survivor's down again, under the survivor's lock.
    services.dose_void(actor=clerk_a, dose=earlier, reason="entered twice")
    assert numbers(survivor) == [(day(earlier), 1, "voided"), (day(later), 1, "valid")]
    assert counters_on(facility_a, later.administered_on) == {1: 1}


def test_a_merge_voids_the_same_dose_entered_twice(
    give: Any, clerk_a: Any, facility_a: Any, lot_a: Any, catalogue: Any
) -> None:
    """Two sites entered one dose on two records of the person (the seed's double entry): merged, the
    duplicate's entry of it is voided with its stock given back, so the history holds one dose and the
    next one due is dose 2, not a booster."""
    from vaxbook.registry.services import person_merge

    survivor, duplicate = f.PersonFactory(), f.PersonFactory()
    noon = timezone.localtime().replace(hour=12, minute=0) - timedelta(days=30)
    kept = give(survivor, at=noon)
    twice = give(duplicate, at=noon - timedelta(hours=2))  # the same day, at the other site's desk
    assert on_hand(facility_a, lot_a) == 98
    person_merge(actor=clerk_a, duplicate=duplicate, into=survivor)
    twice.refresh_from_db()
    assert twice.status == "voided" and str(kept.public_id) in twice.void_reason
    assert on_hand(facility_a, lot_a) == 99
    assert counters_on(facility_a, kept.administered_on) == {1: 1}
    event = AuditEvent.objects.get(action="clinic.dose.voided")
    assert (event.subject_id, event.data["cause"]) == (str(twice.public_id), "merged")
    assert [d.day for d in services.person_history(survivor.pk)] == [kept.administered_on]


def test_a_paper_dose_renumbers_a_merged_records_later_dose(
    give: Any, clerk_a: Any, facility_a: Any, catalogue: Any
) -> None:
    from vaxbook.registry.services import person_merge

    survivor, duplicate = f.PersonFactory(), f.PersonFactory()
    later = give(duplicate, at=timezone.now() - timedelta(days=30))
    person_merge(actor=clerk_a, duplicate=duplicate, into=survivor)
    paper = give(survivor, at=timezone.now() - timedelta(days=60))
    day = lambda d: d.administered_on.isoformat()  # noqa: E731
    assert numbers(survivor) == [(day(paper), 1, "valid"), (day(later), 2, "valid")]
    assert counters_on(facility_a, later.administered_on) == {2: 1}


def test_it_rejects_voiding_another_facilitys_dose(give: Any, person: Any, clerk_b: Any) -> None:
    with pytest.raises(DomainError) as exc:
        services.dose_void(actor=clerk_b, dose=give(person), reason="typo")
    assert codes(exc) == ["facility_forbidden"]


def test_after_seven_days_only_an_officer_or_admin_voids(
    give: Any, person: Any, clerk_a: Any, officer: Any, admin_user: Any, time_machine: Any
) -> None:
    dose = give(person)
    time_machine.shift(timedelta(days=8))
    with pytest.raises(DomainError) as exc:
        services.dose_void(actor=clerk_a, dose=dose, reason="late correction")
    assert codes(exc) == ["void_window_passed"]
    other_province = f.ProvinceFactory(code="01", name="Hà Nội")
    stranger = f.make_member(f.Role.AREA_OFFICER, admin_unit=other_province)
    with pytest.raises(DomainError) as exc:
        services.dose_void(actor=stranger, dose=dose, reason="late correction")
    assert codes(exc) == ["facility_forbidden"]
    services.dose_void(actor=officer, dose=dose, reason="late correction")
    assert Dose.objects.get(pk=dose.pk).status == "voided"


# Check-in ------------------------------------------------------------------------------------------------


def test_check_in_by_qr_token_shows_the_next_dose(clerk_a: Any, facility_a: Any, give: Any, person: Any) -> None:
    first = give(person, at=timezone.now() - timedelta(days=10))
    result = services.checkin(actor=clerk_a, facility=facility_a, token=person_qr_token(person))
    assert result.person == person
    assert (result.next_dose.number, result.due_now) == (2, False)
    assert result.next_dose.earliest == first.administered_on + timedelta(days=21)
    assert set(result.next_dose.vaccine_codes) == {COMIRNATY, SPIKEVAX}
    assert AuditEvent.objects.filter(action="clinic.person.checked_in").count() == 1


def test_check_in_by_id_number_phone_or_public_id(clerk_a: Any, facility_a: Any, person: Any, catalogue: Any) -> None:
    by_id = services.checkin(actor=clerk_a, facility=facility_a, id_number=person.id_number)
    by_phone = services.checkin(actor=clerk_a, facility=facility_a, phone="0" + person.phone[3:])
    by_uuid = services.checkin(actor=clerk_a, facility=facility_a, person_id=str(person.public_id))
    assert by_id.person == by_phone.person == by_uuid.person == person
    assert (by_id.next_dose.number, by_id.due_now) == (1, True)


def test_check_in_shows_an_incomplete_record_with_its_problems(clerk_a: Any, facility_a: Any, catalogue: Any) -> None:
    person = f.incomplete_person()
    result = services.checkin(actor=clerk_a, facility=facility_a, id_number=person.id_number)
    assert result.person.data_status == "incomplete"
    assert [p["code"] for p in result.person.problems] == ["phone_missing", "ward_missing"]


def test_check_in_with_a_shared_phone_lists_the_candidates(clerk_a: Any, facility_a: Any, catalogue: Any) -> None:
    a = f.PersonFactory(phone="+84912000111")
    b = f.PersonFactory(phone="+84912000111")
    with pytest.raises(DomainError) as exc:
        services.checkin(actor=clerk_a, facility=facility_a, phone="0912000111")
    assert codes(exc) == ["person_ambiguous"]
    assert {c["id"] for c in exc.value.extra["candidates"]} == {str(a.public_id), str(b.public_id)}


@pytest.mark.parametrize(
    "kwargs",
    [{"token": "P1.bogus.signature"}, {"id_number": "079999999999"}, {"phone": "0999999999"}],
)
def test_check_in_of_nobody(clerk_a: Any, facility_a: Any, catalogue: Any, kwargs: dict[str, str]) -> None:
    with pytest.raises(DomainError) as exc:
        services.checkin(actor=clerk_a, facility=facility_a, **kwargs)
    assert codes(exc) == ["person_not_found"]


def test_check_in_needs_exactly_one_identifier(clerk_a: Any, facility_a: Any, person: Any) -> None:
    with pytest.raises(DomainError) as exc:
        services.checkin(actor=clerk_a, facility=facility_a, id_number=person.id_number, phone=person.phone)
    assert codes(exc) == ["identifier_required"]


def test_it_rejects_check_in_at_another_facility(clerk_b: Any, facility_a: Any, person: Any) -> None:
    with pytest.raises(DomainError) as exc:
        services.checkin(actor=clerk_b, facility=facility_a, id_number=person.id_number)
    assert codes(exc) == ["facility_forbidden"]


def test_check_in_marks_the_appointment(clerk_a: Any, facility_a: Any, person: Any, comirnaty: Any) -> None:
    session = f.SessionFactory(facility=facility_a, vaccine=comirnaty)
    appointment = Appointment.objects.create(session=session, person=person, source="registry")
    result = services.checkin(actor=clerk_a, facility=facility_a, id_number=person.id_number)
    assert result.appointment == appointment
    appointment.refresh_from_db()
    assert appointment.status == "checked_in" and appointment.checked_in_at is not None


def test_a_walk_in_is_written_with_its_two_audit_events(
    clerk_a: Any, facility_a: Any, person: Any, comirnaty: Any
) -> None:
    session = f.SessionFactory(facility=facility_a, vaccine=comirnaty)
    result = services.checkin(actor=clerk_a, facility=facility_a, id_number=person.id_number)
    appointment = Appointment.objects.get(person=person)
    assert result.appointment == appointment and appointment.session == session
    assert (appointment.source, appointment.status, appointment.invited_by) == ("walk_in", "checked_in", clerk_a)
    walk_in = AuditEvent.objects.get(action="clinic.appointment.walk_in")
    assert (walk_in.subject_id, walk_in.data) == (str(appointment.public_id), {"session": str(session.public_id)})
    checked_in = AuditEvent.objects.get(action="clinic.person.checked_in")
    assert checked_in.data == {"facility": str(facility_a.public_id), "appointment": str(appointment.public_id)}


def test_a_walk_in_whose_appointment_was_cancelled_is_not_written_twice(
    clerk_a: Any, facility_a: Any, person: Any, comirnaty: Any
) -> None:
    """(session, person) is unique: the cancelled row wins, neither walk-in event is written with it,
    and the check-in is audited once, against the row that is there (which stays cancelled)."""
    session = f.SessionFactory(facility=facility_a, vaccine=comirnaty)
    cancelled = Appointment.objects.create(session=session, person=person, source="registry", status="cancelled")
    result = services.checkin(actor=clerk_a, facility=facility_a, id_number=person.id_number)
    assert result.appointment == cancelled and result.appointment.status == "cancelled"
    assert Appointment.objects.filter(person=person).count() == 1
    assert not AuditEvent.objects.filter(action="clinic.appointment.walk_in").exists()
    [event] = AuditEvent.objects.filter(action="clinic.person.checked_in")
    assert event.data["appointment"] == str(cancelled.public_id)


def test_an_invited_appointment_is_checked_in_once(clerk_a: Any, facility_a: Any, person: Any, comirnaty: Any) -> None:
    session = f.SessionFactory(facility=facility_a, vaccine=comirnaty)
    appointment = Appointment.objects.create(session=session, person=person, source="registry")
    first = services.checkin(actor=clerk_a, facility=facility_a, id_number=person.id_number)
    assert first.appointment is not None and first.appointment.status == "checked_in"
    stamped = Appointment.objects.get(pk=appointment.pk).checked_in_at
    later = timezone.now() + timedelta(minutes=5)
    again = services.checkin(actor=clerk_a, facility=facility_a, id_number=person.id_number, now=later)
    assert again.appointment is not None and again.appointment.checked_in_at == stamped
    assert Appointment.objects.get(pk=appointment.pk).checked_in_at == stamped
    assert AuditEvent.objects.filter(action="clinic.person.checked_in").count() == 2


def test_a_walk_in_gets_an_appointment_even_in_a_full_session(
    clerk_a: Any, facility_a: Any, person: Any, comirnaty: Any
) -> None:
    session = f.SessionFactory(facility=facility_a, vaccine=comirnaty, capacity=1)
    Appointment.objects.create(session=session, person=f.PersonFactory(), source="registry")
    result = services.checkin(actor=clerk_a, facility=facility_a, id_number=person.id_number)
    assert result.appointment is not None
    assert (result.appointment.source, result.appointment.status) == ("walk_in", "checked_in")


def test_without_a_session_today_there_is_no_appointment(
    clerk_a: Any, facility_a: Any, person: Any, catalogue: Any
) -> None:
    assert services.checkin(actor=clerk_a, facility=facility_a, id_number=person.id_number).appointment is None


# Sessions and invitations ----------------------------------------------------------------------------------


def test_session_create(manager_a: Any, facility_a: Any, comirnaty: Any, priority_group: Any) -> None:
    today = timezone.localdate()
    session = services.session_create(
        actor=manager_a,
        facility=facility_a,
        date=today,
        starts_at=timezone.datetime(2000, 1, 1, 7, 30).time(),
        ends_at=timezone.datetime(2000, 1, 1, 11, 30).time(),
        vaccine=comirnaty,
        capacity=200,
        priority_groups=[priority_group.code],
    )
    assert list(session.priority_groups.all()) == [priority_group]
    assert AuditEvent.objects.filter(action="clinic.session.created").exists()


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"capacity": 0}, "capacity_invalid"),
        ({"ends_at": timezone.datetime(2000, 1, 1, 7, 0).time()}, "session_window_invalid"),
        ({"days": -1}, "session_in_past"),
        ({"priority_groups": ["nope"]}, "priority_group_not_found"),
    ],
)
def test_session_create_refusals(
    manager_a: Any, facility_a: Any, comirnaty: Any, change: dict[str, Any], code: str
) -> None:
    values: dict[str, Any] = {
        "date": timezone.localdate() + timedelta(days=change.pop("days", 1)),
        "starts_at": timezone.datetime(2000, 1, 1, 7, 30).time(),
        "ends_at": timezone.datetime(2000, 1, 1, 11, 30).time(),
        "capacity": 10,
        **change,
    }
    with pytest.raises(DomainError) as exc:
        services.session_create(actor=manager_a, facility=facility_a, vaccine=comirnaty, **values)
    assert codes(exc) == [code]


def test_a_vaccinator_does_not_plan_sessions(vaccinator_a: Any, facility_a: Any, comirnaty: Any) -> None:
    with pytest.raises(DomainError) as exc:
        services.session_create(
            actor=vaccinator_a,
            facility=facility_a,
            date=timezone.localdate(),
            starts_at=timezone.datetime(2000, 1, 1, 7, 30).time(),
            ends_at=timezone.datetime(2000, 1, 1, 11, 30).time(),
            vaccine=comirnaty,
            capacity=10,
        )
    assert codes(exc) == ["role_forbidden"]


def test_invitations_are_sent_by_sms_on_commit(
    clerk_a: Any, facility_a: Any, comirnaty: Any, django_capture_on_commit_callbacks: Any
) -> None:
    session = f.SessionFactory(facility=facility_a, vaccine=comirnaty, capacity=5)
    people = [f.PersonFactory(), f.PersonFactory(), f.PersonFactory(phone="")]
    with django_capture_on_commit_callbacks(execute=True):
        result = services.appointments_invite(actor=clerk_a, session=session, person_ids=[p.public_id for p in people])
    assert len(result.created) == 3
    sent = list(SentMessage.objects.order_by("to"))
    assert sorted(m.to for m in sent) == sorted(p.phone for p in people if p.phone)
    assert all(facility_a.name in m.body for m in sent)
    assert Appointment.objects.filter(invitation_sent_at__isnull=False).count() == 2
    # A second run of the task does not send again.
    from vaxbook.clinic.tasks import appointments_send_invitations

    appointments_send_invitations.call([a.pk for a in result.created])
    assert SentMessage.objects.count() == 2


def test_named_persons_are_invited_all_or_none(clerk_a: Any, facility_a: Any, comirnaty: Any) -> None:
    session = f.SessionFactory(facility=facility_a, vaccine=comirnaty, capacity=2)
    with pytest.raises(DomainError) as exc:
        services.appointments_invite(
            actor=clerk_a, session=session, person_ids=[f.PersonFactory().public_id for _ in range(3)]
        )
    assert codes(exc) == ["session_full"]
    assert session.appointments.count() == 0


def test_inviting_again_skips_those_already_invited(clerk_a: Any, facility_a: Any, comirnaty: Any, person: Any) -> None:
    session = f.SessionFactory(facility=facility_a, vaccine=comirnaty, capacity=2)
    services.appointments_invite(actor=clerk_a, session=session, person_ids=[person.public_id])
    result = services.appointments_invite(actor=clerk_a, session=session, person_ids=[person.public_id])
    assert (len(result.created), result.already_invited) == (0, 1)


def test_a_priority_group_fills_the_free_places(
    clerk_a: Any, facility_a: Any, comirnaty: Any, ward1: Any, ward2: Any, priority_group: Any
) -> None:
    session = f.SessionFactory(facility=facility_a, vaccine=comirnaty, capacity=3)
    old = f.PersonFactory(ward=ward1, priority_group=priority_group, date_of_birth=timezone.datetime(1950, 1, 1).date())
    for _ in range(4):
        f.PersonFactory(ward=ward1, priority_group=priority_group)
    f.incomplete_person(ward=ward1, priority_group=priority_group)
    f.PersonFactory(ward=ward2, priority_group=priority_group)  # outside the catchment
    result = services.appointments_invite(actor=clerk_a, session=session, priority_group=priority_group.code)
    assert len(result.created) == 3
    assert (result.left_out_full, result.skipped_incomplete) == (2, 1)
    assert old.pk in {a.person_id for a in result.created}  # the oldest first
    with pytest.raises(DomainError) as exc:
        services.appointments_invite(actor=clerk_a, session=session, priority_group=priority_group.code)
    assert codes(exc) == ["session_full"]


def test_invite_needs_one_target(clerk_a: Any, facility_a: Any, comirnaty: Any, person: Any) -> None:
    session = f.SessionFactory(facility=facility_a, vaccine=comirnaty)
    with pytest.raises(DomainError) as exc:
        services.appointments_invite(actor=clerk_a, session=session, person_ids=[person.public_id], priority_group="9")
    assert codes(exc) == ["invite_target_required"]


def test_reminders(
    clerk_a: Any, facility_a: Any, comirnaty: Any, person: Any, django_capture_on_commit_callbacks: Any
) -> None:
    session = f.SessionFactory(facility=facility_a, vaccine=comirnaty, date=timezone.localdate() + timedelta(days=1))
    Appointment.objects.create(session=session, person=person, source="registry")
    with django_capture_on_commit_callbacks(execute=True):
        assert services.session_send_reminders(actor=clerk_a, session=session) == 1
    assert SentMessage.objects.filter(to=person.phone).count() == 1
    assert services.session_send_reminders(actor=clerk_a, session=session) == 0


# Adverse events ----------------------------------------------------------------------------------------------


def test_serious_adverse_events_land_on_the_officers_list(
    give: Any, person: Any, vaccinator_a: Any, officer: Any, clerk_b: Any
) -> None:
    from vaxbook.clinic.selectors import adverse_events_for_user

    dose = give(person)
    event = services.adverse_event_report(
        actor=vaccinator_a, dose=dose, onset_at=timezone.now(), symptoms="khó thở", serious=True
    )
    services.adverse_event_report(
        actor=vaccinator_a, dose=dose, onset_at=timezone.now(), symptoms="đau tay", serious=False
    )
    assert list(adverse_events_for_user(user=officer, serious=True)) == [event]
    assert adverse_events_for_user(user=vaccinator_a).count() == 2
    assert adverse_events_for_user(user=clerk_b).count() == 0
    other = f.make_member(f.Role.AREA_OFFICER, admin_unit=f.ProvinceFactory(code="01", name="Hà Nội"))
    assert adverse_events_for_user(user=other, serious=True).count() == 0
    assert AuditEvent.objects.filter(action="clinic.adverse_event.reported").count() == 2


def test_an_adverse_event_cannot_start_before_the_dose(give: Any, person: Any, vaccinator_a: Any) -> None:
    dose = give(person)
    with pytest.raises(DomainError) as exc:
        services.adverse_event_report(
            actor=vaccinator_a,
            dose=dose,
            onset_at=dose.administered_at - timedelta(hours=1),
            symptoms="x",
            serious=False,
        )
    assert codes(exc) == ["onset_before_dose"]
    assert AdverseEvent.objects.count() == 0


def test_observation_list(give: Any, person: Any, vaccinator_a: Any, facility_a: Any, time_machine: Any) -> None:
    from vaxbook.clinic.selectors import observation_list

    give(person)
    give(f.PersonFactory(), at=timezone.now() - timedelta(minutes=10))  # back-entered: not observed here
    rows = observation_list(user=vaccinator_a, facility=facility_a)
    assert [r.dose.person for r in rows] == [person]
    assert 28 <= rows[0].minutes_left <= 29
    time_machine.shift(timedelta(minutes=31))
    assert observation_list(user=vaccinator_a, facility=facility_a) == []


def test_jcovden_then_a_booster(person: Any, vaccinator_a: Any, facility_a: Any, catalogue: Any, lot_a: Any) -> None:
    jj = f.LotFactory(vaccine=catalogue[JCOVDEN])
    f.stock(facility_a, jj, 5)
    record(
        vaccinator_a, person, facility_a, jj, source="back_entry", administered_at=timezone.now() - timedelta(days=100)
    )
    booster = record(vaccinator_a, person, facility_a, lot_a, source="back_entry")
    assert booster.dose_number == 2


def test_an_organizations_roster_is_invited(clerk_a: Any, facility_a: Any, comirnaty: Any, org: Any) -> None:
    from django.apps import apps

    entry = apps.get_model("organizations", "RosterEntry")
    staff = [f.PersonFactory() for _ in range(3)]
    for p in staff:
        entry.objects.create(organization=org, person=p)
    session = f.SessionFactory(facility=facility_a, vaccine=comirnaty, capacity=10)
    result = services.appointments_invite(actor=clerk_a, session=session, organization_id=org.public_id)
    assert {a.person_id for a in result.created} == {p.pk for p in staff}
    assert {a.source for a in result.created} == {"roster"}


def test_an_unknown_organization(clerk_a: Any, facility_a: Any, comirnaty: Any) -> None:
    import uuid

    session = f.SessionFactory(facility=facility_a, vaccine=comirnaty)
    with pytest.raises(DomainError) as exc:
        services.appointments_invite(actor=clerk_a, session=session, organization_id=uuid.uuid4())
    assert codes(exc) == ["organization_not_found"]


def test_the_daily_reminder_command(
    facility_a: Any, comirnaty: Any, person: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from io import StringIO

    from django.core.management import call_command

    session = f.SessionFactory(facility=facility_a, vaccine=comirnaty, date=timezone.localdate() + timedelta(days=1))
    Appointment.objects.create(session=session, person=person, source="registry")
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_appointment_reminders", stdout=out)
    assert out.getvalue().startswith("1 reminders queued")
    assert SentMessage.objects.filter(to=person.phone).count() == 1
