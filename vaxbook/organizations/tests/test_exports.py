"""The roster export: the template's columns with each person's data status and what to complete, written
in the background; filled in and uploaded again, it links every row to its person and fills the blanks."""

import io
from datetime import date, time, timedelta

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from vaxbook.clinic.tests.fixtures import (  # noqa: F401  (a dose and an appointment to export)
    all_no,
    catalogue,
    comirnaty,
    fresh_catalogue,
    give,
    lot_a,
    manager_a,
    screen,
)
from vaxbook.common import testing as t
from vaxbook.common.models import AuditEvent
from vaxbook.organizations import services
from vaxbook.organizations.columns import COLUMNS
from vaxbook.organizations.models import RosterEntry, RosterExport, RosterImport
from vaxbook.organizations.services import roster_export_start, roster_import_start
from vaxbook.organizations.tests.builders import person_row, table, upload, xlsx_bytes
from vaxbook.organizations.workbooks import (
    EXPORT_DOSES_HEADER,
    EXPORT_NEXT_HEADER,
    EXPORT_PROBLEMS_HEADER,
    EXPORT_STATUS_HEADER,
)
from vaxbook.registry.models import Person

pytestmark = pytest.mark.django_db

# The district a list before 2025 gives is read to find the ward, never stored: not exported.
EXPORT_HEADERS = [c.header for c in COLUMNS if c.header != "Quận/huyện"] + [
    EXPORT_STATUS_HEADER,
    EXPORT_PROBLEMS_HEADER,
    EXPORT_DOSES_HEADER,
    EXPORT_NEXT_HEADER,
]


@pytest.fixture
def imported(rep, org, places, django_capture_on_commit_callbacks):
    """Three staff: two complete, one without a phone (incomplete), one department that looks like a formula."""
    rows = [
        person_row(1, **{"Bộ phận": '=HYPERLINK("http://x")'}),
        person_row(2),
        person_row(3, **{"Số điện thoại": ""}),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        roster_import_start(actor=rep, organization=org, upload=upload(xlsx_bytes(table(rows))))
    assert RosterImport.objects.get().created == 3
    return rows


@pytest.fixture
def export(rep, org, django_capture_on_commit_callbacks):
    def export(data_status: str = "", actor=None) -> RosterExport:
        with django_capture_on_commit_callbacks(execute=True):
            started = roster_export_start(actor=actor or rep, organization=org, data_status=data_status)
        started.refresh_from_db()
        return started

    return export


def sheet_rows(content: bytes) -> list[tuple]:
    sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    return [tuple(r) for r in sheet.iter_rows(values_only=True)]


def file_bytes(found: RosterExport) -> bytes:
    with found.file.open("rb") as f:
        return f.read()


def test_the_export_has_the_template_columns_the_status_and_what_to_complete(imported, export, rep):
    done = export()
    assert done.status == "done" and done.progress == 100 and done.rows == 3
    rows = sheet_rows(file_bytes(done))
    assert list(rows[0]) == EXPORT_HEADERS
    assert [r[0] for r in rows[1:]] == [1, 2, 3]
    by_name = {r[1]: dict(zip(EXPORT_HEADERS, r, strict=True)) for r in rows[1:]}
    first = by_name[Person.objects.get(id_number=imported[0]["Số giấy tờ"]).full_name]
    assert first["Bộ phận"] == '\'=HYPERLINK("http://x")'  # never run as a formula
    assert first["Giới tính"] == "Nữ" and first["Loại giấy tờ"] == "CCCD"
    assert first["Số điện thoại"] == imported[0]["Số điện thoại"]  # the national form, as typed
    assert first["Ngày sinh"].date() == date(1981, 2, 2)  # a real date
    assert (first["Mã tỉnh"], first["Mã phường/xã"], first["Nhóm ưu tiên"]) == ("75", "26001", "9")
    assert (first[EXPORT_STATUS_HEADER], first[EXPORT_PROBLEMS_HEADER]) == ("Đầy đủ", None)
    assert (first[EXPORT_DOSES_HEADER], first[EXPORT_NEXT_HEADER]) == (0, None)
    third = by_name[Person.objects.get(id_number=imported[2]["Số giấy tờ"]).full_name]
    assert (third["Số điện thoại"], third[EXPORT_STATUS_HEADER]) == (None, "Thiếu thông tin")
    assert third[EXPORT_PROBLEMS_HEADER] == "Số điện thoại: còn thiếu [phone_missing]"
    book = openpyxl.load_workbook(io.BytesIO(file_bytes(done)))
    assert book.sheetnames == ["Danh sách", "Hướng dẫn", "Danh mục"]  # the template's aids, to fill it in
    assert {str(v.sqref).split(":")[0] for v in book.worksheets[0].data_validations.dataValidation} >= {"D2", "F2"}
    events = AuditEvent.objects.filter(subject_id=str(done.public_id)).values_list("action", flat=True)
    assert set(events) == {"organizations.roster_export.requested", "organizations.roster_export.finished"}


def test_filled_in_and_uploaded_again_it_creates_nobody_and_fills_the_blank(
    imported, export, rep, org, django_capture_on_commit_callbacks
):
    rows = sheet_rows(file_bytes(export(data_status="incomplete")))
    assert len(rows) == 2  # the header and the one incomplete person
    book = openpyxl.load_workbook(io.BytesIO(file_bytes(RosterExport.objects.get())))
    sheet = book.worksheets[0]
    sheet.cell(row=2, column=EXPORT_HEADERS.index("Số điện thoại") + 1, value="0987654321")
    fixed = io.BytesIO()
    book.save(fixed)
    whole = file_bytes(export())
    with django_capture_on_commit_callbacks(execute=True):
        again = roster_import_start(actor=rep, organization=org, upload=upload(fixed.getvalue(), "fixed.xlsx"))
        whole_again = roster_import_start(actor=rep, organization=org, upload=upload(whole, "all.xlsx"))
    again.refresh_from_db()
    whole_again.refresh_from_db()
    assert (again.created, again.updated, again.refused) == (0, 1, 0)
    assert again.ignored_columns == []  # the export's own columns are not the clerk's to be told of
    person = Person.objects.get(id_number=imported[2]["Số giấy tờ"])
    assert person.phone == "+84987654321" and person.data_status == "complete"
    assert (whole_again.created, whole_again.linked, whole_again.refused) == (0, 3, 0)
    assert Person.objects.count() == 3 and RosterEntry.objects.count() == 3
    formula = RosterEntry.objects.get(person__id_number=imported[0]["Số giấy tờ"])
    assert formula.department == '=HYPERLINK("http://x")'  # the quote came off again


def test_the_document_a_record_lacked_filled_in_the_export_goes_to_that_record(
    rep, org, places, export, django_capture_on_commit_callbacks
):
    """A staff member first listed without a document: the export filled in with it links the row to the
    record and gives it the document, rather than creating a second person beside it."""
    nodoc = person_row(4, **{"Loại giấy tờ": "", "Số giấy tờ": ""})
    with django_capture_on_commit_callbacks(execute=True):
        roster_import_start(actor=rep, organization=org, upload=upload(xlsx_bytes(table([nodoc]))))
    rows = sheet_rows(file_bytes(export()))
    book = openpyxl.load_workbook(io.BytesIO(file_bytes(RosterExport.objects.get())))
    sheet = book.worksheets[0]
    sheet.cell(row=2, column=EXPORT_HEADERS.index("Loại giấy tờ") + 1, value="CCCD")
    sheet.cell(row=2, column=EXPORT_HEADERS.index("Số giấy tờ") + 1, value=person_row(4)["Số giấy tờ"])
    assert rows[1][EXPORT_HEADERS.index("Số giấy tờ")] is None
    filled = io.BytesIO()
    book.save(filled)
    with django_capture_on_commit_callbacks(execute=True):
        again = roster_import_start(actor=rep, organization=org, upload=upload(filled.getvalue(), "filled.xlsx"))
    again.refresh_from_db()
    assert (again.created, again.updated, again.refused) == (0, 1, 0)
    person = Person.objects.get()
    assert (person.id_type, person.id_number) == ("cccd", person_row(4)["Số giấy tờ"])
    assert person.data_status == "complete"
    event = AuditEvent.objects.filter(action="registry.person.updated", subject_id=str(person.public_id)).get()
    assert {"id_type", "id_number"} <= set(event.data["filled"])
    # Uploaded again: the document now finds the record.
    with django_capture_on_commit_callbacks(execute=True):
        third = roster_import_start(actor=rep, organization=org, upload=upload(filled.getvalue(), "again.xlsx"))
    third.refresh_from_db()
    assert (third.created, third.linked) == (0, 1)
    # Another document with the same name and birth date is another person: created beside the record.
    other = {**nodoc, "STT": 2, "Loại giấy tờ": "CCCD", "Số giấy tờ": t.cccd_for(date(1984, 5, 5), "M", 77)}
    with django_capture_on_commit_callbacks(execute=True):
        fourth = roster_import_start(actor=rep, organization=org, upload=upload(xlsx_bytes(table([other]))))
    fourth.refresh_from_db()
    assert (fourth.created, fourth.updated) == (1, 0), fourth.problems


def test_an_unknown_data_status_is_refused_and_nothing_is_queued(rep, org):
    from vaxbook.common.errors import DomainError

    with pytest.raises(DomainError) as refused:
        roster_export_start(actor=rep, organization=org, data_status="bogus")
    assert [(e.field, e.code) for e in refused.value.errors] == [("status", "data_status_unknown")]
    assert not RosterExport.objects.exists()


def test_the_same_export_asked_again_while_it_is_under_way_is_that_one(rep, org, django_capture_on_commit_callbacks):
    """Eight clicks queue one export per data status, not eight workers' worth of minutes ahead of imports;
    once it has ended, a new one is made; a colleague's request is their own."""
    with django_capture_on_commit_callbacks(execute=False):
        first = roster_export_start(actor=rep, organization=org)
        again = [roster_export_start(actor=rep, organization=org) for _ in range(7)]
        other = roster_export_start(actor=rep, organization=org, data_status="incomplete")
    assert {e.pk for e in again} == {first.pk} and other.pk != first.pk
    assert RosterExport.objects.count() == 2
    colleague = t.make_member(rep.memberships.get().role, organization=org)
    with django_capture_on_commit_callbacks(execute=False):
        assert roster_export_start(actor=colleague, organization=org).pk != first.pk
    RosterExport.objects.filter(pk=first.pk).update(status=RosterExport.Status.DONE)
    with django_capture_on_commit_callbacks(execute=False):
        assert roster_export_start(actor=rep, organization=org).pk != first.pk


def test_a_crash_fails_the_export_saying_so_and_a_stalled_one_is_shown_interrupted(imported, export, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "_export_write", broken)
    failed = export()
    assert failed.status == "failed" and not failed.file
    assert [p["code"] for p in failed.problems] == ["export_crashed"]
    monkeypatch.undo()
    stalled = export()
    RosterExport.objects.filter(pk=stalled.pk).update(status="running", updated_at=timezone.now() - timedelta(hours=1))
    stalled.refresh_from_db()
    seen = services.roster_export_seen(stalled)
    assert seen.status == "failed" and [p["code"] for p in seen.problems] == ["export_interrupted"]
    moving = export()
    RosterExport.objects.filter(pk=moving.pk).update(status="running", updated_at=timezone.now())
    moving.refresh_from_db()
    assert services.roster_export_seen(moving).status == "running"


def _interrupted(pk: int) -> None:
    """What roster_export_seen does to an export whose progress stalled."""
    RosterExport.objects.filter(pk=pk).update(**services._failed("export_interrupted", timezone.now()))


def test_an_export_declared_interrupted_while_it_runs_stays_so_and_keeps_no_file(
    imported, rep, org, monkeypatch, settings, tmp_path
):
    """A worker slower than the stall limit finishes after its export was shown interrupted: the export
    stays interrupted (not done, nor crashed), and the file it wrote is not kept."""
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
    settings.MEDIA_ROOT = str(tmp_path)
    original = services._export_write

    def slow(export, path):  # the export is declared interrupted while the rows are written
        rows = original(export, path)
        _interrupted(export.pk)
        return rows

    def slow_then_crash(export, path):
        _interrupted(export.pk)
        raise RuntimeError("disk full")

    for write in (slow, slow_then_crash):
        monkeypatch.setattr(services, "_export_write", write)
        late = roster_export_start(actor=rep, organization=org)
        services.roster_export_process(export_id=late.pk)
        late.refresh_from_db()
        assert (late.status, [p["code"] for p in late.problems], late.file.name) == (
            "failed",
            ["export_interrupted"],
            "",
        )
    assert [p for p in tmp_path.rglob("*") if p.is_file() and "roster-exports" in str(p)] == []
    assert not AuditEvent.objects.filter(action="organizations.roster_export.finished").exists()


def test_an_export_declared_interrupted_stops_writing_at_its_next_progress_step(imported, rep, org, monkeypatch):
    monkeypatch.setattr(services, "EXPORT_PROGRESS_ROWS", 1)
    written = []
    original = services.export_values

    def counted(entry):
        written.append(entry.pk)
        if len(written) == 1:
            _interrupted(late.pk)
        return original(entry)

    monkeypatch.setattr(services, "export_values", counted)
    late = roster_export_start(actor=rep, organization=org)
    services.roster_export_process(export_id=late.pk)
    late.refresh_from_db()
    assert len(written) == 1 and RosterEntry.objects.count() == 3  # the other two were not written
    assert (late.status, [p["code"] for p in late.problems], late.rows) == ("failed", ["export_interrupted"], 0)


def test_an_export_whose_requester_may_no_longer_see_the_organization_is_refused_when_it_runs(imported, rep, org):
    """Queued, then its requester's role was removed (or the account deactivated, or deleted) before a
    worker took it: nothing is written, and it says why."""
    inactive_rep = t.make_member(rep.memberships.get().role, organization=org)
    inactive = roster_export_start(actor=inactive_rep, organization=org)
    inactive_rep.is_active = False
    inactive_rep.save(update_fields=["is_active"])
    removed = roster_export_start(actor=rep, organization=org)
    rep.memberships.all().delete()
    gone_rep = t.UserFactory()
    gone = roster_export_start(actor=rep, organization=org, data_status="complete")  # its requester to be deleted
    RosterExport.objects.filter(pk=gone.pk).update(requested_by=gone_rep)
    gone_rep.delete()
    for queued in (inactive, removed, gone):
        services.roster_export_process(export_id=queued.pk)
        queued.refresh_from_db()
        assert queued.status == "failed" and not queued.file and queued.rows == 0
        assert [p["code"] for p in queued.problems] == ["export_not_allowed"]
    assert RosterExport.objects.get(pk=gone.pk).requested_by is None
    assert AuditEvent.objects.filter(action="organizations.roster_export.refused").count() == 3


def test_a_second_delivery_of_the_task_does_nothing(imported, export):
    done = export()
    services.roster_export_process(export_id=done.pk)
    assert AuditEvent.objects.filter(action="organizations.roster_export.finished").count() == 1


# API ------------------------------------------------------------------------------------------------


def test_the_api_starts_follows_and_serves_an_export(api, rep, org, imported, django_capture_on_commit_callbacks):
    client = api.as_user(rep)
    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(f"/api/v1/organizations/{org.public_id}/roster-exports?status=incomplete")
    assert started.status_code == 202 and started.json()["status"] == "queued"
    detail = client.get(f"/api/v1/roster-exports/{started.json()['id']}").json()
    assert (detail["status"], detail["rows"], detail["data_status"]) == ("done", 1, "incomplete")
    served = client.get(detail["file_url"])
    assert served.status_code == 200 and served["Content-Type"].startswith("application/vnd.openxmlformats")
    assert f"danh-sach-{org.tax_code}-" in served["Content-Disposition"]
    in_english = client.get(detail["file_url"], HTTP_ACCEPT_LANGUAGE="en")  # the API: the language it asks for
    assert f'filename="roster-{org.tax_code}-' in in_english["Content-Disposition"]
    assert len(sheet_rows(b"".join(served.streaming_content))) == 2
    listed = client.get(f"/api/v1/organizations/{org.public_id}/roster-exports?limit=1").json()
    assert [e["id"] for e in listed] == [detail["id"]]
    bad = client.post(f"/api/v1/organizations/{org.public_id}/roster-exports?status=bogus")
    assert bad.status_code == 422 and [e["field"] for e in bad.json()["errors"]] == ["status"]


def test_an_unfinished_export_has_no_file(api, rep, org, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        queued = roster_export_start(actor=rep, organization=org)
    response = api.as_user(rep).get(f"/api/v1/roster-exports/{queued.public_id}/file")
    assert response.status_code == 404
    assert [e["code"] for e in response.json()["errors"]] == ["roster_export_not_ready"]
    assert api.as_user(rep).get(f"/api/v1/roster-exports/{queued.public_id}").json()["file_url"] is None


def test_another_organizations_representative_sees_no_export(api, rep, org, imported, export):
    done = export()
    other = t.make_member(t.Role.ORG_REPRESENTATIVE, organization=t.OrganizationFactory(admin_unit=org.admin_unit))
    client = api.as_user(other)
    for url in (
        f"/api/v1/roster-exports/{done.public_id}",
        f"/api/v1/roster-exports/{done.public_id}/file",
        f"/api/v1/organizations/{org.public_id}/roster-exports",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/api/v1/organizations/{org.public_id}/roster-exports").status_code == 404
    assert RosterExport.objects.count() == 1


def test_a_filter_sent_in_the_body_is_refused_not_ignored(api, rep, org, django_capture_on_commit_callbacks):
    """`POST …/roster-exports` takes its filter as a query parameter: `{"status": "invalid"}` in the body exported
    the whole roster, answered 202. A body field is a 422 `field_unknown` saying where the filter goes, any other
    body `body_unexpected`; nothing, or `{}`, is no body."""
    client = api.as_user(rep)
    path = f"/api/v1/organizations/{org.public_id}/roster-exports"
    refused = client.post(path, {"status": "invalid"}, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {
            "field": "status",
            "code": "field_unknown",
            "message": "This operation takes no body field “status”; its options are query parameters: status.",
        }
    ]
    text = client.post(path, "status=invalid", content_type="text/plain")
    assert (text.status_code, text.json()["errors"][0]["code"]) == (422, "body_unexpected")
    assert not RosterExport.objects.exists()
    with django_capture_on_commit_callbacks(execute=False):
        assert client.post(path + "?status=invalid", {}, content_type="application/json").status_code == 202
        assert client.post(path).status_code == 202  # an empty form is no body: the whole roster
    assert sorted(RosterExport.objects.values_list("data_status", flat=True)) == ["", "invalid"]
    form = client.post(path, {"status": "invalid"})  # a form's field, as the JSON object's
    assert (form.status_code, form.json()["errors"][0]["field"]) == (422, "status")
    for nothing in ("null", "[]", '""'):  # what clients send when they serialise "nothing"
        with django_capture_on_commit_callbacks(execute=False):
            answer = client.post(path, nothing, content_type="application/json")
        assert answer.status_code == 202, nothing
    person = RosterEntry.objects.first()
    removal = f"/api/v1/organizations/{org.public_id}/roster/{person.person.public_id if person else '0'}"
    deleted = client.delete(removal, "reason=left", content_type="application/x-www-form-urlencoded")
    assert (deleted.status_code, deleted.json()["errors"][0]) == (
        422,
        {"field": "reason", "code": "field_unknown", "message": deleted.json()["errors"][0]["message"]},
    )


# Pages ----------------------------------------------------------------------------------------------


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_roster_page_exports_what_it_shows_and_the_export_page_serves_it(
    rep, org, imported, django_capture_on_commit_callbacks
):
    client = signed_in(rep)
    page = client.get(reverse("organizations:roster", args=[org.public_id]) + "?status=incomplete").content.decode()
    assert 'id="export-form"' in page and '<input type="hidden" name="status" value="incomplete">' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("organizations:export_create", args=[org.public_id]), {"status": "incomplete"})
    found = RosterExport.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "organizations:export", args=[found.public_id]
    )
    shown = client.get(response["Location"]).content.decode()
    assert 'data-status="done"' in shown and 'id="export-file"' in shown and "hx-get" not in shown
    served = client.get(reverse("organizations:export_file", args=[found.public_id]))
    assert served.status_code == 200
    assert len(sheet_rows(b"".join(served.streaming_content))) == 2
    other = t.make_member(t.Role.ORG_REPRESENTATIVE, organization=t.OrganizationFactory(admin_unit=org.admin_unit))
    assert signed_in(other).get(response["Location"]).status_code == 404
    assert signed_in(other).get(reverse("organizations:export_file", args=[found.public_id])).status_code == 404


def test_an_export_under_way_polls_its_progress(rep, org, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        queued = roster_export_start(actor=rep, organization=org)
    shown = signed_in(rep).get(reverse("organizations:export_status", args=[queued.public_id])).content.decode()
    assert 'data-status="queued"' in shown
    assert f'hx-get="{reverse("organizations:export_status", args=[queued.public_id])}"' in shown
    assert 'id="export-file"' not in shown


def test_an_export_asked_with_a_status_the_service_does_not_know_is_refused_on_the_roster_page(rep, org):
    client = signed_in(rep)
    response = client.post(reverse("organizations:export_create", args=[org.public_id]), {"status": "bogus"})
    assert response.status_code == 302
    assert response["Location"] == reverse("organizations:roster", args=[org.public_id])
    page = client.get(response["Location"]).content.decode()
    assert "Tình trạng dữ liệu phải là một trong: đủ, thiếu hoặc sai." in page
    assert not RosterExport.objects.exists()


def test_the_export_says_each_person_s_doses_and_next_appointment(
    imported, export, rep, org, facility_a, request, django_capture_on_commit_callbacks
):
    """What an organization's HR follows the campaign by: the valid doses and the day of the next
    appointment, as the roster page shows them; uploaded again, those columns are not read nor called
    unknown."""
    from vaxbook.clinic.services import appointments_invite, session_create

    # The clinic's cast, imported above: a live dose at facility A, its manager, the vaccine of its sessions.
    dose_for, manager, vaccine = (request.getfixturevalue(name) for name in ("give", "manager_a", "comirnaty"))
    vaccinated = Person.objects.get(id_number=imported[0]["Số giấy tờ"])
    invited = Person.objects.get(id_number=imported[1]["Số giấy tờ"])
    dose_for(vaccinated)
    tomorrow = timezone.localdate() + timedelta(days=1)
    session = session_create(
        actor=manager,
        facility=facility_a,
        date=tomorrow,
        starts_at=time(7, 30),
        ends_at=time(11, 0),
        vaccine=vaccine,
        capacity=10,
    )
    with django_capture_on_commit_callbacks(execute=True):
        appointments_invite(actor=manager, session=session, person_ids=[invited.public_id])

    rows = sheet_rows(file_bytes(export()))
    assert list(rows[0]) == EXPORT_HEADERS
    by_name = {r[1]: dict(zip(EXPORT_HEADERS, r, strict=True)) for r in rows[1:]}
    assert by_name[vaccinated.full_name][EXPORT_DOSES_HEADER] == 1
    assert by_name[vaccinated.full_name][EXPORT_NEXT_HEADER] is None
    assert by_name[invited.full_name][EXPORT_DOSES_HEADER] == 0
    assert by_name[invited.full_name][EXPORT_NEXT_HEADER].date() == tomorrow

    with django_capture_on_commit_callbacks(execute=True):
        again = roster_import_start(
            actor=rep, organization=org, upload=upload(file_bytes(RosterExport.objects.latest("created_at")))
        )
    again.refresh_from_db()
    assert (again.status, again.created, again.refused, again.ignored_columns) == ("done", 0, 0, [])
