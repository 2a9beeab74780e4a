"""The stock page of a facility: lots on hand (expired and nearly-out ones highlighted), receiving a lot
and recording wastage. Thin adapters over `selectors.stock_for_user` and `services.lot_receive` /
`services.stock_waste`; a refusal is shown with its message and its code (`data-code`)."""

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from vaxbook.accounts.selectors import user_scope
from vaxbook.clinic.views import pick_facility, refusals_as_pages, viewed_facility
from vaxbook.common.errors import DomainError
from vaxbook.common.forms import add_refusals
from vaxbook.places.models import Facility
from vaxbook.vaccines import services
from vaxbook.vaccines.access import RECEIVE_ROLES, STOCK_ROLES
from vaxbook.vaccines.forms import LotField
from vaxbook.vaccines.models import StockMovement
from vaxbook.vaccines.selectors import (
    StockLine,
    lot_get,
    stock_for_user,
    stock_movements_for_user,
    vaccine_get,
    vaccines_for_user,
)

#: a lot with this many doses or fewer is "nearly out"
NEARLY_OUT = 10
#: a lot expiring within this many days is "expiring soon"
EXPIRING_DAYS = 30


class ReceiveForm(forms.Form):
    vaccine = forms.ChoiceField(label=gettext_lazy("Vaccine"), choices=[])
    number = forms.CharField(
        label=gettext_lazy("Lot number"), max_length=40, widget=forms.TextInput(attrs={"autocapitalize": "characters"})
    )
    expiry = forms.DateField(
        label=gettext_lazy("Expiry date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    quantity = forms.IntegerField(label=gettext_lazy("Doses received"), min_value=1, max_value=1_000_000)
    note = forms.CharField(label=gettext_lazy("Note (delivery note number)"), required=False, max_length=255)

    def __init__(self, *args: Any, vaccine_choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["vaccine"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = vaccine_choices


class WasteForm(forms.Form):
    """Wastage: the lots in stock, labelled, none chosen for the clerk (a ledger entry against the wrong
    lot is the error to avoid); a lot held but run out since the page was shown passes the form, for the
    service to refuse (out_of_stock)."""

    lot = LotField(label=gettext_lazy("Lot"), choices=[])
    quantity = forms.IntegerField(label=gettext_lazy("Doses wasted"), min_value=1, max_value=1_000_000)
    reason = forms.ChoiceField(label=gettext_lazy("Reason"), choices=StockMovement.WasteReason.choices)
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=255)

    def __init__(
        self, *args: Any, lot_choices: list[tuple[str, str]], held_lots: list[str] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["lot"]
        assert isinstance(field, LotField)
        offered = [value for value, _label in lot_choices]
        field.configure(
            choices=[("", gettext_lazy("Choose the lot…")), *lot_choices],
            held=offered if held_lots is None else held_lots,
            keep=offered,
        )


@dataclass(frozen=True)
class Row:
    line: StockLine
    expired: bool
    expiring: bool
    nearly_out: bool


def _rows(lines: list[StockLine], today: date) -> list[Row]:
    return [
        Row(
            line=line,
            expired=line.expiry < today,
            expiring=today <= line.expiry <= today + timedelta(days=EXPIRING_DAYS),
            nearly_out=0 < line.on_hand <= NEARLY_OUT,
        )
        for line in lines
    ]


def _vaccine_choices(request: HttpRequest) -> list[tuple[str, str]]:
    return [("", "—"), *((v.code, v.name) for v in vaccines_for_user(user=request.user))]


def _lot_choices(lines: list[StockLine]) -> list[tuple[str, str]]:
    return [
        (str(line.lot_id), f"{line.vaccine_name} · {line.lot_number} ({line.on_hand})")
        for line in lines
        if line.on_hand > 0
    ]


def _page(
    request: HttpRequest,
    facility: Facility,
    *,
    receive_form: ReceiveForm | None = None,
    waste_form: WasteForm | None = None,
    status: int = 200,
) -> HttpResponse:
    today = timezone.localdate()
    lines = stock_for_user(user=request.user, facility=facility)
    scope = user_scope(user=request.user)
    context = {
        "facility": facility,
        "rows": _rows(lines, today),
        "total": sum(line.on_hand for line in lines if line.expiry >= today),
        "movements": stock_movements_for_user(user=request.user, facility=facility, limit=30),
        "may_receive": scope.can_work_at(facility.pk, *RECEIVE_ROLES),
        "may_waste": scope.can_work_at(facility.pk, *STOCK_ROLES),
        "receive_form": receive_form or ReceiveForm(vaccine_choices=_vaccine_choices(request)),
        "waste_form": waste_form or WasteForm(lot_choices=_lot_choices(lines)),
        "nearly_out": NEARLY_OUT,
        "today": today,
    }
    return render(request, "vaccines/stock.html", context, status=status)


@login_required
@require_http_methods(["GET"])
@refusals_as_pages
def stock(request: HttpRequest, facility_id: uuid.UUID | None = None) -> HttpResponse:
    if facility_id is None:
        return pick_facility(request, "stock:facility", work=False, title=_("Vaccine stock"))
    return _page(request, viewed_facility(request, facility_id))


@login_required
@require_POST
@refusals_as_pages
def receive(request: HttpRequest, facility_id: uuid.UUID) -> HttpResponse:
    facility = viewed_facility(request, facility_id)
    form = ReceiveForm(request.POST, vaccine_choices=_vaccine_choices(request))
    if not form.is_valid():
        return _page(request, facility, receive_form=form, status=422)
    data = form.cleaned_data
    try:
        movement = services.lot_receive(
            actor=request.user,
            facility=facility,
            vaccine=vaccine_get(code=data["vaccine"]),
            number=data["number"],
            expiry=data["expiry"],
            quantity=data["quantity"],
            note=data["note"],
        )
    except DomainError as exc:
        add_refusals(form, exc.errors, {"lot_number": "number", "vaccine_code": "vaccine"})
        return _page(request, facility, receive_form=form, status=exc.status)
    messages.success(
        request,
        _("Received %(n)d doses of lot %(lot)s.") % {"n": movement.quantity, "lot": movement.lot.number},
    )
    return redirect("stock:facility", facility_id=facility.public_id)


@login_required
@require_POST
@refusals_as_pages
def waste(request: HttpRequest, facility_id: uuid.UUID) -> HttpResponse:
    facility = viewed_facility(request, facility_id)
    lines = stock_for_user(user=request.user, facility=facility, include_empty=True)
    form = WasteForm(request.POST, lot_choices=_lot_choices(lines), held_lots=[str(line.lot_id) for line in lines])
    if not form.is_valid():
        return _page(request, facility, waste_form=form, status=422)
    line = next(line for line in lines if str(line.lot_id) == form.cleaned_data["lot"])
    try:
        services.stock_waste(
            actor=request.user,
            facility=facility,
            lot=lot_get(vaccine=vaccine_get(code=line.vaccine_code), number=line.lot_number),
            quantity=form.cleaned_data["quantity"],
            reason=form.cleaned_data["reason"],
            note=form.cleaned_data["note"],
        )
    except DomainError as exc:
        add_refusals(form, exc.errors, {"lot_number": "lot"})
        return _page(request, facility, waste_form=form, status=exc.status)
    messages.success(
        request,
        _("Recorded %(n)d doses of lot %(lot)s as wasted.")
        % {"n": form.cleaned_data["quantity"], "lot": line.lot_number},
    )
    return redirect("stock:facility", facility_id=facility.public_id)
