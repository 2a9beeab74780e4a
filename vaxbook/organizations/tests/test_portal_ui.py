"""The portal's pages as a person meets them: what a change said, seen and announced where the page opens; the
pager at a phone's width; a visible focus and a way past the menu; an import's outcome, its time left, and
an import no worker has taken yet."""

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from vaxbook.organizations.models import RosterImport
from vaxbook.organizations.services import roster_import_start
from vaxbook.organizations.tests.builders import person_row, table, upload, xlsx_bytes
from vaxbook.organizations.tests.test_browser import organization_with_representative, sign_in

pytestmark = pytest.mark.django_db


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def staffed(rep: Any, org: Any, places: Any, django_capture_on_commit_callbacks: Any) -> RosterImport:
    """Three staff on the organization's roster, from one import."""
    with django_capture_on_commit_callbacks(execute=True):
        done = roster_import_start(
            actor=rep, organization=org, upload=upload(xlsx_bytes(table([person_row(n) for n in (1, 2, 3)])))
        )
    done.refresh_from_db()
    assert done.status == "done" and done.accepted == 3
    return done


def _person_id(org: Any, n: int) -> Any:
    from vaxbook.organizations.models import RosterEntry

    return RosterEntry.objects.get(organization=org, person__full_name=person_row(n)["Họ và tên"]).person.public_id


# 1. What a change said: announced, and where the page opens ----------------------------------------------


def test_a_change_said_on_the_roster_is_a_status_and_a_refusal_an_alert(rep: Any, org: Any, staffed: Any) -> None:
    client = signed_in(rep)
    remove = reverse("organizations:roster_entry_remove", args=[org.public_id, _person_id(org, 2)])
    roster = reverse("organizations:roster", args=[org.public_id])
    taken_off = client.post(remove, {"next": roster}, follow=True)
    assert taken_off.redirect_chain == [(f"{roster}#roster", 302)]
    html = taken_off.content.decode()
    status = html.split('<div role="status">')[1].split("</div>")[0]
    assert "Đã đưa" in status and person_row(2)["Họ và tên"] in status
    assert '<div role="alert"><ul></ul></div>' in html  # nothing wrong said
    assert "{#" not in html and "comment %}" not in html  # a template's comment stays the template's

    again = client.post(remove, {"next": roster}, follow=True).content.decode()  # a second click
    alert = again.split('<div role="alert">')[1].split("</div>")[0]
    assert '<li class="error">' in alert
    assert '<div role="status"><ul></ul></div>' in again


def test_a_page_without_messages_has_no_live_region_nor_script(rep: Any, org: Any, staffed: Any) -> None:
    html = signed_in(rep).get(reverse("organizations:roster", args=[org.public_id])).content.decode()
    assert 'id="messages"' not in html and "<script>" not in html


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("viewport", [{"width": 1366, "height": 768}, {"width": 390, "height": 844}])
def test_after_a_change_the_message_is_in_view_at_the_roster(page: Any, viewport: dict[str, int]) -> None:
    """The edit and the removal come back to …#roster, screens below the top of the page where the message
    was: it is shown at the roster, in the viewport."""
    from playwright.sync_api import expect

    org, rep = organization_with_representative("Công ty Thông Báo", "rep_said")
    for n in range(3):  # recent imports above the roster push it down
        roster_import_start(actor=rep, organization=org, upload=upload(xlsx_bytes(table([person_row(1 + n)]))))
    page.set_viewport_size(viewport)
    sign_in(page, "rep_said", f"/organizations/{org.public_id}/", rf"/organizations/{org.public_id}/$")
    assert page.locator("#roster").bounding_box()["y"] > viewport["height"] / 2  # far down (a phone: screens)

    page.locator("#roster-table a.roster-edit").first.click()
    page.fill("#id_department", "Phòng Kế toán")
    page.click("#roster-entry-save")
    page.wait_for_url(re.compile(r"#roster$"))
    said = page.locator("#messages [role=status] li.success")
    expect(said).to_contain_text("Đã lưu")
    assert page.evaluate("window.scrollY") > 0  # the page opened at the roster, not at its top
    box = said.bounding_box()
    assert box["y"] >= -1 and box["y"] + box["height"] <= viewport["height"], box  # -1: a fraction of a pixel
    expect(page.locator("#roster > #messages")).to_have_count(1)

    page.locator("#roster-table a.roster-remove").first.click()
    page.click("#roster-entry-remove-submit")
    page.wait_for_url(re.compile(r"#roster$"))
    said = page.locator("#messages [role=status] li.success")
    expect(said).to_contain_text("ra khỏi danh sách nhân viên")
    box = said.bounding_box()
    assert box["y"] >= -1 and box["y"] + box["height"] <= viewport["height"], box


# 4. The keyboard: a way past the menu, a focus that shows, the upload's limits said with its input --------


@pytest.mark.parametrize(("language", "said"), [("vi", "Chuyển đến nội dung chính"), ("en", "Skip to content")])
def test_the_first_thing_on_a_page_is_a_link_to_its_content(rep: Any, org: Any, places: Any, language, said) -> None:
    client = signed_in(rep)
    client.cookies["django_language"] = language
    html = client.get(reverse("organizations:roster", args=[org.public_id])).content.decode()
    body = html.split("<body", 1)[1].split(">", 1)[1]
    assert body.lstrip().startswith(f'<a class="skip-link" href="#content">{said}</a>')
    assert '<main id="content" tabindex="-1">' in body


def test_the_upload_s_file_input_is_described_by_its_limits(rep: Any, org: Any, places: Any) -> None:
    html = signed_in(rep).get(reverse("organizations:roster", args=[org.public_id])).content.decode()
    tag = re.search(r'<input type="file"[^>]*>', html)
    assert tag is not None and 'aria-describedby="id_file_error upload-limits"' in tag.group(0)
    assert 'id="upload-limits">Tối đa 20 MB và 1.000.000 dòng.</span>' in html


@pytest.mark.django_db(transaction=True)
def test_the_keyboard_s_focus_is_seen_and_the_first_tab_skips_the_menu(page: Any) -> None:
    from playwright.sync_api import expect

    org, _rep = organization_with_representative("Công ty Bàn Phím", "rep_keys")
    sign_in(page, "rep_keys", f"/organizations/{org.public_id}/", rf"/organizations/{org.public_id}/$")
    skip = page.locator("a.skip-link")
    assert skip.bounding_box()["y"] + skip.bounding_box()["height"] <= 0  # out of sight until focused
    page.keyboard.press("Tab")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box["y"] >= 0 and box["height"] > 10, box  # seen once focused
    page.keyboard.press("Enter")
    expect(page.locator("main#content")).to_be_focused()
    assert page.evaluate("location.hash") == "#content"

    page.locator("#id_file").focus()
    page.keyboard.press("Shift+Tab")  # then back by the keyboard, as the review did: not a click
    for control in ("#id_file", "#upload-submit"):
        page.keyboard.press("Tab")
        expect(page.locator(control)).to_be_focused()
        shown = page.eval_on_selector(
            control,
            "e => { const s = getComputedStyle(e);"
            " return [s.outlineStyle, s.outlineWidth, s.outlineColor, s.outlineOffset]; }",
        )
        assert shown == ["solid", "2px", "rgb(29, 39, 51)", "2px"], (control, shown)


# 3. The pager at a phone's width --------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["vi", "en"])
def test_the_pager_fits_a_phone_s_width(page: Any, monkeypatch: Any, language: str) -> None:
    """Page 3 of 5 shows all four of its links: at 390 px they wrap, within the page."""
    from playwright.sync_api import expect

    from vaxbook.organizations import views

    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    org, rep = organization_with_representative("Công ty Nhiều Trang", f"rep_pager_{language}")
    roster_import_start(
        actor=rep, organization=org, upload=upload(xlsx_bytes(table([person_row(n) for n in range(10)])))
    )
    page.set_viewport_size({"width": 390, "height": 844})
    roster = f"/organizations/{org.public_id}/"
    sign_in(page, f"rep_pager_{language}", roster, rf"{roster}$")
    if language == "en":
        page.click("#lang-switch")
        expect(page.locator("html")).to_have_attribute("lang", "en")
    page.goto(f"{roster}?page=3#roster")
    pager = page.locator("nav.pager")
    expect(pager.locator("a")).to_have_count(4)
    width = page.evaluate("document.documentElement.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    for link in pager.locator("a").all():
        box = link.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, (link.inner_text(), box)


# 5. The time left ------------------------------------------------------------------------------------------


def _running(org: Any, rep: Any, *, progress: int, elapsed: int) -> tuple[RosterImport, Any]:
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    running = RosterImport.objects.create(
        organization=org,
        uploaded_by=rep,
        original_name="a.xlsx",
        file_format="xlsx",
        status="running",
        progress=progress,
        started_at=now - timedelta(seconds=elapsed),
    )
    return running, now


@pytest.mark.parametrize(
    ("progress", "elapsed", "left"),
    [
        (12, 3, 0),  # an import of seconds: 22 s left, less than a minute (it said "about 1 minute")
        (99, 30, 0),
        (50, 59, 0),
        (50, 60, 1),
        (50, 89, 1),  # 89 s left: about 1 minute, not 2
        (50, 91, 2),
        (25, 600, 30),  # 1,800 s left
        (4, 600, None),  # under a twentieth: no guess yet
    ],
)
def test_the_minutes_left_are_the_nearest_minute_and_none_under_one(
    rep: Any, org: Any, places: Any, progress: int, elapsed: int, left: int | None
) -> None:
    from vaxbook.organizations.selectors import roster_import_outlook

    running, now = _running(org, rep, progress=progress, elapsed=elapsed)
    assert roster_import_outlook(running, now=now)["minutes_left"] == left


def test_the_status_says_less_than_a_minute_left(rep: Any, org: Any, places: Any) -> None:
    from django.template.loader import render_to_string
    from django.utils import translation

    running, _now = _running(org, rep, progress=90, elapsed=5)
    status = signed_in(rep).get(reverse("organizations:import_status", args=[running.public_id])).content.decode()
    assert '<span id="import-left">còn chưa đến một phút</span>' in status and "khoảng 1 phút" not in status
    for outlook, said in (({"minutes_left": 0}, "less than a minute left"), ({"minutes_left": 2}, "about 2 minutes")):
        with translation.override("en"):
            assert said in render_to_string("organizations/_import_status.html", {"imp": running, "outlook": outlook})
    for nothing in ({"minutes_left": None}, {}):  # too early to guess; finished
        html = render_to_string("organizations/_import_status.html", {"imp": running, "outlook": nothing})
        assert 'id="import-left"' not in html


# 6. An import next in line that no worker takes ------------------------------------------------------------


def test_an_import_next_in_line_no_worker_takes_says_it_has_not_started_after_a_minute(
    rep: Any, org: Any, places: Any, django_capture_on_commit_callbacks: Any, api: Any
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from vaxbook.organizations.selectors import roster_import_outlook

    with django_capture_on_commit_callbacks(execute=False):  # no worker takes them
        first, second = (
            roster_import_start(actor=rep, organization=org, upload=upload(xlsx_bytes(table([person_row(n)]))))
            for n in (1, 2)
        )
    client = signed_in(rep)
    status = reverse("organizations:import_status", args=[first.public_id])
    fresh = client.get(status).content.decode()
    assert '<span id="import-ahead">đến lượt kế tiếp</span>' in fresh and 'id="import-waiting"' not in fresh

    for imp, seconds in ((first, 65), (second, 64)):  # a minute: not started, for the first
        RosterImport.objects.filter(pk=imp.pk).update(created_at=timezone.now() - timedelta(seconds=seconds))
    page = client.get(status).content.decode()
    assert '<span id="import-ahead">chưa bắt đầu</span>' in page
    notice = page.split('data-next="true" id="import-waiting">')[1].split("</p>")[0]
    assert notice.startswith("Lần nhập này chưa bắt đầu") and "1 phút" in notice and "không mất gì" in notice
    assert api.as_user(rep).get(f"/api/v1/roster-imports/{first.public_id}").json()["waiting_minutes"] == 1
    client.cookies["django_language"] = "en"
    english = client.get(status).content.decode()
    assert "This import has not started yet: it is next in line, and no worker has taken it for 1 minute" in english

    # The one behind it waits for the one ahead: that is the queue, said for ROSTER_IMPORT_STALL_MINUTES
    second.refresh_from_db()
    assert roster_import_outlook(second) == {"ahead": 1, "minutes_left": None, "waiting": None, "idle": None}
    behind = client.get(reverse("organizations:import_status", args=[second.public_id])).content.decode()
    assert 'id="import-waiting"' not in behind
    later = timezone.now() + timedelta(minutes=10)
    assert roster_import_outlook(second, now=later)["waiting"] == 11
    first.refresh_from_db()
    assert roster_import_outlook(first, now=later)["waiting"] == 11


# 2. A done import's outcome: none accepted, some refused ---------------------------------------------------


def _done(rep: Any, org: Any, rows: list[dict[str, Any]], capture: Any) -> RosterImport:
    with capture(execute=True):
        imp = roster_import_start(actor=rep, organization=org, upload=upload(xlsx_bytes(table(rows))))
    imp.refresh_from_db()
    assert imp.status == "done"
    return imp


BAD = {"Số điện thoại": "12345"}


def test_a_done_import_that_accepted_no_row_says_so_and_leads_to_its_report(
    rep: Any, org: Any, places: Any, django_capture_on_commit_callbacks: Any
) -> None:
    imp = _done(rep, org, [person_row(n, **BAD) for n in (1, 2, 3)], django_capture_on_commit_callbacks)
    assert (imp.accepted, imp.refused) == (0, 3)
    client = signed_in(rep)
    page = client.get(reverse("organizations:import", args=[imp.public_id])).content.decode()
    assert '<strong id="import-state">Hoàn tất — không dòng nào được nhận</strong>' in page
    assert '<div class="progress none-accepted" role="progressbar"' in page
    notice = page.split('id="import-none-accepted">')[1].split("</p>")[0]
    report = reverse("organizations:error_report", args=[imp.public_id])
    assert notice.startswith("Không dòng nào của tệp này được nhận: chưa ai được thêm vào danh sách.")
    assert f'<a href="{report}" id="error-report-top">Tải báo cáo lỗi</a>' in notice
    assert page.index('id="import-none-accepted"') < page.index('id="import-counts"')  # above the counts
    client.cookies["django_language"] = "en"
    english = client.get(reverse("organizations:import_status", args=[imp.public_id])).content.decode()
    assert '<strong id="import-state">Done — no row was accepted</strong>' in english
    assert "No row of this file was accepted: nobody was added to the roster." in english


def test_a_done_import_that_refused_some_rows_says_how_many_and_its_bar_shows_them(
    rep: Any, org: Any, places: Any, django_capture_on_commit_callbacks: Any
) -> None:
    imp = _done(rep, org, [person_row(1), person_row(2), person_row(3, **BAD)], django_capture_on_commit_callbacks)
    page = signed_in(rep).get(reverse("organizations:import", args=[imp.public_id])).content.decode()
    assert '<strong id="import-state">Hoàn tất — 1 dòng bị từ chối</strong>' in page
    assert '<div class="progress some-refused" style="--accepted:67%" role="progressbar"' in page
    assert 'id="import-none-accepted"' not in page

    whole = _done(rep, org, [person_row(4)], django_capture_on_commit_callbacks)
    page = signed_in(rep).get(reverse("organizations:import", args=[whole.public_id])).content.decode()
    assert '<strong id="import-state">Hoàn tất</strong>' in page and '<div class="progress" role="progressbar"' in page


@pytest.mark.django_db(transaction=True)
def test_the_bar_of_an_import_that_accepted_no_row_is_not_green(page: Any) -> None:
    from playwright.sync_api import expect

    org, rep = organization_with_representative("Công ty Không Dòng Nào", "rep_none")
    imp = roster_import_start(
        actor=rep, organization=org, upload=upload(xlsx_bytes(table([person_row(n, **BAD) for n in (1, 2)])))
    )
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, "rep_none", f"/organizations/imports/{imp.public_id}/", r"/organizations/imports/")
    expect(page.locator("#import-state")).to_have_text("Hoàn tất — không dòng nào được nhận")
    bar = page.eval_on_selector("#import-status .progress > span", "e => getComputedStyle(e).backgroundColor")
    assert bar == "rgb(166, 85, 0)"  # the warning's amber, not the green of rows accepted
    top = page.locator("#error-report-top")
    expect(top).to_be_in_viewport()
    with page.expect_download() as report:
        top.click()
    assert report.value.suggested_filename.endswith(".xlsx")
