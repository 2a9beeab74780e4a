"""Races: requests at the same moment, each thread with its own database connection.

On PostgreSQL the row locks (person, (facility, lot) holding, session) serialize the writers; on SQLite
every write transaction is BEGIN IMMEDIATE. Either way: one dose per person, stock never below zero,
a session never over capacity.
"""

import threading
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connections
from django.utils import timezone

from vaxbook.clinic import services
from vaxbook.clinic.models import Appointment, Dose, DoseCounter
from vaxbook.clinic.tests import factories as f
from vaxbook.common.errors import DomainError
from vaxbook.common.idempotency import idempotent_call
from vaxbook.vaccines.models import StockMovement
from vaxbook.vaccines.selectors import stock_on_hand

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 6


def race(calls: list[Callable[[], Any]]) -> list[str]:
    """Run the calls at once; return "ok" or the refusal code of each."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[str] = []
    lock = threading.Lock()

    def worker(call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=10)
            call()
            outcome = "ok"
        except DomainError as exc:
            outcome = exc.codes[0]
        except Exception as exc:
            outcome = f"crash: {exc!r}"
        finally:
            connections.close_all()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=worker, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return outcomes


def back_entry(actor: Any, person: Any, facility: Any, lot: Any, days_ago: int = 0) -> Callable[[], Any]:
    at = timezone.now() - timedelta(days=days_ago, minutes=5)
    return lambda: services.dose_record(
        actor=actor,
        person=person,
        facility=facility,
        vaccine=lot.vaccine,
        lot=lot,
        administered_at=at,
        source="back_entry",
    )


def test_racing_requests_give_one_person_one_dose(vaccinator_a: Any, facility_a: Any, lot_a: Any, person: Any) -> None:
    outcomes = race([back_entry(vaccinator_a, person, facility_a, lot_a) for _ in range(THREADS)])
    assert Counter(outcomes) == {"ok": 1, "dose_duplicate": THREADS - 1}
    assert Dose.objects.filter(person=person).count() == 1
    assert stock_on_hand(facility_id=facility_a.pk, lot_id=lot_a.pk) == 99
    assert DoseCounter.objects.get().count == 1


def test_racing_doses_on_different_days_see_each_other(
    vaccinator_a: Any, facility_a: Any, lot_a: Any, person: Any
) -> None:
    """Doses a day apart are not caught by the one-dose-a-day index: only the lock on the person's
    history makes each later writer see the first dose (and refuse its own as too soon after it, or, a paper
    dose dated before it, as putting it too soon: dose_conflicts_with_later)."""
    outcomes = Counter(race([back_entry(vaccinator_a, person, facility_a, lot_a, days_ago=n) for n in range(THREADS)]))
    assert outcomes.pop("ok") == 1
    assert set(outcomes) <= {"dose_too_soon", "dose_conflicts_with_later"}
    assert outcomes.total() == THREADS - 1
    assert list(Dose.objects.filter(person=person).values_list("dose_number", flat=True)) == [1]


def test_stock_never_goes_below_zero(vaccinator_a: Any, facility_a: Any, comirnaty: Any) -> None:
    lot = f.LotFactory(vaccine=comirnaty, number="LAST3")
    f.stock(facility_a, lot, 3)
    people = [f.PersonFactory() for _ in range(THREADS)]
    outcomes = race([back_entry(vaccinator_a, p, facility_a, lot) for p in people])
    assert Counter(outcomes) == {"ok": 3, "out_of_stock": 3}
    assert stock_on_hand(facility_id=facility_a.pk, lot_id=lot.pk) == 0
    assert StockMovement.objects.filter(lot=lot, kind="used").count() == 3


def test_the_same_key_racing_records_once(vaccinator_a: Any, facility_a: Any, lot_a: Any, person: Any) -> None:
    record = back_entry(vaccinator_a, person, facility_a, lot_a)

    def call() -> Any:
        return idempotent_call(
            user=vaccinator_a, scope="clinic.dose.record", key="same", body={"p": 1}, run=lambda: (201, str(record()))
        )

    outcomes = race([call for _ in range(THREADS)])
    assert set(outcomes) == {"ok"}  # every caller gets the first answer
    assert Dose.objects.count() == 1


def test_a_session_never_goes_over_capacity(clerk_a: Any, facility_a: Any, comirnaty: Any) -> None:
    session = f.SessionFactory(facility=facility_a, vaccine=comirnaty, capacity=3)
    people = [f.PersonFactory() for _ in range(THREADS)]
    outcomes = race(
        [
            (lambda p=p: services.appointments_invite(actor=clerk_a, session=session, person_ids=[p.public_id]))
            for p in people
        ]
    )
    assert Counter(outcomes) == {"ok": 3, "session_full": 3}
    assert Appointment.objects.filter(session=session).count() == 3


def test_racing_batches_give_each_person_one_dose(vaccinator_a: Any, facility_a: Any, lot_a: Any) -> None:
    from vaxbook.clinic.api import dose_out

    people = [f.PersonFactory() for _ in range(10)]
    at = timezone.now() - timedelta(minutes=5)

    def batch(n: int) -> Callable[[], Any]:
        items = [
            services.DoseItem(
                key=f"t{n}-{i}",
                body={"n": n, "i": i},
                person_id=p.public_id,
                facility_id=facility_a.public_id,
                vaccine_code=lot_a.vaccine.code,
                lot_number=lot_a.number,
                administered_at=at,
                source="back_entry",
            )
            for i, p in enumerate(people)
        ]
        return lambda: services.doses_record_batch(actor=vaccinator_a, items=items, render=dose_out)

    outcomes = race([batch(n) for n in range(4)])
    assert set(outcomes) == {"ok"}
    assert Dose.objects.count() == 10
    assert stock_on_hand(facility_id=facility_a.pk, lot_id=lot_a.pk) == 90


def test_racing_receipts_wastage_and_doses_keep_one_ledger(
    clerk_a: Any, vaccinator_a: Any, facility_a: Any, comirnaty: Any
) -> None:
    """Every writer of a (facility, lot) takes the next place in its ledger under the holding's lock: racing
    receipts, wastage and doses leave lines 1..n, each balance the sum up to it, never below zero."""
    from vaxbook.vaccines import services as stock

    lot = f.LotFactory(vaccine=comirnaty, number="MIX01")
    f.stock(facility_a, lot, 2)
    people = [f.PersonFactory() for _ in range(2)]

    def receive() -> Any:
        return stock.lot_receive(
            actor=clerk_a, facility=facility_a, vaccine=comirnaty, number=lot.number, expiry=lot.expiry, quantity=1
        )

    def waste() -> Any:
        return stock.stock_waste(actor=clerk_a, facility=facility_a, lot=lot, quantity=1, reason="open_vial")

    calls = [receive, receive, waste, waste, *(back_entry(vaccinator_a, p, facility_a, lot) for p in people)]
    outcomes = race(calls)
    assert not [o for o in outcomes if o.startswith("crash")], outcomes
    lines = list(StockMovement.objects.filter(facility=facility_a, lot=lot).order_by("sequence"))
    assert [line.sequence for line in lines] == list(range(1, len(lines) + 1))
    running = 0
    for line in lines:
        running += line.quantity
        assert line.balance == running >= 0
    assert stock_on_hand(facility_id=facility_a.pk, lot_id=lot.pk) == running == 4 - (len(lines) - 3)
