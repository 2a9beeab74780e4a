"""The desk's forms after an error, and their labels: what the UI audit found.

- the dose form shown again after an error offers the same lots, labels and order as before, keeps the
  choice while it is usable, and never offers or preselects an expired, empty or unsuited lot;
- the adverse-event form shows each problem under its field, with its own code, all at once;
- its "serious" box is one label in the page's language;
- inviting to a session with nothing to invite is a form error under the empty field, not a 404;
- the session and stock selects are wide enough to read their options;
- the person's priority group is named in the page's language.

The cast is the clinic's (see fixtures.py): `vacc` is vaccinator A, `clerk` a data clerk of facility A
(who chooses the vaccinator), `lot_a` a Comirnaty lot in stock at A.
"""

import html as htmllib
import re
from datetime import date, timedelta
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import pgettext

from vaxbook.clinic.models import AdverseEvent, Appointment, Dose
from vaxbook.clinic.tests import factories as f
from vaxbook.clinic.tests.fixtures import JCOVDEN, SPIKEVAX
from vaxbook.vaccines.models import Lot, StockMovement

pytestmark = pytest.mark.django_db


# Helpers ---------------------------------------------------------------------------------------


def signed_in(user: Any, language: str = "vi") -> Client:
    """A signed-in client whose portal language was chosen with the language switch (its cookie)."""
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    client.force_login(user)
    return client


def panel_url(facility: Any, person: Any, screening: Any = None) -> str:
    url = reverse("clinic:person", kwargs={"facility_id": facility.public_id, "person_id": person.public_id})
    return f"{url}?screening={screening.public_id}" if screening is not None else url


def dose_url(facility: Any, person: Any) -> str:
    return reverse("clinic:dose", kwargs={"facility_id": facility.public_id, "person_id": person.public_id})


def all_no(client: Client, facility: Any, person: Any) -> Any:
    url = reverse("clinic:screening", kwargs={"facility_id": facility.public_id, "person_id": person.public_id})
    response = client.post(url, {"all_no": "1"})
    assert response.status_code == 302, response.content.decode()[:2000]
    return person.screenings.latest("screened_at")


def lot_options(html: str) -> list[tuple[str, str, bool]]:
    """The lot select's options: (value, label, selected), in their order."""
    select = re.search(r'<select name="lot"[^>]*>(.*?)</select>', html, re.S)
    assert select, "no lot select"
    return [
        (value, htmllib.unescape(label).strip(), bool(selected))
        for value, selected, label in re.findall(
            r'<option value="([^"]*)"( selected)?[^>]*>(.*?)</option>', select.group(1), re.S
        )
    ]


def hidden_fields(html: str) -> dict[str, str]:
    form = html[html.index('id="dose-form"') :]
    form = form[: form.index("</form>")]
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form))


def field_errors(html: str, name: str) -> list[tuple[str, str]]:
    """(code, message) of the problems shown in the field row of `name` (registry/_field.html)."""
    row = re.search(rf'<div class="field-row[^"]*" id="row-{name}">(.*?)</div>', html, re.S)
    assert row, f"no row for {name}"
    return [
        (code, htmllib.unescape(message))
        for code, message in re.findall(
            r'<p class="problem invalid" data-code="([a-z_]+)"[^>]*>(.*?)</p>', row.group(1)
        )
    ]


@pytest.fixture
def vacc(vaccinator_a: Any) -> Client:
    return signed_in(vaccinator_a)


@pytest.fixture
def clerk(clerk_a: Any, vaccinator_a: Any) -> Client:
    return signed_in(clerk_a)


# 1. The dose form after an error ----------------------------------------------------------------------


@pytest.fixture
def lots(catalogue: Any, comirnaty: Any, facility_a: Any, lot_a: Lot) -> dict[str, Lot]:
    """At facility A: lot_a (Comirnaty, 100, the nearest expiry), a later Comirnaty lot, a Spikevax lot
    (both fit for a first dose), an expired Comirnaty lot and an empty one (neither may be offered)."""
    today = timezone.localdate()
    later = f.LotFactory(vaccine=comirnaty, number="LATER1", expiry=today + timedelta(days=400))
    spikevax = f.LotFactory(vaccine=catalogue[SPIKEVAX], number="3004215", expiry=today + timedelta(days=500))
    expired = f.LotFactory(vaccine=comirnaty, number="OLD01", expiry=today - timedelta(days=1))
    empty = f.LotFactory(vaccine=comirnaty, number="EMPTY1")
    f.stock(facility_a, later, 50)
    f.stock(facility_a, spikevax, 200)
    f.stock(facility_a, expired, 10)
    f.stock(facility_a, empty, 1)
    StockMovement.objects.create(
        facility=facility_a,
        lot=empty,
        kind=StockMovement.Kind.WASTED,
        quantity=-1,
        sequence=2,
        balance=0,
        at=timezone.now() - timedelta(days=1),
    )
    return {"lot_a": lot_a, "later": later, "spikevax": spikevax, "expired": expired, "empty": empty}


def test_a_form_error_shows_the_same_lots_labels_and_order_and_keeps_the_choice(
    clerk: Client, facility_a: Any, person: Any, lots: dict[str, Lot]
) -> None:
    screening = all_no(clerk, facility_a, person)
    shown = clerk.get(panel_url(facility_a, person, screening)).content.decode()
    before = lot_options(shown)
    assert [label for _v, label, _s in before if "3004215" in label] == [
        f"{lots['spikevax'].vaccine.name} · lô 3004215 · HSD {lots['spikevax'].expiry:%d/%m/%Y} · còn 200 liều"
    ]
    chosen = str(lots["later"].public_id)
    assert chosen != next(v for v, _l, s in before if s)  # not the preselected one
    # The clerk leaves the vaccinator empty.
    response = clerk.post(dose_url(facility_a, person), {**hidden_fields(shown), "lot": chosen, "vaccinator": ""})
    assert response.status_code == 422
    html = response.content.decode()
    after = lot_options(html)
    assert [(v, label) for v, label, _s in after] == [(v, label) for v, label, _s in before]
    assert [v for v, _l, s in after if s] == [chosen]
    assert re.search(r'<p class="problem invalid" data-code="required"', html)  # under the vaccinator
    for unusable in ("OLD01", "EMPTY1"):
        assert unusable not in html
    assert not Dose.objects.exists()


def test_a_form_error_after_an_expired_lot_was_posted_preselects_a_usable_one(
    clerk: Client, facility_a: Any, person: Any, lots: dict[str, Lot]
) -> None:
    screening = all_no(clerk, facility_a, person)
    shown = clerk.get(panel_url(facility_a, person, screening)).content.decode()
    before = lot_options(shown)
    preselected = [v for v, _l, s in before if s]
    assert preselected == [str(lots["lot_a"].public_id)]  # the nearest expiry of the allowed vaccines
    for posted in (str(lots["expired"].public_id), str(lots["empty"].public_id), ""):
        response = clerk.post(dose_url(facility_a, person), {**hidden_fields(shown), "lot": posted, "vaccinator": ""})
        assert response.status_code == 422
        after = lot_options(response.content.decode())
        assert [(v, label) for v, label, _s in after] == [(v, label) for v, label, _s in before]
        assert [v for v, _l, s in after if s] == preselected, posted


def test_a_refused_dose_keeps_the_choice_and_never_preselects_the_refused_lot(
    clerk: Client, vaccinator_a: Any, facility_a: Any, person: Any, ward1: Any, lots: dict[str, Lot]
) -> None:
    screening = all_no(clerk, facility_a, person)
    shown = clerk.get(panel_url(facility_a, person, screening)).content.decode()
    before = lot_options(shown)
    vaccinator = str(vaccinator_a.public_id)
    # The expired lot, posted from a stale form: the service refuses it with its code, and the form
    # shown again neither offers nor preselects it.
    stale = clerk.post(
        dose_url(facility_a, person),
        {**hidden_fields(shown), "lot": str(lots["expired"].public_id), "vaccinator": vaccinator},
    )
    html = stale.content.decode()
    assert stale.status_code == 422 and 'data-code="lot_expired"' in html
    after = lot_options(html)
    assert [(v, label) for v, label, _s in after] == [(v, label) for v, label, _s in before]
    assert [v for v, _l, s in after if s] == [str(lots["lot_a"].public_id)]
    # A refusal of a usable lot (the idempotency key of another person's dose) keeps the lot and the
    # vaccinator chosen, with a new key.
    other = f.PersonFactory(ward=ward1)
    other_screening = all_no(clerk, facility_a, other)
    other_form = hidden_fields(clerk.get(panel_url(facility_a, other, other_screening)).content.decode())
    recorded = clerk.post(
        dose_url(facility_a, other), {**other_form, "lot": str(lots["lot_a"].public_id), "vaccinator": vaccinator}
    )
    assert recorded.status_code == 302
    chosen = str(lots["spikevax"].public_id)
    reused = clerk.post(
        dose_url(facility_a, person),
        {**hidden_fields(shown), "key": other_form["key"], "lot": chosen, "vaccinator": vaccinator},
    )
    html = reused.content.decode()
    assert reused.status_code == 409 and 'data-code="idempotency_key_reused"' in html
    after = lot_options(html)
    assert [(v, label) for v, label, _s in after] == [
        (v, label.replace("còn 100 liều", "còn 99 liều")) for v, label, _s in before
    ]
    assert [v for v, _l, s in after if s] == [chosen]
    assert re.search(rf'<option value="{vaccinator}" selected', html)
    assert hidden_fields(html)["key"] not in (other_form["key"], hidden_fields(shown)["key"])
    assert not Dose.objects.filter(person=person).exists()


def test_lots_of_another_vaccine_are_marked_and_never_preselected(
    vacc: Client, facility_a: Any, person: Any, catalogue: Any, give: Any
) -> None:
    """The person's second dose may not be Janssen, and the facility holds no other usable lot: the Janssen
    lot is offered, marked, but not preselected (a placeholder is), before and after an error."""
    give(person, at=timezone.now() - timedelta(days=60))
    Lot.objects.filter(number="FK1234").update(expiry=timezone.localdate() - timedelta(days=1))
    janssen = f.LotFactory(vaccine=catalogue[JCOVDEN], number="JJ001")
    f.stock(facility_a, janssen, 5)
    screening = all_no(vacc, facility_a, person)
    before = lot_options(vacc.get(panel_url(facility_a, person, screening)).content.decode())
    assert [(v, s) for v, _l, s in before] == [("", True), (str(janssen.public_id), False)]
    assert before[1][1].endswith("(không dùng cho mũi này)")
    shown = vacc.get(panel_url(facility_a, person, screening)).content.decode()
    response = vacc.post(dose_url(facility_a, person), {**hidden_fields(shown), "lot": ""})
    assert response.status_code == 422
    after = lot_options(response.content.decode())
    assert after == before


# 2 and 3. The adverse-event form -------------------------------------------------------------------------


def ae_url(facility: Any, dose: Any) -> str:
    return reverse("clinic:adverse_event", kwargs={"facility_id": facility.public_id, "dose_id": dose.public_id})


def local(moment: Any) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def test_an_empty_report_shows_each_missing_field_under_it(
    vacc: Client, facility_a: Any, person: Any, give: Any
) -> None:
    dose = give(person)
    response = vacc.post(ae_url(facility_a, dose), {"onset_at": "", "symptoms": "  ", "outcome": "ongoing"})
    assert response.status_code == 422
    html = response.content.decode()
    assert [code for code, _m in field_errors(html, "onset_at")] == ["required"]
    assert [code for code, _m in field_errors(html, "symptoms")] == ["symptoms_required"]
    assert "Báo cáo phản ứng sau tiêm không hợp lệ." not in html
    assert not AdverseEvent.objects.exists()


def test_an_onset_in_the_future_and_no_symptoms_are_both_said_under_their_fields(
    vacc: Client, facility_a: Any, person: Any, give: Any
) -> None:
    dose = give(person)
    onset = local(timezone.now() + timedelta(hours=2))
    response = vacc.post(ae_url(facility_a, dose), {"onset_at": onset, "symptoms": "", "outcome": "ongoing"})
    assert response.status_code == 422
    html = response.content.decode()
    assert [code for code, _m in field_errors(html, "onset_at")] == ["onset_in_future"]
    assert [code for code, _m in field_errors(html, "symptoms")] == ["symptoms_required"]
    # The values typed are kept.
    assert f'value="{onset}"' in html


def test_an_onset_before_the_dose_is_said_under_the_onset(
    vacc: Client, facility_a: Any, person: Any, give: Any
) -> None:
    dose = give(person)
    onset = local(dose.administered_at - timedelta(hours=1))
    response = vacc.post(ae_url(facility_a, dose), {"onset_at": onset, "symptoms": "Sốt", "outcome": "ongoing"})
    assert response.status_code == 422
    html = response.content.decode()
    assert [code for code, _m in field_errors(html, "onset_at")] == ["onset_before_dose"]
    assert field_errors(html, "symptoms") == []
    english = signed_in(dose.vaccinator, "en").post(
        ae_url(facility_a, dose), {"onset_at": onset, "symptoms": "", "outcome": "ongoing"}
    )
    assert field_errors(english.content.decode(), "onset_at") == [
        ("onset_before_dose", "The onset cannot be before the dose was given.")
    ]
    assert field_errors(english.content.decode(), "symptoms") == [
        ("symptoms_required", "Enter the symptoms of the reaction.")
    ]


def test_the_api_refuses_every_problem_of_a_report_with_its_code(
    api: Any, vaccinator_a: Any, facility_a: Any, person: Any, give: Any
) -> None:
    dose = give(person)
    client = api.as_user(vaccinator_a)
    body = {
        "dose_id": str(dose.public_id),
        "onset_at": (timezone.now() + timedelta(hours=2)).isoformat(),
        "symptoms": " ",
        "outcome": "better",
    }
    r = client.post_json("/api/v1/adverse-events", body, HTTP_IDEMPOTENCY_KEY="ae-bad", HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 422
    assert [(e["field"], e["code"]) for e in r.json()["errors"]] == [
        ("symptoms", "symptoms_required"),
        ("outcome", "outcome_invalid"),
        ("onset_at", "onset_in_future"),
    ]
    body = {**body, "onset_at": (dose.administered_at - timedelta(hours=1)).isoformat(), "symptoms": "Sốt"}
    body["outcome"] = "ongoing"
    r = client.post_json("/api/v1/adverse-events", body, HTTP_IDEMPOTENCY_KEY="ae-bad-2")
    assert r.status_code == 422
    assert [(e["field"], e["code"]) for e in r.json()["errors"]] == [("onset_at", "onset_before_dose")]


def test_the_serious_box_is_labelled_in_one_language(
    vaccinator_a: Any, facility_a: Any, person: Any, give: Any
) -> None:
    dose = give(person)
    labels = {}
    for language in ("vi", "en"):
        html = signed_in(vaccinator_a, language).get(ae_url(facility_a, dose)).content.decode()
        label = re.search(r'<label class="check serious-check"[^>]*>.*?<span>(.*?)</span></label>', html, re.S)
        assert label and 'aria-describedby="id_serious_helptext"' in html and 'id="id_serious_helptext"' in html
        labels[language] = label.group(1)
    assert labels["en"] == "Serious"
    # One label in the page's language, from the catalogue (msgctxt "adverse event"): "Tai biến nặng".
    with translation.override("vi"):
        assert labels["vi"] == pgettext("adverse event", "Serious")
    assert "(" not in labels["vi"]


# 4. Inviting to a session with nothing to invite ---------------------------------------------------------


@pytest.fixture
def session_urls(facility_a: Any, comirnaty: Any) -> tuple[Any, str, str]:
    session = f.SessionFactory(facility=facility_a, vaccine=comirnaty, date=timezone.localdate() + timedelta(days=1))
    kwargs = {"facility_id": facility_a.public_id, "session_id": session.public_id}
    return session, reverse("clinic:session_invite", kwargs=kwargs), reverse("clinic:session", kwargs=kwargs)


def test_inviting_an_empty_list_of_numbers_is_a_form_error_not_a_404(
    clerk: Client, clerk_a: Any, session_urls: tuple[Any, str, str]
) -> None:
    session, invite, _page = session_urls
    response = clerk.post(invite, {"by": "ids", "id_numbers": " \n , \n"})
    assert response.status_code == 422
    html = response.content.decode()
    assert [code for code, _m in field_errors(html, "id_numbers")] == ["invite_target_required"]
    assert "Không tìm thấy ai có các số định danh này." not in html
    assert not Appointment.objects.filter(session=session).exists()
    english = signed_in(clerk_a, "en").post(invite, {"by": "ids", "id_numbers": ""})
    assert field_errors(english.content.decode(), "id_numbers") == [
        ("invite_target_required", "Enter at least one identity number.")
    ]


def test_inviting_the_group_without_a_group_points_at_the_group_select(
    clerk: Client, clerk_a: Any, session_urls: tuple[Any, str, str]
) -> None:
    _session, invite, _page = session_urls
    response = clerk.post(invite, {"by": "group", "priority_group": ""})
    assert response.status_code == 422
    html = response.content.decode()
    assert [code for code, _m in field_errors(html, "priority_group")] == ["invite_target_required"]
    assert field_errors(html, "id_numbers") == []
    assert "Chọn đúng một trong các cách" not in html
    assert re.search(r'<select name="priority_group"[^>]*aria-invalid="true"', html)
    english = signed_in(clerk_a, "en").post(invite, {"by": "group", "priority_group": ""})
    assert field_errors(english.content.decode(), "priority_group") == [
        ("invite_target_required", "Choose a priority group.")
    ]


def test_inviting_an_organization_without_one_or_unknown_is_said_under_the_field(
    clerk: Client, session_urls: tuple[Any, str, str]
) -> None:
    _session, invite, _page = session_urls
    empty = clerk.post(invite, {"by": "organization", "organization": " "})
    assert empty.status_code == 422
    assert [code for code, _m in field_errors(empty.content.decode(), "organization")] == ["invite_target_required"]
    unknown = clerk.post(invite, {"by": "organization", "organization": "0312345678"})
    assert unknown.status_code == 404
    assert [code for code, _m in field_errors(unknown.content.decode(), "organization")] == ["organization_not_found"]


def test_numbers_of_nobody_are_said_under_the_numbers(clerk: Client, session_urls: tuple[Any, str, str]) -> None:
    _session, invite, _page = session_urls
    response = clerk.post(invite, {"by": "ids", "id_numbers": "075185000000"})
    assert response.status_code == 404
    html = response.content.decode()
    assert [code for code, _m in field_errors(html, "id_numbers")] == ["person_not_found"]
    assert "075185000000" in html  # what was typed stays in the box


# 6. The priority group in the page's language -------------------------------------------------------------


def test_the_person_page_names_the_priority_group_in_the_pages_language(
    vaccinator_a: Any, facility_a: Any, person: Any, priority_group: Any
) -> None:
    priority_group.name, priority_group.name_en = "Người lao động tự do", "Self-employed workers"
    priority_group.save()
    for language, name, other in (
        ("vi", "Người lao động tự do", "Self-employed workers"),
        ("en", "Self-employed workers", "Người lao động tự do"),
    ):
        html = signed_in(vaccinator_a, language).get(panel_url(facility_a, person)).content.decode()
        assert f"<dd>{priority_group.code}. {name}</dd>" in html
        assert other not in html
    priority_group.name_en = ""  # no English name: the Vietnamese one
    priority_group.save()
    html = signed_in(vaccinator_a, "en").get(panel_url(facility_a, person)).content.decode()
    assert f"<dd>{priority_group.code}. Người lao động tự do</dd>" in html


def test_the_desk_shows_dates_day_first_in_vietnamese_and_names_the_month_in_english(
    clerk_a: Any, vaccinator_a: Any, facility_a: Any, person: Any, comirnaty: Any
) -> None:
    """08/12/2026 reads as August 12 to many English readers: the English pages name the month; the
    Vietnamese ones stay day first. The lot's expiry in the select and the session's weekday too."""
    person.date_of_birth = date(1990, 12, 8)
    person.save(update_fields=["date_of_birth"])
    f.stock(facility_a, f.LotFactory(vaccine=comirnaty, number="DEC08", expiry=date(2027, 12, 8)), 20)
    f.SessionFactory(facility=facility_a, vaccine=comirnaty, date=date(2026, 12, 8))
    screening = all_no(signed_in(clerk_a), facility_a, person)
    sessions = reverse("clinic:sessions", kwargs={"facility_id": facility_a.public_id})
    for language, born, expiry, session_day in (
        ("vi", "<dd>08/12/1990", "· HSD 08/12/2027 ·", ">Thứ 3 08/12/2026</a>"),
        ("en", "<dd>8 Dec 1990", "· exp. 8 Dec 2027 ·", ">Tue 8 Dec 2026</a>"),
    ):
        client = signed_in(clerk_a, language)
        html = client.get(panel_url(facility_a, person, screening)).content.decode()
        assert born in html
        [lot] = [label for _v, label, _s in lot_options(html) if "DEC08" in label]
        assert expiry in lot
        listed = client.get(sessions).content.decode()
        assert session_day in listed
        if language == "en":
            assert "08/12/" not in html + listed


# 5. Selects wide enough to read (in a real browser) ------------------------------------------------------

#: the room a select leaves for its text: its width less its padding and the arrow
FITS = """(selector) => {
  const el = document.querySelector(selector);
  const style = getComputedStyle(el);
  const ctx = document.createElement("canvas").getContext("2d");
  ctx.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
  const widest = Math.max(...[...el.options].map((o) => ctx.measureText(o.text).width));
  const room = el.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) - 20;
  return {widest: Math.ceil(widest), room: Math.floor(room)};
}"""


@pytest.mark.django_db(transaction=True)
def test_the_vaccine_and_wastage_reason_selects_show_their_longest_option(
    page: Any, manager_a: Any, facility_a: Any, lot_a: Lot, catalogue: Any
) -> None:
    from vaxbook.common.testing import PASSWORD

    page.goto("/accounts/login/")
    page.fill("#id_username", manager_a.username)
    page.fill("#id_password", PASSWORD)
    page.press("#id_password", "Enter")
    page.wait_for_load_state()
    where = {"facility_id": facility_a.public_id}
    pages = (
        (reverse("clinic:sessions", kwargs=where), "#id_vaccine", "Covishield (AstraZeneca, Serum Institute of India)"),
        (reverse("stock:facility", kwargs=where), "#waste-form #id_reason", "lọ đã mở nhưng không dùng hết"),
    )
    for width in (1280, 1024, 900):
        page.set_viewport_size({"width": width, "height": 900})
        for url, selector, longest in pages:
            page.goto(url)
            assert longest in page.inner_text(selector)
            fit = page.evaluate(FITS, selector)
            assert fit["widest"] <= fit["room"], (width, url, fit)


def test_with_more_organizations_than_a_select_should_hold_the_invite_asks_for_the_tax_code(
    admin_user: Any, province: Any, session_urls: tuple[Any, str, str], monkeypatch: Any
) -> None:
    """A select cut at its first entries hid the others (a national administrator sees every organization
    of the country); past the limit the field takes the tax code."""
    from vaxbook.clinic import views
    from vaxbook.common import testing as t

    session, invite, page = session_urls
    orgs = [t.OrganizationFactory(admin_unit=province, name=f"Công ty {letter}") for letter in "ABC"]
    staff = t.PersonFactory(full_name="Nhân Viên Công Ty C")
    orgs[2].roster_entries.create(person=staff)
    client = signed_in(admin_user)
    listed = client.get(page).content.decode()
    assert re.search(r'<select name="organization" id="invite-org"', listed)
    assert all(str(o.public_id) in listed for o in orgs)

    monkeypatch.setattr(views, "ORGANIZATION_CHOICES_MAX", 2)
    typed = client.get(page).content.decode()
    assert not re.search(r'<select name="organization"', typed)
    assert re.search(
        r'<input type="text" name="organization" id="invite-org"[^>]*aria-describedby="invite-org-hint"', typed
    )
    assert "Có hơn 2 tổ chức" in typed
    response = client.post(invite, {"by": "organization", "organization": orgs[2].tax_code})
    assert response.status_code in (200, 302)
    assert Appointment.objects.filter(session=session, person=staff).exists()


def test_numbers_of_nobody_are_counted_and_those_not_listed_are_said(
    clerk: Client, person: Any, session_urls: tuple[Any, str, str], monkeypatch: Any
) -> None:
    from vaxbook.clinic import views

    monkeypatch.setattr(views, "UNKNOWN_NUMBERS_SHOWN", 2)
    session, invite, _page = session_urls
    nobody = ["075185000001", "075185000002", "075185000003"]
    response = clerk.post(invite, {"by": "ids", "id_numbers": "\n".join([person.id_number, *nobody])}, follow=True)
    assert session.appointments.filter(person=person).exists()
    assert "Không tìm thấy, chưa mời (3): 075185000001, 075185000002 và 1 số khác" in response.content.decode()
