"""The vaccines API: catalogue, stock on hand, receive, wastage, transfer."""

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

pytestmark = pytest.mark.django_db


def codes(r: Any) -> list[str]:
    return [e["code"] for e in r.json()["errors"]]


def test_vaccines(api: Any, clerk_a: Any, catalogue: Any) -> None:
    rows = api.as_user(clerk_a).get("/api/v1/vaccines").json()
    assert len(rows) == 9
    jcovden = next(r for r in rows if r["code"] == "EU/1/20/1525")
    assert (jcovden["primary_doses"], jcovden["manufacturer_code"]) == (1, "ORG-100001417")


def test_receive_waste_and_stock(api: Any, clerk_a: Any, facility_a: Any, comirnaty: Any) -> None:
    client = api.as_user(clerk_a)
    base = f"/api/v1/facilities/{facility_a.public_id}"
    expiry = (timezone.localdate() + timedelta(days=60)).isoformat()
    body = {"vaccine_code": comirnaty.code, "lot_number": "FK9", "expiry": expiry, "quantity": 60}
    r = client.post_json(f"{base}/lots", body, HTTP_IDEMPOTENCY_KEY="r1")
    assert r.status_code == 201, r.content
    assert (r.json()["on_hand"], r.json()["kind"]) == (60, "received")
    replay = client.post_json(f"{base}/lots", body, HTTP_IDEMPOTENCY_KEY="r1")
    assert replay.json() == r.json()
    r = client.post_json(
        f"{base}/wastage",
        {"vaccine_code": comirnaty.code, "lot_number": "FK9", "quantity": 6, "reason": "open_vial"},
        HTTP_IDEMPOTENCY_KEY="w1",
    )
    assert r.status_code == 201 and r.json()["on_hand"] == 54
    stock = client.get(f"{base}/stock").json()
    assert stock == [{"vaccine_code": comirnaty.code, "lot_number": "FK9", "expiry": expiry, "on_hand": 54}]


def test_wastage_beyond_stock(api: Any, clerk_a: Any, facility_a: Any, lot_a: Any) -> None:
    r = api.as_user(clerk_a).post_json(
        f"/api/v1/facilities/{facility_a.public_id}/wastage",
        {"vaccine_code": lot_a.vaccine.code, "lot_number": lot_a.number, "quantity": 500, "reason": "broken"},
        HTTP_IDEMPOTENCY_KEY="w2",
    )
    assert r.status_code == 409 and codes(r) == ["out_of_stock"]


def test_transfer(api: Any, clerk_a: Any, facility_a: Any, facility_b: Any, lot_a: Any) -> None:
    r = api.as_user(clerk_a).post_json(
        f"/api/v1/facilities/{facility_a.public_id}/transfers",
        {
            "to_facility_id": str(facility_b.public_id),
            "vaccine_code": lot_a.vaccine.code,
            "lot_number": lot_a.number,
            "quantity": 10,
        },
        HTTP_IDEMPOTENCY_KEY="t1",
    )
    assert r.status_code == 201, r.content
    assert r.json()["on_hand"] == 90


def test_stock_of_another_facility_is_forbidden(api: Any, clerk_b: Any, facility_a: Any, lot_a: Any) -> None:
    r = api.as_user(clerk_b).get(f"/api/v1/facilities/{facility_a.public_id}/stock")
    assert r.status_code == 403 and codes(r) == ["facility_forbidden"]


def test_unknown_facility(api: Any, clerk_a: Any) -> None:
    r = api.as_user(clerk_a).get("/api/v1/facilities/not-a-uuid/stock")
    assert r.status_code == 404 and codes(r) == ["facility_not_found"]
