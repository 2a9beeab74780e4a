"""Random rosters against the outcome each row must have, whatever the chunk size and the file's format:
new staff are created, known ones linked, a document repeated in the file is accepted once and refused
after, a document of someone else is a conflict, a defective row is refused with its code, a row that says
nothing of who it is is refused inside the table and the sheet's footer below it is named; the counts add
up; the same file again creates nobody and refuses the same rows for the same reasons; no document ends
up on two persons.

The tests commit (as test_pipeline's), so that on PostgreSQL the chunks are written on the second
connection while the next ones are checked. Deterministic: one seed per case; `VAXBOOK_INVARIANT_SEEDS`
runs more of them (a bug hunt: 200 seeds on SQLite and 120 on PostgreSQL passed when it was written; it
fails when a document accepted in an earlier chunk is no longer a repeat).
"""

import os
import random
from collections import Counter
from datetime import datetime
from typing import Any

import pytest
from django.test import override_settings

from vaxbook.common.testing import PersonFactory
from vaxbook.organizations.tests.builders import csv_bytes, person_row, table, xlsx_bytes
from vaxbook.organizations.tests.test_pipeline import run  # noqa: F401 (the fixture)
from vaxbook.organizations.tests.test_services import reasons_by_row
from vaxbook.registry.models import Person

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("places")]

SEEDS = int(os.environ.get("VAXBOOK_INVARIANT_SEEDS", "3"))
ROWS = 40
DEFECTS = {
    "phone_format": {"Số điện thoại": "0212345678"},
    "full_name_required": {"Họ và tên": ""},
    "date_of_birth_format": {"Ngày sinh": "31/02/1990"},
}


def known_person(row: dict[str, Any], *, full_name: str | None = None) -> Person:
    dob = datetime.strptime(row["Ngày sinh"], "%d/%m/%Y").date()
    return PersonFactory(
        full_name=full_name or row["Họ và tên"],
        date_of_birth=dob,
        sex="F" if row["Giới tính"] == "Nữ" else "M",
        id_type="cccd",
        id_number=row["Số giấy tờ"],
    )


@pytest.mark.parametrize("seed", range(SEEDS))
def test_random_rosters_get_the_outcome_each_row_must_have(seed: int, run: Any) -> None:  # noqa: F811 (the fixture)
    rng = random.Random(seed)
    fresh = iter(range(1000 * (seed + 1), 1000 * (seed + 2)))
    known = [person_row(next(fresh)) for _ in range(4)]
    for row in known:
        known_person(row)
    others = [person_row(next(fresh)) for _ in range(3)]  # their documents belong to someone of another name
    for row in others:
        known_person(row, full_name="Trần Thị Khác")
    rows: list[dict[str, Any]] = []
    expected: dict[int, str] = {}  # STT -> "created", "known" or the refusal's code
    accepted_docs: list[dict[str, Any]] = []
    seen_docs: set[str] = set()
    for stt in range(1, ROWS + 1):
        kind = rng.choices(["new", "repeat", "known", "conflict", "defect", "nobody"], weights=[8, 2, 2, 1, 2, 1])[0]
        if kind == "nobody" and stt < ROWS:  # says nothing of who it is, inside the table: refused
            row = {"Họ và tên": f"Chưa Điền {stt}"}
            outcome = "date_of_birth_required"
        elif kind == "repeat" and accepted_docs:
            row = {**rng.choice(accepted_docs)}
            if rng.random() < 0.5:  # whatever the name on the later row
                row["Họ và tên"] = "Lê Văn Lặp"
            outcome = "document_repeated"
        elif kind == "known" and known:
            row = {**rng.choice(known)}
            outcome = "document_repeated" if row["Số giấy tờ"] in seen_docs else "known"
        elif kind == "conflict" and others:
            row = {**others.pop()}
            outcome = "document_conflict"
        elif kind == "defect":
            code = rng.choice(sorted(DEFECTS))
            row = person_row(next(fresh), **DEFECTS[code])
            outcome = code
        else:
            row = person_row(next(fresh))
            outcome = "created"
        row["STT"] = stt
        if outcome in ("created", "known"):
            accepted_docs.append(row)
            seen_docs.add(row["Số giấy tờ"])
        rows.append(row)
        expected[stt] = outcome

    # Below the last person, the sheet's footer: a total, a signature, the signer's name (none, or some).
    footer = [{"Họ và tên": text} for text in ("Tổng cộng", "Người lập biểu", "Nguyễn Văn Ký")[: rng.randrange(4)]]
    footer_rows = [ROWS + 2 + i for i in range(len(footer))]  # the header is row 1
    chunk = rng.randrange(2, 9)
    as_csv = rng.random() < 0.3
    content = csv_bytes(table(rows + footer)) if as_csv else xlsx_bytes(table(rows + footer))
    name = "roster.csv" if as_csv else "roster.xlsx"
    tally = Counter(v if v in ("created", "known") else "refused" for v in expected.values())
    persons_before = Person.objects.count()

    with override_settings(ROSTER_IMPORT_CHUNK_ROWS=chunk, ROSTER_IMPORT_READ_ROWS=chunk + 3):
        first = run(content, name)
        assert first.status == "done", (seed, first.problems)
        assert (first.total, first.created, first.linked + first.updated, first.refused) == (
            ROWS,
            tally["created"],
            tally["known"],
            tally["refused"],
        ), (seed, chunk, as_csv, expected)
        assert first.accepted == first.created + first.linked + first.updated
        assert first.footer_rows == footer_rows, (seed, chunk)
        reasons = reasons_by_row(first)
        refused = {stt: code for stt, code in expected.items() if code not in ("created", "known")}
        assert set(reasons) == set(refused), (seed, chunk)
        for stt, code in refused.items():
            assert f"[{code}]" in reasons[stt], (seed, chunk, stt, code, reasons[stt])
        assert Person.objects.count() == persons_before + tally["created"]

        again = run(content, name)
        assert (again.created, again.linked + again.updated, again.refused) == (
            0,
            tally["created"] + tally["known"],
            tally["refused"],
        )
        assert reasons_by_row(again).keys() == reasons.keys()
    numbers = Counter(Person.objects.exclude(id_number="").values_list("id_number", flat=True))
    assert max(numbers.values()) == 1
