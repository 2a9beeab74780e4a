"""Registry writes: registering, updating and grouping persons.

Every door (the pages, the API, the roster importer, the demo loader) registers persons through
`persons_register_bulk` (or `person_register`, its one-row form), so the identity rules, the
reference look-ups, the one-person-per-document rule and the duplicate flagging live here once.
"""

from collections.abc import Callable, Collection, Container, Hashable, Iterable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal, NamedTuple

from django.db import IntegrityError, OperationalError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from vaxbook.common.audit import audit_event_objects, audit_log, changed_fields
from vaxbook.common.bulk import CopyRows, copy_prepare, draw_keys
from vaxbook.common.errors import Conflict, DomainError, ErrorItem
from vaxbook.common.models import AuditEvent
from vaxbook.common.rows import Builder, read
from vaxbook.places.models import AdminUnit
from vaxbook.registry.identity import (
    PersonInput,
    Problem,
    check_person,
    legacy_text_reading,
    normalize_name,
    normalize_text,
    search_name,
    ward_split_problem,
)
from vaxbook.registry.legacy_text import legacy_encodings, misread_forms
from vaxbook.registry.models import Household, Person, PriorityGroup
from vaxbook.registry.references import cached_many
from vaxbook.registry.selectors import persons_by_numbers_read
from vaxbook.registry.signals import person_merged, person_updated

OnExisting = Literal["conflict", "merge"]
RowStatus = Literal["created", "linked", "updated", "refused"]

#: Fields the registry keeps per person, in the order forms show them.
PERSON_FIELDS = [
    "full_name",
    "date_of_birth",
    "sex",
    "phone",
    "id_type",
    "id_number",
    "health_insurance_number",
    "nationality",
    "ethnicity",
    "occupation",
    "priority_group",
    "province",
    "ward",
    "address_line",
]


class RecordChanged(Exception):
    """A record a batch updates was changed by someone else (another import, a clerk) after the batch read
    it: the batch rolls back and is decided again on what is stored now (`lost_race`)."""


#: PostgreSQL's deadlock and serialization failures: the transaction was broken off, and may be run again.
_RETRY_SQLSTATES = frozenset({"40P01", "40001"})


def lost_race(error: BaseException) -> bool:
    """Whether a batch's write failed only for another writer's: a document registered meanwhile (a unique
    key), a record changed since it was read (`RecordChanged`), a deadlock PostgreSQL broke. Roll back, read
    again and decide again."""
    if isinstance(error, IntegrityError | RecordChanged):
        return True
    return broken_off(error)


def broken_off(error: BaseException) -> bool:
    """Whether PostgreSQL broke the transaction off (a deadlock, a serialization failure): run it again."""
    return isinstance(error, OperationalError) and getattr(error.__cause__, "sqlstate", None) in _RETRY_SQLSTATES


# Filled from a later registration when the record has them blank (never overwritten).
FILLABLE_FIELDS = [
    "phone",
    "health_insurance_number",
    "ethnicity",
    "occupation",
    "priority_group",
    "province",
    "ward",
    "address_line",
]


@dataclass
class RowResult:
    index: int
    status: RowStatus
    person: Person | None = None
    problems: list[Any] = field(default_factory=list)  # Problem or ErrorItem: field, code, message
    existing_id: str | None = None
    #: A row linked to a record: the fields whose value it gives differs from the record's, which was kept
    #: (a registration never overwrites a value; `VALUES_KEPT_FIELDS`).
    kept: tuple[str, ...] = ()
    #: A `document_conflict`: the row's data as the identity rules read it (for a person to review).
    conflicting: PersonInput | None = None

    @property
    def codes(self) -> list[str]:
        return [p.code for p in self.problems]


@dataclass
class _Resolved:
    check: Any
    ward: AdminUnit | None
    province: AdminUnit | None
    priority_group: PriorityGroup | None
    invalid: list[Problem]


def _problem_dicts(problems: Sequence[Problem]) -> list[dict[str, str]]:
    return [{"field": p.field, "code": p.code, "kind": p.kind} for p in problems]


def _data_status(invalid: Sequence[Problem], missing: Sequence[Problem]) -> str:
    if invalid:
        return Person.DataStatus.INVALID
    if missing:
        return Person.DataStatus.INCOMPLETE
    return Person.DataStatus.COMPLETE


def _judged(person: Person, today: date) -> tuple[str, list[dict[str, str]]]:
    """A stored record judged again as a whole: its data status and problems (what is wrong, then what
    is missing), as `persons_recheck` and a link to a known person save them."""
    check = check_person(person_to_input(person), today=today)
    return _data_status(check.invalid, check.missing), _problem_dicts([*check.invalid, *check.missing])


def _load_wards(codes: set[str]) -> dict[str, AdminUnit]:
    units = AdminUnit.objects.filter(level=AdminUnit.Level.WARD, code__in=codes).select_related("parent")
    return {u.code: u for u in units}


@dataclass(frozen=True)
class _Legacy:
    """A unit before 2025 (a ward or a province: rosters and lists made before the reform still give their
    codes) and the 2025 units it became, by code: one when it was merged whole, several when it was split,
    none when the reform's tables give it none."""

    unit: AdminUnit
    successors: tuple[AdminUnit, ...]


def _legacy_loader(level: str) -> Callable[[set[str]], dict[str, _Legacy]]:
    def load(codes: set[str]) -> dict[str, _Legacy]:
        units = {u.pk: u for u in AdminUnit.objects.filter(level=level, code__in=codes).select_related("parent")}
        if not units:
            return {}
        links: dict[int, list[int]] = {}
        for from_id, to_id in AdminUnit.successors.through.objects.filter(from_adminunit_id__in=units).values_list(
            "from_adminunit_id", "to_adminunit_id"
        ):
            links.setdefault(from_id, []).append(to_id)
        targets = AdminUnit.objects.select_related("parent").in_bulk({i for ids in links.values() for i in ids})
        return {
            unit.code: _Legacy(
                unit, tuple(sorted((targets[i] for i in links.get(pk, ()) if i in targets), key=lambda u: u.code))
            )
            for pk, unit in units.items()
        }

    return load


_load_legacy_wards = _legacy_loader(AdminUnit.Level.LEGACY_WARD)
_load_legacy_provinces = _legacy_loader(AdminUnit.Level.LEGACY_PROVINCE)


def _ward_unknown(legacy: _Legacy | None, code: str) -> Problem:
    """`ward_unknown`, or `ward_split` for a ward before 2025 that became several: the message names what
    the code was and what to give instead (a clerk who sees "no ward with this code" beside a code from
    last year's list does not know what is wrong)."""
    if legacy is None:
        return Problem(
            "ward_code",
            "ward_unknown",
            format_lazy(_("There is no ward or commune with the code “{code}”."), code=code),
        )
    unit = legacy.unit
    name = f"{unit.name}, {unit.parent.name}" if unit.parent is not None else unit.name
    if legacy.successors:
        return ward_split_problem(name, "; ".join(f"{w.code} {w.name}" for w in legacy.successors))
    return Problem(
        "ward_code",
        "ward_unknown",
        format_lazy(
            _(
                "This is the code of {name}, a ward or commune before 2025, and no 2025 ward or commune is "
                "recorded for it: give the 2025 code of the one the person lives in."
            ),
            name=name,
        ),
    )


def _province_unknown(legacy: _Legacy | None, code: str) -> Problem:
    if legacy is None:
        return Problem(
            "province_code",
            "province_unknown",
            format_lazy(_("There is no province or city with the code “{code}”."), code=code),
        )
    return Problem(
        "province_code",
        "province_unknown",
        format_lazy(
            _(
                "This is the code of {name}, a province before 2025, whose wards and communes are now in {provinces}: "
                "give the 2025 province's code, or leave it empty (the ward or commune tells it)."
            ),
            name=legacy.unit.name,
            provinces="; ".join(f"{p.code} {p.name}" for p in legacy.successors) or "—",
        ),
    )


def _load_provinces(codes: set[str]) -> dict[str, AdminUnit]:
    return {u.code: u for u in AdminUnit.objects.filter(level=AdminUnit.Level.PROVINCE, code__in=codes)}


def _load_groups(codes: set[str]) -> dict[str, PriorityGroup]:
    return {g.code: g for g in PriorityGroup.objects.filter(code__in=codes)}


class _References:
    """Ward, province and priority-group look-ups for a batch, in a few queries."""

    def __init__(self, inputs: Sequence[PersonInput], province_codes: Sequence[str | None]):
        ward_codes = {i.ward_code for i in inputs if i.ward_code}
        self.wards = cached_many("ward", ward_codes, _load_wards)
        # A code no 2025 unit has may be one from before 2025: it stands for its 2025 successor when it
        # has one (a legacy ward merged whole, a legacy province), and is refused naming it otherwise.
        unknown = ward_codes - set(self.wards)
        self.legacy_wards = cached_many("legacy_ward", unknown, _load_legacy_wards) if unknown else {}
        codes = {c for c in province_codes if c}
        self.provinces = cached_many("province", codes, _load_provinces)
        unknown = codes - set(self.provinces)
        self.legacy_provinces = cached_many("legacy_province", unknown, _load_legacy_provinces) if unknown else {}
        group_codes = {i.priority_group for i in inputs if i.priority_group}
        self.groups = cached_many("priority_group", group_codes, _load_groups)

    def resolve(self, check: Any, province_code: str | None) -> _Resolved:
        data: PersonInput = check.normalized
        invalid = list(check.invalid)
        ward = None
        if data.ward_code:
            ward = self.wards.get(data.ward_code)
            if ward is None:
                legacy = self.legacy_wards.get(data.ward_code)
                if legacy is not None and len(legacy.successors) == 1:
                    ward = legacy.successors[0]
                else:
                    invalid.append(_ward_unknown(legacy, data.ward_code))
        province = None
        if province_code:
            province = self.provinces.get(province_code)
            if province is None:
                legacy = self.legacy_provinces.get(province_code)
                successors: tuple[AdminUnit, ...] = legacy.successors if legacy is not None else ()
                if len(successors) == 1:
                    province = successors[0]
                elif ward is not None and ward.parent in successors:
                    province = ward.parent
                else:
                    invalid.append(_province_unknown(legacy, province_code))
            if province is not None and ward is not None and ward.parent_id != province.id:
                invalid.append(
                    Problem("ward_code", "ward_not_in_province", _("This ward or commune is not in that province."))
                )
        if province is None and ward is not None:
            province = ward.parent
        group = None
        if data.priority_group:
            group = self.groups.get(data.priority_group)
            if group is None:
                invalid.append(
                    Problem(
                        "priority_group",
                        "priority_group_unknown",
                        format_lazy(_("There is no priority group with the code “{code}”."), code=data.priority_group),
                    )
                )
        return _Resolved(check=check, ward=ward, province=province, priority_group=group, invalid=invalid)


def identity_agrees(person: Person, full_name: str | None, date_of_birth: date | None) -> bool:
    """Whether a record is the person of this name and birth date: the rule that tells a row linked to a
    record by its document from a `document_conflict` (the import), and a roster conflict answered from
    one that is not (organizations). Names compare by their search form (case, diacritics and spaces
    aside); a name saved in an old encoding before that was refused is the same name when its Unicode
    reading is (`_legacy_corrections` then corrects it)."""
    if person.date_of_birth != date_of_birth:
        return False
    name = search_name(full_name)
    if person.search_name == name:
        return True
    found = legacy_text_reading(person.full_name) if person.nationality == "VN" else None
    return found is not None and search_name(found[2]) == name


#: A person's texts that may have been saved in an old Vietnamese encoding (before it was refused).
LEGACY_TEXT_FIELDS = ("full_name", "address_line", "occupation", "ethnicity")


def _legacy_corrections(person: Person, data: PersonInput) -> list[str]:
    """Correct the record's texts saved in an old encoding whose Unicode reading is exactly what the row
    says (a roster converted with Unikey and uploaded again): the same text, not another value, so it is
    no overwrite. Returns the fields corrected (the name's search form follows it)."""
    corrected = []
    for name in LEGACY_TEXT_FIELDS:
        stored, incoming = getattr(person, name), getattr(data, name) or ""
        if not stored or not incoming or stored == incoming or (name == "full_name" and person.nationality != "VN"):
            continue
        found = legacy_text_reading(stored)
        if found is None:
            continue
        reading = normalize_name(found[2]) if name == "full_name" else normalize_text(found[2])
        if reading == incoming:
            setattr(person, name, incoming)
            corrected.append(name)
    if "full_name" in corrected:
        person.search_name = search_name(person.full_name)
    return corrected


def _conflict_problem(existing: Person) -> ErrorItem:
    return ErrorItem(
        "id_number",
        "document_conflict",
        _(
            "This document number is registered to a person with another name or date of birth. "
            "Check the number, the name and the date of birth; the row was sent to the health staff who keep "
            "that record, who correct it if it is the one that is wrong."
        ),
    )


def _taken_problem() -> ErrorItem:
    return ErrorItem("id_number", "document_taken", _("A person with this document number is already registered."))


def _ward_outside_record(person: Person, res: _Resolved) -> ErrorItem | None:
    """A row that would fill the record's blank ward with one outside the record's province: the pages and
    the API refuse that pair (`ward_not_in_province`), and a link does too, rather than save a ward and a
    province that disagree."""
    ward = res.ward
    if ward is None or person.ward_id is not None or person.province_id is None or ward.parent_id == person.province_id:
        return None
    province = person.province
    return ErrorItem(
        "ward_code",
        "ward_not_in_province",
        format_lazy(
            _(
                "This ward or commune is not in the province of the person's record ({province}): check its code, "
                "or ask the health staff who keep the record to correct the province."
            ),
            province=province.name if province is not None else "",
        ),
    )


def _listed_earlier_problem(row: Hashable | None) -> ErrorItem:
    """A person two rows of one file are (by the document of one, by name, birth date and phone of the
    other): the first row is used, the later one refused (`row`: the earlier row, when it has no document)."""
    if row is None:
        return ErrorItem(
            "full_name",
            "person_repeated",
            _(
                "This person (the same name, date of birth and phone) is listed earlier in the same file with a "
                "document number; only that row is used: delete this one."
            ),
        )
    return ErrorItem(
        "id_number",
        "person_repeated",
        format_lazy(
            _(
                "This person is listed earlier in the same file (row {row}), without a document number; only the "
                "first row is used: put the number in that row and delete this one."
            ),
            row=row,
        ),
    )


def _new_person(res: _Resolved, *, source: str, actor: Any) -> Person:
    data: PersonInput = res.check.normalized
    missing = res.check.missing
    assert data.date_of_birth is not None and data.sex is not None  # check_person refuses a row without them
    creator = actor if getattr(actor, "is_authenticated", False) else None
    # The fast constructor (common/rows.py): an import builds a hundred thousand of these.
    return _build_person(
        {
            "full_name": data.full_name or "",
            "search_name": search_name(data.full_name),
            "date_of_birth": data.date_of_birth,
            "sex": data.sex,
            "phone": data.phone or "",
            "id_type": data.id_type or Person.IdType.NONE,
            "id_number": data.id_number or "",
            "health_insurance_number": data.health_insurance_number or "",
            "nationality": data.nationality or "VN",
            "ethnicity": data.ethnicity or "",
            "occupation": data.occupation or "",
            # `.id`, not `.pk` (a property, then a look-up of the key's name): twice a row, a hundred thousand rows.
            "priority_group_id": res.priority_group.id if res.priority_group is not None else None,
            "province_id": res.province.id if res.province is not None else None,
            "ward_id": res.ward.id if res.ward is not None else None,
            "address_line": data.address_line or "",
            "source": source,
            "data_status": _data_status([], missing),
            "problems": _problem_dicts(missing),
            "created_by_id": creator.id if creator is not None else None,
        },
        {"priority_group": res.priority_group, "province": res.province, "ward": res.ward, "created_by": creator},
    )


_build_person = Builder(Person)


def _fill_blanks(person: Person, res: _Resolved) -> list[str]:
    """Fill the existing record's blank fields from a later registration; never overwrite a value."""
    data: PersonInput = res.check.normalized
    incoming = {
        "phone": data.phone or "",
        "health_insurance_number": data.health_insurance_number or "",
        "ethnicity": data.ethnicity or "",
        "occupation": data.occupation or "",
        "priority_group": res.priority_group,
        "province": res.province,
        "ward": res.ward,
        "address_line": data.address_line or "",
    }
    filled = []
    if data.id_number and not person.id_number:  # a roster person saved without the document its row now has
        person.id_type, person.id_number = data.id_type or "", data.id_number
        filled += ["id_type", "id_number"]
    for name, value in incoming.items():
        if value in ("", None) or (name == "province" and person.ward_id is not None):  # the ward says it
            continue
        current = getattr(person, name)
        if current in ("", None):
            setattr(person, name, value)
            filled.append(name)
    return filled


#: The fields a row linked to a record is told it gave another value of than the record's (kept): those that
#: reach the person (the phone for reminders, the card, where they live, their group), not the texts a roster
#: words its own way (occupation, ethnicity); and the sex, which a CMND or a passport number does not hold
#: (a CCCD's does, and a row whose sex disagrees with its CCCD is refused): a row of the other sex was linked
#: without a word.
VALUES_KEPT_FIELDS = ("phone", "health_insurance_number", "ward", "address_line", "priority_group", "sex")


def _values_kept(person: Person, res: _Resolved) -> tuple[str, ...]:
    """The fields whose value a registration gives differs from the record's own (non-blank), which stays."""
    data: PersonInput = res.check.normalized
    kept = []
    for name, value, current in (
        ("phone", data.phone or "", person.phone),
        ("health_insurance_number", data.health_insurance_number or "", person.health_insurance_number),
        ("ward", res.ward.pk if res.ward else None, person.ward_id),
        ("address_line", data.address_line or "", person.address_line),
        ("priority_group", res.priority_group.pk if res.priority_group else None, person.priority_group_id),
        ("sex", data.sex or "", person.sex),
    ):
        if value not in ("", None) and current not in ("", None) and value != current:
            kept.append(name)
    return tuple(kept)


def persons_register_bulk(
    *,
    actor: Any,
    rows: Sequence[PersonInput],
    source: str,
    province_codes: Sequence[str | None] | None = None,
    on_existing: OnExisting = "conflict",
    today: date | None = None,
    audit_action: str = "registry.person.created",
) -> list[RowResult]:
    """Register many persons at once: the same rules as one, in a few queries and one transaction.

    Each row is checked by the identity rules; an invalid row is refused with its problems, a row
    with missing data is saved as `incomplete`. A document number already registered is a conflict
    (`on_existing="conflict"`, the form and the API), or, for the roster importer (`"merge"`), the row
    links to the existing person when name and birth date agree (filling blank fields: `updated`),
    and is refused as `document_conflict` when they do not. A number repeated within the batch is
    accepted once. Rows without a document that share search name, birth date and phone with another
    record are created and flagged as suspected duplicates, never merged.
    """
    resolved = _check_all(rows, province_codes, today)
    for attempt in range(3):
        try:
            with transaction.atomic():
                plan = _plan(actor, resolved, source, on_existing, audit_action, optimistic_single=attempt == 0)
                plan.write()
            return plan.results
        except (IntegrityError, RecordChanged, OperationalError) as error:
            # Someone registered one of these documents, or changed one of these records, between our read
            # and our write: read again.
            if attempt == 2 or not lost_race(error):
                raise
    raise AssertionError("unreachable")


class FirstRow(NamedTuple):
    """The row of a file that took a document number first, and whether it was refused as a conflict."""

    row: Hashable
    conflict: bool


class EarlierDocuments(Container[tuple[str, str]]):
    """The documents earlier batches of the same file took (`persons_register_plan`): membership, and the
    row that took one (`first`), when the caller numbers its rows."""

    def first(self, key: tuple[str, str]) -> FirstRow | None:
        return None


class _NoEarlier(EarlierDocuments):
    def __contains__(self, key: object) -> bool:
        return False


_NO_EARLIER = _NoEarlier()


def persons_register_plan(
    *,
    actor: Any,
    rows: Sequence[PersonInput],
    source: str,
    province_codes: Sequence[str | None] | None = None,
    on_existing: OnExisting = "conflict",
    today: date | None = None,
    audit_action: str = "registry.person.created",
    earlier_documents: EarlierDocuments = _NO_EARLIER,
    recent: Sequence[Person] = (),
    known: "KnownPersons | None" = None,
    row_ids: Sequence[Hashable] | None = None,
) -> "RegistrationPlan":
    """`persons_register_bulk` in two halves, for a caller that writes batch after batch (the roster
    importer): this one checks, reads and decides, and builds the rows; `plan.write()`, called inside
    a transaction (on any connection, in any thread), writes them. The same rules, with two additions
    for a batch that follows others whose writes may not be visible yet: a document in
    `earlier_documents` (`document_key(id_type, id_number)` → the row that took it in an earlier batch of the same
    file, see `EarlierDocuments`) is refused as `document_repeated`, as a number repeated within the batch is,
    naming that row; and the persons of
    `recent` (created by an earlier batch) count as known records for the suspected-duplicate rule.
    With `known` (the roster importer: its organization's roster), a row without a document that is
    one of those persons (see `KnownPersons`) links to it instead of creating a person; `row_ids`
    (the rows' numbers in the file, default their index) say which row took which person.

    A unique violation on write (someone else registered one of the documents meanwhile) raises
    IntegrityError from `write()`: roll back and plan again.
    """
    resolved = _check_all(rows, province_codes, today)
    return _plan(
        actor,
        resolved,
        source,
        on_existing,
        audit_action,
        earlier=earlier_documents,
        recent=recent,
        known=known,
        row_ids=row_ids,
    )


def _check_all(
    rows: Sequence[PersonInput], province_codes: Sequence[str | None] | None, today: date | None
) -> list[_Resolved]:
    today = today or timezone.localdate()
    codes = list(province_codes) if province_codes is not None else [None] * len(rows)
    checks = [check_person(r, today=today) for r in rows]
    refs = _References([c.normalized for c in checks], codes)
    return [refs.resolve(c, pc) for c, pc in zip(checks, codes, strict=True)]


def document_key(id_type: str | None, id_number: str) -> tuple[str, str]:
    """The one-document rule's key. A 12-digit number is the same personal identification number
    whether the row calls it CCCD or CMND (a 12-digit CMND follows the CCCD rules)."""
    if id_type == "cmnd" and len(id_number) == 12:
        return ("cccd", id_number)
    return (id_type or "", id_number)


def _duplicate_key(person: Person) -> tuple[str, date, str]:
    """What the suspected-duplicate rule compares: search name, birth date, phone."""
    return (person.search_name, person.date_of_birth, person.phone)


def _legacy_search_names(names: Iterable[str]) -> set[str]:
    """The search names that records saved from files typed in an old encoding, or misread from UTF-8, hold
    for these names (`legacy_encodings`, `misread_forms`): a row without a document finds such a record,
    and linking it corrects the name."""
    return {search_name(typed) for name in names for typed in (*legacy_encodings(name), *misread_forms(name))}


def _stored_key(person: Person) -> tuple[str, date, str]:
    """`_duplicate_key`, with a name saved in an old encoding (before that was refused) compared as its
    Unicode reading."""
    key = _duplicate_key(person)
    found = legacy_text_reading(person.full_name) if person.nationality == "VN" else None
    return (search_name(found[2]), key[1], key[2]) if found else key


@dataclass
class KnownPersons:
    """Persons that a row without a document may be (the roster importer: the organization's roster as
    it was before the import): the suspected-duplicate rule's search name and birth date, and the same
    phone when both have one. `find(search_names)` reads those with these names (once per batch).
    Each person is taken by one row of the file (the first that matches, a same-phone one first), so
    a file with two rows alike, uploaded again, links each to its own person; a row decided again
    (its batch rolled back) takes the same person again."""

    find: Callable[[Collection[str]], Iterable[Person]]
    taken: dict[int, Hashable] = field(default_factory=dict)  # person pk → the row that took it
    #: False when there is no one to find (an empty roster): rows with a document are then not looked up.
    active: bool = True

    def candidates(self, names: Collection[str], legacy: Collection[str] = ()) -> dict[tuple[str, date], list[Person]]:
        """The persons these search names may be, by search name and birth date; `legacy`, the search names
        of the same names typed in an old encoding (`_legacy_search_names`), finds those saved so."""
        by_name: dict[tuple[str, date], list[Person]] = {}
        for p in sorted(self.find({*names, *legacy}), key=lambda p: p.pk):
            key = _stored_key(p) if p.search_name in legacy else _duplicate_key(p)
            by_name.setdefault(key[:2], []).append(p)  # type: ignore[arg-type]
        return by_name

    def take(
        self,
        candidates: dict[tuple[str, date], list[Person]],
        row: Person,
        row_id: Hashable,
        documents: Container[tuple[str, str]] = (),
    ) -> Person | None:
        """The known person a new row (built, not saved) is, if any; taken by `row_id`. A row with a
        document no record has is only a known person saved without one, of the same sex (the row's
        document then fills the record: `_fill_blanks`). A person whose document is among `documents` (the
        file's rows so far) was taken by that row."""
        persons = [
            p
            for p in _alike(candidates, row)
            if self.taken.get(p.pk, row_id) == row_id
            and not (p.id_number and document_key(p.id_type, p.id_number) in documents)
        ]
        if row.id_number:
            persons = [p for p in persons if not p.id_number and (not p.sex or p.sex == row.sex)]
        match = persons[0] if persons else None
        if match is not None:
            self.taken[match.pk] = row_id
        return match

    def taken_by_document(
        self, candidates: dict[tuple[str, date], list[Person]], row: Person, documents: Container[tuple[str, str]]
    ) -> bool:
        """Whether a row without a document is a known person that a row with its document took (`take`'s
        `documents`): the same person listed twice."""
        return not row.id_number and any(
            p.id_number and document_key(p.id_type, p.id_number) in documents for p in _alike(candidates, row)
        )


def _alike(candidates: dict[tuple[str, date], list[Person]], row: Person) -> list[Person]:
    """The known persons a row may be: its search name and birth date, and its phone when both have one; those
    with its phone first."""
    key = _duplicate_key(row)
    persons = candidates.get(key[:2], ())
    same = [p for p in persons if p.phone == key[2]]
    return same + [p for p in persons if p.phone != key[2] and (not p.phone or not key[2])]


def _repeated_problem(first: FirstRow | None) -> ErrorItem:
    """A document number given by an earlier row of the same file (`first`: that row, and whether it was refused
    as a conflict with the record of that number, when the caller numbers its rows)."""
    if first is None:
        message = _("This document number appears earlier in the same file; only the first row is used.")
    elif first.conflict:
        message = format_lazy(
            _(
                "Row {row} of the same file gives this document number too, and was sent for review: its name or "
                "date of birth is not that of the person registered with the number. Only the first row is "
                "read: correct the two rows together."
            ),
            row=first.row,
        )
    else:
        message = format_lazy(
            _(
                "Row {row} of the same file gives this document number already; only that row is used: delete "
                "this one, or correct its number."
            ),
            row=first.row,
        )
    return ErrorItem("id_number", "document_repeated", message)


class Updated(NamedTuple):
    """A known person a row updated: blank fields filled, texts saved in an old encoding corrected."""

    person: Person
    filled: list[str]
    corrected: list[str]


@dataclass
class RegistrationPlan:
    """A batch decided and built, not yet written (see `persons_register_plan`)."""

    results: list[RowResult]
    actor: Any
    source: str
    audit_action: str
    created: list[Person]
    updated: list[Updated]
    # Flagged against a person of the same batch whose key is made only by the insert (not PostgreSQL).
    flag_after: list[tuple[Person, Person]]
    persons: CopyRows | None = None  # prepared when the keys could be drawn first
    events: list[AuditEvent] = field(default_factory=list)
    events_copy: CopyRows | None = None

    def write(self) -> None:
        """Write the batch on this thread's connection; call inside a transaction."""
        created = self.created
        (self.persons or copy_prepare(created)).write()
        if not all(p.pk for p in created):  # SQLite before 3.35 / backends without RETURNING
            by_public = {
                p.public_id: p.pk
                for p in Person.objects.filter(public_id__in=[p.public_id for p in created]).only("id", "public_id")
            }
            for p in created:
                p.pk = by_public[p.public_id]
        if self.flag_after:
            for person, other in self.flag_after:
                person.suspected_duplicate_of = other
            Person.objects.bulk_update([p for p, _o in self.flag_after], ["suspected_duplicate_of"], batch_size=2000)
        now = timezone.now()
        # In key order, so that two batches updating the same records lock them in the same order; each
        # only if no one changed it since it was read (a blank filled meanwhile is not overwritten).
        for person, filled, corrected in sorted(self.updated, key=lambda u: u.person.pk):
            names = [*filled, *corrected, *(["search_name"] if "full_name" in corrected else [])]
            values = {name: getattr(person, name) for name in [*names, "data_status", "problems"]}
            moved = Person.objects.filter(pk=person.pk, version=person.version).update(
                **values, version=F("version") + 1, updated_at=now
            )
            if not moved:
                raise RecordChanged(person.pk)
            person.version += 1
            person.updated_at = now
        if self.events_copy is None:
            self.events = _events(self)
            self.events_copy = copy_prepare(self.events, keys=False)
        self.events_copy.write()


def _events(plan: RegistrationPlan) -> list[AuditEvent]:
    created = plan.created
    # Most events of a batch say one of a few things: one dict for each, shared (and encoded once).
    alike: dict[str, dict[str, str]] = {}

    def data(p: Person) -> dict[str, str]:
        if p.suspected_duplicate_of_id is not None and p.suspected_duplicate_of:
            return {
                "source": plan.source,
                "data_status": p.data_status,
                "suspected_duplicate_of": str(p.suspected_duplicate_of.public_id),
            }
        said = alike.get(p.data_status)
        if said is None:
            said = alike[p.data_status] = {"source": plan.source, "data_status": p.data_status}
        return said

    events: list[AuditEvent] = audit_event_objects(
        actor=plan.actor, action=plan.audit_action, subjects=created, data=[data(p) for p in created]
    )
    events += audit_event_objects(
        actor=plan.actor,
        action="registry.person.updated",
        subjects=[u.person for u in plan.updated],
        data=[
            {"filled": u.filled, "source": plan.source} | ({"corrected": u.corrected} if u.corrected else {})
            for u in plan.updated
        ],
    )
    return events


@dataclass(frozen=True)
class _Either:
    """Membership in either of two containers (a batch's documents so far, and the earlier batches')."""

    first: Container[Any]
    second: Container[Any]

    def __contains__(self, item: object) -> bool:
        return item in self.first or item in self.second


def _plan(
    actor: Any,
    resolved: list[_Resolved],
    source: str,
    on_existing: OnExisting,
    audit_action: str,
    optimistic_single: bool = False,
    earlier: EarlierDocuments = _NO_EARLIER,
    recent: Sequence[Person] = (),
    known: KnownPersons | None = None,
    row_ids: Sequence[Hashable] | None = None,
) -> RegistrationPlan:
    results = [RowResult(index=i, status="refused", problems=list(r.invalid)) for i, r in enumerate(resolved)]
    valid = [i for i, r in enumerate(resolved) if not r.invalid]
    # One registration (the form, the API): insert and let the unique constraint speak; the caller
    # retries with the look-up only when it does. Saves a read on the hot path.
    optimistic = optimistic_single and on_existing == "conflict" and len(valid) == 1
    docs = (
        set()
        if optimistic
        else {
            document_key(resolved[i].check.normalized.id_type, resolved[i].check.normalized.id_number)
            for i in valid
            if resolved[i].check.normalized.id_number
        }
    )
    existing: dict[tuple[str, str], Person] = {}
    numbers = {n for t, n in docs if (t, n) not in earlier}
    if numbers:
        # Hand-written (common/rows.py): a re-uploaded roster finds a whole chunk's persons here; their
        # ward, province and priority group come from the reference cache rather than three joins.
        for p in read(persons_by_numbers_read(numbers)):
            existing[document_key(p.id_type, p.id_number)] = p

    # Suspected duplicates: no document, same search name + birth date + phone as a known record.
    nodoc = [i for i in valid if not resolved[i].check.normalized.id_number]
    dup_index: dict[tuple[str, date, str], Person] = {}
    names: set[str] = set()
    legacy: set[str] = set()
    if nodoc:
        names = {search_name(resolved[i].check.normalized.full_name) for i in nodoc}
        legacy = _legacy_search_names(resolved[i].check.normalized.full_name for i in nodoc)
        for p in Person.objects.filter(search_name__in=names | legacy, merged_into__isnull=True).only(
            "id", "search_name", "date_of_birth", "phone", "public_id", "full_name", "nationality"
        ):
            dup_index.setdefault(_stored_key(p) if p.search_name in legacy else _duplicate_key(p), p)
        for p in recent:
            if p.search_name in names:
                dup_index.setdefault(_duplicate_key(p), p)
    candidates: dict[tuple[str, date], list[Person]] = {}
    if known is not None:
        # The roster importer: a row without a document, or with one no record has, may be a person of
        # the roster (the organization's export filled in with the document a record lacked). Such a
        # row's name is looked for as typed only (an old encoding's forms cost ~30 µs a name, and a
        # record saved so is found by the rows without a document).
        newdoc: set[str] = set()
        if known.active:
            for i in valid:
                typed = resolved[i].check.normalized
                if typed.id_number and document_key(typed.id_type, typed.id_number) not in existing:
                    newdoc.add(search_name(typed.full_name))
        if nodoc or newdoc:
            candidates = known.candidates(names | newdoc, legacy)

    seen_docs: dict[tuple[str, str], FirstRow | None] = {}  # a document → the row that took it, when rows are numbered
    created: list[Person] = []
    updated: list[Updated] = []
    pending_dups: list[tuple[Person, tuple[str, date, str]]] = []
    for i in valid:
        res = resolved[i]
        data: PersonInput = res.check.normalized
        if data.id_number:
            key = document_key(data.id_type, data.id_number)
            if key in seen_docs or key in earlier:
                results[i].problems = [_repeated_problem(seen_docs[key] if key in seen_docs else earlier.first(key))]
                continue
            seen_docs[key] = FirstRow(row_ids[i], False) if row_ids is not None else None
            person = existing.get(key)
            if person is not None:
                results[i].existing_id = str(person.public_id)
                if on_existing == "conflict":
                    results[i].problems = [_taken_problem()]
                    continue
                if not identity_agrees(person, data.full_name, data.date_of_birth):
                    results[i].problems = [_conflict_problem(person)]
                    results[i].conflicting = data
                    seen_docs[key] = FirstRow(row_ids[i], True) if row_ids is not None else None
                    continue
                row_id = row_ids[i] if row_ids is not None else i
                taker = known.taken.get(person.pk, row_id) if known is not None else row_id
                if taker != row_id:  # an earlier row without a document took this person
                    results[i].problems = [_listed_earlier_problem(taker)]
                    continue
                _link(results[i], person, res, updated)
                continue
        person = _new_person(res, source=source, actor=actor)
        if candidates and known is not None:
            row_id = row_ids[i] if row_ids is not None else i
            documents = _Either(seen_docs, earlier)
            same = known.take(candidates, person, row_id, documents)
            if same is not None:
                _link(results[i], same, res, updated)
                continue
            if known.taken_by_document(candidates, person, documents):
                results[i].problems = [_listed_earlier_problem(None)]
                continue
        if not data.id_number and person.phone:
            pending_dups.append((person, (person.search_name, person.date_of_birth, person.phone)))
        created.append(person)
        results[i].person = person
        results[i].status = "created"

    # Within the batch too: a later row without document like an earlier one is flagged against it.
    # Where the keys can be drawn before the insert (PostgreSQL), the flag is written with the row.
    keyed = len(created) > 1 and draw_keys(created)
    flag_after: list[tuple[Person, Person]] = []
    for person, dkey in pending_dups:
        other = dup_index.get(dkey)
        if other is None:
            dup_index[dkey] = person
        elif other.pk is not None:
            person.suspected_duplicate_of = other
        else:
            flag_after.append((person, other))
    plan = RegistrationPlan(
        results=results,
        actor=actor,
        source=source,
        audit_action=audit_action,
        created=created,
        updated=updated,
        flag_after=flag_after,
    )
    if keyed:
        plan.persons = copy_prepare(created)
        plan.events = _events(plan)
        plan.events_copy = copy_prepare(plan.events, keys=False)
    return plan


def _link(result: RowResult, person: Person, res: _Resolved, updated: list[Updated]) -> None:
    """A row that is a known person: `linked`, or `updated` when it fills blank fields or corrects a text
    saved in an old encoding. The record is judged again as a whole: what it still lacks, and what is
    still wrong with it (a record judged invalid by `persons_recheck` stays so until corrected)."""
    outside = _ward_outside_record(person, res)
    if outside is not None:
        result.problems = [outside]
        return
    filled = _fill_blanks(person, res)
    corrected = _legacy_corrections(person, res.check.normalized)
    result.person = person
    result.kept = _values_kept(person, res)
    if filled or corrected:
        person.data_status, person.problems = _judged(person, timezone.localdate())
        updated.append(Updated(person, filled, corrected))
        result.status = "updated"
    else:
        result.status = "linked"


def person_to_input(person: Person, **overrides: Any) -> PersonInput:
    values: dict[str, Any] = {
        "full_name": person.full_name,
        "date_of_birth": person.date_of_birth,
        "sex": person.sex,
        "phone": person.phone,
        "id_type": person.id_type,
        "id_number": person.id_number,
        "health_insurance_number": person.health_insurance_number,
        "nationality": person.nationality,
        "ethnicity": person.ethnicity,
        "occupation": person.occupation,
        "priority_group": person.priority_group.code if person.priority_group_id and person.priority_group else None,
        "ward_code": person.ward.code if person.ward_id and person.ward else None,
        "address_line": person.address_line,
    }
    values.update(overrides)
    return PersonInput(**values)


def person_register(
    *,
    actor: Any,
    data: PersonInput,
    source: str,
    province_code: str | None = None,
    household: Household | None = None,
    relation_to_head: str = "",
) -> Person:
    """Register one person. Refuses invalid data (422) and a document already registered (409)."""
    # persons_register_bulk writes in a transaction of its own (and a refused row writes nothing):
    # the outer one (a savepoint's two round trips inside it) is only needed to add the household.
    with transaction.atomic() if household is not None else nullcontext():
        [result] = persons_register_bulk(
            actor=actor, rows=[data], source=source, province_codes=[province_code], on_existing="conflict"
        )
        if result.status != "created":
            if result.codes == ["document_taken"]:
                raise Conflict(result.problems, extra={"existing_id": result.existing_id})
            raise DomainError(result.problems)
        person = result.person
        assert person is not None
        if household is not None:
            household_add_member(actor=actor, household=household, person=person, relation=relation_to_head)
    return person


def person_update(
    *,
    actor: Any,
    person: Person,
    changes: dict[str, Any],
    expected_version: int | None = None,
) -> Person:
    """Change a person's data with the same rules as registration.

    `changes` uses the input names (`ward_code`, `priority_group` as a code, `province_code`).
    `expected_version` guards against two people editing the same record: a stale one gets a 409.
    """
    province_code = changes.pop("province_code", None)
    unknown = set(changes) - set(PersonInput.__dataclass_fields__) - {"is_child"}
    if unknown:
        raise DomainError([ErrorItem(name, "field_unknown", _("This field cannot be changed.")) for name in unknown])
    with transaction.atomic():
        # of=("self",): PostgreSQL refuses FOR UPDATE on the nullable side of the outer joins.
        locked = (
            Person.objects.select_for_update(of=("self",)).select_related("ward", "priority_group").get(pk=person.pk)
        )
        if expected_version is not None and locked.version != expected_version:
            raise Conflict.single(
                "version",
                "edit_conflict",
                _("Someone else changed this record while you were editing it. Reload and try again."),
                extra={"current_version": locked.version},
            )
        check = check_person(person_to_input(locked, **changes), today=timezone.localdate())
        refs = _References([check.normalized], [province_code])
        res = refs.resolve(check, province_code)
        if res.invalid:
            raise DomainError(res.invalid)
        data = res.check.normalized
        if data.id_number and (data.id_type, data.id_number) != (locked.id_type, locked.id_number):
            national = ["cccd", "cmnd"] if data.id_type in ("cccd", "cmnd") else [data.id_type]  # document_key
            other = Person.objects.filter(id_type__in=national, id_number=data.id_number).exclude(pk=locked.pk).first()
            if other is not None:
                raise Conflict([_taken_problem()], extra={"existing_id": str(other.public_id)})
        fresh = _new_person(res, source=locked.source, actor=None)
        before = {f: getattr(locked, f) for f in PERSON_FIELDS}
        for name in [*PERSON_FIELDS, "search_name", "data_status", "problems"]:
            setattr(locked, name, getattr(fresh, name))
        diff = changed_fields(locked, before, PERSON_FIELDS)
        if diff:
            locked.version += 1
            try:
                locked.save()
            except IntegrityError:
                raise Conflict([_taken_problem()]) from None
            audit_log(
                actor=actor,
                action="registry.person.updated",
                subject=locked,
                data={"changes": diff, "data_status": locked.data_status},
            )
            person_updated.send(sender=Person, actor=actor, person=locked, changed=frozenset(diff))
    return locked


@dataclass(frozen=True)
class RecheckResult:
    checked: int
    changed: int
    by_status: dict[str, int]  # the changed records, by their new data status


def _problem_set(problems: Iterable[dict[str, Any]]) -> set[tuple[str, str, str]]:
    return {(p.get("field", ""), p.get("code", ""), p.get("kind", "invalid")) for p in problems}


def persons_recheck(*, actor: Any = None, batch_size: int = 2000, today: date | None = None) -> RecheckResult:
    """Judge every stored record again by today's identity rules, and save its data status and problems
    where they changed: a rule added since it was saved (a name typed in an old encoding), a child who
    turned 14 without a document. The record's values are never touched, only what is said of them; the
    completeness gate then holds an invalid record back until someone corrects it (`person_update`).

    Batch by batch, each change in a transaction with its audit event (`registry.person.rechecked`); a
    record edited meanwhile (its version moved) is left alone, since that edit judged it already. Merged
    records are skipped. Run again, it changes nothing.
    """
    today = today or timezone.localdate()
    checked = changed = 0
    by_status: dict[str, int] = {}
    last = 0
    while True:
        batch = list(
            Person.objects.filter(pk__gt=last, merged_into__isnull=True)
            .select_related("ward", "priority_group")
            .order_by("pk")[:batch_size]
        )
        if not batch:
            break
        last = batch[-1].pk
        checked += len(batch)
        stale: list[tuple[Person, str, list[dict[str, str]]]] = []
        for person in batch:
            status, problems = _judged(person, today)
            if status != person.data_status or _problem_set(problems) != _problem_set(person.problems or []):
                stale.append((person, status, problems))
        for person, status, problems in stale:
            with transaction.atomic():
                saved = Person.objects.filter(pk=person.pk, version=person.version).update(
                    data_status=status, problems=problems, updated_at=timezone.now()
                )
                if not saved:
                    continue
                audit_log(
                    actor=actor,
                    action="registry.person.rechecked",
                    subject=person,
                    data={
                        "data_status": [person.data_status, status],
                        "codes": [p["code"] for p in problems],
                    },
                )
            changed += 1
            by_status[status] = by_status.get(status, 0) + 1
    return RecheckResult(checked=checked, changed=changed, by_status=by_status)


def person_resolve_duplicate(*, actor: Any, person: Person, is_duplicate: bool) -> Person:
    """A reviewer's answer to a suspected duplicate: not a duplicate clears the flag; a duplicate merges (run
    again if PostgreSQL broke it off, as `person_merge`)."""
    return _again_if_broken_off(
        lambda: _person_resolve_duplicate(actor=actor, person=person, is_duplicate=is_duplicate)
    )


def _person_resolve_duplicate(*, actor: Any, person: Person, is_duplicate: bool) -> Person:
    with transaction.atomic():
        locked = Person.objects.select_for_update().get(pk=person.pk)
        other = locked.suspected_duplicate_of
        if other is None:
            raise DomainError.single("suspected_duplicate_of", "not_flagged", _("This record is not flagged."))
        if is_duplicate:
            return person_merge(actor=actor, duplicate=locked, into=other)
        locked.suspected_duplicate_of = None
        locked.save(update_fields=["suspected_duplicate_of", "updated_at"])
        audit_log(actor=actor, action="registry.person.duplicate_dismissed", subject=locked, data={"other": other})
    return locked


#: How many times a merge that PostgreSQL broke off is run.
MERGE_ATTEMPTS = 3


def _again_if_broken_off(run: Callable[[], Person]) -> Person:
    """`run` (one transaction), run again when PostgreSQL broke it off, up to MERGE_ATTEMPTS times, where it is
    the outermost transaction (inside another, that one is broken off too: its own caller runs it again)."""
    for _attempt in range(MERGE_ATTEMPTS - 1):
        try:
            return run()
        except OperationalError as exc:
            if not broken_off(exc) or transaction.get_connection().in_atomic_block:
                raise
    return run()


def person_merge(*, actor: Any, duplicate: Person, into: Person) -> Person:
    """Merge a duplicate record into another: the duplicate stays, pointing at the record it became. A merge
    PostgreSQL broke off (a deadlock with a writer that took the same rows in another order: an import's chunk
    writing the roster entries the merge moves, which a red team's run found) is run again; it answered 500."""
    if duplicate.pk == into.pk:
        raise DomainError.single("into", "merge_into_self", _("A record cannot be merged into itself."))
    return _again_if_broken_off(lambda: _person_merge(actor=actor, duplicate=duplicate, into=into))


def _person_merge(*, actor: Any, duplicate: Person, into: Person) -> Person:
    with transaction.atomic():
        locked = Person.objects.select_for_update().get(pk=duplicate.pk)
        if locked.merged_into_id:
            raise Conflict.single("merged_into", "already_merged", _("This record was already merged."))
        if Person.objects.filter(pk=into.pk, merged_into__isnull=False).exists():
            raise Conflict.single(
                "into", "merge_into_merged", _("This record was itself merged: merge into the record it became.")
            )
        # Merges stay one level deep: the records merged into the duplicate now point at the survivor
        # (their doses count in its history: clinic.services.persons_history_read).
        Person.objects.filter(merged_into=locked).update(merged_into=into, updated_at=timezone.now())
        locked.merged_into = into
        locked.suspected_duplicate_of = None
        locked.id_number = ""  # the document now belongs to the surviving record only
        locked.save(update_fields=["merged_into", "suspected_duplicate_of", "id_number", "updated_at"])
        if locked.household_id and not into.household_id:
            Person.objects.filter(pk=into.pk).update(
                household=locked.household_id, relation_to_head=locked.relation_to_head
            )
        audit_log(actor=actor, action="registry.person.merged", subject=locked, data={"into": into})
        person_merged.send(sender=Person, actor=actor, duplicate=locked, into=into)
    return into


def household_create(*, actor: Any, head: Person, address_line: str = "") -> Household:
    with transaction.atomic():
        locked = Person.objects.select_for_update().get(pk=head.pk)
        if locked.household_id:
            raise Conflict.single("head", "already_in_household", _("This person already belongs to a household."))
        household = Household.objects.create(
            head=locked, ward=locked.ward, address_line=address_line or locked.address_line
        )
        locked.household = household
        locked.relation_to_head = Person.Relation.HEAD
        locked.save(update_fields=["household", "relation_to_head", "updated_at"])
        audit_log(actor=actor, action="registry.household.created", subject=household, data={"head": locked})
    head.household, head.relation_to_head = household, Person.Relation.HEAD
    return household


def household_add_member(*, actor: Any, household: Household, person: Person, relation: str) -> Person:
    if relation not in Person.Relation.values or relation == Person.Relation.HEAD:
        raise DomainError.single("relation", "relation_unknown", _("Choose the member's relation to the head."))
    with transaction.atomic():
        locked = Person.objects.select_for_update().get(pk=person.pk)
        if locked.household_id:
            raise Conflict.single("person_id", "already_in_household", _("This person already belongs to a household."))
        locked.household = household
        locked.relation_to_head = relation
        locked.save(update_fields=["household", "relation_to_head", "updated_at"])
        audit_log(
            actor=actor,
            action="registry.household.member_added",
            subject=household,
            data={"person": locked, "relation": relation},
        )
    person.household, person.relation_to_head = household, relation
    return locked


def household_remove_member(*, actor: Any, household: Household, person: Person) -> None:
    with transaction.atomic():
        locked = Person.objects.select_for_update().get(pk=person.pk)
        if locked.household_id != household.pk:
            raise DomainError.single("person_id", "not_a_member", _("This person is not in this household."))
        if household.head_id == locked.pk:
            raise DomainError.single(
                "person_id", "head_cannot_leave", _("Choose another head before removing the head.")
            )
        locked.household = None
        locked.relation_to_head = ""
        locked.save(update_fields=["household", "relation_to_head", "updated_at"])
        audit_log(actor=actor, action="registry.household.member_removed", subject=household, data={"person": locked})


def priority_groups_load(*, actor: Any = None) -> int:
    """The priority groups of Resolution 21/NQ-CP (2021), codes "1" to "11"; idempotent."""
    from vaxbook.registry.priority_groups import NQ21_GROUPS

    created = 0
    with transaction.atomic():
        for rank, (code, name_vi, name_en) in enumerate(NQ21_GROUPS, start=1):
            _obj, was_created = PriorityGroup.objects.update_or_create(
                code=code, defaults={"name": name_vi, "name_en": name_en, "rank": rank}
            )
            created += int(was_created)
    return created
