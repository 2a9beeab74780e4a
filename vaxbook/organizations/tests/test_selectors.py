"""Roster reads: a search finds staff by number, phone, employee number or name, inside the roster only."""

from datetime import date

import pytest

from vaxbook.common.testing import OrganizationFactory, PersonFactory, cccd_for
from vaxbook.organizations.models import RosterEntry
from vaxbook.organizations.selectors import roster_for_user
from vaxbook.registry.models import Person

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(org, province):
    """Three staff members of `org`, and a namesake of one of them on another organization's roster."""
    hoa = PersonFactory(full_name="Nguyễn Thị Hoà", sex="F", id_number=cccd_for(date(1985, 6, 15), "F", 1, "001"))
    hung = PersonFactory(full_name="Trần Văn Hùng", phone="+84912345678")
    lan = PersonFactory(full_name="Lê Thị Lan", sex="F", id_type="passport", id_number="B1234567", nationality="VN")
    RosterEntry.objects.create(organization=org, person=hoa, employee_number="NV-007")
    RosterEntry.objects.create(organization=org, person=hung)
    RosterEntry.objects.create(organization=org, person=lan)
    other = OrganizationFactory(name="Công ty Khác", admin_unit=province)
    RosterEntry.objects.create(organization=other, person=PersonFactory(full_name="Nguyễn Thị Hoà Bình"))
    return {"hoa": hoa, "hung": hung, "lan": lan}


@pytest.mark.parametrize(
    ("q", "who"),
    [
        ("nguyen thi hoa", ["hoa"]),  # typed without diacritics
        ("Thị", ["hoa", "lan"]),  # a word inside the name
        ("  HÙNG ", ["hung"]),
        ("001185000001", ["hoa"]),
        ("01185000001", ["hoa"]),  # the CCCD with its leading zero lost, as the registry search reads it
        ("0912 345 678", ["hung"]),  # the phone in its national form, with spaces
        ("+84912345678", ["hung"]),
        ("nv-007", ["hoa"]),  # an employee number, whatever its case
        ("b1234567", ["lan"]),  # a passport number
        ("Phạm", []),
        ("0999999999", []),
    ],
)
def test_a_roster_search_finds_staff_by_number_phone_employee_number_or_name(rep, org, staff, q, who):
    found = roster_for_user(user=rep, organization=org, q=q)
    assert sorted(e.person.pk for e in found) == sorted(staff[w].pk for w in who)


def test_a_roster_search_keeps_the_data_status_filter(rep, org, staff):
    Person.objects.filter(pk=staff["lan"].pk).update(data_status="incomplete")
    assert [e.person.pk for e in roster_for_user(user=rep, organization=org, q="thi", data_status="incomplete")] == [
        staff["lan"].pk
    ]
    assert roster_for_user(user=rep, organization=org, q="  ").count() == 3  # blank: everyone
