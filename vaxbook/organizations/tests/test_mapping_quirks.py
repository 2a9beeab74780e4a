"""The column mapping's quirks a red team found (rt1): codes with a thousands separator, columns under no header,
tick boxes for the sex, tick boxes and dates in a code's column, a header twice in one row, the header again
inside the list. Real files, built with the builders; imports run end to end where what is saved is the point."""

import io
from datetime import date, datetime
from typing import Any

import openpyxl
import pytest
import xlsxwriter
from django.utils import translation

from vaxbook.common.errors import DomainError
from vaxbook.organizations.columns import (
    COLUMN_BY_KEY,
    CellRefused,
    Sections,
    _code_text,
    clean_priority_group,
    find_header,
    match_header,
    without_footer,
)
from vaxbook.organizations.models import RosterImport
from vaxbook.organizations.readers import FileRefused
from vaxbook.organizations.services import roster_import_start
from vaxbook.organizations.tests.builders import (
    HEADERS,
    csv_bytes,
    person_row,
    saved_by_excel,
    table,
    upload,
    xlsx_bytes,
)
from vaxbook.registry.models import Person

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(rep, org, places, django_capture_on_commit_callbacks):
    """An import run end to end, in English (the messages compared), or the upload's refusal."""

    def run(content: bytes, name: str = "roster.xlsx") -> Any:
        with translation.override("en"):
            try:
                with django_capture_on_commit_callbacks(execute=True):
                    started = roster_import_start(actor=rep, organization=org, upload=upload(content, name))
            except DomainError as exc:
                return exc
        started.refresh_from_db()
        return started

    return run


def reasons(imp: RosterImport) -> list[str]:
    """The error report's reasons, row by row."""
    if not imp.error_report:
        return []
    with imp.error_report.open("rb") as f:
        sheet = openpyxl.load_workbook(io.BytesIO(f.read())).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    at = list(rows[0]).index("Lý do")
    return [row[at] for row in rows[1:] if row[at]]


def letter(position: int) -> str:
    return chr(ord("A") + position)


def typed_xlsx(cells: list[list[Any]]) -> bytes:
    """A workbook whose cells keep their type: booleans, dates, times ("time" tuples: (value, number format))."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet("Danh sách")
    formats: dict[str, Any] = {}
    for r, row in enumerate(cells):
        for c, value in enumerate(row):
            if isinstance(value, tuple):  # (a number, its format): a time, a duration
                number, fmt = value
                sheet.write_number(r, c, number, formats.setdefault(fmt, book.add_format({"num_format": fmt})))
            elif isinstance(value, bool):
                sheet.write_boolean(r, c, value)
            elif isinstance(value, datetime | date):
                fmt = formats.setdefault("d", book.add_format({"num_format": "dd/mm/yyyy"}))
                sheet.write_datetime(r, c, value, fmt)
            elif isinstance(value, int | float):
                sheet.write_number(r, c, value)
            elif value not in (None, ""):
                sheet.write_string(r, c, value)
    book.close()
    return saved_by_excel(out.getvalue())


# --------------------------------------------------------------------------------------------
# 1. A code with a thousands separator
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("26.001", "26001"),
        ("26,001", "26001"),
        ("4.500", "04500"),
        ("4.0", "00004"),
        ("4.00", "00004"),
        ("26001.0", "26001"),
    ],
)
def test_a_ward_code_grouped_by_thousands_is_read_when_only_one_code_fits(typed, read):
    """ "26.001" read as a decimal is no whole number, so no code: the grouped digits are the one reading.
    "4.0" and "4.00" are decimals (a number column written to CSV): the whole number, as before."""
    assert COLUMN_BY_KEY["ward_code"].clean(typed) == read


@pytest.mark.parametrize("typed", ["4.000", "4,000", "26.000"])
def test_a_code_that_is_a_whole_number_read_either_way_is_refused(typed):
    """ "4.000" is 4000 where "." groups digits (Excel in Vietnamese) and 4 where it marks decimals: two wards."""
    with pytest.raises(CellRefused) as refused:
        COLUMN_BY_KEY["ward_code"].clean(typed)
    assert refused.value.code == "code_grouped"
    # A priority group is a small number: no group is 4000, so "4.000" is group 4 (red team: "1.000" was refused);
    # "26.000" is the group 26, which the identity rules refuse as no group.
    assert clean_priority_group(typed) == typed.split(".")[0].split(",")[0]
    assert clean_priority_group("9.0") == "9" and _code_text("1.000.000") == "1000000"
    assert clean_priority_group("1.000.000") == "1000000"


@pytest.mark.parametrize("typed", ["4.000", "4,000"])
def test_a_ward_code_with_a_thousands_separator_saves_nobody_in_another_ward(run, typed):
    """rt1: "4.000" (ward 04000 formatted #,##0 in a Vietnamese CSV) was cleaned to 00004 and the person saved in
    Phường Ba Đình, Hà Nội. Now the row is refused, naming the column and saying to type the digits."""
    from vaxbook.common.testing import ProvinceFactory, WardFactory

    WardFactory(code="00004", name="Phường Ba Đình", parent=ProvinceFactory(code="01", name="Thành phố Hà Nội"))
    imp = run(csv_bytes(table([person_row(1, **{"Mã phường/xã": typed, "Mã tỉnh": ""}), person_row(2)])), "roster.csv")
    assert (imp.created, imp.refused) == (1, 1)
    assert not Person.objects.filter(ward__code="00004").exists()
    [reason] = reasons(imp)
    assert reason.startswith(
        f"Dòng 2 của tệp đã gửi, cột “Mã phường/xã”: Mã “{typed}” có dấu phân cách hàng nghìn nên có thể đọc là"
    )
    assert reason.endswith("[code_grouped]") and imp.refusals == {"code_grouped": 1}


def test_a_ward_code_grouped_by_thousands_is_saved_in_its_ward(run):
    rows = [person_row(1, **{"Mã phường/xã": "26.001"}), person_row(2, **{"Mã phường/xã": "26,002"})]
    imp = run(csv_bytes(table(rows)), "roster.csv")
    assert (imp.created, imp.refused) == (2, 0)
    assert sorted(Person.objects.values_list("ward__code", flat=True)) == ["26001", "26002"]


# --------------------------------------------------------------------------------------------
# 2. Columns holding values under no header
# --------------------------------------------------------------------------------------------


def _merged_over_two(header: str, second: Any) -> tuple[list[list[Any]], int]:
    """The template's rows with a column inserted right after `header`'s, the header cell left blank (merged
    over both, as Excel leaves it), holding `second` in each row."""
    at = HEADERS.index(header)
    headers = [*HEADERS[: at + 1], None, *HEADERS[at + 1 :]]
    rows = [person_row(2), person_row(4)]
    cells = [headers] + [[*[r[h] for h in HEADERS[: at + 1]], second, *[r[h] for h in HEADERS[at + 1 :]]] for r in rows]
    return cells, at + 1


def test_a_document_header_merged_over_the_type_and_the_number_says_so(run):
    """rt1: "Số giấy tờ" merged over "CCCD" | the number: the type was read as the number, and every row refused
    as "choose the document type", naming no column."""
    at = HEADERS.index("Loại giấy tờ")
    headers = [*[h for h in HEADERS if h not in ("Loại giấy tờ", "Số giấy tờ")]]
    headers = [*headers[:at], "Số giấy tờ", None, *headers[at:]]
    rows = [person_row(2), person_row(4)]
    cells = [headers] + [[r[h] for h in HEADERS] for r in rows]
    imp = run(xlsx_bytes(cells, merges=(f"{letter(at)}1:{letter(at + 1)}1",)))
    assert (imp.created, imp.refused) == (0, 2)
    assert imp.ignored_columns == [f"column {letter(at + 1)} (no header)"]
    first = reasons(imp)[0]
    assert first.startswith(  # the report is in the run's language, Vietnamese
        "Dòng 2 của tệp đã gửi, cột “Số giấy tờ”: "
        f"Cột ngay sau “Số giấy tờ” (cột {letter(at + 1)}) không có tiêu đề nhưng dòng "
        f"này ghi “{rows[0]['Số giấy tờ']}”"
    )
    assert "id_type_required" not in first and imp.refusals == {"column_beside_unlabelled": 2}


@pytest.mark.parametrize(("header", "second"), [("Số điện thoại", "0987654321"), ("Dân tộc", "Kinh")])
def test_a_phone_or_address_header_merged_over_two_columns_refuses_the_rows_that_fill_the_second(run, header, second):
    cells, beside = _merged_over_two(header, second)
    cells[2][beside] = ""  # a row with nothing there is read as before
    imp = run(xlsx_bytes(cells, merges=(f"{letter(beside - 1)}1:{letter(beside)}1",)))
    assert (imp.created, imp.refused) == (1, 1)
    assert imp.ignored_columns == [f"column {letter(beside)} (no header)"]
    assert reasons(imp)[0].endswith("[column_beside_unlabelled]") and f"(cột {letter(beside)})" in reasons(imp)[0]


def test_notes_beside_the_templates_last_column_are_listed_not_refused(run):
    """A column past the header's last ("Địa chỉ", the template's) is no hole in the header: a clerk's notes
    there ("nghỉ phép") refused the row as a header merged over two columns (review). It is listed as ignored;
    a report of such a file holds no refused row to send back."""
    cells = [HEADERS] + [
        [*[r[h] for h in HEADERS], note] for r, note in [(person_row(1), "nghỉ phép"), (person_row(2), "")]
    ]
    imp = run(xlsx_bytes(cells))
    assert (imp.created, imp.refused) == (2, 0)
    assert imp.ignored_columns == [f"column {letter(len(HEADERS))} (no header)"]


def _two_address_form(sub_header: str) -> bytes:
    """A form giving two addresses, each title over "<sub_header> | Phường/xã | Tỉnh/TP"."""
    base = [h for h in HEADERS if h not in ("Mã tỉnh", "Mã phường/xã", "Địa chỉ")]
    top = [*base, "Nơi ở hiện nay", None, None, "Hộ khẩu thường trú", None, None]
    sub = [None] * len(base) + [sub_header, "Phường/xã", "Tỉnh/TP"] * 2
    rows = []
    for n, current, home in (
        (1, ("9 Hà Huy Giáp", "Phường Tam Hiệp", "Đồng Nai"), ("1 Lê Lợi", "Phường Trấn Biên", "Đồng Nai")),
        (2, ("", "", ""), ("2 Lê Lợi", "Phường Trấn Biên", "Đồng Nai")),
    ):
        row = person_row(n)
        rows.append([row[h] for h in base] + [*current, *home])
    merges = [f"{letter(p)}1:{letter(p)}2" for p in range(len(base))]
    merges += [f"{letter(len(base))}1:{letter(len(base) + 2)}1", f"{letter(len(base) + 3)}1:{letter(len(base) + 5)}1"]
    return xlsx_bytes([top, sub, *rows], merges=tuple(merges))


@pytest.mark.parametrize("sub_header", ["Địa chỉ", "Số nhà, đường"])
def test_two_addresses_under_their_titles_are_no_header_twice(run, sub_header):
    """Each address titled over "Địa chỉ | Phường/xã | Tỉnh/TP": two "Địa chỉ" read apart, not one header twice
    (review: the file was refused as header_repeated; it imported before)."""
    imp = run(_two_address_form(sub_header))
    assert isinstance(imp, RosterImport), imp
    assert (imp.created, imp.refused) == (2, 0)


def test_a_two_row_header_repeated_below_refuses_no_file(run):
    """ "Giới tính" over "Nam | Nữ", the two rows pasted again above a second list: the first is passed over (read
    alone it reads no marks, but each column it names stands where the header's does: it was refused as
    header_other_order, the whole file), and its second row ("Nam | Nữ") with it: the two read as one read the
    columns as the header does."""
    sex = HEADERS.index("Giới tính")
    top = [*HEADERS[:sex], "Giới tính", "", *HEADERS[sex + 1 :]]
    sub = ["" for _ in top]
    sub[sex], sub[sex + 1] = "Nam", "Nữ"

    def ticked(n: int) -> list[Any]:
        values = [person_row(n)[h] for h in HEADERS]
        marks = ("x", "") if person_row(n)["Giới tính"] == "Nam" else ("", "x")
        return [*values[:sex], *marks, *values[sex + 1 :]]

    imp = run(xlsx_bytes([top, sub, ticked(1), ticked(2), [], top, sub, ticked(3), ticked(4)]))
    assert isinstance(imp, RosterImport), imp
    assert (imp.created, imp.refused) == (4, 0)


def test_a_split_name_header_of_two_rows_repeated_below_refuses_no_file(run):
    """ "Họ và tên" over "Họ đệm | Tên", pasted again above a second list: read alone its first row names the name
    where the header reads it, without the parts; the file was refused as header_other_order (red team)."""
    at = HEADERS.index("Họ và tên")
    top = [*HEADERS[: at + 1], "", *HEADERS[at + 1 :]]
    sub = ["" for _ in top]
    sub[at], sub[at + 1] = "Họ đệm", "Tên"

    def split(n: int) -> list[Any]:
        values = [person_row(n)[h] for h in HEADERS]
        family, given = values[at].rsplit(" ", 1)
        return [*values[:at], family, given, *values[at + 1 :]]

    merges = tuple(f"{letter(p)}1:{letter(p)}2" for p in range(len(top)) if p not in (at, at + 1))
    imp = run(xlsx_bytes([top, sub, split(1), split(2), [], top, sub, split(3), split(4)], merges=merges))
    assert isinstance(imp, RosterImport), imp
    assert (imp.created, imp.refused) == (4, 0)


def test_a_summary_sheet_with_a_header_twice_gives_way_to_the_roster(run):
    """A first tab holding a header with "Số điện thoại" twice and nobody below refused the file (header_repeated)
    though the next tab was the roster (red team)."""
    book = openpyxl.Workbook()
    book.active.title = "Tổng hợp"
    book.active.append([*HEADERS, "Số điện thoại"])
    staff = book.create_sheet("Phòng KT")
    for values in table([person_row(1), person_row(2)]):
        staff.append(values)
    content = io.BytesIO()
    book.save(content)
    imp = run(content.getvalue())
    assert isinstance(imp, RosterImport), imp
    assert (imp.created, imp.refused, imp.sheet_name) == (2, 0, "Phòng KT")
    alone = openpyxl.Workbook()
    alone.active.append([*HEADERS, "Số điện thoại"])
    for values in table([person_row(3)])[1:]:
        alone.active.append([*values, "0912000099"])
    content = io.BytesIO()
    alone.save(content)
    refused = run(content.getvalue())
    assert isinstance(refused, DomainError) and refused.codes == ["header_repeated"]  # the only sheet: refused


@pytest.mark.parametrize("beside", ["\u200b", "#DIV/0!"])
def test_nothing_to_see_beside_a_read_column_refuses_no_row(run, beside):
    """A hole in the header after "Ngày sinh", holding an invisible character or an Excel error only: no value of
    a column's (it refused the row, quoting “”)."""
    at = HEADERS.index("Ngày sinh")
    headers = [*HEADERS[: at + 1], None, *HEADERS[at + 1 :]]
    row = person_row(1)
    cells = [headers, [*[row[h] for h in HEADERS[: at + 1]], beside, *[row[h] for h in HEADERS[at + 1 :]]]]
    imp = run(xlsx_bytes(cells))
    assert (imp.created, imp.refused) == (1, 0), reasons(imp)


def test_a_column_with_values_but_no_header_is_listed_as_ignored(run):
    """Not beside a read column (after "Ghi chú"): not read, as before, but said."""
    headers = [*HEADERS, "Ghi chú", None]
    cells = [headers] + [[*[r[h] for h in HEADERS], "nghỉ phép", "0987654321"] for r in [person_row(1), person_row(2)]]
    imp = run(xlsx_bytes(cells))
    assert (imp.created, imp.refused) == (2, 0)
    assert imp.ignored_columns == ["Ghi chú", f"column {letter(len(HEADERS) + 1)} (no header)"]


def test_an_empty_column_under_no_header_is_not_listed(run):
    headers = [*HEADERS[:3], None, *HEADERS[3:]]
    cells = [headers] + [[*[r[h] for h in HEADERS[:3]], "", *[r[h] for h in HEADERS[3:]]] for r in [person_row(1)]]
    imp = run(xlsx_bytes(cells))
    assert (imp.created, imp.ignored_columns) == (1, [])


# --------------------------------------------------------------------------------------------
# 3. The sex ticked in "Nam | Nữ" tick boxes
# --------------------------------------------------------------------------------------------

_SEX = HEADERS.index("Giới tính")
_TICK_HEADERS = [*HEADERS[:_SEX], "Giới tính (Nam)", "Giới tính (Nữ)", *HEADERS[_SEX + 1 :]]


def _ticked_row(n: int, marks: tuple[Any, Any]) -> list[Any]:
    values = [person_row(n)[h] for h in HEADERS]
    return [*values[:_SEX], *marks, *values[_SEX + 1 :]]


@pytest.mark.parametrize(
    "marks", [(True, False), ("x", False), (1, 0), ("có", "không"), ("TRUE", "FALSE"), ("x", "khong"), ("X", "no")]
)
def test_the_sex_ticked_in_tick_boxes_reads_false_as_not_ticked(run, marks):
    """rt1: FALSE (a check box's linked cell), 0, "không" counted as a cross: everyone marked twice, refused."""
    man = _ticked_row(2, marks)  # person_row(2) is a man
    woman = _ticked_row(1, marks[::-1])
    imp = run(typed_xlsx([_TICK_HEADERS, man, woman]))
    assert (imp.created, imp.refused) == (2, 0)
    assert sorted(Person.objects.values_list("sex", flat=True)) == ["F", "M"]


def test_both_sexes_ticked_says_both_columns_are_marked(run):
    imp = run(typed_xlsx([_TICK_HEADERS, _ticked_row(2, (True, True))]))
    assert (imp.created, imp.refused) == (0, 1)
    assert reasons(imp) == [
        "Dòng 2 của tệp đã gửi, cột “Giới tính (Nam) + Giới tính (Nữ)”: "
        "Dòng này đánh dấu cả “Giới tính (Nam)” (TRUE) lẫn “Giới "
        "tính (Nữ)” (TRUE): chỉ giữ dấu ở cột đúng giới tính của người này, để trống cột kia (hoặc FALSE). "
        "[sex_format]"
    ]


# --------------------------------------------------------------------------------------------
# 4. A tick box, a date, a time in a code's column
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cell",
    [True, False, date(1985, 6, 15), datetime(1985, 6, 15, 13, 30), (0.5625, "hh:mm:ss"), (31213.5, "[h]:mm:ss")],
    ids=["true", "false", "date", "datetime", "time", "duration"],
)
@pytest.mark.parametrize("column", ["Nhóm ưu tiên", "Mã phường/xã", "Mã tỉnh"])
def test_a_tick_box_or_a_date_in_a_code_column_is_refused_naming_it(run, column, cell):
    """rt1: TRUE read as no code (the person saved without a ward or a priority group, no reason given), a date
    as priority group "1985"."""
    cells = table([person_row(1), person_row(2)])
    cells[1][HEADERS.index(column)] = cell
    imp = run(typed_xlsx(cells))
    assert (imp.created, imp.refused) == (1, 1)
    [reason] = reasons(imp)
    assert reason.startswith(f"Dòng 2 của tệp đã gửi, cột “{column}”: Ô này chứa ") and reason.endswith("[cell_type]")
    assert imp.refusals == {"cell_type": 1}


# --------------------------------------------------------------------------------------------
# 5. One header twice in the header row
# --------------------------------------------------------------------------------------------


def test_two_columns_under_one_header_refuse_the_file_naming_both(run):
    """rt1: "Số điện thoại" twice (the old column hidden, the numbers in use typed at the end): the first was read,
    the second only where the first was empty, and never mentioned."""
    headers = [*HEADERS, "Số điện thoại"]
    cells = [headers] + [
        [*[r[h] for h in HEADERS], f"098765432{n}"] for n, r in enumerate([person_row(1), person_row(2)])
    ]
    refused = run(xlsx_bytes(cells))
    assert isinstance(refused, FileRefused) and refused.code == "header_repeated"
    phone = letter(HEADERS.index("Số điện thoại"))
    assert f"two columns headed “Số điện thoại” (columns {phone}, {letter(len(HEADERS))})" in refused.errors[0].message
    assert not RosterImport.objects.exists() and not Person.objects.exists()


def test_two_phone_columns_with_headers_of_their_own_are_both_read():
    header = match_header(1, [*HEADERS, "Số điện thoại (2)", "Di động"])
    assert header.repeated == () and header.index["phone"] == len(HEADERS) + 1  # the mobile's first
    assert header.fallbacks["phone"] == (HEADERS.index("Số điện thoại"), len(HEADERS))
    assert match_header(1, ["STT", *HEADERS]).repeated == ()  # two STT columns read no data: as before


# --------------------------------------------------------------------------------------------
# 6. The header again inside the list
# --------------------------------------------------------------------------------------------


def test_the_header_repeated_in_the_list_is_no_person(run):
    """rt1: the second header was refused as a person with eight reasons, and came back in every error report."""
    signature = ["", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "Người lập biểu"]
    cells = [*table([person_row(1), person_row(2)]), signature, [], *table([person_row(3), person_row(4)])]
    imp = run(xlsx_bytes(cells))
    assert (imp.status, imp.created, imp.refused, imp.total) == ("done", 4, 0, 4)
    assert imp.footer_rows == [4]  # the first list's signature is its footer, as at the sheet's end
    assert not imp.error_report


def test_a_second_list_with_its_header_in_another_order_is_refused_at_upload(run):
    """rt1: a second list below with "Bộ phận" and "Địa chỉ" swapped: the addresses were saved as departments."""
    other = list(HEADERS)
    a, b = other.index("Bộ phận"), other.index("Địa chỉ")
    other[a], other[b] = other[b], other[a]
    cells = [*table([person_row(1), person_row(2)]), [], *table([person_row(3), person_row(4)], other)]
    refused = run(xlsx_bytes(cells))
    assert isinstance(refused, FileRefused) and refused.code == "header_other_order"
    assert refused.errors[0].message.startswith(
        "Row 5 repeats the header of row 1 with its columns in another order (or other columns): “Địa chỉ” is in "
        f"column {letter(a)} there, in column {letter(b)} in the first header."
    )
    assert not Person.objects.exists()


def test_a_second_header_in_another_order_past_the_uploads_peek_stops_the_run_there():
    """Past the rows the upload peeks at, the run meets it: the rows above it are given, none below."""
    other = list(reversed(HEADERS))
    rows = iter(
        [(1, HEADERS), (2, [person_row(2)[h] for h in HEADERS]), (3, other), (4, [person_row(4)[h] for h in other])]
    )
    header = find_header(rows)
    given = []
    with pytest.raises(FileRefused) as refused:
        for number, _values in without_footer(rows, header, [], Sections()):
            given.append(number)
    assert (
        given == [2]
        and refused.value.code == "header_other_order"
        and refused.value.params == {"row": 3, "header": 1, "column": HEADERS[-1], "here": "A", "first": "P"}
    )
