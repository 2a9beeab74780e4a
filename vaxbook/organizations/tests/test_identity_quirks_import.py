"""The identity rules' spreadsheet quirks through the roster import, end to end (a red team found them so):
what is undone is saved as it should be, what is refused is refused with a reason naming its column."""

import io
from datetime import date, datetime
from typing import Any

import openpyxl
import pytest
import xlsxwriter

from vaxbook.common.testing import cccd_for
from vaxbook.organizations.models import RosterEntry, RosterImport
from vaxbook.organizations.services import roster_import_start
from vaxbook.organizations.tests.builders import (
    csv_bytes,
    person_row,
    saved_by_excel,
    table,
    upload,
    xlsx_bytes,
)
from vaxbook.registry.models import Person

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(rep: Any, org: Any, places: Any, django_capture_on_commit_callbacks: Any) -> Any:
    def run(content: bytes, name: str = "roster.xlsx") -> RosterImport:
        with django_capture_on_commit_callbacks(execute=True):
            started = roster_import_start(actor=rep, organization=org, upload=upload(content, name))
        started.refresh_from_db()
        return started

    return run


def reasons(imp: RosterImport) -> dict[int, str]:
    """The error report's reason per row, by its first column (the STT)."""
    with imp.error_report.open("rb") as f:
        sheet = openpyxl.load_workbook(io.BytesIO(f.read())).worksheets[0]
    rows = [tuple(r) for r in sheet.iter_rows(values_only=True)]
    return {r[0]: r[-1] for r in rows[1:] if r[-1]}


def typed_xlsx(cells: list[list[Any]]) -> bytes:
    """A workbook whose bools are TRUE/FALSE cells and datetimes date-time cells, as Excel saves them."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet("Danh sách")
    stamp = book.add_format({"num_format": "dd/mm/yyyy hh:mm"})
    for r, row in enumerate(cells):
        for c, value in enumerate(row):
            if isinstance(value, bool):
                sheet.write_boolean(r, c, value)
            elif isinstance(value, datetime):
                sheet.write_datetime(r, c, value, stamp)
            elif isinstance(value, int | float):
                sheet.write_number(r, c, value)
            elif value not in (None, ""):
                sheet.write_string(r, c, value)
    book.close()
    return saved_by_excel(out.getvalue())


BORN = date(1985, 6, 15)


def born_row(n: int, **over: Any) -> dict[str, Any]:
    sex = "F" if n % 2 else "M"  # as person_row's
    return person_row(n, **{"Ngày sinh": "15/06/1985", "Số giấy tờ": cccd_for(BORN, sex, 501 + n), **over})


@pytest.mark.parametrize("junk", ["\u200b", "\ufeff", "\u00ad", "\u2060", "\u200e"])
@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_an_invisible_character_in_a_text_date_is_undone(run: Any, junk: str, kind: str) -> None:
    rows = [born_row(1, **{"Ngày sinh": junk + "15/06/1985"}), born_row(2, **{"Ngày sinh": "15/06/1985" + junk})]
    imp = run(xlsx_bytes(table(rows))) if kind == "xlsx" else run(csv_bytes(table(rows)), "roster.csv")
    assert (imp.created, imp.refused) == (2, 0)
    assert set(Person.objects.values_list("date_of_birth", flat=True)) == {BORN}


@pytest.mark.parametrize("value", [32874.75, "32874.75"])
def test_a_serial_date_with_a_time_of_day_is_refused(run: Any, value: Any) -> None:
    imp = run(xlsx_bytes(table([person_row(1, **{"Ngày sinh": value})])))
    assert (imp.created, imp.refused) == (0, 1)
    assert "(01/01/1990 18:00) có kèm giờ (18:00)" in reasons(imp)[1]
    assert not Person.objects.exists()


@pytest.mark.parametrize("value", ["15/06/1985 12:00:00 AM", "15–06–1985", "15‐06‐1985", "15 06 1985"])
def test_other_shapes_of_a_text_date_are_read(run: Any, value: str) -> None:
    imp = run(csv_bytes(table([born_row(1, **{"Ngày sinh": value})])), "roster.csv")
    assert (imp.created, imp.refused) == (1, 0)
    assert Person.objects.get().date_of_birth == BORN


def test_a_zero_width_space_inside_a_name_vanishes(run: Any) -> None:
    imp = run(xlsx_bytes(table([person_row(1, **{"Họ và tên": "Nguy\u200bễn Văn\u200bAn"})])))
    assert imp.created == 1
    assert Person.objects.get().full_name == "Nguyễn Văn An"


@pytest.mark.parametrize("name", ["\u0301Nguyễn Văn An", "Nguyễn \u0301Văn An", "Nguyễn Văn An\u0301"])
def test_a_stray_mark_in_a_name_is_refused(run: Any, name: str) -> None:
    imp = run(xlsx_bytes(table([person_row(1, **{"Họ và tên": name})])))
    assert (imp.created, imp.refused) == (0, 1)
    assert reasons(imp)[1].startswith("Dòng 2 của tệp đã gửi, cột “Họ và tên”: Họ và tên có một dấu")


def test_a_social_insurance_number_that_lost_its_zero(run: Any) -> None:
    """From a numeric cell the zero is given back; from its CSV, refused naming the number with its zero."""
    imp = run(xlsx_bytes(table([person_row(1, **{"Số thẻ BHYT": 123456789})])))
    assert imp.created == 1 and Person.objects.get().health_insurance_number == "0123456789"
    imp = run(csv_bytes(table([person_row(2, **{"Số thẻ BHYT": "123456789"})])), "roster.csv")
    assert (imp.created, imp.refused) == (0, 1)
    (reason,) = reasons(imp).values()
    assert "0123456789" in reason and "[health_insurance_format]" in reason


def test_a_document_number_grouped_by_thousands_in_a_csv(run: Any) -> None:
    number = cccd_for(date(1990, 1, 1), "M", 1234)
    grouped = f"{int(number):,}"  # 75,090,001,234: the zero lost, the digits grouped
    row = person_row(1, **{"Ngày sinh": "01/01/1990", "Giới tính": "Nam", "Số giấy tờ": grouped})
    imp = run(csv_bytes(table([row])), "roster.csv")
    assert (imp.created, imp.refused) == (1, 0)
    assert Person.objects.get().id_number == number


@pytest.mark.parametrize("column", ["Họ và tên", "Bộ phận", "Nghề nghiệp", "Địa chỉ", "Dân tộc"])
@pytest.mark.parametrize(
    ("value", "shown"), [(True, "TRUE"), (False, "FALSE"), (datetime(1985, 6, 15, 13, 30), "15/06/1985 13:30")]
)
def test_a_truth_value_or_a_date_in_a_text_column_is_refused(run: Any, column: str, value: Any, shown: str) -> None:
    """Saved before as Python's "True" or "1985-06-15 13:30:00": a person named True."""
    cells = table([person_row(1, **{column: value}), person_row(2)])
    imp = run(typed_xlsx(cells))
    assert (imp.created, imp.refused) == (1, 1)
    reason = reasons(imp)[1]
    assert reason.startswith(f"Dòng 2 của tệp đã gửi, cột “{column}”: Ô này chứa ") and f"(“{shown}”)" in reason
    assert reason.endswith("[text_not_text]")
    assert not Person.objects.filter(full_name__in=["True", "False"]).exists()
    assert not RosterEntry.objects.filter(department__in=["True", "False"]).exists()
