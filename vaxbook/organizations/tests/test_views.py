"""The organization pages: roster, upload, progress fragment (htmx polling until done), result, scoping."""

import io
import re
import zipfile
from urllib.parse import quote

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse

from vaxbook.common import testing as t
from vaxbook.organizations import readers
from vaxbook.organizations.models import RosterImport
from vaxbook.organizations.tests.builders import person_row, table, upload, xlsx_bytes

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def imported(rep, org, places, django_capture_on_commit_callbacks):
    client = signed_in(rep)
    content = xlsx_bytes(table([person_row(1), person_row(2), person_row(3, **{"Giới tính": "?"})]))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("organizations:imports", args=[org.public_id]), {"file": upload(content, "nhan-vien.xlsx")}
        )
    assert response.status_code == 302
    return RosterImport.objects.get()


def test_the_representative_lands_on_the_roster_with_template_and_upload_form(rep, org, places):
    client = signed_in(rep)
    response = client.get(reverse("organizations:list"))
    assert response.status_code == 302
    assert response["Location"] == reverse("organizations:roster", args=[org.public_id])
    page = client.get(response["Location"]).content.decode()
    assert 'id="template-download"' in page
    assert 'id="upload-form"' in page
    assert 'lang="vi"' in page
    # The picker offers every name the import reads by its content, and their types for phones' pickers.
    picker = re.search(r'<input[^>]*name="file"[^>]*>', page)
    assert picker is not None
    accept = set(re.search(r'accept="([^"]*)"', picker.group()).group(1).split(","))  # type: ignore[union-attr]
    assert {suffix for suffix in readers.SPREADSHEET_SUFFIXES if suffix} == {a for a in accept if a.startswith(".")}
    assert {"text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"} <= accept
    template = client.get(reverse("organizations:roster_template", args=[org.public_id]))
    assert template.status_code == 200 and template.content[:2] == b"PK"


def test_an_upload_leads_to_the_result_with_counts_and_the_report(rep, org, imported):
    client = signed_in(rep)
    page = client.get(reverse("organizations:import", args=[imported.public_id])).content.decode()
    assert 'id="count-created">2<' in page
    assert 'id="count-refused">1<' in page
    assert 'hx-trigger="every 1s"' not in page  # finished: the page stops polling
    assert 'style="width:100%"' in page
    assert 'id="legacy-encoding-hint"' not in page  # a sex of "?": nothing to convert
    assert 'id="import-held-back"' not in page  # both accepted persons are complete
    report = client.get(reverse("organizations:error_report", args=[imported.public_id]))
    assert report.status_code == 200
    roster = client.get(reverse("organizations:roster", args=[org.public_id])).content.decode()
    assert person_row(1)["Họ và tên"] in roster
    assert "status-complete" in roster
    assert "nhan-vien.xlsx" in roster  # the recent imports


def test_the_result_says_how_many_accepted_persons_the_desk_will_hold_back(
    rep, org, places, django_capture_on_commit_callbacks
):
    """A row without a phone is accepted (the record is incomplete), but the person cannot be vaccinated
    until it is completed: the clerk is told at once, with the roster filtered to them."""
    rows = [person_row(1), person_row(2, **{"Số điện thoại": ""}), person_row(3, **{"Số điện thoại": ""})]
    client = signed_in(rep)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("organizations:imports", args=[org.public_id]), {"file": upload(xlsx_bytes(table(rows)))})
    imp = RosterImport.objects.get()
    page = client.get(reverse("organizations:import", args=[imp.public_id])).content.decode()
    assert 'id="count-created">3<' in page and 'id="import-held-back"' in page
    link = re.search(r'<a href="([^"]+)" id="held-back-incomplete">([^<]+)</a>', page)
    assert link is not None and link.group(2).startswith("2 ")
    assert link.group(1).endswith("?status=incomplete#roster") and 'id="held-back-invalid"' not in page
    roster = client.get(link.group(1)).content.decode()
    assert roster.count("status-incomplete") >= 2


def test_a_running_import_polls_every_second(rep, org, places):
    running = RosterImport.objects.create(
        organization=org, uploaded_by=rep, original_name="a.xlsx", file_format="xlsx", status="running", progress=40
    )
    fragment = signed_in(rep).get(reverse("organizations:import_status", args=[running.public_id])).content.decode()
    assert 'hx-get="{}"'.format(reverse("organizations:import_status", args=[running.public_id])) in fragment
    assert 'hx-trigger="every 1s"' in fragment
    assert '<div class="progress"' in fragment and 'style="width:40%"' in fragment
    assert "<html" not in fragment


def test_an_unreadable_file_is_refused_on_the_page_with_its_message(rep, org, places):
    response = signed_in(rep).post(
        reverse("organizations:imports", args=[org.public_id]), {"file": upload(b"not a workbook", "a.xlsx")}
    )
    assert response.status_code == 422
    assert 'id="upload-errors"' in response.content.decode()
    assert not RosterImport.objects.exists()


def test_others_get_404_and_officers_see_without_importing(clerk_a, officer, org, imported, province):
    other = t.OrganizationFactory(admin_unit=province)
    other_rep = t.make_member(t.Role.ORG_REPRESENTATIVE, organization=other, username="other_rep")
    for user in (other_rep, clerk_a):
        client = signed_in(user)
        assert client.get(reverse("organizations:roster", args=[org.public_id])).status_code == 404
        assert client.get(reverse("organizations:import", args=[imported.public_id])).status_code == 404
        assert client.get(reverse("organizations:error_report", args=[imported.public_id])).status_code == 404
    page = signed_in(officer).get(reverse("organizations:roster", args=[org.public_id])).content.decode()
    assert 'id="roster-table"' in page
    assert 'id="upload-form"' not in page
    response = signed_in(officer).post(
        reverse("organizations:imports", args=[org.public_id]), {"file": upload(b"x", "a.xlsx")}
    )
    assert response.status_code == 403


def test_the_403_page_says_why(officer, imported):
    """A refusal's reason, translated where it is raised, was replaced by a generic "Access denied"."""
    RosterImport.objects.filter(pk=imported.pk).update(status="queued")
    page = signed_in(officer).get(reverse("organizations:import_cancel", args=[imported.public_id]))
    assert page.status_code == 403
    text = page.content.decode()
    assert '<span id="denied-reason">Chỉ người đại diện của cơ quan, đơn vị mới được nhập danh sách' in text


def test_the_menu_shows_the_roster_conflicts_to_those_who_review_records(rep, officer, clerk_a):
    home = reverse("home")
    for reviewer in (officer, clerk_a):  # those who keep the records (a facility's clerk too)
        assert 'id="nav-conflicts"' in signed_in(reviewer).get(home).content.decode()
    assert 'id="nav-conflicts"' not in signed_in(rep).get(home).content.decode()


def test_the_menu_shows_organizations_to_those_who_may_see_them(rep, clerk_a):
    assert 'href="/organizations/"' in signed_in(rep).get(reverse("home")).content.decode()
    assert 'href="/organizations/"' not in signed_in(clerk_a).get(reverse("home")).content.decode()


def test_the_roster_names_what_is_missing_as_the_person_form_does(rep, org, places):
    from datetime import date

    from vaxbook.organizations.models import RosterEntry
    from vaxbook.registry.identity import PersonInput
    from vaxbook.registry.services import person_register

    person = person_register(
        actor=rep,
        data=PersonInput(full_name="Phạm Văn Thiếu", date_of_birth=date(1980, 1, 2), sex="M", ward_code=places.code),
        source="organization",
    )
    RosterEntry.objects.create(organization=org, person=person)
    assert {"phone", "id_number", "priority_group"} <= set(person.missing_fields)
    client = signed_in(rep)
    url = reverse("organizations:roster", args=[org.public_id])
    vi = client.get(url).content.decode()
    missing = vi[vi.index('<div class="problem missing">') :].split("</div>")[0]
    assert "Còn thiếu:" in missing
    for label in ("Điện thoại", "Số giấy tờ", "Nhóm ưu tiên"):
        assert label in missing, label
    for code in ("phone", "id_number", "priority_group", "address_line"):
        assert code not in missing, code
    client.post("/i18n/setlang/", {"language": "en"})
    en = client.get(url).content.decode()
    missing = en[en.index('<div class="problem missing">') :].split("</div>")[0]
    assert "Missing:" in missing
    for label in ("Phone", "Document number", "Priority group"):
        assert label in missing, label
    assert "id_number" not in missing and "priority_group" not in missing


def test_the_roster_names_what_to_correct_in_a_record_judged_again(rep, org, imported, api):
    """A name saved in TCVN3 before the rule existed: after recheck_persons the roster says to correct it."""
    from vaxbook.registry.models import Person
    from vaxbook.registry.services import persons_recheck

    person = Person.objects.get(full_name=person_row(1)["Họ và tên"])
    Person.objects.filter(pk=person.pk).update(full_name="NguyÔn ThÞ Mai")
    assert persons_recheck().changed == 1
    page = signed_in(rep).get(reverse("organizations:roster", args=[org.public_id])).content.decode()
    invalid = page[page.index('<div class="problem invalid">') :].split("</div>")[0]
    assert "Cần sửa:" in invalid and "Họ và tên" in invalid
    assert page.count('<div class="problem invalid">') == 1
    roster = api.as_user(rep).get(f"/api/v1/organizations/{org.public_id}/roster?status=invalid").json()
    assert [(r["full_name"], r["data_status"], r["invalid_fields"]) for r in roster["results"]] == [
        ("NguyÔn ThÞ Mai", "invalid", ["full_name"])
    ]


def test_the_import_page_names_the_sheets_it_did_not_read(rep, org, places, django_capture_on_commit_callbacks):
    """A workbook with a tab per department: the page says which sheet was read and lists the others that
    list staff, with their rows, in Vietnamese and in English; the API gives them too."""
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "Kế toán"
    for values in table([person_row(1)]):
        book.active.append(values)
    other = book.create_sheet("Kỹ thuật")
    for values in table([person_row(2), person_row(3)]):
        other.append(values)
    content = io.BytesIO()
    book.save(content)
    with django_capture_on_commit_callbacks(execute=True):
        signed_in(rep).post(
            reverse("organizations:imports", args=[org.public_id]),
            {"file": upload(content.getvalue(), "hai-phong.xlsx")},
        )
    address = reverse("organizations:import", args=[RosterImport.objects.get().public_id])
    page = signed_in(rep).get(address).content.decode()
    assert 'id="sheets-not-read"' in page
    assert "Chỉ trang tính “Kế toán” được đọc." in page and "<li>“Kỹ thuật”: 2 dòng</li>" in page
    english = signed_in(rep)
    english.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = english.get(address).content.decode()
    assert "Only the sheet “Kế toán” was read." in page and "<li>“Kỹ thuật”: 2 rows</li>" in page


def test_a_record_to_correct_is_reached_from_the_roster_not_sent_round_the_upload(rep, org, places):
    """A wrong value (not a blank one) is never changed by a file: the roster says so, links each name to the
    person's record and a record to correct to its form, which the representative may use."""
    from vaxbook.organizations.models import RosterEntry
    from vaxbook.registry.models import Person

    person = t.PersonFactory(
        data_status=Person.DataStatus.INVALID,
        problems=[{"field": "phone", "code": "phone_format", "kind": "invalid"}],
    )
    RosterEntry.objects.create(organization=org, person=person)
    page = signed_in(rep).get(reverse("organizations:roster", args=[org.public_id])).content.decode()
    record, form = (
        reverse("registry:person", args=[person.public_id]),
        reverse("registry:edit", args=[person.public_id]),
    )
    assert f'<a class="roster-person" href="{record}">{person.full_name}</a>' in page
    assert f'<a class="roster-correct" href="{form}">Chỉnh sửa hồ sơ' in page
    assert "tệp chỉ điền vào chỗ trống" in page and "fill in the file and upload it again" not in page
    assert signed_in(rep).get(form).status_code == 200  # the representative may correct its staff's record
    edit = signed_in(rep).get(reverse("organizations:roster_entry_edit", args=[org.public_id, person.public_id]))
    assert f'<a href="{form}">hồ sơ của họ</a>' in edit.content.decode()


def test_the_roster_s_recent_imports_say_one_that_accepted_no_row(rep, org, places):
    """The roster's list of recent imports said plain "done" for an import of 5,000 rows refused, as its own
    page did (browser review)."""
    RosterImport.objects.create(organization=org, original_name="sai.xlsx", status="done", total=3, refused=3)
    RosterImport.objects.create(organization=org, original_name="dung.xlsx", status="done", total=2, accepted=2)
    page = signed_in(rep).get(reverse("organizations:roster", args=[org.public_id])).content.decode()
    listed = page.split('class="stack imports-table"')[1].split("</table>")[0]
    assert listed.count('class="warn imports-none-accepted">— không dòng nào được nhận</span>') == 1
    row = listed.split('data-import="')[1:]
    assert [("imports-none-accepted" in r, "sai.xlsx" in r) for r in row] in (
        [(False, False), (True, True)],
        [(True, True), (False, False)],
    )


def test_the_import_page_names_the_uploader_family_name_first(rep, org, imported):
    rep.first_name, rep.last_name = "Hồng", "Lê Thị"
    rep.save()
    page = signed_in(rep).get(reverse("organizations:import", args=[imported.public_id])).content.decode()
    assert "· Lê Thị Hồng" in page and "Hồng Lê Thị" not in page


@pytest.fixture
def result_page(rep, org, places, django_capture_on_commit_callbacks):
    """Upload these rows through the page, and give the client and the import's result page."""

    def result_page(rows) -> tuple[Client, RosterImport, str]:
        client = signed_in(rep)
        with django_capture_on_commit_callbacks(execute=True):
            client.post(
                reverse("organizations:imports", args=[org.public_id]),
                {"file": upload(xlsx_bytes(table(rows)), "nhan-vien.xlsx")},
            )
        imp = RosterImport.objects.get()
        return client, imp, client.get(reverse("organizations:import", args=[imp.public_id])).content.decode()

    return result_page


def test_the_result_sums_the_refusal_reasons_up_most_rows_first(result_page):
    client, imp, page = result_page(
        [
            person_row(1),
            person_row(2, **{"Số điện thoại": "0212345678"}),
            person_row(3, **{"Số điện thoại": "12"}),
            person_row(4, **{"Mã phường/xã": "99999", "Số điện thoại": "12"}),
        ]
    )
    assert imp.refusals == {"phone_format": 3, "ward_unknown": 1}
    assert 'id="refusal-reasons"' in page and "Lý do các dòng bị từ chối" in page
    rows = re.findall(r'<tr data-code="([a-z_]+)"><td>([^<]+)</td><td class="c-rows">(\d+)</td>', page)
    assert rows == [
        ("phone_format", "Số điện thoại không hợp lệ", "3"),
        ("ward_unknown", "Không có phường/xã nào có mã hoặc tên này", "1"),
    ]
    assert "Một dòng bị từ chối vì nhiều lý do được tính ở mỗi lý do." in page
    client.post("/i18n/setlang/", {"language": "en"})
    english = client.get(reverse("organizations:import", args=[imp.public_id])).content.decode()
    assert "Why rows were refused" in english and "The phone number is not valid" in english


def test_a_file_without_refused_rows_shows_no_reasons(imported, rep):
    RosterImport.objects.filter(pk=imported.pk).update(refused=0, refusals={})
    page = signed_in(rep).get(reverse("organizations:import", args=[imported.public_id])).content.decode()
    assert 'id="count-refused"' in page and 'id="refusal-reasons"' not in page


def test_a_file_in_an_old_encoding_is_told_to_be_converted_whole(result_page):
    client, imp, page = result_page(
        [
            person_row(1),
            person_row(2, **{"Họ và tên": "NguyÔn V¨n Hïng"}),
            person_row(3, **{"Địa chỉ": "Sè 3 Lª Lîi"}),
            person_row(4, **{"Họ và tên": "Ly' Tu'"}),  # VIQR
        ]
    )
    assert 'id="legacy-encoding-hint"' in page and "3 dòng có nội dung gõ bằng bảng mã tiếng Việt cũ" in page
    assert "VIQR" in page
    client.post("/i18n/setlang/", {"language": "en"})
    english = client.get(reverse("organizations:import", args=[imp.public_id])).content.decode()
    assert "3 rows hold text typed in an old Vietnamese encoding" in english


def test_the_result_names_the_rows_read_as_the_sheets_footer(result_page):
    rows = [person_row(1), {"STT": "", "Họ và tên": "Người lập biểu"}, {"Họ và tên": "Trần Thị Lập"}]
    client, imp, page = result_page(rows)
    assert 'id="footer-rows"' in page
    assert "Dòng 3, 4, nằm dưới người cuối cùng" in page
    assert 'id="count-refused">0<' in page and 'id="error-report"' not in page
    client.post("/i18n/setlang/", {"language": "en"})
    english = client.get(reverse("organizations:import", args=[imp.public_id]))
    assert "Rows 3, 4, below the last person" in english.content.decode()


def test_the_result_names_the_rows_read_as_section_headings(result_page):
    rows = [{"STT": "I", "Họ và tên": "KHỐI VĂN PHÒNG"}, person_row(1), {"STT": "II", "Họ và tên": "Tổ bảo vệ"}]
    rows.append(person_row(2))
    client, imp, page = result_page(rows)
    assert 'id="section-rows"' in page
    assert "Dòng 2 (“KHỐI VĂN PHÒNG”), 4 (“Tổ bảo vệ”) được đọc là tiêu đề" in page
    assert 'id="count-refused">0<' in page
    client.post("/i18n/setlang/", {"language": "en"})
    english = client.get(reverse("organizations:import", args=[imp.public_id])).content.decode()
    assert "Rows 2 (“KHỐI VĂN PHÒNG”), 4 (“Tổ bảo vệ”) were read as the headings of sections" in english


def test_the_result_names_the_first_section_headings_only(result_page, monkeypatch):
    from vaxbook.organizations import views

    monkeypatch.setattr(views, "SHOWN_SECTIONS", 1)
    rows = [{"Họ và tên": "Phòng A"}, {"Họ và tên": "Phòng B"}, person_row(1)]
    _client, imp, page = result_page(rows)
    assert len(imp.section_rows) == 2 and "Dòng 2 (“Phòng A”), … được đọc là tiêu đề" in page


def test_an_officer_pages_through_every_organization_of_the_province(officer, province, monkeypatch):
    from vaxbook.organizations import views

    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    made = [t.OrganizationFactory(name=f"Công ty {n}", admin_unit=province) for n in range(5)]
    client = signed_in(officer)
    listed = []
    for page in (1, 2, 3):
        html = client.get(reverse("organizations:list"), {"page": page}).content.decode()
        listed += [o.name for o in made if f">{o.name}<" in html]
    assert listed == [o.name for o in made]
    assert 'rel="prev"' in html


def test_an_officer_follows_each_organization_s_roster_and_finds_one(
    officer, org, province, places, imported, django_assert_max_num_queries, monkeypatch
):
    """The list says, for each organization of the province, how many staff its roster holds, how many of
    them the desk holds back (incomplete, invalid), and its last import; a search finds one by its name or
    tax code, never one outside the officer's area."""
    from vaxbook.organizations import views
    from vaxbook.organizations.models import RosterEntry
    from vaxbook.registry.models import Person

    quiet = t.OrganizationFactory(name="Trường Tiểu học Hòa Bình", tax_code="3601234567", admin_unit=province)
    hanoi = t.ProvinceFactory(code="01", name="Thành phố Hà Nội")
    elsewhere = t.OrganizationFactory(name="Trường Tiểu học Hòa Bình", tax_code="0101234567", admin_unit=hanoi)
    for status in ("complete", "incomplete", "incomplete", "invalid"):
        RosterEntry.objects.create(organization=quiet, person=t.PersonFactory(ward=places, data_status=status))
    assert Person.objects.count() == 6  # and the two the imported file created for `org`
    client = signed_in(officer)
    with django_assert_max_num_queries(10):  # 8 today, for 2 organizations as for 20: two for the summary
        html = client.get(reverse("organizations:list")).content.decode()
    rows = dict(re.findall(r'<tr data-organization="([0-9a-f-]+)">(.*?)</tr>', html, re.S))
    assert set(rows) == {str(org.public_id), str(quiet.public_id)}
    theirs, ours = rows[str(quiet.public_id)], rows[str(org.public_id)]
    assert '<td data-label="Số nhân viên trong danh sách" class="c-staff">4</td>' in theirs
    incomplete = f'href="/organizations/{quiet.public_id}/?status=incomplete"><span class="status status-incomplete">'
    assert f"{incomplete}2<" in theirs
    assert '<span class="status status-invalid">1</span>' in theirs
    assert "chưa có" in theirs  # no import yet
    assert '<td data-label="Số nhân viên trong danh sách" class="c-staff">2</td>' in ours
    assert f'href="/organizations/imports/{imported.public_id}/"' in ours and "</a> · hoàn tất" in ours

    for q in ("hòa bình", "HÒA BÌNH", "3601 234", "360123"):
        found = client.get(reverse("organizations:list"), {"q": q})
        assert found.status_code == 200, q  # one found is listed, not opened: the officer searched
        html = found.content.decode()
        assert f'data-organization="{quiet.public_id}"' in html, q
        assert f'data-organization="{elsewhere.public_id}"' not in html, q  # another province's
        assert f'data-organization="{org.public_id}"' not in html, q
    html = client.get(reverse("organizations:list"), {"q": "không có"}).content.decode()
    assert 'id="no-organization"' in html and "“không có”" in html
    for q in ("-", "."):  # no name holds it, and it is no tax code: nobody, not everybody
        assert 'id="no-organization"' in client.get(reverse("organizations:list"), {"q": q}).content.decode(), q
    branch = t.OrganizationFactory(name="Chi nhánh Biên Hòa", tax_code="3601234567-001", admin_unit=province)
    html = client.get(reverse("organizations:list"), {"q": "3601234567-001"}).content.decode()
    assert f'data-organization="{branch.public_id}"' in html and f'data-organization="{quiet.public_id}"' not in html
    branch.delete()

    # The ones to chase first: most staff held back (3 of the school's 4; `org`'s file refused one, none held).
    by_name = client.get(reverse("organizations:list")).content.decode()
    chase = client.get(reverse("organizations:list"), {"order": "held_back"}).content.decode()
    order = re.compile(r'<tr data-organization="([0-9a-f-]+)">')
    assert order.findall(by_name) == [str(org.public_id), str(quiet.public_id)]  # "Công ty" before "Trường"
    assert order.findall(chase) == [str(quiet.public_id), str(org.public_id)]
    assert 'aria-current="true" class="current" id="order-held-back"' in chase
    unknown = client.get(reverse("organizations:list"), {"order": "-pk"}).content.decode()
    assert order.findall(unknown) == order.findall(by_name)  # an unknown order is by name
    monkeypatch.setattr(views, "PAGE_SIZE", 1)  # a page at a time, in that order
    listing = reverse("organizations:list")
    pages = [client.get(listing, {"order": "held_back", "page": n}).content.decode() for n in (1, 2)]
    assert [order.findall(p) for p in pages] == [[str(quiet.public_id)], [str(org.public_id)]]
    assert 'rel="next"' in pages[0] and "order=held_back" in pages[0]  # the pager keeps the order


def test_every_import_is_listed_a_page_at_a_time_and_only_to_its_organization(rep, org, monkeypatch):
    from vaxbook.organizations import views

    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    made = [
        RosterImport.objects.create(
            organization=org, uploaded_by=rep, file=f"roster-imports/{n}.xlsx", original_name=f"ds-{n}.xlsx"
        )
        for n in range(3)
    ]
    client = signed_in(rep)
    roster = client.get(reverse("organizations:roster", args=[org.public_id])).content.decode()
    url = reverse("organizations:imports", args=[org.public_id])
    assert f'href="{url}" id="all-imports"' in roster
    first = client.get(url).content.decode()
    assert first.count("data-import=") == 2 and 'rel="next" href="?page=2"' in first
    assert f'data-import="{made[2].public_id}"' in first  # the latest first
    second = client.get(url + "?page=2").content.decode()
    assert second.count("data-import=") == 1 and f'data-import="{made[0].public_id}"' in second
    other = t.make_member(t.Role.ORG_REPRESENTATIVE, organization=t.OrganizationFactory(admin_unit=org.admin_unit))
    assert signed_in(other).get(url).status_code == 404


def test_the_representative_takes_a_staff_member_off_the_roster_after_a_confirmation(rep, officer, org, imported):
    from vaxbook.organizations.models import RosterEntry

    entry = RosterEntry.objects.filter(organization=org).select_related("person").order_by("pk").first()
    person = entry.person
    client = signed_in(rep)
    roster_url = reverse("organizations:roster", args=[org.public_id])
    url = reverse("organizations:roster_entry_remove", args=[org.public_id, person.public_id])
    assert url in client.get(roster_url).content.decode()  # each row links to it

    confirm = client.get(url)
    page = confirm.content.decode()
    assert confirm.status_code == 200 and person.full_name in page and 'id="roster-entry-remove-form"' in page
    assert RosterEntry.objects.filter(pk=entry.pk).exists()  # asking changes nothing

    done = client.post(url, follow=True)
    assert done.redirect_chain == [(roster_url + "#roster", 302)]
    page = done.content.decode()
    assert f"Đã đưa {person.full_name} ra khỏi danh sách nhân viên." in page
    assert not RosterEntry.objects.filter(pk=entry.pk).exists()
    assert person.full_name not in page.split('id="roster-table"')[1]

    twice = client.post(url, follow=True)  # a second click: said, nothing else
    assert "Người này không có trong danh sách nhân viên của đơn vị." in twice.content.decode()
    back = client.get(url, follow=True)  # Back to the confirmation after it: said on the roster, not a dead end
    assert back.redirect_chain == [(roster_url + "#roster", 302)]
    assert "Người này không có trong danh sách nhân viên của đơn vị." in back.content.decode()


def test_back_and_the_language_switch_after_an_upload_show_the_roster_as_it_is(rep, org, imported):
    """The roster and an import's page are never cached: Back after an upload shows the import in the list,
    not the page before it with the file still chosen (a second upload of it). A refused upload answers the
    form's POST address; the language switch there comes back to the roster, where the form is."""
    client = signed_in(rep)
    roster_url = reverse("organizations:roster", args=[org.public_id])
    for url in (roster_url, reverse("organizations:import", args=[imported.public_id])):
        assert "no-store" in client.get(url)["Cache-Control"]
    pdf = upload(b"%PDF-1.4", "a.pdf")
    refused = client.post(reverse("organizations:imports", args=[org.public_id]), {"file": pdf})
    assert refused.status_code == 422 and "no-store" in refused["Cache-Control"]
    assert f'<input name="next" type="hidden" value="{roster_url}">' in refused.content.decode()
    page = client.get(roster_url).content.decode()
    assert f'<input name="next" type="hidden" value="{roster_url}">' in page
    assert 'id="lang-switch" lang="en">English</button>' in page


def test_who_only_sees_the_roster_cannot_take_anyone_off_it(officer, org, imported):
    from vaxbook.organizations.models import RosterEntry

    person = RosterEntry.objects.filter(organization=org).first().person
    client = signed_in(officer)
    url = reverse("organizations:roster_entry_remove", args=[org.public_id, person.public_id])
    assert "/remove/" not in client.get(reverse("organizations:roster", args=[org.public_id])).content.decode()
    assert client.get(url).status_code == 403
    assert client.post(url).status_code == 403
    assert RosterEntry.objects.filter(organization=org).count() == 2


def test_the_roster_page_finds_a_staff_member(rep, org, imported):
    from vaxbook.registry.identity import search_name

    client = signed_in(rep)
    url = reverse("organizations:roster", args=[org.public_id])
    name = person_row(2)["Họ và tên"]
    page = client.get(url).content.decode()
    assert 'id="roster-search"' in page and 'id="export-form"' in page
    found = client.get(url, {"q": search_name(name)}).content.decode()  # typed without diacritics
    table_part = found.split('id="roster-table"')[1]
    assert name in table_part and person_row(1)["Họ và tên"] not in table_part
    assert "1 nhân viên khớp với" in found
    assert 'id="export-form"' not in found  # an export is of the roster or a data status, not of a search
    assert 'id="roster-search-clear"' in found
    nothing = client.get(url, {"q": "không ai tên này", "status": "complete"}).content.decode()
    assert "0 nhân viên khớp với" in nothing and 'id="roster-table"' not in nothing
    assert 'name="status" value="complete"' in nothing  # the search keeps the status filter
    assert "Nobody is on the roster yet." not in nothing and "Chưa có ai trong danh sách" not in nothing


def test_a_progress_poll_for_a_page_shown_in_another_language_reloads_the_page(rep, imported):
    """English chosen in another tab while this Vietnamese page polls: the page reloads in English rather than
    taking an English card into a Vietnamese page; a poll in the page's language, or without htmx, is answered."""
    client = signed_in(rep)
    page = client.get(reverse("organizations:import", args=[imported.public_id])).content.decode()
    assert '"X-Page-Language": "vi"' in page
    status = reverse("organizations:import_status", args=[imported.public_id])
    polled = {"HX-Request": "true", "X-Page-Language": "vi"}
    assert client.get(status, headers=polled).status_code == 200
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    answer = client.get(status, headers=polled)
    assert (answer.status_code, answer["HX-Refresh"], answer.content) == (204, "true", b"")
    assert client.get(status, headers={**polled, "X-Page-Language": "en"}).status_code == 200
    assert client.get(status).status_code == 200  # not htmx: answered in the language chosen
    # A form sent with htmx is done, whatever the language: a reload in its place would drop it silently.
    assert "HX-Refresh" not in client.post(status, headers=polled)


def test_a_running_job_is_said_by_tens_rounded_down(rep, org, imported):
    """97 % was said "100 %" (rounded) while the import ran; 15 % "20 %", and 5 % "0 %"."""
    client = signed_in(rep)
    status = reverse("organizations:import_status", args=[imported.public_id])
    for progress, said in ((97, "90%"), (15, "10%"), (5, "0%")):
        RosterImport.objects.filter(pk=imported.pk).update(status="running", progress=progress)
        card = client.get(status).content.decode()
        assert f'data-announce="Đang xử lý {said}"' in card, card[:400]


def test_a_progress_poll_after_the_session_ended_sends_the_page_to_sign_in_and_back(rep, imported):
    """Signed out in another tab while the card polls: htmx is told to go to the sign-in page (which brings the
    person back to the import), instead of following the redirect and putting that page inside the card."""
    client = signed_in(rep)
    page = reverse("organizations:import", args=[imported.public_id])
    status = reverse("organizations:import_status", args=[imported.public_id])
    polled = {"HX-Request": "true", "HX-Current-URL": f"http://testserver{page}?lang=vi"}
    assert client.get(status, headers=polled).status_code == 200
    client.logout()
    answer = client.get(status, headers=polled)
    assert answer.status_code == 204 and answer.content == b""
    login = reverse("accounts:login")
    assert answer["HX-Redirect"] == f"{login}?next={page.replace('/', '%2F')}%3Flang%3Dvi"
    plain = client.get(status)  # without htmx: the usual redirect
    assert plain.status_code == 302 and plain["Location"].startswith(login) and "HX-Redirect" not in plain


def test_the_status_says_the_place_in_the_queue_and_the_minutes_left(
    rep, org, places, client, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone

    from vaxbook.organizations.selectors import roster_import_outlook
    from vaxbook.organizations.services import roster_import_start

    with django_capture_on_commit_callbacks(execute=False):
        first, second = (
            roster_import_start(actor=rep, organization=org, upload=upload(xlsx_bytes(table([person_row(n)]))))
            for n in (1, 2)
        )
    assert roster_import_outlook(first) == {"ahead": 0, "minutes_left": None, "waiting": None, "idle": None}
    assert roster_import_outlook(second) == {"ahead": 1, "minutes_left": None, "waiting": None, "idle": None}
    client.force_login(rep)
    page = client.get(reverse("organizations:import", args=[second.public_id]))
    assert '<span id="import-ahead">còn 1 lần nhập xếp hàng trước</span>' in page.content.decode()
    now = timezone.now()
    RosterImport.objects.filter(pk=first.pk).update(status="running", started_at=now - timedelta(seconds=150))
    first.refresh_from_db()
    for progress, left in ((3, None), (50, 3), (75, 0), (99, 0)):  # 150 s for half: 150 s more, 3 minutes; 0: < 1
        first.progress = progress
        assert roster_import_outlook(first, now=now)["minutes_left"] == left, progress
    RosterImport.objects.filter(pk=first.pk).update(progress=50)
    status = client.get(reverse("organizations:import_status", args=[first.public_id]))
    assert 'id="import-left">còn khoảng 3 phút</span>' in status.content.decode()
    assert roster_import_outlook(second)["ahead"] == 1  # the one before it runs now: still ahead of it

    # Its worker stopped: no guess that grows each minute, but how long it has not moved
    RosterImport.objects.filter(pk=first.pk).update(updated_at=timezone.now() - timedelta(minutes=4))
    first.refresh_from_db()
    assert roster_import_outlook(first)["minutes_left"] is None and roster_import_outlook(first)["idle"] == 4
    status = client.get(reverse("organizations:import_status", args=[first.public_id])).content.decode()
    assert 'id="import-left"' not in status
    assert "không tiến triển trong 4 phút" in status.split('id="import-idle">')[1]


def test_the_queue_and_the_minutes_are_grouped_by_thousands_in_the_pages_language(rep, org, imported) -> None:
    from django.template.loader import render_to_string
    from django.utils import translation

    RosterImport.objects.filter(pk=imported.pk).update(status="queued")
    imported.refresh_from_db()
    outlook = {"ahead": 1234, "minutes_left": 2500, "waiting": 1440}
    with translation.override("vi"):
        vi = render_to_string("organizations/_import_status.html", {"imp": imported, "outlook": outlook})
    assert "còn 1.234 lần nhập xếp hàng trước" in vi and "còn khoảng 2.500 phút" in vi and " 1.440 phút" in vi
    with translation.override("en"):
        en = render_to_string("organizations/_import_status.html", {"imp": imported, "outlook": outlook})
    assert "1,234 imports ahead" in en and "about 2,500 minutes left" in en and "for 1,440 minutes" in en


def test_an_import_no_worker_takes_says_so_on_its_page_in_the_api_and_to_cron(
    rep, org, places, client, api, django_capture_on_commit_callbacks
):
    import io
    from datetime import timedelta

    from django.core.management import call_command
    from django.utils import timezone

    from vaxbook.organizations.services import roster_import_start

    with django_capture_on_commit_callbacks(execute=False):  # no worker takes it
        imp = roster_import_start(actor=rep, organization=org, upload=upload(xlsx_bytes(table([person_row(1)]))))
    client.force_login(rep)
    page = client.get(reverse("organizations:import", args=[imp.public_id])).content.decode()
    assert 'id="import-waiting"' not in page  # a few minutes of waiting are not yet worth a word
    RosterImport.objects.filter(pk=imp.pk).update(created_at=timezone.now() - timedelta(minutes=25))
    page = client.get(reverse("organizations:import_status", args=[imp.public_id])).content.decode()
    assert 'id="import-waiting">' in page and "25 phút" in page
    body = api.as_user(rep).get(f"/api/v1/roster-imports/{imp.public_id}").json()
    assert (body["status"], body["waiting_minutes"]) == ("queued", 25)
    out, err = io.StringIO(), io.StringIO()
    call_command("roster_imports_fail_stalled", stdout=out, stderr=err)
    assert out.getvalue().startswith("0 stalled")  # a queued import is not failed: it has lost nothing
    assert err.getvalue().startswith("1 roster import(s) queued for more than 10 minutes")
    imp.refresh_from_db()
    assert imp.status == "queued"


def test_rows_that_lost_letters_are_told_how_to_save_the_file(result_page):
    client, imp, page = result_page([person_row(1), person_row(2, **{"Họ và tên": "Nguy?n V?n H?ng"})])
    assert 'id="letters-lost-hint"' in page and "1 dòng có nội dung mà chữ cái đã bị thay bằng dấu hỏi" in page
    assert 'id="legacy-encoding-hint"' not in page
    client.post("/i18n/setlang/", {"language": "en"})
    english = client.get(reverse("organizations:import", args=[imp.public_id])).content.decode()
    assert "1 row holds text whose letters were replaced by question marks" in english


def test_rows_misread_from_utf8_are_told_how_to_open_the_csv(result_page):
    client, imp, page = result_page([person_row(1), person_row(2, **{"Họ và tên": "LÃª VÄƒn TÃ¡m"})])
    assert 'id="misread-hint"' in page and "1 dòng có chữ Unicode bị đọc sai bảng mã" in page
    client.post("/i18n/setlang/", {"language": "en"})
    english = client.get(reverse("organizations:import", args=[imp.public_id])).content.decode()
    assert "1 row holds Unicode text read in another encoding" in english and "65001" in english


@override_settings(ROSTER_IMPORT_CHUNK_ROWS=100, ROSTER_IMPORT_READ_ROWS=100)
def test_a_sheet_damaged_further_in_stops_the_import_and_says_what_was_saved(
    rep, org, places, django_capture_on_commit_callbacks, monkeypatch
):
    """A sheet whose XML breaks far down, in a sound zip (only a faulty program writes one): the upload's
    checks read the first rows, not the whole sheet (that would cost a second of each 100,000 rows), so the
    run finds it there; the rows saved before stay, and the page says so and what to do."""
    from vaxbook.organizations import readers

    monkeypatch.setattr(readers, "_READ_SIZE", 1 << 16)  # the sheet read in pieces, as a big file's is
    good = xlsx_bytes(table([person_row(n) for n in range(1, 751)]))
    source, damaged = zipfile.ZipFile(io.BytesIO(good)), io.BytesIO()
    with zipfile.ZipFile(damaged, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                at = data.index(b'<row r="720"')
                data = data[:at] + data[at:].replace(b"</c>", b"</x>", 1)
            out.writestr(item.filename, data)
    client = signed_in(rep)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("organizations:imports", args=[org.public_id]), {"file": upload(damaged.getvalue(), "ds.xlsx")}
        )
    assert response.status_code == 302  # the upload's checks pass it
    imp = RosterImport.objects.get()
    assert (imp.status, [p["code"] for p in imp.problems]) == ("failed", ["file_corrupt"])
    assert 0 < imp.accepted < 719 and imp.total == imp.accepted
    page = client.get(reverse("organizations:import", args=[imp.public_id])).content.decode()
    assert 'id="import-stopped-saved"' in page and f"Lần nhập đã dừng sau khi lưu {imp.accepted} dòng" in page


def test_after_a_refused_upload_the_roster_s_search_filters_and_pager_stay_on_the_roster(
    rep, org, imported, monkeypatch
):
    """A refused upload renders the roster at the POST's URL (…/imports/): its search form, its data status
    filters and its pager used relative URLs, and led to the list of imports instead of the roster."""
    from vaxbook.organizations import views

    monkeypatch.setattr(views, "PAGE_SIZE", 1)
    roster_url = reverse("organizations:roster", args=[org.public_id])
    response = signed_in(rep).post(
        reverse("organizations:imports", args=[org.public_id]), {"file": upload(b"not a workbook", "a.xlsx")}
    )
    assert response.status_code == 422
    page = response.content.decode()
    # each leads to the list itself (#roster), not to the top of the page above it
    assert re.search(rf'<form method="get" action="{roster_url}#roster"[^>]* id="roster-search"', page)
    filters = page.split('<p class="filters">')[1].split("</p>")[0]
    hrefs = re.findall(r'href="([^"]*)"', filters)
    assert len(hrefs) == 4  # all, and each data status
    assert all(href.startswith(roster_url + "?") for href in hrefs), hrefs
    assert f'href="{roster_url}?status=complete#roster"' in filters
    pager = page.split('<nav class="pager"')[1].split("</nav>")[0]
    assert f'rel="next" href="{roster_url}?page=2#roster"' in pager


def test_an_upload_refused_from_a_filtered_roster_shows_it_as_it_was_and_the_language_switch_keeps_it(
    rep, org, imported, monkeypatch
):
    """The form posts with the roster's filter, search and page (it posted to the bare address, and the
    refusal showed the whole roster's first page, the language switch too)."""
    from vaxbook.organizations import views

    monkeypatch.setattr(views, "PAGE_SIZE", 1)
    roster_url = reverse("organizations:roster", args=[org.public_id])
    imports_url = reverse("organizations:imports", args=[org.public_id])
    shown = signed_in(rep).get(f"{roster_url}?status=complete&page=2&evil=1").content.decode()
    action = re.search(r'<form method="post" enctype="multipart/form-data" action="([^"]*)" id="upload-form">', shown)
    assert action is not None and action.group(1) == f"{imports_url}?status=complete&amp;page=2"
    response = signed_in(rep).post(
        f"{imports_url}?status=complete&page=2", {"file": upload(b"not a workbook", "a.xlsx")}
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert re.search(r'<a href="[^"]*status=complete[^"]*#roster" aria-current="true"', page)
    assert 'name="next" type="hidden" value="' + f"{roster_url}?status=complete&amp;page=2" + '"' in page


def test_a_data_status_with_nobody_says_so(rep, org, imported):
    roster_url = reverse("organizations:roster", args=[org.public_id])
    page = signed_in(rep).get(f"{roster_url}?status=invalid").content.decode()
    assert 'id="roster-none-found"' in page and f'href="{roster_url}#roster"' in page
    assert 'id="roster-none-found"' not in signed_in(rep).get(roster_url).content.decode()
    searched = signed_in(rep).get(f"{roster_url}?q=nobody-at-all").content.decode()
    assert 'id="roster-search-count"' in searched and 'id="roster-none-found"' not in searched  # said once


def test_the_roster_s_row_actions_are_named_by_their_visible_words_first(rep, org, imported):
    """WCAG 2.5.3: a voice-control user says "Sửa" or "Đưa ra": the links' names begin with the words shown
    (an aria-label "Đưa X ra khỏi danh sách" did not hold "Đưa ra")."""
    page = signed_in(rep).get(reverse("organizations:roster", args=[org.public_id])).content.decode()
    edit = re.search(r'<a class="roster-edit" [^>]*>(.*?)</a>', page)
    remove = re.search(r'<a class="roster-remove" [^>]*>(.*?)</a>', page)
    assert edit is not None and remove is not None and "aria-label" not in edit.group(0) + remove.group(0)
    name = lambda html: re.sub(r"<[^>]+>", "", html)  # noqa: E731 - the accessible name: the link's text
    assert name(edit.group(1)).startswith("Sửa bộ phận hoặc mã nhân viên của ")
    assert name(remove.group(1)).startswith("Đưa ra khỏi danh sách: ")


def described_by(page: str, input_id: str) -> list[str]:
    """The ids the input's aria-describedby names, each checked to be on the page; the input is aria-invalid."""
    tag = re.search(rf'<input [^>]*id="{input_id}"[^>]*>', page)
    assert tag is not None, input_id
    assert 'aria-invalid="true"' in tag.group(0), tag.group(0)
    found = re.search(r'aria-describedby="([^"]+)"', tag.group(0))
    assert found is not None, tag.group(0)
    ids = found.group(1).split()
    for described in ids:
        assert page.count(f'id="{described}"') == 1, described
    return ids


def test_an_invalid_roster_entry_field_is_described_by_its_error_list(rep, org, imported):
    """The input said aria-describedby="id_department_error" while its errors were listed as department-errors."""
    from vaxbook.organizations.models import RosterEntry

    person = RosterEntry.objects.filter(organization=org).first().person
    url = reverse("organizations:roster_entry_edit", args=[org.public_id, person.public_id])
    response = signed_in(rep).post(url, {"department": "x" * 121, "employee_number": ""})
    assert response.status_code == 422
    page = response.content.decode()
    assert described_by(page, "id_department") == ["id_department_error"]
    errors = page.split('id="id_department_error"')[1].split("</ul>")[0]
    assert "<li>" in errors


def test_the_upload_s_file_input_is_described_by_its_refusals(rep, org, places):
    """The file's refusals are in the box above the label: the input says it is invalid and points to it; a
    form error (no file) is described by the list under the input."""
    client = signed_in(rep)
    url = reverse("organizations:imports", args=[org.public_id])
    refused = client.post(url, {"file": upload(b"not a workbook", "a.xlsx")})
    assert refused.status_code == 422
    assert described_by(refused.content.decode(), "id_file") == ["upload-errors"]
    assert "<p>Tệp “a.xlsx” chưa được nhập:</p>" in refused.content.decode()  # which file, above why
    nothing = client.post(url, {"file": upload(b"", "trong.xlsx")}).content.decode()  # the import's words, its box
    assert "<p>Tệp “trong.xlsx” chưa được nhập:</p>" in nothing
    assert described_by(nothing, "id_file") == ["upload-errors"]
    assert 'id="upload-limits">Tối đa 20 MB và 1.000.000 dòng.</span>' in nothing
    empty = client.post(url, {})
    assert empty.status_code == 422
    page = empty.content.decode()
    assert described_by(page, "id_file") == ["id_file_error", "upload-limits"]
    assert 'id="upload-errors"' not in page
    roster = client.get(reverse("organizations:roster", args=[org.public_id])).content.decode()
    form = roster.split('id="upload-form"')[1].split("</form>")[0]
    # the limits, always (a missing id_file_error is skipped by assistive technology)
    assert "aria-invalid" not in roster and 'aria-describedby="id_file_error upload-limits"' in form


def test_the_import_and_export_pages_say_they_may_be_left_only_while_the_work_goes_on(
    rep, org, imported, django_capture_on_commit_callbacks
):
    """'You can leave this page: the import goes on' was said of an import long finished (an export too).
    It stands in the part of the page that refreshes itself, so it goes when the work ends while watched."""
    from vaxbook.organizations.models import RosterExport
    from vaxbook.organizations.services import roster_export_start

    client = signed_in(rep)
    import_leave, export_leave = "quá trình nhập vẫn tiếp tục", "việc xuất danh sách vẫn tiếp tục"
    done = client.get(reverse("organizations:import", args=[imported.public_id])).content.decode()
    assert 'data-status="done"' in done and import_leave not in done
    for status in ("queued", "running"):
        RosterImport.objects.filter(pk=imported.pk).update(status=status)
        page = client.get(reverse("organizations:import", args=[imported.public_id])).content.decode()
        assert import_leave in page, status
        refresh = client.get(reverse("organizations:import_status", args=[imported.public_id])).content.decode()
        assert import_leave in refresh and 'hx-trigger="every 1s"' in refresh, status
    RosterImport.objects.filter(pk=imported.pk).update(status="failed")
    assert import_leave not in client.get(reverse("organizations:import", args=[imported.public_id])).content.decode()
    refresh = client.get(reverse("organizations:import_status", args=[imported.public_id])).content.decode()
    assert 'data-status="failed"' in refresh and import_leave not in refresh  # the refresh that ends it drops it

    with django_capture_on_commit_callbacks(execute=False):
        export = roster_export_start(actor=rep, organization=org)
    url = reverse("organizations:export", args=[export.public_id])
    assert export_leave in client.get(url).content.decode()  # queued
    RosterExport.objects.filter(pk=export.pk).update(status="running")
    assert export_leave in client.get(url).content.decode()
    for status in ("done", "failed"):
        RosterExport.objects.filter(pk=export.pk).update(status=status)
        assert export_leave not in client.get(url).content.decode(), status
        refresh = client.get(reverse("organizations:export_status", args=[export.public_id])).content.decode()
        assert f'data-status="{status}"' in refresh and export_leave not in refresh
    client.post("/i18n/setlang/", {"language": "en"})
    assert "the export goes on" not in client.get(url).content.decode()


def test_counts_are_grouped_by_thousands_the_way_of_the_page_s_language(
    rep, org, imported, django_capture_on_commit_callbacks
):
    """'100% · 30000 rows' stood beside 'Rows read 30,000', and Vietnamese counts were never grouped (Django's
    Vietnamese formats name no grouping): every count now reads 30.000 in Vietnamese, 30,000 in English."""
    from vaxbook.organizations.models import RosterExport
    from vaxbook.organizations.services import roster_export_start

    RosterImport.objects.filter(pk=imported.pk).update(status="failed", total=30000, accepted=29990, refused=10)
    client = signed_in(rep)
    url = reverse("organizations:import", args=[imported.public_id])
    vi = client.get(url).content.decode()
    assert "% · 30.000 dòng" in vi and 'id="count-total">30.000<' in vi
    assert "Lần nhập đã dừng sau khi lưu 29.990 dòng" in vi
    with django_capture_on_commit_callbacks(execute=False):
        export = roster_export_start(actor=rep, organization=org)
    RosterExport.objects.filter(pk=export.pk).update(rows=12345, progress=40)
    export_url = reverse("organizations:export", args=[export.public_id])
    assert "% · 12.345 người" in client.get(export_url).content.decode()

    client.post("/i18n/setlang/", {"language": "en"})
    en = client.get(url).content.decode()
    assert "% · 30,000 rows" in en and 'id="count-total">30,000<' in en
    assert "The import stopped after saving 29,990 rows" in en
    assert "% · 12,345 persons" in client.get(export_url).content.decode()
    assert 'id="import-progress">100<' in en  # a percentage, not a count: as it was


def test_the_roster_s_counts_are_grouped_by_thousands(rep, org, imported, monkeypatch):
    from vaxbook.organizations import selectors

    monkeypatch.setattr(selectors, "roster_status_counts", lambda **kwargs: {"complete": 30000, "incomplete": 51})
    client = signed_in(rep)
    url = reverse("organizations:roster", args=[org.public_id])
    vi = client.get(url).content.decode()
    assert '<span class="muted">(30.051)</span>' in vi and "</span> 30.000</a>" in vi
    client.post("/i18n/setlang/", {"language": "en"})
    en = client.get(url).content.decode()
    assert '<span class="muted">(30,051)</span>' in en and "</span> 30,000</a>" in en


def test_the_export_title_capitalises_its_data_status(rep, org, django_capture_on_commit_callbacks):
    """'Roster export: incomplete' took the status label as it is, lowercase."""
    from vaxbook.organizations.services import roster_export_start

    with django_capture_on_commit_callbacks(execute=False):
        export = roster_export_start(actor=rep, organization=org, data_status="incomplete")
    client = signed_in(rep)
    url = reverse("organizations:export", args=[export.public_id])
    assert "<h1>Xuất danh sách: Thiếu thông tin</h1>" in client.get(url).content.decode()
    client.post("/i18n/setlang/", {"language": "en"})
    assert "<h1>Roster export: Incomplete</h1>" in client.get(url).content.decode()


def test_the_conflict_comparison_capitalises_the_sex(rep, officer, org, places, django_capture_on_commit_callbacks):
    """The comparison said 'Sex: female' in English, beside capitalised names and documents."""
    from datetime import date

    from vaxbook.organizations.models import RosterConflict
    from vaxbook.organizations.services import roster_import_start

    row = person_row(1)
    t.PersonFactory(
        full_name=row["Họ và tên"], date_of_birth=date(1981, 2, 12), sex="F", id_number=row["Số giấy tờ"], ward=places
    )
    with django_capture_on_commit_callbacks(execute=True):
        roster_import_start(actor=rep, organization=org, upload=upload(xlsx_bytes(table([row]))))
    conflict = RosterConflict.objects.get()
    client = signed_in(officer)
    client.post("/i18n/setlang/", {"language": "en"})
    page = client.get(reverse("organizations:conflict", args=[conflict.public_id])).content.decode()
    sex = page.split('<th scope="row">Sex</th>')[1].split("</tr>")[0]
    assert "<td>Female</td>" in sex and "female" not in sex


def test_the_conflict_comparison_shows_both_birth_dates_in_the_page_s_language(
    rep, officer, org, places, django_capture_on_commit_callbacks
):
    """The row says 2 February 1981, the record 12 February: day first in Vietnamese, the month named in English
    (where 02/02 and 12/02 would read as months)."""
    from datetime import date

    from vaxbook.organizations.models import RosterConflict
    from vaxbook.organizations.services import roster_import_start

    row = person_row(1)
    t.PersonFactory(
        full_name=row["Họ và tên"], date_of_birth=date(1981, 2, 12), sex="F", id_number=row["Số giấy tờ"], ward=places
    )
    with django_capture_on_commit_callbacks(execute=True):
        roster_import_start(actor=rep, organization=org, upload=upload(xlsx_bytes(table([row]))))
    client = signed_in(officer)
    url = reverse("organizations:conflict", args=[RosterConflict.objects.get().public_id])
    for language, label, given, record in (
        ("vi", "Ngày sinh", "02/02/1981", "12/02/1981"),
        ("en", "Date of birth", "2 Feb 1981", "12 Feb 1981"),
    ):
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        page = client.get(url).content.decode()
        born = page.split(f'<th scope="row">{label}</th>')[1].split("</tr>")[0]
        assert born == f"<td>{given}</td><td>{record}</td>"


def test_the_roster_and_its_import_show_dates_day_first_in_vietnamese_and_name_the_month_in_english(rep, org, imported):
    """08/12/2026 reads as August 12 to many English readers: the English pages name the month; the Vietnamese
    ones stay day first, and times stay on 24 hours."""
    from datetime import UTC, datetime

    RosterImport.objects.filter(pk=imported.pk).update(created_at=datetime(2025, 11, 3, 13, 5, tzinfo=UTC))
    client = signed_in(rep)
    roster = reverse("organizations:roster", args=[org.public_id])
    import_page = reverse("organizations:import", args=[imported.public_id])
    for language, born, uploaded in (
        ("vi", ">02/02/1981</td>", "03/11/2025 20:05"),  # person_row(1)'s birth; the upload in Viet Nam's time
        ("en", ">2 Feb 1981</td>", "3 Nov 2025 20:05"),
    ):
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        page = client.get(roster).content.decode()
        assert born in page
        assert uploaded in page.split('class="stack imports-table"')[1]  # the list of the organization's imports
        assert uploaded in client.get(import_page).content.decode()
        if language == "en":
            assert "02/02/1981" not in page and "03/11/2025" not in page


def test_the_cancel_page_s_let_it_run_link_names_the_import(rep, org):
    imp = RosterImport.objects.create(
        organization=org, uploaded_by=rep, original_name="a.xlsx", file_format="xlsx", file="x.xlsx"
    )
    page = signed_in(rep).get(reverse("organizations:import_cancel", args=[imp.public_id])).content.decode()
    assert ">Để lần nhập tiếp tục chạy</a>" in page


def test_the_held_back_notice_has_no_space_before_its_full_stop(rep, org, places, django_capture_on_commit_callbacks):
    """A line break before {% if held_back.invalid %} left 'record incomplete .' with one kind held back."""
    rows = [person_row(1), person_row(2, **{"Số điện thoại": ""})]
    client = signed_in(rep)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("organizations:imports", args=[org.public_id]), {"file": upload(xlsx_bytes(table(rows)))})
    url = reverse("organizations:import", args=[RosterImport.objects.get().public_id])
    page = client.get(url).content.decode()
    assert re.search(r'id="held-back-incomplete">1 hồ sơ thiếu thông tin</a>\.', page)
    client.post("/i18n/setlang/", {"language": "en"})
    assert re.search(r'id="held-back-incomplete">1 record incomplete</a>\.', client.get(url).content.decode())


def test_an_edit_or_a_removal_comes_back_to_the_roster_as_it_was_shown(rep, org, imported):
    """The rows' links carry the roster's filter, search and page; saving, taking off, Cancel and the way back
    return there, at the table. Any other address given is not followed."""
    from vaxbook.organizations.models import RosterEntry

    entry = RosterEntry.objects.filter(organization=org).order_by("pk").first()
    person = entry.person
    client = signed_in(rep)
    roster_url = reverse("organizations:roster", args=[org.public_id])
    shown = f"{roster_url}?q={person.full_name.split()[-1]}&page=1"
    edit_url = reverse("organizations:roster_entry_edit", args=[org.public_id, person.public_id])
    remove_url = reverse("organizations:roster_entry_remove", args=[org.public_id, person.public_id])
    page = client.get(shown).content.decode()
    encoded = f"?next={quote(shown, safe='')}"
    assert f'href="{edit_url}{encoded}"' in page and f'href="{remove_url}{encoded}"' in page
    back = f"{shown.replace(' ', '+')}#roster"

    form = client.get(edit_url + encoded).content.decode()
    assert form.count(f'href="{back}"'.replace("&", "&amp;")) == 2  # the way back and Cancel
    assert f'name="next" value="{back}"'.replace("&", "&amp;") in form
    was = {"was_department": entry.department, "was_employee_number": entry.employee_number}
    saved = client.post(edit_url, {"department": "Kho", "employee_number": "", "next": back, **was})
    assert saved.status_code == 302 and saved["Location"] == back
    removed = client.post(remove_url, {"next": back})
    assert removed["Location"] == back
    gone = client.get(remove_url + encoded)  # Back to the confirmation after it: the roster as it was shown
    assert gone["Location"] == back

    for elsewhere in ("https://evil.example/", "//evil.example" + roster_url, "/accounts/logout/", roster_url + "x"):
        assert client.post(remove_url, {"next": elsewhere})["Location"] == f"{roster_url}#roster"
    injected = client.post(remove_url, {"next": f"{roster_url}?q=a%0d%0aSet-Cookie:x&evil=1&status=complete"})
    assert injected["Location"] == f"{roster_url}?status=complete&q=a%0D%0ASet-Cookie%3Ax#roster"


def test_downloads_are_named_in_the_page_s_language(rep, org, imported):
    """The template was `roster-template-…`, the export `danh-sach-…` and the report `…-errors` whatever the
    language: each is now named in the language of the page that asked for it."""
    client = signed_in(rep)
    template = reverse("organizations:roster_template", args=[org.public_id])
    report = reverse("organizations:error_report", args=[imported.public_id])
    named = {url: client.get(url)["Content-Disposition"] for url in (template, report)}
    assert named == {
        template: f'attachment; filename="mau-danh-sach-{org.tax_code}.xlsx"',
        report: 'attachment; filename="nhan-vien-loi.xlsx"',
    }
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    named = {url: client.get(url)["Content-Disposition"] for url in (template, report)}
    assert named == {
        template: f'attachment; filename="roster-template-{org.tax_code}.xlsx"',
        report: 'attachment; filename="nhan-vien-errors.xlsx"',
    }
    # The file's own name cut to 200 bytes of UTF-8, a whole letter last: with the suffix, within 255
    RosterImport.objects.filter(pk=imported.pk).update(original_name="d" * 250 + ".xlsx")
    assert client.get(report)["Content-Disposition"] == f'attachment; filename="{"d" * 200}-errors.xlsx"'
    RosterImport.objects.filter(pk=imported.pk).update(original_name="ễ" * 100 + ".xlsx")  # 3 bytes each
    named = client.get(report)["Content-Disposition"]
    assert named.endswith("''" + quote("ễ" * 66 + "-errors.xlsx"))
