"""The registry in a real browser: sign in, live search without diacritics, the problem next to its field."""

import re
from datetime import date
from typing import Any

import pytest

from vaxbook.common import testing as t
from vaxbook.registry.identity import PersonInput
from vaxbook.registry.services import person_register


@pytest.mark.django_db(transaction=True)
def test_a_clerk_finds_a_person_typed_without_diacritics_and_sees_what_is_missing(
    page: Any, accessibility: Any
) -> None:
    from playwright.sync_api import expect

    ward = t.WardFactory(code="26001", name="Phường Trấn Biên")
    facility = t.FacilityFactory(code="FA", name="Bệnh viện A", admin_unit=ward)
    clerk = t.make_member(t.Role.DATA_CLERK, facility=facility, username="clerk_browser")
    t.PriorityGroupFactory()
    hoa = person_register(
        actor=clerk,
        data=PersonInput(
            full_name="Nguyễn Thị Hoà",
            date_of_birth=date(1990, 3, 4),
            sex="F",
            id_type="cccd",
            id_number=t.cccd_for(date(1990, 3, 4), "F", 123),
            priority_group="9",
            ward_code=ward.code,
            address_line="1 Lê Lợi",
        ),
        source="facility",
    )
    assert [p["code"] for p in hoa.problems] == ["phone_missing"]
    t.PersonFactory(full_name="Trần Văn Bình", ward=ward)

    page.goto("/accounts/login/?next=/registry/")
    page.fill("#id_username", "clerk_browser")
    page.fill("#id_password", t.PASSWORD)
    page.press("#id_password", "Enter")
    page.wait_for_url(re.compile(r"/registry/$"))
    expect(page.locator("html")).to_have_attribute("lang", "vi")

    search = page.locator("#q")
    expect(search).to_be_focused()  # autofocus: the clerk types at once
    results = page.locator("#results")
    expect(results.get_by_role("link", name="Trần Văn Bình")).to_be_visible()  # the list before searching
    search.press_sequentially("nguyen thi hoa", delay=10)
    expect(results.get_by_role("link", name="Trần Văn Bình")).to_have_count(0)  # live results, no reload
    expect(page).to_have_url(re.compile(r"q=nguyen(\+|%20)thi(\+|%20)hoa"))
    link = results.get_by_role("link", name="Nguyễn Thị Hoà")
    expect(link).to_be_visible()

    link.click()
    page.wait_for_url(re.compile(rf"/registry/persons/{hoa.public_id}/$"))
    problem = page.locator('#fact-phone [data-code="phone_missing"]')
    expect(problem).to_be_visible()
    expect(page.locator("#fact-phone dt")).to_be_visible()
    expect(page.locator("#fact-address_line [data-code]")).to_have_count(0)
    expect(page.locator("svg.qr-code")).to_be_visible()
    for path in ("/registry/", f"/registry/persons/{hoa.public_id}/", "/registry/persons/new/"):
        page.goto(path)  # two menus on a page (the site's, the way back) are told apart by their names
        assert accessibility(page) == [], path


@pytest.mark.django_db(transaction=True)
def test_the_form_loads_wards_by_province_and_works_from_the_keyboard(page: Any) -> None:
    from playwright.sync_api import expect

    t.WardFactory(code="26001", name="Phường Trấn Biên", parent=t.ProvinceFactory(code="75", name="Tỉnh Đồng Nai"))
    t.WardFactory(code="26734", name="Phường Sài Gòn", parent=t.ProvinceFactory(code="79", name="TP Hồ Chí Minh"))
    t.make_member(t.Role.NATIONAL_ADMIN, username="admin_browser")

    page.goto("/accounts/login/?next=/registry/persons/new/")
    page.fill("#id_username", "admin_browser")
    page.fill("#id_password", t.PASSWORD)
    page.press("#id_password", "Enter")
    page.wait_for_url(re.compile(r"/registry/persons/new/$"))
    expect(page.locator("#id_full_name")).to_be_focused()
    expect(page.locator("#id_ward_code option")).to_have_count(1)
    page.select_option("#id_province_code", "79")  # htmx fetches that province's wards
    expect(page.locator("#id_ward_code option")).to_have_count(2)
    page.select_option("#id_ward_code", "26734")
    page.fill("#id_full_name", "Ngô Văn Thử")
    page.fill("#id_date_of_birth", "1990-03-04")
    page.select_option("#id_sex", "M")
    page.fill("#id_phone", "abc")
    page.keyboard.press("Enter")
    expect(page.locator('#row-phone [data-code="phone_format"]')).to_be_visible()
    expect(page.locator("#id_phone")).to_be_focused()  # the first field in error
    page.fill("#id_phone", "0912345678")
    page.press("#id_phone", "Enter")
    page.wait_for_url(re.compile(r"/registry/persons/[0-9a-f-]+/$"))
    expect(page.locator("#fact-ward_code dd")).to_contain_text("Phường Sài Gòn")
    expect(page.locator('#fact-id_number [data-code="id_document_missing"]')).to_be_visible()
