from datetime import date, datetime
from typing import Literal

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Field, Router, Schema

from vaxbook.common.apifields import Body, IsoDate, column_text, page_limit, page_offset
from vaxbook.common.errors import DomainError, ErrorItem
from vaxbook.organizations.services import person_register_by
from vaxbook.registry import selectors, services
from vaxbook.registry.identity import PersonInput
from vaxbook.registry.models import Household, Person

#: A list's `status` filter: a person's data status, or "" for all (another value is a 422 naming
#: `status` with the choices, not an empty list that looks like an answer). Person.DataStatus's values.
DataStatusFilter = Literal["", "complete", "incomplete", "invalid"]

router = Router(tags=["registry"])


class PersonIn(Body):
    full_name: str = Field(max_length=300)
    date_of_birth: IsoDate
    sex: Literal["M", "F"]
    phone: str = ""
    id_type: Literal["cccd", "cmnd", "passport", "none"] = "none"
    id_number: str = ""
    health_insurance_number: str = ""
    nationality: str = "VN"
    ethnicity: str = ""
    occupation: str = ""
    priority_group: str | None = None
    province_code: str | None = None
    ward_code: str | None = None
    address_line: str = ""


class PersonPatch(Body):
    """The fields that change (a field left out stays); any other is a 422 `field_unknown`, never dropped."""

    full_name: str | None = None
    date_of_birth: IsoDate | None = None
    sex: Literal["M", "F"] | None = None
    phone: str | None = None
    id_type: Literal["cccd", "cmnd", "passport", "none"] | None = None
    id_number: str | None = None
    health_insurance_number: str | None = None
    nationality: str | None = None
    ethnicity: str | None = None
    occupation: str | None = None
    priority_group: str | None = None
    province_code: str | None = None
    ward_code: str | None = None
    address_line: str | None = None
    version: int | None = Field(None, description="The version you edited; a stale one gets 409 edit_conflict.")


class ProblemOut(Schema):
    field: str
    code: str
    kind: str
    message: str


class PersonOut(Schema):
    id: str
    full_name: str
    date_of_birth: date
    sex: str
    phone: str
    id_type: str
    id_number: str
    health_insurance_number: str
    nationality: str
    ethnicity: str
    occupation: str
    priority_group: str | None
    province_code: str | None
    ward_code: str | None
    address_line: str
    household_id: str | None
    relation_to_head: str
    data_status: str
    problems: list[ProblemOut]
    suspected_duplicate_of: str | None
    version: int
    created_at: datetime
    updated_at: datetime


class PersonListOut(Schema):
    count: int
    results: list[PersonOut]


class HouseholdIn(Body):
    head_id: str
    address_line: str = column_text(Household, "address_line", "")


class MemberIn(Body):
    person_id: str
    relation: str = column_text(Person, "relation_to_head")


class HouseholdOut(Schema):
    id: str
    head_id: str | None
    address_line: str
    members: list[PersonOut]


class HistoryOut(Schema):
    at: datetime
    actor: str | None
    action: str
    data: dict


def person_out(person: Person) -> dict:
    problems = [p for items in selectors.person_problems(person=person).values() for p in items]
    return {
        "id": str(person.public_id),
        "full_name": person.full_name,
        "date_of_birth": person.date_of_birth,
        "sex": person.sex,
        "phone": person.phone,
        "id_type": person.id_type,
        "id_number": person.id_number,
        "health_insurance_number": person.health_insurance_number,
        "nationality": person.nationality,
        "ethnicity": person.ethnicity,
        "occupation": person.occupation,
        "priority_group": person.priority_group.code if person.priority_group else None,
        "province_code": person.province.code if person.province else None,
        "ward_code": person.ward.code if person.ward else None,
        "address_line": person.address_line,
        "household_id": str(person.household.public_id) if person.household_id and person.household else None,
        "relation_to_head": person.relation_to_head,
        "data_status": person.data_status,
        "problems": problems,
        "suspected_duplicate_of": (
            str(person.suspected_duplicate_of.public_id)
            if person.suspected_duplicate_of_id and person.suspected_duplicate_of
            else None
        ),
        "version": person.version,
        "created_at": person.created_at,
        "updated_at": person.updated_at,
    }


@router.post("/persons", response={201: PersonOut})
def person_create(request: HttpRequest, payload: PersonIn) -> tuple[int, dict]:
    data = payload.dict()
    province_code = data.pop("province_code")
    person = person_register_by(actor=request.user, data=PersonInput(**data), province_code=province_code)
    return 201, person_out(person)


@router.get("/persons", response=PersonListOut)
def person_list(
    request: HttpRequest,
    q: str = "",
    status: DataStatusFilter = "",
    limit: int = page_limit(25, 100),
    offset: int = page_offset(),
) -> dict:
    """Persons in the user's scope, by name, a page at a time (`limit` 1 to 100; an offset below 0 or past
    2,147,483,647 is a 422). With `q`, a search: its best matches of that status, at most `limit` of them
    (`count` is their number), not paged: an `offset` is a 422, refine the search instead."""
    if q:
        if offset:
            raise DomainError.single(
                "offset",
                "search_not_paged",
                _("A search answers its best matches, at most “limit” of them, and is not paged: refine the search."),
            )
        found = selectors.person_search(user=request.user, q=q, limit=limit, status=status)
        return {"count": len(found), "results": [person_out(p) for p in found]}
    qs = selectors.persons_for_user(user=request.user).order_by("search_name", "id")
    if status:
        qs = qs.filter(data_status=status)
    return {"count": qs.count(), "results": [person_out(p) for p in qs[offset : offset + limit]]}


@router.get("/persons/{person_id}", response=PersonOut)
def person_detail(request: HttpRequest, person_id: str) -> dict:
    return person_out(selectors.person_get_for_user(user=request.user, public_id=person_id))


@router.patch("/persons/{person_id}", response=PersonOut)
def person_patch(request: HttpRequest, person_id: str, payload: PersonPatch) -> dict:
    person = selectors.person_get_for_user(user=request.user, public_id=person_id)
    changes = payload.dict(exclude_unset=True)
    version = changes.pop("version", None)
    updated = services.person_update(actor=request.user, person=person, changes=changes, expected_version=version)
    return person_out(updated)


@router.get("/persons/{person_id}/history", response=list[HistoryOut])
def person_history(
    request: HttpRequest, person_id: str, limit: int = page_limit(200, 1000), offset: int = page_offset()
) -> list[dict]:
    """The person's audit trail, the latest first, a page at a time (a short page is the last)."""
    person = selectors.person_get_for_user(user=request.user, public_id=person_id)
    events = selectors.person_history(user=request.user, person=person)  # the latest first, then by id
    return [
        {"at": e.at, "actor": e.actor.username if e.actor else None, "action": e.action, "data": e.data}
        for e in events[offset : offset + limit]
    ]


def household_out(request: HttpRequest, household) -> dict:  # type: ignore[no-untyped-def]
    members = selectors.household_members(user=request.user, household=household)
    return {
        "id": str(household.public_id),
        "head_id": str(household.head.public_id) if household.head_id and household.head else None,
        "address_line": household.address_line,
        "members": [person_out(p) for p in members],
    }


@router.post("/households", response={201: HouseholdOut})
def household_create(request: HttpRequest, payload: HouseholdIn) -> tuple[int, dict]:
    head = selectors.person_get_for_user(user=request.user, public_id=payload.head_id)
    household = services.household_create(actor=request.user, head=head, address_line=payload.address_line)
    return 201, household_out(request, household)


@router.get("/households/{household_id}", response=HouseholdOut)
def household_detail(request: HttpRequest, household_id: str) -> dict:
    household = selectors.household_get_for_user(user=request.user, public_id=household_id)
    return household_out(request, household)


@router.post("/households/{household_id}/members", response={201: HouseholdOut})
def household_member_add(request: HttpRequest, household_id: str, payload: MemberIn) -> tuple[int, dict]:
    household = selectors.household_get_for_user(user=request.user, public_id=household_id)
    try:
        person = selectors.person_get_for_user(user=request.user, public_id=payload.person_id)
    except DomainError:
        raise DomainError(
            [ErrorItem("person_id", "person_not_found", _("No such person, or you may not see them."))], status=404
        ) from None
    services.household_add_member(actor=request.user, household=household, person=person, relation=payload.relation)
    return 201, household_out(request, household)


@router.delete("/households/{household_id}/members/{person_id}", response=HouseholdOut)
def household_member_remove(request: HttpRequest, household_id: str, person_id: str) -> dict:
    household = selectors.household_get_for_user(user=request.user, public_id=household_id)
    person = selectors.person_get_for_user(user=request.user, public_id=person_id)
    services.household_remove_member(actor=request.user, household=household, person=person)
    return household_out(request, household)
