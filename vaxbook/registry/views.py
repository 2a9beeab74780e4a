"""The registry's pages: search, a person's record, registration and correction, households.

Thin adapters: they read through `selectors` (always scoped to the user), write through `services`,
and turn a refusal (`DomainError`) into form errors or messages; a record outside the user's scope
is a 404 whether it exists or not.
"""

import uuid
from dataclasses import dataclass, field
from typing import Any

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.middleware import HtmxDetails

from vaxbook.accounts.names import display_name
from vaxbook.accounts.selectors import Scope, memberships_for_user, user_scope
from vaxbook.common.errors import Conflict, DomainError, NotFound
from vaxbook.organizations.selectors import roster_conflicts_for_user, roster_conflicts_open_for_person
from vaxbook.organizations.services import person_register_by
from vaxbook.registry import selectors, services
from vaxbook.registry.countries import country_name
from vaxbook.registry.forms import MemberAddForm, PersonForm, ward_choices
from vaxbook.registry.models import Household, Person
from vaxbook.registry.priority_groups import priority_group_label
from vaxbook.registry.tokens import person_qr_token

PAGE_SIZE = 50
SEARCH_LIMIT = 50
HISTORY_PAGE_SIZE = 100  # events a page of a person's change history shows, newest first

#: What each audit action is called in a person's change history. Every action the code records has
#: a label (tests/test_audit_labels.py finds them all in the source), although the history shows only
#: those about a person: an action code is never shown to a person.
ACTION_LABELS: dict[str, Any] = {
    # registry
    "registry.person.created": gettext_lazy("Registered"),
    "registry.person.updated": gettext_lazy("Changed"),
    "registry.person.merged": gettext_lazy("Merged into another record"),
    "registry.person.duplicate_dismissed": gettext_lazy("Marked as not a duplicate"),
    "registry.person.rechecked": gettext_lazy("Checked again by the current rules"),
    "registry.household.created": gettext_lazy("Household created"),
    "registry.household.member_added": gettext_lazy("Household member added"),
    "registry.household.member_removed": gettext_lazy("Household member removed"),
    "registry.priority_group.created": gettext_lazy("Priority group created"),
    "registry.priority_group.changed": gettext_lazy("Priority group changed"),
    # clinic
    "clinic.person.checked_in": gettext_lazy("Checked in"),
    "clinic.session.created": gettext_lazy("Vaccination session planned"),
    "clinic.session.cancelled": gettext_lazy("Vaccination session cancelled"),
    "clinic.session.reminders_queued": gettext_lazy("Reminders sent"),
    "clinic.appointment.invited": gettext_lazy("Invited to a vaccination session"),
    "clinic.appointment.cancelled": gettext_lazy("Appointment cancelled"),
    "clinic.appointment.walk_in": gettext_lazy("Came without an appointment"),
    "clinic.screening.recorded": gettext_lazy("Screening recorded"),
    "clinic.screening_question.created": gettext_lazy("Screening question added"),
    "clinic.screening_question.updated": gettext_lazy("Screening question changed"),
    "clinic.dose.recorded": gettext_lazy("Dose recorded"),
    "clinic.dose.renumbered": gettext_lazy("Dose renumbered"),
    "clinic.dose.voided": gettext_lazy("Dose voided"),
    "clinic.adverse_event.reported": gettext_lazy("Adverse event reported"),
    "clinic.adverse_event.updated": gettext_lazy("Adverse event updated"),
    # organizations
    "organizations.organization.created": gettext_lazy("Organization created"),
    "organizations.roster_entry.created": gettext_lazy("Added to a staff roster"),
    "organizations.roster_entry.removed": gettext_lazy("Removed from a staff roster"),
    "organizations.roster_entry.updated": gettext_lazy("Staff roster entry changed"),
    "organizations.roster_entry.merged": gettext_lazy("Staff roster entry moved to the merged record"),
    "organizations.roster.imported": gettext_lazy("Staff roster imported"),
    "organizations.roster_conflict.reviewed": gettext_lazy("Roster conflict reviewed"),
    "organizations.roster_conflict.moved": gettext_lazy("Roster conflict moved to the merged record"),
    "organizations.roster_import.started": gettext_lazy("Roster import started"),
    "organizations.roster_import.finished": gettext_lazy("Roster import finished"),
    "organizations.roster_import.failed": gettext_lazy("Roster import failed"),
    "organizations.roster_import.interrupted": gettext_lazy("Roster import interrupted"),
    "organizations.roster_import.cancelled": gettext_lazy("Roster import cancelled"),
    "organizations.roster_export.requested": gettext_lazy("Roster export requested"),
    "organizations.roster_export.finished": gettext_lazy("Roster exported"),
    "organizations.roster_export.interrupted": gettext_lazy("Roster export interrupted"),
    "organizations.roster_export.refused": gettext_lazy(
        "Roster export refused (its requester may no longer see the organization)"
    ),
    # vaccines
    "vaccines.vaccine.created": gettext_lazy("Vaccine added"),
    "vaccines.vaccine.updated": gettext_lazy("Vaccine changed"),
    "vaccines.lot.created": gettext_lazy("Vaccine lot added"),
    "vaccines.stock.received": gettext_lazy("Vaccine received"),
    "vaccines.stock.wasted": gettext_lazy("Vaccine wasted"),
    "vaccines.stock.transferred": gettext_lazy("Vaccine transferred"),
    # places
    "places.loaded": gettext_lazy("Administrative units loaded"),
    "places.facility.created": gettext_lazy("Vaccination unit created"),
    "places.facility.changed": gettext_lazy("Vaccination unit changed"),
    # accounts
    "accounts.user.created": gettext_lazy("Account created"),
    "accounts.user.changed": gettext_lazy("Account changed"),
    "accounts.user.locked": gettext_lazy("Account locked after failed sign-ins"),
    "accounts.citizen.created": gettext_lazy("Citizen account created"),
    "accounts.citizen.linked": gettext_lazy("Citizen account linked to the record"),
    "accounts.membership.granted": gettext_lazy("Role granted"),
    "accounts.membership.changed": gettext_lazy("Role changed"),
    "accounts.membership.revoked": gettext_lazy("Role revoked"),
    "accounts.membership.deleted": gettext_lazy("Role removed"),
    "accounts.otp.requested": gettext_lazy("Sign-in code sent"),
    "accounts.otp.verified": gettext_lazy("Signed in with a code"),
    "accounts.otp.failed": gettext_lazy("Wrong sign-in code"),
    "accounts.token.issued": gettext_lazy("API token issued"),
    "accounts.token.revoked": gettext_lazy("API token revoked"),
}

#: An action without a label (recorded by a newer version, or by code the test did not find):
#: still words, never the code (which stays in the page's data-action attribute for support).
OTHER_ACTION = gettext_lazy("Other change")


def action_label(action: str) -> Any:
    """What an audit action is called in the active language."""
    return ACTION_LABELS.get(action, OTHER_ACTION)


class HtmxHttpRequest(HttpRequest):
    """A request through django-htmx's middleware (for type checking)."""

    htmx: HtmxDetails


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def _person_or_404(request: HttpRequest, public_id: uuid.UUID | str) -> Person:
    try:
        return selectors.person_get_for_user(user=request.user, public_id=public_id)
    except NotFound:
        raise Http404(_("No such person, or you may not see them.")) from None


def _household_or_404(request: HttpRequest, public_id: uuid.UUID | str) -> Household:
    try:
        return selectors.household_get_for_user(user=request.user, public_id=public_id)
    except NotFound:
        raise Http404(_("No such household.")) from None


def _visible(request: HttpRequest, public_id: Any) -> Person | None:
    """The person if the user may open their record, else None (for links only)."""
    if not public_id:
        return None
    try:
        return selectors.person_get_for_user(user=request.user, public_id=public_id)
    except NotFound:
        return None


def _listing(scope: Scope) -> str:
    """Whose persons the registry lists for this user, for its wording: an organization's roster,
    a citizen's household, or (staff and officers) the persons of their area."""
    if scope.is_organization_only:
        return "organization"
    if scope.is_citizen:
        return "household"
    return "area"


def _default_province_code(request: HttpRequest) -> str:
    """The province of the user's first facility or area, so the ward list is ready to choose from."""
    for membership in memberships_for_user(user=request.user):
        unit = membership.facility.admin_unit if membership.facility else membership.admin_unit
        if unit is not None:
            return unit.province.code
    return ""


def _errors_to_messages(request: HttpRequest, exc: DomainError) -> None:
    for item in exc.errors:
        messages.error(request, str(item.message))


def _saved_message(request: HttpRequest, person: Person) -> None:
    if person.data_status == Person.DataStatus.COMPLETE:
        messages.success(request, _("Saved. The record is complete."))
    else:
        messages.warning(request, _("Saved, but the record is incomplete: what is missing is shown below."))


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return fallback


# --------------------------------------------------------------------------------------------
# Search
# --------------------------------------------------------------------------------------------


@login_required
@require_GET
def search(request: HtmxHttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:100]
    status = request.GET.get("status", "")
    if status not in Person.DataStatus.values:
        status = ""
    page = None
    if q:
        persons: Any = selectors.person_search(user=request.user, q=q, limit=SEARCH_LIMIT, status=status)
        truncated = len(persons) >= SEARCH_LIMIT
    else:
        listed = selectors.persons_for_user(user=request.user).order_by("search_name", "date_of_birth", "id")
        if status:
            listed = listed.filter(data_status=status)
        page = Paginator(listed, PAGE_SIZE).get_page(request.GET.get("page"))
        persons, truncated = page.object_list, False
    context = {
        "q": q,
        "status": status,
        "statuses": Person.DataStatus.choices,
        "persons": persons,
        "page": page,
        "truncated": truncated,
        "search_limit": SEARCH_LIMIT,
        # An organization registers its staff by its roster import: the page sends it there (one
        # registered through the form joins the roster too: organizations.services.person_register_by).
        "listing": _listing(user_scope(user=request.user)),
        "reviews_records": user_scope(user=request.user).reviews_records,
    }
    partial = bool(request.htmx) and not request.htmx.history_restore_request
    if context["reviews_records"] and not partial:  # the page's link says how many wait for an answer
        context["open_conflicts"] = roster_conflicts_for_user(user=request.user).count()
    response = render(request, "registry/_results.html" if partial else "registry/search.html", context)
    patch_vary_headers(response, ("HX-Request",))
    return response


# --------------------------------------------------------------------------------------------
# A person's record
# --------------------------------------------------------------------------------------------


@dataclass
class Fact:
    """One line of the record: a label, the value, and the problems of the fields it shows."""

    key: str
    label: Any
    value: Any
    fields: tuple[str, ...]
    problems: list[dict[str, str]] = field(default_factory=list)


def _facts(person: Person) -> list[Fact]:
    dob = date_format(person.date_of_birth, "DATE_FORMAT") if person.date_of_birth else ""
    document = ""
    if person.id_number:
        document = f"{capfirst(person.get_id_type_display())} · {person.id_number}"
    elif person.id_type == Person.IdType.NONE:
        document = str(capfirst(person.get_id_type_display()))
    place = ", ".join(str(u) for u in (person.ward, person.province) if u is not None)
    group = priority_group_label(person.priority_group)
    return [
        Fact("full_name", gettext_lazy("Full name"), person.full_name, ("full_name",)),
        Fact("date_of_birth", gettext_lazy("Date of birth"), dob, ("date_of_birth",)),
        Fact("sex", gettext_lazy("Sex"), capfirst(person.get_sex_display()) if person.sex else "", ("sex",)),
        Fact("phone", gettext_lazy("Phone"), person.phone, ("phone",)),
        Fact("id_number", gettext_lazy("Identity document"), document, ("id_type", "id_number")),
        Fact(
            "health_insurance_number",
            gettext_lazy("Health insurance number"),
            person.health_insurance_number,
            ("health_insurance_number",),
        ),
        Fact("nationality", gettext_lazy("Nationality"), country_name(person.nationality), ("nationality",)),
        Fact("ethnicity", gettext_lazy("Ethnicity"), person.ethnicity, ("ethnicity",)),
        Fact("occupation", gettext_lazy("Occupation"), person.occupation, ("occupation",)),
        Fact("priority_group", gettext_lazy("Priority group"), group, ("priority_group",)),
        Fact("ward_code", gettext_lazy("Ward / commune"), place, ("ward_code", "ward", "province_code", "province")),
        Fact("address_line", gettext_lazy("Address"), person.address_line, ("address_line",)),
    ]


def _history(request: HttpRequest, person: Person) -> tuple[list[dict[str, Any]], Page[Any]]:
    """A page of the person's change history (`?page=`), newest first: a record edited for years keeps
    every event within reach rather than its latest hundred."""
    page = Paginator(selectors.person_history(user=request.user, person=person), HISTORY_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    events = []
    for event in page.object_list:
        data = event.data or {}
        changed = list((data.get("changes") or {}).keys()) or list(data.get("filled") or [])
        labels = [PersonForm.field_label(name) for name in changed]
        events.append(
            {
                "at": event.at,
                "actor": display_name(event.actor) if event.actor else "",
                "action": event.action,
                "label": action_label(event.action),
                "fields": labels,
            }
        )
    return events, page


def _qr_svg(person: Person) -> SafeString:
    qr = segno.make(person_qr_token(person), error="m")
    svg = qr.svg_inline(scale=4, svgclass="qr-code", title=_("QR code of %(name)s") % {"name": person.full_name})
    return mark_safe(svg)  # noqa: S308 (generated by segno from a signed token; no user text in it)


@login_required
@require_GET
def person_detail(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    person = _person_or_404(request, public_id)
    problems = selectors.person_problems(person=person)
    facts = _facts(person)
    shown: set[str] = set()
    for fact in facts:
        fact.problems = [p for name in fact.fields for p in problems.get(name, [])]
        shown.update(fact.fields)
    other_problems = [p for name, items in problems.items() if name not in shown for p in items]
    scope = user_scope(user=request.user)
    duplicate = person.suspected_duplicate_of
    history, history_page = _history(request, person)
    context = {
        "person": person,
        "facts": facts,
        "other_problems": other_problems,
        "problem_count": sum(len(items) for items in problems.values()),
        "duplicate": duplicate,
        "duplicate_visible": _visible(request, duplicate.public_id) if duplicate else None,
        "merged_into": _visible(request, person.merged_into.public_id) if person.merged_into else None,
        "may_review": scope.reviews_records,
        # Open roster conflicts about this record (an organization's row gives its document with another
        # name or birth date), for the staff who review them.
        "roster_conflicts": roster_conflicts_open_for_person(person=person) if scope.reviews_records else [],
        "household": person.household,
        "qr_svg": _qr_svg(person) if not person.merged_into_id else "",
        "history": history,
        "page": history_page,
        "pager_anchor": "history",
    }
    return render(request, "registry/person_detail.html", context)


@login_required
@require_POST
def person_duplicate(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    person = _person_or_404(request, public_id)
    if not user_scope(user=request.user).reviews_records:
        messages.error(request, _("You are not allowed to review duplicates."))
        return redirect("registry:person", public_id=person.public_id)
    merge = request.POST.get("decision") == "merge"
    try:
        result = services.person_resolve_duplicate(actor=request.user, person=person, is_duplicate=merge)
    except DomainError as exc:
        _errors_to_messages(request, exc)
        return redirect("registry:person", public_id=person.public_id)
    if merge:
        messages.success(request, _("The two records were merged into this one."))
    else:
        messages.success(request, _("Marked as not a duplicate."))
    return redirect("registry:person", public_id=result.public_id)


# --------------------------------------------------------------------------------------------
# Registering and correcting
# --------------------------------------------------------------------------------------------


def _form_context(
    request: HttpRequest, form: PersonForm, *, person: Person | None, exc: DomainError | None = None
) -> dict[str, Any]:
    form.focus_first()
    existing = None
    if exc is not None and "document_taken" in exc.codes:
        found = _visible(request, exc.extra.get("existing_id"))
        if found is not None and (person is None or found.pk != person.pk):
            existing = found
    return {
        "form": form,
        "person": person,
        "existing": existing,
        "conflict": exc is not None and "edit_conflict" in exc.codes,
    }


def _may_call_service(form: PersonForm) -> bool:
    """Valid, or refused only for a date the rules would refuse anyway: ask the service for the rest."""
    return form.is_valid() or set(form.errors) <= {"date_of_birth"}


@login_required
@require_http_methods(["GET", "POST"])
def person_create(request: HttpRequest) -> HttpResponse:
    exc: DomainError | None = None
    if request.method == "POST":
        form = PersonForm(request.POST)
        if _may_call_service(form):
            try:
                person = person_register_by(
                    actor=request.user, data=form.person_input(), province_code=form.chosen_province_code()
                )
            except DomainError as error:
                exc = error
                form.add_domain_error(error)
            else:
                _saved_message(request, person)
                return redirect("registry:person", public_id=person.public_id)
    else:
        form = PersonForm(initial={"province_code": _default_province_code(request)})
    return render(request, "registry/person_form.html", _form_context(request, form, person=None, exc=exc))


@login_required
@require_http_methods(["GET", "POST"])
def person_edit(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    person = _person_or_404(request, public_id)
    if person.merged_into_id:
        messages.error(request, _("This record was merged into another one and can no longer be changed."))
        return redirect("registry:person", public_id=person.public_id)
    exc: DomainError | None = None
    if request.method == "POST":
        form = PersonForm(request.POST)
        if _may_call_service(form):
            try:
                updated = services.person_update(
                    actor=request.user,
                    person=person,
                    changes=form.changes(),
                    expected_version=form.cleaned_data.get("version"),
                )
            except Conflict as error:
                exc = error
                if "edit_conflict" in error.codes:
                    # Keep everything typed; the next save is made against the version now stored.
                    data = request.POST.copy()
                    data["version"] = str(error.extra.get("current_version", ""))
                    form = PersonForm(data)
                    form.is_valid()
                form.add_domain_error(error)
            except DomainError as error:
                exc = error
                form.add_domain_error(error)
            else:
                _saved_message(request, updated)
                return redirect("registry:person", public_id=updated.public_id)
    else:
        form = PersonForm(initial=PersonForm.initial_for(person))
    return render(request, "registry/person_form.html", _form_context(request, form, person=person, exc=exc))


@login_required
@require_GET
def wards(request: HttpRequest) -> HttpResponse:
    """The `<option>`s of a province's wards, for the form's ward select (htmx)."""
    province_code = request.GET.get("province_code", "")
    return render(request, "registry/_ward_options.html", {"wards": ward_choices(province_code)})


# --------------------------------------------------------------------------------------------
# Households
# --------------------------------------------------------------------------------------------


@login_required
@require_POST
def household_start(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    person = _person_or_404(request, public_id)
    try:
        household = services.household_create(actor=request.user, head=person)
    except DomainError as exc:
        _errors_to_messages(request, exc)
        return redirect("registry:person", public_id=person.public_id)
    messages.success(request, _("Household created. Add its members below."))
    return redirect("registry:household", public_id=household.public_id)


@login_required
@require_GET
def household_detail(request: HtmxHttpRequest, public_id: uuid.UUID) -> HttpResponse:
    household = _household_or_404(request, public_id)
    q = request.GET.get("q", "").strip()[:100]
    candidates = selectors.person_search(user=request.user, q=q, limit=10) if q else []
    context = {
        "household": household,
        "members": selectors.household_members(user=request.user, household=household),
        "q": q,
        "candidates": candidates,
        "member_form": MemberAddForm(),
    }
    partial = bool(request.htmx) and not request.htmx.history_restore_request
    response = render(request, "registry/_candidates.html" if partial else "registry/household_detail.html", context)
    patch_vary_headers(response, ("HX-Request",))
    return response


@login_required
@require_POST
def household_member_add(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    household = _household_or_404(request, public_id)
    back = reverse("registry:household", kwargs={"public_id": household.public_id})
    form = MemberAddForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a person to add."))
        return redirect(back)
    person = _visible(request, form.cleaned_data["person_id"])
    if person is None:
        messages.error(request, _("No such person, or you may not see them."))
        return redirect(back)
    try:
        services.household_add_member(
            actor=request.user, household=household, person=person, relation=form.cleaned_data["relation"]
        )
    except DomainError as exc:
        _errors_to_messages(request, exc)
    else:
        messages.success(request, _("%(name)s was added to the household.") % {"name": person.full_name})
    return redirect(back)


@login_required
@require_POST
def household_member_remove(request: HttpRequest, public_id: uuid.UUID, person_id: uuid.UUID) -> HttpResponse:
    household = _household_or_404(request, public_id)
    person = _person_or_404(request, person_id)
    try:
        services.household_remove_member(actor=request.user, household=household, person=person)
    except DomainError as exc:
        _errors_to_messages(request, exc)
    else:
        messages.success(request, _("%(name)s was removed from the household.") % {"name": person.full_name})
    return redirect(_safe_next(request, reverse("registry:household", kwargs={"public_id": household.public_id})))
