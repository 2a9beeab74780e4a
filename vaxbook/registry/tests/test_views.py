"""The registry pages: search, the record with its problems by field, the form, households, scoping, language."""

import re
from datetime import date
from typing import Any

import pytest
from django.test import Client

from vaxbook.common import testing as t
from vaxbook.common.models import AuditEvent
from vaxbook.registry.identity import PersonInput
from vaxbook.registry.models import Person
from vaxbook.registry.services import household_create, person_register, person_update

pytestmark = pytest.mark.django_db

DOB = date(1990, 3, 4)


@pytest.fixture
def hoa(ward1: Any, priority_group: Any) -> Person:
    return t.PersonFactory(
        full_name="Nguyễn Thị Hoà",
        sex="F",
        date_of_birth=DOB,
        id_number=t.cccd_for(DOB, "F", 123),
        phone="+84912000001",
        ward=ward1,
    )


@pytest.fixture
def incomplete(clerk_a: Any, ward1: Any, priority_group: Any) -> Person:
    """Registered through the service without phone, document and address."""
    return person_register(
        actor=clerk_a,
        data=PersonInput(
            full_name="Phạm Văn Thiếu",
            date_of_birth=date(1980, 1, 2),
            sex="M",
            priority_group="9",
            ward_code=ward1.code,
        ),
        source="facility",
    )


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def fact(html: str, key: str) -> str:
    """The HTML of one line of the record (its label, value and problems)."""
    match = re.search(rf'<div class="fact[^"]*" id="fact-{key}".*?</div>', html, re.S)
    assert match, f"no fact {key}"
    return match.group(0)


def row(html: str, name: str) -> str:
    """The HTML of one form field (label, input, errors)."""
    match = re.search(rf'<div class="field-row[^"]*" id="row-{name}">.*?</div>', html, re.S)
    assert match, f"no row {name}"
    return match.group(0)


def form_data(ward: Any, **over: Any) -> dict[str, Any]:
    values = {
        "full_name": "Phạm Thị Lan",
        "date_of_birth": "1990-03-04",
        "sex": "F",
        "phone": "0912 345 678",
        "id_type": "cccd",
        "id_number": t.cccd_for(DOB, "F", 777),
        "health_insurance_number": "",
        "nationality": "VN",
        "ethnicity": "Kinh",
        "occupation": "",
        "priority_group": "9",
        "province_code": "75",
        "ward_code": ward.code,
        "address_line": "1 Lê Lợi",
    }
    values.update(over)
    return values


# --------------------------------------------------------------------------------------------
# Search
# --------------------------------------------------------------------------------------------


def test_the_search_page_renders_in_vietnamese_with_the_search_box_focused(clerk_a: Any, hoa: Person) -> None:
    response = signed_in(clerk_a).get("/registry/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="vi">' in html
    assert re.search(r'<input type="search" id="q" name="q"[^>]*autofocus', html)
    assert '<label for="q">' in html
    assert 'hx-trigger="input changed delay:250ms, search"' in html
    assert 'href="/registry/persons/new/"' in html
    assert f'href="/registry/persons/{hoa.public_id}/"' in html  # listed without a query
    assert "status-complete" in html


def test_a_name_typed_without_diacritics_finds_the_person(clerk_a: Any, hoa: Person, incomplete: Person) -> None:
    html = signed_in(clerk_a).get("/registry/", {"q": "nguyen thi hoa"}).content.decode()
    assert f'href="/registry/persons/{hoa.public_id}/"' in html
    assert str(incomplete.public_id) not in html


def test_htmx_gets_only_the_results(clerk_a: Any, hoa: Person) -> None:
    response = signed_in(clerk_a).get("/registry/", {"q": "hoa"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "<html" not in html and "Nguyễn Thị Hoà" in html
    assert "HX-Request" in response["Vary"]


def test_the_list_filters_by_status_and_pages_by_50(clerk_a: Any, ward1: Any, priority_group: Any) -> None:
    t.PersonFactory.create_batch(51, ward=ward1)
    t.PersonFactory(full_name="Đỗ Thị Thiếu", ward=ward1, data_status="incomplete")
    client = signed_in(clerk_a)
    first = client.get("/registry/").content.decode()
    assert first.count('class="c-name"') == 50
    assert "?page=2" in first
    second = client.get("/registry/", {"page": 2}).content.decode()
    assert second.count('class="c-name"') == 2
    only = client.get("/registry/", {"status": "incomplete"}).content.decode()
    assert only.count('class="c-name"') == 1 and "Đỗ Thị Thiếu" in only


def test_nothing_found_offers_to_register(clerk_a: Any) -> None:
    html = signed_in(clerk_a).get("/registry/", {"q": "khong ai ca"}).content.decode()
    assert 'class="card empty"' in html and 'href="/registry/persons/new/"' in html


# --------------------------------------------------------------------------------------------
# A person's record
# --------------------------------------------------------------------------------------------


def test_each_problem_is_shown_next_to_its_field(clerk_a: Any, incomplete: Person) -> None:
    html = signed_in(clerk_a).get(f"/registry/persons/{incomplete.public_id}/").content.decode()
    assert 'data-code="phone_missing"' in fact(html, "phone")
    assert 'data-code="id_document_missing"' in fact(html, "id_number")
    assert 'data-code="address_missing"' in fact(html, "address_line")
    assert '<p class="problem missing" data-code="phone_missing">' in html
    for clean in ("full_name", "date_of_birth", "sex", "ward_code", "priority_group"):
        assert "data-code" not in fact(html, clean), clean
    assert 'id="problem-summary"' in html
    assert "status-incomplete" in html


def test_the_record_shows_qr_household_and_history_to_staff(clerk_a: Any, hoa: Person) -> None:
    person_update(actor=clerk_a, person=hoa, changes={"occupation": "Giáo viên"})
    html = signed_in(clerk_a).get(f"/registry/persons/{hoa.public_id}/").content.decode()
    assert '<svg width="' in html and 'class="qr-code"' in html
    assert 'id="start-household"' in html
    assert 'data-action="registry.person.updated"' in html
    assert 'onclick="window.print()"' in html
    assert "problem-summary" not in html


def test_a_citizen_sees_their_record_without_history(ward1: Any, priority_group: Any) -> None:
    me = t.PersonFactory(full_name="Lê Văn Dân", ward=ward1)
    person_update(actor=None, person=me, changes={"occupation": "Nông dân"})
    citizen = t.UserFactory(person=me)
    html = signed_in(citizen).get(f"/registry/persons/{me.public_id}/").content.decode()
    assert "Lê Văn Dân" in html
    assert 'id="history"' not in html


def test_a_suspected_duplicate_links_the_other_and_can_be_dismissed(
    clerk_a: Any, ward1: Any, priority_group: Any
) -> None:
    data = PersonInput(
        full_name="Vũ Văn Đôi", date_of_birth=DOB, sex="M", phone="0912000077", ward_code=ward1.code, priority_group="9"
    )
    first = person_register(actor=clerk_a, data=data, source="facility")
    second = person_register(actor=clerk_a, data=data, source="facility")
    assert second.suspected_duplicate_of == first
    client = signed_in(clerk_a)
    html = client.get(f"/registry/persons/{second.public_id}/").content.decode()
    assert 'id="duplicate"' in html and f'href="/registry/persons/{first.public_id}/"' in html
    assert "mũi tiêm được nhập ở cả hai hồ sơ trong cùng một ngày sẽ bị hủy" in html  # what a merge does to doses
    response = client.post(f"/registry/persons/{second.public_id}/duplicate/", {"decision": "distinct"})
    assert response.status_code == 302
    second.refresh_from_db()
    assert second.suspected_duplicate_of is None
    # Deciding again is refused with a message, not an error page.
    again = client.post(f"/registry/persons/{second.public_id}/duplicate/", {"decision": "merge"}, follow=True)
    assert again.status_code == 200 and 'class="error"' in again.content.decode()


def test_a_suspected_duplicate_can_be_merged(clerk_a: Any, ward1: Any, priority_group: Any) -> None:
    data = PersonInput(full_name="Vũ Văn Đôi", date_of_birth=DOB, sex="M", phone="0912000077", ward_code=ward1.code)
    first = person_register(actor=clerk_a, data=data, source="facility")
    second = person_register(actor=clerk_a, data=data, source="facility")
    response = signed_in(clerk_a).post(f"/registry/persons/{second.public_id}/duplicate/", {"decision": "merge"})
    assert response.status_code == 302 and response["Location"] == f"/registry/persons/{first.public_id}/"
    second.refresh_from_db()
    assert second.merged_into == first


# --------------------------------------------------------------------------------------------
# Registering and correcting
# --------------------------------------------------------------------------------------------


def test_the_form_renders_with_labels_and_the_user_province_wards(clerk_a: Any, ward1: Any, ward2: Any) -> None:
    html = signed_in(clerk_a).get("/registry/persons/new/").content.decode()
    for name in ("full_name", "date_of_birth", "sex", "phone", "id_type", "id_number", "province_code", "ward_code"):
        assert f'<label for="id_{name}">' in html, name
    assert 'type="date"' in html
    assert '<option value="75" selected>' in html  # the clerk's province
    assert f'<option value="{ward1.code}">' in html and f'<option value="{ward2.code}">' in html
    assert 'hx-get="/registry/wards/"' in html


def test_a_complete_registration_goes_to_the_record(clerk_a: Any, ward1: Any, priority_group: Any) -> None:
    response = signed_in(clerk_a).post("/registry/persons/new/", form_data(ward1, date_of_birth="04/03/1990"))
    person = Person.objects.get(full_name="Phạm Thị Lan")
    assert response.status_code == 302 and response["Location"] == f"/registry/persons/{person.public_id}/"
    assert person.data_status == "complete" and person.date_of_birth == DOB and person.phone == "+84912345678"
    assert person.source == "facility" and person.created_by == clerk_a
    assert AuditEvent.objects.filter(action="registry.person.created", subject_id=str(person.public_id)).exists()


def test_an_incomplete_registration_stays_on_the_record_listing_what_is_missing(
    clerk_a: Any, ward1: Any, priority_group: Any
) -> None:
    response = signed_in(clerk_a).post(
        "/registry/persons/new/", form_data(ward1, phone="", id_number="", address_line=""), follow=True
    )
    html = response.content.decode()
    assert response.redirect_chain and "/registry/persons/" in response.redirect_chain[-1][0]
    assert 'class="warning"' in html
    assert 'data-code="phone_missing"' in fact(html, "phone")
    assert 'data-code="id_document_missing"' in fact(html, "id_number")
    assert 'data-code="address_missing"' in fact(html, "address_line")


def test_form_errors_carry_the_service_codes_to_their_fields(clerk_a: Any, ward1: Any, priority_group: Any) -> None:
    data = form_data(
        ward1,
        id_number=t.cccd_for(date(1991, 3, 4), "M", 1),  # wrong year and wrong sex
        phone="12345",
        health_insurance_number="XX",
        priority_group="99",
    )
    response = signed_in(clerk_a).post("/registry/persons/new/", data)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-code="id_number_year_mismatch"' in row(html, "id_number")
    assert 'data-code="id_number_sex_mismatch"' in row(html, "id_number")
    assert 'data-code="phone_format"' in row(html, "phone")
    assert 'data-code="health_insurance_format"' in row(html, "health_insurance_number")
    assert 'data-code="priority_group_unknown"' in row(html, "priority_group")
    assert 'value="Phạm Thị Lan"' in html and 'value="12345"' in html  # everything typed is kept
    assert 'id="form-errors"' in html
    assert not Person.objects.filter(full_name="Phạm Thị Lan").exists()


def test_an_unreadable_date_is_shown_with_the_other_errors(clerk_a: Any, ward1: Any, priority_group: Any) -> None:
    html = (
        signed_in(clerk_a)
        .post("/registry/persons/new/", form_data(ward1, date_of_birth="31/02/1990", full_name="", sex=""))
        .content.decode()
    )
    date_row = row(html, "date_of_birth")
    assert 'data-code="date_of_birth_format"' in date_row and "date_of_birth_required" not in date_row
    assert 'data-code="full_name_required"' in row(html, "full_name")
    assert 'data-code="sex_required"' in row(html, "sex")


def test_a_ward_of_another_province_is_refused_on_the_ward(clerk_a: Any, ward1: Any, priority_group: Any) -> None:
    hcm = t.ProvinceFactory(code="79", name="Thành phố Hồ Chí Minh")
    far = t.WardFactory(code="26734", name="Phường Sài Gòn", parent=hcm)
    html = signed_in(clerk_a).post("/registry/persons/new/", form_data(far)).content.decode()
    assert 'data-code="ward_not_in_province"' in row(html, "ward_code")
    assert '<option value="26734" selected>' in html  # kept although not a ward of the chosen province


def test_a_taken_document_links_to_the_existing_record(clerk_a: Any, hoa: Person, ward1: Any) -> None:
    html = signed_in(clerk_a).post("/registry/persons/new/", form_data(ward1, id_number=hoa.id_number)).content.decode()
    id_row = row(html, "id_number")
    assert 'data-code="document_taken"' in id_row
    assert f'href="/registry/persons/{hoa.public_id}/"' in id_row


def test_a_taken_document_is_not_linked_for_who_may_not_see_it(rep: Any, hoa: Person, ward1: Any) -> None:
    html = signed_in(rep).post("/registry/persons/new/", form_data(ward1, id_number=hoa.id_number)).content.decode()
    assert 'data-code="document_taken"' in html
    assert str(hoa.public_id) not in html


def test_editing_saves_through_the_service_with_the_version(clerk_a: Any, hoa: Person, ward1: Any) -> None:
    client = signed_in(clerk_a)
    html = client.get(f"/registry/persons/{hoa.public_id}/edit/").content.decode()
    assert 'name="version" value="1"' in html and 'value="Nguyễn Thị Hoà"' in html and 'value="1990-03-04"' in html
    data = form_data(ward1, full_name=hoa.full_name, id_number=hoa.id_number, phone="", version=1)
    response = client.post(f"/registry/persons/{hoa.public_id}/edit/", data)
    assert response.status_code == 302
    hoa.refresh_from_db()
    assert hoa.version == 2 and hoa.phone == "" and hoa.data_status == "incomplete"


def test_an_edit_conflict_keeps_the_input_and_says_so(clerk_a: Any, officer: Any, hoa: Person, ward1: Any) -> None:
    client = signed_in(clerk_a)
    person_update(actor=officer, person=hoa, changes={"occupation": "Bác sĩ"}, expected_version=1)
    data = form_data(ward1, full_name=hoa.full_name, id_number=hoa.id_number, occupation="Giáo viên", version=1)
    response = client.post(f"/registry/persons/{hoa.public_id}/edit/", data)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="edit-conflict"' in html and 'data-code="edit_conflict"' in html
    assert 'value="Giáo viên"' in html
    assert 'name="version" value="2"' in html  # saving again replaces the version now stored, knowingly
    hoa.refresh_from_db()
    assert hoa.occupation == "Bác sĩ"
    again = client.post(f"/registry/persons/{hoa.public_id}/edit/", {**data, "version": 2})
    assert again.status_code == 302
    hoa.refresh_from_db()
    assert hoa.occupation == "Giáo viên"


def test_the_ward_options_follow_the_province(clerk_a: Any, ward1: Any, ward2: Any) -> None:
    client = signed_in(clerk_a)
    html = client.get("/registry/wards/", {"province_code": "75"}).content.decode()
    assert html.count("<option") == 3 and f'value="{ward2.code}"' in html
    assert client.get("/registry/wards/", {"province_code": "00"}).content.decode().count("<option") == 1


# --------------------------------------------------------------------------------------------
# Households
# --------------------------------------------------------------------------------------------


def test_start_a_household_then_add_and_remove_a_member(clerk_a: Any, hoa: Person, ward1: Any) -> None:
    kid = t.PersonFactory(full_name="Nguyễn Văn Nhỏ", date_of_birth=date(2019, 5, 6), id_number="", ward=ward1)
    client = signed_in(clerk_a)
    response = client.post(f"/registry/persons/{hoa.public_id}/household/")
    hoa.refresh_from_db()
    household = hoa.household
    assert household is not None and household.head == hoa
    url = f"/registry/households/{household.public_id}/"
    assert response["Location"] == url
    found = client.get(url, {"q": "nguyen van nho"}, headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in found and f'value="{kid.public_id}"' in found
    client.post(f"{url}members/", {"person_id": str(kid.public_id), "relation": "child"})
    kid.refresh_from_db()
    assert kid.household == household and kid.relation_to_head == "child"
    page = client.get(url).content.decode()
    assert "Nguyễn Văn Nhỏ" in page and f'action="{url}members/{kid.public_id}/remove/"' in page
    # The head cannot be removed, and there is no button for it.
    assert f"members/{hoa.public_id}/remove/" not in page
    refused = client.post(f"{url}members/{hoa.public_id}/remove/", follow=True)
    assert refused.status_code == 200 and 'class="error"' in refused.content.decode()
    client.post(f"{url}members/{kid.public_id}/remove/")
    kid.refresh_from_db()
    assert kid.household is None


def test_household_refusals_are_messages(clerk_a: Any, hoa: Person) -> None:
    household = household_create(actor=clerk_a, head=hoa)
    client = signed_in(clerk_a)
    again = client.post(f"/registry/persons/{hoa.public_id}/household/", follow=True)
    assert again.status_code == 200 and 'class="error"' in again.content.decode()
    url = f"/registry/households/{household.public_id}/members/"
    no_relation = client.post(url, {"person_id": str(hoa.public_id), "relation": ""}, follow=True)
    assert no_relation.status_code == 200 and 'class="error"' in no_relation.content.decode()
    nobody = client.post(url, {"person_id": "00000000-0000-0000-0000-000000000000", "relation": "child"}, follow=True)
    assert nobody.status_code == 200 and 'class="error"' in nobody.content.decode()


# --------------------------------------------------------------------------------------------
# Scoping and sign-in
# --------------------------------------------------------------------------------------------


def test_persons_outside_the_scope_are_404(rep: Any, clerk_a: Any, clerk_b: Any, hoa: Person) -> None:
    household = household_create(actor=clerk_a, head=hoa)
    client = signed_in(rep)
    for url in (
        f"/registry/persons/{hoa.public_id}/",
        f"/registry/persons/{hoa.public_id}/edit/",
        f"/registry/households/{household.public_id}/",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/registry/persons/{hoa.public_id}/duplicate/", {"decision": "merge"}).status_code == 404
    assert client.post(f"/registry/persons/{hoa.public_id}/household/").status_code == 404
    assert signed_in(clerk_b).get(f"/registry/households/{household.public_id}/").status_code == 404
    assert str(hoa.public_id) not in signed_in(rep).get("/registry/", {"q": "nguyen thi hoa"}).content.decode()


def test_a_citizen_cannot_open_someone_else(hoa: Person, ward1: Any) -> None:
    citizen = t.UserFactory(person=t.PersonFactory(full_name="Lê Văn Dân", ward=ward1))
    assert signed_in(citizen).get(f"/registry/persons/{hoa.public_id}/").status_code == 404


def test_every_page_wants_a_signed_in_user(hoa: Person) -> None:
    client = Client()
    for url in ("/registry/", "/registry/persons/new/", f"/registry/persons/{hoa.public_id}/", "/registry/wards/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), url


def test_the_english_switch(clerk_a: Any) -> None:
    client = signed_in(clerk_a)
    assert '<html lang="vi">' in client.get("/registry/").content.decode()
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/registry/"})
    assert response.status_code == 302 and response["Location"] == "/registry/"
    html = client.get("/registry/").content.decode()
    assert '<html lang="en">' in html
    assert "Register a person" in html
