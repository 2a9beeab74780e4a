"""The organization pages: the roster (with the template and the upload form), an import's progress, and
the roster's exports.

Thin adapters: reads through `selectors` (scoped to the user: an organization outside it is a 404),
the upload through `services.roster_import_start`, whose refusals become messages on the page.
"""

import uuid
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from vaxbook.accounts.selectors import user_scope
from vaxbook.common.errors import DomainError, Forbidden, NotFound
from vaxbook.common.sizes import size_text
from vaxbook.organizations import selectors, services
from vaxbook.organizations.api import error_report_response, roster_export_file_response, template_response
from vaxbook.organizations.conf import limit
from vaxbook.organizations.models import Organization, RosterConflict, RosterExport, RosterImport
from vaxbook.organizations.readers import render_problem
from vaxbook.organizations.reasons import refusal_summary
from vaxbook.registry.forms import PersonForm
from vaxbook.registry.models import Person

PAGE_SIZE = 50
RECENT_IMPORTS = 10
CONFLICTS_SHOWN = 10  # rows waiting for review named on the roster page (the API lists them all)
#: The rows sent for review an ended import's page lists (the error report holds them all, the API pages them):
#: a file of 20,000 such rows made a page of 2 MB, rendered again at each look.
CONFLICTS_LISTED = 100
SEARCH_MAX = 100  # characters of a roster search


#: What the file picker offers: every name the import reads by its content (`readers.SPREADSHEET_SUFFIXES`;
#: a real .xls is offered too, to be told how to save it), and their media types for the phones' pickers,
#: which go by type rather than by name.
UPLOAD_ACCEPT = ",".join(
    (
        ".xlsx",
        ".xlsm",
        ".xls",
        ".csv",
        ".txt",
        ".tsv",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.ms-excel.sheet.macroEnabled.12",
        "application/vnd.ms-excel",
        "text/csv",
        "text/plain",
        "text/tab-separated-values",
    )
)


class RosterUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Roster file (.xlsx or .csv)"),
        widget=forms.ClearableFileInput(
            attrs={"accept": UPLOAD_ACCEPT, "aria-describedby": "id_file_error upload-limits"}
        ),
        allow_empty_file=True,  # refused by the import's own check (`file_empty`), in its words and its box
    )


def _organization_or_404(request: HttpRequest, organization_id: uuid.UUID) -> Organization:
    try:
        return selectors.organization_get_for_user(user=request.user, public_id=organization_id)
    except NotFound:
        raise Http404(_("No such organization, or you may not see it.")) from None


def _representative_organization_or_403(request: HttpRequest, organization_id: uuid.UUID) -> Organization:
    """The organization, for a page that changes its roster: 404 unseen, 403 seen but not represented."""
    organization = _organization_or_404(request, organization_id)
    if not selectors.organization_may_import(user=request.user, organization=organization):
        raise PermissionDenied(_("Only the organization's representatives can change its roster."))
    return organization


def _import_or_404(request: HttpRequest, import_id: uuid.UUID) -> RosterImport:
    try:
        found = selectors.roster_import_get_for_user(user=request.user, public_id=import_id)
    except NotFound:
        raise Http404(_("No such roster import, or you may not see it.")) from None
    return services.roster_import_seen(found)


def _export_or_404(request: HttpRequest, export_id: uuid.UUID) -> RosterExport:
    try:
        found = selectors.roster_export_get_for_user(user=request.user, public_id=export_id)
    except NotFound:
        raise Http404(_("No such roster export, or you may not see it.")) from None
    return services.roster_export_seen(found)


@login_required
@require_GET
def organization_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:SEARCH_MAX]
    asked = request.GET.get("order", "")  # a link's order: an unknown one is by name
    order = cast(selectors.OrganizationOrder, asked if asked in selectors.ORGANIZATION_ORDERS else "name")
    organizations = selectors.organizations_ordered(
        organizations=selectors.organizations_for_user(user=request.user, q=q), order=order
    )
    page = Paginator(organizations, PAGE_SIZE).get_page(request.GET.get("page"))
    if page.paginator.count == 1 and not q:
        return redirect("organizations:roster", organization_id=page.object_list[0].public_id)
    listed = list(page.object_list)
    summary = selectors.organizations_roster_summary(organizations=listed)
    rows = [(o, summary[o.pk]) for o in listed]
    return render(request, "organizations/organization_list.html", {"page": page, "rows": rows, "q": q, "order": order})


def _absent_import(request: HttpRequest, organization: Organization) -> RosterImport | None:
    """The link's `?absent=<import>`: the organization's latest import, whose unlisted staff the page shows;
    any other value (another organization's import, an older one, a typo) shows the whole roster."""
    raw = request.GET.get("absent", "")
    return selectors.roster_absent_import(user=request.user, organization=organization, public_id=raw) if raw else None


def _roster_context(request: HttpRequest, organization: Organization, **extra: Any) -> dict[str, Any]:
    status = request.GET.get("status", "")
    if status not in Person.DataStatus.values:  # a link's filter: an unknown one shows the whole roster
        status = ""
    q = request.GET.get("q", "").strip()[:SEARCH_MAX]
    absent_import = _absent_import(request, organization)
    entries = selectors.roster_for_user(
        user=request.user, organization=organization, data_status=status, q=q, absent_from=absent_import
    )
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    counts = selectors.roster_status_counts(user=request.user, organization=organization)
    waiting = selectors.roster_conflicts_for_organization(user=request.user, organization=organization)
    shown_waiting = list(waiting[:CONFLICTS_SHOWN])
    to_fix = selectors.roster_conflicts_to_fix(user=request.user, organization=organization)
    shown_to_fix = list(to_fix[:CONFLICTS_SHOWN])
    as_shown = _roster_url_as_shown(request, organization)
    return {
        "organization": organization,
        "page": page,
        "status": status,
        "q": q,
        "statuses": [(value, label, counts.get(value, 0)) for value, label in Person.DataStatus.choices],
        "roster_total": sum(counts.values()),
        "imports": selectors.roster_imports_for_organization(user=request.user, organization=organization)[
            :RECENT_IMPORTS
        ],
        "may_import": selectors.organization_may_import(user=request.user, organization=organization),
        "absent_import": absent_import,
        # The staff whose rows wait for the health staff's review, whichever import sent them (the first few).
        "conflicts_waiting": shown_waiting,
        "conflicts_waiting_count": waiting.count() if len(shown_waiting) == CONFLICTS_SHOWN else len(shown_waiting),
        # The rows the health staff answered "the record is right", whose person is not on the roster yet.
        "conflicts_to_fix": shown_to_fix,
        "conflicts_to_fix_count": to_fix.count() if len(shown_to_fix) == CONFLICTS_SHOWN else len(shown_to_fix),
        "roster_return": as_shown,
        # The upload posts with the page's filter, search and page: a refusal shows the roster as it was.
        "roster_query": as_shown.partition("?")[2],
        "form": RosterUploadForm(),
        "upload_limits": {
            "size": size_text(limit("ROSTER_IMPORT_MAX_BYTES")),
            "rows": limit("ROSTER_IMPORT_MAX_ROWS"),
        },
        **extra,
    }


#: What the roster page is filtered and paged by: the address a change on one of its rows comes back to.
_ROSTER_QUERY = ("status", "q", "absent", "page")


def _roster_url_as_shown(request: HttpRequest, organization: Organization, query: QueryDict | None = None) -> str:
    """The roster's address with the page's filter, search and page number (of `query`, else of the request's)."""
    kept = QueryDict(mutable=True)
    given = request.GET if query is None else query
    for key in _ROSTER_QUERY:
        if value := str(given.get(key, "")):
            kept[key] = value[:200]
    url = reverse("organizations:roster", args=[organization.public_id])
    return f"{url}?{kept.urlencode()}" if kept else url


def _roster_return(request: HttpRequest, organization: Organization) -> str:
    """Where a row's edit or removal comes back to: the roster as it was shown, at its table (its ``next``: the
    roster's own address, of whose query only the filter, search and page are kept); else its first page."""
    url = reverse("organizations:roster", args=[organization.public_id])
    given = (request.POST.get("next") or request.GET.get("next") or "").partition("#")[0]
    path, _sep, query = given.partition("?")
    if path != url:
        return f"{url}#roster"
    return _roster_url_as_shown(request, organization, QueryDict(query)) + "#roster"


@login_required
@require_GET
@never_cache  # Back after an upload shows the roster as it is now (with the import), not the page before it
def roster(request: HttpRequest, organization_id: uuid.UUID) -> HttpResponse:
    organization = _organization_or_404(request, organization_id)
    return render(request, "organizations/roster.html", _roster_context(request, organization))


@login_required
@require_GET
def roster_template(request: HttpRequest, organization_id: uuid.UUID) -> HttpResponse:
    organization = _organization_or_404(request, organization_id)
    return template_response(organization, selectors.roster_template(user=request.user, organization=organization))


@login_required
@require_http_methods(["GET", "POST"])
@never_cache
def roster_imports(request: HttpRequest, organization_id: uuid.UUID) -> HttpResponse:
    """GET: every import of the organization, the latest first, a page at a time (the roster page shows
    the last few); POST: upload a roster."""
    organization = _organization_or_404(request, organization_id)
    if request.method == "POST":
        return _roster_import_upload(request, organization)
    imports = selectors.roster_imports_for_organization(user=request.user, organization=organization)
    page = Paginator(imports, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "organizations/imports.html", {"organization": organization, "page": page})


def _roster_import_upload(request: HttpRequest, organization: Organization) -> HttpResponse:
    form = RosterUploadForm(request.POST, request.FILES)
    errors: list[str] = []
    status = 422
    if form.is_valid():
        try:
            roster_import = services.roster_import_start(
                actor=request.user, organization=organization, upload=form.cleaned_data["file"]
            )
        except DomainError as exc:
            if exc.codes == ["import_duplicate"]:  # a second click: the page of the import already running
                messages.info(request, str(exc.errors[0].message))
                return redirect("organizations:import", import_id=exc.extra["import_id"])
            name = form.cleaned_data["file"].name
            errors = [
                _("The file “%(name)s” was not imported:") % {"name": name},
                *(str(e.message) for e in exc.errors),
            ]
            status = exc.status
        else:
            return redirect("organizations:import", import_id=roster_import.public_id)
    if errors:  # the file's refusals, in the box above the input: the input says it is invalid and points there
        form.fields["file"].widget.attrs.update({"aria-invalid": "true", "aria-describedby": "upload-errors"})
    # The language switch comes back to the roster as it was shown, where the form is (this address, asked again,
    # lists the imports).
    lang_next = _roster_url_as_shown(request, organization)
    context = _roster_context(request, organization, form=form, upload_errors=errors, lang_next=lang_next)
    return render(request, "organizations/roster.html", context, status=status)


#: How many section headings an import's page names (the API lists them all).
SHOWN_SECTIONS = 30


def _import_context(request: HttpRequest, roster_import: RosterImport) -> dict[str, Any]:
    # The rows sent for review: every one once the import ends; while it runs (its page polled each second), the
    # first few of its saved chunks, so that the roster's link to a running import's rows shows some.
    finished = roster_import.is_finished
    conflicting = roster_import.refusals.get("document_conflict", 0)
    conflicts: list[RosterConflict] = []
    held = 0  # the rows sent for review that are still this import's
    if conflicting:
        rows = selectors.roster_conflicts_for_import(user=request.user, roster_import=roster_import)
        shown = CONFLICTS_LISTED if finished else CONFLICTS_SHOWN
        conflicts = list(rows[:shown])
        held = rows.count() if len(conflicts) == shown else len(conflicts)
    return {
        "imp": roster_import,
        "conflicts": conflicts,
        # rows whose review a later file's same row took over (one review is open per person)
        "conflicts_later": max(0, conflicting - held),
        "conflicts_so_far": held if held > len(conflicts) else 0,
        "problems": [render_problem(p) for p in roster_import.problems],
        "footer_rows": ", ".join(str(n) for n in roster_import.footer_rows),
        "section_rows": ", ".join(f"{n} (“{text}”)" for n, text in roster_import.section_rows[:SHOWN_SECTIONS])
        + (", …" if len(roster_import.section_rows) > SHOWN_SECTIONS else ""),
        "reasons": refusal_summary(roster_import.refusals) if roster_import.is_finished else [],
        "outlook": selectors.roster_import_outlook(roster_import) if not roster_import.is_finished else {},
        "stall_minutes": limit("ROSTER_IMPORT_STALL_MINUTES"),
        "absent": selectors.roster_absent_from(roster_import=roster_import) if roster_import.is_finished else None,
        "held_back": selectors.roster_held_back_from(roster_import=roster_import),
        "values_kept": [
            {
                "field": name,
                "label": PersonForm.field_label(name),
                "rows": kept["rows"],
                "first_rows": ", ".join(str(n) for n in kept["first_rows"])
                + (", …" if kept["rows"] > len(kept["first_rows"]) else ""),
            }
            for name, kept in roster_import.values_kept.items()
        ],
        # said with the result (not asked again at each second's poll while it runs)
        "same_file_before": selectors.roster_import_same_file_before(roster_import=roster_import)
        if roster_import.is_finished
        else None,
        "may_cancel": not roster_import.is_finished
        and selectors.organization_may_import(user=request.user, organization=roster_import.organization),
    }


@login_required
@require_GET
@never_cache  # Back or Forward to it shows the import as it is now
def roster_import(request: HttpRequest, import_id: uuid.UUID) -> HttpResponse:
    imp = _import_or_404(request, import_id)
    return render(request, "organizations/import.html", _import_context(request, imp))


@login_required
@require_GET
def roster_import_status(request: HttpRequest, import_id: uuid.UUID) -> HttpResponse:
    """The progress fragment the import page polls (htmx, every second, until the import is finished)."""
    imp = _import_or_404(request, import_id)
    return render(request, "organizations/_import_status.html", _import_context(request, imp))


@login_required
@require_http_methods(["GET", "POST"])
def roster_import_cancel(request: HttpRequest, import_id: uuid.UUID) -> HttpResponse:
    """GET: ask before stopping an import (what stays, what to do next); POST: stop a queued or running
    import (`services.roster_import_cancel`); the rows saved before stay."""
    imp = _import_or_404(request, import_id)
    if request.method == "GET":
        if not selectors.organization_may_import(user=request.user, organization=imp.organization):
            raise PermissionDenied(_("Only the organization's representatives can import its roster."))
        if imp.is_finished:  # nothing to ask about: the import page says how it ended
            return redirect("organizations:import", import_id=imp.public_id)
        return render(request, "organizations/import_cancel.html", {"imp": imp})
    try:
        cancelled = services.roster_import_cancel(actor=request.user, roster_import=imp)
    except Forbidden:
        raise PermissionDenied(_("Only the organization's representatives can import its roster.")) from None
    except DomainError as exc:  # ended meanwhile (a second click, or the last chunk written)
        for error in exc.errors:
            messages.error(request, str(error.message))
    else:
        messages.success(
            request,
            _(
                "The import was cancelled. The rows counted so far were saved; upload the corrected file to finish "
                "(rows already saved are linked, not duplicated)."
            )
            if cancelled.total
            else _("The import was cancelled before any row was read: nothing was saved."),
        )
    return redirect("organizations:import", import_id=imp.public_id)


@login_required
@require_GET
def roster_import_error_report(request: HttpRequest, import_id: uuid.UUID) -> FileResponse:
    imp = _import_or_404(request, import_id)
    try:
        return error_report_response(imp)
    except NotFound:
        raise Http404(_("This import has no error report.")) from None


@login_required
@require_http_methods(["GET", "POST"])
def roster_entry_remove(request: HttpRequest, organization_id: uuid.UUID, person_id: uuid.UUID) -> HttpResponse:
    """GET: ask before taking a staff member off the roster; POST: take them off (their record stays)."""
    organization = _representative_organization_or_403(request, organization_id)
    if request.method == "POST":
        try:
            entry = services.roster_entry_remove(actor=request.user, organization=organization, person_id=person_id)
        except DomainError as exc:  # not (or no longer: a second click) on the roster
            for error in exc.errors:
                messages.error(request, str(error.message))
        else:
            messages.success(
                request,
                _("%(name)s was taken off the roster. Their record and vaccination history stay in the registry.")
                % {"name": entry.person.full_name},
            )
        return redirect(_roster_return(request, organization))
    try:
        entry = selectors.roster_entry_get_for_user(user=request.user, organization=organization, person_id=person_id)
    except NotFound:  # taken off already (Back after doing it), or never on it: said on the roster, as a POST says it
        messages.info(request, _("This person is not on the organization's roster."))
        return redirect(_roster_return(request, organization))
    context = {"organization": organization, "entry": entry, "roster_return": _roster_return(request, organization)}
    return render(request, "organizations/roster_entry_remove.html", context)


class RosterEntryForm(forms.Form):
    department = forms.CharField(label=gettext_lazy("Department"), required=False)
    employee_number = forms.CharField(label=gettext_lazy("Employee number"), required=False)
    # The values the page showed: a change made meanwhile is said, not overwritten.
    was_department = forms.CharField(required=False, widget=forms.HiddenInput)
    was_employee_number = forms.CharField(required=False, widget=forms.HiddenInput)


@login_required
@require_http_methods(["GET", "POST"])
def roster_entry_edit(request: HttpRequest, organization_id: uuid.UUID, person_id: uuid.UUID) -> HttpResponse:
    """A representative corrects a staff member's department or employee number."""
    organization = _representative_organization_or_403(request, organization_id)
    try:
        entry = selectors.roster_entry_get_for_user(user=request.user, organization=organization, person_id=person_id)
    except NotFound:
        raise Http404(_("This person is not on the organization's roster.")) from None
    status = 200
    if request.method == "POST":
        form = RosterEntryForm(request.POST)
        status = 422  # a refused form, as the service's refusals (it answered 200)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.roster_entry_update(
                    actor=request.user,
                    organization=organization,
                    person_id=person_id,
                    changes={"department": data["department"], "employee_number": data["employee_number"]},
                    expected={"department": data["was_department"], "employee_number": data["was_employee_number"]},
                )
            except DomainError as exc:
                status = exc.status
                for error in exc.errors:
                    if error.field in form.fields:
                        form.add_error(error.field, str(error.message))
                    else:
                        form.add_error(None, str(error.message))
            else:
                messages.success(
                    request, _("The roster entry of %(name)s was saved.") % {"name": entry.person.full_name}
                )
                return redirect(_roster_return(request, organization))
    else:
        values = {"department": entry.department, "employee_number": entry.employee_number}
        form = RosterEntryForm(
            initial={**values, "was_department": values["department"], "was_employee_number": values["employee_number"]}
        )
    context = {"organization": organization, "entry": entry, "form": form}
    context["roster_return"] = _roster_return(request, organization)
    return render(request, "organizations/roster_entry_edit.html", context, status=status)


@login_required
@require_POST
def roster_export_create(request: HttpRequest, organization_id: uuid.UUID) -> HttpResponse:
    """Export the roster as shown (all of it, or the persons of the data status the page filters on)."""
    organization = _organization_or_404(request, organization_id)
    try:
        export = services.roster_export_start(
            actor=request.user, organization=organization, data_status=request.POST.get("status", "")
        )
    except DomainError as exc:  # the service's refusal (a data status it does not know), said on the roster page
        for error in exc.errors:
            messages.error(request, str(error.message))
        return redirect("organizations:roster", organization_id=organization.public_id)
    return redirect("organizations:export", export_id=export.public_id)


@login_required
@require_GET
def roster_export(request: HttpRequest, export_id: uuid.UUID) -> HttpResponse:
    export = _export_or_404(request, export_id)
    return render(request, "organizations/export.html", _export_context(export))


@login_required
@require_GET
def roster_export_status(request: HttpRequest, export_id: uuid.UUID) -> HttpResponse:
    """The progress fragment the export page polls (htmx, every second, until the export is finished)."""
    export = _export_or_404(request, export_id)
    return render(request, "organizations/_export_status.html", _export_context(export))


@login_required
@require_GET
def roster_export_file(request: HttpRequest, export_id: uuid.UUID) -> FileResponse:
    export = _export_or_404(request, export_id)
    try:
        return roster_export_file_response(export)
    except NotFound:
        raise Http404(_("This export is not finished, or it failed.")) from None


def _export_context(export: RosterExport) -> dict[str, Any]:
    labels = dict(Person.DataStatus.choices)
    return {
        "export": export,
        "status_label": labels.get(export.data_status, ""),
        "problems": [render_problem(p) for p in export.problems],
    }


# -- roster conflicts, for the health staff who keep the records ------------------------------------


def _reviewer_or_403(request: HttpRequest) -> None:
    if not user_scope(user=request.user).reviews_records:
        raise PermissionDenied(_("Only the health staff who keep the registry's records review conflicts."))


@login_required
@require_GET
def conflict_list(request: HttpRequest) -> HttpResponse:
    """The roster rows whose document belongs to a record with another name or birth date, to review
    (or those reviewed: `?status=corrected`, `kept`, `all`)."""
    _reviewer_or_403(request)
    status = request.GET.get("status", RosterConflict.Status.OPEN)
    if status not in (*RosterConflict.Status.values, "all"):
        status = RosterConflict.Status.OPEN
    q = request.GET.get("q", "").strip()[:SEARCH_MAX]
    conflicts = selectors.roster_conflicts_for_user(user=request.user, status="" if status == "all" else status, q=q)
    page = Paginator(conflicts, PAGE_SIZE).get_page(request.GET.get("page"))
    statuses = [*RosterConflict.Status.choices, ("all", _("all"))]
    context = {"page": page, "status": status, "statuses": statuses, "q": q}
    return render(request, "organizations/conflicts.html", context)


def _comparison(conflict: RosterConflict) -> list[dict[str, Any]]:
    """The row's identity beside the record's, field by field, the differences marked."""
    given, person = conflict.submitted, conflict.person
    sexes, id_types = dict(Person.Sex.choices), dict(Person.IdType.choices)
    born = conflict.submitted_date_of_birth  # stored as ISO text, or empty
    birth = date_format(born, "DATE_FORMAT") if born is not None else given.get("date_of_birth", "")
    lines = [
        (_("Full name"), given.get("full_name", ""), person.full_name),
        (_("Date of birth"), birth, date_format(person.date_of_birth, "DATE_FORMAT")),
        (_("Sex"), capfirst(str(sexes.get(given.get("sex", ""), ""))), capfirst(str(sexes.get(person.sex, "")))),
        (
            _("Document"),
            capfirst(f"{id_types.get(given.get('id_type', ''), '')} {given.get('id_number', '')}".strip()),
            capfirst(f"{id_types.get(person.id_type, '')} {person.id_number}".strip()),
        ),
        (_("Phone"), given.get("phone", ""), person.phone),
    ]
    return [
        {"label": label, "given": a, "record": b, "differs": bool(a) and bool(b) and a != b} for label, a, b in lines
    ]


def _version(text: str) -> int | None:
    """A version the page sent back (ASCII digits, from 1, as the page writes it: "²" or "١" are digits to Python
    too, and int() of 5,000 digits raises); None for anything else, which the review refuses as not said, as the
    API refuses it."""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 10 and int(text) >= 1 else None


@login_required
@require_http_methods(["GET", "POST"])
def conflict_detail(request: HttpRequest, conflict_id: uuid.UUID) -> HttpResponse:
    """GET: the row beside the record; POST: the reviewer's decision (`correct` or `keep`)."""
    try:
        conflict = selectors.roster_conflict_get_for_user(user=request.user, public_id=conflict_id)
    except NotFound:
        raise Http404(_("No such roster conflict, or you may not see it.")) from None
    if request.method == "POST":
        try:
            services.roster_conflict_review(
                actor=request.user,
                conflict=conflict,
                decision=request.POST.get("decision", ""),
                person_version=_version(request.POST.get("person_version", "")),
                conflict_version=_version(request.POST.get("conflict_version", "")),
            )
        except DomainError as exc:
            for error in exc.errors:
                messages.error(request, str(error.message))
        else:
            if request.POST.get("decision") == "correct":
                messages.success(
                    request,
                    _("The record was corrected to the roster's data, and the person is on the organization's roster."),
                )
            else:
                messages.success(
                    request, _("The record was kept as it is: the organization will see it on its import.")
                )
        return redirect("organizations:conflict", conflict_id=conflict.public_id)
    context = {
        "conflict": conflict,
        "comparison": _comparison(conflict),
        "person": conflict.person,
        "listed": selectors.roster_entry_of_conflict(conflict=conflict) if conflict.is_open else None,
    }
    return render(request, "organizations/conflict.html", context)
