"""The registry pages: search, the record with its problems by field, the form, households, scoping, language."""

import re
from datetime import UTC, date, datetime
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from vaxbook.common import testing as t
from vaxbook.common.models import AuditEvent
from vaxbook.registry.forms import PersonForm
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


def test_the_history_is_paged_newest_first_and_the_pager_returns_to_it(
    clerk_a: Any, hoa: Person, monkeypatch: Any
) -> None:
    from vaxbook.registry import views

    monkeypatch.setattr(views, "HISTORY_PAGE_SIZE", 2)
    changes = [("occupation", "Giáo viên"), ("ethnicity", "Kinh"), ("address_line", "12 Lê Lợi")]
    for name, value in changes:  # oldest first
        person_update(actor=clerk_a, person=hoa, changes={name: value})
        hoa.refresh_from_db()
    events = AuditEvent.objects.filter(subject_type="registry.person", subject_id=str(hoa.public_id))
    assert events.count() == 3
    client = signed_in(clerk_a)
    first = client.get(f"/registry/persons/{hoa.public_id}/").content.decode()
    history = first[first.index('id="history"') :]
    assert history.count("<li data-action=") == 2
    assert 'rel="next" href="?page=2#history"' in history and 'rel="prev"' not in history
    last = client.get(f"/registry/persons/{hoa.public_id}/?page=2").content.decode()
    oldest = last[last.index('id="history"') :]
    assert oldest.count("<li data-action=") == 1
    assert 'rel="prev" href="?page=1#history"' in oldest and 'rel="next"' not in oldest
    with translation.override("vi"):
        occupation, address = PersonForm.field_label("occupation"), PersonForm.field_label("address_line")
    assert f"({address})" in history and f"({occupation})" not in history  # newest first
    assert f"({occupation})" in oldest


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


def test_a_name_pasted_from_a_vnitimes_document_is_refused_in_vietnamese_with_its_reading(
    clerk_a: Any, ward1: Any, priority_group: Any
) -> None:
    data = form_data(ward1, full_name="Phaïm Thò Lan", address_line="Soá 1 Leâ Lôïi")
    html = signed_in(clerk_a).post("/registry/persons/new/", data).content.decode()
    name_row = row(html, "full_name")
    assert 'data-code="text_legacy_encoding"' in name_row and "“Phạm Thị Lan”" in name_row
    assert "bảng mã cũ VNI" in name_row  # the portal speaks Vietnamese
    assert "“Số 1 Lê Lợi”" in row(html, "address_line")
    assert not Person.objects.exists()


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


def test_the_portal_is_vietnamese_whatever_the_browser_says(clerk_a: Any) -> None:
    """A browser set up in English does not turn the portal English: only the switch does. The API
    keeps answering in the language its client asks for."""
    client = signed_in(clerk_a)
    html = client.get("/registry/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert '<html lang="vi">' in html and "Register a person" not in html
    client.post("/i18n/setlang/", {"language": "en"})
    assert '<html lang="en">' in client.get("/registry/", HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"  # a language the portal does not have
    assert '<html lang="vi">' in client.get("/registry/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    messages = {
        language: client.get("/api/v1/persons", {"status": "zzz"}, HTTP_ACCEPT_LANGUAGE=language).json()["errors"]
        for language in ("en", "vi")
    }
    assert messages["en"][0]["code"] == messages["vi"][0]["code"] == "invalid_literal_error"
    assert messages["en"][0]["message"] != messages["vi"][0]["message"]


def test_dates_are_day_first_in_vietnamese_and_name_the_month_in_english(
    clerk_a: Any, ward1: Any, priority_group: Any
) -> None:
    """08/12/1990 reads as August 12 to many English readers: the English pages name the month (8 Dec 1990),
    the Vietnamese ones stay day first; times stay on 24 hours."""
    born = date(1990, 12, 8)
    person = t.PersonFactory(
        full_name="Trần Văn Tám", date_of_birth=born, id_number=t.cccd_for(born, "M", 8), ward=ward1
    )
    Person.objects.filter(pk=person.pk).update(created_at=datetime(2025, 11, 3, 1, 30, tzinfo=UTC))
    client = signed_in(clerk_a)
    url = f"/registry/persons/{person.public_id}/"
    vi = client.get(url).content.decode()
    assert "<dd>08/12/1990\n" in fact(vi, "date_of_birth") and "03/11/2025 08:30" in vi  # Viet Nam's time
    assert '<td class="c-dob">08/12/1990</td>' in client.get("/registry/", {"q": "Trần Văn Tám"}).content.decode()
    client.post("/i18n/setlang/", {"language": "en"})
    en = client.get(url).content.decode()
    assert "<dd>8 Dec 1990\n" in fact(en, "date_of_birth") and "3 Nov 2025 08:30" in en
    assert '<td class="c-dob">8 Dec 1990</td>' in client.get("/registry/", {"q": "Trần Văn Tám"}).content.decode()
    assert "08/12/" not in en


def test_a_date_typed_day_first_is_read_so_in_english_too(clerk_a: Any, ward1: Any, priority_group: Any) -> None:
    """Only the display follows the language: what is typed is still dd/mm/yyyy on the English pages."""
    client = signed_in(clerk_a)
    client.post("/i18n/setlang/", {"language": "en"})
    response = client.post("/registry/persons/new/", form_data(ward1, date_of_birth="04/03/1990"))
    assert response.status_code == 302
    assert Person.objects.get(full_name="Phạm Thị Lan").date_of_birth == DOB  # 4 March
    form = client.get("/registry/persons/new/").content.decode()
    assert "dd/mm/yyyy" in row(form, "date_of_birth")  # the help says how to type it


# --------------------------------------------------------------------------------------------
# What the pages call things (UI audit): links, labels, names in the reader's language
# --------------------------------------------------------------------------------------------


def pager_link(html: str, rel: str) -> str:
    match = re.search(rf'<a class="button" rel="{rel}" href="([^"]*)"', html)
    assert match, f"no {rel} link"
    return match.group(1).replace("&amp;", "&")


def test_the_next_link_is_page_2_and_leads_there(clerk_a: Any, ward1: Any, priority_group: Any) -> None:
    t.PersonFactory.create_batch(52, ward=ward1)
    client = signed_in(clerk_a)
    first = client.get("/registry/").content.decode()
    assert pager_link(first, "next") == "?page=2"  # {% querystring %} writes the "?" itself
    second = client.get("/registry/" + pager_link(first, "next")).content.decode()
    assert second.count('class="c-name"') == 2 and "Trang 2/2" in second
    assert pager_link(second, "prev") == "?page=1"
    # The filter is kept, once; the htmx fragment's links are the same.
    filtered = client.get("/registry/", {"status": "complete"}, headers={"HX-Request": "true"}).content.decode()
    assert pager_link(filtered, "next") == "?status=complete&page=2"
    assert "??" not in first + second + filtered


def test_a_check_in_reads_as_words_in_the_history(clerk_a: Any, facility_a: Any, hoa: Person) -> None:
    from django.utils import translation

    from vaxbook.clinic.services import checkin
    from vaxbook.registry.views import ACTION_LABELS

    checkin(actor=clerk_a, facility=facility_a, person_id=str(hoa.public_id))
    client = signed_in(clerk_a)
    html = client.get(f"/registry/persons/{hoa.public_id}/").content.decode()
    assert 'data-action="clinic.person.checked_in"' in html
    with translation.override("vi"):
        assert f"<strong>{ACTION_LABELS['clinic.person.checked_in']}</strong>" in html
    assert "<strong>clinic.person.checked_in</strong>" not in html
    client.post("/i18n/setlang/", {"language": "en"})
    assert "<strong>Checked in</strong>" in client.get(f"/registry/persons/{hoa.public_id}/").content.decode()


def test_an_action_without_a_label_reads_as_words(clerk_a: Any, hoa: Person) -> None:
    from vaxbook.common.audit import audit_log

    audit_log(actor=clerk_a, action="clinic.person.something_new", subject=hoa)
    client = signed_in(clerk_a)
    client.post("/i18n/setlang/", {"language": "en"})
    html = client.get(f"/registry/persons/{hoa.public_id}/").content.decode()
    assert 'data-action="clinic.person.something_new"' in html  # for support, not for reading
    assert "<strong>Other change</strong>" in html
    assert "<strong>clinic.person.something_new</strong>" not in html


def test_the_history_names_the_staff_member_family_name_first(clerk_a: Any, hoa: Person) -> None:
    clerk_a.first_name, clerk_a.last_name = "Lan", "Nguyễn Thị"
    clerk_a.save()
    person_update(actor=clerk_a, person=hoa, changes={"occupation": "Giáo viên"})
    html = signed_in(clerk_a).get(f"/registry/persons/{hoa.public_id}/").content.decode()
    history = html[html.index('id="history"') :]
    assert "· Nguyễn Thị Lan" in history and "Lan Nguyễn Thị" not in history


def test_the_priority_group_is_named_in_the_reader_language(clerk_a: Any, hoa: Person) -> None:
    group = hoa.priority_group
    assert group is not None
    group.name_en = "Workers of enterprises and their relatives"
    group.save()
    client = signed_in(clerk_a)
    vi = fact(client.get(f"/registry/persons/{hoa.public_id}/").content.decode(), "priority_group")
    assert "9. Người lao động tại doanh nghiệp" in vi
    client.post("/i18n/setlang/", {"language": "en"})
    en = fact(client.get(f"/registry/persons/{hoa.public_id}/").content.decode(), "priority_group")
    assert "9. Workers of enterprises and their relatives" in en and "Người lao động" not in en
    # The form's select says the same, from the same rule.
    form = client.get(f"/registry/persons/{hoa.public_id}/edit/").content.decode()
    assert '<option value="9" selected>9. Workers of enterprises and their relatives</option>' in form


def test_the_nationality_is_the_country_name(clerk_a: Any, hoa: Person, ward1: Any) -> None:
    korean = t.PersonFactory(
        full_name="Kim Min Jun", ward=ward1, nationality="KR", id_type="passport", id_number="M1234567"
    )
    client = signed_in(clerk_a)
    assert "Việt Nam" in fact(client.get(f"/registry/persons/{hoa.public_id}/").content.decode(), "nationality")
    assert "Hàn Quốc" in fact(client.get(f"/registry/persons/{korean.public_id}/").content.decode(), "nationality")
    client.post("/i18n/setlang/", {"language": "en"})
    vn = fact(client.get(f"/registry/persons/{hoa.public_id}/").content.decode(), "nationality")
    assert "<dd>Vietnam" in vn and ">VN<" not in vn and "<dd>VN" not in vn
    assert "South Korea" in fact(client.get(f"/registry/persons/{korean.public_id}/").content.decode(), "nationality")


def test_the_nationality_is_chosen_by_the_country_name(clerk_a: Any, hoa: Person, ward1: Any) -> None:
    """The form lists the countries by name (Việt Nam first and chosen), not a two-letter box; a foreign
    national's record shows its country chosen, and what was stored outside the list is kept, not lost."""
    client = signed_in(clerk_a)
    new = row(client.get("/registry/persons/new/").content.decode(), "nationality")
    assert '<select name="nationality"' in new and "maxlength" not in new
    assert new.index('<option value="VN" selected>Việt Nam</option>') < new.index('value="KR">Hàn Quốc (KR)</option>')
    assert new.index("Ai Cập (EG)") < new.index("Hàn Quốc (KR)") < new.index("Nhật Bản (JP)")
    response = client.post(
        "/registry/persons/new/",
        form_data(ward1, full_name="Kim Min Jun", nationality="KR", id_type="passport", id_number="M1234567"),
    )
    assert response.status_code == 302
    korean = Person.objects.get(full_name="Kim Min Jun")
    assert korean.nationality == "KR"
    edit = row(client.get(f"/registry/persons/{korean.public_id}/edit/").content.decode(), "nationality")
    assert '<option value="KR" selected>Hàn Quốc (KR)</option>' in edit
    client.post("/i18n/setlang/", {"language": "en"})
    english = row(client.get("/registry/persons/new/").content.decode(), "nationality")
    assert '<option value="VN" selected>Vietnam</option>' in english and "South Korea (KR)" in english
    odd = t.PersonFactory(full_name="Trần Văn Lạ", ward=ward1, nationality="ZZ")
    kept = row(client.get(f"/registry/persons/{odd.public_id}/edit/").content.decode(), "nationality")
    assert '<option value="ZZ" selected>ZZ</option>' in kept


def test_the_relation_to_the_head_is_capitalized_on_the_record(clerk_a: Any, hoa: Person, ward1: Any) -> None:
    from vaxbook.registry.services import household_add_member

    household = household_create(actor=clerk_a, head=hoa)
    kid = t.PersonFactory(full_name="Nguyễn Văn Nhỏ", date_of_birth=date(2019, 5, 6), id_number="", ward=ward1)
    household_add_member(actor=clerk_a, household=household, person=kid, relation="child")
    html = signed_in(clerk_a).get(f"/registry/persons/{kid.public_id}/").content.decode()
    assert "</span> Con</p>" in html


def test_an_organization_registry_speaks_of_its_roster(rep: Any, org: Any, clerk_a: Any, hoa: Person) -> None:
    from vaxbook.organizations.models import RosterEntry

    RosterEntry.objects.create(organization=org, person=hoa)
    client = signed_in(rep)
    html = client.get("/registry/").content.decode()
    assert "Nguyễn Thị Hoà" in html
    assert "trên địa bàn của bạn" not in html
    assert "1 đối tượng trong danh sách cán bộ, nhân viên của đơn vị bạn." in html
    # A representative's staff come by the roster import (the form, reachable too, puts them on the
    # roster as well: roster_person_register): the page offers the import.
    assert 'href="/registry/persons/new/"' not in html
    assert re.search(r'<a class="button primary" href="/organizations/" id="register-staff">', html)
    client.post("/i18n/setlang/", {"language": "en"})
    en = client.get("/registry/").content.decode()
    assert "1 person on your organization's staff roster." in en
    nobody = client.get("/registry/", {"q": "khong ai ca"}).content.decode()
    assert "add the person to your staff roster" in nobody and 'href="/registry/persons/new/"' not in nobody
    # Facility staff still register the persons of their area.
    staff = signed_in(clerk_a).get("/registry/").content.decode()
    assert 'id="register-person"' in staff and "trên địa bàn của bạn" in staff


def test_a_representative_registers_a_staff_member_onto_the_roster_and_sees_the_record(
    rep: Any, org: Any, ward1: Any, hoa: Person
) -> None:
    """The person was saved and left off the roster, so the representative who made it got a 404 on it."""
    from vaxbook.organizations.models import RosterEntry

    client = signed_in(rep)
    response = client.post("/registry/persons/new/", form_data(ward1))
    assert response.status_code == 302, response.content.decode()[:500]
    person = Person.objects.get(full_name="Phạm Thị Lan")
    assert person.source == Person.Source.ORGANIZATION
    entry = RosterEntry.objects.get(organization=org, person=person)
    assert AuditEvent.objects.filter(action="organizations.roster_entry.created", subject_id=str(entry.public_id))
    assert client.get(response["Location"]).status_code == 200
    # A refusal writes nothing, roster included.
    html = client.post("/registry/persons/new/", form_data(ward1, id_number=hoa.id_number)).content.decode()
    assert 'data-code="document_taken"' in html
    assert RosterEntry.objects.filter(organization=org).count() == 1


def test_a_clerk_s_registration_joins_no_roster(clerk_a: Any, ward1: Any, priority_group: Any) -> None:
    from vaxbook.organizations.models import RosterEntry

    assert signed_in(clerk_a).post("/registry/persons/new/", form_data(ward1)).status_code == 302
    assert Person.objects.filter(full_name="Phạm Thị Lan", source=Person.Source.FACILITY).exists()
    assert not RosterEntry.objects.exists()


def test_a_representative_of_two_organizations_is_asked_to_use_a_roster(
    rep: Any, ward1: Any, priority_group: Any
) -> None:
    """Their person would join no roster, out of their sight: refused with a reason, nothing written."""
    from vaxbook.accounts.models import Membership

    Membership.objects.create(user=rep, role=t.Role.ORG_REPRESENTATIVE, organization=t.OrganizationFactory())
    html = signed_in(rep).post("/registry/persons/new/", form_data(ward1)).content.decode()
    assert 'data-code="organization_ambiguous"' in html and 'value="Phạm Thị Lan"' in html
    assert not Person.objects.filter(full_name="Phạm Thị Lan").exists()
