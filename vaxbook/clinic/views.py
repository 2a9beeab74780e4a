"""The vaccination-day desk: check-in, the completeness gate, screening, the dose, observation and
adverse events, a person's doses, and the facility's sessions.

Thin adapters, keyboard first. Reads go through `selectors` (scoped to the user), writes through
`services`; a refusal (`DomainError`) is shown with its message and its stable code in a `data-code`
attribute, never as a 500. The desk flow for a complete person whose screening is all "no" is:
scan + Enter (check-in), "all no — eligible", "record dose": each page puts the focus on the next
primary action, so Enter (or one click) moves on.
"""

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from vaxbook.accounts.models import Role
from vaxbook.accounts.names import display_name
from vaxbook.accounts.selectors import user_scope
from vaxbook.clinic import errors, rules, selectors, services
from vaxbook.clinic.forms import (
    AdverseEventForm,
    CheckinForm,
    DoseForm,
    InviteForm,
    ScreeningForm,
    SessionForm,
    VoidForm,
    new_key,
)
from vaxbook.clinic.models import Appointment, Dose, Screening, Session
from vaxbook.common.errors import Conflict, DomainError, ErrorItem
from vaxbook.common.forms import add_refusals
from vaxbook.common.idempotency import idempotent_call
from vaxbook.organizations.selectors import organization_public_id_by_tax_code
from vaxbook.places.models import Facility
from vaxbook.places.selectors import facilities_for_user
from vaxbook.registry import selectors as registry_selectors
from vaxbook.registry import services as registry_services
from vaxbook.registry.forms import PersonForm, priority_group_choices
from vaxbook.registry.models import Person
from vaxbook.registry.tokens import person_public_id_from_token
from vaxbook.vaccines.access import (
    FACILITY_STAFF,
    oversees_facility,
    require_facility_role,
    require_facility_view,
)
from vaxbook.vaccines.selectors import (
    StockLine,
    facility_get,
    stock_for_user,
    vaccine_catalogue,
    vaccine_get,
    vaccines_for_user,
)

#: a phone, not an ID number: 0 + 9 digits, or 84 / +84 + 9 digits
_PHONE_FIRST = re.compile(r"^(0\d{9}|\+?84\d{9})$")
LOT_KEY = "clinic.lot.{facility}"
VACCINATOR_KEY = "clinic.vaccinator.{facility}"
OBSERVATION_REFRESH_SECONDS = 30
AE_PAGE_SIZE = 100
FACILITY_PAGE_SIZE = 100

OUTCOME_LABELS: dict[str, Any] = dict(Screening.Outcome.choices)


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def _refusals(exc: DomainError) -> list[dict[str, str]]:
    return [item.as_dict() for item in exc.errors]


def refusals_as_pages(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A refusal that escapes a view (not your facility, no such person) is a page with its code."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except DomainError as exc:
            context = {"refusals": _refusals(exc), "status": exc.status}
            return render(request, "clinic/refused.html", context, status=exc.status)

    return wrapper


def desk_facility(request: HttpRequest, facility_id: uuid.UUID | str) -> Facility:
    """The facility whose desk this is: the user must work there (or be a national admin)."""
    facility = facility_get(public_id=facility_id)
    require_facility_role(user=request.user, facility=facility, roles=FACILITY_STAFF)
    return facility


def viewed_facility(request: HttpRequest, facility_id: uuid.UUID | str) -> Facility:
    """A facility the user may look at: its staff, and the officers overseeing it."""
    facility = facility_get(public_id=facility_id)
    require_facility_view(user=request.user, facility=facility)
    return facility


def facility_choices(request: HttpRequest, *, work: bool) -> QuerySet[Facility]:
    """The facilities to choose from: where the user works (`work`), or that they may see."""
    scope = user_scope(user=request.user)
    qs = facilities_for_user(user=request.user).filter(active=True)
    if work and not scope.national:
        qs = qs.filter(pk__in=scope.facility_ids)
    return qs.order_by("name", "pk")


def pick_facility(request: HttpRequest, url_name: str, *, work: bool, title: str) -> HttpResponse:
    """Go to the user's only facility, or let them choose one (a page at a time: a province has hundreds)."""
    page = Paginator(facility_choices(request, work=work), FACILITY_PAGE_SIZE).get_page(request.GET.get("page"))
    if page.paginator.count == 1:
        return redirect(url_name, facility_id=page.object_list[0].public_id)
    links = [(f, reverse(url_name, kwargs={"facility_id": f.public_id})) for f in page.object_list]
    return render(request, "clinic/facility_picker.html", {"links": links, "page": page, "title": title})


def _today() -> date:
    return timezone.localdate()


def _lookups(value: str) -> list[dict[str, str]]:
    """What the one input may be, in the order to try: a QR token, a phone, an identity number."""
    value = value.strip()
    if person_public_id_from_token(value) is not None or value.upper().startswith("P1."):
        return [{"token": value}]
    compact = re.sub(r"[\s.\-]", "", value)
    if _PHONE_FIRST.match(compact):
        return [{"phone": compact}, {"id_number": compact}]
    if compact.isdigit():
        return [{"id_number": compact}, {"phone": compact}]
    return [{"id_number": compact}]


def _vaccine_name(code: str) -> str:
    vaccine = vaccine_catalogue().get(code)
    return vaccine.name if vaccine is not None else code


def _facility_vaccinators(facility: Facility) -> list[tuple[str, str]]:
    return [(str(u.public_id), display_name(u)) for u in selectors.facility_vaccinators(facility=facility)]


def _is_vaccinator_at(request: HttpRequest, facility: Facility) -> bool:
    return Role.VACCINATOR in user_scope(user=request.user).facility_roles.get(facility.pk, frozenset())


def _usable_lines(lines: list[StockLine]) -> list[StockLine]:
    """The lots that can be given today: in stock and not expired."""
    today = _today()
    return [line for line in lines if line.on_hand > 0 and line.expiry >= today]


def _lot_label(line: StockLine, allowed: bool) -> str:
    label = _("%(vaccine)s · lot %(lot)s · exp. %(expiry)s · %(n)d left") % {
        "vaccine": line.vaccine_name,
        "lot": line.lot_number,
        "expiry": date_format(line.expiry, "DATE_FORMAT"),
        "n": line.on_hand,
    }
    return label if allowed else _("%(label)s (not for this dose)") % {"label": label}


def _preselected_lot(
    request: HttpRequest,
    facility: Facility,
    fit: list[StockLine],
    appointment: Appointment | None,
) -> str | None:
    """Among the usable lots of a vaccine allowed for this dose (`fit`): the session's lot (the one this
    desk used last, while it lasts), else the only one, else the nearest expiry of the session's vaccine,
    else of any. None when no lot fits: a lot "not for this dose" is offered, never preselected."""
    if not fit:
        return None
    last = request.session.get(LOT_KEY.format(facility=facility.public_id))
    if last and any(str(line.lot_id) == last for line in fit):
        return str(last)
    if len(fit) == 1:
        return str(fit[0].lot_id)
    session_code = appointment.session.vaccine.code if appointment is not None else None
    preferred = [line for line in fit if line.vaccine_code == session_code] or fit
    return str(min(preferred, key=lambda line: (line.expiry, line.lot_number)).lot_id)


def _dose_form(
    request: HttpRequest,
    facility: Facility,
    *,
    screening: Screening,
    allowed: tuple[str, ...],
    appointment: Appointment | None,
    data: Any = None,
    held: list[StockLine] | None = None,
    keep_lot: str | None = None,
    keep_vaccinator: str | None = None,
) -> DoseForm:
    """The dose form, the same whenever it is shown (first, after a form error, after a refusal): the
    usable lots (the allowed vaccines first, by expiry, each labelled), the lot kept (`keep_lot`, or the
    one posted) while it is usable for this dose, else the preselection. `held` (every lot the facility
    holds, empty and expired ones too) is read once by the caller that posts."""
    if held is None:
        held = stock_for_user(user=request.user, facility=facility, include_empty=True)
    lines = _usable_lines(held)
    ordered = sorted(lines, key=lambda line: (line.vaccine_code not in allowed, line.expiry, line.lot_number))
    fit = [line for line in ordered if line.vaccine_code in allowed]
    usable = [str(line.lot_id) for line in fit]
    lot_choices = [(str(line.lot_id), _lot_label(line, line.vaccine_code in allowed)) for line in ordered]
    if lot_choices and not fit:
        # Only lots of other vaccines: the vaccinator must choose, knowing the service will refuse them.
        lot_choices.insert(0, ("", _("Choose the lot…")))
    vaccinators = None if _is_vaccinator_at(request, facility) else _facility_vaccinators(facility)
    initial: dict[str, Any] = {"screening": screening.public_id, "key": new_key()}
    initial["lot"] = keep_lot if keep_lot in usable else _preselected_lot(request, facility, fit, appointment)
    if vaccinators:
        names = {v for v, _label in vaccinators}
        remembered = request.session.get(VACCINATOR_KEY.format(facility=facility.public_id))
        if keep_vaccinator in names:
            initial["vaccinator"] = keep_vaccinator
        elif remembered in names:
            initial["vaccinator"] = remembered
        elif len(vaccinators) == 1:
            initial["vaccinator"] = vaccinators[0][0]
    # A posted lot may have run out or expired since the form was shown: it passes the form, and the
    # service refuses it with its code (lot_expired, out_of_stock); it is not offered again.
    held_lots = [str(line.lot_id) for line in held] if data is not None else []
    return DoseForm(
        data,
        lot_choices=lot_choices,
        usable_lots=usable,
        held_lots=held_lots,
        vaccinator_choices=vaccinators,
        initial=initial,
    )


def _screening_form(data: Any = None, *, person: Person | None = None) -> ScreeningForm:
    questions = selectors.screening_questions()
    initial: dict[str, Any] = {}
    if person is not None and data is None:
        # A fact the record already holds is ticked for the screener (the only one: the age).
        today = _today()
        dob = person.date_of_birth
        age = today.year - dob.year - ((today.month, today.day) < (dob.month, dob.day))
        if age >= 65 and any(q.code == "age_65_plus" for q in questions):
            initial["yes_age_65_plus"] = True
    return ScreeningForm(data, questions=questions, language=get_language(), initial=initial)


def _screening_for_person(public_id: str | None, *, person: Person, facility: Facility) -> Screening | None:
    """Today's screening of this person at this facility, by its id (carried in the desk's URL)."""
    if not public_id:
        return None
    try:
        screening = selectors.screening_get(public_id=public_id)
    except DomainError:
        return None
    if screening.person_id != person.pk or screening.facility_id != facility.pk or screening.screened_on != _today():
        return None
    return screening


def _fix_form(person: Person) -> PersonForm:
    """The registry's person form, filled with the record, each stored problem next to its field."""
    data = {k: ("" if v is None else v) for k, v in PersonForm.initial_for(person).items()}
    if person.date_of_birth:
        data["date_of_birth"] = person.date_of_birth.isoformat()
    form = PersonForm(data)
    form.is_valid()
    problems = registry_selectors.person_problems(person=person)
    stored = {(p.get("field"), p.get("code")): p for p in person.problems or []}
    items = []
    for field_problems in problems.values():
        for p in field_problems:
            message = p["message"]
            if message == p["code"]:  # no live message for it: keep what was stored, if anything
                message = str(stored.get((p["field"], p["code"]), {}).get("message") or message)
            items.append(ErrorItem(p["field"], p["code"], message))
    if items:
        form.add_domain_error(DomainError(items))
    return form


@dataclass
class Panel:
    """What the desk shows for one person, and which form is next."""

    person: Person
    problems: list[dict[str, str]]
    gate: list[dict[str, str]]
    next_dose: rules.NextDose
    due_now: bool
    vaccine_names: list[str]
    appointment: Appointment | None
    doses: list[Dose]
    dose_today: Dose | None
    screening: Screening | None
    reasons: list[str]
    vaccinable: bool


def _panel(request: HttpRequest, facility: Facility, person: Person, screening: Screening | None) -> Panel:
    gate: list[dict[str, str]] = []
    try:
        services.person_gate(person)
    except DomainError as exc:
        gate = _refusals(exc)
    problems = [p for ps in registry_selectors.person_problems(person=person).values() for p in ps]
    nd, due = selectors.person_next_dose(person=person)
    doses = selectors.dose_history(user=request.user, person=person)
    today = _today()
    dose_today = next((d for d in doses if d.is_valid and d.administered_on == today), None)
    texts = {q.code: q.text(get_language()) for q in selectors.screening_questions()}
    reasons = [texts.get(code, code) for code in (screening.reasons if screening else [])]
    return Panel(
        person=person,
        problems=problems,
        gate=gate,
        next_dose=nd,
        due_now=due,
        vaccine_names=[_vaccine_name(c) for c in nd.vaccine_codes],
        appointment=selectors.appointment_today(facility=facility, person=person),
        doses=doses,
        dose_today=dose_today,
        screening=screening,
        reasons=reasons,
        vaccinable=screening is not None and screening.outcome in rules.VACCINABLE,
    )


def _may_void(request: HttpRequest, dose: Dose) -> bool:
    scope = user_scope(user=request.user)
    if oversees_facility(scope, dose.facility):
        return True
    return scope.can_work_at(dose.facility_id, *FACILITY_STAFF) and rules.within_void_window(
        dose.recorded_at, timezone.now()
    )


def _render_panel(
    request: HttpRequest,
    facility: Facility,
    person: Person,
    *,
    screening: Screening | None = None,
    fix_form: PersonForm | None = None,
    screening_form: ScreeningForm | None = None,
    dose_form: DoseForm | None = None,
    refusals: list[dict[str, str]] | None = None,
    refused_action: str = "",
    status: int = 200,
) -> HttpResponse:
    panel = _panel(request, facility, person, screening)
    step = "none"
    if panel.gate:
        step = "fix"
        fix_form = fix_form or _fix_form(person)
        fix_form.focus_first()
    elif panel.dose_today is not None:
        step = "done"
    elif not panel.due_now:
        step = "not_due"
    elif screening is None:
        step = "screening"
        screening_form = screening_form or _screening_form(person=person)
    elif panel.vaccinable:
        step = "dose"
        dose_form = dose_form or _dose_form(
            request,
            facility,
            screening=screening,
            allowed=panel.next_dose.vaccine_codes,
            appointment=panel.appointment,
        )
    else:
        step = "not_eligible"
    preticked = screening_form is not None and screening_form.has_yes()
    void_ids = {d.pk for d in panel.doses if d.is_valid and _may_void(request, d)}
    context = {
        "facility": facility,
        "panel": panel,
        "person": person,
        "step": step,
        "fix_form": fix_form,
        "screening_form": screening_form,
        "dose_form": dose_form,
        "preticked": preticked,
        "refusals": refusals or [],
        "refused_action": refused_action,
        "void_ids": void_ids,
        "today": _today(),
        "outcome_label": OUTCOME_LABELS.get(screening.outcome, "") if screening else "",
        "is_vaccinator": _is_vaccinator_at(request, facility),
    }
    return render(request, "clinic/person.html", context, status=status)


def _person(public_id: uuid.UUID | str) -> Person:
    return selectors.person_get(public_id=public_id)


def _panel_url(facility: Facility, person: Person, screening: Screening | None = None) -> str:
    url = reverse("clinic:person", kwargs={"facility_id": facility.public_id, "person_id": person.public_id})
    return f"{url}?screening={screening.public_id}" if screening is not None else url


# --------------------------------------------------------------------------------------------
# Check-in
# --------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
@refusals_as_pages
def checkin(request: HttpRequest, facility_id: uuid.UUID | None = None) -> HttpResponse:
    """The desk: one autofocused input. Enter checks the person in and opens their panel."""
    if facility_id is None:
        return pick_facility(request, "clinic:checkin", work=True, title=_("Check-in desk"))
    facility = desk_facility(request, facility_id)
    refusals: list[dict[str, str]] = []
    candidates: list[dict[str, Any]] = []
    status = 200
    if request.method == "POST":
        form = CheckinForm(request.POST)
        person_id = request.POST.get("person_id", "").strip()
        if person_id or form.is_valid():
            lookups = [{"person_id": person_id}] if person_id else _lookups(form.cleaned_data["q"])
            try:
                result = _checkin_first(request, facility, lookups)
            except DomainError as exc:
                refusals, status = _refusals(exc), exc.status
                candidates = [
                    {**c, "date_of_birth": date.fromisoformat(c["date_of_birth"])}
                    for c in exc.extra.get("candidates") or []
                ]
            else:
                return redirect(_panel_url(facility, result.person, result.screening))
        form = CheckinForm(request.POST)
    else:
        form = CheckinForm()
    dose = None
    if request.GET.get("dose"):
        try:
            dose = selectors.dose_get_for_user(user=request.user, public_id=request.GET["dose"])
        except DomainError:
            dose = None
        if dose is not None and dose.facility_id != facility.pk:
            dose = None
    context = {
        "facility": facility,
        "checkin_form": form,
        "refusals": refusals,
        "candidates": candidates,
        "dose": dose,
        "observe_until": dose.administered_at + rules.OBSERVATION if dose else None,
        "q": request.POST.get("q", ""),
    }
    return render(request, "clinic/checkin.html", context, status=status)


def _checkin_first(request: HttpRequest, facility: Facility, lookups: list[dict[str, str]]) -> services.CheckinResult:
    """Check in by the first look-up that finds somebody; the last "not found" is the answer."""
    last: DomainError | None = None
    for lookup in lookups:
        try:
            return services.checkin(actor=request.user, facility=facility, **lookup)  # type: ignore[arg-type]
        except DomainError as exc:
            if exc.codes != ["person_not_found"]:
                raise
            last = exc
    assert last is not None
    raise last


@login_required
@require_http_methods(["GET"])
@refusals_as_pages
def person(request: HttpRequest, facility_id: uuid.UUID, person_id: uuid.UUID) -> HttpResponse:
    """The check-in result: who, their record's status, the gate, the next dose, the next action."""
    facility = desk_facility(request, facility_id)
    found = _person(person_id)
    if found.public_id != person_id:  # a merged record: the one it became
        return redirect("clinic:person", facility_id=facility.public_id, person_id=found.public_id)
    screening = _screening_for_person(request.GET.get("screening"), person=found, facility=facility)
    return _render_panel(request, facility, found, screening=screening)


@login_required
@require_POST
@refusals_as_pages
def person_fix(request: HttpRequest, facility_id: uuid.UUID, person_id: uuid.UUID) -> HttpResponse:
    """The gate's fix-it form: the registry's PersonForm and `person_update`, then back to the desk."""
    facility = desk_facility(request, facility_id)
    found = _person(person_id)
    form = PersonForm(request.POST)
    if form.is_valid() or set(form.errors) <= {"date_of_birth"}:
        try:
            updated = registry_services.person_update(
                actor=request.user,
                person=found,
                changes=form.changes(),
                expected_version=form.cleaned_data.get("version"),
            )
        except Conflict as error:
            if "edit_conflict" in error.codes:
                data = request.POST.copy()
                data["version"] = str(error.extra.get("current_version", ""))
                form = PersonForm(data)
                form.is_valid()
            form.add_domain_error(error)
        except DomainError as error:
            form.add_domain_error(error)
        else:
            if updated.data_status == Person.DataStatus.COMPLETE:
                messages.success(request, _("Saved. The record is complete."))
            else:
                messages.warning(request, _("Saved, but the record is still not complete: see below."))
            return redirect(_panel_url(facility, updated))
    return _render_panel(request, facility, found, fix_form=form, status=422)


@login_required
@require_POST
@refusals_as_pages
def screening(request: HttpRequest, facility_id: uuid.UUID, person_id: uuid.UUID) -> HttpResponse:
    """Record the checklist. "All no — eligible" submits every answer as no; a ticked box is a yes."""
    facility = desk_facility(request, facility_id)
    found = _person(person_id)
    form = _screening_form(request.POST)
    if not form.is_valid():
        return _render_panel(request, facility, found, screening_form=form, status=422)
    all_no = "all_no" in request.POST
    if all_no and form.any_yes():
        refusal = {
            "field": "answers",
            "code": "screening_all_no_conflict",
            "message": _("A question is ticked “yes”: record the answers as ticked, or untick it."),
        }
        return _render_panel(
            request, facility, found, screening_form=form, refusals=[refusal], refused_action="screening", status=422
        )
    answers = {q.code: False for q in form.questions} if all_no else form.answers()
    try:
        recorded = services.screening_record(
            actor=request.user,
            person=found,
            facility=facility,
            answers=answers,
            note=form.cleaned_data.get("note") or "",
        )
    except DomainError as exc:
        return _render_panel(
            request,
            facility,
            found,
            screening_form=form,
            refusals=_refusals(exc),
            refused_action="screening",
            status=exc.status,
        )
    return redirect(_panel_url(facility, found, recorded))


@login_required
@require_POST
@refusals_as_pages
def dose(request: HttpRequest, facility_id: uuid.UUID, person_id: uuid.UUID) -> HttpResponse:
    """Record the dose once per idempotency key (a double submit replays the first answer)."""
    facility = desk_facility(request, facility_id)
    found = _person(person_id)
    screening_ = _screening_for_person(request.POST.get("screening"), person=found, facility=facility)
    nd, _due = selectors.person_next_dose(person=found)
    if screening_ is None:
        refusal = ErrorItem("screening_id", "screening_required", errors.ScreeningRequired.message)
        return _render_panel(request, facility, found, refusals=[refusal.as_dict()], refused_action="dose", status=422)
    appointment = selectors.appointment_today(facility=facility, person=found)
    held = stock_for_user(user=request.user, facility=facility, include_empty=True)
    form = _dose_form(
        request,
        facility,
        screening=screening_,
        allowed=nd.vaccine_codes,
        appointment=appointment,
        data=request.POST,
        held=held,
    )
    if not form.is_valid():
        return _render_panel(request, facility, found, screening=screening_, dose_form=form, status=422)
    # The form's lot field takes only a lot the facility holds (LotField).
    line = next(held_line for held_line in held if str(held_line.lot_id) == form.cleaned_data["lot"])
    vaccinator_id = form.cleaned_data.get("vaccinator") or None
    key = form.cleaned_data["key"]
    body = {
        "person_id": str(found.public_id),
        "facility_id": str(facility.public_id),
        "vaccine_code": line.vaccine_code,
        "lot_number": line.lot_number,
        "screening_id": str(screening_.public_id),
        "vaccinator_id": vaccinator_id,
        "source": Dose.Source.LIVE,
    }

    def run() -> tuple[int, Any]:
        from vaxbook.clinic.api import dose_out

        inputs = selectors.dose_inputs(
            person_id=found.public_id,
            facility_id=facility.public_id,
            vaccine_code=line.vaccine_code,
            lot_number=line.lot_number,
            screening_id=screening_.public_id,
            vaccinator_id=vaccinator_id,
        )
        recorded = services.dose_record(
            actor=request.user,
            administered_at=timezone.now(),
            source=Dose.Source.LIVE,
            idempotency_key=key,
            **inputs,
        )
        return 201, dose_out(recorded)

    try:
        status, payload = idempotent_call(user=request.user, scope=services.DOSE_SCOPE, key=key, body=body, run=run)
    except DomainError as exc:
        status, payload = exc.status, exc.as_payload()
    if status < 300:
        request.session[LOT_KEY.format(facility=facility.public_id)] = str(line.lot_id)
        if vaccinator_id:
            request.session[VACCINATOR_KEY.format(facility=facility.public_id)] = vaccinator_id
        url = reverse("clinic:checkin", kwargs={"facility_id": facility.public_id})
        return redirect(f"{url}?dose={payload['id']}")
    refusals = [
        {"field": str(e.get("field", "")), "code": str(e.get("code", "")), "message": str(e.get("message", ""))}
        for e in payload.get("errors", [])
    ]
    # The same form again, with the stock as it is now: the choices kept while usable, a new key for the next try.
    retry = _dose_form(
        request,
        facility,
        screening=screening_,
        allowed=nd.vaccine_codes,
        appointment=appointment,
        keep_lot=form.cleaned_data["lot"],
        keep_vaccinator=vaccinator_id,
    )
    return _render_panel(
        request,
        facility,
        found,
        screening=screening_,
        dose_form=retry,
        refusals=refusals,
        refused_action="dose",
        status=status,
    )


@login_required
@require_POST
@refusals_as_pages
def dose_void(request: HttpRequest, facility_id: uuid.UUID, dose_id: uuid.UUID) -> HttpResponse:
    facility = desk_facility(request, facility_id)
    target = selectors.dose_get_for_user(user=request.user, public_id=dose_id)
    form = VoidForm(request.POST)
    if not form.is_valid():
        refusal = ErrorItem("reason", "void_reason_required", errors.VoidReasonRequired.message)
        return _render_panel(
            request, facility, target.person, refusals=[refusal.as_dict()], refused_action="void", status=422
        )
    try:
        services.dose_void(actor=request.user, dose=target, reason=form.cleaned_data["reason"])
    except DomainError as exc:
        return _render_panel(
            request, facility, target.person, refusals=_refusals(exc), refused_action="void", status=exc.status
        )
    messages.success(request, _("Dose %(n)d was voided.") % {"n": target.dose_number})
    return redirect(_panel_url(facility, target.person))


# --------------------------------------------------------------------------------------------
# Observation and adverse events
# --------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET"])
@refusals_as_pages
def observation(request: HttpRequest, facility_id: uuid.UUID | None = None) -> HttpResponse:
    """Who is in the 30-minute observation after a dose here; refreshed by htmx every 30 s."""
    if facility_id is None:
        return pick_facility(request, "clinic:observation", work=False, title=_("Observation after vaccination"))
    facility = viewed_facility(request, facility_id)
    rows = selectors.observation_list(user=request.user, facility=facility)
    may_report = user_scope(user=request.user).can_work_at(facility.pk, *FACILITY_STAFF)
    context = {
        "facility": facility,
        "rows": rows,
        "may_report": may_report,
        "refresh": OBSERVATION_REFRESH_SECONDS,
        "now": timezone.now(),
    }
    htmx = getattr(request, "htmx", None)
    partial = bool(htmx) and not htmx.history_restore_request  # type: ignore[union-attr]
    response = render(request, "clinic/_observation_rows.html" if partial else "clinic/observation.html", context)
    patch_vary_headers(response, ("HX-Request",))
    return response


@login_required
@require_http_methods(["GET", "POST"])
@refusals_as_pages
def adverse_event(request: HttpRequest, facility_id: uuid.UUID, dose_id: uuid.UUID) -> HttpResponse:
    """Report a reaction after a dose (from the observation list or the person's doses)."""
    facility = desk_facility(request, facility_id)
    target = selectors.dose_get_for_user(user=request.user, public_id=dose_id)
    status = 200
    if request.method == "POST":
        form = AdverseEventForm(request.POST)
        if form.is_valid():
            try:
                services.adverse_event_report(
                    actor=request.user,
                    dose=target,
                    onset_at=form.onset(),
                    symptoms=form.cleaned_data["symptoms"],
                    serious=form.cleaned_data["serious"],
                    outcome=form.cleaned_data["outcome"],
                    note=form.cleaned_data.get("note") or "",
                )
            except DomainError as exc:
                status = exc.status
                add_refusals(form, exc.errors)
            else:
                messages.success(request, _("The reaction was reported."))
                if request.POST.get("back") == "person":
                    return redirect(_panel_url(facility, target.person))
                return redirect("clinic:observation", facility_id=facility.public_id)
        else:
            # A field the form refused (an onset that is not a date) must not hide the others' problems:
            # the service's rules judge what could be read.
            status = 422
            cleaned = form.cleaned_data
            problems = services.adverse_event_problems(
                administered_at=target.administered_at,
                onset_at=form.onset() if "onset_at" in cleaned else None,
                symptoms=cleaned.get("symptoms"),
                outcome=cleaned.get("outcome"),
                now=timezone.now(),
            )
            add_refusals(form, problems)
    else:
        form = AdverseEventForm()
    context = {"facility": facility, "dose": target, "form": form, "back": request.GET.get("back") or ""}
    if request.method == "POST":
        context["back"] = request.POST.get("back", "")
    return render(request, "clinic/adverse_event_form.html", context, status=status)


@login_required
@require_http_methods(["GET"])
def adverse_events(request: HttpRequest) -> HttpResponse:
    """Adverse events the user may see: serious ones by default (the area officer's list)."""
    only_serious = request.GET.get("all") != "1"
    rows = selectors.adverse_events_for_user(user=request.user, serious=True if only_serious else None)
    scope = user_scope(user=request.user)
    facility_ids = scope.facility_ids
    return render(
        request,
        "clinic/adverse_events.html",
        {
            "page": Paginator(rows, AE_PAGE_SIZE).get_page(request.GET.get("page")),
            "only_serious": only_serious,
            "desk_facility_ids": facility_ids,
        },
    )


# --------------------------------------------------------------------------------------------
# Sessions
# --------------------------------------------------------------------------------------------


def _vaccine_choices(request: HttpRequest) -> list[tuple[str, str]]:
    return [(v.code, v.name) for v in vaccines_for_user(user=request.user)]


def _may_plan(request: HttpRequest, facility: Facility) -> bool:
    return user_scope(user=request.user).can_work_at(facility.pk, *services.SESSION_ROLES)


@login_required
@require_http_methods(["GET", "POST"])
@refusals_as_pages
def sessions(request: HttpRequest, facility_id: uuid.UUID | None = None) -> HttpResponse:
    """The facility's sessions (from a week ago) and a form to plan one."""
    if facility_id is None:
        return pick_facility(request, "clinic:sessions", work=False, title=_("Vaccination sessions"))
    facility = viewed_facility(request, facility_id)
    groups = priority_group_choices()
    status = 200
    refusals: list[dict[str, str]] = []
    if request.method == "POST":
        form = SessionForm(request.POST, vaccine_choices=_vaccine_choices(request), group_choices=groups)
        if form.is_valid():
            data = form.cleaned_data
            try:
                created = services.session_create(
                    actor=request.user,
                    facility=facility,
                    date=data["date"],
                    starts_at=data["starts_at"],
                    ends_at=data["ends_at"],
                    vaccine=vaccine_get(code=data["vaccine"]),
                    capacity=data["capacity"],
                    priority_groups=data["priority_groups"],
                    note=data["note"],
                )
            except DomainError as exc:
                status, refusals = exc.status, _refusals(exc)
                add_refusals(form, exc.errors)
            else:
                messages.success(request, _("The session was planned."))
                return redirect("clinic:session", facility_id=facility.public_id, session_id=created.public_id)
        else:
            status = 422
    else:
        form = SessionForm(
            vaccine_choices=_vaccine_choices(request),
            group_choices=groups,
            initial={"date": _today(), "starts_at": "07:30", "ends_at": "16:30", "capacity": 100},
        )
    rows = selectors.sessions_for_user(user=request.user, facility=facility, date_from=_today() - timedelta(days=7))
    context = {
        "facility": facility,
        "rows": rows,
        "form": form,
        "may_plan": _may_plan(request, facility),
        "refusals": refusals,
        "today": _today(),
    }
    return render(request, "clinic/sessions.html", context, status=status)


def _session_of(request: HttpRequest, facility: Facility, session_id: uuid.UUID) -> Session:
    found = selectors.session_get_for_user(user=request.user, public_id=session_id)
    if found.facility_id != facility.pk:
        raise errors.SessionNotFound()
    return found


#: Organizations the invite form lists in a select; with more, it asks for the tax code instead (a
#: select cut at its first entries would hide the rest, and a longer one is no help to anyone).
ORGANIZATION_CHOICES_MAX = 200


def _organization_choices(request: HttpRequest) -> tuple[list[tuple[str, str]], bool]:
    """The organizations to choose from, and whether there are too many to list (type the tax code)."""
    from vaxbook.organizations.selectors import organizations_for_user

    listed = [
        (str(o.public_id), o.name) for o in organizations_for_user(user=request.user)[: ORGANIZATION_CHOICES_MAX + 1]
    ]
    if len(listed) > ORGANIZATION_CHOICES_MAX:
        return [], True
    return listed, False


def _session_page(
    request: HttpRequest,
    facility: Facility,
    session: Session,
    *,
    invite_form: InviteForm | None = None,
    refusals: list[dict[str, str]] | None = None,
    status: int = 200,
) -> HttpResponse:
    appointments = list(selectors.appointments_for_session(user=request.user, session=session))
    labels = dict(Appointment.Status.choices)
    tally: dict[str, int] = {}
    for a in appointments:
        tally[a.status] = tally.get(a.status, 0) + 1
    counts = [(status, labels.get(status, status), n) for status, n in tally.items()]
    organizations, organizations_many = _organization_choices(request)
    context = {
        "facility": facility,
        "session": session,
        "appointments": appointments,
        "counts": counts,
        "invite_form": invite_form or InviteForm(group_choices=priority_group_choices()),
        "organizations": organizations,
        "organizations_many": organizations_many,
        "organizations_max": ORGANIZATION_CHOICES_MAX,
        "may_plan": _may_plan(request, facility),
        "refusals": refusals or [],
        "open": session.status == Session.Status.PLANNED and session.date >= _today(),
        "vaccine_name": _vaccine_name(session.vaccine.code),
    }
    return render(request, "clinic/session_detail.html", context, status=status)


@login_required
@require_http_methods(["GET"])
@refusals_as_pages
def session_detail(request: HttpRequest, facility_id: uuid.UUID, session_id: uuid.UUID) -> HttpResponse:
    facility = viewed_facility(request, facility_id)
    return _session_page(request, facility, _session_of(request, facility, session_id))


def _organization_id(value: str) -> uuid.UUID | str:
    """An organization chosen from the list (its public id), or typed as its tax code."""
    value = value.strip()
    try:
        return uuid.UUID(value)
    except ValueError:
        pass
    found = organization_public_id_by_tax_code(tax_code=value)
    if found is None:
        raise errors.OrganizationNotFound()
    return found


#: Numbers of nobody that the message after an invitation lists (it says how many more there are).
UNKNOWN_NUMBERS_SHOWN = 20

#: the service's field of a refusal → the invite form's field it is shown under
INVITE_FIELDS = {
    "id_numbers": "id_numbers",
    "person_ids": "id_numbers",
    "priority_group": "priority_group",
    "organization_id": "organization",
}


@login_required
@require_POST
@refusals_as_pages
def session_invite(request: HttpRequest, facility_id: uuid.UUID, session_id: uuid.UUID) -> HttpResponse:
    """Invite by identity numbers, by priority group (in the catchment), or by an organization's roster."""
    facility = viewed_facility(request, facility_id)
    session_ = _session_of(request, facility, session_id)
    form = InviteForm(request.POST, group_choices=priority_group_choices())
    if not form.is_valid():
        return _session_page(request, facility, session_, invite_form=form, status=422)
    by = form.cleaned_data["by"]
    unknown: list[str] = []
    try:
        if by == "ids":
            person_ids: list[uuid.UUID] = []
            for number in form.id_number_lines():
                try:
                    person_ids.append(selectors.person_for_checkin(id_number=number).public_id)
                except DomainError:
                    unknown.append(number)
            if not person_ids:
                raise errors.PersonNotFound(_("Nobody was found with these identity numbers."), field="id_numbers")
            result = services.appointments_invite(actor=request.user, session=session_, person_ids=person_ids)
        elif by == "group":
            result = services.appointments_invite(
                actor=request.user, session=session_, priority_group=form.cleaned_data["priority_group"] or None
            )
        else:
            organization = _organization_id(form.cleaned_data["organization"] or "")
            result = services.appointments_invite(
                actor=request.user,
                session=session_,
                organization_id=organization,  # type: ignore[arg-type]
            )
    except DomainError as exc:
        # A refusal about what was typed goes under its field; the others (session full, closed) on top.
        by_field = [item for item in exc.errors if item.field in INVITE_FIELDS]
        add_refusals(form, by_field, INVITE_FIELDS)
        refusals = [item.as_dict() for item in exc.errors if item not in by_field]
        return _session_page(request, facility, session_, invite_form=form, refusals=refusals, status=exc.status)
    messages.success(
        request,
        _(
            "Invited: %(invited)d. Already invited: %(already)d. Incomplete records left out: %(incomplete)d. "
            "Left out, the session being full: %(full)d."
        )
        % {
            "invited": len(result.created),
            "already": result.already_invited,
            "incomplete": result.skipped_incomplete,
            "full": result.left_out_full,
        },
    )
    if unknown:
        shown = ", ".join(unknown[:UNKNOWN_NUMBERS_SHOWN])
        if len(unknown) > UNKNOWN_NUMBERS_SHOWN:
            more = len(unknown) - UNKNOWN_NUMBERS_SHOWN
            shown = _("%(numbers)s and %(more)d more") % {"numbers": shown, "more": more}
        messages.warning(
            request, _("Not found, not invited (%(count)d): %(numbers)s") % {"count": len(unknown), "numbers": shown}
        )
    return redirect("clinic:session", facility_id=facility.public_id, session_id=session_.public_id)


@login_required
@require_POST
@refusals_as_pages
def session_remind(request: HttpRequest, facility_id: uuid.UUID, session_id: uuid.UUID) -> HttpResponse:
    facility = viewed_facility(request, facility_id)
    session_ = _session_of(request, facility, session_id)
    try:
        count = services.session_send_reminders(actor=request.user, session=session_)
    except DomainError as exc:
        return _session_page(request, facility, session_, refusals=_refusals(exc), status=exc.status)
    messages.success(request, _("Reminders queued: %(n)d.") % {"n": count})
    return redirect("clinic:session", facility_id=facility.public_id, session_id=session_.public_id)
