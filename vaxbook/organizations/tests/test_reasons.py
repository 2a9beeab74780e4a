"""The refusal reasons' summary: every code a row can be refused with is named, most rows first."""

import pytest
from django.utils import translation

from vaxbook.organizations.columns import (
    CELL_ERROR,
    CELL_TYPE,
    CODE_GROUPED,
    COLUMN_BESIDE_UNLABELLED,
    FORMULA_NOT_COMPUTED,
    NAME_BESIDE_UNLABELLED,
    NAME_PART_DISAGREES,
    NAME_PART_MISSING,
    NAME_PART_REPEATED,
    PROVINCE_CODE_NAME_MISMATCH,
    ROW_HIDDEN,
    ROW_STRUCK,
    WARD_ADDRESS_MISMATCH,
    WARD_AMBIGUOUS,
    WARD_CODE_NAME_MISMATCH,
    WARD_NAME_WITHOUT_PROVINCE,
)
from vaxbook.organizations.reasons import REFUSAL_LABELS, Reason, refusal_summary
from vaxbook.registry.identity import CODES

#: The identity rules' codes that leave a person incomplete, never refuse a row.
MISSING_CODES = {"id_document_missing", "phone_missing", "ward_missing", "priority_group_missing", "address_missing"}
#: The codes a row is refused with outside the identity rules (reference look-ups, documents, the sheet's cells).
OTHER_CODES = {
    "ward_unknown",
    "ward_split",
    WARD_AMBIGUOUS,
    WARD_NAME_WITHOUT_PROVINCE,
    WARD_CODE_NAME_MISMATCH,
    PROVINCE_CODE_NAME_MISMATCH,
    WARD_ADDRESS_MISMATCH,
    "province_unknown",
    "ward_not_in_province",
    "priority_group_unknown",
    "document_conflict",
    "document_repeated",
    "document_taken",
    "person_repeated",
    CELL_ERROR,
    CELL_TYPE,
    CODE_GROUPED,
    COLUMN_BESIDE_UNLABELLED,
    FORMULA_NOT_COMPUTED,
    ROW_HIDDEN,
    ROW_STRUCK,
    NAME_PART_MISSING,
    NAME_PART_DISAGREES,
    NAME_BESIDE_UNLABELLED,
    NAME_PART_REPEATED,
}


def test_every_refusal_code_has_a_label():
    refusing = (set(CODES) - MISSING_CODES) | OTHER_CODES
    assert set(CODES) >= MISSING_CODES
    assert refusing == set(REFUSAL_LABELS)


@pytest.mark.parametrize("code", sorted(REFUSAL_LABELS))
def test_every_label_is_translated(code):
    with translation.override("en"):
        english = str(REFUSAL_LABELS[code])
    with translation.override("vi"):
        vietnamese = str(REFUSAL_LABELS[code])
    assert english and vietnamese and vietnamese != english


def test_the_summary_puts_the_most_rows_first_and_keeps_an_unknown_code_as_itself():
    with translation.override("en"):
        summary = refusal_summary({"sex_format": 3, "phone_format": 410, "a_future_code": 3, "ward_unknown": 0})
    assert summary == [
        Reason("phone_format", "The phone number is not valid", 410),
        Reason("a_future_code", "a_future_code", 3),  # never dropped: the code itself
        Reason("sex_format", "The sex is neither Nam nor Nữ", 3),
    ]
    assert refusal_summary({}) == []


def test_the_summary_speaks_the_active_language():
    with translation.override("vi"):
        (reason,) = refusal_summary({"phone_format": 2})
    assert reason == Reason("phone_format", "Số điện thoại không hợp lệ", 2)
