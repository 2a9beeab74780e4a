"""Reading roster files: cheap checks at upload, then a stream of rows for the import.

Two formats: an Excel workbook (.xlsx, read by calamine) and CSV (UTF-8, with or without BOM, comma,
semicolon or tab separated). A file that cannot be read is refused with a :class:`FileRefused` carrying a
stable code (see :data:`MESSAGES`); nothing here touches the database.

Why a worksheet is read in slices: calamine loads a whole worksheet into memory (about 1.5 kB a row for
a 16-column roster: 1.5 GB for a million rows). So we stream the worksheet XML out of the zip ourselves,
cut it at row boundaries (``</row>`` cannot occur inside XML text, where ``<`` is always escaped), and
hand calamine one small workbook per slice: the same workbook and styles parts, the shared strings (those
the slice's cells use, renumbered, where the part is big: `_SharedStrings`), and a sheet holding only that
slice's rows. calamine still decodes every cell (shared strings, dates from the number formats, the 1904
date system) and keeps the row numbers (``<row r="…">``); memory stays bounded by the slice. calamine never
opens the uploaded zip itself: every byte it sees went through ``zipfile``, whose reads stop at the member
sizes checked against the zip-bomb limits.
"""

import bisect
import codecs
import csv
import html
import io
import posixpath
import queue
import re
import threading
import unicodedata
import zipfile
import zlib
from array import array
from collections import Counter
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import IO, Any
from xml.etree import ElementTree

from django.utils.translation import gettext_lazy as _
from python_calamine import CalamineError, CalamineWorkbook

from vaxbook.common.errors import DomainError, ErrorItem
from vaxbook.common.sizes import size_text
from vaxbook.organizations.conf import limit

#: Refusal codes of a whole file, with their (translated) messages; ``%(name)s`` are the parameters.
MESSAGES: dict[str, Any] = {
    "file_too_large": _("The file is larger than %(limit)s. Split it into smaller files."),
    "file_type_unsupported": _(
        "This is not a file Vaxbook can read. Upload the roster as an Excel workbook (.xlsx) or as CSV in UTF-8 (.csv)."
    ),
    "file_type_xls": _(
        "This is an old Excel workbook (.xls, Excel 97-2003), which Vaxbook does not read. Open it in Excel, "
        "save it as an Excel Workbook (.xlsx) and upload that file."
    ),
    "file_type_ods": _(
        "This is an OpenDocument spreadsheet (.ods), which Vaxbook does not read. In LibreOffice, save it as "
        "the type Excel 2007-365 (.xlsx) and upload that file."
    ),
    "file_type_html": _(
        "This file is a web page (HTML) under a spreadsheet's name, as some systems export their “Excel” lists; "
        "Vaxbook does not read it. Open it in Excel, save it as an Excel Workbook (.xlsx) and upload that file."
    ),
    "file_type_xml2003": _(
        "This is an XML Spreadsheet 2003 file, which Vaxbook does not read. Open it in Excel, save it as an "
        "Excel Workbook (.xlsx) and upload that file."
    ),
    "file_encrypted": _(
        "The file is protected with a password (or is an old .xls workbook). Remove the password and save it "
        "as an Excel workbook (.xlsx)."
    ),
    "file_corrupt": _("The file is damaged and cannot be read. Open it in Excel and save it again as .xlsx."),
    "file_zip_bomb": _("The file expands to far more data than a roster can hold; it cannot be read safely."),
    "file_empty": _("The file has no rows of staff."),
    "dates_month_first": _(
        "The dates of birth were read month first by Excel, as a computer set to English (United States) "
        "reads them: a date typed 01/02/1990 became 2 January, and one whose day is over 12, such as "
        "%(example)s, stayed text (rows %(rows)s). No row was imported, since no date of the file can be "
        "trusted. Format the Ngày sinh column as Text and type the dates again as dd/mm/yyyy (or use the "
        "roster template, whose column is Text), or set Windows' region to Vietnamese before typing them."
    ),
    "name_split_unlabelled": _(
        "The column after “%(name)s” (column %(column)s) has no header but holds values, such as “%(example)s” "
        "in row %(row)s: the name seems typed in two columns under one header. Give the two columns the headers "
        "“Họ đệm” and “Tên” (unmerge the header cell) and upload the file again; if that column is not a part "
        "of the name, give it a header of its own or delete it. Nothing was imported."
    ),
    "name_split_given": _(
        "The column “%(given)s” (column %(column)s) holds parts of names that the names of “%(name)s” do not "
        "hold where they should, such as “%(example)s” beside “%(whole)s” in row %(row)s: the name seems split "
        "over the two columns. Head them “Họ đệm” and “Tên” and upload the file again (or type the whole name "
        "under “%(name)s”). Nothing was imported."
    ),
    "dates_month_first_text": _(
        "The dates of birth are written month first, such as %(example)s (rows %(rows)s: no month is over 12), "
        "and none day first, so a date such as 3/5/1982 cannot be told from 5/3/1982. No row was imported. Type "
        "the dates day first, as dd/mm/yyyy (the system that exported the file may have a setting for it)."
    ),
    "header_missing": _("These columns are missing: %(columns)s. Download the roster template and use its headers."),
    "header_incomplete": _(
        "Row %(row)s looks like the header, but these columns are missing there: %(columns)s. Its headers "
        "%(unknown)s are not known: rename them as in the roster template (download it to see its headers)."
    ),
    "header_repeated": _(
        "Row %(row)s has two columns headed “%(header)s” (columns %(columns)s), and which of them holds the values "
        "to read is not known. Delete the one no longer in use (a hidden column too), or give it another header "
        "(a second phone “Di động”, a second address “Địa chỉ thường trú”), and upload the file again. Nothing "
        "was imported."
    ),
    "header_other_order": _(
        "Row %(row)s repeats the header of row %(header)s with its columns in another order (or other columns): "
        "“%(column)s” is in column %(here)s there, in column %(first)s in the first header. The rows below it would "
        "be read into the wrong fields. Put that list in a file of its own (or its columns in the order of the first "
        "header) and upload the files (rows already saved are linked, not duplicated)."
    ),
    "header_letters_lost": _(
        "The headers have question marks where letters should be (“%(header)s”): the file was saved in an "
        "encoding without Vietnamese letters, as Excel's plain “CSV” is on a computer set to another language. "
        "Open the original in Excel, save it as an Excel Workbook (.xlsx) or as “CSV UTF-8 (Comma delimited)”, "
        "and upload that file."
    ),
    "header_misread_encoding": _(
        "The headers are Unicode read in another encoding (%(header)s): the sheet was made from a CSV file opened "
        "by double-clicking it, which Excel read in the wrong encoding. Upload the original CSV file as it is, or "
        "open it in Excel through Data > From Text/CSV with the origin “65001: Unicode (UTF-8)”, save it as an "
        "Excel Workbook (.xlsx) and upload that file."
    ),
    "too_many_rows": _("The file has %(rows)s rows; at most %(limit)s rows can be imported at once."),
    "csv_quote_unclosed": _(
        'Row %(row)s: a quote (") opens a cell that does not close where the row ends, so the rows below it '
        "would run into one cell. Remove the quote or close it, then upload the file again."
    ),
    "csv_cell_too_long": _(
        "Row %(row)s has a cell longer than %(limit)s characters, which no roster column holds. Check that row "
        "(a quote that is not closed?) and upload the file again."
    ),
    "too_many_columns": _(
        "Row %(row)s has more than %(limit)s columns: an Excel sheet holds 16384, and the error report needs "
        "one more for its reasons. Check that row (a separator typed in a text?) and upload the file again."
    ),
    "csv_encoding": _(
        'The CSV file is not in UTF-8. In Excel, choose "Save as" and the type "CSV UTF-8 (Comma delimited)".'
    ),
    "import_interrupted": _(
        "The import stopped before the end (the server was restarted or its worker stopped). The rows counted "
        "so far were saved; upload the file again to finish (rows already saved are linked, not duplicated)."
    ),
    "import_cancelled": _(
        "The import was cancelled by a representative of the organization. The rows counted so far were saved; "
        "upload the corrected file to finish (rows already saved are linked, not duplicated)."
    ),
    "import_cancelled_unstarted": _(
        "The import was cancelled by a representative of the organization before it started: no row was read "
        "or saved. Upload the corrected file."
    ),
    "import_crashed": _(
        "The import stopped because of an error in Vaxbook. The rows counted so far were saved; upload the file "
        "again to finish (rows already saved are linked, not duplicated)."
    ),
    "export_crashed": _("The export stopped because of an error in Vaxbook. Export the roster again."),
    "import_not_allowed": _(
        "The file was not imported: whoever uploaded it no longer has an account that may change this "
        "organization's roster. Upload the file again."
    ),
    "import_not_allowed_midway": _(
        "The import stopped: whoever uploaded the file no longer has an account that may change this "
        "organization's roster. The rows counted so far were saved; upload the file again to finish (rows "
        "already saved are linked, not duplicated)."
    ),
    "export_not_allowed": _(
        "The export was not written: whoever asked for it no longer has an account that may see this "
        "organization. Export the roster again."
    ),
    "export_interrupted": _(
        "The export stopped before the end (the server was restarted or its worker stopped). Export the roster again."
    ),
}
# An old .xls, an .ods, a web page, an XML Spreadsheet 2003: kinds of unsupported file,
# one public code, a clearer message.
_CODE_OF = {
    "file_type_xls": "file_type_unsupported",
    "file_type_ods": "file_type_unsupported",
    "file_type_html": "file_type_unsupported",
    "file_type_xml2003": "file_type_unsupported",
    "header_incomplete": "header_missing",  # the same refusal, naming the row and its unknown headers
    "dates_month_first_text": "dates_month_first",  # typed (or exported) month first, as text
    # A name split over two columns under one header: a column without a header, or a "Tên" it does not end with.
    "name_split_unlabelled": "name_split",
    "name_split_given": "name_split",
}


class FileRefused(DomainError):
    """A file that cannot be imported at all; ``params`` fill the message (kept for re-rendering later)."""

    def __init__(self, code: str, status: int = 422, **params: Any):
        self.code = _CODE_OF.get(code, code)
        self.message_key = code
        self.params = params
        super().__init__([ErrorItem("file", self.code, file_problem_message(code, params))], status=status)

    def as_problem(self) -> dict[str, Any]:
        """The JSON kept on the import: code and parameters, rendered in the reader's language on display."""
        return {"field": "file", "code": self.code, "message_key": self.message_key, "params": self.params}


def file_problem_message(code: str, params: dict[str, Any] | None = None) -> str:
    """The message of a file-level code in the active language. A size bound is kept in bytes and said in the
    reader's units (`limit`); a problem stored before that kept whole megabytes (`limit_mb`)."""
    template = MESSAGES.get(code) or MESSAGES["file_corrupt"]
    if not params:
        return str(template)
    shown = dict(params)
    if "limit_bytes" in shown:
        shown["limit"] = size_text(int(shown["limit_bytes"]))
    elif "limit_mb" in shown:
        shown["limit"] = size_text(int(shown["limit_mb"]) * 1024 * 1024)
    return str(template) % shown


def render_problem(problem: dict[str, Any]) -> dict[str, str]:
    """A stored problem (see :meth:`FileRefused.as_problem`) as {field, code, message} in the active language."""
    key = problem.get("message_key") or problem.get("code", "")
    return {
        "field": str(problem.get("field", "file")),
        "code": str(problem.get("code", "")),
        "message": file_problem_message(key, problem.get("params") or {}),
    }


# --------------------------------------------------------------------------------------------
# Kinds of file
# --------------------------------------------------------------------------------------------

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # CFB: a password-protected .xlsx, or an old .xls
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
ODS_MEDIA_TYPE = b"application/vnd.oasis.opendocument.spreadsheet"
SNIFF_BYTES = 512  # the first bytes, that tell a file's kind
#: A web page, which some systems export as an "Excel" list named .xls: its first tag, after a BOM,
#: white space and comments.
_HTML_START = re.compile(
    rb"(?:\xef\xbb\xbf)?\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|table|meta|style|title)\b", re.I | re.S
)
_XML2003_MARK = b"urn:schemas-microsoft-com:office:spreadsheet"  # the namespace of Excel's XML Spreadsheet 2003
#: The names a roster may come under. The content tells the kind: a workbook renamed .xls or .csv, or text
#: named .xlsx (a clerk's "conversion" by renaming, a system's tab-separated "Excel" export), is read as what
#: it is. A macro-enabled workbook (.xlsm) is a workbook; its macros are never run.
SPREADSHEET_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xls", ".csv", ".txt", ".tsv", ""})
_TEXT_SUFFIXES = frozenset({".csv", ".txt", ".tsv"})
#: The bytes a text file holds: no control character but tab, line and page breaks (and DOS's end of file).
_NOT_TEXT = re.compile(rb"[\x01-\x08\x0b\x0e-\x19\x1b-\x1f\x7f]")


def sniff_format(head: bytes, name: str) -> str:
    """``xlsx`` or ``csv`` from the first bytes, for a name a spreadsheet may have; refuses anything else."""
    suffix = PurePath(name or "").suffix.lower()
    if _is_ods(head):  # by its content, whatever its name
        raise FileRefused("file_type_ods")
    text = head[: len(head) // 2 * 2].decode("utf-16", "replace").encode() if head.startswith(UTF16_BOMS) else head
    if _HTML_START.match(text):  # by its content too
        raise FileRefused("file_type_html")
    if text.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<?xml") and (
        b'progid="Excel.Sheet"' in text or _XML2003_MARK in text
    ):
        raise FileRefused("file_type_xml2003")
    if head.startswith(OLE2_MAGIC):
        if suffix == ".xls":
            raise FileRefused("file_type_xls")
        if suffix in (".xlsx", ".xlsm", ""):
            raise FileRefused("file_encrypted")
        raise FileRefused("file_type_unsupported")
    if suffix not in SPREADSHEET_SUFFIXES:
        raise FileRefused("file_type_unsupported")
    if head.startswith(ZIP_MAGIC):
        return "xlsx"  # what else it may be (a Word document, a zipped folder): `XlsxBook` tells
    if head.startswith(UTF16_BOMS):
        return "csv"  # Excel's "Unicode Text", read (`CsvBook`)
    if _utf16_without_bom(head):
        return "csv"  # "Unicode Text" from a program that writes no BOM, read (`csv_encoding`)
    if b"\x00" in head:
        raise FileRefused("file_type_unsupported")
    # Under a text's name, a control character is a cell's (its row refused); under a workbook's, content
    # that holds more than a stray one is no text.
    if suffix not in _TEXT_SUFFIXES and len(_NOT_TEXT.findall(head)) > len(head) // 100:
        raise FileRefused("file_type_unsupported")
    return "csv"  # text in UTF-8, or in another encoding `CsvBook.verify` names


def _utf16_without_bom(head: bytes) -> bool:
    """Text in UTF-16 without its BOM ("Unicode Text" from some programs): a CSV's letters, digits and
    separators are ASCII, so one byte of each pair is NUL (half of them at least), the other seldom is (the
    grave tone's mark, U+0300, typed apart from its letter, and the rare U+xx00 letter)."""
    even, odd = head[0::2].count(0), head[1::2].count(0)
    return min(even, odd) * 8 <= max(even, odd) and max(even, odd) >= len(head) // 4 > 0


#: The codecs a CSV file is read in (`csv_encoding`), and the name `RosterImport.text_encoding` gives them.
CSV_ENCODING_NAMES = {"utf-8-sig": "utf-8", "utf-16": "utf-16", "utf-16-le": "utf-16", "utf-16-be": "utf-16"}


def csv_encoding(file: IO[bytes]) -> str:
    """The codec a CSV file is read in: UTF-16 by its BOM (Excel's "Unicode Text"), or without one by its NUL
    bytes (`_utf16_without_bom`); else UTF-8, with or without its BOM, which `CsvBook.verify` checks (a file in
    another encoding is refused, `csv_encoding`, with how to save it as UTF-8). A one-byte code page is never
    guessed: their readings look Vietnamese too often to be told apart (Windows-1252's "Lý" is Windows-1258's
    "Lư"), and a wrong name is worse than a refusal (docs/roster-import.md, "Formats")."""
    file.seek(0)
    head = file.read(SNIFF_BYTES)
    file.seek(0)
    if head[:2] in UTF16_BOMS:
        return "utf-16"
    if _utf16_without_bom(head):  # the NUL of an ASCII character's pair comes second in little-endian
        return "utf-16-le" if head[1::2].count(0) > head[0::2].count(0) else "utf-16-be"
    return "utf-8-sig"


def _is_ods(head: bytes) -> bool:
    """An OpenDocument spreadsheet, whatever its name: a zip whose first member is ``mimetype``, stored,
    holding the spreadsheet's media type (what the format requires, at a fixed place)."""
    return (
        head.startswith(ZIP_MAGIC[0])
        and head[30:38] == b"mimetype"
        and head[38 : 38 + len(ODS_MEDIA_TYPE)] == ODS_MEDIA_TYPE
    )


Row = tuple[int, list[Any]]  # (row number as the spreadsheet shows it, cell values)

#: Excel's error values as a cell shows them, and as a CSV file saved by Excel holds them.
EXCEL_ERRORS = frozenset(
    {
        "#NULL!",
        "#DIV/0!",
        "#VALUE!",
        "#REF!",
        "#NAME?",
        "#NUM!",
        "#N/A",
        "#GETTING_DATA",
        "#SPILL!",
        "#CALC!",
        "#FIELD!",
        "#BLOCKED!",
        "#CONNECT!",
        "#BUSY!",
        "#UNKNOWN!",
        "#PYTHON!",
    }
)


class CellError(str):
    """A cell that holds one of Excel's error values instead of a value (``#N/A`` where a VLOOKUP found
    nothing). calamine reads such a cell as empty and the csv module as its text: the readers give it as
    this type instead, so that the roster refuses it as what it is (`cell_error`), not as a value that
    is missing or malformed, and the error report shows the cell as the clerk's own file does."""

    __slots__ = ()


class MarkedRow(list[Any]):
    """The values of a row the sheet marks as not plainly there, read as any other row but given as this
    type, so that the roster asks about it instead of taking it silently (a clerk often hides the staff
    who left, or strikes their row through, rather than deleting it):

    - ``hidden``: the row is not shown: hidden by hand, filtered out by an AutoFilter, or folded into an
      outline group (Excel writes all three as ``<row hidden="1">``);
    - ``struck``: the positions of its cells whose text is struck through (their cell style's font);
    - ``merged``: the positions whose value a merged cell above gave it (`_fill_merged`), not typed in it.
    """

    __slots__ = ("hidden", "merged", "struck")

    def __init__(
        self,
        values: list[Any],
        *,
        hidden: bool = False,
        struck: tuple[int, ...] = (),
        merged: tuple[int, ...] = (),
    ):
        super().__init__(values)
        self.hidden = hidden
        self.struck = struck
        self.merged = merged

    def copy(self) -> "MarkedRow":
        return MarkedRow(self, hidden=self.hidden, struck=self.struck, merged=self.merged)


class FormulaNotComputed(str):
    """A formula cell whose result the file does not hold: a program that writes formulas without
    computing them (openpyxl, a script's export) leaves no result, or a stale one with the workbook marked
    to be recalculated when it is opened (`fullCalcOnLoad`; xlsxwriter keeps 0 there). calamine would read
    it as empty or as that stale value; the reader gives it as this type, holding the formula's text, so
    that the roster refuses it (`formula_not_computed`) instead of taking a value nobody computed."""

    __slots__ = ()


class Book:
    """An opened roster file: rows in order, and an estimate of how many there are.

    A workbook has sheets: `sheets()` lists those that may hold the roster, the likeliest first, and
    `use(sheet)` makes one the sheet read (the importer keeps the first whose header row matches)."""

    format: str
    #: The encoding a CSV file is read in, as `RosterImport.text_encoding` names it (`CSV_ENCODING_NAMES`).
    text_encoding: str = ""
    #: The workbook counts its dates from 1904 (old Excel for Mac): a date typed as a bare number is such a serial.
    date1904: bool = False
    #: The names of all the workbook's sheets, hidden ones too (none for a CSV file).
    sheet_names: frozenset[str] = frozenset()

    def sheets(self) -> list[Any]:
        return [None]

    def use(self, sheet: Any) -> None:
        """Read this one of `sheets()` from now on."""

    def verify(self) -> None:
        """The expensive upload-time checks (whole-file integrity, encoding)."""

    def iter_rows(self, *, slice_rows: int | None = None, merged: bool = True, ahead: bool = False) -> Generator[Row]:
        """The rows, numbered as in the file. ``merged=False`` leaves cells merged down over several rows
        in their first row only: a peek at the header needs no more, and skips a pass over the file.
        ``ahead=True`` (a whole import) reads the next slice of the file in a thread while the caller works
        on this one (unzipping and calamine's parsing run outside Python's lock, on the other core)."""
        raise NotImplementedError

    def value_rows_after(self, row: int) -> int:
        """How many rows below `row` hold a value (of the sheet read): formatted empty rows do not count,
        whatever the file says its size is. An upper bound of the data rows (a cell of spaces counts)."""
        raise NotImplementedError


def open_book(fileobj: IO[bytes], *, name: str, size: int | None = None) -> Book:
    """Open an uploaded or stored roster file with the cheap checks: size, kind, zip limits."""
    if size is None:
        fileobj.seek(0, io.SEEK_END)
        size = fileobj.tell()
    max_bytes = limit("ROSTER_IMPORT_MAX_BYTES")
    if size > max_bytes:
        raise FileRefused("file_too_large", status=413, limit_bytes=max_bytes)
    if size == 0:
        raise FileRefused("file_empty")
    fileobj.seek(0)
    head = fileobj.read(SNIFF_BYTES)
    fileobj.seek(0)
    fmt = sniff_format(head, name)
    return XlsxBook(fileobj) if fmt == "xlsx" else CsvBook(fileobj)


# --------------------------------------------------------------------------------------------
# Excel workbooks
# --------------------------------------------------------------------------------------------

_READ_SIZE = 1 << 20
_MAX_SHEET_PROLOGUE = 8 << 20
_MAX_SHEET_EPILOGUE = 8 << 20  # what follows the rows: the merged cells, page setup
#: The most XML one row may take (or what stands between two rows): a sheet of a roster's 16,383 columns of
#: text takes a few MB a row; more is a file built to be expanded (a gigabyte of spaces between two rows,
#: which compresses well within the ratio allowed), refused as `file_zip_bomb` before it fills memory.
_MAX_ROW_BYTES = 32 << 20
#: The parts held whole, parsed by us and by calamine (once per slice): each about eight times its size in
#: memory at its peak, but the shared strings past `_STRINGS_CUT_BYTES`, of which a slice is given its own
#: (the part held once, and 16 bytes a string to find them: a million rows, 52 MB, 1.9 million strings, 411-425
#: MB at the import's peak). The bounds hold for a part that is not cut (a comment in it) as for the others.
#: The shared strings of a 20 MB upload's real texts (about 220,000 rows) are about 35 MB; the workbook, its
#: relationships, styles and theme, a few kB (a workbook bloated with styles, a few MB).
_MAX_SHARED_STRINGS_BYTES = 64 << 20
#: ... or three times the upload's limit where a deployment raised it (`ROSTER_IMPORT_MAX_BYTES`): its larger
#: rosters' texts are read, at the memory they take.
_SHARED_STRINGS_PER_UPLOAD_BYTE = 3
_MAX_PART_BYTES = 16 << 20
#: A shared-strings part larger than this is cut per slice (`_SharedStrings`): calamine parses the part it is
#: given whole with every slice (a million rows' texts: 52 MB, 1.9 million strings; the import's peak was 908 MB).
#: Below it (about 130,000 rows of texts) the whole part costs less time than the cut (0.7 s of CPU per 100,000
#: rows, 6 MB of strings: larger slices, no renumbering) and at most about 90 MB more at the peak.
_STRINGS_CUT_BYTES = 8 << 20
_RATIO_MIN_BYTES = 1 << 20
_NS_PREFIX = rb"(?:[A-Za-z_][\w.\-]*:)?"
_SHEET_DATA = re.compile(rb"<(" + _NS_PREFIX + rb")sheetData\b[^>]*?(/?)>")
_DIMENSION = re.compile(rb"<" + _NS_PREFIX + rb"dimension\b[^>]*?/>")
_SHEET_DATA_END = re.compile(rb"</" + _NS_PREFIX + rb"sheetData>")
_ROW_TAG = re.compile(rb"<" + _NS_PREFIX + rb"row\b")
#: A cell of the error type (``t="e"``) with its reference and its content (``<v>#N/A</v>``, maybe a formula).
_ERROR_CELL = re.compile(
    rb"<"
    + _NS_PREFIX
    + rb"c\b(?=[^>]*\bt=[\"']e[\"'])[^>]*?\br=[\"']([A-Z]{1,3})([0-9]+)[\"'][^>]*(?<!/)>(.*?)</"
    + _NS_PREFIX
    + rb"c>",
    re.S,
)
#: A cell holding a formula: its first child is ``<f>`` (the schema's order: f, v, is), then maybe ``<v>``.
_FORMULA_CELL = re.compile(
    rb"<"
    + _NS_PREFIX
    + rb"c\b[^>]*?\br=[\"']([A-Z]{1,3})([0-9]+)[\"'][^>]*(?<!/)>\s*<"
    + _NS_PREFIX
    + rb"f\b(.*?)</"
    + _NS_PREFIX
    + rb"c>",
    re.S,
)
_FORMULA_TEXT = re.compile(rb"^[^>]*(?<!/)>([^<]*)<")
_HAS_VALUE = re.compile(rb"<" + _NS_PREFIX + rb"v\b")
_ERROR_VALUE = re.compile(rb"<" + _NS_PREFIX + rb"v>([^<]*)</" + _NS_PREFIX + rb"v>")
#: A cell with a value (not an empty element), its reference and its style: (letters, row, style).
_STYLED_CELL = re.compile(
    rb"<" + _NS_PREFIX + rb"c\b(?=[^>]*\bs=[\"']([0-9]+)[\"'])(?=[^>]*\br=[\"']([A-Z]{1,3})([0-9]+)[\"'])[^>]*(?<!/)>"
)
#: A cell's style reference, in any cell (its value: the style's index).
_STYLE_ATTR = re.compile(rb"<" + _NS_PREFIX + rb"c\b[^>]*?\bs=[\"']([0-9]+)[\"']")
#: Up to so many struck shared strings, a slice is searched for their indexes before its cells are read.
_FEW_STRINGS = 256
#: A cell with content: its attributes and what it holds (a value, a formula, an inline string).
_CELL_CONTENT = re.compile(rb"<" + _NS_PREFIX + rb"c\b([^>]*?)(?<!/)>(.*?)</" + _NS_PREFIX + rb"c>", re.S)
_CELL_REF = re.compile(rb"\br=[\"']([A-Z]{1,3})([0-9]+)[\"']")
#: A shared-string cell's type (``t="s"``), as an XML parser reads the attribute (spaces around "=").
_SHARED_STRING_CELL = re.compile(rb"\bt\s*=\s*[\"']s[\"']")
_CELL_VALUE = re.compile(rb"<" + _NS_PREFIX + rb"v>\s*([0-9]+)\s*</")
#: A shared string (``<si>``), whole.
_SHARED_STRING = re.compile(rb"<" + _NS_PREFIX + rb"si\b[^>]*?(?:/>|>.*?</" + _NS_PREFIX + rb"si>)", re.S)
#: A run of text struck through (``<strike/>``, ``<strike val="1"/>``; not ``val="0"``/``"false"``).
_STRIKE_ON = re.compile(rb"<" + _NS_PREFIX + rb"strike\b(?![^>]*\bval=[\"'](?:0|false)[\"'])[^>]*>")
_ROW_TAG = re.compile(rb"<" + _NS_PREFIX + rb"row\b([^>]*)>")
_HIDDEN_ATTR = re.compile(rb"\bhidden=[\"'](?:1|true)[\"']")
_ROW_NUMBER_ATTR = re.compile(rb"\br=[\"']([0-9]+)[\"']")
_MERGE_CELL = re.compile(rb"<" + _NS_PREFIX + rb'mergeCell\b[^>]*?\bref="([A-Z]{1,3})([0-9]+):[A-Z]{1,3}([0-9]+)"')
_REL_TYPES_KEPT = ("/styles", "/sharedStrings", "/theme")
_OFFICE_DOCUMENT = "/officeDocument"
#: Tabs that are not worksheets: a chart alone, an Excel 5 dialog, an Excel 4 macro sheet.
_SHEETS_WITHOUT_ROWS = ("/chartsheet", "/dialogsheet", "/xlMacrosheet", "/xlIntlMacrosheet")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _attr(element: ElementTree.Element, local_name: str) -> str | None:
    for key, value in element.attrib.items():
        if _local(key) == local_name:
            return value
    return None


#: The template's data sheet (workbooks.py writes it): read first wherever it stands among the sheets.
ROSTER_SHEET = "Danh sách"


def _sheet_name_key(name: str) -> str:
    return unicodedata.normalize("NFC", " ".join(name.split())).casefold()


_ROW_NUMBER = re.compile(rb"""^<[^>]*?\sr=["']([0-9]+)["']""")


def _row_number(tag: bytes, position: int) -> int:
    """A ``<row ...>`` element's number: its ``r`` attribute, else its position among the rows."""
    match = _ROW_NUMBER.match(tag)
    return int(match.group(1)) if match else position


@dataclass
class _Sheet:
    path: str
    name: str
    parts: dict[str, bytes] = field(default_factory=dict)  # the other parts each slice needs
    strings: "_SharedStrings | None" = None  # the shared strings, where a slice is given only its own


#: A cell holding a shared string's index, in any form XML allows that a program writes (attributes in any order,
#: spaces between them, the value on its own line, a namespace prefix): (the cell's tag and the value's, the
#: index). Another form (a formula first, spaces around the index, which calamine reads as string 0) is not
#: renumbered, and the slice is given every string.
_SHARED_INDEX_CELL = re.compile(
    rb"(<" + _NS_PREFIX + rb"c\b[^>]*?\bt\s*=\s*[\"']s[\"'][^>]*(?<!/)>\s*<" + _NS_PREFIX + rb"v>)([0-9]+)(?=</)"
)
#: ... the same cells as Excel, LibreOffice, openpyxl and xlsxwriter write them (the type last, its value at once),
#: found by their text, three times faster: used where every ``t="s"`` is one and no type is written otherwise.
_SHARED_INDEX_PLAIN = re.compile(rb'( t="s"><' + _NS_PREFIX + rb"v>)([0-9]+)(?=</)")
_SHARED_TYPE_OTHERWISE = re.compile(rb"""t(?:\s+=\s*|=\s+)["']s["']|t='s'""")
#: A shared-string cell whose index is negative, which calamine reads as the first string: a damaged file.
_SHARED_INDEX_NEGATIVE = re.compile(
    rb"<" + _NS_PREFIX + rb"c\b[^>]*?\bt\s*=\s*[\"']s[\"'][^>]*(?<!/)>\s*<" + _NS_PREFIX + rb"v>\s*-"
)
_SST_OPENING = re.compile(rb"<(" + _NS_PREFIX + rb")sst\b[^>]*>")
_SST_COUNTS = re.compile(rb"\s(?:count|uniqueCount)\s*=\s*(?:\"[^\"]*\"|'[^']*')")


class _SharedStrings:
    """A big shared-strings part, of which each slice is given the strings its cells use, renumbered in the
    slice's sheet (calamine parses the part it is given whole, about eight times its size at the peak, with
    every slice: a million rows' 52 MB took 908 MB). The strings are found as the slices ask for them
    (`_SHARED_STRING`, as `_struck_strings` counts them); a part where a comment, a CDATA section or a
    processing instruction could hide or feign one is not cut (`cut` is None)."""

    def __init__(self, path: str, data: bytes):
        self.path = path
        self.data = data
        self.starts = array("q")
        self.ends = array("q")
        self._found = _SHARED_STRING.finditer(data)
        self._lock = threading.Lock()
        opening = _SST_OPENING.search(data)
        self.head = _SST_COUNTS.sub(b"", data[: opening.end()]) if opening else b""
        self.tail = b"</" + (opening.group(1) if opening else b"") + b"sst>"

    @classmethod
    def cut(cls, path: str, data: bytes | None) -> "_SharedStrings | None":
        if data is None or len(data) <= _STRINGS_CUT_BYTES or b"<!" in data or data.count(b"<?") > 1:
            return None
        strings = cls(path, data)
        return strings if strings.head and not strings.head.endswith(b"/>") else None  # <sst/>: no strings

    def _reach(self, index: int) -> bool:
        """Find the strings up to `index`; False if the part holds fewer."""
        with self._lock:
            for match in self._found:
                self.starts.append(match.start())
                self.ends.append(match.end())
                if len(self.starts) > index:
                    break
            return len(self.starts) > index

    def for_slice(self, body: bytes) -> tuple[bytes, bytes] | None:
        """(the slice's rows with each shared-string cell renumbered, the shared-strings part of theirs), or
        None where a cell could not be renumbered (written otherwise, an index past the strings): the slice
        is then given every string, and calamine reads it as it is."""
        pieces = _SHARED_INDEX_PLAIN.split(body)
        if len(pieces) // 3 != body.count(b't="s"') or _SHARED_TYPE_OTHERWISE.search(body):
            pieces = _SHARED_INDEX_CELL.split(body)
            if len(pieces) // 3 != len(_SHARED_STRING_CELL.findall(body)):
                return None
        indexes = pieces[2::3]
        used = dict.fromkeys(indexes)  # by their text: "07" and "7" are given the same string twice
        numbers = [int(index) for index in used]
        if numbers and not self._reach(max(numbers)):
            return None
        new = {index: b"%d" % k for k, index in enumerate(used)}
        pieces[2::3] = [new[index] for index in indexes]
        data, starts, ends = self.data, self.starts, self.ends
        part = b"".join([self.head, *(data[starts[i] : ends[i]] for i in numbers), self.tail])
        return b"".join(pieces), part


class XlsxBook(Book):
    format = "xlsx"
    formulas_stale = False
    struck_styles: frozenset[int] = frozenset()
    struck_strings: frozenset[int] = frozenset()
    inline_strings = False

    def __init__(self, fileobj: IO[bytes]):
        try:
            self.zip = zipfile.ZipFile(fileobj)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
            raise FileRefused("file_corrupt") from None
        self._check_limits()
        self._sheets = self._locate_sheets()
        self.sheet = self._sheets[0]

    def sheets(self) -> list[Any]:
        return list(self._sheets)

    def use(self, sheet: Any) -> None:
        assert sheet in self._sheets
        self.sheet = sheet

    # -- checks ------------------------------------------------------------------------------

    def _check_limits(self) -> None:
        total = 0
        max_ratio = limit("ROSTER_IMPORT_MAX_COMPRESSION_RATIO")
        for info in self.zip.infolist():
            if info.flag_bits & 0x1:
                raise FileRefused("file_encrypted")
            total += info.file_size
            if info.file_size > _RATIO_MIN_BYTES and info.file_size > max_ratio * max(info.compress_size, 1):
                raise FileRefused("file_zip_bomb")
        if total > limit("ROSTER_IMPORT_MAX_UNCOMPRESSED_BYTES"):
            raise FileRefused("file_zip_bomb")

    def verify(self) -> None:
        """Every member decompresses and matches its checksum (bounded by the checked sizes)."""
        try:
            bad = self.zip.testzip()
        except (zipfile.BadZipFile, zlib.error, NotImplementedError, OSError, EOFError, ValueError):
            raise FileRefused("file_corrupt") from None
        if bad is not None:
            raise FileRefused("file_corrupt")

    def _read(self, name: str, most: int | None = None) -> bytes:
        """A part held whole (and handed to calamine with every slice): more than `most` bytes of it
        (_MAX_PART_BYTES) is more than a roster's workbook holds, and would take gigabytes once parsed
        (`file_zip_bomb`)."""
        info = self.zip.NameToInfo.get(name)
        if info is not None and info.file_size > (_MAX_PART_BYTES if most is None else most):
            raise FileRefused("file_zip_bomb")
        try:
            return self.zip.read(name)
        except KeyError:
            raise FileRefused("file_corrupt") from None
        except (zipfile.BadZipFile, zlib.error, NotImplementedError, OSError, EOFError, ValueError):
            raise FileRefused("file_corrupt") from None

    def _xml(self, name: str) -> ElementTree.Element:
        try:
            return ElementTree.fromstring(self._read(name))  # noqa: S314 (a small part; expat limits expansion)
        except (ElementTree.ParseError, LookupError):  # LookupError: an encoding no codec knows ("UTF-9")
            raise FileRefused("file_corrupt") from None

    def _rels(self, part: str) -> dict[str, tuple[str, str]]:
        """{relationship id: (type, target path)} of a part."""
        folder, base = posixpath.split(part)
        rels_name = posixpath.join(folder, "_rels", base + ".rels")
        if rels_name not in self.zip.NameToInfo:
            return {}
        out = {}
        for rel in self._xml(rels_name):
            target = rel.get("Target", "")
            if rel.get("TargetMode") == "External" or not target:
                continue
            path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
            out[rel.get("Id", "")] = (rel.get("Type", ""), path)
        return out

    def _locate_sheets(self) -> list[_Sheet]:
        """The sheets that may hold the roster: the template's data sheet (by name) first, then the other
        visible sheets in the workbook's order; hidden ones never (an old copy, a reference list)."""
        workbook_path = "xl/workbook.xml"
        for rel_type, path in self._rels("").values():
            if rel_type.endswith(_OFFICE_DOCUMENT):
                workbook_path = path
        # A zip that is no Office file (a zipped folder), or a Word or PowerPoint file under a spreadsheet's name,
        # is another kind of file; an Office package whose workbook part is missing is a damaged one.
        if workbook_path not in self.zip.NameToInfo:
            office_package = "[Content_Types].xml" in self.zip.NameToInfo
            raise FileRefused("file_corrupt" if office_package else "file_type_unsupported")
        rels = self._rels(workbook_path)
        workbook = self._xml(workbook_path)
        if _local(workbook.tag) != "workbook":
            raise FileRefused("file_type_unsupported")
        entries = [e for e in workbook.iter() if _local(e.tag) == "sheet"]
        self.sheet_names = frozenset(e.get("name", "") for e in entries)
        # A program that writes formulas without computing them asks for a recalculation on opening.
        self.formulas_stale = any(
            _local(e.tag) == "calcPr" and e.get("fullCalcOnLoad") in ("1", "true") for e in workbook.iter()
        )
        # The 1904 date system (old Excel for Mac): calamine reads a date cell by it, a bare number is the
        # roster's to read so (`columns.clean_date_1904`).
        self.date1904 = any(
            _local(e.tag) == "workbookPr" and e.get("date1904") in ("1", "true") for e in workbook.iter()
        )
        visible = [e for e in entries if (e.get("state") or "visible") == "visible"]
        if not visible:
            raise FileRefused("file_empty")
        named = [e for e in visible if _sheet_name_key(e.get("name", "")) == _sheet_name_key(ROSTER_SHEET)]
        parts: dict[str, bytes] = {}
        root_rels = posixpath.join("_rels", ".rels")
        workbook_rels = posixpath.join(posixpath.dirname(workbook_path), "_rels", posixpath.basename(workbook_path))
        for name in ("[Content_Types].xml", root_rels, workbook_path, workbook_rels + ".rels"):
            if name in self.zip.NameToInfo:
                parts[name] = self._read(name)
        styles: bytes | None = None
        shared_strings: bytes | None = None
        shared_path = ""
        for rel_type, path in rels.values():
            if rel_type.endswith(_REL_TYPES_KEPT) and path in self.zip.NameToInfo:
                shared = rel_type.endswith("/sharedStrings")
                parts[path] = self._read(path, _shared_strings_bound() if shared else _MAX_PART_BYTES)
                if rel_type.endswith("/styles"):
                    styles = parts[path]
                elif rel_type.endswith("/sharedStrings"):
                    shared_strings, shared_path = parts[path], path
        # The cell styles, and the texts, that strike through: a row with such a cell is asked about (`MarkedRow`).
        self.struck_styles = _struck_styles(styles)
        self.struck_strings = _struck_strings(shared_strings)
        # Without shared strings a program wrote its texts into the sheet (openpyxl): rich text struck
        # there is looked for in each slice; Excel, LibreOffice and the rest keep texts in shared strings.
        self.inline_strings = shared_strings is None
        strings = _SharedStrings.cut(shared_path, shared_strings)
        sheets = []
        for entry in [*named, *(e for e in visible if e not in named)]:
            rel = rels.get(_attr(entry, "id") or "")
            if rel is None or rel[1] not in self.zip.NameToInfo:
                raise FileRefused("file_corrupt")
            if rel[0].endswith(_SHEETS_WITHOUT_ROWS):  # a chart sheet: no rows to read, not a damaged sheet
                continue
            sheets.append(_Sheet(path=rel[1], name=entry.get("name", ""), parts=parts, strings=strings))
        if not sheets:
            raise FileRefused("file_empty")
        return sheets

    # -- rows --------------------------------------------------------------------------------

    def value_rows_after(self, row: int) -> int:
        """Counted in the sheet's XML without decoding a cell: a row holds a value unless all its cells are
        empty elements (``<c r="A1048000" s="1"/>``: formatted, nothing in them); ``<dimension>`` is not asked
        (it may say anything). Rows are looked at one by one only until one below `row` holds a value."""
        _prologue, _tag, ns, empty, buf, stream = self._open_sheet()
        with stream:
            if empty:
                return 0
            row_end = b"</" + ns + b"row>"
            data_end = b"</" + ns + b"sheetData>"
            row_start = b"<" + ns + b"row"
            cell_row_end = b"</" + ns + b"c>" + row_end
            prefix = re.escape(ns)
            empty_row = re.compile(
                rb"<" + prefix + rb"row\b[^>]*(?<!/)>(?:\s*<" + prefix + rb"c\b[^>]*/>)*\s*</" + prefix + rb"row>"
            )
            count = 0
            position = 0  # <row> elements so far, for rows that carry no number
            below = False  # a row below `row` with a value was met: from here on, every row is below it
            searched = 0  # the bytes of `buf` searched already, holding neither end (only new ones are searched)
            while True:
                end = buf.find(data_end, max(0, searched - len(data_end)))
                cut = end if end >= 0 else buf.rfind(row_end, max(0, searched - len(row_end))) + len(row_end)
                if cut >= len(row_end) or end >= 0:
                    rows = bytes(buf[:cut])
                    del buf[:cut]
                    if below:
                        ends = rows.count(row_end)
                        # A row that ends with a full cell (</c></row>) is not empty: most often every row does.
                        if rows.count(cell_row_end) != ends:
                            ends -= len(empty_row.findall(rows))
                        count += ends
                    else:
                        for part in rows.split(row_end)[:-1]:
                            position += part.count(row_start)
                            last = part[part.rfind(row_start) :]  # self-closing (empty) rows come before it
                            if empty_row.fullmatch(last + row_end):
                                continue
                            below = below or _row_number(last, position) > row
                            count += below
                if end >= 0:
                    # What follows the rows is read too, so that a file the import would refuse for it is
                    # refused now (the import's pass for the merged cells keeps the same bound).
                    _epilogue(bytes(buf[len(data_end) :]), _stream_pieces(stream))
                    return count
                searched = len(buf)  # (what is left after the cut holds no row's end)
                buf += _next_piece(stream, len(buf))

    def _sheet_pieces(self) -> Generator[bytes]:
        """The sheet's XML from its start, a piece at a time (a damaged stream is `file_corrupt`)."""
        try:
            stream = self.zip.open(self.sheet.path)
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError):
            raise FileRefused("file_corrupt") from None
        with stream:
            yield from _stream_pieces(stream)

    def _open_sheet(self) -> tuple[bytes, bytes, bytes, bool, bytearray, Any]:
        """Read up to ``<sheetData>``: (prologue, the tag, namespace prefix, empty?, bytes after, open stream)."""
        try:
            stream = self.zip.open(self.sheet.path)
            buf = bytearray()
            while True:
                piece = stream.read(_READ_SIZE)
                if not piece:
                    stream.close()
                    raise FileRefused("file_corrupt")
                buf += piece
                match = _SHEET_DATA.search(buf)
                if match:
                    break
                if len(buf) > _MAX_SHEET_PROLOGUE:
                    stream.close()
                    raise FileRefused("file_corrupt")
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError):
            raise FileRefused("file_corrupt") from None
        prologue = bytes(buf[: match.start()])
        rest = buf[match.end() :]
        return prologue, bytes(match.group(0)), match.group(1), match.group(2) == b"/", rest, stream

    def default_slice_rows(self) -> int:
        """Rows per slice: small (calamine is fastest and leanest on small slices), but larger when a big
        shared-strings part would otherwise be parsed again for every slice (one not cut per slice)."""
        base = limit("ROSTER_IMPORT_READ_ROWS")
        if self.sheet.strings is not None:
            return base
        parts = self.sheet.parts
        shared = max((len(data) for name, data in parts.items() if "sharedstrings" in name.lower()), default=0)
        return min(base * max(1, -(-shared // (2 << 20))), 8 * base)

    def iter_rows(self, *, slice_rows: int | None = None, merged: bool = True, ahead: bool = False) -> Generator[Row]:
        """The sheet's rows, numbered as in Excel; a cell merged over the rows below it (a department
        typed once for its staff) is read in each of those rows (unless ``merged=False``)."""
        spans = self._merged_down() if merged else {}
        slices = self._sheet_slices(slice_rows=slice_rows)
        rows = _read_ahead(slices) if ahead else (row for part in slices for row in part)
        yield from (_fill_merged(rows, spans) if spans else rows)

    def _merged_down(self) -> dict[int, list[tuple[int, int]]]:
        """The sheet's merged cells that span rows, by their first row: [(column, last row)]. They are
        listed after the rows (``<mergeCells>`` follows ``</sheetData>``): the sheet is streamed to its
        end once, keeping only what follows the rows (at most _MAX_SHEET_EPILOGUE bytes of it)."""
        pieces = self._sheet_pieces()
        try:
            carry = b""
            for piece in pieces:
                data = carry + piece
                end = _sheet_data_end(data)
                if end >= 0:
                    return _merged_spans(_epilogue(data[end:], pieces))
                carry = data[-64:]
            return {}  # no end of the rows: the rows' own reading refuses the sheet
        finally:
            pieces.close()

    def _sheet_slices(self, *, slice_rows: int | None = None) -> Generator[list[Row]]:
        slice_rows = slice_rows or self.default_slice_rows()
        prologue, tag, ns, empty, buf, stream = self._open_sheet()
        with stream:
            if empty:
                return
            # No <dimension>: calamine would size its grid by it, and a slice holds fewer rows.
            opening = _DIMENSION.sub(b"", prologue) + tag
            closing = b"</" + ns + b"sheetData></" + ns + b"worksheet>"
            row_end = b"</" + ns + b"row>"
            data_end = b"</" + ns + b"sheetData>"
            # One search per slice, with the sheet's own prefix (a search that allows any prefix is slower).
            formula = re.compile(b"<" + re.escape(ns) + rb"f[\s>/]")
            pending: list[bytes] = []
            pending_rows = 0
            rows_before = 0  # <row> elements in earlier slices (for files whose rows carry no number)
            done = False
            searched = 0  # the bytes of `buf` searched already, holding neither end (as in `value_rows_after`)
            while True:
                end = buf.find(data_end, max(0, searched - len(data_end)))
                if end >= 0:
                    pending.append(bytes(buf[:end]))
                    done = True
                else:
                    cut = buf.rfind(row_end, max(0, searched - len(row_end)))
                    if cut >= 0:
                        cut += len(row_end)
                        part = bytes(buf[:cut])
                        del buf[:cut]
                        pending.append(part)
                        pending_rows += part.count(row_end)
                if pending and (done or pending_rows >= slice_rows):
                    body = b"".join(pending)
                    pending, pending_rows = [], 0
                    for part in _within_grid(body, ns):
                        yield list(self._slice_rows((opening, closing), part, rows_before, formula))
                        rows_before += part.count(b"<" + ns + b"row")
                if done:
                    return
                searched = len(buf)
                buf += _next_piece(stream, len(buf))

    def _slice_rows(
        self, around: tuple[bytes, bytes], body: bytes, rows_before: int, formula: re.Pattern[bytes]
    ) -> Iterator[Row]:
        """The rows of one slice (`body`, the rows' XML; `around`, what the sheet holds before and after them),
        read by calamine from a workbook of this slice alone."""
        parts, rows_xml = self.sheet.parts, body
        if b">-" in body and _SHARED_INDEX_NEGATIVE.search(body):  # (a byte search first: most slices hold none)
            raise FileRefused("file_corrupt")
        strings = self.sheet.strings
        cut = strings.for_slice(body) if strings is not None else None
        if strings is not None and cut is not None:
            rows_xml, part = cut
            parts = {**parts, strings.path: part}
        mini = io.BytesIO()
        with zipfile.ZipFile(mini, "w", zipfile.ZIP_STORED) as z:
            for name, data in parts.items():
                z.writestr(name, data)
            z.writestr(self.sheet.path, around[0] + rows_xml + around[1])
        mini.seek(0)
        # Rows normally carry their number (r="12"); a file whose rows do not is numbered by position.
        first_row = re.search(rb"<" + _NS_PREFIX + rb"row\b[^>]*>", body)
        offset = 0 if first_row is None or b" r=" in first_row.group(0) else rows_before
        try:
            workbook = CalamineWorkbook.from_filelike(mini)
            sheet = workbook.get_sheet_by_name(self.sheet.name)
        except (CalamineError, ValueError, OSError):
            raise FileRefused("file_corrupt") from None
        except BaseException as exc:
            raise _corrupt_if_panic(exc) from None
        try:
            start = sheet.start
            if start is None:
                return
            first, left = start
            pad = [""] * left
            # iter_rows() would yield every empty row above the slice; to_python skips them (and holds
            # just this slice's rows, which is what the slice size bounds).
            try:
                rows = sheet.to_python(skip_empty_area=True)
            except BaseException as exc:
                raise _corrupt_if_panic(exc) from None
            errors = _error_cells(body) if b't="e"' in body or b"t='e'" in body else {}
            if formula.search(body):
                errors = _formula_cells(body, stale=self.formulas_stale, into=errors)
            hidden = _hidden_rows(body, rows_before) if b"hidden=" in body else frozenset()
            struck = (
                _struck_cells(body, self.struck_styles, self.struck_strings, inline=self.inline_strings)
                if self.struck_styles or self.struck_strings or self.inline_strings
                else {}
            )
            special = bool(errors or hidden or struck)  # one test a row when the slice has none (nearly always)
            for number, values in enumerate(rows, start=offset + first + 1):
                row = (pad + values) if left else values
                if special:
                    if number in errors:
                        row = _with_errors(row, errors[number])
                    if number in hidden or number in struck:
                        row = MarkedRow(row, hidden=number in hidden, struck=struck.get(number, ()))
                yield number, row
        finally:
            workbook.close()


def _corrupt_if_panic(exc: BaseException) -> BaseException:
    """A panic of calamine's Rust code (pyo3's ``PanicException``, a BaseException that no ``except Exception``
    stops: a date cell of -1e20 days) is a file it cannot read, `file_corrupt`; anything else stays itself."""
    kind = type(exc)
    if kind.__name__ == "PanicException" and kind.__module__ == "pyo3_runtime":
        return FileRefused("file_corrupt")
    return exc


#: The most cells calamine is given at once: it holds a slice as a grid from its first to its last row and
#: column, so a stray value far off (Ctrl+End in Excel: XFD1048576) would make it allocate gigabytes.
GRID_CELLS = 2_000_000
_ROW_NUMBER_AT = re.compile(rb"""<[^>]*?\sr=["']([0-9]+)["']""")  # a <row …> tag's number, matched where it starts
#: A row's number (no letters) or a cell's reference: calamine places a cell by its reference, not by its row.
#: As an XML parser reads the attribute: spaces around its "=", its letters in either case (calamine takes
#: ``r = "b99999999999"`` as that cell too).
_REFERENCE = re.compile(rb"""\sr\s*=\s*["']([A-Za-z]*)([0-9]+)["']""")


def _within_grid(body: bytes, ns: bytes) -> Iterator[bytes]:
    """A slice's rows, in parts whose grid (from the first to the last row that a row's number or a cell's
    reference names, times the widest column) holds at most GRID_CELLS: the slice itself, nearly always
    (one search for a number or a reference outside the first and the last rows' numbers, or a cell past
    column Z); rows far apart, or far-off columns, are cut into parts of fewer rows, none lost. A row whose
    cells name rows far from it (``<row r="2"><c r="B99999999999">``: only a damaged file has one, and
    calamine would allocate terabytes for it, an abort that no exception stops), or a column past XFD, is
    `file_corrupt`."""
    row_tag = b"<" + ns + b"row"
    first, last = body.find(row_tag), body.rfind(row_tag)
    if first < 0:
        yield body
        return
    head = _ROW_NUMBER_AT.match(body, first)
    tail = _ROW_NUMBER_AT.match(body, last)
    if head and tail:
        low, high = int(head.group(1)), int(tail.group(1))
        if low <= high and (high - low + 1) * 26 <= GRID_CELLS and not _outside(low, high).search(body):
            yield body
            return
    cut, rows, low, high, width = 0, 0, 0, 0, 26
    starts = [m.start() for m in re.finditer(re.escape(row_tag) + rb"\b", body)]
    for position, end in zip(starts, [*starts[1:], len(body)], strict=True):
        references = _REFERENCE.findall(body, position, end)
        numbers = [int(number) for _letters, number in references]
        columns = max([26, *(_column_index(letters.upper()) + 1 for letters, _number in references if letters)])
        if columns > MAX_COLUMNS:  # a column past XFD: damaged too
            raise FileRefused("file_corrupt")
        if rows:
            low_with, high_with = min([low, *numbers]), max([high, *numbers])
            if max(high_with - low_with + 1, rows + 1) * max(width, columns) > GRID_CELLS:
                yield body[cut:position]
                cut, rows = position, 0
        if rows:
            low, high, width = low_with, high_with, max(width, columns)
        else:
            low, high, width = min(numbers, default=0), max(numbers, default=0), columns
            if (high - low + 1) * width > GRID_CELLS:
                raise FileRefused("file_corrupt")
        rows += 1
    yield body[cut:]


def _outside(low: int, high: int) -> re.Pattern[bytes]:
    """A row's number or a cell's reference (``r="…"``) that is not a column A to Z and a row from `low` to
    `high`, written as Excel writes them (capitals, no leading zero, no space around "="): any other form
    is found too, and sends the slice the exact way (`_REFERENCE`), as does another attribute's ``…r="``."""
    inside = _number_range(str(low), str(high)).encode()
    return re.compile(rb"""r(?:=["'](?![A-Z]?(?:""" + inside + rb""")["'])|\s+=|=\s)""")


def _number_range(low: str, high: str) -> str:
    """A regular expression matching the integers from `low` to `high` (decimal, no leading zero)."""
    if len(low) < len(high):
        return _number_range(low, "9" * len(low)) + "|" + _number_range("1" + "0" * len(low), high)
    if low == high:
        return low
    if len(low) == 1:
        return f"[{low}-{high}]"
    if low[0] == high[0]:
        return low[0] + "(?:" + _number_range(low[1:], high[1:]) + ")"
    rest = len(low) - 1
    between = f"|[{int(low[0]) + 1}-{int(high[0]) - 1}][0-9]{{{rest}}}" if int(high[0]) - int(low[0]) > 1 else ""
    return (
        low[0]
        + "(?:"
        + _number_range(low[1:], "9" * rest)
        + ")"
        + between
        + "|"
        + high[0]
        + "(?:"
        + _number_range("0" * rest, high[1:])
        + ")"
    )


def _struck_cells(
    body: bytes, styles: frozenset[int], strings: frozenset[int], *, inline: bool
) -> dict[int, tuple[int, ...]]:
    """The cells of a slice's rows whose text is struck through, by row: (column, …): a value in a
    struck-through style, a shared string with a struck run (part of a cell's text struck, "Nguyễn Văn
    ~~Hoa~~ Hoà"), an inline string with one. Only cells that carry their reference (r="B7"), as every
    spreadsheet program writes them."""
    found: dict[int, set[int]] = {}
    # Every style the slice uses, once (a workbook may define thousands of styles it never uses).
    if styles and not styles.isdisjoint(int(style) for style in set(_STYLE_ATTR.findall(body))):
        for style, letters, number in _STYLED_CELL.findall(body):
            if int(style) in styles:
                found.setdefault(int(number), set()).add(_column_index(letters))
    # A struck shared string's index must stand in the slice as a value (a cheap test for a few such
    # strings); an inline string's strike is in the slice itself.
    few = strings and (len(strings) > _FEW_STRINGS or any(b">%d</" % i in body for i in strings))
    if few or (inline and b"strike" in body):
        for match in _CELL_CONTENT.finditer(body):
            attributes, content = match.group(1), match.group(2)
            struck = b"strike" in content and _STRIKE_ON.search(content) is not None  # an inline string's run
            if not struck and strings and _SHARED_STRING_CELL.search(attributes):
                value = _CELL_VALUE.search(content)
                struck = value is not None and int(value.group(1)) in strings
            if struck and (ref := _CELL_REF.search(attributes)):
                found.setdefault(int(ref.group(2)), set()).add(_column_index(ref.group(1)))
    return {number: tuple(sorted(columns)) for number, columns in found.items()}


def _struck_strings(shared_strings: bytes | None) -> frozenset[int]:
    """The shared strings (their index) with a run of text struck through."""
    if not shared_strings or b"strike" not in shared_strings:
        return frozenset()
    return frozenset(
        i
        for i, match in enumerate(_SHARED_STRING.finditer(shared_strings))
        if b"strike" in match.group(0) and _STRIKE_ON.search(match.group(0))
    )


def _struck_styles(styles_xml: bytes | None) -> frozenset[int]:
    """The cell styles (their index in ``<cellXfs>``) whose font is struck through (``<strike/>``)."""
    if not styles_xml or b"strike" not in styles_xml:
        return frozenset()
    try:
        root = ElementTree.fromstring(styles_xml)  # noqa: S314 (a small part; expat limits expansion)
    except (ElementTree.ParseError, LookupError):
        return frozenset()  # calamine reads the sheet or refuses it; a strike is not worth a refusal
    struck_fonts: set[int] = set()
    xfs: list[ElementTree.Element] = []
    for element in root:
        if _local(element.tag) == "fonts":
            for position, font in enumerate(element):
                strike = next((e for e in font if _local(e.tag) == "strike"), None)
                if strike is not None and strike.get("val", "1") not in ("0", "false"):
                    struck_fonts.add(position)
        elif _local(element.tag) == "cellXfs":
            xfs = list(element)
    return frozenset(i for i, xf in enumerate(xfs) if int(xf.get("fontId") or 0) in struck_fonts)


def _hidden_rows(body: bytes, rows_before: int) -> frozenset[int]:
    """The numbers of a slice's rows that the sheet hides (``<row r="7" hidden="1">``); a row without its
    number is numbered by its position, as the slice's reading numbers it."""
    hidden = set()
    for position, match in enumerate(_ROW_TAG.finditer(body), start=rows_before + 1):
        attributes = match.group(1)
        if _HIDDEN_ATTR.search(attributes):
            number = _ROW_NUMBER_ATTR.search(attributes)
            hidden.add(int(number.group(1)) if number else position)
    return frozenset(hidden)


def _error_cells(body: bytes) -> dict[int, list[tuple[int, str]]]:
    """The cells of a slice's rows that hold an error value, by row: [(column, its text)]. Only cells that
    carry their reference (r="B7"), as every spreadsheet program writes them."""
    found: dict[int, list[tuple[int, str]]] = {}
    for letters, number, content in _ERROR_CELL.findall(body):
        value = _ERROR_VALUE.search(content)
        text = value.group(1).decode("utf-8", errors="replace").strip() if value else ""
        found.setdefault(int(number), []).append((_column_index(letters), CellError(text or "#VALUE!")))
    return found


def _formula_cells(
    body: bytes, *, stale: bool, into: dict[int, list[tuple[int, str]]]
) -> dict[int, list[tuple[int, str]]]:
    """Adds to `into` the formula cells of a slice's rows whose result the file does not hold (no ``<v>``;
    every one when the workbook is marked to be recalculated on opening), as :class:`FormulaNotComputed`
    holding ``=`` and the formula (empty for a cell that shares another's formula). A formula whose result
    was kept is read as its result; one whose result is an error stays a :class:`CellError`."""
    for letters, number, content in _FORMULA_CELL.findall(body):
        if not stale and _HAS_VALUE.search(content):
            continue
        text = _FORMULA_TEXT.search(content)
        formula = html.unescape(text.group(1).decode("utf-8", errors="replace")) if text else ""
        cells = into.setdefault(int(number), [])
        column = _column_index(letters)
        if not any(c == column for c, _ in cells):
            cells.append((column, FormulaNotComputed("=" + formula if formula else "=")))
    return into


def _with_errors(values: list[Any], errors: list[tuple[int, str]]) -> list[Any]:
    values = list(values)
    for column, error in errors:
        if column >= len(values):
            values += [""] * (column + 1 - len(values))
        values[column] = error
    return values


def _shared_strings_bound() -> int:
    """The most bytes of shared strings a workbook may hold (`_MAX_SHARED_STRINGS_BYTES`)."""
    return max(_MAX_SHARED_STRINGS_BYTES, _SHARED_STRINGS_PER_UPLOAD_BYTE * limit("ROSTER_IMPORT_MAX_BYTES"))


def _column_index(letters: bytes) -> int:
    """``A`` → 0, ``Z`` → 25, ``AA`` → 26."""
    index = 0
    for letter in letters:
        index = index * 26 + letter - 64
    return index - 1


def _stream_pieces(stream: IO[bytes]) -> Iterator[bytes]:
    """A zip member's bytes, a piece at a time (a damaged stream is `file_corrupt`)."""
    try:
        while piece := stream.read(_READ_SIZE):
            yield piece
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError):
        raise FileRefused("file_corrupt") from None


def _epilogue(start: bytes, pieces: Iterator[bytes]) -> bytes:
    """What follows a sheet's rows (the merged cells, page setup): `start`, already read with the end of
    the rows, and the rest of `pieces`. More than _MAX_SHEET_EPILOGUE bytes of it is `file_corrupt`: the
    one bound of the upload's check and of the import's pass for the merged cells."""
    tail = bytearray(start)
    for piece in pieces:
        if len(tail) > _MAX_SHEET_EPILOGUE:
            break
        tail += piece
    if len(tail) > _MAX_SHEET_EPILOGUE or _ROW_TAG.search(tail):  # rows after the rows' end: a damaged sheet
        raise FileRefused("file_corrupt")
    return bytes(tail)


def _read_ahead(slices: Generator[list[Row]]) -> Generator[Row]:
    """The rows of `slices`, the next slice read in a thread while the caller works on the rows of this
    one. At most one slice waits; an error of the reading (a `FileRefused`) is raised here, where the
    rows were asked for; a caller that stops early stops the thread (and the file is closed)."""
    box: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def give(item: tuple[str, Any]) -> bool:
        while not stop.is_set():
            try:
                box.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def read() -> None:
        try:
            for part in slices:
                if not give(("rows", part)):
                    return
            give(("end", None))
        except BaseException as exc:  # handed to the caller, who raises it
            give(("error", exc))
        finally:
            slices.close()

    thread = threading.Thread(target=read, name="roster-read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            kind, value = box.get()
            if kind == "rows":
                yield from value
            elif kind == "error":
                raise value
            else:
                return
    finally:
        stop.set()
        thread.join()


def _next_piece(stream: Any, held: int) -> bytes:
    """The sheet's next piece, read while `held` bytes wait for a row's end: `file_zip_bomb` when one row would
    take more than _MAX_ROW_BYTES, `file_corrupt` for a stream that is damaged or ends before its rows do."""
    if held > _MAX_ROW_BYTES:
        raise FileRefused("file_zip_bomb")
    try:
        piece = stream.read(_READ_SIZE)
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError):
        raise FileRefused("file_corrupt") from None
    if not piece:
        raise FileRefused("file_corrupt")
    return bytes(piece)


def _sheet_data_end(data: bytes) -> int:
    """Where the rows end in `data` (just after ``</sheetData>``, any namespace prefix), or -1. The
    regular expression runs only around each ``sheetData>`` found by a plain search: run over a whole
    piece it tries a match at every closing tag."""
    at = data.find(b"sheetData>")
    while at >= 0:
        match = _SHEET_DATA_END.search(data, max(0, at - 80), at + len(b"sheetData>"))
        if match:
            return match.end()
        at = data.find(b"sheetData>", at + 1)
    return -1


def _merged_spans(epilogue: bytes | bytearray) -> dict[int, list[tuple[int, int]]]:
    """The merged cells listed after the rows that span rows, by their first row: [(column, last row)]."""
    merged: dict[int, list[tuple[int, int]]] = {}
    for letters, first, last in _MERGE_CELL.findall(epilogue):
        if int(last) > int(first):
            merged.setdefault(int(first), []).append((_column_index(letters), int(last)))
    return merged


def _fill_merged(rows: Iterator[Row], merged: dict[int, list[tuple[int, int]]]) -> Generator[Row]:
    """Give each row inside a merged cell the value of its first row, in the merge's first column (the
    other columns it covers are the same cell, not other fields). A row holding no value of its own
    stays empty (a merged cell drawn over blank rows does not make staff of them)."""
    showing: dict[int, tuple[Any, int]] = {}  # column -> (value, last row of its merge)
    for number, values in rows:
        if showing:
            for column in [c for c, (_v, last) in showing.items() if last < number]:
                del showing[column]
            if showing and any(v not in ("", None) for v in values):
                marked = values.copy() if values.__class__ is MarkedRow else MarkedRow(values)
                marked += [""] * (max(showing) + 1 - len(marked))
                filled = []
                for column, (value, _last) in showing.items():
                    if marked[column] in ("", None):
                        marked[column] = value
                        filled.append(column)
                marked.merged = tuple(filled)
                values = marked
        for column, last in merged.get(number, ()):
            value = values[column] if column < len(values) else ""
            if value not in ("", None):
                showing[column] = (value, last)
        yield number, values


# --------------------------------------------------------------------------------------------
# CSV
# --------------------------------------------------------------------------------------------

#: The columns an Excel sheet holds (XFD): a roster's rows must leave the last for the error report's reasons.
MAX_COLUMNS = 16_384
_DELIMITERS = (",", ";", "\t")
_SNIFF_LINES = 25  # the header and the title lines that may stand above it (columns.HEADER_LOOK_AHEAD)
#: A cell's own text may run over this many lines (an address typed on two lines, Alt+Enter in Excel).
_CELL_LINES = 10
#: A line of an error report's reasons (`Dòng 7, cột “Số điện thoại”: … [phone_format]`): a CSV saved from the
#: report holds them in one cell, one a line, each with its commas.
_REASON_LINE = re.compile(r".*\[[a-z0-9_]+\]\s*")


class CsvBook(Book):
    format = "csv"

    def __init__(self, fileobj: IO[bytes]):
        self.file = fileobj
        self._value_rows: array[int] | None = None
        # UTF-8, with or without its BOM; or UTF-16, as Excel saves "Unicode Text" (tab-separated)
        self.encoding = csv_encoding(self.file)
        self.text_encoding = CSV_ENCODING_NAMES[self.encoding]
        self.delimiter = self._sniff_delimiter()

    def _sniff_delimiter(self) -> str:
        """The separator of the table: of the first lines (a title may stand above the header), the one
        that most lines hold the same number of times (a row has as many cells as the header), then the
        one that splits them into more cells."""
        self.file.seek(0)
        head = self.file.read(64 * 1024)
        self.file.seek(0)
        if self.text_encoding == "utf-16":
            head = head[: len(head) // 2 * 2]
        lines = [line for line in head.decode(self.encoding, errors="replace").splitlines() if line.strip()]
        lines = lines[:_SNIFF_LINES]
        scores = {}
        for d in _DELIMITERS:
            counts = Counter(n for n in (line.count(d) for line in lines) if n)
            scores[d] = max(((lines_alike, n) for n, lines_alike in counts.items()), default=(0, 0))
        best = max(_DELIMITERS, key=lambda d: scores[d])
        return best if scores[best][0] else ","

    def verify(self) -> None:
        """The whole file is in its encoding (`csv_encoding`: UTF-8 or UTF-16), and reads as CSV record by
        record: no quote left open swallows the rows below it, no cell is over the csv module's limit. Notes the
        rows that hold a value on the way."""
        decoder = codecs.getincrementaldecoder(self.encoding)()
        self.file.seek(0)
        try:
            while chunk := self.file.read(_READ_SIZE):
                if self.text_encoding != "utf-16" and b"\x00" in chunk:
                    raise FileRefused("file_type_unsupported")
                if "\x00" in decoder.decode(chunk):
                    raise FileRefused("file_type_unsupported")
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise FileRefused("csv_encoding") from None
        finally:
            self.file.seek(0)
        self._value_rows = self._scan()

    def _scan(self) -> "array[int]":
        self.file.seek(0)
        text = io.TextIOWrapper(self.file, encoding=self.encoding, newline="")  # type: ignore[type-var]
        value_rows = array("q")
        reader = csv.reader(text, delimiter=self.delimiter)
        number = ended = width = 0
        try:
            for number, values in enumerate(reader, start=1):
                # A record that took more than one line holds a line break in a quoted cell: the cell's
                # own text, or the rows below swallowed by a quote left open.
                if reader.line_num > ended + 1 and self._swallows_rows(values, width):
                    raise FileRefused("csv_quote_unclosed", row=number)
                ended = reader.line_num
                if len(values) >= MAX_COLUMNS:  # the error report's reasons need a column after them
                    raise FileRefused("too_many_columns", row=number, limit=MAX_COLUMNS - 1)
                width = max(width, len(values))
                if any(values):
                    value_rows.append(number)
        except csv.Error:
            if ended + 1 < reader.line_num:  # the record that failed had run over several lines
                raise FileRefused("csv_quote_unclosed", row=number + 1) from None
            raise FileRefused("csv_cell_too_long", row=number + 1, limit=csv.field_size_limit()) from None
        finally:
            text.detach()
            self.file.seek(0)
        return value_rows

    def _swallows_rows(self, values: list[str], width: int) -> bool:
        """Does a record that ran over several lines hold rows swallowed by a quote left open? A cell's
        own line breaks go on with text (at most _CELL_LINES lines of it); a swallowed row goes on with
        a row's worth of separators (half the widest row's, at least one)."""
        separators = max(1, width // 2)
        for value in values:
            if "\n" in value or "\r" in value:
                lines = value.splitlines()
                if all(_REASON_LINE.fullmatch(line) for line in lines):
                    continue  # the reasons of an error report saved as CSV, however many and whatever they say
                if len(lines) > _CELL_LINES or any(line.count(self.delimiter) >= separators for line in lines[1:]):
                    return True
        return False

    def value_rows_after(self, row: int) -> int:
        if self._value_rows is None:
            self.verify()
        assert self._value_rows is not None
        return len(self._value_rows) - bisect.bisect_right(self._value_rows, row)

    def iter_rows(self, *, slice_rows: int | None = None, merged: bool = True, ahead: bool = False) -> Generator[Row]:
        """The records, numbered from 1. The options do not apply: a CSV file has no merged cells, and it
        is read record by record by the csv module, with nothing to slice or to read ahead."""
        self.file.seek(0)
        text = io.TextIOWrapper(self.file, encoding=self.encoding, newline="")  # type: ignore[type-var]
        try:
            for number, values in enumerate(csv.reader(text, delimiter=self.delimiter), start=1):
                # Excel saves an error cell (#N/A) as its text.
                if not EXCEL_ERRORS.isdisjoint(values):
                    values = [CellError(v) if v in EXCEL_ERRORS else v for v in values]
                yield number, values
        except (csv.Error, UnicodeDecodeError):
            raise FileRefused("file_corrupt") from None
        finally:
            text.detach()
