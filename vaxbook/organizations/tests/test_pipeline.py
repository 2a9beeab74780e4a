"""The import with its chunks written on a second connection while the next one is checked (PostgreSQL,
outside a transaction): the same outcomes, counts and audit as one after the other, and the failures
handled as the run's guarantees say (docs/roster-import.md).

These tests commit (a transaction would hide the rows from the second connection); on SQLite the
import runs one chunk after the other and they check that path the same way.
"""

import gc
import sys
import threading
from datetime import date
from typing import Any
from unittest import mock

import pytest
from django.db import connection, connections
from django.test import override_settings

from vaxbook.common.models import AuditEvent
from vaxbook.common.testing import OrganizationFactory, PersonFactory, Role, make_member
from vaxbook.organizations import services
from vaxbook.organizations.models import RosterEntry, RosterImport
from vaxbook.organizations.services import roster_import_start
from vaxbook.organizations.tests.builders import person_row, table, upload, xlsx_bytes
from vaxbook.organizations.tests.test_services import reasons_by_row
from vaxbook.registry.models import Person

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("places")]

PIPELINED = connection.vendor == "postgresql"


@pytest.fixture
def run(rep: Any, org: Any) -> Any:
    def run(content: bytes, name: str = "roster.xlsx") -> RosterImport:
        started = roster_import_start(actor=rep, organization=org, upload=upload(content, name))
        started.refresh_from_db()  # the task ran on commit (ImmediateBackend)
        return started

    return run


def registered_as(row: dict[str, Any], **extra: Any) -> Any:
    """The person of a roster row, registered at a desk (as someone else would while the import runs)."""
    day, month, year = (int(part) for part in row["Ngày sinh"].split("/"))
    return PersonFactory(
        full_name=row["Họ và tên"],
        date_of_birth=date(year, month, day),
        sex="F" if row["Giới tính"] == "Nữ" else "M",
        id_number=row["Số giấy tờ"],
        **extra,
    )


@pytest.fixture
def pipelined() -> Any:
    """Counts the runs that wrote their chunks on the second connection."""
    real = services._ImportRun._run_pipelined
    calls: list[int] = []

    def spy(self: Any, chunks: Any) -> None:
        calls.append(1)
        real(self, chunks)

    with mock.patch.object(services._ImportRun, "_run_pipelined", spy):
        yield calls


@override_settings(ROSTER_IMPORT_CHUNK_ROWS=2)
def test_chunks_written_meanwhile_give_the_same_outcomes(run, org, pipelined):
    first = person_row(1)
    twin = {"Loại giấy tờ": "", "Số giấy tờ": "", "Họ và tên": "Đỗ Văn Tư", "Ngày sinh": "01/01/1990"}
    twin |= {"Giới tính": "Nam", "Số điện thoại": "0912999999"}
    rows = [
        first,
        person_row(2, **twin),
        person_row(3),  # chunk 2, checked while chunk 1 is written
        person_row(4, **twin),  # a suspected duplicate of row 2, not yet committed when it is checked
        {**first, "STT": 5, "Số thẻ BHYT": "0123456789"},  # a repeat of row 1: refused, fills nothing
        {**first, "STT": 6, "Họ và tên": "Phạm Thị Khác"},  # a repeat under another name: a repeat too
        person_row(7, **{"Giới tính": "?"}),  # invalid
    ]
    imp = run(xlsx_bytes(table(rows)))
    assert len(pipelined) == (1 if PIPELINED else 0)
    assert (imp.status, imp.created, imp.linked, imp.updated, imp.refused) == ("done", 4, 0, 0, 3)
    assert imp.accepted == 4 and imp.total == 7 and imp.progress == 100
    reasons = reasons_by_row(imp)
    assert "[document_repeated]" in reasons[5] and "[document_repeated]" in reasons[6]
    assert "[sex_format]" in reasons[7]
    assert Person.objects.get(id_number=first["Số giấy tờ"]).health_insurance_number == ""
    two, four = Person.objects.filter(search_name="do van tu").order_by("pk")
    assert four.suspected_duplicate_of == two
    assert RosterEntry.objects.filter(organization=org).count() == Person.objects.count() == 4
    assert AuditEvent.objects.filter(action="registry.person.created").count() == 4
    assert AuditEvent.objects.filter(action="organizations.roster.imported").count() == 4  # one per chunk


@override_settings(ROSTER_IMPORT_CHUNK_ROWS=2)
def test_the_same_file_again_creates_nobody(run, org):
    content = xlsx_bytes(table([person_row(i) for i in range(1, 8)]))
    first = run(content)
    second = run(content)
    assert (first.created, second.created, second.linked, second.refused) == (7, 0, 7, 0)
    assert Person.objects.count() == RosterEntry.objects.filter(organization=org).count() == 7
    # Every entry is marked as listed by the latest file, whichever connection wrote its chunk.
    assert set(RosterEntry.objects.values_list("last_import", flat=True)) == {second.pk}
    shorter = run(xlsx_bytes(table([person_row(i) for i in range(1, 6)])))  # two have left
    absent = RosterEntry.objects.exclude(last_import=shorter).values_list("person__id_number", flat=True)
    assert sorted(absent) == sorted(person_row(i)["Số giấy tờ"] for i in (6, 7))


@override_settings(ROSTER_IMPORT_CHUNK_ROWS=2)
def test_a_crash_while_a_chunk_is_written_keeps_exactly_what_was_committed(run, org):
    real = services.persons_register_plan
    calls: list[int] = []

    def flaky(**kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 3:  # chunk 3 is checked while chunk 2 is written
            raise RuntimeError("out of memory")
        return real(**kwargs)

    with mock.patch.object(services, "persons_register_plan", side_effect=flaky):
        imp = run(xlsx_bytes(table([person_row(i) for i in range(1, 8)])))
    assert imp.status == "failed"
    assert [p["code"] for p in imp.problems] == ["import_crashed"]
    assert (imp.created, imp.accepted) == (4, 4)  # chunks 1 and 2: each ended (committed) before the failure
    assert Person.objects.count() == RosterEntry.objects.filter(organization=org).count() == 4
    failed = AuditEvent.objects.get(action="organizations.roster_import.failed")
    assert failed.data["rows_saved"] == 4


@override_settings(ROSTER_IMPORT_CHUNK_ROWS=2)
def test_a_failed_write_fails_the_import_and_keeps_the_chunks_before(run, org):
    real = services._ImportRun._write
    calls: list[int] = []

    def flaky(self: Any, chunk: Any) -> None:
        calls.append(1)
        real(self, chunk)
        if len(calls) == 2:
            raise RuntimeError("connection lost")  # after the writes: the whole chunk rolls back

    with mock.patch.object(services._ImportRun, "_write", flaky):
        imp = run(xlsx_bytes(table([person_row(i) for i in range(1, 8)])))
    assert imp.status == "failed"
    assert [p["code"] for p in imp.problems] == ["import_crashed"]
    assert (imp.created, imp.accepted) == (2, 2)
    assert Person.objects.count() == RosterEntry.objects.filter(organization=org).count() == 2


@override_settings(ROSTER_IMPORT_CHUNK_ROWS=2)
def test_an_uploader_whose_membership_is_removed_meanwhile_has_nothing_more_written(run, rep, org):
    """The membership removed once the first chunk has committed: the chunk written next, on the second
    connection, writes nothing, and the import fails `import_not_allowed` (not `import_crashed`)."""
    real = services._ImportRun._accept
    calls: list[int] = []

    def accept(self: Any, chunk: Any) -> None:
        real(self, chunk)
        calls.append(1)
        if len(calls) == 1:
            rep.memberships.all().delete()

    with mock.patch.object(services._ImportRun, "_accept", accept):
        imp = run(xlsx_bytes(table([person_row(i) for i in range(1, 8)])))
    assert (imp.status, imp.accepted) == ("failed", 2)
    assert [p["code"] for p in imp.problems] == ["import_not_allowed"]
    assert Person.objects.count() == RosterEntry.objects.filter(organization=org).count() == 2


@override_settings(ROSTER_IMPORT_CHUNK_ROWS=2)
def test_a_document_registered_elsewhere_meanwhile_is_decided_again(run, org):
    real = services.persons_register_plan
    calls: list[int] = []
    third = person_row(3)

    def racing(**kwargs: Any) -> Any:
        plan = real(**kwargs)
        calls.append(1)
        if len(calls) == 2:  # chunk 2 is decided: the desk registers row 3's person before it is written
            PersonFactory(
                full_name=third["Họ và tên"],
                date_of_birth=date(1983, 4, 4),  # person_row(3)'s birth date
                sex="F",
                id_number=third["Số giấy tờ"],
            )
        return plan

    with mock.patch.object(services, "persons_register_plan", side_effect=racing):
        imp = run(xlsx_bytes(table([person_row(1), person_row(2), third, person_row(4), person_row(5)])))
    assert (imp.status, imp.created, imp.linked + imp.updated, imp.refused) == ("done", 4, 1, 0), imp.problems
    assert Person.objects.count() == 5
    assert RosterEntry.objects.filter(organization=org).count() == 5


@override_settings(ROSTER_IMPORT_CHUNK_ROWS=8)
def test_a_chunk_that_loses_race_after_race_is_written_in_smaller_parts(run, org):
    """A desk registering the file's persons one after the other while a chunk is decided: each attempt at
    the whole chunk loses (the run gave up after three and failed as `import_crashed`). Its halves, and
    theirs, are decided and written again, down to a few rows: nothing is lost or twice."""
    rows = [person_row(n) for n in range(1, 9)]
    real = services.persons_register_plan
    registered: list[dict[str, Any]] = []

    def racing(**kwargs: Any) -> Any:
        plan = real(**kwargs)
        deciding = {person.id_number for person in kwargs["rows"]}
        waiting = [r for r in rows if r["Số giấy tờ"] in deciding and r not in registered]
        if len(kwargs["rows"]) > 2 and waiting:  # one of the rows being decided is registered before it is written
            row = waiting[0]
            registered_as(row)
            registered.append(row)
        return plan

    with (
        mock.patch.object(services, "persons_register_plan", side_effect=racing),
        mock.patch.object(services, "_SERIAL_MIN_ROWS", 2),
    ):
        imp = run(xlsx_bytes(table(rows)))
    # the whole chunk's attempt (on PostgreSQL, on the second connection first), then each of its halves'
    assert len(registered) == (4 if PIPELINED else 3)
    assert (imp.status, imp.total, imp.accepted, imp.refused) == ("done", 8, 8, 0), imp.problems
    assert (imp.created, imp.linked + imp.updated) == (8 - len(registered), len(registered))
    assert Person.objects.count() == 8
    assert RosterEntry.objects.filter(organization=org).count() == 8


@pytest.mark.skipif(not PIPELINED, reason="two imports writing at once need PostgreSQL")
@override_settings(ROSTER_IMPORT_CHUNK_ROWS=40)
def test_two_organizations_filling_the_same_records_at_once_neither_overwrite_nor_deadlock(rep, org, places):
    """Two organizations list the same 200 records, which have no phone, in opposite orders and with other
    phones, and their imports run at once: each blank is filled once and kept (the later write finds the
    record changed and links it), and neither import breaks off on a deadlock."""
    rows = [person_row(n) for n in range(1, 201)]
    for row in rows:
        registered_as(row, phone="", ward=places, priority_group__code="9")
    other = OrganizationFactory(name="Công ty Hai", admin_unit=org.admin_unit)
    rep2 = make_member(Role.ORG_REPRESENTATIVE, organization=other, username="rep2")
    theirs = [{**row, "Số điện thoại": "0977" + row["Số điện thoại"][4:]} for row in reversed(rows)]
    with mock.patch.object(services, "_enqueue"):
        imports = [
            roster_import_start(actor=rep, organization=org, upload=upload(xlsx_bytes(table(rows)))),
            roster_import_start(actor=rep2, organization=other, upload=upload(xlsx_bytes(table(theirs)))),
        ]
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def process(pk: int) -> None:
        try:
            barrier.wait()
            services.roster_import_process(import_id=pk)
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=process, args=(imp.pk,)) for imp in imports]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    for imp in imports:
        imp.refresh_from_db()
        assert (imp.status, imp.refused, imp.accepted) == ("done", 0, 200), imp.problems
    assert sum(imp.updated for imp in imports) == 200 and sum(imp.linked for imp in imports) == 200
    assert set(Person.objects.values_list("version", flat=True)) == {2}  # each blank filled once
    assert AuditEvent.objects.filter(action="registry.person.updated").count() == 200
    mine = {f"+84{row['Số điện thoại'][1:]}" for row in rows}
    assert all(p.phone in mine or p.phone.startswith("+84977") for p in Person.objects.all())


def test_the_process_settings_changed_for_imports_are_restored_when_the_last_one_ends():
    """Two imports overlapping in two threads: the first to end leaves the settings to the other,
    the last restores what the process had before."""
    before = (gc.get_threshold(), sys.getswitchinterval())
    first, second = services._WhileImporting(), services._WhileImporting()
    first.__enter__()
    during = (gc.get_threshold(), sys.getswitchinterval())
    assert during == (services._WhileImporting.GC_THRESHOLD, services._WhileImporting.SWITCH_INTERVAL)
    second.__enter__()
    first.__exit__(None, None, None)
    assert (gc.get_threshold(), sys.getswitchinterval()) == during  # the second still runs
    second.__exit__(None, None, None)
    assert (gc.get_threshold(), sys.getswitchinterval()) == before
