"""A representative cancels an import (the wrong file): a queued one never runs, a running one stops at its
next chunk, which rolls back; the chunks saved before stay and are counted, and the corrected file links
them. Whoever may not import is refused; an import that has ended has nothing to cancel."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone, translation

from vaxbook.common.errors import Conflict, Forbidden
from vaxbook.common.models import AuditEvent
from vaxbook.organizations import services
from vaxbook.organizations.models import RosterEntry, RosterImport
from vaxbook.organizations.readers import render_problem
from vaxbook.organizations.tests.builders import person_row, table, upload, xlsx_bytes
from vaxbook.registry.models import Person

pytestmark = pytest.mark.django_db


def six_rows() -> bytes:
    return xlsx_bytes(table([person_row(i) for i in range(1, 7)]))


def queued(rep, org, django_capture_on_commit_callbacks, content=None) -> RosterImport:
    with django_capture_on_commit_callbacks(execute=False):  # the task is not run
        return services.roster_import_start(actor=rep, organization=org, upload=upload(content or six_rows()))


def cancel_at_the_second_chunk(monkeypatch, rep, imp, *, then_crash: bool = False) -> list[int]:
    """The representative clicks while the run reads its second chunk (and the worker then fails for its own
    reason, with `then_crash`); the chunks' sizes, as read."""
    original = services._ImportRun._prepare
    calls: list[int] = []

    def prepare_then_cancel(run, rows, *args):
        calls.append(len(rows))
        if len(calls) == 2:
            services.roster_import_cancel(actor=rep, roster_import=imp)
            if then_crash:
                raise RuntimeError("the worker's own failure")
        return original(run, rows, *args)

    monkeypatch.setattr(services._ImportRun, "_prepare", prepare_then_cancel)
    return calls


def test_a_queued_import_cancelled_never_runs(rep, org, places, django_capture_on_commit_callbacks):
    imp = queued(rep, org, django_capture_on_commit_callbacks)
    assert imp.total == 6  # the rows the upload counted
    done = services.roster_import_cancel(actor=rep, roster_import=imp)
    assert (done.status, [p["code"] for p in done.problems]) == ("failed", ["import_cancelled"])
    assert done.finished_at is not None and (done.total, done.accepted, done.refused) == (0, 0, 0)  # none read
    with translation.override("en"):
        assert "before it started: no row was read or saved" in render_problem(done.problems[0])["message"]
    services.roster_import_process(import_id=imp.pk)  # the worker takes the task later: nothing to do
    assert not Person.objects.exists() and not RosterEntry.objects.exists()
    event = AuditEvent.objects.get(action="organizations.roster_import.cancelled")
    assert (event.actor, event.data["status"], event.data["rows_saved"]) == (rep, "queued", 0)
    with pytest.raises(Conflict) as twice:
        services.roster_import_cancel(actor=rep, roster_import=imp)
    assert twice.value.errors[0].code == "import_finished"


def test_a_running_import_cancelled_says_at_once_the_rows_its_saved_chunks_read(
    rep, org, places, django_capture_on_commit_callbacks
):
    """Its figures add up as soon as it has ended (the run, stopping at its next chunk, leaves them so)."""
    imp = queued(rep, org, django_capture_on_commit_callbacks)
    RosterImport.objects.filter(pk=imp.pk).update(status="running", accepted=3, created=3, refused=1, progress=60)
    done = services.roster_import_cancel(actor=rep, roster_import=imp)
    assert (done.status, done.total, done.accepted, done.refused) == ("failed", 4, 3, 1)
    with translation.override("en"):
        assert "The rows counted so far were saved" in render_problem(done.problems[0])["message"]


@override_settings(ROSTER_IMPORT_CHUNK_ROWS=2)
def test_a_running_import_stops_at_its_next_chunk_and_keeps_what_it_saved(
    rep, org, places, django_capture_on_commit_callbacks, monkeypatch
):
    imp = queued(rep, org, django_capture_on_commit_callbacks)
    calls = cancel_at_the_second_chunk(monkeypatch, rep, imp)
    services.roster_import_process(import_id=imp.pk)
    imp.refresh_from_db()
    assert (imp.status, [p["code"] for p in imp.problems]) == ("failed", ["import_cancelled"])
    assert (imp.accepted, imp.created) == (2, 2)  # the first chunk, saved before the click
    assert Person.objects.count() == 2 == RosterEntry.objects.filter(organization=org).count()
    assert calls == [2, 2]  # the third chunk was never read
    # The corrected file, uploaded again, links the two saved and creates the rest, nobody twice.
    with django_capture_on_commit_callbacks(execute=True):
        again = services.roster_import_start(actor=rep, organization=org, upload=upload(six_rows()))
    again.refresh_from_db()
    assert (again.status, again.created, again.linked + again.updated) == ("done", 4, 2)
    assert Person.objects.count() == 6


@override_settings(ROSTER_IMPORT_CHUNK_ROWS=2)
def test_a_stopped_import_keeps_its_refusals_and_leaves_no_temporary_file(
    rep, org, places, django_capture_on_commit_callbacks, monkeypatch, tmp_path
):
    """The report begun for the refused rows read before the cancel holds their personal data: it goes,
    with xlsxwriter's own temporary files; the import says how many rows it read and why it refused some."""
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    rows = [person_row(1, **{"Số điện thoại": "091234"}), *(person_row(i) for i in range(2, 7))]
    imp = queued(rep, org, django_capture_on_commit_callbacks, content=xlsx_bytes(table(rows)))
    cancel_at_the_second_chunk(monkeypatch, rep, imp)
    services.roster_import_process(import_id=imp.pk)
    imp.refresh_from_db()
    assert (imp.status, imp.total, imp.accepted, imp.refused) == ("failed", 2, 1, 1)
    assert imp.refusals == {"phone_format": 1} and not imp.error_report
    left = [str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file() and "media" not in p.parts]
    assert left == [], left


def test_only_the_organizations_representatives_cancel(
    rep, officer, org, places, django_capture_on_commit_callbacks, api, client
):
    imp = queued(rep, org, django_capture_on_commit_callbacks)
    with pytest.raises(Forbidden):
        services.roster_import_cancel(actor=officer, roster_import=imp)  # sees the import, does not import
    response = api.as_user(officer).post(f"/api/v1/roster-imports/{imp.public_id}/cancel")
    assert response.status_code == 403
    client.force_login(officer)
    page = client.get(f"/organizations/imports/{imp.public_id}/").content.decode()
    assert 'id="import-cancel"' not in page
    assert client.get(f"/organizations/imports/{imp.public_id}/cancel/").status_code == 403
    assert client.post(f"/organizations/imports/{imp.public_id}/cancel/").status_code == 403
    imp.refresh_from_db()
    assert imp.status == "queued"


def test_the_api_cancels_and_then_says_it_has_ended(rep, org, places, django_capture_on_commit_callbacks, api):
    imp = queued(rep, org, django_capture_on_commit_callbacks)
    response = api.as_user(rep).post(f"/api/v1/roster-imports/{imp.public_id}/cancel")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "failed" and [p["code"] for p in body["problems"]] == ["import_cancelled"]
    again = api.as_user(rep).post(f"/api/v1/roster-imports/{imp.public_id}/cancel")
    assert again.status_code == 409 and again.json()["errors"][0]["code"] == "import_finished"


def test_the_page_offers_the_button_and_says_what_happened(
    rep, org, places, django_capture_on_commit_callbacks, client
):
    imp = queued(rep, org, django_capture_on_commit_callbacks)
    client.force_login(rep)
    page = client.get(f"/organizations/imports/{imp.public_id}/").content.decode()
    assert 'id="import-cancel"' in page
    # The button asks first: what stays, what is not read, what to do next; nothing is stopped yet.
    ask = client.get(f"/organizations/imports/{imp.public_id}/cancel/")
    asked = ask.content.decode()
    assert ask.status_code == 200 and 'id="import-cancel-form"' in asked and 'id="cancel-rows-saved"' in asked
    imp.refresh_from_db()
    assert imp.status == "queued"
    followed = client.post(f"/organizations/imports/{imp.public_id}/cancel/", follow=True)
    text = followed.content.decode()
    assert followed.status_code == 200
    assert 'data-status="failed"' in text and "import_cancelled" in text
    assert '<strong id="import-state">Đã hủy</strong>' in text  # not "failed": the API's word for it
    assert 'id="import-cancel"' not in text
    listed = client.get(f"/organizations/{org.public_id}/imports/").content.decode()
    assert ">Đã hủy</td>" in listed and "Không thành công" not in listed
    ended = client.get(f"/organizations/imports/{imp.public_id}/cancel/")  # nothing left to ask about
    assert ended.status_code == 302 and ended["Location"] == f"/organizations/imports/{imp.public_id}/"
    second = client.post(f"/organizations/imports/{imp.public_id}/cancel/", follow=True)
    [said] = list(second.context["messages"])
    assert said.level_tag == "error"  # an import that has ended has nothing to cancel
    assert "(đã hủy)" in str(said) and "không thành công" not in str(said).lower()  # as its page says it


@override_settings(ROSTER_IMPORT_CHUNK_ROWS=2)
def test_a_worker_that_crashes_after_the_cancel_still_keeps_what_it_read(
    rep, org, places, django_capture_on_commit_callbacks, monkeypatch
):
    rows = [person_row(1, **{"Số điện thoại": "091234"}), *(person_row(i) for i in range(2, 7))]
    imp = queued(rep, org, django_capture_on_commit_callbacks, content=xlsx_bytes(table(rows)))
    cancel_at_the_second_chunk(monkeypatch, rep, imp, then_crash=True)
    services.roster_import_process(import_id=imp.pk)
    imp.refresh_from_db()
    assert ([p["code"] for p in imp.problems], imp.total, imp.refusals) == (
        ["import_cancelled"],
        2,
        {"phone_format": 1},
    )


def test_a_worker_that_crashes_after_the_cancel_does_not_overwrite_it(
    rep, org, places, django_capture_on_commit_callbacks, monkeypatch
):
    imp = queued(rep, org, django_capture_on_commit_callbacks)

    def cancel_then_crash(run, rows, *args):  # the cancel lands, then the worker fails for its own reason
        services.roster_import_cancel(actor=rep, roster_import=imp)
        raise RuntimeError("the worker's own failure")

    monkeypatch.setattr(services._ImportRun, "_prepare", cancel_then_crash)
    services.roster_import_process(import_id=imp.pk)
    imp.refresh_from_db()
    assert (imp.status, [p["code"] for p in imp.problems]) == ("failed", ["import_cancelled"])
    assert AuditEvent.objects.filter(action="organizations.roster_import.cancelled").count() == 1
    assert not AuditEvent.objects.filter(action="organizations.roster_import.failed").exists()


def test_a_cancel_while_the_error_report_is_written_leaves_no_report_behind(
    rep, org, places, django_capture_on_commit_callbacks, monkeypatch, settings, tmp_path
):
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
    settings.MEDIA_ROOT = str(tmp_path)
    bad = xlsx_bytes(table([person_row(1), person_row(2, **{"Ngày sinh": "31/02/1990"})]))
    imp = queued(rep, org, django_capture_on_commit_callbacks, content=bad)
    original = services.refusal_summary

    def cancel_then_summarize(refusals):  # the click lands while the report's summary sheet is written
        services.roster_import_cancel(actor=rep, roster_import=imp)
        return original(refusals)

    monkeypatch.setattr(services, "refusal_summary", cancel_then_summarize)
    services.roster_import_process(import_id=imp.pk)
    imp.refresh_from_db()
    assert (imp.status, [p["code"] for p in imp.problems], imp.error_report.name) == (
        "failed",
        ["import_cancelled"],
        "",
    )
    left = [p.name for p in tmp_path.rglob("*") if p.is_file() and "errors" in p.name]
    assert left == []  # the report saved before the cancel was seen is removed with it
    assert (imp.accepted, Person.objects.count()) == (1, 1)  # the row saved before stays, and is counted


class WorkerKilled(BaseException):
    """The worker process dies (SIGKILL, an out-of-memory kill): nothing of the run's own ends it."""


@override_settings(ROSTER_IMPORT_CHUNK_ROWS=2)
def test_an_import_whose_worker_died_keeps_the_refusals_and_values_kept_of_its_saved_chunks(
    rep, org, places, django_capture_on_commit_callbacks, monkeypatch
):
    """Each chunk saves the refusals by reason and the values kept so far with its rows: an import declared
    interrupted, or cancelled, after its worker died says why its saved rows were refused (it said `{}`)."""
    first = queued(rep, org, django_capture_on_commit_callbacks, content=xlsx_bytes(table([person_row(1)])))
    services.roster_import_process(import_id=first.pk)
    rows = [
        person_row(1, **{"Số điện thoại": "0987654321"}),  # linked; the record keeps its phone
        person_row(2, **{"Số điện thoại": "091234"}),  # refused
        person_row(3),
        person_row(4),
        person_row(5, **{"Ngày sinh": "31/02/1990"}),  # never read
    ]
    imp = queued(rep, org, django_capture_on_commit_callbacks, content=xlsx_bytes(table(rows)))
    original = services._ImportRun._prepare
    calls: list[int] = []

    def prepare_then_die(run, chunk_rows, *args):
        calls.append(len(chunk_rows))
        if len(calls) == 3:
            raise WorkerKilled()
        return original(run, chunk_rows, *args)

    monkeypatch.setattr(services._ImportRun, "_prepare", prepare_then_die)
    with pytest.raises(WorkerKilled):
        services.roster_import_process(import_id=imp.pk)
    imp.refresh_from_db()
    assert (imp.status, imp.accepted, imp.refused) == ("running", 3, 1)
    assert imp.refusals == {"phone_format": 1}
    assert imp.values_kept == {"phone": {"rows": 1, "first_rows": [2]}}
    later = timezone.now() + timedelta(minutes=60)
    assert services.roster_imports_fail_stalled(now=later) == 1
    imp.refresh_from_db()
    assert ([p["code"] for p in imp.problems], imp.total, imp.refusals) == (
        ["import_interrupted"],
        4,
        {"phone_format": 1},
    )
    assert imp.values_kept == {"phone": {"rows": 1, "first_rows": [2]}}
