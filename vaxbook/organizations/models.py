import uuid
from datetime import date
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vaxbook.common.models import BaseModel
from vaxbook.registry.identity import search_name


class Organization(BaseModel):
    """An agency, unit or company that registers its staff (cơ quan, đơn vị, doanh nghiệp)."""

    tax_code = models.CharField(_("tax code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=255)
    admin_unit = models.ForeignKey(
        "places.AdminUnit", on_delete=models.PROTECT, related_name="organizations", verbose_name=_("area")
    )
    address_line = models.CharField(_("address"), max_length=255, blank=True)
    #: The name's search form (lower case, no diacritics: `registry.identity.search_name`), kept by `save`:
    #: "hoa binh" and "HÒA BÌNH" find "Trường Tiểu học Hòa Bình" on every database.
    search_name = models.CharField(_("search name"), max_length=255, blank=True, editable=False)

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.search_name = search_name(self.name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "search_name"}
        super().save(*args, **kwargs)


class RosterEntry(BaseModel):
    """A person on an organization's staff roster; the person record itself lives in the registry."""

    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="roster_entries",
        verbose_name=_("organization"),
        db_index=False,  # roster_entry_unique_person (organization, person) leads with it
    )
    person = models.ForeignKey(
        "registry.Person", on_delete=models.PROTECT, related_name="roster_entries", verbose_name=_("person")
    )
    department = models.CharField(_("department"), max_length=120, blank=True)
    employee_number = models.CharField(_("employee number"), max_length=40, blank=True)
    #: The last import whose file listed this person (an accepted row): after a file of the whole staff,
    #: the entries it did not list are those who may have left (`selectors.roster_absent_from`).
    last_import = models.ForeignKey(
        "RosterImport",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("last listed by import"),
        db_index=False,  # read with the organization's entries (roster_entry_unique_person), never alone
        # No foreign-key check in the database: the import would pay a look-up per new entry for a pointer
        # that is bookkeeping only; imports are never deleted, and Django sets it null if one were.
        db_constraint=False,
    )

    class Meta:
        verbose_name = _("roster entry")
        verbose_name_plural = _("roster entries")
        constraints = [
            models.UniqueConstraint(fields=["organization", "person"], name="roster_entry_unique_person"),
        ]

    def __str__(self) -> str:
        return f"{self.organization_id}:{self.person_id}"


def _roster_upload_to(instance: "RosterImport", filename: str) -> str:
    # The stored name is ours (a fresh UUID): the original name is kept in a field, never in a path.
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"roster-imports/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.{suffix[:8]}"


def _report_upload_to(instance: "RosterImport", filename: str) -> str:
    return f"roster-imports/{timezone.now():%Y/%m}/{uuid.uuid4().hex}-errors.xlsx"


class _ProgressSaid:
    """A job's progress as a screen reader is told it: by tens, rounded down (a running job never says 100 %)."""

    progress: int

    @property
    def progress_tens(self) -> int:
        return self.progress // 10 * 10


class RosterImport(_ProgressSaid, BaseModel):
    """One uploaded roster file and what became of it, row by row (counts) and as a file (the error report)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    class Format(models.TextChoices):
        XLSX = "xlsx", "Excel (.xlsx)"
        CSV = "csv", "CSV (.csv)"

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="roster_imports", verbose_name=_("organization")
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    file = models.FileField(_("file"), upload_to=_roster_upload_to, max_length=255)
    original_name = models.CharField(_("original file name"), max_length=255)
    #: The uploaded bytes' SHA-256: the same file sent again while this import is queued or running (a
    #: double click, a client's retry) is refused as `import_duplicate` rather than run twice.
    file_sha256 = models.CharField(_("file's SHA-256"), max_length=64, blank=True, default="")
    file_format = models.CharField(_("file format"), max_length=8, choices=Format.choices)
    #: A CSV file's encoding as read: ``utf-8`` or ``utf-16`` (`readers.csv_encoding`); empty for a workbook.
    text_encoding = models.CharField(_("text encoding"), max_length=16, blank=True, default="")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    total = models.PositiveIntegerField(_("rows"), default=0)
    accepted = models.PositiveIntegerField(_("rows accepted"), default=0)
    created = models.PositiveIntegerField(_("new persons"), default=0)
    linked = models.PositiveIntegerField(_("existing persons linked"), default=0)
    updated = models.PositiveIntegerField(_("persons updated"), default=0)
    refused = models.PositiveIntegerField(_("rows refused"), default=0)
    #: Staff already on the roster whose department or employee number this file changed (they count among
    #: the persons linked or updated: their record is the registry's, the entry the organization's).
    roster_changed = models.PositiveIntegerField(_("roster entries changed"), default=0)
    #: {code: rows refused for it}: a row counts once for each of its reasons' codes.
    refusals = models.JSONField(_("rows refused, by reason"), default=dict, blank=True)
    problems = models.JSONField(_("problems with the file"), default=list, blank=True)
    ignored_columns = models.JSONField(_("ignored columns"), default=list, blank=True)
    #: The workbook's sheet read ("" for a CSV file), and [{"sheet": name, "rows": rows holding a value}] of
    #: its other visible sheets whose header is a roster's with someone below it: one sheet is read, and the
    #: others are said, not dropped unseen (a tab per department, a filled copy "Danh sách (2)").
    sheet_name = models.CharField(_("sheet read"), max_length=255, blank=True, default="")
    sheets_not_read = models.JSONField(_("sheets listing staff, not read"), default=list, blank=True)
    #: The file is an error report sent again, fixed (its header holds the report's own "Lý do"): a part
    #: of the roster, the rows an earlier import refused. It says nothing of whom the roster lacks, and the
    #: entries it lists count as listed by the import before it (`selectors.roster_absent_from`).
    from_report = models.BooleanField(_("an error report sent again"), default=False)
    footer_rows = models.JSONField(_("rows read as the sheet's footer"), default=list, blank=True)
    #: [row number, text] of each row read as a section's heading ("I | KHỐI VĂN PHÒNG").
    section_rows = models.JSONField(_("rows read as section headings"), default=list, blank=True)
    #: Rows linked to a record that gave another value of a field than the record's own, which was kept:
    #: {field: {"rows": how many, "first_rows": the first row numbers}} (`registry.services.VALUES_KEPT_FIELDS`).
    values_kept = models.JSONField(_("values of the records kept over the file's"), default=dict, blank=True)
    error_report = models.FileField(_("error report"), upload_to=_report_upload_to, max_length=255, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("roster import")
        verbose_name_plural = _("roster imports")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "created_at"], name="roster_import_org_idx"),
            # The queue: the place of a queued import (its page asks every second) and those waiting long.
            models.Index(fields=["created_at"], name="roster_import_queued_idx", condition=models.Q(status="queued")),
        ]
        constraints = [
            models.CheckConstraint(name="roster_import_progress_range", condition=models.Q(progress__lte=100)),
            models.UniqueConstraint(
                fields=["organization", "file_sha256"],
                condition=models.Q(status__in=["queued", "running"]) & ~models.Q(file_sha256=""),
                name="roster_import_one_unfinished_per_file",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def cancelled(self) -> bool:
        """Stopped by a representative: `failed` with the problem `import_cancelled` (the API's status)."""
        return self.status == self.Status.FAILED and any(p.get("code") == "import_cancelled" for p in self.problems)

    @property
    def state_display(self) -> str:
        """The status a page shows: "cancelled" for an import cancelled, which the API calls `failed`."""
        return str(_("cancelled")) if self.cancelled else str(self.get_status_display())


def _export_upload_to(instance: "RosterExport", filename: str) -> str:
    return f"roster-exports/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.xlsx"


class RosterExport(_ProgressSaid, BaseModel):
    """The roster written to a workbook in the template's columns, in the background: the organization
    fills in what is missing and uploads it again (the import links its rows, filling blanks)."""

    Status = RosterImport.Status

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="roster_exports", verbose_name=_("organization")
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("requested by"),
    )
    data_status = models.CharField(_("data status"), max_length=12, blank=True)  # "": the whole roster
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    file = models.FileField(_("file"), upload_to=_export_upload_to, max_length=255, blank=True)
    problems = models.JSONField(_("problems"), default=list, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("roster export")
        verbose_name_plural = _("roster exports")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "created_at"], name="roster_export_org_idx")]
        constraints = [
            models.CheckConstraint(name="roster_export_progress_range", condition=models.Q(progress__lte=100)),
        ]

    def __str__(self) -> str:
        return f"{self.organization_id} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)


class RosterConflict(BaseModel):
    """A roster row whose document number belongs to a registered person with another name or birth date.

    The import refuses such a row and never overwrites the record (`document_conflict`); the row is kept
    here for the health staff who keep the record to review: either the record is wrong (a clinic typed
    the birth date wrong) and they correct it to the row's identity, which puts the person on the roster,
    or the record is right and the organization fixes its file. One conflict is open per organization and
    person: a later file's row replaces the values of the open one, and a later file whose row agrees with
    the record (it links to the person) withdraws it.

    The organization sees its own row and the decision, never the record's values (the person may be
    none of its staff)."""

    class Status(models.TextChoices):
        OPEN = "open", _("to review")
        CORRECTED = "corrected", _("record corrected")
        KEPT = "kept", _("record kept")
        WITHDRAWN = "withdrawn", _("row corrected by the organization")

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="roster_conflicts", verbose_name=_("organization")
    )
    person = models.ForeignKey(
        "registry.Person", on_delete=models.PROTECT, related_name="roster_conflicts", verbose_name=_("person")
    )
    roster_import = models.ForeignKey(
        RosterImport, on_delete=models.PROTECT, related_name="conflicts", verbose_name=_("roster import")
    )
    row_number = models.PositiveIntegerField(_("row"))
    #: The row's values, as the identity rules read them: full_name, date_of_birth (ISO), sex, id_type,
    #: id_number, phone, and the roster's department and employee_number.
    submitted = models.JSONField(_("values in the roster"), default=dict)
    #: Moves when a later file's row replaces `submitted`: a reviewer answers the values they saw.
    version = models.PositiveIntegerField(_("version"), default=1)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    resolved_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("roster conflict")
        verbose_name_plural = _("roster conflicts")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"], name="roster_conflict_status_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "person"],
                condition=models.Q(status="open"),
                name="roster_conflict_one_open",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization_id}:{self.person_id} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    @property
    def submitted_date_of_birth(self) -> date | None:
        """The row's date of birth as a date (stored as ISO text), for display beside the record's."""
        try:
            return date.fromisoformat(str(self.submitted.get("date_of_birth") or ""))
        except ValueError:
            return None
