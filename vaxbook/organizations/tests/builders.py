"""Real roster files built in the tests: xlsx (xlsxwriter or openpyxl) and CSV, as bytes."""

import csv
import io
import unicodedata
import zipfile
from collections.abc import Callable
from datetime import date
from typing import Any

import openpyxl
import openpyxl.styles
import xlsxwriter
from django.core.files.uploadedfile import SimpleUploadedFile

from vaxbook.common.testing import cccd_for
from vaxbook.organizations.columns import TEMPLATE_COLUMNS

HEADERS = [c.header for c in TEMPLATE_COLUMNS]


def person_row(n: int, **over: Any) -> dict[str, Any]:
    """A complete, valid staff row (keys are the template's headers)."""
    dob = date(1980 + n % 20, 1 + n % 12, 1 + n % 28)
    sex = "F" if n % 2 else "M"
    row = {
        "STT": n,
        "Họ và tên": f"Nguyễn Văn {chr(65 + n % 26)}{chr(65 + (n // 26) % 26)}",
        "Ngày sinh": dob.strftime("%d/%m/%Y"),
        "Giới tính": "Nữ" if sex == "F" else "Nam",
        "Số điện thoại": f"09{12000000 + n:08d}",
        "Loại giấy tờ": "CCCD",
        "Số giấy tờ": cccd_for(dob, sex, 500000 + n),
        "Số thẻ BHYT": "",
        "Nhóm ưu tiên": "9",
        "Nghề nghiệp": "Kỹ sư",
        "Bộ phận": "Phòng Kỹ thuật",
        "Dân tộc": "Kinh",
        "Quốc tịch": "VN",
        "Mã tỉnh": "75",
        "Mã phường/xã": "26001",
        "Địa chỉ": f"{n} Đường Số 1",
    }
    row.update(over)
    return row


def table(rows: list[dict[str, Any]], headers: list[str] | None = None) -> list[list[Any]]:
    headers = headers or HEADERS
    return [list(headers), *([r.get(h, "") for h in headers] for r in rows)]


def xlsx_bytes(
    cells: list[list[Any]],
    *,
    engine: str = "xlsxwriter",
    date_format: str = "dd/mm/yyyy",
    merges: tuple[str, ...] = (),
    hidden: tuple[int, ...] = (),
    folded: tuple[tuple[int, int], ...] = (),
    struck: tuple[str, ...] = (),
) -> bytes:
    """A workbook of these rows; `merges` (ranges such as "K2:K4", openpyxl only) merged as Excel does:
    the value stays in the first cell, the others are emptied. `hidden`: rows (numbered from 1) hidden by
    hand; `folded`: (first, last) rows grouped into an outline and folded; `struck`: cells ("B3") whose
    text is struck through. All openpyxl only."""
    out = io.BytesIO()
    if engine == "openpyxl" or merges or hidden or folded or struck:
        book = openpyxl.Workbook()
        sheet = book.active
        sheet.title = "Danh sách"
        for row in cells:
            sheet.append(list(row))
        for ref in merges:
            sheet.merge_cells(ref)
        for number in hidden:
            sheet.row_dimensions[number].hidden = True
        for first, last in folded:
            sheet.row_dimensions.group(first, last, outline_level=1, hidden=True)
        for ref in struck:
            sheet[ref].font = openpyxl.styles.Font(strike=True)
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, date):
                    cell.number_format = date_format
        book.save(out)
        return out.getvalue()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_numbers": False})
    sheet = book.add_worksheet("Danh sách")
    fmt = book.add_format({"num_format": date_format})
    for r, row in enumerate(cells):
        for c, value in enumerate(row):
            if isinstance(value, date):
                sheet.write_datetime(r, c, value, fmt)
            elif value is None or value == "":
                continue
            elif isinstance(value, int | float):
                sheet.write_number(r, c, value)
            else:
                sheet.write_string(r, c, str(value))
    book.close()
    return out.getvalue()


def csv_bytes(cells: list[list[Any]], *, bom: bool = False, delimiter: str = ",", encoding: str = "utf-8") -> bytes:
    """A CSV file; ``encoding="windows-1258"``: as Excel on a Vietnamese Windows saves a plain "CSV"."""
    text = io.StringIO()
    writer = csv.writer(text, delimiter=delimiter)
    for row in cells:
        writer.writerow(["" if v is None else v for v in row])
    data = cp1258_bytes(text.getvalue()) if encoding == "windows-1258" else text.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


_TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"


def cp1258_bytes(text: str) -> bytes:
    """`text` in Windows-1258 as Windows writes it: a letter the code page has is its byte; any other, its
    letter without the tone (ă, â, ê, ô, ơ, ư, đ … are in the code page) and then the tone's mark."""
    out = []
    for ch in unicodedata.normalize("NFC", text):
        try:
            out.append(ch.encode("cp1258"))
        except UnicodeEncodeError:
            letters = unicodedata.normalize("NFD", ch)
            base = unicodedata.normalize("NFC", "".join(c for c in letters if c not in _TONE_MARKS))
            out.append((base + "".join(c for c in letters if c in _TONE_MARKS)).encode("cp1258"))
    return b"".join(out)


def rewrite_members(content: bytes, prefix: str, change: Callable[[bytes], bytes]) -> bytes:
    """The workbook with `change` applied to each member whose name starts with `prefix`."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            dst.writestr(info, change(data) if info.filename.startswith(prefix) else data)
    return out.getvalue()


def saved_by_excel(content: bytes) -> bytes:
    """An xlsxwriter workbook as Excel saves it after computing its formulas: xlsxwriter marks every file
    to be recalculated on opening (its formulas' results are whatever the program said); Excel does not."""
    return rewrite_members(content, "xl/workbook.xml", lambda data: data.replace(b' fullCalcOnLoad="1"', b""))


def zip_bomb(name: str = "xl/worksheets/sheet1.xml", size: int = 200 * 1024 * 1024) -> bytes:
    """A small zip (~200 kB) holding a member that expands to `size` bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        with z.open(name, "w", force_zip64=True) as member:
            block = b"\0" * (1024 * 1024)
            for _ in range(size // len(block)):
                member.write(block)
    return out.getvalue()


def upload(content: bytes, name: str = "roster.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)
