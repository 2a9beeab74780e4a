"""The organizations part of the demo: the demo organization's representative (`org`) uploads a roster file,
imported through the real path (`roster_import_start`, then the run), so the demo shows an import's result
and a roster conflict for the health staff to review.

The file is three staff members of the roster as its export writes them, edited as a clerk would: one as it
is (linked), one with a birth date that differs from the record's (a `document_conflict`: the province
officer, `province`, and the clerks of the unit serving the person's ward see it under "Roster conflicts to
review"), one with a broken phone
(refused, in the error report). `vaxbook.common.demo.demo_load` calls `roster_demo_load` at the end of every
run: idempotent (the file's name marks it) and deterministic.
"""

import os
import tempfile
from datetime import timedelta
from typing import Any, Protocol

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.translation import gettext as _

from vaxbook.accounts.models import Membership, User
from vaxbook.organizations.models import RosterEntry, RosterImport
from vaxbook.organizations.services import EXPORT_COLUMNS, export_values, roster_import_process, roster_import_start
from vaxbook.organizations.workbooks import RosterExportWriter

DEMO_FILE = "danh-sach-nhan-vien-demo.xlsx"
REPRESENTATIVE = "org"


class Writer(Protocol):
    def write(self, msg: str, /) -> Any: ...


def _say(stdout: Writer | None, message: str) -> None:
    if stdout is not None:
        stdout.write(message + "\n")


def _demo_file(entries: list[RosterEntry]) -> bytes:
    rows = [export_values(e) for e in entries]
    # The site typed the birth day wrong (the same month and year: the CCCD still agrees with the row).
    dob = rows[1]["date_of_birth"]
    rows[1]["date_of_birth"] = dob + timedelta(days=1 if dob.day < 28 else -1)
    rows[2]["phone"] = "091234"  # a digit short of nothing: refused as phone_format
    handle, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    try:
        writer = RosterExportWriter(path, EXPORT_COLUMNS)
        try:
            for n, values in enumerate(rows, start=1):
                writer.add({**values, "row_number": n}, "", [])
        finally:
            writer.close()
        with open(path, "rb") as f:
            return f.read()
    finally:
        os.unlink(path)


def roster_demo_load(*, stdout: Writer | None = None) -> None:
    """Upload and import the demo roster file once (see the module docstring); a second call only says so."""
    rep = User.objects.filter(username=REPRESENTATIVE).first()
    membership = (
        Membership.objects.filter(user=rep, active=True, organization__isnull=False)
        .select_related("organization")
        .first()
        if rep is not None
        else None
    )
    if rep is None or membership is None or membership.organization is None:
        _say(stdout, _("Roster demo: the demo organization and its representative are missing; load the demo first."))
        return
    organization = membership.organization
    if RosterImport.objects.filter(organization=organization, original_name=DEMO_FILE).exists():
        _say(stdout, _("Roster demo: already loaded."))
        return
    entries = list(
        RosterEntry.objects.filter(organization=organization, person__id_type="cccd", person__merged_into__isnull=True)
        .exclude(person__id_number="")
        .select_related("person", "person__priority_group", "person__province", "person__ward")
        .order_by("pk")[:3]
    )
    if len(entries) < 3:
        _say(stdout, _("Roster demo: the demo roster has too few staff with a citizen ID; nothing uploaded."))
        return
    upload = SimpleUploadedFile(DEMO_FILE, _demo_file(entries))
    started = roster_import_start(actor=rep, organization=organization, upload=upload)
    roster_import_process(import_id=started.pk)  # here rather than on the worker (a second run does nothing)
    done = RosterImport.objects.get(pk=started.pk)
    _say(
        stdout,
        _(
            "Roster demo: %(file)s imported (rows accepted: %(accepted)d; refused: %(refused)d, "
            "one of them sent for review)."
        )
        % {"file": DEMO_FILE, "accepted": done.accepted, "refused": done.refused},
    )
