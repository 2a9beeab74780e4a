"""Organization writes: importing a staff roster from a spreadsheet.

The roster import follows pretix's model import: one column object per field with its clean step
(`columns.py`), every row checked by the same rules as every other door (`persons_register_plan`, the
first half of `persons_register_bulk`, which runs the identity rules, resolves references, links
existing persons and flags suspected duplicates), every refusal naming its row and column, objects
built in memory and written in short transactions, in a background task that reports progress.

- `roster_import_start` runs in the request: it refuses an unreadable file at once (a `DomainError` with
  a stable code, nothing written), stores the file and a queued `RosterImport`, and enqueues the run
  on commit.
- `roster_import_process` is the run (`tasks.roster_import_run`): it streams the rows, processes them in
  chunks of `ROSTER_IMPORT_CHUNK_ROWS`, each chunk in one transaction that also moves the counts and
  the progress (so the counts always match what was written, even when a later chunk fails), and writes
  the error report of the refused rows.

A chunk is decided and built first (`persons_register_plan`: the checks, the look-ups, the rows ready
for COPY), then written. On PostgreSQL the writing goes to a second connection, in a thread, while the
next chunk is read and checked: PostgreSQL's work (COPY, the indexes, the foreign keys) and Python's
then take the two cores at once. The next chunk is decided knowing what the one being written holds:
its documents count as earlier in the file (a repeat is `document_repeated`), its persons without a
document as known records (the suspected-duplicate rule). If someone else registers one of its
documents meanwhile, its transaction fails on the unique constraint: it is decided and written again,
and the next one too.
"""

import collections
import contextlib
import gc
import hashlib
import itertools
import logging
import os
import sys
import tempfile
import threading
import uuid
from collections import Counter
from collections.abc import Collection, Generator, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from typing import IO, Any

from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, OperationalError, connections, router, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from vaxbook.accounts.selectors import user_scope
from vaxbook.common.audit import audit_log
from vaxbook.common.bulk import CopyRows, copy_prepare
from vaxbook.common.errors import Conflict, DomainError, ErrorItem, Forbidden, NotFound
from vaxbook.common.rows import Builder, read
from vaxbook.organizations import selectors
from vaxbook.organizations.columns import (
    COLUMN_BY_KEY,
    COLUMNS,
    DISAGREES_WITH,
    SECTION_TEXT_LENGTH,
    HeaderMatch,
    MonthFirstDates,
    RosterRow,
    RowMapper,
    Sections,
    SplitName,
    UnlabelledColumns,
    find_header,
    reason_text,
    roster_texts_check,
    without_footer,
)
from vaxbook.organizations.conf import limit
from vaxbook.organizations.models import Organization, RosterConflict, RosterEntry, RosterExport, RosterImport
from vaxbook.organizations.readers import MAX_COLUMNS, Book, FileRefused, MarkedRow, Row, open_book
from vaxbook.organizations.reasons import refusal_summary
from vaxbook.organizations.workbooks import (
    ID_TYPE_LABELS,
    SEX_LABELS,
    SUMMARY_SHEET,
    ErrorReportWriter,
    RosterExportWriter,
    text_positions,
)
from vaxbook.places.selectors import place_names
from vaxbook.registry.identity import PersonInput, check_person, national_phone
from vaxbook.registry.models import Person
from vaxbook.registry.services import (
    EarlierDocuments,
    FirstRow,
    KnownPersons,
    RecordChanged,
    RegistrationPlan,
    RowResult,
    document_key,
    identity_agrees,
    lost_race,
    person_register,
    person_update,
    persons_register_plan,
)

logger = logging.getLogger(__name__)

#: Rows after the header looked at, at upload, to tell an empty file from one with data.
_PEEK_ROWS = 500


@dataclass
class FileCheck:
    format: str
    header: HeaderMatch
    text_encoding: str  # a CSV file's (`readers.CSV_ENCODING_NAMES`); "" for a workbook
    data_rows: int  # rows below the header that hold a value (an upper bound: a cell of spaces counts)
    sheet_name: str = ""  # the workbook's sheet read; "" for a CSV file
    #: The workbook's other sheets that list staff under a roster's header, not read: [{"sheet", "rows"}].
    sheets_not_read: tuple[dict[str, Any], ...] = ()


class _RowsAgain:
    """A sheet's rows with the rows read ahead in front; `close` closes the reading (the file, a thread)."""

    def __init__(self, back: list[Row], rows: Generator[Row]):
        self._back = collections.deque(back)
        self._rows = rows

    def __iter__(self) -> "_RowsAgain":
        return self

    def __next__(self) -> Row:
        return self._back.popleft() if self._back else next(self._rows)

    def give_back(self, rows: list[Row]) -> None:
        """Put rows read from here back in front, in order."""
        self._back.extendleft(reversed(rows))

    def close(self) -> None:
        self._rows.close()


def _roster_sheet(
    book: Book, *, slice_rows: int | None = None, merged: bool = True, ahead: bool = False
) -> tuple[HeaderMatch, _RowsAgain]:
    """Choose the sheet with the roster: the template's data sheet (by name) when its header matches,
    else the first visible sheet whose header row does; its header and the rows below it (with the cells
    merged down filled in, unless ``merged=False``). A sheet whose header matches but which lists no one
    below it (the template's own tab left blank, or numbered down, beside a filled copy "Danh sách (2)")
    gives way to a later one that does; if none does, it is read (and refused as empty). When no header
    matches, the first sheet's refusal (a header with columns missing before an empty sheet)."""
    refusals: list[FileRefused] = []
    blank: Any = _NO_SHEET  # the first sheet whose header matched, with no one below it
    for sheet in book.sheets():
        try:
            header, listed = _sheet_header(book, sheet, slice_rows=slice_rows, merged=merged, ahead=ahead)
        except FileRefused as exc:
            if exc.code not in _NOT_THIS_SHEET:
                raise
            refusals.append(exc)
            continue
        header.marked_report = SUMMARY_SHEET in book.sheet_names
        if _lists_someone(header, listed):
            return header, listed
        listed.close()
        if blank is _NO_SHEET:
            blank = sheet
    if blank is not _NO_SHEET:
        return _sheet_header(book, blank, slice_rows=slice_rows, merged=merged, ahead=ahead)
    # the header twice, the sheet's own refusal, before the first sheet's missing columns
    raise (
        next((r for r in refusals if r.code == "header_repeated"), None)
        or next((r for r in refusals if r.code != "file_empty"), None)
        or refusals[0]
    )


_NO_SHEET = object()
#: A sheet's header refusals that let a later sheet be the roster (refused so when none is). A sheet whose header
#: has one column twice (`header_repeated`) is one: a summary tab before the list refused the file.
_NOT_THIS_SHEET = frozenset(
    ("header_missing", "header_letters_lost", "header_misread_encoding", "file_empty", "header_repeated")
)


def _sheet_header(
    book: Book, sheet: Any, *, slice_rows: int | None, merged: bool, ahead: bool = False
) -> tuple[HeaderMatch, _RowsAgain]:
    """Make `sheet` the one read and find its header: the header and the rows below it, those the header's
    search read ahead in front. A header refused raises its `FileRefused`, the sheet's reading closed."""
    book.use(sheet)
    rows = book.iter_rows(slice_rows=slice_rows, merged=merged, ahead=ahead)
    back: list[Row] = []  # rows the header's search read ahead and did not take
    try:
        header = find_header(rows, back)
    except FileRefused:
        rows.close()
        raise
    return header, _RowsAgain(back, rows)


def _lists_someone(header: HeaderMatch, rows: _RowsAgain) -> bool:
    """Whether a row below the header holds more than a sequence number (`HeaderMatch.is_blank`), a row
    numbering the columns aside; the rows read to tell (at most _PEEK_ROWS: more such rows are taken for a
    list, as before) are given back to ``rows``, in front."""
    read: list[Row] = []
    try:
        for row in rows:
            read.append(row)
            values = row[1]
            blank = header.is_blank(values) or (len(read) == 1 and header.numbers_columns(values))
            if not blank or len(read) >= _PEEK_ROWS:
                return True
        return False
    finally:
        rows.give_back(read)


def roster_file_check(fileobj: IO[bytes], *, name: str, size: int | None = None) -> FileCheck:
    """The upload-time checks, cheapest first; raises `FileRefused` (a DomainError) with a stable code."""
    book = open_book(fileobj, name=name, size=size)
    book.verify()
    # A peek: a merged cell never makes a blank row hold a value, so the merged cells are not read here.
    header, rows = _roster_sheet(book, slice_rows=_PEEK_ROWS + 100, merged=False)
    if header.reasons_at >= MAX_COLUMNS:  # the error report's reasons would be past the sheet's end
        rows.close()
        raise FileRefused("too_many_columns", row=header.row, limit=MAX_COLUMNS - 1)
    has_data, last_seen = False, header.row
    # A date split over "Ngày | Tháng | Năm" holds numbers, no date Excel could read month first.
    dates = MonthFirstDates(
        None if header.date_parts else header.index.get("date_of_birth"), header.fallbacks.get("date_of_birth", ())
    )
    split_name = SplitName(header)
    unlabelled = UnlabelledColumns(header)  # columns holding values under no header: listed as ignored
    try:
        first = True
        for number, values in itertools.islice(rows, _PEEK_ROWS):
            if not has_data:
                last_seen = number
            # the header again: no person (in another order, refused: `header_other_order`)
            if header.is_blank(values) or header.header_again(number, values):
                continue
            if first:
                first = False
                if header.numbers_columns(values):  # numbers the columns: not a row of data
                    continue
            has_data = True
            unlabelled.see(values)
            if dates.position is not None:
                dates.see(number, values)
            if split_name.position is not None:
                split_name.see(number, values)
    finally:
        rows.close()
    dates.check()
    split_name.check()
    header.ignored += unlabelled.labels()
    # Rows that hold a value, counted in the whole sheet (not its <dimension>, which may say anything, nor
    # its formatted empty rows): the row limit and emptiness are decided here, before anything is written.
    data_rows = book.value_rows_after(header.row)
    if not has_data and (data_rows == 0 or book.value_rows_after(last_seen) == 0):
        raise FileRefused("file_empty")
    max_rows = limit("ROSTER_IMPORT_MAX_ROWS")
    if data_rows > max_rows:
        raise FileRefused("too_many_rows", rows=data_rows, limit=max_rows)
    chosen = getattr(book, "sheet", None)
    others = _other_rosters(book, chosen)
    fileobj.seek(0)
    return FileCheck(
        format=book.format,
        header=header,
        text_encoding=book.text_encoding,
        data_rows=data_rows,
        sheet_name=getattr(chosen, "name", ""),
        sheets_not_read=others,
    )


def _other_rosters(book: Book, chosen: Any) -> tuple[dict[str, Any], ...]:
    """The workbook's visible sheets, besides `chosen` (the one read), whose header is a roster's with someone
    below it, and how many rows hold a value there: a workbook with a tab per department, or the template's
    tab and a filled copy of it, had all but one dropped without a word. One sheet is read (its rows numbered
    as the error report gives them back); the others are said on the import, to be sent as their own files.
    `chosen` is made the sheet read again."""
    found = []
    for sheet in book.sheets():
        if sheet is None or sheet is chosen:
            continue
        try:
            header, listed = _sheet_header(book, sheet, slice_rows=_PEEK_ROWS + 100, merged=False)
        except FileRefused as exc:  # not a roster (instructions, a list of codes): nothing to say
            if exc.code == "header_repeated" and (listed_rows := book.value_rows_after(exc.params["row"])):
                found.append({"sheet": getattr(sheet, "name", ""), "rows": listed_rows})  # a roster's, with a fault
            continue
        try:
            if _lists_someone(header, listed):
                found.append({"sheet": getattr(sheet, "name", ""), "rows": book.value_rows_after(header.row)})
        except FileRefused:  # a sheet damaged further down: not read, and no refusal of the sheet that is
            pass
        finally:
            listed.close()
    if chosen is not None:
        book.use(chosen)
    return tuple(found)


def person_register_by(*, actor: Any, data: PersonInput, province_code: str | None = None) -> Person:
    """A person registered one at a time (the person form, `POST /api/v1/persons`), by whoever registers
    them: a representative's staff member onto the roster of the organization they represent (of several,
    refused as `organization_ambiguous`: the record would be on no roster, out of their sight), a
    citizen's own record or a household member (source `self`), anyone else's from a facility."""
    scope = user_scope(user=actor)
    if scope.is_organization_only:
        if len(scope.organization_ids) != 1:
            raise DomainError.single(
                "organization",
                "organization_ambiguous",
                _("You represent several organizations: register their staff through each one's roster import."),
            )
        organization = Organization.objects.get(pk=next(iter(scope.organization_ids)))
        return roster_person_register(actor=actor, organization=organization, data=data, province_code=province_code)
    if scope.organization_ids and not scope.facility_ids:
        source = Person.Source.ORGANIZATION  # a representative who is an area officer too
    elif scope.is_citizen:
        source = Person.Source.SELF
    else:
        source = Person.Source.FACILITY
    return person_register(actor=actor, data=data, source=source, province_code=province_code)


def _representative_only(actor: Any, organization: Organization) -> None:
    """Only the organization's representatives change its roster: 403 for whoever only sees it."""
    if not selectors.organization_may_import(user=actor, organization=organization):
        raise Forbidden.single(
            "organization", "forbidden", _("Only the organization's representatives can change its roster.")
        )


def _entry_locked(organization: Organization, person_id: uuid.UUID | str) -> RosterEntry:
    """The person's roster entry, locked for a change (in the caller's transaction); 404 when not on it."""
    entry = selectors.roster_entry_for_update(organization=organization, person_id=person_id)
    if entry is None:
        raise NotFound.single("person", "roster_entry_not_found", _("This person is not on the organization's roster."))
    return entry


def roster_person_register(
    *, actor: Any, organization: Organization, data: PersonInput, province_code: str | None = None
) -> Person:
    """A representative registers one staff member through the person form or the API: the person is
    registered as anyone is (`registry.services.person_register`, the same rules) and joins the
    organization's roster in the same transaction, so the representative sees the record just made."""
    _representative_only(actor, organization)
    with transaction.atomic():
        person = person_register(actor=actor, data=data, source=Person.Source.ORGANIZATION, province_code=province_code)
        entry = RosterEntry.objects.create(organization=organization, person=person)
        audit_log(
            actor=actor,
            action="organizations.roster_entry.created",
            subject=entry,
            data={"organization": str(organization.public_id), "person": str(person.public_id)},
        )
    return person


def roster_entry_remove(*, actor: Any, organization: Organization, person_id: uuid.UUID | str) -> RosterEntry:
    """A representative takes a staff member who left off the roster. Only the roster entry goes: the
    person's record, appointments and doses stay in the registry (a later import of them links them
    back). The department and employee number it held are kept in the audit event. Refused: 403 for
    whoever may see the roster but not change it, 404 `roster_entry_not_found` for a person not (or no
    longer: a second click) on it."""
    _representative_only(actor, organization)
    with transaction.atomic():
        entry = _entry_locked(organization, person_id)
        audit_log(
            actor=actor,
            action="organizations.roster_entry.removed",
            subject=entry,
            data={
                "organization": str(organization.public_id),
                "person": str(entry.person.public_id),
                "department": entry.department,
                "employee_number": entry.employee_number,
            },
        )
        entry.delete()
    return entry


ROSTER_TEXTS = ("department", "employee_number")


def roster_entry_update(
    *,
    actor: Any,
    organization: Organization,
    person_id: uuid.UUID | str,
    changes: dict[str, Any],
    expected: dict[str, str] | None = None,
) -> RosterEntry:
    """A representative corrects a staff member's department or employee number on the roster, by the
    import's rules for those texts (`roster_texts_check`: cleaning, old encodings, length; an empty
    value clears it). `expected` holds the values the representative saw: an entry changed meanwhile (by
    a colleague, or by a file) is a 409 `edit_conflict`, never a silent overwrite. Refused as
    `roster_entry_remove` is (403, 404 `roster_entry_not_found`); 422 `field_unknown` for another field."""
    _representative_only(actor, organization)
    unknown = sorted(set(changes) - set(ROSTER_TEXTS))
    if unknown:
        raise DomainError(
            [ErrorItem(name, "field_unknown", _("This field cannot be changed here.")) for name in unknown]
        )
    cleaned, problems = roster_texts_check(changes)
    if problems:
        raise DomainError(problems)
    with transaction.atomic():
        entry = _entry_locked(organization, person_id)
        if expected is not None and any(
            getattr(entry, name) != expected[name] for name in ROSTER_TEXTS if name in expected
        ):
            raise Conflict.single(
                "roster_entry",
                "edit_conflict",
                _("Someone else changed this entry while you were editing it. Reload and try again."),
                extra={"department": entry.department, "employee_number": entry.employee_number},
            )
        diff = {name: [getattr(entry, name), value] for name, value in cleaned.items() if getattr(entry, name) != value}
        if diff:
            for name, (_before, value) in diff.items():
                setattr(entry, name, value)
            entry.save(update_fields=[*diff, "updated_at"])
            audit_log(
                actor=actor,
                action="organizations.roster_entry.updated",
                subject=entry,
                data={
                    "organization": str(organization.public_id),
                    "person": str(entry.person.public_id),
                    "changes": diff,
                },
            )
    return entry


def roster_import_start(*, actor: Any, organization: Organization, upload: UploadedFile) -> RosterImport:
    """Check an uploaded roster file, store it with a queued import, and start the import on commit."""
    if not selectors.organization_may_import(user=actor, organization=organization):
        raise Forbidden.single(
            "organization", "forbidden", _("Only the organization's representatives can import its roster.")
        )
    # Browsers write a quote in a file's name as %22 (HTML's form encoding, which Django does not undo): the
    # name said "Danh sách %22mới%22.xlsx".
    name = os.path.basename(upload.name or "").replace("%22", '"')
    assert upload.file is not None
    check = roster_file_check(upload.file, name=name, size=upload.size)
    digest = _file_sha256(upload.file)
    with transaction.atomic():
        # One upload at a time per organization decides (the count below holds when two race).
        Organization.objects.select_for_update().filter(pk=organization.pk).first()
        _refuse_duplicate(organization, digest)
        _refuse_too_many(organization)
        roster_import = RosterImport(
            organization=organization,
            uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
            original_name=name[:255],
            file_sha256=digest,
            file_format=check.format,
            text_encoding=check.text_encoding,
            total=check.data_rows,
            ignored_columns=check.header.ignored,
            from_report=check.header.is_report,
            sheet_name=check.sheet_name[:255],
            sheets_not_read=list(check.sheets_not_read),
        )
        roster_import.file.save(name, upload, save=False)
        try:
            with transaction.atomic():
                roster_import.save()
        except IntegrityError:  # the same file, sent twice at once: the other request's import stands
            roster_import.file.delete(save=False)
            _refuse_duplicate(organization, digest)
            raise
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
                "from_report": check.header.is_report,
                "sheet": check.sheet_name,
                "sheets_not_read": list(check.sheets_not_read),
            },
        )
        transaction.on_commit(partial(_enqueue, roster_import.pk))
    return roster_import


def _file_sha256(fileobj: IO[bytes]) -> str:
    """The SHA-256 of a whole uploaded file, read in blocks; the file is left at its start."""
    fileobj.seek(0)
    digest = hashlib.sha256()
    while block := fileobj.read(1 << 20):
        digest.update(block)
    fileobj.seek(0)
    return digest.hexdigest()


def _refuse_duplicate(organization: Organization, digest: str) -> None:
    """409 `import_duplicate` when the same file (same bytes) is queued or running for this organization
    already: a double click or a client's retry does not start the import twice. Once that import has
    ended, the same file may be sent again (it changes nothing, and says so)."""
    unfinished = (RosterImport.Status.QUEUED, RosterImport.Status.RUNNING)
    running = RosterImport.objects.filter(organization=organization, file_sha256=digest, status__in=unfinished).first()
    if running is not None:
        raise Conflict.single(
            "file",
            "import_duplicate",
            _(
                "This file is already being imported (uploaded at %(at)s as %(name)s): follow that import, or "
                "cancel it there to send the file again."
            )
            % {
                "at": date_format(timezone.localtime(running.created_at), "DATETIME_FORMAT"),
                "name": running.original_name,
            },
            extra={"import_id": str(running.public_id)},
        )


def _refuse_too_many(organization: Organization) -> None:
    """429 `imports_waiting` when the organization has ROSTER_IMPORT_MAX_UNFINISHED imports queued or running:
    the worker takes imports in the order they came, and 25 files of one would hold every other's behind them."""
    unfinished = (RosterImport.Status.QUEUED, RosterImport.Status.RUNNING)
    most = limit("ROSTER_IMPORT_MAX_UNFINISHED")
    if RosterImport.objects.filter(organization=organization, status__in=unfinished).count() >= most:
        raise DomainError(
            [
                ErrorItem(
                    "file",
                    "imports_waiting",
                    _(
                        "This organization has %(n)s imports waiting or running already: send this file when one "
                        "of them has ended (the roster page shows them)."
                    )
                    % {"n": most},
                )
            ],
            status=429,
        )


def _enqueue(pk: int) -> None:
    from vaxbook.organizations.tasks import roster_import_run

    roster_import_run.enqueue(pk)


def roster_import_cancel(*, actor: Any, roster_import: RosterImport) -> RosterImport:
    """A representative stops an import of its organization (the wrong file, last year's roster): a
    queued one is never run; a running one stops at its next chunk, which rolls back. The chunks written
    before stay, counted on the import (a bad row never sinks the file, nor does a cancelled one); the
    corrected file, uploaded again, links those rows rather than creating them twice. The import ends
    `failed` with the problem `import_cancelled`. Refused: 403 for whoever may not import the
    organization's roster, 409 `import_finished` for an import that is done or failed already."""
    organization = roster_import.organization
    if not selectors.organization_may_import(user=actor, organization=organization):
        raise Forbidden.single(
            "organization", "forbidden", _("Only the organization's representatives can import its roster.")
        )
    with transaction.atomic():
        locked = RosterImport.objects.select_for_update().get(pk=roster_import.pk)
        if locked.is_finished:
            raise Conflict.single(
                "import",
                "import_finished",
                _("This import has already ended (%(status)s): there is nothing to cancel.")
                % {"status": locked.state_display},  # "cancelled", as its page says, not "failed"
            )
        was = locked.status
        stopped = _failed("import_cancelled", timezone.now())
        # The rows read are those of the chunks saved (a queued import read none): counted now, so the ended
        # import's figures add up at once, and the run, stopping at its next chunk, leaves them so.
        stopped["total"] = locked.accepted + locked.refused
        if was == RosterImport.Status.QUEUED:
            stopped["problems"][0]["message_key"] = "import_cancelled_unstarted"
        RosterImport.objects.filter(pk=locked.pk).update(**stopped)
        audit_log(
            actor=actor,
            action="organizations.roster_import.cancelled",
            subject=locked,
            data={"status": was, "progress": locked.progress, "rows_saved": locked.accepted},
        )
    locked.refresh_from_db()
    return locked


class ExportInterrupted(Exception):
    """The export was declared interrupted (its progress stalled) while it ran: the run stops."""


class UploaderNotAllowed(Exception):
    """The uploader's account was deactivated, or may no longer change the roster, while the import ran: stop."""


class ImportInterrupted(Exception):
    """The import this run writes was declared interrupted (`roster_imports_fail_stalled`) or cancelled
    (`roster_import_cancel`): stop."""


def roster_imports_fail_stalled(*, import_id: int | None = None, now: datetime | None = None) -> int:
    """Mark failed (`import_interrupted`) the running imports whose progress has not moved for
    ROSTER_IMPORT_STALL_MINUTES: their worker stopped (a restart, a killed process), and nothing else
    would ever finish them. The rows they saved stay; the representative uploads the file again, which
    links those rows rather than creating them twice. Should the worker be alive after all, its next
    write finds the import no longer running and stops (ImportInterrupted). `import_id`: that import
    only (the status page and API ask for the one they show). Returns how many were marked."""
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=limit("ROSTER_IMPORT_STALL_MINUTES"))
    stalled = RosterImport.objects.filter(status=RosterImport.Status.RUNNING, updated_at__lt=cutoff)
    if import_id is not None:
        stalled = stalled.filter(pk=import_id)
    marked = 0
    for imp in stalled:
        with transaction.atomic():
            if _fail_stalled(RosterImport, imp.pk, cutoff=cutoff, code="import_interrupted", now=now):
                audit_log(
                    actor=None,
                    action="organizations.roster_import.interrupted",
                    subject=imp,
                    data={"progress": imp.progress, "rows_saved": imp.accepted, "last_moved": imp.updated_at},
                )
                marked += 1
    return marked


def _failed(code: str, now: datetime) -> dict[str, Any]:
    """What an import or an export that stopped with `code` (a file problem) is updated with."""
    return {
        "status": RosterImport.Status.FAILED,
        "problems": [{"field": "file", "code": code, "params": {}}],
        "finished_at": now,
        "updated_at": now,
    }


def _fail_stalled(
    model: type[RosterImport] | type[RosterExport], pk: int, *, cutoff: datetime, code: str, now: datetime
) -> bool:
    """Mark a running import or export failed (`code`) if its progress has not moved since `cutoff`; true
    when it was (a conditional update: a worker that moves it meanwhile wins). An import's rows read are then
    those of its committed chunks (the count of the file's rows it started with is not what it read)."""
    changes = _failed(code, now)
    if model is RosterImport:
        changes["total"] = F("accepted") + F("refused")
    return bool(model.objects.filter(pk=pk, status=model.Status.RUNNING, updated_at__lt=cutoff).update(**changes))


def roster_import_seen(roster_import: RosterImport) -> RosterImport:
    """The import as its status page and API show it: a running one that has stalled is marked
    interrupted first (`roster_imports_fail_stalled`), so that nobody watches a bar that will not move."""
    if roster_import.status == RosterImport.Status.RUNNING and roster_imports_fail_stalled(import_id=roster_import.pk):
        roster_import.refresh_from_db()
    return roster_import


def _claim(model: type[RosterImport] | type[RosterExport], pk: int) -> bool:
    """Take a queued import or export for this worker: true when it was queued (a conditional update, so
    a second delivery of the task, or a second worker, finds it taken and does nothing)."""
    now = timezone.now()
    queued = model.objects.filter(pk=pk, status=model.Status.QUEUED)
    return bool(queued.update(status=model.Status.RUNNING, started_at=now, updated_at=now))


def roster_import_process(*, import_id: int) -> None:
    """Run a queued import to the end (or to a failure that says why). A second run does nothing."""
    if not _claim(RosterImport, import_id):
        logger.info("roster import %s is not queued; nothing to do", import_id)
        return
    run = _ImportRun(RosterImport.objects.select_related("organization", "uploaded_by").get(pk=import_id))
    # The uploader's rights as they are now, not as when the file was queued: the account may have been
    # deactivated (an empty scope) or its role removed or moved since.
    if not selectors.organization_may_import(user=run.actor, organization=run.organization):
        run.fail([{"field": "file", "code": "import_not_allowed", "params": {}}])  # nothing read, nothing written
        return
    try:
        with _WhileImporting():
            run.execute()
    except FileRefused as exc:
        run.fail([exc.as_problem()])
    except ImportInterrupted:
        logger.warning("roster import %s was declared interrupted or cancelled while it ran; stopped", import_id)
        run.stopped()
    except UploaderNotAllowed:  # the chunks written before, while the uploader still might, stay
        problem = {"field": "file", "code": "import_not_allowed", "params": {}}
        if run.processed:
            problem["message_key"] = "import_not_allowed_midway"
        run.fail([problem])
    except Exception:
        logger.exception("roster import %s crashed", import_id)
        run.fail([{"field": "file", "code": "import_crashed", "params": {}}])


class _WhileImporting:
    """Two of the interpreter's process-wide settings, changed while imports run; set when the first
    import of the process starts and restored when the last one ends (two imports in two threads do
    not restore each other's):

    - the cycle collector runs less often: an import builds about a hundred objects a row, and with the
      default threshold (a young collection every 700 allocations, older ones every 10 of those) it
      walked the chunk's live persons and events over and over, a fifth of the run's Python.
      Collections still happen, every 50,000 allocations;
    - the interpreter's lock is handed over every 0.5 ms, not every 5 ms: the thread writing a chunk
      needs it for a moment between each part of its COPY, and with the default it waited up to 5 ms
      each time for the run's thread (checking the next chunk meanwhile) while PostgreSQL sat idle. On
      the benchmark, the writing's wall time went from 10.4-11.8 s to 7.9-8.7 s for 100,000 rows.
    """

    GC_THRESHOLD = (50_000, 20, 100)
    SWITCH_INTERVAL = 0.0005
    _lock = threading.Lock()
    _running = 0
    _before: tuple[tuple[int, int, int], float] = ((700, 10, 10), 0.005)

    def __enter__(self) -> None:
        cls = type(self)
        with cls._lock:
            if cls._running == 0:
                cls._before = (gc.get_threshold(), sys.getswitchinterval())
                gc.set_threshold(*cls.GC_THRESHOLD)
                sys.setswitchinterval(cls.SWITCH_INTERVAL)
            cls._running += 1

    def __exit__(self, *exc: object) -> None:
        cls = type(self)
        with cls._lock:
            cls._running -= 1
            if cls._running == 0:
                threshold, interval = cls._before
                gc.set_threshold(*threshold)
                sys.setswitchinterval(interval)


class _Documents(EarlierDocuments):
    """The documents the file's rows took so far (accepted, or refused as a conflict), as hashes (a million of
    them fit in a few dozen MB), and those of the chunk being written meanwhile: `(id_type, id_number) in
    documents`; each with the number of the row that took it, negative for a conflict (`_Chunk.keys`), so that
    a later row giving it is told which (`first`)."""

    def __init__(self) -> None:
        self.rows: dict[int, int] = {}
        self.pending: dict[int, int] = {}

    def __contains__(self, key: object) -> bool:
        h = hash(key)
        return h in self.rows or h in self.pending

    def first(self, key: tuple[str, str]) -> FirstRow | None:
        h = hash(key)
        row = self.rows.get(h, self.pending.get(h))
        return None if row is None else FirstRow(abs(row), row < 0)


@dataclass
class _Chunk:
    """One chunk decided and built in the run's thread, and written (perhaps in another) by `_write`."""

    rows: list[RosterRow]
    done: int  # rows of the file up to this chunk's last
    statuses: dict[int, tuple[str, list[Any]]]
    plan: RegistrationPlan
    accepted: list[tuple[RosterRow, Person]]
    existing: dict[int, RosterEntry]  # the roster entries the accepted persons already have
    keys: dict[int, int]  # the documents this chunk takes (accepts; or refuses as a conflict: the row negative)
    recent: list[Person]  # the persons without document it creates (the next chunk's duplicate rule)
    tally: Counter[str]
    conflicts: list[tuple[RosterRow, RowResult]]  # rows refused as `document_conflict`, kept for review
    kept: list[tuple[int, tuple[str, ...]]]  # rows linked to a record that kept values of its own: (row, fields)
    roster_new: list[RosterEntry] | None = None
    roster_copy: CopyRows | None = None
    #: The persons whose open conflict this chunk's rows name as another record (`_conflicts_named`): withdrawn
    #: when the whole file is read (`_finish`), unless the file's own row about them moved it to this import.
    named: frozenset[int] = frozenset()
    #: The run's refusals by reason and values kept once this chunk counts (`_ImportRun._tallies_after`),
    #: saved with its rows: a worker that dies later leaves them in the import.
    after: "tuple[Counter[str], dict[str, list[Any]]] | None" = None

    def refusal_codes(self) -> Counter[str]:
        """code → this chunk's rows refused for it (a row counts once for each of its reasons' codes)."""
        refused = (problems for status, problems in self.statuses.values() if status == "refused")
        return Counter(code for problems in refused for code in {p.code for p in problems})


_new_entry = Builder(RosterEntry)


REPEATED = "document_repeated"
#: How many of the rows that kept a record's value of a field the import names (`RosterImport.values_kept`).
VALUES_KEPT_ROWS = 20
#: The fewest rows a chunk that lost a race is cut down to, and how many times they are tried (`_write_serial`).
_SERIAL_MIN_ROWS = 50
_SERIAL_ATTEMPTS = 5


def _persons_lock(person_ids: list[int]) -> None:
    """Lock these records, in the order of their ids (two writers locking some of the same never cross)."""
    list(Person.objects.select_for_update().filter(pk__in=person_ids).order_by("pk").values_list("pk", flat=True))


def _values_kept(tallies: dict[str, list[Any]]) -> dict[str, dict[str, Any]]:
    """`RosterImport.values_kept` of a run's tallies: field → [rows, their first numbers]."""
    return {name: {"rows": n, "first_rows": first} for name, (n, first) in tallies.items()}


class _ImportRun:
    def __init__(self, roster_import: RosterImport):
        self.imp = roster_import
        self.actor = roster_import.uploaded_by
        self.organization = roster_import.organization
        self.chunk_rows = limit("ROSTER_IMPORT_CHUNK_ROWS")
        self.max_rows = limit("ROSTER_IMPORT_MAX_ROWS")
        self.estimate = max(roster_import.total, 1)
        self.today = timezone.localdate()  # the one day every row of the file is checked against
        self.counts: Counter[str] = Counter()
        self.refusals: Counter[str] = Counter()  # code → rows refused for it
        # field → [rows linked to a record that kept its own value of it, the first of those rows]
        self.values_kept: dict[str, list[Any]] = {}
        self.processed = 0  # rows of the chunks written (committed)
        self.documents = _Documents()
        # Rows without a document that are persons already on the roster link to them (read per chunk,
        # among the entries the roster had before this run: not the persons this file creates).
        self.entries_before: int | None = None
        self.known = KnownPersons(find=self._roster_persons)
        self.header: HeaderMatch | None = None
        self.footer_rows: list[int] = []  # the numbers of the rows read as the sheet's footer
        self.sections = Sections()  # the rows heading the list's sections
        self.reported_section: int | None = None  # the last section heading written to the error report
        self.report: ErrorReportWriter | None = None
        self.report_path: str | None = None
        self.date1904 = False  # the file counts its dates from 1904: the report does too
        # The persons with an open conflict for this organization: a row of this file that links to one
        # (it now agrees with the record) withdraws the conflict; but not a row of the organization's export
        # sent back, which repeats the record's values, not the organization's. Few; read once, when the run
        # starts.
        self.open_conflicts: frozenset[int] = frozenset()
        # The open conflicts' rows by their birth date, as (their name, the record's person): a row accepted as
        # another record that is the person of that name and birth date (the number corrected) withdraws them too.
        self.conflict_rows: dict[date, list[tuple[str, int]]] = {}
        self.conflicts_named: set[int] = set()  # of the chunks written (`_Chunk.named`)
        # The import whose row each open conflict held when the run started (by the record's person): at the end,
        # a conflict that another file's row has taken since is that file's question, not this one's to withdraw.
        self.conflict_imports: dict[int, int] = {}
        # An error report sent back: the column of its reasons (`_repeats_on_roster`).
        self.reasons_at: int | None = None

    # -- the run -----------------------------------------------------------------------------

    def execute(self) -> None:
        storage = self.imp.file.storage
        with storage.open(str(self.imp.file.name), "rb") as stored:
            raw = getattr(stored, "file", stored)
            book: Book = open_book(raw, name=f"roster.{self.imp.file_format}")
            self.date1904 = book.date1904
            self.entries_before = selectors.roster_last_entry_id(organization=self.organization)
            self.known.active = self.entries_before is not None  # an empty roster: no one to look for
            self.header, rows = _roster_sheet(book, ahead=True)
            try:
                self._conflicts_read()
                reasons_at = self.header.reasons_at
                self.reasons_at = reasons_at if reasons_at < len(self.header.cells) else None
                mapper = RowMapper(self.header, date1904=book.date1904, place_names=place_names)
                chunks = self._chunks(rows, mapper)
                if self._pipelined():
                    self._run_pipelined(chunks)
                else:
                    for chunk in chunks:
                        self._write_serial(chunk)
            finally:
                rows.close()  # the thread reading ahead stops before the file closes, whatever happened
        self._finish()

    def _chunks(self, rows: Iterator[Row], mapper: RowMapper) -> Generator[list[RosterRow]]:
        """The file's rows in chunks, but its blank rows, its footer and its section headings (`without_footer`);
        each row knows the heading it stands under (`RosterRow.section`)."""
        chunk: list[RosterRow] = []
        sections = self.sections
        for number, values in without_footer(rows, mapper.header, self.footer_rows, sections):
            row = mapper.map(number, values)
            row.section = sections.current
            chunk.append(row)
            if len(chunk) >= self.chunk_rows:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    def _pipelined(self) -> bool:
        """Write each chunk on a second connection while the next is read and checked, so that Python
        and PostgreSQL work at once. Only on PostgreSQL, and only outside a transaction (a caller's
        transaction, a test's, would hide its rows from the second connection)."""
        connection = connections[router.db_for_write(Person)]
        return (
            bool(limit("ROSTER_IMPORT_PIPELINE"))
            and connection.vendor == "postgresql"
            and not connection.in_atomic_block
        )

    def _run_pipelined(self, chunks: Generator[list[RosterRow]]) -> None:
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="roster-import-write")
        writing: tuple[_Chunk, Future[None]] | None = None
        try:
            for rows in chunks:
                chunk = self._prepare(rows, writing[0] if writing else None)
                if writing is not None:
                    done, writing = writing, None
                    if not self._collect(*done):
                        # The chunk written meanwhile was rolled back and done again: this one was
                        # decided on what that one would have written.
                        chunk = self._prepare(rows, None)
                writing = (chunk, executor.submit(self._write_in_thread, chunk))
            if writing is not None:
                done, writing = writing, None
                self._collect(*done)
        finally:
            if writing is not None:  # something failed here: let the chunk being written end first
                chunk, future = writing
                with contextlib.suppress(Exception):
                    future.result()
                    self._accept(chunk)  # it was committed: it counts among the rows saved
            executor.submit(connections.close_all).result()
            executor.shutdown()

    def _collect(self, chunk: _Chunk, future: "Future[None]") -> bool:
        """Wait for a chunk written in the other thread. False when it lost a race (someone else registered
        one of its documents or changed one of its records meanwhile: `lost_race`): it is then decided and
        written again, here."""
        try:
            future.result()
        except (IntegrityError, RecordChanged, OperationalError) as error:
            if not lost_race(error):
                raise
            self._write_serial(chunk.rows)
            return False
        self._accept(chunk)
        return True

    def _write_in_thread(self, chunk: _Chunk) -> None:
        with transaction.atomic():
            self._write(chunk)

    def _write_serial(self, rows: list[RosterRow]) -> None:
        """Decide and write rows in one transaction. Someone registered one of their documents, or changed one
        of their records, between our read and our write (`lost_race`): the rows are read and decided again,
        in halves (a chunk takes seconds to decide: a desk registering one person a second would meet every
        attempt at the whole chunk), down to `_SERIAL_MIN_ROWS`, which are tried `_SERIAL_ATTEMPTS` times."""
        for attempt in range(_SERIAL_ATTEMPTS):
            chunk = self._prepare(rows, None)
            try:
                with transaction.atomic():
                    self._write(chunk)
            except (IntegrityError, RecordChanged, OperationalError) as error:
                if not lost_race(error):
                    raise
                if len(rows) > _SERIAL_MIN_ROWS:
                    half = len(rows) // 2
                    self._write_serial(rows[:half])
                    self._write_serial(rows[half:])
                    return
                if attempt == _SERIAL_ATTEMPTS - 1:
                    raise
                continue
            self._accept(chunk)
            return

    def _prepare(self, rows: list[RosterRow], writing: _Chunk | None) -> _Chunk:
        """Check and decide a chunk, and build its rows; `writing` is the chunk being written meanwhile."""
        done = (writing.done if writing else self.processed) + len(rows)
        if done > self.max_rows:
            raise FileRefused("too_many_rows", rows=done, limit=self.max_rows)
        statuses: dict[int, tuple[str, list[Any]]] = {}
        batch: list[int] = []
        for i, row in enumerate(rows):
            if row.problems:  # the roster's own fields: list the person's problems too, without writing
                # One reason per cell: a field the roster's own step refused (a cell holding an Excel
                # error, read as empty) is not also "required" or malformed by the identity rules.
                refused = {p.field for p in row.problems}
                problems = [p for p in check_person(row.person, today=self.today).invalid if p.field not in refused]
                statuses[i] = ("refused", [*row.problems, *problems])
            else:
                batch.append(i)
        self.documents.pending = writing.keys if writing else {}
        plan = persons_register_plan(
            actor=self.actor,
            rows=[rows[i].person for i in batch],
            source=Person.Source.ORGANIZATION,
            province_codes=[rows[i].province_code for i in batch],
            on_existing="merge",
            # A number accepted in an earlier chunk is a repeat, as one earlier in the same chunk is.
            earlier_documents=self.documents,
            recent=writing.recent if writing else (),
            known=self.known,
            row_ids=[rows[i].number for i in batch],
            today=self.today,
        )
        accepted: list[tuple[RosterRow, Person]] = []
        keys: dict[int, int] = {}
        recent: list[Person] = []
        conflicts: list[tuple[RosterRow, RowResult]] = []
        kept: list[tuple[int, tuple[str, ...]]] = []
        for i, result in zip(batch, plan.results, strict=True):
            statuses[i] = (result.status, list(result.problems))
            person = result.person
            if result.status == "refused" or person is None:
                if result.conflicting is not None:
                    conflicts.append((rows[i], result))
                    # Its number is the file's first (a later row with it is a repeat, as in one chunk).
                    conflicting = result.conflicting
                    keys[hash(document_key(conflicting.id_type, conflicting.id_number or ""))] = -rows[i].number
                continue
            accepted.append((rows[i], person))
            if result.kept:
                kept.append((rows[i].number, result.kept))
            if person.id_number:
                # The file's own documents only: a row without one may be a roster person who has one.
                if rows[i].person.id_number not in ("", None):
                    keys[hash(document_key(person.id_type, person.id_number))] = rows[i].number
            elif result.status == "created":
                recent.append(person)
        if self.reasons_at is not None and conflicts:
            conflicts = self._repeats_on_roster(conflicts, statuses, {id(row): i for i, row in enumerate(rows)}, keys)
        # Only persons registered before can be on the roster already.
        created = {id(person) for person in plan.created}
        known = [person.id for _row, person in accepted if id(person) not in created]
        existing: dict[int, RosterEntry] = {}
        if known:
            existing = read(selectors.roster_entries_read(organization=self.organization, person_ids=known))
        chunk = _Chunk(
            rows=rows,
            done=done,
            statuses=statuses,
            plan=plan,
            accepted=accepted,
            existing=existing,
            keys=keys,
            recent=recent,
            tally=Counter(status for status, _problems in statuses.values()),
            conflicts=conflicts,
            kept=kept,
        )
        if all(person.id is not None for _row, person in accepted):  # keys drawn already (PostgreSQL)
            chunk.roster_new = self._roster_new(chunk)
            chunk.roster_copy = copy_prepare(chunk.roster_new, keys=False)
        return chunk

    def _roster_persons(self, search_names: Collection[str]) -> list[Person]:
        return selectors.roster_persons_named(
            organization=self.organization, search_names=search_names, entries_up_to=self.entries_before
        )

    def _roster_new(self, chunk: _Chunk) -> list[RosterEntry]:
        rows_by_person = {person.id: row for row, person in chunk.accepted}
        organization_id, import_id = self.organization.pk, self.imp.pk
        return [
            _new_entry(
                {
                    "organization_id": organization_id,
                    "person_id": person_id,
                    "department": row.department or row.heading_department,
                    "employee_number": row.employee_number,
                    "last_import_id": import_id,
                }
            )
            for person_id, row in rows_by_person.items()
            if person_id not in chunk.existing
        ]

    def _write(self, chunk: _Chunk) -> None:
        """Write a chunk (persons, roster entries, counts, progress, audit) in the caller's transaction."""
        # The uploader's rights as they are now, for each chunk: an account deactivated or a membership removed
        # while a long import runs writes nothing more in its name (this chunk rolls back).
        if not selectors.uploader_may_import(user_id=self.imp.uploaded_by_id, organization=self.organization):
            raise UploaderNotAllowed()
        if self.open_conflicts:
            # The records whose open conflict this chunk's rows may answer (`_conflicts_withdraw`), locked before
            # their roster entries are written: a review locks the record, then the conflict, then writes the
            # entry (`_conflict_lock`); the other order could deadlock with it.
            linked = self._conflicts_linked(chunk)
            if linked:
                _persons_lock(linked)
        chunk.plan.write()
        added, changed = self._roster_write(chunk)
        kept = _conflicts_keep(self.organization, self.imp, chunk.conflicts) if chunk.conflicts else 0
        if self.conflict_rows:
            chunk.named = self._conflicts_named(chunk)  # withdrawn when the whole file is read (`_finish`)
        withdrawn = self._conflicts_withdraw(chunk) if self.open_conflicts else 0
        tally = chunk.tally
        chunk.after = refusals, kept_values = self._tallies_after(chunk)
        moved = RosterImport.objects.filter(pk=self.imp.pk, status=RosterImport.Status.RUNNING).update(
            created=F("created") + tally["created"],
            linked=F("linked") + tally["linked"],
            updated=F("updated") + tally["updated"],
            refused=F("refused") + tally["refused"],
            roster_changed=F("roster_changed") + changed,
            accepted=F("accepted") + tally["created"] + tally["linked"] + tally["updated"],
            total=max(self.imp.total, chunk.done),
            progress=min(99, chunk.done * 100 // max(self.estimate, chunk.done)),
            refusals=dict(refusals),
            values_kept=_values_kept(kept_values),
            updated_at=timezone.now(),
        )
        if not moved:  # declared interrupted meanwhile (roster_imports_fail_stalled): this chunk rolls back
            raise ImportInterrupted()
        audit_log(
            actor=self.actor,
            action="organizations.roster.imported",
            subject=self.imp,
            data={
                "rows": [chunk.rows[0].number, chunk.rows[-1].number],
                "roster_added": added,
                "roster_changed": changed,
                "conflicts": kept,
                "conflicts_withdrawn": withdrawn,
                **{k: tally[k] for k in ("created", "linked", "updated", "refused")},
            },
        )

    def _repeats_on_roster(
        self,
        conflicts: list[tuple[RosterRow, RowResult]],
        statuses: dict[int, tuple[str, list[Any]]],
        positions: dict[int, int],
        keys: dict[int, int],
    ) -> list[tuple[RosterRow, RowResult]]:
        """An error report sent back: a row its reasons refused as `document_repeated` (the file it came from gave
        the number on an earlier row, accepted) now finds that number's record, whose name is the earlier row's:
        a `document_conflict` that would send the organization's own other staff member to the reviewers, who
        might rename them. Refused again as the repeat it was, naming who has the number on the roster; only
        when that record is on this organization's roster (else a conflict as any)."""
        repeated, at = f"[{REPEATED}]", self.reasons_at
        assert at is not None
        again = [
            (row, result)
            for row, result in conflicts
            if result.existing_id and at < len(row.values) and repeated in str(row.values[at] or "")
        ]
        if not again:
            return conflicts
        listed = selectors.roster_persons_listed(
            organization=self.organization, public_ids=[result.existing_id or "" for _row, result in again]
        )
        asked = {id(row) for row, _result in again}
        kept = []
        for row, result in conflicts:
            name = listed.get(result.existing_id or "") if id(row) in asked else None
            if name is None:
                kept.append((row, result))
                continue
            message = format_lazy(
                _(
                    "This document number is that of {name}, already on your roster: the file this report came "
                    "from gave it on an earlier row, and only that row is used. Delete this row, or correct its "
                    "number."
                ),
                name=name,
            )
            statuses[positions[id(row)]] = ("refused", [ErrorItem("id_number", REPEATED, message)])
            conflicting = result.conflicting
            assert conflicting is not None
            keys.pop(hash(document_key(conflicting.id_type, conflicting.id_number or "")), None)  # no review
        return kept

    def _conflicts_read(self) -> None:
        conflicts = selectors.roster_conflicts_open_rows(organization=self.organization)
        if self.header is None or not self.header.is_export:
            self.open_conflicts = frozenset(person_id for person_id, _name, _born, _import in conflicts)
        for person_id, name, born, roster_import_id in conflicts:
            self.conflict_imports[person_id] = roster_import_id
            try:
                key = date.fromisoformat(born)
            except ValueError:
                continue
            self.conflict_rows.setdefault(key, []).append((name, person_id))

    def _conflicts_linked(self, chunk: _Chunk) -> list[int]:
        """The persons of this chunk's rows that have an open conflict (read when the run started)."""
        return sorted({person.pk for _row, person in chunk.accepted if person.pk in self.open_conflicts})

    def _conflicts_withdraw(self, chunk: _Chunk) -> int:
        """The open conflicts of the persons this chunk's rows link to: the organization's row now agrees with
        the record, nothing is left for the reviewers to answer; unless another file's row took the conflict
        since the run started (`_conflicts_still_held`). (Those whose row's person the chunk accepts as another
        record wait for the end of the file: `_conflicts_named`.) Their records were locked when the chunk's
        write began (`_write`)."""
        linked = self._conflicts_linked(chunk)
        if not linked:
            return 0
        now = timezone.now()
        return RosterConflict.objects.filter(
            self._conflicts_still_held(linked), organization=self.organization, status=RosterConflict.Status.OPEN
        ).update(status=RosterConflict.Status.WITHDRAWN, resolved_at=now, updated_at=now)

    def _conflicts_still_held(self, person_ids: list[int]) -> Q:
        """The conflicts of these persons that still hold the row they held when the run started: one that another
        file's row took since (an import of the organization running beside this one) is that file's question, and
        one this file's own row raised again is still asked by it."""
        still = Q(pk__in=[])
        for person_id in person_ids:
            still |= Q(person_id=person_id, roster_import_id=self.conflict_imports.get(person_id))
        return still

    def _conflicts_named(self, chunk: _Chunk) -> frozenset[int]:
        """The persons whose open conflict's row this chunk accepts as another record (same name and birth
        date): the row's document number was mistyped and is corrected (else a reviewer would rename the record
        it named). Withdrawn once the whole file is read (`_conflicts_named_withdraw`), and not where the file
        still holds the mistyped row, wherever it is: decided at the end, the outcome does not hang on which
        chunk each row falls in (withdrawn at once, an earlier corrected row withdrew the conflict and a later
        mistyped one opened a new one; in one chunk, the conflict moved to this import)."""
        named: set[int] = set()
        for _row, person in chunk.accepted:
            for name, other in self.conflict_rows.get(person.date_of_birth, ()):
                if other != person.pk and identity_agrees(person, name, person.date_of_birth):
                    named.add(other)
        return frozenset(named)

    def _conflicts_named_withdraw(self) -> int:
        """In the transaction that ends the import: withdraw the open conflicts its rows named as another record
        (`_conflicts_named`) that still hold the row they held when the run started: not one this file raised
        again (its mistyped row is still in it), nor one another file's row took meanwhile (an import of the
        organization running beside this one). Their records first, as a review locks them (`_conflict_lock`)."""
        named = sorted(self.conflicts_named)
        if not named:
            return 0
        _persons_lock(named)
        now = timezone.now()
        return RosterConflict.objects.filter(
            self._conflicts_still_held(named), organization=self.organization, status=RosterConflict.Status.OPEN
        ).update(status=RosterConflict.Status.WITHDRAWN, resolved_at=now, updated_at=now)

    def _roster_write(self, chunk: _Chunk) -> tuple[int, int]:
        """Add the accepted persons to the roster; a non-empty department or employee number replaces the old."""
        new = chunk.roster_new if chunk.roster_new is not None else self._roster_new(chunk)
        try:
            with transaction.atomic():
                (chunk.roster_copy or copy_prepare(new, keys=False)).write()
        except IntegrityError:  # another import of this organization added some of them meanwhile
            for entry in new:
                entry._state.adding = True
            RosterEntry.objects.bulk_create(new, batch_size=2000, ignore_conflicts=True)
            RosterEntry.objects.filter(
                organization=self.organization, person_id__in=[entry.person_id for entry in new]
            ).update(last_import_id=self.imp.pk)
        if chunk.existing:  # listed by this file: not among those who may have left
            RosterEntry.objects.filter(pk__in=[entry.pk for entry in chunk.existing.values()]).update(
                last_import_id=self.imp.pk
            )
        # Each value the file gives is written alone: a representative's edit made since the entries were read
        # (of the other value, or of a blank a section heading would fill) is not overwritten with the value read.
        now = timezone.now()
        rows_by_person = {person.id: row for row, person in chunk.accepted}
        given: dict[str, list[RosterEntry]] = {"department": [], "employee_number": []}
        headings: dict[int, str] = {}  # entry → the department of its row's section heading, for a blank
        changed: set[int] = set()
        for person_id, entry in chunk.existing.items():
            row = rows_by_person[person_id]
            for name, entries in given.items():
                value = getattr(row, name)
                if value and value != getattr(entry, name):
                    setattr(entry, name, value)
                    entry.updated_at = now
                    entries.append(entry)
                    changed.add(entry.pk)
            if not entry.department and row.heading_department:  # the heading's fills a blank, never replaces
                headings[entry.pk] = row.heading_department
        for name, entries in given.items():
            if entries:
                RosterEntry.objects.bulk_update(entries, [name, "updated_at"], batch_size=1000)
        if headings:
            blank = set(RosterEntry.objects.filter(pk__in=list(headings), department="").values_list("pk", flat=True))
            filled = []
            for entry in chunk.existing.values():
                if entry.pk in blank:
                    entry.department, entry.updated_at = headings[entry.pk], now
                    filled.append(entry)
            RosterEntry.objects.bulk_update(filled, ["department", "updated_at"], batch_size=1000)
            changed.update(blank)
        return len(new), len(changed)

    def _accept(self, chunk: _Chunk) -> None:
        """A chunk is written: count it, remember its documents, report its refused rows."""
        self.documents.rows.update(chunk.keys)
        self.processed = chunk.done
        self.counts.update(chunk.tally)
        assert chunk.after is not None  # set by `_write`
        self.refusals, self.values_kept = chunk.after
        self.conflicts_named.update(chunk.named)
        statuses = chunk.statuses
        for i in sorted(i for i, (status, _problems) in statuses.items() if status == "refused"):
            self._report(chunk.rows[i], statuses[i][1])

    def _tallies_after(self, chunk: _Chunk) -> tuple[Counter[str], dict[str, list[Any]]]:
        """The run's refusals by reason and values kept once `chunk` counts; the run's own stay as they are
        until the chunk has committed (`_accept`)."""
        kept = {name: [n, list(first)] for name, (n, first) in self.values_kept.items()}
        for number, fields in chunk.kept:
            for name in fields:
                tally = kept.setdefault(name, [0, []])
                tally[0] += 1
                if len(tally[1]) < VALUES_KEPT_ROWS:
                    tally[1].append(number)
        return self.refusals + chunk.refusal_codes(), kept

    # -- the error report ----------------------------------------------------------------------

    def _report(self, row: RosterRow, problems: list[Any]) -> None:
        header = self.header
        assert header is not None
        if self.report is None:
            handle, self.report_path = tempfile.mkstemp(prefix="roster-errors-", suffix=".xlsx")
            os.close(handle)
            self.report = ErrorReportWriter(
                self.report_path,
                header.cells,
                reasons_at=header.reasons_at,
                text_positions=text_positions(header, COLUMNS),
                # The sex marked with a cross in "Nam" | "Nữ" gets no Nam/Nữ list: "Nữ" under "Nam" is no cross.
                positions={k: p for k, p in header.index.items() if not (k == "sex" and header.sex_marks)},
                references=selectors.roster_reference_lists(),
                organization_name=self.organization.name,
                date1904=self.date1904,
            )
        with translation.override("vi"):
            reasons = [reason_text(header, row.number, p, row.values) for p in problems]
        fields = {field for p in problems for field in (p.field, *DISAGREES_WITH.get(p.code, ()))}
        bad = {position for field in fields for position in header.cells_of(field, row.values)}
        bad.update(p for p in (header.compared_with(problem.code) for problem in problems) if p is not None)
        if row.section is not None and row.section[0] != self.reported_section:
            # The heading above the row goes with it, so the fixed report names its department again.
            self.reported_section = row.section[0]
            heading = row.section[1]
            merged = heading.merged if heading.__class__ is MarkedRow else ()  # its own cells only
            self.report.add([None if i in merged else v for i, v in enumerate(heading)], [], set())
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
            with translation.override("vi"):
                self.report.add_summary(refusal_summary(self.refusals))
            self.report.close()
            self.report = None
            stem = os.path.splitext(imp.original_name)[0][:80] or "roster"
            with open(self.report_path, "rb") as f:
                imp.error_report.save(f"{stem}-errors.xlsx", File(f), save=False)
            self._discard_report()
        now = timezone.now()
        with transaction.atomic():
            finished = RosterImport.objects.filter(pk=imp.pk, status=RosterImport.Status.RUNNING).update(
                status=RosterImport.Status.DONE,
                progress=100,
                total=self.processed,
                footer_rows=self.footer_rows,
                section_rows=[[number, text[:SECTION_TEXT_LENGTH]] for number, text in self.sections.rows],
                refusals=dict(self.refusals),
                values_kept=_values_kept(self.values_kept),
                error_report=imp.error_report.name or "",
                finished_at=now,
                updated_at=now,
            )
            if not finished:  # cancelled or declared interrupted while the report was written: it goes too
                if imp.error_report.name:
                    imp.error_report.delete(save=False)
                raise ImportInterrupted()
            withdrawn = self._conflicts_named_withdraw()
            audit_log(
                actor=self.actor,
                action="organizations.roster_import.finished",
                subject=imp,
                data={
                    "rows": self.processed,
                    "conflicts_withdrawn": withdrawn,
                    **dict(self.counts),
                    "footer_rows": self.footer_rows,
                    "section_rows": [number for number, _text in self.sections.rows],
                },
            )

    def stopped(self) -> None:
        """The import was cancelled or declared interrupted while this run read it (and is failed already):
        the report begun goes (a temporary file holding refused rows' personal data), and the import keeps
        what its saved chunks tell, the rows read and the refusals by reason, as a failed one does."""
        self._discard_report()
        self._keep_what_was_read()

    def _keep_what_was_read(self) -> None:
        RosterImport.objects.filter(pk=self.imp.pk, status=RosterImport.Status.FAILED).update(
            total=self.processed,
            refusals=dict(self.refusals),
            values_kept=_values_kept(self.values_kept),
            updated_at=timezone.now(),
        )

    def fail(self, problems: list[dict[str, Any]]) -> None:
        """Mark the import failed with `problems`, if it is still running: one cancelled or declared
        interrupted meanwhile keeps what it was marked with (the canceller's word is not overwritten by
        the crash its cancelling may have caused)."""
        self._discard_report()
        now = timezone.now()
        with transaction.atomic():
            failed = RosterImport.objects.filter(pk=self.imp.pk, status=RosterImport.Status.RUNNING).update(
                status=RosterImport.Status.FAILED,
                problems=problems,
                total=self.processed,  # the rows read, not the file's
                refusals=dict(self.refusals),  # of the rows saved before
                values_kept=_values_kept(self.values_kept),
                finished_at=now,
                updated_at=now,
            )
            if not failed:  # cancelled or declared interrupted, then this run failed for its own reason
                logger.warning("roster import %s had already stopped; %s not recorded", self.imp.pk, problems)
                self._keep_what_was_read()
                return
            audit_log(
                actor=self.actor,
                action="organizations.roster_import.failed",
                subject=self.imp,
                data={"codes": [p["code"] for p in problems], "rows_saved": self.processed},
            )


# -- document conflicts, for review -----------------------------------------------------------------


def _submitted(row: RosterRow, data: PersonInput) -> dict[str, Any]:
    return {
        "full_name": data.full_name,
        "date_of_birth": data.date_of_birth.isoformat() if data.date_of_birth else "",
        "sex": data.sex or "",
        "id_type": data.id_type or "",
        "id_number": data.id_number or "",
        "phone": data.phone or "",
        "department": row.department or row.heading_department,
        "employee_number": row.employee_number,
    }


def _identity(values: dict[str, Any]) -> tuple[str, ...]:
    return tuple(str(values.get(k, "")) for k in ("full_name", "date_of_birth", "sex", "id_type", "id_number"))


def _conflicts_keep(
    organization: Organization, roster_import: RosterImport, conflicts: list[tuple[RosterRow, RowResult]]
) -> int:
    """Keep a chunk's `document_conflict` rows for review, in the chunk's transaction: one open conflict
    per organization and person, holding the latest file's row (the same file uploaded twice adds none;
    a row already answered "the record is right" is not asked again)."""
    public_ids = {uuid.UUID(result.existing_id) for _row, result in conflicts if result.existing_id}
    # Locked, as a reviewer's correction or a clerk's edit of the record locks it: one that came after the rows
    # were decided makes a row agree with its record, and the chunk is decided again (it links: there is nothing
    # left to review; an open conflict kept here would ask the reviewers about a row the record now matches).
    records = {
        p.public_id: p
        for p in Person.objects.select_for_update()
        .filter(public_id__in=public_ids)
        .only("pk", "public_id", "full_name", "search_name", "date_of_birth", "nationality")
    }
    for row, result in conflicts:
        record = records.get(uuid.UUID(result.existing_id)) if result.existing_id else None
        given = result.conflicting
        if record is not None and given is not None and identity_agrees(record, given.full_name, given.date_of_birth):
            raise RecordChanged(f"record {record.pk} was corrected after row {row.number} was decided")
    persons = {public_id: p.pk for public_id, p in records.items()}
    open_conflicts: dict[int, RosterConflict] = {}
    kept: dict[tuple[int, tuple[str, ...]], RosterConflict] = {}
    for c in RosterConflict.objects.select_for_update().filter(
        organization=organization,
        status__in=[RosterConflict.Status.OPEN, RosterConflict.Status.KEPT],
        person_id__in=persons.values(),
    ):
        if c.is_open:
            open_conflicts[c.person_id] = c
        else:
            kept[c.person_id, _identity(c.submitted)] = c
    new: list[RosterConflict] = []
    changed: list[RosterConflict] = []
    now = timezone.now()
    for row, result in conflicts:
        person_id = persons.get(uuid.UUID(result.existing_id)) if result.existing_id else None
        if person_id is None or result.conflicting is None:
            continue
        values = _submitted(row, result.conflicting)
        # A row the reviewers already answered (the record is right) is not sent to them again, even while
        # another row about the record waits: the answer now points at this file, whose import page shows it.
        found = kept.get((person_id, _identity(values))) or open_conflicts.get(person_id)
        if found is None:
            found = RosterConflict(
                organization=organization,
                person_id=person_id,
                roster_import=roster_import,
                row_number=row.number,
                submitted=values,
            )
            open_conflicts[person_id] = found
            new.append(found)
        else:
            if found.submitted != values:
                found.version += 1
            found.roster_import, found.row_number, found.submitted, found.updated_at = (
                roster_import,
                row.number,
                values,
                now,
            )
            if found.pk is not None:
                changed.append(found)
    RosterConflict.objects.bulk_create(new)
    if changed:
        RosterConflict.objects.bulk_update(
            changed, ["roster_import", "row_number", "submitted", "version", "updated_at"]
        )
    return len(new) + len(changed)


CONFLICT_DECISIONS = ("correct", "keep")


def roster_conflict_review(
    *,
    actor: Any,
    conflict: RosterConflict,
    decision: str,
    person_version: int | None,
    conflict_version: int | None,
) -> RosterConflict:
    """A reviewer's answer to a roster conflict, given on the record and the row the reviewer compared: both
    versions are required (422 `version_required`: a decision on values nobody saw is no review), a record edited
    meanwhile is a 409 `edit_conflict`, a row replaced meanwhile by a later file's a 409 `conflict_changed`, for
    either answer. `correct`: the record was wrong; it takes the row's name, birth date and sex through
    `person_update` (the identity rules, the audit), and the person joins the organization's roster
    with the row's department and employee number. `keep`: the record is right; the organization fixes
    its file (its import page says so); the other organizations' open conflicts that the corrected record
    now agrees with are answered with it (`roster_conflicts_settle`). Refused: 404 outside the reviewer's
    scope (and for whoever does not keep records), 409 `conflict_reviewed` for a conflict already
    answered, 409 `person_merged` for a correction of a merged record (`roster_after_merge` leaves one
    only where the organization asks about the surviving record already)."""
    if decision not in CONFLICT_DECISIONS:
        raise DomainError.single(
            "decision", "decision_unknown", _("Choose whether to correct the record or to keep it as it is.")
        )
    # Whoever does not keep records (an organization's representative) sees no conflict: 404, as outside
    # the reviewer's scope.
    selectors.roster_conflict_get_for_user(user=actor, public_id=conflict.public_id)
    unsaid = [
        ErrorItem(name, "version_required", message)
        for name, message, version in (
            (
                "person_version",
                _("Say which version of the record you compared: reload the conflict and review it again."),
                person_version,
            ),
            (
                "conflict_version",
                _("Say which version of the row you compared: reload the conflict and review it again."),
                conflict_version,
            ),
        )
        if version is None
    ]
    if unsaid:
        raise DomainError(unsaid)
    with transaction.atomic():
        person, locked = _conflict_lock(conflict)
        if not locked.is_open:
            raise Conflict.single(
                "conflict",
                "conflict_reviewed",
                _("This conflict was already reviewed: %(decision)s.") % {"decision": locked.get_status_display()},
            )
        if locked.version != conflict_version or locked.person_id != person.pk:
            raise Conflict.single(
                "conflict_version",
                "conflict_changed",
                _(
                    "The organization sent this row again, with other values, while you were reviewing it. "
                    "Reload and compare again."
                ),
                extra={"current_version": locked.version},
            )
        if person.version != person_version:
            raise Conflict.single(
                "person_version",
                "edit_conflict",
                _("Someone else changed this record while you were reviewing it. Reload and compare again."),
                extra={"current_version": person.version},
            )
        if decision == "correct":
            if person.merged_into_id:
                raise Conflict.single(
                    "person",
                    "person_merged",
                    _("This record was merged into another one: review the record it became."),
                )
            _conflict_row_listed_refuse(locked)
            # Answered first: the record's change below then settles only the other organizations' conflicts
            # that it answers too (roster_conflicts_settle), not this one a second time.
            _conflict_answer(actor, locked, RosterConflict.Status.CORRECTED)
            values = locked.submitted
            changes: dict[str, Any] = {
                "full_name": values["full_name"],
                "date_of_birth": date.fromisoformat(values["date_of_birth"]),
            }
            if values.get("sex"):
                changes["sex"] = values["sex"]
            person = person_update(actor=actor, person=person, changes=changes, expected_version=person_version)
            _conflict_roster_join(actor, locked, person)
        else:
            _conflict_answer(actor, locked, RosterConflict.Status.KEPT)
        _conflict_audit(actor, locked, person, decision=decision, by="review")
    return locked


def _conflict_lock(conflict: RosterConflict) -> tuple[Person, RosterConflict]:
    """The conflict's record and the conflict, locked in that order: the order an edit of the record takes them
    (`person_update`, whose settling locks the record's open conflicts) and an import's (`_write` locks the
    records whose conflicts its rows may answer before it touches them). The other order deadlocked with them: a
    review answered 500 while a desk corrected the record. The record is the one the reviewer saw: a merge that
    moved the conflict to another record meanwhile moved its version too (`conflict_changed`, below)."""
    person = Person.objects.select_for_update().get(pk=conflict.person_id)
    return person, RosterConflict.objects.select_for_update().get(pk=conflict.pk)


def _conflict_row_listed(conflict: RosterConflict) -> Person | None:
    """The record the organization's roster lists as the row's person (its name and birth date, another record):
    the row's document number was mistyped, and the record it named is someone else."""
    values = conflict.submitted
    try:
        born = date.fromisoformat(str(values.get("date_of_birth", "")))
    except ValueError:
        return None
    name = str(values.get("full_name", ""))
    listed = selectors.roster_entries_born(organization=conflict.organization, date_of_birth=born)
    return next(
        (e.person for e in listed if e.person_id != conflict.person_id and identity_agrees(e.person, name, born)),
        None,
    )


def _conflict_row_listed_refuse(conflict: RosterConflict) -> None:
    """Refuse to correct the record to a row whose person the organization's roster lists as another record
    (`_conflict_row_listed`: the correction would rename the record into a second copy of that person): 409
    `conflict_person_listed`. The message names the row's own name and birth date only: the other record may be
    outside the reviewer's scope (it named its document number)."""
    person = _conflict_row_listed(conflict)
    if person is None:
        return
    raise Conflict.single(
        "decision",
        "conflict_person_listed",
        _(
            "The organization's roster already lists %(name)s, born %(born)s, as another record: the row's "
            "document number was probably mistyped. Correcting this record would make it a second copy of that "
            "person; keep the record as it is."
        )
        % {"name": conflict.submitted.get("full_name", ""), "born": date_format(person.date_of_birth, "DATE_FORMAT")},
    )


def _conflict_answer(actor: Any, conflict: RosterConflict, status: str) -> None:
    conflict.status = status
    conflict.resolved_by = actor
    conflict.resolved_at = timezone.now()
    conflict.save(update_fields=["status", "resolved_by", "resolved_at", "updated_at"])


def _conflict_audit(actor: Any, conflict: RosterConflict, person: Person, *, decision: str, by: str) -> None:
    """`by`: how the conflict was answered: `review` (on its page), `record_edit` (the record corrected
    by hand to agree with the row), `merge` (the record it was about merged into one that agrees)."""
    audit_log(
        actor=actor,
        action="organizations.roster_conflict.reviewed",
        subject=conflict,
        data={
            "decision": decision,
            "by": by,
            "organization": str(conflict.organization.public_id),
            "person": str(person.public_id),
            "roster_import": str(conflict.roster_import.public_id),
            "row": conflict.row_number,
        },
    )


def _conflict_roster_join(actor: Any, conflict: RosterConflict, person: Person) -> None:
    """The record now agrees with the organization's row: the person joins its roster with the row's
    department and employee number (nothing changes for one already on it)."""
    values = conflict.submitted
    entry, created = RosterEntry.objects.get_or_create(
        organization=conflict.organization,
        person=person,
        defaults={"department": values.get("department", ""), "employee_number": values.get("employee_number", "")},
    )
    if created:
        audit_log(
            actor=actor,
            action="organizations.roster_entry.created",
            subject=entry,
            data={"organization": str(conflict.organization.public_id), "person": str(person.public_id)},
        )


def _conflict_agrees(conflict: RosterConflict, person: Person) -> bool:
    values = conflict.submitted
    return identity_agrees(person, values["full_name"], date.fromisoformat(values["date_of_birth"]))


def roster_conflicts_settle(*, actor: Any, person: Person) -> int:
    """A record corrected by hand (`person_update`: at a unit's desk, by the citizen, or by a reviewer
    answering another organization's conflict) so that it now agrees with an open conflict's row answers
    that conflict: it is closed as "record corrected", by whoever corrected the record, and the person joins
    the organization's roster, as when the reviewer answers on the conflict's page. Conflicts the record
    still disagrees with stay open. Runs in the record's transaction (registry signal `person_updated`).
    Returns how many were answered."""
    return sum(_conflict_settle(actor, conflict, person, by="record_edit") for conflict in _conflicts_open(person))


def _conflicts_open(person: Person) -> QuerySet[RosterConflict]:
    """The open conflicts about a record, locked for an answer: only the conflicts' rows (`of`), not their
    organization's nor their import's, which a running import of that organization updates chunk by chunk."""
    return (
        RosterConflict.objects.select_for_update(of=("self",))
        .filter(person=person, status=RosterConflict.Status.OPEN)
        .select_related("organization", "roster_import")
    )


def _conflict_settle(actor: Any, conflict: RosterConflict, person: Person, *, by: str) -> bool:
    """Answer the conflict when `person` now agrees with its row: "record corrected" (the person joins the
    roster), or "withdrawn" when the roster lists the row's person already as another record; true when it did."""
    if not _conflict_agrees(conflict, person):
        return False
    if _conflict_row_listed(conflict) is not None:
        # The roster lists the row's person already, as another record: nothing is left for the organization
        # to be answered, and joining the record too would list that person twice (what a review refuses).
        _conflict_answer(actor, conflict, RosterConflict.Status.WITHDRAWN)
        _conflict_audit(actor, conflict, person, decision="withdrawn", by=by)
        return True
    _conflict_answer(actor, conflict, RosterConflict.Status.CORRECTED)
    _conflict_roster_join(actor, conflict, person)
    _conflict_audit(actor, conflict, person, decision="correct", by=by)
    return True


def roster_after_merge(*, actor: Any, duplicate: Person, into: Person) -> int:
    """A duplicate record merged into another (`person_merge`) takes its rosters along, so that no roster
    lists a person twice or lists the merged record instead of the one it became:
    - an entry of the duplicate moves to `into`; where `into` is already on that roster, the duplicate's
      entry goes, and its department and employee number fill the blanks of `into`'s;
    - an open conflict about the duplicate is answered when `into` agrees with the row (the merge
      corrected it: "record corrected", `into` joins the roster), and otherwise moves to `into` with its
      version moved (a reviewer's page of the old record is stale), unless the organization already has an
      open conflict about `into`: then it stays on the duplicate, to be answered "keep".
    Each change is audited. Runs in the merge's transaction (registry signal `person_merged`). Returns how
    many entries and conflicts it moved or answered."""
    changes = 0
    survivor_entries = {e.organization_id: e for e in RosterEntry.objects.select_for_update().filter(person=into)}
    for entry in RosterEntry.objects.select_for_update().filter(person=duplicate).select_related("organization"):
        kept = survivor_entries.get(entry.organization_id)
        data = {
            "organization": str(entry.organization.public_id),
            "person": str(into.public_id),
            "merged": str(duplicate.public_id),
        }
        changes += 1
        if kept is None:
            entry.person = into
            entry.save(update_fields=["person", "updated_at"])
            audit_log(actor=actor, action="organizations.roster_entry.merged", subject=entry, data=data)
            continue
        filled = [name for name in ROSTER_TEXTS if not getattr(kept, name) and getattr(entry, name)]
        for name in filled:
            setattr(kept, name, getattr(entry, name))
        if filled:
            kept.save(update_fields=[*filled, "updated_at"])
        audit_log(
            actor=actor,
            action="organizations.roster_entry.merged",
            subject=kept,
            data={**data, "removed_entry": entry.pk, "filled": {name: getattr(kept, name) for name in filled}},
        )
        entry.delete()
    open_on_into = set(
        RosterConflict.objects.filter(person=into, status=RosterConflict.Status.OPEN).values_list(
            "organization_id", flat=True
        )
    )
    for conflict in _conflicts_open(duplicate):
        if _conflict_settle(actor, conflict, into, by="merge"):
            changes += 1
            continue
        if conflict.organization_id not in open_on_into:
            changes += 1
            conflict.person, conflict.version = into, conflict.version + 1
            conflict.save(update_fields=["person", "version", "updated_at"])
            open_on_into.add(conflict.organization_id)
            audit_log(
                actor=actor,
                action="organizations.roster_conflict.moved",
                subject=conflict,
                data={"person": str(into.public_id), "merged": str(duplicate.public_id)},
            )
    return changes


def rosters_fold_merged(*, actor: Any = None) -> int:
    """Move the roster entries and open conflicts still held by merged records as a merge now moves
    them (`roster_after_merge`): records merged before rosters followed a merge, or by a direct update
    that sent no signal. One transaction per merged record, with the record locked; a second run moves
    nothing (a conflict left on a merged record, its organization asking about the survivor too, stays
    there to be answered "keep"). Returns how many merged records had something moved or answered."""
    held = Person.objects.filter(merged_into__isnull=False).filter(
        Exists(RosterEntry.objects.filter(person=OuterRef("pk")))
        | Exists(RosterConflict.objects.filter(person=OuterRef("pk"), status=RosterConflict.Status.OPEN))
    )
    folded = 0
    for pk in held.values_list("pk", flat=True).order_by("pk"):
        with transaction.atomic():
            duplicate = Person.objects.select_for_update(of=("self",)).select_related("merged_into").get(pk=pk)
            if duplicate.merged_into is None:  # unmerged meanwhile (never, today): nothing to fold
                continue
            if roster_after_merge(actor=actor, duplicate=duplicate, into=duplicate.merged_into):
                folded += 1
    return folded


# -- the roster export ---------------------------------------------------------------------------


def roster_export_start(*, actor: Any, organization: Organization, data_status: str = "") -> RosterExport:
    """Queue an export of the roster (or of its persons of one data status) and start it on commit.
    Whoever sees the organization may export what they see; the export is audited. The same export asked
    again by the same person while theirs is queued or running (a second click, a client's retry, asking
    over and over) is that one: each takes a worker for minutes on a large roster, and imports would wait
    behind them."""
    selectors.organization_get_for_user(user=actor, public_id=organization.public_id)
    if data_status not in ("", *Person.DataStatus.values):
        raise DomainError.single(
            "status", "data_status_unknown", _("The data status is one of complete, incomplete or invalid.")
        )
    requester = actor if getattr(actor, "is_authenticated", False) else None
    with transaction.atomic():
        list(Organization.objects.select_for_update().filter(pk=organization.pk).values_list("pk"))  # one at a time
        if requester is not None:
            unfinished = (RosterExport.Status.QUEUED, RosterExport.Status.RUNNING)
            running = RosterExport.objects.filter(
                organization=organization, data_status=data_status, requested_by=requester, status__in=unfinished
            ).first()
            if running is not None:
                return running
        export = RosterExport.objects.create(organization=organization, requested_by=requester, data_status=data_status)
        audit_log(
            actor=actor,
            action="organizations.roster_export.requested",
            subject=export,
            data={"organization": organization, "data_status": data_status},
        )
        transaction.on_commit(partial(_enqueue_export, export.pk))
    return export


def _enqueue_export(pk: int) -> None:
    from vaxbook.organizations.tasks import roster_export_run

    roster_export_run.enqueue(pk)


def roster_export_seen(export: RosterExport, *, now: datetime | None = None) -> RosterExport:
    """The export as its page and API show it: one running whose progress has not moved for
    ROSTER_IMPORT_STALL_MINUTES lost its worker, and is marked failed (`export_interrupted`)."""
    if export.status != RosterExport.Status.RUNNING:
        return export
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=limit("ROSTER_IMPORT_STALL_MINUTES"))
    with transaction.atomic():
        if not _fail_stalled(RosterExport, export.pk, cutoff=cutoff, code="export_interrupted", now=now):
            return export
        audit_log(actor=None, action="organizations.roster_export.interrupted", subject=export, data={})
    export.refresh_from_db()
    return export


def roster_export_process(*, export_id: int) -> None:
    """Write a queued export to the end (or fail saying so). A second run does nothing."""
    if not _claim(RosterExport, export_id):
        logger.info("roster export %s is not queued; nothing to do", export_id)
        return
    export = RosterExport.objects.select_related("organization", "requested_by").get(pk=export_id)
    try:  # the requester's scope as it is now (deleted, deactivated, role removed or moved since queued)
        selectors.organization_get_for_user(user=export.requested_by, public_id=export.organization.public_id)
    except NotFound:
        with transaction.atomic():
            RosterExport.objects.filter(pk=export.pk).update(**_failed("export_not_allowed", timezone.now()))
            audit_log(actor=None, action="organizations.roster_export.refused", subject=export, data={})
        return
    handle, path = tempfile.mkstemp(prefix="roster-export-", suffix=".xlsx")
    os.close(handle)
    running = RosterExport.objects.filter(pk=export.pk, status=RosterExport.Status.RUNNING)
    try:
        rows = _export_write(export, path)
        with open(path, "rb") as f, transaction.atomic():
            export.file.save("roster.xlsx", File(f), save=False)
            now = timezone.now()
            finished = running.update(
                status=RosterExport.Status.DONE,
                progress=100,
                rows=rows,
                file=export.file.name,
                finished_at=now,
                updated_at=now,
            )
            if not finished:  # declared interrupted meanwhile: it stays so, and the file goes
                export.file.delete(save=False)
                raise ExportInterrupted()
            audit_log(
                actor=export.requested_by,
                action="organizations.roster_export.finished",
                subject=export,
                data={"rows": rows, "data_status": export.data_status},
            )
    except ExportInterrupted:
        logger.warning("roster export %s was declared interrupted while it ran; stopped", export_id)
    except Exception:
        logger.exception("roster export %s crashed", export_id)
        # Only a running export: one declared interrupted keeps what it was marked with.
        running.update(**_failed("export_crashed", timezone.now()))
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)


#: The columns an export writes: the template's, and the employee number (not the district a list before
#: 2025 may give beside a ward's name: read to find the ward, never stored).
EXPORT_COLUMNS = tuple(c for c in COLUMNS if c.key != "district")

#: Rows an export writes between two progress updates.
EXPORT_PROGRESS_ROWS = 5000


def _export_write(export: RosterExport, path: str) -> int:
    """Write the roster to `path` (constant memory: the rows are read in batches and go to disk)."""
    entries = selectors.roster_export_entries(
        user=export.requested_by, organization=export.organization, data_status=export.data_status
    )
    total = max(entries.count(), 1)
    writer = RosterExportWriter(
        path,
        EXPORT_COLUMNS,
        references=selectors.roster_reference_lists(),
        organization_name=export.organization.name,
    )
    with translation.override("vi"):  # the roster format is Vietnamese (as the template and the report)
        labels = {value: str(label) for value, label in Person.DataStatus.choices}
    rows = 0
    try:
        for rows, entry in enumerate(entries.iterator(chunk_size=2000), start=1):
            values = export_values(entry)
            values["row_number"] = rows
            writer.add(
                values,
                labels.get(entry.person.data_status, ""),
                _export_problems(entry.person),
                doses=getattr(entry, "valid_doses", None) or 0,  # `selectors._with_doses`
                next_appointment=getattr(entry, "next_appointment_on", None),
            )
            if rows % EXPORT_PROGRESS_ROWS == 0:
                moved = RosterExport.objects.filter(pk=export.pk, status=RosterExport.Status.RUNNING).update(
                    progress=min(99, rows * 100 // total), rows=rows, updated_at=timezone.now()
                )
                if not moved:  # declared interrupted (roster_export_seen): nobody waits for the rest
                    raise ExportInterrupted()
    finally:
        writer.close()
    return rows


def export_values(entry: RosterEntry) -> dict[str, Any]:
    """A roster entry's person as the template's cells: what the import reads back as the same person."""
    p = entry.person
    return {
        "full_name": p.full_name,
        "date_of_birth": p.date_of_birth,
        "sex": SEX_LABELS.get(p.sex, p.sex),
        "phone": national_phone(p.phone),
        "id_type": ID_TYPE_LABELS.get(p.id_type, ""),
        "id_number": p.id_number,
        "health_insurance_number": p.health_insurance_number,
        "priority_group": p.priority_group.code if p.priority_group else "",
        "occupation": p.occupation,
        "department": entry.department,
        "ethnicity": p.ethnicity,
        "nationality": "" if p.nationality == "VN" else p.nationality,
        "province_code": p.province.code if p.province else "",
        "ward_code": p.ward.code if p.ward else "",
        "address_line": p.address_line,
        "employee_number": entry.employee_number,
    }


def _export_problems(person: Person) -> list[str]:
    """The record's stored problems as the report says them: `Số điện thoại: còn thiếu [phone_required]`."""
    out = []
    for problem in person.problems or []:
        column = COLUMN_BY_KEY.get(problem.get("field", ""))
        name = column.header if column else problem.get("field", "")
        what = "còn thiếu" if problem.get("kind") == "missing" else "chưa đúng"
        out.append(f"{name}: {what} [{problem.get('code', '')}]")
    return out
