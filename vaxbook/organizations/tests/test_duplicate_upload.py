"""The same file sent twice while the first is queued or running (a double click, a client's retry) is not
imported twice: the second is refused as `import_duplicate`, naming the import to follow; nothing of it is
kept. Once the first has ended, the same file may be sent again; another organization's identical file is its
own; a file that differs by one byte is another file."""

from datetime import UTC, datetime

import pytest
from django.db import IntegrityError
from django.utils import translation

from vaxbook.common.errors import Conflict
from vaxbook.common.testing import OrganizationFactory, Role, make_member
from vaxbook.organizations import services
from vaxbook.organizations.models import RosterImport
from vaxbook.organizations.tests.builders import person_row, table, upload, xlsx_bytes

pytestmark = pytest.mark.django_db


def roster(n: int = 3) -> bytes:
    return xlsx_bytes(table([person_row(i) for i in range(1, n + 1)]))


def start(rep, org, content: bytes, capture, *, run: bool = False) -> RosterImport:
    with capture(execute=run):
        return services.roster_import_start(actor=rep, organization=org, upload=upload(content))


def test_the_same_file_while_the_first_waits_is_refused_and_names_it(
    rep, org, places, django_capture_on_commit_callbacks, settings, tmp_path
):
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
    settings.MEDIA_ROOT = str(tmp_path)
    content = roster()
    first = start(rep, org, content, django_capture_on_commit_callbacks)
    with pytest.raises(Conflict) as again:
        start(rep, org, content, django_capture_on_commit_callbacks)
    error = again.value.errors[0]
    assert (error.field, error.code) == ("file", "import_duplicate")
    assert again.value.extra == {"import_id": str(first.public_id)}
    assert first.original_name in str(error.message)
    assert RosterImport.objects.count() == 1
    assert len([p for p in tmp_path.rglob("*") if p.is_file()]) == 1  # the second upload's bytes were not kept
    other = start(rep, org, roster(4), django_capture_on_commit_callbacks)  # another file is another import
    assert other.pk != first.pk and other.file_sha256 != first.file_sha256


def test_the_refusal_names_when_the_first_came_in_the_reader_s_language(
    rep, org, places, django_capture_on_commit_callbacks
):
    """Day first in Vietnamese; in English the month is named (03/11 would read as March 11). Viet Nam's time."""
    content = roster()
    first = start(rep, org, content, django_capture_on_commit_callbacks)
    RosterImport.objects.filter(pk=first.pk).update(created_at=datetime(2025, 11, 3, 13, 5, tzinfo=UTC))
    for language, at in (("vi", "03/11/2025 20:05"), ("en", "3 Nov 2025 20:05")):
        with translation.override(language), pytest.raises(Conflict) as again:
            start(rep, org, content, django_capture_on_commit_callbacks)
        assert at in str(again.value.errors[0].message)


def test_once_the_first_has_ended_the_same_file_may_be_sent_again(rep, org, places, django_capture_on_commit_callbacks):
    content = roster()
    first = start(rep, org, content, django_capture_on_commit_callbacks, run=True)
    first.refresh_from_db()
    assert (first.status, first.created) == ("done", 3)
    second = start(rep, org, content, django_capture_on_commit_callbacks, run=True)
    second.refresh_from_db()
    assert (second.status, second.created, second.linked) == ("done", 0, 3)  # changes nothing, and says so
    third = start(rep, org, content, django_capture_on_commit_callbacks)
    services.roster_import_cancel(actor=rep, roster_import=third)  # a cancelled one has ended too
    start(rep, org, content, django_capture_on_commit_callbacks)
    # the second's page says it is the first's file again, and links to it
    from django.test import Client

    client = Client()
    client.force_login(rep)
    page = client.get(f"/organizations/imports/{second.public_id}/").content.decode()
    assert 'id="import-same-file"' in page and f'href="/organizations/imports/{first.public_id}/"' in page
    assert "Tệp này giống hệt tệp đã nhập lúc" in page
    assert 'id="import-same-file"' not in client.get(f"/organizations/imports/{first.public_id}/").content.decode()


def test_another_organizations_identical_file_is_its_own(rep, org, places, django_capture_on_commit_callbacks):
    content = roster()
    start(rep, org, content, django_capture_on_commit_callbacks)
    other = OrganizationFactory(name="Công ty Khác", admin_unit=org.admin_unit)
    other_rep = make_member(Role.ORG_REPRESENTATIVE, organization=other, username="rep2")
    mine = start(other_rep, other, content, django_capture_on_commit_callbacks)
    assert mine.organization == other and RosterImport.objects.count() == 2


def test_the_database_refuses_a_second_unfinished_import_of_one_file(
    rep, org, places, django_capture_on_commit_callbacks
):
    """The constraint behind the check: two requests racing past the look-up still make one import."""
    first = start(rep, org, roster(), django_capture_on_commit_callbacks)
    with pytest.raises(IntegrityError):
        RosterImport.objects.create(
            organization=org, original_name="x.xlsx", file_format="xlsx", file="x.xlsx", file_sha256=first.file_sha256
        )


def test_the_page_sends_a_second_click_to_the_running_import_and_the_api_says_409(
    rep, org, places, django_capture_on_commit_callbacks, client, api
):
    content = roster()
    first = start(rep, org, content, django_capture_on_commit_callbacks)
    client.force_login(rep)
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(f"/organizations/{org.public_id}/imports/", {"file": upload(content)})
    assert response.status_code == 302 and response["Location"] == f"/organizations/imports/{first.public_id}/"
    followed = client.get(response["Location"])
    [said] = list(followed.context["messages"])
    assert said.level_tag == "info" and first.original_name in said.message
    with django_capture_on_commit_callbacks(execute=False):
        answer = api.as_user(rep).post(
            f"/api/v1/organizations/{org.public_id}/roster-imports", {"file": upload(content)}
        )
    assert answer.status_code == 409, answer.content
    body = answer.json()
    assert body["errors"][0]["code"] == "import_duplicate" and body["import_id"] == str(first.public_id)
    assert RosterImport.objects.count() == 1


def test_a_request_that_raced_past_the_look_up_is_refused_and_leaves_no_file(
    rep, org, places, django_capture_on_commit_callbacks, monkeypatch, settings, tmp_path
):
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
    settings.MEDIA_ROOT = str(tmp_path)
    content = roster()
    first = start(rep, org, content, django_capture_on_commit_callbacks)
    original = services._refuse_duplicate
    looks = []

    def blind_first_look(organization, digest):  # the other request committed just after this look
        looks.append(digest)
        if len(looks) > 1:
            original(organization, digest)

    monkeypatch.setattr(services, "_refuse_duplicate", blind_first_look)
    with pytest.raises(Conflict) as again:
        start(rep, org, content, django_capture_on_commit_callbacks)
    assert again.value.codes == ["import_duplicate"] and again.value.extra["import_id"] == str(first.public_id)
    assert len(looks) == 2 and RosterImport.objects.count() == 1
    assert len([p for p in tmp_path.rglob("*") if p.is_file()]) == 1


def test_an_organization_with_its_most_imports_waiting_is_told_to_wait_others_are_not(
    rep, org, places, django_capture_on_commit_callbacks, settings, api
):
    """25 files of one organization would hold every other's behind them: past ROSTER_IMPORT_MAX_UNFINISHED
    queued or running, a 429 `imports_waiting` (nothing kept) until one ends; another organization uploads."""
    from vaxbook.common.errors import DomainError
    from vaxbook.organizations.selectors import roster_import_outlook

    settings.ROSTER_IMPORT_MAX_UNFINISHED = 2
    first, second = (start(rep, org, roster(n), django_capture_on_commit_callbacks) for n in (1, 2))
    with pytest.raises(DomainError) as waiting:
        start(rep, org, roster(3), django_capture_on_commit_callbacks)
    assert waiting.value.status == 429 and waiting.value.codes == ["imports_waiting"]
    assert RosterImport.objects.count() == 2
    response = api.as_user(rep).post(
        f"/api/v1/organizations/{org.public_id}/roster-imports", {"file": upload(roster(3))}
    )
    assert response.status_code == 429 and response.json()["errors"][0]["code"] == "imports_waiting"
    other = OrganizationFactory(name="Công ty Khác", admin_unit=org.admin_unit)
    other_rep = make_member(Role.ORG_REPRESENTATIVE, organization=other, username="rep_other")
    third = start(other_rep, other, roster(3), django_capture_on_commit_callbacks)
    # a running import is ahead of those queued after it, as much as a queued one
    RosterImport.objects.filter(pk=first.pk).update(status="running")
    assert [roster_import_outlook(i)["ahead"] for i in (second, third)] == [1, 2]
    services.roster_import_cancel(actor=rep, roster_import=second)
    start(rep, org, roster(3), django_capture_on_commit_callbacks)  # one has ended: room for one more
