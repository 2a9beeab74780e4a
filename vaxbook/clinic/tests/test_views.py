"""The vaccination-day desk's pages: check-in, the gate, screening, the dose, observation, adverse
events, voids, sessions, and who may use which desk."""

import re
import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from vaxbook.clinic.models import AdverseEvent, Appointment, Dose, Screening, Session
from vaxbook.clinic.tests import factories as f
from vaxbook.clinic.tests.fixtures import JCOVDEN
from vaxbook.common.models import IdempotencyRecord
from vaxbook.registry.models import Person
from vaxbook.registry.tokens import person_qr_token
from vaxbook.vaccines.models import Lot

pytestmark = pytest.mark.django_db


# Helpers ---------------------------------------------------------------------------------------


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def desk(facility: Any) -> str:
    return reverse("clinic:checkin", kwargs={"facility_id": facility.public_id})


def panel_url(facility: Any, person: Any) -> str:
    return reverse("clinic:person", kwargs={"facility_id": facility.public_id, "person_id": person.public_id})


def action(name: str, facility: Any, person: Any) -> str:
    return reverse(f"clinic:{name}", kwargs={"facility_id": facility.public_id, "person_id": person.public_id})


def codes(html: str) -> set[str]:
    return set(re.findall(r'data-code="([a-z_]+)"', html))


def all_no(client: Client, facility: Any, person: Any) -> Screening:
    response = client.post(action("screening", facility, person), {"all_no": "1"})
    assert response.status_code == 302, response.content.decode()[:2000]
    return Screening.objects.filter(person=person).latest("screened_at")


def dose_form_fields(html: str) -> dict[str, str]:
    """The hidden and pre-selected values of the dose form, as the browser would post them."""
    form = html[html.index('id="dose-form"') :]
    form = form[: form.index("</form>")]
    values = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form))
    selected = re.search(r'<select name="lot"[^>]*>.*?<option value="([^"]+)" selected', form, re.S)
    if selected:
        values["lot"] = selected.group(1)
    return values


@pytest.fixture
def vacc(vaccinator_a: Any) -> Client:
    return signed_in(vaccinator_a)


# Check-in --------------------------------------------------------------------------------------


def test_the_desk_has_one_autofocused_input(vacc: Client, facility_a: Any) -> None:
    html = vacc.get(desk(facility_a)).content.decode()
    assert html.count("autofocus") == 1
    assert re.search(r'<input type="text" name="q" id="checkin-q"[^>]*autofocus', html)
    # A heading for screen readers (every other page has one): the desk and its facility.
    assert re.search(r'<h1 class="visually-hidden">[^<]+ · Bệnh viện A</h1>', html)


def test_checkin_by_qr_token_shows_the_person_and_the_screening(
    vacc: Client, facility_a: Any, person: Any, lot_a: Lot
) -> None:
    response = vacc.post(desk(facility_a), {"q": person_qr_token(person)})
    assert response.status_code == 302
    assert response["Location"] == panel_url(facility_a, person)
    html = vacc.get(response["Location"]).content.decode()
    assert person.full_name in html and person.id_number in html
    assert 'data-status="complete"' in html
    assert 'id="next-dose" data-dose-number="1" data-due="true"' in html
    assert 'id="screening-form"' in html and 'id="dose-form"' not in html
    assert re.search(r'id="screen-all-no"[^>]*autofocus', html)


def test_checkin_by_id_number_and_by_phone(vacc: Client, facility_a: Any, person: Any, catalogue: Any) -> None:
    assert vacc.post(desk(facility_a), {"q": person.id_number})["Location"] == panel_url(facility_a, person)
    local = "0" + person.phone[3:]
    spaced = f"{local[:4]} {local[4:7]} {local[7:]}"
    assert vacc.post(desk(facility_a), {"q": spaced})["Location"] == panel_url(facility_a, person)


def test_a_shared_phone_offers_a_short_list(vacc: Client, facility_a: Any, ward1: Any, catalogue: Any) -> None:
    mother = f.PersonFactory(ward=ward1, phone="+84912000111", full_name="Trần Thị Mẹ")
    child = f.PersonFactory(ward=ward1, phone="+84912000111", full_name="Trần Văn Con")
    response = vacc.post(desk(facility_a), {"q": "0912000111"})
    html = response.content.decode()
    assert response.status_code == 409
    assert "person_ambiguous" in codes(html)
    assert mother.full_name in html and child.full_name in html
    chosen = vacc.post(desk(facility_a), {"person_id": str(child.public_id)})
    assert chosen["Location"] == panel_url(facility_a, child)


def test_nobody_found_is_a_refusal_with_its_code(vacc: Client, facility_a: Any, catalogue: Any) -> None:
    response = vacc.post(desk(facility_a), {"q": "075185999999"})
    assert response.status_code == 404
    html = response.content.decode()
    assert "person_not_found" in codes(html)
    assert 'id="search-instead"' in html
    forged = vacc.post(desk(facility_a), {"q": "P1." + "0" * 32 + ".forged"})
    assert forged.status_code == 404 and "person_not_found" in codes(forged.content.decode())


def test_a_walk_in_gets_an_appointment_in_todays_session(
    vacc: Client, facility_a: Any, person: Any, comirnaty: Any
) -> None:
    session = f.SessionFactory(facility=facility_a, vaccine=comirnaty)
    vacc.post(desk(facility_a), {"q": person.id_number})
    appointment = Appointment.objects.get(session=session, person=person)
    assert appointment.source == Appointment.Source.WALK_IN
    assert appointment.status == Appointment.Status.CHECKED_IN
    html = vacc.get(panel_url(facility_a, person)).content.decode()
    assert 'data-status="checked_in" data-source="walk_in"' in html


def test_checkin_with_the_day_screening_goes_straight_to_the_dose(
    vacc: Client, facility_a: Any, person: Any, comirnaty: Any, lot_a: Lot, screen: Any
) -> None:
    f.SessionFactory(facility=facility_a, vaccine=comirnaty)
    vacc.post(desk(facility_a), {"q": person.id_number})  # checked in: an appointment today
    screening = screen(person)
    response = vacc.post(desk(facility_a), {"q": person.id_number})
    assert response["Location"] == f"{panel_url(facility_a, person)}?screening={screening.public_id}"
    assert 'id="dose-form"' in vacc.get(response["Location"]).content.decode()


# The gate --------------------------------------------------------------------------------------


def test_an_incomplete_person_gets_the_fix_form_with_each_problem_next_to_its_field(
    vacc: Client, facility_a: Any, catalogue: Any, lot_a: Lot
) -> None:
    person = f.incomplete_person()
    vacc.post(desk(facility_a), {"q": person.id_number})
    html = vacc.get(panel_url(facility_a, person)).content.decode()
    assert 'id="gate"' in html and 'data-code="person_data_incomplete"' in html
    assert 'id="fix-form"' in html
    phone_row = re.search(r'id="row-phone">(.*?)</div>', html, re.S)
    ward_row = re.search(r'id="row-ward_code">(.*?)</div>', html, re.S)
    assert phone_row and 'data-code="phone_missing"' in phone_row.group(1)
    assert ward_row and 'data-code="ward_missing"' in ward_row.group(1)
    assert f'value="{person.full_name}"' in html  # pre-filled
    assert re.search(r'name="phone"[^>]*autofocus', html)  # the first field in error
    assert 'id="screening-form"' not in html and 'id="dose-form"' not in html
    # No bypass: the backend refuses a screening posted anyway.
    refused = vacc.post(action("screening", facility_a, person), {"all_no": "1"})
    assert refused.status_code == 422
    assert "person_data_incomplete" in codes(refused.content.decode())
    assert not Screening.objects.filter(person=person).exists()


def test_fixing_the_record_opens_the_screening(
    vacc: Client, facility_a: Any, ward1: Any, catalogue: Any, priority_group: Any
) -> None:
    person = f.incomplete_person()
    html = vacc.get(panel_url(facility_a, person)).content.decode()
    assert 'id="fix-form"' in html
    data = {
        "full_name": person.full_name,
        "date_of_birth": person.date_of_birth.isoformat(),
        "sex": person.sex,
        "phone": "0912 345 678",
        "id_type": person.id_type,
        "id_number": person.id_number,
        "nationality": "VN",
        "priority_group": priority_group.code,
        "province_code": ward1.parent.code,
        "ward_code": ward1.code,
        "address_line": "5 Đường Số 2",
        "version": person.version,
    }
    bad = vacc.post(action("fix", facility_a, person), {**data, "phone": "12345"})
    assert bad.status_code == 422
    assert 'data-code="phone_format"' in bad.content.decode()
    response = vacc.post(action("fix", facility_a, person), data)
    assert response.status_code == 302 and response["Location"] == panel_url(facility_a, person)
    person.refresh_from_db()
    assert person.data_status == Person.DataStatus.COMPLETE and person.phone == "+84912345678"
    html = vacc.get(response["Location"]).content.decode()
    assert 'id="gate"' not in html and 'id="screening-form"' in html


def test_a_stale_fix_is_an_edit_conflict(vacc: Client, facility_a: Any, catalogue: Any) -> None:
    person = f.incomplete_person()
    response = vacc.post(
        action("fix", facility_a, person),
        {"full_name": person.full_name, "date_of_birth": "1985-06-15", "sex": "M", "version": person.version - 1 + 5},
    )
    assert response.status_code == 422
    assert "edit_conflict" in codes(response.content.decode())


# Screening ---------------------------------------------------------------------------------------


def test_all_no_is_eligible_and_opens_the_dose_form(vacc: Client, facility_a: Any, person: Any, lot_a: Lot) -> None:
    response = vacc.post(action("screening", facility_a, person), {"all_no": "1"})
    screening = Screening.objects.get(person=person)
    assert screening.outcome == "eligible" and not any(screening.answers.values())
    assert response["Location"] == f"{panel_url(facility_a, person)}?screening={screening.public_id}"
    html = vacc.get(response["Location"]).content.decode()
    assert 'data-outcome="eligible"' in html
    assert 'id="dose-form"' in html and re.search(r'id="record-dose"[^>]*autofocus', html)
    assert 'id="dose-number" data-dose-number="1"' in html


def test_a_yes_that_postpones_shows_the_reason_and_no_dose_form(
    vacc: Client, facility_a: Any, person: Any, lot_a: Lot
) -> None:
    response = vacc.post(action("screening", facility_a, person), {"answers": "1", "yes_fever": "on"})
    screening = Screening.objects.get(person=person)
    assert screening.outcome == "postpone" and screening.reasons == ["fever"]
    html = vacc.get(response["Location"]).content.decode()
    assert 'data-outcome="postpone"' in html and "Sốt (nhiệt độ" in html
    assert 'id="dose-form"' not in html


def test_a_precaution_still_leads_to_the_dose(vacc: Client, facility_a: Any, person: Any, lot_a: Lot) -> None:
    response = vacc.post(action("screening", facility_a, person), {"answers": "1", "yes_pregnant": "on"})
    html = vacc.get(response["Location"]).content.decode()
    assert 'data-outcome="precaution"' in html and 'id="dose-form"' in html


def test_all_no_with_a_ticked_box_is_refused(vacc: Client, facility_a: Any, person: Any, lot_a: Lot) -> None:
    response = vacc.post(action("screening", facility_a, person), {"all_no": "1", "yes_fever": "on"})
    assert response.status_code == 422
    html = response.content.decode()
    assert "screening_all_no_conflict" in codes(html)
    assert re.search(r'name="yes_fever"[^>]*checked', html)
    assert not Screening.objects.filter(person=person).exists()


def test_a_person_of_65_has_the_age_question_ticked(vacc: Client, facility_a: Any, ward1: Any, lot_a: Lot) -> None:
    elder = f.PersonFactory(ward=ward1, date_of_birth=timezone.localdate().replace(year=1950))
    html = vacc.get(panel_url(facility_a, elder)).content.decode()
    assert re.search(r'name="yes_age_65_plus"[^>]*checked', html)
    assert re.search(r'id="screen-all-no"[^>]*disabled', html)
    assert re.search(r'id="screen-record"[^>]*autofocus', html)


# The dose ---------------------------------------------------------------------------------------


def test_the_dose_is_recorded_with_the_preselected_lot_and_confirmed(
    vacc: Client, vaccinator_a: Any, facility_a: Any, person: Any, lot_a: Lot
) -> None:
    screening = all_no(vacc, facility_a, person)
    html = vacc.get(f"{panel_url(facility_a, person)}?screening={screening.public_id}").content.decode()
    fields = dose_form_fields(html)
    assert fields["lot"] == str(lot_a.public_id) and fields["screening"] == str(screening.public_id)
    uuid.UUID(fields["key"])
    assert 'id="vaccinator-self"' in html
    response = vacc.post(action("dose", facility_a, person), fields)
    assert response.status_code == 302
    dose = Dose.objects.get(person=person)
    assert (dose.dose_number, dose.lot, dose.vaccinator, dose.source) == (1, lot_a, vaccinator_a, "live")
    assert dose.idempotency_key == fields["key"] and dose.screening == screening
    assert response["Location"] == f"{desk(facility_a)}?dose={dose.public_id}"
    confirmation = vacc.get(response["Location"]).content.decode()
    assert 'data-dose-number="1" data-lot="FK1234"' in confirmation
    assert re.search(r'id="checkin-q"[^>]*autofocus', confirmation)


def test_a_double_submit_records_one_dose(vacc: Client, facility_a: Any, person: Any, lot_a: Lot) -> None:
    screening = all_no(vacc, facility_a, person)
    fields = dose_form_fields(
        vacc.get(f"{panel_url(facility_a, person)}?screening={screening.public_id}").content.decode()
    )
    first = vacc.post(action("dose", facility_a, person), fields)
    second = vacc.post(action("dose", facility_a, person), fields)
    assert Dose.objects.filter(person=person).count() == 1
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert IdempotencyRecord.objects.filter(key=fields["key"]).count() == 1


def test_a_second_dose_gets_number_two(vacc: Client, facility_a: Any, person: Any, lot_a: Lot, give: Any) -> None:
    give(person, at=timezone.now() - timedelta(days=60))
    screening = all_no(vacc, facility_a, person)
    html = vacc.get(f"{panel_url(facility_a, person)}?screening={screening.public_id}").content.decode()
    assert 'id="dose-number" data-dose-number="2"' in html
    vacc.post(action("dose", facility_a, person), dose_form_fields(html))
    assert list(Dose.objects.filter(person=person).values_list("dose_number", flat=True)) == [1, 2]


def test_refusals_show_their_code_never_a_500(
    vacc: Client, facility_a: Any, person: Any, ward1: Any, comirnaty: Any, catalogue: Any
) -> None:
    scarce = f.LotFactory(vaccine=comirnaty, number="LAST1")
    f.stock(facility_a, scarce, 1)
    other = f.PersonFactory(ward=ward1)
    shown = {}
    for who in (person, other):
        screening = all_no(vacc, facility_a, who)
        shown[who.pk] = dose_form_fields(
            vacc.get(f"{panel_url(facility_a, who)}?screening={screening.public_id}").content.decode()
        )
    assert vacc.post(action("dose", facility_a, person), shown[person.pk]).status_code == 302
    response = vacc.post(action("dose", facility_a, other), shown[other.pk])
    assert response.status_code == 409
    html = response.content.decode()
    assert "out_of_stock" in codes(html)
    assert 'id="dose-form"' in html and dose_form_fields(html)["key"] != shown[other.pk]["key"]
    # A lot of another vaccine than the schedule allows.
    janssen = f.LotFactory(vaccine=catalogue[JCOVDEN], number="JJ001")
    f.stock(facility_a, janssen, 5)
    f.stock(facility_a, scarce, 5)
    Dose.objects.filter(person=person).update(administered_on=timezone.localdate() - timedelta(days=40))
    Dose.objects.filter(person=person).update(administered_at=timezone.now() - timedelta(days=40))
    screening = all_no(vacc, facility_a, person)
    fields = dose_form_fields(
        vacc.get(f"{panel_url(facility_a, person)}?screening={screening.public_id}").content.decode()
    )
    response = vacc.post(action("dose", facility_a, person), {**fields, "lot": str(janssen.public_id)})
    assert response.status_code == 422 and "vaccine_not_allowed" in codes(response.content.decode())
    # Without the day's screening.
    response = vacc.post(action("dose", facility_a, other), {**fields, "screening": str(uuid.uuid4())})
    assert response.status_code == 422 and "screening_required" in codes(response.content.decode())


def test_an_expired_lot_is_not_offered_and_refused_if_posted(
    vacc: Client, facility_a: Any, person: Any, comirnaty: Any, lot_a: Lot
) -> None:
    old = f.LotFactory(vaccine=comirnaty, number="OLD01", expiry=timezone.localdate() - timedelta(days=1))
    f.stock(facility_a, old, 10)
    screening = all_no(vacc, facility_a, person)
    html = vacc.get(f"{panel_url(facility_a, person)}?screening={screening.public_id}").content.decode()
    assert "OLD01" not in html
    response = vacc.post(action("dose", facility_a, person), {**dose_form_fields(html), "lot": str(old.public_id)})
    assert "lot_expired" in codes(response.content.decode())
    assert not Dose.objects.filter(person=person).exists()


def test_a_clerk_chooses_the_vaccinator(
    clerk_a: Any, vaccinator_a: Any, facility_a: Any, person: Any, lot_a: Lot
) -> None:
    clerk = signed_in(clerk_a)
    screening = all_no(clerk, facility_a, person)
    html = clerk.get(f"{panel_url(facility_a, person)}?screening={screening.public_id}").content.decode()
    assert re.search(rf'<option value="{vaccinator_a.public_id}" selected', html)  # the only one
    fields = {**dose_form_fields(html), "vaccinator": str(vaccinator_a.public_id)}
    assert clerk.post(action("dose", facility_a, person), fields).status_code == 302
    dose = Dose.objects.get(person=person)
    assert dose.vaccinator == vaccinator_a and dose.recorded_by == clerk_a


def test_a_person_vaccinated_today_is_not_offered_another_dose(
    vacc: Client, facility_a: Any, person: Any, give: Any
) -> None:
    give(person)
    html = vacc.get(panel_url(facility_a, person)).content.decode()
    assert 'id="vaccinated-today" data-dose-number="1"' in html
    assert 'id="screening-form"' not in html and 'id="dose-form"' not in html


def test_a_dose_not_due_yet_is_said_so(vacc: Client, facility_a: Any, person: Any, give: Any) -> None:
    give(person, at=timezone.now() - timedelta(days=3))
    html = vacc.get(panel_url(facility_a, person)).content.decode()
    assert 'id="not-due" data-code="dose_too_soon"' in html
    assert 'id="screening-form"' not in html


# A person's doses and voids ------------------------------------------------------------------------


def test_the_dose_history_shows_valid_and_voided_doses_and_voids_with_a_reason(
    vacc: Client, facility_a: Any, person: Any, give: Any
) -> None:
    dose = give(person)
    html = vacc.get(panel_url(facility_a, person)).content.decode()
    assert f'data-dose="{dose.public_id}" data-status="valid"' in html and 'class="void-form"' in html
    url = reverse("clinic:dose_void", kwargs={"facility_id": facility_a.public_id, "dose_id": dose.public_id})
    empty = vacc.post(url, {"reason": ""})
    assert empty.status_code == 422 and "void_reason_required" in codes(empty.content.decode())
    assert vacc.post(url, {"reason": "Nhập nhầm người"}).status_code == 302
    dose.refresh_from_db()
    assert dose.status == Dose.Status.VOIDED and dose.void_reason == "Nhập nhầm người"
    html = vacc.get(panel_url(facility_a, person)).content.decode()
    assert f'data-dose="{dose.public_id}" data-status="voided"' in html and "Nhập nhầm người" in html
    again = vacc.post(url, {"reason": "again"})
    assert again.status_code == 409 and "dose_already_voided" in codes(again.content.decode())


# Observation and adverse events ------------------------------------------------------------------


def test_the_observation_list_shows_the_last_30_minutes_with_minutes_left(
    vacc: Client, facility_a: Any, person: Any, ward1: Any, give: Any
) -> None:
    give(person)  # a minute ago
    earlier = f.PersonFactory(ward=ward1)
    give(earlier, at=timezone.now() - timedelta(days=30))  # back-entered: not observed
    url = reverse("clinic:observation", kwargs={"facility_id": facility_a.public_id})
    html = vacc.get(url).content.decode()
    assert person.full_name in html and earlier.full_name not in html
    assert re.search(r'data-minutes-left="(28|29)"', html)
    assert 'hx-trigger="every 30s"' in html
    partial = vacc.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in partial and person.full_name in partial


def test_an_adverse_event_is_reported_and_a_serious_one_reaches_the_officer(
    vacc: Client, officer: Any, facility_a: Any, person: Any, give: Any
) -> None:
    dose = give(person)
    url = reverse("clinic:adverse_event", kwargs={"facility_id": facility_a.public_id, "dose_id": dose.public_id})
    assert vacc.get(url).status_code == 200
    onset = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    empty = vacc.post(url, {"onset_at": onset, "symptoms": "", "outcome": "ongoing"})
    assert empty.status_code == 422 and "symptoms_required" in codes(empty.content.decode())
    response = vacc.post(
        url, {"onset_at": onset, "symptoms": "Khó thở, mẩn đỏ toàn thân", "serious": "on", "outcome": "hospitalized"}
    )
    assert response.status_code == 302
    event = AdverseEvent.objects.get(dose=dose)
    assert event.serious and event.outcome == "hospitalized"
    html = signed_in(officer).get(reverse("clinic:adverse_events")).content.decode()
    assert f'data-event="{event.public_id}" data-serious="true"' in html


def test_the_serious_list_is_paged_so_that_no_event_is_out_of_reach(
    officer: Any, vaccinator_a: Any, person: Any, give: Any, monkeypatch: Any
) -> None:
    from vaxbook.clinic import views
    from vaxbook.clinic.services import adverse_event_report

    monkeypatch.setattr(views, "AE_PAGE_SIZE", 2)
    dose = give(person, at=timezone.now() - timedelta(hours=2))
    events = [
        adverse_event_report(
            actor=vaccinator_a, dose=dose, onset_at=timezone.now() - timedelta(minutes=m), symptoms="Sốt", serious=True
        )
        for m in range(5)
    ]
    client = signed_in(officer)
    seen = []
    for page in (1, 2, 3):
        html = client.get(reverse("clinic:adverse_events"), {"page": page}).content.decode()
        seen += re.findall(r'data-event="([0-9a-f-]+)"', html)
    assert seen == [str(e.public_id) for e in events]  # the latest onset first, each once
    assert 'rel="next"' not in html and 'rel="prev"' in html  # the last page


def test_an_officer_picks_among_every_facility_of_the_area_a_page_at_a_time(
    officer: Any, ward1: Any, monkeypatch: Any
) -> None:
    from vaxbook.clinic import views
    from vaxbook.common import testing as t

    monkeypatch.setattr(views, "FACILITY_PAGE_SIZE", 2)
    made = [t.FacilityFactory(code=f"F{n}", name=f"Trạm Y tế {n}", admin_unit=ward1) for n in range(5)]
    client = signed_in(officer)
    seen: list[str] = []
    for page in (1, 2, 3):
        html = client.get(reverse("clinic:sessions"), {"page": page}).content.decode()
        seen += re.findall(r'data-facility="([0-9a-f-]+)"', html)
    assert seen == [str(f.public_id) for f in made]
    only = signed_in(f.make_member(f.Role.FACILITY_MANAGER, facility=made[0], username="only_one"))
    response = only.get(reverse("clinic:checkin"))  # one facility: straight to it
    assert response.status_code == 302
    assert response["Location"] == reverse("clinic:checkin", kwargs={"facility_id": made[0].public_id})


# Scoping -----------------------------------------------------------------------------------------


def test_another_facilitys_staff_cannot_use_the_desk(
    clerk_b: Any, officer: Any, facility_a: Any, person: Any, lot_a: Lot
) -> None:
    other = signed_in(clerk_b)
    for response in (
        other.get(desk(facility_a)),
        other.post(desk(facility_a), {"q": person.id_number}),
        other.get(panel_url(facility_a, person)),
        other.post(action("screening", facility_a, person), {"all_no": "1"}),
    ):
        assert response.status_code == 403
        assert "facility_forbidden" in codes(response.content.decode())
    assert not Screening.objects.exists() and not Appointment.objects.exists()
    officer_response = signed_in(officer).get(desk(facility_a))
    assert officer_response.status_code == 403 and "role_forbidden" in codes(officer_response.content.decode())


def test_the_desk_entry_goes_to_the_users_only_facility_or_offers_a_choice(
    vacc: Client, vaccinator_a: Any, facility_a: Any, facility_b: Any, rep: Any
) -> None:
    assert vacc.get(reverse("clinic:checkin"))["Location"] == desk(facility_a)
    f.make_member(f.Role.VACCINATOR, facility=facility_b, username="both")
    both = f.UserFactory(username="both2")
    f.make_member(f.Role.DATA_CLERK, facility=facility_a, username="x")  # unrelated
    from vaxbook.accounts.models import Membership

    Membership.objects.create(user=both, role=f.Role.VACCINATOR, facility=facility_a)
    Membership.objects.create(user=both, role=f.Role.VACCINATOR, facility=facility_b)
    html = signed_in(both).get(reverse("clinic:checkin")).content.decode()
    assert str(facility_a.public_id) in html and str(facility_b.public_id) in html
    assert 'id="no-facility"' in signed_in(rep).get(reverse("clinic:checkin")).content.decode()
    assert Client().get(reverse("clinic:checkin")).status_code == 302  # sign in first


# Sessions ----------------------------------------------------------------------------------------


def test_sessions_are_planned_invited_and_reminded(
    clerk_a: Any,
    facility_a: Any,
    person: Any,
    ward1: Any,
    comirnaty: Any,
    priority_group: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    clerk = signed_in(clerk_a)
    url = reverse("clinic:sessions", kwargs={"facility_id": facility_a.public_id})
    assert clerk.get(url).status_code == 200
    past = clerk.post(
        url,
        {
            "date": (timezone.localdate() - timedelta(days=1)).isoformat(),
            "starts_at": "07:30",
            "ends_at": "11:30",
            "vaccine": comirnaty.code,
            "capacity": "50",
        },
    )
    assert past.status_code == 422 and "session_in_past" in codes(past.content.decode())
    response = clerk.post(
        url,
        {
            "date": (timezone.localdate() + timedelta(days=1)).isoformat(),
            "starts_at": "07:30",
            "ends_at": "11:30",
            "vaccine": comirnaty.code,
            "capacity": "2",
            "priority_groups": [priority_group.code],
        },
    )
    session = Session.objects.get()
    assert response["Location"] == reverse(
        "clinic:session", kwargs={"facility_id": facility_a.public_id, "session_id": session.public_id}
    )
    invite = reverse(
        "clinic:session_invite", kwargs={"facility_id": facility_a.public_id, "session_id": session.public_id}
    )
    clerk.post(invite, {"by": "ids", "id_numbers": f"{person.id_number}\n075185000000"})
    assert list(session.appointments.values_list("person", flat=True)) == [person.pk]
    f.PersonFactory(ward=ward1, priority_group=priority_group)
    f.PersonFactory(ward=ward1, priority_group=priority_group)
    clerk.post(invite, {"by": "group", "priority_group": priority_group.code})
    assert session.appointments.count() == 2  # capacity 2: one left out
    full = clerk.post(invite, {"by": "group", "priority_group": priority_group.code})
    assert full.status_code == 409 and "session_full" in codes(full.content.decode())
    remind = reverse(
        "clinic:session_remind", kwargs={"facility_id": facility_a.public_id, "session_id": session.public_id}
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert clerk.post(remind).status_code == 302
    assert session.appointments.filter(reminder_sent_at__isnull=False).count() == 2
    html = clerk.get(response["Location"]).content.decode()
    assert person.full_name in html and 'id="send-reminders"' in html


def test_a_vaccinator_sees_sessions_but_does_not_plan_them(
    vacc: Client, facility_a: Any, comirnaty: Any, clerk_b: Any
) -> None:
    f.SessionFactory(facility=facility_a, vaccine=comirnaty)
    url = reverse("clinic:sessions", kwargs={"facility_id": facility_a.public_id})
    html = vacc.get(url).content.decode()
    assert 'id="sessions-list"' in html and 'id="session-form"' not in html
    assert signed_in(clerk_b).get(url).status_code == 403


# The way in -------------------------------------------------------------------------------------


def test_the_home_page_and_menu_lead_to_the_desk_for_facility_staff_only(
    vaccinator_a: Any, officer: Any, rep: Any
) -> None:
    html = signed_in(vaccinator_a).get(reverse("home")).content.decode()
    assert 'id="nav-desk"' in html and html.count('id="nav-desk"') == 1
    assert f'href="{reverse("clinic:checkin")}" data-tile="checkin"' in html
    assert 'data-tile="stock"' in html and 'data-tile="sessions"' in html
    officer_html = signed_in(officer).get(reverse("home")).content.decode()
    assert 'id="nav-desk"' not in officer_html and 'data-tile="adverse-events"' in officer_html
    rep_html = signed_in(rep).get(reverse("home")).content.decode()
    assert 'id="nav-desk"' not in rep_html and 'data-tile="adverse-events"' not in rep_html
