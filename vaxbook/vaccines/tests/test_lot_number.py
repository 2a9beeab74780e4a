"""A lot's number: a blank or over-long one is refused by the service, whichever door it comes through."""

from datetime import date
from typing import Any

import pytest
from django.utils import translation

from vaxbook.clinic.tests.fixtures import COMIRNATY
from vaxbook.common.errors import DomainError
from vaxbook.vaccines import services
from vaxbook.vaccines.models import Lot, StockMovement

pytestmark = pytest.mark.django_db

EXPIRY = date(2027, 12, 1)


@pytest.mark.parametrize("number", ["", "   ", "\t\n"])
def test_a_blank_lot_number_is_refused(manager_a: Any, facility_a: Any, comirnaty: Any, number: str) -> None:
    with pytest.raises(DomainError) as caught, translation.override("vi"):
        services.lot_receive(
            actor=manager_a, facility=facility_a, vaccine=comirnaty, number=number, expiry=EXPIRY, quantity=5
        )
    [error] = caught.value.errors
    assert (error.field, error.code, caught.value.status) == ("lot_number", "lot_number_required", 422)
    assert str(error.message) == "Vui lòng nhập số lô."
    assert not Lot.objects.exists() and not StockMovement.objects.exists()


def test_a_lot_number_longer_than_its_column_is_refused(manager_a: Any, facility_a: Any, comirnaty: Any) -> None:
    limit = Lot._meta.get_field("number").max_length
    assert limit == 40
    with pytest.raises(DomainError) as caught:
        services.lot_receive(
            actor=manager_a, facility=facility_a, vaccine=comirnaty, number="A" * 41, expiry=EXPIRY, quantity=5
        )
    assert caught.value.codes == ["lot_number_too_long"]
    assert not Lot.objects.exists()
    # at the limit, after trimming, it is fine
    movement = services.lot_receive(
        actor=manager_a, facility=facility_a, vaccine=comirnaty, number=f" {'a' * 40} ", expiry=EXPIRY, quantity=5
    )
    assert movement.lot.number == "A" * 40


def test_the_api_refuses_a_blank_lot_number(api: Any, manager_a: Any, facility_a: Any, comirnaty: Any) -> None:
    body = {"vaccine_code": COMIRNATY, "lot_number": "   ", "expiry": EXPIRY.isoformat(), "quantity": 5}
    r = api.as_user(manager_a).post_json(
        f"/api/v1/facilities/{facility_a.public_id}/lots", body, HTTP_IDEMPOTENCY_KEY="blank", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert r.status_code == 422
    assert r.json() == {
        "errors": [{"field": "lot_number", "code": "lot_number_required", "message": "Enter the lot number."}]
    }
    assert not Lot.objects.exists()


def test_the_stock_page_refuses_a_blank_lot_number(
    client: Any, manager_a: Any, facility_a: Any, comirnaty: Any
) -> None:
    client.force_login(manager_a)
    data = {"vaccine": COMIRNATY, "number": "   ", "expiry": EXPIRY.isoformat(), "quantity": "5", "note": ""}
    r = client.post(f"/stock/{facility_a.public_id}/receive/", data)
    assert r.status_code == 422
    assert "number" in r.context["receive_form"].errors
    assert not Lot.objects.exists()
