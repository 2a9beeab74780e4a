"""Factories for the clinic and vaccines tests.

The generic cast (places, facilities, users with a membership, complete persons) comes from
`vaxbook.common.testing`, shared by every app; what is specific to vaccination day is here.
"""

from datetime import date, datetime, timedelta
from typing import Any

import factory
from django.db import transaction
from django.utils import timezone

from vaxbook.clinic.models import Screening, Session
from vaxbook.common.testing import (  # re-exported: the generic cast
    FacilityFactory,
    OrganizationFactory,
    PersonFactory,
    PriorityGroupFactory,
    ProvinceFactory,
    Role,
    UserFactory,
    WardFactory,
    make_member,
)
from vaxbook.registry.models import Person
from vaxbook.vaccines.models import Lot, LotHolding, StockMovement, Vaccine
from vaxbook.vaccines.services import ledger_append, stock_lock

__all__ = [
    "FacilityFactory",
    "LotFactory",
    "OrganizationFactory",
    "PersonFactory",
    "PriorityGroupFactory",
    "ProvinceFactory",
    "Role",
    "ScreeningFactory",
    "SessionFactory",
    "UserFactory",
    "VaccineFactory",
    "WardFactory",
    "incomplete_person",
    "make_member",
    "stock",
]


class VaccineFactory(factory.django.DjangoModelFactory):
    """A two-dose vaccine (tests that need the real catalogue load it with `vaccines_load`)."""

    class Meta:
        model = Vaccine
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"TEST-{n}")
    name = factory.Sequence(lambda n: f"Test vaccine {n}")
    manufacturer = "Test Manufacturer"
    kind = Vaccine.Kind.MRNA
    prophylaxis_code = "1119349007"
    primary_doses = 2
    min_interval_days = 21
    booster_interval_days = 90


class LotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lot
        django_get_or_create = ("vaccine", "number")

    vaccine = factory.SubFactory(VaccineFactory)
    number = factory.Sequence(lambda n: f"LOT{n:05d}")
    expiry = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=365))


def stock(facility: Any, lot: Lot, quantity: int, *, at: datetime | None = None) -> StockMovement:
    """Put `quantity` doses of `lot` at `facility` directly (a received movement, appended to its ledger)."""
    with transaction.atomic():
        LotHolding.objects.get_or_create(facility=facility, lot=lot)
        stock_lock(facility_id=facility.pk, lot_id=lot.pk)
        return ledger_append(
            facility_id=facility.pk,
            lot_id=lot.pk,
            quantity=quantity,
            kind=StockMovement.Kind.RECEIVED,
            at=at or timezone.now() - timedelta(days=400),
        )


class SessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Session

    facility = factory.SubFactory(FacilityFactory)
    date = factory.LazyFunction(timezone.localdate)
    starts_at = factory.LazyFunction(lambda: datetime.strptime("07:30", "%H:%M").time())
    ends_at = factory.LazyFunction(lambda: datetime.strptime("16:30", "%H:%M").time())
    vaccine = factory.SubFactory(VaccineFactory)
    capacity = 100


class ScreeningFactory(factory.django.DjangoModelFactory):
    """An eligible screening of today (all answers "no")."""

    class Meta:
        model = Screening

    person = factory.SubFactory(PersonFactory)
    facility = factory.SubFactory(FacilityFactory)
    screened_at = factory.LazyFunction(timezone.now)
    screened_on = factory.LazyAttribute(lambda o: timezone.localdate(o.screened_at))
    screened_by = factory.SubFactory(UserFactory)
    answers = factory.LazyFunction(dict)
    outcome = Screening.Outcome.ELIGIBLE
    reasons = factory.LazyFunction(list)


def incomplete_person(**kwargs: Any) -> Person:
    """A record without a phone and a ward: incomplete, with its problems as data."""
    values: dict[str, Any] = {"ward": None, "province": None, **kwargs}
    return PersonFactory(
        data_status=Person.DataStatus.INCOMPLETE,
        phone="",
        problems=[
            {"field": "phone", "code": "phone_missing", "message": "There is no phone number.", "kind": "missing"},
            {"field": "ward_code", "code": "ward_missing", "message": "There is no ward.", "kind": "missing"},
        ],
        **values,
    )


def born(year: int) -> date:
    return date(year, 1, 15)
