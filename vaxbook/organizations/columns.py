"""The roster's columns: one object per column with its clean step, and the header matching.

A clean step only undoes what spreadsheets do to data: codes typed as numbers (``26001.0``, ``9.0``,
province ``1`` for ``01``), dates as serial numbers, datetimes or text, the Vietnamese labels of the
template's drop-down lists, and the quote our own error report puts before a cell that starts like a
formula. What is right or wrong about a person is decided by the identity rules, once, inside
``persons_register_bulk`` (which also restores dropped leading zeros, NFC names, spaces, phones).

Headers are matched by name, ignoring case, diacritics, spaces, punctuation and order; a column whose
header is not known is ignored (and said so), a required column that is absent refuses the file.
"""

import functools
import re
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from vaxbook.organizations.readers import EXCEL_ERRORS, CellError, FileRefused, FormulaNotComputed, MarkedRow, Row
from vaxbook.places.rules import NamedUnit, PlaceNames, code_and_name
from vaxbook.registry.identity import (
    PersonInput,
    Problem,
    check_text_encoding,
    normalize_sex,
    normalize_text,
    person_input,
    search_name,
    ward_split_problem,
)
from vaxbook.registry.legacy_text import letters_lost, misread_utf8

#: A text cell starting with one of these is prefixed with a quote in our exports (formula injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def unquote(value: Any) -> Any:
    """Remove the quote our export put before a formula-like text (so a fixed report can be uploaded again)."""
    if type(value) is str and value[:1] == "'" and value[1:2] in FORMULA_START and len(value) > 1:
        return value[1:]
    return value


_WHOLE_DECIMAL = re.compile(r"(\d+)\.0+")
#: Digits grouped by thousands, as a number formatted ``#,##0`` is written to a CSV: "4.000" by Excel set to
#: Vietnamese (its decimal mark is the comma), "4,000" set to English (`_code_text`).
_GROUPED = re.compile(r"[1-9]\d{0,2}(?:([.,])\d{3})(?:\1\d{3})*")  # "0.125" is a decimal, never grouped


class CellRefused(Exception):
    """A cell of a code's column that no code may be read from (TRUE, a date, "4.000"): a clean step raises it,
    and `RowMapper` refuses the row for it (`problem`), naming the column, rather than reading it as empty or
    as another code."""

    def __init__(self, code: str, message: Any):
        super().__init__(code)
        self.code = code
        self.message = message

    def problem(self, key: str) -> Problem:
        return Problem(key, self.code, self.message)


CELL_TYPE = "cell_type"
CODE_GROUPED = "code_grouped"
#: What a spreadsheet may hold where a code is typed and that says no code: a tick box (TRUE / FALSE), a date,
#: a time of day, a duration (the column formatted as a date or a time). Before, TRUE was read as no code (the
#: person saved without a ward or a priority group) and a date as "1985".
_NOT_A_CODE = {bool: "TRUE/FALSE", date: "date", datetime: "date", time: "time", timedelta: "duration"}


_SHOWN_AS = {date: "%d/%m/%Y", datetime: "%d/%m/%Y %H:%M", time: "%H:%M"}


def _not_a_code(value: Any) -> CellRefused:
    kind = _NOT_A_CODE[value.__class__]
    shown = (
        ("TRUE" if value else "FALSE")
        if value.__class__ is bool
        else format(value, _SHOWN_AS[value.__class__])
        if value.__class__ in _SHOWN_AS
        else str(value)
    )
    kinds = {
        "TRUE/FALSE": _("a TRUE/FALSE value"),
        "date": _("a date"),
        "time": _("a time"),
        "duration": _("a duration"),
    }
    return CellRefused(
        CELL_TYPE,
        format_lazy(
            _(
                "This cell holds {kind} ({value}) where a code is expected: type the code (sheet “Danh mục” of "
                "the template), in a column formatted as Text."
            ),
            kind=kinds[kind],
            value=shown,
        ),
    )


def _whole_either_way(grouped: str) -> str | None:
    """Of digits grouped by thousands (`_GROUPED`), a single group of three zeros ("4.000", "4,000") is a whole
    number read either way, 4000 or 4: its decimal reading ("4"); None for any other grouping ("26.001" is no
    whole decimal, "1.000.000" groups whatever the language)."""
    return grouped[:-4] if grouped.endswith("000") and grouped.count(grouped[-4]) == 1 else None


def _grouped_code(text: str) -> str:
    """A code typed with its digits grouped by thousands ("4.000", "26.001", "4,000": a column formatted
    ``#,##0`` saved as CSV), as its digits when that is the one code it may be, else refused.

    Which mark groups and which is the decimal one depends on the program's language (Vietnamese groups with
    "." and marks decimals with ",", English the other way round), and the file does not say. "26.001" is
    26001 either way: read as a decimal it is no whole number, so no code. But "4.000" (or "4,000") read as a
    decimal is 4, a whole number too: ward 00004 or ward 04000, two wards, and guessing saved people in the
    wrong one. So a single group of three zeros is refused (`code_grouped`), as is anything it could be both
    ways; several groups ("1.000.000") are digits whatever the language."""
    digits = text.replace(".", "").replace(",", "")
    decimal = _whole_either_way(text)
    if decimal is not None:
        raise CellRefused(
            CODE_GROUPED,
            format_lazy(
                _(
                    "The code “{value}” has a thousands separator, so it may be read as {grouped} or as {decimal}: "
                    "type the code's digits only, without dots or commas (format the column as Text so Excel keeps "
                    "its leading zeros)."
                ),
                value=text,
                grouped=digits,
                decimal=decimal,
            ),
        )
    return digits


def _code_text(value: Any) -> str:
    """A code's cell as text: a whole number written as a decimal, a number's (26041.0) or a text's ("26041.0",
    as a CSV written from a numeric column with blanks in it has it), is the whole number; digits grouped by
    thousands ("26.001") are the digits when that is sure (`_grouped_code`). A tick box, a date, a time or a
    duration is no code: `CellRefused`."""
    if type(value) is str and value.isdigit() and value.isascii():
        return value  # fast path, same result: nothing to unquote, normalize or join
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if value.__class__ in _NOT_A_CODE:
        raise _not_a_code(value)
    text = "".join(normalize_text(unquote(value)).split())
    if ("." in text or "," in text) and _GROUPED.fullmatch(text):
        return _grouped_code(text)
    return match.group(1) if (match := _WHOLE_DECIMAL.fullmatch(text)) else text


def _zero_padded(width: int) -> Callable[[Any], str | None]:
    def clean(value: Any) -> str | None:
        text = _code_text(value)
        if text.isascii() and text.isdigit() and len(text) < width:
            text = text.zfill(width)
        return text or None

    return clean


def _place_name(value: Any) -> str | None:
    return normalize_text(unquote(value)) or None


def _code_or_name(width: int) -> Callable[[Any], str | None]:
    """A unit's code, zero-padded as `_zero_padded` does, or its name as typed ("P. Trấn Biên"), read by
    name later (`RowMapper._named_places`)."""
    padded = _zero_padded(width)

    def clean(value: Any) -> str | None:
        text = padded(value)
        if text is None or text.isdigit() or not any(ch.isalpha() for ch in text):
            return text
        return normalize_text(unquote(value)) or None

    return clean


_province_code_or_name = _code_or_name(2)


def clean_province_code(value: Any) -> str | None:
    """A province's code or name (`_code_or_name`); a code as a CCCD number's first three digits give it is the
    province's: ``075`` is ``75``."""
    text = _province_code_or_name(value)
    if text is not None and len(text) == 3 and text[0] == "0" and text.isascii() and text.isdigit():
        return text[1:]
    return text


_GROUP_LABEL = re.compile(r"([0-9A-Za-z]{1,10})\s*[-–.:)]\s*\S.*")
_GROUP_WORD = re.compile(r"(?:nhóm|nhom|group)\s*(?:số\s*)?[.:]?\s*(?=\d)", re.IGNORECASE)


def clean_priority_group(value: Any) -> str | None:
    """``9``, ``9.0``, ``09``, ``Nhóm 9`` or the drop-down's ``9 - Người lao động …`` → ``9``."""
    text = _code_text(value) if not isinstance(value, str) else normalize_text(unquote(value))
    if ("." in text or "," in text) and _GROUPED.fullmatch(text):
        # "1.000" is group 1 written with three decimals or the number 1000, and no group is 1000: group 1 (a ward
        # code, which may be either, is refused: `_grouped_code`). Other groupings are their digits.
        text = _whole_either_way(text) or text.replace(".", "").replace(",", "")
    text = _GROUP_WORD.sub("", text, count=1) if text[:1] in "nNgG" else text
    code = match.group(1) if (match := _GROUP_LABEL.fullmatch(text)) else "".join(text.split())
    return (code.lstrip("0") or "0") if code.isdigit() else code or None


_ID_TYPE_LABELS: dict[str, str | None] = {
    "cccd": "cccd",
    "cancuoc": "cccd",
    "cancuoccongdan": "cccd",
    "thecancuoc": "cccd",
    "thecancuoccongdan": "cccd",
    "dinhdanh": "cccd",
    "dinhdanhcanhan": "cccd",
    "cc": "cccd",  # "Căn cước", the card's name since July 2024
    "cmnd": "cmnd",
    "cmt": "cmnd",  # "chứng minh thư", as most people call it
    "cmtnd": "cmnd",
    "chungminhnhandan": "cmnd",
    "chungminhthu": "cmnd",
    "chungminhthunhandan": "cmnd",
    "hochieu": "passport",
    "passport": "passport",
    "none": "none",
    "khong": "none",
    "khongco": "none",
    # Both cards named at once, as a column headed "CCCD/CMND" is filled: the number says which (12 digits
    # a citizen ID, 9 an identity card), as it does for an empty type.
    "cccdcmnd": None,
    "cmndcccd": None,
}
#: What a clerk adds to a document's name that does not change its kind: "CCCD gắn chip", "Thẻ CCCD",
#: "CMND 9 số", "Căn cước mới", "Hộ chiếu nước ngoài" (as `header_key` spells them).
_ID_TYPE_PREFIXES = ("the", "so")
_ID_TYPE_SUFFIXES = ("ganchip", "chip", "moi", "cu", "9so", "12so", "nuocngoai", "vietnam", "vn")


def clean_id_type(value: Any) -> str | None:
    """The template's labels (CCCD, CMND, Hộ chiếu, empty) → cccd / cmnd / passport / None; others kept."""
    return _id_type_label(value) if type(value) is str else _id_type_label(normalize_text(value))


@functools.lru_cache(maxsize=1024)  # a column holds a handful of distinct labels
def _id_type_label(value: str) -> str | None:
    text = normalize_text(unquote(value))
    if not text:
        return None
    key = header_key(text)
    if key in _ID_TYPE_LABELS:
        return _ID_TYPE_LABELS[key]
    for prefix in ("", *_ID_TYPE_PREFIXES):
        if not key.startswith(prefix):
            continue
        bare = key[len(prefix) :]
        if prefix and bare in _ID_TYPE_LABELS:
            return _ID_TYPE_LABELS[bare]
        for suffix in _ID_TYPE_SUFFIXES:
            if bare.endswith(suffix) and bare[: -len(suffix)] in _ID_TYPE_LABELS:
                return _ID_TYPE_LABELS[bare[: -len(suffix)]]
    return text


def clean_date(value: Any) -> Any:
    """A real date (calamine gives date or datetime), a serial number or a text; the rules parse the rest.

    A date-time cell holding a time of day (calamine gives a datetime only then: a whole day is a date)
    is given to the rules as its text, ``24/12/1985 17:00``, which they refuse as they refuse it typed:
    17:00 is what a time-zone shift makes of midnight on the 25th, whatever day the cell's format shows.
    """
    if isinstance(value, datetime):
        if value.hour or value.minute or value.second or value.microsecond:
            return value.strftime("%d/%m/%Y %H:%M")
        return value.date()
    return unquote(value)


#: Days from 1904's day 0 (1 January 1904) to 1900's (30 December 1899, Excel's fictitious 29 February counted).
_DAYS_1904 = 1462


def clean_date_1904(value: Any) -> Any:
    """`clean_date` in a workbook of the 1904 date system (old Excel for Mac): a bare number (a General
    cell) is a serial from 1904, given to the rules as the 1900 serial they read. A year (1900–2100) or a
    date typed without separators (7 or 8 digits) is left as it is, for the rules to refuse as such."""
    if isinstance(value, int | float) and not isinstance(value, bool) and 2100 < value < 1_000_000:
        value = value + _DAYS_1904
    return clean_date(value)


def clean_roster_text(value: Any) -> str:
    return normalize_text(unquote(value))


def _keep(value: Any) -> Any:
    return unquote(value)


def text_too_long(key: str, max_length: int) -> Problem:
    return Problem(
        key, "text_too_long", format_lazy(_("This text must be at most {max} characters long."), max=max_length)
    )


def roster_texts_check(values: dict[str, Any]) -> tuple[dict[str, str], list[Problem]]:
    """The roster's own texts (department, employee number) typed on a page or sent to the API, judged by
    the import's rules: the column's cleaning, the text-encoding rules for the department
    (`check_text_encoding`), the column's length (`RowMapper.map` applies the same, inline, to every row of
    a file)."""
    cleaned: dict[str, str] = {}
    problems: list[Problem] = []
    for key, raw in values.items():
        column = COLUMN_BY_KEY[key]
        cleaned[key] = value = column.clean(raw if raw is not None else "")
        found = check_text_encoding(raw, key, value) if key == "department" else []
        if not found and column.max_length is not None and len(value) > column.max_length:
            found = [text_too_long(key, column.max_length)]
        problems += found
    return cleaned, problems


def header_key(text: Any) -> str:
    """A header's comparison form: lower case ASCII letters and digits only (``Mã phường/xã`` → ``maphuongxa``)."""
    folded = search_name(text)
    return "".join(ch for ch in folded if ch.isascii() and ch.isalnum())


#: The columns Vaxbook's own files add to the template's: the error report's reasons, the export's data
#: status, what to complete, the valid doses and the next appointment. Uploaded again, they are neither
#: read nor listed as ignored.
REASONS_HEADER = "Lý do"
EXPORT_STATUS_HEADER = "Tình trạng dữ liệu"
EXPORT_PROBLEMS_HEADER = "Cần bổ sung hoặc sửa"
EXPORT_DOSES_HEADER = "Số mũi đã tiêm"
EXPORT_NEXT_HEADER = "Lịch hẹn tiếp theo"

#: Headers of an old identity card's (CMND) number. A roster of the years when both were in use may have
#: a column of each: the other one is read first, this one when it is empty in a row.
ID_CARD_HEADERS = ("Số CMND", "CMND", "Số chứng minh nhân dân", "Số chứng minh thư", "Số CMT", "CMT")
#: Headers of a passport's number: a roster with foreign staff may keep it beside the citizen IDs; read in a
#: row without another document, as a passport.
PASSPORT_HEADERS = ("Số hộ chiếu", "Hộ chiếu", "Passport", "Passport number", "Passport No", "Số passport")


#: Headers of a mobile phone's column: read first where a list also has another phone's ("Điện thoại").
MOBILE_HEADERS = (
    "Điện thoại di động",
    "Số điện thoại di động",
    "Số di động",
    "Di động",
    "SĐT di động",
    "ĐTDĐ",
    "Mobile",
)
#: Headers of the address a person lives at now, and of the registered home address (hộ khẩu thường trú).
CURRENT_ADDRESS_HEADERS = (
    "Địa chỉ hiện tại",
    "Nơi ở hiện tại",
    "Nơi ở hiện nay",
    "Chỗ ở hiện tại",
    "Chỗ ở hiện nay",
    "Địa chỉ tạm trú",
    "Nơi cư trú",
    "Địa chỉ cư trú",
    "Nơi ở",
    "Địa chỉ nơi ở",
)
HOME_ADDRESS_HEADERS = ("Địa chỉ thường trú", "Hộ khẩu thường trú", "Nơi thường trú", "Thường trú")


#: Headers of a column giving the ward or the province by its name, as most lists do (the template asks
#: for the codes): read where the code's column is empty, or as the only one (`RowMapper._named_places`).
WARD_NAME_HEADERS = (
    "Phường/xã",
    "Xã/phường",
    "Phường/xã/đặc khu",
    "Phường/xã/thị trấn",
    "Xã/phường/thị trấn",
    "Tên phường/xã",
    "Tên phường/xã/thị trấn",
    "Phường",
    "Xã",
    "Ward",
    "Commune",
    "Ward/commune",
)
PROVINCE_NAME_HEADERS = (
    "Tỉnh/thành phố",
    "Tỉnh/TP",
    "Tỉnh/thành",
    "Tỉnh thành",
    "Tên tỉnh",
    "Tên tỉnh/thành phố",
    "Tỉnh/thành phố trực thuộc trung ương",
    "Tỉnh/thành phố trực thuộc TW",
    "Tỉnh",
    "Province",
    "Province/city",
)


#: Headers of the district a list before 2025 gives beside the ward's name ("Quận/huyện"): there are none
#: since 2025, but it tells which of a province's namesakes the ward was (`PlaceNames.wards`).
DISTRICT_HEADERS = (
    "Quận/huyện",
    "Huyện/quận",
    "Quận huyện",
    "Quận/huyện/thị xã",
    "Quận/huyện/thị xã/thành phố",
    "Quận/huyện/TX/TP",
    "Huyện/thị xã/thành phố",
    "Huyện/TX/TP",
    "Quận",
    "Huyện",
    "District",
)


#: A name split over columns, as lists sorted by given name are (a Vietnamese list is ordered by the
#: given name, so the name is typed in two or three columns): the part each header names. The full name
#: is the parts joined in this order, family name first, as the person's name is written.
NAME_PART_HEADERS: dict[str, tuple[str, ...]] = {
    "family": (
        "Họ",
        "Họ đệm",
        "Họ và đệm",
        "Họ và tên đệm",
        "Họ và chữ đệm",
        "Họ chữ đệm",
        "Họ lót",
        "Họ và lót",
        "Họ và tên lót",
        "Họ và chữ lót",
        "Họ chữ lót",
        "Family name",
        "Last name",
        "Surname",
    ),
    "middle": ("Đệm", "Tên đệm", "Chữ đệm", "Lót", "Tên lót", "Chữ lót", "Middle name"),
    "given": ("Tên", "Tên gọi", "Given name", "First name"),
}


@dataclass(frozen=True)
class Column:
    """One column of the roster: where it goes, how it is cleaned, how the template shows it."""

    key: str  # the PersonInput / roster field it fills, and the field problems name
    header: str  # the template's header (Vietnamese, as the roster format specifies)
    clean: Callable[[Any], Any] = _keep
    required: bool = False
    aliases: tuple[str, ...] = ()
    in_template: bool = True
    text_format: bool = True  # the template formats it as Text, so Excel keeps leading zeros
    width: float = 16
    max_length: int | None = None  # for the roster's own fields (the registry checks the person's)

    @property
    def keys(self) -> set[str]:
        return {header_key(self.header), *(header_key(a) for a in self.aliases)}


COLUMNS: tuple[Column, ...] = (
    Column("row_number", "STT", aliases=("Số TT", "Số thứ tự", "TT", "No"), text_format=False, width=6),
    Column(
        "full_name",
        "Họ và tên",
        required=True,
        aliases=(
            "Họ tên",
            "Họ và tên người lao động",
            "Họ tên người lao động",
            "Họ và tên NLĐ",
            "Họ tên NLĐ",
            "Họ và tên nhân viên",
            "Họ tên nhân viên",
            "Full name",
            "Name",
        ),
        width=28,
    ),
    Column(
        "date_of_birth",
        "Ngày sinh",
        clean_date,
        required=True,
        aliases=("Ngày tháng năm sinh", "Sinh ngày", "Năm sinh", "Date of birth"),
    ),
    Column("sex", "Giới tính", required=True, aliases=("Giới", "Sex", "Gender"), width=10),
    Column(
        "phone",
        "Số điện thoại",
        required=True,
        aliases=(
            "Điện thoại",
            "SĐT",
            "Số ĐT",
            "ĐT",
            "Điện thoại liên hệ",
            "Số điện thoại liên hệ",
            "SĐT liên hệ",
            "Số ĐT liên hệ",
            "Tel",
            "Phone",
            "Phone number",
            *MOBILE_HEADERS,
        ),
        width=16,
    ),
    Column("id_type", "Loại giấy tờ", clean_id_type, aliases=("Loại giấy tờ tùy thân", "Document type"), width=14),
    Column(
        "id_number",
        "Số giấy tờ",
        required=True,
        aliases=(
            "Số CCCD",
            "Số CCCD/CMND",
            "Số CMND/CCCD",
            "Số CCCD/CMND/Hộ chiếu",
            "Số CMND/CCCD/Hộ chiếu",
            "Số CCCD/ĐDCN",
            "Số CCCD/Hộ chiếu",
            "CCCD/Hộ chiếu",
            "Số CMND/Hộ chiếu",
            "CMND/Hộ chiếu",
            "CCCD/CMND/Hộ chiếu",
            "Số CCCD/Passport",
            "Số định danh",
            "Số định danh cá nhân",
            "Số căn cước",
            "Số căn cước công dân",
            "Số giấy tờ tùy thân",
            "CCCD",
            "CCCD/CMND",
            "CMND/CCCD",
            "Số CMT/CCCD",
            "CMT/CCCD",
            "CCCD/CMT",
            "CMND/CCCD/Hộ chiếu",
            "CCCD/CMND/HC",
            "CMND/CCCD/HC",
            "Mã định danh",
            "Mã định danh cá nhân",
            "Document number",
            "ID number",
            # An old identity card's column, a passport's: read when the file has no other document
            # column, and after one that it has (`HeaderMatch.fallbacks`).
            *ID_CARD_HEADERS,
            *PASSPORT_HEADERS,
        ),
        width=18,
    ),
    Column(
        "health_insurance_number",
        "Số thẻ BHYT",
        aliases=(
            "BHYT",
            "Mã thẻ BHYT",
            "Số BHYT",
            "Mã số BHXH",
            "Mã BHXH",
            "Số BHXH",
            "Số sổ BHXH",
            "Health insurance number",
        ),
        width=18,
    ),
    Column(
        "priority_group",
        "Nhóm ưu tiên",
        clean_priority_group,
        required=True,
        aliases=("Nhóm đối tượng", "Đối tượng ưu tiên", "Priority group"),
    ),
    Column("occupation", "Nghề nghiệp", aliases=("Occupation",), width=20),
    Column(
        "department",
        "Bộ phận",
        clean_roster_text,
        aliases=(
            "Phòng ban",
            "Bộ phận công tác",
            "Đơn vị công tác",
            "Đơn vị",
            "Đơn vị/Phòng ban",
            "Phòng ban/Đơn vị",
            "Bộ phận/Phòng ban",
            "Phòng ban/Bộ phận",
            "Đơn vị/Bộ phận",
            "Bộ phận/Đơn vị",
            "Department",
        ),
        width=20,
        max_length=120,
    ),
    Column("ethnicity", "Dân tộc", aliases=("Ethnicity",), width=12),
    Column("nationality", "Quốc tịch", unquote, aliases=("Nationality",), width=10),
    Column(
        "province_code",
        "Mã tỉnh",
        clean_province_code,
        aliases=("Mã tỉnh/thành phố", "Mã tỉnh/TP", "Province code", *PROVINCE_NAME_HEADERS),
        width=10,
    ),
    Column(
        "ward_code",
        "Mã phường/xã",
        _code_or_name(5),
        required=True,
        aliases=("Mã xã", "Mã phường", "Mã xã/phường", "Mã phường/xã/đặc khu", "Ward code", *WARD_NAME_HEADERS),
        width=14,
    ),
    Column("district", "Quận/huyện", _place_name, aliases=DISTRICT_HEADERS, in_template=False, width=18),
    Column(
        "address_line",
        "Địa chỉ",
        required=True,
        # Where a list has two (thường trú and hiện tại), the one the person lives at now is read first
        # (`_ALTERNATE_RANK`), the other where it is empty.
        aliases=(*CURRENT_ADDRESS_HEADERS, "Địa chỉ liên hệ", "Address", *HOME_ADDRESS_HEADERS),
        width=32,
    ),
    # Not in the template, but read when present.
    Column(
        "employee_number",
        "Mã nhân viên",
        clean_roster_text,
        aliases=("Mã số nhân viên", "Mã NV", "Mã số NV", "MSNV", "Mã nhân sự", "Employee number"),
        in_template=False,
        max_length=40,
    ),
)
COLUMN_BY_KEY: dict[str, Column] = {c.key: c for c in COLUMNS}
TEMPLATE_COLUMNS: tuple[Column, ...] = tuple(c for c in COLUMNS if c.in_template)
_BY_HEADER_KEY: dict[str, Column] = {k: c for c in COLUMNS for k in c.keys}
_ID_CARD_KEYS = frozenset(header_key(h) for h in ID_CARD_HEADERS)
_PASSPORT_KEYS = frozenset(header_key(h) for h in PASSPORT_HEADERS)
#: Columns a list may hold twice (a landline and a mobile, a home and a current address): the first by this
#: rank (then by place) is read, the others where it is empty (`HeaderMatch.fallbacks`).
_ALTERNATE_RANK: dict[str, dict[str, int]] = {
    "phone": {header_key(h): 0 for h in MOBILE_HEADERS},
    "address_line": {header_key(h): 0 for h in CURRENT_ADDRESS_HEADERS}
    | {header_key(h): 2 for h in HOME_ADDRESS_HEADERS},
    # a unit's code first, its name where the code is empty
    "ward_code": {header_key(h): 2 for h in WARD_NAME_HEADERS},
    "province_code": {header_key(h): 2 for h in PROVINCE_NAME_HEADERS},
    "district": {},
}
#: A ward's or a province's name under an address's title ("Phường/xã (Chỗ ở hiện nay)", `_under`) is read in
#: the rank of that address: the current one's before a name without a title, the home one's after it (the
#: codes' columns first), so that a list giving both addresses takes the ward of the address it reads.
_UNIT_NAME_KEYS = frozenset(header_key(h) for h in (*WARD_NAME_HEADERS, *PROVINCE_NAME_HEADERS, *DISTRICT_HEADERS))
#: The address a header names: the current one or the registered home (`HeaderMatch.address_groups`).
ADDRESS_GROUPS = {header_key(h): "current" for h in CURRENT_ADDRESS_HEADERS} | {
    header_key(h): "home" for h in HOME_ADDRESS_HEADERS
}
_ADDRESS_RANK = {"current": -0.5, "home": 0.5}
#: The columns read from the address a row reads, in a form of two addresses (`HeaderMatch.address_group`).
_GROUPED_KEYS = frozenset(("ward_code", "province_code", "district"))
_NAME_PART_BY_KEY: dict[str, str] = {header_key(h): part for part, hs in NAME_PART_HEADERS.items() for h in hs}
_NAME_PART_ORDER = ("family", "middle", "given")
#: The English part headers: the names under them may be Western, the given name first.
_ENGLISH_PART_KEYS = frozenset(
    header_key(h) for h in ("Family name", "Last name", "Surname", "Middle name", "Given name", "First name")
)
_OWN_KEYS = frozenset(
    header_key(h)
    for h in (REASONS_HEADER, EXPORT_STATUS_HEADER, EXPORT_PROBLEMS_HEADER, EXPORT_DOSES_HEADER, EXPORT_NEXT_HEADER)
)
_REASONS_KEY = header_key(REASONS_HEADER)
_EXPORT_STATUS_KEY = header_key(EXPORT_STATUS_HEADER)


def is_reasons_header(cell: Any) -> bool:
    """Whether a header cell is an error report's own "Lý do" column (a fixed report uploaded again)."""
    return header_key(normalize_text(cell)) == _REASONS_KEY


def reasons_position(cells: list[Any], *, marked: bool = False) -> int:
    """Where the error report writes its reasons for a file with this header: in a report's own "Lý do" (a
    fixed report uploaded again), else after the header's cells. A "Lý do" ending the header is the report's
    (one so named elsewhere is the organization's data). In a workbook `marked` as a report (it holds the
    report's summary sheet), the header's last "Lý do" after which no column the import reads stands: a clerk
    may add a notes column after it; an organization's own roster with "Lý do" and "Ghi chú" is no report."""
    for position in range(len(cells) - 1, -1, -1):
        text = normalize_text(cells[position])
        if not text:
            continue
        if is_reasons_header(text):
            return position
        if not marked or _known_header(text):
            break
    return len(cells)


#: What a header may say besides its name: a hint in brackets (``Ngày sinh (dd/mm/yyyy)``, ``Giới tính
#: (Nam/Nữ)``, ``Số điện thoại [*]``), tried when the whole header is not known.
_HEADER_HINT = re.compile(r"\([^()]*\)|\[[^\[\]]*\]")
#: How many non-empty rows above the header (a title, the organization's name …) are tolerated.
HEADER_LOOK_AHEAD = 20
#: The values that say who a row is: a row with none of them, below the last row that has one, is the
#: sheet's footer (a total, "Người lập biểu", a signature and the signer's name), not a staff member.
IDENTIFYING_KEYS = ("date_of_birth", "id_number", "phone", "health_insurance_number")
#: At most this many such rows at the end of the sheet are its footer: more are rows to refuse.
FOOTER_MAX_ROWS = 10
#: What a signature block under the table types into those columns, saying no one's identity
#: (`signature_text`): the place and date it was signed ("Biên Hòa, ngày 12 tháng 3 năm 2024", "Ngày …
#: tháng … năm 20…"; a year before 2000 is a birth date typed in words) …
_SIGNED_ON = re.compile(r"(?:^|[,;]\s*)ngày\b[\s\d./…_-]*tháng\b[\s\d./…_-]*năm\b[\s.…_-]*(\d{4})?", re.IGNORECASE)
#: … the signer's role ("Người lập biểu", "KT. GIÁM ĐỐC", "Thủ trưởng đơn vị", "Xác nhận của …") …
_SIGNER_ROLE = re.compile(
    r"(?:(?:kt|tm|tl|tuq|q|p)\s*\.\s*)?(?:người\s+(?:lập|kê\s+khai|đại\s+diện|duyệt)|(?:phó\s+|tổng\s+)?giám\s+đốc"
    r"|thủ\s+trưởng|trưởng\s|kế\s+toán|xác\s+nhận|chủ\s+tịch|hiệu\s+trưởng|phụ\s+trách|đại\s+diện)",
    re.IGNORECASE,
)
#: … what to do there ("(Ký, ghi rõ họ tên)", "(Ký tên, đóng dấu)") …
_SIGNING_NOTE = re.compile(r"\(\s*(?:ký|kí|đóng\s+dấu|ghi\s+rõ)", re.IGNORECASE)
#: … and the signer's name, typed with capitals: two to six words of letters.
_SIGNER_NAME = re.compile(r"(?:[^\W\d_][^\W\d_'.-]*(?:[-'][^\W\d_]+)*\.?\s+){1,5}[^\W\d_][^\W\d_'-]*")
#: A row heading a section of the list ("I | KHỐI VĂN PHÒNG", "A | Ban Giám đốc", "II. Phân xưởng 2"): its
#: text a unit's name (`_UNIT_WORDS`, `_HEADING_WORDS`), or capitals beside a Roman numeral where staff are
#: numbered 1, 2, 3 … (`HeaderMatch.section_heading`).
_SECTION_ROMAN = re.compile(r"(?:[IVX]{1,5}|[\u2160-\u216b])[.)]?")
#: A heading's own number before its text ("I. ", "A - ", "a) ", "1.2. "): only ever taken off before a
#: unit's name, so "A. KUMAR", "Y-BLIH NIÊ" stay names.
_SECTION_PREFIX = re.compile(r"(?:[IVXivx]{1,5}|[\u2160-\u217f]|[A-Za-zĐđ]|\d{1,2})(?:\.\d{1,2})*\s*[.):\-–]\s*(?=\S)")
#: The words a unit's name starts with, marks kept (a family name "Tô" is no "Tổ"), none a name's first word
#: ("Ban" alone may be one: Ban Ki-moon); such a heading is the department of the staff under it.
_UNIT_WORDS = (
    "khối",
    "phòng",
    "bộ phận",
    "tổ",
    "đội",
    "xưởng",
    "phân xưởng",
    "xí nghiệp",
    "khoa",
    "chi nhánh",
    "văn phòng",
    "trung tâm",
    "nhà máy",
    "trạm",
    "bộ môn",
    "chuyền",
    "ban giám đốc",
    "ban tổng giám đốc",
    "ban giám hiệu",
    "ban lãnh đạo",
    "ban điều hành",
    "ban quản lý",
    "ban kiểm soát",
    "ban chỉ huy",
    "ban bảo vệ",
)
#: Words that head a section without naming a unit (a company, a role, a group): no one's department.
_HEADING_WORDS = ("công ty", "lãnh đạo", "nhóm")
#: A count after a heading's name ("KHỐI VĂN PHÒNG (12 người)", "Phòng Kế toán: 01 người"): not its name.
_HEADING_COUNT = re.compile(
    r"\s*(?:[:\-–]\s*|\(\s*)(?:có\s+|gồm\s+|tổng\s+số\s*:?\s*)?\d+\s*"
    r"(?:người|nhân viên|lao động|cán bộ|nv|lđ|cb|cbnv)\s*\)?\s*$",  # with its word: "Tổ may - 2" is a name
    re.IGNORECASE,
)
#: At most this many rows of a sheet are read as section headings; further ones are rows to refuse.
SECTION_MAX_ROWS = 1000
#: A row's number as staff are numbered: 1, 2, 3 … (maybe with a dot).
_STAFF_NUMBER = re.compile(r"\d+\.?")
#: A number in a list numbered by section: 1, 1.2, 1.2.3 (`HeaderMatch.numbers_under`).
_DOTTED_NUMBER = re.compile(r"\d{1,4}(?:\.\d{1,3})*")
#: The commonest family names (folded by `search_name`): capitals beside a Roman numeral that start with one
#: are a name typed in capitals ("V | VŨ THỊ XUÂN"), not a heading.
_FAMILY_NAMES = frozenset(
    [
        "nguyen",
        "tran",
        "le",
        "pham",
        "hoang",
        "huynh",
        "phan",
        "vu",
        "vo",
        "dang",
        "bui",
        "do",
        "ho",
        "ngo",
        "duong",
        "ly",
        "dinh",
        "truong",
        "lam",
        "mai",
        "trinh",
        "doan",
        "luong",
        "cao",
        "ta",
        "ha",
        "tang",
        "chau",
        "quach",
        "kieu",
        "thai",
        "luu",
        "la",
        "lu",
        "van",
        "tong",
        "khuat",
        "lai",
        "mac",
        "thach",
        "danh",
        "son",
        "kim",
        "ksor",
        "rcom",
        "nie",
        "mlo",
        "y",
        "h",
    ]
)
#: How much of a section heading's text the import keeps to show.
SECTION_TEXT_LENGTH = 80
_ROSTER_KEYS = frozenset({"province_code", "district", "department", "employee_number"})
_PERSON_KEYS = frozenset(k for k in PersonInput.__dataclass_fields__ if k != "is_child")


def is_blank(values: list[Any]) -> bool:
    return not any(v is not None and v != "" and (type(v) is not str or v.strip()) for v in values)


def says_who(values: list[Any], positions: list[int]) -> bool:
    """A value at these positions (IDENTIFYING_KEYS' columns) says who the row is: any but a signature
    block's text (`signature_text`). A plain loop: a person's row stops at its first value, a date, a
    number or a text starting with a digit at once (a signing date starts with its place or "Ngày")."""
    size = len(values)
    for position in positions:
        if position < size:
            v = values[position]
            if v is None or v == "":
                continue
            if type(v) is not str or v[0].isdigit():  # a date, a number, a phone or a number typed as text
                return True
            if v.strip() and not signature_text(v):
                return True
    return False


def signature_text(value: str) -> bool:
    """A text a signature block types where the table says who a row is: the place and date it was signed,
    the signer's role, what to do there, or the signer's name in capitals (`_SIGNED_ON` …). A phone, a
    document's number, a birth date, or any other text with a digit or in lower case, is none of them."""
    text = normalize_text(value)
    signed = _SIGNED_ON.search(text)
    if signed is not None:
        return signed.group(1) is None or int(signed.group(1)) >= 2000
    if any(c.isdigit() for c in text):
        return False
    if _SIGNING_NOTE.match(text) or _SIGNER_ROLE.match(text):
        return True
    return _SIGNER_NAME.fullmatch(text) is not None and all(word[0].isupper() for word in text.split())


def is_blank_at(values: list[Any], positions: list[int]) -> bool:
    """No value at these positions of the row. A plain loop: a row with data stops at its first value."""
    size = len(values)
    for position in positions:
        if position < size:
            v = values[position]
            if v is not None and v != "" and (type(v) is not str or v.strip()):
                return False
    return True


@dataclass
class HeaderMatch:
    row: int  # the header's row number
    cells: list[Any]  # the header row as sent
    index: dict[str, int]  # column key → position in the row
    ignored: list[str] = field(default_factory=list)  # headers of columns that are not read
    missing: list[Column] = field(default_factory=list)
    # column key → further columns of it, in order, read in a row where those before are empty: the old
    # identity card's number (CMND) beside the citizen ID's (CCCD), in a roster of the years both were in
    # use; a passport's, in a roster with foreign staff.
    fallbacks: dict[str, tuple[int, ...]] = field(default_factory=dict)
    # The full name's columns when the file splits it (family name, middle name, given name: at least
    # the first and the last); ``index["full_name"]`` is then the first of them.
    name_parts: tuple[int, ...] = ()
    # A part of the name's column beside the whole name's: a "Tên" typed again to sort the list by, a
    # "Surname" beside "Name". Each row's whole name must end with it (a Vietnamese given name), start with
    # it (a Vietnamese family name), or either (an English header: Western names put the given name
    # first): `part_end` is "end", "start" or "either" (`name_part_disagrees`).
    part_beside: int | None = None
    part_end: str = "either"
    # The sex marked in two columns under "Giới tính" ("Nam" | "Nữ", a cross in one, as administrative forms
    # have): ``index["sex"]`` is the men's column, ``fallbacks["sex"]`` the women's (`two_row_header`).
    sex_marks: bool = False
    # The birth date split over "Ngày | Tháng | Năm" under its title (old administrative lists): the day's,
    # the month's and the year's columns; ``index["date_of_birth"]`` is the day's (`two_row_header`).
    date_parts: tuple[int, ...] = ()
    # The birth date typed under "Nam | Nữ", the column telling the sex: ``index["date_of_birth"]`` is the
    # men's column, ``fallbacks["date_of_birth"]`` the women's; without a "Giới tính" column they give the sex.
    date_marks: bool = False
    # A form giving two addresses, each over its own columns ("Chỗ ở hiện nay" and "Địa chỉ thường trú" over
    # "Số nhà | Phường/xã | Tỉnh/TP"): the address's, the ward's, the province's and the district's columns →
    # "current" or "home" (`ADDRESS_GROUPS`). Empty unless a ward's, a province's or a district's column
    # stands under an address's title: a row reads those of the address it reads (`RowMapper.map`).
    address_groups: dict[int, str] = field(default_factory=dict)
    # The workbook holds the error report's summary sheet: a "Lý do" followed by a clerk's notes is the report's.
    marked_report: bool = False
    # Two columns of one header that the import reads ("Số điện thoại" twice, the old one hidden): (the header,
    # its first position, the other's). Which one holds the values is not known: the file is refused
    # (`find_header`, `header_repeated`).
    repeated: tuple[tuple[str, int, int], ...] = ()

    @property
    def reasons_at(self) -> int:
        """Where the error report writes its reasons (`reasons_position`)."""
        return reasons_position(self.cells, marked=self.marked_report)

    @property
    def is_report(self) -> bool:
        """Whether the file is an error report sent again: its header holds its own "Lý do"."""
        return self.reasons_at < len(self.cells)

    @property
    def is_export(self) -> bool:
        """Whether the file is the organization's roster export sent back: it holds the export's data status
        column (its rows repeat the records' values)."""
        return any(header_key(cell) == _EXPORT_STATUS_KEY for cell in self.cells)

    @property
    def identifying_positions(self) -> list[int]:
        """Where the values that say who a row is stand (IDENTIFYING_KEYS)."""
        return sorted(
            [self.index[key] for key in IDENTIFYING_KEYS if key in self.index]
            + [position for key in IDENTIFYING_KEYS for position in self.fallbacks.get(key, ())]
            + list(self.date_parts)
        )

    @property
    def data_positions(self) -> list[int]:
        """Where the columns the import reads stand, but the sequence number (STT)."""
        return sorted(
            {position for key, position in self.index.items() if key != "row_number"}
            | {position for positions in self.fallbacks.values() for position in positions}
            | set(self.name_parts)
            | set(self.date_parts)
        )

    @property
    def sex_from_dates(self) -> bool:
        """The sex is read from the birth date's "Nam | Nữ" columns alone: the file has no "Giới tính"."""
        return self.date_marks and "sex" not in self.index

    def position_in(self, key: str, values: list[Any]) -> int | None:
        """Where a row's value for a column stands: a further column when it was read from there (an old
        identity card's number in a row without a citizen ID), so the report marks the cell sent. In a form
        of two addresses, a ward's, a province's or a district's column of the other address than the one
        read is not (`address_group`)."""
        position = self.index.get(key)
        if position is None:
            return None
        if self.address_groups and key in _GROUPED_KEYS and (group := self.address_group(values)):
            groups = self.address_groups
            positions = [p for p in (position, *self.fallbacks.get(key, ())) if groups.get(p, group) == group]
            return next((p for p in positions if not is_blank(values[p : p + 1])), positions[0] if positions else None)
        if not is_blank(values[position : position + 1]):
            return position
        for other in self.fallbacks.get(key, ()):
            if not is_blank(values[other : other + 1]):
                return other
        return position

    def address_group(self, values: list[Any]) -> str | None:
        """The address a row of a form of two addresses is read from ("current", or "home" where the current
        one is empty; `address_groups`), or None: a row without an address, an address of no group."""
        position = self.position_in("address_line", values)
        if position is None or is_blank(values[position : position + 1]):
            return None
        return self.address_groups.get(position)

    @property
    def unlabelled_beside_name(self) -> int | None:
        """The column right after the whole name's when it has no header: a name typed in two columns under
        one header ("Họ và tên" merged over both) would be read without its second part."""
        name = self.index.get("full_name")
        if name is None or self.name_parts or self.part_beside is not None:
            return None
        beside = name + 1
        return None if beside < len(self.cells) and normalize_text(self.cells[beside]) else beside

    @property
    def unlabelled_beside(self) -> dict[int, str]:
        """The columns without a header right after a column the import reads, but the name's (which has its
        own rule, `unlabelled_beside_name`), by position → the key of the column they follow: a header merged
        over two columns ("Địa chỉ" over the street and the hamlet, "Số điện thoại" over two phones, "Số giấy
        tờ" over the type and the number) would be read without its second column. A row holding a value
        there is refused (`column_beside_unlabelled`), as the name's rule does."""
        cells = self.cells
        read = set(self.data_positions) | set(self.index.values())
        found: dict[int, str] = {}
        further = [(key, p) for key, positions in self.fallbacks.items() for p in positions]
        for key, position in [*self.index.items(), *further]:
            beside = position + 1
            if key in ("row_number", "full_name") or beside in read or beside in found:
                continue
            # A hole in the header (a header merged over two columns, Excel leaving the second cell blank); a
            # column past the header's last is not one: a clerk's notes beside the template's last column were
            # refused with it (they are listed as ignored, `UnlabelledColumns`).
            if beside < len(cells) and not normalize_text(cells[beside]):
                found[beside] = key
        return found

    def header_again(self, number: int, values: list[Any]) -> bool:
        """This row is the header again (a second list pasted below the first with its own header, a header
        repeated for printing): it names every required column (`match_header`). In the same layout it is no
        person: True (the caller skips it). In another order, the rows below it would be read into the wrong
        fields (the address saved as the department), and the error report, which has one header, would put
        them under the first: refused (`header_other_order`). A cheap test first: the first of the birth
        date's, the phone's and the document's cells holding a value is a text starting with a letter that is
        a known header (a person's holds a date, digits or "+84…")."""
        for key in ("date_of_birth", "phone", "id_number"):
            at = self.index.get(key)
            value = values[at] if at is not None and at < len(values) else None
            if value is None or value == "":
                continue
            if value.__class__ is not str or not value[:1].isalpha() or not _known_header(normalize_text(value)):
                return False  # a date, digits, "+84…", a text that is no header ("chưa có"): a person's row
            break
        else:
            return False
        again = match_header(number, values)
        if again.missing:
            return False
        if _layout(again) == _layout(self):
            return True
        if all(self.index.get(key) == position for key, position in again.index.items()):
            # The first row of a two-row header again ("Giới tính" over "Nam | Nữ", "Họ và tên" over "Họ đệm |
            # Tên"): read alone, it reads no marks or parts, but each column it names stands where the header's
            # does. It was refused as another order, the whole file with it.
            return True
        # The first column that stands elsewhere (or only here), named: the clerk compared 16 headers by hand.
        key, here = next(
            ((k, p) for k, p in sorted(again.index.items(), key=lambda item: item[1]) if self.index.get(k) != p),
            next(iter(again.index.items())),
        )
        first = self.index.get(key)
        raise FileRefused(
            "header_other_order",
            row=number,
            header=self.row,
            column=normalize_text(values[here]),
            here=column_letters(here),
            first=column_letters(first) if first is not None else "—",
        )

    def is_header_below(self, top: Row, row: Row) -> bool:
        """`row`, under the header again (`top`), is its second row: the two read as one (`two_row_header`)
        read the columns as this header does (a two-row header pasted again above a second list)."""
        pair = two_row_header(top, row)
        return pair is not None and not pair.missing and _layout(pair) == _layout(self)

    def numbers_columns(self, values: list[Any]) -> bool:
        """The row under the header numbers its columns (`is_column_numbering`), the headers merged down
        into it left aside (the run fills a merged cell into each of its rows; the upload's check does not)."""
        cells = self.cells
        return is_column_numbering(
            [
                "" if i < len(cells) and v not in (None, "") and normalize_text(v) == normalize_text(cells[i]) else v
                for i, v in enumerate(values)
            ]
        )

    def section_heading(self, values: list[Any], below: list[Any] | None = None) -> str | None:
        """The text of a row heading a section of the list, or None. The row holds nothing but its number
        and, in the name's (first) column, a text that is a unit's name ("Phòng Kỹ thuật", "I. KHỐI VĂN
        PHÒNG", "A | Ban Giám đốc", "Công ty …") or, beside a Roman numeral, capitals that are no name ("II |
        LAO ĐỘNG TRỰC TIẾP", not "V | VŨ THỊ XUÂN": `_name_like`). A row numbered as staff are (1, 2, 3 …)
        is never one ("2 | Khoa Nguyen", "3 | Phòng Huyền Linh": a person missing data, refused as such),
        nor is a name alone, in capitals or not, beside a letter or nothing. A heading merged across the
        whole row holds its text in the STT column alone: a unit's name there is one. Cells a merge above
        filled in (an address merged down the list) are not the row's own; a row hidden or struck through
        heads nothing (it is asked about). A list numbered by section ("1 | Phòng Kế toán" over staff "1.1,
        1.2 …") is told by the row below (`below`): a unit's name numbered so heads the rows numbered under
        its number (`numbers_under`), and nothing else numbered as staff are does."""
        if values.__class__ is MarkedRow and (values.hidden or values.struck):
            return None
        at = self.index.get("row_number")
        number = normalize_text(values[at]) if at is not None and at < len(values) else ""
        merged = values.merged if values.__class__ is MarkedRow else ()
        filled = [p for p in self.data_positions if p not in merged and not is_blank_at(values, [p])]
        if not filled:
            return number if _is_unit_heading(number) else None
        name = self.name_parts[0] if self.name_parts else self.index.get("full_name")
        if filled != [name]:
            return None
        text = normalize_text(unquote(values[filled[0]]))
        if self.numbered_as_staff(values):
            under = below is not None and self.numbers_under(values, below)
            return text if under and _is_unit_heading(text) else None
        if _is_unit_heading(text):
            return text
        capitals = text == text.upper() and any(c.isalpha() for c in text)
        return text if capitals and _SECTION_ROMAN.fullmatch(number) and not _name_like(text) else None

    def numbered_as_staff(self, values: list[Any]) -> bool:
        """The row's number (STT) is as staff are numbered: 1, 2, 3 … (a number, or digits with a dot)."""
        at = self.index.get("row_number")
        if at is None or at >= len(values):
            return False
        value = values[at]
        if value.__class__ is int or value.__class__ is float:
            return True
        return bool(_STAFF_NUMBER.fullmatch(normalize_text(value)))

    def numbers_under(self, values: list[Any], below: list[Any]) -> bool:
        """The row below is numbered under this row's number: "1" over "1.1", "2." over "2.3", "1.2" over
        "1.2.1" (a list numbered by section; a number Excel keeps as a decimal, 1.1, counts)."""
        at = self.index.get("row_number")
        if at is None or at >= len(values) or at >= len(below):
            return False
        number = normalize_text(values[at]).rstrip(".")
        return bool(_DOTTED_NUMBER.fullmatch(number)) and bool(
            re.fullmatch(re.escape(number) + r"\.\d{1,3}\.?", normalize_text(below[at]))
        )

    def is_title(self, values: list[Any]) -> bool:
        """A row whose only text, in the STT column, has letters: a title merged across the row."""
        at = self.index.get("row_number")
        return at is not None and at < len(values) and any(c.isalpha() for c in normalize_text(values[at]))

    def cells_of(self, key: str, values: list[Any]) -> tuple[int, ...]:
        """Every cell a row's value for a column was read from: the name's parts for the full name of a
        file that splits it, else the one `position_in` says (none for a column the file lacks)."""
        if key == "full_name" and self.name_parts:
            return self.name_parts
        if key == "date_of_birth" and self.date_parts:  # "Ngày | Tháng | Năm": the date is the three
            return self.date_parts
        if key == "date_of_birth" and self.date_marks:  # "Nam" | "Nữ": the date may belong in either
            return (self.index[key], *self.fallbacks[key])
        if key == "sex" and self.date_marks:  # the birth date's column tells the sex too
            return (*self._own_cells(key, values), *self.cells_of("date_of_birth", values))
        return self._own_cells(key, values)

    def _own_cells(self, key: str, values: list[Any]) -> tuple[int, ...]:
        if key == "sex" and self.sex_marks:  # "Nam" | "Nữ": the cross may belong in either
            return (self.index["sex"], *self.fallbacks["sex"])
        position = self.position_in(key, values)
        return () if position is None else (position,)

    def compared_with(self, code: str) -> int | None:
        """The column a refusal of the name compared it with, which the report highlights too (either may be
        the wrong one): the part typed beside the whole name (`name_part_disagrees`), the column without a
        header after it (`name_beside_unlabelled`)."""
        if code == NAME_PART_DISAGREES:
            return self.part_beside
        return self.unlabelled_beside_name if code == NAME_BESIDE_UNLABELLED else None

    def is_blank(self, values: list[Any]) -> bool:
        """A row holds no one when the columns the import reads hold nothing but its sequence number
        (STT): clerks number a sheet's rows down, or drag a formula down a column of their own (Tuổi),
        ahead of filling them, and such a row is neither counted nor refused."""
        return is_blank_at(values, self.data_positions)

    def column_title(self, key: str, values: list[Any] | None = None) -> str:
        """The header the file itself used for a column (or the template's); a split name's headers joined
        ("Họ đệm + Tên"); given a row, the column its value was read from (a passport's number)."""
        if (
            (key == "full_name" and self.name_parts)
            or (key == "sex" and (self.sex_marks or self.sex_from_dates))
            or (key == "date_of_birth" and (self.date_parts or self.date_marks))
        ):
            return " + ".join(normalize_text(self.cells[position]) for position in self.cells_of(key, []))
        position = self.index.get(key) if values is None else self.position_in(key, values)
        if position is not None and position < len(self.cells):
            text = normalize_text(self.cells[position])
            if text:
                return text
        column = COLUMN_BY_KEY.get(key)
        return column.header if column else key


def _header_column(text: str) -> tuple[Column | None, str]:
    """The column a header names, and its comparison form (``header_key``), a hint in brackets aside."""
    key = header_key(text)
    column = _BY_HEADER_KEY.get(key)
    if column is None and ("(" in text or "[" in text):
        key = header_key(_HEADER_HINT.sub(" ", text))
        column = _BY_HEADER_KEY.get(key)
    return column, key


def match_header(number: int, cells: list[Any]) -> HeaderMatch:
    cells = list(cells)
    while cells and is_blank(cells[-1:]):  # a row as wide as the widest of its slice: the header ends at its last
        cells.pop()
    index: dict[str, int] = {}
    documents: list[tuple[int, int]] = []  # (kind: 0 a citizen ID or any, 1 CMND, 2 passport, position)
    ignored: list[str] = []
    parts: dict[str, int] = {}  # a split name's part → its position
    alternates: dict[str, list[tuple[float, int]]] = {}  # a phone's or an address's columns: (rank, position)
    groups: dict[int, str] = {}  # an address's columns and those of its units → the address ("current", "home")
    units_grouped = False
    marks: dict[str, int] = {}  # the sex's columns marked with a cross: "nam" / "nu" → position
    dates: list[tuple[str, int, str]] = []  # the birth date's columns by part or sex: (hint, position, header)
    headers: dict[str, int] = {}  # a read column's whole header (`header_key`) → its first position
    repeated: list[tuple[str, int, int]] = []
    for position, cell in enumerate(cells):
        text = normalize_text(cell)
        if not text:
            continue
        column, key = _header_column(text)
        if column is not None and column.key != "row_number":  # two STT columns read no data
            whole = header_key(text)  # "Số điện thoại (1)" and "Số điện thoại (2)" are two headers
            if whole in headers:
                repeated.append((text, headers[whole], position))
            else:
                headers[whole] = position
        if column is None:
            part = _NAME_PART_BY_KEY.get(key)
            if part is not None and part not in parts:
                parts[part] = position
            elif key not in _OWN_KEYS:
                ignored.append(text)
            continue
        if column.key == "id_number":
            documents.append((1 if key in _ID_CARD_KEYS else 2 if key in _PASSPORT_KEYS else 0, position))
            continue
        if column.key == "sex" and (mark := _sex_mark(text)):  # "Giới tính (Nam)", "Giới tính (Nữ)"
            marks[mark] = position
            continue
        if column.key == "date_of_birth" and (hint := _date_hint(text)):  # "Ngày sinh (Ngày)", "Ngày sinh (Nữ)"
            dates.append((hint, position, text))
            continue
        if column.key in _ALTERNATE_RANK:
            rank: float = _ALTERNATE_RANK[column.key].get(key, 1)
            if (
                key in _UNIT_NAME_KEYS
                and (bracket := _HEADER_HINT.search(text))
                and (group := ADDRESS_GROUPS.get(header_key(bracket.group(0))))
            ):
                rank += _ADDRESS_RANK[group]
                groups[position] = group
                units_grouped = True
            elif column.key == "address_line" and (group := ADDRESS_GROUPS.get(key)):
                groups[position] = group
            alternates.setdefault(column.key, []).append((rank, position))
            continue
        if column.key in index:
            ignored.append(text)
            continue
        index[column.key] = position
    fallbacks: dict[str, tuple[int, ...]] = {}
    if documents:
        # The citizen ID's column is read first, the card's when it is empty, the passport's after them (a
        # second column of a document after the first).
        ordered = [position for _kind, position in sorted(documents)]
        index["id_number"] = ordered[0]
        if len(ordered) > 1:
            fallbacks["id_number"] = tuple(ordered[1:])
    sex_marks = "sex" not in index and len(marks) == 2
    if sex_marks:  # the men's column read, the women's beside it (`RowMapper`)
        index["sex"] = marks["nam"]
        fallbacks["sex"] = (marks["nu"],)
    elif marks and "sex" not in index:
        index["sex"] = min(marks.values())
    date_parts: tuple[int, ...] = ()
    date_marks = False
    if dates:
        # One row of the two-row layouts the error report writes (`two_row_header`): "Ngày sinh (Ngày) |
        # Ngày sinh (Tháng) | Ngày sinh (Năm)", or "Ngày sinh (Nam) | Ngày sinh (Nữ)". "Năm" (the year) and
        # "Nam" (a man) fold alike: the set of hints tells them apart. Any other set is no date read.
        hints = {hint: position for hint, position, _text in dates}
        alone = "date_of_birth" not in index and len(hints) == len(dates)  # no whole date's column, no repeat
        if alone and set(hints) == set(_DATE_PART_HINTS):
            date_parts = tuple(hints[hint] for hint in _DATE_PART_HINTS)
            index["date_of_birth"] = date_parts[0]
        elif alone and set(hints) == {"nam", "nu"}:
            date_marks = True
            index["date_of_birth"] = hints["nam"]
            fallbacks["date_of_birth"] = (hints["nu"],)
        else:
            ignored += [text for _hint, _position, text in dates]
    for key, found in alternates.items():  # the best-ranked first, the others where it is empty
        ordered = [position for _rank, position in sorted(found)]
        index[key] = ordered[0]
        if len(ordered) > 1:
            fallbacks[key] = tuple(ordered[1:])
    name_parts: tuple[int, ...] = ()
    part_beside: int | None = None
    part_end = "either"
    if "full_name" not in index and "family" in parts and "given" in parts and _side_by_side(parts):
        name_parts = tuple(parts[part] for part in _NAME_PART_ORDER if part in parts)
        index["full_name"] = name_parts[0]
    else:  # a whole name's column is read (a "Tên" beside it is checked against it), or no name at all
        if "full_name" in index and parts:  # the given name's column first ("Tên"), else the family name's
            kind = "given" if "given" in parts else "family" if "family" in parts else ""
            if kind:
                part_beside = parts.pop(kind)
                english = header_key(cells[part_beside]) in _ENGLISH_PART_KEYS
                part_end = "either" if english else "end" if kind == "given" else "start"
        ignored += [normalize_text(cells[position]) for position in sorted(parts.values())]
    # The birth date under "Nam | Nữ" says the sex where the file has no "Giới tính" column.
    missing = [c for c in COLUMNS if c.required and c.key not in index and not (c.key == "sex" and date_marks)]
    return HeaderMatch(
        row=number,
        cells=cells,
        index=index,
        ignored=ignored,
        missing=missing,
        fallbacks=fallbacks,
        name_parts=name_parts,
        part_beside=part_beside,
        part_end=part_end,
        sex_marks=sex_marks,
        date_parts=date_parts,
        date_marks=date_marks,
        # only where a unit's column stands under an address: else no row needs them
        address_groups=groups if units_grouped else {},
        # two addresses' columns, each under its own title ("Nơi ở hiện nay" and "Hộ khẩu thường trú" over
        # "Địa chỉ | Phường/xã | Tỉnh/TP": its units grouped), are two columns read apart, not one header twice
        repeated=tuple(r for r in repeated if not (units_grouped and _reads(r[0]) == "address_line")),
    )


def _reads(text: str) -> str | None:
    """The key of the column a header's text names (None for one the import does not read)."""
    column, _key = _header_column(text)
    return column.key if column is not None else None


def _layout(header: HeaderMatch) -> tuple[Any, ...]:
    """What a header reads from where: two headers of one layout read a row the same way."""
    return (
        header.index,
        header.fallbacks,
        header.name_parts,
        header.part_beside,
        header.sex_marks,
        header.date_parts,
        header.date_marks,
        header.address_groups,
    )


#: The birth date's parts as the columns of a date split over three name them ("Ngày | Tháng | Năm"), in the
#: order of the date: day, month, year (``header_key`` forms).
_DATE_PART_HINTS = ("ngay", "thang", "nam")
#: What a birth date column's hint may name: a part of the date, or a sex ("nam" is either: `match_header`).
_DATE_HINTS = frozenset({*_DATE_PART_HINTS, "nu"})


def _date_hint(text: str) -> str:
    """ "ngay", "thang", "nam" or "nu" for a birth date column's header naming a part of the date or a sex in
    brackets ("Ngày sinh (Tháng)", "Ngày sinh (Nữ)"), else ""."""
    hints = _HEADER_HINT.findall(text)  # the last: "Ngày sinh (dd/mm/yyyy) (Ngày)" is the day's
    key = header_key(hints[-1][1:-1]) if hints else ""
    return key if key in _DATE_HINTS else ""


def _sex_mark(text: str) -> str:
    """ "nam" or "nu" for a sex column's header naming one sex in brackets ("Giới tính (Nam)"), else ""."""
    hint = _HEADER_HINT.search(text)
    key = header_key(hint.group(0)[1:-1]) if hint else ""
    return key if key in ("nam", "nu") else ""


def _side_by_side(parts: dict[str, int]) -> bool:
    """A split name's columns stand together: a column between them that is no part of the name (an unknown
    header, "Chữ lót 2") may be one, and would be dropped from every name; such a header is not read as a
    split name (and the file is refused for its missing name, naming the headers it does not know)."""
    positions = sorted(parts.values())
    return positions[-1] - positions[0] + 1 == len(positions)


@dataclass
class Sections:
    """A sheet's section headings as `without_footer` reads them: each one's (row number, text), and, as
    each row is given, the heading it stands under: (row number, values, department), None when a row
    between them not numbered as staff that heads nothing ("II | Lao động thời vụ", a title in the STT
    column) ended the section."""

    rows: list[tuple[int, str]] = field(default_factory=list)
    current: tuple[int, list[Any], str] | None = None
    # The current section's staff are numbered under its heading's number ("1 | Phòng Kế toán" over 1.1, 1.2 …):
    # a row numbered otherwise that heads nothing ends it.
    numbered: bool = False


def without_footer(rows: Iterable[Row], header: HeaderMatch, footer: list[int], sections: Sections) -> Generator[Row]:
    """The rows of a sheet, in order, but its blank rows (`HeaderMatch.is_blank`), a row numbering the
    columns just under the header (`is_column_numbering`), its footer, whose row numbers go to `footer`,
    and the rows heading its sections (`HeaderMatch.section_heading`) above a person, which go to
    `sections` (`Sections`: as each row is given, ``sections.current`` is the heading it stands under).

    A row that says nothing of who it is (no value in IDENTIFYING_KEYS' columns, or only a signature
    block's texts there, `says_who`, in a row not numbered as staff are) is held back until a row that
    does comes: it is then a row of the table, checked and refused as any other. At the end of
    the sheet, at most FOOTER_MAX_ROWS such rows after at least one person are its footer, but for those up to
    the last numbered as staff are with a name in its name's cell (`_numbered_name`). A run of
    them longer than that is not a footer: it goes on at once, never held (a sheet of a million names
    typed ahead of the rest is not kept in memory)."""
    positions = header.data_positions  # nothing there but an STT number: a blank row
    identifying = header.identifying_positions
    held: list[Row] = []
    held_rows = 0  # of them, rows with data: a title in the STT column alone ("Tổng cộng") is not counted
    long_run = False  # the current run of such rows is longer than a footer
    persons_seen = False
    first = True  # the first row under the header may number its columns (`is_column_numbering`)
    again: Row | None = None  # the header again, just passed over: the first row of a two-row header's?
    for row in rows:
        values = row[1]
        title = False
        if again is not None:
            top, again = again, None
            if header.is_header_below(top, row):
                continue  # its second row ("Nam | Nữ" under "Giới tính"): no person either
        if is_blank_at(values, positions):
            if not header.is_title(values):
                continue
            title = True  # merged across the row, its text in the STT column: a heading, or the end of a section
        elif header.header_again(row[0], values):
            # The header again (a list pasted below another, a header repeated for printing): no person, and the
            # end of the list above, as the sheet's end is (its footer, its section), refused in another order.
            yield from _list_end(held, header, sections, footer, persons_seen)
            held, held_rows, long_run, first = [], 0, False, True
            sections.current = None
            again = row
            continue
        elif first:
            first = False
            if header.numbers_columns(values):
                continue
        if (
            says_who(values, identifying) or (not is_blank_at(values, identifying) and header.numbered_as_staff(values))
        ) and not (
            values.__class__ is MarkedRow and values.merged and header.section_heading(values) is not None
        ):  # a person (a heading is none for a phone merged down over it)
            persons_seen, long_run = True, False
            yield from _but_headings(held, header, sections, row)
            held, held_rows = [], 0
            yield row
        elif long_run:
            yield from _but_headings([row], header, sections)
        else:
            held.append(row)
            held_rows += not title
            if held_rows > FOOTER_MAX_ROWS:
                long_run = True
                yield from _but_headings(held, header, sections)
                held, held_rows = [], 0
    yield from _list_end(held, header, sections, footer, persons_seen)


def _list_end(
    held: list[Row], header: HeaderMatch, sections: Sections, footer: list[int], persons_seen: bool
) -> Generator[Row]:
    """The rows held back at the end of a list (the sheet's end, or the header again below it: `without_footer`)."""
    if held and persons_seen:
        # Rows up to the last numbered as staff are and giving a name are the table's: persons whose data is
        # still to come ("5 | Nguyễn Văn Năm" under 1 to 4), refused for what they lack, not the footer.
        staff = [n for n, (_number, values) in enumerate(held) if _numbered_name(header, values)]
        end = staff[-1] + 1 if staff else 0
        yield from _but_headings(held[:end], header, sections)
        footer.extend(number for number, _values in held[end:])
    else:
        yield from _but_headings(held, header, sections)


def _numbered_name(header: HeaderMatch, values: list[Any]) -> bool:
    """A row numbered as staff are (1, 2, 3 …) whose name's cell holds a name: not the place and date of a
    signature, a signer's role or a note (a signer's name is a name: numbered, it is staff's), nor a unit's
    name (a section's heading)."""
    if not header.numbered_as_staff(values):
        return False
    at = header.name_parts[0] if header.name_parts else header.index.get("full_name")
    if at is None or at >= len(values) or type(values[at]) is not str:
        return False
    text = normalize_text(unquote(values[at]))
    if not any(c.isalpha() for c in text) or _SIGNED_ON.search(text):
        return False
    return not (_SIGNING_NOTE.match(text) or _SIGNER_ROLE.match(text) or _is_unit_heading(text))


def _unit_name(text: str) -> tuple[str, bool] | None:
    """A heading's text without its number ("I. KHỐI VĂN PHÒNG" → "KHỐI VĂN PHÒNG") when it names a unit,
    with whether it is a department's name; None for any other text."""
    prefix = _SECTION_PREFIX.match(text)
    rest = text[prefix.end() :] if prefix else text
    lower = rest.lower()
    for words, department in ((_UNIT_WORDS, True), (_HEADING_WORDS, False)):
        if any(lower == word or lower.startswith(word + " ") for word in words):
            return rest, department
    return None


def _name_like(text: str) -> bool:
    """Capitals that read as a person's name: a common family name first ("VŨ THỊ XUÂN", "Y BLIH"), or Thị /
    Văn second ("HÀ THỊ …")."""
    words = text.lower().replace("-", " ").split()
    if not words:
        return False
    first = search_name(words[0]).split("'")[0]
    return first in _FAMILY_NAMES or (len(words) > 2 and words[1] in ("thị", "văn"))


def _is_unit_heading(text: str) -> bool:
    return _unit_name(text) is not None


def section_department(heading: str) -> str:
    """The department a section heading names ("I. KHỐI VĂN PHÒNG (12 người)" → "KHỐI VĂN PHÒNG"), given to
    the staff under it who have none of their own: a unit's name only (not a company's, a role's or a
    group's: "Công ty …", "Lãnh đạo", "Nhóm 1 …", "II | LAO ĐỘNG TRỰC TIẾP"), without a count after it, as
    the department's column takes it (`roster_texts_check`); "" for none."""
    unit = _unit_name(heading)
    if unit is None or not unit[1]:
        return ""
    cleaned, problems = roster_texts_check({"department": _HEADING_COUNT.sub("", unit[0])})
    return "" if problems else cleaned["department"]


def _but_headings(held: list[Row], header: HeaderMatch, sections: Sections, after: Row | None = None) -> Generator[Row]:
    """The rows held back, in order, but the section headings, which go to ``sections``; a title merged
    across a row that heads nothing is passed over, as a blank row is. ``after`` is the row that follows
    them (the person that ended the wait), which tells a heading numbered as its section's staff are."""
    for i, (number, values) in enumerate(held):
        below = held[i + 1][1] if i + 1 < len(held) else after[1] if after is not None else None
        text = header.section_heading(values, below) if len(sections.rows) < SECTION_MAX_ROWS else None
        if text is not None:
            sections.rows.append((number, text))
            sections.current = (number, values, section_department(text))
            sections.numbered = below is not None and header.numbers_under(values, below)
            continue
        current = sections.current
        if current is not None and not (
            header.numbers_under(current[1], values) if sections.numbered else header.numbered_as_staff(values)
        ):
            sections.current = None  # a title, or a row numbered as no staff of the section is: the section ends
        if not header.is_blank(values):
            yield number, values


def find_header(rows: Iterator[Row], back: list[Row] | None = None) -> HeaderMatch:
    """The header row (`_find_header`). Two of its columns under one header that the import reads ("Số điện
    thoại" twice: an old column hidden, the numbers in use typed in a new one at the end) refuse the file
    (`header_repeated`, naming both columns): which one holds the values is not known, and reading either
    (before: the first, the second where it was empty) could save the old value without a word."""
    header = _find_header(rows, back)
    if header.repeated:
        text, first, other = header.repeated[0]
        raise FileRefused(
            "header_repeated",
            row=header.row,
            header=text,
            columns=f"{column_letters(first)}, {column_letters(other)}",
        )
    return header


def _find_header(rows: Iterator[Row], back: list[Row] | None = None) -> HeaderMatch:
    """The header row: the first non-empty row (of the first few) naming every required column.

    Consumes ``rows`` up to and including the header, so the caller goes on with the data rows. A row
    above it may name a few known columns too (the organization's "Địa chỉ: … Điện thoại: …" above
    the table): the search goes on past it. When no row names them all, the file is refused by the row
    naming the most (at least two): its missing columns and the headers there that are not known.
    Columns missing from a row whose headers lost letters to question marks ("H? v? t?n", "Ng?y sinh":
    a file saved in an encoding without Vietnamese letters) are refused as that, which says what to do.

    A header may take two rows (`two_row_header`): group titles above their sub-headers ("Họ và tên"
    over "Họ đệm | Tên", "Giấy tờ tùy thân" over "Loại | Số"). A row naming every column may be such a
    top row (its titles merged across the columns of a group, maybe the last ones): the row below is read
    to tell, and put in ``back`` when it is not a row of headers (the caller reads it first; without
    ``back`` the row is taken alone).
    """
    seen = 0
    lost: list[str] = []  # the cells of the first row of two or more whose letters were lost
    misread: list[tuple[str, str]] = []  # (cell, its reading) of the first row of two or more read in a code page
    best: HeaderMatch | None = None  # the row naming the most known columns, none of them complete
    above: Row | None = None  # the non-empty row before this one: the top of a two-row header?
    complete: HeaderMatch | None = None  # a complete row with a gap: its next row tells if that is all
    for number, values in rows:
        if complete is not None:
            two = two_row_header(above, (number, values)) if above is not None else None
            if two is not None and not two.missing:
                return two
            assert back is not None
            back.append((number, values))
            return complete
        if is_blank(values):
            continue
        seen += 1
        if len(lost) < 2:
            lost = [v for v in values if type(v) is str and letters_lost(v)][:2]
        if len(misread) < 2:
            found = ((v, misread_utf8(v)) for v in values if type(v) is str)
            misread = [(v.strip(), reading[1]) for v, reading in found if reading is not None][:2]
        match = match_header(number, values)
        if match.missing and above is not None:
            two = two_row_header(above, (number, values))
            if two is not None and not two.missing:
                return two
        elif above is not None and len(match.index) >= 2:
            # A row of sub-headers complete alone, the headers merged down over it filled in (the run reads
            # a merged cell in each of its rows): the titles above may tell more (`_titles_tell_more`).
            two = two_row_header(above, (number, values))
            if two is not None and not two.missing and _titles_tell_more(two, match):
                match = two
        if len(match.index) >= 2:
            if not match.missing:
                if back is None:
                    return match
                complete = match
            elif best is None or len(match.index) > len(best.index):
                best = match
        above = (number, values)
        if seen >= HEADER_LOOK_AHEAD and complete is None:
            break
    if complete is not None:  # the sheet ends under its header
        return complete
    if seen == 0:
        raise FileRefused("file_empty")
    if len(misread) >= 2:  # UTF-8 read in a one-byte code page ("Há» vÃ  tÃªn"): say so, not "rename them"
        raise FileRefused(
            "header_misread_encoding", header=", ".join(f"“{cell}” (“{reading}”)" for cell, reading in misread)
        )
    if best is not None:
        raise _header_refused(best.missing, lost, best)
    raise _header_refused([c for c in COLUMNS if c.required], lost)


def _titles_tell_more(two: HeaderMatch, alone: HeaderMatch) -> bool:
    """Whether a header read on two rows tells more than its lower row alone: which address a ward's column
    is of ("Phường/xã" under "Hộ khẩu thường trú", beside a "Chỗ ở hiện nay" merged down), or a column the
    row alone leaves aside ("Số nhà" under it)."""
    return bool(two.address_groups) or len(two.data_positions) > len(alone.data_positions)


def _known_header(text: str) -> bool:
    column, key = _header_column(text)
    return column is not None or key in _NAME_PART_BY_KEY


def _under(title: str, sub: str, first: bool) -> str:
    """A sub-header's name under its group title: itself when known ("Tên" under "Họ và tên"), else with
    the title ("Số" under "Giấy tờ tùy thân": "Số Giấy tờ tùy thân") or its last words ("Số" under "Thông
    tin CCCD": "Số CCCD"); else, in the group's first column, the title when it is known ("Số" under "Số
    CCCD"); else itself (an unknown header, "Ngày cấp")."""
    if header_key(sub) in _UNIT_NAME_KEYS and header_key(title) in ADDRESS_GROUPS:
        # "Phường/xã" under "Chỗ ở hiện nay": the ward of that address, ranked as it is (`match_header`)
        return f"{sub} ({title})"
    words = title.split()
    # the title's last words alone too: "Số" under "Thông tin CCCD" is "Số CCCD"
    for text in (
        sub,
        f"{sub} {title}",
        f"{title} {sub}",
        *(f"{sub} {' '.join(words[k:])}" for k in range(1, len(words))),
    ):
        if _known_header(text):
            return text
    return title if first and _known_header(title) else sub


def _data_like(value: Any, text: str) -> bool:
    """A cell no header holds: not text, or a digit outside a hint in brackets ("Số điện thoại (10 số)" is
    a header; a birth date, a number are data)."""
    if type(value) is not str:
        return True
    if "(" in text or "[" in text:
        text = _HEADER_HINT.sub(" ", text)
    return any(ch.isdigit() for ch in text)


def two_row_header(top: Row, sub: Row) -> HeaderMatch | None:
    """A header on two rows, read as one: a header standing alone above an empty cell (merged down over
    both rows) is itself; a group title above several sub-headers (merged across them: the title in the
    first cell, the others empty) names each of them (`_under`). A lower cell repeating the one above is
    that header merged down (the run fills merged cells into each of their rows; the upload's check does
    not): the same header both ways. The row below must be a row of headers: no value a header would not
    hold (`_data_like`), at least one of them read through this pairing. None when it is not."""
    top_values, sub_values = top[1], sub[1]
    if is_column_numbering(sub_values):  # "(1) (2) (3) …" under the header numbers its columns: no sub-headers
        return None
    uppers = [normalize_text(v) for v in top_values]
    texts = [normalize_text(v) for v in sub_values]
    for position, text in enumerate(texts):
        if text and position < len(uppers) and text == uppers[position]:
            texts[position] = ""  # the header above, merged down into this row
        elif text and _data_like(sub_values[position], text):
            return None
    if not any(texts):
        return None
    cells: list[str] = []
    title = ""  # the group title over this column
    used = False  # a sub-header was read
    groups: list[tuple[str, list[str], list[int]]] = []  # (a group title, its sub-headers' forms, positions)
    width = max(len(uppers), len(texts))
    for position in range(width):
        upper = uppers[position] if position < len(uppers) else ""
        lower = texts[position] if position < len(texts) else ""
        if upper and lower:
            title = upper
            groups.append((title, [], []))
        elif upper:
            title = ""
        if lower and title:
            groups[-1][1].append(header_key(lower))
            groups[-1][2].append(position)
        if lower:
            # The title stands for its first column only over a group (sub-headers under the empty cells
            # it is merged over): above a single cell, the lower text is a value, not its header.
            group = (
                bool(upper)
                and position + 1 < width
                and not (uppers[position + 1] if position + 1 < len(uppers) else "")
                and bool(texts[position + 1] if position + 1 < len(texts) else "")
            )
            name = _under(title, lower, first=group) if title else lower
            used = used or _known_header(name)
            cells.append(name)
        else:
            cells.append(upper)
    for group_title, subs, positions in groups:
        titled = _header_column(group_title)[0]
        if titled is COLUMN_BY_KEY["date_of_birth"] and set(_DATE_PART_HINTS) <= set(subs):
            # The birth date split over "Ngày | Tháng | Năm": named so in one row ("Ngày sinh (Tháng)"), as
            # the report writes it, and read as one date (`match_header`, `RowMapper`).
            labels: tuple[tuple[str, str], ...] = (("ngay", "Ngày"), ("thang", "Tháng"), ("nam", "Năm"))
        elif titled in (COLUMN_BY_KEY["sex"], COLUMN_BY_KEY["date_of_birth"]) and sorted(subs) == ["nam", "nu"]:
            # The sex marked with a cross, or the birth date typed in the column of the person's sex: named
            # so in one row ("Giới tính (Nam)", "Ngày sinh (Nữ)"), as the report writes it.
            labels = (("nam", "Nam"), ("nu", "Nữ"))
        else:
            continue
        for sub_key, label in labels:
            cells[positions[subs.index(sub_key)]] = f"{group_title} ({label})"
        used = True
    if not used:
        return None
    return match_header(sub[0], cells)


def _header_refused(missing: list[Column], lost: list[str], near: HeaderMatch | None = None) -> FileRefused:
    if len(lost) >= 2:
        return FileRefused("header_letters_lost", header=", ".join(v.strip() for v in lost))
    columns = ", ".join(f"“{c.header}”" for c in missing)
    if near is not None and near.ignored:
        # The headers there that are not known are likely the missing columns under another name.
        unknown = ", ".join(f"“{text}”" for text in near.ignored[:8])
        return FileRefused("header_incomplete", columns=columns, row=near.row, unknown=unknown)
    return FileRefused("header_missing", columns=columns)


_COLUMN_NUMBER = re.compile(r"[(\[]?([0-9]{1,2}|[A-Z])[)\]]?")


def is_column_numbering(values: list[Any]) -> bool:
    """A row numbering the columns under the header (1, 2, 3 … or (1), (2) …, perhaps after A, B), as
    administrative forms have: at least three numbers, rising, and nothing else in the row."""
    numbers: list[int] = []
    for value in values:
        if value is None or value == "":
            continue
        if isinstance(value, bool):
            return False
        if isinstance(value, int | float):
            if not float(value).is_integer():
                return False
            number = int(value)
        elif type(value) is str:
            match = _COLUMN_NUMBER.fullmatch(value.strip())
            if match is None:
                return False
            if not match.group(1).isdigit():
                if numbers:  # letters come before the numbers only
                    return False
                continue
            number = int(match.group(1))
        else:
            return False
        if numbers and number <= numbers[-1]:
            return False
        numbers.append(number)
    return len(numbers) >= 3


#: A text date whose first number is over 12: a month-first reading could not take it.
_DAY_FIRST_TEXT = re.compile(r"\s*(1[3-9]|2[0-9]|3[01])\s*[/.-]\s*(0?[1-9]|1[0-2])\s*[/.-]\s*[0-9]{2,4}\s*")
#: A text date whose second number is over 12: written month first (2/20/1981), by a person or a program.
_MONTH_FIRST_TEXT = re.compile(r"\s*(0?[1-9]|1[0-2])\s*([/.-])\s*(1[3-9]|2[0-9]|3[01])\s*\2\s*[0-9]{4}\s*")
#: A text date either reading could take (02/01/1978): Excel reading month first would have made it a real date.
_EITHER_WAY_TEXT = re.compile(r"\s*(0?[1-9]|1[0-2])\s*([/-])\s*(0?[1-9]|1[0-2])\s*\2\s*[0-9]{4}\s*")


class MonthFirstDates:
    """The birth dates of the rows the upload's check peeks at (`see`, then `check`), to tell a column
    that Excel read month first (its region set to English, United States): there a date typed
    01/02/1990 becomes a real date, 2 January, and one typed 25/12/1985 stays text, since no month is 25.
    So the column holds text dates whose first number is over 12 beside real dates whose day never is:
    no date of it can be trusted, and the file is refused before anything is written
    (`dates_month_first`). Typed as text throughout (the template's Text column, a CSV) or read day
    first (Vietnamese), a column never looks so; nor does one that also holds a text date either reading
    could take (02/01/1978): Excel reading month first would have made it a real date, so the few real
    dates beside it were typed as such (a row pasted from another file).

    Text dates written month first (a CSV from a system set to English: 2/20/1981) are refused so too:
    some (second number over 12) and none day first (first number over 12) — then 3/5/1982 is 5 March
    as much as 3 May, and read day first it would be saved wrong, silently."""

    def __init__(self, position: int | None, further: tuple[int, ...] = ()):
        """`further`: the column read where the first is empty (the birth date under "Nam | Nữ": the women's)."""
        self.position = position
        self.further = further
        self.text_rows: list[int] = []  # rows of a text date whose first number is over 12
        self.example = ""
        self.real = 0  # real dates
        self.real_day_over_12 = 0
        self.month_first_rows: list[int] = []  # rows of a text date whose second number is over 12
        self.month_first_example = ""
        self.either_way = 0  # text dates either reading could take

    def see(self, number: int, values: list[Any]) -> None:
        assert self.position is not None
        value = values[self.position] if self.position < len(values) else None
        for other in self.further:
            if not is_blank([value]):
                break
            value = values[other] if other < len(values) else None
        if isinstance(value, date):
            self.real += 1
            self.real_day_over_12 += value.day > 12
        elif type(value) is str:
            if _DAY_FIRST_TEXT.fullmatch(value):
                self.text_rows.append(number)
                self.example = self.example or value.strip()
            elif _MONTH_FIRST_TEXT.fullmatch(value):
                self.month_first_rows.append(number)
                self.month_first_example = self.month_first_example or value.strip()
            elif _EITHER_WAY_TEXT.fullmatch(value):
                self.either_way += 1

    def check(self) -> None:
        if self.text_rows and self.real and not self.real_day_over_12 and not self.either_way:
            raise FileRefused("dates_month_first", example=self.example, rows=_some_rows(self.text_rows))
        if self.month_first_rows and not self.text_rows and not self.real_day_over_12:
            raise FileRefused(
                "dates_month_first_text", example=self.month_first_example, rows=_some_rows(self.month_first_rows)
            )


def _some_rows(rows: list[int]) -> str:
    return ", ".join(str(n) for n in rows[:5]) + (", …" if len(rows) > 5 else "")


def column_letters(position: int) -> str:
    """A column's name as a spreadsheet shows it (0 → A, 26 → AA)."""
    letters = ""
    position += 1
    while position:
        position, rest = divmod(position - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def name_part_disagrees(whole: Any, part: Any, end: str = "either") -> bool:
    """A whole name that does not end (``end="end"``: a Vietnamese given name, "Trần Văn" beside "An", the
    name split over the two columns), start (``"start"``: a family name, "Văn An" beside "Nguyễn") or
    either (an English header: Western names put the given name first, "John Smith" beside "John") with a
    part of it typed beside it. Compared without marks (`search_name`): "Hoà" and "Hòa" are one name, and a
    sort column is often typed without them. An empty part says nothing."""
    part_words = search_name(part).split()
    if not part_words:
        return False
    words = search_name(whole).split()
    ends, starts = words[-len(part_words) :] == part_words, words[: len(part_words)] == part_words
    return not (ends if end == "end" else starts if end == "start" else ends or starts)


def _parts_repeat(first: str, last: str) -> bool:
    """The first part of a split name ends with the last ("Nguyễn Văn An" | "An"), or the last starts with
    the first ("Nguyễn" | "Nguyễn Văn An"): one column holds the whole name. Without marks."""
    first_words, last_words = search_name(first).split(), search_name(last).split()
    return first_words[-len(last_words) :] == last_words or last_words[: len(first_words)] == first_words


class SplitName:
    """A name typed in two columns under one header, told from the rows the upload's check peeks at
    (`see`, then `check`). Lists sorted by given name type "Nguyễn Văn" | "An" and merge "Họ và tên" over
    both, or head the second "Tên": read alone, the first column would register everyone without a given
    name. When most persons' rows have a value in a column without a header right after the name's, or a
    "Tên" their whole name neither starts nor ends with (`name_part_disagrees`), the file is refused before anything
    is written (`name_split`), saying how to head the two columns. Rows of no person (a signature under
    the table) are not counted; a row that disagrees in a file that does not is refused alone
    (`RowMapper`)."""

    def __init__(self, header: HeaderMatch):
        self.part = header.part_beside  # a part of the name beside it ("Tên", "Surname")
        self.end = header.part_end if self.part is not None else "end"  # a sort column repeats the given name
        self.position = header.unlabelled_beside_name if self.part is None else self.part
        self.name_position = header.index.get("full_name")
        self.name = header.column_title("full_name")
        self.part_title = normalize_text(header.cells[self.part]) if self.part is not None else ""
        self.identifying = header.identifying_positions
        self.found: tuple[int, str, str] | None = None  # the first row telling: (row, its value, its name)
        self.agree = self.disagree = 0

    def see(self, number: int, values: list[Any]) -> None:
        assert self.position is not None and self.name_position is not None
        if not says_who(values, self.identifying):
            return
        text = normalize_text(values[self.position]) if self.position < len(values) else ""
        whole = values[self.name_position] if self.name_position < len(values) else ""
        if not text:
            self.agree += self.part is None  # an empty column beside: the name whole (a "Tên" empty says nothing)
            return
        if not name_part_disagrees(whole, text, self.end):  # a part of the name again: a column to sort by
            self.agree += 1
            return
        self.disagree += 1
        if self.found is None:
            self.found = (number, text, normalize_text(whole))

    def check(self) -> None:
        if self.found is None or self.position is None or self.disagree <= self.agree:
            return
        row, example, whole = self.found
        column = column_letters(self.position)
        if self.part is None:
            raise FileRefused("name_split_unlabelled", name=self.name, column=column, row=row, example=example)
        raise FileRefused(
            "name_split_given",
            name=self.name,
            given=self.part_title,
            column=column,
            row=row,
            example=example,
            whole=whole,
        )


class UnlabelledColumns:
    """Columns holding values under no header (a blank header cell, or past the header's last), told from the
    rows the upload's check peeks at (`see`): listed among the ignored columns by their letter ("column P (no
    header)", `labels`), where before they were dropped without a word. One right after a read column is
    listed too, and a row holding a value there refused (`HeaderMatch.unlabelled_beside`, the name's
    `unlabelled_beside_name`)."""

    def __init__(self, header: HeaderMatch):
        cells = header.cells
        own = set(header.data_positions)
        self.blank = [p for p in range(len(cells)) if p not in own and not normalize_text(cells[p])]
        self.width = len(cells)  # and every column past the header's last
        self.own = own
        self.found: set[int] = set()

    def see(self, values: list[Any]) -> None:
        for position in [*self.blank, *range(self.width, len(values))]:
            if position < len(values) and position not in self.found and position not in self.own:
                value = values[position]
                if value is not None and value != "" and (type(value) is not str or value.strip()):
                    self.found.add(position)

    def labels(self) -> list[str]:
        return [
            str(_("column %(letter)s (no header)") % {"letter": column_letters(position)})
            for position in sorted(self.found)
        ]


@dataclass(slots=True)
class RosterRow:
    """One data row: as sent (for the error report) and as cleaned input for the registry."""

    number: int
    values: list[Any]
    person: PersonInput
    province_code: str | None
    department: str
    employee_number: str
    problems: list[Problem]
    #: The section heading the row stands under (`Sections.current`): its row number, values and department.
    section: tuple[int, list[Any], str] | None = None

    @property
    def heading_department(self) -> str:
        """The department the row's section heading names, for a row with none of its own."""
        return self.section[2] if self.section is not None and not self.department else ""


CELL_ERROR = "cell_error"
FORMULA_NOT_COMPUTED = "formula_not_computed"


def cell_error_problem(key: str, error: str) -> Problem:
    return Problem(
        key,
        CELL_ERROR,
        format_lazy(
            _("This cell holds an Excel error ({error}) instead of a value: correct its formula, or type the value."),
            error=error,
        ),
    )


def formula_problem(key: str, formula: str) -> Problem:
    return Problem(
        key,
        FORMULA_NOT_COMPUTED,
        format_lazy(
            _(
                "This cell holds a formula ({formula}) whose result the file does not keep: open the file in "
                "Excel or LibreOffice and save it again, or type the value."
            ),
            formula=formula,
        ),
    )


#: What the readers give for a cell that holds no value to take, and the problem each one is.
CELL_PROBLEMS = {CellError: cell_error_problem, FormulaNotComputed: formula_problem}

NAME_PART_MISSING = "name_part_missing"
COLUMN_BESIDE_UNLABELLED = "column_beside_unlabelled"
NAME_PART_DISAGREES = "name_part_disagrees"
NAME_BESIDE_UNLABELLED = "name_beside_unlabelled"
NAME_PART_REPEATED = "name_part_repeated"


def name_part_missing(column: str) -> Problem:
    return Problem(
        "full_name",
        NAME_PART_MISSING,
        format_lazy(
            _("The name is split over several columns and its part “{column}” is empty in this row: fill it in."),
            column=column,
        ),
    )


DATE_OF_BIRTH_FORMAT = "date_of_birth_format"


def date_part_problem(column: str, value: str) -> Problem:
    """A part of a birth date split over "Ngày | Tháng | Năm" that is empty, or no number."""
    if not value:
        message = format_lazy(
            _(
                "The date of birth is split over day, month and year, and its part “{column}” is empty in this "
                "row: fill it in."
            ),
            column=column,
        )
    else:
        message = format_lazy(
            _(
                "The date of birth is split over day, month and year, and its part “{column}” holds “{value}”, "
                "which is not a number: type it in digits."
            ),
            column=column,
            value=value,
        )
    return Problem("date_of_birth", DATE_OF_BIRTH_FORMAT, message)


def date_year_problem(year: str) -> Problem:
    return Problem(
        "date_of_birth",
        DATE_OF_BIRTH_FORMAT,
        format_lazy(_("The year of the date of birth ({year}) must have four digits, as 1985."), year=year),
    )


def date_parts_unreal(text: str) -> Problem:
    return Problem(
        "date_of_birth",
        DATE_OF_BIRTH_FORMAT,
        format_lazy(
            _(
                "The day, the month and the year of the date of birth ({date}) are not a real date: correct the "
                "one that is wrong."
            ),
            date=text,
        ),
    )


def date_under_both(man: str, woman: str) -> Problem:
    """The birth date typed under "Nam" and under "Nữ": which is the person's sex is not known."""
    return Problem(
        "date_of_birth",
        DATE_OF_BIRTH_FORMAT,
        format_lazy(
            _(
                "The date of birth is typed both under “{man}” and under “{woman}”: keep it only in the column "
                "of the person's sex."
            ),
            man=man,
            woman=woman,
        ),
    )


def sex_disagrees_with_date(sex: str, column: str) -> Problem:
    """A "Giới tính" naming the other sex than the column the birth date is typed in ("Nam | Nữ")."""
    return Problem(
        "sex",
        "sex_format",
        format_lazy(
            _(
                "The sex “{sex}” disagrees with the column the date of birth is typed in, “{column}”: correct the "
                "sex, or move the date to the column of the person's sex."
            ),
            sex=sex,
            column=column,
        ),
    )


ROW_STRUCK = "row_struck"


def row_struck_problem(columns: str) -> Problem:
    """A row with text struck through (`readers.MarkedRow`): a clerk strikes a person who left, or a value
    no longer right, instead of deleting it; not taken without asking."""
    return Problem(
        ROW,
        ROW_STRUCK,
        format_lazy(
            _(
                "Text in this row is struck through ({columns}), so it was not taken: a struck-through row is often "
                "a person who has left, a struck value one no longer right. If this person belongs on the roster, "
                "remove the strike (or fix the value) and upload the row again; if not, delete it from your file."
            ),
            columns=columns,
        ),
    )


ROW_HIDDEN = "row_hidden"
#: The field a problem of the whole row names (no column of the sheet).
ROW = "row"


WARD_AMBIGUOUS = "ward_ambiguous"
WARD_NAME_WITHOUT_PROVINCE = "ward_name_without_province"
#: A refusal lists at most this many of the units a name may stand for.
_NAMED_SHOWN = 8


def _units_text(units: tuple[Any, ...]) -> str:
    shown = "; ".join(str(u) for u in units[:_NAMED_SHOWN])
    return shown + (" …" if len(units) > _NAMED_SHOWN else "")


def ward_name_problem(name: str, provinces: str | None, found: tuple[Any, ...]) -> Problem:
    """A ward given by its name that names no ward of the row's province, or several, or with no province."""
    if provinces is None:
        return Problem(
            "ward_code",
            WARD_NAME_WITHOUT_PROVINCE,
            format_lazy(
                _(
                    "The ward or commune “{name}” is given by its name, and the row gives no province: the same "
                    "names are used all over the country. Give the province (a column “Tỉnh/thành phố” or "
                    "“Mã tỉnh”), or the ward's code (sheet “Danh mục” of the template)."
                ),
                name=name,
            ),
        )
    if found:
        return Problem(
            "ward_code",
            WARD_AMBIGUOUS,
            format_lazy(
                _(
                    "“{name}” may stand for several wards or communes of {provinces}: {wards}. Give the code of "
                    "the one the person lives in (a ward before 2025 may have been split; a name without "
                    "diacritics may fit several)."
                ),
                name=name,
                provinces=provinces,
                wards=_units_text(found),
            ),
        )
    return Problem(
        "ward_code",
        "ward_unknown",
        format_lazy(
            _(
                "There is no ward or commune named “{name}” in {provinces} (since 2025): check the name, or give "
                "the ward's code (sheet “Danh mục” of the template)."
            ),
            name=name,
            provinces=provinces,
        ),
    )


WARD_ADDRESS_MISMATCH = "ward_address_mismatch"
#: An address that may name its ward: a part (after a comma, a semicolon or a dash) starting with a ward's kind
#: ("Phường", "P.", "P1", "Xã", "X.", "Thị trấn", "TT", "Đặc khu"). Read further only then (`PlaceNames.address_ward`).
_MAY_NAME_WARD = re.compile(
    r"(?:^|[,;]|\s[-–]\s)\s*(?:phường|phuong|xã|xa|thị\s*trấn|thi\s*tran|đặc\s*khu|dac\s*khu|tt|p|x)(?:\b|(?=\d))",
    re.IGNORECASE,
)


def ward_address_problem(code: str, unit: str, named: str, part: str, address: str) -> Problem:
    """A ward's code (or name) beside an address naming another ward of the province for sure: one of the two is
    wrong (a code dragged down a column, an address copied from another row), and which is not for the import
    to guess."""
    return Problem(
        "ward_code",
        WARD_ADDRESS_MISMATCH,
        format_lazy(
            _(
                "The ward's code {code} is {unit}, but the address “{address}” names “{part}”, which is {named} "
                "since 2025: one of the two is wrong. Correct the code or the address to where the person lives."
            ),
            code=code,
            unit=unit,
            named=named,
            part=part,
            address=address,
        ),
    )


WARD_CODE_NAME_MISMATCH = "ward_code_name_mismatch"
PROVINCE_CODE_NAME_MISMATCH = "province_code_name_mismatch"


def code_name_problem(field: str, code: str, unit: str, name: str) -> Problem:
    """A cell giving a unit's code with a name that is another unit's ("26042 - Phường Trấn Biên"): one of the
    two was copied wrong, and which one the person lives in is not for the import to guess."""
    if field == "ward_code":
        message = _(
            "The code {code} is {unit}, and the name beside it, “{name}”, is another ward or commune: one of the two "
            "was copied wrong. Give the code of the one the person lives in (sheet “Danh mục” of the template)."
        )
        reason = WARD_CODE_NAME_MISMATCH
    else:
        message = _(
            "The code {code} is {unit}, and the name beside it, “{name}”, is another province: one of the two was "
            "copied wrong. Give the code of the province the person lives in (sheet “Danh mục”)."
        )
        reason = PROVINCE_CODE_NAME_MISMATCH
    return Problem(field, reason, format_lazy(message, code=code, unit=unit, name=name))


def province_name_problem(name: str, found: tuple[Any, ...]) -> Problem:
    """A province given by a name that is no province's, or a name before 2025 that became several."""
    if found:
        message = format_lazy(
            _(
                "“{name}” was a province before 2025 whose wards and communes are now in {provinces}: give the "
                "2025 province, or the ward's code."
            ),
            name=name,
            provinces=_units_text(found),
        )
    else:
        message = format_lazy(
            _("There is no province or city named “{name}”: check the name, or give its code (sheet “Danh mục”)."),
            name=name,
        )
    return Problem("province_code", "province_unknown", message)


def row_hidden_problem() -> Problem:
    """A row the sheet hides (`readers.MarkedRow`): not taken without asking, since a hidden row is as
    often a person who left as one filtered out of view; shown again in the error report, it uploads."""
    return Problem(
        ROW,
        ROW_HIDDEN,
        _(
            "This row is hidden in the file (hidden, filtered out or folded in a group), so it was not taken: "
            "a hidden row is often a person who has left. If this person belongs on the roster, upload the row "
            "again (it is shown in this report); if not, delete it from your file."
        ),
    )


def _read_further(
    key: str,
    positions: tuple[int, ...],
    clean: Callable[[Any], Any],
    values: list[Any],
    fields: dict[str, Any],
    problems: list[Problem],
) -> int | None:
    """A row's value for `key` from its further columns (`HeaderMatch.fallbacks`: an old card's or a
    passport's number, a second phone or address) when the first column is empty, and not an error: the
    first that holds one (a cell holding an Excel error is refused as that). Returns the column read."""
    if not is_blank([fields.get(key)]) or any(p.field == key for p in problems):
        return None
    for position in positions:
        value = values[position]
        if value.__class__ in CELL_PROBLEMS:
            problems.append(CELL_PROBLEMS[value.__class__](key, value))
            return None
        if not is_blank([value]):
            try:
                fields[key] = unquote(value) if clean is _keep else clean(value)
            except CellRefused as refused:
                problems.append(refused.problem(key))
                return None
            return position
    return None


def _as_reported(values: list[Any], reasons_at: int) -> list[Any]:
    """A row of an error report sent again, its cells as the clerk's file held them. The report shows an Excel
    error as its text (``#N/A``), and a formula without its result as quoted text (``'=INDEX(…)``), quoted as
    any text that starts like a formula is: read as they stand, they would be saved as a department or an
    address. An error's text is refused again as the error (a CSV's is too); a quoted formula, when the row's
    reasons still name it as not computed (a text typed so, "=HYPERLINK(…)", stays a text)."""
    reasons = values[reasons_at] if reasons_at < len(values) else ""
    formulas = reasons if reasons.__class__ is str and f"[{FORMULA_NOT_COMPUTED}]" in reasons else ""
    return [
        (
            CellError(v)
            if v in EXCEL_ERRORS
            else FormulaNotComputed(v[1:])
            if formulas and v[:2] == "'=" and f"({v[1:]})" in formulas
            else v
        )
        if v.__class__ is str
        else v
        for v in values
    ]


#: What a tick box's column holds where it is not ticked (`_ticked`), as `header_key` spells it: FALSE (a
#: check box's linked cell, or its text; "SAI" in LibreOffice set to Vietnamese), 0, "không", "no".
_UNTICKED = frozenset({"false", "sai", "0", "khong", "khongco", "no"})


def _ticked(value: Any) -> bool:
    """A cell of the sex's "Nam | Nữ" columns is marked: a cross, TRUE, 1, "có", any value but an empty cell or a
    tick box's "not ticked" (`_UNTICKED`: before, FALSE counted as a cross, and a form of tick boxes had everyone
    marked twice)."""
    if value is None or value == "" or value is False:
        return False
    if value.__class__ is int or value.__class__ is float:
        return value != 0
    if value.__class__ is str:
        return bool(value.strip()) and header_key(value) not in _UNTICKED
    return True


def _mark_text(value: Any) -> str:
    return ("TRUE" if value else "FALSE") if value.__class__ is bool else normalize_text(value)


class RowMapper:
    """Turns a data row into a :class:`RosterRow` through each column's clean step."""

    def __init__(
        self, header: HeaderMatch, *, date1904: bool = False, place_names: Callable[[], PlaceNames] | None = None
    ):
        """`date1904`: the workbook counts its dates from 1904 (`readers.Book.date1904`); `place_names`: the
        units by name (`places.selectors.place_names`), read the first time a row names one instead of
        giving its code."""
        self.header = header
        self._place_names_read = place_names
        self._place_names: PlaceNames | None = None
        self._named = place_names is not None and ("ward_code" in header.index or "province_code" in header.index)
        self._groups = header.address_groups
        self.width = max(header.index.values(), default=-1) + 1
        present = [c for c in COLUMNS if c.key in header.index]
        # (field, position, clean step or None when the step is only `unquote`): the hot loop's table
        self._person = [
            (
                c.key,
                header.index[c.key],
                None if c.clean is _keep else clean_date_1904 if date1904 and c.clean is clean_date else c.clean,
            )
            for c in present
            if c.key in _PERSON_KEYS
            and not (c.key == "full_name" and header.name_parts)
            and not (c.key == "date_of_birth" and (header.date_parts or header.date_marks))
        ]
        # The birth date over several columns: "Ngày | Tháng | Năm" (`_date_from_parts`), or "Nam | Nữ", the
        # column telling the sex (`_date_by_sex`).
        self._date_parts = header.date_parts
        self._date_marks = (
            (header.index["date_of_birth"], header.fallbacks["date_of_birth"][0]) if header.date_marks else None
        )
        self._date_clean = clean_date_1904 if date1904 else clean_date
        if self._date_parts:
            self.width = max(self.width, max(self._date_parts) + 1)
        self._name_parts = header.name_parts  # read and joined by `_joined_name`
        if self._name_parts:
            self.width = max(self.width, max(self._name_parts) + 1)
        self._part = header.part_beside  # a part of the name's column beside the whole name's: checked
        self._part_end = header.part_end
        if self._part is not None:
            self.width = max(self.width, self._part + 1)
        self._unlabelled = header.unlabelled_beside_name  # a column without a header after the name's
        if self._unlabelled is not None:
            self.width = max(self.width, self._unlabelled + 1)
        # A column without a header after another read column's: a header merged over two (`unlabelled_beside`).
        self._beside = sorted(header.unlabelled_beside.items())
        if self._beside:
            self.width = max(self.width, self._beside[-1][0] + 1)
        self._others = [(c.key, header.index[c.key], c.clean) for c in present if c.key in _ROSTER_KEYS]
        self._limits = [(c.key, c.max_length) for c in present if c.max_length]
        self._id_fallbacks = header.fallbacks.get("id_number", ())  # an old identity card's column, a passport's
        documents = [header.index["id_number"], *self._id_fallbacks] if "id_number" in header.index else []
        # A passport's column: a number read from it is a passport's when the row does not say its type.
        self._passport_column = next((p for p in documents if header_key(header.cells[p]) in _PASSPORT_KEYS), None)
        self._id_primary = header.index.get("id_number")
        # A second phone's or address's column, read where the first is empty.
        self._alternates = [
            (key, positions, COLUMN_BY_KEY[key].clean)
            for key, positions in header.fallbacks.items()
            if key not in ("id_number", "sex", "date_of_birth", *_ROSTER_KEYS)
        ]
        # A province's name beside its code; a second address's province or district: the roster's own fields.
        self._others_further = [
            (key, positions, COLUMN_BY_KEY[key].clean)
            for key, positions in header.fallbacks.items()
            if key in _ROSTER_KEYS
        ]
        # The sex marked in two columns ("Nam" | "Nữ"): a cross in one says it.
        self._sex_marks = (header.index["sex"], header.fallbacks["sex"][0]) if header.sex_marks else None
        # An error report sent again (its header holds our "Lý do"): its cells written as text for what the
        # clerk's file held instead of a value are read as that again (`_as_reported`). Other files: no cost.
        reasons_at = header.reasons_at
        self._reported = reasons_at if reasons_at < len(header.cells) else None
        further = {position for positions in header.fallbacks.values() for position in positions}
        # The columns read in every row, STT too; a further column only in a row that reads it.
        self._read = (frozenset(header.data_positions) | set(header.index.values())) - further
        if further:
            self.width = max(self.width, max(further) + 1)

    def map(self, number: int, values: list[Any]) -> RosterRow:
        marked = values if values.__class__ is MarkedRow else None
        if self._reported is not None:
            values = _as_reported(values, self._reported)
        if len(values) < self.width:
            values = values + [""] * (self.width - len(values))
        sent = values
        if self._groups:
            values = self._one_address(values)
        fields: dict[str, Any] = {}
        problems: list[Problem] = []
        for key, position, clean in self._person:
            value = values[position]
            if value.__class__ in CELL_PROBLEMS:
                problems.append(CELL_PROBLEMS[value.__class__](key, value))
                value = ""
            if clean is not None:
                try:
                    value = clean(value)
                except CellRefused as refused:  # TRUE or a date in a code's column, "4.000"
                    problems.append(refused.problem(key))
                    value = ""
            elif type(value) is str and value[:1] == "'":
                value = unquote(value)
            fields[key] = value
        if self._id_fallbacks and is_blank([fields.get("id_number")]):
            used = _read_further("id_number", self._id_fallbacks, _keep, values, fields, problems)
            if used is not None and used == self._passport_column and is_blank([fields.get("id_type")]):
                fields["id_type"] = "passport"  # the column says what it holds
        elif (
            self._passport_column is not None
            and self._passport_column == self._id_primary
            and is_blank([fields.get("id_type")])
            and not is_blank([fields.get("id_number")])
        ):
            fields["id_type"] = "passport"  # the file's one document column is the passports'
        if self._sex_marks is not None:
            man, woman = (values[position] for position in self._sex_marks)
            crosses = (_ticked(man), _ticked(woman))
            sex = {(True, False): "Nam", (False, True): "Nữ", (False, False): ""}.get(crosses)
            if sex is None:  # both marked: said so, naming both columns (`sex_format`)
                problems.append(self._sex_marked_twice(man, woman))
                sex = ""
            # A mark that names the other sex ("Nữ" typed under "Nam") says nothing sure: refused as both are.
            elif sex and normalize_sex(man if sex == "Nam" else woman) == ("F" if sex == "Nam" else "M"):
                sex = f"{normalize_text(man)} | {normalize_text(woman)}"
            fields["sex"] = sex
        if self._date_parts:
            fields["date_of_birth"] = self._date_from_parts(values, problems)
        elif self._date_marks is not None:
            self._date_by_sex(values, fields, problems)
        for key, positions, clean in self._alternates:
            _read_further(key, positions, clean, values, fields, problems)
        if self._name_parts:
            fields["full_name"] = self._joined_name(values, problems)
        elif self._part is not None and name_part_disagrees(
            fields.get("full_name"), values[self._part], self._part_end
        ):
            problems.append(self._part_problem(fields.get("full_name"), values[self._part]))
        elif (
            self._unlabelled is not None
            and not is_blank_at(values, [self._unlabelled])
            and name_part_disagrees(fields.get("full_name"), values[self._unlabelled], "end")
        ):
            problems.append(self._unlabelled_problem(values[self._unlabelled]))
        others = {}
        for key, position, clean in self._others:
            value = values[position]
            if value.__class__ in CELL_PROBLEMS:
                problems.append(CELL_PROBLEMS[value.__class__](key, value))
                value = ""
            try:
                others[key] = clean(value)
            except CellRefused as refused:
                problems.append(refused.problem(key))
                others[key] = None
            if key == "department":  # the roster's own text: the same rule as the person's texts
                problems += check_text_encoding(value, key, others[key])
        for key, positions, clean in self._others_further:
            _read_further(key, positions, clean, values, others, problems)
        for position, key in self._beside:  # nearly always none
            value = values[position]
            if (
                value is None
                or value == ""
                or value.__class__ in (CellError, FormulaNotComputed)
                or value in EXCEL_ERRORS
            ):
                continue  # an Excel error (or its text, a CSV's) or a formula's missing result: no value of a column
            if type(value) is not str or normalize_text(value):  # not only spaces or invisible characters
                problems.append(self._beside_problem(key, position, value))
                if key in fields:  # not read either: the one reason of its cell (not "choose the document type")
                    fields[key] = ""
                elif key in others:
                    others[key] = ""
        if self._named:
            ward, province = fields.get("ward_code"), others.get("province_code")
            if (ward and not ward.isdigit()) or (province and not province.isdigit()):
                self._named_places(fields, others, problems)
            if address := fields.get("address_line"):
                if not fields.get("ward_code"):
                    self._address_ward(fields, others, problems)
                elif address.__class__ is str and _MAY_NAME_WARD.search(address):
                    self._address_agrees(fields, others, problems)
        for key, max_length in self._limits:
            if len(others[key]) > max_length and not any(p.field == key for p in problems):  # one reason a cell
                problems.append(text_too_long(key, max_length))
        if marked is not None:
            if marked.hidden:
                problems.append(row_hidden_problem())
            read = self._read
            for key, positions in self.header.fallbacks.items():
                if (used := self.header.position_in(key, values)) in positions:
                    read = read | {used}  # the further column this row's value was read from
            struck = tuple(p for p in marked.struck if p in read)  # a struck note elsewhere says nothing
            if struck:
                problems.append(row_struck_problem(self._titles(struck)))
        return RosterRow(
            number=number,
            values=sent,
            person=person_input(fields),
            province_code=others.get("province_code"),
            department=others.get("department", ""),
            employee_number=others.get("employee_number", ""),
            problems=problems,
        )

    def _named_places(self, fields: dict[str, Any], others: dict[str, Any], problems: list[Problem]) -> None:
        """A ward or a province given by its name ("P. Trấn Biên", "Đồng Nai", "TP.HCM"): its 2025 code, or a
        refusal naming what the name may be. A ward's name is read in the row's province only (the same
        names stand for wards all over the country)."""
        names = self._names()
        if names is None:
            return
        ward, province = fields.get("ward_code"), others.get("province_code")
        if ward and not ward.isdigit() and (label := code_and_name(ward, "ward")):
            ward = fields["ward_code"] = self._labelled_ward(names, *label, others.get("district"), problems)
        if province and not province.isdigit() and (label := code_and_name(province, "province")):
            province = others["province_code"] = self._labelled_province(names, *label, problems)
            if province is None:
                return
        scope: tuple[str, ...] = ()
        provinces: tuple[NamedUnit, ...] = ()
        if province and province.isdigit():
            scope = names.province_codes(province)
        elif province:
            provinces = names.provinces(province)
            scope = tuple(p.code for p in provinces)
            if len(provinces) == 1:
                others["province_code"] = provinces[0].code
            elif not (provinces and ward and not ward.isdigit()):  # several: the ward's name may tell
                problems.append(province_name_problem(province, provinces))
                others["province_code"] = None
                return
        if not ward or ward.isdigit():
            return
        if not province:
            problems.append(ward_name_problem(ward, None, ()))
            return
        if not scope:  # a province code no one has: the registry refuses it, the ward's name is judged once
            fields["ward_code"] = None  # the province is right (the report shows the cell as it was sent)
            return
        found = names.wards(ward, scope, others.get("district"))
        # the district the address names before 2025 tells the namesakes apart as a district's column does
        address = fields.get("address_line")
        district = None if len(found) < 2 or others.get("district") else names.address_district(address)
        if district and len(told := names.wards(ward, scope, district)) == 1:
            found = told
        if len(found) == 1:
            fields["ward_code"] = found[0].code
            if len(provinces) > 1:
                others["province_code"] = found[0].province_code
            return
        problems.append(ward_name_problem(ward, names.province_names(scope), found))
        if len(provinces) > 1:
            problems.append(province_name_problem(province, provinces))
            others["province_code"] = None

    def _names(self) -> PlaceNames | None:
        """The units by name, read the first time a row needs them (`places.selectors.place_names`); None for a
        mapper given none."""
        if self._place_names is None and self._place_names_read is not None:
            self._place_names = self._place_names_read()
        return self._place_names

    @staticmethod
    def _labelled_ward(names: PlaceNames, code: str, name: str, district: Any, problems: list[Problem]) -> str | None:
        """A ward's code with its name in one cell ("26041 - Phường Trấn Biên"): the code, when the name is
        that ward's, now or before 2025 (what "Phường Tân Mai" became: `PlaceNames.wards`); a code no 2025
        ward has is the registry's to judge (a code before 2025 is read as its ward now, or refused). A name
        that is another ward's is refused (`code_name_problem`): None. So is a code and a name both from before
        2025, of a ward split among several since, whose code one of them took ("00070 - Phường Hàng Trống",
        now Phường Hoàn Kiếm or Phường Cửa Nam), as the registry refuses a split ward's code (`ward_split`)."""
        unit = names.ward(code)
        if unit is None:
            return code
        if split := names.split_ward(code, name):
            problems.append(ward_split_problem(name, "; ".join(map(str, split))))
            return None
        if unit in names.wards(name, (unit.province_code,), district):
            return code
        problems.append(code_name_problem("ward_code", code, str(unit), name))
        return None

    @staticmethod
    def _labelled_province(names: PlaceNames, code: str, name: str, problems: list[Problem]) -> str | None:
        """A province's code with its name in one cell ("75 - Đồng Nai"), judged as `_labelled_ward` does (a
        name before 2025, "70 - Bình Phước", is the province it became's)."""
        provinces = names.province_codes(code)
        if not provinces or set(provinces) & {p.code for p in names.provinces(name)}:
            return code
        problems.append(code_name_problem("province_code", code, names.province_names(provinces), name))
        return None

    def _one_address(self, values: list[Any]) -> list[Any]:
        """A row of a form giving two addresses, each with its ward (`HeaderMatch.address_groups`), as read:
        the other address's columns left empty, so that the ward, the province and the district read are
        those of the address read (the current one, the home one where it is empty). An address without its
        own ward's column then has no ward but what its text names (`_address_ward`): the home address's
        ward beside the current address would place the person where they may no longer live."""
        group = self.header.address_group(values)
        if group is None:
            return values
        read = list(values)
        for other, its in self._groups.items():
            if its != group:
                read[other] = ""
        return read

    def _address_ward(self, fields: dict[str, Any], others: dict[str, Any], problems: list[Problem]) -> None:
        """A row without a ward whose address names one ("Khu phố 3, P. Trấn Biên, Đồng Nai"): that ward, when
        the address names it for sure in the row's province, or in the province the address ends with where
        the row gives none (`PlaceNames.address_ward`; the province is then the ward's). Else the ward stays
        missing, as the row gave it: the person is saved with incomplete data, nothing guessed."""
        names = self._names()
        if names is None or any(p.field in ("ward_code", "province_code") for p in problems):
            return
        province = others.get("province_code")  # a code: a name was read as one, or refused (`_named_places`)
        scope = names.province_codes(province) if province else ()
        if province and not scope:
            return  # a code no province has: the registry refuses it
        unit = names.address_ward(fields["address_line"], scope)
        if unit is not None:
            fields["ward_code"] = unit.code
            if not province:
                others["province_code"] = unit.province_code

    def _address_agrees(self, fields: dict[str, Any], others: dict[str, Any], problems: list[Problem]) -> None:
        """A row's ward beside an address that names, for sure, another ward of its province ("26041" and
        "Tổ 5, P. Tam Hiệp, Đồng Nai"): refused (`ward_address_problem`). An address naming no ward, or one
        that may be several (a ward split in 2025), or the same ward by its name before 2025 ("P. Quang Vinh, TP
        Biên Hòa" beside Trấn Biên's code) agrees; a code before 2025 is the registry's to read first."""
        names = self._names()
        if names is None or any(p.field in ("ward_code", "province_code") for p in problems):
            return
        code = fields["ward_code"]
        unit = names.ward(code)
        if unit is None:
            return
        province = others.get("province_code")
        scope = names.province_codes(province) if province else ()
        if unit.province_code not in (scope or (unit.province_code,)):
            return  # the registry refuses the ward beside this province
        found = names.address_ward_part(fields["address_line"], (unit.province_code,))
        if found is not None and found[0].code != unit.code:
            problems.append(ward_address_problem(code, str(unit), str(found[0]), found[1], fields["address_line"]))

    def _date_from_parts(self, values: list[Any], problems: list[Problem]) -> Any:
        """The birth date from its day's, month's and year's columns: each a whole number (or its digits as
        text, spaces and leading zeros aside), the year of four digits, together a real date; else refused
        (`date_of_birth_format`) naming the part. All three empty: no date (`date_of_birth_required`)."""
        cells = self.header.cells
        texts: list[str] = []
        for position in self._date_parts:
            value = values[position]
            if value.__class__ in CELL_PROBLEMS:
                problems.append(CELL_PROBLEMS[value.__class__]("date_of_birth", value))
                return ""
            try:
                texts.append(_code_text(value))  # a part's digits as a code's: 5, 5.0, " 05 "
            except CellRefused:  # TRUE, a date, "1.000": no number of a part
                problems.append(date_part_problem(normalize_text(cells[position]), normalize_text(unquote(value))))
                return ""
        if not any(texts):
            return ""
        for position, text in zip(self._date_parts, texts, strict=True):
            column = normalize_text(cells[position])
            if not text:
                problems.append(date_part_problem(column, ""))
                return ""
            if not (text.isascii() and text.isdigit()):
                problems.append(date_part_problem(column, normalize_text(unquote(values[position]))))
                return ""
        day, month, year = texts
        if len(year) != 4:
            problems.append(date_year_problem(year))
            return ""
        try:
            return date(int(year), int(month), int(day))
        except (ValueError, OverflowError):  # OverflowError: a day or month of 21 digits (1e20 typed)
            problems.append(date_parts_unreal(f"{day}/{month}/{year}"))
            return ""

    def _date_by_sex(self, values: list[Any], fields: dict[str, Any], problems: list[Problem]) -> None:
        """The birth date typed under "Nam" or "Nữ": the filled column's value is the date (the rules judge it
        as any), the column the sex. Both filled is refused (`date_of_birth_format`); neither is no date. A
        "Giới tính" column beside them that names the other sex is refused (`sex_format`); without one, the
        column gives the sex."""
        assert self._date_marks is not None
        cells = self.header.cells
        man, woman = (values[position] for position in self._date_marks)
        sex = ""
        for value in (man, woman):
            if value.__class__ in CELL_PROBLEMS:
                problems.append(CELL_PROBLEMS[value.__class__]("date_of_birth", value))
                fields["date_of_birth"] = ""
                break
        else:
            filled = (not is_blank([man]), not is_blank([woman]))
            if all(filled):
                titles = [normalize_text(cells[position]) for position in self._date_marks]
                problems.append(date_under_both(*titles))
                fields["date_of_birth"] = ""
            elif any(filled):
                sex = "Nam" if filled[0] else "Nữ"
                fields["date_of_birth"] = self._date_clean(man if filled[0] else woman)
            else:
                fields["date_of_birth"] = ""
        if self.header.sex_from_dates or (sex and is_blank([fields.get("sex")])):
            fields["sex"] = sex  # no "Giới tính" column, or nothing in it in this row
        elif sex and normalize_sex(fields.get("sex")) == ("F" if sex == "Nam" else "M"):
            column = normalize_text(cells[self._date_marks[0 if sex == "Nam" else 1]])
            problems.append(sex_disagrees_with_date(normalize_text(fields.get("sex")), column))

    def _sex_marked_twice(self, man: Any, woman: Any) -> Problem:
        assert self._sex_marks is not None
        cells = self.header.cells
        return Problem(
            "sex",
            "sex_format",
            format_lazy(
                _(
                    "Both “{man}” ({man_mark}) and “{woman}” ({woman_mark}) are marked in this row: keep the mark "
                    "only in the column of the person's sex, and leave the other empty (or FALSE)."
                ),
                man=normalize_text(cells[self._sex_marks[0]]),
                woman=normalize_text(cells[self._sex_marks[1]]),
                man_mark=_mark_text(man),
                woman_mark=_mark_text(woman),
            ),
        )

    def _titles(self, positions: tuple[int, ...]) -> str:
        """The columns at these positions, by their headers ("Họ và tên, Ngày sinh"), else their letters."""
        cells = self.header.cells
        return ", ".join(
            (normalize_text(cells[p]) if p < len(cells) else "") or column_letters(p) for p in sorted(positions)
        )

    def _part_problem(self, whole: Any, given: Any) -> Problem:
        assert self._part is not None
        return Problem(
            "full_name",
            NAME_PART_DISAGREES,
            format_lazy(
                _(
                    "The name “{name}” does not match “{given}” of the column “{column}”, a part of it: type the "
                    "whole name here, or, if the name is split over the two columns, head them “Họ đệm” and “Tên”."
                ),
                name=normalize_text(whole),
                given=normalize_text(given),
                column=normalize_text(self.header.cells[self._part]),
            ),
        )

    def _beside_problem(self, key: str, position: int, value: Any) -> Problem:
        return Problem(
            key,
            COLUMN_BESIDE_UNLABELLED,
            format_lazy(
                _(
                    "The column after “{column}” (column {letter}) has no header but holds “{value}” in this row: "
                    "the header may be merged over both columns. Give each column its own header (as “Loại giấy "
                    "tờ” and “Số giấy tờ”, or “Địa chỉ” and “Phường/xã”), or delete that column, and upload the "
                    "row again."
                ),
                column=self.header.column_title(key),
                letter=column_letters(position),
                value=_mark_text(value),
            ),
        )

    def _unlabelled_problem(self, value: Any) -> Problem:
        assert self._unlabelled is not None
        return Problem(
            "full_name",
            NAME_BESIDE_UNLABELLED,
            format_lazy(
                _(
                    "The column after the name (column {column}) has no header but holds “{value}” in this row: if "
                    "it is a part of the name, head the two columns “Họ đệm” and “Tên”; if not, give it a header."
                ),
                column=column_letters(self._unlabelled),
                value=normalize_text(value),
            ),
        )

    def _joined_name(self, values: list[Any], problems: list[Problem]) -> str:
        """A split name's parts joined, family name first. The first and the last part must both be there
        when either is (a middle name may be absent): a name without its given name is not a name."""
        texts = []
        unreadable = False  # a part holds an Excel error or a formula without its result (said so)
        for position in self._name_parts:
            value = values[position]
            if value.__class__ in CELL_PROBLEMS:
                problems.append(CELL_PROBLEMS[value.__class__]("full_name", value))
                value, unreadable = "", True
            elif type(value) is str and value[:1] == "'":
                value = unquote(value)
            texts.append("" if value is None else normalize_text(value))
        if (texts[0] or texts[-1]) and not (texts[0] and texts[-1]) and not unreadable:
            empty = self._name_parts[0] if not texts[0] else self._name_parts[-1]
            problems.append(name_part_missing(normalize_text(self.header.cells[empty])))
        elif texts[0] and texts[-1] and _parts_repeat(" ".join(texts[:-1]), texts[-1]):
            # "Nguyễn Văn An" | "An": the first column holds the whole name, the other sorts the list
            problems.append(self._repeated_problem(texts))
        return " ".join(text for text in texts if text)

    def _repeated_problem(self, texts: list[str]) -> Problem:
        cells = self.header.cells
        return Problem(
            "full_name",
            NAME_PART_REPEATED,
            format_lazy(
                _(
                    "“{first}” and “{given}”, the part in “{column}”, repeat a part of the name: if one column "
                    "holds the whole name, head it “Họ và tên” (the other then only sorts the list)."
                ),
                first=" ".join(text for text in texts[:-1] if text),
                given=texts[-1],
                column=normalize_text(cells[self._name_parts[-1]]),
            ),
        )


#: The refusals that are a disagreement between two cells: the error report highlights the other cell
#: too, since either may be the wrong one (the sex, or the ID number that encodes it).
DISAGREES_WITH: dict[str, tuple[str, ...]] = {
    "id_number_sex_mismatch": ("sex",),
    "id_number_century_mismatch": ("date_of_birth",),
    "id_number_year_mismatch": ("date_of_birth",),
    "ward_not_in_province": ("province_code",),
    WARD_ADDRESS_MISMATCH: ("address_line",),
}


def reason_text(header: HeaderMatch, number: int, problem: Any, values: list[Any] | None = None) -> str:
    """One refusal reason naming the row and the column (given the row, the one its value was read from),
    in the active language, with its stable code. The row is the file's as sent ("of the file sent"): in the
    error report, which keeps the refused rows only, it sits on another row, and a reason saying "Row 4" on
    its second row read as a mistake."""
    key = problem.field
    if key in header.index or (key == "sex" and header.sex_from_dates):
        column = header.column_title(key, values)
        return str(
            _("Row %(row)s of the file sent, column “%(column)s”: %(message)s [%(code)s]")
            % {"row": number, "column": column, "message": problem.message, "code": problem.code}
        )
    return str(
        _("Row %(row)s of the file sent: %(message)s [%(code)s]")
        % {"row": number, "message": problem.message, "code": problem.code}
    )
