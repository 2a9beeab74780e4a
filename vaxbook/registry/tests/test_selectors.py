"""Registry reads, for each member of the cast: who lists, finds and opens whom."""

from datetime import date
from typing import Any

import pytest

from vaxbook.common import testing as t
from vaxbook.common.errors import NotFound
from vaxbook.registry import selectors
from vaxbook.registry.models import Person
from vaxbook.registry.services import household_add_member, household_create, person_update
from vaxbook.registry.tokens import person_qr_token

pytestmark = pytest.mark.django_db

HOA_CCCD = t.cccd_for(date(1990, 3, 4), "F", 123)
BINH_CCCD = t.cccd_for(date(1985, 6, 15), "M", 456)


@pytest.fixture
def hoa(ward1: Any, priority_group: Any) -> Person:
    return t.PersonFactory(
        full_name="Nguyễn Thị Hoà",
        sex="F",
        date_of_birth=date(1990, 3, 4),
        id_number=HOA_CCCD,
        phone="+84912000001",
        ward=ward1,
    )


@pytest.fixture
def binh(ward2: Any, priority_group: Any) -> Person:
    return t.PersonFactory(full_name="Trần Văn Bình", id_number=BINH_CCCD, phone="+84912000002", ward=ward2)


@pytest.fixture
def citizen(ward2: Any, priority_group: Any) -> Any:
    me = t.PersonFactory(full_name="Lê Văn Dân", phone="+84912000009", ward=ward2)
    household = household_create(actor=None, head=me)
    kid = t.PersonFactory(full_name="Lê Thị Bé", date_of_birth=date(2020, 1, 2), id_number="", ward=ward2)
    household_add_member(actor=None, household=household, person=kid, relation="child")
    user = t.UserFactory(username="citizen", person=me)
    user.kid = kid
    return user


@pytest.fixture
def cast(
    clerk_a: Any, clerk_b: Any, officer: Any, admin_user: Any, rep: Any, citizen: Any, hoa: Person, binh: Person
) -> dict[str, Any]:
    return {
        "clerk_a": clerk_a,
        "clerk_b": clerk_b,
        "officer": officer,
        "admin": admin_user,
        "rep": rep,
        "citizen": citizen,
        "hoa": hoa,
        "binh": binh,
        "dan": citizen.person,
        "be": citizen.kid,
    }


def names(persons: Any) -> set[str]:
    return {p.full_name.split()[-1] for p in persons}


# Who each member of the cast may list (by the last word of the name).
LISTED = {
    "clerk_a": {"Hoà"},
    "clerk_b": {"Bình", "Dân", "Bé"},
    "officer": {"Hoà", "Bình", "Dân", "Bé"},
    "admin": {"Hoà", "Bình", "Dân", "Bé"},
    "rep": set(),
    "citizen": {"Dân", "Bé"},
}


@pytest.mark.parametrize(("who", "expected"), LISTED.items())
def test_persons_for_user(cast: dict[str, Any], who: str, expected: set[str]) -> None:
    assert names(selectors.persons_for_user(user=cast[who])) == expected


def test_merged_records_are_not_listed(cast: dict[str, Any], ward1: Any) -> None:
    from vaxbook.registry.services import person_merge

    twin = t.PersonFactory(full_name="Nguyễn Thị Hoà", id_number="", ward=ward1)
    person_merge(actor=cast["clerk_a"], duplicate=twin, into=cast["hoa"])
    assert [p.pk for p in selectors.persons_for_user(user=cast["clerk_a"])] == [cast["hoa"].pk]


@pytest.mark.parametrize(("who", "expected"), LISTED.items())
def test_person_search_by_name_stays_in_the_list(cast: dict[str, Any], who: str, expected: set[str]) -> None:
    for query, last in (("nguyen thi hoa", "Hoà"), ("Trần", "Bình"), ("le", None)):
        found = names(selectors.person_search(user=cast[who], q=query))
        wanted = {n for n in expected if (n == last if last else n in {"Dân", "Bé"})}
        assert found == wanted, (who, query)


def test_person_search_folds_diacritics_and_case(cast: dict[str, Any]) -> None:
    for query in ("nguyen thi hoa", "NGUYỄN THỊ HOÀ", "Nguyen Thi Hoa", "thi hoa"):
        assert names(selectors.person_search(user=cast["officer"], q=query)) == {"Hoà"}, query


@pytest.mark.parametrize(
    ("who", "finds_hoa"),
    [("clerk_a", True), ("clerk_b", True), ("officer", True), ("admin", True), ("rep", False), ("citizen", False)],
)
def test_person_search_by_exact_number_or_phone(cast: dict[str, Any], who: str, finds_hoa: bool) -> None:
    """Staff of any facility (and officers) find anyone by an exact identifier; others only their own."""
    for query in (HOA_CCCD, HOA_CCCD[1:], "0912000001", "+84 912 000 001"):
        found = selectors.person_search(user=cast[who], q=query)
        assert (cast["hoa"] in found) is finds_hoa, (who, query)


def test_person_search_without_a_query_finds_nothing(cast: dict[str, Any]) -> None:
    assert selectors.person_search(user=cast["admin"], q="   ") == []


@pytest.mark.parametrize(
    ("who", "finds_hoa"),
    [("clerk_a", True), ("clerk_b", True), ("officer", True), ("admin", True), ("rep", False), ("citizen", False)],
)
def test_person_find_exact(cast: dict[str, Any], who: str, finds_hoa: bool) -> None:
    hoa = cast["hoa"]
    for identifier in (HOA_CCCD, "0912000001", person_qr_token(hoa)):
        found = selectors.person_find_exact(user=cast[who], identifier=identifier)
        assert (found == hoa) is finds_hoa, (who, identifier)
    assert selectors.person_find_exact(user=cast[who], identifier="nguyen thi hoa") is None
    assert selectors.person_find_exact(user=cast[who], identifier="P1.00.forged") is None


def test_a_citizen_finds_their_own_by_exact_identifier(cast: dict[str, Any]) -> None:
    citizen = cast["citizen"]
    assert selectors.person_find_exact(user=citizen, identifier="0912000009") == cast["dan"]
    assert selectors.person_find_exact(user=citizen, identifier=person_qr_token(cast["be"])) == cast["be"]


# Whom each member of the cast may open by public id.
OPENS = {
    "clerk_a": {"hoa", "binh", "dan", "be"},  # facility staff: any record whose id they hold (check-in)
    "clerk_b": {"hoa", "binh", "dan", "be"},
    "officer": {"hoa", "binh", "dan", "be"},
    "admin": {"hoa", "binh", "dan", "be"},
    "rep": set(),
    "citizen": {"dan", "be"},
}


@pytest.mark.parametrize(("who", "expected"), OPENS.items())
def test_person_get_for_user(cast: dict[str, Any], who: str, expected: set[str]) -> None:
    for key in ("hoa", "binh", "dan", "be"):
        person = cast[key]
        if key in expected:
            assert selectors.person_get_for_user(user=cast[who], public_id=person.public_id) == person
            assert selectors.person_get_for_user(user=cast[who], public_id=str(person.public_id)) == person
        else:
            with pytest.raises(NotFound):
                selectors.person_get_for_user(user=cast[who], public_id=person.public_id)


def test_person_get_for_user_refuses_a_malformed_or_unknown_id(cast: dict[str, Any]) -> None:
    for bad in ("not-a-uuid", "00000000-0000-0000-0000-000000000000"):
        with pytest.raises(NotFound) as exc:
            selectors.person_get_for_user(user=cast["admin"], public_id=bad)
        assert exc.value.codes == ["person_not_found"]


@pytest.mark.parametrize(
    ("who", "sees"),
    [("clerk_a", True), ("officer", True), ("admin", True), ("rep", False), ("citizen", False)],
)
def test_person_history_is_for_staff(cast: dict[str, Any], who: str, sees: bool) -> None:
    person_update(actor=cast["admin"], person=cast["dan"], changes={"occupation": "Nông dân"})
    events = list(selectors.person_history(user=cast[who], person=cast["dan"]))
    assert bool(events) is sees
    if sees:
        assert [e.action for e in events] == ["registry.person.updated"]


def test_person_problems_by_field_with_messages(cast: dict[str, Any]) -> None:
    dan = person_update(actor=cast["admin"], person=cast["dan"], changes={"phone": "", "address_line": ""})
    problems = selectors.person_problems(person=dan)
    assert set(problems) == {"phone", "address_line"}
    [phone] = problems["phone"]
    assert phone["code"] == "phone_missing" and phone["kind"] == "missing" and phone["message"]


@pytest.mark.parametrize(("who", "sees"), [("clerk_b", True), ("officer", True), ("citizen", True), ("clerk_a", False)])
def test_households_follow_their_members(cast: dict[str, Any], who: str, sees: bool) -> None:
    household = cast["dan"].household
    if sees:
        assert selectors.household_get_for_user(user=cast[who], public_id=household.public_id) == household
        members = selectors.household_members(user=cast[who], household=household)
        assert names(members) == {"Dân", "Bé"}
    else:
        with pytest.raises(NotFound):
            selectors.household_get_for_user(user=cast[who], public_id=household.public_id)
