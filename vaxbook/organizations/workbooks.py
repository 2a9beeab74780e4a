"""The workbooks Vaxbook writes for rosters: the template to fill, and the error report of an import.

Both are written with xlsxwriter; the error report in constant-memory mode, row by row as the import
refuses rows. Every text cell that starts like a formula (= + - @ tab CR) is written with a leading
quote (formula injection); the importer removes that quote again, so a fixed report can be uploaded.
The sheets' texts are Vietnamese: the roster format is Vietnamese by specification.
"""

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

import xlsxwriter
from django.utils import translation
from django.utils.translation import gettext as _
from xlsxwriter.worksheet import Worksheet

from vaxbook.organizations.columns import (
    COLUMN_BY_KEY,
    EXPORT_DOSES_HEADER,
    EXPORT_NEXT_HEADER,
    EXPORT_PROBLEMS_HEADER,
    EXPORT_STATUS_HEADER,
    FORMULA_START,
    REASONS_HEADER,
    TEMPLATE_COLUMNS,
    Column,
    HeaderMatch,
    column_letters,
    reasons_position,
)
from vaxbook.organizations.readers import MAX_COLUMNS, ROSTER_SHEET
from vaxbook.organizations.reasons import Reason

INSTRUCTIONS_SHEET = "Hướng dẫn"
REFERENCE_SHEET = "Danh mục"
SUMMARY_SHEET = "Tóm tắt"
SUMMARY_HEADERS = ("Lý do", "Số dòng", "Mã")
#: Rows of the template that carry the drop-down lists.
TEMPLATE_ROWS = 100_000

SEX_CHOICES = ["Nam", "Nữ"]
ID_TYPE_CHOICES = ["CCCD", "CMND", "Hộ chiếu"]

WORKBOOK_OPTIONS = {"strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False}


def safe_text(text: str) -> str:
    """A text cell that a spreadsheet will never run as a formula."""
    return "'" + text if text.startswith(FORMULA_START) else text


# --------------------------------------------------------------------------------------------
# The template
# --------------------------------------------------------------------------------------------

_COLUMN_HELP: dict[str, str] = {
    "row_number": "Số thứ tự (không bắt buộc).",
    "full_name": "Bắt buộc. Họ và tên đầy đủ, có dấu, ví dụ: Nguyễn Thị Mai.",
    "date_of_birth": "Bắt buộc. Ngày/tháng/năm, ví dụ 05/09/1990 (gõ dạng chữ hoặc ô ngày của Excel).",
    "sex": "Bắt buộc. Chọn Nam hoặc Nữ trong danh sách.",
    "phone": "Bắt buộc. Số di động 10 chữ số, bắt đầu 03, 05, 07, 08 hoặc 09, ví dụ 0912345678.",
    "id_type": "Chọn CCCD, CMND hoặc Hộ chiếu; để trống nếu không có giấy tờ (trẻ em dưới 14 tuổi).",
    "id_number": "Bắt buộc nếu có giấy tờ. CCCD 12 chữ số (khớp với ngày sinh và giới tính), CMND 9 chữ số, "
    "hộ chiếu Việt Nam 1 chữ cái và 7 chữ số.",
    "health_insurance_number": "Không bắt buộc. Mã số BHXH 10 chữ số hoặc mã thẻ BHYT 15 ký tự.",
    "priority_group": "Bắt buộc. Chọn nhóm ưu tiên trong danh sách (xem trang Danh mục).",
    "occupation": "Nghề nghiệp, chức vụ.",
    "department": "Bộ phận, phòng ban trong đơn vị.",
    "ethnicity": "Dân tộc, ví dụ Kinh.",
    "nationality": "Mã quốc gia 2 chữ cái; để trống nếu là Việt Nam (VN).",
    "province_code": "Mã tỉnh/thành phố nơi ở (xem trang Danh mục), hoặc tên tỉnh (ví dụ Đồng Nai); có thể để trống "
    "nếu đã ghi mã phường/xã.",
    "ward_code": "Bắt buộc. Mã phường/xã/đặc khu nơi ở, 5 chữ số (xem trang Danh mục); hoặc tên phường/xã mới (từ "
    "năm 2025, ví dụ Phường Trấn Biên), khi đó phải ghi tỉnh.",
    "address_line": "Bắt buộc. Số nhà, đường, thôn/ấp.",
}

_GENERAL_HELP = [
    "Mỗi dòng là một người. Không đổi tên, không xoá các cột tiêu đề; có thể đổi thứ tự cột.",
    "Các cột số điện thoại, số giấy tờ, mã đã được định dạng Văn bản (Text) để Excel giữ số 0 ở đầu.",
    "Gõ tiếng Việt có dấu bằng bảng mã Unicode: nội dung gõ bằng bảng mã cũ (TCVN3 với phông .VnTime, VNI "
    "với phông VNI-Times) hoặc kiểu VIQR (Nguye^~n) bị từ chối; Unikey chuyển mã được cả bảng.",
    "Dòng đúng được nhận ngay; dòng sai được trả lại trong file báo lỗi, có cột Lý do và ô sai được tô màu: "
    "sửa các ô đó và tải file báo lỗi lên lại.",
    "Một người đã có trong hệ thống (cùng số giấy tờ, cùng họ tên và ngày sinh) không bị tạo lần hai: "
    "hệ thống liên kết người đó vào danh sách của đơn vị.",
    "Số giấy tờ đã thuộc về người có họ tên hoặc ngày sinh khác sẽ bị từ chối để cán bộ kiểm tra.",
    "Có thể tải lên tệp .xlsx hoặc .csv (UTF-8).",
    "Có thể thêm cột Mã nhân viên (không bắt buộc): mã được lưu trong danh sách của đơn vị và dùng để tìm nhân viên.",
    "Ngày sinh gõ dạng chữ dd/mm/yyyy trong cột Văn bản (như cột của tệp mẫu): nếu Excel đặt vùng Tiếng Anh "
    "(Hoa Kỳ), ngày gõ vào cột General bị đọc tháng trước ngày và tệp bị từ chối.",
    "Người đã nghỉ: xoá dòng của họ, đừng ẩn dòng hay gạch ngang. Dòng bị ẩn (ẩn dòng, bộ lọc, nhóm thu gọn) "
    "hoặc có chữ gạch ngang không được nhận mà được trả lại trong file báo lỗi để đơn vị xác nhận.",
    "Nếu họ tên tách làm hai cột (để xếp theo tên), đặt tiêu đề hai cột là “Họ đệm” và “Tên”: hệ thống ghép lại "
    "thành họ và tên.",
]


@dataclass(frozen=True)
class ReferenceLists:
    """What the template's drop-down lists and its "Danh mục" sheet list (`selectors.roster_reference_lists`):
    the priority groups (code, name), the provinces (code, name) and the wards (code, name, province code).
    The error report and the export carry them too, so a row is fixed where it stands."""

    priority_groups: Sequence[tuple[str, str]] = ()
    provinces: Sequence[tuple[str, str]] = ()
    wards: Sequence[tuple[str, str, str]] = ()


def roster_template_bytes(*, organization_name: str, references: ReferenceLists) -> bytes:
    """The roster template: the roster sheet (headers, Text formats, drop-down lists), the instructions
    (Vietnamese) and the reference lists (priority groups, provinces, wards with their province)."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, **WORKBOOK_OPTIONS})
    header = book.add_format({"bold": True, "bg_color": "#DDEFE6", "border": 1, "text_wrap": True, "valign": "vcenter"})
    text = book.add_format({"num_format": "@"})

    sheet = book.add_worksheet(ROSTER_SHEET)
    for position, column in enumerate(TEMPLATE_COLUMNS):
        sheet.set_column(position, position, column.width, text if column.text_format else None)
        sheet.write_string(0, position, column.header, header)
    sheet.set_row(0, 30)
    sheet.freeze_panes(1, 0)
    add_drop_downs(sheet, {c.key: i for i, c in enumerate(TEMPLATE_COLUMNS)}, references)
    add_instructions(book, organization_name)
    add_reference_sheet(book, references)
    sheet.activate()
    book.close()
    return out.getvalue()


def add_drop_downs(sheet: Worksheet, positions: dict[str, int], references: ReferenceLists) -> None:
    """The template's drop-down lists on the columns (by key → position) that a sheet has."""
    if "sex" in positions:
        _list_validation(sheet, positions["sex"], SEX_CHOICES, "Giới tính", "Chọn Nam hoặc Nữ.")
    if "id_type" in positions:
        _list_validation(sheet, positions["id_type"], ID_TYPE_CHOICES, "Loại giấy tờ", "Chọn CCCD, CMND hoặc Hộ chiếu.")
    if references.priority_groups and "priority_group" in positions:
        sheet.data_validation(
            1,
            positions["priority_group"],
            TEMPLATE_ROWS,
            positions["priority_group"],
            {
                "validate": "list",
                "source": f"='{REFERENCE_SHEET}'!$C$2:$C${len(references.priority_groups) + 1}",
                "input_title": "Nhóm ưu tiên",
                "input_message": "Chọn trong danh sách (hoặc gõ mã nhóm).",
                "error_type": "information",
            },
        )


def add_instructions(book: xlsxwriter.Workbook, organization_name: str) -> None:
    """The "Hướng dẫn" sheet: how to fill each column (Vietnamese)."""
    bold = book.add_format({"bold": True})
    title = book.add_format({"bold": True, "font_size": 14})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    guide = book.add_worksheet(INSTRUCTIONS_SHEET)
    guide.set_column(0, 0, 22)
    guide.set_column(1, 1, 100, wrap)
    guide.write_string(0, 0, "Hướng dẫn điền danh sách đăng ký tiêm chủng", title)
    guide.write_string(1, 0, "Đơn vị", bold)
    guide.write_string(1, 1, safe_text(organization_name))
    row = 3
    for line in _GENERAL_HELP:
        guide.write_string(row, 0, "•")
        guide.write_string(row, 1, line)
        row += 1
    row += 1
    guide.write_string(row, 0, "Cột", bold)
    guide.write_string(row, 1, "Cách điền", bold)
    for column in TEMPLATE_COLUMNS:
        row += 1
        guide.write_string(row, 0, column.header)
        guide.write_string(row, 1, _COLUMN_HELP.get(column.key, ""))


def add_reference_sheet(book: xlsxwriter.Workbook, references: ReferenceLists) -> None:
    """The "Danh mục" sheet: priority groups (with the drop-down's labels), provinces, wards."""
    header = book.add_format({"bold": True, "bg_color": "#DDEFE6", "border": 1, "text_wrap": True, "valign": "vcenter"})
    text = book.add_format({"num_format": "@"})
    ref = book.add_worksheet(REFERENCE_SHEET)
    for position, (heading, width) in enumerate(
        [
            ("Mã nhóm", 9),
            ("Nhóm ưu tiên", 60),
            ("Chọn trong danh sách", 30),
            ("", 3),
            ("Mã tỉnh", 9),
            ("Tỉnh/thành phố", 28),
            ("", 3),
            ("Mã phường/xã", 13),
            ("Phường/xã/đặc khu", 32),
            ("Mã tỉnh", 9),
        ]
    ):
        ref.set_column(position, position, width, text)
        if heading:
            ref.write_string(0, position, heading, header)
    # Written row by row, every column of a row at once (a constant-memory workbook writes rows in order).
    groups, provinces, wards = references.priority_groups, references.provinces, references.wards
    for i in range(1, max(len(groups), len(provinces), len(wards)) + 1):
        if i <= len(groups):
            code, name = groups[i - 1]
            ref.write_string(i, 0, code)
            ref.write_string(i, 1, safe_text(name))
            ref.write_string(i, 2, safe_text(f"{code} - {name}"))
        if i <= len(provinces):
            code, name = provinces[i - 1]
            ref.write_string(i, 4, code)
            ref.write_string(i, 5, safe_text(name))
        if i <= len(wards):
            code, name, province_code = wards[i - 1]
            ref.write_string(i, 7, code)
            ref.write_string(i, 8, safe_text(name))
            ref.write_string(i, 9, province_code)
    ref.freeze_panes(1, 0)


def _list_validation(sheet: Worksheet, column: int, choices: list[str], title: str, message: str) -> None:
    sheet.data_validation(
        1,
        column,
        TEMPLATE_ROWS,
        column,
        {
            "validate": "list",
            "source": choices,
            "input_title": title,
            "input_message": message,
            "error_title": title,
            "error_message": message,
            "error_type": "stop",
        },
    )


# --------------------------------------------------------------------------------------------
# The error report
# --------------------------------------------------------------------------------------------


class ErrorReportWriter:
    """The refused rows as they were sent, a "Lý do" column, and the faulty cells highlighted.

    Written in xlsxwriter's constant-memory mode: rows go to disk as they come (in order), so a
    report of a million refused rows does not sit in memory.
    """

    def __init__(
        self,
        path: str,
        header_cells: Sequence[Any],
        *,
        text_positions: set[int],
        positions: dict[str, int] | None = None,
        references: ReferenceLists | None = None,
        organization_name: str = "",
        date1904: bool = False,
        reasons_at: int | None = None,
    ):
        """`reasons_at`: where the reasons go (`HeaderMatch.reasons_at`; by default `reasons_position`'s).
        `positions`: the file's columns the import read (key → position), which get the template's widths
        and drop-down lists; with `references`, the report ends with the template's instructions and
        reference lists, so a row is fixed where it stands. `date1904`: the file counted its dates from 1904
        (old Excel for Mac): so does the report, so a date typed as a bare number reads as the same day again."""
        options = {"constant_memory": True, "date_1904": date1904, **WORKBOOK_OPTIONS}
        self.book = xlsxwriter.Workbook(path, options)
        self.sheet = self.book.add_worksheet(ROSTER_SHEET)
        self.width = len(header_cells)
        self.reasons_at = reasons_position(list(header_cells)) if reasons_at is None else reasons_at
        self.text_positions = text_positions
        self.references = references
        self.organization_name = organization_name
        positions = positions or {}
        widths = {position: COLUMN_BY_KEY[key].width for key, position in positions.items() if key in COLUMN_BY_KEY}
        self.rows = 0
        book = self.book
        bad = {"bg_color": "#FFC7CE", "font_color": "#9C0006", "border": 1, "border_color": "#C00000"}
        self.fmt_header = book.add_format({"bold": True, "bg_color": "#DDEFE6", "border": 1, "text_wrap": True})
        self.fmt_reason_header = book.add_format({"bold": True, "bg_color": "#FFC7CE", "border": 1})
        self.fmt_reason = book.add_format({"text_wrap": True, "font_color": "#9C0006", "valign": "top"})
        self.fmt_date = book.add_format({"num_format": "dd/mm/yyyy"})
        self.fmt_datetime = book.add_format({"num_format": "dd/mm/yyyy hh:mm"})
        self.fmt_bad = book.add_format(bad)
        self.fmt_bad_text = book.add_format({**bad, "num_format": "@"})
        self.fmt_bad_date = book.add_format({**bad, "num_format": "dd/mm/yyyy"})
        # A whole number of 12 digits or more (an employee number, a tax code) shown as such: Excel's General
        # format, and the Text one, show it as 1.23457E+11, as a CSV saved from the report would write it.
        self.fmt_whole = book.add_format({"num_format": "0"})
        self.fmt_bad_whole = book.add_format({**bad, "num_format": "0"})
        text = book.add_format({"num_format": "@"})
        for position in range(self.width):
            width = widths.get(position, 16)
            self.sheet.set_column(position, position, width, text if position in text_positions else None)
        self.sheet.set_column(self.reasons_at, self.reasons_at, 80)
        for position, cell in enumerate(header_cells):
            if position != self.reasons_at:
                self._write(0, position, cell, self.fmt_header)
        self.sheet.write_string(0, self.reasons_at, REASONS_HEADER, self.fmt_reason_header)
        self.sheet.freeze_panes(1, 0)
        add_drop_downs(self.sheet, positions, references or ReferenceLists())

    def add(self, values: Sequence[Any], reasons: Sequence[str], bad_positions: set[int]) -> None:
        self.rows += 1
        row = self.rows
        appended = self.reasons_at == self.width
        beyond: list[str] = []  # cells that would move past the sheet's last column
        for position in range(max(self.width, len(values))):
            if position == self.reasons_at and not appended:
                continue  # the old reasons, replaced
            value = values[position] if position < len(values) else None
            # A cell beyond the header's last column moves right of the appended "Lý do": nothing lost.
            column = position + 1 if appended and position >= self.width else position
            if column >= MAX_COLUMNS:  # the sheet's last column (XFD): it goes with the reasons instead
                if value is not None and value != "":
                    beyond.append(f"{column_letters(position)}: {value}")
                continue
            fmt = None
            if position in bad_positions:
                fmt = self.fmt_bad_text if position in self.text_positions else self.fmt_bad
                if isinstance(value, date):
                    fmt = self.fmt_bad_date
            self._write(row, column, value, fmt)
        if beyond:
            with translation.override("vi"):
                reasons = [
                    *reasons,
                    _("Cells past the sheet's last column, kept here: %(cells)s") % {"cells": "; ".join(beyond)},
                ]
        if reasons:  # none for a row written for its place only (a section's heading)
            self.sheet.write_string(row, self.reasons_at, safe_text("\n".join(reasons)), self.fmt_reason)

    def _write(self, row: int, col: int, value: Any, fmt: Any) -> None:
        ws = self.sheet
        if value is None or value == "":
            if fmt is not None:
                ws.write_blank(row, col, None, fmt)
        elif isinstance(value, bool):
            ws.write_boolean(row, col, value, fmt)
        elif isinstance(value, int | float):
            if math.isfinite(value):
                if abs(value) >= 1e11 and value == int(value) and fmt in (None, self.fmt_bad, self.fmt_bad_text):
                    fmt = self.fmt_whole if fmt is None else self.fmt_bad_whole
                ws.write_number(row, col, value, fmt)
            else:
                ws.write_string(row, col, str(value), fmt)
        elif isinstance(value, datetime):
            ws.write_datetime(row, col, value, fmt or self.fmt_datetime)
        elif isinstance(value, date):
            ws.write_datetime(row, col, datetime.combine(value, time()), fmt or self.fmt_date)
        else:
            ws.write_string(row, col, safe_text(str(value)), fmt)

    def add_summary(self, reasons: Sequence[Reason]) -> None:
        """A second sheet, after the rows: each refusal reason with its number of rows, most first.
        The rows' sheet stays the first, so the fixed report is uploaded as it is."""
        sheet = self.book.add_worksheet(SUMMARY_SHEET)
        sheet.set_column(0, 0, 70)
        sheet.set_column(1, 2, 14)
        for col, title in enumerate(SUMMARY_HEADERS):
            sheet.write_string(0, col, title, self.fmt_header)
        for row, reason in enumerate(reasons, start=1):
            sheet.write_string(row, 0, safe_text(reason.label))
            sheet.write_number(row, 1, reason.rows)
            sheet.write_string(row, 2, reason.code)

    def close(self) -> None:
        if self.references is not None:
            add_instructions(self.book, self.organization_name)
            add_reference_sheet(self.book, self.references)
        self.book.close()


def text_positions(header: HeaderMatch, columns: Sequence[Column]) -> set[int]:
    """Positions of the file's columns that the template keeps as Text: each column's own, the further ones
    it is read from where it is empty (a second phone, an old identity card's number, the women's column of
    a birth date under "Nam | Nữ") and the parts of a birth date split over three. A date typed in a column
    left General is made a date by Excel, month first where it is set to English (United States)."""
    positions = set()
    for column in columns:
        if column.text_format and column.key in header.index:
            positions.add(header.index[column.key])
            positions.update(header.fallbacks.get(column.key, ()))
    return positions | set(header.date_parts)


# --------------------------------------------------------------------------------------------
# The roster export
# --------------------------------------------------------------------------------------------

ID_TYPE_LABELS = {"cccd": "CCCD", "cmnd": "CMND", "passport": "Hộ chiếu"}
SEX_LABELS = {"M": "Nam", "F": "Nữ"}


class RosterExportWriter:
    """The roster in the template's columns (and the employee number), one person a row, then its data
    status and what to complete or correct: filled in and uploaded again, each row links to its person
    and fills the blanks. Constant-memory mode: rows go to disk as they come."""

    def __init__(
        self,
        path: str,
        columns: Sequence[Column],
        *,
        references: ReferenceLists | None = None,
        organization_name: str = "",
    ):
        self.book = xlsxwriter.Workbook(path, {"constant_memory": True, **WORKBOOK_OPTIONS})
        self.sheet = self.book.add_worksheet(ROSTER_SHEET)
        self.columns = columns
        self.references = references
        self.organization_name = organization_name
        self.rows = 0
        header = self.book.add_format({"bold": True, "bg_color": "#DDEFE6", "border": 1, "text_wrap": True})
        extra = self.book.add_format({"bold": True, "bg_color": "#FFF2CC", "border": 1, "text_wrap": True})
        text = self.book.add_format({"num_format": "@"})
        self.fmt_date = self.book.add_format({"num_format": "dd/mm/yyyy"})
        self.fmt_problem = self.book.add_format({"text_wrap": True, "font_color": "#9C0006", "valign": "top"})
        for position, column in enumerate(columns):
            self.sheet.set_column(position, position, column.width, text if column.text_format else None)
            self.sheet.write_string(0, position, column.header, header)
        self.sheet.set_column(len(columns), len(columns), 18)
        self.sheet.set_column(len(columns) + 1, len(columns) + 1, 60)
        self.sheet.set_column(len(columns) + 2, len(columns) + 3, 14)
        own = (EXPORT_STATUS_HEADER, EXPORT_PROBLEMS_HEADER, EXPORT_DOSES_HEADER, EXPORT_NEXT_HEADER)
        for offset, title in enumerate(own):
            self.sheet.write_string(0, len(columns) + offset, title, extra)
        self.sheet.freeze_panes(1, 0)
        add_drop_downs(self.sheet, {c.key: i for i, c in enumerate(columns)}, references or ReferenceLists())

    def add(
        self,
        values: dict[str, Any],
        status: str,
        problems: Sequence[str],
        doses: int = 0,
        next_appointment: date | None = None,
    ) -> None:
        """One person: `values` by column key (text, or a date for the birth date), then the export's own
        columns: data status, what to complete, valid doses, the next appointment's day."""
        self.rows += 1
        row = self.rows
        for position, column in enumerate(self.columns):
            value = values.get(column.key)
            if isinstance(value, date):
                self.sheet.write_datetime(row, position, datetime.combine(value, time()), self.fmt_date)
            elif isinstance(value, int):
                self.sheet.write_number(row, position, value)
            elif value:
                self.sheet.write_string(row, position, safe_text(str(value)))
        self.sheet.write_string(row, len(self.columns), status)
        if problems:
            self.sheet.write_string(row, len(self.columns) + 1, safe_text("\n".join(problems)), self.fmt_problem)
        self.sheet.write_number(row, len(self.columns) + 2, doses)
        if next_appointment is not None:
            on = datetime.combine(next_appointment, time())
            self.sheet.write_datetime(row, len(self.columns) + 3, on, self.fmt_date)

    def close(self) -> None:
        if self.references is not None:
            add_instructions(self.book, self.organization_name)
            add_reference_sheet(self.book, self.references)
        self.book.close()
