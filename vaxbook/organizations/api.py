"""The organizations API: roster template, roster imports (upload, progress, error report), the roster and its
exports, and the roster conflicts the health staff review."""

import unicodedata
from datetime import date, datetime
from typing import Annotated, Any, Literal

from django.http import FileResponse, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext
from ninja import Field, File, Query, Router, Schema
from ninja.files import UploadedFile

from vaxbook.common.apierrors import error_responses, validation_message
from vaxbook.common.apifields import Body, page_limit, page_offset
from vaxbook.common.apiparser import printable_field
from vaxbook.common.errors import DomainError, ErrorItem, NotFound
from vaxbook.organizations import selectors, services
from vaxbook.organizations.columns import COLUMN_BY_KEY
from vaxbook.organizations.models import Organization, RosterConflict, RosterEntry, RosterExport, RosterImport
from vaxbook.organizations.readers import render_problem
from vaxbook.registry.api import DataStatusFilter

router = Router(tags=["organizations"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


#: An import's or an export's status (`RosterImport.Status`), and its progress: the description states both.
JobStatus = Literal["queued", "running", "done", "failed"]
Progress = Annotated[int, Field(ge=0, le=100)]


class OrganizationOut(Schema):
    id: str
    tax_code: str
    name: str
    area_code: str
    may_import: bool
    #: The staff on its roster, and how many of them are incomplete or invalid (held back at the desk).
    staff: int
    incomplete: int
    invalid: int
    #: Its last import's id and status; null before the first.
    last_import_id: str | None
    last_import_status: JobStatus | None


class ProblemOut(Schema):
    field: str
    code: str
    message: str


class SectionRowOut(Schema):
    row: int
    text: str


class SheetNotReadOut(Schema):
    #: A visible sheet of the workbook, besides the one read, whose header is a roster's with staff below it.
    sheet: str
    #: Its rows below the header that hold a value.
    rows: int


class RosterImportStarted(Schema):
    id: str
    status: JobStatus


class ValuesKeptOut(Schema):
    rows: int
    first_rows: list[int]


class RosterImportOut(Schema):
    id: str
    organization_id: str
    original_name: str
    file_format: str
    #: A CSV file's encoding as read: utf-8 or utf-16 (with or without its BOM); "" for a workbook.
    text_encoding: str
    status: JobStatus
    progress: Progress
    total: int
    accepted: int
    created: int
    linked: int
    updated: int
    refused: int
    #: Staff already on the roster whose department or employee number the file changed (among those linked
    #: or updated).
    roster_changed: int
    refusals: dict[str, int]
    error_report_url: str | None
    problems: list[ProblemOut]
    ignored_columns: list[str]
    #: The workbook's sheet read ("" for a CSV file), and its other sheets that list staff, not read: one
    #: sheet is imported; send each of the others as its own file.
    sheet_name: str
    sheets_not_read: list[SheetNotReadOut]
    #: The file is an error report sent again, fixed: its `not_listed` is null, and the staff it lists count
    #: as listed by the import before it.
    from_report: bool
    footer_rows: list[int]
    section_rows: list[SectionRowOut]
    #: Rows linked to a record whose value of a field (phone, health_insurance_number, ward, address_line,
    #: priority_group, sex) differs from the record's own, which was kept: a file never overwrites a record.
    values_kept: dict[str, ValuesKeptOut]
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    #: On `GET /roster-imports/{id}` only (null elsewhere): for a queued import, how many imports were
    #: queued before it, and `waiting_minutes` once no worker has taken it for ROSTER_IMPORT_STALL_MINUTES (for
    #: a minute when nothing is ahead of it: the worker may be down); for a running one past 5 %, about how
    #: many minutes are left at the pace so far, to the nearest (0: less than one); for the organization's
    #: last import to start, once `done`, how many staff already on the roster its file did not list.
    queue_ahead: int | None = None
    waiting_minutes: int | None = None
    minutes_left: int | None = None
    #: A running import whose progress has not moved for 2 minutes or more: the minutes since it moved (its
    #: worker may have stopped; at ROSTER_IMPORT_STALL_MINUTES it is marked interrupted), `minutes_left` null.
    idle_minutes: int | None = None
    not_listed: int | None = None


class RosterEntryOut(Schema):
    id: str
    person_id: str
    full_name: str
    date_of_birth: date
    sex: str
    id_type: str
    id_number: str
    phone: str
    department: str
    employee_number: str
    data_status: str
    missing_fields: list[str]
    invalid_fields: list[str]
    next_appointment_on: date | None
    valid_doses: int


class RosterEntryIn(Body):
    """What changes (a field left out stays; an empty text clears it), and optionally the values last seen.
    Any other field (the person's own data) is a 422 `field_unknown`, never dropped silently."""

    # The lengths the roster's rules allow (`roster_texts_check`: 422 `text_too_long` past them), stated here
    # for clients generated from the API's description; the check itself is the rule's.
    department: str | None = Field(None, json_schema_extra={"maxLength": COLUMN_BY_KEY["department"].max_length})
    employee_number: str | None = Field(
        None, json_schema_extra={"maxLength": COLUMN_BY_KEY["employee_number"].max_length}
    )
    expected_department: str | None = None
    expected_employee_number: str | None = None


class RosterOut(Schema):
    count: int
    results: list[RosterEntryOut]


def organization_out(request: HttpRequest, organization: Organization, summary: dict[str, Any]) -> dict:
    last = summary["last_import"]
    return {
        "id": str(organization.public_id),
        "tax_code": organization.tax_code,
        "name": organization.name,
        "area_code": organization.admin_unit.code,
        "may_import": selectors.organization_may_import(user=request.user, organization=organization),
        "staff": summary["staff"],
        "incomplete": summary["incomplete"],
        "invalid": summary["invalid"],
        "last_import_id": str(last.public_id) if last else None,
        "last_import_status": last.status if last else None,
    }


def roster_import_out(roster_import: RosterImport) -> dict:
    report_url = None
    if roster_import.error_report:
        report_url = reverse("api:roster_import_error_report", kwargs={"import_id": roster_import.public_id})
    return {
        "id": str(roster_import.public_id),
        "organization_id": str(roster_import.organization.public_id),
        "original_name": roster_import.original_name,
        "file_format": roster_import.file_format,
        "text_encoding": roster_import.text_encoding,
        "status": roster_import.status,
        "progress": roster_import.progress,
        "total": roster_import.total,
        "accepted": roster_import.accepted,
        "created": roster_import.created,
        "linked": roster_import.linked,
        "updated": roster_import.updated,
        "refused": roster_import.refused,
        "roster_changed": roster_import.roster_changed,
        "refusals": roster_import.refusals,
        "error_report_url": report_url,
        "problems": [render_problem(p) for p in roster_import.problems],
        "ignored_columns": roster_import.ignored_columns,
        "sheet_name": roster_import.sheet_name,
        "sheets_not_read": roster_import.sheets_not_read,
        "from_report": roster_import.from_report,
        "footer_rows": roster_import.footer_rows,
        "section_rows": [{"row": number, "text": text} for number, text in roster_import.section_rows],
        "values_kept": roster_import.values_kept,
        "created_at": roster_import.created_at,
        "started_at": roster_import.started_at,
        "finished_at": roster_import.finished_at,
    }


class RosterExportOut(Schema):
    id: str
    organization_id: str
    data_status: str
    status: JobStatus
    progress: Progress
    rows: int
    file_url: str | None
    problems: list[ProblemOut]
    created_at: datetime
    finished_at: datetime | None


def roster_export_out(export: RosterExport) -> dict:
    done = export.status == RosterExport.Status.DONE and bool(export.file)
    return {
        "id": str(export.public_id),
        "organization_id": str(export.organization.public_id),
        "data_status": export.data_status,
        "status": export.status,
        "progress": export.progress,
        "rows": export.rows,
        "file_url": reverse("api:roster_export_file", kwargs={"export_id": export.public_id}) if done else None,
        "problems": [render_problem(p) for p in export.problems],
        "created_at": export.created_at,
        "finished_at": export.finished_at,
    }


def roster_export_file_response(export: RosterExport) -> FileResponse:
    if export.status != RosterExport.Status.DONE or not export.file:
        raise NotFound.single("id", "roster_export_not_ready", _("This export is not finished, or it failed."))
    stamp = timezone.localtime(export.finished_at or export.created_at)
    stem = pgettext("download name", "roster")  # not inside the f-string: makemessages would not find it there
    return FileResponse(
        export.file.open("rb"),
        as_attachment=True,
        filename=f"{stem}-{export.organization.tax_code}-{stamp:%Y%m%d-%H%M}.xlsx",
        content_type=XLSX,
    )


def roster_entry_out(entry: RosterEntry) -> dict:
    person = entry.person
    return {
        "id": str(entry.public_id),
        "person_id": str(person.public_id),
        "full_name": person.full_name,
        "date_of_birth": person.date_of_birth,
        "sex": person.sex,
        "id_type": person.id_type,
        "id_number": person.id_number,
        "phone": person.phone,
        "department": entry.department,
        "employee_number": entry.employee_number,
        "data_status": person.data_status,
        "missing_fields": person.missing_fields,
        "invalid_fields": person.invalid_fields,
        "next_appointment_on": getattr(entry, "next_appointment_on", None),
        "valid_doses": getattr(entry, "valid_doses", None) or 0,
    }


class ConflictRowOut(Schema):
    """What the organization sent in a row kept for review, and the decision (never the record's values)."""

    id: str
    row: int
    full_name: str
    date_of_birth: str
    id_type: str
    id_number: str
    status: str
    reviewed_at: datetime | None


class ConflictRecordOut(Schema):
    id: str
    full_name: str
    date_of_birth: date
    sex: str
    id_type: str
    id_number: str
    phone: str
    data_status: str
    version: int
    merged: bool


class RosterConflictOut(Schema):
    id: str
    organization_id: str
    organization_name: str
    roster_import_id: str
    row: int
    submitted: dict[str, str]
    version: int
    record: ConflictRecordOut
    status: str
    reviewed_at: datetime | None
    created_at: datetime
    updated_at: datetime


class ConflictReviewIn(Body):
    decision: Literal["correct", "keep"]
    # Strict: a JSON number (true or "1" are not a version), from 1 as versions count.
    person_version: int = Field(
        strict=True,
        ge=1,
        le=2_147_483_647,
        description="The record's `version` you compared; another: 409 edit_conflict.",
    )
    conflict_version: int = Field(
        strict=True,
        ge=1,
        le=2_147_483_647,
        description="The conflict's `version` you compared; another: 409 conflict_changed.",
    )


ConflictStatusFilter = Literal["open", "corrected", "kept", "withdrawn", "all"]


def conflict_row_out(conflict: RosterConflict) -> dict:
    given = conflict.submitted
    return {
        "id": str(conflict.public_id),
        "row": conflict.row_number,
        "full_name": given.get("full_name", ""),
        "date_of_birth": given.get("date_of_birth", ""),
        "id_type": given.get("id_type", ""),
        "id_number": given.get("id_number", ""),
        "status": conflict.status,
        "reviewed_at": conflict.resolved_at,
    }


class OrganizationConflictOut(ConflictRowOut):
    """A row kept for review, on the organization's list: with the import it came from."""

    roster_import_id: str
    roster_import_name: str
    #: When the file that sent the row last came (a row sent again moves to the later file), as the roster shows.
    received_at: datetime


def roster_conflict_out(conflict: RosterConflict) -> dict:
    person = conflict.person
    return {
        "id": str(conflict.public_id),
        "organization_id": str(conflict.organization.public_id),
        "organization_name": conflict.organization.name,
        "roster_import_id": str(conflict.roster_import.public_id),
        "row": conflict.row_number,
        "submitted": {k: str(v) for k, v in conflict.submitted.items()},
        "version": conflict.version,
        "record": {
            "id": str(person.public_id),
            "full_name": person.full_name,
            "date_of_birth": person.date_of_birth,
            "sex": person.sex,
            "id_type": person.id_type,
            "id_number": person.id_number,
            "phone": person.phone,
            "data_status": person.data_status,
            "version": person.version,
            "merged": person.merged_into_id is not None,
        },
        "status": conflict.status,
        "reviewed_at": conflict.resolved_at,
        "created_at": conflict.created_at,
        "updated_at": conflict.updated_at,
    }


# Downloads are named in the request's language (ASCII, as a phone's file list shows them whole): Vietnamese
# `mau-danh-sach-…`, `danh-sach-…`, `…-loi.xlsx`; English `roster-template-…`, `roster-…`, `…-errors.xlsx`.


def template_response(organization: Organization, content: bytes) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    stem = pgettext("download name", "roster-template")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"{stem}-{organization.tax_code}.xlsx"
    )
    return response


#: The bytes of a file's own name a download keeps: with a suffix, within the 255 bytes file systems take.
NAME_BYTES = 200


def _name_cut(name: str) -> str:
    """`name` (composed: NFC) cut to NAME_BYTES of UTF-8, a whole character last (a Vietnamese letter takes up to
    three bytes: 100 characters may be 300)."""
    encoded = unicodedata.normalize("NFC", name).encode()
    return encoded[:NAME_BYTES].decode(errors="ignore")


def error_report_response(roster_import: RosterImport) -> FileResponse:
    if not roster_import.error_report:
        raise NotFound.single("id", "error_report_missing", _("This import has no error report."))
    stem = _name_cut(roster_import.original_name.rsplit(".", 1)[0]) or pgettext("download name", "roster")
    suffix = pgettext("download name", "errors")
    name = f"{stem}-{suffix}.xlsx"
    return FileResponse(roster_import.error_report.open("rb"), as_attachment=True, filename=name, content_type=XLSX)


def _workbook_answer(description: str) -> dict:
    """The API description of an operation answering with a workbook: its media type, a binary body."""
    binary = {"schema": {"type": "string", "format": "binary"}}
    return {"responses": {"200": {"description": description, "content": {XLSX: binary}}}}


@router.get("/organizations", response=list[OrganizationOut])
def organization_list(
    request: HttpRequest,
    limit: int = page_limit(500, 1000),
    offset: int = page_offset(),
    q: str = Query("", max_length=100),
    order: selectors.OrganizationOrder = "name",
) -> list[dict]:
    """The organizations the user may see, by name, a page at a time (a short page is the last); `q`: those
    whose name holds it (any case, with or without diacritics) or whose tax code starts with it; `order`
    "held_back": those with the most staff held back at the desk first. Each with its roster's size, its
    staff held back at the desk (incomplete, invalid) and its last import."""
    organizations = selectors.organizations_ordered(
        organizations=selectors.organizations_for_user(user=request.user, q=q), order=order
    )
    listed = list(organizations[offset : offset + limit])
    summary = selectors.organizations_roster_summary(organizations=listed)
    return [organization_out(request, o, summary[o.pk]) for o in listed]


@router.get(
    "/organizations/{organization_id}/roster-template",
    url_name="roster_template",
    openapi_extra=_workbook_answer("The roster template (.xlsx)."),
)
def roster_template(request: HttpRequest, organization_id: str) -> HttpResponse:
    """The roster template (.xlsx): headers, drop-down lists, instructions and reference codes."""
    organization = selectors.organization_get_for_user(user=request.user, public_id=organization_id)
    return template_response(organization, selectors.roster_template(user=request.user, organization=organization))


#: The parts an upload may hold besides its `file`: a signed-in session's CSRF token, sent as a form field.
_UPLOAD_PROTOCOL_PARTS = frozenset({"csrfmiddlewaretoken"})


@router.post(
    "/organizations/{organization_id}/roster-imports",
    response={202: RosterImportStarted},
    openapi_extra={
        **error_responses(
            {
                429: "`imports_waiting`: the organization has as many imports queued or running as it may "
                "(ROSTER_IMPORT_MAX_UNFINISHED, 5 by default); send it when one has ended."
            }
        ),
        "requestBody": {"content": {"multipart/form-data": {"schema": {"additionalProperties": False}}}},
    },
)
def roster_import_create(request: HttpRequest, organization_id: str, file: File[UploadedFile]) -> tuple:
    """Upload a roster (.xlsx, or .csv in UTF-8 or UTF-16): refused at once when unreadable, else imported in the
    background.
    A part other than `file` is a 422 `field_unknown` (a sheet sent under another name beside it is not dropped)."""
    organization = selectors.organization_get_for_user(user=request.user, public_id=organization_id)
    unknown = sorted({*request.POST, *request.FILES} - {"file"} - _UPLOAD_PROTOCOL_PARTS)
    if unknown:
        message = validation_message("extra_forbidden", None)
        raise DomainError([ErrorItem(printable_field(name), "field_unknown", message) for name in unknown])
    roster_import = services.roster_import_start(actor=request.user, organization=organization, upload=file)
    return 202, {"id": str(roster_import.public_id), "status": roster_import.status}


@router.get("/organizations/{organization_id}/roster-imports", response=list[RosterImportOut])
def roster_import_list(
    request: HttpRequest,
    organization_id: str,
    limit: int = page_limit(50, 200),
    offset: int = page_offset(),
) -> list[dict]:
    """The organization's imports, the latest first, a page at a time (a short page is the last)."""
    organization = selectors.organization_get_for_user(user=request.user, public_id=organization_id)
    imports = selectors.roster_imports_for_organization(user=request.user, organization=organization)
    return [roster_import_out(i) for i in imports.select_related("organization")[offset : offset + limit]]


@router.get("/roster-imports/{import_id}", response=RosterImportOut)
def roster_import_detail(request: HttpRequest, import_id: str) -> dict:
    """Status, progress (0–100) and counts of an import; `problems` when the file could not be read."""
    seen = services.roster_import_seen(selectors.roster_import_get_for_user(user=request.user, public_id=import_id))
    outlook = selectors.roster_import_outlook(seen)
    return {
        **roster_import_out(seen),
        "queue_ahead": outlook["ahead"],
        "waiting_minutes": outlook["waiting"],
        "minutes_left": outlook["minutes_left"],
        "idle_minutes": outlook["idle"],
        "not_listed": selectors.roster_absent_from(roster_import=seen),
    }


@router.post("/roster-imports/{import_id}/cancel", response=RosterImportOut)
def roster_import_cancel(request: HttpRequest, import_id: str) -> dict:
    """Stop a queued or running import: it ends `failed` with the problem `import_cancelled`; the chunks
    written before stay and are counted. 403 for whoever may not import the organization's roster, 409
    `import_finished` for an import already done or failed."""
    found = selectors.roster_import_get_for_user(user=request.user, public_id=import_id)
    return roster_import_out(services.roster_import_cancel(actor=request.user, roster_import=found))


@router.get(
    "/roster-imports/{import_id}/error-report",
    url_name="roster_import_error_report",
    openapi_extra=_workbook_answer("The error report (.xlsx)."),
)
def roster_import_error_report(request: HttpRequest, import_id: str) -> FileResponse:
    """The refused rows as sent, with a "Lý do" column and the faulty cells highlighted (.xlsx)."""
    return error_report_response(selectors.roster_import_get_for_user(user=request.user, public_id=import_id))


@router.get("/roster-imports/{import_id}/conflicts", response=list[ConflictRowOut])
def roster_import_conflicts(
    request: HttpRequest, import_id: str, limit: int = page_limit(50, 200), offset: int = page_offset()
) -> list[dict]:
    """The import's rows refused as `document_conflict` and sent to the health staff for review, by row,
    with the decision: `open`, `corrected` (the record took the row's identity; the person is on the
    roster), `kept` (the record is right: fix the row) or `withdrawn` (a later file's row agrees with the
    record); a page at a time (a short page is the last: a file of 20,000 such rows answered 4.6 MB at once)."""
    found = selectors.roster_import_get_for_user(user=request.user, public_id=import_id)
    rows = selectors.roster_conflicts_for_import(user=request.user, roster_import=found)
    return [conflict_row_out(c) for c in rows[offset : offset + limit]]


@router.get("/organizations/{organization_id}/roster-conflicts", response=list[OrganizationConflictOut])
def organization_roster_conflicts(
    request: HttpRequest,
    organization_id: str,
    status: ConflictStatusFilter = "open",
    limit: int = page_limit(50, 200),
    offset: int = page_offset(),
) -> list[dict]:
    """The organization's rows refused as `document_conflict` and sent to the health staff, of all its imports,
    by the file that sent each last (the latest first, then in the file's order), a page at a time: by default
    those still `open` (the staff who wait for an answer before they are on the roster); the rows and the
    decision only, as on each import."""
    organization = selectors.organization_get_for_user(user=request.user, public_id=organization_id)
    conflicts = selectors.roster_conflicts_for_organization(
        user=request.user, organization=organization, status="" if status == "all" else status
    )
    return [
        {
            **conflict_row_out(c),
            "roster_import_id": str(c.roster_import.public_id),
            "roster_import_name": c.roster_import.original_name,
            "received_at": c.roster_import.created_at,
        }
        for c in conflicts[offset : offset + limit]
    ]


@router.get("/roster-conflicts", response=list[RosterConflictOut])
def roster_conflict_list(
    request: HttpRequest,
    status: ConflictStatusFilter = "open",
    q: str = Query("", max_length=100),
    limit: int = page_limit(50, 200),
    offset: int = page_offset(),
) -> list[dict]:
    """Roster rows whose document belongs to a record with another name or birth date, for the health
    staff who keep the records (empty for anyone else), the latest first, a page at a time; `q` finds them
    by document number, by the person's name (with or without diacritics) or by the organization's name."""
    conflicts = selectors.roster_conflicts_for_user(user=request.user, status="" if status == "all" else status, q=q)
    return [roster_conflict_out(c) for c in conflicts[offset : offset + limit]]


@router.get("/roster-conflicts/{conflict_id}", response=RosterConflictOut)
def roster_conflict_detail(request: HttpRequest, conflict_id: str) -> dict:
    """The row beside the record."""
    return roster_conflict_out(selectors.roster_conflict_get_for_user(user=request.user, public_id=conflict_id))


@router.post("/roster-conflicts/{conflict_id}/review", response=RosterConflictOut)
def roster_conflict_review(request: HttpRequest, conflict_id: str, payload: ConflictReviewIn) -> dict:
    """Both answers name the versions compared (`person_version`: the record's, `conflict_version`: the conflict's;
    both required): a record edited meanwhile is a 409 `edit_conflict`, a row replaced meanwhile by a later file's
    a 409 `conflict_changed`. `correct`: the record takes the row's name, birth date and sex (the identity rules
    apply) and the person joins the roster (a 409 `conflict_person_listed` when the organization's roster lists
    the row's person as another record); `keep`: the record is right. A conflict already reviewed is a 409
    `conflict_reviewed`."""
    conflict = selectors.roster_conflict_get_for_user(user=request.user, public_id=conflict_id)
    services.roster_conflict_review(
        actor=request.user,
        conflict=conflict,
        decision=payload.decision,
        person_version=payload.person_version,
        conflict_version=payload.conflict_version,
    )
    return roster_conflict_out(selectors.roster_conflict_get_for_user(user=request.user, public_id=conflict_id))


@router.get("/organizations/{organization_id}/roster", response=RosterOut)
def roster(
    request: HttpRequest,
    organization_id: str,
    status: DataStatusFilter = "",
    q: str = Query("", max_length=100),
    absent_from: str = Query("", max_length=64),
    limit: int = page_limit(50, 200),
    offset: int = page_offset(),
) -> dict:
    """The roster: every staff member with data status, next appointment and valid doses (paginated: `limit`
    1 to 200; an `offset` below 0 or past 2,147,483,647 is a 422); `q` finds staff by identity number,
    phone, employee number or name (with or without diacritics); `absent_from` (the organization's last
    import to start, once `done`) keeps the staff already on the roster that its file did not list, else 422
    `absent_from_not_latest`."""
    organization = selectors.organization_get_for_user(user=request.user, public_id=organization_id)
    absent = None
    if absent_from:
        absent = selectors.roster_absent_import(user=request.user, organization=organization, public_id=absent_from)
        if absent is None:
            raise DomainError.single(
                "absent_from",
                "absent_from_not_latest",
                _("Only the organization's latest finished import can say whom its file did not list."),
            )
    entries = selectors.roster_for_user(
        user=request.user, organization=organization, data_status=status, q=q, absent_from=absent
    )
    return {"count": entries.count(), "results": [roster_entry_out(e) for e in entries[offset : offset + limit]]}


@router.patch("/organizations/{organization_id}/roster/{person_id}", response=RosterEntryOut)
def roster_entry_update(request: HttpRequest, organization_id: str, person_id: str, payload: RosterEntryIn) -> dict:
    """Correct a staff member's department or employee number (representatives only), by the import's rules
    for those texts (422 `text_too_long`, `text_legacy_encoding`, `text_letters_lost` or
    `text_misread_encoding` naming the field). With `expected_*`, an entry changed since is a 409
    `edit_conflict`."""
    organization = selectors.organization_get_for_user(user=request.user, public_id=organization_id)
    sent = payload.dict(exclude_unset=True)
    changes = {k: v or "" for k, v in sent.items() if not k.startswith("expected_")}
    expected = {k.removeprefix("expected_"): v or "" for k, v in sent.items() if k.startswith("expected_")}
    saved = services.roster_entry_update(
        actor=request.user, organization=organization, person_id=person_id, changes=changes, expected=expected or None
    )
    entries = selectors.roster_for_user(user=request.user, organization=organization)
    return roster_entry_out(entries.get(pk=saved.pk))  # with its next appointment and doses, as the roster lists it


@router.delete("/organizations/{organization_id}/roster/{person_id}", response={204: None})
def roster_entry_remove(request: HttpRequest, organization_id: str, person_id: str) -> tuple:
    """Take a staff member who left off the roster (representatives only). The person's record, appointments
    and doses stay in the registry; a second call is a 404 `roster_entry_not_found`."""
    organization = selectors.organization_get_for_user(user=request.user, public_id=organization_id)
    services.roster_entry_remove(actor=request.user, organization=organization, person_id=person_id)
    return 204, None


@router.post("/organizations/{organization_id}/roster-exports", response={202: RosterImportStarted})
def roster_export_create(request: HttpRequest, organization_id: str, status: DataStatusFilter = "") -> tuple:
    """Export the roster (.xlsx, the template's columns with each person's data status and what to complete),
    or only its persons of one data status, in the background; `GET /roster-exports/{id}` follows it."""
    organization = selectors.organization_get_for_user(user=request.user, public_id=organization_id)
    export = services.roster_export_start(actor=request.user, organization=organization, data_status=status)
    return 202, {"id": str(export.public_id), "status": export.status}


@router.get("/organizations/{organization_id}/roster-exports", response=list[RosterExportOut])
def roster_export_list(
    request: HttpRequest, organization_id: str, limit: int = page_limit(50, 200), offset: int = page_offset()
) -> list[dict]:
    """The organization's exports, the latest first, a page at a time (a short page is the last)."""
    organization = selectors.organization_get_for_user(user=request.user, public_id=organization_id)
    exports = selectors.roster_exports_for_organization(user=request.user, organization=organization)
    return [roster_export_out(e) for e in exports.select_related("organization")[offset : offset + limit]]


@router.get("/roster-exports/{export_id}", response=RosterExportOut)
def roster_export_detail(request: HttpRequest, export_id: str) -> dict:
    """Status, progress (0–100) and rows of an export; `file_url` once it is done."""
    found = selectors.roster_export_get_for_user(user=request.user, public_id=export_id)
    return roster_export_out(services.roster_export_seen(found))


@router.get(
    "/roster-exports/{export_id}/file",
    url_name="roster_export_file",
    openapi_extra=_workbook_answer("The roster workbook (.xlsx)."),
)
def roster_export_file(request: HttpRequest, export_id: str) -> FileResponse:
    """The roster workbook (.xlsx) of a finished export."""
    return roster_export_file_response(selectors.roster_export_get_for_user(user=request.user, public_id=export_id))
