"""Fixtures of vaccination day, on top of the shared cast of the root conftest.py.

The cast adds: `catalogue` (the real vaccines and the MoH checklist), `comirnaty`, `lot_a` (a Comirnaty lot
with 100 doses at facility A), `manager_a`, `person` (a complete record living in ward 1), and helpers
`screen(person)` (an eligible screening of today at A) and `give(person, ...)` (a live dose at A).
"""

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from vaxbook.clinic.models import Dose, Screening
from vaxbook.clinic.services import dose_record, screening_questions_load, screening_record
from vaxbook.clinic.tests import factories as f
from vaxbook.vaccines.models import Lot, Vaccine
from vaxbook.vaccines.selectors import catalogue_invalidate
from vaxbook.vaccines.services import vaccines_load

COMIRNATY = "EU/1/20/1528"
VAXZEVRIA = "EU/1/21/1529"
SPIKEVAX = "EU/1/20/1507"
JCOVDEN = "EU/1/20/1525"


#: the tests' "now": a weekday morning in Viet Nam, far from midnight
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))


@pytest.fixture(autouse=True)
def clock(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=True)


@pytest.fixture(autouse=True)
def fresh_catalogue() -> Any:
    catalogue_invalidate()
    yield
    catalogue_invalidate()


@pytest.fixture
def catalogue(db: Any) -> dict[str, Vaccine]:
    vaccines_load()
    screening_questions_load()
    return {v.code: v for v in Vaccine.objects.all()}


@pytest.fixture
def comirnaty(catalogue: dict[str, Vaccine]) -> Vaccine:
    return catalogue[COMIRNATY]


@pytest.fixture
def lot_a(comirnaty: Vaccine, facility_a: Any) -> Lot:
    lot = f.LotFactory(vaccine=comirnaty, number="FK1234")
    f.stock(facility_a, lot, 100)
    return lot


@pytest.fixture
def manager_a(facility_a: Any) -> Any:
    return f.make_member(f.Role.FACILITY_MANAGER, facility=facility_a, username="manager_a")


@pytest.fixture
def person(ward1: Any, priority_group: Any) -> Any:
    return f.PersonFactory(ward=ward1, province=ward1.parent, priority_group=priority_group)


@pytest.fixture
def all_no(catalogue: Any) -> dict[str, bool]:
    from vaxbook.clinic.models import ScreeningQuestion

    return {q.code: False for q in ScreeningQuestion.objects.filter(active=True)}


@pytest.fixture
def screen(vaccinator_a: Any, facility_a: Any, all_no: dict[str, bool]) -> Any:
    def make(person: Any, *, facility: Any = None, by: Any = None, **answers: bool) -> Screening:
        return screening_record(
            actor=by or vaccinator_a, person=person, facility=facility or facility_a, answers={**all_no, **answers}
        )

    return make


@pytest.fixture
def give(vaccinator_a: Any, facility_a: Any, lot_a: Lot, screen: Any) -> Any:
    """A live dose (with its screening) of lot_a at facility A, now; or a back-entered one when `at` is given."""

    def make(person: Any, *, at: datetime | None = None, lot: Lot | None = None, by: Any = None) -> Dose:
        lot = lot or lot_a
        if at is None:
            return dose_record(
                actor=by or vaccinator_a,
                person=person,
                facility=facility_a,
                vaccine=lot.vaccine,
                lot=lot,
                administered_at=timezone.now() - timedelta(minutes=1),
                source="live",
                screening=screen(person),
            )
        return dose_record(
            actor=by or vaccinator_a,
            person=person,
            facility=facility_a,
            vaccine=lot.vaccine,
            lot=lot,
            administered_at=at,
            source="back_entry",
        )

    return make
