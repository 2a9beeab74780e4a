"""Spreadsheet quirks the identity rules undo or refuse, found by a red team through the roster import:
invisible characters in a text date, zero-width spaces and stray marks in a name, a serial date with a
time of day, text dates in other shapes, a social insurance number that lost its zero in a CSV, a
thousands-grouped document number, and a truth value, a date or a duration in a text field."""

import unicodedata
from datetime import date, datetime, time, timedelta

import pytest
from django.utils import translation

from vaxbook.registry.identity import (
    PersonInput,
    Problem,
    check_person,
    check_text_encoding,
    normalize_text,
    parse_date,
    parse_date_of_birth,
)

TODAY = date(2025, 7, 1)

#: A zero-width space, a BOM, a soft hyphen, a word joiner, a left-to-right mark (Windows copies a date with it).
INVISIBLE = ["\u200b", "\ufeff", "\u00ad", "\u2060", "\u200e"]

PERSON = PersonInput(
    full_name="Nguyễn Văn An",
    date_of_birth=date(1985, 5, 1),
    sex="M",
    phone="0912345678",
    id_type="cccd",
    id_number="001085012345",
    nationality="VN",
    ethnicity="Kinh",
    occupation="Giáo viên",
    priority_group="7",
    ward_code="26734",
    address_line="12 Lê Lợi",
)


def english(problem: Problem) -> str:
    with translation.override("en"):
        return str(problem.message)


def checked(**changes: object) -> tuple[PersonInput, list[Problem]]:
    result = check_person(PersonInput(**{**PERSON.__dict__, **changes}), today=TODAY)
    return result.normalized, result.invalid


# --------------------------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("junk", INVISIBLE)
@pytest.mark.parametrize("where", ["{}15/06/1985", "15/06/1985{}", "15/{}06/1985", "15/06/19{}85"])
def test_an_invisible_character_in_a_text_date_is_dropped(junk: str, where: str) -> None:
    assert parse_date_of_birth(where.format(junk)) == (date(1985, 6, 15), [])


def test_a_control_character_in_a_text_date_is_kept_and_refused() -> None:
    """It may stand for a lost digit ("1\x01/06/1985" may be 11 or 19 June): never read as 1 June."""
    parsed, (problem,) = parse_date_of_birth("1\x01/06/1985")
    assert parsed is None and problem.code == "date_of_birth_format"


@pytest.mark.parametrize(
    ("value", "shown", "time"),
    [
        (32874.75, "01/01/1990 18:00", "18:00"),  # a General cell holding a date and time
        ("32874.75", "01/01/1990 18:00", "18:00"),  # its text in a CSV
        (32874.5, "01/01/1990 12:00", "12:00"),
        ("01/02/1990 12:00:00 PM", "01/02/1990 12:00:00 PM", "12:00:00 PM"),
        ("01/02/1990 1:00:00 AM", "01/02/1990 1:00:00 AM", "1:00:00 AM"),
    ],
)
def test_a_serial_or_a_text_date_with_a_time_of_day_is_refused_as_a_date_time_cell_is(
    value: object, shown: str, time: str
) -> None:
    parsed, (problem,) = parse_date_of_birth(value)
    assert parsed is None and problem.code == "date_of_birth_format"
    assert english(problem) == (
        f"The date of birth ({shown}) holds a time of day ({time}): a date and time shifted by a time zone may "
        "be another day's. Type the date alone, as dd/mm/yyyy."
    )


@pytest.mark.parametrize("value", [32874.0, 32874.00001, "32874.0", 32874])
def test_a_serial_of_a_whole_day_is_a_date(value: object) -> None:
    """Under a minute is midnight, as for a date-time cell (`columns.clean_date` gives its time to the minute)."""
    assert parse_date_of_birth(value) == (date(1990, 1, 1), [])


@pytest.mark.parametrize(
    "value",
    [
        "01/02/1990 12:00:00 AM",  # midnight on a 12-hour clock
        "01/02/1990 12:00 am",
        "01/02/1990 12:00 a.m.",
        "01–02–1990",  # en dash
        "01‐02‐1990",  # U+2010 hyphen
        "01‑02‑1990",  # U+2011 non-breaking hyphen
        "01 02 1990",
        "1 2 1990",
        "01 02 1990 00:00",
    ],
)
def test_other_shapes_of_a_day_first_text_date(value: str) -> None:
    assert parse_date(value) == date(1990, 2, 1)
    assert parse_date_of_birth(value) == (date(1990, 2, 1), [])


@pytest.mark.parametrize("value", ["01–02/1990", "01 02/1990", "32 01 1990", "01  02  90"])
def test_mixed_or_impossible_shapes_are_still_refused(value: str) -> None:
    parsed, (problem,) = parse_date_of_birth(value)
    assert parsed is None and problem.code == "date_of_birth_format"


def test_a_month_first_date_with_an_en_dash_says_so() -> None:
    _parsed, (problem,) = parse_date_of_birth("07–15–1990")
    assert "seems written month first" in english(problem)


# --------------------------------------------------------------------------------------------
# Zero-width spaces
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Nguy\u200bễn Văn An", "Nguyễn Văn An"),  # inside a syllable: nothing
        # In capitals nothing tells a word's inside from two words ("THỊ\u200bA", "THU\u200bY"): a space, as before
        ("NGUY\u200bỄN VĂN AN", "NGUY ỄN VĂN AN"),
        ("NGUYỄN THỊ\u200bA", "NGUYỄN THỊ A"),
        ("LÊ THU\u200bY", "LÊ THU Y"),
        ("PHAN\u200bHOA\u200bI", "PHAN HOA I"),
        ("NGÔ\u200bI", "NGÔ I"),
        ("Ng\u200buy\u200bễn", "Nguyễn"),
        ("Tr\u200bần", "Trần"),
        ("Nguye\u200b\u0302\u0303n", "Nguyễn"),  # before a combining mark: it belongs to the letter before
        ("Lê\u200bVăn\u200bTám", "Lê Văn Tám"),  # between words: a space, as before
        ("Nguyễn Thị\u200bA", "Nguyễn Thị A"),  # "thịa" is a syllable, but a capital begins a word
        ("Số\u200b12 Lê Lợi", "Số 12 Lê Lợi"),
        ("Số 1\u200b2", "Số 12"),  # between digits: nothing
        ("Lê \u200b Lợi", "Lê Lợi"),
        ("\u200bLê Lợi\u200b", "Lê Lợi"),
        ("Mül\u200bler", "Mül ler"),  # no Vietnamese syllable: a space, as before (it cannot be told)
    ],
)
def test_a_zero_width_space_is_a_space_between_words_and_nothing_inside_one(text: str, expected: str) -> None:
    assert normalize_text(text) == expected
    assert normalize_text(expected) == expected


@pytest.mark.parametrize("field", ["full_name", "occupation", "ethnicity", "address_line"])
def test_a_zero_width_space_inside_a_word_is_dropped_in_every_text_field(field: str) -> None:
    value = {"full_name": "Nguyễn Văn An", "occupation": "Giáo viên", "ethnicity": "Kinh", "address_line": "12 Lê Lợi"}
    typed = value[field].replace("i", "i\u200b", 1).replace("ễ", "\u200bễ", 1)
    normalized, invalid = checked(**{field: typed})
    assert getattr(normalized, field) == value[field] and invalid == []


# --------------------------------------------------------------------------------------------
# A truth value, a date or a duration in a text field
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["full_name", "occupation", "ethnicity", "address_line"])
@pytest.mark.parametrize(
    ("value", "what", "shown"),
    [
        (True, "a truth value", "TRUE"),
        (False, "a truth value", "FALSE"),
        (datetime(1985, 6, 15, 13, 30), "a date and time", "15/06/1985 13:30"),
        (datetime(1985, 6, 15), "a date", "15/06/1985"),
        (date(1985, 6, 15), "a date", "15/06/1985"),
        (time(13, 30), "a time of day", "13:30:00"),
        (timedelta(days=31213, hours=12), "a duration", "749124:00:00"),
    ],
)
def test_a_cell_of_another_kind_in_a_text_field_is_refused_naming_it(
    field: str, value: object, what: str, shown: str
) -> None:
    """Saved before as Python's form of it: a person named "True", an address "1985-06-15 13:30:00"."""
    _normalized, invalid = checked(**{field: value})
    (problem,) = [p for p in invalid if p.field == field]
    assert problem.code == "text_not_text"
    assert english(problem).startswith(f"This cell holds {what} (“{shown}”), not a text")
    with translation.override("vi"):
        assert str(problem.message).startswith("Ô này chứa ")


def test_a_department_of_another_kind_is_refused_by_the_same_rule() -> None:
    (problem,) = check_text_encoding(True, "department", "TRUE")
    assert (problem.field, problem.code) == ("department", "text_not_text")


@pytest.mark.parametrize("value", [12, 12.0, "TRUE", "15/06/1985"])
def test_a_number_or_a_text_in_a_text_field_is_read_as_before(value: object) -> None:
    normalized, invalid = checked(address_line=value)
    assert invalid == [] and normalized.address_line == str(value).removesuffix(".0")


# --------------------------------------------------------------------------------------------
# Stray marks in a name
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["\u0301Nguyễn Văn An", "Nguyễn \u0301Văn An", "Nguyễn Văn-\u0301An"])
def test_a_mark_of_no_letter_is_refused_naming_the_name(name: str) -> None:
    _normalized, invalid = checked(full_name=name)
    (problem,) = invalid
    assert (problem.field, problem.code) == ("full_name", "full_name_format")
    assert "belongs to no letter" in english(problem)


@pytest.mark.parametrize(("name", "letter"), [("Nguyễn Văn An\u0301", "n"), ("Nguyễn Văn Ab\u0301", "b")])
def test_a_tone_typed_on_a_consonant_is_refused_not_dropped(name: str, letter: str) -> None:
    """ "An\u0301" became "Ań", a letter Vietnamese does not have; dropping the mark would save "An" where
    "Án" may be meant: refused."""
    _normalized, invalid = checked(full_name=name)
    (problem,) = invalid
    assert (problem.field, problem.code) == ("full_name", "full_name_format")
    assert f"on the letter “{letter}”" in english(problem)
    with translation.override("vi"):
        assert str(problem.message).startswith("Họ và tên có một dấu")


@pytest.mark.parametrize(
    "name",
    [
        "Nguye\u0302\u0303n Va\u0306n An",  # decomposed Vietnamese: composed, saved
        "Nguyễn Văn An",
        "Ngô Bảo Châu",
    ],
)
def test_decomposed_vietnamese_is_composed_and_saved(name: str) -> None:
    normalized, invalid = checked(full_name=name)
    assert invalid == [] and normalized.full_name == unicodedata.normalize("NFC", name)


def test_a_foreigners_name_is_not_judged_for_vietnamese_tones() -> None:
    """ "Bień" (Polish) typed decomposed: a foreigner's name is not Vietnamese."""
    foreigner = {"nationality": "PL", "id_type": "passport", "id_number": "AB123456"}
    _normalized, invalid = checked(full_name="Anna Bien\u0301", **foreigner)
    assert invalid == []


# --------------------------------------------------------------------------------------------
# Numbers: a social insurance number's lost zero, thousands grouping
# --------------------------------------------------------------------------------------------


def test_a_social_insurance_number_that_lost_its_zero_in_a_text_says_so() -> None:
    """From a numeric cell the zero is given back; from a text (a CSV saved from such cells) nothing tells a
    lost zero from a CMND typed in the wrong column or a digit left out: refused, naming the number."""
    assert checked(health_insurance_number=123456789) == (checked(health_insurance_number="0123456789")[0], [])
    _normalized, (problem,) = checked(health_insurance_number="123456789")
    assert (problem.field, problem.code) == ("health_insurance_number", "health_insurance_format")
    assert "If it is 0123456789, it lost its leading zero" in english(problem)
    with translation.override("vi"):
        assert "0123456789" in str(problem.message) and "mất chữ số 0" in str(problem.message)


@pytest.mark.parametrize("value", ["79,090,001,234", "79.090.001.234", "79 090 001 234", "079,090,001,234"])
def test_a_document_number_grouped_by_thousands_is_read(value: str) -> None:
    normalized, invalid = checked(id_number=value, date_of_birth=date(1990, 1, 1), sex="M")
    assert normalized.id_number == "079090001234" and invalid == []


@pytest.mark.parametrize("value", ["79,090001,234", "7,9090,001,234", "79,090.001,234"])
def test_a_number_with_commas_elsewhere_is_refused(value: str) -> None:
    _normalized, invalid = checked(id_number=value, date_of_birth=date(1990, 1, 1), sex="M")
    assert [p.code for p in invalid] == ["id_number_format"]
