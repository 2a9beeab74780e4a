from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from vaxbook.common.errors import DomainError
from vaxbook.common.models import AuditEvent
from vaxbook.places.models import AdminUnit, Facility
from vaxbook.places.services import facility_create, places_load

Through = AdminUnit.successors.through


@pytest.mark.django_db
def test_load_one_province_counts() -> None:
    counts = places_load(province_codes={"75"})

    assert counts["province"] == 1
    assert counts["ward"] == 95
    assert counts["legacy_province"] == 2  # Đồng Nai and Bình Phước were merged into Đồng Nai (75)
    assert counts["legacy_district"] > 0 and counts["legacy_ward"] > 0
    assert counts["created"] == AdminUnit.objects.count()
    assert counts["successors_created"] == counts["successors"] == Through.objects.count()
    province = AdminUnit.objects.get(level="province", code="75")
    assert province.name == "Thành phố Đồng Nai"
    assert province.search_name == "thanh pho dong nai"
    assert set(AdminUnit.objects.filter(level="legacy_province").values_list("code", flat=True)) == {"70", "75"}
    event = AuditEvent.objects.get(action="places.loaded")
    assert event.subject_id == str(province.pk)
    assert event.data["ward"] == 95


@pytest.mark.django_db
def test_second_load_creates_and_changes_nothing() -> None:
    places_load(province_codes={"75"})
    units, links, events = AdminUnit.objects.count(), Through.objects.count(), AuditEvent.objects.count()

    again = places_load(province_codes={"75"})

    assert again["created"] == again["updated"] == again["successors_created"] == again["successors_removed"] == 0
    assert (AdminUnit.objects.count(), Through.objects.count(), AuditEvent.objects.count()) == (units, links, events)


@pytest.mark.django_db
def test_reload_repairs_an_edited_unit() -> None:
    places_load(province_codes={"75"})
    AdminUnit.objects.filter(level="ward", code="26041").update(name="Sai tên", search_name="sai ten")

    counts = places_load(province_codes={"75"})

    assert counts["updated"] == 1 and counts["created"] == 0
    ward = AdminUnit.objects.get(level="ward", code="26041")
    assert (ward.name, ward.search_name) == ("Phường Trấn Biên", "phuong tran bien")


@pytest.mark.django_db
def test_legacy_bien_hoa_ward_maps_to_a_2025_ward() -> None:
    places_load(province_codes={"75"})

    buu_long = AdminUnit.objects.get(level="legacy_ward", code="26011")
    assert buu_long.name == "Phường Bửu Long"
    assert buu_long.parent.code == "731" and buu_long.parent.name == "Thành phố Biên Hòa"
    assert buu_long.parent.parent.code == "75" and buu_long.parent.parent.level == "legacy_province"
    successors = list(buu_long.successors.all())
    assert [(s.level, s.code, s.name) for s in successors] == [("ward", "26041", "Phường Trấn Biên")]
    assert successors[0].parent.code == "75"
    # every legacy ward of Biên Hòa has a 2025 successor in Đồng Nai
    bien_hoa_wards = AdminUnit.objects.filter(level="legacy_ward", parent=buu_long.parent)
    assert bien_hoa_wards.count() > 20
    assert not bien_hoa_wards.filter(successors__isnull=True).exists()
    assert set(bien_hoa_wards.values_list("successors__parent__code", flat=True)) == {"75"}


@pytest.mark.django_db
def test_legacy_provinces_map_to_the_2025_province() -> None:
    places_load(province_codes={"75"})

    for code in ("70", "75"):
        legacy = AdminUnit.objects.get(level="legacy_province", code=code)
        assert [(s.level, s.code) for s in legacy.successors.all()] == [("province", "75")]


@pytest.mark.django_db
def test_loading_a_second_province_adds_without_touching_the_first() -> None:
    places_load(province_codes={"75"})
    before = AdminUnit.objects.filter(level="ward", parent__code="75").count()

    counts = places_load(province_codes={"01"})

    assert counts["province"] == 1 and counts["updated"] == 0
    assert AdminUnit.objects.filter(level="ward", parent__code="75").count() == before
    assert AdminUnit.objects.get(level="ward", code="00004").name == "Phường Ba Đình"
    assert AdminUnit.objects.get(level="legacy_province", code="01").successors.get().code == "01"


@pytest.mark.django_db
def test_unknown_province_code_is_refused() -> None:
    with pytest.raises(DomainError) as exc:
        places_load(province_codes={"99"})
    assert exc.value.codes == ["province_unknown"]
    assert not AdminUnit.objects.exists()


@pytest.mark.django_db
def test_load_places_command() -> None:
    out = StringIO()
    call_command("load_places", "--only-province", "75", stdout=out)
    assert "province=1" in out.getvalue()
    assert "ward=95" in out.getvalue()
    assert AdminUnit.objects.filter(level="ward").count() == 95


def test_facility_create(places: dict[str, int], make_user: Any) -> None:
    actor = make_user("national_admin")
    ward = AdminUnit.objects.get(level="ward", code="26041")

    facility = facility_create(
        actor=actor,
        code="DN-TB-01",
        name="  Trạm Y tế   Trấn Biên ",
        kind=Facility.Kind.COMMUNE_STATION,
        admin_unit=ward,
        address_line="1 Đường Nguyễn Ái Quốc",
        catchment=["26041", AdminUnit.objects.get(level="ward", code="26017")],
    )

    assert facility.name == "Trạm Y tế Trấn Biên"
    assert facility.admin_unit == ward
    assert sorted(facility.catchment.values_list("code", flat=True)) == ["26017", "26041"]
    event = AuditEvent.objects.get(action="places.facility.created")
    assert event.actor == actor
    assert event.subject_id == str(facility.public_id)
    assert event.data["catchment"] == ["26017", "26041"]


def test_facility_create_by_unit_code(places: dict[str, int]) -> None:
    facility = facility_create(actor=None, code="DN-01", name="Bệnh viện Đồng Nai", kind="hospital", admin_unit="75")
    assert (facility.admin_unit.level, facility.admin_unit.code) == ("province", "75")


def test_facility_code_taken(places: dict[str, int]) -> None:
    facility_create(actor=None, code="DN-01", name="A", kind="hospital", admin_unit="26041")
    with pytest.raises(DomainError) as exc:
        facility_create(actor=None, code="DN-01", name="B", kind="hospital", admin_unit="26041")
    assert exc.value.codes == ["facility_code_taken"]
    assert exc.value.status == 409
    assert Facility.objects.count() == 1


@pytest.mark.parametrize(
    ("admin_unit", "catchment", "code"),
    [
        ("99999", (), "admin_unit_unknown"),
        ("26041", ("99999",), "admin_unit_unknown"),
        ("26041", ("75",), "admin_unit_unknown"),  # a catchment is made of wards
    ],
)
def test_facility_admin_unit_unknown(
    places: dict[str, int], admin_unit: str, catchment: tuple[str, ...], code: str
) -> None:
    with pytest.raises(DomainError) as exc:
        facility_create(actor=None, code="X", name="X", kind="hospital", admin_unit=admin_unit, catchment=catchment)
    assert exc.value.codes == [code]
    assert not Facility.objects.exists()


def test_facility_in_a_legacy_unit_is_refused(places: dict[str, int]) -> None:
    legacy = AdminUnit.objects.get(level="legacy_ward", code="26011")
    with pytest.raises(DomainError) as exc:
        facility_create(actor=None, code="X", name="X", kind="hospital", admin_unit=legacy)
    assert exc.value.codes == ["admin_unit_legacy"]


def test_facility_create_checks_fields(places: dict[str, int]) -> None:
    with pytest.raises(DomainError) as exc:
        facility_create(actor=None, code=" ", name="", kind="spaceship", admin_unit="26041")
    assert exc.value.codes == ["required", "required", "invalid_choice"]
