"""Tests of the identity rules (vaxbook.registry.identity). No database needed."""

import unicodedata
from datetime import date, datetime

import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from vaxbook.registry.identity import (
    _CODE_SEPARATORS,
    _PHONE_SEPARATORS,
    CODES,
    PROVINCE_CODES,
    PersonCheck,
    PersonInput,
    Problem,
    _compact_code,
    check_cccd,
    check_cmnd,
    check_date_of_birth,
    check_health_insurance,
    check_name,
    check_passport,
    check_person,
    check_phone,
    excel_serial_to_date,
    infer_id_type,
    national_phone,
    normalize_code,
    normalize_health_insurance,
    normalize_id_number,
    normalize_name,
    normalize_nationality,
    normalize_phone,
    normalize_sex,
    normalize_text,
    parse_date,
    parse_date_of_birth,
    restore_leading_zero_id,
    search_name,
)

TODAY = date(2025, 7, 1)


def codes(problems: list[Problem]) -> list[str]:
    return [p.code for p in problems]


# --------------------------------------------------------------------------------------------
# Reference data and Problem
# --------------------------------------------------------------------------------------------


def test_there_are_63_province_codes() -> None:
    assert len(PROVINCE_CODES) == 63
    assert {"001", "075", "079", "096"} <= PROVINCE_CODES
    assert all(len(c) == 3 and c.startswith("0") and c.isdigit() for c in PROVINCE_CODES)


def test_problem_as_dict_renders_the_message() -> None:
    (problem,) = check_phone("01234")
    d = problem.as_dict()
    assert d["field"] == "phone"
    assert d["code"] == "phone_format"
    assert d["kind"] == "invalid"
    assert isinstance(d["message"], str) and d["message"]


# --------------------------------------------------------------------------------------------
# CCCD
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "dob", "sex"),
    [
        ("001085012345", date(1985, 5, 1), "M"),  # Hà Nội, male, 1900s
        ("001185012345", date(1985, 5, 1), "F"),  # female, 1900s
        ("079203012345", date(2003, 1, 31), "M"),  # TP HCM, male, 2000s
        ("079303012345", date(2003, 1, 31), "F"),  # female, 2000s
        ("096400012345", date(2100, 6, 1), "M"),  # Cà Mau, male, 2100s
        ("096500012345", date(2100, 6, 1), "F"),
        ("075601012345", date(2201, 6, 1), "M"),  # Đồng Nai, 2200s
        ("075701012345", date(2201, 6, 1), "F"),
        ("075899012345", date(2399, 6, 1), "M"),  # 2300s ("and so on")
        ("075999012345", date(2399, 6, 1), "F"),
        ("001085012345", None, None),  # nothing to compare with
        ("001 085 012 345", date(1985, 5, 1), "M"),  # spaces
        ("001.085.012.345", date(1985, 5, 1), "m"),  # dots, lower-case sex
        ("75185012345", date(1985, 1, 1), "F"),  # spreadsheet dropped the leading zero (the glossary's example)
    ],
)
def test_valid_cccd(number: str, dob: date | None, sex: str | None) -> None:
    assert check_cccd(number, dob, sex) == []


@pytest.mark.parametrize(
    ("number", "dob", "sex", "expected"),
    [
        ("00108501234", None, None, ["id_number_format"]),  # 11 digits, 000 is no province
        ("0010850123456", None, None, ["id_number_format"]),
        ("00108501234A", None, None, ["id_number_format"]),
        ("", None, None, ["id_number_format"]),
        ("000085012345", None, None, ["id_number_province"]),
        ("099085012345", None, None, ["id_number_province"]),
        ("003085012345", None, None, ["id_number_province"]),
        ("001085012345", date(1986, 5, 1), "M", ["id_number_year_mismatch"]),
        ("001085012345", date(1985, 5, 1), "F", ["id_number_sex_mismatch"]),
        ("001185012345", date(1985, 5, 1), "M", ["id_number_sex_mismatch"]),
        ("001285012345", date(1985, 5, 1), "M", ["id_number_century_mismatch"]),
        ("001203012345", date(1903, 5, 1), "M", ["id_number_century_mismatch"]),
        (
            "000303012345",
            date(1985, 5, 1),
            "M",
            ["id_number_province", "id_number_sex_mismatch", "id_number_century_mismatch", "id_number_year_mismatch"],
        ),
        ("99185012345", None, None, ["id_number_format"]),  # 11 digits, 099 is no province: not restored
    ],
)
def test_invalid_cccd(number: str, dob: date | None, sex: str | None, expected: list[str]) -> None:
    assert codes(check_cccd(number, dob, sex)) == expected


def test_cccd_problems_name_the_field() -> None:
    assert [p.field for p in check_cccd("1", field="doc")] == ["doc"]


@pytest.mark.parametrize(
    ("id_type", "raw", "expected"),
    [
        ("cccd", "75185012345", "075185012345"),
        ("CCCD", "75185012345", "075185012345"),
        ("cccd", "99185012345", "99185012345"),  # 099 is no province: left for the validator
        ("cccd", "075185012345", "075185012345"),
        ("cmnd", "12345678", "012345678"),
        ("cmnd", "123456789", "123456789"),
        ("passport", "1234567", "1234567"),
        (None, "75185012345", "75185012345"),
    ],
)
def test_restore_leading_zero(id_type: str | None, raw: str, expected: str) -> None:
    assert restore_leading_zero_id(id_type, raw) == expected


@pytest.mark.parametrize(
    ("id_type", "raw", "expected"),
    [
        ("cccd", " 075-185-012-345 ", "075185012345"),
        ("cccd", "075\u00a0185\u00a0012\u00a0345", "075185012345"),
        ("cccd", "75185012345.0", "075185012345"),  # a float from a spreadsheet
        ("cccd", "０７５１８５０１２３４５", "075185012345"),  # full-width digits
        ("passport", "c 123.4567", "C1234567"),
        ("cmnd", "12345678", "012345678"),
        (None, "", ""),
        (None, None, ""),
    ],
)
def test_normalize_id_number(id_type: str | None, raw: str | None, expected: str) -> None:
    assert normalize_id_number(id_type, raw) == expected


# --------------------------------------------------------------------------------------------
# CMND, passport
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "dob", "sex", "expected"),
    [
        ("123456789", None, None, []),
        ("123 456 789", date(1970, 1, 1), "F", []),
        ("12345678", None, None, []),  # dropped leading zero restored
        ("001085012345", date(1985, 5, 1), "M", []),  # a 12-digit CMND follows the CCCD rules
        ("001085012345", date(1990, 5, 1), "M", ["id_number_year_mismatch"]),
        ("099085012345", None, None, ["id_number_province"]),
        ("1234567", None, None, ["id_number_format"]),
        ("1234567890", None, None, ["id_number_format"]),
        ("12345678X", None, None, ["id_number_format"]),
    ],
)
def test_cmnd(number: str, dob: date | None, sex: str | None, expected: list[str]) -> None:
    assert codes(check_cmnd(number, dob, sex)) == expected


@pytest.mark.parametrize(
    ("number", "nationality", "expected"),
    [
        ("C1234567", "VN", []),
        ("c1234567", "vn", []),
        ("B 1234567", None, []),
        ("C123456", "VN", ["id_number_format"]),
        ("C12345678", "VN", ["id_number_format"]),
        ("12345678", "VN", ["id_number_format"]),
        ("CD123456", "VN", ["id_number_format"]),
        ("X12345", "US", []),
        ("P-123 456", "FR", []),
        ("AB1234567890123456", "DE", []),
        ("A" * 20, "GB", []),
        ("A" * 21, "GB", ["id_number_format"]),
        ("ABC12", "US", ["id_number_format"]),
        ("AB#12345", "US", ["id_number_format"]),
    ],
)
def test_passport(number: str, nationality: str | None, expected: list[str]) -> None:
    assert codes(check_passport(number, nationality)) == expected


@pytest.mark.parametrize(
    ("number", "nationality", "expected"),
    [
        ("001085012345", "VN", "cccd"),
        ("75185012345", "VN", "cccd"),
        ("123456789", "VN", "cmnd"),
        ("C1234567", "VN", "passport"),
        ("X1234567AB", "US", "passport"),
        ("X1234567AB", "VN", None),
        ("1234", "VN", None),
        ("", "VN", None),
    ],
)
def test_infer_id_type(number: str, nationality: str, expected: str | None) -> None:
    assert infer_id_type(number, nationality) == expected


# --------------------------------------------------------------------------------------------
# Health insurance
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        ("", []),
        ("7912345678", []),  # social insurance number
        ("DN4797912345678", []),  # card code
        ("dn4797912345678", []),
        ("DN 4 79 7912345678", []),
        ("HC1017912345678", []),
        ("GD5967912345678", []),
        ("DN6797912345678", ["health_insurance_format"]),  # region digit 6
        ("DN0797912345678", ["health_insurance_format"]),  # region digit 0
        ("D14797912345678", ["health_insurance_format"]),
        ("DN479791234567", ["health_insurance_format"]),  # 14 characters
        ("791234567", ["health_insurance_format"]),
        ("79123456789", ["health_insurance_format"]),
        ("ĐN4797912345678", ["health_insurance_format"]),
    ],
)
def test_health_insurance(number: str, expected: list[str]) -> None:
    assert codes(check_health_insurance(number)) == expected


def test_normalize_health_insurance() -> None:
    assert normalize_health_insurance(" dn 4 79 79123-45678 ") == "DN4797912345678"
    assert normalize_health_insurance(None) == ""


# --------------------------------------------------------------------------------------------
# Phone
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "0912345678",
        "912345678",
        "+84912345678",
        "+84 912.345.678",
        "0912 345 678",
        "0912.345.678",
        "0912-345-678",
        "(091) 234-5678",
        "84912345678",
        "84 912 345 678",
        "+84 (0) 912 345 678",
        "+840912345678",
        "0084912345678",
        "\u00a00912\u00a0345\u00a0678 ",
        "０９１２３４５６７８",
        "912345678.0",
        912345678,
        912345678.0,
    ],
)
def test_phone_spellings(raw: str | int | float) -> None:
    assert normalize_phone(raw) == "+84912345678"
    assert check_phone(raw) == []


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0351234567", "+84351234567"),
        ("0561234567", "+84561234567"),
        ("0701234567", "+84701234567"),
        ("0812345678", "+84812345678"),
        ("981234567", "+84981234567"),
        ("+447911123456", "+447911123456"),  # a foreign mobile
        ("+44 7911 123456", "+447911123456"),
    ],
)
def test_phone_prefixes_and_foreign(raw: str, expected: str) -> None:
    assert normalize_phone(raw) == expected
    assert normalize_phone(national_phone(expected)) == expected  # the national form reads back the same


def test_the_national_form_of_a_stored_phone() -> None:
    assert national_phone("+84912345678") == "0912345678"
    assert national_phone("+447911123456") == "+447911123456"


@pytest.mark.parametrize(
    "raw",
    [
        "0123456789",  # not 03/05/07/08/09
        "01234",
        "0212345678",  # a landline prefix
        "0501234567",  # unassigned mobile prefix
        "091234567",  # 9 digits with the zero
        "09123456789",  # 11 digits
        "123456789",  # 9 digits, does not start 3/5/7/8/9
        "+84 123",
        "+442079460018",  # a foreign landline
        "+999123456789",
        "0912 345 67a",
        "phone",
        "++84912345678",
        "84+912345678",
        "...",
    ],
)
def test_invalid_phone(raw: str) -> None:
    assert normalize_phone(raw) is None
    assert codes(check_phone(raw)) == ["phone_format"]


@pytest.mark.parametrize(
    "raw",
    [
        "0912345678 / 0987654321",
        "0912345678; 0987654321",
        "0912.345.678 - 0987.654.321",
        "0912345678 hoặc 0987654321",
        "0912345678\n0987654321",
        "0912345678, 0987654321, 0356789012",
        "0912345678 (Zalo) 0987654321",
        "0912345678 (bố)/0987654321 (mẹ)",
        "0912345678-0987654321",
    ],
)
def test_a_cell_listing_several_phones_says_so(raw: str) -> None:
    """Each number is valid, the cell is not one: the message names them (the code stays phone_format)."""
    assert normalize_phone(raw) is None
    with translation.override("en"):
        [problem] = check_phone(raw)
        assert str(problem.message).startswith("This cell holds several phone numbers (0912345678, 0987654321")
    assert problem.code == "phone_format"


@pytest.mark.parametrize(
    ("raw", "number"),
    [
        ("0912345678 (Zalo)", "0912345678"),
        ("ĐT: 0912 345 678", "0912345678"),
        ("+84 912 345 678 [nhà riêng]", "0912345678"),
        ("0987654321 - zalo", "0987654321"),
    ],
)
def test_a_phone_written_with_a_note_says_so(raw: str, number: str) -> None:
    assert normalize_phone(raw) is None
    with translation.override("en"):
        [problem] = check_phone(raw)
        assert str(problem.message).startswith(f"The phone number {number} is written with a note")
    assert problem.code == "phone_format"


def test_a_mobile_and_a_landline_in_one_cell_is_several_numbers_too() -> None:
    with translation.override("en"):
        [problem] = check_phone("0912345678 / 0241234567")
        assert str(problem.message).startswith("This cell holds several phone numbers (0912345678, 0241234567)")
        [problem] = check_phone("0912345678;")
        assert str(problem.message).startswith("The phone number 0912345678 is written with a note")


def test_a_cmnd_as_text_that_lost_two_zeros_names_the_number_it_may_be() -> None:
    with translation.override("en"):
        [problem] = check_cmnd("1081000003")
        assert "If it is 001081000003, it lost its two leading zeros" in str(problem.message)


@pytest.mark.parametrize("raw", ["0212345678 / 0241234567", "0912 345 67a", "phone", "0912345678 (Zalo)0212"])
def test_a_cell_whose_numbers_are_not_each_valid_gets_the_general_message(raw: str) -> None:
    with translation.override("en"):
        [problem] = check_phone(raw)
        assert "10 digits starting" in str(problem.message)


@pytest.mark.parametrize(
    ("raw", "old", "new"),
    [
        ("01663311337", "01663311337", "0363311337"),  # Viettel's 0166 → 036
        ("0166 331 1337", "01663311337", "0363311337"),
        ("+841203311337", "01203311337", "0703311337"),  # MobiFone's 0120 → 070
        (1273311337, "01273311337", "0813311337"),  # a number cell: VinaPhone's 0127 → 081
        ("01993311337", "01993311337", "0593311337"),  # Gmobile's 0199 → 059
    ],
)
def test_an_eleven_digit_mobile_number_of_before_2018_gives_its_number_since(raw: object, old: str, new: str) -> None:
    """Refused (not converted: the person may have changed numbers since), the message giving the number the
    networks' 2018 conversion made of it."""
    with translation.override("en"):
        [problem] = check_phone(raw)
    assert problem.code == "phone_format"
    assert f"The phone number {old} has 11 digits" in english(problem)
    assert f"since then it is {new}." in english(problem)
    assert "11 digits" not in english(check_phone("01103311337")[0])  # 0110: no network's


@pytest.mark.parametrize("raw", ["0992345678", "099 234 5678", "+84992345678", 992345678])
def test_a_phone_of_the_right_shape_that_no_network_gives_says_so(raw: object) -> None:
    """The general message would contradict it: the number has 10 digits and starts 09."""
    with translation.override("en"):
        [problem] = check_phone(raw)
        assert problem.code == "phone_format"
        assert "0992345678 has the shape of a Vietnamese mobile number" in str(problem.message)
    with translation.override("en"):
        assert "10 digits starting" in str(check_phone("0212345678")[0].message)


@pytest.mark.parametrize("raw", ["", "   ", None])
def test_empty_phone(raw: str | None) -> None:
    assert normalize_phone(raw) is None
    assert check_phone(raw) == []


# --------------------------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------------------------


def test_composed_and_decomposed_names_compare_equal() -> None:
    composed = unicodedata.normalize("NFC", "Nguyễn Thị Hồng Đào")
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    assert normalize_name(composed) == normalize_name(decomposed) == composed
    assert search_name(composed) == search_name(decomposed) == "nguyen thi hong dao"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Nguyễn   Văn\u00a0An  ", "Nguyễn Văn An"),
        ("Trần\tThị\nLan", "Trần Thị Lan"),
        ("Lê\u200bVăn\u200bTám", "Lê Văn Tám"),  # zero-width spaces count as spaces
        ("Phạm\u00adHùng", "PhạmHùng"),  # soft hyphen removed
        ("nguyễn văn an", "nguyễn văn an"),  # no title-casing
        ("", ""),
        (None, ""),
    ],
)
def test_normalize_name(raw: str | None, expected: str) -> None:
    assert normalize_name(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ĐẶNG  Thị Hồng", "dang thi hong"),
        ("Nguyễn Văn Đức", "nguyen van duc"),
        ("Ðoàn Văn Hậu", "doan van hau"),  # Ð (eth) typed for Đ
        ("H'Hen Niê", "h'hen nie"),
        ("", ""),
    ],
)
def test_search_name(raw: str, expected: str) -> None:
    assert search_name(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Nguyễn Văn An", []),
        ("H'Hen Niê", []),  # Ê Đê names carry an apostrophe
        ("Jean-Pierre Dupont", []),
        ("O’Brien", []),
        ("李小龍", []),
        ("  Trần  Lan ", []),
        ("A" * 200, []),
        ("", ["full_name_required"]),
        ("   ", ["full_name_required"]),
        (None, ["full_name_required"]),
        ("Nguyễn Văn 2", ["full_name_format"]),
        ("Nguyễn.Văn", ["full_name_format"]),
        ("Lan @ home", ["full_name_format"]),
        ("---", ["full_name_format"]),
        ("A" * 201, ["full_name_format"]),
        ("- Nguyễn Văn Dấu", ["full_name_format"]),  # a list's dash
        ("'Nguyễn Văn Nháy", ["full_name_format"]),  # a CSV's text mark
        ("Nguyễn Văn An -", ["full_name_format"]),
        ("Ksor H'Bia", []),
        ("Ông Nguyễn Văn Hùng", ["full_name_title"]),
        ("Bà Trần Thị Lan", ["full_name_title"]),
        ("BÀ PHẠM THỊ HÀ", ["full_name_title"]),
        ("Ô. Lê Văn Tám", ["full_name_title"]),
        ("Chị Võ Thị Sáu", ["full_name_title"]),
        ("Ông Văn Tùng", []),  # Ông is a family name too
        ("Chu Nguyễn Minh Anh", []),  # Chu (not Chú) and a second family name
        ("Anh Nguyễn", []),  # no given name after the family name: not a title before a name
        ("Ong Nguyen Van Hung", []),  # unmarked: not told from a family name
    ],
)
def test_check_name(raw: str | None, expected: list[str]) -> None:
    assert codes(check_name(raw)) == expected


def test_a_name_beginning_or_ending_with_a_mark_says_which_and_where() -> None:
    (start,) = check_name("- Nguyễn Văn Dấu")
    (end,) = check_name("Nguyễn Văn An -")
    with translation.override("en"):
        assert str(start.message) == "The full name must begin with a letter: remove the “-” before it."
        assert str(end.message) == "The full name must end with a letter: remove the “-” after it."
    with translation.override("vi"):
        assert str(check_name("'Nguyễn")[0].message).endswith("hãy xóa dấu “'” ở đầu.")


# --------------------------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (date(2021, 1, 1), date(2021, 1, 1)),
        (datetime(2021, 1, 1, 13, 30), date(2021, 1, 1)),
        ("2021-01-01", date(2021, 1, 1)),
        ("2021-1-1", date(2021, 1, 1)),
        ("2021-01-01 00:00:00", date(2021, 1, 1)),
        ("2021-01-01T00:00:00Z", date(2021, 1, 1)),
        ("2021-01-01T00:00:00+07:00", date(2021, 1, 1)),
        ("2020-12-31T17:00:00Z", None),  # 1 January in Viet Nam: the day is not guessed
        ("2021-01-01T08:30", None),
        ("25/12/1985", date(1985, 12, 25)),
        ("5/3/1985", date(1985, 3, 5)),
        ("25-12-1985", date(1985, 12, 25)),
        ("25.12.1985", date(1985, 12, 25)),
        (" 25/12/1985 ", date(1985, 12, 25)),
        ("25/12/1985 00:00:00", date(1985, 12, 25)),  # a date column exported as date and time
        ("25/12/1985 00:00", date(1985, 12, 25)),
        ("25-12-1985 0:00", date(1985, 12, 25)),
        ("25/12/1985T00:00:00.000", date(1985, 12, 25)),
        ("25/12/1985 07:00:00", None),  # another time may be a date shifted by a time zone
        ("24/12/1985 17:00", None),
        ("25/12/1985 00:00:01", None),
        ("25/12/1985 00", None),
        (44197, date(2021, 1, 1)),  # Excel serial
        (44197.75, date(2021, 1, 1)),
        ("44197", date(2021, 1, 1)),
        (31138, date(1985, 4, 1)),
        (1, date(1900, 1, 1)),
        (59, date(1900, 2, 28)),
        (61, date(1900, 3, 1)),
        (60, None),  # Excel's 29 February 1900 does not exist
        (0, None),
        (-5, None),
        (float("nan"), None),
        (float("inf"), None),
        (1e300, None),
        (10**30, None),
        (True, None),
        (None, None),
        ("", None),
        ("garbage", None),
        ("31/02/2021", None),
        ("2021-13-01", None),
        ("25/12-1985", None),
        ("25/12/85", None),
        ("1985", None),
        ([2021, 1, 1], None),
        ("25 / 12 / 1985", date(1985, 12, 25)),  # spaces around the separators
        ("1985/12/25", date(1985, 12, 25)),  # year first, with slashes
        ("1985.12.5", date(1985, 12, 5)),
        ("1985/25/12", None),
        ("ngày 25 tháng 12 năm 1985", date(1985, 12, 25)),  # written out, as Vietnamese does
        ("Ngay 5 thang 2, nam 1985", date(1985, 2, 5)),
        ("Ngày 25/12/1985", date(1985, 12, 25)),
        ("Sinh ngày: 25/12/1985", date(1985, 12, 25)),
        ("Ngày sinh: 25/12/1985", date(1985, 12, 25)),
        ("ngày 31 tháng 2 năm 1985", None),
        ("ngày", None),
        ("Ngày 33000", None),  # a serial behind a word is no date
        ("1985/12/25 00:00", date(1985, 12, 25)),
        ("01-Feb-1990", date(1990, 2, 1)),  # a CSV of a date column formatted d-mmm-yyyy
        ("1 February 1990", date(1990, 2, 1)),
        ("1 Sept. 1990", date(1990, 9, 1)),
        ("31-Feb-1990", None),
        ("01-Fev-1990", None),  # no month's name
        ("Feb-01-1990", None),  # month first: not read
    ],
)
def test_parse_date(value: object, expected: date | None) -> None:
    assert parse_date(value) == expected


def test_excel_serial_to_date() -> None:
    assert excel_serial_to_date(44197) == date(2021, 1, 1)
    assert excel_serial_to_date(3e12) is None


@pytest.mark.parametrize(
    ("value", "expected_date", "expected_codes"),
    [
        ("01/05/1985", date(1985, 5, 1), []),
        ("", None, []),
        (None, None, []),
        ("garbage", None, ["date_of_birth_format"]),
        ("30/02/2000", None, ["date_of_birth_format"]),
    ],
)
def test_parse_date_of_birth(value: object, expected_date: date | None, expected_codes: list[str]) -> None:
    parsed, problems = parse_date_of_birth(value)
    assert parsed == expected_date
    assert codes(problems) == expected_codes


@pytest.mark.parametrize(
    ("dob", "expected"),
    [
        (TODAY, []),
        (date(1985, 5, 1), []),
        (date(1905, 7, 1), []),  # exactly 120 years
        (date(2025, 7, 2), ["date_of_birth_future"]),
        (date(2100, 1, 1), ["date_of_birth_future"]),
        (date(1905, 6, 30), ["date_of_birth_too_old"]),
        (date(1904, 7, 1), ["date_of_birth_too_old"]),  # 121 years
        (None, []),
    ],
)
def test_check_date_of_birth(dob: date | None, expected: list[str]) -> None:
    assert codes(check_date_of_birth(dob, TODAY)) == expected


def test_check_date_of_birth_on_29_february() -> None:
    assert check_date_of_birth(date(1900, 2, 28), date(2020, 2, 29)) == []
    assert codes(check_date_of_birth(date(1900, 2, 27), date(2020, 2, 29))) == ["date_of_birth_too_old"]


# --------------------------------------------------------------------------------------------
# Small fields
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("M", "M"), ("f", "F"), (" Nam ", "M"), ("Nữ", "F"), ("female", "F"), ("", None), (None, None), ("X", "X")],
)
def test_normalize_sex(raw: str | None, expected: str | None) -> None:
    assert normalize_sex(raw) == expected


@pytest.mark.parametrize(("raw", "expected"), [("vn", "VN"), (" us ", "US"), ("", "VN"), (None, "VN")])
def test_normalize_nationality(raw: str | None, expected: str) -> None:
    assert normalize_nationality(raw) == expected


# --------------------------------------------------------------------------------------------
# The whole record
# --------------------------------------------------------------------------------------------

COMPLETE_ADULT = PersonInput(
    full_name="  Nguyễn  Văn An ",
    date_of_birth=date(1985, 5, 1),
    sex="M",
    phone="0912 345 678",
    id_type="cccd",
    id_number="001 085 012 345",
    health_insurance_number="dn4797912345678",
    nationality="vn",
    ethnicity="Kinh",
    occupation="Giáo viên",
    priority_group="7",
    ward_code="26734",
    address_line="12  Lê Lợi",
)


@pytest.mark.parametrize(
    ("born", "code"),
    [(date(2030, 5, 25), "date_of_birth_future"), (date(1885, 5, 1), "date_of_birth_too_old"), ("31/02/1985", None)],
)
def test_a_refused_date_of_birth_does_not_blame_the_document_too(born: object, code: str | None) -> None:
    """A birth in 2030 with a CCCD of 1985 was refused three times, twice on the number (its century and its
    year): the clerk may "fix" the right number. The number is compared with a date that passed its checks only."""
    result = check_person(PersonInput(**{**COMPLETE_ADULT.__dict__, "date_of_birth": born}), today=TODAY)
    assert [p.field for p in result.invalid] == ["date_of_birth"]
    assert code is None or [p.code for p in result.invalid] == [code]
    cmnd = PersonInput(
        **{**COMPLETE_ADULT.__dict__, "id_type": "cmnd", "id_number": "079123456", "date_of_birth": born}
    )
    assert [p.field for p in check_person(cmnd, today=TODAY).invalid] == ["date_of_birth"]
    wrong = check_person(PersonInput(**{**COMPLETE_ADULT.__dict__, "date_of_birth": date(1990, 5, 1)}), today=TODAY)
    assert [p.code for p in wrong.invalid] == ["id_number_year_mismatch"]  # a date that stands is compared


MISSING_ALL = ["id_document_missing", "phone_missing", "ward_missing", "priority_group_missing", "address_missing"]


def test_complete_adult() -> None:
    result = check_person(COMPLETE_ADULT, today=TODAY)
    assert isinstance(result, PersonCheck)
    assert result.invalid == [] and result.missing == []
    assert result.data_status == "complete"
    n = result.normalized
    assert n.full_name == "Nguyễn Văn An"
    assert n.phone == "+84912345678"
    assert n.id_number == "001085012345"
    assert n.health_insurance_number == "DN4797912345678"
    assert n.nationality == "VN"
    assert n.address_line == "12 Lê Lợi"
    assert n.is_child is False


def test_check_person_is_idempotent_on_its_output() -> None:
    first = check_person(COMPLETE_ADULT, today=TODAY)
    second = check_person(first.normalized, today=TODAY)
    assert second.normalized == first.normalized
    assert second.data_status == first.data_status


def test_incomplete_lists_the_missing_codes() -> None:
    result = check_person(PersonInput(full_name="Trần Thị Lan", date_of_birth=date(1960, 1, 1), sex="F"), today=TODAY)
    assert result.invalid == []
    assert codes(result.missing) == MISSING_ALL
    assert {p.kind for p in result.missing} == {"missing"}
    assert [p.field for p in result.missing] == ["id_number", "phone", "ward_code", "priority_group", "address_line"]
    assert result.data_status == "incomplete"
    assert result.normalized.id_type == "none"


def test_adult_with_type_none_is_missing_a_document() -> None:
    result = check_person(
        PersonInput(**{**COMPLETE_ADULT.__dict__, "id_type": "none", "id_number": ""}),
        today=TODAY,
    )
    assert codes(result.missing) == ["id_document_missing"]
    assert result.data_status == "incomplete"


def test_type_without_number_is_missing_a_document() -> None:
    result = check_person(PersonInput(**{**COMPLETE_ADULT.__dict__, "id_number": ""}), today=TODAY)
    assert codes(result.missing) == ["id_document_missing"]


@pytest.mark.parametrize("id_type", ["none", None, ""])
def test_child_without_document_can_be_complete(id_type: str | None) -> None:
    child = PersonInput(
        full_name="Nguyễn Bảo Ngọc",
        date_of_birth=date(2020, 3, 3),
        sex="F",
        phone="0912345678",  # a parent's phone
        id_type=id_type,
        id_number="",
        priority_group="1",
        ward_code="26734",
        address_line="12 Lê Lợi",
    )
    result = check_person(child, today=TODAY)
    assert result.data_status == "complete"
    assert result.normalized.is_child is True
    assert result.normalized.id_type == "none"


def test_child_with_a_declared_document_type_but_no_number_is_incomplete() -> None:
    child = PersonInput(**{**COMPLETE_ADULT.__dict__, "date_of_birth": date(2020, 3, 3), "id_number": ""})
    assert codes(check_person(child, today=TODAY).missing) == ["id_document_missing"]


def test_explicit_is_child_flag() -> None:
    person = PersonInput(**{**COMPLETE_ADULT.__dict__, "id_type": "none", "id_number": "", "is_child": True})
    assert check_person(person, today=TODAY).data_status == "complete"


def test_fourteen_year_old_is_not_a_child() -> None:
    person = PersonInput(
        **{**COMPLETE_ADULT.__dict__, "date_of_birth": date(2011, 7, 1), "id_type": "none", "id_number": ""}
    )
    result = check_person(person, today=TODAY)
    assert result.normalized.is_child is False
    assert codes(result.missing) == ["id_document_missing"]


@pytest.mark.parametrize(
    ("changes", "expected_invalid"),
    [
        ({"full_name": ""}, ["full_name_required"]),
        ({"full_name": "Nguyễn Văn 2"}, ["full_name_format"]),
        ({"date_of_birth": None}, ["date_of_birth_required"]),
        ({"date_of_birth": date(2026, 1, 1), "id_number": ""}, ["date_of_birth_future"]),
        ({"date_of_birth": date(1900, 1, 1), "id_number": ""}, ["date_of_birth_too_old"]),
        ({"sex": None}, ["sex_required"]),
        ({"sex": "X"}, ["sex_format"]),
        ({"sex": "F"}, ["id_number_sex_mismatch"]),
        ({"date_of_birth": date(1986, 5, 1)}, ["id_number_year_mismatch"]),
        ({"nationality": "VNX"}, ["nationality_format"]),
        ({"nationality": "V1"}, ["nationality_format"]),
        ({"nationality": "ZZ"}, ["nationality_format"]),
        ({"nationality": "QQ"}, ["nationality_format"]),
        ({"nationality": "N/A"}, ["nationality_format"]),  # not Namibia's NA: refused, never guessed
        ({"id_type": "driver"}, ["id_type_format"]),
        ({"id_type": None, "id_number": "ABC"}, ["id_type_required"]),
        ({"id_type": "none", "id_number": "1234"}, ["id_type_required"]),
        ({"id_number": "12345"}, ["id_number_format"]),
        ({"id_number": "099085012345"}, ["id_number_province"]),
        ({"id_type": "cmnd", "id_number": "1234567"}, ["id_number_format"]),
        ({"id_type": "passport", "id_number": "C123"}, ["id_number_format"]),
        ({"phone": "0123456789"}, ["phone_format"]),
        ({"phone": "01234"}, ["phone_format"]),
        ({"health_insurance_number": "DN6797912345678"}, ["health_insurance_format"]),
        ({"occupation": "x" * 121}, ["text_too_long"]),
        ({"ethnicity": "x" * 61}, ["text_too_long"]),
        ({"address_line": "x" * 256}, ["text_too_long"]),
        (
            {"full_name": " ", "date_of_birth": None, "sex": None},
            ["full_name_required", "date_of_birth_required", "sex_required"],
        ),
    ],
)
def test_invalid_person(changes: dict[str, object], expected_invalid: list[str]) -> None:
    result = check_person(PersonInput(**{**COMPLETE_ADULT.__dict__, **changes}), today=TODAY)
    assert codes(result.invalid) == expected_invalid
    assert {p.kind for p in result.invalid} == {"invalid"}
    assert result.data_status == "invalid"


def test_invalid_wins_over_missing() -> None:
    result = check_person(PersonInput(full_name="", date_of_birth=date(1960, 1, 1), sex="F"), today=TODAY)
    assert codes(result.invalid) == ["full_name_required"]
    assert codes(result.missing) == MISSING_ALL
    assert result.data_status == "invalid"
    assert result.codes == ["full_name_required", *MISSING_ALL]


@pytest.mark.parametrize(
    ("id_number", "nationality", "expected_type", "expected_number"),
    [
        ("001085012345", "VN", "cccd", "001085012345"),
        ("1085012345", "VN", None, None),  # 10 digits: cannot tell
        ("123456789", "VN", "cmnd", "123456789"),
        ("C1234567", "VN", "passport", "C1234567"),
        ("X1234567AB", "US", "passport", "X1234567AB"),
    ],
)
def test_id_type_inferred_from_the_number(
    id_number: str, nationality: str, expected_type: str | None, expected_number: str | None
) -> None:
    person = PersonInput(
        **{**COMPLETE_ADULT.__dict__, "id_type": None, "id_number": id_number, "nationality": nationality}
    )
    result = check_person(person, today=TODAY)
    if expected_type is None:
        assert codes(result.invalid) == ["id_type_required"]
    else:
        assert result.invalid == []
        assert result.normalized.id_type == expected_type
        assert result.normalized.id_number == expected_number


def test_cccd_with_dropped_zero_is_restored_and_inferred() -> None:
    person = PersonInput(
        **{
            **COMPLETE_ADULT.__dict__,
            "id_type": None,
            "id_number": "75185012345",
            "date_of_birth": date(1985, 1, 1),
            "sex": "F",
        }
    )
    result = check_person(person, today=TODAY)
    assert result.invalid == []
    assert (result.normalized.id_type, result.normalized.id_number) == ("cccd", "075185012345")


def test_sex_aliases_and_text_date_are_accepted() -> None:
    person = PersonInput(**{**COMPLETE_ADULT.__dict__, "sex": "nam", "date_of_birth": "01/05/1985"})  # type: ignore[arg-type]
    result = check_person(person, today=TODAY)
    assert result.data_status == "complete"
    assert result.normalized.sex == "M"
    assert result.normalized.date_of_birth == date(1985, 5, 1)


def test_unreadable_text_date_is_a_format_problem() -> None:
    person = PersonInput(**{**COMPLETE_ADULT.__dict__, "date_of_birth": "hôm qua"})  # type: ignore[arg-type]
    assert codes(check_person(person, today=TODAY).invalid) == ["date_of_birth_format"]


def test_every_code_is_documented() -> None:
    produced = {
        "full_name_required",
        "full_name_format",
        "full_name_title",
        "date_of_birth_required",
        "date_of_birth_format",
        "date_of_birth_future",
        "date_of_birth_too_old",
        "sex_required",
        "sex_format",
        "id_type_format",
        "id_type_required",
        "id_number_format",
        "id_number_province",
        "id_number_sex_mismatch",
        "id_number_century_mismatch",
        "id_number_year_mismatch",
        "health_insurance_format",
        "phone_format",
        "nationality_format",
        "text_too_long",
        "text_legacy_encoding",
        "text_letters_lost",
        "text_misread_encoding",
        "text_not_text",
        "id_document_missing",
        "phone_missing",
        "ward_missing",
        "priority_group_missing",
        "address_missing",
    }
    assert set(CODES) == produced


# --------------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------------

ID_TYPE_VALUES = st.sampled_from(["cccd", "cmnd", "passport", "none", None, "CCCD", "xyz"])
DIGITISH = st.text(alphabet="0123456789 .-\u00a0+()", max_size=16)
TEXTS = st.one_of(st.text(), DIGITISH)


@settings(max_examples=300)
@given(TEXTS)
def test_text_normalizers_are_idempotent(s: str) -> None:
    assert normalize_text(normalize_text(s)) == normalize_text(s)
    assert normalize_name(normalize_name(s)) == normalize_name(s)
    assert search_name(search_name(s)) == search_name(s)
    assert search_name(normalize_name(s)) == search_name(s)
    assert normalize_health_insurance(normalize_health_insurance(s)) == normalize_health_insurance(s)
    assert normalize_sex(normalize_sex(s)) == normalize_sex(s)
    assert normalize_nationality(normalize_nationality(s)) == normalize_nationality(s)
    assert normalize_code(normalize_code(s)) == normalize_code(s)


def test_normalize_code_regressions() -> None:
    assert normalize_code(" 267 34 ") == "26734"
    assert normalize_code("\u0339 \u0334") == normalize_code(normalize_code("\u0339 \u0334"))


@settings(max_examples=300)
@given(TEXTS)
def test_normalize_phone_is_idempotent(s: str) -> None:
    once = normalize_phone(s)
    assert normalize_phone(once) == once


@settings(max_examples=300)
@given(ID_TYPE_VALUES, TEXTS)
def test_normalize_id_number_is_idempotent(id_type: str | None, s: str) -> None:
    once = normalize_id_number(id_type, s)
    assert normalize_id_number(id_type, once) == once


@given(st.text())
def test_names_in_nfc_and_nfd_normalize_alike(s: str) -> None:
    assert normalize_name(unicodedata.normalize("NFD", s)) == normalize_name(unicodedata.normalize("NFC", s))


@given(
    st.sampled_from(sorted(PROVINCE_CODES)),
    st.dates(min_value=date(1900, 1, 1), max_value=date(2399, 12, 31)),
    st.sampled_from(["M", "F"]),
    st.from_regex(r"[0-9]{6}", fullmatch=True),
)
def test_numbers_built_by_the_rules_pass(province: str, dob: date, sex: str, serial: str) -> None:
    digit = (dob.year // 100 - 19) * 2 + (sex == "F")
    number = f"{province}{digit}{dob.year % 100:02d}{serial}"
    assert check_cccd(number, dob, sex) == []
    other_sex = "F" if sex == "M" else "M"
    assert codes(check_cccd(number, dob, other_sex)) == ["id_number_sex_mismatch"]


@given(st.from_regex(r"[35789][0-9]{8}", fullmatch=True))
def test_phone_spellings_agree(national: str) -> None:
    e164 = normalize_phone("0" + national)
    spaced = f"0{national[:3]} {national[3:6]} {national[6:]}"
    for spelling in (national, "+84" + national, "84" + national, spaced, f"+84 {national[:3]}.{national[3:]}"):
        assert normalize_phone(spelling) == e164
    assert e164 is None or e164 == "+84" + national


@settings(max_examples=200)
@given(TEXTS, TEXTS, st.one_of(st.none(), st.text()), st.one_of(st.none(), st.dates()), st.dates())
def test_validators_never_crash(a: str, b: str, sex: str | None, dob: date | None, today: date) -> None:
    for problems in (
        check_cccd(a, dob, sex),
        check_cmnd(a, dob, sex),
        check_passport(a, b),
        check_health_insurance(a),
        check_phone(a),
        check_name(a),
        check_date_of_birth(dob, today),
        parse_date_of_birth(a)[1],
    ):
        assert all(p.code in CODES for p in problems)
    parse_date(a)
    infer_id_type(a, b)
    restore_leading_zero_id(b, a)


PERSONS = st.builds(
    PersonInput,
    full_name=st.one_of(st.none(), st.text()),
    date_of_birth=st.one_of(st.none(), st.dates()),
    sex=st.one_of(st.none(), st.sampled_from(["M", "F", "nữ"]), st.text()),
    phone=st.one_of(st.none(), TEXTS),
    id_type=st.one_of(ID_TYPE_VALUES, st.text()),
    id_number=st.one_of(st.none(), TEXTS, st.from_regex(r"[0-9]{8,12}", fullmatch=True)),
    health_insurance_number=st.one_of(st.none(), st.text()),
    nationality=st.one_of(st.none(), st.sampled_from(["VN", "US"]), st.text()),
    ethnicity=st.one_of(st.none(), st.text()),
    occupation=st.one_of(st.none(), st.text()),
    priority_group=st.one_of(st.none(), st.text()),
    ward_code=st.one_of(st.none(), st.text()),
    address_line=st.one_of(st.none(), st.text()),
    is_child=st.booleans(),
)


@settings(max_examples=300)
@given(PERSONS, st.dates())
def test_check_person_never_crashes_and_is_stable(person: PersonInput, today: date) -> None:
    result = check_person(person, today=today)
    assert result.data_status in {"invalid", "incomplete", "complete"}
    assert all(p.code in CODES for p in result.problems)
    assert {p.kind for p in result.invalid} <= {"invalid"}
    assert {p.kind for p in result.missing} <= {"missing"}
    again = check_person(result.normalized, today=today)
    assert again.normalized == result.normalized
    assert again.codes == result.codes


@pytest.mark.parametrize(
    ("id_type", "raw", "expected"),
    [
        ("cccd", 1090000123, "001090000123"),  # Hà Nội (001) typed as a number: two zeros lost
        ("cccd", 1090000123.0, "001090000123"),
        ("cccd", 8090000123, "008090000123"),
        ("cccd", 3090000123, "3090000123"),  # 003 is no province: left for the validator
        ("cccd", "1090000123", "1090000123"),  # text: a spreadsheet did not drop two zeros
        ("cccd", 75185012345, "075185012345"),
        ("cmnd", 12345678, "012345678"),
    ],
)
def test_normalize_id_number_from_a_numeric_cell(id_type: str, raw: object, expected: str) -> None:
    assert normalize_id_number(id_type, raw) == expected


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        (1090000123, "cccd"),
        (2090000123.0, "cccd"),
        (75185012345, "cccd"),
        (12345678, "cmnd"),
        (12345678.0, "cmnd"),
        ("12345678", None),  # text: not a number a spreadsheet shortened
        ("1090000123", None),
        (3090000123, None),
        (True, None),
    ],
)
def test_infer_id_type_from_a_numeric_cell(number: object, expected: str | None) -> None:
    assert infer_id_type(number, "VN") == expected


def test_a_cccd_as_text_that_lost_two_zeros_is_refused_naming_the_number_it_may_be() -> None:
    """A CSV saved from numeric cells holds a Hà Nội CCCD as 10 digits: text gets one zero back, never
    two (a 10-digit text may be anything), but the message says what the number may be."""
    with translation.override("en"):
        [problem] = check_cccd("1090000123")
        assert problem.code == "id_number_format"
        assert "If it is 001090000123, it lost its two leading zeros" in str(problem.message)
        [problem] = check_cccd("3090000123")  # 003 is no province
        assert str(problem.message) == "The citizen ID (CCCD) number must have 12 digits."


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("Việt Nam", "VN"),
        ("Vietnam", "VN"),
        ("", "VN"),
        ("Hàn Quốc", "KR"),
        ("han quoc", "KR"),
        ("Korea", "KR"),
        ("KOR", "KR"),
        ("Đài Loan", "TW"),
        ("Trung Quốc", "CN"),
        ("Nhật Bản", "JP"),
        ("Mỹ", "US"),
        ("My", "My"),  # Mỹ without its mark, or Malaysia's code? Kept as typed: refused, never guessed
        ("my", "my"),
        ("Ao", "Ao"),  # Áo (Austria) or Angola's AO
        ("MY", "MY"),  # in capitals, a code: Malaysia
        ("Áo", "AT"),
        ("kr", "KR"),  # no country is named so: a code
        ("Y", "Y"),  # one letter is no code, and Ý (Italy) only with its mark
        ("Ý", "IT"),
        ("MY.", "MY"),  # a code with marks around it stays a code
        ("(kr)", "KR"),
        ("M.y.", "M.y."),  # not in capitals: Mỹ or Malaysia? refused
        ("United States", "US"),
        ("Xứ Sở Thần Tiên", "Xứ Sở Thần Tiên"),  # refused by the check, as typed
        ("UK", "GB"),  # no country's code, but a name of one
        ("uk", "GB"),
        ("XK", "XK"),  # Kosovo's passports
        ("ZZ", "ZZ"),  # two capitals of no country: refused by the check
        ("XX", "XX"),  # a person of no nationality
        ("Không quốc tịch", "XX"),
        ("Stateless", "XX"),
        ("n/a", "N/A"),  # refused by the check, not read as Namibia's NA
    ],
)
def test_a_nationality_typed_as_its_country_s_name(raw: str, code: str) -> None:
    assert normalize_nationality(raw) == code


def test_two_letters_that_may_be_a_code_or_a_name_say_so() -> None:
    result = check_person(PersonInput(**{**COMPLETE_ADULT.__dict__, "nationality": "My"}), today=TODAY)
    [problem] = [p for p in result.invalid if p.field == "nationality"]
    with translation.override("en"):
        assert str(problem.message) == (
            "“My” may be the code MY or a country's name typed without its marks (United States): type the "
            "two-letter code in capitals."
        )


def test_two_capitals_of_no_country_ask_for_a_country_s_code() -> None:
    result = check_person(PersonInput(**{**COMPLETE_ADULT.__dict__, "nationality": "ZZ"}), today=TODAY)
    [problem] = [p for p in result.invalid if p.field == "nationality"]
    with translation.override("en"):
        assert str(problem.message) == "The nationality is no country known: type its two-letter code (VN, KR, US …)."
    assert not [
        p
        for p in check_person(PersonInput(**{**COMPLETE_ADULT.__dict__, "nationality": "uk"}), today=TODAY).invalid
        if p.field == "nationality"
    ]


def test_check_person_restores_a_hanoi_cccd_typed_as_a_number() -> None:
    dob = date(1990, 5, 5)
    for id_type in ("cccd", None):
        check = check_person(
            PersonInput(full_name="Nguyễn Văn An", date_of_birth=dob, sex="M", id_type=id_type, id_number=1090000123),  # type: ignore[arg-type]
            today=date(2026, 1, 1),
        )
        assert (check.normalized.id_type, check.normalized.id_number) == ("cccd", "001090000123")
        assert not check.invalid
    check = check_person(
        PersonInput(full_name="Nguyễn Văn An", date_of_birth=dob, sex="M", id_number=12345678),  # type: ignore[arg-type]
        today=date(2026, 1, 1),
    )
    assert (check.normalized.id_type, check.normalized.id_number) == ("cmnd", "012345678")
    assert not check.invalid


# --------------------------------------------------------------------------------------------
# What spreadsheets do to values: numbers typed as numbers, Excel's text tricks, scientific
# notation, a year or a date without separators, sex spelled out
# --------------------------------------------------------------------------------------------


def english(problem: Problem) -> str:
    """A problem's message in English (the messages are translated lazily, Vietnamese by default)."""
    with translation.override("en"):
        return str(problem.message)


def person_with(**changes: object) -> PersonInput:
    """COMPLETE_ADULT (male, born 1 May 1985, CCCD 001085012345) with some values as a sheet gives them."""
    return PersonInput(**{**COMPLETE_ADULT.__dict__, **changes})


@pytest.mark.parametrize(
    ("raw", "from_number", "expected"),
    [
        ("75185012345", False, "075185012345"),  # a 12-digit CMND that lost its zero, as a CCCD does
        ("75185012345", True, "075185012345"),
        ("1090000123", True, "001090000123"),  # Hà Nội (001) from a numeric cell: two zeros lost
        ("1090000123", False, "1090000123"),  # text: a spreadsheet did not drop two zeros
        ("3090000123", True, "3090000123"),  # 003 is no province
        ("99185012345", False, "99185012345"),  # 099 is no province
        ("12345678", False, "012345678"),  # 8 digits: a 9-digit CMND, as before
        ("12345678", True, "012345678"),
        ("123456789", True, "123456789"),
    ],
)
def test_restore_leading_zero_of_a_12_digit_cmnd(raw: str, from_number: bool, expected: str) -> None:
    assert restore_leading_zero_id("cmnd", raw, from_number=from_number) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (75185012345, "075185012345"),
        (75185012345.0, "075185012345"),
        (1085012345, "001085012345"),
        (12345678, "012345678"),
    ],
)
def test_normalize_cmnd_typed_as_a_number(raw: object, expected: str) -> None:
    assert normalize_id_number("cmnd", raw) == expected


def test_a_12_digit_cmnd_typed_as_a_number_is_checked_as_a_cccd() -> None:
    assert check_cmnd(1085012345, date(1985, 5, 1), "M") == []
    assert codes(check_cmnd(1085012345, date(1986, 5, 1), "M")) == ["id_number_year_mismatch"]
    check = check_person(person_with(id_type="cmnd", id_number=1085012345), today=TODAY)
    assert (check.normalized.id_type, check.normalized.id_number) == ("cmnd", "001085012345")
    assert check.invalid == []


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("'075090000002", "075090000002"),  # the apostrophe Excel users type, from a CSV
        ('="075090000002"', "075090000002"),  # the CSV trick that keeps zeros
        (' ="075 090 000 002" ', "075090000002"),
        ("\u00a0'075.090.000.002", "075090000002"),
        ("'075090000002\u200b", "075090000002"),  # the slow path: an invisible character
        ("'７５０９００００００２", "075090000002"),  # full-width digits, a dropped zero restored
        ("'C1234567", "'C1234567"),  # (as a CCCD: refused below; as a passport it is unquoted)
        ("075'090000002", "075'090000002"),  # an apostrophe inside is kept (and refused)
        ("''075090000002", "''075090000002"),  # two are not Excel's one
        ("'", "'"),
        ('=""', '=""'),
        ("=075090000002", "=075090000002"),
    ],
)
def test_excel_text_tricks_in_an_id_number(raw: str, expected: str) -> None:
    if expected.startswith("'C"):
        assert normalize_id_number("passport", raw) == "C1234567"
        return
    assert normalize_id_number("cccd", raw) == expected
    assert normalize_id_number("cccd", expected) == expected


def test_excel_text_tricks_in_a_phone_and_a_health_insurance_number() -> None:
    for raw in ("'0912000001", '="0912000001"', "'+84 912 000 001", "'９１２０００００１"):
        assert normalize_phone(raw) == "+84912000001", raw
        assert check_phone(raw) == [], raw
    for raw in ("0912'000001", "''0912000001"):
        assert normalize_phone(raw) is None, raw
        (problem,) = check_phone(raw)
        assert problem.code == "phone_format" and "Vietnamese mobile" in english(problem)
    for raw in ("'0791234567", '="0791234567"', "'dn 479 7912345678"):
        assert normalize_health_insurance(raw) in ("0791234567", "DN4797912345678"), raw
        assert check_health_insurance(raw) == [], raw
    (problem,) = check_health_insurance("07912'34567")
    assert problem.code == "health_insurance_format" and "10-digit" in english(problem)


def test_check_person_reads_excel_text_tricks() -> None:
    check = check_person(
        person_with(id_number="'001085012345", phone='="0912345678"', health_insurance_number="'0791234567", sex="M"),
        today=TODAY,
    )
    assert check.invalid == []
    n = check.normalized
    assert (n.id_number, n.phone, n.health_insurance_number) == ("001085012345", "+84912345678", "0791234567")
    assert check_person(n, today=TODAY).normalized == n


@settings(max_examples=500)
@given(st.text(alphabet="0123456789'=\" .-+\u00a0\u200bC", max_size=16), ID_TYPE_VALUES)
def test_excel_text_unquoting_is_idempotent(s: str, id_type: str | None) -> None:
    once = normalize_id_number(id_type, s)
    assert normalize_id_number(id_type, once) == once
    assert normalize_health_insurance(normalize_health_insurance(s)) == normalize_health_insurance(s)
    phone = normalize_phone(s)
    assert normalize_phone(phone) == phone


@settings(max_examples=1000)
@given(st.text(alphabet="0123456789abcC'=\" .-+/()\u00a0\u200b\uff10\u2013", max_size=16))
def test_excel_text_changes_only_a_quoted_code(s: str) -> None:
    """The unquoting is a step after the plain rule (test_identity_fast_paths), taken only for a code
    that starts with ' or =": any other code is the plain rule's."""
    for drop in (_CODE_SEPARATORS, _PHONE_SEPARATORS):
        plain = _compact_code(s, drop)
        if not plain.startswith(("'", '="')):
            assert _compact_code(s, drop, True) == plain


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (791234567, "0791234567"),  # a numeric cell: the social insurance number's leading zero lost
        (791234567.0, "0791234567"),
        (7912345678, "7912345678"),
        ("791234567", "791234567"),  # text: nothing was dropped (refused below)
        (79123456, "79123456"),  # 8 digits: not a number that lost one zero
        (-791234567, "791234567"),  # (a negative number is nothing's zero lost)
    ],
)
def test_health_insurance_number_typed_as_a_number(raw: object, expected: str) -> None:
    assert normalize_health_insurance(raw) == expected
    assert (check_health_insurance(raw) == []) == (len(expected) == 10)


def test_check_person_gives_back_a_health_insurance_numbers_zero() -> None:
    check = check_person(person_with(health_insurance_number=791234567), today=TODAY)
    assert check.invalid == []
    assert check.normalized.health_insurance_number == "0791234567"


SCIENTIFIC = ["7.51835E+10", "7,51835E+10", "7.51835e+10", " 7.51835E10 ", "1E+11", "7.5E+09"]


def is_scientific_message(problem: Problem, value: str) -> bool:
    message = english(problem)
    return "scientific notation" in message and f"“{value.strip()}”" in message and "as Text" in message


@pytest.mark.parametrize("raw", SCIENTIFIC)
def test_scientific_notation_is_named_with_the_codes_kept(raw: str) -> None:
    refusals = [
        (check_cccd(raw), "id_number_format"),
        (check_cmnd(raw), "id_number_format"),
        (check_passport(raw, "VN"), "id_number_format"),
        (check_phone(raw), "phone_format"),
        (check_health_insurance(raw), "health_insurance_format"),
    ]
    for problems, code in refusals:
        assert codes(problems) == [code]
        assert is_scientific_message(problems[0], raw), (code, english(problems[0]))


@pytest.mark.parametrize("raw", SCIENTIFIC)
def test_check_person_names_scientific_notation(raw: str) -> None:
    check = check_person(person_with(id_number=raw, phone=raw, health_insurance_number=raw), today=TODAY)
    assert codes(check.invalid) == ["id_number_format", "health_insurance_format", "phone_format"]
    assert all(is_scientific_message(p, raw) for p in check.invalid)
    # With no type, the type is not what is missing: the number, in that notation, tells none.
    (problem,) = check_person(person_with(id_type=None, id_number=raw), today=TODAY).invalid
    assert (problem.field, problem.code) == ("id_number", "id_number_format")
    assert is_scientific_message(problem, raw)


@pytest.mark.parametrize("raw", ["12345", "7.51835E+10X", "E+10", "7.5.1E+10", "7.51835E-10"])
def test_other_refused_numbers_keep_their_messages(raw: str) -> None:
    check = check_person(person_with(id_number=raw, phone=raw, health_insurance_number=raw), today=TODAY)
    assert codes(check.invalid) == ["id_number_format", "health_insurance_format", "phone_format"]
    assert not any("scientific" in english(p) for p in check.invalid)
    assert "12 digits" in english(check.invalid[0])


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (1990, "1990"),
        (1990.0, "1990"),
        ("1990", "1990"),
        (" 1990 ", "1990"),
        ("１９９０", "1990"),
        (1900, "1900"),
        (2100, "2100"),
        ("2100", "2100"),
    ],
)
def test_a_year_alone_is_not_a_date_of_birth(value: object, shown: str) -> None:
    parsed, (problem,) = parse_date_of_birth(value)
    assert parsed is None and problem.code == "date_of_birth_format"
    assert english(problem) == (
        f"Only a year ({shown}) was typed: the date of birth must be a whole date, as dd/mm/yyyy."
    )


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (1021990, "1021990"),
        (19900201, "19900201"),
        (19900201.0, "19900201"),
        (2958465, "2958465"),
        ("01021990", "01021990"),
        ("19900201", "19900201"),
        ("1021990", "1021990"),
        (99999999, "99999999"),
    ],
)
def test_a_date_without_separators_is_not_guessed(value: object, shown: str) -> None:
    parsed, (problem,) = parse_date_of_birth(value)
    assert parsed is None and problem.code == "date_of_birth_format"
    assert english(problem) == f"The date of birth ({shown}) has no separators: type it as dd/mm/yyyy."


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (32874, date(1990, 1, 1)),  # a 5-digit Excel serial, and its text, are dates as before
        (32874.0, date(1990, 1, 1)),
        ("32874", date(1990, 1, 1)),
        (44197.00001, date(2021, 1, 1)),  # a fraction under a minute: midnight, as a date-time cell's
        (1899, date(1905, 3, 13)),  # outside 1900-2100: a serial, as before (and too old)
        (2101, date(1905, 10, 1)),
        (999999, date(4637, 11, 25)),  # 6 digits: a serial, as before (and in the future)
        (1990.000001, date(1905, 6, 12)),  # not a whole number: no year
    ],
)
def test_serials_are_still_dates(value: object, expected: date) -> None:
    assert parse_date_of_birth(value) == (expected, [])


@pytest.mark.parametrize("value", ["3000", "1899", "102199", "199002011", "1990.0", "garbage"])
def test_other_unreadable_dates_keep_the_general_message(value: str) -> None:
    parsed, (problem,) = parse_date_of_birth(value)
    assert parsed is None and problem.code == "date_of_birth_format"
    assert english(problem) == "The date of birth must be a real date, as dd/mm/yyyy."


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("25/12/85", "The year of the date of birth (25/12/85) has two digits: type it with four (1985?)."),
        (
            "ngày 25 tháng 12 năm 85",
            "The year of the date of birth (ngày 25 tháng 12 năm 85) has two digits: type it with four (1985?).",
        ),
        (
            "25/12/05",
            "The year of the date of birth (25/12/05) has two digits, which do not tell the century: "
            "type it with four (1905 or 2005).",
        ),
        (
            "12/25/1985",
            "The date of birth 12/25/1985 seems written month first (25 is no month): "
            "type it day first, 25/12/1985, if that is the date.",
        ),
        ("2/30/1985", "The date of birth must be a real date, as dd/mm/yyyy."),  # no date either way
        (
            "24/12/1985 17:00",
            "The date of birth (24/12/1985 17:00) holds a time of day (17:00): a date and time shifted by a time "
            "zone may be another day's. Type the date alone, as dd/mm/yyyy.",
        ),
        (
            "1985-12-24T07:30:00Z",
            "The date of birth (1985-12-24T07:30:00Z) holds a time of day (07:30:00): a date and time shifted by "
            "a time zone may be another day's. Type the date alone, as dd/mm/yyyy.",
        ),
        (
            "Ngày 12/25/1985",
            "The date of birth 12/25/1985 seems written month first (25 is no month): "
            "type it day first, 25/12/1985, if that is the date.",
        ),
    ],
)
def test_a_short_year_or_a_month_first_date_says_so(value: str, message: str) -> None:
    parsed, (problem,) = parse_date_of_birth(value)
    assert parsed is None and problem.code == "date_of_birth_format"
    assert english(problem) == message


def test_check_person_refuses_a_year_or_a_date_without_separators() -> None:
    for value, words in ((1985, "Only a year (1985)"), ("01051985", "(01051985) has no separators")):
        check = check_person(person_with(date_of_birth=value), today=TODAY)
        (problem,) = check.invalid
        assert (problem.field, problem.code) == ("date_of_birth", "date_of_birth_format")
        assert words in english(problem)
        assert check.normalized.date_of_birth is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Nữ giới", "F"),
        ("nữ giới", "F"),
        ("NỮ GIỚI", "F"),
        ("Nu gioi", "F"),
        (" nu  gioi ", "F"),
        ("Nam giới", "M"),
        ("NAM GIỚI", "M"),
        ("nam gioi", "M"),
        ("Nam Gioi", "M"),
        ("giới", "giới"),
    ],
)
def test_sex_spelled_out(raw: str, expected: str) -> None:
    assert normalize_sex(raw) == expected


def test_check_person_reads_sex_spelled_out() -> None:
    check = check_person(person_with(sex="Nam giới"), today=TODAY)
    assert check.invalid == [] and check.normalized.sex == "M"
    check = check_person(person_with(sex="Nữ giới", id_number="001185012345"), today=TODAY)
    assert check.invalid == [] and check.normalized.sex == "F"
    (problem,) = check_person(person_with(sex="Nữ giới"), today=TODAY).invalid
    assert problem.code == "id_number_sex_mismatch"


@pytest.mark.parametrize("raw", ["Nguy\x01n V\x08n B\x1fình", "Trần\x7f Lan"])
def test_a_name_holding_a_control_character_is_refused_not_saved_without_it(raw: str) -> None:
    """Normalizing drops a control character (or makes U+001F a space): "Nguyn Vn B ình" would be saved."""
    (problem,) = check_name(raw)
    assert problem.code == "full_name_format" and "control character" in english(problem)
    check = check_person(person_with(full_name=raw), today=TODAY)
    assert [(p.field, p.code) for p in check.invalid] == [("full_name", "full_name_format")]
    assert check_name("Nguyễn\tVăn\nAn") == []  # whitespace, read as spaces


def test_a_title_before_the_name_is_refused_with_the_name_without_it() -> None:
    (problem,) = check_name("Bà Phạm Thị Hà")
    with translation.override("vi"):
        assert str(problem.message) == (
            "Họ và tên bắt đầu bằng danh xưng “Bà”: chỉ ghi họ và tên của người đó (Phạm Thị Hà)."
        )
