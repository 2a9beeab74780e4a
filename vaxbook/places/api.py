"""Places API at /api/v1/places/: administrative units (2025 and legacy) and the user's facilities."""

from uuid import UUID

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from vaxbook.places.models import AdminUnit, Facility
from vaxbook.places.selectors import admin_units_search, facilities_for_user, provinces_list, wards_for_province

router = Router(tags=["places"])


class UnitOut(Schema):
    code: str
    name: str


class UnitSearchOut(Schema):
    code: str
    name: str
    level: str
    parent_code: str | None = None

    @staticmethod
    def resolve_parent_code(obj: AdminUnit) -> str | None:
        return obj.parent.code if obj.parent_id and obj.parent else None


class SearchQuery(Schema):
    q: str = Field(..., min_length=1, max_length=120)
    level: AdminUnit.Level | None = None
    limit: int = Field(20, ge=1, le=100)


class FacilityOut(Schema):
    id: UUID
    code: str
    name: str
    kind: str
    admin_unit_code: str

    @staticmethod
    def resolve_id(obj: Facility) -> UUID:
        return obj.public_id

    @staticmethod
    def resolve_admin_unit_code(obj: Facility) -> str:
        return obj.admin_unit.code


@router.get("/provinces", response=list[UnitOut])
def provinces(request: HttpRequest) -> list[AdminUnit]:
    return list(provinces_list())


@router.get("/wards", response=list[UnitOut])
def wards(request: HttpRequest, province: str) -> list[AdminUnit]:
    return list(wards_for_province(province_code=province))


@router.get("/search", response=list[UnitSearchOut])
def search(request: HttpRequest, filters: Query[SearchQuery]) -> list[AdminUnit]:
    return admin_units_search(q=filters.q, level=filters.level, limit=filters.limit)


@router.get("/facilities", response=list[FacilityOut])
def facilities(request: HttpRequest) -> list[Facility]:
    return list(facilities_for_user(user=request.user))
