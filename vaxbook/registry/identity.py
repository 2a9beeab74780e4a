"""Identity rules: normalizing and checking a person's identifying data.

The spec is the "Identity rules" section of the glossary. This module is pure: no ORM, no I/O,
no clock (``today`` is always passed in). Every normalizer is idempotent and never raises on any
text; every validator returns a list of :class:`Problem` (empty when the value is fine).

Problems come in two kinds:

* ``invalid``: the value is wrong; the write must be refused (or the import row rejected).
* ``missing``: the value is absent; the record may be saved but its data status is ``incomplete``.

Error codes are stable English identifiers (see :data:`CODES`); messages are translated lazily, so
they render in the language active when they are displayed (Vietnamese by default).
"""

import functools
import math
import re
import unicodedata
from dataclasses import MISSING as MISSING_VALUE
from dataclasses import dataclass, field, fields
from datetime import date, datetime, time, timedelta
from typing import Literal, TypeGuard

import phonenumbers
from django.utils import timezone
from django.utils.functional import Promise, lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from vaxbook.registry.countries import COUNTRY_ALIASES, COUNTRY_NAMES, country_name
from vaxbook.registry.legacy_text import is_syllable, legacy_reading, letters_lost, misread_utf8

type Message = str | Promise
type ProblemKind = Literal["invalid", "missing"]

INVALID: ProblemKind = "invalid"
MISSING: ProblemKind = "missing"

# --------------------------------------------------------------------------------------------
# Codes
# --------------------------------------------------------------------------------------------

#: Every problem code this module can produce, with a short English description (for docs).
CODES: dict[str, str] = {
    # invalid: the write is refused
    "full_name_required": "The full name is empty.",
    "full_name_format": "The full name has characters other than letters, spaces, ' and -, or is too long.",
    "full_name_title": "The full name begins with a title (Ông, Bà, Anh, Chị …) before a Vietnamese family name.",
    "date_of_birth_required": "The date of birth is empty.",
    "date_of_birth_format": "The date of birth is not a real date in a known format.",
    "date_of_birth_future": "The date of birth is in the future.",
    "date_of_birth_too_old": "The date of birth is more than 120 years ago.",
    "sex_required": "The sex is empty.",
    "sex_format": "The sex is neither M nor F.",
    "id_type_format": "The document type is not cccd, cmnd, passport or none.",
    "id_type_required": "A document number was given without a type, and the type cannot be inferred.",
    "id_number_format": "The document number does not have the shape its type requires.",
    "id_number_province": "The first three digits of a 12-digit ID number are not a province code.",
    "id_number_sex_mismatch": "Digit 4 of the 12-digit ID number disagrees with the sex.",
    "id_number_century_mismatch": "Digit 4 of the 12-digit ID number disagrees with the century of birth.",
    "id_number_year_mismatch": "Digits 5-6 of the 12-digit ID number disagree with the year of birth.",
    "health_insurance_format": "The health insurance number is neither 10 digits nor a 15-character card code.",
    "phone_format": "The phone number is not a valid Vietnamese mobile (or foreign mobile) number.",
    "nationality_format": "The nationality is not a two-letter ISO 3166 code.",
    "text_too_long": "A free-text field is longer than the database allows.",
    "text_legacy_encoding": "A text (name, address, occupation, ethnicity) is Vietnamese typed in the old TCVN3 or VNI "
    "encoding, or in VIQR's ASCII signs; the message gives its Unicode reading.",
    "text_letters_lost": "Letters of a text (name, address, occupation, ethnicity) were replaced by question marks, "
    "as a file saved in an encoding without Vietnamese letters has them.",
    "text_misread_encoding": "A text (name, address, occupation, ethnicity) is Unicode (UTF-8) read in a one-byte "
    "code page (Windows-1252 or -1258: 'Nguyá»…n'); the message gives its reading.",
    "text_not_text": "A text (name, address, occupation, ethnicity) is a spreadsheet cell of another kind: TRUE or "
    "FALSE, a date, a time or a duration.",
    # missing: saved, data status "incomplete"
    "id_document_missing": "There is no identity document number (allowed for a child under 14 with type none).",
    "phone_missing": "There is no phone number.",
    "ward_missing": "There is no ward / commune.",
    "priority_group_missing": "There is no priority group.",
    "address_missing": "There is no address line.",
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one field. ``message`` is a lazy translated string."""

    field: str
    code: str
    message: Message
    kind: ProblemKind = INVALID

    def as_dict(self) -> dict[str, str]:
        """JSON-ready form (the message rendered in the active language)."""
        return {"field": self.field, "code": self.code, "message": str(self.message), "kind": self.kind}


def ward_split_problem(name: str, wards: str) -> Problem:
    """`ward_split`: a ward before 2025 (`name`), given by its code, that was split among `wards` (their codes
    and names): the registry's refusal of such a code, and the importer's of such a code with its name."""
    message = _(
        "This is the code of {name}, a ward or commune before 2025, which was split among {wards}: "
        "give the 2025 code of the one the person lives in."
    )
    return Problem("ward_code", "ward_split", format_lazy(message, name=name, wards=wards))


# --------------------------------------------------------------------------------------------
# Reference data
# --------------------------------------------------------------------------------------------

#: The 63 pre-2025 provinces' statistics codes, as the first three digits of a 12-digit ID number.
#: These did not change with the 2025 merger.
PROVINCE_CODES: frozenset[str] = frozenset(
    "0" + code
    for code in (  # noqa: SIM905 (a table reads better as one string)
        "01 02 04 06 08 10 11 12 14 15 17 19 20 22 24 25 26 27 30 31 33 34 35 36 37 38 40 42 44 45 46"
        " 48 49 51 52 54 56 58 60 62 64 66 67 68 70 72 74 75 77 79 80 82 83 84 86 87 89 91 92 93 94 95 96"
    ).split()
)

ID_TYPES: frozenset[str] = frozenset({"cccd", "cmnd", "passport", "none"})
SEXES: frozenset[str] = frozenset({"M", "F"})
CHILD_AGE = 14
MAX_AGE_YEARS = 120
FULL_NAME_MAX_LENGTH = 200
#: Database limits of the free-text fields (Person model).
TEXT_MAX_LENGTHS: dict[str, int] = {"ethnicity": 60, "occupation": 120, "address_line": 255}

_SEX_ALIASES: dict[str, str] = {
    "m": "M",
    "male": "M",
    "nam": "M",
    "f": "F",
    "female": "F",
    "nu": "F",
    "nam gioi": "M",
    "nu gioi": "F",
}

# --------------------------------------------------------------------------------------------
# Text helpers
# --------------------------------------------------------------------------------------------

_DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212"
_APOSTROPHES = "'\u2019\u02bc"
_NAME_PUNCTUATION = frozenset(_APOSTROPHES + "-\u2010")
_D_LETTERS = str.maketrans({"đ": "d", "ð": "d", "ɖ": "d"})
_NAME_SEPARATORS = dict.fromkeys(map(ord, " " + "".join(_NAME_PUNCTUATION)))


def _as_text(value: object) -> str:
    """Any value as text: None is empty; numbers from a spreadsheet lose a trailing ``.0``; a cell's
    TRUE/FALSE, date, time or duration as a spreadsheet shows it (`_cell_text`), never as Python's repr."""
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isfinite(value) and value == int(value) and abs(value) < 1e20:
            return str(int(value))
        return str(value)
    if isinstance(value, str):
        return value
    return _cell_text(value) or str(value)


_MIDNIGHT_TIME = time()


def _cell_text(value: object) -> str | None:
    """A cell's truth value (``TRUE``), date (``15/06/1985``), date and time (``15/06/1985 13:30``), time
    of day (``13:30:00``) or duration (``749124:00:00``, Excel's ``[h]:mm:ss``) as a spreadsheet shows
    it; None for any other value."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M" if value.time() != _MIDNIGHT_TIME else "%d/%m/%Y")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, time):
        return value.strftime("%H:%M:%S")
    if isinstance(value, timedelta):
        seconds = int(value.total_seconds())
        sign, seconds = ("-", -seconds) if seconds < 0 else ("", seconds)
        return f"{sign}{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
    return None


def _is_invisible(ch: str) -> bool:
    """Control and format characters (zero-width space, BOM, soft hyphen …) other than whitespace."""
    return not ch.isspace() and unicodedata.category(ch) in ("Cc", "Cf")


_ZWSP = "\u200b"
#: The letters and digits that end a text, and those that begin one (a word's parts beside a zero-width space).
_WORD_END = re.compile(r"[^\W_]+\Z")
_WORD_START = re.compile(r"[^\W_]+")


def _visible(text: str) -> str:
    """The text without its invisible characters (`_is_invisible`: a zero-width space, a BOM, a soft hyphen,
    a word joiner, a left-to-right mark …), a zero-width space read as `_zero_width_spaces` reads it.
    The one rule of every normalizer for them (`normalize_text`, `parse_date`)."""
    text = "".join(ch for ch in text if ch == _ZWSP or not _is_invisible(ch))
    return _zero_width_spaces(text) if _ZWSP in text else text


def _zero_width_spaces(text: str) -> str:
    """A zero-width space is a space between words ("Lê\u200bVăn\u200bTám", spaces a program replaced) and
    nothing inside one ("Nguy\u200bễn", pasted from a web page that breaks long words so; "1985\u200b06"):
    it is dropped between two small letters that make one Vietnamese syllable (not beside a capital: "Thị\u200bA",
    "THỊ\u200bA" are two words), between two digits and before a combining mark (which belongs to the letter
    before it), and is a space elsewhere."""
    pieces = text.split(_ZWSP)
    out = pieces[0]
    for piece in pieces[1:]:
        out += piece if _inside_word(out, piece) else " " + piece
    return out


def _inside_word(left: str, right: str) -> bool:
    if right[:1] and unicodedata.category(right[0]).startswith("M"):
        return True
    end, start = _WORD_END.search(left), _WORD_START.match(right)
    if end is None or start is None:
        return False  # beside a space, a sign or the text's end: a space (collapsed by the caller)
    before, after = end.group(), start.group()
    if before[-1].isdigit() and after[0].isdigit():
        return True
    if not (before[-1].islower() and after[0].islower()):
        # A capital after a small letter begins a word ("Thị\u200bA": "thịa" is a syllable); in capitals nothing
        # tells ("NGUYỄN THỊ\u200bA", "LÊ THU\u200bY" were saved "THỊA", "THUY"): a space, as before.
        return False
    return is_syllable(before + after)


def normalize_text(s: object) -> str:
    """NFC, invisible characters removed (a zero-width space counts as a space between words, and as
    nothing inside one: `_zero_width_spaces`), any whitespace (NBSP, tabs, …) made a single space, trimmed."""
    text = s if type(s) is str else _as_text(s)
    if text.isprintable():
        # Fast path, same result: a printable text has no control, format (invisible) or non-space
        # whitespace character, so the character filter below would keep it as it is; and its only
        # whitespace is the ASCII space, so a text without a leading, trailing or double one is single-spaced.
        if not text.isascii():
            text = unicodedata.normalize("NFC", text)
        if "  " in text or text[:1] == " " or text[-1:] == " ":
            return " ".join(text.split())
        return text
    return " ".join(unicodedata.normalize("NFC", _visible(text)).split())


def normalize_name(s: object) -> str:
    """A name as typed, but NFC, trimmed and single-spaced (no title-casing)."""
    return normalize_text(s)


def search_name(s: object) -> str:
    """The search form of a name: lower case, no diacritics, ``đ`` → ``d``, single spaces."""
    text = normalize_name(s).lower().translate(_D_LETTERS)
    if text.isascii():
        return " ".join(text.split())
    # Word by word (the same result: decomposing and dropping marks never adds or removes a space),
    # so the few thousand words that names are made of are folded once each.
    return " ".join([word for word in map(_fold_word, text.split()) if word])


@functools.lru_cache(maxsize=32768)
def _fold_word(word: str) -> str:
    text = "".join(ch for ch in unicodedata.normalize("NFD", word) if not unicodedata.category(ch).startswith("M"))
    return "".join(unicodedata.normalize("NFC", text).split())


_FLOAT_SUFFIX = re.compile(r"\s*([0-9]+)\.0\s*")
#: The separators dropped from a document or health insurance number, and from a phone number.
_CODE_SEPARATORS = "." + _DASHES
_PHONE_SEPARATORS = ".()/" + _DASHES


def _compact_code(s: object, drop: str, excel_text: bool = False) -> str:
    """Upper-case ASCII letters and digits; full-width digits folded; separators in ``drop`` removed.

    Characters that are not (compatible with) ASCII letters or digits are kept as they are, so the
    validator can refuse them. A spreadsheet's ``12345.0`` becomes ``12345``. With ``excel_text``
    (every normalizer asks it), Excel's ways of forcing a text are then undone (`_excel_text`).
    """
    text = s if type(s) is str else _as_text(s)
    if ".0" in text and (match := _FLOAT_SUFFIX.fullmatch(text)):  # the pattern's only literal first
        text = match.group(1)
    if text.isdigit() and text.isascii():
        return text  # fast path, same result: nothing to drop (no separator is a digit), nothing to fold
    if text.isascii() and text.isprintable():
        # Fast path, same result: printable ASCII has no invisible character, NFKC leaves it as it is,
        # and upper() changes only letters.
        code = text.translate(_drop_table(drop)).upper()
    else:
        out: list[str] = []
        for ch in text:
            if ch.isspace() or ch in drop or _is_invisible(ch):
                continue
            folded = unicodedata.normalize("NFKC", ch)
            out.append(folded.upper() if folded.isascii() and (folded.isalnum() or folded == "+") else ch)
        code = "".join(out)
    if "," in code and _THOUSANDS.fullmatch(code):
        code = code.replace(",", "")
    if excel_text and code.startswith(_EXCEL_TEXT_STARTS):
        return _excel_text(code)
    return code


#: A number grouped by thousands with commas, as a cell formatted #,##0 shows it and a CSV writes it
#: ("79,090,001,234"): every digit is there (dots and spaces, the other groupings, are dropped anyway).
_THOUSANDS = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+")


_EXCEL_TEXT_STARTS = ("'", '="')
#: A leading apostrophe (typed in Excel to force a text: a CSV or an export gives it literally) or
#: Excel's ="…" (a CSV's way of keeping zeros). Not when what is inside starts so again, or is empty:
#: so a normalized code is never unwrapped a second time.
_EXCEL_TEXT = re.compile(r"'([^'=].*)|=\"([^'=\"][^\"]*)\"", re.DOTALL)


def _excel_text(code: str) -> str:
    """The text a compacted code quotes as ``'0912000001`` or ``="0912000001"``; else the code as it is.
    Only the apostrophe at the start: one inside a value (or two at its start) is kept, and refused."""
    if match := _EXCEL_TEXT.fullmatch(code):
        return match.group(1) or match.group(2)
    return code


@functools.cache
def _drop_table(drop: str) -> dict[int, None]:
    return dict.fromkeys(map(ord, drop + " "))


def _is_digits(s: str, length: int | None = None) -> bool:
    return s.isascii() and s.isdigit() and (length is None or len(s) == length)


# --------------------------------------------------------------------------------------------
# Identity document numbers
# --------------------------------------------------------------------------------------------

_VN_PASSPORT = re.compile(r"[A-Z][0-9]{7}")
_FOREIGN_PASSPORT = re.compile(r"[A-Z0-9]{6,20}")


def normalize_id_type(s: object) -> str | None:
    """``cccd`` / ``cmnd`` / ``passport`` / ``none`` in lower case; None when empty. Unknown values are kept."""
    if type(s) is str:
        return _id_type_text(s)
    text = normalize_text(s).lower()
    return text or None


@functools.lru_cache(maxsize=1024)  # a handful of spellings, asked several times per record
def _id_type_text(s: str) -> str | None:
    text = normalize_text(s).lower()
    return text or None


def restore_leading_zero_id(id_type: str | None, s: str, *, from_number: bool = False) -> str:
    """Give back the leading zeros a spreadsheet dropped from a number typed as a number.

    CCCD: 11 digits whose restored first three digits are a province code → 12 digits; and, when the
    value was a number (``from_number``: a numeric cell), 10 digits whose first three digits restored
    with two zeros are a province code (001 Hà Nội, 002, 004, 006, 008) → 12 digits.
    CMND: the same for a 12-digit CMND (it shares the CCCD's numbers); and 8 digits → 9 digits.
    Anything else is returned unchanged.
    """
    kind = normalize_id_type(id_type)
    if (kind == "cccd" or kind == "cmnd") and s.isascii() and s.isdigit():
        if len(s) == 11 and "0" + s[:2] in PROVINCE_CODES:
            return "0" + s
        if from_number and len(s) == 10 and "00" + s[:1] in PROVINCE_CODES:
            return "00" + s
        if kind == "cmnd" and len(s) == 8:
            return "0" + s
    return s


def _is_number(s: object) -> TypeGuard[int | float]:
    """A value a spreadsheet gave as a number (a numeric cell), not as text."""
    return isinstance(s, int | float) and not isinstance(s, bool)


def normalize_id_number(id_type: str | None, s: object) -> str:
    """Spaces, dots, dashes removed, upper case; a text quoted as Excel forces one (``'…``, ``="…"``)
    unquoted; dropped leading zeros restored (CCCD, CMND)."""
    return restore_leading_zero_id(id_type, _compact_code(s, _CODE_SEPARATORS, True), from_number=_is_number(s))


#: A number Excel wrote in scientific notation (7.51835E+10: in a CSV, or a numeric cell shown in
#: General format), its digits lost; spaces removed first.
_SCIENTIFIC = re.compile(r"[0-9](?:[.,][0-9]+)?E\+?[0-9]+", re.IGNORECASE)


def _scientific_notation(raw: object) -> str | None:
    """The raw value (without its spaces) when it is a number in scientific notation, else None."""
    text = "".join(_as_text(raw).split())
    return text if _SCIENTIFIC.fullmatch(text) else None


def _scientific_problems(
    problems: list[Problem], raw: object, codes: tuple[str, ...], *, the_number: tuple[str, str] | None = None
) -> list[Problem]:
    """The problems, those with one of ``codes`` saying why when ``raw`` is in scientific notation (the
    code kept). Asked only of a value refused anyway. With ``the_number`` (a field and a code), such a
    problem is the number's, whatever field it was raised on: a document type found missing because the
    number, in that notation, tells none is the number's cell to fix, not the type's."""
    if not problems or (value := _scientific_notation(raw)) is None:
        return problems
    message = format_lazy(
        _(
            "Excel wrote this number in scientific notation (“{value}”), which loses its digits: format the "
            "column as Text and type the number again."
        ),
        value=value,
    )
    return [Problem(*(the_number or (p.field, p.code)), message, p.kind) if p.code in codes else p for p in problems]


def infer_id_type(number: object, nationality: str | None = "VN") -> str | None:
    """The document type a bare number must be: 12 (or 11 with a dropped zero) digits → cccd,
    9 → cmnd, a letter and 7 digits → passport; for a foreigner, 6–20 letters and digits → passport.
    A number from a numeric cell may have lost more: 10 digits of a province 00x → cccd, 8 → cmnd.
    """
    n = normalize_id_number(None, number)
    from_number = _is_number(number)
    if _is_digits(n, 12) or restore_leading_zero_id("cccd", n, from_number=from_number) != n:
        return "cccd"
    if _is_digits(n, 9) or (from_number and _is_digits(n, 8)):
        return "cmnd"
    if _VN_PASSPORT.fullmatch(n):
        return "passport"
    if normalize_nationality(nationality) != "VN" and _FOREIGN_PASSPORT.fullmatch(n):
        return "passport"
    return None


def cccd_century(digit: int) -> int:
    """The first year of the century of birth encoded by digit 4 (0/1 → 1900, 2/3 → 2000, … 8/9 → 2300)."""
    return 1900 + 100 * (digit // 2)


def check_cccd(
    number: object,
    date_of_birth: date | None = None,
    sex: str | None = None,
    field: str = "id_number",
) -> list[Problem]:
    """A 12-digit personal identification number, and its agreement with the date of birth and sex."""
    problems = _check_normalized_cccd(normalize_id_number("cccd", number), date_of_birth, normalize_sex(sex), field)
    return _scientific_problems(problems, number, ("id_number_format",))


def _two_zeros_lost(field: str, n: str) -> Problem:
    """A 10-digit number typed as text whose two lost zeros would make it a 00x province's 12-digit number:
    a text is given one zero back, never two (`restore_leading_zero_id`), so the message names the number."""
    message = format_lazy(
        _(
            "The citizen ID (CCCD) number must have 12 digits; this one has 10. If it is {number}, it lost "
            "its two leading zeros (its cell was a number, then saved as CSV or copied as text): type "
            "it with them, in a cell formatted as Text."
        ),
        number="00" + n,
    )
    return Problem(field, "id_number_format", message)


def _check_normalized_cccd(n: str, date_of_birth: date | None, sex: str | None, field: str) -> list[Problem]:
    """`check_cccd` of a number and a sex already normalized (check_person has them so)."""
    if not _is_digits(n, 12):
        if _is_digits(n, 10) and "00" + n[:1] in PROVINCE_CODES:
            return [_two_zeros_lost(field, n)]
        return [Problem(field, "id_number_format", _("The citizen ID (CCCD) number must have 12 digits."))]
    problems: list[Problem] = []
    if n[:3] not in PROVINCE_CODES:
        problems.append(
            Problem(
                field,
                "id_number_province",
                format_lazy(_("The first three digits of the ID number ({code}) are not a province code."), code=n[:3]),
            )
        )
    digit = int(n[3])
    if sex in SEXES and ("F" if digit % 2 else "M") != sex:
        problems.append(
            Problem(
                field,
                "id_number_sex_mismatch",
                _("The ID number is for a woman but the sex is male.")
                if digit % 2
                else _("The ID number is for a man but the sex is female."),
            )
        )
    if isinstance(date_of_birth, date):
        century = cccd_century(digit)
        if date_of_birth.year // 100 * 100 != century:
            problems.append(
                Problem(
                    field,
                    "id_number_century_mismatch",
                    format_lazy(
                        _(
                            "The ID number says the person was born in {start}–{end}, "
                            "but the date of birth is in {dob_year}."
                        ),
                        start=century,
                        end=century + 99,
                        dob_year=date_of_birth.year,
                    ),
                )
            )
        if date_of_birth.year % 100 != int(n[4:6]):
            problems.append(
                Problem(
                    field,
                    "id_number_year_mismatch",
                    format_lazy(
                        _(
                            "The ID number says the person was born in a year ending in {yy}, "
                            "but the date of birth is in {dob_year}."
                        ),
                        yy=n[4:6],
                        dob_year=date_of_birth.year,
                    ),
                )
            )
    return problems


def check_cmnd(
    number: object,
    date_of_birth: date | None = None,
    sex: str | None = None,
    field: str = "id_number",
) -> list[Problem]:
    """An old ID card: 9 digits, or 12 digits following the CCCD rules."""
    n = normalize_id_number("cmnd", number)
    if _is_digits(n, 9):
        return []
    if _is_digits(n, 12):
        return check_cccd(n, date_of_birth, sex, field)
    if _is_digits(n, 10) and "00" + n[:1] in PROVINCE_CODES:  # a 12-digit one that lost two zeros?
        return [_two_zeros_lost(field, n)]
    problems = [Problem(field, "id_number_format", _("The old ID card (CMND) number must have 9 or 12 digits."))]
    return _scientific_problems(problems, number, ("id_number_format",))


def check_passport(number: object, nationality: str | None = "VN", field: str = "id_number") -> list[Problem]:
    """A Vietnamese passport is a letter and 7 digits; a foreign one 6–20 letters and digits."""
    n = normalize_id_number("passport", number)
    if normalize_nationality(nationality) == "VN":
        if _VN_PASSPORT.fullmatch(n):
            return []
        problems = [
            Problem(
                field,
                "id_number_format",
                _("A Vietnamese passport number is one letter and 7 digits (for example C1234567)."),
            )
        ]
    elif _FOREIGN_PASSPORT.fullmatch(n):
        return []
    else:
        problems = [Problem(field, "id_number_format", _("A passport number must have 6 to 20 letters and digits."))]
    return _scientific_problems(problems, number, ("id_number_format",))


# --------------------------------------------------------------------------------------------
# Health insurance
# --------------------------------------------------------------------------------------------

_BHYT_CARD = re.compile(r"[A-Z]{2}[1-5][0-9]{2}[0-9]{10}")


def normalize_health_insurance(s: object) -> str:
    """Spaces (and dots, dashes) removed, upper case; a text quoted as Excel forces one (``'…``, ``="…"``)
    unquoted. A number (a numeric cell) of 9 digits is the 10-digit social insurance number that lost
    its leading zero: the zero is given back."""
    n = _compact_code(s, _CODE_SEPARATORS, True)
    if type(s) is not str and len(n) == 9 and _is_number(s) and s > 0 and n.isdigit():
        return "0" + n
    return n


def check_health_insurance(s: object, field: str = "health_insurance_number") -> list[Problem]:
    """Empty is fine (optional); else the 10-digit social insurance number or the 15-character card code."""
    return _check_normalized_health_insurance(normalize_health_insurance(s), s, field)


def _check_normalized_health_insurance(n: str, raw: object, field: str) -> list[Problem]:
    """`check_health_insurance` of a number normalized already (check_person has it so), typed as ``raw``."""
    if not n or _is_digits(n, 10) or _BHYT_CARD.fullmatch(n):
        return []
    if _is_digits(n, 9) and n[0] != "0":  # a text: a numeric cell's number had its zero back (normalize)
        message = format_lazy(
            _(
                "The social insurance number must have 10 digits; this one has 9. If it is {number}, it lost its "
                "leading zero (its cell was a number, then saved as CSV or copied as text): type it with the "
                "zero, in a cell formatted as Text."
            ),
            number="0" + n,
        )
        return [Problem(field, "health_insurance_format", message)]
    problems = [
        Problem(
            field,
            "health_insurance_format",
            _(
                "The health insurance number must be the 10-digit social insurance number or the 15-character "
                "card code (2 letters, a digit 1–5, 2 digits of province code, 10 digits)."
            ),
        )
    ]
    return _scientific_problems(problems, raw, ("health_insurance_format",))


# --------------------------------------------------------------------------------------------
# Phone
# --------------------------------------------------------------------------------------------

_VN_MOBILE = re.compile(r"0[35789][0-9]{8}")
_MOBILE_TYPES = frozenset({phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE})


def _vn_mobile_e164(national: str) -> str | None:
    if not _VN_MOBILE.fullmatch(national):
        return None
    # Whether a 10-digit 0[35789]… number is a valid VN mobile depends on its first digits only
    # (phonenumbers' VN mobile pattern is a prefix of at most 3 national digits, then any 6 digits):
    # ask phonenumbers once per 5-digit prefix. test_identity checks every prefix against phonenumbers.
    valid = _VN_MOBILE_PREFIXES.get(national[:5])
    if valid is None:
        valid = _VN_MOBILE_PREFIXES[national[:5]] = _is_vn_mobile(national)
    return "+84" + national[1:] if valid else None


_VN_MOBILE_PREFIXES: dict[str, bool] = {}


def _is_vn_mobile(national: str) -> bool:
    try:
        parsed = phonenumbers.parse(national, "VN")
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(parsed) and phonenumbers.number_type(parsed) in _MOBILE_TYPES


def normalize_phone(s: object) -> str | None:
    """E.164 (``+84912345678``) for a valid Vietnamese mobile, or a valid foreign mobile written with
    ``+``; None when empty or invalid.

    Accepts ``+84``, ``84``, ``0084``, spaces, dots, dashes and parentheses, and a text quoted as Excel
    forces one (``'0912345678``, ``="0912345678"``), and gives back the leading zero a spreadsheet
    dropped (``912345678``).
    """
    compact = _compact_code(s, _PHONE_SEPARATORS, True)
    if not compact or len(compact) > 32:
        return None
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    international = compact.startswith("+")
    digits = compact[1:] if international else compact
    if not _is_digits(digits):
        return None
    if international:
        if digits.startswith("84"):
            national = digits[2:]
            return _vn_mobile_e164(national if national.startswith("0") else "0" + national)
        try:
            parsed = phonenumbers.parse("+" + digits, None)
        except phonenumbers.NumberParseException:
            return None
        if phonenumbers.is_valid_number(parsed) and phonenumbers.number_type(parsed) in _MOBILE_TYPES:
            return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
        return None
    if len(digits) == 11 and digits.startswith("84"):
        return _vn_mobile_e164("0" + digits[2:])
    if len(digits) == 12 and digits.startswith("840"):
        return _vn_mobile_e164(digits[2:])
    if len(digits) == 9 and digits[0] in "35789":
        return _vn_mobile_e164("0" + digits)
    return _vn_mobile_e164(digits)


def national_phone(e164: str) -> str:
    """A stored phone as people write it: a Vietnamese mobile in its national form (``0912345678``), a
    foreign one as stored (``+…``). `normalize_phone` reads it back as the same number."""
    return "0" + e164[3:] if e164.startswith("+84") else e164


def check_phone(raw: object, field: str = "phone") -> list[Problem]:
    """Empty is not checked here (see ``phone_missing``); anything else must normalize."""
    if not normalize_text(raw) or normalize_phone(raw) is not None:
        return []
    return [_phone_problem(field, raw)]


_VN_MOBILE_SHAPES = re.compile(r"(?:\+?84|0)?([35789][0-9]{8})")
#: An 11-digit mobile number of before September 2018 (01xx …, or 84 1xx … without its 0), and the 10-digit
#: prefix that number has had since, by the networks' conversion of 2018.
_ELEVEN_DIGITS = re.compile(r"(?:\+?84|0)?(1[0-9]{2})([0-9]{7})")
_ELEVEN_DIGIT_PREFIXES = {
    **{f"16{d}": f"03{d}" for d in "23456789"},  # Viettel
    **{"120": "070", "121": "079", "122": "077", "126": "076", "128": "078"},  # MobiFone
    **{"123": "083", "124": "084", "125": "085", "127": "081", "129": "082"},  # VinaPhone
    **{"186": "056", "188": "058", "199": "059"},  # Vietnamobile, Gmobile
}
#: Between the numbers of a cell that lists several: a comma, semicolon, slash, bar or line break, a dash
#: between spaces, or a word ("và", "hoặc", "or", "and").
_PHONE_LIST = re.compile(r"[,;/|\n]|\s[-\u2013]\s|\s(?:và|hoặc|or|and)\s", re.IGNORECASE)
#: A note written beside a number: a text in brackets, then any word and colon left ("Zalo", "ĐT:").
_PHONE_NOTE_BRACKETS = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_PHONE_NOTE_WORDS = re.compile(r"[^\W\d_]+|:")
_PHONE_NOTE_LEFTOVERS = re.compile(r"[,;|]+")


def _without_notes(text: str) -> str:
    """A phone cell's text without its notes: brackets, words, colons and listing marks ("(Zalo)", "ĐT:")."""
    return _PHONE_NOTE_LEFTOVERS.sub(" ", _PHONE_NOTE_WORDS.sub(" ", _PHONE_NOTE_BRACKETS.sub(" ", text)))


def _phone_list_or_note(field: str, raw: object) -> Problem | None:
    """The problem of a cell holding several numbers, or a number with a note ("0912345678 (Zalo)"): each
    number is valid, the cell is not one. Asked only of a value refused anyway."""
    if not isinstance(raw, str):
        return None
    text = normalize_text(raw)
    digits = "".join(ch for ch in text if ch.isdigit())
    splits = [_PHONE_LIST.split(text), text.split()]  # then numbers side by side (a line break read)
    if len(digits) == 20 and digits[0] == "0" and digits[10] == "0":
        splits.append([digits[:10], digits[10:]])  # two numbers run together ("0912345678-0987654321")
    for parts in splits:
        numbers = [_without_notes(part) for part in parts]
        numbers = [number for number in numbers if sum(ch.isdigit() for ch in number) >= 9]
        valid = [normalize_phone(number) for number in numbers]
        if len(numbers) > 1 and any(valid):
            message = format_lazy(
                _(
                    "This cell holds several phone numbers ({numbers}): keep one, the number the person "
                    "answers (the campaign's messages go to it)."
                ),
                numbers=", ".join(
                    national_phone(e164) if e164 else "".join(number.split())
                    for number, e164 in zip(numbers, valid, strict=True)
                ),
            )
            return Problem(field, "phone_format", message)
    number = normalize_phone(_without_notes(text))
    if number is not None:
        message = format_lazy(
            _("The phone number {number} is written with a note (“{text}”): keep only the number in this cell."),
            number=national_phone(number),
            text=text,
        )
        return Problem(field, "phone_format", message)
    return None


def _phone_problem(field: str, raw: object) -> Problem:
    listed = _phone_list_or_note(field, raw)
    if listed is not None:
        return listed
    compact = _compact_code(raw, _PHONE_SEPARATORS, True)
    if (old := _ELEVEN_DIGITS.fullmatch(compact)) and (prefix := _ELEVEN_DIGIT_PREFIXES.get(old.group(1))):
        message = format_lazy(
            _(
                "The phone number {number} has 11 digits, as mobile numbers did before 2018: since then it is "
                "{new}. Type that number if it is still the person's."
            ),
            number="0" + old.group(1) + old.group(2),
            new=prefix + old.group(2),
        )
        return Problem(field, "phone_format", message)
    shaped = _VN_MOBILE_SHAPES.fullmatch(compact)
    if shaped:  # the shape is right: the number's first digits are not a network's (phonenumbers' plan)
        message = format_lazy(
            _(
                "The phone number {number} has the shape of a Vietnamese mobile number, but no network gives "
                "numbers starting so: check it."
            ),
            number="0" + shaped.group(1),
        )
        return Problem(field, "phone_format", message)
    problem = Problem(
        field,
        "phone_format",
        _("The phone number must be a Vietnamese mobile number: 10 digits starting 03, 05, 07, 08 or 09."),
    )
    return _scientific_problems([problem], raw, ("phone_format",))[0]


# --------------------------------------------------------------------------------------------
# Name
# --------------------------------------------------------------------------------------------


#: Words a list puts before a person's name ("Ông Nguyễn Văn Hùng", "Bà Trần Thị Lan"), lower-cased with their marks
#: (unmarked, "Chu" is a family name: "Chu Nguyễn Minh Anh"); a title only before a common family name.
_TITLES = frozenset(
    {"ông", "bà", "anh", "chị", "cô", "chú", "bác", "ô.", "b.", "mr", "mr.", "mrs", "mrs.", "ms", "ms."}
)
#: The family names of nine in ten Vietnamese, in search form.
_FAMILY_NAMES = frozenset(
    {
        *("nguyen", "tran", "le", "pham", "hoang", "huynh", "phan", "vu", "vo", "dang", "bui", "do", "ho", "ngo"),
        *("duong", "ly", "dinh", "doan", "trinh", "truong", "lam", "luong", "luu", "mai", "cao", "ha", "ta", "to"),
    }
)


def _title(name: str) -> str | None:
    """The title a name begins with, as typed ("Ông"), when a common family name and a given name follow it."""
    title, _space, rest = name.partition(" ")
    if title.lower() not in _TITLES:  # (most names: one look-up)
        return None
    family, _space, given = rest.partition(" ")
    return title if given and search_name(family) in _FAMILY_NAMES else None


def check_name(raw: object, field: str = "full_name") -> list[Problem]:
    """Non-empty; letters (with their marks), spaces, apostrophes and hyphens; at most 200 characters."""
    return _control_characters(raw, field) or _check_normalized_name(normalize_name(raw), field)


def _control_character(text: str) -> str | None:
    """The first control character of a text (U+0001 … U+001F but tab and line breaks, U+007F …), which may
    stand for a lost letter or digit; None when it has none."""
    return next((ch for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\t\n\r"), None)


def _control_characters(raw: object, field: str) -> list[Problem]:
    """A name holding a control character (U+0001 … U+001F but tab and line breaks, U+007F …): a text pasted
    from another program, where it often stands for a letter that was lost ("Nguy\x01n"). Normalizing would
    drop it, or make it a space, and save a name with letters missing: refused, naming it."""
    if type(raw) is not str or raw.isprintable():
        return []
    found = _control_character(raw)
    if found is None:
        return []
    message = _(
        "The full name holds a control character ({code}) where a letter may have been lost, as a text pasted "
        "from another program can: type the name again."
    )
    return [Problem(field, "full_name_format", format_lazy(message, code=f"U+{ord(found):04X}"))]


def _check_normalized_name(name: str, field: str = "full_name") -> list[Problem]:
    if not name:
        return [Problem(field, "full_name_required", _("The full name is required."))]
    if len(name) > FULL_NAME_MAX_LENGTH:
        return [
            Problem(
                field,
                "full_name_format",
                format_lazy(_("The full name must be at most {max} characters long."), max=FULL_NAME_MAX_LENGTH),
            )
        ]
    if name[0] in _NAME_PUNCTUATION:  # a list's dash ("- Nguyễn Văn An"), a text mark kept by a CSV ("'Nguyễn")
        message = _("The full name must begin with a letter: remove the “{mark}” before it.")
        return [Problem(field, "full_name_format", format_lazy(message, mark=name[0]))]
    if name[-1] in _NAME_PUNCTUATION:
        message = _("The full name must end with a letter: remove the “{mark}” after it.")
        return [Problem(field, "full_name_format", format_lazy(message, mark=name[-1]))]
    if (title := _title(name)) is not None:
        message = _("The full name begins with the title “{title}”: write the person's name only ({name}).")
        return [Problem(field, "full_name_title", format_lazy(message, title=title, name=name[len(title) :].strip()))]
    if name.replace(" ", "").isalpha() or name.translate(_NAME_SEPARATORS).isalpha():
        return []  # fast paths, same result: every other character is a letter (Unicode category L)
    has_letter = False
    previous = " "
    for ch in name:
        category = unicodedata.category(ch)
        if category.startswith("L"):
            has_letter = True
        elif category.startswith("M"):
            if not unicodedata.category(previous).startswith(("L", "M")):
                return [_stray_mark(field, ch)]  # "\u0301Nguyễn", "Nguyễn \u0301Văn": a mark of no letter
        elif not (ch == " " or ch in _NAME_PUNCTUATION):
            return [
                Problem(
                    field,
                    "full_name_format",
                    _("The full name may contain only letters, spaces, apostrophes and hyphens."),
                )
            ]
        previous = ch
    if not has_letter:
        return [Problem(field, "full_name_format", _("The full name must contain letters."))]
    return []


def _stray_mark(field: str, mark: str, letter: str | None = None, shown: str = "") -> Problem:
    """A mark typed apart from its letter (Unicode's combining marks: a keyboard typing "tổ hợp", or text
    pasted so) that belongs to no letter, or to one that Vietnamese does not put it on: refused, never
    dropped, since the letter the mark was meant for may be another ("An\u0301" may be Án)."""
    if letter is None:
        message = _(
            "The full name has a mark (“◌{mark}”) that belongs to no letter, at the start of a word: type the name "
            "again, the mark on its letter."
        )
        return Problem(field, "full_name_format", format_lazy(message, mark=mark))
    message = _(
        "The full name has a mark (“◌{mark}”) on the letter “{letter}” (“{shown}”), which Vietnamese does not put "
        "it on: it was typed apart from its letter. Type the name again, the mark on its vowel."
    )
    return Problem(field, "full_name_format", format_lazy(message, mark=mark, letter=letter, shown=shown))


#: The five tone marks, the shape marks (circumflex, breve, horn), and the vowels a tone goes on.
_TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")
_SHAPE_MARKS = frozenset("\u0302\u0306\u031b")
_VOWELS = frozenset("aăâeêioôơuưy")


def _misplaced_tone(raw: object, name: str, field: str = "full_name") -> list[Problem]:
    """A Vietnamese name's tone mark typed apart from its letter (decomposed) and put on a letter that takes
    none: "An\u0301", which NFC makes "Ań" (the ń of Polish, a letter Vietnamese does not have). Asked only of
    a name typed decomposed, or holding a mark that NFC did not compose ("Ab\u0301"); a name of letters typed
    composed, as nearly all are, has no such mark."""
    if type(raw) is not str or raw.isascii():
        return []
    if unicodedata.is_normalized("NFC", raw) and name.translate(_NAME_SEPARATORS).isalpha():
        return []
    base = ""
    for ch in unicodedata.normalize("NFD", name):
        if ch in _SHAPE_MARKS:
            base += ch
        elif ch in _TONE_MARKS:
            letter = unicodedata.normalize("NFC", base)
            if letter and letter.lower() not in _VOWELS:
                return [_stray_mark(field, ch, letter, unicodedata.normalize("NFC", base + ch))]
        elif not unicodedata.combining(ch):
            base = ch
    return []


_SHY = "\u00ad"
_SHY_KEPT = "\ue0ad"  # a private-use stand-in, which normalize_text keeps where it drops the soft hyphen


def legacy_text_reading(
    raw: object, normalized: str | None = None, *, old_encodings: bool = True
) -> tuple[str, str, str] | None:
    """(encoding, fonts, Unicode reading) of a text typed in an old Vietnamese encoding (TCVN3 for the
    .VnTime fonts, VNI for VNI-Times, or VIQR's ASCII signs), else None; see `legacy_text`. Only text is
    judged, as normalized (`normalized`, when the caller has it already): so a record's normalized text,
    judged again, is judged as it was. TCVN3's ư is the soft hyphen, which normalizing drops as invisible:
    a text holding one is judged with it kept too ("L\u00adu" is Lưu).

    Unicode read in a one-byte code page comes first, as ``("UTF-8", code page, reading)``, for every
    text (its reading is exact, a foreigner's name included); it is judged as typed too, since its
    misread bytes may be invisible characters or a no-break space ("Đ" misread is "Ä" and U+0090). With
    `old_encodings` false, only that is judged."""
    if type(raw) is not str:
        return None
    text = normalize_text(raw) if normalized is None else normalized
    if not text.isascii():  # (a misread letter is never ASCII, nor dropped by normalizing)
        # as typed, its spaces aside, but not the no-break space: "à" misread is "Ã" and U+00A0
        misread = misread_utf8(text) or (misread_utf8(raw.strip(" \t\r\n")) if raw != text else None)
        if misread is not None:
            return ("UTF-8", *misread)
    if not old_encodings:
        return None
    found = None
    if _SHY in raw:
        found = legacy_reading(normalize_text(raw.replace(_SHY, _SHY_KEPT)).replace(_SHY_KEPT, _SHY))
    return found or legacy_reading(text)


def _not_text(raw: object, field: str) -> Problem | None:
    """`text_not_text`: a text field given a cell's truth value (TRUE/FALSE: a checkbox, a formula's result), date,
    time or duration, which would be saved as its Python form ("True", "1985-06-15 13:30:00"); None for
    anything else (a number is a text's digits: a house number, "12"). Only the import gives such values."""
    shown = _cell_text(raw)
    if shown is None:
        return None
    if isinstance(raw, bool):
        what = _("a truth value")
    elif isinstance(raw, datetime) and raw.time() != _MIDNIGHT_TIME:
        what = _("a date and time")
    elif isinstance(raw, date):
        what = _("a date")
    elif isinstance(raw, time):
        what = _("a time of day")
    else:
        what = _("a duration")
    message = _(
        "This cell holds {what} (“{value}”), not a text: type the text in a cell formatted as Text (a cell "
        "formatted as a date, or holding a checkbox, turns what is typed into a value of its own)."
    )
    return Problem(field, "text_not_text", format_lazy(message, what=what, value=shown))


def check_text_encoding(
    raw: object, field: str, normalized: str | None = None, *, old_encodings: bool = True
) -> list[Problem]:
    """A text whose encoding went wrong is refused, one reason for the cell: Unicode misread in a Windows
    code page (`text_misread_encoding`, quoting its reading), Vietnamese typed in an old encoding or in
    VIQR (`text_legacy_encoding`, quoting its reading; not judged with `old_encodings` false: a foreigner's
    name), letters lost to question marks (`text_letters_lost`). See `legacy_text_reading`."""
    if type(raw) is not str and (kind := _not_text(raw, field)) is not None:
        return [kind]
    found = legacy_text_reading(raw, normalized, old_encodings=old_encodings)
    if found is None:
        if type(raw) is str and letters_lost(normalize_text(raw) if normalized is None else normalized):
            message = format_lazy(
                _(
                    "Letters of this text were replaced by question marks (“{text}”), as when a file is saved "
                    "in an encoding without Vietnamese letters (Excel's plain “CSV”). Enter it again with its "
                    "letters; for a file, save it as an Excel Workbook (.xlsx) or as “CSV UTF-8” and upload "
                    "that file."
                ),
                text=raw.strip(),
            )
            return [Problem(field, "text_letters_lost", message)]
        return []
    encoding, fonts, reading = found
    if encoding == "UTF-8":  # Unicode misread in a code page ("fonts" names it)
        message = format_lazy(
            _(
                "This text is Unicode read in another encoding (“{text}”, in {code_page}); it reads "
                "“{reading}”. The sheet was made from a CSV opened with the wrong encoding: open the original "
                "in Excel through Data > From Text/CSV with the origin “65001: Unicode (UTF-8)”, or take the "
                "text from where it was typed, and enter it again."
            ),
            text=str(raw).strip(),
            code_page=fonts,
            reading=reading,
        )
        return [Problem(field, "text_misread_encoding", message)]
    if encoding == "VIQR":  # signs, not a font
        message = format_lazy(
            _(
                "This text seems to be typed in VIQR (the marks as signs after the letters: ^ ( + ' ` ? ~ .); "
                "in Unicode it reads “{reading}”. Type it again with Vietnamese letters (for instance with "
                "Unikey's converter, from VIQR to Unicode)."
            ),
            reading=reading,
        )
    else:
        message = format_lazy(
            _(
                "This text seems to be typed in the old {encoding} encoding (fonts {fonts}); in Unicode it "
                "reads “{reading}”. Convert it to Unicode (for instance with Unikey's converter) and enter "
                "it again."
            ),
            encoding=encoding,
            fonts=fonts,
            reading=reading,
        )
    return [Problem(field, "text_legacy_encoding", message)]


# --------------------------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------------------------

#: The midnight a date column exported as date and time carries ("25/12/1985 00:00:00", "1985-12-25
#: 00:00:00Z": from a CSV written by a database or a script; "25/12/1985 12:00:00 AM" by a computer set to
#: a 12-hour clock). Any other time is refused: "24/12/1985 17:00" may be 25 December shifted by a time
#: zone, and the day is not guessed.
_MIDNIGHT = (
    r"(?:[T ]0?0:00(?::00(?:\.0+)?)?(?:Z|[+-][0-9]{2}:?[0-9]{2})?"
    r"|\s+12:00(?::00(?:\.0+)?)?\s*[Aa]\.?[Mm]\.?)?"
)
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})" + _MIDNIGHT)
#: Year first with slashes or dots, as some systems export it (1990/07/15): a 4-digit year first is never a day.
_YMD_DATE = re.compile(r"([0-9]{4})\s*([/.])\s*([0-9]{1,2})\s*\2\s*([0-9]{1,2})" + _MIDNIGHT)
#: Day first, between the numbers a slash, a dot or a dash: the ASCII one, or the en dash and Unicode hyphens
#: a word processor puts for it (01–02–1990, 01‐02‐1990); the same one twice.
_DMY_SEPARATORS = "[/." + re.escape(_DASHES) + "]"
_DMY_DATE = re.compile(r"([0-9]{1,2})\s*(" + _DMY_SEPARATORS + r")\s*([0-9]{1,2})\s*\2\s*([0-9]{4})" + _MIDNIGHT)
#: Day first with spaces between the numbers (01 02 1990), as a form that prints boxes for them gives it.
_SPACED_DATE = re.compile(r"([0-9]{1,2}) +([0-9]{1,2}) +([0-9]{4})" + _MIDNIGHT)
#: A date as Vietnamese writes it out: "ngày 15 tháng 7 năm 1990" (the words without their marks too).
_VI_DATE = re.compile(
    r"(?:ngày|ngay)?\s*([0-9]{1,2})\s*(?:tháng|thang)\s*([0-9]{1,2})\s*(?:,\s*)?(?:năm|nam)\s*([0-9]{4})",
    re.IGNORECASE,
)
#: "Ngày 15/07/1990", "Sinh ngày 15/07/1990", "Ngày sinh: 15/07/1990": the words before a date.
_DATE_WORDS = re.compile(r"(?:sinh\s+)?(?:ngày|ngay)(?:\s+sinh)?\s*:?\s*", re.IGNORECASE)
#: A date with a 2-digit year (15/07/90, "ngày 15 tháng 7 năm 90"), and one written month first
#: (7/15/1990): refused saying so.
_SHORT_YEAR_DATE = re.compile(
    r"(?:(?:ngày|ngay)\s*)?([0-9]{1,2})\s*(?:(" + _DMY_SEPARATORS + r")\s*([0-9]{1,2})\s*\2"
    r"|(tháng|thang)\s*([0-9]{1,2})\s*(?:,\s*)?(?:năm|nam))\s*([0-9]{2})",
    re.IGNORECASE,
)
_EXCEL_SERIAL_TEXT = re.compile(r"[0-9]{5}(?:\.[0-9]+)?")
#: A date with a time of day after it ("24/12/1985 17:00", "1985-12-25T07:30:00", "24/12/1985 5:00:00 PM"):
#: refused saying so.
_DATE_AND_TIME = re.compile(
    r"(.*?[0-9])[T ]\s*([0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?)(?:\.[0-9]+)?(\s*[AaPp]\.?[Mm]\.?)?"
    r"\s*(?:Z|[+-][0-9:]{2,5})?"
)
#: A day, a month's English name (or its first three letters) and a year: "01-Feb-1990", "1 February 1990", as
#: a CSV written from a date column formatted d-mmm-yyyy has it. Day first: never ambiguous.
_MONTH_NAME_DATE = re.compile(r"([0-9]{1,2})\s*[-/. ]\s*([A-Za-z]{3,9})\.?\s*[-/. ]\s*([0-9]{4})")
_MONTHS: tuple[str, ...] = ("january", "february", "march", "april", "may", "june", "july", "august", "september")
_MONTHS += ("october", "november", "december")
_MONTH_NAMES = {name: n for n, month in enumerate(_MONTHS, 1) for name in (month, month[:3])} | {"sept": 9}


def excel_serial_to_date(serial: float) -> date | None:
    """A date from an Excel serial number (1900 date system, with its fictitious 29 February 1900)."""
    if not math.isfinite(serial):
        return None
    n = math.floor(serial)
    if n < 1 or n == 60:
        return None
    base = date(1899, 12, 31) if n < 60 else date(1899, 12, 30)
    try:
        return base + timedelta(days=n)
    except (OverflowError, ValueError):
        return None


def _make_date(year: str, month: str, day: str) -> date | None:
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


def parse_date(value: object) -> date | None:
    """A date from a date, an ISO ``YYYY-MM-DD``, ``dd/mm/yyyy`` (or ``-`` / ``.``, one or two digit
    day and month, spaces around the separators; a midnight time after it is dropped), ``yyyy/mm/dd``,
    the Vietnamese written form ("ngày 15 tháng 7 năm 1990"; "Ngày 15/07/1990") or an Excel serial number;
    None when empty or not a real date. Never raises.
    """
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        try:
            return excel_serial_to_date(float(value))
        except OverflowError:
            return None
    text = _date_text(value)
    if match := _DMY_DATE.fullmatch(text):  # as nearly every text date is
        return _make_date(match.group(4), match.group(3), match.group(1))
    if _EXCEL_SERIAL_TEXT.fullmatch(text):
        return excel_serial_to_date(float(text))
    if (words := _DATE_WORDS.match(text)) and words.end() < len(text) and not _VI_DATE.fullmatch(text):
        text = text[words.end() :]  # "Ngày 15/07/1990": a written date after the words, never a serial
    return _parse_written_date(text)


def _date_text(value: object) -> str:
    """A date's text as the date rules read it: NFKC, trimmed, without the invisible format characters every
    text is read without (`_visible`: a zero-width space, a BOM, a soft hyphen, the left-to-right mark
    Windows puts in a date it copies, …)."""
    text = value if type(value) is str else _as_text(value)
    # (the invisible characters are not printable: a plain date is left alone). A control character is
    # kept, and the date refused: it may stand for a lost digit ("1\x01/06/1985"), as in a name.
    if not text.isprintable() and _control_character(text) is None:
        text = _visible(text)
    return unicodedata.normalize("NFKC", text).strip()


def _parse_written_date(text: str) -> date | None:
    """A date written with separators or in words (`parse_date`), not a serial number."""
    if match := _DMY_DATE.fullmatch(text):
        return _make_date(match.group(4), match.group(3), match.group(1))
    if match := _ISO_DATE.fullmatch(text):
        return _make_date(match.group(1), match.group(2), match.group(3))
    if match := _YMD_DATE.fullmatch(text):
        return _make_date(match.group(1), match.group(3), match.group(4))
    if match := _VI_DATE.fullmatch(text):
        return _make_date(match.group(3), match.group(2), match.group(1))
    if (match := _MONTH_NAME_DATE.fullmatch(text)) and (month := _MONTH_NAMES.get(match.group(2).lower())):
        return _make_date(match.group(3), str(month), match.group(1))
    if match := _SPACED_DATE.fullmatch(text):
        return _make_date(match.group(3), match.group(2), match.group(1))
    return None


#: A year alone, as a number or a text: 1900–2100 (as Excel serials, days in 1905, refused anyway).
_YEARS = range(1900, 2101)
#: A date typed without separators as a number (1021990, 19900201: beyond any serial in use) or a text.
_UNSEPARATED_DATES = range(1_000_000, 100_000_000)
_DIGITS_TEXT = re.compile(r"[0-9]{4}|[0-9]{7,8}")


def parse_date_of_birth(value: object, field: str = "date_of_birth") -> tuple[date | None, list[Problem]]:
    """:func:`parse_date` with a problem: empty → (None, []), unreadable → ``date_of_birth_format``.

    A year alone (1900–2100, a number or a text) and a date without separators (a number or a text
    of 7 or 8 digits: 1021990, "01021990") are refused so too, with a message saying so: never
    guessed, nor read as an Excel serial (a 5-digit serial, and its text, are read as dates).
    """
    if type(value) is date:
        return value, []  # fast path, same result (a date cell, a form's or the API's date)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, []
    parsed = parse_date(value)
    if parsed is None:
        return None, [_unreadable_date_of_birth(value, field)]
    if type(value) is float or type(value) is int:
        # a year, or a date without separators, read as a serial; or a serial with a time of day
        problem = _number_not_a_date(value, parsed, field)
    elif type(value) is str and "." in value and _EXCEL_SERIAL_TEXT.fullmatch(serial := _date_text(value)):
        problem = _serial_time(float(serial), parsed, field)  # "32874.75": its text
    else:
        return parsed, []
    return (None, [problem]) if problem is not None else (parsed, [])


def _number_not_a_date(value: float, parsed: date, field: str) -> Problem | None:
    """The problem of a number that is a year alone or a date without separators, or a serial with a time
    of day (`_serial_time`); None for a serial of a whole day."""
    if not math.isfinite(value):
        return None
    if value != int(value):
        return _serial_time(value, parsed, field)
    number = int(value)
    if number in _YEARS:
        return _year_alone(str(number), field)
    if number in _UNSEPARATED_DATES:
        return _unseparated_date(str(number), field)
    return None


def _unreadable_date_of_birth(value: object, field: str) -> Problem:
    text = _date_text(value)
    if (words := _DATE_WORDS.match(text)) and words.end() < len(text) and not _SHORT_YEAR_DATE.fullmatch(text):
        text = text[words.end() :]  # "Ngày 7/15/1990": the date after the words says what is wrong
    if _DIGITS_TEXT.fullmatch(text):
        if len(text) != 4:
            return _unseparated_date(text, field)
        if int(text) in _YEARS:
            return _year_alone(text, field)
    if (timed := _DATE_AND_TIME.fullmatch(text)) and parse_date(timed.group(1)) is not None:
        return _time_of_day(text, timed.group(2) + (timed.group(3) or ""), field)
    if match := _SHORT_YEAR_DATE.fullmatch(text):
        year = match.group(6)
        if 2000 + int(year) > timezone.localdate().year:  # born in 20yy would be in the future: 19yy
            message = format_lazy(
                _("The year of the date of birth ({value}) has two digits: type it with four (19{year}?)."),
                value=text,
                year=year,
            )
        else:
            message = format_lazy(
                _(
                    "The year of the date of birth ({value}) has two digits, which do not tell the century: type "
                    "it with four (19{year} or 20{year})."
                ),
                value=text,
                year=year,
            )
        return Problem(field, "date_of_birth_format", message)
    if (match := _DMY_DATE.fullmatch(text)) and int(match.group(1)) <= 12 < int(match.group(3)) <= 31:
        day_first = f"{int(match.group(3)):02d}/{int(match.group(1)):02d}/{match.group(4)}"
        if _make_date(match.group(4), match.group(1), match.group(3)) is not None:
            message = format_lazy(
                _(
                    "The date of birth {value} seems written month first ({month} is no month): type it day "
                    "first, {day_first}, if that is the date."
                ),
                value=text,
                month=int(match.group(3)),
                day_first=day_first,
            )
            return Problem(field, "date_of_birth_format", message)
    return Problem(field, "date_of_birth_format", _("The date of birth must be a real date, as dd/mm/yyyy."))


def _time_of_day(value: str, time_text: str, field: str) -> Problem:
    """A date of birth with a time of day other than midnight: a date-time cell's (`columns.clean_date` gives
    it as its text), a text's, a serial number's with a fraction of a day."""
    message = format_lazy(
        _(
            "The date of birth ({value}) holds a time of day ({time}): a date and time shifted by a time zone "
            "may be another day's. Type the date alone, as dd/mm/yyyy."
        ),
        value=value,
        time=time_text,
    )
    return Problem(field, "date_of_birth_format", message)


def _serial_time(serial: float, parsed: date, field: str) -> Problem | None:
    """The problem of an Excel serial with a fraction of a day (32874.75 is 18:00 on 1 January 1990: a General
    cell holding a date and time), refused as a date-time cell with a time of day is (`columns.clean_date`:
    its time to the minute, so a fraction under a minute is midnight there and here); None for a whole day."""
    minutes = min(round((serial - math.floor(serial)) * 86_400_000) // 60_000, 1439)  # to the ms first, as Excel
    if minutes == 0:
        return None
    time_text = f"{minutes // 60:02d}:{minutes % 60:02d}"
    return _time_of_day(f"{parsed:%d/%m/%Y} {time_text}", time_text, field)


def _year_alone(value: str, field: str) -> Problem:
    message = format_lazy(
        _("Only a year ({value}) was typed: the date of birth must be a whole date, as dd/mm/yyyy."), value=value
    )
    return Problem(field, "date_of_birth_format", message)


def _unseparated_date(value: str, field: str) -> Problem:
    message = format_lazy(_("The date of birth ({value}) has no separators: type it as dd/mm/yyyy."), value=value)
    return Problem(field, "date_of_birth_format", message)


def years_before(today: date, years: int) -> date:
    """The same day ``years`` earlier (28 February for a 29 February that does not exist)."""
    year = today.year - years
    if year < date.min.year:
        return date.min
    try:
        return today.replace(year=year)
    except ValueError:
        return today.replace(year=year, day=28)


def age_on(date_of_birth: date, today: date) -> int:
    """Age in whole years on ``today``."""
    return today.year - date_of_birth.year - ((today.month, today.day) < (date_of_birth.month, date_of_birth.day))


def is_child_on(date_of_birth: date | None, today: date) -> bool:
    """Under 14 on ``today``."""
    return date_of_birth is not None and date_of_birth <= today and age_on(date_of_birth, today) < CHILD_AGE


def check_date_of_birth(d: date | None, today: date, field: str = "date_of_birth") -> list[Problem]:
    """Not in the future, at most 120 years ago. None is not checked here (see ``date_of_birth_required``)."""
    if d is None:
        return []
    if d > today:
        return [Problem(field, "date_of_birth_future", _("The date of birth cannot be in the future."))]
    if d < years_before(today, MAX_AGE_YEARS):
        return [
            Problem(
                field,
                "date_of_birth_too_old",
                format_lazy(_("The date of birth cannot be more than {years} years ago."), years=MAX_AGE_YEARS),
            )
        ]
    return []


# --------------------------------------------------------------------------------------------
# Small fields
# --------------------------------------------------------------------------------------------


def normalize_sex(s: object) -> str | None:
    """``M`` / ``F`` (also from male/female, nam/nữ, nam giới/nữ giới, any case, with or without diacritics);
    None when empty; unknown text kept."""
    text = normalize_text(s)
    if not text:
        return None
    return _sex_alias(text)


@functools.lru_cache(maxsize=1024)  # a handful of spellings (M, Nam, nữ, Female …) over and over
def _sex_alias(text: str) -> str:
    return _SEX_ALIASES.get(search_name(text), text)


def normalize_nationality(s: object) -> str:
    """ISO alpha-2 in upper case; ``VN`` when empty. A country's name, in Vietnamese or English, with or
    without marks, or a common alpha-3 code, is its code (`country_code`: "Hàn Quốc", "Korea",
    "KOR" → ``KR``). Two ASCII letters that are a country's code are that code ("MY" Malaysia, "kr" Korea),
    but two that are also a country's name typed without its marks ("My": Mỹ, the United States, or
    Malaysia?) are kept as typed, refused by the check: never guessed; two that are no country's code are a
    name's ("UK" is GB) or refused (``ZZ``). Other text is kept (and refused by the check)."""
    text = normalize_text(s)
    if not text:
        return "VN"
    if text in COUNTRY_NAMES:
        return text  # a code, as nearly every row has it
    letters = "".join(ch for ch in text if ch.isalpha())
    if text.isascii() and len(letters) <= 2 and "/" not in text:  # a code with marks around ("MY.", "(kr)"): not N/A
        if len(letters) < 2:
            return text.upper()
        upper = letters.upper()
        if upper not in COUNTRY_NAMES:  # no country's code: a name's ("UK" is GB), or refused by the check
            return country_code(upper) or upper
        if letters.isupper():
            return upper
        named = country_code(letters)
        return text if named is not None and named != upper else upper
    code = country_code(text)
    if code is not None:
        return code
    return text.upper() if text.isascii() else text


def normalize_code(s: object) -> str:
    """A reference code (ward, priority group): trimmed, no inner whitespace."""
    return unicodedata.normalize("NFC", "".join(normalize_text(s).split()))


# --------------------------------------------------------------------------------------------
# The whole record
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonInput:
    """A person's identifying data as entered (form, API, import row)."""

    full_name: str | None = ""
    date_of_birth: date | None = None
    sex: str | None = None
    phone: str | None = ""
    id_type: str | None = None
    id_number: str | None = ""
    health_insurance_number: str | None = ""
    nationality: str | None = "VN"
    ethnicity: str | None = ""
    occupation: str | None = ""
    priority_group: str | None = None
    ward_code: str | None = None
    address_line: str | None = ""
    is_child: bool = False


_INPUT_FIELDS = fields(PersonInput)
_INPUT_NAMES = frozenset(f.name for f in _INPUT_FIELDS)
_INPUT_DEFAULTS = {f.name: f.default for f in _INPUT_FIELDS if f.default is not MISSING_VALUE}
_INPUT_FACTORIES = [(f.name, f.default_factory) for f in _INPUT_FIELDS if f.default_factory is not MISSING_VALUE]
_new_object = object.__new__


def person_input(values: dict[str, object]) -> PersonInput:
    """`PersonInput(**values)`, for the importer's hundred thousand rows: the frozen class's constructor
    sets its fields one `object.__setattr__` at a time; this sets them at once. An equal instance (a
    PersonInput has no `__post_init__`; test_identity_fast_paths checks both), and an unknown field is
    refused as the constructor refuses it."""
    if not values.keys() <= _INPUT_NAMES:
        raise TypeError(f"PersonInput has no fields {sorted(values.keys() - _INPUT_NAMES)}")
    made = _new_object(PersonInput)
    attrs = made.__dict__
    attrs.update(_INPUT_DEFAULTS)
    for name, factory in _INPUT_FACTORIES:
        if name not in values:
            attrs[name] = factory()
    attrs.update(values)
    return made


def input_replaced(data: PersonInput, **changes: object) -> PersonInput:
    """`dataclasses.replace(data, **changes)` at the cost of one copy (see `person_input`)."""
    if not changes.keys() <= _INPUT_NAMES:
        raise TypeError(f"PersonInput has no fields {sorted(changes.keys() - _INPUT_NAMES)}")
    made = _new_object(PersonInput)
    made.__dict__.update(data.__dict__, **changes)
    return made


@dataclass(frozen=True)
class PersonCheck:
    """The outcome of :func:`check_person`."""

    normalized: PersonInput
    invalid: list[Problem] = field(default_factory=list)
    missing: list[Problem] = field(default_factory=list)

    @property
    def data_status(self) -> Literal["invalid", "incomplete", "complete"]:
        if self.invalid:
            return "invalid"
        if self.missing:
            return "incomplete"
        return "complete"

    @property
    def problems(self) -> list[Problem]:
        """Invalid problems first, then missing ones."""
        return [*self.invalid, *self.missing]

    @property
    def codes(self) -> list[str]:
        return [p.code for p in self.problems]


def _nationality_problem(nationality: str) -> Problem:
    """Two letters that are a code and a country's name without its marks ("My": Mỹ, or Malaysia's MY?)
    say so; anything else asks for the code."""
    is_code = len(nationality) == 2 and nationality.isascii() and nationality.upper() in COUNTRY_NAMES
    named = country_code(nationality) if is_code else None
    if named is not None:
        message: Message = format_lazy(
            _(
                "“{value}” may be the code {code} or a country's name typed without its marks ({named}): type "
                "the two-letter code in capitals."
            ),
            value=nationality,
            code=nationality.upper(),
            named=lazy(country_name, str)(named),  # in the reader's language
        )
    else:
        message = _("The nationality is no country known: type its two-letter code (VN, KR, US …).")
    return Problem("nationality", "nationality_format", message)


def _country_key(name: str) -> str:
    """A country's name compared as names are (`search_name`), its spaces and signs dropped."""
    return "".join(ch for ch in search_name(name) if ch.isalnum())


@functools.cache
def _codes_by_name() -> dict[str, str]:
    """The country table's names (Vietnamese, English) and its aliases by their comparison form → the
    code; a form two countries share is left out."""
    found: dict[str, set[str]] = {}
    named = [(name, code) for code, names in COUNTRY_NAMES.items() for name in names]
    for name, code in [*named, *COUNTRY_ALIASES.items()]:
        found.setdefault(_country_key(name), set()).add(code)
    return {key: codes.pop() for key, codes in found.items() if len(codes) == 1 and key}


def country_code(name: str) -> str | None:
    """The alpha-2 code of a country typed by its name, in Vietnamese or English, with or without marks
    ("Hàn Quốc", "Han Quoc", "Korea", "Mỹ", "My"), or by a common alpha-3 code ("KOR"); None otherwise
    (never a name two countries share)."""
    return _codes_by_name().get(_country_key(name))


def _is_country_code(text: str) -> bool:
    """A country's code (`COUNTRY_NAMES`): two capitals of no country (``ZZ``) are none."""
    return text in COUNTRY_NAMES


def _missing(field_name: str, code: str, message: Message) -> Problem:
    return Problem(field_name, code, message, MISSING)


def check_person(data: PersonInput, *, today: date) -> PersonCheck:
    """Normalize every field and sort what is wrong into ``invalid`` (refuse) and ``missing`` (incomplete).

    The normalized record uses ``""`` for empty text, ``None`` for an empty sex / priority group /
    ward, E.164 for a valid phone, ``VN`` for an empty nationality. An empty document type with no
    number becomes ``none``. ``is_child`` is true when given or when the person is under 14 on ``today``.
    """
    invalid: list[Problem] = []
    missing: list[Problem] = []

    # name (a foreigner's name is not judged for an old Vietnamese encoding: "Loïc" is no VNI "Lọc")
    nationality = normalize_nationality(data.nationality)
    full_name = normalize_name(data.full_name)
    legacy = check_text_encoding(data.full_name, "full_name", full_name, old_encodings=nationality == "VN")
    kept = legacy or _control_characters(data.full_name, "full_name")
    invalid += kept or _check_normalized_name(full_name)  # one reason for the cell
    if nationality == "VN" and not invalid:
        invalid += _misplaced_tone(data.full_name, full_name)
    if kept:
        full_name = str(data.full_name)  # kept as typed: the refusal stands when checked again

    # date of birth (tolerate a string slipping through the type)
    dob: date | None = None
    # The date the document's number is compared with: none once the date is refused (a birth in 2030 blamed the
    # CCCD's right digits as well, and a clerk may "fix" the number).
    dob_compared: date | None = None
    raw_dob: object = data.date_of_birth
    if raw_dob is None or (isinstance(raw_dob, str) and not raw_dob.strip()):
        invalid.append(Problem("date_of_birth", "date_of_birth_required", _("The date of birth is required.")))
    else:
        dob, dob_problems = parse_date_of_birth(raw_dob)
        dob_problems = dob_problems + check_date_of_birth(dob, today)
        invalid += dob_problems
        dob_compared = None if dob_problems else dob
    is_child = bool(data.is_child) or is_child_on(dob, today)

    # sex
    sex = normalize_sex(data.sex)
    if sex is None:
        invalid.append(Problem("sex", "sex_required", _("The sex is required.")))
    elif sex not in SEXES:
        invalid.append(Problem("sex", "sex_format", _("The sex must be male (M) or female (F).")))

    # nationality
    if not _is_country_code(nationality):
        invalid.append(_nationality_problem(nationality))

    # identity document
    id_type = normalize_id_type(data.id_type)
    id_number = normalize_id_number(id_type, data.id_number)
    if id_type is not None and id_type not in ID_TYPES:
        invalid.append(
            Problem("id_type", "id_type_format", _("The document type must be CCCD, CMND, passport or none."))
        )
    elif id_number:
        document: list[Problem] = []
        if id_type in (None, "none"):
            id_type = infer_id_type(data.id_number, nationality)  # the raw value: was it a number?
            if id_type is None:
                document.append(
                    Problem(
                        "id_type",
                        "id_type_required",
                        _("The document type is required: the number is not a CCCD, CMND or passport number."),
                    )
                )
            else:
                id_number = normalize_id_number(id_type, data.id_number)
        checked_sex = sex if sex in SEXES else None
        if id_type == "cccd":  # id_number is normalized as a CCCD number already (above)
            document += _check_normalized_cccd(id_number, dob_compared, checked_sex, "id_number")
        elif id_type == "cmnd":
            document += check_cmnd(id_number, dob_compared, checked_sex)
        elif id_type == "passport":
            document += check_passport(id_number, nationality)
        if document:  # (the raw value: the normalized one has lost the notation's dot)
            codes, the_number = ("id_number_format", "id_type_required"), ("id_number", "id_number_format")
            invalid += _scientific_problems(document, data.id_number, codes, the_number=the_number)
    else:
        if id_type is None:
            id_type = "none"
        if not (id_type == "none" and is_child):
            missing.append(_missing("id_number", "id_document_missing", _("The identity document number is missing.")))

    # health insurance (optional)
    health_insurance_number = normalize_health_insurance(data.health_insurance_number)
    invalid += _check_normalized_health_insurance(
        health_insurance_number, data.health_insurance_number, "health_insurance_number"
    )

    # phone
    phone = normalize_phone(data.phone)
    if phone is None:
        raw_phone = normalize_text(data.phone)
        if raw_phone:
            invalid.append(_phone_problem("phone", data.phone))
        else:
            missing.append(_missing("phone", "phone_missing", _("The phone number is missing.")))
        phone = raw_phone

    # place and group
    ward_code = normalize_code(data.ward_code) or None
    if ward_code is None:
        missing.append(_missing("ward_code", "ward_missing", _("The ward or commune is missing.")))
    priority_group = normalize_code(data.priority_group) or None
    if priority_group is None:
        missing.append(_missing("priority_group", "priority_group_missing", _("The priority group is missing.")))
    address_line = normalize_text(data.address_line)
    if not address_line:
        missing.append(_missing("address_line", "address_missing", _("The address is missing.")))

    texts = {
        "ethnicity": normalize_text(data.ethnicity),
        "occupation": normalize_text(data.occupation),
        "address_line": address_line,
    }
    for name, value in texts.items():
        if legacy := check_text_encoding(getattr(data, name), name, value):
            invalid += legacy
            texts[name] = getattr(data, name)  # kept as typed, as the name is
            continue
        limit = TEXT_MAX_LENGTHS[name]
        if len(value) > limit:
            invalid.append(
                Problem(
                    name, "text_too_long", format_lazy(_("This text must be at most {max} characters long."), max=limit)
                )
            )

    # Every field of the input carried, never dropped (a field added to PersonInput later too).
    normalized = input_replaced(
        data,
        full_name=full_name,
        date_of_birth=dob,
        sex=sex,
        phone=phone,
        id_type=id_type,
        id_number=id_number,
        health_insurance_number=health_insurance_number,
        nationality=nationality,
        ethnicity=texts["ethnicity"],
        occupation=texts["occupation"],
        priority_group=priority_group,
        ward_code=ward_code,
        address_line=texts["address_line"],
        is_child=is_child,
    )
    return PersonCheck(normalized=normalized, invalid=invalid, missing=missing)
