"""The roster import in a real browser: template, upload, progress and result, the error report."""

import io
import re
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from vaxbook.common import testing as t
from vaxbook.organizations.tests.builders import HEADERS, person_row, table, xlsx_bytes


def organization_with_representative(name: str, username: str) -> tuple[Any, Any]:
    """An organization of province 75 (ward 26001, priority group 9) and its representative."""
    province = t.ProvinceFactory(code="75", name="Tỉnh Đồng Nai")
    t.WardFactory(code="26001", name="Phường Trấn Biên", parent=province)
    t.PriorityGroupFactory()
    org = t.OrganizationFactory(name=name, admin_unit=province)
    return org, t.make_member(t.Role.ORG_REPRESENTATIVE, organization=org, username=username)


def sign_in(page: Any, username: str, next_path: str, landing: str) -> None:
    page.goto(f"/accounts/login/?next={next_path}")
    page.fill("#id_username", username)
    page.fill("#id_password", t.PASSWORD)
    page.press("#id_password", "Enter")
    page.wait_for_url(re.compile(landing))


@pytest.mark.django_db(transaction=True)
def test_a_representative_imports_a_roster_and_gets_back_the_rows_to_fix(page: Any, tmp_path: Any) -> None:
    from playwright.sync_api import expect

    org, _rep = organization_with_representative("Công ty Thử Nghiệm", "rep_browser")
    sign_in(page, "rep_browser", "/organizations/", rf"/organizations/{org.public_id}/$")
    expect(page.locator("html")).to_have_attribute("lang", "vi")

    with page.expect_download() as template_download:
        page.click("#template-download")
    template = openpyxl.load_workbook(io.BytesIO(Path(template_download.value.path()).read_bytes()))
    assert [c.value for c in template["Danh sách"][1]] == HEADERS

    rows = [person_row(1), person_row(2), person_row(3, **{"Số điện thoại": "12345"})]
    roster = tmp_path / "danh-sach.xlsx"
    roster.write_bytes(xlsx_bytes(table(rows)))
    page.set_input_files("#id_file", str(roster))
    page.click("#upload-submit")
    page.wait_for_url(re.compile(r"/organizations/imports/[0-9a-f-]+/$"))

    status = page.locator("#import-status")
    expect(status).to_have_attribute("data-status", "done")
    expect(status.locator(".progress > span")).to_have_attribute("style", "width:100%")
    expect(page.locator("#count-total")).to_have_text("3")
    expect(page.locator("#count-accepted")).to_have_text("2")
    expect(page.locator("#count-created")).to_have_text("2")
    expect(page.locator("#count-refused")).to_have_text("1")
    reason_row = page.locator("#refusal-reasons tbody tr")
    expect(reason_row).to_have_count(1)
    expect(reason_row).to_have_attribute("data-code", "phone_format")
    expect(reason_row.locator("td").first).to_have_text("Số điện thoại không hợp lệ")

    with page.expect_download() as report_download:
        page.click("#error-report")
    sheet = openpyxl.load_workbook(io.BytesIO(Path(report_download.value.path()).read_bytes())).worksheets[0]
    assert sheet.max_row == 2
    assert sheet.cell(row=1, column=17).value == "Lý do"
    reason = sheet.cell(row=2, column=17).value
    assert reason.startswith("Dòng 4 của tệp đã gửi, cột “Số điện thoại”")
    assert "[phone_format]" in reason
    phone = sheet.cell(row=2, column=5)
    assert phone.value == "12345"
    assert phone.fill.fgColor.rgb.endswith("FFC7CE")


@pytest.mark.django_db(transaction=True)
def test_a_representative_exports_the_incomplete_records_to_complete_them(page: Any) -> None:
    from playwright.sync_api import expect

    from vaxbook.organizations.services import roster_import_start
    from vaxbook.organizations.tests.builders import upload
    from vaxbook.organizations.workbooks import EXPORT_PROBLEMS_HEADER

    org, rep = organization_with_representative("Công ty Xuất Danh Sách", "rep_export")
    rows = [person_row(1), person_row(2, **{"Số điện thoại": ""})]
    roster_import_start(actor=rep, organization=org, upload=upload(xlsx_bytes(table(rows))))

    sign_in(page, "rep_export", f"/organizations/{org.public_id}/%3Fstatus%3Dincomplete", r"status=incomplete")
    expect(page.locator("#roster-table tbody tr")).to_have_count(1)
    page.click("#export-submit")
    page.wait_for_url(re.compile(r"/organizations/exports/[0-9a-f-]+/$"))
    expect(page.locator("#export-status")).to_have_attribute("data-status", "done")
    with page.expect_download() as exported:
        page.click("#export-file")
    sheet = openpyxl.load_workbook(io.BytesIO(Path(exported.value.path()).read_bytes())).worksheets[0]
    header = [c.value for c in sheet[1]]
    assert header[: len(HEADERS)] == HEADERS
    assert sheet.max_row == 2
    assert sheet.cell(row=2, column=header.index(EXPORT_PROBLEMS_HEADER) + 1).value == (
        "Số điện thoại: còn thiếu [phone_missing]"
    )


@pytest.mark.django_db(transaction=True)
def test_a_representative_finds_a_staff_member_who_left_and_takes_them_off_the_roster(page: Any) -> None:
    from playwright.sync_api import expect

    from vaxbook.organizations.models import RosterEntry
    from vaxbook.organizations.services import roster_import_start
    from vaxbook.organizations.tests.builders import upload
    from vaxbook.registry.models import Person

    org, rep = organization_with_representative("Công ty Nghỉ Việc", "rep_leave")
    roster_import_start(actor=rep, organization=org, upload=upload(xlsx_bytes(table([person_row(1), person_row(2)]))))
    leaving = person_row(2)["Họ và tên"]

    sign_in(page, "rep_leave", f"/organizations/{org.public_id}/", rf"/organizations/{org.public_id}/$")
    expect(page.locator("#roster-table tbody tr")).to_have_count(2)
    # The actions stay a cell of their row: as a flex box the cell fell out of the row, its border askew.
    first_row = page.locator("#roster-table tbody tr").first
    row_box, actions_box = first_row.bounding_box(), first_row.locator("td.actions").bounding_box()
    assert actions_box["y"] == row_box["y"] and actions_box["height"] == row_box["height"]
    assert (
        page.locator("#roster-table th.actions").bounding_box()["height"]
        == (page.locator("#roster-table thead th").first.bounding_box()["height"])
    )

    page.fill("#roster-q", person_row(2)["Số giấy tờ"])
    page.press("#roster-q", "Enter")
    expect(page.locator("#roster-search-count")).to_contain_text("1 nhân viên")
    rows = page.locator("#roster-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(leaving)

    rows.first.locator("a.roster-remove").click()
    expect(page.locator("#roster-entry-remove")).to_contain_text(leaving)
    page.click("#roster-entry-remove-submit")
    # back to the roster as it was shown: the search, at the table, now finding nobody
    page.wait_for_url(re.compile(rf"/organizations/{org.public_id}/\?q=\d+#roster$"))
    expect(page.locator(".messages")).to_contain_text(f"Đã đưa {leaving} ra khỏi danh sách nhân viên.")
    expect(page.locator("#roster-search-count")).to_contain_text("0 nhân viên")
    page.click("#roster-search-clear")
    expect(page.locator("#roster-table tbody tr")).to_have_count(1)
    assert RosterEntry.objects.filter(organization=org).count() == 1
    assert Person.objects.filter(full_name=leaving).exists()  # the record stays in the registry


@pytest.mark.django_db(transaction=True)
def test_on_a_phone_the_roster_keeps_its_actions_and_the_result_fits_the_screen(page: Any) -> None:
    from playwright.sync_api import expect

    from vaxbook.organizations.services import roster_import_start
    from vaxbook.organizations.tests.builders import upload

    org, rep = organization_with_representative("Công ty Điện Thoại", "rep_phone")
    rows = [person_row(1), person_row(2, **{"Số điện thoại": "12345", "Ngày sinh": "31/02/1990"})]
    imp = roster_import_start(actor=rep, organization=org, upload=upload(xlsx_bytes(table(rows))))
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, "rep_phone", f"/organizations/{org.public_id}/", rf"/organizations/{org.public_id}/$")
    expect(page.locator("#roster-table a.roster-edit").first).to_be_visible()
    expect(page.locator("#roster-table a.roster-remove").first).to_be_visible()
    for path in (f"/organizations/{org.public_id}/", f"/organizations/imports/{imp.public_id}/"):
        page.goto(path)
        wide = page.evaluate(  # what sticks out, to say so when the test fails
            "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 391)"
            ".map(e => e.tagName + '#' + e.id).slice(0, 8)"
        )
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, (path, wide)


def _a_conflict_to_review(organization: str, representative: str, officer: str) -> tuple[Any, Any, Any]:
    """An organization whose roster row contradicts a record (the row says 02/02/1981, the site typed 12/02),
    and a province officer to review it: (organization, representative, record)."""
    from datetime import date

    from vaxbook.organizations.services import roster_import_start
    from vaxbook.organizations.tests.builders import upload
    from vaxbook.places.models import AdminUnit

    org, rep = organization_with_representative(organization, representative)
    t.make_member(t.Role.PROVINCE_OFFICER, admin_unit=org.admin_unit, username=officer)
    row = person_row(1)
    record = t.PersonFactory(
        full_name=row["Họ và tên"],
        date_of_birth=date(1981, 2, 12),
        sex="F",
        id_number=row["Số giấy tờ"],
        ward=AdminUnit.objects.get(code="26001"),
    )
    roster_import_start(actor=rep, organization=org, upload=upload(xlsx_bytes(table([row]))))
    return org, rep, record


@pytest.mark.django_db(transaction=True)
def test_an_officer_corrects_a_record_that_an_organization_s_roster_contradicts(page: Any) -> None:

    from playwright.sync_api import expect

    from vaxbook.organizations.models import RosterEntry

    org, _rep, record = _a_conflict_to_review("Công ty Đối Chiếu", "rep_conflict", "officer_conflict")
    row = person_row(1)

    sign_in(page, "officer_conflict", "/registry/", r"/registry/$")
    page.click("#roster-conflicts-link")
    page.wait_for_url(re.compile(r"/organizations/conflicts/$"))
    page.locator("#conflict-table tbody tr a").first.click()
    differs = page.locator("#conflict-comparison tr.differs")
    expect(differs).to_have_count(2)  # the birth date and the phone
    expect(differs.first).to_contain_text("12/02/1981")
    page.click("#conflict-correct")
    expect(page.locator("#conflict-decision")).to_contain_text("Đã sửa hồ sơ")
    record.refresh_from_db()
    assert record.date_of_birth.strftime("%d/%m/%Y") == row["Ngày sinh"]
    assert RosterEntry.objects.filter(organization=org, person=record).exists()


@pytest.mark.django_db(transaction=True)
def test_a_representative_cancels_a_queued_import_after_being_asked(page: Any) -> None:
    from playwright.sync_api import expect

    from vaxbook.organizations.models import RosterImport

    org, rep = organization_with_representative("Công ty Nhầm Tệp", "rep_cancel")
    # Queued, and no worker takes it (no task was enqueued): the page waits, and says where it is.
    imp = RosterImport.objects.create(
        organization=org, uploaded_by=rep, original_name="nam-ngoai.xlsx", file_format="xlsx", file="x.xlsx"
    )
    sign_in(page, "rep_cancel", f"/organizations/imports/{imp.public_id}/", r"/organizations/imports/")
    expect(page.locator("#import-status")).to_have_attribute("data-status", "queued")
    expect(page.locator("#import-ahead")).to_have_text("đến lượt kế tiếp")

    page.click("#import-cancel a")
    page.wait_for_url(re.compile(rf"/organizations/imports/{imp.public_id}/cancel/$"))
    expect(page.locator("#import-cancel-confirm")).to_contain_text("nam-ngoai.xlsx")
    expect(page.locator("#cancel-rows-saved")).to_have_text("0")
    imp.refresh_from_db()
    assert imp.status == "queued"  # asking stops nothing

    page.click("#import-cancel-submit")
    page.wait_for_url(re.compile(rf"/organizations/imports/{imp.public_id}/$"))
    expect(page.locator("#import-status")).to_have_attribute("data-status", "failed")
    expect(page.locator(".messages")).to_contain_text("Đã hủy lần nhập trước khi đọc dòng nào: không có gì được lưu.")
    expect(page.locator("#import-cancel")).to_have_count(0)
    imp.refresh_from_db()
    assert [p["code"] for p in imp.problems] == ["import_cancelled"]


@pytest.mark.django_db(transaction=True)
def test_on_a_phone_the_roster_and_its_imports_show_every_column_as_a_card(page: Any) -> None:
    """At 375px the tables used to hide their columns past the third (data status, what is missing, the next
    appointment, the doses; an import's status and counts): each row is now a card, every cell labelled."""
    from playwright.sync_api import expect

    from vaxbook.organizations.services import roster_import_start
    from vaxbook.organizations.tests.builders import upload

    org, rep = organization_with_representative("Công ty Màn Hình Nhỏ", "rep_small")
    rows = [person_row(1), person_row(2, **{"Số điện thoại": ""}), person_row(3, **{"Số điện thoại": "12345"})]
    roster_import_start(actor=rep, organization=org, upload=upload(xlsx_bytes(table(rows))))
    page.set_viewport_size({"width": 375, "height": 812})
    sign_in(page, "rep_small", f"/organizations/{org.public_id}/", rf"/organizations/{org.public_id}/$")

    incomplete = page.locator("#roster-table tbody tr", has=page.locator(".status-incomplete"))
    expect(incomplete.locator(".status")).to_be_visible()
    expect(incomplete.locator(".status")).to_have_text("Thiếu thông tin")
    expect(incomplete.locator(".problem.missing")).to_be_visible()
    for label in ("Bộ phận", "Tình trạng dữ liệu", "Lịch hẹn tiếp theo", "Mũi tiêm"):
        cell = incomplete.locator(f'td[data-label="{label}"]')
        expect(cell).to_be_visible()
    refused = page.locator("#roster-imports tbody tr td.c-refused").first
    expect(refused).to_be_visible()
    expect(refused).to_have_text("1")
    expect(page.locator("#roster-imports tbody tr td.c-accepted").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    page.click("#all-imports")
    expect(page.locator("#roster-imports tbody tr td.c-refused").first).to_be_visible()


@pytest.mark.django_db(transaction=True)
def test_on_a_phone_the_roster_conflicts_show_the_document_and_the_status(page: Any) -> None:

    from playwright.sync_api import expect

    _a_conflict_to_review("Công ty Đối Chiếu Nhỏ", "rep_conflict_small", "officer_small")
    row = person_row(1)
    page.set_viewport_size({"width": 375, "height": 812})
    sign_in(page, "officer_small", "/organizations/conflicts/", r"/organizations/conflicts/$")
    first = page.locator("#conflict-table tbody tr").first
    expect(first.locator("td.c-document")).to_be_visible()
    expect(first.locator("td.c-document")).to_have_text(row["Số giấy tờ"])
    expect(first.locator("td.c-status")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


def running_import(org: Any, rep: Any) -> Any:
    """An import running at 20 %, whose page polls (no worker: the test moves it)."""
    from django.utils import timezone

    from vaxbook.organizations.models import RosterImport

    return RosterImport.objects.create(
        organization=org,
        uploaded_by=rep,
        original_name="ds.xlsx",
        file_format="xlsx",
        file="x.xlsx",
        status="running",
        progress=20,
        total=10,
        started_at=timezone.now(),
    )


def test_a_screen_reader_hears_the_import_move_on_and_end(page: Any) -> None:
    """The card htmx replaces every second held the live region, and a region replaced is not read out: the
    page's own region, which stays, takes the card's news when it changes (its state, its progress by tens,
    the counts once done), and nothing while it does not."""
    from django.utils import timezone
    from playwright.sync_api import expect

    from vaxbook.organizations.models import RosterImport

    org, rep = organization_with_representative("Công ty Nghe Được", "rep_live")
    imp = running_import(org, rep)
    sign_in(page, "rep_live", f"/organizations/imports/{imp.public_id}/", r"/organizations/imports/")
    status, region = page.locator("#import-status"), page.locator("#import-status-announce")
    expect(status).to_have_attribute("data-announce", "Đang xử lý 20%")
    assert status.get_attribute("aria-live") is None
    expect(region).to_have_attribute("role", "status")
    page.wait_for_timeout(1500)  # a poll or more: the same news is not said again
    expect(region).to_have_text("")
    RosterImport.objects.filter(pk=imp.pk).update(progress=43, updated_at=timezone.now())
    expect(region).to_have_text("Đang xử lý 40%")
    RosterImport.objects.filter(pk=imp.pk).update(
        status="done", progress=100, accepted=8, created=8, refused=2, finished_at=timezone.now()
    )
    expect(region).to_have_text("Hoàn tất: 8 dòng được nhận, 2 dòng bị từ chối")
    expect(status).to_have_attribute("data-status", "done")


def test_a_polled_page_follows_the_language_chosen_in_another_tab(page: Any) -> None:
    """English chosen in a second tab: the card the first tab polls came in English into the Vietnamese page;
    now the page reloads, all of it in English."""
    from django.conf import settings
    from playwright.sync_api import expect

    org, rep = organization_with_representative("Công ty Hai Tab", "rep_tabs")
    imp = running_import(org, rep)
    sign_in(page, "rep_tabs", f"/organizations/imports/{imp.public_id}/", r"/organizations/imports/")
    expect(page.locator("h1")).to_contain_text("Nhập danh sách")
    url = page.url
    page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": url}])
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_contain_text("Roster import")
    expect(page.locator("#import-state")).to_have_text("Running")
    assert page.url == url


def test_the_language_switch_keeps_the_place_on_the_page(page: Any) -> None:
    """The address the server knows has no fragment: the switch came back to the top of the roster."""
    from playwright.sync_api import expect

    org, _rep = organization_with_representative("Công ty Hai Thứ Tiếng", "rep_lang")
    roster = f"/organizations/{org.public_id}/"
    sign_in(page, "rep_lang", roster, rf"{roster}$")
    page.goto(f"{roster}?status=complete#roster")
    page.click("#lang-switch")
    page.wait_for_url(re.compile(r"\?status=complete#roster$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")


@pytest.mark.django_db(transaction=True)
def test_the_roster_pages_pass_the_accessibility_checks(page: Any, accessibility: Any) -> None:
    """axe-core finds nothing on the pages of the roster, in either language: a clerk who reads them with a
    screen reader, or on a dim screen, gets every status and control (a status colour once fell short of
    the 4.5:1 contrast, and the progress bar had no name)."""
    from playwright.sync_api import expect

    from vaxbook.organizations.models import RosterConflict
    from vaxbook.organizations.services import roster_export_start, roster_import_start
    from vaxbook.organizations.tests.builders import upload
    from vaxbook.registry.models import Person

    org, rep, _record = _a_conflict_to_review("Công ty Dễ Đọc", "rep_a11y", "officer_a11y")
    rows = [person_row(2), person_row(3, **{"Số điện thoại": "12345"}), person_row(4, **{"Mã phường/xã": ""})]
    imp = roster_import_start(actor=rep, organization=org, upload=upload(xlsx_bytes(table(rows))))
    export = roster_export_start(actor=rep, organization=org)
    conflict = RosterConflict.objects.get()
    staff = Person.objects.get(id_number=person_row(2)["Số giấy tờ"])
    roster = f"/organizations/{org.public_id}/"
    pages = [
        "/",
        roster,
        f"{roster}?status=incomplete",
        f"{roster}imports/",
        f"{roster}roster/{staff.public_id}/edit/",
        f"/organizations/imports/{imp.public_id}/",
        f"/organizations/exports/{export.public_id}/",
    ]

    sign_in(page, "rep_a11y", roster, rf"{roster}$")
    for language in ("vi", "en"):
        for path in pages:
            page.goto(path)
            expect(page.locator("html")).to_have_attribute("lang", language)
            assert accessibility(page) == [], (language, path)
        page.click("#lang-switch")
        page.wait_for_load_state()
    page.context.clear_cookies()
    sign_in(page, "officer_a11y", "/organizations/conflicts/", r"/organizations/conflicts/$")
    for path in ("/", "/organizations/conflicts/", f"/organizations/conflicts/{conflict.public_id}/"):
        page.goto(path)
        assert accessibility(page) == [], path
