"""The clinic demo: loaded by the demo on every run, idempotent, fast, with what the desk shows."""

import io
import time
from datetime import timedelta
from typing import Any

import pytest
from django.db.models import Sum
from django.utils import timezone

from vaxbook.clinic.demo import MARKER_LOT, clinic_demo_load
from vaxbook.clinic.models import AdverseEvent, Appointment, Dose, Screening, Session
from vaxbook.common import demo
from vaxbook.common import testing as t
from vaxbook.common.models import AuditEvent
from vaxbook.places.models import Facility
from vaxbook.vaccines.models import Lot, StockMovement

pytestmark = pytest.mark.django_db

MODELS = (Lot, StockMovement, Session, Appointment, Screening, Dose, AdverseEvent, AuditEvent)


@pytest.fixture
def loaded(ward1: Any, ward2: Any, province: Any) -> str:
    """The base demo (which calls the clinic demo at its end), small."""
    t.WardFactory(code="26080", name="Phường Long Khánh", parent=province)
    out = io.StringIO()
    demo.demo_load(stdout=out, persons=400, households=140, seed=7)
    return out.getvalue()


def counts() -> list[int]:
    return [m.objects.count() for m in MODELS]


def test_a_second_load_changes_nothing(loaded: str) -> None:
    assert Lot.objects.filter(number=MARKER_LOT).exists()  # the first run (from demo_load) loaded it
    before = counts()
    out = io.StringIO()
    clinic_demo_load(stdout=out)
    clinic_demo_load(stdout=None)
    assert counts() == before
    assert out.getvalue().strip()  # it says so (in the active language) rather than staying silent


def test_the_demo_has_what_the_desk_shows(loaded: str) -> None:
    hospital = Facility.objects.get(code="75-BVDK")
    today = timezone.localdate()
    for code in ("75-BVDK", "75-TTYT-BH", "75-TTYT-LK", "75-TYT-TAMHIEP"):
        assert StockMovement.objects.filter(facility__code=code, kind="received").exists(), code
    on_hand = {
        number: total
        for number, total in StockMovement.objects.filter(facility=hospital)
        .values_list("lot__number")
        .annotate(total=Sum("quantity"))
    }
    assert on_hand["ABV5811"] == 2  # nearly out
    assert Lot.objects.get(number="FJ8761").expiry < today < Lot.objects.get(number=MARKER_LOT).expiry
    back = Dose.objects.filter(source="back_entry", dose_number=1)
    assert back.count() >= 100
    weeks = {(today - d).days // 7 for d in back.values_list("administered_on", flat=True)}
    assert weeks <= {8, 9, 10, 11, 12}
    live = Dose.objects.filter(source="live", administered_on=today)
    assert live.count() == 3 and set(live.values_list("dose_number", flat=True)) == {2}
    sessions = Session.objects.filter(facility=hospital).order_by("date")
    assert [s.date for s in sessions] == [today, today + timedelta(days=1)]
    assert all(s.appointments.exists() for s in sessions)
    assert AdverseEvent.objects.filter(serious=True).count() == 1
    assert AdverseEvent.objects.filter(serious=False).count() >= 2


def test_the_clinic_demo_is_fast(ward1: Any, ward2: Any, province: Any, monkeypatch: Any) -> None:
    t.WardFactory(code="26080", name="Phường Long Khánh", parent=province)
    monkeypatch.setattr(demo, "CLINIC_DEMO_MODULE", "no_clinic_demo_here")  # the base demo alone
    demo.demo_load(stdout=None, persons=400, households=140, seed=7)
    assert not Dose.objects.exists()
    started = time.perf_counter()
    clinic_demo_load(stdout=None)
    assert time.perf_counter() - started < 10
    assert Dose.objects.count() == 150 + 3
