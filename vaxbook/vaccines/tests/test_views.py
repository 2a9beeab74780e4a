"""The stock page: lots on hand with expired and nearly-out ones flagged, receiving, wastage, scoping."""

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from vaxbook.clinic.tests import factories as f
from vaxbook.vaccines import services
from vaxbook.vaccines.models import Lot, StockMovement

pytestmark = pytest.mark.django_db


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def page_url(facility: Any, name: str = "facility") -> str:
    return reverse(f"stock:{name}", kwargs={"facility_id": facility.public_id})


def row(html: str, lot: str) -> str:
    found = re.search(rf'<tr data-lot="{lot}"[^>]*>.*?</tr>', html, re.S)
    assert found, lot
    return found.group(0)


def codes(html: str) -> set[str]:
    return set(re.findall(r'data-code="([a-z_]+)"', html))


def test_the_stock_page_flags_expired_and_nearly_out_lots(
    clerk_a: Any, facility_a: Any, comirnaty: Any, lot_a: Lot
) -> None:
    old = f.LotFactory(vaccine=comirnaty, number="OLD01", expiry=timezone.localdate() - timedelta(days=2))
    f.stock(facility_a, old, 20)
    low = f.LotFactory(vaccine=comirnaty, number="LOW01")
    f.stock(facility_a, low, 2)
    html = signed_in(clerk_a).get(page_url(facility_a)).content.decode()
    assert 'data-on-hand="100"' in row(html, "FK1234") and 'class=""' in row(html, "FK1234")
    assert "lot-expired" in row(html, "OLD01") and 'data-flag="expired"' in row(html, "OLD01")
    assert "lot-nearly-out" in row(html, "LOW01") and 'data-flag="nearly_out"' in row(html, "LOW01")
    assert 'id="receive-form"' in html and 'id="waste-form"' in html


def test_receiving_a_lot_adds_stock(clerk_a: Any, facility_a: Any, comirnaty: Any) -> None:
    client = signed_in(clerk_a)
    expiry = timezone.localdate() + timedelta(days=200)
    data = {"vaccine": comirnaty.code, "number": "fk9999", "expiry": expiry.isoformat(), "quantity": "60"}
    response = client.post(page_url(facility_a, "receive"), data)
    assert response.status_code == 302
    lot = Lot.objects.get(number="FK9999")
    assert lot.expiry == expiry
    assert StockMovement.objects.get(lot=lot, facility=facility_a).quantity == 60
    again = client.post(page_url(facility_a, "receive"), {**data, "expiry": (expiry + timedelta(days=1)).isoformat()})
    assert again.status_code == 409 and "lot_expiry_mismatch" in codes(again.content.decode())
    expired = client.post(
        page_url(facility_a, "receive"),
        {**data, "number": "X1", "expiry": (timezone.localdate() - timedelta(days=1)).isoformat()},
    )
    assert expired.status_code == 422 and "lot_expired" in codes(expired.content.decode())


def test_wastage_is_recorded_and_more_than_on_hand_is_refused(vaccinator_a: Any, facility_a: Any, lot_a: Lot) -> None:
    client = signed_in(vaccinator_a)
    html = client.get(page_url(facility_a)).content.decode()
    assert 'id="waste-form"' in html and 'id="receive-form"' not in html  # a vaccinator does not receive
    url = page_url(facility_a, "waste")
    assert client.post(url, {"lot": str(lot_a.public_id), "quantity": "6", "reason": "open_vial"}).status_code == 302
    wasted = StockMovement.objects.get(kind="wasted")
    assert (wasted.quantity, wasted.reason) == (-6, "open_vial")
    # The ledger on the page: each line with what was on hand after it.
    html = client.get(page_url(facility_a)).content.decode()
    assert '<tr data-kind="wasted">' in html and "<td>-6</td><td>94</td>" in html
    too_many = client.post(url, {"lot": str(lot_a.public_id), "quantity": "500", "reason": "broken"})
    assert too_many.status_code == 409 and "out_of_stock" in codes(too_many.content.decode())


def test_another_facility_cannot_see_or_change_the_stock(
    clerk_b: Any, officer: Any, facility_a: Any, comirnaty: Any, lot_a: Lot
) -> None:
    other = signed_in(clerk_b)
    response = other.get(page_url(facility_a))
    assert response.status_code == 403 and "facility_forbidden" in codes(response.content.decode())
    data = {"vaccine": comirnaty.code, "number": "B1", "expiry": "2030-01-01", "quantity": "5"}
    assert other.post(page_url(facility_a, "receive"), data).status_code == 403
    assert not Lot.objects.filter(number="B1").exists()
    # The province officer oversees it: sees the stock, does not receive.
    seen = signed_in(officer).get(page_url(facility_a)).content.decode()
    assert "FK1234" in seen and 'id="receive-form"' not in seen


def test_the_stock_entry_goes_to_the_users_facility(clerk_a: Any, facility_a: Any) -> None:
    assert signed_in(clerk_a).get(reverse("stock:facility"))["Location"] == page_url(facility_a)


def _lot_options(html: str) -> list[tuple[str, str, bool]]:
    select = re.search(r'<select name="lot"[^>]*>(.*?)</select>', html, re.S)
    assert select, "no lot select"
    return [
        (value, label.strip(), "selected" in attrs)
        for value, attrs, label in re.findall(r'<option value="([^"]*)"([^>]*)>(.*?)</option>', select.group(1), re.S)
    ]


def test_the_wastage_form_chooses_no_lot_and_keeps_its_labelled_lots_after_a_refusal(
    clerk_a: Any, facility_a: Any, comirnaty: Any, lot_a: Lot
) -> None:
    """The expired lot came first and was chosen for the clerk; after a refusal the select held the bare
    numbers of every lot held, empty ones too."""
    old = f.LotFactory(vaccine=comirnaty, number="OLD01", expiry=timezone.localdate() - timedelta(days=2))
    f.stock(facility_a, old, 20)
    gone = f.LotFactory(vaccine=comirnaty, number="GONE1")
    f.stock(facility_a, gone, 5)
    services.stock_waste(actor=clerk_a, facility=facility_a, lot=gone, quantity=5, reason="expired", note="")
    client = signed_in(clerk_a)
    shown = _lot_options(client.get(page_url(facility_a)).content.decode())
    assert shown[0][0] == "" and not any(selected for _v, _l, selected in shown[1:])
    assert {label for _v, label, _s in shown[1:]} == {
        "Comirnaty (Pfizer-BioNTech) · FK1234 (100)",
        "Comirnaty (Pfizer-BioNTech) · OLD01 (20)",
    }
    url = page_url(facility_a, "waste")
    refused = client.post(url, {"lot": str(lot_a.public_id), "quantity": "0", "reason": "broken"})
    assert refused.status_code == 422
    after = _lot_options(refused.content.decode())
    assert [(v, label) for v, label, _s in after] == [(v, label) for v, label, _s in shown]
    assert [v for v, _l, selected in after if selected] == [str(lot_a.public_id)]
    # A lot that ran out since the page was shown is the service's refusal; a lot not held, the form's.
    empty = client.post(url, {"lot": str(gone.public_id), "quantity": "1", "reason": "broken"})
    assert empty.status_code == 409 and "out_of_stock" in codes(empty.content.decode())
    stranger = client.post(url, {"lot": "00000000-0000-0000-0000-000000000000", "quantity": "1", "reason": "broken"})
    assert stranger.status_code == 422 and "lot_not_held" in codes(stranger.content.decode())
    assert list(StockMovement.objects.filter(kind="wasted").values_list("lot__number", flat=True)) == ["GONE1"]


@pytest.mark.parametrize("language", ["vi", "en"])
def test_an_expiry_typed_day_first_is_the_day_it_says(
    clerk_a: Any, facility_a: Any, comirnaty: Any, language: str
) -> None:
    """A browser without a date picker sends what was typed: 08/12/2030 read as August 12 (Django's own input
    formats, month first) put a lot's expiry four months early. It is read day first, in both languages."""
    from datetime import date

    from django.conf import settings

    client = signed_in(clerk_a)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    data = {"vaccine": comirnaty.code, "number": f"typed{language}", "expiry": "08/12/2030", "quantity": "5"}
    assert client.post(page_url(facility_a, "receive"), data).status_code == 302
    assert Lot.objects.get(number=f"TYPED{language.upper()}").expiry == date(2030, 12, 8)
