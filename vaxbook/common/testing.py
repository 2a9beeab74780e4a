"""Test support shared by every app: factories for the cast, and a few helpers.

The cast (see conftest.py): a province with two wards; facility A (ward 1) and facility B (ward 2);
clerk_a works at A, clerk_b at B; an organization with its representative; a citizen.
"""

from datetime import date
from typing import Any

import factory
from django.contrib.auth import get_user_model

from vaxbook.accounts.models import Membership, Role
from vaxbook.organizations.models import Organization
from vaxbook.places.models import AdminUnit, Facility
from vaxbook.registry.identity import search_name
from vaxbook.registry.models import Person, PriorityGroup

PASSWORD = "correct-horse-battery"


class ProvinceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AdminUnit
        django_get_or_create = ("level", "code")

    code = "75"
    name = "Tỉnh Đồng Nai"
    search_name = factory.LazyAttribute(lambda o: search_name(o.name))
    level = AdminUnit.Level.PROVINCE


class WardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AdminUnit
        django_get_or_create = ("level", "code")

    code = factory.Sequence(lambda n: f"{26000 + n:05d}")
    name = factory.Sequence(lambda n: f"Phường Số {n}")
    search_name = factory.LazyAttribute(lambda o: search_name(o.name))
    level = AdminUnit.Level.WARD
    parent = factory.SubFactory(ProvinceFactory)


class FacilityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Facility
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"F{n:04d}")
    name = factory.Sequence(lambda n: f"Trạm Y tế {n}")
    kind = Facility.Kind.COMMUNE_STATION
    admin_unit = factory.SubFactory(WardFactory)

    @factory.post_generation
    def catchment(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            self.catchment.add(*(extracted if extracted is not None else [self.admin_unit]))


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    tax_code = factory.Sequence(lambda n: f"36{n:08d}")
    name = factory.Sequence(lambda n: f"Công ty TNHH Số {n}")
    admin_unit = factory.SubFactory(ProvinceFactory)


class PriorityGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PriorityGroup
        django_get_or_create = ("code",)

    code = "9"
    name = "Người lao động tại doanh nghiệp"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def saved(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            self.save()  # type: ignore[attr-defined]


def make_member(
    role: str,
    *,
    facility: Facility | None = None,
    organization: Organization | None = None,
    admin_unit: AdminUnit | None = None,
    username: str | None = None,
) -> Any:
    """A user with one membership."""
    user: Any = UserFactory(**({"username": username} if username else {}))
    Membership.objects.create(user=user, role=role, facility=facility, organization=organization, admin_unit=admin_unit)
    return user


def cccd_for(dob: date, sex: str, serial: int, province: str = "075") -> str:
    """A 12-digit personal identification number that agrees with the birth date and sex."""
    century_digit = {19: 0, 20: 2, 21: 4}[dob.year // 100] + (1 if sex == "F" else 0)
    return f"{province}{century_digit}{dob.year % 100:02d}{serial:06d}"


class PersonFactory(factory.django.DjangoModelFactory):
    """A complete person (every field vaccination needs, a valid CCCD)."""

    class Meta:
        model = Person

    full_name = factory.Sequence(lambda n: f"Nguyễn Văn Thử {chr(65 + n % 26)}")
    search_name = factory.LazyAttribute(lambda o: search_name(o.full_name))
    date_of_birth = date(1985, 6, 15)
    sex = "M"
    phone = factory.Sequence(lambda n: f"+8491{n:07d}")
    id_type = Person.IdType.CCCD
    id_number = factory.LazyAttributeSequence(lambda o, n: cccd_for(o.date_of_birth, o.sex, 100000 + n))
    nationality = "VN"
    priority_group = factory.SubFactory(PriorityGroupFactory)
    ward = factory.SubFactory(WardFactory)
    province = factory.LazyAttribute(lambda o: o.ward.parent)
    address_line = "12 Đường Số 1"
    source = Person.Source.FACILITY
    data_status = Person.DataStatus.COMPLETE
    problems = factory.LazyFunction(list)


__all__ = [
    "PASSWORD",
    "FacilityFactory",
    "OrganizationFactory",
    "PersonFactory",
    "PriorityGroupFactory",
    "ProvinceFactory",
    "Role",
    "UserFactory",
    "WardFactory",
    "cccd_for",
    "make_member",
]
