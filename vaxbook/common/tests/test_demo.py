"""The demo loader: deterministic, idempotent, complete enough to sign in and look around."""

import io
import sys
import types
from datetime import date
from typing import Any

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from vaxbook.accounts.models import Role, User
from vaxbook.common import demo
from vaxbook.common import testing as t
from vaxbook.common.models import AuditEvent
from vaxbook.organizations.models import Organization, RosterEntry
from vaxbook.places.models import AdminUnit, Facility
from vaxbook.registry.models import Household, Person

TODAY = date(2026, 11, 26)
SMALL = {"persons": 120, "households": 40}


@pytest.fixture
def wards(ward1: Any, ward2: Any, province: Any) -> list[AdminUnit]:
    """Trấn Biên and Tam Hiệp (the cast), and Long Khánh: enough for the demo's three areas."""
    return [ward1, ward2, t.WardFactory(code="26080", name="Phường Long Khánh", parent=province)]


@pytest.fixture
def loaded(wards: list[AdminUnit]) -> dict[str, Any]:
    return demo.demo_load(stdout=io.StringIO(), seed=7, today=TODAY, **SMALL)


def test_the_demo_registers_every_person(loaded: dict[str, Any]) -> None:
    assert loaded["loaded"]
    assert loaded["refused"] == 0
    assert loaded["persons"] == Person.objects.count() == 120
    assert Household.objects.count() == 40
    assert Person.objects.filter(household__isnull=False).count() == 119
    assert Person.objects.filter(relation_to_head=Person.Relation.HEAD).count() == 40
    assert AuditEvent.objects.filter(action="registry.person.created").count() == 120
    assert AuditEvent.objects.filter(action="registry.household.created").count() == 40


def test_about_five_percent_are_incomplete_and_a_few_are_suspected_duplicates(loaded: dict[str, Any]) -> None:
    incomplete = Person.objects.filter(data_status=Person.DataStatus.INCOMPLETE)
    assert incomplete.count() == loaded["incomplete"] == 6
    assert not Person.objects.filter(data_status=Person.DataStatus.INVALID).exists()
    codes = {p["code"] for person in incomplete for p in person.problems}
    assert codes <= {"phone_missing", "id_document_missing", "ward_missing"}
    [duplicate] = Person.objects.filter(suspected_duplicate_of__isnull=False)
    original = duplicate.suspected_duplicate_of
    assert (duplicate.search_name, duplicate.date_of_birth, duplicate.phone) == (
        original.search_name,
        original.date_of_birth,
        original.phone,
    )
    assert duplicate.id_number == "" and original.id_number


def test_persons_live_in_the_catchment_of_the_demo_facilities(loaded: dict[str, Any], wards: list[AdminUnit]) -> None:
    codes = set(Facility.objects.values_list("code", flat=True))
    assert codes == {"75-BVDK", "75-TTYT-BH", "75-TTYT-LK", "75-TYT-TAMHIEP"}
    catchment = set(AdminUnit.objects.filter(catchment_facilities__isnull=False).values_list("pk", flat=True))
    assert set(Person.objects.exclude(ward=None).values_list("ward_id", flat=True)) <= catchment
    assert Facility.objects.get(code="75-TTYT-LK").admin_unit.name == "Phường Long Khánh"
    assert Facility.objects.get(code="75-TYT-TAMHIEP").admin_unit.name == "Phường Tam Hiệp"


def test_identity_numbers_agree_with_birth_date_and_sex(loaded: dict[str, Any]) -> None:
    for person in Person.objects.filter(id_type="cccd"):
        century = (person.date_of_birth.year - 1900) // 100
        assert person.id_number[3] == str(2 * century + (person.sex == "F"))
        assert person.id_number[4:6] == f"{person.date_of_birth.year % 100:02d}"
    assert Person.objects.filter(id_number__startswith="075").count() > Person.objects.count() / 2


def test_the_six_demo_users_sign_in_with_their_roles(loaded: dict[str, Any]) -> None:
    expected = {
        "admin": (Role.NATIONAL_ADMIN, None),
        "province": (Role.PROVINCE_OFFICER, "75"),
        "clerk": (Role.DATA_CLERK, "75-BVDK"),
        "vaccinator": (Role.VACCINATOR, "75-BVDK"),
        "clerk2": (Role.DATA_CLERK, "75-TYT-TAMHIEP"),
        "org": (Role.ORG_REPRESENTATIVE, "3600245698"),
    }
    for username, (role, scope) in expected.items():
        user = authenticate(None, username=username, password=demo.DEMO_PASSWORD)
        assert user is not None, username
        membership = user.memberships.get()
        target = membership.facility or membership.organization or membership.admin_unit
        assert membership.role == role
        assert (getattr(target, "code", None) or getattr(target, "tax_code", None)) == scope
    assert set(Organization.objects.values_list("name", flat=True)) == {
        "Công ty TNHH Changshin Việt Nam",
        "Sở Giáo dục và Đào tạo Đồng Nai",
    }


def test_workers_are_on_the_first_organizations_roster(loaded: dict[str, Any]) -> None:
    entries = RosterEntry.objects.filter(organization__tax_code="3600245698")
    assert 0 < entries.count() == loaded["roster"] <= demo.ROSTER_SIZE


def test_a_second_run_changes_nothing(loaded: dict[str, Any]) -> None:
    counts = [m.objects.count() for m in (Person, Household, User, Facility, Organization, AuditEvent)]
    out = io.StringIO()
    call_command("load_demo", persons=120, households=40, seed=7, stdout=out)
    assert [m.objects.count() for m in (Person, Household, User, Facility, Organization, AuditEvent)] == counts
    printed = out.getvalue()
    assert all(name in printed for name in ("admin", "province", "clerk2", "vaccinator", demo.DEMO_PASSWORD))


def test_the_people_are_the_same_for_the_same_seed(wards: list[AdminUnit]) -> None:
    codes = [w.code for w in wards]
    first = demo.demo_people(seed=7, ward_codes=codes, today=TODAY, **SMALL)
    assert demo.demo_people(seed=7, ward_codes=codes, today=TODAY, **SMALL) == first
    other = demo.demo_people(seed=8, ward_codes=codes, today=TODAY, **SMALL)
    assert [p.full_name for p in other.members] != [p.full_name for p in first.members]


def test_the_database_holds_the_generated_people(loaded: dict[str, Any]) -> None:
    codes = sorted(set(Person.objects.exclude(ward=None).values_list("ward__code", flat=True)))
    people = demo.demo_people(seed=7, ward_codes=codes, today=TODAY, **SMALL)
    generated = sorted((p.full_name, p.date_of_birth) for p in [*people.members, *people.duplicates])
    assert sorted(Person.objects.values_list("full_name", "date_of_birth")) == generated


def test_a_citizen_of_the_demo_can_sign_in(loaded: dict[str, Any]) -> None:
    from vaxbook.accounts.services import otp_request, otp_verify
    from vaxbook.accounts.tests.conftest import last_code

    citizen = demo.demo_citizen(actor=User.objects.get(username="admin"))
    assert citizen is not None
    otp_request(phone=citizen.phone)
    assert otp_verify(phone=citizen.phone, code=last_code(citizen.phone)).person == citizen


def test_the_demo_loads_dong_nai_when_the_places_are_missing(db: Any) -> None:
    summary = demo.demo_load(stdout=None, persons=20, households=8, seed=1, today=TODAY)
    assert summary["refused"] == 0
    long_khanh = Facility.objects.get(code="75-TTYT-LK")
    assert long_khanh.admin_unit.name == "Phường Long Khánh"
    assert long_khanh.admin_unit.parent.code == "75"
    assert "Phường Bình Lộc" in set(long_khanh.catchment.values_list("name", flat=True))


def test_the_clinic_demo_is_called_when_it_exists(wards: list[AdminUnit], monkeypatch: Any) -> None:
    calls: list[Any] = []
    module = types.ModuleType(demo.CLINIC_DEMO_MODULE)
    module.clinic_demo_load = lambda *, stdout: calls.append(stdout)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, demo.CLINIC_DEMO_MODULE, module)
    out = io.StringIO()
    demo.demo_load(stdout=out, persons=20, households=8, seed=1, today=TODAY)
    demo.demo_load(stdout=out, persons=20, households=8, seed=1, today=TODAY)
    assert calls == [out, out]


def test_a_broken_clinic_demo_is_not_hidden(tmp_path: Any, monkeypatch: Any) -> None:
    (tmp_path / "broken_clinic_demo.py").write_text("import no_such_module_for_the_demo\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(demo, "CLINIC_DEMO_MODULE", "broken_clinic_demo")
    with pytest.raises(ModuleNotFoundError):
        demo._hook(demo.CLINIC_DEMO_MODULE, "clinic_demo_load", None)
    monkeypatch.setattr(demo, "CLINIC_DEMO_MODULE", "no_clinic_demo_here")
    demo._hook(demo.CLINIC_DEMO_MODULE, "clinic_demo_load", None)  # absent: nothing to do
