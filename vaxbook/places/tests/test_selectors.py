from typing import Any

import pytest

from vaxbook.common.errors import NotFound
from vaxbook.places.models import AdminUnit, Facility
from vaxbook.places.selectors import (
    admin_unit_get,
    admin_units_search,
    facilities_for_user,
    facility_get_for_user,
    place_names,
    provinces_list,
    ward_successor,
    ward_successors,
    wards_for_province,
)


def test_provinces_list(places: dict[str, int]) -> None:
    assert [(p.code, p.name) for p in provinces_list()] == [("01", "Thành phố Hà Nội"), ("75", "Thành phố Đồng Nai")]


@pytest.mark.parametrize("q", ["dong nai", "Đồng Nai", "DONG NAI", "đồng nai", "  Dong   Nai "])
def test_search_finds_dong_nai_with_or_without_diacritics(places: dict[str, int], q: str) -> None:
    found = admin_units_search(q=q)
    assert (found[0].level, found[0].code) == ("province", "75")
    assert ("legacy_province", "75") in [(u.level, u.code) for u in found]


def test_search_by_level_and_code(places: dict[str, int]) -> None:
    assert [(u.level, u.code) for u in admin_units_search(q="Đồng Nai", level="legacy_province")] == [
        ("legacy_province", "75")
    ]
    assert [(u.level, u.code) for u in admin_units_search(q="75", level="province")] == [("province", "75")]
    assert [(u.level, u.code) for u in admin_units_search(q="4", level="ward")] == [("ward", "00004")]
    assert (admin_units_search(q="26041")[0].level, admin_units_search(q="26041")[0].code) == ("ward", "26041")


def test_search_ranks_prefix_before_contains_and_limits(places: dict[str, int]) -> None:
    found = admin_units_search(q="tran bien", level="ward")
    assert found[0].name == "Phường Trấn Biên"
    assert len(admin_units_search(q="phuong", limit=5)) == 5
    assert admin_units_search(q="  ") == []
    assert admin_units_search(q="no such place") == []


def test_wards_for_province(places: dict[str, int]) -> None:
    wards = wards_for_province(province_code="75")
    assert wards.count() == 95
    assert {w.level for w in wards} == {"ward"}
    assert "26041" in {w.code for w in wards}
    assert wards_for_province(province_code="1").count() == 126  # Hà Nội, code given without its zero


def test_wards_for_unknown_province(places: dict[str, int]) -> None:
    with pytest.raises(NotFound) as exc:
        wards_for_province(province_code="99")
    assert exc.value.codes == ["province_unknown"]


def test_admin_unit_get_names_the_level(places: dict[str, int]) -> None:
    assert admin_unit_get(level="province", code="75").name == "Thành phố Đồng Nai"
    assert admin_unit_get(level="legacy_province", code="75").name == "Tỉnh Đồng Nai"
    assert admin_unit_get(level="legacy_district", code="731").name == "Thành phố Biên Hòa"
    assert admin_unit_get(level="province", code="99") is None


def test_ward_successor(places: dict[str, int]) -> None:
    assert ward_successor(legacy_ward_code="26011").code == "26041"  # Bửu Long (Biên Hòa) → Trấn Biên
    assert [w.code for w in ward_successors(legacy_ward_code="26449")] == ["26359", "26446"]  # split
    assert ward_successor(legacy_ward_code="26449") is None
    assert ward_successor(legacy_ward_code="99999") is None


def test_facilities_scoped(places: dict[str, int], facilities: dict[str, Facility], make_user: Any) -> None:
    national = make_user("national_admin")
    dong_nai_officer = make_user("area_officer", admin_unit=AdminUnit.objects.get(level="province", code="75"))
    ward_officer = make_user("area_officer", admin_unit=facilities["hn"].admin_unit)
    staff = make_user("vaccinator", facility=facilities["dn"])
    nobody = make_user()

    def codes(user: object) -> set[str]:
        return set(facilities_for_user(user=user).values_list("code", flat=True))

    assert codes(national) == {"DN-01", "HN-01"}
    assert codes(dong_nai_officer) == {"DN-01"}
    assert codes(ward_officer) == {"HN-01"}
    assert codes(staff) == {"DN-01"}
    assert codes(nobody) == set()


def test_facility_get_for_user(places: dict[str, int], facilities: dict[str, Facility], make_user: Any) -> None:
    staff = make_user("vaccinator", facility=facilities["dn"])
    assert facility_get_for_user(user=staff, public_id=facilities["dn"].public_id) == facilities["dn"]
    for public_id in (facilities["hn"].public_id, "not-a-uuid"):
        with pytest.raises(NotFound) as exc:
            facility_get_for_user(user=staff, public_id=public_id)
        assert exc.value.codes == ["facility_not_found"]


def test_place_names_reads_the_units_and_what_those_before_2025_became(
    places: dict[str, int], django_assert_max_num_queries: Any
) -> None:
    """On the package's data: Bình Phước is Đồng Nai since 2025; Biên Hòa's Tân Phong became Tân Triều;
    Xuân Lộc's Xuân Tâm was split between Xuân Đông and Xuân Hòa."""
    with django_assert_max_num_queries(4):
        names = place_names()
    assert [p.code for p in names.provinces("Bình Phước")] == ["75"]
    assert [p.code for p in names.provinces("TP Hà Nội")] == ["01"]
    assert names.province_codes("70") == ("75",)
    assert [w.code for w in names.wards("Phường Trấn Biên", ["75"])] == ["26041"]
    assert [(w.code, w.name) for w in names.wards("Phường Tân Phong", ["75"])] == [("26188", "Phường Tân Triều")]
    assert [w.code for w in names.wards("Xã Xuân Tâm", ["75"])] == ["26359", "26446"]
    assert names.wards("Phường Trấn Biên", ["01"]) == ()
