from typing import Any

import pytest

from vaxbook.accounts.models import Membership, User
from vaxbook.places.models import AdminUnit, Facility
from vaxbook.places.services import places_load


@pytest.fixture
def places(db: Any) -> dict[str, int]:
    """Đồng Nai (75) and Hà Nội (01), with their legacy units and the mapping: fast enough for every test."""
    return places_load(province_codes={"75", "01"})


@pytest.fixture
def make_user(db: Any) -> Any:
    counter = iter(range(1, 1000))

    def make(role: str | None = None, **scope: Any) -> User:
        user = User.objects.create_user(username=f"user{next(counter)}", password="pw-not-used")
        if role is not None:
            Membership.objects.create(user=user, role=role, **scope)
        return user

    return make


@pytest.fixture
def facilities(places: dict[str, int]) -> dict[str, Facility]:
    """One facility in a Đồng Nai ward (Phường Trấn Biên, 26041) and one in a Hà Nội ward (Phường Ba Đình, 00004)."""
    ward_dn = AdminUnit.objects.get(level="ward", code="26041")
    ward_hn = AdminUnit.objects.get(level="ward", code="00004")
    return {
        "dn": Facility.objects.create(
            code="DN-01", name="Trạm Y tế Trấn Biên", kind="commune_station", admin_unit=ward_dn
        ),
        "hn": Facility.objects.create(
            code="HN-01", name="Trạm Y tế Ba Đình", kind="commune_station", admin_unit=ward_hn
        ),
    }
