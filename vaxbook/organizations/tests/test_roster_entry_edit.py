"""A representative corrects a staff member's department or employee number on the roster: the import's rules
for those texts, the audit, a change made meanwhile said and not overwritten, and only the representatives.

The cast: `org` and its representative `rep`; `officer` sees the roster but does not change it.
"""

import pytest

from vaxbook.common.errors import Conflict, DomainError, Forbidden, NotFound
from vaxbook.common.models import AuditEvent
from vaxbook.common.testing import PersonFactory
from vaxbook.organizations.models import RosterEntry
from vaxbook.organizations.services import roster_entry_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry(org, places):
    return RosterEntry.objects.create(
        organization=org, person=PersonFactory(ward=places), department="Kế toán", employee_number="NV-001"
    )


def update(rep, org, entry, **kwargs):
    return roster_entry_update(actor=rep, organization=org, person_id=entry.person.public_id, **kwargs)


def test_the_department_and_number_are_cleaned_saved_and_audited(rep, org, entry):
    saved = update(rep, org, entry, changes={"department": "  Phòng\u00a0 Kỹ thuật ", "employee_number": "NV-002"})
    entry.refresh_from_db()
    assert (
        (entry.department, entry.employee_number)
        == ("Phòng Kỹ thuật", "NV-002")
        == (
            saved.department,
            saved.employee_number,
        )
    )
    event = AuditEvent.objects.get(action="organizations.roster_entry.updated")
    assert event.data["changes"] == {
        "department": ["Kế toán", "Phòng Kỹ thuật"],
        "employee_number": ["NV-001", "NV-002"],
    }
    update(rep, org, entry, changes={"department": "Phòng Kỹ thuật"})  # nothing changes: no event
    assert AuditEvent.objects.filter(action="organizations.roster_entry.updated").count() == 1
    update(rep, org, entry, changes={"employee_number": ""})  # an empty text clears it
    entry.refresh_from_db()
    assert (entry.department, entry.employee_number) == ("Phòng Kỹ thuật", "")


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"department": "x" * 121}, "department", "text_too_long"),
        ({"employee_number": "9" * 41}, "employee_number", "text_too_long"),
        ({"department": "Phßng KÕ to¸n"}, "department", "text_legacy_encoding"),  # TCVN3, as the import refuses it
        ({"department": "Pho`ng Ke^' toa'n"}, "department", "text_legacy_encoding"),  # VIQR
        ({"department": "Ph?ng K? to?n"}, "department", "text_letters_lost"),
        ({"department": "PhÃ²ng Káº¿ toÃ¡n"}, "department", "text_misread_encoding"),
        ({"full_name": "Ai Đó"}, "full_name", "field_unknown"),
    ],
)
def test_what_the_import_refuses_is_refused_naming_the_field(rep, org, entry, changes, field, code):
    with pytest.raises(DomainError) as refused:
        update(rep, org, entry, changes=changes)
    assert [(e.field, e.code) for e in refused.value.errors] == [(field, code)]
    entry.refresh_from_db()
    assert (entry.department, entry.employee_number) == ("Kế toán", "NV-001")


def test_a_change_made_meanwhile_is_said_not_overwritten(rep, org, entry):
    update(rep, org, entry, changes={"department": "Kho"})  # a colleague, or a file
    with pytest.raises(Conflict) as stale:
        update(rep, org, entry, changes={"department": "Bảo vệ"}, expected={"department": "Kế toán"})
    assert stale.value.errors[0].code == "edit_conflict"
    entry.refresh_from_db()
    assert entry.department == "Kho"


def test_only_the_representatives_change_it_and_only_their_staff(rep, officer, org, entry, places):
    with pytest.raises(Forbidden):
        update(officer, org, entry, changes={"department": "Kho"})
    stranger = PersonFactory(ward=places)
    with pytest.raises(NotFound) as missing:
        roster_entry_update(actor=rep, organization=org, person_id=stranger.public_id, changes={"department": "Kho"})
    assert missing.value.errors[0].code == "roster_entry_not_found"


# -- the page -------------------------------------------------------------------------------------


def test_the_page_shows_saves_and_refuses(rep, officer, org, entry, client):
    url = f"/organizations/{org.public_id}/roster/{entry.person.public_id}/edit/"
    client.force_login(rep)
    roster = client.get(f"/organizations/{org.public_id}/").content.decode()
    assert url in roster
    form = client.get(url).content.decode()
    assert 'value="Kế toán"' in form and 'value="NV-001"' in form
    too_long = client.post(
        url,
        {
            "department": "x" * 121,
            "employee_number": "NV-001",
            "was_department": "Kế toán",
            "was_employee_number": "NV-001",
        },
    )
    assert too_long.status_code == 422 and 'id="id_department_error"' in too_long.content.decode()
    nul = client.post(
        url,
        {
            "department": "Kế\x00toán",
            "employee_number": "NV-001",
            "was_department": "Kế toán",
            "was_employee_number": "NV-001",
        },
    )
    # refused by the form itself: 422 as the service's refusals (it answered 200), in Vietnamese (it was English)
    assert nul.status_code == 422 and "Không được có ký tự rỗng (NUL)." in nul.content.decode()
    saved = client.post(
        url,
        {
            "department": "Kho",
            "employee_number": "NV-001",
            "was_department": "Kế toán",
            "was_employee_number": "NV-001",
        },
    )
    assert saved.status_code == 302
    entry.refresh_from_db()
    assert entry.department == "Kho"
    stale = client.post(
        url,
        {
            "department": "Bảo vệ",
            "employee_number": "NV-001",
            "was_department": "Kế toán",
            "was_employee_number": "NV-001",
        },
    )
    assert stale.status_code == 409 and 'id="roster-entry-errors"' in stale.content.decode()
    entry.refresh_from_db()
    assert entry.department == "Kho"
    client.force_login(officer)
    assert client.get(url).status_code == 403


# -- the API --------------------------------------------------------------------------------------


def test_the_api_patches_the_entry(rep, officer, org, entry, api):
    url = f"/api/v1/organizations/{org.public_id}/roster/{entry.person.public_id}"
    done = api.as_user(rep).patch_json(url, {"department": "Kho", "expected_department": "Kế toán"})
    assert done.status_code == 200
    body = done.json()
    assert (body["department"], body["employee_number"], body["valid_doses"]) == ("Kho", "NV-001", 0)
    refused = api.patch_json(url, {"employee_number": "9" * 41})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "employee_number"
    stale = api.patch_json(url, {"department": "Bảo vệ", "expected_department": "Kế toán"})
    assert stale.status_code == 409 and stale.json()["errors"][0]["code"] == "edit_conflict"
    assert api.as_user(officer).patch_json(url, {"department": "X"}).status_code == 403
    entry.refresh_from_db()
    assert entry.department == "Kho"


def test_an_import_writes_only_the_values_its_file_gives_over_an_edit_made_meanwhile(
    rep, org, places, django_capture_on_commit_callbacks, monkeypatch
):
    """The import reads the roster entries of a chunk, then writes them: a representative's edit made in between
    (of the employee number the file leaves empty) stays; the department the file gives replaces the old."""
    from vaxbook.organizations import services
    from vaxbook.organizations.services import roster_import_start
    from vaxbook.organizations.tests.builders import person_row, table, upload, xlsx_bytes

    def run(rows):
        with django_capture_on_commit_callbacks(execute=True):
            started = roster_import_start(actor=rep, organization=org, upload=upload(xlsx_bytes(table(rows))))
        started.refresh_from_db()
        return started

    first = run([person_row(1, **{"Bộ phận": "Kế toán"}), person_row(2, **{"Bộ phận": ""})])
    assert first.created == 2
    one, two = RosterEntry.objects.filter(organization=org).order_by("person__full_name")
    real = services._ImportRun._roster_write

    def edited_meanwhile(self, chunk):
        RosterEntry.objects.filter(pk=one.pk).update(employee_number="EDIT-2")
        RosterEntry.objects.filter(pk=two.pk).update(department="Kho")
        return real(self, chunk)

    monkeypatch.setattr(services._ImportRun, "_roster_write", edited_meanwhile)
    # the second row stands under a section heading, whose department would fill the blank read
    heading = {"STT": "I", "Họ và tên": "PHÒNG BẢO VỆ"}
    again = run([person_row(1, **{"Bộ phận": "Phòng Kỹ thuật"}), heading, person_row(2, **{"Bộ phận": ""})])
    assert (again.linked + again.updated, again.refused) == (2, 0), again.refusals
    one.refresh_from_db()
    two.refresh_from_db()
    assert (one.department, one.employee_number) == ("Phòng Kỹ thuật", "EDIT-2")
    assert two.department == "Kho"
    assert again.section_rows == [[3, "PHÒNG BẢO VỆ"]]
