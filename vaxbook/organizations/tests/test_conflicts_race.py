"""A review and an edit of its record at the same moment, each with its own database connection.

A record's edit (`person_update`) locks the record and then, settling them, its open conflicts; an import keeps
a conflict after locking its record too. A review that locked the conflict first and the record second crossed
them: PostgreSQL found a deadlock and the review answered 500 (a red team's run: 11 of 20). The review now takes
the record first."""

import threading
import time
from typing import Any

import pytest
from django.db import connection, connections, transaction

from vaxbook.organizations.models import RosterConflict
from vaxbook.organizations.services import roster_conflict_review
from vaxbook.organizations.tests.test_conflicts import conflict_file, record  # noqa: F401 (the fixture)
from vaxbook.organizations.tests.test_pipeline import run  # noqa: F401 (the fixture)
from vaxbook.registry.models import Person

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("places")]


def waiting_for_a_lock(timeout: float = 10) -> bool:
    """Another connection waits for a row lock (PostgreSQL's activity view)."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT pg_stat_clear_snapshot()")  # else read once per transaction
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0]:
                return True
            time.sleep(0.02)
    return False


def test_a_review_takes_the_record_before_the_conflict(run: Any, record: Any, officer: Any) -> None:  # noqa: F811
    if connection.vendor != "postgresql":
        pytest.skip("row locks and their waits: PostgreSQL only (SQLite serializes every write transaction)")
    run(conflict_file(record))
    conflict = RosterConflict.objects.get()
    outcome: list[str] = []

    def review() -> None:
        try:
            roster_conflict_review(
                actor=officer, conflict=conflict, decision="keep", person_version=1, conflict_version=1
            )
            outcome.append("ok")
        except Exception as exc:
            outcome.append(repr(exc))
        finally:
            connections.close_all()

    reviewer = threading.Thread(target=review)
    with transaction.atomic():
        Person.objects.select_for_update().get(pk=record.pk)  # an edit of the record, under way
        reviewer.start()
        assert waiting_for_a_lock(), f"the review did not wait for the record: {outcome}"
        # What the edit's settling does next: the review waits for the record without holding the conflict
        RosterConflict.objects.select_for_update(nowait=True).get(pk=conflict.pk)
    reviewer.join(timeout=30)
    assert outcome == ["ok"]
    conflict.refresh_from_db()
    assert conflict.status == "kept"


def test_a_row_that_agrees_leaves_a_conflict_another_import_took_meanwhile(
    run: Any,  # noqa: F811
    record: Any,  # noqa: F811
    monkeypatch: Any,
) -> None:
    """A file's row agrees with the record: its chunk withdraws the record's open conflict. But an import of the
    organization that ran beside it, sending the mistyped row again with other values, took the conflict
    meanwhile: that file's question stays open (withdrawn, the reviewers never saw its row; a red team's run)."""
    from vaxbook.organizations import services

    run(conflict_file(record))
    conflict = RosterConflict.objects.get()
    original = services._ImportRun._prepare
    beside: list[Any] = []

    def beside_then_prepare(self: Any, rows: Any, *args: Any) -> Any:
        if not beside:  # once, before the first chunk of the file that agrees (and not in the one beside)
            beside.append(None)
            beside[0] = run(conflict_file(record, **{"Họ và tên": "Trần Thị Mây"}), name="beside.xlsx")
        return original(self, rows, *args)

    monkeypatch.setattr(services._ImportRun, "_prepare", beside_then_prepare)
    agrees = run(conflict_file(record, **{"Ngày sinh": "03/04/1990"}))  # the record's own birth date
    assert (agrees.status, agrees.refused, beside[0].status, beside[0].refused) == ("done", 0, "done", 1)
    conflict.refresh_from_db()
    assert (conflict.status, conflict.roster_import_id, conflict.submitted["full_name"]) == (
        "open",
        beside[0].pk,
        "Trần Thị Mây",
    )
