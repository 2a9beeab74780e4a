"""Round-trip budgets for the hot API paths: a change that adds a query to one of them shows here.

Each test warms the process caches (catalogue, references, scope) with a first request, then counts
the queries of a second one, as a long-running server would see them. SHOW_QUERIES=1 prints them.
"""

import os
import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from vaxbook.clinic.tests import factories as f
from vaxbook.clinic.tests.fixtures import COMIRNATY
from vaxbook.common.testing import cccd_for

# Transactional: the scope is shared through the cache only outside a transaction, as in a server.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def reference_cache(settings: Any) -> Any:
    """The server keeps wards and priority groups for a while; the test settings turn that off."""
    from vaxbook.registry import references

    settings.REFERENCE_CACHE_SECONDS = 300
    references.clear()
    yield
    references.clear()


SHOW = bool(os.environ.get("SHOW_QUERIES"))


def _count(call: Any) -> tuple[Any, int]:
    with CaptureQueriesContext(connection) as ctx:
        result = call()
    if SHOW:
        print(f"\n--- {len(ctx.captured_queries)} queries")
        for q in ctx.captured_queries:
            print("   ", q["sql"][:300])
    return result, len(ctx.captured_queries)


def _dose_body(person: Any, facility: Any) -> dict[str, Any]:
    return {
        "person_id": str(person.public_id),
        "facility_id": str(facility.public_id),
        "vaccine_code": COMIRNATY,
        "lot_number": "FK1234",
        "administered_at": (timezone.now() - timedelta(minutes=1)).isoformat(),
        "source": "back_entry",
    }


def test_dose_budget(api: Any, vaccinator_a: Any, facility_a: Any, lot_a: Any, ward1: Any, priority_group: Any) -> None:
    client = api.as_user(vaccinator_a)
    first, second = f.PersonFactory(ward=ward1), f.PersonFactory(ward=ward1)
    r = client.post_json("/api/v1/doses", _dose_body(first, facility_a), HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex)
    assert r.status_code == 201, r.content
    r, n = _count(
        lambda: client.post_json("/api/v1/doses", _dose_body(second, facility_a), HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex)
    )
    assert r.status_code == 201, r.content
    print("dose queries:", n)
    assert n <= BUDGET["dose"]


def test_checkin_budget(api: Any, vaccinator_a: Any, facility_a: Any, ward1: Any, catalogue: Any) -> None:
    client = api.as_user(vaccinator_a)
    first, second = f.PersonFactory(ward=ward1), f.PersonFactory(ward=ward1)
    body = {"facility_id": str(facility_a.public_id)}
    assert client.post_json("/api/v1/checkins", {**body, "id_number": first.id_number}).status_code == 200
    r, n = _count(lambda: client.post_json("/api/v1/checkins", {**body, "id_number": second.id_number}))
    assert r.status_code == 200, r.content
    print("checkin queries:", n)
    assert n <= BUDGET["checkin"]


def test_walk_in_checkin_budget(api: Any, vaccinator_a: Any, facility_a: Any, ward1: Any, comirnaty: Any) -> None:
    from vaxbook.clinic.models import Appointment

    f.SessionFactory(facility=facility_a, vaccine=comirnaty, date=timezone.localdate())
    client = api.as_user(vaccinator_a)
    first, second = f.PersonFactory(ward=ward1), f.PersonFactory(ward=ward1)
    body = {"facility_id": str(facility_a.public_id)}
    assert client.post_json("/api/v1/checkins", {**body, "id_number": first.id_number}).status_code == 200
    r, n = _count(lambda: client.post_json("/api/v1/checkins", {**body, "id_number": second.id_number}))
    assert r.status_code == 200, r.content
    assert r.json()["appointment"]["status"] == "checked_in"
    assert Appointment.objects.get(person=second).source == "walk_in"
    print("walk-in checkin queries:", n)
    assert n <= BUDGET["checkin_walk_in"]
    # Checked in again: the audit event is the only write.
    r, n = _count(lambda: client.post_json("/api/v1/checkins", {**body, "id_number": second.id_number}))
    assert r.status_code == 200 and r.json()["appointment"]["status"] == "checked_in"
    assert n <= BUDGET["checkin"]


def test_batch_budget_does_not_grow_with_its_items(
    api: Any, vaccinator_a: Any, facility_a: Any, lot_a: Any, ward1: Any, priority_group: Any
) -> None:
    """A batch reads its items' records, persons, facilities and lots together, locks and reads inside
    the locks together, then writes each table once: its round trips do not depend on its size."""
    client = api.as_user(vaccinator_a)

    def batch(n: int) -> Any:
        items = [
            {"idempotency_key": uuid.uuid4().hex, **_dose_body(f.PersonFactory(ward=ward1), facility_a)}
            for _ in range(n)
        ]
        return lambda: client.post_json("/api/v1/doses/batch", {"items": items})

    assert batch(2)().json()["created"] == 2
    small, few = batch(2), batch(6)
    r, n_small = _count(small)
    assert r.status_code == 200 and r.json()["created"] == 2, r.content
    r, n_few = _count(few)
    assert r.status_code == 200 and r.json()["created"] == 6, r.content
    print("batch queries:", n_small, n_few)
    assert n_few == n_small <= BUDGET["batch"]


def _registration(ward: Any, serial: int) -> dict[str, Any]:
    return {
        "full_name": "Phạm Thị Lan",
        "date_of_birth": "1990-03-04",
        "sex": "F",
        "phone": f"0912 345 {serial:03d}",
        "id_type": "cccd",
        "id_number": cccd_for(date(1990, 3, 4), "F", serial),
        "priority_group": "9",
        "ward_code": ward.code,
        "address_line": "1 Lê Lợi",
    }


def test_registration_and_search_budget(api: Any, clerk_a: Any, ward1: Any, priority_group: Any) -> None:
    from vaxbook.common.testing import PriorityGroupFactory

    PriorityGroupFactory(code="9")
    client = api.as_user(clerk_a)
    assert client.post_json("/api/v1/persons", _registration(ward1, 701)).status_code == 201
    r, n = _count(lambda: client.post_json("/api/v1/persons", _registration(ward1, 702)))
    assert r.status_code == 201, r.content
    print("register queries:", n)
    assert n <= BUDGET["register"]
    number = r.json()["id_number"] if "id_number" in r.json() else cccd_for(date(1990, 3, 4), "F", 702)
    # A first search warms the cache of wards and priority groups by id, as a running server has it.
    assert client.get("/api/v1/persons", {"q": cccd_for(date(1990, 3, 4), "F", 701)}).status_code == 200
    r, n = _count(lambda: client.get("/api/v1/persons", {"q": number}))
    assert r.status_code == 200 and len(r.json()["results"]) == 1, r.content
    print("search-by-number queries:", n)
    assert n <= BUDGET["search"]
    r, n = _count(lambda: client.get("/api/v1/persons", {"q": "0912345702"}))
    assert r.status_code == 200, r.content
    print("search-by-phone queries:", n)
    assert n <= BUDGET["search"]


# Before this budget: dose 21, check-in 11 (walk-in 17), registration 9, search 3 (4 by phone).
# On PostgreSQL the independent reads and the writes of a dose go in one round trip each
# (common/rows.py read_all / execute_all); SQLite sends them one by one. A dose's count includes its
# BEGIN and COMMIT as Django logs them: the COMMIT goes with the idempotency record's INSERT
# (common/idempotency.py), so on PostgreSQL a dose makes 6 round trips. A batch's COPYs are not
# counted here (they bypass Django's cursor): the budget pins the reads, the locks and the counters.
# A walk-in's appointment and its two audit events go as one query outside a transaction, which
# PostgreSQL runs as one implicit transaction (common/rows.py execute_at_once): no BEGIN or COMMIT;
# and the API's check-in reads its facility with the person: 4 round trips where there were 8 (5 for
# a returning person). Each process keeps a token's look-up a few seconds (accounts.services,
# API_TOKEN_CACHE_SECONDS): a request after the first makes one round trip fewer, here as in a server.
BUDGETS = {
    "postgresql": {"dose": 6, "checkin": 3, "checkin_walk_in": 3, "register": 4, "search": 1, "batch": 6},
    "sqlite": {"dose": 15, "checkin": 7, "checkin_walk_in": 11, "register": 4, "search": 1, "batch": 15},
}


class _Budget:
    def __getitem__(self, name: str) -> int:
        return BUDGETS[connection.vendor][name]


BUDGET = _Budget()
