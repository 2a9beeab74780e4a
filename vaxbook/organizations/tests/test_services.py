"""roster_import_start and the run: spreadsheet defects undone, partial acceptance, idempotent re-upload,
conflicts and repeats, the error report, failures that say why."""

import io
import pathlib
import re
import threading
import unicodedata
import zipfile
from datetime import date, datetime, timedelta
from typing import Any
from unittest import mock

import openpyxl
import pytest
import xlsxwriter
from django.test import override_settings
from django.utils import translation

from vaxbook.common.errors import DomainError
from vaxbook.common.models import AuditEvent
from vaxbook.common.testing import PersonFactory, ProvinceFactory, WardFactory, cccd_for, make_member
from vaxbook.organizations import readers
from vaxbook.organizations.columns import FOOTER_MAX_ROWS
from vaxbook.organizations.models import RosterEntry, RosterImport
from vaxbook.organizations.readers import render_problem
from vaxbook.organizations.services import roster_import_process, roster_import_start, roster_person_register
from vaxbook.organizations.tests.builders import (
    HEADERS,
    csv_bytes,
    person_row,
    rewrite_members,
    saved_by_excel,
    table,
    upload,
    xlsx_bytes,
)
from vaxbook.registry.identity import PersonInput
from vaxbook.registry.models import Person

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(rep, org, places, django_capture_on_commit_callbacks):
    def run(content: bytes, name: str = "roster.xlsx", actor=None, organization=None) -> RosterImport:
        with django_capture_on_commit_callbacks(execute=True):
            started = roster_import_start(
                actor=actor or rep, organization=organization or org, upload=upload(content, name)
            )
        started.refresh_from_db()
        return started

    return run


def report(roster_import: RosterImport) -> tuple[list[tuple], object]:
    with roster_import.error_report.open("rb") as f:
        sheet = openpyxl.load_workbook(io.BytesIO(f.read())).worksheets[0]
    return [tuple(r) for r in sheet.iter_rows(values_only=True)], sheet


def column_format(sheet: Any, position: int) -> str:
    """The number format of a column (from 0), as the file gives it: Excel and xlsxwriter write one for a run of
    alike columns (``<col min="3" max="4">``), which openpyxl keeps under the run's first letter."""
    found = (d.number_format for d in sheet.column_dimensions.values() if d.min <= position + 1 <= d.max)
    return next(found, "General")


def reasons_by_row(roster_import: RosterImport) -> dict[int, str]:
    rows, _sheet = report(roster_import)
    return {int(r[0]): r[-1] for r in rows[1:] if r[-1]}  # a section's heading has no reason


# --------------------------------------------------------------------------------------------
# What spreadsheets do to data is undone
# --------------------------------------------------------------------------------------------


def test_spreadsheet_defects_are_undone(run):
    dob = date(1985, 6, 15)
    nfd = unicodedata.normalize("NFD", "Nguyễn  Thị\u00a0Hoà ")
    rows = [
        # numbers typed as numbers: phone and 12-digit ID lost their leading zero; codes became floats
        person_row(
            1,
            **{
                "Số điện thoại": 912345678,
                "Số giấy tờ": int(cccd_for(dob, "M", 11)),
                "Ngày sinh": dob,
                "Giới tính": "Nam",
                "Mã phường/xã": 26001,
                "Mã tỉnh": 75,
                "Nhóm ưu tiên": 9,
            },
        ),
        # a date as an Excel serial number, a decomposed name with double and non-breaking spaces
        person_row(
            2,
            **{
                "Ngày sinh": 31213,
                "Họ và tên": nfd,
                "Số giấy tờ": cccd_for(date(1985, 6, 15), "F", 12),
                "Giới tính": "Nữ",
                "Số điện thoại": " 0912 345 679 ",
            },
        ),
        # the drop-down's labels; stray spaces in codes
        person_row(
            3,
            **{
                "Loại giấy tờ": "Hộ chiếu",
                "Số giấy tờ": "c1234567",
                "Nhóm ưu tiên": "9 - Người lao động",
                "Mã phường/xã": " 26001 ",
            },
        ),
    ]
    imp = run(xlsx_bytes(table(rows)))
    assert (imp.status, imp.created, imp.refused) == ("done", 3, 0), (
        imp.problems,
        imp.error_report and reasons_by_row(imp),
    )
    one = Person.objects.get(id_number=cccd_for(dob, "M", 11))
    assert one.phone == "+84912345678"
    assert one.date_of_birth == dob
    assert one.ward.code == "26001" and one.priority_group.code == "9"
    two = Person.objects.get(id_number=cccd_for(dob, "F", 12))
    assert two.full_name == "Nguyễn Thị Hoà" and two.date_of_birth == date(1985, 6, 15)
    assert two.phone == "+84912345679"
    three = Person.objects.get(id_number="C1234567")
    assert three.id_type == "passport"
    assert all(p.source == "organization" for p in (one, two, three))


def test_an_openpyxl_workbook_with_real_dates_and_shared_strings(run):
    rows = [
        person_row(
            i, **{"Ngày sinh": datetime(1990, 1, i), "Số giấy tờ": cccd_for(date(1990, 1, i), "F" if i % 2 else "M", i)}
        )
        for i in range(1, 4)
    ]
    imp = run(xlsx_bytes(table(rows), engine="openpyxl"))
    assert (imp.created, imp.refused) == (3, 0), imp.error_report and reasons_by_row(imp)
    assert Person.objects.filter(date_of_birth=date(1990, 1, 2)).exists()


@pytest.mark.parametrize("bom", [False, True])
def test_csv_in_utf8_with_or_without_bom(run, bom):
    imp = run(csv_bytes(table([person_row(1), person_row(2)]), bom=bom), name="roster.csv")
    assert (imp.status, imp.created, imp.refused) == ("done", 2, 0)


def test_excels_unicode_text_a_utf16_file_with_its_bom_and_tabs_is_imported(run):
    """Excel's "Unicode Text" renamed .csv: UTF-16 (Python's codec writes the BOM), tab-separated; the
    numbers' leading zeros and the names' marks come through; the error report is a workbook as for any CSV."""
    rows = [person_row(1), person_row(2), person_row(3, **{"Ngày sinh": "31/02/1990"})]
    imp = run(csv_bytes(table(rows), delimiter="\t", encoding="utf-16"), name="roster.csv")
    assert (imp.status, imp.created, imp.refused) == ("done", 2, 1)
    assert Person.objects.filter(full_name=rows[0]["Họ và tên"], phone="+84" + rows[0]["Số điện thoại"][1:]).exists()
    assert "[date_of_birth_format]" in reasons_by_row(imp)[3]


def test_a_department_and_a_ward_merged_down_over_their_staff(run):
    rows = [person_row(n) for n in (1, 2, 3)]
    cells = table(rows)
    department, ward = HEADERS.index("Bộ phận"), HEADERS.index("Mã phường/xã")
    for row in cells[2:]:
        row[department] = row[ward] = None
    letter = lambda index: chr(65 + index)  # noqa: E731
    merges = (f"{letter(department)}2:{letter(department)}4", f"{letter(ward)}2:{letter(ward)}4")
    imp = run(xlsx_bytes(cells, merges=merges))
    assert (imp.created, imp.refused) == (3, 0), imp.error_report and reasons_by_row(imp)
    assert RosterEntry.objects.filter(department="Phòng Kỹ thuật").count() == 3
    assert Person.objects.filter(ward__code="26001").count() == 3


def test_a_csv_cell_typed_on_two_lines_is_one_cell(run):
    """Excel writes a cell typed with Alt+Enter as a quoted text holding a line break: the address is
    one, its lines joined by a space, and the rows after it are read as rows."""
    rows = [
        person_row(1, **{"Địa chỉ": "Tổ 5, khu phố 2\r\nPhường Tân Mai", "Bộ phận": "Phòng\nKỹ thuật"}),
        person_row(2),
    ]
    imp = run(csv_bytes(table(rows)), name="roster.csv")
    assert (imp.status, imp.created, imp.refused) == ("done", 2, 0), imp.error_report and reasons_by_row(imp)
    assert Person.objects.filter(address_line="Tổ 5, khu phố 2 Phường Tân Mai").count() == 1
    assert RosterEntry.objects.filter(department="Phòng Kỹ thuật").count() == 2


def test_shuffled_unaccented_upper_case_headers_and_an_extra_column(run):
    def plain(header):
        return (
            unicodedata.normalize("NFD", header.replace("Đ", "D").replace("đ", "d")).encode("ascii", "ignore").decode()
        )

    headers = [plain(h).upper() for h in HEADERS]
    headers = [*reversed(headers), "GHI CHU"]
    rows = [person_row(1), person_row(2)]
    cells = [headers] + [[r[h] for h in reversed(HEADERS)] + ["x"] for r in rows]
    imp = run(xlsx_bytes(cells))
    assert (imp.created, imp.refused) == (2, 0)
    assert imp.ignored_columns == ["GHI CHU"]


# --------------------------------------------------------------------------------------------
# Partial acceptance, every reason names its row and column
# --------------------------------------------------------------------------------------------


def test_every_refused_row_names_its_row_column_and_code(run, org):
    dob15 = date(1995, 4, 16)  # person_row(15)'s birth date (a woman): the number agrees, the name does not
    PersonFactory(full_name="Lê Thị Cũ", date_of_birth=dob15, sex="F", id_number=cccd_for(dob15, "F", 9))
    bad = {
        2: {"Họ và tên": ""},  # full_name_required
        3: {"Họ và tên": "Nguyễn Văn 3"},  # full_name_format
        4: {"Ngày sinh": "31/02/1990"},  # date_of_birth_format
        5: {"Ngày sinh": "01/01/2999"},  # date_of_birth_future
        6: {"Giới tính": "X"},  # sex_format
        7: {"Số giấy tờ": "12345"},  # id_number_format
        8: {"Giới tính": "Nữ" if person_row(8)["Giới tính"] == "Nam" else "Nam"},  # id_number_sex_mismatch
        9: {"Số điện thoại": "0212345678"},  # phone_format
        10: {"Mã phường/xã": "99999"},  # ward_unknown
        11: {"Nhóm ưu tiên": "77"},  # priority_group_unknown
        12: {"Số thẻ BHYT": "ABC"},  # health_insurance_format
        13: {"Loại giấy tờ": "Giấy khai sinh"},  # id_type_format
        14: {"Mã tỉnh": "01"},  # province_unknown
        15: {"Số giấy tờ": cccd_for(dob15, "F", 9)},  # document_conflict
        16: {"Bộ phận": "x" * 121},  # text_too_long (the roster's own field)
    }
    codes = {
        2: ("full_name_required", "Họ và tên"),
        3: ("full_name_format", "Họ và tên"),
        4: ("date_of_birth_format", "Ngày sinh"),
        5: ("date_of_birth_future", "Ngày sinh"),
        6: ("sex_format", "Giới tính"),
        7: ("id_number_format", "Số giấy tờ"),
        8: ("id_number_sex_mismatch", "Số giấy tờ"),
        9: ("phone_format", "Số điện thoại"),
        10: ("ward_unknown", "Mã phường/xã"),
        11: ("priority_group_unknown", "Nhóm ưu tiên"),
        12: ("health_insurance_format", "Số thẻ BHYT"),
        13: ("id_type_format", "Loại giấy tờ"),
        14: ("province_unknown", "Mã tỉnh"),
        15: ("document_conflict", "Số giấy tờ"),
        16: ("text_too_long", "Bộ phận"),
    }
    rows = [person_row(1)] + [person_row(n, **bad[n]) for n in sorted(bad)] + [person_row(17)]
    imp = run(xlsx_bytes(table(rows)))
    assert (imp.total, imp.accepted, imp.refused) == (17, 2, 15)
    reasons = reasons_by_row(imp)  # by STT, which is n; the spreadsheet row is n + 1 (below the header)
    for n, (code, column) in codes.items():
        reason = reasons[n]
        assert f"[{code}]" in reason, (n, reason)
        assert reason.startswith(f"Dòng {n + 1} của tệp đã gửi, cột “")
        assert f"“{column}”" in reason
    assert RosterEntry.objects.filter(organization=org).count() == 2
    assert all(imp.refusals.get(code) for code, _column in codes.values())
    assert sum(imp.refusals.values()) >= imp.refused
    # the report's second sheet sums the reasons up, in Vietnamese; the rows' sheet stays the first
    book = report(imp)[1].parent
    assert book.sheetnames[:2] == ["Danh sách", "Tóm tắt"]
    summary = [tuple(r) for r in book["Tóm tắt"].iter_rows(values_only=True)]
    assert summary[0] == ("Lý do", "Số dòng", "Mã")
    assert {code: rows for _label, rows, code in summary[1:]} == imp.refusals
    assert ("Số điện thoại không hợp lệ", 1, "phone_format") in summary


def test_a_roster_of_codes_from_before_2025_is_read_as_the_units_they_became(run, places, before_2025):
    """A roster typed before the 2025 reform: Bình Phước's province code and its wards' codes. A ward merged
    whole is its 2025 ward; one that was split is refused naming the wards to choose from, in the report too."""
    rows = [
        person_row(1, **{"Mã tỉnh": "70", "Mã phường/xã": "25195"}),
        person_row(2, **{"Mã tỉnh": "70", "Mã phường/xã": "25198"}),
        person_row(3, **{"Mã tỉnh": "", "Mã phường/xã": "25201"}),
    ]
    imp = run(xlsx_bytes(table(rows)))
    assert (imp.created, imp.refused, imp.refusals) == (1, 2, {"ward_split": 1, "ward_unknown": 1})
    person = Person.objects.get(full_name=rows[0]["Họ và tên"])
    assert (person.ward.code, person.province.code, person.data_status) == ("26001", "75", "complete")
    reasons = reasons_by_row(imp)
    assert "Xã Tiến Hưng, Thành phố Đồng Xoài" in reasons[2]
    assert "26001 Phường Trấn Biên; 26002 Phường Tam Hiệp" in reasons[2]
    assert "“Mã phường/xã”" in reasons[2] and "[ward_split]" in reasons[2]
    assert "Xã Tân Thành" in reasons[3] and "[ward_unknown]" in reasons[3]


def test_a_roster_giving_wards_and_provinces_by_name_is_read_by_their_codes(run, places, before_2025):
    """Most lists name the ward and the province ("Phường/xã", "Tỉnh/thành phố") rather than give the
    template's codes: the names are read as the 2025 units they name in the row's province, with or
    without "Phường"/"P." and diacritics, a name from before 2025 as the unit it became; a name that is no
    unit's, or may be several, or a ward without a province, is refused naming what it may be."""
    headers = [h for h in HEADERS if h not in ("Mã tỉnh", "Mã phường/xã")] + ["Phường/xã", "Tỉnh/thành phố"]
    given = {
        1: ("Phường Trấn Biên", "Tỉnh Đồng Nai"),
        2: ("P. Tam Hiệp", "Đồng Nai"),
        3: ("tran bien", "DONG NAI"),
        4: ("Phường Tân Phú", "Bình Phước"),  # names before 2025: merged into Trấn Biên, and into Đồng Nai
        5: ("Xã Tiến Hưng", "Đồng Nai"),  # before 2025, split between Trấn Biên and Tam Hiệp
        6: ("Phường Trấn Biên", ""),
        7: ("Phường Bến Thành", "Đồng Nai"),
        8: ("Phường Trấn Biên", "Đồng Nại Xa"),
        9: (26002, ""),  # a code in the names' column: a code
        10: ("Phường Trấn Biên", 99),  # a province code no one has: said alone (not "no ward with this code")
    }
    rows = [person_row(n, **{"Phường/xã": ward, "Tỉnh/thành phố": province}) for n, (ward, province) in given.items()]
    imp = run(xlsx_bytes(table(rows, headers)))
    assert imp.status == "done" and imp.ignored_columns == []
    reasons = reasons_by_row(imp)
    assert set(reasons) == {5, 6, 7, 8, 10}, reasons
    wards = {p.full_name: (p.ward.code, p.province.code) for p in Person.objects.all()}
    expected = {1: "26001", 2: "26002", 3: "26001", 4: "26001", 9: "26002"}
    assert {n: wards[rows[n - 1]["Họ và tên"]] for n in expected} == {n: (c, "75") for n, c in expected.items()}
    assert "[ward_ambiguous]" in reasons[5] and "26001 Phường Trấn Biên; 26002 Phường Tam Hiệp" in reasons[5]
    assert "“Phường/xã”" in reasons[5]
    assert "[ward_name_without_province]" in reasons[6] and "“Phường Trấn Biên”" in reasons[6]
    assert "[ward_unknown]" in reasons[7] and "“Phường Bến Thành”" in reasons[7] and "Tỉnh Đồng Nai" in reasons[7]
    assert "[province_unknown]" in reasons[8] and "“Đồng Nại Xa”" in reasons[8] and "“Tỉnh/thành phố”" in reasons[8]
    assert "ward_name_without_province" not in reasons[8]  # one reason: the province's
    assert reasons[10].count("[") == 1 and "“Tỉnh/thành phố”" in reasons[10] and "[province_unknown]" in reasons[10]

    # the report, its names fixed where they stand, uploads again: every row taken
    values, _sheet = report(imp)
    header = list(values[0])
    ward_at, province_at = header.index("Phường/xã"), header.index("Tỉnh/thành phố")
    fixed = [header] + [list(v) for v in values[1:]]
    fixes = {
        5: ("Phường Tam Hiệp", "Đồng Nai"),
        6: ("Phường Trấn Biên", "TP. Đồng Nai"),
        7: (26001, ""),
        8: ("Trấn Biên", "Đồng Nai"),
        10: ("Phường Trấn Biên", "75"),
    }
    for row in fixed[1:]:
        row[ward_at], row[province_at] = fixes[int(row[0])]
    again = run(xlsx_bytes(fixed))
    assert (again.created, again.refused, again.ignored_columns) == (5, 0, [])


def test_a_code_written_with_its_name_in_one_cell_is_read_when_the_two_agree(run, places, before_2025):
    """Lists copied from a catalogue give a unit as "26041 - Phường Trấn Biên" or "Phường Trấn Biên (26041)":
    the code is read when the name is its unit's, now or before 2025; a name that is another unit's is
    refused naming both (one of the two was copied wrong), rather than either one taken; a code no 2025
    ward has is judged by the registry as a code alone is."""
    ProvinceFactory(code="79", name="Thành phố Hồ Chí Minh")
    given = {
        1: ("26002 - Phường Tam Hiệp", "75"),
        2: ("Phường Trấn Biên (26001)", "75 - Đồng Nai"),
        3: ("26001 - Phường Tân Phú", "70 - Bình Phước"),  # names before 2025: Tân Phú is now in Trấn Biên
        4: ("26002 - Phường Trấn Biên", "75"),
        5: ("26001", "79 - Đồng Nai"),
        6: ("99999 - Phường Không Có", "75"),
        7: ("25195 - Phường Tân Phú", ""),  # a code before 2025, merged whole into Trấn Biên
    }
    rows = [person_row(n, **{"Mã phường/xã": w, "Mã tỉnh": p}) for n, (w, p) in given.items()]
    imp = run(xlsx_bytes(table(rows)))
    reasons = reasons_by_row(imp)
    assert (imp.created, set(reasons)) == (4, {4, 5, 6}), reasons
    wards = {p.full_name: (p.ward.code, p.province.code) for p in Person.objects.all()}
    expected = {1: "26002", 2: "26001", 3: "26001", 7: "26001"}
    assert {n: wards[rows[n - 1]["Họ và tên"]] for n in expected} == {n: (c, "75") for n, c in expected.items()}
    assert "[ward_code_name_mismatch]" in reasons[4] and "26002" in reasons[4] and "“Phường Trấn Biên”" in reasons[4]
    assert "[province_code_name_mismatch]" in reasons[5] and "Hồ Chí Minh" in reasons[5] and "“Mã tỉnh”" in reasons[5]
    assert reasons[6].count("[") == 1 and "[ward_unknown]" in reasons[6]
    assert "Mã 26002 là 26002 Phường Tam Hiệp, còn tên ghi kèm, “Phường Trấn Biên”" in reasons[4]  # in Vietnamese


def test_a_code_and_a_name_both_from_before_2025_of_a_ward_split_since_is_refused(run, places, before_2025, ward2):
    """138 codes of split wards before 2025 are 2025 wards' codes too: each went to one of its parts.
    "26002 - Phường Hàng Mới", Hàng Mới's code and name, is Hàng Mới, now in Tam Hiệp or Trấn Biên: refused as
    the registry refuses a split ward's code, not read as Tam Hiệp, which the 2025 code alone would be."""
    from vaxbook.places.models import AdminUnit

    district = AdminUnit.objects.get(code="689")
    old = WardFactory(level=AdminUnit.Level.LEGACY_WARD, code="26002", name="Phường Hàng Mới", parent=district)
    old.successors.add(ward2, places)
    given = {1: "26002 - Phường Hàng Mới", 2: "26002 - Phường Tam Hiệp", 3: "26002 - Phuong Tam Hiep", 4: "26002"}
    rows = [person_row(n, **{"Mã phường/xã": w}) for n, w in given.items()]
    imp = run(xlsx_bytes(table(rows)))
    reasons = reasons_by_row(imp)
    assert (imp.created, set(reasons)) == (3, {1}), reasons
    assert "[ward_split]" in reasons[1] and "26001 Phường Trấn Biên; 26002 Phường Tam Hiệp" in reasons[1]
    assert "“Mã phường/xã”" in reasons[1] and "Phường Hàng Mới" in reasons[1]
    assert set(Person.objects.values_list("ward__code", flat=True)) == {"26002"}


def test_a_ward_beside_an_address_naming_another_ward_of_its_province_is_refused(run, places, before_2025):
    """A ward's code dragged down a column, or an address copied from another row: the address names, for sure,
    another ward of the province than the code's. The row is refused naming both, the two cells marked; an
    address naming the same ward, by its name before 2025 too, or a ward split in 2025, or none, agrees."""
    given = {
        1: ("26001", "Tổ 5, P. Tam Hiệp, Đồng Nai"),
        2: ("26002", "Tổ 5, P. Tam Hiệp"),
        3: ("26001", "Số 5, P. Tân Phú, TP Đồng Xoài, Bình Phước"),  # Tân Phú of Đồng Xoài is now Trấn Biên
        4: ("26001", "Tổ 5, Xã Tiến Hưng, Đồng Nai"),  # split between Trấn Biên and Tam Hiệp: may be either
        5: ("26001", "12 Đường Số 1"),
        6: ("Phường Trấn Biên", "Khu phố 3; Phường Tam Hiệp"),  # a ward's name as its code is
        7: ("26001", "Tổ 5, P. Tam Hiệp, TP.HCM"),  # another province's address: not compared
    }
    ProvinceFactory(code="79", name="Thành phố Hồ Chí Minh")
    rows = [person_row(n, **{"Mã phường/xã": w, "Địa chỉ": a}) for n, (w, a) in given.items()]
    imp = run(xlsx_bytes(table(rows)))
    reasons = reasons_by_row(imp)
    assert (imp.created, set(reasons)) == (5, {1, 6}), reasons
    assert "[ward_address_mismatch]" in reasons[1] and "26001 Phường Trấn Biên" in reasons[1]
    assert "“Tổ 5, P. Tam Hiệp, Đồng Nai” ghi “P. Tam Hiệp”, nay (từ năm 2025) là 26002 Phường Tam Hiệp" in reasons[1]
    assert "[ward_address_mismatch]" in reasons[6]
    _values, sheet = report(imp)
    marked = [c.column for c in sheet[2] if c.fill.fgColor.rgb and c.fill.fgColor.rgb.endswith("FFC7CE")]
    assert marked == [HEADERS.index("Mã phường/xã") + 1, HEADERS.index("Địa chỉ") + 1]


def test_a_district_before_2025_tells_which_of_the_provinces_namesakes_a_ward_was(run, places, before_2025):
    """A list of before 2025 gives "Quận/huyện" beside the ward's name: two wards of the province had the name
    "Phường Tân Phú", which became two wards; the district says which, in its column or in the address. Without
    it the name is refused, naming both."""
    legacy = before_2025["25195"]  # Phường Tân Phú of Thành phố Đồng Xoài, now Trấn Biên (26001)
    other_district = WardFactory(
        level="legacy_district", code="690", name="Huyện Đồng Phú", parent=legacy.parent.parent
    )
    namesake = WardFactory(level="legacy_ward", code="25210", name="Thị trấn Tân Phú", parent=other_district)
    namesake.successors.add(WardFactory(code="26002"))  # Tam Hiệp
    headers = [h for h in HEADERS if h != "Mã phường/xã"] + ["Phường/xã", "Quận/huyện"]
    given = {1: ("Tân Phú", "TP. Đồng Xoài"), 2: ("Tân Phú", "H. Đồng Phú"), 3: ("Tân Phú", ""), 4: ("TT Tân Phú", "")}
    rows = [person_row(n, **{"Phường/xã": ward, "Quận/huyện": district}) for n, (ward, district) in given.items()]
    # the district named in the address, where its column is empty
    rows += [
        person_row(5, **{"Phường/xã": "Tân Phú", "Quận/huyện": "", "Địa chỉ": "12 Lê Lợi, TP Đồng Xoài, Bình Phước"}),
        person_row(6, **{"Phường/xã": "Tân Phú", "Quận/huyện": "", "Địa chỉ": "Ấp 2 - H. Đồng Phú - Bình Phước"}),
    ]
    imp = run(xlsx_bytes(table(rows, headers)))
    assert (imp.created, imp.refused, imp.ignored_columns) == (5, 1, [])
    wards = {p.full_name: p.ward.code for p in Person.objects.all()}
    assert [wards.get(r["Họ và tên"]) for r in rows] == ["26001", "26002", None, "26002", "26001", "26002"]
    assert "[ward_ambiguous]" in reasons_by_row(imp)[3]


def test_a_name_in_the_templates_code_columns_and_a_name_beside_a_code(run, places):
    """A clerk types the ward's name under "Mã phường/xã", the province's under "Mã tỉnh": read as names.
    Beside a code's column, a names' column is read where the code is empty, and the code wins elsewhere."""
    rows = [
        person_row(1, **{"Mã phường/xã": "Phường Tam Hiệp", "Mã tỉnh": "Đồng Nai"}),
        person_row(2, **{"Mã phường/xã": "", "Phường/xã": "Tam Hiệp"}),
        person_row(3, **{"Mã phường/xã": "26001", "Phường/xã": "Tam Hiệp"}),
    ]
    imp = run(xlsx_bytes(table(rows, [*HEADERS, "Phường/xã"])))
    assert (imp.created, imp.refused) == (3, 0)
    assert [Person.objects.get(full_name=r["Họ và tên"]).ward.code for r in rows] == ["26002", "26002", "26001"]


def test_a_phone_cell_with_two_numbers_or_a_note_is_refused_saying_so(run):
    rows = [
        person_row(1, **{"Số điện thoại": "0912345678 / 0987654321"}),
        person_row(2, **{"Số điện thoại": "0912000002 (Zalo)"}),
    ]
    imp = run(xlsx_bytes(table(rows)))
    assert (imp.created, imp.refused) == (0, 2)
    reasons = reasons_by_row(imp)
    assert "Ô này ghi nhiều số điện thoại (0912345678, 0987654321)" in reasons[1]
    assert "Số điện thoại 0912000002 được ghi kèm ghi chú (“0912000002 (Zalo)”)" in reasons[2]
    assert all("[phone_format]" in reason for reason in reasons.values())


def test_a_cell_holding_an_excel_error_is_refused_as_such_and_shown_in_the_report(run):
    """#N/A where a VLOOKUP found nothing: read as an empty cell by the spreadsheet library, it was refused
    as "name required" in a required column and silently dropped in an optional one. It is refused as
    what it is, naming the column and the error, once (not also as missing), and the report shows it."""
    rows = [
        person_row(1),
        person_row(2, **{"Họ và tên": "#N/A"}),  # required
        person_row(3, **{"Số thẻ BHYT": "#REF!"}),  # optional: no longer dropped in silence
        person_row(4, **{"Bộ phận": "#VALUE!"}),  # the roster's own field
        person_row(5, **{"Nghề nghiệp": "#N/A là mã"}),  # a text that merely starts like one is a text
    ]
    imp = run(xlsx_bytes(table(rows), engine="openpyxl"))  # openpyxl writes "#N/A" as an error cell
    assert (imp.total, imp.accepted, imp.refused) == (5, 2, 3)
    reasons = reasons_by_row(imp)
    assert set(reasons) == {2, 3, 4}
    for n, column, error in ((2, "Họ và tên", "#N/A"), (3, "Số thẻ BHYT", "#REF!"), (4, "Bộ phận", "#VALUE!")):
        assert reasons[n].count("[cell_error]") == 1 and f"“{column}”" in reasons[n] and error in reasons[n]
    assert "full_name_required" not in reasons[2]
    values, sheet = report(imp)
    assert values[1][1] == "#N/A"  # shown as the clerk's own file shows it
    assert sheet.cell(row=2, column=2).fill.fgColor.rgb.endswith("FFC7CE")
    assert Person.objects.filter(occupation="#N/A là mã").exists()


def test_a_formula_whose_result_is_an_error_and_an_error_saved_to_csv(run):
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet("Danh sách")
    for r, row in enumerate(table([person_row(1), person_row(2)])):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    sheet.write_formula(2, 1, "=VLOOKUP(A3,Staff!A:B,2,FALSE)", None, "#N/A")  # Excel keeps the result: #N/A
    book.close()
    imp = run(saved_by_excel(out.getvalue()))
    assert (imp.accepted, imp.refused) == (1, 1)
    assert "[cell_error]" in reasons_by_row(imp)[2] and "#N/A" in reasons_by_row(imp)[2]

    as_csv = csv_bytes(table([person_row(3), person_row(4, **{"Số điện thoại": "#N/A"})]))
    imp = run(as_csv, name="roster.csv")
    assert (imp.accepted, imp.refused) == (1, 1)
    reason = reasons_by_row(imp)[4]
    assert "[cell_error]" in reason and "“Số điện thoại”" in reason and "phone_required" not in reason


def test_a_formula_whose_result_the_file_does_not_keep_is_refused_and_the_fixed_report_imports(run):
    """A roster exported by a script (openpyxl) holds formulas without their results: calamine read them as
    empty cells, so a required one was refused as missing and an optional one dropped in silence. Each is
    refused as what it is, naming the column and the formula, once; the rest of the file is accepted."""
    rows = [
        person_row(1),
        person_row(2, **{"Họ và tên": '=UPPER("Trần Thị Cúc")'}),  # required
        person_row(3, **{"Số thẻ BHYT": '=CONCAT("DN", "4797912345678")'}),  # optional
        person_row(4, **{"Bộ phận": "=INDEX(Phong!A:A, 2)"}),  # the roster's own field
        person_row(5, **{"Nghề nghiệp": "Kế toán"}),
    ]
    imp = run(xlsx_bytes(table(rows), engine="openpyxl"))  # openpyxl writes "=…" as a formula, no result
    assert (imp.total, imp.accepted, imp.refused) == (5, 2, 3)
    reasons = reasons_by_row(imp)
    for n, column, formula in (
        (2, "Họ và tên", '=UPPER("Trần Thị Cúc")'),
        (3, "Số thẻ BHYT", '=CONCAT("DN", "4797912345678")'),
        (4, "Bộ phận", "=INDEX(Phong!A:A, 2)"),
    ):
        assert reasons[n].count("[formula_not_computed]") == 1, reasons[n]
        assert f"“{column}”" in reasons[n] and formula in reasons[n]
    assert "full_name_required" not in reasons[2]
    assert not Person.objects.filter(full_name__icontains="Cúc").exists()
    values, sheet = report(imp)
    assert values[1][1] == "'" + '=UPPER("Trần Thị Cúc")'  # shown as the clerk's file shows it, as text
    assert sheet.cell(row=2, column=2).fill.fgColor.rgb.endswith("FFC7CE")

    fixed = [list(values[0])] + [list(v) for v in values[1:]]
    fixed[1][1], fixed[2][7], fixed[3][10] = "Trần Thị Cúc", "DN4797912345678", "Phòng Kế toán"
    again = run(xlsx_bytes(fixed))
    assert (again.created, again.refused) == (3, 0), reasons_by_row(again) if again.refused else None


def test_a_report_sent_back_unfixed_refuses_its_error_and_formula_cells_again(run):
    """The report shows an Excel error (#VALUE!) or a formula without its result as text ("'=INDEX(…)"):
    sent back unfixed, such a cell is refused again as what it is, never saved as the department, the
    occupation or the address (before, "#VALUE!" and "=INDEX(Phong!A:A, 2)" became staff data)."""
    rows = [
        person_row(1, **{"Bộ phận": "#VALUE!"}),
        person_row(2, **{"Bộ phận": "=INDEX(Phong!A:A, 2)"}),
        person_row(3, **{"Nghề nghiệp": "#N/A"}),
        person_row(4, **{"Địa chỉ": '=B2&" x"'}),
        person_row(5, **{"Số điện thoại": "12345", "Nghề nghiệp": "-"}),  # a text our quote guards stays a text
    ]
    first = run(xlsx_bytes(table(rows), engine="openpyxl"))
    assert (first.accepted, first.refused) == (0, 5)
    _values, sheet = report(first)
    saved = io.BytesIO()
    sheet.parent.save(saved)  # opened and saved again, nothing fixed
    again = run(saved.getvalue(), name="roster-errors.xlsx")
    assert (again.accepted, again.refused) == (0, 5)
    assert again.refusals == first.refusals == {"cell_error": 2, "formula_not_computed": 2, "phone_format": 1}
    assert not Person.objects.exists()
    reasons = reasons_by_row(again)
    assert "(#VALUE!)" in reasons[1] and "(=INDEX(Phong!A:A, 2))" in reasons[2]
    values, _sheet = report(again)  # and the next report shows them as the first did
    assert [values[n][HEADERS.index(h)] for n, h in ((1, "Bộ phận"), (2, "Bộ phận"), (4, "Địa chỉ"))] == [
        "#VALUE!",
        "'=INDEX(Phong!A:A, 2)",
        "'" + '=B2&" x"',
    ]
    fixed = [list(row) for row in values]
    for row in fixed[1:4]:
        row[HEADERS.index("Bộ phận")], row[HEADERS.index("Nghề nghiệp")] = "Phòng Kế toán", "Kế toán"
    fixed[4][HEADERS.index("Địa chỉ")] = "4 Đường Số 1"
    fixed[5][HEADERS.index("Số điện thoại")] = "0912000005"
    done = run(xlsx_bytes(fixed))
    assert (done.created, done.refused) == (5, 0), reasons_by_row(done) if done.refused else None
    assert Person.objects.get(id_number=person_row(5)["Số giấy tờ"]).occupation == "-"


def test_text_typed_in_an_old_vietnamese_encoding_is_refused_with_its_unicode_reading(run):
    """A roster kept in .VnTime (TCVN3) or VNI-Times: the names would be saved as "NguyÔn V¨n Hïng". Each
    such cell is refused once, with its reading in Unicode, and highlighted in the report; the same rows
    converted to Unicode are accepted."""
    typed = {
        2: {"Họ và tên": "NguyÔn V¨n Hïng"},  # TCVN3: every character passes a letters-only check
        3: {"Họ và tên": "Nguyeãn Thò Lan", "Giới tính": "Nữ"},  # VNI
        4: {"Địa chỉ": "Sè 12 §\u00adêng Lª Lîi"},  # TCVN3, the ư a soft hyphen
        5: {"Bộ phận": "Phßng KÕ to¸n " * 10},  # the roster's own field (too long as well: one reason)
        6: {"Nghề nghiệp": "C«ng nh©n", "Dân tộc": "M\u00adêng"},
    }
    unicode = {
        2: {"Họ và tên": "Nguyễn Văn Hùng"},
        3: {"Họ và tên": "Nguyễn Thị Lan", "Giới tính": "Nữ"},
        4: {"Địa chỉ": "Số 12 Đường Lê Lợi"},
        5: {"Bộ phận": "Phòng Kế toán"},
        6: {"Nghề nghiệp": "Công nhân", "Dân tộc": "Mường"},
    }
    rows = [person_row(1)] + [person_row(n, **cells) for n, cells in typed.items()]
    imp = run(xlsx_bytes(table(rows)))
    assert (imp.total, imp.accepted, imp.refused) == (6, 1, 5)
    reasons = reasons_by_row(imp)
    assert reasons[2].count("[text_legacy_encoding]") == 1 and "“Nguyễn Văn Hùng”" in reasons[2]
    assert "TCVN3" in reasons[2] and "“Họ và tên”" in reasons[2]
    assert "VNI" in reasons[3] and "“Nguyễn Thị Lan”" in reasons[3]
    assert "“Số 12 Đường Lê Lợi”" in reasons[4] and "“Địa chỉ”" in reasons[4]
    assert "“Phòng Kế toán Phòng Kế toán" in reasons[5] and "“Bộ phận”" in reasons[5]
    assert "text_too_long" not in reasons[5]
    assert reasons[6].count("[text_legacy_encoding]") == 2
    assert imp.refusals == {"text_legacy_encoding": 5}  # rows, each once whatever its number of such cells
    _values, sheet = report(imp)
    assert sheet.cell(row=2, column=2).fill.fgColor.rgb.endswith("FFC7CE")  # the name cell
    assert not Person.objects.filter(full_name__contains="Ô").exists()

    fixed = run(xlsx_bytes(table([person_row(n, **cells) for n, cells in unicode.items()])))
    assert (fixed.accepted, fixed.refused) == (5, 0)
    assert Person.objects.filter(full_name="Nguyễn Văn Hùng", address_line="2 Đường Số 1").exists()


def test_the_report_holds_the_rows_as_sent_with_highlighted_cells_and_safe_formulas(run):
    rows = [
        person_row(1),
        person_row(2, **{"Họ và tên": '=HYPERLINK("http://x","y")', "Số điện thoại": 912345678}),
    ]
    imp = run(xlsx_bytes(table(rows)))
    assert imp.refused == 1
    values, sheet = report(imp)
    assert list(values[0][:16]) == HEADERS and values[0][16] == "Lý do"
    sent = values[1]
    assert sent[1].startswith("'=HYPERLINK")  # the formula is text, quoted
    assert sent[4] == 912345678  # a number stays the number that was sent
    assert sent[6] == person_row(2)["Số giấy tờ"]
    name_cell = sheet.cell(row=2, column=2)
    assert name_cell.fill.fgColor.rgb.endswith("FFC7CE")  # highlighted
    assert not sheet.cell(row=2, column=3).fill.fgColor.rgb.endswith("FFC7CE")
    assert "Dòng 3" in sent[16] or "Row 3" in sent[16]


def test_the_report_shows_a_long_whole_number_in_full(run):
    """A 12-digit employee number or tax code typed as a number: Excel's General (and Text) format shows it
    as 1.23457E+11, and a CSV saved from the report would keep that; the report shows its digits."""
    headers = [*HEADERS, "Mã nhân viên", "Mã số thuế"]
    row = person_row(1, **{"Số điện thoại": "12345", "Mã nhân viên": 123456789012, "Mã số thuế": 3600123456789})
    imp = run(xlsx_bytes(table([row], headers)))
    values, sheet = report(imp)
    assert values[1][16:18] == (123456789012, 3600123456789)
    assert [sheet.cell(row=2, column=c).number_format for c in (17, 18)] == ["0", "0"]
    assert sheet.cell(row=2, column=1).number_format == "General"  # STT 1: as it was
    fixed = [list(values[0]), list(values[1])]
    fixed[1][HEADERS.index("Số điện thoại")] = "0912000001"
    again = run(xlsx_bytes(fixed))
    assert (again.created, again.refused) == (1, 0)
    assert RosterEntry.objects.get().employee_number == "123456789012"


def test_a_number_in_scientific_notation_without_a_type_is_the_numbers_cell_to_fix(run):
    """The document type is optional; a number Excel turned into 7.50906E+10 tells none. The refusal names
    and marks the number's cell, with the number's code, as it does beside a type."""
    rows = [person_row(1, **{"Loại giấy tờ": "", "Số giấy tờ": "7.50906E+10"})]
    imp = run(xlsx_bytes(table(rows)))
    reason = reasons_by_row(imp)[1]  # (by STT)
    assert reason.startswith("Dòng 2 của tệp đã gửi, cột “Số giấy tờ”:") and "[id_number_format]" in reason
    assert "7.50906E+10" in reason and "id_type_required" not in reason
    _values, sheet = report(imp)
    marked = [h for c, h in enumerate(HEADERS, 1) if sheet.cell(row=2, column=c).fill.fgColor.rgb.endswith("FFC7CE")]
    assert marked == ["Số giấy tờ"]


def test_a_name_with_a_control_character_is_refused_and_its_report_written(run):
    """A paste from another program: "Nguy\x01n" lost a letter. Refused (before, saved as "Nguyn", complete),
    and the report, which cannot hold the character, is written and uploads again once the name is typed."""
    rows = [person_row(1, **{"Họ và tên": "Nguy\x01n V\x08n B\x1fình"}), person_row(2)]
    imp = run(csv_bytes(table(rows)), name="roster.csv")
    assert (imp.created, imp.refused) == (1, 1)
    assert "U+0001" in reasons_by_row(imp)[1] and "[full_name_format]" in reasons_by_row(imp)[1]
    values, _sheet = report(imp)
    fixed = [list(values[0]), list(values[1])]
    fixed[1][1] = "Nguyễn Văn Bình"
    again = run(xlsx_bytes(fixed))
    assert (again.created, again.refused) == (1, 0)


def test_the_report_highlights_both_cells_of_a_disagreement(run):
    """Either may be the wrong one: the sex or the ID number that encodes it; the ward or the province."""
    ProvinceFactory(code="79", name="Thành phố Hồ Chí Minh")
    rows = [person_row(1, **{"Giới tính": "Nam"}), person_row(3, **{"Mã tỉnh": "79"})]
    imp = run(xlsx_bytes(table(rows)))
    assert imp.refused == 2
    _values, sheet = report(imp)
    highlighted = {
        (row, HEADERS[column - 1])
        for row in (2, 3)
        for column in range(1, len(HEADERS) + 1)
        if sheet.cell(row=row, column=column).fill.fgColor.rgb.endswith("FFC7CE")
    }
    assert highlighted == {(2, "Giới tính"), (2, "Số giấy tờ"), (3, "Mã tỉnh"), (3, "Mã phường/xã")}


def test_a_name_split_over_two_columns_is_one_name_and_its_report_uploads(run):
    """A list sorted by given name types the name in two columns: each person gets the whole name; a
    row without its given name is refused saying which part is empty, both cells highlighted."""
    at = HEADERS.index("Họ và tên")
    headers = [*HEADERS[:at], "Họ và tên đệm", "Tên", *HEADERS[at + 1 :]]
    people = [person_row(1), person_row(2)]
    rows = [{**row, "Họ và tên đệm": "Nguyễn Văn", "Tên": given} for row, given in zip(people, ["An", ""], strict=True)]
    imp = run(xlsx_bytes(table(rows, headers)))
    assert (imp.created, imp.refused, imp.ignored_columns) == (1, 1, [])
    assert Person.objects.get().full_name == "Nguyễn Văn An"
    reason = reasons_by_row(imp)[2]
    assert reason.startswith("Dòng 3 của tệp đã gửi, cột “Họ và tên đệm + Tên”:") and "[name_part_missing]" in reason
    values, sheet = report(imp)
    assert [sheet.cell(row=2, column=at + c).fill.fgColor.rgb[-6:] for c in (1, 2, 3)] == ["FFC7CE", "FFC7CE", "000000"]
    fixed = [list(values[0]), list(values[1])]
    fixed[1][at + 1] = "Bình"
    again = run(xlsx_bytes(fixed))
    assert (again.created, again.refused) == (1, 0)
    assert sorted(Person.objects.values_list("full_name", flat=True)) == ["Nguyễn Văn An", "Nguyễn Văn Bình"]


def test_the_report_highlights_the_column_beside_the_name_a_refusal_compares_it_with(run):
    """ "Họ và tên | Tên" that disagree, a value in the column without a header after the name: that column is
    highlighted with the name's (either may be the wrong one; the unlabelled one is the cell to act on); a
    split name's parts that repeat each other are quoted without a stray space for an empty middle name."""
    at = HEADERS.index("Họ và tên")
    headers = [*HEADERS[: at + 1], "Tên", *HEADERS[at + 1 :]]
    imp = run(xlsx_bytes(table([person_row(1, **{"Tên": "BA"}), person_row(2, **{"Tên": "Khác"})], headers)))
    assert (imp.created, imp.refusals) == (1, {"name_part_disagrees": 1})
    _values, sheet = report(imp)
    assert [sheet.cell(row=2, column=at + c).fill.fgColor.rgb[-6:] for c in (1, 2, 3)] == ["FFC7CE"] * 2 + ["000000"]

    cells = table([person_row(n) for n in (3, 4, 5, 6)], [*HEADERS[: at + 1], "", *HEADERS[at + 1 :]])
    cells[2][at + 1] = "Zed"
    imp = run(xlsx_bytes(cells))
    assert imp.refusals == {"name_beside_unlabelled": 1}
    _values, sheet = report(imp)
    assert [sheet.cell(row=2, column=at + c).fill.fgColor.rgb[-6:] for c in (1, 2, 3)] == ["FFC7CE"] * 2 + ["000000"]

    parts = [*HEADERS[:at], "Họ", "Đệm", "Tên", *HEADERS[at + 1 :]]
    imp = run(xlsx_bytes(table([person_row(7, **{"Họ": "Nguyễn Văn An", "Đệm": "", "Tên": "An"})], parts)))
    assert "“Nguyễn Văn An” và “An”" in reasons_by_row(imp)[7]


def test_a_header_on_two_rows_with_merged_titles_is_read_as_one(run):
    """ "Họ và tên" over "Họ đệm | Tên", "Giấy tờ tùy thân" over "Loại | Số", the other headers merged
    down over both rows: each person's whole name and document are read; the report's one header row
    (the pairs named) uploads again."""
    name, kind = HEADERS.index("Họ và tên"), HEADERS.index("Loại giấy tờ")
    top = [*HEADERS[:name], "Họ và tên", None, *HEADERS[name + 1 : kind], "Giấy tờ tùy thân", None]
    top += HEADERS[kind + 2 :]
    top[top.index("Số điện thoại")] = "Số điện thoại (10 số)"  # a digit in a header the run reads in both rows
    sub = [None] * len(top)
    sub[name : name + 2] = ["Họ đệm", "Tên"]
    sub[kind + 1 : kind + 3] = ["Loại", "Số"]
    letter = lambda index: chr(65 + index)  # noqa: E731
    merges = [
        f"{letter(i)}1:{letter(i)}2"
        for i, (upper, lower) in enumerate(zip(top, sub, strict=True))
        if upper and not lower
    ]
    merges += [f"{letter(name)}1:{letter(name + 1)}1", f"{letter(kind + 1)}1:{letter(kind + 2)}1"]
    rows = []
    for n, given in ((1, "An"), (2, "Bình"), (3, "")):
        row = person_row(n)
        values = [row[h] for h in HEADERS]
        rows.append([*values[:name], "Trần Văn", given, *values[name + 1 :]])
    imp = run(xlsx_bytes([top, sub, *rows], merges=tuple(merges)))
    assert (imp.created, imp.refused, imp.ignored_columns) == (2, 1, []), reasons_by_row(imp)
    assert sorted(Person.objects.values_list("full_name", "id_number")) == [
        ("Trần Văn An", person_row(1)["Số giấy tờ"]),
        ("Trần Văn Bình", person_row(2)["Số giấy tờ"]),
    ]
    values, _sheet = report(imp)
    assert values[0][name : name + 2] == ("Họ đệm", "Tên")
    fixed = [list(values[0]), list(values[1])]
    fixed[1][name + 1] = "Chi"
    again = run(xlsx_bytes(fixed))
    assert (again.created, again.refused) == (1, 0)


def _form_bytes(top: list, sub: list, rows: list[list]) -> bytes:
    """A header on two rows merged as forms draw it: a header without sub-headers merged down over both rows,
    a group title merged across its sub-headers (the run reads a merged cell's value in each of its cells)."""
    letter = lambda index: chr(65 + index)  # noqa: E731
    merges = [f"{letter(i)}1:{letter(i)}2" for i, lower in enumerate(sub) if not lower and top[i]]
    for i, title in enumerate(top):
        end = i
        while title and sub[i] and end + 1 < len(top) and top[end + 1] is None and sub[end + 1]:
            end += 1
        if end > i:
            merges.append(f"{letter(i)}1:{letter(end)}1")
    return xlsx_bytes([top, sub, *rows], merges=tuple(merges))


def test_two_addresses_each_with_its_ward_by_name_read_the_ward_of_the_address_read(run, places):
    """ "Địa chỉ thường trú" and "Chỗ ở hiện nay", each over "Số nhà, đường | Phường/xã | Tỉnh/TP", as
    administrative forms have them: the current address is read, with its own ward and province; the home
    one's where the current one is empty. Before, the first ward's column (the home one) was read beside the
    current address."""
    base = [h for h in HEADERS if h not in ("Mã tỉnh", "Mã phường/xã", "Địa chỉ")]
    top = [*base, "Địa chỉ thường trú", None, None, "Chỗ ở hiện nay", None, None]
    sub = [None] * len(base) + ["Số nhà, đường", "Phường/xã", "Tỉnh/TP"] * 2
    rows = []
    for n, home, current in (
        (1, ("1 Lê Lợi", "Phường Trấn Biên", "Đồng Nai"), ("9 Hà Huy Giáp", "Phường Tam Hiệp", "Đồng Nai")),
        (2, ("2 Lê Lợi", "Phường Trấn Biên", "Đồng Nai"), ("", "", "")),
    ):
        row = person_row(n)
        rows.append([row[h] for h in base] + [*home, *current])
    imp = run(_form_bytes(top, sub, rows))
    assert (imp.created, imp.refused) == (2, 0), reasons_by_row(imp)
    found = {p.address_line: p.ward.code for p in Person.objects.all()}
    assert found == {"9 Hà Huy Giáp": "26002", "2 Lê Lợi": "26001"}


def test_an_address_whose_ward_is_empty_takes_no_ward_from_the_other_address(run, places):
    """The same form: a current address whose own ward is empty is not given the home address's ward (the
    person may live elsewhere now); its text names the ward or the person is saved with incomplete data. The
    home address, read where the current one is empty, takes its own ward, not the current one's."""
    base = [h for h in HEADERS if h not in ("Mã tỉnh", "Mã phường/xã", "Địa chỉ")]
    top = [*base, "Chỗ ở hiện nay", None, None, "Địa chỉ thường trú", None, None]
    sub = [None] * len(base) + ["Số nhà, đường", "Phường/xã", "Tỉnh/TP"] * 2
    rows = []
    for n, current, home in (
        (1, ("9 Hà Huy Giáp", "", ""), ("1 Lê Lợi", "Phường Trấn Biên", "Đồng Nai")),
        (2, ("9 Hà Huy Giáp, P. Tam Hiệp, Đồng Nai", "", ""), ("2 Lê Lợi", "Phường Trấn Biên", "Đồng Nai")),
        (3, ("", "Phường Tam Hiệp", "Đồng Nai"), ("3 Lê Lợi", "Phường Trấn Biên", "Đồng Nai")),
        (4, ("", "Phường Tam Hiệp", "Đồng Nai"), ("4 Lê Lợi", "Phường Không Có", "Đồng Nai")),
    ):
        row = person_row(n)
        rows.append([row[h] for h in base] + [*current, *home])
    imp = run(_form_bytes(top, sub, rows))
    assert (imp.created, imp.refused) == (3, 1), reasons_by_row(imp)
    # the home ward refused is the cell marked and the column named, not the current one's beside it
    assert "[ward_unknown]" in reasons_by_row(imp)[4] and "(Địa chỉ thường trú)" in reasons_by_row(imp)[4]
    _values, sheet = report(imp)
    refused = next(r for r in sheet.iter_rows() if r[0].value == 4)
    marked = [c.column - 1 for c in refused if c.fill.fgColor.rgb and c.fill.fgColor.rgb.endswith("FFC7CE")]
    assert marked == [len(base) + 4]
    found = {p.address_line: (p.ward.code if p.ward else None, p.data_status) for p in Person.objects.all()}
    assert found == {
        "9 Hà Huy Giáp": (None, "incomplete"),
        "9 Hà Huy Giáp, P. Tam Hiệp, Đồng Nai": ("26002", "complete"),
        "3 Lê Lợi": ("26001", "complete"),
    }


def test_a_current_address_of_one_column_beside_a_home_address_with_its_ward(run, places):
    """ "Chỗ ở hiện nay" in one column beside "Địa chỉ thường trú" over "Số nhà | Phường/xã | Tỉnh/TP": the
    current address is read with the ward its text names, not the home address's; the home one, with its
    ward, where the current one is empty. Before, the home ward was read beside every current address."""
    base = [h for h in HEADERS if h not in ("Mã tỉnh", "Mã phường/xã", "Địa chỉ")]
    top = [*base, "Chỗ ở hiện nay", "Địa chỉ thường trú", None, None]
    sub = [None] * (len(base) + 1) + ["Số nhà", "Phường/xã", "Tỉnh/TP"]
    rows = []
    for n, current, home in (
        (1, "Tổ 5, Phường Tam Hiệp, Đồng Nai", ("1 Lê Lợi", "Phường Trấn Biên", "Đồng Nai")),
        (2, "Tổ 5, Tam Hiệp", ("2 Lê Lợi", "Phường Trấn Biên", "Đồng Nai")),
        (3, "", ("3 Lê Lợi", "Phường Trấn Biên", "Đồng Nai")),
    ):
        row = person_row(n)
        rows.append([row[h] for h in base] + [current, *home])
    imp = run(_form_bytes(top, sub, rows))
    assert (imp.created, imp.refused) == (3, 0), reasons_by_row(imp)
    found = {p.address_line: p.ward.code if p.ward else None for p in Person.objects.all()}
    assert found == {"Tổ 5, Phường Tam Hiệp, Đồng Nai": "26002", "Tổ 5, Tam Hiệp": None, "3 Lê Lợi": "26001"}


def test_a_row_without_a_ward_takes_the_one_its_address_names_in_its_province(run, places):
    """The template with the ward's code left empty: a ward the address names for sure ("Phường Tam Hiệp",
    with its kind) in the row's province, or in the province the address ends with where the row gives none,
    is read; a name without its kind, or in another province than the row's, is not guessed: the person is
    saved without a ward, as before. A ward's code given is read: an address naming the same ward agrees
    (one naming another is refused: `test_a_ward_beside_an_address_naming_another_ward_of_its_province_is_refused`)."""
    rows = [
        person_row(1, **{"Mã phường/xã": "", "Địa chỉ": "12 Hà Huy Giáp, P. Tam Hiệp"}),
        person_row(2, **{"Mã phường/xã": "", "Mã tỉnh": "", "Địa chỉ": "Tổ 5, Phường Tam Hiệp, tỉnh Đồng Nai"}),
        person_row(3, **{"Mã phường/xã": "", "Địa chỉ": "Tổ 5, Tam Hiệp, Đồng Nai"}),
        person_row(4, **{"Mã phường/xã": "", "Mã tỉnh": "79", "Địa chỉ": "Tổ 5, Phường Tam Hiệp, Đồng Nai"}),
        person_row(5, **{"Mã phường/xã": "26002", "Địa chỉ": "Tổ 5, Phường Tam Hiệp, Đồng Nai"}),
    ]
    ProvinceFactory(code="79", name="Thành phố Hồ Chí Minh")
    imp = run(xlsx_bytes(table(rows)))
    assert (imp.created, imp.refused) == (5, 0), reasons_by_row(imp)
    by_name = {p.full_name: (p.ward and p.ward.code, p.province and p.province.code) for p in Person.objects.all()}
    assert [by_name[person_row(n)["Họ và tên"]] for n in range(1, 6)] == [
        ("26002", "75"),
        ("26002", "75"),
        (None, "75"),
        (None, "79"),
        ("26002", "75"),
    ]


def test_the_sex_marked_with_a_cross_under_nam_or_nu_is_imported(run):
    """The administrative form's "Giới tính" over "Nam | Nữ", a cross in one: each person's sex is read
    (before, every man was refused for "x" and every woman as a sex missing); a row with no cross is
    refused as a sex missing, its cells highlighted."""
    sex = HEADERS.index("Giới tính")
    top = [*HEADERS[: sex + 1], None, *HEADERS[sex + 1 :]]
    sub = [None] * len(top)
    sub[sex : sex + 2] = ["Nam", "Nữ"]
    letter = lambda index: chr(65 + index)  # noqa: E731
    merges = [f"{letter(i)}1:{letter(i)}2" for i, (upper, lower) in enumerate(zip(top, sub, strict=True)) if not lower]
    merges.append(f"{letter(sex)}1:{letter(sex + 1)}1")
    rows = []
    for n, marks in ((1, ("", "x")), (2, ("X", "")), (3, ("", ""))):
        values = [person_row(n)[h] for h in HEADERS]
        rows.append([*values[:sex], *marks, *values[sex + 1 :]])
    imp = run(xlsx_bytes([top, sub, *rows], merges=tuple(merges)))
    assert (imp.created, imp.refused, imp.ignored_columns) == (2, 1, []), reasons_by_row(imp)
    assert dict(Person.objects.values_list("id_number", "sex")) == {
        person_row(1)["Số giấy tờ"]: "F",
        person_row(2)["Số giấy tờ"]: "M",
    }
    assert "[sex_required]" in reasons_by_row(imp)[3]
    values, _sheet = report(imp)  # one header row naming the two columns, which uploads again
    assert values[0][sex : sex + 2] == ("Giới tính (Nam)", "Giới tính (Nữ)")
    fixed = [list(values[0]), list(values[1])]
    fixed[1][sex + 1] = "x"
    again = run(xlsx_bytes(fixed))
    assert (again.created, again.refused) == (1, 0), reasons_by_row(again)
    assert Person.objects.get(id_number=person_row(3)["Số giấy tờ"]).sex == "F"


def test_the_report_of_a_sex_marked_with_a_cross_asks_for_a_cross_in_either_column(run):
    """A row with no cross: the reason names both columns and both are highlighted, and the report offers no
    Nam/Nữ list on "Giới tính (Nam)" (before, its only list and highlight were there, and "Nữ" picked in it
    was a cross under "Nam": a woman registered as a man). A mark that names the other sex is refused."""
    sex = HEADERS.index("Giới tính")
    headers = [*HEADERS[:sex], "Giới tính (Nam)", "Giới tính (Nữ)", *HEADERS[sex + 1 :]]
    passport = {"Loại giấy tờ": "Hộ chiếu"}  # no citizen ID to tell the sex by

    def row(n: int, man: str, woman: str) -> dict:
        return person_row(n, **passport, **{"Số giấy tờ": f"B{n:07d}", "Giới tính (Nam)": man, "Giới tính (Nữ)": woman})

    rows = [row(1, "", "x"), row(2, "", ""), row(3, "Nữ", ""), row(4, "", "Nam"), row(5, "Nam", "")]
    imp = run(xlsx_bytes(table(rows, headers)))
    assert (imp.created, imp.refused, imp.refusals) == (2, 3, {"sex_required": 1, "sex_format": 2})
    reasons = reasons_by_row(imp)
    assert (
        reasons[2].startswith("Dòng 3 của tệp đã gửi, cột “Giới tính (Nam) + Giới tính (Nữ)”:")
        and "[sex_required]" in reasons[2]
    )
    values, sheet = report(imp)
    marked = [sheet.cell(row=2, column=sex + c).fill.fgColor.rgb[-6:] for c in (1, 2)]
    assert marked == ["FFC7CE", "FFC7CE"]
    lists = {str(v.sqref).split(":")[0]: v.formula1 for v in sheet.data_validations.dataValidation}
    assert '"Nam,Nữ"' not in lists.values()
    fixed = [list(v) for v in values]
    fixed[1][sex] = "Nữ"  # the woman's row, "Nữ" typed under "Nam": refused, not read as a man
    fixed[2][sex], fixed[2][sex + 1] = "", "x"
    fixed[3][sex], fixed[3][sex + 1] = "x", ""
    again = run(xlsx_bytes(fixed))
    assert (again.created, again.refused, again.refusals) == (2, 1, {"sex_format": 1})
    assert dict(Person.objects.values_list("id_number", "sex")) == {
        "B0000001": "F",
        "B0000003": "F",
        "B0000004": "M",
        "B0000005": "M",
    }


def _two_row_file(group: int, title: str, subs: list[str], rows: list[list], drop: int = 0) -> bytes:
    """The template's header with the column at `group` (and the `drop` after it) replaced by a title over
    `subs`, merged across them, the other headers merged down over both rows, as forms draw it."""
    top = [*HEADERS[:group], title, *[None] * (len(subs) - 1), *HEADERS[group + 1 + drop :]]
    sub: list = [None] * len(top)
    sub[group : group + len(subs)] = subs
    letter = lambda index: chr(65 + index)  # noqa: E731
    merges = [f"{letter(i)}1:{letter(i)}2" for i, lower in enumerate(sub) if not lower and top[i]]
    merges.append(f"{letter(group)}1:{letter(group + len(subs) - 1)}1")
    return xlsx_bytes([top, sub, *rows], merges=tuple(merges))


def test_a_birth_date_split_over_day_month_and_year_is_imported_and_its_report_uploads_again(run):
    """ "Ngày sinh" over "Ngày | Tháng | Năm" (before, the file was refused whole): each person's date is built
    from the three cells; a part missing, impossible or no number refuses the row naming the date, and the
    report highlights its three columns under one header row ("Ngày sinh (Ngày)" …) that uploads again."""
    dob = HEADERS.index("Ngày sinh")

    def row(n: int, parts: tuple | None = None) -> list:
        values = [person_row(n)[h] for h in HEADERS]
        day, month, year = (int(part) for part in values[dob].split("/"))
        return [*values[:dob], *(parts if parts is not None else (day, month, year)), *values[dob + 1 :]]

    rows = [
        row(1),  # numbers
        row(2, ("03", " 3 ", "1982")),  # text digits, a leading zero, stray spaces
        row(3, (4, "", 1983)),  # the month missing
        row(4, (5, 13, 1984)),  # no month 13
        row(5, (31, 2, 1985)),  # no 31 February
        row(6, (7, 7, 86)),  # a 2-digit year
        row(7, ("tám", 8, 1987)),  # text
        row(8, ("", "", "")),  # no date
    ]
    imp = run(_two_row_file(dob, "Ngày sinh", ["Ngày", "Tháng", "Năm"], rows))
    assert (imp.created, imp.refused, imp.ignored_columns) == (2, 6, []), reasons_by_row(imp)
    assert imp.refusals == {"date_of_birth_format": 5, "date_of_birth_required": 1}
    assert dict(Person.objects.values_list("id_number", "date_of_birth")) == {
        person_row(1)["Số giấy tờ"]: date(1981, 2, 2),
        person_row(2)["Số giấy tờ"]: date(1982, 3, 3),
    }
    reasons = reasons_by_row(imp)
    column = "Ngày sinh (Ngày) + Ngày sinh (Tháng) + Ngày sinh (Năm)"
    assert reasons[3].startswith(f"Dòng 5 của tệp đã gửi, cột “{column}”:") and "[date_of_birth_format]" in reasons[3]
    assert "[date_of_birth_required]" in reasons[8]
    values, sheet = report(imp)
    assert values[0][dob : dob + 3] == ("Ngày sinh (Ngày)", "Ngày sinh (Tháng)", "Ngày sinh (Năm)")
    assert [column_format(sheet, dob + c) for c in (0, 1, 2)] == ["@", "@", "@"]
    for at in range(2, 8):
        marked = [sheet.cell(row=at, column=dob + c).fill.fgColor.rgb[-6:] for c in range(4)]
        assert marked == ["000000", "FFC7CE", "FFC7CE", "FFC7CE"], at
    fixed = [list(v) for v in values]
    for line in fixed[1:]:
        n = int(line[0])
        line[dob : dob + 3] = row(n)[dob : dob + 3]
    fixed[1][dob + 1] = "04"  # typed as text in the report's cell
    again = run(xlsx_bytes(fixed))
    assert (again.created, again.refused) == (6, 0), reasons_by_row(again)
    assert Person.objects.get(id_number=person_row(6)["Số giấy tờ"]).date_of_birth == date(1986, 7, 7)


def test_a_birth_date_typed_under_nam_or_nu_gives_the_sex_and_its_report_uploads_again(run):
    """ "Ngày sinh" over "Nam | Nữ", no "Giới tính" column (before, refused whole): the filled column's value
    is the birth date (a text or a real date) and the sex; both filled is refused naming the date, neither as
    the date missing; the report names the pair in one header row, highlights both, and uploads again."""
    dob = HEADERS.index("Ngày sinh")
    assert HEADERS[dob + 1] == "Giới tính"

    def row(n: int, men: object, women: object) -> list:
        values = [person_row(n)[h] for h in HEADERS]
        return [*values[:dob], men, women, *values[dob + 2 :]]

    born = {n: person_row(n)["Ngày sinh"] for n in range(1, 6)}
    rows = [
        row(1, "", date(1981, 2, 2)),  # a woman (person_row: odd rows), a real date
        row(2, born[2], ""),  # a man, a text date
        row(3, born[3], born[3]),  # both
        row(4, "", ""),  # neither
        row(5, born[5], ""),  # a woman's date under "Nam": her citizen ID says otherwise
    ]
    imp = run(_two_row_file(dob, "Ngày sinh", ["Nam", "Nữ"], rows, drop=1))
    assert (imp.created, imp.refused, imp.ignored_columns) == (2, 3, []), reasons_by_row(imp)
    assert imp.refusals == {
        "date_of_birth_format": 1,
        "date_of_birth_required": 1,
        "sex_required": 2,
        "id_number_sex_mismatch": 1,
    }
    assert dict(Person.objects.values_list("id_number", "sex")) == {
        person_row(1)["Số giấy tờ"]: "F",
        person_row(2)["Số giấy tờ"]: "M",
    }
    reasons = reasons_by_row(imp)
    both = "Ngày sinh (Nam) + Ngày sinh (Nữ)"
    assert reasons[3].startswith(f"Dòng 5 của tệp đã gửi, cột “{both}”:") and "[date_of_birth_format]" in reasons[3]
    values, sheet = report(imp)
    assert values[0][dob : dob + 2] == ("Ngày sinh (Nam)", "Ngày sinh (Nữ)")
    # Both kept as Text, as the template's date column: a date typed in a General one Excel makes a date,
    # month first where it is set to English (United States).
    assert [column_format(sheet, dob + c) for c in (0, 1)] == ["@", "@"]
    for at in (2, 3, 4):
        marked = [sheet.cell(row=at, column=dob + c).fill.fgColor.rgb[-6:] for c in (1, 2)]
        assert marked == ["FFC7CE", "FFC7CE"], at
    lists = {str(v.sqref).split(":")[0]: v.formula1 for v in sheet.data_validations.dataValidation}
    assert '"Nam,Nữ"' not in lists.values()  # no sex list on a date's column
    fixed = [list(v) for v in values]
    fixed[1][dob] = None  # row 3, a woman: her date under "Nữ" only
    fixed[2][dob] = born[4]  # row 4, a man
    fixed[3][dob : dob + 2] = [None, born[5]]  # row 5, moved under "Nữ"
    again = run(xlsx_bytes(fixed))
    assert (again.created, again.refused) == (3, 0), reasons_by_row(again)
    assert {n: Person.objects.get(id_number=person_row(n)["Số giấy tờ"]).sex for n in (3, 4, 5)} == {
        3: "F",
        4: "M",
        5: "F",
    }


def test_a_birth_date_under_nam_or_nu_beside_a_sex_column_is_checked_against_it_in_a_csv(run):
    """The report's one-row pair in a CSV, beside a "Giới tính" column: a sex that names the other one is
    refused (`sex_format`) and the report highlights the sex and the date; a blank sex takes the column's."""
    dob, sex = HEADERS.index("Ngày sinh"), HEADERS.index("Giới tính")
    headers = [*HEADERS[:dob], "Ngày sinh (Nam)", "Ngày sinh (Nữ)", *HEADERS[dob + 1 :]]
    passport = {"Loại giấy tờ": "Hộ chiếu"}  # no citizen ID to tell the sex by

    def row(n: int, given: str, column: str) -> dict:
        return person_row(
            n, **passport, **{"Số giấy tờ": f"B{n:07d}", "Giới tính": given, column: person_row(n)["Ngày sinh"]}
        )

    rows = [row(1, "Nam", "Ngày sinh (Nam)"), row(2, "", "Ngày sinh (Nữ)"), row(3, "Nữ", "Ngày sinh (Nam)")]
    imp = run(csv_bytes(table(rows, headers)), name="roster.csv")
    assert (imp.created, imp.refused, imp.refusals) == (2, 1, {"sex_format": 1}), reasons_by_row(imp)
    assert dict(Person.objects.values_list("id_number", "sex")) == {"B0000001": "M", "B0000002": "F"}
    reasons = reasons_by_row(imp)
    assert reasons[3].startswith("Dòng 4 của tệp đã gửi, cột “Giới tính”:") and "“Ngày sinh (Nam)”" in reasons[3]
    values, sheet = report(imp)
    at = sex + 1  # the sex's column, after the date's two
    marked = [sheet.cell(row=2, column=c + 1).fill.fgColor.rgb[-6:] for c in (dob, dob + 1, at)]
    assert marked == ["FFC7CE", "FFC7CE", "FFC7CE"]
    fixed = [list(v) for v in values]
    fixed[1][at] = "Nam"
    again = run(xlsx_bytes(fixed))
    assert (again.created, again.refused) == (1, 0), reasons_by_row(again)


def test_a_birth_date_split_over_two_header_rows_in_a_csv_is_read(run):
    """A CSV has no merges: the title typed over the first of its columns, the other headers on the first
    row, is the same header."""
    dob = HEADERS.index("Ngày sinh")
    top = [*HEADERS[:dob], "Ngày tháng năm sinh", "", "", *HEADERS[dob + 1 :]]
    sub = [""] * len(top)
    sub[dob : dob + 3] = ["Ngày", "Tháng", "Năm"]
    rows = []
    for n in (1, 2):
        values = [person_row(n)[h] for h in HEADERS]
        rows.append([*values[:dob], *values[dob].split("/"), *values[dob + 1 :]])
    imp = run(csv_bytes([top, sub, *rows]), name="roster.csv")
    assert (imp.created, imp.refused, imp.ignored_columns) == (2, 0, []), reasons_by_row(imp)
    assert sorted(Person.objects.values_list("date_of_birth", flat=True)) == [date(1981, 2, 2), date(1982, 3, 3)]


def test_the_row_under_a_header_with_an_empty_cell_is_read_as_data(run):
    """A header row with an empty cell may be the top of a two-row header: the row under it is read to
    tell, and when it is a person it is imported as any other (the first row is not lost)."""
    headers = [*HEADERS, "", "Ghi chú"]
    rows = [person_row(n, **{"Ghi chú": "x"}) for n in (1, 2, 3)]
    imp = run(xlsx_bytes(table(rows, headers)))
    assert (imp.created, imp.refused, imp.total) == (3, 0, 3)


def test_a_fixed_report_can_be_uploaded_again(run):
    rows = [person_row(1, **{"Số điện thoại": "'+84912000001", "Ngày sinh": "31/02/1990"})]
    first = run(xlsx_bytes(table(rows)))
    assert first.refused == 1
    values, _sheet = report(first)
    fixed = [list(values[0]), list(values[1])]
    fixed[1][2] = person_row(1)["Ngày sinh"]
    second = run(xlsx_bytes(fixed))
    assert (second.created, second.refused, second.ignored_columns) == (1, 0, [])  # "Lý do" is our own column
    assert Person.objects.get().phone == "+84912000001"


def test_a_report_uploaded_again_unfixed_keeps_one_reasons_column_with_the_new_reasons(run):
    """The clerk fixes one row of two and uploads the report again: the next report has the "Lý do" column
    where it stood, with this run's reasons (not a second "Lý do" beside the old one)."""
    rows = [
        person_row(1, **{"Ngày sinh": "31/02/1990"}),
        person_row(2, **{"Số điện thoại": "12345"}),
    ]
    first = run(xlsx_bytes(table(rows)))
    assert first.refused == 2
    values, _sheet = report(first)
    fixed = [list(values[0]), list(values[1]), list(values[2])]
    fixed[1][2] = person_row(1)["Ngày sinh"]
    second = run(xlsx_bytes(fixed))
    assert (second.created, second.refused) == (1, 1)
    again, _sheet = report(second)
    assert list(again[0]) == [*HEADERS, "Lý do"]
    assert len(again) == 2 and "[phone_format]" in again[1][16] and again[1][16].startswith("Dòng 3 của tệp đã gửi,")


def test_a_bracketed_numbering_row_under_a_header_with_unknown_columns_keeps_the_header_s_names(run):
    """ "(1) (2) …" under the header, whose columns the import does not all read: read as sub-headers, it
    named the columns "(1) STT", "(8) SĐT", and the ignored ones "(4)", "(13)" on the result and the report."""
    header = ["STT", "Mã nhân viên", "Họ và tên", "Ghi chú", "Số CCCD", "Ngày sinh", "Giới tính", "SĐT"]
    header += ["Phòng ban", "Mã phường/xã", "Địa chỉ", "Nhóm ưu tiên", "Tuổi", "Chữ ký"]
    row = person_row(1)
    values = [1, "NV01", row["Họ và tên"], "", row["Số giấy tờ"], row["Ngày sinh"], row["Giới tính"], "0123"]
    values += ["Tổ 1", row["Mã phường/xã"], row["Địa chỉ"], "9", 36, ""]
    sheet = [["CÔNG TY TNHH AN BÌNH"], ["DANH SÁCH NHÂN VIÊN"], [], header]
    sheet += [[f"({i})" for i in range(1, len(header) + 1)], values]
    imp = run(xlsx_bytes(sheet))
    assert (imp.refused, imp.refusals, imp.ignored_columns) == (1, {"phone_format": 1}, ["Ghi chú", "Tuổi", "Chữ ký"])
    values_, _sheet = report(imp)
    assert list(values_[0]) == [*header, "Lý do"]


def test_a_report_with_a_notes_column_added_after_its_reasons_is_still_a_report(run):
    """The clerk adds a "Ghi chú" column after "Lý do" to note what they fixed, in the report itself (its
    summary sheet kept): the file is still the report sent back (not a roster whose other staff are "not
    listed"), and the next report has one "Lý do", where it stood, the notes after it. An organization's own
    roster with "Lý do" and "Ghi chú" last is no report."""
    rows = [person_row(1, **{"Ngày sinh": "31/02/1990"}), person_row(2, **{"Số điện thoại": "12345"})]
    first = run(xlsx_bytes(table(rows)))
    with first.error_report.open("rb") as f:
        book = openpyxl.load_workbook(io.BytesIO(f.read()))
    sheet = book.worksheets[0]
    notes = sheet.max_column + 1
    sheet.cell(row=1, column=notes, value="Ghi chú")
    sheet.cell(row=2, column=notes, value="đã sửa ngày sinh")
    sheet.cell(row=2, column=HEADERS.index("Ngày sinh") + 1, value=person_row(1)["Ngày sinh"])
    out = io.BytesIO()
    book.save(out)
    second = run(out.getvalue())
    assert (second.created, second.refused, second.from_report, second.ignored_columns) == (1, 1, True, ["Ghi chú"])
    again, _sheet = report(second)
    assert list(again[0]) == [*HEADERS, "Lý do", "Ghi chú"]
    assert "[phone_format]" in again[1][16] and again[1][17] in ("", None)

    own = [person_row(3, **{"Ghi chú": "x"}), person_row(4, **{"Số điện thoại": "12345", "Lý do": "Hoãn tiêm"})]
    roster = run(xlsx_bytes(table(own, headers=[*HEADERS, "Lý do", "Ghi chú"])))
    assert (roster.from_report, roster.ignored_columns) == (False, ["Ghi chú"])  # "Lý do" is never listed
    reported, _sheet = report(roster)
    assert list(reported[0]) == [*HEADERS, "Lý do", "Ghi chú", "Lý do"] and reported[1][16] == "Hoãn tiêm"


def test_a_column_named_like_the_reasons_before_a_column_the_import_reads_is_the_organization_s():
    from vaxbook.organizations.columns import reasons_position

    assert reasons_position(["Họ và tên", "Lý do", "Ngày sinh"], marked=True) == 3
    assert reasons_position(["Họ và tên", "Lý do", "Ghi chú", ""], marked=True) == 1
    assert reasons_position(["Họ và tên", "Lý do", "Ghi chú", ""]) == 4  # not in a report's workbook
    assert reasons_position(["Họ và tên", "Ngày sinh", "Lý do"]) == 2


def test_a_report_saved_as_csv_uploads_again_whatever_its_reasons_say(run):
    """A report saved as CSV holds each row's reasons in one cell, one a line, with their commas: in a file of
    the required columns only, a second reason's commas looked like a row swallowed by an open quote, and the
    whole file was refused (`csv_quote_unclosed`)."""
    headers = ["Họ và tên", "Ngày sinh", "Giới tính", "Số điện thoại", "Số giấy tờ", "Nhóm ưu tiên", "Mã phường/xã"]
    headers.append("Địa chỉ")
    rows = [person_row(1), person_row(2, **{"Ngày sinh": "31/02/1990", "Số điện thoại": "123"})]
    first = run(xlsx_bytes(table(rows, headers)))
    assert first.refusals == {"date_of_birth_format": 1, "phone_format": 1}
    values, _sheet = report(first)
    for delimiter in (",", ";"):
        sent = run(csv_bytes([list(values[0]), list(values[1])], bom=True, delimiter=delimiter), name="loi.csv")
        assert (sent.status, sent.accepted, sent.refusals) == ("done", 0, first.refusals), sent.problems
    fixed = [list(values[0]), list(values[1])]
    fixed[1][1], fixed[1][3] = person_row(2)["Ngày sinh"], "0912000002"
    again = run(csv_bytes(fixed, bom=True), name="loi.csv")
    assert (again.created, again.refused) == (1, 0)


def test_an_organizations_own_reasons_column_is_its_data_not_the_reports(run):
    """A "Lý do" of the organization's own (why a staff member is listed), not the header's last column, stays in
    the report as sent; the report's reasons go after the row."""
    headers = [*HEADERS[:10], "Lý do", *HEADERS[10:]]
    imp = run(xlsx_bytes(table([person_row(1, **{"Số điện thoại": "12345", "Lý do": "nghỉ sinh"})], headers)))
    values, _sheet = report(imp)
    assert values[0][10] == "Lý do" and values[1][10] == "nghỉ sinh"
    assert values[0][-1] == "Lý do" and "[phone_format]" in values[1][-1]


def test_a_cell_beyond_the_header_is_kept_in_the_report_beside_the_reasons(run):
    """A note typed in a column without a header is not overwritten by the reasons."""
    rows = [[*person_row(1, **{"Số điện thoại": "12345"}).values(), "ghi chú không tiêu đề"]]
    imp = run(xlsx_bytes([HEADERS, rows[0]]))
    from_csv = run(csv_bytes([HEADERS, rows[0]]), name="roster.csv")  # a CSV row longer than its header
    for refused in (imp, from_csv):  # the reasons right after the header, the note moved right of them
        assert refused.refused == 1
        values, _sheet = report(refused)
        assert values[0][16] == "Lý do" and "[phone_format]" in values[1][16]
        assert values[1][17] == "ghi chú không tiêu đề"


def test_a_list_with_a_landline_and_a_mobile_column_reads_the_mobile_then_the_other(run):
    """ "Điện thoại | Di động": a row's mobile is read, its other phone where it has none (before, "Di động"
    was an ignored column and such rows were saved without a phone); a landline alone is refused, the cell
    it was read from highlighted."""
    at = HEADERS.index("Số điện thoại")
    headers = [*HEADERS[:at], "Điện thoại", "Di động", *HEADERS[at + 1 :]]

    def row(n: int, landline: str, mobile: str) -> dict:
        values = person_row(n)
        del values["Số điện thoại"]
        return {**values, "Điện thoại": landline, "Di động": mobile}

    rows = [row(1, "", "0912000001"), row(2, "0912000002", ""), row(3, "02513822222", "0912000003")]
    rows.append(row(4, "02513822222", ""))
    imp = run(xlsx_bytes(table(rows, headers)))
    assert (imp.created, imp.refused, imp.ignored_columns) == (3, 1, [])
    phones = set(Person.objects.values_list("phone", flat=True))
    assert phones == {"+84912000001", "+84912000002", "+84912000003"}
    values, sheet = report(imp)
    assert "[phone_format]" in values[1][-1]
    assert sheet.cell(row=2, column=at + 1).fill.fgColor.rgb.endswith("FFC7CE")  # "Điện thoại", the cell read


def test_a_hidden_row_is_refused_as_such_and_uploads_again_from_the_report(run, org):
    """A row hidden in the sheet (by hand, a filter, a folded group) is not taken silently: refused with
    `row_hidden` (and any other reason it has), shown in the report, which uploads it."""
    rows = [person_row(1), person_row(2), person_row(3), person_row(4, **{"Số điện thoại": "12345"})]
    imp = run(xlsx_bytes(table(rows), hidden=(3,), folded=((5, 5),)))
    assert (imp.created, imp.refused) == (2, 2)
    assert imp.refusals == {"row_hidden": 2, "phone_format": 1}
    reasons = reasons_by_row(imp)
    assert sorted(reasons) == [2, 4]
    assert reasons[2].count("[row_hidden]") == 1 and reasons[2].startswith("Dòng 3 của tệp đã gửi:")
    assert "[phone_format]" in reasons[4] and "[row_hidden]" in reasons[4]
    values, sheet = report(imp)
    assert not any(dimension.hidden for dimension in sheet.row_dimensions.values())
    assert not Person.objects.filter(full_name=person_row(2)["Họ và tên"]).exists()
    again = run(xlsx_bytes([list(values[0]), list(values[1])]))
    assert (again.created, again.refused) == (1, 0)
    assert RosterEntry.objects.filter(organization=org).count() == 3


def test_a_row_struck_through_is_refused_as_such_and_uploads_again_from_the_report(run, org):
    rows = [person_row(1), person_row(2), person_row(3)]
    last = chr(64 + len(HEADERS))
    imp = run(xlsx_bytes(table(rows), struck=tuple(f"{c}3" for c in "ABCDEFGHIJKLMNOP" if c <= last)))
    assert (imp.created, imp.refused, imp.refusals) == (2, 1, {"row_struck": 1})
    reason = reasons_by_row(imp)[2]
    assert reason.startswith("Dòng 3 của tệp đã gửi: ") and "gạch ngang (STT, Họ và tên, Ngày sinh," in reason
    values, sheet = report(imp)
    assert not any(cell.font.strike for cell in sheet[2])
    again = run(xlsx_bytes([list(values[0]), list(values[1])]))
    assert (again.created, again.refused) == (1, 0)
    assert RosterEntry.objects.filter(organization=org).count() == 3
    noted = table([person_row(4, **{"Ghi chú": "đã chuyển phòng"})], [*HEADERS, "Ghi chú"])
    with_note = run(xlsx_bytes(noted, struck=(f"{chr(65 + len(HEADERS))}2",)))  # an old note struck: no matter
    assert (with_note.created, with_note.refused) == (1, 0)


def test_the_report_fixed_in_place_uploads_with_its_summary_sheet_left_alone(run):
    """The clerk opens the report, fixes the cell and saves it: the workbook still holds "Tóm tắt"."""
    first = run(xlsx_bytes(table([person_row(1, **{"Số điện thoại": "0212345678"}), person_row(2)])))
    assert (first.accepted, first.refused, first.refusals) == (1, 1, {"phone_format": 1})
    _values, sheet = report(first)
    sheet.cell(row=2, column=HEADERS.index("Số điện thoại") + 1).value = "0912345678"
    saved = io.BytesIO()
    sheet.parent.save(saved)
    second = run(saved.getvalue(), name="roster-errors.xlsx")
    assert (second.created, second.refused, second.ignored_columns) == (1, 0, [])  # "Lý do" is our own column
    assert not second.error_report


def test_the_report_carries_the_templates_aids_to_fix_a_row_where_it_stands(run):
    """The drop-down lists, the columns' widths, the instructions and the reference lists (an unknown ward
    is looked up in the report's own "Danh mục")."""
    imp = run(xlsx_bytes(table([person_row(1, **{"Mã phường/xã": "99999"}), person_row(2)])))
    assert imp.refused == 1
    _values, sheet = report(imp)
    book = sheet.parent
    assert book.sheetnames == ["Danh sách", "Tóm tắt", "Hướng dẫn", "Danh mục"]
    lists = {str(v.sqref).split(":")[0]: v.formula1 for v in sheet.data_validations.dataValidation}
    sex, group = (openpyxl.utils.get_column_letter(HEADERS.index(h) + 1) for h in ("Giới tính", "Nhóm ưu tiên"))
    assert lists[f"{sex}2"] == '"Nam,Nữ"' and "Danh mục" in lists[f"{group}2"]
    name = openpyxl.utils.get_column_letter(HEADERS.index("Họ và tên") + 1)
    assert sheet.column_dimensions[name].width > 20
    wards = [row[7] for row in book["Danh mục"].iter_rows(min_row=2, values_only=True) if row[7]]
    assert "26001" in wards and "99999" not in wards


# --------------------------------------------------------------------------------------------
# One person once: upsert by document, conflicts, repeats, duplicates
# --------------------------------------------------------------------------------------------


def test_uploading_the_same_file_twice_creates_nobody_the_second_time(run, org):
    content = xlsx_bytes(table([person_row(i) for i in range(1, 6)]))
    first = run(content)
    assert (first.created, first.linked) == (5, 0)
    persons, entries = Person.objects.count(), RosterEntry.objects.count()
    person_events = AuditEvent.objects.filter(subject_type="registry.person").count()
    second = run(content)
    assert (second.created, second.linked, second.updated, second.refused) == (0, 5, 0, 0)
    assert (Person.objects.count(), RosterEntry.objects.count()) == (persons, entries)
    assert AuditEvent.objects.filter(subject_type="registry.person").count() == person_events


def test_a_linked_row_s_other_phone_or_address_is_said_and_the_record_keeps_its_own(run, org, rep, client, api):
    """The clerk changes a phone in the export and uploads it: a file never overwrites a record, and the
    result says which rows gave another value and that the record's was kept (it was dropped silently)."""
    first = run(xlsx_bytes(table([person_row(n) for n in (1, 2, 3)])))
    assert first.values_kept == {}
    rows = [
        person_row(1, **{"Số điện thoại": "0987654321"}),
        person_row(2),
        person_row(3, **{"Số điện thoại": "0987654322", "Địa chỉ": "9 Đường Khác"}),
    ]
    again = run(xlsx_bytes(table(rows)))
    assert (again.linked, again.updated, again.refused) == (3, 0, 0)
    assert again.values_kept == {
        "phone": {"rows": 2, "first_rows": [2, 4]},
        "address_line": {"rows": 1, "first_rows": [4]},
    }
    assert Person.objects.get(id_number=person_row(1)["Số giấy tờ"]).phone == "+84912000001"
    detail = api.as_user(rep).get(f"/api/v1/roster-imports/{again.public_id}").json()
    assert detail["values_kept"]["phone"] == {"rows": 2, "first_rows": [2, 4]}
    client.force_login(rep)
    page = client.get(f"/organizations/imports/{again.public_id}/").content.decode()
    kept = page.split('id="import-values-kept"')[1].split("</div>")[0]
    assert "Điện thoại: 2 dòng (2, 4)" in kept and 'data-field="address_line"' in kept


def test_a_linked_row_of_the_other_sex_is_said_and_the_record_keeps_its_own(run, rep, client):
    """A CMND or a passport number does not hold the sex (a CCCD's does): a row giving the record's number, name
    and birth date with the other sex was linked without a word. It is said as a value kept, the record's sex
    unchanged."""
    cmnd = {"Loại giấy tờ": "CMND", "Số giấy tờ": "079123456", "Giới tính": "Nam"}
    first = run(xlsx_bytes(table([person_row(1, **cmnd)])))
    assert (first.created, first.values_kept) == (1, {})
    again = run(xlsx_bytes(table([person_row(1, **(cmnd | {"Giới tính": "Nữ"}))])))
    assert (again.linked, again.refused, again.values_kept) == (1, 0, {"sex": {"rows": 1, "first_rows": [2]}})
    assert Person.objects.get(id_number="079123456").sex == "M"
    client.force_login(rep)
    page = client.get(f"/organizations/imports/{again.public_id}/").content.decode()
    assert "Giới tính: 1 dòng (2)" in page.split('id="import-values-kept"')[1].split("</div>")[0]


def test_staff_moved_to_another_department_are_counted_as_such(run, org, rep, client, api):
    """A file that moves staff between departments said only "linked": the result now says how many of the
    staff already listed had their department or employee number changed; the same file again changes none."""
    first = run(xlsx_bytes(table([person_row(n) for n in (1, 2, 3)])))
    assert first.roster_changed == 0
    rows = [
        person_row(1, **{"Bộ phận": "Phòng Kinh doanh"}),
        person_row(2),
        person_row(3, **{"Bộ phận": "Xưởng 2"}),
    ]
    moved = run(xlsx_bytes(table(rows)))
    assert (moved.linked, moved.roster_changed) == (3, 2)
    assert set(RosterEntry.objects.values_list("department", flat=True)) == {
        "Phòng Kinh doanh",
        person_row(2)["Bộ phận"],
        "Xưởng 2",
    }
    assert api.as_user(rep).get(f"/api/v1/roster-imports/{moved.public_id}").json()["roster_changed"] == 2
    client.force_login(rep)
    page = client.get(f"/organizations/imports/{moved.public_id}/").content.decode()
    assert 'id="count-roster-changed">2<' in page
    again = run(xlsx_bytes(table(rows)))
    assert (again.linked, again.roster_changed) == (3, 0)
    assert 'id="count-roster-changed"' not in client.get(f"/organizations/imports/{again.public_id}/").content.decode()


def test_a_roster_saved_in_tcvn3_before_the_rule_is_corrected_by_the_converted_file(run, org):
    """Imported before old encodings were refused, then judged again (recheck_persons): the same rows in
    Unicode correct the records (updated), where another name would be a conflict."""
    from vaxbook.registry.identity import search_name
    from vaxbook.registry.services import persons_recheck

    rows = [person_row(1, **{"Họ và tên": "Nguyễn Văn Hùng"}), person_row(2, **{"Địa chỉ": "Số 3 Lê Lợi"})]
    first = run(xlsx_bytes(table(rows)))
    assert first.created == 2
    hung = Person.objects.get(full_name="Nguyễn Văn Hùng")
    Person.objects.filter(pk=hung.pk).update(full_name="NguyÔn V¨n Hïng", search_name=search_name("NguyÔn V¨n Hïng"))
    Person.objects.filter(address_line="Số 3 Lê Lợi").update(address_line="Sè 3 Lª Lîi")
    assert persons_recheck().by_status == {"invalid": 2}

    again = run(xlsx_bytes(table(rows)))
    assert (again.created, again.linked, again.updated, again.refused) == (0, 0, 2, 0)
    assert set(Person.objects.values_list("data_status", flat=True)) == {"complete"}
    assert Person.objects.get(pk=hung.pk).full_name == "Nguyễn Văn Hùng"
    assert Person.objects.filter(address_line="Số 3 Lê Lợi").count() == 1


@pytest.mark.parametrize(
    "saved",
    [
        {"Nguyễn Văn Hùng": "NguyÔn V¨n Hïng", "Trần Thị Mai": "TrÇn ThÞ Mai"},  # TCVN3
        {"Nguyễn Văn Hùng": "Nguyá»…n VÄƒn HÃ¹ng", "Trần Thị Mai": "Tráº§n Thá»‹ Mai"},  # UTF-8 misread
    ],
)
def test_a_record_without_document_saved_in_an_old_encoding_is_found_by_the_converted_file(run, org, rep, saved):
    """Rows without a document find their records by name and birth date: a name saved in TCVN3 or VNI, or
    misread from UTF-8 (before that was refused), is found by its Unicode reading, linked and corrected, not
    created a second time; and a person off the roster with such a name is flagged as the suspected
    duplicate it is."""
    from vaxbook.registry.identity import search_name

    nodoc = {"Loại giấy tờ": "", "Số giấy tờ": ""}
    rows = [
        person_row(1, **{"Họ và tên": "Nguyễn Văn Hùng", **nodoc}),
        person_row(2, **{"Họ và tên": "Trần Thị Mai", **nodoc}),
    ]
    first = run(xlsx_bytes(table(rows)))
    assert first.created == 2
    for unicode_name, typed in saved.items():
        Person.objects.filter(full_name=unicode_name).update(full_name=typed, search_name=search_name(typed))
    RosterEntry.objects.filter(person__full_name=saved["Trần Thị Mai"]).delete()  # off the roster: not linked

    again = run(xlsx_bytes(table(rows)))
    assert (again.created, again.linked + again.updated, again.refused) == (1, 1, 0)
    assert Person.objects.filter(full_name="Nguyễn Văn Hùng").count() == 1  # found, and its name corrected
    assert not Person.objects.filter(full_name=saved["Nguyễn Văn Hùng"]).exists()
    mai = Person.objects.get(full_name="Trần Thị Mai")  # created again, flagged against the old record
    assert mai.suspected_duplicate_of == Person.objects.get(full_name=saved["Trần Thị Mai"])


def test_the_names_people_give_the_cards_are_read_as_their_kind(run):
    """ "CCCD gắn chip", "CMT", "CCCD/CMND": a clerk's words for the document types are read, not refused as
    `id_type_format` (a type naming both cards is told by the number, as an empty one is)."""
    rows = [
        person_row(1, **{"Loại giấy tờ": "CCCD gắn chip"}),
        person_row(2, **{"Loại giấy tờ": "CMT", "Số giấy tờ": "271234567"}),
        person_row(3, **{"Loại giấy tờ": "CCCD/CMND"}),
        person_row(4, **{"Loại giấy tờ": "CCCD/CMND", "Số giấy tờ": "271234568"}),
    ]
    imp = run(xlsx_bytes(table(rows)))
    assert (imp.created, imp.refused) == (4, 0), reasons_by_row(imp)
    kinds = dict(Person.objects.values_list("id_number", "id_type"))
    assert kinds == {
        rows[0]["Số giấy tờ"]: "cccd",
        "271234567": "cmnd",
        rows[2]["Số giấy tờ"]: "cccd",
        "271234568": "cmnd",
    }


def test_a_known_person_is_linked_and_blank_data_filled_never_overwritten(run, org):
    row = person_row(1, **{"Số thẻ BHYT": "0123456789"})
    dob = date(1981, 2, 2)  # person_row(1)'s birth date
    known = PersonFactory(
        full_name=row["Họ và tên"],
        date_of_birth=dob,
        sex="F",
        id_number=row["Số giấy tờ"],
        phone="+84900000001",
        health_insurance_number="",
    )
    imp = run(xlsx_bytes(table([row])))
    assert (imp.created, imp.updated) == (0, 1)
    known.refresh_from_db()
    assert known.health_insurance_number == "0123456789"  # blank filled
    assert known.phone == "+84900000001"  # not overwritten
    assert RosterEntry.objects.filter(organization=org, person=known).exists()


def test_a_document_of_another_person_is_a_conflict_and_nothing_is_overwritten(run):
    row = person_row(1)
    other = PersonFactory(
        full_name="Phạm Thị Khác", date_of_birth=date(1981, 2, 2), sex="F", id_number=row["Số giấy tờ"]
    )
    imp = run(xlsx_bytes(table([row])))
    assert (imp.created, imp.refused) == (0, 1)
    assert "[document_conflict]" in reasons_by_row(imp)[1]
    other.refresh_from_db()
    assert other.full_name == "Phạm Thị Khác"


def test_a_number_repeated_in_the_file_is_accepted_once(run):
    rows = [person_row(1), person_row(2), {**person_row(1), "STT": 3}]
    imp = run(xlsx_bytes(table(rows)))
    assert (imp.created, imp.refused) == (2, 1)
    reason = reasons_by_row(imp)[3]
    assert "[document_repeated]" in reason and "Dòng 2 của cùng tệp đã ghi số giấy tờ này" in reason  # (file row 2)


@override_settings(ROSTER_IMPORT_CHUNK_ROWS=2)
def test_a_repeat_in_a_later_chunk_is_refused_too_and_fills_nothing(run):
    first = person_row(1)
    again = {**first, "STT": 4, "Số thẻ BHYT": "0123456789"}  # would fill a blank: refused, not applied
    same = {**first, "STT": 5}
    imp = run(xlsx_bytes(table([first, person_row(2), person_row(3), again, same])))
    assert (imp.created, imp.linked, imp.updated, imp.refused) == (3, 0, 0, 2)
    reasons = reasons_by_row(imp)
    assert "[document_repeated]" in reasons[4] and "[document_repeated]" in reasons[5]
    assert all("Dòng 2 của cùng tệp đã ghi" in reasons[n] for n in (4, 5))  # the row, across chunks too
    assert Person.objects.get(id_number=first["Số giấy tờ"]).health_insurance_number == ""


@pytest.mark.parametrize("chunk_rows", [5000, 2])
def test_a_number_first_sent_as_a_conflict_is_a_repeat_after_it_in_any_chunk(run, chunk_rows):
    """Row 1 sends a record's number under another name (a conflict for review), row 4 the same number under
    the record's own: a repeat of row 1, wherever the chunks end (one file, one outcome)."""
    first = person_row(4)
    PersonFactory(full_name=first["Họ và tên"], date_of_birth=date(1984, 5, 5), sex="M", id_number=first["Số giấy tờ"])
    rows = [{**first, "STT": 1, "Họ và tên": "Phạm Văn Khác"}, person_row(2), person_row(3), first]
    with override_settings(ROSTER_IMPORT_CHUNK_ROWS=chunk_rows):
        imp = run(xlsx_bytes(table(rows)))
    assert (imp.created, imp.linked, imp.updated, imp.refused) == (2, 0, 0, 2)
    reasons = reasons_by_row(imp)
    assert "[document_conflict]" in reasons[1] and "[document_repeated]" in reasons[4]
    # not "only the first row is used": that row was refused, and is named
    assert "Dòng 2 của cùng tệp cũng ghi số giấy tờ này và đã được gửi đi xem xét" in reasons[4]


@pytest.mark.parametrize("document_first", [True, False])
def test_a_roster_person_listed_twice_with_and_without_a_document_is_taken_by_the_first_row(
    run, rep, org, document_first
):
    """A staff member on the roster, listed twice: once with the document, once without it (the same name,
    birth date and phone). The first row links the record; the later one is refused as `person_repeated`,
    never a second link from a stale copy nor a second person."""
    row = person_row(1)
    person = roster_person_register(
        actor=rep,
        organization=org,
        data=PersonInput(
            full_name=row["Họ và tên"],
            date_of_birth=date(1981, 2, 2),
            sex="F",
            phone=row["Số điện thoại"],
            id_type="cccd",
            id_number=row["Số giấy tờ"],
            priority_group="9",
            address_line="1 Lê Lợi",
        ),
    )
    assert person.data_status == "incomplete"  # no ward
    with_document = {**row, "STT": 1, "Mã phường/xã": "26001", "Địa chỉ": ""}
    without = {**row, "STT": 2, "Loại giấy tờ": "", "Số giấy tờ": "", "Mã phường/xã": "", "Số thẻ BHYT": "0123456789"}
    rows = [with_document, without] if document_first else [{**without, "STT": 1}, {**with_document, "STT": 2}]
    imp = run(xlsx_bytes(table(rows)))
    assert (imp.created, imp.linked + imp.updated, imp.refused) == (0, 1, 1)
    assert Person.objects.count() == 1
    assert "[person_repeated]" in reasons_by_row(imp)[2]
    person.refresh_from_db()
    filled = (person.ward is not None, person.health_insurance_number != "")
    assert filled == ((True, False) if document_first else (False, True))
    assert person.data_status == ("complete" if document_first else "incomplete")
    assert person.version == 2


def test_rows_without_a_document_follow_the_suspected_duplicate_rule(run):
    twin = {
        "Loại giấy tờ": "",
        "Số giấy tờ": "",
        "Họ và tên": "Đỗ Văn Tư",
        "Ngày sinh": "01/01/1990",
        "Giới tính": "Nam",
        "Số điện thoại": "0912999999",
    }
    imp = run(xlsx_bytes(table([person_row(1, **twin), person_row(2, **twin)])))
    assert (imp.created, imp.refused) == (2, 0)
    first, second = Person.objects.filter(search_name="do van tu").order_by("pk")
    assert second.suspected_duplicate_of == first
    assert first.data_status == "incomplete"  # no document: saved, and the data shows it


def test_id_numbers_typed_as_numbers_get_all_their_leading_zeros_back(run):
    dob = date(1990, 5, 5)
    hanoi = cccd_for(dob, "M", 123, province="001")  # as a number: two zeros lost
    rows = [
        person_row(1, **{"Số giấy tờ": int(hanoi), "Ngày sinh": "05/05/1990", "Giới tính": "Nam"}),
        person_row(
            2,
            **{
                "Số giấy tờ": int(cccd_for(dob, "M", 124, province="008")),
                "Loại giấy tờ": "",
                "Ngày sinh": "05/05/1990",
                "Giới tính": "Nam",
            },
        ),
        person_row(3, **{"Số giấy tờ": 12345678, "Loại giấy tờ": "", "Ngày sinh": "05/05/1990", "Giới tính": "Nam"}),
    ]
    imp = run(xlsx_bytes(table(rows)))
    assert (imp.created, imp.refused) == (3, 0)
    assert sorted(Person.objects.values_list("id_type", "id_number")) == [
        ("cccd", "001090000123"),
        ("cccd", "008090000124"),
        ("cmnd", "012345678"),
    ]


def test_a_twelve_digit_number_repeated_as_cmnd_is_the_same_document(run):
    rows = [person_row(1), {**person_row(1), "STT": 2, "Loại giấy tờ": "CMND"}]
    imp = run(xlsx_bytes(table(rows)))
    assert (imp.created, imp.refused) == (1, 1)
    assert "[document_repeated]" in reasons_by_row(imp)[2]
    assert Person.objects.count() == 1


@override_settings(ROSTER_IMPORT_CHUNK_ROWS=2)
def test_a_twelve_digit_number_repeated_as_cmnd_in_a_later_chunk_or_upload_is_the_same_document(run):
    rows = [person_row(1), person_row(2), {**person_row(1), "STT": 3, "Loại giấy tờ": "CMND"}]
    imp = run(xlsx_bytes(table(rows)))
    assert (imp.created, imp.refused) == (2, 1)
    assert "[document_repeated]" in reasons_by_row(imp)[3]
    again = run(xlsx_bytes(table([{**person_row(1), "Loại giấy tờ": "CMND"}])))
    assert (again.created, again.linked) == (0, 1)
    assert Person.objects.count() == 2


@override_settings(ROSTER_IMPORT_CHUNK_ROWS=2)
def test_uploading_the_same_file_twice_without_documents_creates_nobody(run, org, rep):
    nodoc = {"Loại giấy tờ": "", "Số giấy tờ": ""}
    twin = {**nodoc, "Họ và tên": "Đỗ Văn Tư", "Ngày sinh": "01/01/1990", "Giới tính": "Nam"}
    rows = [
        person_row(1, **nodoc),
        person_row(2, **nodoc, **{"Số điện thoại": ""}),
        person_row(3, **twin, **{"Số điện thoại": "0912999999"}),
        person_row(4, **twin, **{"Số điện thoại": "0912999999"}),  # a twin: created and flagged
        person_row(5),
    ]
    content = xlsx_bytes(table(rows))
    first = run(content)
    assert (first.created, first.linked) == (5, 0)
    persons, entries = Person.objects.count(), RosterEntry.objects.count()
    second = run(content)
    assert (second.created, second.linked, second.updated, second.refused) == (0, 5, 0, 0)
    assert (Person.objects.count(), RosterEntry.objects.count()) == (persons, entries)
    # a phone added later (the roster's record had none) links too, and fills the blank
    third = run(xlsx_bytes(table([person_row(2, **nodoc, **{"Số điện thoại": "0912000777"})])))
    assert (third.created, third.updated) == (0, 1)
    assert Person.objects.filter(phone="+84912000777").count() == 1
    # another phone on both sides is another person: created, and not a suspected duplicate
    fourth = run(xlsx_bytes(table([person_row(1, **nodoc, **{"Số điện thoại": "0912000888"})])))
    assert (fourth.created, fourth.linked) == (1, 0)


def test_a_row_without_document_links_to_a_roster_person_who_has_one_and_a_row_with_it_after_is_a_repeat(run):
    """The person listed twice: the row without the document takes the record first; the row with the document
    after it is refused as `person_repeated` (one row per person, as one row per document), naming the row."""
    run(xlsx_bytes(table([person_row(1)])))
    rows = [person_row(1, **{"STT": 2, "Loại giấy tờ": "", "Số giấy tờ": ""}), {**person_row(1), "STT": 3}]
    imp = run(xlsx_bytes(table(rows)))
    assert (imp.created, imp.linked, imp.refused) == (0, 1, 1)
    assert "(dòng 2)" in reasons_by_row(imp)[3] and "[person_repeated]" in reasons_by_row(imp)[3]
    assert Person.objects.count() == 1


def test_a_person_without_document_off_this_roster_is_created_and_flagged(run, org):
    nodoc = {"Loại giấy tờ": "", "Số giấy tờ": ""}
    row = person_row(1, **nodoc)
    elsewhere = PersonFactory(
        full_name=row["Họ và tên"],
        date_of_birth=date(1981, 2, 2),
        sex="F",
        phone="+84912000001",
        id_type="none",
        id_number="",
    )
    imp = run(xlsx_bytes(table([row])))
    assert (imp.created, imp.linked) == (1, 0)
    assert Person.objects.exclude(pk=elsewhere.pk).get().suspected_duplicate_of == elsewhere


def _workbook_bytes(book: openpyxl.Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_the_sheet_with_the_roster_is_read_not_the_first(run):
    book = openpyxl.Workbook()
    hidden = book.active
    hidden.title = "Cũ"
    for values in table([person_row(5)]):
        hidden.append(values)
    hidden.sheet_state = "hidden"
    guide = book.create_sheet("Ghi chú")
    guide.append(["Hướng dẫn điền danh sách"])
    for header in HEADERS:
        guide.append([header, "giải thích"])
    data = book.create_sheet("Nhân viên")
    for values in table([person_row(1), person_row(2)]):
        data.append(values)
    book.active = 2
    imp = run(_workbook_bytes(book))
    assert (imp.status, imp.created) == ("done", 2)
    assert sorted(Person.objects.values_list("full_name", flat=True)) == [
        person_row(1)["Họ và tên"],
        person_row(2)["Họ và tên"],
    ]


@pytest.mark.parametrize("numbered", [False, True])
@pytest.mark.parametrize("template_first", [True, False])
def test_the_templates_tab_left_blank_gives_way_to_the_filled_copy_beside_it(run, numbered, template_first):
    """The template's "Danh sách" left blank (or numbered down 1 … 29) beside a filled copy "Danh sách (2)":
    the copy is read (before, the file was refused as empty)."""
    book = openpyxl.Workbook()
    blank = book.active
    blank.title = "Danh sách"
    blank.append(HEADERS)
    for n in range(1, 30 if numbered else 0):
        blank.append([n])
    filled = book.create_sheet("Danh sách (2)", index=1 if template_first else 0)
    for values in table([person_row(1), person_row(2)]):
        filled.append(values)
    imp = run(_workbook_bytes(book))
    assert (imp.status, imp.created, imp.refused) == ("done", 2, 0)


def test_a_quote_in_the_file_s_name_as_browsers_send_it_is_a_quote(run):
    """Browsers encode a quote in a multipart file name as %22, which Django keeps: the import was named so."""
    imp = run(xlsx_bytes(table([person_row(1)])), name="Danh sách %22mới%22.xlsx")
    assert imp.original_name == 'Danh sách "mới".xlsx'


@pytest.mark.parametrize("second", ["Phòng Kỹ thuật", "Danh sách (2)"])
def test_other_sheets_that_list_staff_are_said_not_dropped(run, second):
    """A tab per department, or the template's tab and a filled copy of it: one sheet is read, as before, and
    the others that list staff are named on the import with their rows (their staff were dropped unsaid). A
    hidden sheet, a guide and a blank copy of the header are not."""
    book = openpyxl.Workbook()
    first = book.active
    first.title = "Danh sách" if second == "Danh sách (2)" else "Phòng Kế toán"
    for values in table([person_row(1), person_row(2)]):
        first.append(values)
    other = book.create_sheet(second)
    for values in table([person_row(3), person_row(4), person_row(5)]):
        other.append(values)
    book.create_sheet("Ghi chú").append(["Hướng dẫn"])
    book.create_sheet("Trống").append(HEADERS)
    hidden = book.create_sheet("Cũ")
    for values in table([person_row(6)]):
        hidden.append(values)
    hidden.sheet_state = "hidden"
    imp = run(_workbook_bytes(book))
    assert (imp.status, imp.created, imp.total) == ("done", 2, 2)
    assert (imp.sheet_name, imp.sheets_not_read) == (first.title, [{"sheet": second, "rows": 3}])
    started = AuditEvent.objects.get(action="organizations.roster_import.started")
    assert started.data["sheets_not_read"] == [{"sheet": second, "rows": 3}]


def test_a_workbook_with_one_roster_sheet_says_no_other(run):
    imp = run(xlsx_bytes(table([person_row(1)])))
    assert imp.sheet_name and imp.sheets_not_read == []
    assert run(csv_bytes(table([person_row(2)])), name="roster.csv").sheet_name == ""


def test_a_roster_whose_only_matching_tab_is_blank_is_refused_as_empty(rep, org, places):
    book = openpyxl.Workbook()
    book.active.title = "Danh sách"
    book.active.append(HEADERS)
    book.create_sheet("Ghi chú").append(["Hướng dẫn"])
    refusal = _refused_and_nothing_written(rep, org, _workbook_bytes(book))
    assert refusal.codes == ["file_empty"]


def test_the_template_is_read_by_its_data_sheet_whatever_the_order_of_the_tabs(run, rep, org):
    from vaxbook.organizations import selectors

    book = openpyxl.load_workbook(io.BytesIO(selectors.roster_template(user=rep, organization=org)))
    for values in table([person_row(1), person_row(2)])[1:]:
        book["Danh sách"].append(values)
    book.move_sheet("Hướng dẫn", offset=-1)
    book.move_sheet("Danh mục", offset=-2)
    assert book.sheetnames[-1] == "Danh sách"
    imp = run(_workbook_bytes(book))
    assert (imp.status, imp.created) == ("done", 2)


def test_a_workbook_whose_sheets_have_no_roster_header_is_refused(rep, org, places):
    book = openpyxl.Workbook()
    book.active.append(["Hướng dẫn"])
    other = book.create_sheet("B")
    other.append(["Họ và tên", "Ngày sinh"])
    other.append(["Nguyễn Văn A", "01/01/1990"])
    with pytest.raises(DomainError) as caught:
        roster_import_start(actor=rep, organization=org, upload=upload(_workbook_bytes(book)))
    assert caught.value.codes == ["header_missing"]


# --------------------------------------------------------------------------------------------
# Unreadable files, failures, progress
# --------------------------------------------------------------------------------------------


def test_an_unreadable_file_is_refused_at_once_and_nothing_is_written(rep, org, places, tmp_path):
    with pytest.raises(DomainError) as caught:
        roster_import_start(actor=rep, organization=org, upload=upload(b"\x00\x01garbage", "roster.xlsx"))
    assert caught.value.codes == ["file_type_unsupported"]
    assert not RosterImport.objects.exists()
    assert not list((tmp_path / "media").rglob("*.*"))


def test_an_empty_sheet_and_a_header_without_rows_are_empty(rep, org, places):
    for content in (xlsx_bytes([]), xlsx_bytes([HEADERS])):
        with pytest.raises(DomainError) as caught:
            roster_import_start(actor=rep, organization=org, upload=upload(content))
        assert caught.value.codes == ["file_empty"]


def test_rows_numbered_ahead_of_their_data_hold_no_one(run):
    """Clerks number the STT column down the sheet before filling the rows: a row that holds nothing but
    its number is neither counted nor refused (it was refused as a person without a name, a birth date
    and a sex, row after row); a row with its number and anything else is a row."""
    width = len(HEADERS)
    cells = table([person_row(1), person_row(2)])
    cells += [[n] + [""] * (width - 1) for n in range(3, 9)]
    cells.append([9, "", "", "", "0912000009"] + [""] * (width - 5))  # begun, not finished
    cells += [[n] + [""] * (width - 1) for n in range(10, 30)]
    imp = run(xlsx_bytes(cells))
    assert (imp.total, imp.accepted, imp.refused) == (3, 2, 1)
    assert set(reasons_by_row(imp)) == {9}


def test_a_column_the_import_does_not_read_makes_no_row(run):
    """A formula dragged down a column of the clerk's own (Tuổi), with or without its result, or a note,
    on rows nobody filled yet: not rows (they were refused as persons without a name, birth date, sex)."""
    headers = [*HEADERS, "Tuổi", "Ghi chú"]
    cells = table([person_row(1), person_row(2)], headers)
    width = len(HEADERS)
    for n in range(3, 9):
        cells.append([n] + [""] * (width - 1) + [f"=YEAR(TODAY())-YEAR(C{n + 1})", "chưa có" if n == 5 else ""])
    cells.append([9, "", "", "", "0912000009"] + [""] * (width - 5) + ["=1", ""])  # begun, not finished
    for content in (xlsx_bytes(cells, engine="openpyxl"), xlsx_bytes(cells)):  # the formula, or its text
        imp = run(content)
        assert (imp.total, imp.accepted, imp.refused) == (3, 2, 1), reasons_by_row(imp)
        assert set(reasons_by_row(imp)) == {9}
        assert imp.ignored_columns == ["Tuổi", "Ghi chú"]


def test_a_sheet_numbered_down_with_no_one_in_it_is_empty(rep, org, places):
    width = len(HEADERS)
    for content, name in (
        (xlsx_bytes([HEADERS] + [[n] + [""] * (width - 1) for n in range(1, 40)]), "roster.xlsx"),
        (csv_bytes([HEADERS] + [[n] + [""] * (width - 1) for n in range(1, 40)]), "roster.csv"),
    ):
        assert _refused_and_nothing_written(rep, org, content, name).codes == ["file_empty"]


def _refused_and_nothing_written(rep, org, content: bytes, name: str = "roster.xlsx") -> DomainError:
    with pytest.raises(DomainError) as caught:
        roster_import_start(actor=rep, organization=org, upload=upload(content, name))
    assert not RosterImport.objects.exists()
    assert not Person.objects.exists()
    return caught.value


def test_a_csv_quote_left_open_refuses_the_file_naming_the_row(rep, org, places):
    lines = [",".join(HEADERS)]
    for i in range(1, 7):
        values = [str(person_row(i)[h]) for h in HEADERS]
        if i == 2:
            values[-1] = '"Tổ 5 phường X'  # opens a quote that never closes: rows 4-7 would run into its cell
        if i == 5:
            values[-1] = 'Nhà "B" số 3'
        lines.append(",".join(values))
    refusal = _refused_and_nothing_written(rep, org, ("\n".join(lines) + "\n").encode(), "roster.csv")
    assert refusal.codes == ["csv_quote_unclosed"]
    assert refusal.errors[0].field == "file"
    assert "3" in str(refusal.errors[0].message)


@override_settings(ROSTER_IMPORT_CHUNK_ROWS=5)
def test_a_csv_cell_over_the_csv_limit_refuses_the_file_before_anything_is_written(rep, org, places):
    rows = [person_row(100 + i) for i in range(12)] + [person_row(999, **{"Địa chỉ": "x" * 140_000})]
    refusal = _refused_and_nothing_written(rep, org, csv_bytes(table(rows)), "roster.csv")
    assert refusal.codes == ["csv_cell_too_long"]


def test_a_csv_row_wider_than_a_sheet_refuses_the_file_before_anything_is_written(rep, org, places):
    """The error report is a sheet: a row of more than 16,384 cells could not be reported whole (its reasons
    were cut off)."""
    rows = table([person_row(1), person_row(2, **{"Số điện thoại": "123"})])
    rows[2] = rows[2] + [""] * (16_384 - len(rows[2]) - 1) + ["x"]  # exactly 16,384 cells: none left for the reasons
    refusal = _refused_and_nothing_written(rep, org, csv_bytes(rows), "roster.csv")
    assert refusal.codes == ["too_many_columns"]
    assert "Dòng 3" in str(refusal.errors[0].message) and "16383" in str(refusal.errors[0].message)


@pytest.mark.parametrize("name", ["roster.xlsx", "roster.csv"])
def test_a_header_filling_every_column_of_a_sheet_refuses_the_file(rep, org, places, name):
    headers = HEADERS + [f"Cột {i}" for i in range(16_384 - len(HEADERS))]
    build = csv_bytes if name.endswith(".csv") else xlsx_bytes
    refusal = _refused_and_nothing_written(rep, org, build(table([person_row(1)], headers)), name)
    assert refusal.codes == ["too_many_columns"]


def test_a_stray_value_far_off_in_the_sheet_neither_breaks_the_upload_nor_is_lost(run):
    """Values typed in the sheet's last column (XFD3, beside a refused row) and its last cell (XFD1048576):
    the file imports (before, the reading allocated a grid of the whole sheet and aborted the process, and
    the header, as wide as its slice, refused the file as `too_many_columns`). The refused row's far value
    cannot move right of the reasons: the report keeps it with them."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet("Danh sách")
    for r, row in enumerate(table([person_row(1), person_row(2, **{"Số điện thoại": "123"})])):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    sheet.write_string(2, 16_383, "ghi chú")
    sheet.write_string(1_048_575, 16_383, "x")
    book.close()
    imp = run(out.getvalue())
    assert (imp.status, imp.created, imp.refused, imp.total) == ("done", 1, 1, 2)
    reasons = reasons_by_row(imp)[2]
    assert "[phone_format]" in reasons and "XFD: ghi chú" in reasons


def test_a_birth_date_exported_with_its_midnight_is_read_and_another_time_refused(run):
    """A CSV exported from a database or a script writes a date column as date and time at midnight."""
    rows = [  # person_row(n) was born on day n + 1 of month n + 1 of 1980 + n
        person_row(1, **{"Ngày sinh": "02/02/1981 00:00:00"}),
        person_row(2, **{"Ngày sinh": "1982-03-03 00:00:00"}),
        person_row(3, **{"Ngày sinh": "03/04/1983 17:00:00"}),  # a time zone's shift: not guessed
    ]
    imp = run(csv_bytes(table(rows)), "roster.csv")
    assert (imp.created, imp.refused) == (2, 1), reasons_by_row(imp)
    assert "date_of_birth_format" in reasons_by_row(imp)[3]
    assert Person.objects.filter(date_of_birth=date(1981, 2, 2)).exists()


def test_a_date_and_time_cell_with_a_time_of_day_is_refused_not_cut_to_the_day_shown(run):
    """A system's export in UTC: 25/12/1985 at midnight in Vietnam is 24/12/1985 17:00, shown 24/12/1985."""
    rows = [
        person_row(1, **{"Ngày sinh": datetime(1981, 2, 2, 0, 0)}),
        person_row(2, **{"Ngày sinh": datetime(1982, 3, 2, 17, 0)}),
    ]
    imp = run(xlsx_bytes(table(rows)))
    assert (imp.created, imp.refused) == (1, 1)
    assert "date_of_birth_format" in reasons_by_row(imp)[2]  # by its STT


def test_dates_read_month_first_by_an_english_excel_refuse_the_file_before_anything_is_written(rep, org, places):
    """Excel set to English (United States), a General column: 01/02/1990 typed becomes 2 January (a real
    date), 25/12/1985 typed stays text. No date of such a column can be trusted."""
    rows = [
        person_row(1, **{"Ngày sinh": date(1981, 2, 2)}),  # typed 02/02/1981: the same either way
        person_row(2, **{"Ngày sinh": "25/12/1985", "Số giấy tờ": cccd_for(date(1985, 12, 25), "M", 2)}),
        person_row(3, **{"Ngày sinh": date(1983, 1, 4)}),  # typed 04/01/1983 (4 January), read 1 April
    ]
    error = _refused_and_nothing_written(rep, org, xlsx_bytes(table(rows)))
    assert [e.code for e in error.errors] == ["dates_month_first"]
    message = str(error.errors[0].message)
    assert "25/12/1985" in message and "3" in message


def test_a_real_date_pasted_among_text_dates_typed_day_first_is_no_month_first_reading(run):
    """Text dates typed day first, 02/01/1978 among them (Excel reading month first would have made it a
    real date), and one row pasted from another file with a real date: the column was not read month first."""
    rows = [
        person_row(1, **{"Ngày sinh": "25/12/1990", "Số giấy tờ": cccd_for(date(1990, 12, 25), "F", 1)}),
        person_row(2, **{"Ngày sinh": "02/01/1978", "Số giấy tờ": cccd_for(date(1978, 1, 2), "M", 2)}),
        person_row(3, **{"Ngày sinh": date(1990, 3, 5), "Số giấy tờ": cccd_for(date(1990, 3, 5), "F", 3)}),
    ]
    imp = run(xlsx_bytes(table(rows)))
    assert (imp.created, imp.refused) == (3, 0), reasons_by_row(imp)
    assert Person.objects.filter(date_of_birth=date(1978, 1, 2)).exists()
    assert Person.objects.filter(date_of_birth=date(1990, 3, 5)).exists()


def test_a_name_in_two_columns_under_one_header_refuses_the_file_before_anything_is_written(rep, org, places):
    """ "Họ và tên" merged over two columns, "Nguyễn Văn" | "An" under it: read alone, the first column would
    register the person without a given name. The file is refused saying how to name the columns."""
    at = HEADERS.index("Họ và tên")
    headers = [*HEADERS[: at + 1], "", *HEADERS[at + 1 :]]
    rows = [{**person_row(n), "Họ và tên": "Nguyễn Văn", "": given} for n, given in ((1, ""), (2, "Bình"), (3, "An"))]
    error = _refused_and_nothing_written(rep, org, xlsx_bytes(table(rows, headers), merges=("B1:C1",)))
    assert [e.code for e in error.errors] == ["name_split"]
    with translation.override("vi"):
        message = str(error.errors[0].message)
    assert "(cột C)" in message and "“Bình”" in message and "dòng 3" in message and "“Họ đệm” và “Tên”" in message
    # most persons' rows hold a value there (a signature under the table is no person's row)


def test_a_column_without_header_beside_the_name_holding_nothing_is_no_part_of_it(run):
    """ "Họ và tên" merged over two columns only to be wide: the second holds nothing, the file imports."""
    at = HEADERS.index("Họ và tên")
    headers = [*HEADERS[: at + 1], "", *HEADERS[at + 1 :]]
    imp = run(xlsx_bytes(table([person_row(1), person_row(2)], headers), merges=("B1:C1",)))
    assert (imp.created, imp.refused) == (2, 0)


def test_a_given_name_column_the_whole_name_does_not_end_with_refuses_the_file_or_the_row(rep, org, run):
    """Họ và tên | Tên: a sort column, each name ending with it; or the name split over the two columns
    ("Trần Văn" | "An"), most rows disagreeing: the file is refused at once. A row that disagrees in a
    file that agrees is refused alone."""
    headers = [*HEADERS, "Tên"]
    split = [{**person_row(n), "Họ và tên": "Trần Văn", "Tên": given} for n, given in ((1, "An"), (2, "Bình"))]
    error = _refused_and_nothing_written(rep, org, xlsx_bytes(table(split, headers)))
    assert [e.code for e in error.errors] == ["name_split"]
    with translation.override("vi"):
        assert "“An” bên cạnh “Trần Văn” ở dòng 2" in str(error.errors[0].message), str(error.errors[0].message)
    rows = [{**person_row(n), "Tên": person_row(n)["Họ và tên"].split()[-1]} for n in (1, 2)]
    rows.append({**person_row(3), "Tên": "Khác"})
    imp = run(xlsx_bytes(table(rows, headers)))
    assert (imp.created, imp.refused, imp.ignored_columns) == (2, 1, [])
    assert "[name_part_disagrees]" in reasons_by_row(imp)[3]


def test_a_signature_under_a_name_header_merged_wide_is_no_part_of_the_name(run):
    """Họ và tên merged over two columns to be wide, names in the first; the signers' block under the
    table has text in the second: the footer, not a split name."""
    at = HEADERS.index("Họ và tên")
    headers = [*HEADERS[: at + 1], "", *HEADERS[at + 1 :]]
    cells = table([person_row(1), person_row(2)], headers)
    department = headers.index("Bộ phận")
    for signer, head in (("NGƯỜI LẬP BIỂU", "THỦ TRƯỞNG ĐƠN VỊ"), ("Nguyễn Thị Hoa", "Lê Văn Tâm")):
        cells.append([None] * len(headers))
        cells[-1][at + 1], cells[-1][department] = signer, head
    imp = run(xlsx_bytes(cells, merges=("B1:C1",)))
    assert (imp.created, imp.refused, imp.footer_rows) == (2, 0, [4, 5])


def test_a_value_beside_the_name_under_no_header_in_a_few_rows_refuses_those_rows(run):
    """Most rows leave the column after the name empty (a header merged wide): the file imports, and a
    person's row with a value there is refused saying so, not read without it."""
    at = HEADERS.index("Họ và tên")
    headers = [*HEADERS[: at + 1], "", *HEADERS[at + 1 :]]
    rows = [person_row(1), person_row(2), {**person_row(3), "Họ và tên": "Trần Văn", "": "An"}]
    imp = run(xlsx_bytes(table(rows, headers), merges=("B1:C1",)))
    assert (imp.created, imp.refused) == (2, 1)
    assert "[name_beside_unlabelled]" in reasons_by_row(imp)[3] and "“An”" in reasons_by_row(imp)[3]


def test_text_dates_written_month_first_refuse_the_file(rep, org, places):
    """A CSV from a system set to English: 2/20/1981 (no month 20) and 3/5/1982, none day first: read day
    first, 3/5/1982 would be saved as 3 May, silently. The file is refused; one day-first date clears it."""
    dates = ["2/20/1981", "3/5/1982", "4/25/1983", "5/3/1984"]
    rows = [person_row(n, **{"Ngày sinh": d}) for n, d in enumerate(dates, start=1)]
    error = _refused_and_nothing_written(rep, org, csv_bytes(table(rows)), "roster.csv")
    assert [e.code for e in error.errors] == ["dates_month_first"]
    with translation.override("vi"):
        assert "2/20/1981" in str(error.errors[0].message) and "2, 4" in str(error.errors[0].message)


def test_a_sort_column_without_a_header_beside_the_name_is_no_part_of_it(run):
    """ "Họ và tên" merged over the name and a column repeating its last word (to sort the list): not a
    split name; the names are read whole, and a row whose name does not end with it is refused."""
    at = HEADERS.index("Họ và tên")
    headers = [*HEADERS[: at + 1], "", *HEADERS[at + 1 :]]
    rows = [{**person_row(n), "": person_row(n)["Họ và tên"].split()[-1]} for n in (1, 2)]
    rows.append({**person_row(3), "": "Khác"})
    imp = run(xlsx_bytes(table(rows, headers), merges=("B1:C1",)))
    assert (imp.created, imp.refused) == (2, 1)
    assert "[name_beside_unlabelled]" in reasons_by_row(imp)[3]


def test_a_numbering_row_under_headers_merged_down_over_it_is_not_a_row(run):
    """Forms merge the headers down over the row that numbers the columns: the run fills "STT", "Họ và tên"
    … into it (a merged cell is read in each of its rows), and it still numbers the columns."""
    numbering = list(range(1, len(HEADERS) + 1))
    cells = [list(HEADERS), [None] * len(HEADERS), *table([person_row(1), person_row(2)])[1:]]
    cells[1][2:] = numbering[2:]  # the first two columns' headers are merged down over it
    imp = run(xlsx_bytes(cells, merges=("A1:A2", "B1:B2")))
    assert (imp.total, imp.created, imp.refused) == (2, 2, 0)


def test_foreign_staff_with_a_passport_column_and_a_country_s_name(run):
    """A factory's roster: "Số CCCD" and "Số hộ chiếu" columns, "Quốc tịch" typed as the country's name.
    The Korean engineer is registered with his passport (the column ignored before: no document at all)."""
    headers = [h if h != "Số giấy tờ" else "Số CCCD" for h in HEADERS] + ["Số hộ chiếu"]
    foreign = {**person_row(2), "Số CCCD": "", "Loại giấy tờ": "", "Số hộ chiếu": "M12345678", "Quốc tịch": "Hàn Quốc"}
    rows = [{**person_row(1), "Số CCCD": person_row(1)["Số giấy tờ"]}, foreign]
    imp = run(xlsx_bytes(table(rows, headers)))
    assert (imp.created, imp.refused, imp.ignored_columns) == (2, 0, []), reasons_by_row(imp)
    person = Person.objects.get(id_number="M12345678")
    assert (person.id_type, person.nationality) == ("passport", "KR")
    # a bad passport number is reported in its own column; an old CMND struck beside a CCCD in use is no matter
    bad = {**foreign, "Họ và tên": "Kim Min Jun", "Số hộ chiếu": "BAD!", "STT": 3}
    old_card = {**person_row(4), "Số CCCD": person_row(4)["Số giấy tờ"], "Số CMND": "271234567"}
    cells = table([bad, old_card], [*headers, "Số CMND"])
    imp = run(xlsx_bytes(cells, struck=(f"{chr(65 + len(headers))}3",)))
    assert (imp.created, imp.refused) == (1, 1), reasons_by_row(imp)
    assert reasons_by_row(imp)[3].startswith("Dòng 2 của tệp đã gửi, cột “Số hộ chiếu”:")


def test_dates_of_a_day_first_excel_or_typed_as_text_are_read(run):
    """Read day first (Vietnamese region), a real date's day may be over 12; typed as text (the template's
    Text column, a CSV), no real date at all: neither is the month-first pattern."""
    day_first = [
        person_row(1, **{"Ngày sinh": date(1981, 2, 2)}),
        person_row(2, **{"Ngày sinh": "25/12/1985", "Số giấy tờ": cccd_for(date(1985, 12, 25), "M", 2)}),
        person_row(3, **{"Ngày sinh": date(1983, 4, 24), "Số giấy tờ": cccd_for(date(1983, 4, 24), "F", 3)}),
    ]
    assert run(xlsx_bytes(table(day_first))).created == 3
    as_text = [
        person_row(4),
        person_row(5, **{"Ngày sinh": "25/12/1985", "Số giấy tờ": cccd_for(date(1985, 12, 25), "F", 5)}),
    ]
    assert run(xlsx_bytes(table(as_text))).created == 2


def test_a_workbook_counting_its_dates_from_1904_reads_a_bare_number_by_its_calendar(run):
    """Old Excel for Mac: a date cell is read by calamine, a bare number (a General cell) by the roster."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "date_1904": True})
    sheet = book.add_worksheet("Danh sách")
    dob = date(1990, 7, 20)
    rows = table([person_row(1), person_row(2, **{"Số giấy tờ": cccd_for(dob, "M", 2)}), person_row(3)])
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value not in ("", None):
                sheet.write_string(r, c, str(value))
    sheet.write_datetime(1, 2, datetime(1981, 2, 2), book.add_format({"num_format": "dd/mm/yyyy"}))
    sheet.write_number(2, 2, (dob - date(1904, 1, 1)).days)  # 31,612: 1986-07-19 by the 1900 calendar
    sheet.write_number(3, 2, 1983)  # a year alone stays one
    book.close()
    imp = run(out.getvalue())
    assert (imp.created, imp.refused) == (2, 1), reasons_by_row(imp)
    assert Person.objects.filter(date_of_birth=dob).exists()
    assert Person.objects.filter(date_of_birth=date(1981, 2, 2)).exists()
    assert "1983" in reasons_by_row(imp)[3]
    # The report counts from 1904 too: the bare number fixed and sent again is the same day.
    fixed = openpyxl.load_workbook(imp.error_report.path)
    assert fixed.epoch == openpyxl.utils.datetime.CALENDAR_MAC_1904
    born = date(1983, 4, 4)  # person_row(3)'s, as its citizen ID says (by the 1900 calendar: 1987-04-05)
    fixed.active["C2"] = (born - date(1904, 1, 1)).days
    out = io.BytesIO()
    fixed.save(out)
    again = run(out.getvalue())
    assert (again.created, again.refused) == (1, 0), reasons_by_row(again)
    assert Person.objects.filter(date_of_birth=born, id_number=person_row(3)["Số giấy tờ"]).exists()


def test_a_form_with_the_organizations_block_title_and_numbered_columns_imports(run):
    """The administrative form: the organization's address and phone, a title, the header, a row numbering
    the columns (1, 2, 3 …), then the staff."""
    cells = [
        ["CÔNG TY TNHH AMATA"],
        ["Địa chỉ:", "Lô A1, KCN Amata", "", "Điện thoại:", "0251 3991 234"],
        [],
        ["DANH SÁCH CÁN BỘ ĐĂNG KÝ TIÊM CHỦNG"],
        *table([person_row(1), person_row(2)])[:1],
        [f"({i})" for i in range(1, len(HEADERS) + 1)],
        *table([person_row(1), person_row(2)])[1:],
    ]
    imp = run(xlsx_bytes(cells))
    assert (imp.status, imp.total, imp.created, imp.refused) == ("done", 2, 2, 0), imp.problems


def test_a_header_and_its_column_numbers_alone_are_an_empty_file(rep, org, places):
    content = xlsx_bytes([HEADERS, list(range(1, len(HEADERS) + 1))])
    error = _refused_and_nothing_written(rep, org, content)
    assert [e.code for e in error.errors] == ["file_empty"]


def test_an_old_identity_card_column_fills_in_for_an_empty_citizen_id_column(run):
    headers = [h for h in HEADERS if h != "Số giấy tờ"] + ["Số CMND", "Số CCCD"]
    cmnd_only = person_row(1, **{"Loại giấy tờ": "", "Số CMND": "271234567", "Số CCCD": ""})
    both = person_row(2, **{"Loại giấy tờ": "", "Số CMND": "271234568", "Số CCCD": person_row(2)["Số giấy tờ"]})
    imp = run(xlsx_bytes(table([cmnd_only, both], headers=headers)))
    assert (imp.created, imp.refused, imp.ignored_columns) == (2, 0, [])
    assert set(Person.objects.values_list("id_type", "id_number")) == {
        ("cmnd", "271234567"),
        ("cccd", person_row(2)["Số giấy tờ"]),
    }
    # a bad card number read from its own column is marked there in the report, not in the empty CCCD cell
    bad = person_row(3, **{"Loại giấy tờ": "CMND", "Số CMND": "27123", "Số CCCD": ""})
    imp = run(xlsx_bytes(table([bad], headers=headers)))
    _values, sheet = report(imp)
    marked = [h for i, h in enumerate(headers, 1) if sheet.cell(row=2, column=i).fill.fgColor.rgb.endswith("FFC7CE")]
    assert marked == ["Số CMND"]


def test_a_row_with_a_document_is_not_a_roster_person_of_another_sex_without_one(run):
    nodoc = person_row(1, **{"Loại giấy tờ": "", "Số giấy tờ": ""})  # a woman
    run(xlsx_bytes(table([nodoc])))
    dob = date(1981, 2, 2)
    man = {**nodoc, "Giới tính": "Nam", "Loại giấy tờ": "CCCD", "Số giấy tờ": cccd_for(dob, "M", 42)}
    imp = run(xlsx_bytes(table([man])))
    assert (imp.created, imp.updated) == (1, 0)
    assert Person.objects.get(sex="F").id_number == ""


def _footer(*lines: dict) -> list[dict]:
    """Rows below the table as clerks write them: a total, the signature block, the signer's name."""
    return [{"STT": "", **line} for line in lines]


FOOTER = _footer(
    {"Họ và tên": "Tổng cộng: 3 người"},
    {"Họ và tên": "Người lập biểu", "Nhóm ưu tiên": "Thủ trưởng đơn vị", "Mã phường/xã": "(Ký, đóng dấu)"},
    {"Họ và tên": "Trần Thị Lập", "Địa chỉ": "Nguyễn Văn Giám"},
)


@pytest.mark.parametrize("name", ["roster.xlsx", "roster.csv"])
def test_the_sheets_footer_is_named_in_the_result_not_refused(run, name):
    """A total and a signature block below the last person say nothing of who anyone is: they are the
    sheet's footer, listed in the result, neither counted as rows nor refused into the error report."""
    rows = [person_row(1), person_row(2), person_row(3), *FOOTER]
    build = csv_bytes if name.endswith(".csv") else xlsx_bytes
    imp = run(build(table(rows)), name)
    assert (imp.status, imp.total, imp.created, imp.refused) == ("done", 3, 3, 0)
    assert imp.footer_rows == [5, 6, 7]
    assert not imp.error_report
    finished = AuditEvent.objects.get(action="organizations.roster_import.finished")
    assert finished.data["footer_rows"] == [5, 6, 7]


@pytest.mark.parametrize("name", ["roster.xlsx", "roster.csv"])
def test_the_lists_section_headings_are_named_in_the_result_not_refused(run, name):
    """A list grouped by unit ("I | KHỐI VĂN PHÒNG" above its staff, "II | KHỐI SẢN XUẤT" above theirs): the
    headings are listed in the result, neither counted as rows nor refused; a name alone beside a number
    is still a person missing data."""
    rows = [
        {"STT": "I", "Họ và tên": "KHỐI VĂN PHÒNG"},
        person_row(1),
        person_row(2),
        {"STT": "II", "Họ và tên": "KHỐI SẢN XUẤT"},
        person_row(3),
        {"STT": 4, "Họ và tên": "Lê Văn Thiếu"},
        person_row(5),
    ]
    build = csv_bytes if name.endswith(".csv") else xlsx_bytes
    imp = run(build(table(rows)), name)
    assert (imp.status, imp.total, imp.created, imp.refused) == ("done", 5, 4, 1)
    assert imp.section_rows == [[2, "KHỐI VĂN PHÒNG"], [5, "KHỐI SẢN XUẤT"]]
    assert set(reasons_by_row(imp)) == {4}
    departments = dict(RosterEntry.objects.values_list("person__full_name", "department"))
    assert departments == {  # each row's own department kept: the template's rows have one
        person_row(n)["Họ và tên"]: "Phòng Kỹ thuật" for n in (1, 2, 3, 5)
    }
    finished = AuditEvent.objects.get(action="organizations.roster_import.finished")
    assert finished.data["section_rows"] == [2, 5]


def test_the_staff_under_a_units_heading_with_no_department_of_their_own_take_its_name(run, org):
    """A list grouped by unit has no department column, or leaves it blank: the unit's heading is the
    department of the staff under it (a heading grouping by role names none; a row's own department stays)."""
    rows = [
        {"STT": "I", "Họ và tên": "KHỐI VĂN PHÒNG"},
        person_row(1, **{"Bộ phận": ""}),
        person_row(2, **{"Bộ phận": "Kế toán"}),
        {"STT": "", "Họ và tên": "II. Phân xưởng 2"},
        person_row(3, **{"Bộ phận": ""}),
        {"STT": "III", "Họ và tên": "CÁN BỘ HỢP ĐỒNG"},
        person_row(4, **{"Bộ phận": ""}),
    ]
    imp = run(xlsx_bytes(table(rows)))
    assert (imp.created, imp.refused, len(imp.section_rows)) == (4, 0, 3)
    departments = dict(RosterEntry.objects.filter(organization=org).values_list("person__full_name", "department"))
    name = {n: person_row(n)["Họ và tên"] for n in (1, 2, 3, 4)}
    assert departments == {name[1]: "KHỐI VĂN PHÒNG", name[2]: "Kế toán", name[3]: "Phân xưởng 2", name[4]: ""}
    no_column = [HEADERS[:10] + HEADERS[11:]]  # no "Bộ phận" at all
    no_column += [[r.get(h, "") for h in no_column[0]] for r in [rows[0], person_row(5)]]
    assert run(xlsx_bytes(no_column)).created == 1
    assert RosterEntry.objects.get(person__full_name=person_row(5)["Họ và tên"]).department == "KHỐI VĂN PHÒNG"


def test_a_list_numbered_by_section_takes_its_headings_departments(run, org):
    """A list numbered by section ("1 | Phòng Kế toán" over staff 1.1, 1.2 …; Excel keeps 2.1 as a decimal):
    the headings are listed, not refused as persons, and their staff take the unit as department; a row
    numbered 3 above staff numbered 4 is a person missing data, as before."""
    blank = {"Bộ phận": ""}
    rows = [
        {"STT": 1, "Họ và tên": "Phòng Kế toán"},
        person_row(1, STT="1.1", **blank),
        person_row(2, STT="1.2", **blank),
        {"STT": 2, "Họ và tên": "Phòng Kỹ thuật"},
        person_row(3, STT=2.1, **blank),
        {"STT": 3, "Họ và tên": "Phòng Vật tư"},
        person_row(4, STT=4, **blank),
    ]
    imp = run(xlsx_bytes(table(rows)))
    assert (imp.created, imp.refused) == (4, 1)
    assert imp.section_rows == [[2, "Phòng Kế toán"], [5, "Phòng Kỹ thuật"]]
    refused = reasons_by_row(imp)  # by STT
    assert list(refused) == [3] and refused[3].startswith("Dòng 7")
    name = {n: person_row(n)["Họ và tên"] for n in (1, 2, 3, 4)}
    assert _departments(org) == {
        name[1]: "Phòng Kế toán",
        name[2]: "Phòng Kế toán",
        name[3]: "Phòng Kỹ thuật",
        name[4]: "",  # the section above ended at the row refused
    }


def test_a_heading_merged_across_the_row_heads_its_section(run, org):
    rows = table([{"STT": "I. KHỐI VĂN PHÒNG"}, person_row(1, **{"Bộ phận": ""}), {"STT": "Tổng cộng: 1"}])
    imp = run(xlsx_bytes(rows, merges=(f"A2:{chr(64 + len(HEADERS))}2",)))
    assert (imp.created, imp.refused, imp.section_rows) == (1, 0, [[2, "I. KHỐI VĂN PHÒNG"]])
    assert imp.footer_rows == [4]  # a total merged across the row, after the last person: the footer
    assert RosterEntry.objects.get(organization=org).department == "KHỐI VĂN PHÒNG"


def _departments(org) -> dict[str, str]:
    return dict(RosterEntry.objects.filter(organization=org).values_list("person__full_name", "department"))


def test_a_row_between_sections_that_is_no_person_ends_the_last_ones_department(run, org):
    """A heading not known as one ("II | Xí nghiệp may" is, "II | Lao động thời vụ" is not) is refused as a
    person missing data, and the staff under it take no department rather than the section's above."""
    blank = {"Bộ phận": ""}
    rows = [
        {"STT": "I", "Họ và tên": "KHỐI VĂN PHÒNG"},
        person_row(1, **blank),
        {"STT": "II", "Họ và tên": "Lao động thời vụ"},
        person_row(2, **blank),
        {"STT": "III", "Họ và tên": "Xí nghiệp may 1 (30 người)"},
        person_row(3, **blank),
        {"STT": 4, "Họ và tên": "Lê Văn Thiếu"},  # a person missing data, numbered as staff: the section goes on
        person_row(5, **blank),
        {"STT": "", "Họ và tên": "Lao động thời vụ"},  # unnumbered, no unit: ends it
        person_row(6, **blank),
    ]
    imp = run(xlsx_bytes(table(rows)))
    assert (imp.created, imp.refused, [n for n, _t in imp.section_rows]) == (5, 3, [2, 6])
    name = {n: person_row(n)["Họ và tên"] for n in (1, 2, 3, 5, 6)}
    assert _departments(org) == {
        name[1]: "KHỐI VĂN PHÒNG",
        name[2]: "",
        name[3]: "Xí nghiệp may 1",
        name[5]: "Xí nghiệp may 1",
        name[6]: "",
    }
    values, _sheet = report(imp)  # the heading above the refused person of its section, once
    assert [r[1] for r in values[1:]] == [
        "Lao động thời vụ",
        "Xí nghiệp may 1 (30 người)",
        "Lê Văn Thiếu",
        "Lao động thời vụ",
    ]


def test_a_column_merged_down_the_list_does_not_hide_a_heading(run, org):
    """An address typed once and merged down the whole list fills every row, the heading's too: a value
    a merge gave the row is not the row's own."""
    rows = [person_row(1), {"STT": "II", "Họ và tên": "KHỐI SẢN XUẤT"}, person_row(2, **{"Bộ phận": ""})]
    last = len(rows) + 1
    imp = run(xlsx_bytes(table(rows), merges=(f"P2:P{last}",)))
    assert (imp.created, imp.refused, imp.section_rows) == (2, 0, [[3, "KHỐI SẢN XUẤT"]])
    assert _departments(org)[person_row(2)["Họ và tên"]] == "KHỐI SẢN XUẤT"


def test_a_staff_member_typed_with_a_name_only_is_never_a_heading(run, org):
    """ "2 | Khoa Nguyen": numbered as staff are, and a name that starts like a unit: a person missing data,
    refused, and no one's department."""
    rows = [
        {"STT": "I", "Họ và tên": "KHỐI VĂN PHÒNG"},
        person_row(1, **{"Bộ phận": ""}),
        {"STT": 2, "Họ và tên": "Khoa Nguyen"},
        person_row(3, **{"Bộ phận": ""}),
    ]
    imp = run(xlsx_bytes(table(rows)))
    assert (imp.created, imp.refused, imp.section_rows) == (2, 1, [[2, "KHỐI VĂN PHÒNG"]])
    assert set(_departments(org).values()) == {"KHỐI VĂN PHÒNG"}


def test_title_lines_in_the_stt_column_do_not_push_a_signature_block_past_the_footers_limit(run):
    footer = [{"STT": "Tổng cộng: 2 người"}, {"STT": "Biên Hòa, ngày 7 tháng 12 năm 2026"}]
    footer += [{"Họ và tên": f"Dòng ký {n}"} for n in range(9)]
    imp = run(xlsx_bytes(table([person_row(1), person_row(2), *footer])))
    assert (imp.created, imp.refused, len(imp.footer_rows)) == (2, 0, 11)


#: A signature block typed under the columns that say who a row is: the date, the roles, what to do, the names.
SIGNED_UNDER_THE_TABLE = _footer(
    {"Ngày sinh": "Người lập biểu", "Số điện thoại": "Biên Hòa, ngày 12 tháng 3 năm 2024"},
    {"Số điện thoại": "KT. GIÁM ĐỐC", "Số giấy tờ": "Ngày … tháng … năm 20…"},
    {"Ngày sinh": "(Ký, ghi rõ họ tên)", "Số điện thoại": "(Ký tên, đóng dấu)", "Số thẻ BHYT": "Phó Giám đốc"},
    {},
    {"Ngày sinh": "Trần Thị Lập", "Số điện thoại": "NGUYỄN VĂN GIÁM"},
)


@pytest.mark.parametrize("name", ["roster.xlsx", "roster.csv"])
def test_a_signature_block_under_the_birth_date_and_phone_columns_is_the_footer(run, name):
    """Where the block stands under the birth date, the phone or the document (the template's columns C to
    H), its texts say no one's identity: it is the footer, not four rows refused as `phone_format`,
    `date_of_birth_required` …"""
    build = csv_bytes if name.endswith(".csv") else xlsx_bytes
    imp = run(build(table([person_row(1), person_row(2), *SIGNED_UNDER_THE_TABLE])), name)
    assert (imp.status, imp.total, imp.created, imp.refused) == ("done", 2, 2, 0)
    assert imp.footer_rows == [4, 5, 6, 8]
    assert not imp.error_report


@pytest.mark.parametrize(
    "last",
    [
        {"STT": 3, "Họ và tên": "Lê Văn Sau", "Ngày sinh": "Nguyễn Văn Ký"},  # numbered as staff are: a person
        {"STT": 3, "Họ và tên": "Lê Văn Sau"},  # numbered so, with a name: a person whose data is still to come
        {"Họ và tên": "Lê Văn Sau", "Số điện thoại": "chưa có"},  # a text in lower case: no signature's
        {"Họ và tên": "Lê Văn Sau", "Ngày sinh": "ngày 4 tháng 3 năm 1990"},  # a birth date in words
        {"Họ và tên": "Lê Văn Sau", "Số điện thoại": "Không Rõ 09"},  # a digit
    ],
)
def test_a_last_row_that_may_be_a_person_is_refused_not_read_as_the_footer(run, last):
    imp = run(xlsx_bytes(table([person_row(1), person_row(2), last, *SIGNED_UNDER_THE_TABLE])))
    assert (imp.total, imp.created, imp.refused) == (3, 2, 1)
    assert imp.footer_rows == [5, 6, 7, 9]


def test_a_phone_merged_down_over_a_heading_does_not_make_a_person_of_it(run, org):
    rows = [person_row(1), {"STT": "II", "Họ và tên": "KHỐI SẢN XUẤT"}, person_row(2, **{"Bộ phận": ""})]
    imp = run(xlsx_bytes(table(rows), merges=("E2:E4",)))
    assert (imp.created, imp.refused, imp.section_rows) == (2, 0, [[3, "KHỐI SẢN XUẤT"]])
    assert _departments(org)[person_row(2)["Họ và tên"]] == "KHỐI SẢN XUẤT"


def test_the_reports_heading_holds_its_own_cells_only_and_uploads_again_as_one(run, org):
    """An address merged down the list filled the heading's cell: the report writes the heading as typed, so
    the fixed report, uploaded again, reads it as a heading and gives its department."""
    rows = [
        person_row(1),
        {"STT": "II", "Họ và tên": "KHỐI SẢN XUẤT"},
        person_row(2, **{"Bộ phận": "", "Số điện thoại": "123"}),
    ]
    imp = run(xlsx_bytes(table(rows), merges=("P2:P4",)))
    assert (imp.created, imp.refused) == (1, 1)
    values, _sheet = report(imp)
    assert values[1][:2] == ("II", "KHỐI SẢN XUẤT") and values[1][15] is None
    fixed = [list(r) for r in values]
    fixed[2][4] = person_row(2)["Số điện thoại"]
    again = run(xlsx_bytes(fixed))
    assert (again.created, again.refused, again.section_rows) == (1, 0, [[2, "KHỐI SẢN XUẤT"]])
    assert _departments(org)[person_row(2)["Họ và tên"]] == "KHỐI SẢN XUẤT"


def test_a_headings_department_fills_a_blank_and_never_replaces_one(run, org):
    """January's file gave the person "Phòng Kế toán"; February's, grouped by unit, leaves the cell blank
    under "KHỐI VĂN PHÒNG": the heading does not overwrite what the roster knows. A person with none takes it."""
    run(xlsx_bytes(table([person_row(1, **{"Bộ phận": "Phòng Kế toán"}), person_row(2, **{"Bộ phận": ""})])))
    grouped = [{"STT": "I", "Họ và tên": "KHỐI VĂN PHÒNG"}, *(person_row(n, **{"Bộ phận": ""}) for n in (1, 2))]
    again = run(xlsx_bytes(table(grouped)))
    assert (again.created, again.refused) == (0, 0)
    assert _departments(org) == {
        person_row(1)["Họ và tên"]: "Phòng Kế toán",
        person_row(2)["Họ và tên"]: "KHỐI VĂN PHÒNG",
    }


def test_the_report_carries_the_heading_above_a_refused_row_so_the_fixed_row_keeps_its_department(run, org):
    rows = [
        {"STT": "I", "Họ và tên": "KHỐI VĂN PHÒNG"},
        person_row(1, **{"Bộ phận": ""}),
        person_row(2, **{"Bộ phận": "", "Số điện thoại": "123"}),
        person_row(3, **{"Bộ phận": "", "Số điện thoại": "456"}),
    ]
    imp = run(xlsx_bytes(table(rows)))
    assert (imp.created, imp.refused) == (1, 2)
    values, _sheet = report(imp)
    assert [r[:2] for r in values[1:]] == [
        ("I", "KHỐI VĂN PHÒNG"),
        (2, person_row(2)["Họ và tên"]),
        (3, person_row(3)["Họ và tên"]),
    ]
    assert values[1][16] is None  # the heading has no reason: it was not refused
    fixed = [list(r) for r in values]
    fixed[2][4] = person_row(2)["Số điện thoại"]
    fixed[3][4] = person_row(3)["Số điện thoại"]
    again = run(xlsx_bytes(fixed))
    assert (again.created, again.refused, again.section_rows) == (2, 0, [[2, "KHỐI VĂN PHÒNG"]])
    assert set(_departments(org).values()) == {"KHỐI VĂN PHÒNG"}


def test_a_heading_struck_through_heads_nothing(run, org):
    rows = [
        {"STT": "I", "Họ và tên": "KHỐI VĂN PHÒNG"},
        person_row(1, **{"Bộ phận": ""}),
        {"STT": "II", "Họ và tên": "TỔ BẢO VỆ (giải thể)"},
        person_row(2, **{"Bộ phận": ""}),
    ]
    imp = run(xlsx_bytes(table(rows), struck=("A4", "B4")))
    assert (imp.created, imp.refused, [n for n, _t in imp.section_rows]) == (2, 1, [2])
    assert imp.refusals.get("row_struck") == 1  # asked about, as any struck row
    assert _departments(org)[person_row(2)["Họ và tên"]] == ""


def test_headings_past_the_limit_are_rows_to_refuse(run, monkeypatch):
    from vaxbook.organizations import columns

    monkeypatch.setattr(columns, "SECTION_MAX_ROWS", 2)
    rows = [{"STT": "", "Họ và tên": f"Phòng số {n}"} for n in range(1, 5)] + [person_row(1)]
    imp = run(xlsx_bytes(table(rows)))
    assert ([n for n, _t in imp.section_rows], imp.created, imp.refused) == ([2, 3], 1, 2)


def test_a_row_that_says_nothing_of_who_it_is_inside_the_table_is_refused(run):
    """Only below the last person is such a row a footer: above one, it is a staff row to fill in."""
    rows = [person_row(1), {"STT": 2, "Họ và tên": "Lê Văn Thiếu"}, person_row(3), *FOOTER]
    imp = run(xlsx_bytes(table(rows)))
    assert (imp.total, imp.created, imp.refused) == (3, 2, 1)
    assert set(reasons_by_row(imp)) == {2}  # by its STT
    assert imp.footer_rows == [5, 6, 7]


@override_settings(ROSTER_IMPORT_CHUNK_ROWS=2)
def test_rows_held_back_across_chunks_keep_their_order_and_count(run):
    rows = [
        person_row(1),
        {"STT": 2, "Họ và tên": "Lê Văn Thiếu"},
        {"STT": 3, "Họ và tên": "Phạm Thị Chưa"},
        person_row(4),
    ]
    imp = run(xlsx_bytes(table(rows + FOOTER)))
    assert (imp.total, imp.created, imp.refused) == (4, 2, 2)
    assert list(reasons_by_row(imp)) == [2, 3]  # by their STT, in the file's order
    assert imp.footer_rows == [6, 7, 8]


def test_more_rows_below_the_last_person_than_a_footer_has_are_refused(run):
    names = [{"STT": n, "Họ và tên": f"Nguyễn Văn Số {n}"} for n in range(2, 2 + FOOTER_MAX_ROWS + 1)]
    imp = run(xlsx_bytes(table([person_row(1), *names])))
    assert (imp.total, imp.created, imp.refused, imp.footer_rows) == (FOOTER_MAX_ROWS + 2, 1, FOOTER_MAX_ROWS + 1, [])
    # Fewer, numbered as staff are: persons whose data is to come, refused (before, the footer, unreported)
    at_most = run(xlsx_bytes(table([person_row(1), *names[:FOOTER_MAX_ROWS]])))
    assert (at_most.refused, at_most.footer_rows) == (FOOTER_MAX_ROWS, [])
    # Unnumbered, they may be the signers' names under the table: the footer, named on the import's page
    unnumbered = [{**name, "STT": ""} for name in names[:FOOTER_MAX_ROWS]]
    signed = run(xlsx_bytes(table([person_row(1), *unnumbered])))
    assert (signed.refused, len(signed.footer_rows)) == (0, FOOTER_MAX_ROWS)


def test_a_sheet_of_names_alone_is_refused_row_by_row_not_read_as_a_footer(run):
    imp = run(xlsx_bytes(table([{"STT": n, "Họ và tên": f"Nguyễn Văn Số {n}"} for n in range(1, 4)])))
    assert (imp.total, imp.refused, imp.footer_rows) == (3, 3, [])


def test_a_semicolon_csv_with_a_title_line_above_the_header(run):
    body = csv_bytes(table([person_row(4), person_row(5)]), delimiter=";")
    for title in ("DANH SÁCH NHÂN VIÊN\n", "Công ty A, chi nhánh B;;;\n"):
        imp = run(title.encode() + body, "roster.csv")
        assert (imp.status, imp.created + imp.linked, imp.refused) == ("done", 2, 0)


def test_a_formatted_empty_cell_far_below_the_rows_is_not_a_row(run):
    book = openpyxl.Workbook()
    for values in table([person_row(1), person_row(2)]):
        book.active.append(values)
    book.active.cell(row=1_048_000, column=1).font = openpyxl.styles.Font(bold=True)
    imp = run(_workbook_bytes(book))
    assert (imp.status, imp.total, imp.created) == ("done", 2, 2)


def test_a_header_over_formatted_empty_rows_is_empty(rep, org, places):
    book = openpyxl.Workbook()
    book.active.append(HEADERS)
    book.active.cell(row=800, column=1).font = openpyxl.styles.Font(bold=True)
    assert _refused_and_nothing_written(rep, org, _workbook_bytes(book)).codes == ["file_empty"]


def _with_dimension(content: bytes, ref: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename.startswith("xl/worksheets/"):
                data = re.sub(rb'<dimension ref="[^"]*" ?/>', f'<dimension ref="{ref}"/>'.encode(), data)
            dst.writestr(info.filename, data)
    return out.getvalue()


@override_settings(ROSTER_IMPORT_MAX_ROWS=10, ROSTER_IMPORT_CHUNK_ROWS=5)
def test_the_row_limit_counts_the_rows_not_what_the_dimension_says(rep, org, places, run):
    content = _with_dimension(xlsx_bytes(table([person_row(i) for i in range(1, 21)]), engine="openpyxl"), "A1:P5")
    refusal = _refused_and_nothing_written(rep, org, content)
    assert refusal.codes == ["too_many_rows"]
    assert "20" in str(refusal.errors[0].message)
    fits = _with_dimension(xlsx_bytes(table([person_row(i) for i in range(1, 9)]), engine="openpyxl"), "A1:P5")
    assert (run(fits).total, Person.objects.count()) == (8, 8)


def test_only_the_representative_imports(officer, org, places):
    with pytest.raises(DomainError) as caught:
        roster_import_start(actor=officer, organization=org, upload=upload(xlsx_bytes(table([person_row(1)]))))
    assert caught.value.status == 403


def test_a_date_that_makes_the_spreadsheet_library_panic_below_the_peek_fails_the_import_as_corrupt(run, monkeypatch):
    """calamine panics on a date cell of -1e20 days (pyo3's PanicException, not an Exception): below the
    rows the upload peeks at, it escaped the run and left the import running."""
    from vaxbook.organizations import readers

    monkeypatch.setattr(readers, "_READ_SIZE", 4096)  # slices of the rows asked for, not of a whole 1 MB piece
    rows = [person_row(i) for i in range(1, 801)]
    rows[-1]["Ngày sinh"] = date(1985, 1, 2)  # a date cell, its serial 31049
    content = rewrite_members(
        xlsx_bytes(table(rows)), "xl/worksheets/sheet1.xml", lambda data: data.replace(b"<v>31049</v>", b"<v>-1e20</v>")
    )
    imp = run(content)
    assert imp.status == "failed"
    assert [p["code"] for p in imp.problems] == ["file_corrupt"]


@override_settings(ROSTER_IMPORT_CHUNK_ROWS=2)
def test_a_crash_fails_the_import_and_keeps_only_the_committed_counts(run, org, monkeypatch):
    from vaxbook.organizations import readers
    from vaxbook.registry import services as registry

    monkeypatch.setattr(readers, "_READ_SIZE", 256)  # many slices: the crash comes while one is read ahead

    real = registry.persons_register_plan
    calls = []

    def flaky(**kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("database went away")
        return real(**kwargs)

    with mock.patch("vaxbook.organizations.services.persons_register_plan", side_effect=flaky):
        imp = run(xlsx_bytes(table([person_row(i) for i in range(1, 6)])))
    assert imp.status == "failed"
    assert [p["code"] for p in imp.problems] == ["import_crashed"]
    assert (imp.created, imp.accepted) == (2, 2)  # the first chunk, exactly what was written
    assert Person.objects.count() == RosterEntry.objects.filter(organization=org).count() == 2
    assert not imp.error_report
    # The thread that read the sheet ahead stopped with the run, before its file was closed.
    assert not [t for t in threading.enumerate() if t.name == "roster-read-ahead"]


@override_settings(ROSTER_IMPORT_CHUNK_ROWS=2)
def test_every_row_is_checked_against_the_day_the_run_started(run, monkeypatch):
    # A run that goes past midnight: its first chunk before, its second after. A birth date of "tomorrow"
    # is refused in either chunk, as it was on the day the run started.
    from django.utils import timezone

    from vaxbook.organizations import services

    day = date(2026, 12, 3)
    tomorrow = day + timedelta(days=1)
    chunks_written = []
    accept = services._ImportRun._accept

    def accept_then_midnight(self, chunk):
        accept(self, chunk)
        chunks_written.append(chunk)

    # The clock reads the next day once the first chunk is written, whoever asks.
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: tomorrow if chunks_written else day)
    monkeypatch.setattr(services._ImportRun, "_accept", accept_then_midnight)
    late = person_row(3, **{"Ngày sinh": tomorrow.strftime("%d/%m/%Y"), "Số giấy tờ": cccd_for(tomorrow, "F", 9)})
    content = xlsx_bytes(table([person_row(1), person_row(2), late]))
    imp = run(content)
    assert len(chunks_written) == 2  # the late row came in the chunk after midnight
    assert (imp.status, imp.accepted, imp.refused) == ("done", 2, 1)
    assert reasons_by_row(imp)[3].endswith("[date_of_birth_future]")


def test_a_second_delivery_of_the_task_does_nothing(run):
    imp = run(xlsx_bytes(table([person_row(1)])))
    roster_import_process(import_id=imp.pk)
    imp.refresh_from_db()
    assert (imp.status, imp.created) == ("done", 1)
    assert Person.objects.count() == 1


def test_an_import_whose_uploader_may_no_longer_change_the_roster_is_refused_when_it_runs(
    rep, org, places, django_capture_on_commit_callbacks
):
    """Queued, then its uploader's account was deactivated or their role removed before a worker took it:
    nothing is read or written, and it says why."""
    content = xlsx_bytes(table([person_row(1), person_row(2)]))
    role = rep.memberships.get().role
    uploaders = [make_member(role, organization=org) for _ in range(3)]
    with django_capture_on_commit_callbacks(execute=False):
        # Three files (one file twice while queued would be refused as `import_duplicate`).
        queued = [
            roster_import_start(actor=u, organization=org, upload=upload(xlsx_bytes(table([person_row(1 + n)]))))
            for n, u in enumerate(uploaders)
        ]
    deactivated, removed, deleted = uploaders
    deactivated.is_active = False
    deactivated.save(update_fields=["is_active"])
    removed.memberships.all().delete()
    # An account that has acted is never deleted (its audit events protect it); an import left without
    # an uploader is refused all the same.
    RosterImport.objects.filter(uploaded_by=deleted).update(uploaded_by=None)
    for imp in queued:
        roster_import_process(import_id=imp.pk)
        imp.refresh_from_db()
        assert (imp.status, imp.accepted, imp.refused, imp.progress) == ("failed", 0, 0, 0)
        assert [p["code"] for p in imp.problems] == ["import_not_allowed"]
        assert not imp.error_report
    assert Person.objects.count() == RosterEntry.objects.count() == 0
    failed = AuditEvent.objects.filter(action="organizations.roster_import.failed")
    assert [e.data["codes"] for e in failed] == [["import_not_allowed"]] * 3
    # The same file, uploaded again by a representative who still is one, is imported.
    with django_capture_on_commit_callbacks(execute=True):
        again = roster_import_start(actor=rep, organization=org, upload=upload(content))
    again.refresh_from_db()
    assert (again.status, again.created) == ("done", 2)


@pytest.mark.parametrize("lose", ["deactivated", "membership_removed"])
def test_an_import_stops_at_its_next_chunk_once_its_uploader_may_no_longer_change_the_roster(
    rep, org, places, django_capture_on_commit_callbacks, lose
):
    """The uploader's account deactivated, or their membership removed, while their import runs: the chunks
    written before stay, nothing more is written in their name, and the import says why."""
    from vaxbook.organizations import services

    accept = services._ImportRun._accept
    chunks = []

    def accept_then_lose(self, chunk):  # once the first chunk has committed
        accept(self, chunk)
        chunks.append(chunk)
        if len(chunks) == 1:
            if lose == "deactivated":
                rep.is_active = False
                rep.save(update_fields=["is_active"])
            else:
                rep.memberships.all().delete()

    content = xlsx_bytes(table([person_row(n) for n in range(1, 7)]))
    with (
        override_settings(ROSTER_IMPORT_CHUNK_ROWS=2),
        mock.patch.object(services._ImportRun, "_accept", accept_then_lose),
        django_capture_on_commit_callbacks(execute=True),
    ):
        imp = roster_import_start(actor=rep, organization=org, upload=upload(content))
    imp.refresh_from_db()
    assert (imp.status, imp.accepted, imp.total) == ("failed", 2, 2)
    assert [p["code"] for p in imp.problems] == ["import_not_allowed"]
    with translation.override("en"):
        assert "rows counted so far were saved" in render_problem(imp.problems[0])["message"]
    assert RosterEntry.objects.filter(organization=org).count() == Person.objects.count() == 2
    failed = AuditEvent.objects.get(action="organizations.roster_import.failed")
    assert failed.data == {"codes": ["import_not_allowed"], "rows_saved": 2}


@pytest.mark.parametrize(
    ("read_rows", "strings_cut"),
    [(5000, False), (1, False), (1, True)],  # 1: the sheet read in slices of one row each
    ids=["slices", "rows", "rows-strings-cut"],
)
@pytest.mark.parametrize("name", ["libreoffice-roster.xlsx", "gnumeric-roster.xlsx", "libreoffice-roster.csv"])
def test_a_roster_saved_by_another_program_is_read_as_its_clerk_typed_it(
    run, org, name, read_rows, strings_cut, settings, monkeypatch
):
    """Files made by LibreOffice Calc and Gnumeric, not by our builders (tests/data/README.md): numbers
    that lost their leading zero, real dates, a name made by a formula whose result the program kept, a
    bad row; Gnumeric indents its XML (a line and spaces between every two elements); LibreOffice's CSV
    quotes text and leaves numbers bare. `strings_cut`: each slice given only its own shared strings, as a
    workbook's over 8 MB are (`readers._SharedStrings`)."""
    settings.ROSTER_IMPORT_READ_ROWS = read_rows
    if strings_cut:
        monkeypatch.setattr(readers, "_STRINGS_CUT_BYTES", -1)
    content = (pathlib.Path(__file__).parent / "data" / name).read_bytes()
    imp = run(content, name=name)
    assert (imp.status, imp.created, imp.refused) == ("done", 3, 1), imp.problems
    reason = reasons_by_row(imp)[4]  # by its STT: the fourth staff row, on the sheet's fifth
    assert reason.startswith("Dòng 5") and reason.endswith("[sex_format]"), reason
    expected = [person_row(n) for n in (1, 2, 3)]
    persons = {p.id_number: p for p in Person.objects.all()}
    for row in expected:
        person = persons[row["Số giấy tờ"]]  # the 12 digits, its leading zero back
        assert person.full_name == row["Họ và tên"]
        assert person.date_of_birth.strftime("%d/%m/%Y") == row["Ngày sinh"]
        assert person.phone == "+84" + row["Số điện thoại"][1:]
        assert person.data_status == "complete"
    assert RosterEntry.objects.filter(organization=org).count() == 3


def test_a_roster_saved_as_strict_open_xml_is_imported(run, org):
    """Excel's "Strict Open XML Spreadsheet": ISO namespaces, and a birth date as ISO 8601 text in a date cell."""
    row = person_row(1, **{"Ngày sinh": date(1981, 2, 2)})
    iso = {
        b"http://schemas.openxmlformats.org/spreadsheetml/2006/main": b"http://purl.oclc.org/ooxml/spreadsheetml/main",
        b"http://schemas.openxmlformats.org/officeDocument/2006/relationships": (
            b"http://purl.oclc.org/ooxml/officeDocument/relationships"
        ),
    }

    def strict(data: bytes) -> bytes:
        for old, new in iso.items():
            data = data.replace(old, new)
        return re.sub(rb'(<c r="C2" s="[0-9]+")><v>[0-9.]+</v>', rb'\1 t="d"><v>1981-02-02T00:00:00</v>', data)

    content = rewrite_members(xlsx_bytes(table([row])), "", strict)
    assert b't="d"><v>1981-02-02T' in zipfile.ZipFile(io.BytesIO(content)).read("xl/worksheets/sheet1.xml")
    imp = run(content)
    assert (imp.status, imp.created, imp.refused) == ("done", 1, 0), imp.problems
    person = Person.objects.get(id_number=row["Số giấy tờ"])
    assert (person.date_of_birth, person.data_status) == (date(1981, 2, 2), "complete")


def test_the_template_saved_again_by_libreoffice_is_read(run, org):
    """Our template with two staff rows, saved by LibreOffice Calc (its own workbook, styles and strings;
    the instructions and reference sheets kept): the rows are read from the roster sheet."""
    content = (pathlib.Path(__file__).parent / "data" / "libreoffice-template.xlsx").read_bytes()
    imp = run(content, name="libreoffice-template.xlsx")
    assert (imp.status, imp.total, imp.created, imp.refused, imp.ignored_columns) == ("done", 2, 2, 0, [])
    names = set(Person.objects.values_list("full_name", flat=True))
    assert names == {person_row(1)["Họ và tên"], person_row(2)["Họ và tên"]}


def test_an_error_report_fixed_in_libreoffice_is_imported(run, org):
    """The error report of a file with three bad rows, opened in LibreOffice, its highlighted cells
    fixed and saved (tests/data/README.md): every row is accepted, the report's own reasons column is not read
    (nor listed among the ignored columns), and the
    quote the report put before a text that starts like a formula is taken off again."""
    content = (pathlib.Path(__file__).parent / "data" / "libreoffice-report-fixed.xlsx").read_bytes()
    imp = run(content, name="libreoffice-report-fixed.xlsx")
    assert (imp.status, imp.created, imp.refused, imp.ignored_columns) == ("done", 3, 0, []), imp.problems
    fourth = Person.objects.get(id_number=person_row(4)["Số giấy tờ"])
    assert fourth.address_line == '=HYPERLINK("http://x","y")'
    assert (fourth.date_of_birth, fourth.data_status) == (date(1984, 5, 5), "complete")


def test_the_import_is_audited(run):
    imp = run(xlsx_bytes(table([person_row(1), person_row(2, **{"Giới tính": "?"})])))
    actions = list(
        AuditEvent.objects.filter(subject_type="organizations.rosterimport", subject_id=str(imp.public_id))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "organizations.roster_import.started",
        "organizations.roster.imported",
        "organizations.roster_import.finished",
    ]
    assert AuditEvent.objects.filter(action="registry.person.created").count() == 1


def test_text_typed_in_viqr_is_refused_with_its_unicode_reading(run):
    """A roster typed with a keyboard driver left in VIQR mode: "Ly' Tu'" (Lý Tú) would pass a letters-and-
    apostrophes check. Refused with its reading; plain ASCII without the signs is accepted as before."""
    typed = {
        2: {"Họ và tên": "Ly' Tu'"},
        3: {"Địa chỉ": "So^' 12 ddu+o+`ng Le^ Lo+.i"},
        4: {"Bộ phận": "Pho`ng Ke^' toa'n"},
        5: {"Họ và tên": "Nguyen Van Nam", "Địa chỉ": "12 Le Loi, P.3"},  # no diacritics, no signs: accepted
    }
    imp = run(xlsx_bytes(table([person_row(n, **cells) for n, cells in typed.items()])))
    assert (imp.total, imp.accepted, imp.refused) == (4, 1, 3)
    reasons = reasons_by_row(imp)
    assert "VIQR" in reasons[2] and "“Lý Tú”" in reasons[2] and "“Họ và tên”" in reasons[2]
    assert "“Số 12 đường Lê Lợi”" in reasons[3] and "“Địa chỉ”" in reasons[3]
    assert "“Phòng Kế toán”" in reasons[4] and "“Bộ phận”" in reasons[4]
    assert imp.refusals == {"text_legacy_encoding": 3}


def test_rows_whose_letters_were_lost_to_question_marks_are_refused_with_what_to_do(run):
    """Cells pasted from an export that lost its letters ("Nguy?n V?n H?ng"): the name is refused for that
    reason rather than as a name with other characters, and the address, which took any character, is
    refused too rather than saved so."""
    typed = {
        2: {"Họ và tên": "Nguy?n V?n H?ng"},
        3: {"Địa chỉ": "S? 12 ???ng L? L?i"},
        4: {"Bộ phận": "Ph?ng K? to?n"},
        5: {"Nghề nghiệp": "Tổ trưởng (ca 2?)"},  # a question, not a lost letter: accepted
    }
    imp = run(xlsx_bytes(table([person_row(n, **cells) for n, cells in typed.items()])))
    assert (imp.total, imp.accepted, imp.refused) == (4, 1, 3)
    assert imp.refusals == {"text_letters_lost": 3}
    reasons = reasons_by_row(imp)
    assert "“Nguy?n V?n H?ng”" in reasons[2] and "“Họ và tên”" in reasons[2]
    assert "full_name_format" not in reasons[2]
    assert "“Địa chỉ”" in reasons[3] and "“Bộ phận”" in reasons[4]
    assert not Person.objects.filter(address_line__contains="?").exists()


def test_text_misread_from_utf8_is_refused_with_its_reading(run):
    """A sheet made from a UTF-8 CSV opened by double-click: "Nguyá»…n VÄƒn HÃ¹ng", and "Đ" as "Ä" and U+0090.
    Each such cell is refused with its exact reading; the rows typed right are accepted."""
    from vaxbook.registry.legacy_text import misread_forms

    typed = {
        2: {"Họ và tên": misread_forms("Nguyễn Văn Hùng")[0]},
        3: {"Địa chỉ": misread_forms("Số 12 Đường Lê Lợi")[1]},  # Windows-1258: a Vietnamese Windows
        4: {"Bộ phận": misread_forms("Phòng Kế toán")[0]},
        5: {"Họ và tên": "Nguyễn Văn Hùng"},
    }
    imp = run(xlsx_bytes(table([person_row(n, **cells) for n, cells in typed.items()])))
    assert (imp.total, imp.accepted, imp.refused) == (4, 1, 3)
    assert imp.refusals == {"text_misread_encoding": 3}
    reasons = reasons_by_row(imp)
    assert "“Nguyễn Văn Hùng”" in reasons[2] and "“Họ và tên”" in reasons[2]
    assert "“Số 12 Đường Lê Lợi”" in reasons[3] and "“Phòng Kế toán”" in reasons[4]
    assert not Person.objects.filter(full_name__contains="Ã").exists()
