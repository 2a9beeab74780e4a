"""Header matching and the columns' clean steps (what spreadsheets do to data, undone)."""

import re
import unicodedata
from datetime import date, datetime

import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from vaxbook.organizations.columns import (
    COLUMN_BY_KEY,
    FOOTER_MAX_ROWS,
    CellRefused,
    RowMapper,
    Sections,
    _code_text,
    clean_date,
    clean_date_1904,
    clean_id_type,
    clean_priority_group,
    find_header,
    header_key,
    is_column_numbering,
    match_header,
    reason_text,
    section_department,
    signature_text,
    two_row_header,
    unquote,
    without_footer,
)
from vaxbook.organizations.readers import FileRefused
from vaxbook.organizations.tests.builders import HEADERS
from vaxbook.registry.identity import normalize_text
from vaxbook.registry.legacy_text import misread_forms


def test_headers_match_ignoring_case_diacritics_spaces_and_order():
    shuffled = [h.upper() for h in reversed(HEADERS)]
    shuffled[0] = "dia   chi"  # Địa chỉ, no diacritics
    shuffled[1] = "MA PHUONG / XA"
    shuffled.insert(3, "Ghi chú nội bộ")  # unknown: ignored and said so
    match = match_header(1, shuffled)
    assert match.missing == []
    assert match.ignored == ["Ghi chú nội bộ"]
    assert match.index["address_line"] == 0
    assert match.index["ward_code"] == 1
    assert match.index["full_name"] == shuffled.index("HỌ VÀ TÊN")
    assert match.column_title("ward_code") == "MA PHUONG / XA"  # reasons use the file's own header


def test_a_decomposed_header_matches_too():
    import unicodedata

    match = match_header(1, [unicodedata.normalize("NFD", h) for h in HEADERS])
    assert match.missing == [] and match.ignored == []


def test_the_header_may_sit_below_a_title():
    rows = iter([(1, ["DANH SÁCH CÁN BỘ ĐĂNG KÝ TIÊM", "", ""]), (2, ["", ""]), (3, HEADERS), (4, ["1", "An"])])
    match = find_header(rows)
    assert match.row == 3
    assert next(rows)[0] == 4  # the data follows


def test_missing_required_headers_are_named():
    with pytest.raises(FileRefused) as caught:
        find_header(iter([(1, ["Họ và tên", "Ngày sinh", "Giới tính", "Số giấy tờ"])]))
    assert caught.value.code == "header_missing"
    message = caught.value.errors[0].message
    for header in ("Số điện thoại", "Nhóm ưu tiên", "Mã phường/xã", "Địa chỉ"):
        assert header in message
    assert "Giới tính" not in message


def test_a_file_without_any_header_names_every_required_column():
    with pytest.raises(FileRefused) as caught:
        find_header(iter([(1, ["a", "b"]), (2, ["c", "d"])]))
    assert caught.value.code == "header_missing"
    assert "Họ và tên" in caught.value.errors[0].message


def test_headers_that_lost_their_letters_say_so_rather_than_missing():
    """A plain "CSV" saved where Windows has no Vietnamese code page: "Họ và tên" arrives as "H? v? t?n".
    Naming the columns as missing would send the clerk to a file that shows them all."""
    lost = [h.encode("ascii", errors="replace").decode() for h in HEADERS]
    with pytest.raises(FileRefused) as caught:
        find_header(iter([(1, lost), (2, ["1", "Nguy?n V?n An"])]))
    assert caught.value.code == "header_letters_lost"
    assert "“H? v? t?n, Ng?y sinh”" in str(caught.value.errors[0].message)


def test_headers_read_in_the_wrong_encoding_say_so_rather_than_unknown():
    """A UTF-8 CSV opened by double-clicking it on Windows, then saved as a workbook: "Họ và tên" arrives as
    "Há» vÃ  tÃªn". Listing such headers as unknown would send the clerk to rename them."""
    misread = [(misread_forms(h) or [h])[0] for h in HEADERS]
    assert misread[1].startswith("Há»") and misread[1].endswith("tÃªn")
    with pytest.raises(FileRefused) as caught:
        find_header(iter([(1, misread), (2, ["1", misread_forms("Nguyễn Văn An")[0]])]))
    assert caught.value.code == "header_misread_encoding"
    with translation.override("en"):
        message = str(caught.value.errors[0].message)
    assert "(“Họ và tên”)" in message and "65001: Unicode (UTF-8)" in message


def test_a_title_with_a_question_above_the_header_is_no_lost_letter():
    rows = iter([(1, ["Danh sách tiêm mũi 3 (đợt 6?)", "Ai còn thiếu?"]), (2, HEADERS), (3, ["1", "An"])])
    assert find_header(rows).row == 2


def test_a_sheet_with_nothing_in_it_is_empty():
    with pytest.raises(FileRefused) as caught:
        find_header(iter([(1, ["", None, "  "])]))
    assert caught.value.code == "file_empty"


def test_header_keys():
    assert header_key("Mã phường/xã") == "maphuongxa"
    assert header_key(" SỐ  ĐIỆN THOẠI ") == "sodienthoai"
    assert header_key("Số thẻ BHYT") == "sothebhyt"


@pytest.mark.parametrize(
    ("key", "raw", "clean"),
    [
        ("ward_code", 26001.0, "26001"),
        ("ward_code", " 26001 ", "26001"),
        ("ward_code", 4.0, "00004"),  # a code typed as a number lost its zeros
        ("ward_code", "", None),
        ("province_code", 1.0, "01"),
        ("province_code", "75", "75"),
        ("priority_group", 9.0, "9"),
        ("priority_group", "9 - Người lao động, thân nhân người lao động tại doanh nghiệp", "9"),
        ("priority_group", "12. Người dân khác", "12"),
        ("priority_group", " 9 ", "9"),
        ("priority_group", "09", "9"),
        ("priority_group", "Nhóm 9", "9"),
        ("priority_group", "NHÓM 12", "12"),
        ("priority_group", "nhom 9 - Người lao động", "9"),
        ("priority_group", "Nhóm số 9", "9"),
        ("priority_group", "9.0", "9"),
        ("priority_group", "Nhóm A", "NhómA"),  # not a group's number: refused by the registry, as typed
        ("ward_code", "26041.0", "26041"),  # a CSV written from a numeric column with blanks in it
        ("ward_code", "4.0", "00004"),
        ("province_code", "75.0", "75"),
        ("province_code", "075", "75"),  # the province as a CCCD number's first three digits give it
        ("province_code", 75.0, "75"),
        ("province_code", "0750", "0750"),  # not a province's: refused by the registry, as typed
        ("date_of_birth", datetime(1990, 3, 4, 0, 0), date(1990, 3, 4)),
        ("date_of_birth", "04/03/1990", "04/03/1990"),  # text is parsed by the identity rules
        ("nationality", "Việt Nam", "Việt Nam"),  # the identity rules read a country's name
        ("department", "  Phòng\u00a0 Kế toán ", "Phòng Kế toán"),
        ("employee_number", 1234.0, "1234"),
    ],
)
def test_clean_steps(key, raw, clean):
    assert COLUMN_BY_KEY[key].clean(raw) == clean


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("CCCD", "cccd"),
        ("Hộ chiếu", "passport"),
        ("ho chieu", "passport"),
        ("CMND", "cmnd"),
        ("", None),
        # The names people give the cards, and what they add that does not change the kind.
        ("CCCD gắn chip", "cccd"),
        ("Căn cước công dân gắn chip", "cccd"),
        ("Thẻ CCCD", "cccd"),
        ("Căn cước", "cccd"),
        ("CC", "cccd"),
        ("Căn cước mới", "cccd"),
        ("Số định danh cá nhân", "cccd"),
        ("CMT", "cmnd"),
        ("CMTND", "cmnd"),
        ("Chứng minh thư", "cmnd"),
        ("Chứng minh thư nhân dân", "cmnd"),
        ("CMND 9 số", "cmnd"),
        ("CMND cũ", "cmnd"),
        ("Hộ chiếu nước ngoài", "passport"),
        ("Passport VN", "passport"),
        ("CCCD/CMND", None),  # both named: the number says which
    ],
)
def test_the_document_type_labels(raw, clean):
    assert clean_id_type(raw) == clean


@pytest.mark.parametrize(
    "raw", ["Giấy khai sinh", "Thẻ BHYT", "Chip", "Số", "Thẻ", "Giấy phép lái xe", "CCCD hoặc hộ chiếu"]
)
def test_an_unknown_document_type_is_kept_for_the_rules_to_refuse(raw):
    assert clean_id_type(raw) == raw


def test_our_formula_escape_is_removed_again():
    assert unquote("'=SUM(A1)") == "=SUM(A1)"
    assert unquote("'+84912345678") == "+84912345678"
    assert unquote("'Ông") == "'Ông"
    assert unquote("'") == "'"
    assert clean_priority_group("'9") == "'9"


def test_the_mapper_builds_the_registry_input_and_checks_the_roster_fields():
    match = match_header(1, [*HEADERS, "Mã nhân viên"])
    row = ["1", "Nguyễn Văn An", "01/02/1990", "Nam", 912345678.0, "CCCD", 75190012345.0, "", 9.0]
    row += ["Kỹ sư", "x" * 121, "Kinh", "", 75.0, 26001.0, "1 Lê Lợi", "NV-01"]
    mapped = RowMapper(match).map(2, row)
    assert mapped.person.phone == 912345678.0  # the identity rules restore the zero (see test_services)
    assert mapped.person.priority_group == "9"
    assert mapped.person.ward_code == "26001"
    assert mapped.province_code == "75"
    assert mapped.employee_number == "NV-01"
    assert [p.code for p in mapped.problems] == ["text_too_long"]
    assert mapped.problems[0].field == "department"


def test_short_rows_are_padded():
    mapped = RowMapper(match_header(1, HEADERS)).map(2, ["1", "An"])
    assert mapped.person.full_name == "An"
    assert mapped.person.ward_code is None


def _row(number: int, *, person: bool) -> tuple[int, list]:
    """A data row of the template: a person (name and birth date), or a name alone (a signer, a total)."""
    values = [""] * len(HEADERS)
    values[HEADERS.index("Họ và tên")] = f"Tên {number}"
    if person:
        values[HEADERS.index("Ngày sinh")] = "01/01/1990"
    return number, values


def _numbers(rows) -> list[int]:
    return [number for number, _values in rows]


def test_the_rows_that_say_nothing_of_who_they_are_below_the_last_person_are_the_footer() -> None:
    header = match_header(1, HEADERS)
    rows = [_row(2, person=True), _row(3, person=False), _row(4, person=True), _row(5, person=False)]
    footer: list[int] = []
    assert _numbers(without_footer([*rows, _row(6, person=False)], header, footer, Sections())) == [2, 3, 4]
    assert footer == [5, 6]
    alone: list[int] = []  # no person at all: rows to refuse, not a footer
    assert _numbers(without_footer([_row(2, person=False)], header, alone, Sections())) == [2] and alone == []


@pytest.mark.parametrize(
    ("text", "signature"),
    [
        ("Biên Hòa, ngày 12 tháng 3 năm 2024", True),
        ("Ngày … tháng … năm 20…", True),
        ("ngày 4 tháng 3 năm 1990", False),  # a birth date in words
        ("Người lập biểu", True),
        ("KT. GIÁM ĐỐC", True),
        ("Thủ trưởng đơn vị", True),
        ("(Ký, ghi rõ họ tên)", True),
        ("Nguyễn Văn Ký", True),
        ("TRẦN THỊ LẬP", True),
        ("Nguyễn", False),  # one word: a clerk's note as likely as a name
        ("chưa có", False),
        ("Không Rõ 09", False),
        ("0912345678", False),
        ("12/03/1990", False),
        ("079190012345", False),
        ("DN4797915123456", False),
    ],
)
def test_a_signature_blocks_texts_are_told_from_what_says_who_a_row_is(text: str, signature: bool) -> None:
    assert signature_text(text) is signature
    assert signature_text(unicodedata.normalize("NFD", text)) is signature  # as a Mac or a web form types it


def _heading(number: int, stt: object, text: str, **others: object) -> tuple[int, list]:
    values: list = [""] * len(HEADERS)
    values[0] = stt
    values[HEADERS.index("Họ và tên")] = text
    for header, value in others.items():
        values[HEADERS.index(header)] = value
    return number, values


@pytest.mark.parametrize(
    ("stt", "text"),
    [
        ("I", "KHỐI VĂN PHÒNG"),
        ("II.", "Phòng Kỹ thuật"),
        ("Ⅲ", "KHỐI C"),
        ("I.1", "Phòng Kế toán"),
        ("", "a) Tổ bảo vệ"),
        ("", "Đ. Phòng Vật tư"),
        ("II", "LAO ĐỘNG TRỰC TIẾP"),  # capitals beside a Roman numeral: a group, if not a unit
        ("", "Công ty TNHH May Việt Tiến"),
        ("A", "BAN GIÁM ĐỐC"),
        ("b)", "Tổ bảo vệ"),
        ("", "I. KHỐI SẢN XUẤT"),
        ("", "A - Ban Giám đốc"),
        ("", "Phân xưởng 2"),
        (None, "Khối văn phòng"),
    ],
)
def test_a_row_heading_a_section_of_the_list_is_read_as_such(stt, text):
    header = match_header(1, HEADERS)
    assert header.section_heading(_heading(3, stt, text)[1]) == text


@pytest.mark.parametrize(
    ("stt", "text", "others"),
    [
        ("1", "NGUYỄN VĂN AN", {}),  # numbered as staff are: a person missing data, refused as such
        ("1", "KHỐI VĂN PHÒNG", {}),  # numbered as staff are, whatever the text
        (2, "Khoa Nguyen", {}),
        ("3.", "Phòng Huyền Linh", {}),  # a Chinese-Vietnamese family name
        ("", "Kho Swee Lian", {}),  # "Kho" is no unit word: a family name
        ("V", "VŨ THỊ XUÂN", {}),  # capitals beside a Roman numeral that read as a name
        ("I", "NGUYỄN VĂN AN", {}),
        ("II", "HÀ THỊ LAN", {}),
        ("X", "Y BLIH NIÊ", {}),
        ("", "A. KUMAR", {}),  # an initial, not a heading's number
        ("", "J. NGUYEN", {}),
        ("", "Y-BLIH NIÊ", {}),  # an Ê Đê name in capitals
        ("", "Ban Ki Moon", {}),  # "Ban" alone may be a family name: only "Ban Giám đốc" … head a section
        ("x", "NGUYỄN VĂN AN", {}),
        ("A", "NGUYỄN VĂN AN", {}),  # capitals beside a letter: a name
        ("II", "Lao động trực tiếp", {}),  # not capitals, not a unit's name
        ("I", "Nguyễn Văn An", {}),  # a name, not capitals nor a unit's
        ("", "Tô Văn An", {}),  # a family name Tô is no Tổ
        ("", "NGUYỄN VĂN AN", {}),  # a name in capitals, unnumbered
        ("", "Bành Thị Ban", {}),
        ("I", "KHỐI VĂN PHÒNG", {"Giới tính": "Nam"}),  # some of a person's data
        ("I", "KHỐI VĂN PHÒNG", {"Bộ phận": "Kế toán"}),
        ("I", "", {}),
    ],
)
def test_what_is_not_a_section_heading(stt, text, others):
    header = match_header(1, HEADERS)
    assert header.section_heading(_heading(3, stt, text, **others)[1]) is None


@pytest.mark.parametrize(
    ("heading", "department"),
    [
        ("KHỐI VĂN PHÒNG", "KHỐI VĂN PHÒNG"),
        ("I. KHỐI VĂN PHÒNG", "KHỐI VĂN PHÒNG"),
        ("A - Ban Giám đốc", "Ban Giám đốc"),
        ("Phân xưởng  2", "Phân xưởng 2"),
        ("CÁN BỘ QUẢN LÝ", ""),  # a group by role, not a unit
        ("KHỐI VĂN PHÒNG (12 người)", "KHỐI VĂN PHÒNG"),  # a count changes monthly: not the name
        ("Phòng Kế toán: 01 người", "Phòng Kế toán"),
        ("Tổ 3 - 12 người", "Tổ 3"),
        ("Tổ may - 2", "Tổ may - 2"),  # a number without its word is part of the name
        ("Kho vận (3)", ""),
        ("Phòng (3)", "Phòng (3)"),
        ("Công ty TNHH May Việt Tiến", ""),  # a company, a role, a group: no one's department
        ("LÃNH ĐẠO CÔNG TY", ""),
        ("Nhóm 1 - Nhân viên y tế", ""),
        ("I.1. Phòng Kế toán", "Phòng Kế toán"),
        ("Phòng " + "Kỹ thuật " * 20, ""),  # longer than a department may be: none rather than cut
    ],
)
def test_the_department_a_section_heading_names(heading, department):
    assert section_department(heading) == department


@pytest.mark.parametrize(
    ("stt", "heading"),
    [
        ("I. KHỐI VĂN PHÒNG", "I. KHỐI VĂN PHÒNG"),  # merged across the row: the STT column holds it
        ("Phòng Kế toán", "Phòng Kế toán"),
        ("Tổng cộng: 12 người", None),  # a blank row still
        ("I", None),
        (3, None),
    ],
)
def test_a_heading_merged_across_the_row_stands_in_the_stt_column(stt, heading):
    header = match_header(1, HEADERS)
    assert header.section_heading(_heading(3, stt, "")[1]) == heading


@pytest.mark.parametrize(
    ("stt", "text", "below", "heading"),
    [
        ("1", "Phòng Kế toán", "1.1", True),  # a list numbered by section: the staff under it are 1.1, 1.2 …
        (2, "KHỐI SẢN XUẤT", "2.1.", True),
        ("3.", "Tổ bảo vệ", 3.1, True),  # Excel kept "3.1" as a decimal
        (1.2, "Tổ may 1", "1.2.1", True),
        ("1", "Phòng Kế toán", "2", False),  # numbered as the staff after it: a person missing data
        ("1", "Phòng Kế toán", "11", False),
        ("2", "Phòng Kế toán", "1.1", False),
        ("1", "Phòng Kế toán", "1.1.1", False),
        ("1", "Nguyễn Văn An", "1.1", False),  # a name, whatever the numbers
        ("1", "KHOA NGUYEN", "1.1", True),  # a unit's word first: read as one above a sub-numbered row
        ("1", "Phòng Kế toán", "", False),
    ],
)
def test_a_heading_numbered_as_staff_heads_the_rows_numbered_under_it(stt, text, below, heading):
    header = match_header(1, HEADERS)
    under = _heading(4, below, "")[1]
    assert header.section_heading(_heading(3, stt, text)[1], under) == (text if heading else None)
    assert header.section_heading(_heading(3, stt, text)[1]) is None  # without the row below: as before


def test_a_list_numbered_by_section_keeps_each_sections_staff_under_it() -> None:
    header = match_header(1, HEADERS)
    rows = [
        _heading(2, "1", "Phòng Kế toán"),
        _row(3, person=True),
        _row(4, person=False),  # a staff member missing data, numbered 1.2: the section goes on
        _row(5, person=True),
        _heading(6, "2", "Phòng Kỹ thuật"),
        _row(7, person=True),
    ]
    for number, sub in ((3, "1.1"), (4, "1.2"), (5, "1.3"), (7, "2.1")):
        rows[[n for n, _v in rows].index(number)][1][0] = sub
    sections = Sections()
    under: dict[int, int | None] = {}
    for number, _values in without_footer(rows, header, [], sections):
        under[number] = sections.current[0] if sections.current else None
    assert sections.rows == [(2, "Phòng Kế toán"), (6, "Phòng Kỹ thuật")]
    assert under == {3: 2, 4: 2, 5: 2, 7: 6}


def test_a_second_phone_or_address_column_is_read_where_the_first_is_empty():
    """ "Điện thoại | Di động", "Địa chỉ thường trú | Địa chỉ hiện tại": the mobile and the current address
    are read first, the other column where they are empty; neither is an ignored column."""
    headers = ["STT", "Họ và tên", "Điện thoại", "Di động", "Địa chỉ thường trú", "Chỗ ở hiện nay", "Số CCCD/ĐDCN"]
    header = match_header(1, headers)
    assert (header.index["phone"], header.fallbacks["phone"]) == (3, (2,))
    assert (header.index["address_line"], header.fallbacks["address_line"]) == (5, (4,))
    assert header.index["id_number"] == 6 and header.ignored == []
    mapper = RowMapper(header)
    row = mapper.map(2, [1, "Lê Văn An", "0912000001", "", "Thôn 1, Xã A", "12 Lê Lợi", ""])
    assert (row.person.phone, row.person.address_line) == ("0912000001", "12 Lê Lợi")
    row = mapper.map(3, [2, "Lê Văn Bình", "02513822222", "0912000002", "Thôn 1", "", ""])
    assert (row.person.phone, row.person.address_line) == ("0912000002", "Thôn 1")
    assert header.position_in("phone", row.values) == 3 and header.position_in("address_line", row.values) == 4


def test_a_split_names_first_column_may_head_a_section():
    headers = ["STT", "Họ đệm", "Tên", "Ngày sinh", "Số giấy tờ"]
    header = match_header(1, headers)
    assert header.section_heading(["II", "KHỐI SẢN XUẤT", "", "", ""]) == "KHỐI SẢN XUẤT"
    assert header.section_heading(["II", "KHỐI SẢN", "XUẤT", "", ""]) is None


def test_section_headings_above_persons_are_set_aside_and_the_last_ones_are_the_footer() -> None:
    header = match_header(1, HEADERS)
    rows = [
        _heading(2, "I", "KHỐI VĂN PHÒNG"),
        _row(3, person=True),
        _row(4, person=False),  # a person missing data: refused as such, not a heading
        _heading(5, "II", "KHỐI SẢN XUẤT"),
        _row(6, person=True),
        _heading(7, "III", "KHỐI KHÁC"),  # nobody under it: the footer, as any row after the last person
    ]
    footer: list[int] = []
    sections = Sections()
    assert _numbers(without_footer(rows, header, footer, sections)) == [3, 4, 6]
    assert sections.rows == [(2, "KHỐI VĂN PHÒNG"), (5, "KHỐI SẢN XUẤT")] and footer == [7]
    long_run = [_row(2, person=True)] + [_row(n, person=False) for n in range(3, 3 + FOOTER_MAX_ROWS + 1)]
    long_run += [_heading(20, "II", "KHỐI SẢN XUẤT"), _row(21, person=True)]
    sections = Sections()
    assert 20 not in _numbers(without_footer(long_run, header, [], sections))
    assert sections.rows == [(20, "KHỐI SẢN XUẤT")]


def test_a_run_longer_than_a_footer_goes_on_at_once_and_is_never_held() -> None:
    header = match_header(1, HEADERS)
    read: list[int] = []

    def sheet():
        yield _row(2, person=True)
        for number in range(3, 1_000_000):  # a million names typed ahead of the rest
            read.append(number)
            yield _row(number, person=False)

    rows = without_footer(sheet(), header, [], Sections())
    first = [next(rows) for _ in range(FOOTER_MAX_ROWS + 3)]
    assert _numbers(first) == list(range(2, FOOTER_MAX_ROWS + 5))
    assert len(read) == len(first) - 1  # every name read has been given on (the person row was not counted)
    footer: list[int] = []
    ending = [_row(2, person=True)] + [_row(n, person=False) for n in range(3, 3 + FOOTER_MAX_ROWS + 2)]
    assert len(list(without_footer(ending, header, footer, Sections()))) == len(ending) and footer == []


@settings(max_examples=2000, deadline=None)
@given(
    st.one_of(
        st.text(alphabet=st.sampled_from(list("0123456789 '=+-.\u00a0\u200b\uff10\u0663²a")), max_size=8),
        st.floats(allow_nan=False, allow_infinity=False),
        st.integers(),
    )
)
def test_a_code_cells_fast_path_gives_the_plain_steps_result(value):
    """A cell of digits skips the unquoting and normalizing: the same text as going through them (a whole
    number written as a decimal, "26041.0", then read as the whole number; digits grouped by thousands,
    "26.001", as the digits, "4.000", a whole number read either way, refused)."""
    plain = "".join(normalize_text(unquote(value)).split())
    if isinstance(value, float) and value.is_integer():
        plain = str(int(value))
    elif re.fullmatch(r"[1-9]\d{0,2}\.\d{3}", plain) and plain.endswith("000"):
        with pytest.raises(CellRefused):
            _code_text(value)
        return
    elif re.fullmatch(r"[1-9]\d{0,2}(?:\.\d{3})+", plain):
        plain = plain.replace(".", "")
    elif whole := re.fullmatch(r"(\d+)\.0+", plain):
        plain = whole.group(1)
    assert _code_text(value) == plain


# --------------------------------------------------------------------------------------------
# What real rosters put around and under the header
# --------------------------------------------------------------------------------------------


def test_the_organizations_address_and_phone_above_the_table_are_not_its_header():
    """Forms open with the organization's block ("Địa chỉ: …", "Điện thoại: …"): two known headers in
    one row, but not the header. The search goes on to the row that names every required column."""
    rows = iter(
        [
            (1, ["CÔNG TY TNHH AMATA"]),
            (2, ["Địa chỉ:", "Lô A1, KCN Amata", None, "Điện thoại:", "0251 3991 234"]),
            (3, ["DANH SÁCH CÁN BỘ ĐĂNG KÝ TIÊM CHỦNG"]),
            (5, HEADERS),
            (6, ["1", "An"]),
        ]
    )
    match = find_header(rows)
    assert match.row == 5 and match.missing == []
    assert next(rows)[0] == 6


def test_a_header_with_columns_missing_below_such_a_block_is_refused_by_its_own_row():
    """Refused by the row that names the most columns, with its headers that are not known."""
    header = [h if h != "Ngày sinh" else "Ngày sinh nhật" for h in HEADERS]
    rows = iter([(2, ["Địa chỉ:", "Lô A1", "Điện thoại:", "0251 3991 234"]), (4, header), (5, ["1", "An"])])
    with pytest.raises(FileRefused) as caught:
        find_header(rows)
    assert caught.value.code == "header_missing"
    message = str(caught.value.errors[0].message)
    assert "4" in message and "“Ngày sinh”" in message and "“Ngày sinh nhật”" in message


@pytest.mark.parametrize(
    ("header", "key"),
    [
        ("Ngày sinh (dd/mm/yyyy)", "date_of_birth"),
        ("Ngày sinh (*)", "date_of_birth"),
        ("Giới tính (Nam/Nữ)", "sex"),
        ("Số ĐT", "phone"),
        ("Số điện thoại di động", "phone"),
        ("Phone number", "phone"),
        ("Số CMND", "id_number"),
        ("ID number", "id_number"),
        ("Mã số BHXH", "health_insurance_number"),
        ("Nhóm đối tượng", "priority_group"),
        ("Địa chỉ hiện tại", "address_line"),
        ("Số TT", "row_number"),
    ],
)
def test_common_spellings_of_a_header_and_a_hint_in_brackets_match(header, key):
    assert match_header(1, [header, "Họ và tên"]).index[key] == 0


def test_a_hint_in_brackets_does_not_make_an_unknown_header_known():
    assert match_header(1, ["Ghi chú (nội bộ)", "Họ và tên"]).ignored == ["Ghi chú (nội bộ)"]


def test_an_old_identity_card_column_beside_the_citizen_id_column_is_read_when_that_one_is_empty():
    """Rosters of the years both were in use have a column of each: the CCCD read first, whichever
    stands first, the CMND in a row without one; neither ignored."""
    header = [h for h in HEADERS if h != "Số giấy tờ"]
    for first, second in (("Số CMND", "Số CCCD"), ("Số CCCD", "Số CMND")):
        match = match_header(1, [*header, first, second])
        assert match.ignored == []
        cccd, cmnd = (len(header) + 1, len(header)) if first == "Số CMND" else (len(header), len(header) + 1)
        assert (match.index["id_number"], match.fallbacks["id_number"]) == (cccd, (cmnd,))
        mapper = RowMapper(match)
        values = [""] * (len(header) + 2)
        values[cmnd] = "271234567"
        assert mapper.map(2, values).person.id_number == "271234567"
        values[cccd] = "075190000001"
        assert mapper.map(3, values).person.id_number == "075190000001"
        assert cmnd in match.identifying_positions and cmnd in match.data_positions


@pytest.mark.parametrize("header", ["CCCD/Hộ chiếu", "Số CMND/Hộ chiếu", "CCCD/CMND/Hộ chiếu", "Số CCCD/Passport"])
def test_combined_document_headers(header):
    assert match_header(1, ["Họ và tên", header]).index["id_number"] == 1


def test_a_second_column_of_the_same_document_is_read_after_the_first():
    """Two passport columns, two citizen ID columns: the second is read in a row where the first is empty
    (it was ignored, and a number typed only there lost)."""
    match = match_header(1, ["Họ và tên", "Số CCCD", "Số giấy tờ"])
    assert (match.index["id_number"], match.fallbacks, match.ignored) == (1, {"id_number": (2,)}, [])


def test_a_passport_column_beside_the_citizen_id_column_is_read_as_a_passport_where_that_one_is_empty():
    """Foreign staff keep a passport: its column is read in a row without a citizen ID (or CMND), as a
    passport; before, the column was ignored and the person saved without a document."""
    header = [h for h in HEADERS if h != "Số giấy tờ"]
    match = match_header(1, [*header, "Số hộ chiếu", "Số CCCD", "Số CMND"])
    passport, cccd, cmnd = len(header), len(header) + 1, len(header) + 2
    assert (match.index["id_number"], match.fallbacks["id_number"], match.ignored) == (cccd, (cmnd, passport), [])
    mapper = RowMapper(match)
    values = [""] * (len(header) + 3)
    values[passport] = "M12345678"
    values[header.index("Loại giấy tờ")] = ""
    mapped = mapper.map(2, values)
    assert (mapped.person.id_number, mapped.person.id_type) == ("M12345678", "passport")
    assert match.position_in("id_number", values) == passport
    values[cmnd] = "271234567"
    assert mapper.map(3, values).person.id_number == "271234567"
    assert match.position_in("id_number", values) == cmnd
    alone = match_header(1, [*header, "Passport No"])  # the file's one document column
    values = [""] * (len(header) + 1)
    values[-1] = "M12345678"
    assert RowMapper(alone).map(2, values).person.id_type == "passport"


@pytest.mark.parametrize(
    "numbering",
    [
        list(range(1, len(HEADERS) + 1)),
        [float(i) for i in range(1, len(HEADERS) + 1)],
        [f"({i})" for i in range(1, len(HEADERS) + 1)],
        ["A", "B", *(str(i) for i in range(1, len(HEADERS) - 1))],
        ["1", "", "2", "3", None, "4"],  # columns merged in the header leave gaps
    ],
)
def test_a_row_numbering_the_columns_under_the_header_is_not_a_row(numbering):
    match = match_header(1, HEADERS)
    row = ["1", "Nguyễn Văn An", "01/02/1990"]
    rows = list(without_footer(iter([(2, numbering), (3, row)]), match, [], Sections()))
    assert [number for number, _values in rows] == [3]
    assert is_column_numbering(numbering)


@pytest.mark.parametrize(
    "values",
    [
        [1, "Nguyễn Văn An", 2, 3],  # a name: a row of data
        [1, 2],  # too few to number columns
        [1, 3, 2],  # not rising
        ["1", "B", "2", "3"],  # a letter among the numbers
        [1, 2, 3.5],
        [True, 2, 3, 4],
    ],
)
def test_what_is_not_a_row_numbering_the_columns(values):
    assert not is_column_numbering(values)


def test_only_the_first_row_under_the_header_may_number_the_columns():
    match = match_header(1, HEADERS)
    numbering = list(range(1, len(HEADERS) + 1))
    rows = list(without_footer(iter([(2, ["1", "An", "01/02/1990"]), (3, numbering)]), match, [], Sections()))
    assert [number for number, _values in rows] == [2, 3]


def test_a_date_and_time_cell_holding_a_time_of_day_is_given_to_the_rules_as_typed():
    """17:00 is what a time-zone shift makes of midnight on the next day: not cut to the day shown."""
    assert clean_date(datetime(1985, 12, 24, 17, 0)) == "24/12/1985 17:00"
    assert clean_date(datetime(1985, 12, 24, 0, 0)) == date(1985, 12, 24)
    assert clean_date(date(1985, 12, 24)) == date(1985, 12, 24)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (31612, 31612 + 1462),  # a serial from 1904: the 1900 serial of the same day
        (31612.0, 31612.0 + 1462),
        (1990, 1990),  # a year alone: left for the rules to refuse as such
        (1021990, 1021990),  # a date without separators: the same
        ("20/07/1990", "20/07/1990"),
        (date(1990, 7, 20), date(1990, 7, 20)),  # a date cell: calamine read it by the 1904 calendar already
        (True, True),
    ],
)
def test_a_bare_number_in_a_1904_workbook_is_a_serial_from_1904(value, expected):
    assert clean_date_1904(value) == expected


def _split_name(parts: list[str]) -> list[str]:
    """The template's headers with the full name's column replaced by `parts`."""
    at = HEADERS.index("Họ và tên")
    return [*HEADERS[:at], *parts, *HEADERS[at + 1 :]]


@pytest.mark.parametrize(
    ("parts", "cells", "name"),
    [
        (["Họ đệm", "Tên"], ["Nguyễn Văn", "An"], "Nguyễn Văn An"),
        (["Họ và tên đệm", "Tên"], [" Trần  Thị ", "Bình"], "Trần Thị Bình"),
        (["Họ", "Tên đệm", "Tên"], ["Lê", "", "Na"], "Lê Na"),  # no middle name
        (["Tên", "Họ", "Đệm"], ["Chi", "Phạm", "Thị Kim"], "Phạm Thị Kim Chi"),  # family name first, whatever the order
        (["Last name", "First name"], ["Smith", "John"], "Smith John"),
        (["Họ", "Chữ lót", "Tên"], ["Trần", "Văn", "An"], "Trần Văn An"),
        (["Họ, chữ đệm", "Tên"], ["Trần Văn", "An"], "Trần Văn An"),
    ],
)
def test_a_name_split_over_columns_is_read_as_one(parts, cells, name):
    header = _split_name(parts)
    match = match_header(1, header)
    assert (match.missing, match.ignored) == ([], [])
    assert len(match.name_parts) == len(parts)
    assert match.column_title("full_name") == " + ".join(header[p] for p in match.name_parts)
    at = HEADERS.index("Họ và tên")
    values = [""] * len(header)
    values[at : at + len(parts)] = cells
    mapped = RowMapper(match).map(2, values)
    assert (mapped.person.full_name, mapped.problems) == (name, [])
    assert set(match.name_parts) <= set(match.data_positions)
    assert match.cells_of("full_name", values) == match.name_parts


def test_a_split_name_without_its_given_or_family_name_is_refused_as_such():
    match = match_header(1, _split_name(["Họ đệm", "Tên"]))
    at = HEADERS.index("Họ và tên")
    mapper = RowMapper(match)
    for cells, empty in ((["Nguyễn Văn", ""], "Tên"), (["", "An"], "Họ đệm")):
        values = [""] * (len(HEADERS) + 1)
        values[at : at + 2] = cells
        [problem] = mapper.map(2, values).problems
        assert (problem.code, problem.field) == ("name_part_missing", "full_name")
        assert f"“{empty}”" in str(problem.message)
    assert mapper.map(3, [""] * (len(HEADERS) + 1)).person.full_name == ""  # no name at all: the rules say so


def test_a_given_name_column_beside_the_whole_name_is_checked_against_it():
    """A "Tên" typed again beside "Họ và tên" to sort by it: the whole name is read, and must end with it."""
    match = match_header(1, [*HEADERS, "Tên"])
    assert (match.name_parts, match.ignored, match.part_beside) == ((), [], len(HEADERS))
    mapper = RowMapper(match)
    at = HEADERS.index("Họ và tên")
    values = [""] * (len(HEADERS) + 1)
    for whole, given_name, codes in (
        ("Nguyễn Văn An", "An", []),
        ("Nguyễn Thị Minh Khai", "minh khai", []),
        ("Nguyễn Văn An", "", []),
        ("Trần Văn", "An", ["name_part_disagrees"]),
        ("Hà Thị", "Hà", ["name_part_disagrees"]),  # a Vietnamese given name ends the name: not its start
        ("Nguyễn Thị Hoà", "Hòa", []),  # the tone mark placed the old way or the new
        ("Trần Đức", "Duc", []),  # a sort column typed without marks
    ):
        values[at], values[-1] = whole, given_name
        assert [p.code for p in mapper.map(2, values).problems] == codes, (whole, given_name)
    assert match_header(1, _split_name(["Họ đệm"])).missing == [COLUMN_BY_KEY["full_name"]]
    english = match_header(1, [*HEADERS, "First name"])  # Western names put the given name first
    assert english.part_end == "either"
    values[at], values[-1] = "John Smith", "John"
    assert RowMapper(english).map(2, values).problems == []


def test_a_first_part_that_already_ends_with_the_given_name_is_refused():
    """ "Nguyễn Văn An" | "An" under "Họ đệm | Tên": the first column holds the whole name; joined it would
    be "Nguyễn Văn An An"."""
    match = match_header(1, _split_name(["Họ đệm", "Tên"]))
    at = HEADERS.index("Họ và tên")
    values = [""] * (len(HEADERS) + 1)
    values[at : at + 2] = ["Nguyễn Văn An", "an"]
    [problem] = RowMapper(match).map(2, values).problems
    assert (problem.code, problem.field) == ("name_part_repeated", "full_name")
    values[at : at + 2] = ["Nguyễn", "Nguyễn Văn An"]  # the given name's column holds the whole name
    [problem] = RowMapper(match).map(3, values).problems
    assert problem.code == "name_part_repeated"


def test_a_column_between_the_parts_of_a_name_that_is_none_of_them_is_not_guessed():
    """Họ | Chữ lót 2 | Tên: the middle column's header is not known; read as a split name it would be
    dropped from every name. The header names no full name, and says which headers it does not know."""
    match = match_header(1, _split_name(["Họ", "Chữ lót 2", "Tên"]))
    assert match.name_parts == ()
    assert match.missing == [COLUMN_BY_KEY["full_name"]]
    assert {"Họ", "Chữ lót 2", "Tên"} <= set(match.ignored)


def test_a_surname_beside_the_whole_name_is_checked_against_it():
    """ "Surname | Name": "Name" is the whole name, which must start (or end) with the surname beside it;
    "Nguyễn" | "Văn An" (the name split) is refused, never "Nguyễn" | "Nguyễn Văn An" joined twice."""
    match = match_header(1, _split_name(["Surname", "Name"]))
    at = HEADERS.index("Họ và tên")
    assert (match.name_parts, match.index["full_name"], match.part_beside) == ((), at + 1, at)
    mapper = RowMapper(match)
    values = [""] * (len(HEADERS) + 1)
    values[at : at + 2] = ["Nguyễn", "Nguyễn Văn An"]
    mapped = mapper.map(2, values)
    assert (mapped.person.full_name, mapped.problems) == ("Nguyễn Văn An", [])
    values[at : at + 2] = ["Nguyễn", "Văn An"]
    assert [p.code for p in mapper.map(3, values).problems] == ["name_part_disagrees"]


# --------------------------------------------------------------------------------------------
# A header on two rows
# --------------------------------------------------------------------------------------------


def _two_rows() -> tuple[list[str], list[str]]:
    """The template's header on two rows, as forms draw it: "Họ và tên" over "Họ đệm | Tên" and "Giấy tờ
    tùy thân" over "Loại | Số" (titles merged across: the title in the first cell), the other headers
    merged down over both rows (the lower cell empty)."""
    name, kind = HEADERS.index("Họ và tên"), HEADERS.index("Loại giấy tờ")
    top = [*HEADERS[:name], "Họ và tên", "", *HEADERS[name + 1 : kind], "Giấy tờ tùy thân", "", *HEADERS[kind + 2 :]]
    sub = [""] * len(top)
    sub[name : name + 2] = ["Họ đệm", "Tên"]
    sub[kind + 1 : kind + 3] = ["Loại", "Số"]
    return top, sub


def test_a_header_on_two_rows_is_read_as_one():
    top, sub = _two_rows()
    back: list = []
    match = find_header(iter([(1, ["DANH SÁCH"]), (3, top), (4, sub), (5, ["1", "Nguyễn Văn"])]), back)
    assert (match.row, match.missing, match.ignored, back) == (4, [], [], [])
    name = HEADERS.index("Họ và tên")
    assert match.name_parts == (name, name + 1)
    assert match.cells[name + 2 : name + 3] == ["Ngày sinh"]
    kind = HEADERS.index("Loại giấy tờ") + 1
    assert (match.index["id_type"], match.index["id_number"]) == (kind, kind + 1)
    assert match.cells[kind : kind + 2] == ["Loại Giấy tờ tùy thân", "Số Giấy tờ tùy thân"]
    assert match_header(1, match.cells).index == match.index  # the report's one header row reads the same


def test_a_lower_row_filled_from_the_headers_merged_down_is_read_the_same():
    """The import fills a cell merged down into each of its rows: the lower row repeats those headers."""
    top, sub = _two_rows()
    titles = ("Họ và tên", "Giấy tờ tùy thân")
    filled = [lower or (upper if upper not in titles else "") for upper, lower in zip(top, sub, strict=True)]
    assert filled[0] == "STT"
    assert two_row_header((3, top), (4, filled)).index == two_row_header((3, top), (4, sub)).index


def test_a_group_title_over_the_last_columns_and_hints_with_digits():
    """No empty cell in the upper row (the group is last); a sub-header with a digit in its hint; a
    sub-header unknown alone under a known title ("Số" under "Số CCCD"), its neighbours unknown."""
    others = [h for h in HEADERS if h not in ("Họ và tên", "Số giấy tờ", "Loại giấy tờ")]
    top = [*others, "Số CCCD", "", "", "Họ và tên", ""]
    sub = [""] * len(others) + ["Số (12 số)", "Ngày cấp", "Nơi cấp", "Họ đệm", "Tên"]
    back: list = []
    match = find_header(iter([(1, top), (2, sub), (3, ["1", "x"])]), back)
    assert (match.row, match.missing, back) == (2, [], [])
    assert match.index["id_number"] == len(others)
    assert match.name_parts == (len(others) + 3, len(others) + 4)
    assert match.ignored == ["Ngày cấp", "Nơi cấp"]


@pytest.mark.parametrize("title", ["Thông tin CCCD", "Căn cước công dân", "Giấy tờ tùy thân", "CMND/CCCD"])
def test_a_document_number_under_a_group_title(title):
    others = [h for h in HEADERS if h not in ("Số giấy tờ", "Loại giấy tờ")]
    match = two_row_header((1, [*others, title, "", ""]), (2, [""] * len(others) + ["Số", "Ngày cấp", "Nơi cấp"]))
    assert match is not None and match.missing == []
    assert match.index["id_number"] == len(others)


@pytest.mark.parametrize("title", ["Ngày sinh", "Ngày tháng năm sinh", "Năm sinh", "Ngày sinh (dd/mm/yyyy)"])
def test_a_birth_date_split_over_day_month_and_year_is_read_as_one(title):
    """ "Ngày sinh" over "Ngày | Tháng | Năm" (old administrative lists): the three columns named in one row,
    as the error report writes them, which reads the same again; each row's date is built from its parts
    (numbers or their digits), and a part missing, no number or no real date refuses the row's date."""
    others = [h for h in HEADERS if h != "Ngày sinh"]
    top = [*others, title, "", ""]
    sub = [""] * len(others) + ["Ngày", "Tháng", "Năm"]
    header = find_header(iter([(1, top), (2, sub)]), [])
    at = len(others)
    assert (header.missing, header.ignored, header.date_parts) == ([], [], (at, at + 1, at + 2))
    assert header.cells[at:] == [f"{title} (Ngày)", f"{title} (Tháng)", f"{title} (Năm)"]
    assert match_header(1, header.cells).date_parts == header.date_parts  # the report's header row
    assert header.cells_of("date_of_birth", []) == (at, at + 1, at + 2)
    mapper = RowMapper(header)

    def read(day: object, month: object, year: object) -> tuple[object, list[tuple[str, str]]]:
        mapped = mapper.map(3, [""] * at + [day, month, year])
        return mapped.person.date_of_birth, [(p.field, p.code) for p in mapped.problems]

    assert read(5, 7, 1990) == (date(1990, 7, 5), [])
    assert read("05", " 7 ", "1990") == (date(1990, 7, 5), [])
    assert read(5.0, 7.0, 1990.0) == (date(1990, 7, 5), [])
    assert read("", None, "") == ("", [])  # no date: refused by the rules as required
    refused = ("", [("date_of_birth", "date_of_birth_format")])
    for parts in [(5, "", 1990), ("", 7, 1990), (5, 7, ""), (5, 13, 1990), (31, 2, 1990), (5, 7, 90), ("5a", 7, 1990)]:
        assert read(*parts) == refused, parts
    for parts in [(1e20, 7, 1990), (5, 10**30, 1990), (0, 7, 1990), (5, 7, "0000"), (True, 7, 1990), (5.5, 7, 1990)]:
        assert read(*parts) == refused, parts
    assert read("ngày 5", 7, 1990) == refused
    assert read(5, 7, date(1990, 1, 1)) == refused  # a date cell is no year


def test_the_reasons_of_a_split_birth_date_name_the_part():
    others = [h for h in HEADERS if h != "Ngày sinh"]
    sub = [""] * len(others) + ["Ngày", "Tháng", "Năm"]
    header = find_header(iter([(1, [*others, "Ngày sinh", "", ""]), (2, sub)]), [])
    mapper = RowMapper(header)

    def reason(*parts: object) -> str:
        [problem] = mapper.map(3, [""] * len(others) + list(parts)).problems
        with translation.override("en"):
            return reason_text(header, 3, problem)

    column = "Ngày sinh (Ngày) + Ngày sinh (Tháng) + Ngày sinh (Năm)"
    assert reason(5, "", 1990).startswith(f"Row 3 of the file sent, column “{column}”:")
    assert "“Ngày sinh (Tháng)” is empty" in reason(5, "", 1990)
    assert "holds “x”" in reason("x", 7, 1990)
    assert "(90) must have four digits" in reason(5, 7, 90)
    assert "(31/2/1990) are not a real date" in reason(31, 2, 1990)


@pytest.mark.parametrize(("title", "subs"), [("Ngày sinh", ["Nam", "Nữ"]), ("Năm sinh", ["Nữ", "Nam"])])
def test_a_birth_date_typed_under_nam_or_nu_gives_the_date_and_the_sex(title, subs):
    """ "Ngày sinh" over "Nam | Nữ": the date typed in the column of the person's sex. Without a "Giới tính"
    column the column is the sex; both filled is refused naming the date, neither is no date."""
    others = [h for h in HEADERS if h not in ("Ngày sinh", "Giới tính")]
    header = find_header(iter([(1, [*others, title, ""]), (2, [""] * len(others) + subs)]), [])
    at = len(others)
    man, woman = at + subs.index("Nam"), at + subs.index("Nữ")
    assert (header.missing, header.ignored, header.date_marks, header.sex_from_dates) == ([], [], True, True)
    assert header.cells[at:] == [f"{title} ({label})" for label in subs]
    assert match_header(1, header.cells).date_marks  # the report's header row reads the same
    assert header.cells_of("sex", []) == header.cells_of("date_of_birth", []) == (man, woman)
    assert header.column_title("sex") == f"{title} (Nam) + {title} (Nữ)"
    mapper = RowMapper(header)

    def read(men: object, women: object) -> tuple[object, str, list[tuple[str, str]]]:
        values: list[object] = [""] * (at + 2)
        values[man], values[woman] = men, women
        mapped = mapper.map(3, values)
        return mapped.person.date_of_birth, mapped.person.sex, [(p.field, p.code) for p in mapped.problems]

    assert read("15/07/1990", "") == ("15/07/1990", "Nam", [])
    assert read("", date(1985, 2, 1)) == (date(1985, 2, 1), "Nữ", [])
    assert read("", 1985) == (1985, "Nữ", [])  # a year alone: the rules refuse it, as in a "Ngày sinh" column
    assert read("", "") == ("", "", [])
    assert read("15/07/1990", "01/02/1985") == ("", "", [("date_of_birth", "date_of_birth_format")])


def test_a_birth_date_under_nam_or_nu_beside_a_sex_column_must_agree_with_it():
    others = [h for h in HEADERS if h != "Ngày sinh"]
    header = find_header(iter([(1, [*others, "Ngày sinh", ""]), (2, [""] * len(others) + ["Nam", "Nữ"])]), [])
    at, sex = len(others), others.index("Giới tính")
    assert (header.missing, header.date_marks, header.sex_from_dates, header.index["sex"]) == ([], True, False, sex)
    assert header.cells_of("sex", []) == (sex, at, at + 1)  # the report highlights the sex and the date
    mapper = RowMapper(header)

    def read(given: str, men: str, women: str) -> tuple[str, list[str]]:
        values = [""] * (at + 2)
        values[sex], values[at], values[at + 1] = given, men, women
        mapped = mapper.map(3, values)
        return mapped.person.sex, [p.code for p in mapped.problems]

    assert read("Nam", "15/07/1990", "") == ("Nam", [])
    assert read("", "", "15/07/1990") == ("Nữ", [])  # the column gives the sex the row does not
    assert read("Nữ", "15/07/1990", "") == ("Nữ", ["sex_format"])
    [problem] = mapper.map(3, [*[""] * sex, "M", *[""] * (at - sex - 1), "", "15/07/1990"]).problems
    with translation.override("en"):
        assert reason_text(header, 3, problem).startswith(
            "Row 3 of the file sent, column “Giới tính”: The sex “M” disagrees"
        )


@pytest.mark.parametrize(
    "headers",
    [
        ["Ngày sinh (Ngày)", "Ngày sinh (Tháng)"],  # the year's column deleted
        ["Ngày sinh (Nam)"],
        ["Ngày sinh", "Ngày sinh (Ngày)", "Ngày sinh (Tháng)", "Ngày sinh (Năm)"],  # a whole date's column too
    ],
)
def test_a_birth_date_column_naming_a_part_or_a_sex_alone_is_not_read(headers):
    """Read alone, a day's column would be taken for the whole date: such headers are not read (listed as
    not known), and the file is refused for its missing date unless a whole date's column is there."""
    others = [h for h in HEADERS if h not in ("Ngày sinh", "Giới tính")]
    header = match_header(1, [*others, "Giới tính", *headers])
    whole = "Ngày sinh" in headers
    assert (header.date_parts, header.date_marks) == ((), False)
    assert header.missing == ([] if whole else [COLUMN_BY_KEY["date_of_birth"]])
    assert header.ignored == [h for h in headers if h != "Ngày sinh"]


@pytest.mark.parametrize("subs", [["Nam", "Nữ"], ["Nữ", "Nam"]])
def test_the_sex_marked_in_two_columns_under_its_title_is_read_from_the_cross(subs):
    """ "Giới tính" over "Nam | Nữ", a cross in one of them (administrative forms): read as the sex; a cross
    in both is refused as no sex, none as a sex missing."""
    others = [h for h in HEADERS if h != "Giới tính"]
    header = two_row_header((1, [*others, "Giới tính", ""]), (2, [""] * len(others) + subs))
    assert header is not None and header.sex_marks and header.missing == [] and header.ignored == []
    at = len(others) + subs.index("Nam")
    mapper = RowMapper(header)

    def sex(man: str, woman: str) -> str:
        values = [""] * (len(others) + 2)
        values[at], values[len(others) + subs.index("Nữ")] = man, woman
        row = mapper.map(3, values)
        return "; ".join(f"{p.code}: {p.message}" for p in row.problems) or row.person.sex

    assert (sex("x", ""), sex("", "X"), sex("", "")) == ("Nam", "Nữ", "")
    # both marked: said so, naming both columns
    with translation.override("en"):
        both = sex("x", "x")
    assert both == (
        "sex_format: Both “Giới tính (Nam)” (x) and “Giới tính (Nữ)” (x) are marked in this row: keep the mark only "
        "in the column of the person's sex, and leave the other empty (or FALSE)."
    )


def test_a_complete_header_with_a_gap_gives_back_the_data_row_under_it():
    header = [*HEADERS[:3], "", *HEADERS[3:]]
    back: list = []
    data = (2, ["1", "Nguyễn Văn An", "01/01/1990"])
    assert find_header(iter([(1, header), data, (3, ["2"])]), back).row == 1
    assert back == [data]
    assert find_header(iter([(1, header)]), []).row == 1  # nothing under it


@pytest.mark.parametrize(
    "lower",
    [
        ["", "Nguyễn Văn An", "", "Nam", "", "CCCD"],  # a data row without digits: its name is no header
        ["", "Họ đệm", "01/01/1990"],  # a digit: data
        ["", "", ""],
    ],
)
def test_what_is_not_the_lower_row_of_a_header(lower):
    top, _sub = _two_rows()
    two = two_row_header((1, top), (2, lower))
    assert two is None or two.missing


@pytest.mark.parametrize(
    ("header", "key"),
    [
        ("CMND/CCCD", "id_number"),
        ("Số CMT", "id_number"),
        ("CCCD/CMND/HC", "id_number"),
        ("SĐT liên hệ", "phone"),
        ("Điện thoại liên hệ", "phone"),
        ("ĐT", "phone"),
        ("Phường/xã/thị trấn", "ward_code"),
        ("Xã/Phường/Thị trấn", "ward_code"),
        ("Tỉnh/thành phố trực thuộc TW", "province_code"),
        ("Họ và tên người lao động", "full_name"),
        ("Nơi cư trú", "address_line"),
        ("Đơn vị/Phòng ban", "department"),
        ("Bộ phận/Phòng ban", "department"),
        ("Mã BHXH", "health_insurance_number"),
        ("MSNV", "employee_number"),
        ("TT", "row_number"),
    ],
)
def test_headers_real_rosters_use(header, key):
    """Spellings seen in rosters: each is its column, none was refused nor dropped as unknown."""
    assert match_header(1, [header]).index.get(key) == 0
