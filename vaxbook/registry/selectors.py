"""Registry reads, always scoped to the user who asks.

Who sees whom:
- a national admin: everyone;
- a province or area officer: persons living in their unit (province, or ward);
- facility staff: the persons of their catchment wards and those with business at their facility
  (an appointment or a dose there); any one person by exact identity number, phone or QR token, so
  that anybody can be checked in anywhere;
- an organization's representative: its roster;
- a citizen: their own household.
"""

import re
import uuid
from collections.abc import Collection
from typing import Any

from django.apps import apps
from django.db import connection
from django.db.models import F, Q, QuerySet, prefetch_related_objects
from django.db.models.functions import Collate

from vaxbook.accounts.selectors import Scope, user_scope
from vaxbook.common.errors import NotFound
from vaxbook.common.models import AuditEvent
from vaxbook.common.rows import ModelRows, Read, any_of, param, read
from vaxbook.places.models import AdminUnit
from vaxbook.registry.identity import normalize_id_number, normalize_phone, search_name
from vaxbook.registry.models import Household, Person
from vaxbook.registry.references import attach_person_references
from vaxbook.registry.tokens import person_public_id_from_token

_ID_LIKE = re.compile(r"^[A-Za-z]?\d{6,}$")


def _not_found() -> NotFound:
    from django.utils.translation import gettext_lazy as _

    return NotFound.single("id", "person_not_found", _("No such person, or you may not see them."))


def _area_q(unit_ids: frozenset[int]) -> Q:
    return Q(province_id__in=unit_ids) | Q(ward_id__in=unit_ids)


def _facility_q(facility_ids: frozenset[int]) -> Q:
    wards = AdminUnit.catchment_facilities.through.objects.filter(facility_id__in=facility_ids).values("adminunit_id")
    q = Q(ward_id__in=wards)
    for name, path in (("Appointment", "session__facility_id__in"), ("Dose", "facility_id__in")):
        try:
            model = apps.get_model("clinic", name)
        except LookupError:
            continue
        q |= Q(pk__in=model.objects.filter(**{path: facility_ids}).values("person_id"))
    return q


def _organization_q(organization_ids: frozenset[int]) -> Q:
    try:
        entry = apps.get_model("organizations", "RosterEntry")
    except LookupError:
        return Q(pk__in=[])
    return Q(pk__in=entry.objects.filter(organization_id__in=organization_ids).values("person_id"))


def _citizen_q(user: Any) -> Q:
    person = getattr(user, "person", None)
    if person is None:
        return Q(pk__in=[])
    if person.household_id:
        return Q(household_id=person.household_id) | Q(pk=person.pk)
    return Q(pk=person.pk)


def scope_q(scope: Scope, user: Any) -> Q | None:
    """The filter for the persons a scope may list; None means everyone."""
    if scope.national:
        return None
    q = Q(pk__in=[])
    if scope.area_unit_ids:
        q |= _area_q(scope.area_unit_ids)
    if scope.facility_ids:
        q |= _facility_q(scope.facility_ids)
    if scope.organization_ids:
        q |= _organization_q(scope.organization_ids)
    if scope.person_id:
        q |= _citizen_q(user)
    return q


# What a person's page or API answer shows of its relations, fetched with the persons (no query per row).
# The household and the duplicate flag are rarely set: prefetched (no query when no row has one), not
# joined, because every join costs planning time on the one-result look-ups of the desk.
PERSON_RELATED = ("ward", "province", "priority_group")
PERSON_PREFETCH = ("household", "suspected_duplicate_of")


def persons_for_user(*, user: Any) -> QuerySet[Person]:
    """Every person the user may list (merged records excluded)."""
    qs = (
        Person.objects.filter(merged_into__isnull=True)
        .select_related(*PERSON_RELATED)
        .prefetch_related(*PERSON_PREFETCH)
    )
    q = scope_q(user_scope(user=user), user)
    return qs if q is None else qs.filter(q)


def _may_look_up_exactly(scope: Scope) -> bool:
    """Facility staff (and officers) may find any one person by an exact identifier."""
    return scope.national or bool(scope.facility_ids) or bool(scope.area_unit_ids)


# The desk's and the API's look-ups by one key: hand-written (see common/rows.py), their relations
# attached from the reference cache and, when a row has one, prefetched.
_PERSON = ModelRows(Person, "p")


def _attach_relations(persons: list[Person]) -> list[Person]:
    attach_person_references(persons)
    return _attach_rare(persons)


def _persons_where_read(
    where: str, params: list[Any], limit: int, *, live_only: bool = True, order: str = "", order_params: Any = ()
) -> Read[list[Person]]:
    """Persons matching a condition on the `p` alias (unmerged ones only unless `live_only` is off)."""
    live = "p.merged_into_id IS NULL AND " if live_only else ""
    order_by = f" ORDER BY {order}" if order else ""
    sql = _PERSON.select(connection, f"{live}({where}){order_by} LIMIT %s")
    return Read(
        sql,
        [*params, *order_params, int(limit)],
        lambda rows: _attach_relations([_PERSON.load(row) for row in rows]),
    )


def _persons_where(
    where: str, params: list[Any], limit: int, *, live_only: bool = True, order: str = "", order_params: Any = ()
) -> list[Person]:
    return read(_persons_where_read(where, params, limit, live_only=live_only, order=order, order_params=order_params))


def persons_by_numbers_limited_read(numbers: set[str], limit: int) -> Read[list[Person]]:
    """The unmerged persons whose document number is one of `numbers`, at most `limit` of them."""
    ordered = sorted(numbers)
    return _persons_where_read(f"p.id_number IN ({', '.join(['%s'] * len(ordered))})", ordered, limit)


def persons_by_phone_read(phone: str, limit: int) -> Read[list[Person]]:
    """The unmerged persons sharing a phone (E.164), oldest first; unscoped."""
    return _persons_where_read("p.phone = %s", [phone], limit, order="p.date_of_birth, p.id")


def persons_by_identifiers(numbers: set[str], phone: str | None, limit: int, status: str = "") -> list[Person]:
    """Persons whose document number is one of `numbers`, then those whose phone is `phone` (with
    `status`, of that data status only: an organization's switchboard phone may be hundreds' phone)."""
    ordered = sorted(numbers)
    in_numbers = f"p.id_number IN ({', '.join(['%s'] * len(ordered))})"
    of_status, status_params = (" AND p.data_status = %s", [status]) if status else ("", [])
    if not phone:
        return _persons_where(f"({in_numbers}){of_status}", [*ordered, *status_params], limit) if ordered else []
    if not ordered:
        return _persons_where(f"p.phone = %s{of_status}", [phone, *status_params], limit)
    return _persons_where(
        f"({in_numbers} OR p.phone = %s){of_status}",
        [*ordered, phone, *status_params],
        limit,
        order=f"CASE WHEN {in_numbers} THEN 0 ELSE 1 END",
        order_params=ordered,
    )


def persons_by_numbers_read(numbers: Collection[str]) -> Read[list[Person]]:
    """Every person (merged or not) whose document number is one of `numbers`, with their references:
    an import looks up a whole chunk's numbers at once (one array parameter, common/rows.py)."""
    among, params = any_of(Person, "id_number", "p", sorted(numbers))
    return Read(_PERSON.select(connection, among), params, lambda rows: _with_references(rows))


def _with_references(rows: list[tuple[Any, ...]]) -> list[Person]:
    persons = [_PERSON.load(row) for row in rows]
    attach_person_references(persons)
    return persons


def person_by_public_id_read(public_id: uuid.UUID, *, live_only: bool = False) -> Read[Person | None]:
    """One person by public id, unscoped: for callers that have checked the user's right already."""
    found = _persons_where_read("p.public_id = %s", [param(Person, "public_id", public_id)], 1, live_only=live_only)
    return Read(found.sql, found.params, lambda rows: next(iter(found.load(rows)), None))


def person_by_public_id(public_id: uuid.UUID, *, live_only: bool = False) -> Person | None:
    return read(person_by_public_id_read(public_id, live_only=live_only))


def persons_by_phone(phone: str, limit: int) -> list[Person]:
    """The unmerged persons sharing a phone (E.164), oldest first; unscoped, like the above."""
    return read(persons_by_phone_read(phone, limit))


def person_get_for_user(*, user: Any, public_id: uuid.UUID | str) -> Person:
    try:
        pid = public_id if isinstance(public_id, uuid.UUID) else uuid.UUID(str(public_id))
    except ValueError:
        raise _not_found() from None
    scope = user_scope(user=user)
    person = person_by_public_id(pid)
    if person is None:
        raise _not_found()
    # Facility staff open any one record whose unguessable id they got from an exact look-up (check-in).
    if scope.facility_ids:
        return person
    q = scope_q(scope, user)
    if q is not None and not Person.objects.filter(q, pk=person.pk).exists():
        raise _not_found()
    return person


def _listable(persons: list[Person], scope: Scope, user: Any) -> list[Person]:
    """The persons a user without exact look-up (a citizen, an organization) may see, in order; all of
    them for the others."""
    if _may_look_up_exactly(scope) or not persons:
        return persons
    q = scope_q(scope, user)
    allowed = set(Person.objects.filter(q, pk__in=[p.pk for p in persons]).values_list("pk", flat=True))
    return [p for p in persons if p.pk in allowed]


def person_find_exact(*, user: Any, identifier: str) -> Person | None:
    """One person by exact identity number, phone or QR token: the check-in desk's look-up. Citizens and
    organizations find only among the persons they may list (a phone must then be unique among those)."""
    scope = user_scope(user=user)
    identifier = (identifier or "").strip()
    if not identifier:
        return None
    public_id = person_public_id_from_token(identifier)
    if public_id is not None:
        by_token = person_by_public_id(public_id, live_only=True)
        return next(iter(_listable([by_token] if by_token else [], scope, user)), None)
    number = normalize_id_number("cccd", identifier)
    numbers = {number} if number and _ID_LIKE.match(number) else set()
    phone = normalize_phone(identifier)
    limit = 3 if _may_look_up_exactly(scope) else 50
    rows = _listable(persons_by_identifiers(numbers, phone, limit), scope, user)  # numbers first
    by_number = [p for p in rows if p.id_number in numbers]
    if by_number:
        return by_number[0]
    by_phone = [p for p in rows if phone and p.phone == phone]
    return by_phone[0] if len(by_phone) == 1 else None


def identifier_terms(q: str) -> tuple[set[str], str | None] | None:
    """A search typed as an identity number or a phone (spaces, dots and dashes ignored): the document
    numbers it may be (as typed, and as a CCCD that lost one leading zero) and the phone (E.164), or None
    for a search that is not one (a name). Shared by every search of persons."""
    compact = re.sub(r"[\s.\-]", "", q)
    if not (compact.isdigit() or _ID_LIKE.match(compact) or compact.startswith("+")):
        return None
    numbers = {n for n in (compact.upper(), normalize_id_number("cccd", compact)) if n}
    return numbers, normalize_phone(compact)


def person_search(*, user: Any, q: str, limit: int = 25, status: str = "") -> list[Person]:
    """Search by identity number or phone (exact) or by name typed with or without diacritics; with
    `status`, among the persons of that data status only (the best `limit` of them, not of all)."""
    q = (q or "").strip()
    if not q:
        return []
    scope = user_scope(user=user)
    terms = identifier_terms(q)
    if terms is not None:
        numbers, phone = terms
        if _may_look_up_exactly(scope):
            # One round trip for both: the number's matches first, then the phone's.
            rows = persons_by_identifiers(numbers, phone, 2 * limit, status)
        else:
            match = Q(id_number__in=numbers) | Q(phone=phone) if phone else Q(id_number__in=numbers)
            scoped = persons_for_user(user=user).filter(match)
            rows = list((scoped.filter(data_status=status) if status else scoped)[: 2 * limit])
        found = [p for p in rows if p.id_number in numbers][:limit]
        found += [p for p in rows if p.id_number not in numbers][:limit]
        return found[:limit]
    folded = search_name(q)
    if not folded:
        return []
    listed = persons_for_user(user=user).prefetch_related(None)
    if status:
        listed = listed.filter(data_status=status)
    # Names compare byte by byte (collation "C" on PostgreSQL, with its index; see registry migration
    # 0003): a prefix is then a range of the ordered index, read in order, whatever the database's collation.
    key = Collate("search_name", "C") if connection.vendor == "postgresql" else F("search_name")
    ordered = listed.alias(name_key=key).order_by("name_key", "date_of_birth")
    starts: list[Person] = list(ordered.filter(name_key__startswith=folded)[:limit])
    if len(starts) < limit:
        # Inside the name: the trigram index finds candidates (unordered, bounded), then they are ordered.
        seen = {p.pk for p in starts}
        candidates = [
            pk
            for pk in listed.filter(search_name__contains=folded)
            .order_by()
            .values_list("pk", flat=True)[:CONTAINS_CANDIDATES]
            if pk not in seen
        ]
        if candidates:
            starts += list(ordered.filter(pk__in=candidates)[: limit - len(starts)])
    return _attach_rare(starts)


# How many persons whose name contains the words (not at its start) are ordered for the answer.
CONTAINS_CANDIDATES = 500


def _attach_rare(persons: list[Person]) -> list[Person]:
    """Prefetch the household and duplicate flag of the persons that have one (no query when none has)."""
    for name in PERSON_PREFETCH:
        field = Person._meta.get_field(name)
        having = [p for p in persons if getattr(p, field.attname) is not None]  # type: ignore[union-attr]
        if having:
            prefetch_related_objects(having, name)
        for p in persons:
            if getattr(p, field.attname) is None:  # type: ignore[union-attr]
                field.set_cached_value(p, None)  # type: ignore[union-attr]
    return persons


def person_history(*, user: Any, person: Person) -> QuerySet[AuditEvent]:
    """The audit trail of a person: staff who may see the person see it; citizens and organizations do not."""
    scope = user_scope(user=user)
    if not (scope.national or scope.area_unit_ids or scope.facility_ids):
        return AuditEvent.objects.none()
    return AuditEvent.objects.filter(subject_type="registry.person", subject_id=str(person.public_id)).select_related(
        "actor"
    )


def person_problems(*, person: Person) -> dict[str, list[dict[str, str]]]:
    """The record's problems by field, with messages in the active language."""
    from vaxbook.registry.identity import check_person
    from vaxbook.registry.services import person_to_input

    if not person.problems:
        return {}
    check = check_person(person_to_input(person), today=_today())
    messages = {(p.field, p.code): p for p in check.problems}
    by_field: dict[str, list[dict[str, str]]] = {}
    for stored in person.problems:
        live = messages.get((stored["field"], stored["code"]))
        message = str(live.message) if live is not None else stored["code"]
        by_field.setdefault(stored["field"], []).append(
            {
                "field": stored["field"],
                "code": stored["code"],
                "kind": stored.get("kind", "invalid"),
                "message": message,
            }
        )
    return by_field


def _today():  # type: ignore[no-untyped-def]
    from django.utils import timezone

    return timezone.localdate()


def household_get_for_user(*, user: Any, public_id: uuid.UUID | str) -> Household:
    from django.utils.translation import gettext_lazy as _

    try:
        pid = public_id if isinstance(public_id, uuid.UUID) else uuid.UUID(str(public_id))
    except ValueError:
        raise NotFound.single("id", "household_not_found", _("No such household.")) from None
    household = Household.objects.select_related("head", "ward").filter(public_id=pid).first()
    if household is None or not persons_for_user(user=user).filter(household=household).exists():
        raise NotFound.single("id", "household_not_found", _("No such household."))
    return household


def household_members(*, user: Any, household: Household) -> QuerySet[Person]:
    return persons_for_user(user=user).filter(household=household).order_by("date_of_birth")


def suspected_duplicates_for_user(*, user: Any) -> QuerySet[Person]:
    return (
        persons_for_user(user=user)
        .filter(suspected_duplicate_of__isnull=False)
        .select_related("suspected_duplicate_of")
    )
