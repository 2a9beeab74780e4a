"""Organization reads, always scoped to the user who asks.

Who sees an organization (its roster and its imports):
- its representatives (they also change it: import rosters);
- a national administrator;
- province and area officers whose area holds the organization (its area is a province or a ward).
Anybody else gets a 404, whether the organization exists or not.
"""

import uuid
from collections.abc import Collection, Sequence
from datetime import timedelta
from typing import Any, Literal, get_args, overload

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vaxbook.accounts.selectors import user_scope
from vaxbook.clinic.models import Appointment, Dose
from vaxbook.common.errors import NotFound
from vaxbook.common.rows import ModelRows, Read, any_of
from vaxbook.organizations.conf import limit
from vaxbook.organizations.models import Organization, RosterConflict, RosterEntry, RosterExport, RosterImport
from vaxbook.organizations.workbooks import ReferenceLists, roster_template_bytes
from vaxbook.places.models import AdminUnit
from vaxbook.registry.identity import search_name
from vaxbook.registry.models import Person, PriorityGroup
from vaxbook.registry.selectors import identifier_terms, scope_q


def _uuid(value: uuid.UUID | str) -> uuid.UUID | None:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        return None


#: How a list of organizations may be ordered: by name, or those with the most staff held back at the
#: vaccination desk first, the ones a health officer chases. The page and the API take these words.
OrganizationOrder = Literal["name", "held_back"]
ORGANIZATION_ORDERS: tuple[str, ...] = get_args(OrganizationOrder)
#: The data statuses the vaccination desk holds a person back for, until the record is completed or corrected.
HELD_BACK = (Person.DataStatus.INCOMPLETE, Person.DataStatus.INVALID)


def organizations_for_user(*, user: Any, q: str = "") -> QuerySet[Organization]:
    """The organizations the user may see, by name (then id: a page boundary between two of one name
    neither repeats nor skips one); with `q`, those whose name holds it or whose tax code starts with it."""
    scope = user_scope(user=user)
    qs = Organization.objects.select_related("admin_unit").order_by("name", "pk")
    if q.strip():
        # A tax code is digits, a branch's with its suffix ("0101234567-001"): only a search starting with a
        # digit is one (before, "-" lost its dash and, as an empty code, matched every organization).
        code = "".join(q.split())
        matches = Q(search_name__contains=search_name(q))
        qs = qs.filter(matches | Q(tax_code__startswith=code) if code[:1].isdigit() else matches)
    if scope.national:
        return qs
    within = Q(pk__in=scope.organization_ids)
    if scope.area_unit_ids:
        within |= Q(admin_unit_id__in=scope.area_unit_ids) | Q(admin_unit__parent_id__in=scope.area_unit_ids)
    return qs.filter(within)


def organizations_ordered(
    *, organizations: QuerySet[Organization], order: OrganizationOrder
) -> "QuerySet[Organization] | HeldBackFirst":
    """`organizations` (`organizations_for_user`) in the `order` a list asks for: by name as they come, or
    "held_back", those with the most staff held back at the desk first, then by name."""
    return HeldBackFirst(organizations) if order == "held_back" else organizations


class HeldBackFirst(Sequence[Organization]):
    """Organizations with the most staff held back at the desk first (then by name and id), as a sequence a
    paginator or an API's offset and limit slices. The order is made once: one grouping of the held-back
    staff's roster entries (from the persons' data-status index) and the organizations' names, sorted
    here; a slice's organizations are then read by id. A count per organization in SQL, correlated or
    joined, was 4 to 6 times slower (docs/roster-import.md has the figures)."""

    def __init__(self, organizations: QuerySet[Organization]):
        held = dict(
            RosterEntry.objects.filter(
                organization__in=organizations.order_by().values("pk"), person__data_status__in=HELD_BACK
            )
            .values_list("organization_id")
            .annotate(n=Count("pk"))
            .order_by()
        )
        named = list(organizations.order_by().values_list("pk", "name"))
        named.sort(key=lambda row: (-held.get(row[0], 0), row[1], row[0]))
        self._ids = [pk for pk, _name in named]
        self._organizations = organizations

    def __len__(self) -> int:
        return len(self._ids)

    @overload
    def __getitem__(self, index: int) -> Organization: ...

    @overload
    def __getitem__(self, index: slice) -> list[Organization]: ...

    def __getitem__(self, index: int | slice) -> Organization | list[Organization]:
        if isinstance(index, int):
            return self[index : index + 1 or None][0]
        ids = self._ids[index]
        by_id = self._organizations.in_bulk(ids)
        return [by_id[pk] for pk in ids]


def organizations_roster_summary(*, organizations: Collection[Organization]) -> dict[int, dict[str, Any]]:
    """For each of a page of organizations the user sees (`organizations_for_user`): its staff on the roster
    (``staff``), how many of them by data status (``complete``, ``incomplete``, ``invalid``), and its last
    import (``last_import``, None before the first): what a health officer follows the organizations by.
    Two queries for the page, whatever its size."""
    ids = [o.pk for o in organizations]
    summary: dict[int, dict[str, Any]] = {
        pk: {"staff": 0, **dict.fromkeys(Person.DataStatus.values, 0), "last_import": None} for pk in ids
    }
    counts = (
        RosterEntry.objects.filter(organization_id__in=ids)
        .values_list("organization_id", "person__data_status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for organization_id, status, n in counts:
        summary[organization_id]["staff"] += n
        summary[organization_id][status] = n
    last = RosterImport.objects.filter(organization_id=OuterRef("pk")).order_by("-created_at", "-id").values("pk")[:1]
    last_ids = Organization.objects.filter(pk__in=ids).annotate(last=Subquery(last)).values("last")
    for imp in RosterImport.objects.filter(pk__in=last_ids):
        summary[imp.organization_id]["last_import"] = imp
    return summary


def organization_public_id_by_tax_code(*, tax_code: str) -> uuid.UUID | None:
    """An organization's public id from its tax code: how a facility names an organization whose
    roster it invites (it sees the invitations it makes, not the roster itself)."""
    return Organization.objects.filter(tax_code=tax_code.strip()).values_list("public_id", flat=True).first()


def organization_get_for_user(*, user: Any, public_id: uuid.UUID | str) -> Organization:
    pid = _uuid(public_id)
    organization = organizations_for_user(user=user).filter(public_id=pid).first() if pid else None
    if organization is None:
        raise NotFound.single("id", "organization_not_found", _("No such organization, or you may not see it."))
    return organization


def organization_may_import(*, user: Any, organization: Organization) -> bool:
    """Only the organization's own representatives change its roster."""
    return organization.pk in user_scope(user=user).organization_ids


def uploader_may_import(*, user_id: int | None, organization: Organization) -> bool:
    """`organization_may_import` for the account as it is now, read again (not a user object a long import
    holds, whose scope is kept on it): deactivated, its membership removed or deleted since, it may not."""
    user = get_user_model().objects.filter(pk=user_id).first() if user_id is not None else None
    return user is not None and organization_may_import(user=user, organization=organization)


def _roster_entries(organization: Organization, data_status: str) -> QuerySet[RosterEntry]:
    """The roster (its persons of one data status, or all), in the order every view of it shows."""
    entries = RosterEntry.objects.filter(organization=organization)
    if data_status:
        entries = entries.filter(person__data_status=data_status)
    return entries.order_by("person__search_name", "pk")


def _roster_match(q: str) -> Q:
    """What a search of the roster matches: an identity number or phone typed with or without spaces, dots
    or dashes (a CCCD that lost one leading zero too, as the registry search reads it), an employee number,
    or words of the name typed with or without diacritics."""
    match = Q(employee_number__iexact=q)
    terms = identifier_terms(q)
    if terms is not None:  # as the registry's search reads it
        numbers, phone = terms
        match |= Q(person__id_number__in=numbers)
        return match | Q(person__phone=phone) if phone else match
    folded = search_name(q)
    return match | Q(person__search_name__contains=folded) if folded else match


def roster_for_user(
    *,
    user: Any,
    organization: Organization,
    data_status: str = "",
    q: str = "",
    absent_from: RosterImport | None = None,
) -> QuerySet[RosterEntry]:
    """The organization's roster (of one data status, or all; those matching a search `q`, or all; those
    the import `absent_from` did not list: `roster_absent_from`) with each person's data status, valid
    doses and next appointment."""
    organization_get_for_user(user=user, public_id=organization.public_id)  # the same rule, checked again
    entries = _roster_entries(organization, data_status)
    if absent_from is not None:
        entries = entries.filter(_absent_from(absent_from))
    if q.strip():
        entries = entries.filter(_roster_match(q.strip()))
    return _with_doses(entries.select_related("person", "person__priority_group", "person__ward"))


def _with_doses(entries: QuerySet[RosterEntry]) -> QuerySet[RosterEntry]:
    """Each entry with its person's valid doses (`valid_doses`, None for none) and the day of their next
    appointment not yet over (`next_appointment_on`): what the roster page and its export show."""
    next_appointment = (
        Appointment.objects.filter(
            person_id=OuterRef("person_id"),
            status__in=[Appointment.Status.INVITED, Appointment.Status.CHECKED_IN],
            session__date__gte=timezone.localdate(),
        )
        .order_by("session__date")
        .values("session__date")[:1]
    )
    doses = (
        Dose.objects.filter(person_id=OuterRef("person_id"), status=Dose.Status.VALID)
        .order_by()
        .values("person_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return entries.annotate(next_appointment_on=Subquery(next_appointment), valid_doses=Subquery(doses))


def roster_entry_get_for_user(*, user: Any, organization: Organization, person_id: uuid.UUID | str) -> RosterEntry:
    """One staff member's roster entry (by the person's public id), for whoever sees the organization."""
    organization_get_for_user(user=user, public_id=organization.public_id)
    pid = _uuid(person_id)
    entry = (
        RosterEntry.objects.select_related("person").filter(organization=organization, person__public_id=pid).first()
        if pid
        else None
    )
    if entry is None:
        raise NotFound.single("person", "roster_entry_not_found", _("This person is not on the organization's roster."))
    return entry


def roster_entry_for_update(*, organization: Organization, person_id: uuid.UUID | str) -> RosterEntry | None:
    """The roster entry of this person (by their public id), locked for a change; None when not on it."""
    pid = _uuid(person_id)
    if pid is None:
        return None
    return (
        RosterEntry.objects.select_for_update(of=("self",))
        .select_related("person")
        .filter(organization=organization, person__public_id=pid)
        .first()
    )


def roster_status_counts(*, user: Any, organization: Organization) -> dict[str, int]:
    """How many roster persons are complete, incomplete or invalid."""
    organization_get_for_user(user=user, public_id=organization.public_id)
    rows = (
        RosterEntry.objects.filter(organization=organization)
        .values("person__data_status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {r["person__data_status"]: r["n"] for r in rows}


def roster_imports_for_organization(*, user: Any, organization: Organization) -> QuerySet[RosterImport]:
    organization_get_for_user(user=user, public_id=organization.public_id)
    return RosterImport.objects.filter(organization=organization).select_related("uploaded_by")


#: A running import whose progress has not moved for this many minutes is said to be idle (`roster_import_outlook`).
IDLE_MINUTES = 2

#: A queued import with nothing queued or running ahead of it that no worker has taken for this many minutes has
#: not started (a worker takes one in seconds; none may be running): its page says so, not "next in the queue"
#: for ROSTER_IMPORT_STALL_MINUTES, which stays the wait of an import queued behind others.
NEXT_NOT_TAKEN_MINUTES = 1


def roster_import_outlook(roster_import: RosterImport, *, now: Any = None) -> dict[str, int | None]:
    """What the status page tells someone watching an unfinished import: for a queued one, how many
    imports (any organization's: a count, nothing of theirs) are ahead of it, queued before it or running
    (a worker's import running for minutes is as much ahead as one queued), and `waiting` (the
    minutes it has waited) once no worker has taken it for ROSTER_IMPORT_STALL_MINUTES, or, with none ahead of
    it, for `NEXT_NOT_TAKEN_MINUTES` (not started: no worker may be running); for a running one, the
    minutes left at the pace so far (once a twentieth is done: earlier guesses swing too much) to the nearest
    minute, 0 for less than one (rounded up, the seconds left of a short import read "about 1 minute" from 12 %
    to 99 %), or, once its progress has not moved for `IDLE_MINUTES` (a chunk takes seconds: its worker may have
    stopped), `idle`: the minutes since it moved, and no guess (the pace so far would promise more minutes each
    minute)."""
    ahead = remaining = waiting = idle = None
    now = now or timezone.now()
    if roster_import.status == RosterImport.Status.QUEUED:
        ahead = RosterImport.objects.filter(
            Q(status=RosterImport.Status.QUEUED, created_at__lt=roster_import.created_at)
            | Q(status=RosterImport.Status.RUNNING)
        ).count()
        waited = int((now - roster_import.created_at).total_seconds() // 60)
        if waited >= (limit("ROSTER_IMPORT_STALL_MINUTES") if ahead else NEXT_NOT_TAKEN_MINUTES):
            waiting = waited
    elif roster_import.status == RosterImport.Status.RUNNING and roster_import.started_at:
        still = int((now - roster_import.updated_at).total_seconds() // 60)
        if still >= IDLE_MINUTES:
            idle = still
        elif roster_import.progress >= 5:
            elapsed = (now - roster_import.started_at).total_seconds()
            left = elapsed * (100 - roster_import.progress) / roster_import.progress
            remaining = 0 if left < 60 else int(left / 60 + 0.5)  # the nearest whole minute; 0: under one
    return {"ahead": ahead, "minutes_left": remaining, "waiting": waiting, "idle": idle}


def _reports_after(roster_import: RosterImport) -> QuerySet[RosterImport]:
    """The organization's error reports sent again, fixed, that started after the import."""
    return RosterImport.objects.filter(
        organization_id=roster_import.organization_id, from_report=True, started_at__gt=roster_import.started_at
    )


def _absent_from(roster_import: RosterImport) -> Q:
    """Entries already on the roster when the import started that none of its accepted rows listed, nor those
    of an error report sent again after it (its refused rows, fixed)."""
    return (
        Q(created_at__lt=roster_import.started_at)
        & ~Q(last_import=roster_import)
        & ~Q(last_import__in=_reports_after(roster_import).values("pk"))
    )


def roster_absent_from(*, roster_import: RosterImport) -> int | None:
    """How many staff on the roster an import did not list: after a file of the whole staff, those who may
    have left (and those whose row was refused, until it is sent corrected, in the error report sent again
    or in another file). Only for an import that ended `done` and is the organization's last to have
    started, error reports sent again aside: a later file, running, done or stopped part way, has marked the
    entries its rows listed as its own. None too for one that marked no entry (an import from before
    entries were marked: every entry would seem absent), and for an error report sent again: a part of the
    roster, which says nothing of whom it lacks."""
    if roster_import.status != RosterImport.Status.DONE or roster_import.started_at is None:
        return None
    if roster_import.from_report:
        return None
    organization_id = roster_import.organization_id
    later = RosterImport.objects.filter(
        organization_id=organization_id, started_at__gt=roster_import.started_at, from_report=False
    )
    entries = RosterEntry.objects.filter(organization_id=organization_id)
    if later.exists() or not entries.filter(last_import=roster_import).exists():
        return None
    return entries.filter(_absent_from(roster_import)).count()


def roster_import_same_file_before(*, roster_import: RosterImport) -> RosterImport | None:
    """The organization's latest earlier import of the very same file (its SHA-256) that ended `done`: the page
    says so (a file uploaded twice by mistake links everyone again and changes nothing, which looks like work)."""
    if not roster_import.file_sha256:
        return None
    return (
        RosterImport.objects.filter(
            organization_id=roster_import.organization_id,
            file_sha256=roster_import.file_sha256,
            status=RosterImport.Status.DONE,
            created_at__lt=roster_import.created_at,
        )
        .order_by("-created_at")
        .first()
    )


def roster_held_back_from(*, roster_import: RosterImport) -> dict[str, int]:
    """How many of the persons a finished import listed (the entries it was the last to list) have a record
    that is incomplete, or invalid: accepted, but held back at the vaccination desk until completed or
    corrected. By data status; empty when none is."""
    if not roster_import.is_finished:
        return {}
    counts = (
        RosterEntry.objects.filter(
            organization_id=roster_import.organization_id, last_import=roster_import, person__data_status__in=HELD_BACK
        )
        .values_list("person__data_status")
        .annotate(n=Count("pk"))
    )
    return {status: n for status, n in counts}


def roster_absent_import(*, user: Any, organization: Organization, public_id: str) -> RosterImport | None:
    """The import a roster filtered to "not listed by" names, if it may filter it: one the user sees, of this
    organization, that can say whom it did not list (`roster_absent_from`). None for any other value."""
    try:
        imp = roster_import_get_for_user(user=user, public_id=public_id)
    except NotFound:
        return None
    if imp.organization_id != organization.pk or roster_absent_from(roster_import=imp) is None:
        return None
    return imp


def roster_imports_waiting_long(*, now: Any = None) -> int:
    """How many imports no worker has taken for ROSTER_IMPORT_STALL_MINUTES: a sign that no worker runs."""
    cutoff = (now or timezone.now()) - timedelta(minutes=limit("ROSTER_IMPORT_STALL_MINUTES"))
    return RosterImport.objects.filter(status=RosterImport.Status.QUEUED, created_at__lt=cutoff).count()


def roster_import_get_for_user(*, user: Any, public_id: uuid.UUID | str) -> RosterImport:
    pid = _uuid(public_id)
    found = (
        RosterImport.objects.filter(public_id=pid, organization__in=organizations_for_user(user=user))
        .select_related("organization", "uploaded_by")
        .first()
        if pid
        else None
    )
    if found is None:
        raise NotFound.single("id", "roster_import_not_found", _("No such roster import, or you may not see it."))
    return found


def roster_export_get_for_user(*, user: Any, public_id: uuid.UUID | str) -> RosterExport:
    pid = _uuid(public_id)
    found = (
        RosterExport.objects.filter(public_id=pid, organization__in=organizations_for_user(user=user))
        .select_related("organization", "requested_by")
        .first()
        if pid
        else None
    )
    if found is None:
        raise NotFound.single("id", "roster_export_not_found", _("No such roster export, or you may not see it."))
    return found


def _conflict_match(q: str) -> Q:
    """What a search of the conflicts matches: the document number (as the registry's search reads it; the
    row and the record share it), the record's name typed with or without diacritics, or the organization's
    name."""
    terms = identifier_terms(q)
    if terms is not None:
        return Q(person__id_number__in=terms[0])
    folded = search_name(q)
    match = Q(organization__name__icontains=q)
    return match | Q(person__search_name__contains=folded) if folded else match


def roster_conflicts_for_user(
    *, user: Any, status: str = RosterConflict.Status.OPEN, q: str = ""
) -> QuerySet[RosterConflict]:
    """The roster conflicts a reviewer may answer (of one status, or all for ""; those matching a search
    `q`): those of the persons whose records they keep (the registry's scope; everyone for a national
    role). Nobody else gets any: an organization sees its own rows on its import's page
    (`roster_conflicts_for_import`)."""
    scope = user_scope(user=user)
    if not scope.reviews_records:
        return RosterConflict.objects.none()
    qs = RosterConflict.objects.select_related("organization", "person", "roster_import", "resolved_by")
    within = scope_q(scope, user)
    if within is not None:
        qs = qs.filter(person__in=Person.objects.filter(within).values("pk"))
    if status:
        qs = qs.filter(status=status)
    if q.strip():
        qs = qs.filter(_conflict_match(q.strip()))
    return qs.order_by("-created_at", "-id")


def roster_conflicts_open_rows(*, organization: Organization) -> list[tuple[int, str, str, int]]:
    """The open conflicts of this organization as (the record's person, the row's name, the row's birth date
    in ISO form, the import whose row it holds): the import withdraws those a later row answers."""
    return [
        (person_id, str(submitted.get("full_name", "")), str(submitted.get("date_of_birth", "")), roster_import_id)
        for person_id, submitted, roster_import_id in RosterConflict.objects.filter(
            organization=organization, status=RosterConflict.Status.OPEN
        ).values_list("person_id", "submitted", "roster_import_id")
    ]


def roster_persons_listed(*, organization: Organization, public_ids: Collection[str]) -> dict[str, str]:
    """Of these records, those on the organization's roster: {public id: full name}."""
    ids = [uuid.UUID(public_id) for public_id in public_ids if public_id]
    return {
        str(public_id): name
        for public_id, name in RosterEntry.objects.filter(
            organization=organization, person__public_id__in=ids
        ).values_list("person__public_id", "person__full_name")
    }


def roster_entry_of_conflict(*, conflict: RosterConflict) -> RosterEntry | None:
    """The conflict's record on its own organization's roster (the organization listed it as it is: the row
    may be another of its staff, under a mistyped number), with the import that last listed it."""
    return (
        RosterEntry.objects.filter(organization_id=conflict.organization_id, person_id=conflict.person_id)
        .select_related("last_import")
        .first()
    )


def roster_entries_born(*, organization: Organization, date_of_birth: Any) -> list[RosterEntry]:
    """The organization's roster entries of persons (not merged) born on that day, with their persons: those a
    conflict's row may name as another record (`registry.services.identity_agrees` tells)."""
    return list(
        RosterEntry.objects.filter(
            organization=organization, person__date_of_birth=date_of_birth, person__merged_into__isnull=True
        )
        .select_related("person")
        .order_by("id")
    )


def roster_conflicts_open_for_person(*, person: Person, limit: int = 5) -> list[RosterConflict]:
    """The open conflicts about one record, for its page: the caller has shown that the user sees the record
    and reviews records (no scope filter here: a record's page must not read its whole area's persons)."""
    return list(
        RosterConflict.objects.filter(person=person, status=RosterConflict.Status.OPEN)
        .select_related("organization")
        .order_by("-created_at", "-id")[:limit]
    )


def roster_conflict_get_for_user(*, user: Any, public_id: uuid.UUID | str) -> RosterConflict:
    pid = _uuid(public_id)
    found = roster_conflicts_for_user(user=user, status="").filter(public_id=pid).first() if pid else None
    if found is None:
        raise NotFound.single("id", "roster_conflict_not_found", _("No such roster conflict, or you may not see it."))
    return found


def roster_conflicts_for_import(*, user: Any, roster_import: RosterImport) -> QuerySet[RosterConflict]:
    """An import's rows kept for review, for whoever sees the import: its rows and the decision only (the
    record's values are not the organization's to see), by row."""
    roster_import_get_for_user(user=user, public_id=roster_import.public_id)
    return (
        RosterConflict.objects.filter(roster_import=roster_import)
        .only("public_id", "row_number", "submitted", "status", "resolved_at", "roster_import_id")
        .order_by("row_number")
    )


def roster_conflicts_for_organization(
    *, user: Any, organization: Organization, status: str = RosterConflict.Status.OPEN
) -> QuerySet[RosterConflict]:
    """The organization's rows kept for review, of every import (of one status, or all for ""), the latest
    file first, for whoever sees its roster: as `roster_conflicts_for_import`, the rows and the decision only,
    with the import each came from. A representative sees here which staff wait for the health staff's
    answer, whichever file sent them."""
    organization_get_for_user(user=user, public_id=organization.public_id)
    conflicts = RosterConflict.objects.filter(organization=organization)
    if status:
        conflicts = conflicts.filter(status=status)
    return (
        conflicts.select_related("roster_import")
        .only(
            "public_id",
            "row_number",
            "submitted",
            "status",
            "resolved_at",
            "created_at",
            "roster_import__public_id",
            "roster_import__original_name",
            "roster_import__created_at",
        )
        # By the file that sent each row last (a row sent again moves to the later file), the latest first, and
        # in the file's order.
        .order_by("-roster_import__created_at", "roster_import_id", "row_number")
    )


def roster_conflicts_to_fix(*, user: Any, organization: Organization) -> QuerySet[RosterConflict]:
    """The organization's rows the health staff answered "the record is right" (`kept`) whose person is not on
    its roster yet: the rows to fix and send again. Before, a row reviewed so only left the waiting list, and
    the organization had to find which import's page said why. A row sent again that agrees with the record
    puts the person on the roster, and the row leaves this list."""
    listed = RosterEntry.objects.filter(organization=organization, person_id=OuterRef("person_id"))
    return roster_conflicts_for_organization(
        user=user, organization=organization, status=RosterConflict.Status.KEPT
    ).exclude(Exists(listed))


def roster_exports_for_organization(*, user: Any, organization: Organization) -> QuerySet[RosterExport]:
    organization_get_for_user(user=user, public_id=organization.public_id)
    return RosterExport.objects.filter(organization=organization).select_related("requested_by")


def roster_export_entries(*, user: Any, organization: Organization, data_status: str = "") -> QuerySet[RosterEntry]:
    """What a roster export writes: the entries (of one data status, or all) with their persons' places,
    priority group, valid doses and next appointment, in the roster page's order."""
    organization_get_for_user(user=user, public_id=organization.public_id)
    return _with_doses(
        _roster_entries(organization, data_status).select_related(
            "person", "person__priority_group", "person__ward", "person__province"
        )
    )


def roster_template(*, user: Any, organization: Organization) -> bytes:
    """The roster template (.xlsx) with today's reference lists: priority groups, provinces and wards."""
    organization_get_for_user(user=user, public_id=organization.public_id)
    return roster_template_bytes(organization_name=organization.name, references=roster_reference_lists())


def roster_reference_lists() -> ReferenceLists:
    """Today's priority groups, provinces and wards (with their province), as the template lists them."""
    units = AdminUnit.objects.order_by("code")
    return ReferenceLists(
        priority_groups=list(PriorityGroup.objects.order_by("rank", "code").values_list("code", "name")),
        provinces=list(units.filter(level=AdminUnit.Level.PROVINCE).values_list("code", "name")),
        wards=list(
            units.filter(level=AdminUnit.Level.WARD)
            .order_by("parent__code", "code")
            .values_list("code", "name", "parent__code")
        ),
    )


# What an import needs of the roster entries of the persons it found: hand-written (common/rows.py),
# a re-uploaded file asks for thousands per chunk.
_ENTRY = ModelRows(RosterEntry, "e", fields=["id", "person_id", "department", "employee_number"])


def roster_entries_read(*, organization: Organization, person_ids: Collection[int]) -> Read[dict[int, RosterEntry]]:
    """The organization's roster entries of these persons, by person id."""
    among, params = any_of(RosterEntry, "person_id", "e", sorted(person_ids))
    sql = _ENTRY.select(connection, f"e.organization_id = %s AND {among}")
    return Read(sql, [organization.pk, *params], lambda rows: {e.person_id: e for e in map(_ENTRY.load, rows)})


def roster_last_entry_id(*, organization: Organization) -> int | None:
    """The organization's newest roster entry (entries are numbered in order): where an import starts."""
    return RosterEntry.objects.filter(organization=organization).order_by("-pk").values_list("pk", flat=True).first()


def roster_persons_named(
    *, organization: Organization, search_names: Collection[str], entries_up_to: int | None
) -> list[Person]:
    """The persons on the organization's roster (by entries up to `entries_up_to`) with these search
    names, not merged: those a roster row without a document may be (an import's read, per chunk)."""
    if entries_up_to is None or not search_names:
        return []
    return list(
        Person.objects.filter(
            roster_entries__organization=organization,
            roster_entries__pk__lte=entries_up_to,
            search_name__in=search_names,
            merged_into__isnull=True,
        ).select_related("priority_group", "ward")
    )
