"""The vaccine catalogue and the stock ledger: stock is the sum of movements, locked per (facility, lot)."""

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from vaxbook.clinic.models import ScreeningQuestion
from vaxbook.clinic.tests import factories as f
from vaxbook.common.errors import DomainError
from vaxbook.common.models import AuditEvent
from vaxbook.vaccines import services
from vaxbook.vaccines.models import Lot, StockMovement, Vaccine
from vaxbook.vaccines.selectors import stock_for_user, stock_on_hand, vaccine_catalogue

pytestmark = pytest.mark.django_db

VALUESETS = Path(__file__).resolve().parents[3].parent / "shared" / "testdata" / "dcc-valuesets"


def on_hand(facility: Any, lot: Any) -> int:
    return stock_on_hand(facility_id=facility.pk, lot_id=lot.pk)


# The catalogue -----------------------------------------------------------------------------------------


def test_load_vaccines_is_idempotent() -> None:
    first = services.vaccines_load()
    assert (first.created, first.updated) == (9, 0)
    second = services.vaccines_load()
    assert (second.created, second.updated, second.unchanged) == (0, 0, 9)
    assert AuditEvent.objects.filter(action="vaccines.vaccine.created").count() == 9


def test_load_vaccines_updates_a_changed_row() -> None:
    services.vaccines_load()
    Vaccine.objects.filter(code="EU/1/20/1528").update(min_interval_days=99)
    assert services.vaccines_load().updated == 1
    assert Vaccine.objects.get(code="EU/1/20/1528").min_interval_days == 21


def test_the_eight_vaccines_licensed_in_viet_nam_in_2021() -> None:
    services.vaccines_load()
    catalogue = vaccine_catalogue()
    assert set(catalogue) == {
        "EU/1/21/1529",  # Vaxzevria (AstraZeneca)...
        "Covishield",  # ...and the same vaccine made by the Serum Institute
        "EU/1/20/1528",
        "EU/1/20/1507",
        "EU/1/20/1525",
        "Sputnik-V",
        "BBIBP-CorV",
        "Hayat-Vax",
        "Abdala",
    }
    assert catalogue["EU/1/20/1525"].primary_doses == 1
    assert catalogue["Abdala"].primary_doses == 3
    assert catalogue["EU/1/21/1529"].alternative_codes >= {"Covishield", "EU/1/20/1528"}


@pytest.mark.skipif(not VALUESETS.exists(), reason="the shared DCC value sets are not beside the project")
def test_every_code_is_in_the_eu_value_sets() -> None:
    def values(name: str) -> set[str]:
        return set(json.loads((VALUESETS / name).read_text())["valueSetValues"])

    products, holders, kinds = (
        values("vaccine-medicinal-product.json"),
        values("vaccine-mah-manf.json"),
        values("vaccine-prophylaxis.json"),
    )
    services.vaccines_load()
    for v in Vaccine.objects.all():
        assert v.code in products and not v.local_code, v.code
        assert v.manufacturer_code in holders, v.code
        assert v.prophylaxis_code in kinds, v.code


def test_the_command_loads_vaccines_and_the_checklist() -> None:
    call_command("load_vaccines", stdout=open("/dev/null", "w"))  # noqa: SIM115
    call_command("load_vaccines", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert Vaccine.objects.count() == 9
    assert ScreeningQuestion.objects.count() == 12
    assert {q.code: q.yes_leads_to for q in ScreeningQuestion.objects.all()}["prior_dose_allergy"] == "refer"


# Receiving ----------------------------------------------------------------------------------------------


def test_receive_a_new_lot(clerk_a: Any, facility_a: Any, comirnaty: Any) -> None:
    expiry = timezone.localdate() + timedelta(days=90)
    movement = services.lot_receive(
        actor=clerk_a, facility=facility_a, vaccine=comirnaty, number=" fk77 ", expiry=expiry, quantity=600
    )
    assert (movement.kind, movement.quantity, movement.lot.number) == ("received", 600, "FK77")
    assert on_hand(facility_a, movement.lot) == 600
    services.lot_receive(
        actor=clerk_a, facility=facility_a, vaccine=comirnaty, number="FK77", expiry=expiry, quantity=60
    )
    assert on_hand(facility_a, movement.lot) == 660
    assert Lot.objects.count() == 1
    assert AuditEvent.objects.filter(action="vaccines.stock.received").count() == 2


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"quantity": 0}, "quantity_invalid"),
        ({"quantity": -5}, "quantity_invalid"),
        ({"expiry_days": -1}, "lot_expired"),
        ({"expiry_days": 10}, "lot_expiry_mismatch"),
    ],
)
def test_receive_refusals(clerk_a: Any, facility_a: Any, lot_a: Any, change: dict[str, int], code: str) -> None:
    expiry = (
        timezone.localdate() + timedelta(days=change.pop("expiry_days", 0)) if "expiry_days" in change else lot_a.expiry
    )
    values = {"quantity": 10, **change}
    with pytest.raises(DomainError) as exc:
        services.lot_receive(
            actor=clerk_a, facility=facility_a, vaccine=lot_a.vaccine, number=lot_a.number, expiry=expiry, **values
        )
    assert exc.value.codes == [code]


def test_a_vaccinator_does_not_receive_stock(vaccinator_a: Any, facility_a: Any, comirnaty: Any) -> None:
    with pytest.raises(DomainError) as exc:
        services.lot_receive(
            actor=vaccinator_a,
            facility=facility_a,
            vaccine=comirnaty,
            number="X",
            expiry=timezone.localdate(),
            quantity=1,
        )
    assert exc.value.codes == ["role_forbidden"]


def test_it_rejects_receiving_at_another_facility(clerk_b: Any, facility_a: Any, comirnaty: Any) -> None:
    with pytest.raises(DomainError) as exc:
        services.lot_receive(
            actor=clerk_b, facility=facility_a, vaccine=comirnaty, number="X", expiry=timezone.localdate(), quantity=1
        )
    assert exc.value.codes == ["facility_forbidden"]


# Wastage and transfers ------------------------------------------------------------------------------------


def test_open_vial_wastage(vaccinator_a: Any, facility_a: Any, lot_a: Any) -> None:
    movement = services.stock_waste(actor=vaccinator_a, facility=facility_a, lot=lot_a, quantity=5, reason="open_vial")
    assert (movement.kind, movement.quantity) == ("wasted", -5)
    assert on_hand(facility_a, lot_a) == 95


def test_wastage_refusals(vaccinator_a: Any, facility_a: Any, lot_a: Any) -> None:
    with pytest.raises(DomainError) as exc:
        services.stock_waste(actor=vaccinator_a, facility=facility_a, lot=lot_a, quantity=101, reason="broken")
    assert exc.value.codes == ["out_of_stock"]
    assert exc.value.extra["on_hand"] == 100
    with pytest.raises(DomainError) as exc:
        services.stock_waste(actor=vaccinator_a, facility=facility_a, lot=lot_a, quantity=1, reason="eaten")
    assert exc.value.codes == ["waste_reason_invalid"]


def test_transfer(clerk_a: Any, facility_a: Any, facility_b: Any, lot_a: Any) -> None:
    out, into = services.stock_transfer(
        actor=clerk_a, from_facility=facility_a, to_facility=facility_b, lot=lot_a, quantity=30
    )
    assert (out.quantity, into.quantity, into.reference) == (-30, 30, str(out.public_id))
    assert (on_hand(facility_a, lot_a), on_hand(facility_b, lot_a)) == (70, 30)
    with pytest.raises(DomainError) as exc:
        services.stock_transfer(actor=clerk_a, from_facility=facility_a, to_facility=facility_b, lot=lot_a, quantity=71)
    assert exc.value.codes == ["out_of_stock"]
    with pytest.raises(DomainError) as exc:
        services.stock_transfer(actor=clerk_a, from_facility=facility_a, to_facility=facility_a, lot=lot_a, quantity=1)
    assert exc.value.codes == ["transfer_to_self"]
    never_held = f.LotFactory(vaccine=lot_a.vaccine)
    with pytest.raises(DomainError) as exc:
        services.stock_transfer(
            actor=clerk_a, from_facility=facility_a, to_facility=facility_b, lot=never_held, quantity=1
        )
    assert (exc.value.codes, exc.value.extra["on_hand"]) == (["out_of_stock"], 0)
    assert not StockMovement.objects.filter(lot=never_held).exists()


def test_an_officer_transfers_between_facilities_of_the_area(
    officer: Any, facility_a: Any, facility_b: Any, lot_a: Any
) -> None:
    services.stock_transfer(actor=officer, from_facility=facility_a, to_facility=facility_b, lot=lot_a, quantity=10)
    assert on_hand(facility_b, lot_a) == 10


def test_stock_is_the_sum_of_the_ledger(clerk_a: Any, facility_a: Any, lot_a: Any, give: Any, person: Any) -> None:
    give(person)
    services.stock_waste(actor=clerk_a, facility=facility_a, lot=lot_a, quantity=4, reason="open_vial")
    total = sum(StockMovement.objects.filter(facility=facility_a, lot=lot_a).values_list("quantity", flat=True))
    [line] = stock_for_user(user=clerk_a, facility=facility_a)
    assert line.on_hand == total == 95
    assert (line.vaccine_code, line.lot_number) == ("EU/1/20/1528", "FK1234")


def _ledger(facility: Any, lot: Any) -> list[tuple[int, int, int]]:
    rows = StockMovement.objects.filter(facility=facility, lot=lot).order_by("sequence")
    return list(rows.values_list("sequence", "quantity", "balance"))


def test_every_line_carries_its_place_and_the_running_balance(
    clerk_a: Any, facility_a: Any, facility_b: Any, lot_a: Any, give: Any, person: Any
) -> None:
    """Stock on hand is read from the last line, not summed: each line's balance is the sum up to it, its
    sequence the next of its (facility, lot), whatever wrote it (receipt, dose, wastage, transfer, void)."""
    from vaxbook.clinic.services import dose_void

    dose = give(person)
    services.stock_waste(actor=clerk_a, facility=facility_a, lot=lot_a, quantity=4, reason="open_vial")
    services.stock_transfer(actor=clerk_a, from_facility=facility_a, to_facility=facility_b, lot=lot_a, quantity=10)
    dose_void(actor=clerk_a, dose=dose, reason="wrong person")
    services.lot_receive(
        actor=clerk_a, facility=facility_a, vaccine=lot_a.vaccine, number=lot_a.number, expiry=lot_a.expiry, quantity=20
    )
    here = _ledger(facility_a, lot_a)
    assert [(n, q) for n, q, _ in here] == [(1, 100), (2, -1), (3, -4), (4, -10), (5, 1), (6, 20)]
    running = 0
    for _n, quantity, balance in here:
        running += quantity
        assert balance == running
    assert stock_on_hand(facility_id=facility_a.pk, lot_id=lot_a.pk) == running == 106
    assert _ledger(facility_b, lot_a) == [(1, 10, 10)]
    assert [line.on_hand for line in stock_for_user(user=clerk_a, facility=facility_a)] == [106]


def test_the_database_refuses_a_negative_balance_or_a_line_written_twice(facility_a: Any, lot_a: Any) -> None:
    """The last guard against stock below zero and against two writers taking the same place."""
    from django.db import IntegrityError, transaction

    fields = {"facility": facility_a, "lot": lot_a, "kind": "used", "quantity": -101, "at": timezone.now()}
    with pytest.raises(IntegrityError), transaction.atomic():
        StockMovement.objects.create(**fields, sequence=2, balance=-1)
    fields["quantity"] = -1
    with pytest.raises(IntegrityError), transaction.atomic():
        StockMovement.objects.create(**fields, sequence=1, balance=99)
    assert _ledger(facility_a, lot_a) == [(1, 100, 100)]


def test_stock_is_scoped(clerk_b: Any, officer: Any, facility_a: Any, lot_a: Any) -> None:
    with pytest.raises(DomainError) as exc:
        stock_for_user(user=clerk_b, facility=facility_a)
    assert exc.value.codes == ["facility_forbidden"]
    assert stock_for_user(user=officer, facility=facility_a)[0].on_hand == 100


def test_the_ledger_refuses_a_movement_of_the_wrong_sign(facility_a: Any, lot_a: Any) -> None:
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        StockMovement.objects.create(
            facility=facility_a, lot=lot_a, kind="used", quantity=1, sequence=99, balance=0, at=timezone.now()
        )


def test_factories_make_a_lot_with_stock(facility_a: Any) -> None:
    lot = f.LotFactory()
    f.stock(facility_a, lot, 7)
    assert on_hand(facility_a, lot) == 7
