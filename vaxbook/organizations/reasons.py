"""Why an import's rows were refused, summed up: one short label per refusal code, most rows first.

A clerk whose file came back with 2,000 refused rows first needs to know what went wrong in bulk
("410 rows: the phone number is not valid") before fixing rows one by one in the error report. The
import counts its refused rows by code (`RosterImport.refusals`); this module names each code in a
few words, in the active language. Pure: no database.

Every code a row can be refused with has a label here (a test checks it against the identity rules'
codes); a code without one is shown as itself, never dropped.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

#: A refusal code → a short label (lazy, translated). Grouped as the codes' origins are.
REFUSAL_LABELS: dict[str, Promise] = {
    # the identity rules (registry/identity.py)
    "full_name_required": _("The full name is missing"),
    "full_name_format": _("The full name holds characters other than letters"),
    "full_name_title": _("The full name begins with a title (Ông, Bà …)"),
    "date_of_birth_required": _("The date of birth is missing"),
    "date_of_birth_format": _("The date of birth is not a real date (dd/mm/yyyy)"),
    "date_of_birth_future": _("The date of birth is in the future"),
    "date_of_birth_too_old": _("The date of birth is more than 120 years ago"),
    "sex_required": _("The sex is missing"),
    "sex_format": _("The sex is neither Nam nor Nữ"),
    "nationality_format": _("The nationality is no country known"),
    "id_type_format": _("The document type is not CCCD, CMND or Hộ chiếu"),
    "id_type_required": _("The document type is missing and the number does not tell it"),
    "id_number_format": _("The document number does not have the shape of its type"),
    "id_number_province": _("The 12-digit ID number does not start with a province code"),
    "id_number_sex_mismatch": _("The 12-digit ID number disagrees with the sex"),
    "id_number_century_mismatch": _("The 12-digit ID number disagrees with the century of birth"),
    "id_number_year_mismatch": _("The 12-digit ID number disagrees with the year of birth"),
    "health_insurance_format": _("The health insurance number does not have a valid shape"),
    "phone_format": _("The phone number is not valid"),
    "text_too_long": _("A text is too long"),
    "text_legacy_encoding": _("A text is typed in an old Vietnamese encoding (TCVN3, VNI, VIQR)"),
    "text_letters_lost": _("Letters of a text were replaced by question marks"),
    "text_misread_encoding": _("A text is Unicode read in another encoding (Nguyá»…n)"),
    "text_not_text": _("A text cell holds TRUE or FALSE, a date, a time or a duration"),
    # the reference look-ups (registry/services.py)
    "ward_unknown": _("No ward or commune has this code or name"),
    "ward_split": _("The ward or commune code is from before 2025, and the ward was split: give the new code"),
    "ward_ambiguous": _("The ward or commune's name may stand for several: give its code"),
    "ward_name_without_province": _("The ward or commune is given by its name without a province"),
    "ward_code_name_mismatch": _("The ward's code and the name beside it are two different wards"),
    "ward_address_mismatch": _("The ward's code and the ward named in the address disagree"),
    "province_code_name_mismatch": _("The province's code and the name beside it are two different provinces"),
    "province_unknown": _("The province code or name does not exist"),
    "ward_not_in_province": _("The ward or commune is not in the province given"),
    "priority_group_unknown": _("The priority group does not exist"),
    # one person per document (registry/services.py)
    "document_conflict": _("The document number belongs to a person with another name or birth date"),
    "document_repeated": _("The document number appears earlier in the file"),
    "document_taken": _("The document number is already registered"),
    "person_repeated": _("The person is listed earlier in the file, with and without the document"),
    # what the sheet holds instead of a value (organizations/columns.py)
    "cell_error": _("A cell holds an Excel error (#N/A, #REF! …)"),
    "formula_not_computed": _("A cell holds a formula without its result"),
    "cell_type": _("A code's cell holds a TRUE/FALSE, a date or a time instead of a code"),
    "code_grouped": _("A code is typed with a thousands separator (4.000) and may be read two ways"),
    "column_beside_unlabelled": _("A column without a header beside a column read holds a value"),
    "name_part_missing": _("A part of a name split over several columns is empty"),
    "name_part_disagrees": _("The full name neither starts nor ends with the part of it typed beside it"),
    "name_beside_unlabelled": _("A column without a header beside the name holds a value"),
    "name_part_repeated": _("The parts of a split name repeat each other"),
    # a row the sheet hides (organizations/columns.py)
    "row_hidden": _("The row is hidden in the file (hidden, filtered out or folded)"),
    "row_struck": _("Text in the row is struck through"),
}


@dataclass(frozen=True)
class Reason:
    code: str
    label: str
    rows: int


def refusal_summary(refusals: Mapping[str, int]) -> list[Reason]:
    """The refusal reasons of an import, most rows first (then by code), labelled in the active language.

    A row refused for several reasons counts under each, so the rows add up to more than the rows refused.
    """
    ordered = sorted(((code, rows) for code, rows in refusals.items() if rows > 0), key=lambda cr: (-cr[1], cr[0]))
    return [Reason(code, str(REFUSAL_LABELS.get(code, code)), rows) for code, rows in ordered]
