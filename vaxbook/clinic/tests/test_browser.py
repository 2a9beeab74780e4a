"""The desk in a real browser: scan to recorded dose within the key-press budget, and the gate.

Every key press and click from the moment the token is in the field is counted (the scanner's typing
is `locator.fill`, not counted; the Enter it sends is). Set SHOTS_DIR to keep screenshots of the
check-in result, the gate and the confirmation at 390 px and 1280 px.
"""

import os
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from vaxbook.clinic.models import Dose, Screening
from vaxbook.clinic.tests import factories as f
from vaxbook.common.testing import PASSWORD, cccd_for
from vaxbook.registry.identity import PersonInput
from vaxbook.registry.services import person_register
from vaxbook.registry.tokens import person_qr_token

pytestmark = pytest.mark.django_db(transaction=True)

BUDGET = 6
SHOTS_DIR = os.environ.get("SHOTS_DIR", "")


@pytest.fixture(autouse=True)
def clock() -> None:
    """The real clock here: the browser keeps its cookies by its own (real) time."""


class Counter:
    """Counts the presses and clicks the test performs for the user."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.count = 0

    def press(self, key: str) -> None:
        self.page.keyboard.press(key)
        self.count += 1

    def click(self, selector: str) -> None:
        self.page.click(selector)
        self.count += 1


def shoot(page: Any, name: str) -> None:
    if not SHOTS_DIR:
        return
    Path(SHOTS_DIR).mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    for width, height in ((390, 844), (1280, 900)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(Path(SHOTS_DIR) / f"{name}-{width}.png"))
        page.screenshot(path=str(Path(SHOTS_DIR) / f"{name}-{width}-full.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= width  # nothing wider than the screen
    page.set_viewport_size(size)


def sign_in(page: Any, username: str, desk_url: str) -> None:
    page.goto(f"/accounts/login/?next={desk_url}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.press("#id_password", "Enter")
    page.wait_for_url(re.compile(re.escape(desk_url) + "$"))


def test_scan_to_recorded_dose_within_the_key_press_budget(
    page: Any, facility_a: Any, vaccinator_a: Any, person: Any, lot_a: Any, comirnaty: Any
) -> None:
    from playwright.sync_api import expect

    f.SessionFactory(facility=facility_a, vaccine=comirnaty)
    desk_url = f"/clinic/{facility_a.public_id}/checkin/"
    sign_in(page, "vaccinator_a", desk_url)
    field = page.locator("#checkin-q")
    expect(field).to_be_focused()

    field.fill(person_qr_token(person))  # the scanner types the token...
    counter = Counter(page)
    counter.press("Enter")  # ...and presses Enter
    expect(page.locator("#person-card")).to_contain_text(person.full_name)
    expect(page.locator("#next-dose")).to_have_attribute("data-dose-number", "1")
    expect(page.locator("#appointment [data-source]")).to_have_attribute("data-source", "walk_in")
    expect(page.locator("#screen-all-no")).to_be_focused()
    shoot(page, "checkin-result")

    counter.press("Enter")  # "all no — eligible"
    expect(page.locator("#screening-result")).to_have_attribute("data-outcome", "eligible")
    expect(page.locator("#record-dose")).to_be_focused()
    expect(page.locator("#id_lot")).to_have_value(str(lot_a.public_id))

    counter.click("#record-dose")
    confirmation = page.locator("#dose-confirmation")
    expect(confirmation).to_have_attribute("data-dose-number", "1")
    expect(confirmation).to_have_attribute("data-lot", "FK1234")
    expect(page.locator("#checkin-q")).to_be_focused()  # ready for the next person
    shoot(page, "dose-confirmation")

    assert counter.count == 3 <= BUDGET
    dose = Dose.objects.get(person=person)
    assert (dose.dose_number, dose.lot_id, dose.vaccinator_id) == (1, lot_a.pk, vaccinator_a.pk)


def test_typing_a_scan_while_a_button_has_the_focus_goes_to_the_checkin_field(
    page: Any, facility_a: Any, vaccinator_a: Any, person: Any, ward1: Any, lot_a: Any
) -> None:
    from playwright.sync_api import expect

    other = f.PersonFactory(ward=ward1, full_name="Lê Thị Kế Tiếp")
    sign_in(page, "vaccinator_a", f"/clinic/{facility_a.public_id}/checkin/")
    page.locator("#checkin-q").fill(person.id_number)
    page.keyboard.press("Enter")
    expect(page.locator("#screen-all-no")).to_be_focused()
    page.keyboard.type(other.id_number)  # the next person's card, scanned too early
    page.keyboard.press("Enter")
    expect(page.locator("#person-card")).to_contain_text(other.full_name)
    assert not Screening.objects.exists()  # the focused "all no" of the first person was not pressed


def test_an_incomplete_person_is_blocked_fixed_in_place_then_vaccinated(
    page: Any, facility_a: Any, vaccinator_a: Any, ward1: Any, priority_group: Any, lot_a: Any
) -> None:
    from playwright.sync_api import expect

    born = date(1979, 2, 3)
    person = person_register(
        actor=vaccinator_a,
        data=PersonInput(
            full_name="Phạm Thị Thiếu",
            date_of_birth=born,
            sex="F",
            id_type="cccd",
            id_number=cccd_for(born, "F", 4242),
            priority_group=priority_group.code,
            address_line="7 Hẻm 3",
        ),
        source="facility",
        province_code=ward1.parent.code,
    )
    assert {p["code"] for p in person.problems} == {"phone_missing", "ward_missing"}
    sign_in(page, "vaccinator_a", f"/clinic/{facility_a.public_id}/checkin/")
    page.locator("#checkin-q").fill(person.id_number)
    page.keyboard.press("Enter")

    expect(page.locator('#gate [data-code="person_data_incomplete"]')).to_be_visible()
    expect(page.locator('#row-phone [data-code="phone_missing"]')).to_be_visible()
    expect(page.locator('#row-ward_code [data-code="ward_missing"]')).to_be_visible()
    expect(page.locator("#screening-form")).to_have_count(0)
    expect(page.locator("#dose-form")).to_have_count(0)
    expect(page.locator("#id_phone")).to_be_focused()
    shoot(page, "gate")

    page.locator("#id_phone").fill("0912 345 678")
    page.locator("#id_ward_code").select_option(ward1.code)
    page.click("#fix-save")
    expect(page.locator("#gate")).to_have_count(0)
    expect(page.locator("#person-card")).to_have_attribute("data-status", "complete")
    expect(page.locator("#screen-all-no")).to_be_focused()

    page.keyboard.press("Enter")
    expect(page.locator("#record-dose")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#dose-confirmation")).to_have_attribute("data-dose-number", "1")
    assert Dose.objects.filter(person=person).count() == 1
