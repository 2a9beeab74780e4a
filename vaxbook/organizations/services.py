"""Organization writes: importing a staff roster from a spreadsheet.

The roster import follows pretix's model import: one column object per field with its clean step
(`columns.py`), every row checked by the same rules as every other door (`persons_register_bulk`, which
runs the identity rules, resolves references, links existing persons and flags suspected duplicates),
every refusal naming its row and column, objects built in memory and written in short transactions,
in a background task that reports progress.

- `roster_import_start` runs in the request: it refuses an unreadable file at once (a `DomainError` with
  a stable code, nothing written), stores the file and a queued `RosterImport`, and enqueues the run
  on commit.
- `roster_import_process` is the run (`tasks.roster_import_run`): it streams the rows, processes them in
  chunks of `ROSTER_IMPORT_CHUNK_ROWS`, each chunk in one transaction that also moves the counts and
  the progress (so the counts always match what was written, even when a later chunk fails), and writes
  the error report of the refused rows.
"""

import contextlib
import itertools
import logging
import os
import tempfile
from collections import Counter
from collections.abc import Generator
from dataclasses import dataclass
from functools import partial
from typing import IO, Any

from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from vaxbook.common.audit import audit_log
from vaxbook.common.bulk import bulk_insert
from vaxbook.common.errors import ErrorItem, Forbidden
from vaxbook.organizations import selectors
from vaxbook.organizations.columns import COLUMNS, HeaderMatch, RosterRow, RowMapper, find_header, is_blank, reason_text
from vaxbook.organizations.conf import limit
from vaxbook.organizations.models import Organization, RosterEntry, RosterImport
from vaxbook.organizations.readers import Book, FileRefused, Row, open_book
from vaxbook.organizations.workbooks import ErrorReportWriter, text_positions
from vaxbook.registry.identity import check_person
from vaxbook.registry.models import Person
from vaxbook.registry.services import persons_register_bulk

logger = logging.getLogger(__name__)

#: Rows after the header looked at, at upload, to tell an empty file from one with data.
_PEEK_ROWS = 500


@dataclass
class FileCheck:
    format: str
    header: HeaderMatch
    data_rows: int  # rows below the header (an upper bound: blank rows count)


def roster_file_check(fileobj: IO[bytes], *, name: str, size: int | None = None) -> FileCheck:
    """The upload-time checks, cheapest first; raises `FileRefused` (a DomainError) with a stable code."""
    book = open_book(fileobj, name=name, size=size)
    book.verify()
    rows: Generator[Row] = book.iter_rows(slice_rows=_PEEK_ROWS + 100)
    try:
        header = find_header(rows)
        has_data = any(not is_blank(values) for _number, values in itertools.islice(rows, _PEEK_ROWS))
    finally:
        rows.close()
    data_rows = max(0, book.last_row() - header.row)
    if not has_data and data_rows <= _PEEK_ROWS:
        raise FileRefused("file_empty")
    max_rows = limit("ROSTER_IMPORT_MAX_ROWS")
    if data_rows > max_rows:
        raise FileRefused("too_many_rows", rows=data_rows, limit=max_rows)
    fileobj.seek(0)
    return FileCheck(format=book.format, header=header, data_rows=data_rows)


def roster_import_start(*, actor: Any, organization: Organization, upload: UploadedFile) -> RosterImport:
    """Check an uploaded roster file, store it with a queued import, and start the import on commit."""
    if not selectors.organization_may_import(user=actor, organization=organization):
        raise Forbidden.single(
            "organization", "forbidden", _("Only the organization's representatives can import its roster.")
        )
    name = os.path.basename(upload.name or "")
    assert upload.file is not None
    check = roster_file_check(upload.file, name=name, size=upload.size)
    with transaction.atomic():
        roster_import = RosterImport(
            organization=organization,
            uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
            original_name=name[:255],
            file_format=check.format,
            total=check.data_rows,
            ignored_columns=check.header.ignored,
        )
        roster_import.file.save(name, upload, save=False)
        roster_import.save()
        audit_log(
            actor=actor,
            action="organizations.roster_import.started",
            subject=roster_import,
            data={
                "organization": organization,
                "file": roster_import.original_name,
                "format": check.format,
                "rows": check.data_rows,
                "ignored_columns": check.header.ignored,
            },
        )
        transaction.on_commit(partial(_enqueue, roster_import.pk))
    return roster_import


def _enqueue(pk: int) -> None:
    from vaxbook.organizations.tasks import roster_import_run

    roster_import_run.enqueue(pk)


def roster_import_process(*, import_id: int) -> None:
    """Run a queued import to the end (or to a failure that says why). A second run does nothing."""
    now = timezone.now()
    claimed = RosterImport.objects.filter(pk=import_id, status=RosterImport.Status.QUEUED).update(
        status=RosterImport.Status.RUNNING, started_at=now, updated_at=now
    )
    if not claimed:
        logger.info("roster import %s is not queued; nothing to do", import_id)
        return
    run = _ImportRun(RosterImport.objects.select_related("organization", "uploaded_by").get(pk=import_id))
    try:
        run.execute()
    except FileRefused as exc:
        run.fail([exc.as_problem()])
    except Exception:
        logger.exception("roster import %s crashed", import_id)
        run.fail([{"field": "file", "code": "import_crashed", "params": {}}])


class _Redo(Exception):
    """A chunk must be written again without some rows (rolled back first)."""


def _repeated_problem() -> ErrorItem:
    # The file-level form of the registry's own rule (a number repeated in one batch is used once):
    # a repeat in a later chunk reaches the registry in another batch, so the importer applies it.
    return ErrorItem(
        "id_number",
        "document_repeated",
        _("This document number appears earlier in the same file; only the first row is used."),
    )


class _ImportRun:
    def __init__(self, roster_import: RosterImport):
        self.imp = roster_import
        self.actor = roster_import.uploaded_by
        self.organization = roster_import.organization
        self.chunk_rows = limit("ROSTER_IMPORT_CHUNK_ROWS")
        self.max_rows = limit("ROSTER_IMPORT_MAX_ROWS")
        self.estimate = max(roster_import.total, 1)
        self.counts: Counter[str] = Counter()
        self.processed = 0
        # Documents accepted in earlier chunks (as hashes: a million of them fit in a few dozen MB).
        self.seen_documents: set[int] = set()
        self.header: HeaderMatch | None = None
        self.report: ErrorReportWriter | None = None
        self.report_path: str | None = None

    # -- the run -----------------------------------------------------------------------------

    def execute(self) -> None:
        storage = self.imp.file.storage
        with storage.open(str(self.imp.file.name), "rb") as stored:
            raw = getattr(stored, "file", stored)
            book: Book = open_book(raw, name=f"roster.{self.imp.file_format}")
            rows = book.iter_rows()
            self.header = find_header(rows)
            mapper = RowMapper(self.header)
            chunk: list[RosterRow] = []
            for number, values in rows:
                if is_blank(values):
                    continue
                chunk.append(mapper.map(number, values))
                if len(chunk) >= self.chunk_rows:
                    self._process(chunk)
                    chunk = []
            if chunk:
                self._process(chunk)
        self._finish()

    def _process(self, chunk: list[RosterRow]) -> None:
        if self.processed + len(chunk) > self.max_rows:
            raise FileRefused("too_many_rows", rows=self.processed + len(chunk), limit=self.max_rows)
        refused: dict[int, list[Any]] = {}
        for i, row in enumerate(chunk):
            if row.problems:  # the roster's own fields: list the person's problems too, without writing
                refused[i] = [*row.problems, *check_person(row.person, today=timezone.localdate()).invalid]
        excluded: dict[int, list[Any]] = {}
        while True:
            batch = [i for i in range(len(chunk)) if i not in refused and i not in excluded]
            try:
                with transaction.atomic():
                    outcome = self._write(chunk, batch, excluded)
                break
            except _Redo:
                continue
        statuses, accepted_keys = outcome
        for i, problems in itertools.chain(refused.items(), excluded.items()):
            statuses[i] = ("refused", problems)
        self.seen_documents.update(accepted_keys)
        self.processed += len(chunk)
        for i in sorted(statuses):
            status, problems = statuses[i]
            self.counts[status] += 1
            if status == "refused":
                self._report(chunk[i], problems)

    def _write(
        self, chunk: list[RosterRow], batch: list[int], excluded: dict[int, list[Any]]
    ) -> tuple[dict[int, tuple[str, list[Any]]], list[int]]:
        results = persons_register_bulk(
            actor=self.actor,
            rows=[chunk[i].person for i in batch],
            source=Person.Source.ORGANIZATION,
            province_codes=[chunk[i].province_code for i in batch],
            on_existing="merge",
        )
        statuses: dict[int, tuple[str, list[Any]]] = {}
        accepted: list[tuple[RosterRow, Person]] = []
        keys: list[int] = []
        redo = False
        for i, result in zip(batch, results, strict=True):
            person = result.person
            key = hash((person.id_type, person.id_number)) if person is not None and person.id_number else None
            if result.status in ("linked", "updated") and key in self.seen_documents:
                if result.status == "updated":  # it filled blanks: undo the chunk, write it without the row
                    excluded[i] = [_repeated_problem()]
                    redo = True
                statuses[i] = ("refused", [_repeated_problem()])
                continue
            statuses[i] = (result.status, list(result.problems))
            if result.status != "refused" and person is not None:
                accepted.append((chunk[i], person))
                if key is not None:
                    keys.append(key)
        if redo:
            raise _Redo
        added, changed = self._roster_upsert(accepted)
        tally = Counter(status for status, _problems in statuses.values())
        tally["refused"] += sum(1 for i in range(len(chunk)) if i not in statuses)  # refused before the registry
        done = self.processed + len(chunk)
        RosterImport.objects.filter(pk=self.imp.pk).update(
            created=F("created") + tally["created"],
            linked=F("linked") + tally["linked"],
            updated=F("updated") + tally["updated"],
            refused=F("refused") + tally["refused"],
            accepted=F("accepted") + tally["created"] + tally["linked"] + tally["updated"],
            total=max(self.imp.total, done),
            progress=min(99, done * 100 // max(self.estimate, done)),
            updated_at=timezone.now(),
        )
        audit_log(
            actor=self.actor,
            action="organizations.roster.imported",
            subject=self.imp,
            data={
                "rows": [chunk[0].number, chunk[-1].number],
                "roster_added": added,
                "roster_changed": changed,
                **{k: tally[k] for k in ("created", "linked", "updated", "refused")},
            },
        )
        return statuses, keys

    def _roster_upsert(self, accepted: list[tuple[RosterRow, Person]]) -> tuple[int, int]:
        """Add the accepted persons to the roster; a non-empty department or employee number replaces the old."""
        rows_by_person = {person.pk: row for row, person in accepted}
        existing = {
            e.person_id: e
            for e in RosterEntry.objects.filter(
                organization=self.organization, person_id__in=list(rows_by_person)
            ).only("id", "person_id", "department", "employee_number")
        }

        def new_entries() -> list[RosterEntry]:
            return [
                RosterEntry(
                    organization_id=self.organization.pk,
                    person_id=person_id,
                    department=row.department,
                    employee_number=row.employee_number,
                )
                for person_id, row in rows_by_person.items()
                if person_id not in existing
            ]

        new = new_entries()
        try:
            with transaction.atomic():
                bulk_insert(new)
        except IntegrityError:  # another import of this organization added some of them meanwhile
            new = new_entries()
            RosterEntry.objects.bulk_create(new, batch_size=2000, ignore_conflicts=True)
        now = timezone.now()
        changed = []
        for person_id, entry in existing.items():
            row = rows_by_person[person_id]
            dirty = False
            for name in ("department", "employee_number"):
                value = getattr(row, name)
                if value and value != getattr(entry, name):
                    setattr(entry, name, value)
                    dirty = True
            if dirty:
                entry.updated_at = now
                changed.append(entry)
        if changed:
            RosterEntry.objects.bulk_update(changed, ["department", "employee_number", "updated_at"], batch_size=1000)
        return len(new), len(changed)

    # -- the error report ----------------------------------------------------------------------

    def _report(self, row: RosterRow, problems: list[Any]) -> None:
        header = self.header
        assert header is not None
        if self.report is None:
            handle, self.report_path = tempfile.mkstemp(prefix="roster-errors-", suffix=".xlsx")
            os.close(handle)
            self.report = ErrorReportWriter(
                self.report_path, header.cells, text_positions=text_positions(header.index, COLUMNS)
            )
        with translation.override("vi"):
            reasons = [reason_text(header, row.number, p) for p in problems]
        bad = {header.index[p.field] for p in problems if p.field in header.index}
        self.report.add(row.values, reasons, bad)

    def _discard_report(self) -> None:
        if self.report is not None:
            with contextlib.suppress(Exception):
                self.report.close()
        if self.report_path:
            with contextlib.suppress(OSError):
                os.unlink(self.report_path)
        self.report = None
        self.report_path = None

    # -- the end -------------------------------------------------------------------------------

    def _finish(self) -> None:
        imp = self.imp
        if self.report is not None and self.report_path:
            self.report.close()
            self.report = None
            stem = os.path.splitext(imp.original_name)[0][:80] or "roster"
            with open(self.report_path, "rb") as f:
                imp.error_report.save(f"{stem}-errors.xlsx", File(f), save=False)
            self._discard_report()
        now = timezone.now()
        with transaction.atomic():
            RosterImport.objects.filter(pk=imp.pk).update(
                status=RosterImport.Status.DONE,
                progress=100,
                total=self.processed,
                error_report=imp.error_report.name or "",
                finished_at=now,
                updated_at=now,
            )
            audit_log(
                actor=self.actor,
                action="organizations.roster_import.finished",
                subject=imp,
                data={"rows": self.processed, **dict(self.counts)},
            )

    def fail(self, problems: list[dict[str, Any]]) -> None:
        self._discard_report()
        now = timezone.now()
        with transaction.atomic():
            RosterImport.objects.filter(pk=self.imp.pk).update(
                status=RosterImport.Status.FAILED, problems=problems, finished_at=now, updated_at=now
            )
            audit_log(
                actor=self.actor,
                action="organizations.roster_import.failed",
                subject=self.imp,
                data={"codes": [p["code"] for p in problems], "rows_saved": self.processed},
            )
