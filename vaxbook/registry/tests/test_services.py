"""person_register and friends: the one door every registration goes through."""

from datetime import UTC, date, datetime
from unittest import mock

import pytest
from django.db import transaction

from vaxbook.common.errors import Conflict, DomainError
from vaxbook.common.models import AuditEvent
from vaxbook.common.testing import ProvinceFactory, WardFactory, cccd_for
from vaxbook.places.models import AdminUnit
from vaxbook.registry import services
from vaxbook.registry.identity import PersonInput, search_name
from vaxbook.registry.models import Person
from vaxbook.registry.services import (
    RecordChanged,
    household_add_member,
    household_create,
    person_register,
    person_update,
    persons_recheck,
    persons_register_bulk,
    persons_register_plan,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def complete(ward1, priority_group):
    def make(**over):
        values = dict(
            full_name="Trần Thị Mai",
            date_of_birth=date(1990, 3, 4),
            sex="F",
            phone="0912345678",
            id_type="cccd",
            id_number=cccd_for(date(1990, 3, 4), "F", 123),
            priority_group="9",
            ward_code=ward1.code,
            address_line="1 Lê Lợi",
        )
        values.update(over)
        return PersonInput(**values)

    return make


def test_it_registers_a_complete_person_and_audits_it(complete, clerk_a):
    person = person_register(actor=clerk_a, data=complete(), source="facility")
    assert person.data_status == "complete"
    assert person.phone == "+84912345678"
    assert person.search_name == "tran thi mai"
    assert person.province.code == "75"
    event = AuditEvent.objects.get(action="registry.person.created")
    assert event.subject_id == str(person.public_id) and event.actor == clerk_a


def test_it_saves_missing_data_as_incomplete_with_the_list(complete, clerk_a):
    person = person_register(actor=clerk_a, data=complete(phone="", id_number="", id_type=None), source="facility")
    assert person.data_status == "incomplete"
    assert {p["code"] for p in person.problems} == {"phone_missing", "id_document_missing"}


def test_it_refuses_a_number_that_contradicts_the_birth_date(complete, clerk_a):
    with pytest.raises(DomainError) as exc:
        person_register(actor=clerk_a, data=complete(date_of_birth=date(1991, 3, 4)), source="facility")
    assert "id_number_year_mismatch" in exc.value.codes
    assert not Person.objects.exists()


def test_a_second_registration_of_the_same_document_is_a_conflict(complete, clerk_a):
    first = person_register(actor=clerk_a, data=complete(), source="facility")
    with pytest.raises(Conflict) as exc:
        person_register(actor=clerk_a, data=complete(full_name="Trần  Thị Mai"), source="facility")
    assert exc.value.codes == ["document_taken"]
    assert exc.value.extra["existing_id"] == str(first.public_id)
    assert Person.objects.count() == 1


def test_a_twelve_digit_number_is_one_document_whether_cccd_or_cmnd(complete, clerk_a):
    """A 12-digit CMND's number is its holder's CCCD number: registering it again under the other type
    is the same conflict, through the form and API's door (the database's constraint behind it), and so
    is changing another record to it."""
    first = person_register(actor=clerk_a, data=complete(), source="facility")
    assert first.id_type == "cccd" and len(first.id_number) == 12
    with pytest.raises(Conflict) as exc:
        person_register(actor=clerk_a, data=complete(id_type="cmnd"), source="facility")
    assert exc.value.codes == ["document_taken"]
    assert exc.value.extra["existing_id"] == str(first.public_id)
    other = person_register(
        actor=clerk_a, data=complete(id_type="", id_number="", full_name="Lê Văn Hai"), source="facility"
    )
    with pytest.raises(Conflict) as exc:
        person_update(actor=clerk_a, person=other, changes={"id_type": "cmnd", "id_number": first.id_number})
    assert exc.value.codes == ["document_taken"]
    assert exc.value.extra["existing_id"] == str(first.public_id)
    assert Person.objects.filter(id_number=first.id_number).count() == 1


def test_unknown_references_are_refused(complete, clerk_a):
    with pytest.raises(DomainError) as exc:
        person_register(actor=clerk_a, data=complete(ward_code="99999", priority_group="77"), source="facility")
    assert set(exc.value.codes) == {"ward_unknown", "priority_group_unknown"}


def test_a_code_from_before_2025_stands_for_the_unit_it_became_or_is_refused_naming_it(
    complete, clerk_a, before_2025, ward1, ward2
):
    """A roster or a list made before the reform gives last year's codes: a ward merged whole and a province
    are read as their 2025 units; a ward that was split, or that became nothing known, is refused naming
    what the code was and what it became (before, "there is no ward with this code", next to a code the clerk
    sees on last year's list)."""
    person = person_register(actor=clerk_a, data=complete(ward_code="25195"), source="facility", province_code="70")
    assert (person.ward, person.province.code, person.data_status) == (ward1, "75", "complete")

    with pytest.raises(DomainError) as exc:
        person_register(actor=clerk_a, data=complete(ward_code="25198"), source="facility")
    [problem] = exc.value.errors
    assert (problem.field, problem.code) == ("ward_code", "ward_split")
    message = str(problem.message)
    assert "Xã Tiến Hưng, Thành phố Đồng Xoài" in message
    assert f"{ward1.code} {ward1.name}; {ward2.code} {ward2.name}" in message  # by code

    with pytest.raises(DomainError) as exc:
        person_register(actor=clerk_a, data=complete(ward_code="25201"), source="facility")
    [problem] = exc.value.errors
    assert (problem.code, "Xã Tân Thành" in str(problem.message)) == ("ward_unknown", True)

    ProvinceFactory(code="01", name="Thành phố Hà Nội")
    rows = [complete(id_number="", id_type=None, ward_code="26002")]
    [result] = persons_register_bulk(actor=None, rows=rows, source="organization", province_codes=["01"])
    assert result.codes == ["ward_not_in_province"]  # the province given still decides: ward2 is in 75
    [result] = persons_register_bulk(actor=None, rows=rows, source="organization", province_codes=["70"])
    assert (result.status, result.person.province.code) == ("created", "75")


def test_a_province_code_from_before_2025_that_became_several_is_told_by_the_ward(complete, clerk_a, ward1):
    """Tiền Giang's code (82) is Đồng Tháp's since 2025, but the reform's tables send some of its communes
    to another province: such a legacy code is read by the ward given with it, refused naming them without."""
    other = ProvinceFactory(code="80", name="Tỉnh Tây Ninh")
    old = ProvinceFactory(level=AdminUnit.Level.LEGACY_PROVINCE, code="53", name="Tỉnh Cũ")
    old.successors.add(ward1.parent, other)
    person = person_register(actor=clerk_a, data=complete(), source="facility", province_code="53")
    assert person.province == ward1.parent
    with pytest.raises(DomainError) as exc:
        no_ward = complete(ward_code="", id_number="", id_type=None)
        person_register(actor=clerk_a, data=no_ward, source="facility", province_code="53")
    [problem] = exc.value.errors
    assert problem.code == "province_unknown"
    assert "Tỉnh Cũ" in str(problem.message) and "75 Tỉnh Đồng Nai; 80 Tỉnh Tây Ninh" in str(problem.message)


def test_records_without_document_sharing_name_birth_and_phone_are_flagged_not_merged(complete, clerk_a):
    a = person_register(actor=clerk_a, data=complete(id_type="none", id_number=""), source="facility")
    b = person_register(actor=clerk_a, data=complete(id_type="none", id_number=""), source="facility")
    assert a.pk != b.pk
    b.refresh_from_db()
    assert b.suspected_duplicate_of_id == a.pk


def test_bulk_merge_links_updates_and_refuses_conflicts_and_repeats(complete, clerk_a):
    person_register(actor=clerk_a, data=complete(phone=""), source="facility")
    rows = [
        complete(),  # same person, brings a phone: updated
        complete(),  # repeated in the batch: refused
        complete(full_name="Lê Văn Khác", sex="M", id_number=cccd_for(date(1990, 3, 4), "M", 5)),  # new
    ]
    results = persons_register_bulk(actor=clerk_a, rows=rows, source="import", on_existing="merge")
    assert [r.status for r in results] == ["updated", "refused", "created"]
    assert results[1].codes == ["document_repeated"]
    again = persons_register_bulk(actor=clerk_a, rows=rows[:1], source="import", on_existing="merge")
    assert again[0].status == "linked"
    other = complete(full_name="Người Khác Hẳn")
    conflict = persons_register_bulk(actor=clerk_a, rows=[other], source="import", on_existing="merge")
    assert conflict[0].codes == ["document_conflict"]
    assert Person.objects.count() == 2


def test_a_record_changed_after_the_batch_read_it_is_never_overwritten(complete, clerk_a):
    """A batch decides to fill a blank; before it writes, a clerk fills it: the write refuses
    (`RecordChanged`), the clerk's value kept. `persons_register_bulk` then decides the batch again."""
    person = person_register(actor=clerk_a, data=complete(phone=""), source="facility")
    plan = persons_register_plan(actor=None, rows=[complete()], source="organization", on_existing="merge")
    assert plan.results[0].status == "updated"
    person_update(actor=clerk_a, person=person, changes={"phone": "0987654321"})
    with pytest.raises(RecordChanged), transaction.atomic():
        plan.write()
    person.refresh_from_db()
    assert (person.phone, person.version) == ("+84987654321", 2)

    calls = []
    real = services._plan

    def overtaken(*args, **kwargs):  # the first decision was read before another writer's change
        plan = real(*args, **kwargs)
        if not calls:
            for update in plan.updated:
                update.person.version -= 1
        calls.append(1)
        return plan

    with mock.patch.object(services, "_plan", overtaken):
        [result] = persons_register_bulk(
            actor=None, rows=[complete(occupation="Thợ may")], source="organization", on_existing="merge"
        )
    assert (len(calls), result.status) == (2, "updated")  # decided again on what is stored, and written
    person.refresh_from_db()
    assert (person.phone, person.occupation, person.version) == ("+84987654321", "Thợ may", 3)


def test_a_ward_outside_the_records_province_is_refused_not_filled_in(complete, clerk_a, ward1):
    """The record has a province and no ward; a row gives a ward of another province: the pages refuse that
    pair, and so does a link (`ward_not_in_province`), the record left as it was."""
    other = WardFactory(code="00004", name="Phường Ba Đình", parent=ProvinceFactory(code="01", name="Hà Nội"))
    person = person_register(actor=clerk_a, data=complete(ward_code=""), source="facility", province_code="75")
    assert (person.province.code, person.ward) == ("75", None)
    [result] = persons_register_bulk(
        actor=None, rows=[complete(ward_code=other.code)], source="organization", on_existing="merge"
    )
    assert (result.status, result.codes) == ("refused", ["ward_not_in_province"])
    assert person.province.name in str(result.problems[0].message)
    [filled] = persons_register_bulk(
        actor=None, rows=[complete(ward_code=ward1.code)], source="organization", on_existing="merge"
    )
    assert filled.status == "updated"
    person.refresh_from_db()
    assert (person.ward, person.province.code, person.data_status) == (ward1, "75", "complete")


def test_update_applies_the_same_rules_and_detects_stale_edits(complete, clerk_a):
    person = person_register(actor=clerk_a, data=complete(phone=""), source="facility")
    updated = person_update(actor=clerk_a, person=person, changes={"phone": "0987 654 321"}, expected_version=1)
    assert updated.data_status == "complete" and updated.version == 2
    with pytest.raises(Conflict) as exc:
        person_update(actor=clerk_a, person=person, changes={"phone": "0987654322"}, expected_version=1)
    assert exc.value.codes == ["edit_conflict"]
    with pytest.raises(DomainError) as exc2:
        person_update(actor=clerk_a, person=person, changes={"phone": "0123"})
    assert exc2.value.codes == ["phone_format"]
    event = AuditEvent.objects.filter(action="registry.person.updated").first()
    assert event.data["changes"]["phone"] == ["", "+84987654321"]


def test_a_person_is_in_at_most_one_household(complete, clerk_a):
    head = person_register(actor=clerk_a, data=complete(), source="facility")
    child = person_register(
        actor=clerk_a,
        data=complete(full_name="Trần Bé", date_of_birth=date(2019, 1, 1), id_type="none", id_number="", phone=""),
        source="facility",
    )
    household = household_create(actor=clerk_a, head=head)
    household_add_member(actor=clerk_a, household=household, person=child, relation="child")
    other_head = person_register(
        actor=clerk_a,
        data=complete(full_name="Lê Văn Khác", sex="M", id_number=cccd_for(date(1990, 3, 4), "M", 6)),
        source="facility",
    )
    other = household_create(actor=clerk_a, head=other_head)
    with pytest.raises(Conflict) as exc:
        household_add_member(actor=clerk_a, household=other, person=child, relation="child")
    assert exc.value.codes == ["already_in_household"]


# --------------------------------------------------------------------------------------------
# persons_recheck: stored records judged again by today's rules
# --------------------------------------------------------------------------------------------


def _saved_before_the_rule(person: Person, **values) -> None:
    """A record as an older release saved it: values today's rules refuse, written past them."""
    Person.objects.filter(pk=person.pk).update(**values)


def test_recheck_finds_a_name_saved_in_an_old_encoding_and_the_gate_holds_it_back(complete, officer):
    from vaxbook.clinic.errors import PersonDataInvalid
    from vaxbook.clinic.services import person_gate
    from vaxbook.registry.selectors import person_problems

    person = person_register(actor=None, data=complete(), source="facility")
    other_data = complete(id_number=cccd_for(date(1990, 3, 4), "F", 124), full_name="Lê Thị Hoa")
    other = person_register(actor=None, data=other_data, source="facility")
    _saved_before_the_rule(person, full_name="NguyÔn ThÞ Mai")  # TCVN3 for "Nguyễn Thị Mai"

    result = persons_recheck(actor=officer)

    assert (result.checked, result.changed, result.by_status) == (2, 1, {"invalid": 1})
    person.refresh_from_db()
    assert person.data_status == "invalid" and person.full_name == "NguyÔn ThÞ Mai" and person.version == 1
    assert person.problems == [{"field": "full_name", "code": "text_legacy_encoding", "kind": "invalid"}]
    other.refresh_from_db()
    assert other.data_status == "complete"
    event = AuditEvent.objects.get(action="registry.person.rechecked")
    assert event.subject_id == str(person.public_id) and event.actor == officer
    assert event.data == {"data_status": ["complete", "invalid"], "codes": ["text_legacy_encoding"]}
    with pytest.raises(PersonDataInvalid):
        person_gate(person)
    assert "Nguyễn Thị Mai" in person_problems(person=person)["full_name"][0]["message"]
    # run again: nothing more to say
    assert persons_recheck().changed == 0
    assert AuditEvent.objects.filter(action="registry.person.rechecked").count() == 1
    # corrected by the usual door: complete again
    fixed = person_update(actor=officer, person=person, changes={"full_name": "Nguyễn Thị Mai"})
    assert (fixed.data_status, fixed.problems) == ("complete", [])


def test_recheck_marks_a_child_who_turned_14_without_a_document_incomplete(complete):
    import time_machine

    born = date(2013, 6, 10)
    with time_machine.travel(datetime(2026, 12, 5, 9, tzinfo=UTC)):  # 13: no document needed
        child = person_register(
            actor=None, data=complete(date_of_birth=born, id_type="none", id_number=""), source="facility"
        )
    assert child.data_status == "complete"
    assert persons_recheck(today=date(2027, 6, 9)).changed == 0  # still 13
    result = persons_recheck(today=date(2027, 6, 10))
    assert (result.changed, result.by_status) == (1, {"incomplete": 1})
    child.refresh_from_db()
    assert child.data_status == "incomplete"
    assert child.problems == [{"field": "id_number", "code": "id_document_missing", "kind": "missing"}]


def test_recheck_leaves_alone_a_record_edited_meanwhile_and_merged_records(complete, monkeypatch):
    from vaxbook.registry import services

    edited = person_register(actor=None, data=complete(), source="facility")
    merged = person_register(
        actor=None, data=complete(id_number=cccd_for(date(1990, 3, 4), "F", 125)), source="facility"
    )
    _saved_before_the_rule(edited, full_name="NguyÔn ThÞ Mai")
    _saved_before_the_rule(merged, full_name="NguyÔn ThÞ Mai", merged_into=edited)
    real = services.check_person

    def edited_while_checked(data, *, today):
        Person.objects.filter(pk=edited.pk).update(version=2)  # someone saved it after the batch was read
        return real(data, today=today)

    monkeypatch.setattr(services, "check_person", edited_while_checked)
    result = persons_recheck()
    assert (result.checked, result.changed) == (1, 0)  # the merged record is not read
    assert Person.objects.get(pk=edited.pk).data_status == "complete"
    assert Person.objects.get(pk=merged.pk).data_status == "complete"
    assert not AuditEvent.objects.filter(action="registry.person.rechecked").exists()


def test_the_recheck_command_says_what_it_changed(complete):
    from io import StringIO

    from django.core.management import CommandError, call_command

    person = person_register(actor=None, data=complete(), source="facility")
    _saved_before_the_rule(person, address_line="Sè 3 Lª Lîi")  # TCVN3 for "Số 3 Lê Lợi"
    out = StringIO()
    call_command("recheck_persons", "--batch-size", "1", stdout=out)
    assert out.getvalue().strip() == "persons checked: 1; changed: 1 (now invalid 1)"
    out = StringIO()
    call_command("recheck_persons", stdout=out)
    assert out.getvalue().strip() == "persons checked: 1; changed: 0 (now none)"
    with pytest.raises(CommandError, match="at least 1"):
        call_command("recheck_persons", "--batch-size", "0")


# A record saved in an old encoding is corrected by the same record in Unicode (a roster converted
# with Unikey and uploaded again), never by another name.


def test_a_row_in_unicode_corrects_a_record_saved_in_an_old_encoding(complete, officer):
    person = person_register(actor=None, data=complete(occupation="Giáo viên"), source="organization")
    _saved_before_the_rule(
        person, full_name="NguyÔn ThÞ Mai", search_name=search_name("NguyÔn ThÞ Mai"), address_line="Sè 3 Lª Lîi"
    )
    persons_recheck()
    person.refresh_from_db()
    assert person.data_status == "invalid"

    [result] = persons_register_bulk(
        actor=officer,
        rows=[complete(full_name="Nguyễn Thị Mai", address_line="Số 3 Lê Lợi", occupation="Giáo viên")],
        source="organization",
        on_existing="merge",
    )

    assert result.status == "updated"
    person.refresh_from_db()
    assert (person.full_name, person.search_name, person.address_line) == (
        "Nguyễn Thị Mai",
        "nguyen thi mai",
        "Số 3 Lê Lợi",
    )
    assert (person.data_status, person.problems, person.version) == ("complete", [], 2)
    event = AuditEvent.objects.get(action="registry.person.updated")
    assert event.data == {"filled": [], "source": "organization", "corrected": ["full_name", "address_line"]}


def test_another_name_is_still_a_conflict_and_a_record_still_wrong_stays_invalid(complete, officer):
    person = person_register(actor=None, data=complete(phone=""), source="organization")
    _saved_before_the_rule(
        person, full_name="NguyÔn ThÞ Mai", search_name=search_name("NguyÔn ThÞ Mai"), occupation="C«ng nh©n"
    )
    persons_recheck()

    [other] = persons_register_bulk(
        actor=officer, rows=[complete(full_name="Nguyễn Thị Lan")], source="organization", on_existing="merge"
    )
    assert other.codes == ["document_conflict"]

    # the name corrected and the phone filled: the occupation, still in TCVN3, keeps the record invalid
    [row] = persons_register_bulk(
        actor=officer,
        rows=[complete(full_name="Nguyễn Thị Mai", occupation="")],
        source="organization",
        on_existing="merge",
    )
    assert row.status == "updated"
    person.refresh_from_db()
    assert (person.full_name, person.phone, person.occupation) == ("Nguyễn Thị Mai", "+84912345678", "C«ng nh©n")
    assert person.data_status == "invalid"
    assert person.problems == [{"field": "occupation", "code": "text_legacy_encoding", "kind": "invalid"}]


@pytest.mark.parametrize(
    ("name", "saved", "code"),
    [
        ("Lý Thị Tú", "Ly' Thi. Tu'", "text_legacy_encoding"),  # VIQR: letters, apostrophes, one point
        ("Lê Văn Tám", "LÃª VÄƒn TÃ¡m", "text_misread_encoding"),  # UTF-8 read in Windows-1252: all letters
    ],
)
def test_a_name_saved_before_its_rule_is_found_by_the_recheck_and_corrected_by_the_same_name(
    complete, officer, name, saved, code
):
    """Names that the rules before VIQR and misread Unicode were told let in (a name like "Ly' Tu'", or
    "LÃª VÄƒn TÃ¡m"). Judged again, each is refused; the same person's row, typed right, links it (the same
    name, not a conflict) and corrects it."""
    person = person_register(actor=None, data=complete(full_name=name), source="organization")
    _saved_before_the_rule(person, full_name=saved, search_name=search_name(saved))
    assert persons_recheck(actor=officer).by_status == {"invalid": 1}
    person.refresh_from_db()
    assert person.problems == [{"field": "full_name", "code": code, "kind": "invalid"}]

    [row] = persons_register_bulk(
        actor=officer, rows=[complete(full_name=name)], source="organization", on_existing="merge"
    )

    assert row.status == "updated"
    person.refresh_from_db()
    assert (person.full_name, person.search_name, person.data_status) == (name, search_name(name), "complete")
    assert AuditEvent.objects.get(action="registry.person.updated").data["corrected"] == ["full_name"]


class _Deadlock(Exception):
    sqlstate = "40P01"  # as psycopg names PostgreSQL's deadlock


@pytest.mark.django_db(transaction=True)
def test_a_merge_postgresql_broke_off_is_run_again(clerk_a, ward1, monkeypatch):
    """A deadlock with an import's chunk writing the roster entries the merge moves (a red team's run, on
    PostgreSQL) answered the merge 500. It is run again, as its own transaction; any other error is not."""
    from django.db import OperationalError

    from vaxbook.common.testing import PersonFactory

    into = PersonFactory(ward=ward1)
    duplicate = PersonFactory(ward=ward1, full_name=into.full_name, date_of_birth=into.date_of_birth)
    real = services.audit_log
    broken: list[int] = []

    def deadlocked_once(**kwargs):
        if not broken:
            broken.append(1)
            raise OperationalError("deadlock detected") from _Deadlock()
        return real(**kwargs)

    monkeypatch.setattr(services, "audit_log", deadlocked_once)
    assert services.person_merge(actor=clerk_a, duplicate=duplicate, into=into) == into
    duplicate.refresh_from_db()
    assert duplicate.merged_into_id == into.pk and broken == [1]
    assert AuditEvent.objects.filter(action="registry.person.merged").count() == 1
    # The reviewer's answer to a suspected duplicate merges inside its own transaction: that one is run again
    flagged = PersonFactory(ward=ward1, suspected_duplicate_of=into)
    broken.clear()
    assert services.person_resolve_duplicate(actor=clerk_a, person=flagged, is_duplicate=True) == into
    flagged.refresh_from_db()
    assert flagged.merged_into_id == into.pk and broken == [1]

    def failing(**kwargs):
        raise OperationalError("disk full")

    other = PersonFactory(ward=ward1)
    monkeypatch.setattr(services, "audit_log", failing)
    with pytest.raises(OperationalError):
        services.person_merge(actor=clerk_a, duplicate=other, into=into)
    other.refresh_from_db()
    assert other.merged_into_id is None
