"""The vaccination-day desk's forms.

Like the registry's forms, they carry what was typed to the services and do not repeat their rules:
the services refuse with a stable code, and the view shows each refusal next to its field. The
person's fix-it form at the gate is the registry's own `vaxbook.registry.forms.PersonForm`.
"""

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from vaxbook.clinic import errors
from vaxbook.clinic.models import AdverseEvent, ScreeningQuestion
from vaxbook.vaccines.forms import LotField


class CheckinForm(forms.Form):
    """The desk's one input: a scanned QR token, an identity number or a phone, then Enter."""

    q = forms.CharField(
        label=_("Scan the QR code, or type the ID number or phone"),
        max_length=300,
        strip=True,
        widget=forms.TextInput(
            attrs={
                "id": "checkin-q",
                "autocomplete": "off",
                "autocapitalize": "off",
                "spellcheck": "false",
                "enterkeyhint": "go",
                "inputmode": "text",
            }
        ),
    )


class ScreeningForm(forms.Form):
    """The MoH checklist: one checkbox per question, meaning "yes"; an unticked box is a "no".

    The explicit "all no" button (`all_no`) is refused when a box is ticked, so that Enter on a form
    with a "yes" never records "all no".
    """

    note = forms.CharField(label=_("Note"), required=False, max_length=255)

    def __init__(self, *args: Any, questions: list[ScreeningQuestion], language: str | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.questions = questions
        for q in questions:
            self.fields[f"yes_{q.code}"] = forms.BooleanField(label=q.text(language), required=False)

    def answer_fields(self) -> list[tuple[ScreeningQuestion, forms.BoundField]]:
        return [(q, self[f"yes_{q.code}"]) for q in self.questions]

    def answers(self) -> dict[str, bool]:
        return {q.code: bool(self.cleaned_data.get(f"yes_{q.code}")) for q in self.questions}

    def any_yes(self) -> bool:
        return any(self.answers().values())

    def has_yes(self) -> bool:
        """Whether a box is ticked as shown (typed, or pre-ticked from the record)."""
        for q in self.questions:
            name = f"yes_{q.code}"
            if self.is_bound:
                if self.data.get(self.add_prefix(name)) not in (None, "", "false", "off"):
                    return True
            elif self.initial.get(name):
                return True
        return False


def new_key() -> str:
    return str(uuid.uuid4())


class DoseForm(forms.Form):
    """Recording the dose: the lot (which names the vaccine), who gave it, and the idempotency key.

    The time is the moment of the submit (administered now); the dose number is the backend's.
    """

    lot = LotField(label=_("Vaccine and lot"), choices=[])
    vaccinator = forms.ChoiceField(label=_("Vaccinator"), choices=[], required=False)
    screening = forms.UUIDField(widget=forms.HiddenInput)
    key = forms.CharField(widget=forms.HiddenInput, max_length=200)

    def __init__(
        self,
        *args: Any,
        lot_choices: list[tuple[str, str]],
        usable_lots: Iterable[str] = (),
        held_lots: Iterable[str] = (),
        vaccinator_choices: list[tuple[str, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        """`lot_choices` are the lots offered; `usable_lots` those of them fit for this dose (the only ones
        kept or preselected); `held_lots` every lot held, accepted when posted for the service to judge."""
        super().__init__(*args, **kwargs)
        lot_field = self.fields["lot"]
        assert isinstance(lot_field, LotField)
        lot_field.configure(choices=lot_choices, held=held_lots, keep=usable_lots)
        vaccinator_field = self.fields["vaccinator"]
        assert isinstance(vaccinator_field, forms.ChoiceField)
        if vaccinator_choices is None:
            vaccinator_field.widget = forms.HiddenInput()
        else:
            vaccinator_field.choices = [("", _("Choose the vaccinator…")), *vaccinator_choices]
            vaccinator_field.required = True


class VoidForm(forms.Form):
    reason = forms.CharField(label=_("Reason for voiding"), max_length=255, strip=True)


def _local_now_input() -> str:
    return timezone.localtime().strftime("%Y-%m-%dT%H:%M")


class AdverseEventForm(forms.Form):
    onset_at = forms.DateTimeField(
        label=_("Onset"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%d/%m/%Y %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    symptoms = forms.CharField(
        label=_("Symptoms"), required=False, widget=forms.Textarea(attrs={"rows": 3, "autofocus": True})
    )
    serious = forms.BooleanField(
        label=pgettext_lazy("adverse event", "Serious"),
        help_text=_("Life-threatening, or needing hospital care: the report goes to the area's health officers."),
        required=False,
    )
    outcome = forms.ChoiceField(label=_("Outcome"), choices=AdverseEvent.Outcome.choices)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["onset_at"].initial = _local_now_input
        self.fields["outcome"].initial = AdverseEvent.Outcome.ONGOING

    def onset(self) -> datetime:
        value: datetime = self.cleaned_data["onset_at"]
        return value if timezone.is_aware(value) else timezone.make_aware(value)


class SessionForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    starts_at = forms.TimeField(label=_("Starts at"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    ends_at = forms.TimeField(label=_("Ends at"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    vaccine = forms.ChoiceField(label=_("Vaccine"), choices=[])
    capacity = forms.IntegerField(label=_("Capacity"), min_value=1, max_value=100_000)
    priority_groups = forms.MultipleChoiceField(
        label=_("Priority groups"), choices=[], required=False, widget=forms.CheckboxSelectMultiple
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=255)

    def __init__(
        self,
        *args: Any,
        vaccine_choices: list[tuple[str, str]],
        group_choices: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        vaccine = self.fields["vaccine"]
        groups = self.fields["priority_groups"]
        assert isinstance(vaccine, forms.ChoiceField) and isinstance(groups, forms.MultipleChoiceField)
        vaccine.choices = vaccine_choices
        groups.choices = group_choices


class InviteForm(forms.Form):
    """Invite to a session by one of: identity numbers (one per line), a priority group, an organization."""

    by = forms.ChoiceField(choices=[("ids", "ids"), ("group", "group"), ("organization", "organization")])
    id_numbers = forms.CharField(
        label=_("Identity numbers, one per line"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false", "autocomplete": "off"}),
    )
    priority_group = forms.ChoiceField(label=_("Priority group"), choices=[], required=False)
    organization = forms.CharField(label=_("Organization"), required=False, max_length=64)

    def __init__(self, *args: Any, group_choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["priority_group"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "—"), *group_choices]

    def clean(self) -> dict[str, Any]:
        """The chosen way needs its own field filled (the service's `invite_target_required`, said under
        the field that is empty rather than as "give exactly one of" the API's three ways)."""
        cleaned = super().clean() or {}
        by = cleaned.get("by")
        code = errors.InviteTargetRequired.code
        if by == "ids" and not self.id_number_lines():
            self.add_error("id_numbers", forms.ValidationError(_("Enter at least one identity number."), code=code))
        elif by == "group" and not cleaned.get("priority_group"):
            self.add_error("priority_group", forms.ValidationError(_("Choose a priority group."), code=code))
        elif by == "organization" and not (cleaned.get("organization") or "").strip():
            message = _("Choose an organization, or type its tax code.")
            self.add_error("organization", forms.ValidationError(message, code=code))
        return cleaned

    def id_number_lines(self) -> list[str]:
        raw = self.cleaned_data.get("id_numbers") or ""
        seen: list[str] = []
        for line in raw.replace(",", "\n").replace(";", "\n").splitlines():
            value = line.strip()
            if value and value not in seen:
                seen.append(value)
        return seen
