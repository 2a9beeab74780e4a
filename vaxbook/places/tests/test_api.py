from typing import Any

import pytest
from django.test import Client

from vaxbook.places.models import AdminUnit, Facility


@pytest.fixture
def admin_client(make_user: Any) -> Client:
    client = Client()
    client.force_login(make_user("national_admin"))
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["provinces", "wards?province=75", "search?q=dong", "facilities"])
def test_sign_in_required(path: str) -> None:
    response = Client().get(f"/api/v1/places/{path}")
    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] == "not_authenticated"


def test_provinces(places: dict[str, int], admin_client: Client) -> None:
    response = admin_client.get("/api/v1/places/provinces")
    assert response.status_code == 200
    assert response.json() == [
        {"code": "01", "name": "Thành phố Hà Nội"},
        {"code": "75", "name": "Thành phố Đồng Nai"},
    ]


def test_wards(places: dict[str, int], admin_client: Client) -> None:
    response = admin_client.get("/api/v1/places/wards", {"province": "75"})
    assert response.status_code == 200
    body = response.json()
    assert len(body) == 95
    assert {"code": "26041", "name": "Phường Trấn Biên"} in body


def test_wards_unknown_province(places: dict[str, int], admin_client: Client) -> None:
    response = admin_client.get("/api/v1/places/wards", {"province": "99"})
    assert response.status_code == 404
    assert response.json()["errors"] == [
        {"field": "province", "code": "province_unknown", "message": response.json()["errors"][0]["message"]}
    ]
    assert response.json()["errors"][0]["message"]


def test_wards_province_required(places: dict[str, int], admin_client: Client) -> None:
    response = admin_client.get("/api/v1/places/wards")
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "required"


def test_search(places: dict[str, int], admin_client: Client) -> None:
    response = admin_client.get("/api/v1/places/search", {"q": "DONG NAI"})
    assert response.status_code == 200
    assert response.json()[0] == {"code": "75", "name": "Thành phố Đồng Nai", "level": "province", "parent_code": None}

    response = admin_client.get("/api/v1/places/search", {"q": "bửu long", "level": "legacy_ward"})
    assert response.json() == [
        {"code": "26011", "name": "Phường Bửu Long", "level": "legacy_ward", "parent_code": "731"}
    ]


def test_search_rejects_an_unknown_level(places: dict[str, int], admin_client: Client) -> None:
    response = admin_client.get("/api/v1/places/search", {"q": "dong", "level": "district"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "level"


def test_facilities_scoped(places: dict[str, int], facilities: dict[str, Facility], make_user: Any) -> None:
    client = Client()
    client.force_login(make_user("area_officer", admin_unit=AdminUnit.objects.get(level="province", code="75")))
    response = client.get("/api/v1/places/facilities")
    assert response.status_code == 200
    dn = facilities["dn"]
    assert response.json() == [
        {
            "id": str(dn.public_id),
            "code": "DN-01",
            "name": dn.name,
            "kind": "commune_station",
            "admin_unit_code": "26041",
        }
    ]

    client.force_login(make_user())
    assert client.get("/api/v1/places/facilities").json() == []
