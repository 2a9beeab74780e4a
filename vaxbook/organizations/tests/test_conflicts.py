"""Roster conflicts: a row whose document belongs to a record with another name or birth date is refused,
never overwritten, and kept for the health staff who keep the records; their answer (correct the record,
or keep it) reaches the organization on its import's page and in the API.

The cast: `org` and its representative `rep`; `officer` is the province officer of the province the
record lives in; `clerk_b` works at a facility with no tie to the record (`clerk_a`'s
facility serves the record's ward); `admin_user` is national.
"""

import io
from datetime import date, timedelta
from typing import Any

import openpyxl
import pytest
from django.utils import timezone, translation

from vaxbook.common.errors import Conflict, DomainError, NotFound
from vaxbook.common.models import AuditEvent
from vaxbook.common.testing import PersonFactory, cccd_for
from vaxbook.organizations.models import RosterConflict, RosterEntry, RosterImport
from vaxbook.organizations.services import roster_conflict_review, roster_import_start
from vaxbook.organizations.tests.builders import HEADERS, person_row, table, upload, xlsx_bytes
from vaxbook.registry.models import Person
from vaxbook.registry.services import person_merge, person_update

pytestmark = pytest.mark.django_db

DOB = date(1990, 3, 4)


@pytest.fixture
def run(rep, org, places, django_capture_on_commit_callbacks):
    def run(content: bytes) -> RosterImport:
        with django_capture_on_commit_callbacks(execute=True):
            started = roster_import_start(actor=rep, organization=org, upload=upload(content))
        started.refresh_from_db()
        return started

    return run


@pytest.fixture
def record(places):
    """A record typed at a site with the wrong birth date: the roster's row is the right one."""
    return PersonFactory(
        full_name="Trần Thị Mai",
        date_of_birth=date(1990, 4, 3),
        sex="F",
        id_number=cccd_for(DOB, "F", 777),
        phone="+84911111111",
        ward=places,
    )


def the_row(record, **over):
    return person_row(
        1,
        **{
            "Họ và tên": "Trần  Thị Mai",
            "Ngày sinh": DOB.strftime("%d/%m/%Y"),
            "Giới tính": "Nữ",
            "Số giấy tờ": record.id_number,
            "Bộ phận": "Kế toán",
            **over,
        },
    )


def conflict_file(record, **over):
    return xlsx_bytes(table([the_row(record, **over), person_row(2)]))


def review(*, actor, conflict, decision, **versions):
    """A review on the record and the row as they are now (the tests about stale ones name their versions)."""
    fresh = RosterConflict.objects.get(pk=conflict.pk)
    versions.setdefault("conflict_version", fresh.version)
    versions.setdefault("person_version", Person.objects.get(pk=fresh.person_id).version)
    return roster_conflict_review(actor=actor, conflict=conflict, decision=decision, **versions)


def test_a_conflicting_row_is_kept_for_review_and_the_record_is_not_touched(run, record, org):
    imp = run(conflict_file(record))
    assert (imp.created, imp.refused, imp.refusals) == (1, 1, {"document_conflict": 1})
    conflict = RosterConflict.objects.get()
    assert (conflict.organization, conflict.person, conflict.roster_import) == (org, record, imp)
    assert conflict.status == "open" and conflict.row_number == 2
    assert conflict.submitted == {
        "full_name": "Trần Thị Mai",  # as the identity rules read it: one space
        "date_of_birth": "1990-03-04",
        "sex": "F",
        "id_type": "cccd",
        "id_number": record.id_number,
        "phone": "+84912000001",
        "department": "Kế toán",
        "employee_number": "",
    }
    record.refresh_from_db()
    assert (record.date_of_birth, record.version) == (date(1990, 4, 3), 1)
    assert not RosterEntry.objects.filter(person=record).exists()
    chunk = AuditEvent.objects.get(action="organizations.roster.imported")
    assert chunk.data["conflicts"] == 1


def test_the_same_file_again_asks_once(run, record):
    first = run(conflict_file(record))
    second = run(conflict_file(record, **{"Bộ phận": "Kho"}))
    conflict = RosterConflict.objects.get()  # one open conflict per organization and person
    assert conflict.roster_import == second != first
    assert conflict.submitted["department"] == "Kho"
    assert conflict.version == 2  # the values moved: a reviewer who saw the first ones is told
    third = run(conflict_file(record, **{"Bộ phận": "Kho"}))
    conflict.refresh_from_db()
    assert (conflict.roster_import, conflict.version) == (third, 2)  # the same values: the same question


def test_a_row_sent_again_with_other_values_while_reviewing_is_said(run, record, officer):
    run(conflict_file(record))
    seen = RosterConflict.objects.get()
    run(conflict_file(record, **{"Họ và tên": "Trần Thị Mây"}))
    with pytest.raises(Conflict) as changed:
        review(actor=officer, conflict=seen, decision="correct", conflict_version=seen.version)
    assert changed.value.errors[0].code == "conflict_changed"
    record.refresh_from_db()
    assert record.full_name == "Trần Thị Mai" and record.version == 1
    seen.refresh_from_db()
    done = review(actor=officer, conflict=seen, decision="correct", conflict_version=seen.version)
    assert done.status == "corrected"
    record.refresh_from_db()
    assert record.full_name == "Trần Thị Mây"


def test_a_later_file_whose_row_agrees_with_the_record_withdraws_the_conflict(run, record, officer, rep, client):
    first = run(conflict_file(record))
    conflict = RosterConflict.objects.get()
    fixed = run(conflict_file(record, **{"Ngày sinh": "03/04/1990"}))  # the organization checked: the record is right
    assert (fixed.refused, fixed.created) == (0, 0)
    conflict.refresh_from_db()
    assert (conflict.status, conflict.roster_import) == ("withdrawn", first)  # said on the file it came from
    assert conflict.resolved_at is not None and conflict.resolved_by is None
    chunk = AuditEvent.objects.filter(action="organizations.roster.imported").order_by("-id").first()
    assert chunk.data["conflicts_withdrawn"] == 1
    with pytest.raises(Conflict) as answered:
        review(actor=officer, conflict=conflict, decision="correct")
    assert answered.value.errors[0].code == "conflict_reviewed"
    client.force_login(rep)
    page = client.get(f"/organizations/imports/{first.public_id}/").content.decode()
    assert 'data-status="withdrawn"' in page


def test_a_row_whose_mistyped_number_is_corrected_withdraws_the_conflict_and_the_record_keeps_its_name(
    run, record, officer, org
):
    """The row named the record by a mistyped number: sent again with its own number, it registers its own
    person, and the conflict is withdrawn: a reviewer answering it would rename the record into a second copy."""
    first = run(conflict_file(record))
    conflict = RosterConflict.objects.get()
    fixed = run(conflict_file(record, **{"Số giấy tờ": cccd_for(DOB, "F", 778)}))
    assert (fixed.created, fixed.refused) == (1, 0)
    conflict.refresh_from_db()
    assert (conflict.status, conflict.roster_import) == ("withdrawn", first)
    # Withdrawn when the whole file is read (the file might still hold the mistyped row further on)
    chunk = AuditEvent.objects.filter(action="organizations.roster.imported").order_by("-id").first()
    end = AuditEvent.objects.filter(action="organizations.roster_import.finished").order_by("-id").first()
    assert (chunk.data["conflicts_withdrawn"], end.data["conflicts_withdrawn"]) == (0, 1)
    with pytest.raises(Conflict) as answered:
        review(actor=officer, conflict=conflict, decision="correct")
    assert answered.value.errors[0].code == "conflict_reviewed"
    record.refresh_from_db()
    assert (record.full_name, record.date_of_birth, record.version) == ("Trần Thị Mai", date(1990, 4, 3), 1)
    assert Person.objects.filter(full_name="Trần Thị Mai", date_of_birth=DOB).count() == 1


def test_a_conflict_another_file_took_while_the_import_ran_is_not_withdrawn_at_its_end(
    run, record, org, rep, monkeypatch
):
    """The corrected row withdraws the conflict when the whole file is read; but an import of the organization
    running beside it may have sent the mistyped row again meanwhile, taking the conflict: that file's question,
    left open (withdrawn at the end, on the person alone, it would be lost)."""
    from vaxbook.organizations import services

    run(conflict_file(record))
    conflict = RosterConflict.objects.get()
    beside = RosterImport.objects.create(organization=org, uploaded_by=rep, original_name="b.xlsx", status="running")
    original = services._ImportRun._conflicts_named_withdraw

    def taken_meanwhile(self):
        RosterConflict.objects.filter(pk=conflict.pk).update(roster_import=beside, row_number=7)
        return original(self)

    monkeypatch.setattr(services._ImportRun, "_conflicts_named_withdraw", taken_meanwhile)
    fixed = run(conflict_file(record, **{"Số giấy tờ": cccd_for(DOB, "F", 778)}))
    assert (fixed.status, fixed.created) == ("done", 1)
    conflict.refresh_from_db()
    assert (conflict.status, conflict.roster_import) == ("open", beside)


def test_a_report_sent_back_refuses_a_repeat_again_rather_than_sending_the_staff_member_for_review(run, org):
    """A file's second row with the first row's number is `document_repeated`; its report, sent back unfixed,
    finds the first row's person registered with that number and another name: no conflict (a reviewer could
    rename the organization's other staff member into this row), the repeat again, naming who has the number."""
    from vaxbook.organizations.tests.test_services import report

    first_row = person_row(1)
    same = {k: first_row[k] for k in ("Số giấy tờ", "Ngày sinh", "Giới tính")}  # another name only
    second_row = person_row(2, **same)
    original = run(xlsx_bytes(table([first_row, second_row])))
    assert (original.created, original.refusals) == (1, {"document_repeated": 1})
    values, _sheet = report(original)
    again = run(xlsx_bytes([list(values[0]), list(values[1])]))
    assert (again.from_report, again.refused, again.refusals) == (True, 1, {"document_repeated": 1})
    assert not RosterConflict.objects.exists()
    reasons, _sheet = report(again)
    assert first_row["Họ và tên"] in reasons[1][-1] and "[document_repeated]" in reasons[1][-1]
    # Its number corrected, the row registers its own person
    fixed = [list(values[0]), list(values[1])]
    fixed[1][HEADERS.index("Số giấy tờ")] = cccd_for(date(1981, 2, 2), "F", 600001)  # person_row(1)'s birth, sex
    assert run(xlsx_bytes(fixed)).created == 1


@pytest.mark.parametrize("chunk_rows", [1, 1000])
def test_the_same_file_again_keeps_the_conflict_its_mistyped_row_still_raises(run, record, org, settings, chunk_rows):
    """A file holding both the person's own row and the mistyped one: sent again, the mistyped row still names
    the record, and its conflict stays open, moved to the new import (the own row accepted does not withdraw
    what the file still asks), whichever row comes first and whichever chunks they fall in. With each row in a
    chunk of its own, the own row first withdrew the conflict and the mistyped row then opened another."""
    settings.ROSTER_IMPORT_CHUNK_ROWS = chunk_rows
    own = the_row(record, **{"Số giấy tờ": cccd_for(DOB, "F", 778)})
    for rows in ([own, the_row(record), person_row(2)], [the_row(record), own, person_row(2)]):
        content = xlsx_bytes(table(rows))
        run(content)
        first = RosterConflict.objects.get()
        second = run(content)
        conflict = RosterConflict.objects.get()  # the same one: none withdrawn, none opened
        assert (conflict.pk, conflict.status, conflict.roster_import) == (first.pk, "open", second)
        assert second.refusals.get("document_conflict") == 1
        RosterConflict.objects.all().delete()


def test_a_correction_that_would_copy_a_person_the_roster_lists_is_refused(run, record, officer, org):
    """A conflict opened before its row's person was on the roster (added since by another way): correcting
    the record to the row would make it a second copy of that person. Refused, saying who; the record stays,
    and keeping it is still possible."""
    run(conflict_file(record))
    conflict = RosterConflict.objects.get()
    listed = PersonFactory(full_name="Trần Thị Mai", date_of_birth=DOB, sex="F", id_number=cccd_for(DOB, "F", 779))
    RosterEntry.objects.create(organization=org, person=listed)
    with pytest.raises(Conflict) as refused:
        review(actor=officer, conflict=conflict, decision="correct")
    [error] = refused.value.errors
    assert (error.field, error.code) == ("decision", "conflict_person_listed")
    # The row's own name and birth date; not the other record's document (it may be outside the reviewer's scope)
    assert "Trần Thị Mai" in str(error.message) and "04/03/1990" in str(error.message)
    assert listed.id_number not in str(error.message)
    with translation.override("en"), pytest.raises(Conflict) as in_english:
        review(actor=officer, conflict=conflict, decision="correct")
    assert "born 4 Mar 1990," in str(in_english.value.errors[0].message)  # 04/03 would read as April 3
    record.refresh_from_db()
    conflict.refresh_from_db()
    assert (record.date_of_birth, record.version, conflict.status) == (date(1990, 4, 3), 1, "open")
    assert review(actor=officer, conflict=conflict, decision="keep").status == "kept"


def test_a_row_the_record_was_kept_over_is_on_the_roster_to_fix_until_sent_again_agreeing(
    run, record, officer, org, rep, client
):
    """The health staff answer "the record is right": the row only left the waiting card, and the organization had
    to find which import said why (browser review). The roster lists it to fix until a row agreeing with the
    record puts the person on the roster."""
    run(conflict_file(record))
    conflict = RosterConflict.objects.get()
    client.force_login(rep)
    roster = f"/organizations/{org.public_id}/"
    page = client.get(roster).content.decode()
    assert 'id="roster-conflicts-waiting"' in page and 'id="roster-conflicts-to-fix"' not in page
    review(actor=officer, conflict=conflict, decision="keep")
    page = client.get(roster).content.decode()
    assert 'id="roster-conflicts-waiting"' not in page
    card = page.split('id="roster-conflicts-to-fix"')[1].split("</section>")[0]
    assert "Dòng cần sửa: hồ sơ là đúng" in card and "Trần Thị Mai" in card and "hồ sơ là đúng: họ tên" in card
    fixed = the_row(record, **{"Ngày sinh": record.date_of_birth.strftime("%d/%m/%Y")})
    again = run(xlsx_bytes(table([fixed])))
    assert (again.created, again.refused, again.linked + again.updated) == (0, 0, 1) and RosterEntry.objects.filter(
        organization=org, person=record
    ).exists()
    assert 'id="roster-conflicts-to-fix"' not in client.get(roster).content.decode()


def test_a_record_corrected_elsewhere_does_not_join_a_roster_that_lists_the_row_s_person_already(
    run, record, officer, org
):
    """The record corrected by hand (or by another organization's review, or a merge) to agree with the row,
    while this roster lists the row's person as another record: the conflict has nothing left to answer, and is
    withdrawn; the record does not join the roster, which would list that person twice (what a review refuses)."""
    from vaxbook.registry.services import person_update

    run(conflict_file(record))
    conflict = RosterConflict.objects.get()
    listed = PersonFactory(full_name="Trần Thị Mai", date_of_birth=DOB, sex="F", id_number=cccd_for(DOB, "F", 779))
    RosterEntry.objects.create(organization=org, person=listed)
    person_update(actor=officer, person=record, changes={"date_of_birth": DOB}, expected_version=record.version)
    conflict.refresh_from_db()
    assert conflict.status == "withdrawn"
    assert not RosterEntry.objects.filter(organization=org, person=record).exists()
    assert RosterEntry.objects.filter(organization=org, person__full_name="Trần Thị Mai").count() == 1


def test_a_correction_made_while_an_import_decides_its_row_opens_no_conflict_left_to_review(
    run, record, officer, org, monkeypatch
):
    """A reviewer corrects the record between an import's decision (a conflict) and its write: the chunk is
    decided again on the corrected record, and its row links, rather than opening a new conflict about a
    record that now agrees with it."""
    from vaxbook.organizations import services

    run(conflict_file(record))
    conflict = RosterConflict.objects.get()
    original = services._ImportRun._prepare
    reviewed: list[bool] = []

    def decide_then_review(run, rows, *args):
        chunk = original(run, rows, *args)  # the row decided a conflict, on the record as it was
        if not reviewed:
            reviewed.append(True)
            review(actor=officer, conflict=RosterConflict.objects.get(pk=conflict.pk), decision="correct")
        return chunk

    monkeypatch.setattr(services._ImportRun, "_prepare", decide_then_review)
    again = run(conflict_file(record, **{"Bộ phận": "Kho"}))
    assert (again.status, again.linked + again.updated, again.refused) == ("done", 2, 0)
    assert list(RosterConflict.objects.values_list("status", flat=True)) == ["corrected"]
    assert RosterEntry.objects.get(organization=org, person=record).department == "Kho"


def test_a_row_already_answered_keep_is_not_asked_again_while_another_row_about_the_record_waits(
    run, record, officer, org
):
    run(conflict_file(record))
    first = RosterConflict.objects.get()
    assert review(actor=officer, conflict=first, decision="keep").status == "kept"
    run(conflict_file(record, **{"Họ và tên": "Trần Thị Mây"}))  # another row about the record: asked
    waiting = RosterConflict.objects.get(status="open")
    assert waiting.submitted["full_name"] == "Trần Thị Mây"
    run(conflict_file(record))  # the row answered "keep", sent again: not asked, and the other still waits
    waiting.refresh_from_db()
    assert (waiting.status, waiting.submitted["full_name"]) == ("open", "Trần Thị Mây")
    assert RosterConflict.objects.filter(status="kept").count() == 1


def test_the_organization_s_export_sent_back_does_not_withdraw_a_conflict(run, record, org):
    """The export repeats the record's values: its row agreeing with the record is no answer from the
    organization, and the reviewers still have the row to answer."""
    run(conflict_file(record))
    RosterEntry.objects.create(organization=org, person=record)  # on the roster already: in its export
    headers = [*HEADERS, "Tình trạng dữ liệu"]
    echoed = the_row(record, **{"Ngày sinh": "03/04/1990", "Tình trạng dữ liệu": "Đủ và đúng"})
    again = run(xlsx_bytes(table([echoed], headers=headers)))
    assert (again.accepted, again.refused) == (1, 0)  # linked to the record (its blanks filled from the row)
    assert RosterConflict.objects.get().status == "open"
    chunk = AuditEvent.objects.filter(action="organizations.roster.imported").order_by("-id").first()
    assert chunk.data["conflicts_withdrawn"] == 0


def test_the_reviewer_corrects_the_record_and_the_person_joins_the_roster(run, record, officer, org):
    run(conflict_file(record))
    conflict = RosterConflict.objects.get()
    done = review(actor=officer, conflict=conflict, decision="correct", person_version=1)
    assert (done.status, done.resolved_by) == ("corrected", officer)
    record.refresh_from_db()
    assert (record.full_name, record.date_of_birth, record.version) == ("Trần Thị Mai", DOB, 2)
    assert record.data_status == Person.DataStatus.COMPLETE
    entry = RosterEntry.objects.get(organization=org, person=record)
    assert entry.department == "Kế toán"
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "registry.person.updated",
        "organizations.roster_conflict.reviewed",
        "organizations.roster_entry.created",
    } <= actions
    # The organization's file now links the person: nothing refused, nobody created twice.
    again = run(conflict_file(record))
    assert (again.refused, again.created, again.linked + again.updated) == (0, 0, 2)


def test_keeping_the_record_is_said_to_the_organization_and_not_asked_again(run, record, officer, client, rep):
    run(conflict_file(record))
    conflict = RosterConflict.objects.get()
    review(actor=officer, conflict=conflict, decision="keep")
    record.refresh_from_db()
    assert (record.date_of_birth, record.version) == (date(1990, 4, 3), 1)
    assert not RosterEntry.objects.filter(person=record).exists()
    again = run(conflict_file(record))
    assert again.refused == 1
    conflict.refresh_from_db()
    assert (conflict.status, conflict.roster_import) == ("kept", again)  # answered: not reopened
    assert RosterConflict.objects.count() == 1
    client.force_login(rep)
    page = client.get(f"/organizations/imports/{again.public_id}/").content.decode()
    assert 'id="import-conflicts"' in page and 'data-status="kept"' in page
    # A row with another identity for the same document is a new question.
    run(conflict_file(record, **{"Họ và tên": "Trần Thị Mây"}))
    assert RosterConflict.objects.filter(status="open").count() == 1


def test_a_review_refused_says_why_and_changes_nothing(run, record, officer, rep, clerk_b):
    run(conflict_file(record))
    conflict = RosterConflict.objects.get()
    with pytest.raises(DomainError) as unknown:
        review(actor=officer, conflict=conflict, decision="merge")
    assert unknown.value.errors[0].code == "decision_unknown" and unknown.value.errors[0].field == "decision"
    with pytest.raises(NotFound):  # the organization sees its row on its import, not the record
        review(actor=rep, conflict=conflict, decision="correct")
    with pytest.raises(NotFound):  # a facility with no tie to the record
        review(actor=clerk_b, conflict=conflict, decision="correct")
    with pytest.raises(Conflict) as stale:  # the record was edited since the page was shown
        review(actor=officer, conflict=conflict, decision="correct", person_version=7)
    assert stale.value.errors[0].code == "edit_conflict"
    conflict.refresh_from_db()
    record.refresh_from_db()
    assert conflict.status == "open" and record.version == 1
    assert not RosterEntry.objects.filter(person=record).exists()
    review(actor=officer, conflict=conflict, decision="keep")
    with pytest.raises(Conflict) as twice:
        review(actor=officer, conflict=conflict, decision="correct")
    assert twice.value.errors[0].code == "conflict_reviewed"


def test_a_record_corrected_by_hand_answers_the_conflict(run, record, officer, org, rep):
    run(conflict_file(record))
    conflict = RosterConflict.objects.get()
    person_update(actor=officer, person=record, changes={"phone": "0911111112"})  # not what it is about
    conflict.refresh_from_db()
    assert conflict.is_open
    person_update(actor=officer, person=record, changes={"full_name": "Trần Thị Mây"})  # still not the row
    conflict.refresh_from_db()
    assert conflict.is_open and not RosterEntry.objects.filter(person=record).exists()
    # At the unit's desk, the birth date is corrected from the card, and the name back: the record now is the row.
    record.refresh_from_db()
    person_update(actor=officer, person=record, changes={"full_name": "TRẦN THỊ MAI", "date_of_birth": DOB})
    conflict.refresh_from_db()
    assert (conflict.status, conflict.resolved_by) == ("corrected", officer)
    assert RosterEntry.objects.get(organization=org, person=record).department == "Kế toán"
    answer = AuditEvent.objects.get(action="organizations.roster_conflict.reviewed")
    assert (answer.data["decision"], answer.data["by"]) == ("correct", "record_edit")
    again = run(conflict_file(record))
    assert (again.refused, again.created) == (0, 0)


def test_a_review_settles_the_other_organizations_conflicts_it_answers(run, record, officer, rep, org):
    from vaxbook.common.testing import OrganizationFactory

    other = OrganizationFactory(name="Công ty Khác")
    run(conflict_file(record))
    elsewhere = RosterConflict.objects.create(
        organization=other,
        person=record,
        roster_import=RosterImport.objects.get(),
        row_number=5,
        submitted={**RosterConflict.objects.get().submitted, "department": "Xưởng"},
    )
    mine = RosterConflict.objects.get(organization=org)
    review(actor=officer, conflict=mine, decision="correct")
    elsewhere.refresh_from_db()
    assert elsewhere.status == "corrected"  # the same row's identity: the record now agrees with it too
    assert RosterEntry.objects.get(organization=other, person=record).department == "Xưởng"
    bys = sorted(
        AuditEvent.objects.filter(action="organizations.roster_conflict.reviewed").values_list("data__by", flat=True)
    )
    assert bys == ["record_edit", "review"]


def test_a_merge_takes_the_rosters_along(record, org, rep, admin_user):
    from vaxbook.common.testing import OrganizationFactory

    other = OrganizationFactory(name="Công ty Khác")
    survivor = PersonFactory(ward=record.ward)
    RosterEntry.objects.create(organization=org, person=record, department="Kế toán", employee_number="")
    RosterEntry.objects.create(organization=org, person=survivor, department="", employee_number="NV-7")
    moved = RosterEntry.objects.create(organization=other, person=record, department="Kho")
    person_merge(actor=admin_user, duplicate=record, into=survivor)
    assert not RosterEntry.objects.filter(person=record).exists()
    kept = RosterEntry.objects.get(organization=org, person=survivor)
    assert (kept.department, kept.employee_number) == ("Kế toán", "NV-7")  # the blanks filled, nothing replaced
    moved.refresh_from_db()
    assert (moved.person, moved.department) == (survivor, "Kho")
    assert AuditEvent.objects.filter(action="organizations.roster_entry.merged").count() == 2


def test_a_merge_answers_or_moves_the_open_conflicts(run, record, officer, org, admin_user):
    run(conflict_file(record))
    conflict = RosterConflict.objects.get()
    # The record merged into one that is someone else by name: the question moves to that record.
    survivor = PersonFactory(ward=record.ward, full_name="Trần Thị Mơ", date_of_birth=DOB, sex="F")
    person_merge(actor=admin_user, duplicate=record, into=survivor)
    conflict.refresh_from_db()
    assert (conflict.status, conflict.person, conflict.version) == ("open", survivor, 2)
    with pytest.raises(Conflict) as stale:  # a page of the old record is stale
        review(actor=officer, conflict=conflict, decision="correct", conflict_version=1)
    assert stale.value.errors[0].code == "conflict_changed"
    review(actor=officer, conflict=conflict, decision="correct", conflict_version=2)
    survivor.refresh_from_db()
    assert survivor.full_name == "Trần Thị Mai"
    assert RosterEntry.objects.filter(organization=org, person=survivor).exists()


def test_a_merge_into_the_record_the_row_meant_answers_the_conflict(run, record, officer, org, admin_user):
    run(conflict_file(record))
    survivor = PersonFactory(ward=record.ward, full_name="Trần Thị Mai", date_of_birth=DOB, sex="F")
    person_merge(actor=admin_user, duplicate=record, into=survivor)
    conflict = RosterConflict.objects.get()
    assert (conflict.status, conflict.person, conflict.resolved_by) == ("corrected", record, admin_user)
    assert RosterEntry.objects.get(organization=org, person=survivor).department == "Kế toán"
    answer = AuditEvent.objects.get(action="organizations.roster_conflict.reviewed")
    assert answer.data["by"] == "merge"


def test_a_merged_record_whose_organization_asks_about_the_survivor_too_is_kept_not_corrected(
    run, record, officer, admin_user
):
    survivor = PersonFactory(ward=record.ward, full_name="Lê Văn Hùng", date_of_birth=date(1970, 1, 1))
    row = person_row(
        3,
        **{"Họ và tên": "Lê Văn Hải", "Giới tính": "Nam", "Số giấy tờ": survivor.id_number, "Ngày sinh": "01/01/1970"},
    )
    run(xlsx_bytes(table([the_row(record), row])))
    assert RosterConflict.objects.filter(status="open").count() == 2
    person_merge(actor=admin_user, duplicate=record, into=survivor)
    left = RosterConflict.objects.get(person=record)
    assert left.is_open  # the organization's question about the survivor is the one asked
    with pytest.raises(Conflict) as merged:
        review(actor=officer, conflict=left, decision="correct")
    assert merged.value.errors[0].code == "person_merged"
    assert review(actor=officer, conflict=left, decision="keep").status == "kept"


# -- the pages ------------------------------------------------------------------------------------


def test_the_link_counts_only_the_conflicts_the_reviewer_may_answer(run, record, officer, clerk_b, client):
    run(conflict_file(record))
    client.force_login(clerk_b)  # the record is outside this clerk's area: nothing waits for them
    assert 'id="roster-conflicts-count"' not in client.get("/registry/").content.decode()
    client.force_login(officer)
    assert 'id="roster-conflicts-count">1</span>' in client.get("/registry/").content.decode()


def test_the_reviewer_s_home_says_how_many_rows_wait(run, record, officer, clerk_b, rep, client):
    client.force_login(officer)
    home = client.get("/").content.decode()
    assert 'data-tile="conflicts"' in home and "không có dòng nào đang chờ" in home
    run(conflict_file(record))
    home = client.get("/").content.decode()
    assert '<span class="muted tile-sub" id="tile-conflicts-waiting">1 dòng đang chờ bạn xem xét</span>' in home
    client.force_login(clerk_b)  # outside their area: none of theirs waits
    assert "không có dòng nào đang chờ" in client.get("/").content.decode()
    client.force_login(rep)  # an organization reviews no record: no tile
    assert 'data-tile="conflicts"' not in client.get("/").content.decode()


def test_the_page_says_when_the_organization_s_own_roster_lists_the_record_as_it_is(run, record, officer, org, client):
    """A record the organization itself listed (its earlier file): the row either corrects that file or is
    another of its staff under a mistyped number; the reviewer is told which file listed it."""
    run(conflict_file(record))
    conflict = RosterConflict.objects.get()
    client.force_login(officer)
    url = f"/organizations/conflicts/{conflict.public_id}/"
    assert 'id="conflict-listed"' not in client.get(url).content.decode()  # not on its roster
    listing = run(xlsx_bytes(table([person_row(3)])))
    RosterEntry.objects.create(organization=org, person=record, last_import=listing)
    page = client.get(url).content.decode()
    hint = page.split('id="conflict-listed">')[1].split("</p>")[0]
    assert org.name in hint and listing.original_name in hint and "gõ nhầm số giấy tờ" in hint


def test_the_reviewer_compares_and_corrects_on_the_page(run, record, officer, client):
    run(conflict_file(record))
    conflict = RosterConflict.objects.get()
    client.force_login(officer)
    listing = client.get("/registry/").content.decode()
    assert 'id="roster-conflicts-link"' in listing
    assert '<span class="status status-incomplete" id="roster-conflicts-count">1</span>' in listing
    on_record = client.get(f"/registry/persons/{record.public_id}/").content.decode()
    assert 'id="roster-conflicts"' in on_record and f"/organizations/conflicts/{conflict.public_id}/" in on_record
    page = client.get("/organizations/conflicts/").content.decode()
    assert f"/organizations/conflicts/{conflict.public_id}/" in page and "Trần Thị Mai" in page
    assert "Trần Thị Mai</a>, 04/03/1990" in page  # the row's birth date beside the record's: what differs
    detail = client.get(f"/organizations/conflicts/{conflict.public_id}/").content.decode()
    assert 'id="conflict-review"' in detail and "cho đến khi có câu trả lời" in detail
    assert detail.count('class="differs"') == 2  # the birth date and the phone; name, sex and document agree
    assert "04/03/1990" in detail and "03/04/1990" in detail
    response = client.post(
        f"/organizations/conflicts/{conflict.public_id}/",
        {"decision": "correct", "person_version": "1", "conflict_version": "1"},
        follow=True,
    )
    body = response.content.decode()
    assert response.status_code == 200 and 'id="conflict-decision"' in body
    assert "hồ sơ được giữ nguyên" not in body  # answered: no longer said to be waiting
    record.refresh_from_db()
    assert record.date_of_birth == DOB
    assert 'id="no-conflicts"' in client.get("/organizations/conflicts/").content.decode()  # none open now
    reviewed = client.get("/organizations/conflicts/?status=corrected").content.decode()
    assert 'data-status="corrected"' in reviewed
    # "Received" is when the row came, not when it was answered (the list is in the order they came).
    received = timezone.localtime(conflict.created_at).strftime("%d/%m/%Y %H:%M")
    RosterConflict.objects.filter(pk=conflict.pk).update(created_at=conflict.created_at - timedelta(days=3))
    three_days_ago = timezone.localtime(conflict.created_at - timedelta(days=3)).strftime("%d/%m/%Y %H:%M")
    listed = client.get("/organizations/conflicts/?status=corrected").content.decode()
    assert three_days_ago in listed and received != three_days_ago


def test_a_stale_page_says_so_and_the_record_stays(run, record, officer, client):
    run(conflict_file(record))
    conflict = RosterConflict.objects.get()
    client.force_login(officer)
    response = client.post(
        f"/organizations/conflicts/{conflict.public_id}/",
        {"decision": "correct", "person_version": "9", "conflict_version": "1"},
        follow=True,
    )
    assert "Hồ sơ đã được người khác thay đổi" in response.content.decode()  # edit_conflict, said on the page
    conflict.refresh_from_db()
    assert conflict.status == "open"


def test_the_organization_sees_its_rows_and_the_answer_not_the_record(run, record, rep, client):
    imp = run(conflict_file(record))
    client.force_login(rep)
    page = client.get(f"/organizations/imports/{imp.public_id}/").content.decode()
    assert 'id="import-conflicts"' in page and 'data-status="open"' in page
    assert "Trần Thị Mai" in page
    assert "03/04/1990" not in page and record.phone not in page  # the record's values are not shown
    assert client.get("/organizations/conflicts/").status_code == 403
    conflict = RosterConflict.objects.get()
    assert client.get(f"/organizations/conflicts/{conflict.public_id}/").status_code == 404


def test_an_earlier_import_says_its_row_is_reviewed_on_the_later_one(run, record, rep, client):
    """The same conflicting row sent again in a later file: the one open review moves to the later import,
    and the earlier import's page says where it went rather than listing fewer rows than it refused."""
    first = run(conflict_file(record))
    second = run(conflict_file(record))
    assert first.refusals == second.refusals == {"document_conflict": 1}
    assert RosterConflict.objects.get().roster_import == second
    client.force_login(rep)
    earlier = client.get(f"/organizations/imports/{first.public_id}/").content.decode()
    assert 'id="import-conflicts"' not in earlier and 'id="conflicts-later"' in earlier
    assert "1 dòng khác bị từ chối vì số giấy tờ" in earlier
    later = client.get(f"/organizations/imports/{second.public_id}/").content.decode()
    assert 'id="import-conflicts"' in later and 'id="conflicts-later"' not in later


# -- the API --------------------------------------------------------------------------------------


def test_the_api_lists_shows_and_reviews(run, record, officer, api):
    imp = run(conflict_file(record))
    api.as_user(officer)
    listed = api.get("/api/v1/roster-conflicts").json()
    assert [c["record"]["id"] for c in listed] == [str(record.public_id)]
    conflict_id = listed[0]["id"]
    shown = api.get(f"/api/v1/roster-conflicts/{conflict_id}").json()
    assert shown["submitted"]["date_of_birth"] == "1990-03-04" and shown["record"]["date_of_birth"] == "1990-04-03"
    assert shown["roster_import_id"] == str(imp.public_id) and shown["row"] == 2
    bad = api.post_json(f"/api/v1/roster-conflicts/{conflict_id}/review", {"decision": "merge"})
    assert bad.status_code == 422 and "decision" in bad.content.decode()
    stale = api.post_json(
        f"/api/v1/roster-conflicts/{conflict_id}/review",
        {"decision": "correct", "person_version": 5, "conflict_version": 1},
    )
    assert stale.status_code == 409 and stale.json()["errors"][0]["code"] == "edit_conflict"
    done = api.post_json(
        f"/api/v1/roster-conflicts/{conflict_id}/review",
        {"decision": "correct", "person_version": 1, "conflict_version": 1},
    )
    assert done.status_code == 200
    assert done.json()["status"] == "corrected" and done.json()["record"]["date_of_birth"] == "1990-03-04"
    again = api.post_json(
        f"/api/v1/roster-conflicts/{conflict_id}/review",
        {"decision": "keep", "person_version": 2, "conflict_version": 1},
    )
    assert again.status_code == 409 and again.json()["errors"][0]["code"] == "conflict_reviewed"
    assert api.get("/api/v1/roster-conflicts").json() == []
    assert [c["status"] for c in api.get("/api/v1/roster-conflicts?status=all").json()] == ["corrected"]


def test_the_api_keeps_the_record_from_the_organization(run, record, rep, clerk_b, api):
    imp = run(conflict_file(record))
    conflict = RosterConflict.objects.get()
    rows = api.as_user(rep).get(f"/api/v1/roster-imports/{imp.public_id}/conflicts").json()
    assert rows == [
        {
            "id": str(conflict.public_id),
            "row": 2,
            "full_name": "Trần Thị Mai",
            "date_of_birth": "1990-03-04",
            "id_type": "cccd",
            "id_number": record.id_number,
            "status": "open",
            "reviewed_at": None,
        }
    ]
    assert api.get("/api/v1/roster-conflicts").json() == []
    assert api.get(f"/api/v1/roster-conflicts/{conflict.public_id}").status_code == 404
    review = api.post_json(
        f"/api/v1/roster-conflicts/{conflict.public_id}/review",
        {"decision": "correct", "person_version": 1, "conflict_version": 1},
    )
    assert review.status_code == 404
    assert api.as_user(clerk_b).get(f"/api/v1/roster-conflicts/{conflict.public_id}").status_code == 404
    assert api.get(f"/api/v1/roster-imports/{imp.public_id}/conflicts").status_code == 404


def test_the_reviewer_finds_a_conflict_by_number_name_or_organization(run, record, officer, client, api):
    run(conflict_file(record))
    conflict = RosterConflict.objects.get()
    spaced = " ".join([record.id_number[:3], record.id_number[3:6], record.id_number[6:]])
    for q, found in ((spaced, True), ("tran thi mai", True), ("thử nghiệm", True), ("Nguyễn Khác", False)):
        listed = api.as_user(officer).get("/api/v1/roster-conflicts", {"q": q}).json()
        assert [c["id"] for c in listed] == ([str(conflict.public_id)] if found else []), q
    client.force_login(officer)
    page = client.get("/organizations/conflicts/", {"q": "tran thi mai"}).content.decode()
    assert f"/organizations/conflicts/{conflict.public_id}/" in page and 'id="conflict-search"' in page
    assert api.get("/api/v1/roster-conflicts", {"q": "x" * 101}).status_code == 422


def test_records_merged_before_rosters_followed_are_folded_once(run, record, org, rep, capsys):
    """A merge that sent no signal (made before rosters followed a merge): the command moves what is left."""
    from django.core.management import call_command

    from vaxbook.common.testing import OrganizationFactory

    run(conflict_file(record))  # `org` asks about `record`
    other = OrganizationFactory(name="Công ty Khác")
    survivor = PersonFactory(ward=record.ward, full_name="Trần Thị Mai", date_of_birth=DOB, sex="F")
    RosterEntry.objects.create(organization=other, person=record, department="Kho")
    RosterEntry.objects.create(organization=other, person=survivor, department="", employee_number="NV-9")
    Person.objects.filter(pk=record.pk).update(merged_into=survivor)  # the old merge: rosters left behind
    call_command("rosters_fold_merged")
    assert "1 merged record(s)" in capsys.readouterr().out
    assert not RosterEntry.objects.filter(person=record).exists()
    kept = RosterEntry.objects.get(organization=other, person=survivor)
    assert (kept.department, kept.employee_number) == ("Kho", "NV-9")
    conflict = RosterConflict.objects.get()  # the survivor agrees with the row: answered, and on the roster
    assert (conflict.status, conflict.resolved_by) == ("corrected", None)
    assert RosterEntry.objects.get(organization=org, person=survivor).department == "Kế toán"
    assert AuditEvent.objects.get(action="organizations.roster_conflict.reviewed").data["by"] == "merge"
    call_command("rosters_fold_merged")  # nothing left to move
    assert "0 merged record(s)" in capsys.readouterr().out


def test_the_organization_sees_every_row_waiting_for_review_on_its_roster_and_in_the_api(
    run, record, rep, officer, org, province, client, api
):
    """Rows kept for review were listed only on the page of the import that sent them: the representative of
    an organization with many files did not know who waited. The roster names them, with the file and row;
    the API lists them; nobody of another organization sees them, and the record's values are never shown."""
    from vaxbook.common.testing import OrganizationFactory, Role, make_member

    imp = run(conflict_file(record))
    conflict = RosterConflict.objects.get()
    client.force_login(rep)
    roster = client.get(f"/organizations/{org.public_id}/").content.decode()
    waiting = roster.split('id="roster-conflicts-waiting"')[1].split("</section>")[0]
    assert "Trần Thị Mai" in waiting and f"/organizations/imports/{imp.public_id}/#import-conflicts" in waiting
    assert "03/04/1990" not in waiting and record.phone not in waiting
    url = f"/api/v1/organizations/{org.public_id}/roster-conflicts"
    rows = api.as_user(rep).get(url).json()
    assert [(r["id"], r["status"], r["roster_import_id"], r["row"]) for r in rows] == [
        (str(conflict.public_id), "open", str(imp.public_id), 2)
    ]
    assert rows[0]["roster_import_name"] == imp.original_name and "record" not in rows[0]
    imp.refresh_from_db()
    assert rows[0]["received_at"].startswith(imp.created_at.strftime("%Y-%m-%dT%H:%M"))
    other = make_member(Role.ORG_REPRESENTATIVE, organization=OrganizationFactory(admin_unit=province))
    assert api.as_user(other).get(url).status_code == 404
    bad = api.as_user(rep).get(url + "?status=maybe")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "status"
    officer_client = api.as_user(officer)
    officer_client.post_json(
        f"/api/v1/roster-conflicts/{conflict.public_id}/review",
        {"decision": "keep", "person_version": 1, "conflict_version": 1},
    )
    assert api.as_user(rep).get(url).json() == []
    assert [r["status"] for r in api.as_user(rep).get(url + "?status=all").json()] == ["kept"]
    after = client.get(f"/organizations/{org.public_id}/").content.decode()
    assert 'id="roster-conflicts-waiting"' not in after  # answered: the import's page says what to do


def test_a_row_sent_again_is_listed_with_the_file_that_sent_it_last(run, record, rep, org, client):
    """A row sent again moves to the later file: the roster lists it with that file and when it came (it kept
    the first file's date, older than the file its link led to, and its place in "the latest first")."""
    first = run(conflict_file(record))
    RosterImport.objects.filter(pk=first.pk).update(created_at=timezone.now() - timedelta(days=30))
    RosterConflict.objects.update(created_at=timezone.now() - timedelta(days=30))
    second = run(conflict_file(record))
    client.force_login(rep)
    roster = client.get(f"/organizations/{org.public_id}/").content.decode()
    waiting = roster.split('id="roster-conflicts-waiting"')[1].split("</section>")[0]
    second.refresh_from_db()
    assert f"/organizations/imports/{second.public_id}/" in waiting
    assert timezone.localtime(second.created_at).strftime("%d/%m/%Y %H:%M") in waiting
    assert timezone.localtime(timezone.now() - timedelta(days=30)).strftime("%d/%m/%Y") not in waiting


def test_a_review_names_the_versions_it_compared(run, record, officer, api, client):
    """A decision on values nobody saw is no review: both versions are required, in the service, the API and the
    page, and a record edited meanwhile refuses "keep" as it refuses "correct"."""
    run(conflict_file(record))
    conflict = RosterConflict.objects.get()
    with pytest.raises(DomainError) as unsaid:
        roster_conflict_review(
            actor=officer, conflict=conflict, decision="keep", person_version=None, conflict_version=None
        )
    assert [(e.field, e.code) for e in unsaid.value.errors] == [
        ("person_version", "version_required"),
        ("conflict_version", "version_required"),
    ]
    url = f"/api/v1/roster-conflicts/{conflict.public_id}/review"
    missing = api.as_user(officer).post_json(url, {"decision": "keep", "person_version": 1})
    assert missing.status_code == 422
    assert [(e["field"], e["code"]) for e in missing.json()["errors"]] == [("conflict_version", "required")]
    for person_version in (True, "1", 0, -1, 10**30, 1.5):  # a JSON number from 1, not a truth or a text
        odd = api.post_json(url, {"decision": "keep", "person_version": person_version, "conflict_version": 1})
        assert odd.status_code == 422 and odd.json()["errors"][0]["field"] == "person_version", person_version
    client.force_login(officer)
    page = client.post(f"/organizations/conflicts/{conflict.public_id}/", {"decision": "keep"}, follow=True)
    assert "Chưa nói rõ phiên bản hồ sơ bạn đã so sánh" in page.content.decode()
    for odd in ("²", "١", "9" * 5000, "-1", " 1", "0"):  # digits to Python, not as the page writes a version
        page = client.post(
            f"/organizations/conflicts/{conflict.public_id}/",
            {"decision": "keep", "person_version": odd, "conflict_version": "1"},
            follow=True,
        )
        assert page.status_code == 200 and "Chưa nói rõ phiên bản hồ sơ bạn đã so sánh" in page.content.decode()
    person_update(actor=officer, person=record, changes={"phone": "0912345678"})
    stale = api.post_json(url, {"decision": "keep", "person_version": 1, "conflict_version": 1})
    assert stale.status_code == 409 and stale.json()["errors"][0]["code"] == "edit_conflict"
    conflict.refresh_from_db()
    assert conflict.status == "open"
    assert not AuditEvent.objects.filter(action="organizations.roster_conflict.reviewed").exists()
    kept = api.post_json(url, {"decision": "keep", "person_version": 2, "conflict_version": 1})
    assert kept.status_code == 200 and kept.json()["status"] == "kept"


def _typed_elsewhere(rows: list[dict[str, Any]], ward: Any) -> None:
    """Each row's record, typed at a site with another birth day: each row of a file a conflict."""
    for row in rows:
        born = date.fromisoformat("-".join(reversed(row["Ngày sinh"].split("/"))))
        PersonFactory(
            full_name=row["Họ và tên"],
            date_of_birth=born.replace(day=20),
            sex="F" if row["Giới tính"] == "Nữ" else "M",
            id_number=row["Số giấy tờ"],
            ward=ward,
        )


def test_an_ended_import_with_many_rows_for_review_lists_the_first_and_the_api_pages_them(
    run, places, rep, client, api, monkeypatch
):
    """A file of 20,000 such rows answered them all at once: 4.6 MB from the API, a 2 MB page. The page lists
    the first CONFLICTS_LISTED and says the error report holds them all; the API takes limit and offset."""
    from vaxbook.organizations import views

    monkeypatch.setattr(views, "CONFLICTS_LISTED", 3)
    rows = [person_row(n) for n in range(1, 6)]
    _typed_elsewhere(rows, places)
    imp = run(xlsx_bytes(table(rows)))
    assert imp.refusals["document_conflict"] == 5
    client.force_login(rep)
    page = client.get(f"/organizations/imports/{imp.public_id}/").content.decode()
    listed = page.split('id="import-conflicts"')[1].split("</div>")[0]
    assert listed.count('<tr data-status="open">') == 3
    assert "3 dòng đầu trong số 5: báo cáo lỗi liệt kê đầy đủ các dòng này" in listed
    reported = openpyxl.load_workbook(io.BytesIO(imp.error_report.read())).worksheets[0]
    assert reported.max_row == 6  # the header and the five rows
    path = f"/api/v1/roster-imports/{imp.public_id}/conflicts"
    client_api = api.as_user(rep)
    assert [c["row"] for c in client_api.get(path).json()] == [2, 3, 4, 5, 6]
    assert [c["row"] for c in client_api.get(path + "?limit=2&offset=3").json()] == [5, 6]
    refused = client_api.get(path + "?limit=201")
    assert (refused.status_code, refused.json()["errors"][0]["field"]) == (422, "limit")


def test_a_running_import_s_page_lists_the_rows_its_saved_chunks_sent_for_review(run, places, rep, client):
    """The roster links a waiting row to the import that sent it last; while that import still ran, its page
    listed none. Now it lists the first few its saved chunks sent, and says the whole list comes at the end."""
    from vaxbook.organizations.views import CONFLICTS_SHOWN

    rows = [person_row(n) for n in range(1, CONFLICTS_SHOWN + 9)]
    _typed_elsewhere(rows, places)
    imp = run(xlsx_bytes(table(rows)))
    assert imp.refusals["document_conflict"] == len(rows) == RosterConflict.objects.count()
    client.force_login(rep)
    done = client.get(f"/organizations/imports/{imp.public_id}/").content.decode()
    assert done.count('<tr data-status="open">') == len(rows) and 'id="conflicts-so-far"' not in done
    RosterImport.objects.filter(pk=imp.pk).update(status="running", progress=60)  # its chunks saved so far
    running = client.get(f"/organizations/imports/{imp.public_id}/status/").content.decode()
    listed = running.split('id="import-conflicts"')[1].split("</div>")[0]
    assert "Đến lúc này, các dòng sau" in listed and 'id="import-counts"' not in running
    assert listed.count('<tr data-status="open">') == CONFLICTS_SHOWN and rows[0]["Họ và tên"] in listed
    assert f"{CONFLICTS_SHOWN} dòng đầu trong {len(rows)} dòng đến lúc này" in listed
    assert 'id="conflicts-later"' not in running
    # A later file took over the first five rows' review meanwhile: the page counts the rows still its own
    later = RosterImport.objects.create(
        organization=imp.organization, uploaded_by=rep, original_name="later.xlsx", status="running"
    )
    moved = RosterConflict.objects.filter(roster_import=imp).order_by("row_number")[:5]
    RosterConflict.objects.filter(pk__in=[c.pk for c in moved]).update(roster_import=later)
    running = client.get(f"/organizations/imports/{imp.public_id}/status/").content.decode()
    listed = running.split('id="import-conflicts"')[1].split("</div>")[0]
    assert f"{CONFLICTS_SHOWN} dòng đầu trong {len(rows) - 5} dòng đến lúc này" in listed
    assert 'id="conflicts-later">5 ' in running
    RosterConflict.objects.update(roster_import=later)  # all of them: the page says where they went
    running = client.get(f"/organizations/imports/{imp.public_id}/status/").content.decode()
    assert 'id="import-conflicts"' not in running and f'id="conflicts-later">{len(rows)} ' in running
