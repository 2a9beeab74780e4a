"""After a file of the whole staff, the roster says who it did not list: those who may have left (and those
whose row was refused, until the corrected row is sent). Only the organization's latest import that ended
`done` says it; entries added after it started are not counted; an import from before entries were marked
says nothing rather than calling everyone absent."""

import io

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from vaxbook.common import testing as t
from vaxbook.organizations import services
from vaxbook.organizations.models import RosterEntry, RosterImport
from vaxbook.organizations.selectors import roster_absent_from, roster_for_user
from vaxbook.organizations.tests.builders import person_row, table, upload, xlsx_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(rep, org, places, django_capture_on_commit_callbacks):
    def run(rows) -> RosterImport:
        with django_capture_on_commit_callbacks(execute=True):
            started = services.roster_import_start(actor=rep, organization=org, upload=upload(xlsx_bytes(table(rows))))
        started.refresh_from_db()
        return started

    return run


def test_the_latest_file_says_who_it_did_not_list(run, rep, org, client):
    first = run([person_row(n) for n in (1, 2, 3, 4)])
    assert roster_absent_from(roster_import=first) == 0  # everyone on the roster came from this file
    bad_phone = person_row(2, **{"Số điện thoại": "12345"})  # still on the staff, but its row is refused
    latest = run([person_row(1), bad_phone, person_row(4)])  # 3 has left
    assert (latest.linked + latest.updated, latest.refused) == (2, 1)
    assert roster_absent_from(roster_import=latest) == 2
    assert roster_absent_from(roster_import=first) is None  # a later file lists the staff anew
    names = sorted(e.person.full_name for e in roster_for_user(user=rep, organization=org, absent_from=latest))
    assert names == sorted(person_row(n)["Họ và tên"] for n in (2, 3))

    client.force_login(rep)
    page = client.get(reverse("organizations:import", args=[latest.public_id])).content.decode()
    assert 'id="import-absent"' in page and f"?absent={latest.public_id}" in page
    assert (
        'id="import-absent"' not in client.get(reverse("organizations:import", args=[first.public_id])).content.decode()
    )
    listed = client.get(reverse("organizations:roster", args=[org.public_id]), {"absent": str(latest.public_id)})
    html = listed.content.decode()
    assert 'id="roster-absent"' in html and html.count("roster-remove") == 2
    assert person_row(3)["Họ và tên"] in html and person_row(1)["Họ và tên"] not in html
    assert 'id="export-form"' not in html  # the export is of the roster or of a data status, not of this list


def test_an_error_report_sent_again_lists_the_refused_rows_for_the_file_before_it(
    run, rep, org, client, api, django_capture_on_commit_callbacks
):
    """The clerk sends the whole staff, then the error report with its refused rows fixed: the report is a
    part of the roster, which says nothing of whom it lacks, and the staff it lists are no longer counted
    as not listed by the file before it, whose list of those who may have left stays."""
    run([person_row(n) for n in (1, 2, 3, 4)])
    whole = run([person_row(1), person_row(2, **{"Số điện thoại": "12345"}), person_row(4)])  # 3 has left
    assert roster_absent_from(roster_import=whole) == 2  # 3, and 2 whose row was refused

    report = openpyxl.load_workbook(whole.error_report.path)
    assert report.active["E2"].value == "12345"
    report.active["E2"] = person_row(2)["Số điện thoại"]
    out = io.BytesIO()
    report.save(out)
    with django_capture_on_commit_callbacks(execute=True):
        fixed = services.roster_import_start(actor=rep, organization=org, upload=upload(out.getvalue()))
    fixed.refresh_from_db()
    assert (fixed.from_report, fixed.linked + fixed.updated, fixed.refused) == (True, 1, 0)
    assert not whole.from_report

    assert roster_absent_from(roster_import=fixed) is None
    assert roster_absent_from(roster_import=whole) == 1
    absent = roster_for_user(user=rep, organization=org, absent_from=whole)
    assert [e.person.full_name for e in absent] == [person_row(3)["Họ và tên"]]
    client.force_login(rep)
    page = client.get(reverse("organizations:import", args=[whole.public_id])).content.decode()
    assert 'id="import-absent"' in page and f"?absent={whole.public_id}" in page
    page = client.get(reverse("organizations:import", args=[fixed.public_id])).content.decode()
    assert 'id="import-absent"' not in page
    assert 'id="import-from-report"' in page and "Tệp này là báo cáo lỗi được tải lên lại" in page
    page = client.get(reverse("organizations:import", args=[whole.public_id])).content.decode()
    assert 'id="import-from-report"' not in page
    listed = client.get(reverse("organizations:roster", args=[org.public_id]), {"absent": str(whole.public_id)})
    assert listed.content.decode().count("roster-remove") == 1
    own = api.as_user(rep)
    body = own.get(f"/api/v1/roster-imports/{fixed.public_id}").json()
    assert (body["from_report"], body["not_listed"]) == (True, None)
    assert own.get(f"/api/v1/roster-imports/{whole.public_id}").json()["not_listed"] == 1
    roster = own.get(f"/api/v1/organizations/{org.public_id}/roster", {"absent_from": str(whole.public_id)}).json()
    assert [r["full_name"] for r in roster["results"]] == [person_row(3)["Họ và tên"]]

    # A file that is not a report, sent after them, lists the staff anew: the earlier file says nothing more.
    latest = run([person_row(1)])
    assert roster_absent_from(roster_import=whole) is None
    assert roster_absent_from(roster_import=latest) == 3


def test_entries_added_after_the_import_started_are_not_absent(run, org, places):
    latest = run([person_row(1)])
    later = t.PersonFactory(ward=places)
    RosterEntry.objects.create(organization=org, person=later)  # registered one at a time afterwards
    assert roster_absent_from(roster_import=latest) == 0


def test_no_word_from_an_import_that_did_not_end_done_or_marked_nobody(run, rep, org, places, client):
    latest = run([person_row(1), person_row(2)])
    RosterEntry.objects.update(last_import=None)  # as an import from before entries were marked
    assert roster_absent_from(roster_import=latest) is None
    client.force_login(rep)
    whole = client.get(reverse("organizations:roster", args=[org.public_id]), {"absent": str(latest.public_id)})
    assert 'id="roster-absent"' not in whole.content.decode()  # the filter is dropped: the whole roster
    assert whole.content.decode().count("roster-remove") == 2
    failed = RosterImport.objects.create(organization=org, original_name="x.xlsx", file_format="xlsx", status="failed")
    assert roster_absent_from(roster_import=failed) is None


def test_another_organizations_import_does_not_filter_this_roster(run, rep, org, places, client):
    run([person_row(1), person_row(2)])
    other = t.OrganizationFactory(name="Công ty Khác", admin_unit=org.admin_unit)
    other_rep = t.make_member(t.Role.ORG_REPRESENTATIVE, organization=other, username="rep2")
    theirs = RosterImport.objects.create(organization=other, original_name="y.xlsx", file_format="xlsx")
    client.force_login(rep)
    page = client.get(reverse("organizations:roster", args=[org.public_id]), {"absent": str(theirs.public_id)})
    assert page.status_code == 200 and 'id="roster-absent"' not in page.content.decode()
    client.force_login(other_rep)
    assert client.get(reverse("organizations:roster", args=[org.public_id])).status_code in (403, 404)
    bad = client.get(reverse("organizations:roster", args=[other.public_id]), {"absent": "not-a-uuid"})
    assert bad.status_code == 200


def test_the_api_counts_and_lists_whom_the_latest_file_did_not_list(run, rep, org, api):
    first = run([person_row(n) for n in (1, 2, 3)])
    latest = run([person_row(1)])
    client = api.as_user(rep)
    assert client.get(f"/api/v1/roster-imports/{latest.public_id}").json()["not_listed"] == 2
    assert client.get(f"/api/v1/roster-imports/{first.public_id}").json()["not_listed"] is None
    roster = f"/api/v1/organizations/{org.public_id}/roster"
    body = client.get(roster, {"absent_from": str(latest.public_id)}).json()
    assert body["count"] == 2
    assert sorted(r["full_name"] for r in body["results"]) == sorted(person_row(n)["Họ và tên"] for n in (2, 3))
    for wrong in (str(first.public_id), "not-an-id"):  # an older import, a typo: refused, not the whole roster
        refused = client.get(roster, {"absent_from": wrong})
        assert refused.status_code == 422
        assert refused.json()["errors"][0] == {
            "field": "absent_from",
            "code": "absent_from_not_latest",
            "message": refused.json()["errors"][0]["message"],
        }
    assert client.get(roster).json()["count"] == 3


def test_a_later_import_even_one_stopped_part_way_silences_the_earlier(
    run, rep, org, django_capture_on_commit_callbacks
):
    """A later import marks the entries its rows list as its own, chunk by chunk: once one has started,
    whatever became of it, the earlier import can no longer say whom it did not list."""
    latest = run([person_row(1), person_row(2)])
    assert roster_absent_from(roster_import=latest) == 0
    with django_capture_on_commit_callbacks(execute=False):
        queued = services.roster_import_start(
            actor=rep, organization=org, upload=upload(xlsx_bytes(table([person_row(1)])))
        )
    assert roster_absent_from(roster_import=latest) == 0  # queued: it has marked nothing yet
    RosterImport.objects.filter(pk=queued.pk).update(status="running", started_at=timezone.now())
    assert roster_absent_from(roster_import=latest) is None
    services.roster_import_cancel(actor=rep, roster_import=queued)
    assert roster_absent_from(roster_import=latest) is None  # it may have saved chunks before it stopped
