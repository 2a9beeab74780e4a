"""The organizations API: the template, uploads (202 or refused at once), progress, the report, the roster, scoping.

The cast: `org` and its representative `rep`; `other_rep` represents another organization; `clerk_a`
works at a facility (no organization role); `officer` is the province officer of the organization's
province; `admin_user` is national.
"""

import io
import pathlib

import openpyxl
import pytest
from django.test import override_settings

from vaxbook.common import testing as t
from vaxbook.organizations.models import RosterEntry, RosterImport
from vaxbook.organizations.tests.builders import csv_bytes, person_row, table, xlsx_bytes

DATA = pathlib.Path(__file__).parent / "data"  # files saved by real spreadsheet programs (its README)

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_rep(province):
    other = t.OrganizationFactory(name="Công ty Khác", admin_unit=province)
    return t.make_member(t.Role.ORG_REPRESENTATIVE, organization=other, username="other_rep")


def post_file(api, org, content, name="roster.xlsx"):
    f = io.BytesIO(content)
    f.name = name
    return api.post(f"/api/v1/organizations/{org.public_id}/roster-imports", {"file": f})


def good_file(n=3, bad=1):
    rows = [person_row(i) for i in range(1, n + 1)]
    rows += [person_row(100 + i, **{"Số điện thoại": "12345"}) for i in range(bad)]
    return xlsx_bytes(table(rows))


def test_the_template_has_the_headers_in_order_the_lists_and_the_codes(api, rep, org, places):
    response = api.as_user(rep).get(f"/api/v1/organizations/{org.public_id}/roster-template")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Danh sách", "Hướng dẫn", "Danh mục"]
    sheet = book["Danh sách"]
    headers = [c.value for c in sheet[1]]
    assert headers == [
        "STT",
        "Họ và tên",
        "Ngày sinh",
        "Giới tính",
        "Số điện thoại",
        "Loại giấy tờ",
        "Số giấy tờ",
        "Số thẻ BHYT",
        "Nhóm ưu tiên",
        "Nghề nghiệp",
        "Bộ phận",
        "Dân tộc",
        "Quốc tịch",
        "Mã tỉnh",
        "Mã phường/xã",
        "Địa chỉ",
    ]
    lists = {str(v.sqref).split(":")[0]: v.formula1 for v in sheet.data_validations.dataValidation}
    assert lists["D2"] == '"Nam,Nữ"'
    assert lists["F2"] == '"CCCD,CMND,Hộ chiếu"'
    assert "Danh mục" in lists["I2"]
    assert sheet.column_dimensions["E"].number_format == "@"  # phones keep their leading zero
    assert sheet.column_dimensions["G"].number_format == "@"
    reference = [tuple(r) for r in book["Danh mục"].iter_rows(values_only=True)]
    assert any(r[7] == "26001" and r[9] == "75" for r in reference)
    assert any(r[2] and r[2].startswith("9 - ") for r in reference)
    assert "Hướng dẫn" in book["Hướng dẫn"]["A1"].value
    guide = " ".join(str(cell) for row in book["Hướng dẫn"].iter_rows(values_only=True) for cell in row if cell)
    assert "bảng mã Unicode" in guide and "VIQR" in guide  # the old encodings are said before they are refused
    assert "Mã nhân viên" in guide and "Hoa Kỳ" in guide  # the optional column, the month-first dates
    assert "đừng ẩn dòng" in guide and "“Họ đệm” và “Tên”" in guide  # hidden rows, a name in two columns


def test_an_upload_is_accepted_with_202_and_reports_progress_and_counts(
    api, rep, org, places, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_file(api.as_user(rep), org, good_file())
    assert response.status_code == 202, response.content
    body = response.json()
    assert set(body) == {"id", "status"}
    assert body["status"] == "queued"

    detail = api.get(f"/api/v1/roster-imports/{body['id']}").json()
    assert detail["status"] == "done"
    assert detail["progress"] == 100
    assert (detail["total"], detail["accepted"], detail["created"], detail["linked"], detail["updated"]) == (
        4,
        3,
        3,
        0,
        0,
    )
    assert detail["refused"] == 1
    assert detail["refusals"] == {"phone_format": 1}  # rows refused, by reason
    assert detail["problems"] == []
    assert detail["footer_rows"] == [] and detail["section_rows"] == [] and detail["values_kept"] == {}
    assert detail["sheet_name"] and detail["sheets_not_read"] == []
    assert detail["error_report_url"] == f"/api/v1/roster-imports/{body['id']}/error-report"

    report = api.get(detail["error_report_url"])
    assert report.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(report.streaming_content))).worksheets[0]
    assert sheet.max_row == 2
    assert "phone_format" in sheet.cell(row=2, column=17).value

    roster = api.get(f"/api/v1/organizations/{org.public_id}/roster?limit=2").json()
    assert roster["count"] == 3
    assert len(roster["results"]) == 2
    assert roster["results"][0]["data_status"] == "complete"
    assert roster["results"][0]["department"] == "Phòng Kỹ thuật"
    second = api.get(f"/api/v1/organizations/{org.public_id}/roster?limit=2&offset=2").json()
    assert len(second["results"]) == 1


@pytest.mark.parametrize(
    ("content", "name", "code", "status"),
    [
        (b"\x93\x11random bytes\x00\xff" * 50, "roster.xlsx", "file_type_unsupported", 422),
        (b"Ho va ten,Ngay sinh\nA,1/1/1990\n", "roster.xlsx", "header_missing", 422),  # read as the CSV it is
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504, "roster.xlsx", "file_encrypted", 422),
        (b"", "roster.csv", "file_empty", 422),
        (b"%PDF-1.4\n", "roster.pdf", "file_type_unsupported", 422),
        ("STT,Họ và tên\n1,Nguyễn Văn Hùng\n".encode() + b"\xff\xfe", "roster.csv", "csv_encoding", 422),
        ((DATA / "libreoffice-roster.xls").read_bytes(), "roster.xls", "file_type_unsupported", 422),
        ((DATA / "libreoffice-roster.ods").read_bytes(), "roster.ods", "file_type_unsupported", 422),
    ],
)
def test_unreadable_files_are_refused_at_once_with_a_code_and_nothing_written(
    api, rep, org, places, content, name, code, status
):
    response = post_file(api.as_user(rep), org, content, name)
    assert response.status_code == status
    [error] = response.json()["errors"]
    assert (error["field"], error["code"]) == ("file", code)
    assert error["message"]
    assert not RosterImport.objects.exists()


def test_missing_headers_are_named(api, rep, org, places):
    cells = table([person_row(1)], headers=["Họ và tên", "Ngày sinh", "Số giấy tờ", "Địa chỉ"])
    response = post_file(api.as_user(rep), org, csv_bytes(cells), "roster.csv")
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["code"] == "header_missing"
    for header in ("Giới tính", "Số điện thoại", "Nhóm ưu tiên", "Mã phường/xã"):
        assert header in error["message"]
    assert "Họ và tên" not in error["message"]


def test_a_csv_saved_without_vietnamese_letters_is_refused_with_what_to_do(api, rep, org, places):
    cells = table([person_row(1)])
    lost = csv_bytes(cells).decode().encode("ascii", errors="replace")  # Excel's plain CSV, an English Windows
    response = post_file(api.as_user(rep), org, lost, "roster.csv")
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert (error["field"], error["code"]) == ("file", "header_letters_lost")
    assert "H? v? t?n" in error["message"] and "CSV UTF-8" in error["message"]
    assert not RosterImport.objects.exists()


def test_excels_plain_csv_on_a_vietnamese_windows_is_refused_with_how_to_save_it_and_a_utf8_one_says_so(
    api, rep, org, places
):
    """Windows-1258 is never guessed (a wrong guess saves names with other letters): refused at once, nothing
    written, the message saying how to save it as UTF-8; a file read says its encoding."""
    cells = table([person_row(1, **{"Họ và tên": "Nguyễn Thị Thuỷ"})])
    response = post_file(api.as_user(rep), org, csv_bytes(cells, encoding="windows-1258"), "DanhSach.csv")
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert (error["field"], error["code"]) == ("file", "csv_encoding") and "CSV UTF-8" in error["message"]
    assert not RosterImport.objects.exists()
    read = post_file(api.as_user(rep), org, csv_bytes(cells), "DanhSach.csv")
    assert read.status_code == 202
    assert api.as_user(rep).get(f"/api/v1/roster-imports/{read.json()['id']}").json()["text_encoding"] == "utf-8"


@override_settings(ROSTER_IMPORT_MAX_BYTES=1024)
def test_a_file_over_the_size_limit_is_refused_with_413(api, rep, org, places):
    response = post_file(api.as_user(rep), org, good_file(n=30))
    assert response.status_code == 413
    [error] = response.json()["errors"]
    # A bound under a megabyte is said in kB (it was "larger than 0 MB")
    assert (error["field"], error["code"]) == ("file", "file_too_large")
    assert error["message"] == "Tệp lớn hơn 1 kB. Vui lòng tách thành các tệp nhỏ hơn."


@override_settings(ROSTER_IMPORT_MAX_ROWS=2)
def test_a_file_over_the_row_limit_is_refused(api, rep, org, places):
    response = post_file(api.as_user(rep), org, good_file(n=3, bad=0))
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "too_many_rows"


def test_an_upload_without_a_file_is_a_validation_error(api, rep, org):
    url = f"/api/v1/organizations/{org.public_id}/roster-imports"
    for body in ({}, {"fichier": "x"}, {"file": "not a file"}):
        response = api.as_user(rep).post(url, body)
        assert response.status_code == 422
        assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [("file", "required")]


def test_another_organizations_representative_sees_nothing(
    api, rep, other_rep, org, places, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        started = post_file(api.as_user(rep), org, good_file()).json()
    other = api.__class__().as_user(other_rep)
    for path in (
        f"/api/v1/organizations/{org.public_id}/roster-template",
        f"/api/v1/organizations/{org.public_id}/roster",
        f"/api/v1/organizations/{org.public_id}/roster-imports",
        f"/api/v1/roster-imports/{started['id']}",
        f"/api/v1/roster-imports/{started['id']}/error-report",
    ):
        response = other.get(path)
        assert response.status_code == 404, path
        assert response.json()["errors"][0]["code"] in ("organization_not_found", "roster_import_not_found")
    response = post_file(other, org, good_file())
    assert response.status_code == 404
    assert RosterImport.objects.count() == 1


def test_a_clerk_without_an_organization_role_gets_404(api, clerk_a, org, places):
    clerk = api.as_user(clerk_a)
    assert clerk.get(f"/api/v1/organizations/{org.public_id}/roster").status_code == 404
    assert post_file(clerk, org, good_file()).status_code == 404
    assert clerk.get("/api/v1/organizations").json() == []


def test_officers_of_the_area_and_national_admins_see_but_do_not_import(
    api, rep, officer, admin_user, org, places, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        started = post_file(api.as_user(rep), org, good_file()).json()
    for user in (officer, admin_user):
        client = api.__class__().as_user(user)
        assert client.get(f"/api/v1/organizations/{org.public_id}/roster").json()["count"] == 3
        assert client.get(f"/api/v1/roster-imports/{started['id']}").status_code == 200
        response = post_file(client, org, good_file())
        assert response.status_code == 403
        assert response.json()["errors"][0]["code"] == "forbidden"
    assert RosterImport.objects.count() == 1


def test_the_organizations_list_says_each_roster_s_size_and_finds_by_name_or_tax_code(
    api, rep, officer, org, places, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        started = post_file(api.as_user(rep), org, good_file()).json()
    other = t.OrganizationFactory(name="Trường Mầm non Hoa Sen", tax_code="3609876543", admin_unit=org.admin_unit)
    client = api.as_user(officer)
    listed = {o["id"]: o for o in client.get("/api/v1/organizations").json()}
    ours = listed[str(org.public_id)]
    assert (ours["staff"], ours["last_import_id"], ours["last_import_status"]) == (3, started["id"], "done")
    theirs = listed[str(other.public_id)]
    assert (theirs["staff"], theirs["incomplete"], theirs["invalid"], theirs["last_import_id"]) == (0, 0, 0, None)
    for q in ("MẦM NON", "mam non", "360987"):
        assert [o["id"] for o in client.get("/api/v1/organizations", {"q": q}).json()] == [str(other.public_id)], q
    other_staff = t.PersonFactory(ward=places, data_status="incomplete")
    RosterEntry.objects.create(organization=other, person=other_staff)
    chase = client.get("/api/v1/organizations", {"order": "held_back"}).json()
    assert (ours["incomplete"], ours["invalid"]) == (0, 0)  # the file's rows are complete
    assert [o["id"] for o in chase] == [str(other.public_id), str(org.public_id)]
    assert [o["id"] for o in client.get("/api/v1/organizations").json()] == [str(org.public_id), str(other.public_id)]
    wrong = client.get("/api/v1/organizations", {"order": "pk"})
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "order"
    long = client.get("/api/v1/organizations", {"q": "x" * 101})
    assert long.status_code == 422 and long.json()["errors"][0]["field"] == "q"


def test_an_unknown_id_is_404_with_the_error_shape(api, rep):
    for path in (
        "/api/v1/roster-imports/not-a-uuid",
        "/api/v1/organizations/00000000-0000-0000-0000-000000000000/roster",
    ):
        response = api.as_user(rep).get(path)
        assert response.status_code == 404
        assert response.json()["errors"][0]["code"].endswith("not_found")


@pytest.mark.parametrize("offset", ["-5", "100000000000000000000", "9223372036854775807", "2147483648"])
def test_a_roster_offset_out_of_bounds_is_a_validation_error(api, rep, org, offset):
    response = api.as_user(rep).get(f"/api/v1/organizations/{org.public_id}/roster?offset={offset}")
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert [(e["field"], e["code"]) for e in errors] in (
        [("offset", "invalid_greater_than_equal")],
        [("offset", "invalid_less_than_equal")],
    )
    assert all(e["message"] for e in errors)


def test_a_roster_page_far_past_the_end_is_empty(api, rep, org):
    roster = api.as_user(rep).get(f"/api/v1/organizations/{org.public_id}/roster?offset=2147483647&limit=200")
    assert roster.status_code == 200
    assert roster.json()["results"] == []


def _queued_import(api, rep, org, django_capture_on_commit_callbacks, n=3):
    """An upload whose task has not run (its on-commit enqueue captured, not executed); `n` rows (the same
    file twice while the first is queued is refused as `import_duplicate`)."""
    with django_capture_on_commit_callbacks(execute=False):
        response = post_file(api.as_user(rep), org, good_file(n))
    assert response.status_code == 202, response.content
    return RosterImport.objects.get(public_id=response.json()["id"])


def test_an_import_whose_worker_stopped_is_shown_interrupted_not_running_forever(
    api, rep, org, places, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone

    from vaxbook.common.models import AuditEvent

    stalled = _queued_import(api, rep, org, django_capture_on_commit_callbacks)
    moving = _queued_import(api, rep, org, django_capture_on_commit_callbacks, n=4)
    long_ago = timezone.now() - timedelta(minutes=11)
    # Its first chunks committed (4 rows accepted, 1 refused), of the 20 rows its file was counted at.
    RosterImport.objects.filter(pk=stalled.pk).update(
        status="running", progress=40, updated_at=long_ago, total=20, accepted=4, created=4, refused=1
    )
    RosterImport.objects.filter(pk=moving.pk).update(status="running", progress=40, updated_at=timezone.now())

    detail = api.as_user(rep).get(f"/api/v1/roster-imports/{stalled.public_id}", HTTP_ACCEPT_LANGUAGE="en").json()
    assert detail["status"] == "failed"
    assert (detail["total"], detail["accepted"], detail["refused"]) == (5, 4, 1)  # the rows it read, not the file's
    assert [p["code"] for p in detail["problems"]] == ["import_interrupted"]
    assert "upload the file again" in detail["problems"][0]["message"]
    assert AuditEvent.objects.filter(action="organizations.roster_import.interrupted").count() == 1
    assert api.as_user(rep).get(f"/api/v1/roster-imports/{moving.public_id}").json()["status"] == "running"


def test_the_command_marks_every_stalled_import(api, rep, org, places, django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.core.management import call_command
    from django.utils import timezone

    imports = [_queued_import(api, rep, org, django_capture_on_commit_callbacks, n=3 + k) for k in range(3)]
    long_ago = timezone.now() - timedelta(minutes=30)
    RosterImport.objects.filter(pk__in=[i.pk for i in imports[:2]]).update(status="running", updated_at=long_ago)
    out = io.StringIO()
    call_command("roster_imports_fail_stalled", stdout=out)
    assert out.getvalue().startswith("2 stalled")
    statuses = sorted(RosterImport.objects.filter(pk__in=[i.pk for i in imports]).values_list("status", flat=True))
    assert statuses == ["failed", "failed", "queued"]


def test_a_run_declared_interrupted_meanwhile_stops_and_writes_nothing_more(
    api, rep, org, places, django_capture_on_commit_callbacks, monkeypatch
):
    from vaxbook.organizations import services
    from vaxbook.registry.models import Person

    imp = _queued_import(api, rep, org, django_capture_on_commit_callbacks)
    original = services._ImportRun.execute

    def execute_after_the_reaper(run):  # the reaper acts while the worker reads the file
        RosterImport.objects.filter(pk=imp.pk).update(
            status="failed", problems=[{"field": "file", "code": "import_interrupted", "params": {}}]
        )
        original(run)

    monkeypatch.setattr(services._ImportRun, "execute", execute_after_the_reaper)
    services.roster_import_process(import_id=imp.pk)
    imp.refresh_from_db()
    assert (imp.status, [p["code"] for p in imp.problems]) == ("failed", ["import_interrupted"])
    assert not Person.objects.exists()  # the chunk that found it interrupted rolled back


def test_a_roster_filtered_by_an_unknown_status_is_a_validation_error(api, rep, org):
    """`?status=zzz` names the field and the choices; it is not an empty roster that looks like an answer."""
    response = api.as_user(rep).get(f"/api/v1/organizations/{org.public_id}/roster?status=zzz")
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert (error["field"], error["code"]) == ("status", "invalid_literal_error")
    assert "complete" in error["message"] and "invalid" in error["message"]
    assert api.as_user(rep).get(f"/api/v1/organizations/{org.public_id}/roster?status=complete").status_code == 200


def test_the_lists_section_headings_are_listed(api, rep, org, places, django_capture_on_commit_callbacks):
    rows = [{"STT": "A", "Họ và tên": "Ban Giám đốc"}, person_row(1)]
    with django_capture_on_commit_callbacks(execute=True):
        response = post_file(api.as_user(rep), org, xlsx_bytes(table(rows)))
    detail = api.get(f"/api/v1/roster-imports/{response.json()['id']}").json()
    assert (detail["total"], detail["created"], detail["refused"]) == (1, 1, 0)
    assert detail["section_rows"] == [{"row": 2, "text": "Ban Giám đốc"}]


def test_the_sheets_footer_rows_are_listed(api, rep, org, places, django_capture_on_commit_callbacks):
    rows = [person_row(1), {"STT": "", "Họ và tên": "Tổng cộng: 1 người"}, {"Họ và tên": "Người lập biểu"}]
    with django_capture_on_commit_callbacks(execute=True):
        response = post_file(api.as_user(rep), org, xlsx_bytes(table(rows)))
    detail = api.get(f"/api/v1/roster-imports/{response.json()['id']}").json()
    assert (detail["total"], detail["created"], detail["refused"], detail["footer_rows"]) == (1, 1, 0, [3, 4])
    assert detail["error_report_url"] is None


def test_the_imports_are_listed_a_page_at_a_time_the_latest_first(api, rep, org):
    made = [
        RosterImport.objects.create(
            organization=org, uploaded_by=rep, file=f"roster-imports/{n}.xlsx", original_name=f"ds-{n}.xlsx"
        )
        for n in range(3)
    ]
    client = api.as_user(rep)
    url = f"/api/v1/organizations/{org.public_id}/roster-imports"
    first, second = client.get(url + "?limit=2").json(), client.get(url + "?limit=2&offset=2").json()
    assert [i["id"] for i in first + second] == [str(i.public_id) for i in reversed(made)]
    too_many = client.get(url + "?limit=201")
    assert too_many.status_code == 422
    assert [e["field"] for e in too_many.json()["errors"]] == ["limit"]


def test_a_roster_entry_patch_with_a_field_it_cannot_change_is_refused_naming_it(
    api, rep, org, places, django_capture_on_commit_callbacks
):
    """The person's own data is not changed here: a 422 `field_unknown` naming the field, never a 200 that
    dropped it silently; the department sent beside it is not saved either."""
    with django_capture_on_commit_callbacks(execute=True):
        post_file(api.as_user(rep), org, good_file(n=1, bad=0))
    entry = api.get(f"/api/v1/organizations/{org.public_id}/roster").json()["results"][0]
    path = f"/api/v1/organizations/{org.public_id}/roster/{entry['person_id']}"
    response = api.patch_json(path, {"full_name": "Tên Khác", "department": "Kho"})
    assert response.status_code == 422
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [("full_name", "field_unknown")]
    assert api.get(f"/api/v1/organizations/{org.public_id}/roster").json()["results"][0] == entry
    assert api.patch_json(path, {"department": "Kho"}).json()["department"] == "Kho"


def test_a_representative_takes_a_staff_member_who_left_off_the_roster(
    api, rep, officer, other_rep, org, places, django_capture_on_commit_callbacks
):
    from vaxbook.common.models import AuditEvent
    from vaxbook.organizations.models import RosterEntry
    from vaxbook.registry.models import Person

    with django_capture_on_commit_callbacks(execute=True):
        post_file(api.as_user(rep), org, good_file(n=3, bad=0))
    roster = api.get(f"/api/v1/organizations/{org.public_id}/roster").json()
    left = roster["results"][0]
    path = f"/api/v1/organizations/{org.public_id}/roster/{left['person_id']}"

    seer = api.__class__().as_user(officer)  # sees the roster, may not change it
    response = seer.delete(path)
    assert response.status_code == 403 and response.json()["errors"][0]["code"] == "forbidden"
    stranger = api.__class__().as_user(other_rep)  # does not see the organization at all
    response = stranger.delete(path)
    assert response.status_code == 404 and response.json()["errors"][0]["code"] == "organization_not_found"
    assert RosterEntry.objects.filter(organization=org).count() == 3

    response = api.delete(path)
    assert response.status_code == 204
    assert api.get(f"/api/v1/organizations/{org.public_id}/roster").json()["count"] == 2
    person = Person.objects.get(public_id=left["person_id"])  # the record stays in the registry
    event = AuditEvent.objects.get(action="organizations.roster_entry.removed")
    assert event.actor == rep
    assert event.data == {
        "organization": str(org.public_id),
        "person": str(person.public_id),
        "department": left["department"],
        "employee_number": "",
    }

    again = api.delete(path)  # a second click
    assert again.status_code == 404
    error = again.json()["errors"][0]
    assert (error["field"], error["code"]) == ("person", "roster_entry_not_found")
    assert error["message"] == "Người này không có trong danh sách nhân viên của đơn vị."
    response = api.delete(f"/api/v1/organizations/{org.public_id}/roster/not-a-uuid")
    assert response.status_code == 404 and response.json()["errors"][0]["code"] == "roster_entry_not_found"

    with django_capture_on_commit_callbacks(execute=True):  # the same file again puts them back, linked
        again_id = post_file(api, org, good_file(n=3, bad=0)).json()["id"]
    detail = api.get(f"/api/v1/roster-imports/{again_id}").json()
    assert (detail["created"], detail["linked"]) == (0, 3)
    assert api.get(f"/api/v1/organizations/{org.public_id}/roster").json()["count"] == 3


def test_the_roster_api_finds_staff_and_refuses_a_search_too_long(
    api, rep, org, places, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        post_file(api.as_user(rep), org, good_file(n=3, bad=0))
    number = person_row(2)["Số giấy tờ"]
    found = api.get(f"/api/v1/organizations/{org.public_id}/roster", {"q": number}).json()
    assert found["count"] == 1 and found["results"][0]["id_number"] == number
    response = api.get(f"/api/v1/organizations/{org.public_id}/roster", {"q": "x" * 101})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "q"


def test_one_import_says_its_place_in_the_queue_and_the_minutes_left(
    api, rep, org, places, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone

    first = _queued_import(api, rep, org, django_capture_on_commit_callbacks)
    second = _queued_import(api, rep, org, django_capture_on_commit_callbacks, n=4)
    client = api.as_user(rep)
    body = client.get(f"/api/v1/roster-imports/{second.public_id}").json()
    assert (body["status"], body["queue_ahead"], body["minutes_left"]) == ("queued", 1, None)
    RosterImport.objects.filter(pk=first.pk).update(
        status="running", progress=50, started_at=timezone.now() - timedelta(seconds=150), updated_at=timezone.now()
    )
    body = client.get(f"/api/v1/roster-imports/{first.public_id}").json()
    assert (body["status"], body["queue_ahead"], body["minutes_left"]) == ("running", None, 3)
    assert body["idle_minutes"] is None
    RosterImport.objects.filter(pk=first.pk).update(updated_at=timezone.now() - timedelta(minutes=3))
    body = client.get(f"/api/v1/roster-imports/{first.public_id}").json()
    assert (body["status"], body["minutes_left"], body["idle_minutes"]) == ("running", None, 3)  # not moved: no guess
    assert client.get(f"/api/v1/roster-imports/{second.public_id}").json()["queue_ahead"] == 1  # the running one
    listed = client.get(f"/api/v1/organizations/{org.public_id}/roster-imports").json()
    assert {item["queue_ahead"] for item in listed} == {None}  # the list does not count: one import's GET does


def test_the_api_description_names_the_workbooks_and_the_roster_texts_lengths(api):
    """A client generated from /api/openapi.json knows the downloads are .xlsx files and the lengths the
    roster's texts may have."""
    schema = api.get("/api/openapi.json").json()
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    for path in (
        "/api/v1/organizations/{organization_id}/roster-template",
        "/api/v1/roster-imports/{import_id}/error-report",
        "/api/v1/roster-exports/{export_id}/file",
    ):
        answer = schema["paths"][path]["get"]["responses"]["200"]
        assert answer["content"][xlsx]["schema"] == {"type": "string", "format": "binary"}, path
    entry = schema["components"]["schemas"]["RosterEntryIn"]
    assert entry["additionalProperties"] is False
    assert (entry["properties"]["department"]["maxLength"], entry["properties"]["employee_number"]["maxLength"]) == (
        120,
        40,
    )


def test_the_upload_takes_one_part_and_any_other_is_named_not_dropped(api, rep, org, places):
    """A sheet sent under another name beside `file`, a note: 422 `field_unknown` for each, nothing written (the
    202 said nothing, and the other sheet was never read); the session's CSRF field is the protocol's, taken."""
    other = io.BytesIO(good_file(4))
    other.name = "other.xlsx"
    main = io.BytesIO(good_file(3))
    main.name = "roster.xlsx"
    url = f"/api/v1/organizations/{org.public_id}/roster-imports"
    answer = api.as_user(rep).post(url, {"file": main, "file2": other, "note": "hi"}, HTTP_ACCEPT_LANGUAGE="en")
    assert answer.status_code == 422
    assert [(e["field"], e["code"]) for e in answer.json()["errors"]] == [
        ("file2", "field_unknown"),
        ("note", "field_unknown"),
    ]
    assert answer.json()["errors"][0]["message"] == "This field is not allowed."
    assert not RosterImport.objects.exists()
    main.seek(0)
    taken = api.as_user(rep).post(url, {"file": main, "csrfmiddlewaretoken": "x"})
    assert taken.status_code == 202


def test_the_api_description_states_the_upload_s_429_its_one_part_and_the_statuses_and_progress(api):
    schema = api.get("/api/openapi.json").json()
    upload = schema["paths"]["/api/v1/organizations/{organization_id}/roster-imports"]["post"]
    assert "imports_waiting" in upload["responses"]["429"]["description"]
    assert upload["requestBody"]["content"]["multipart/form-data"]["schema"]["additionalProperties"] is False
    statuses = {"queued", "running", "done", "failed"}
    for name in ("RosterImportOut", "RosterExportOut", "RosterImportStarted"):
        out = schema["components"]["schemas"][name]["properties"]
        assert set(out["status"]["enum"]) == statuses, name
        if "progress" in out:
            assert (out["progress"]["minimum"], out["progress"]["maximum"]) == (0, 100), name
