"""The registry's page forms.

The forms only carry what a person typed to the services: they do not repeat the identity rules.
Every field is optional here and every select accepts any value, so that the one judge of a
record (``services.person_register`` / ``services.person_update``, asking ``identity.check_person``)
says what is wrong, with its stable code, and the view puts each error next to its field.
"""

from dataclasses import asdict
from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse_lazy
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from vaxbook.common.errors import DomainError
from vaxbook.common.forms import add_refusals
from vaxbook.places.selectors import provinces_list, wards_for_province
from vaxbook.registry.countries import COUNTRY_NAMES, country_name
from vaxbook.registry.identity import PersonInput, parse_date, parse_date_of_birth, search_name
from vaxbook.registry.models import Person, PriorityGroup
from vaxbook.registry.priority_groups import priority_group_label

EMPTY_CHOICE: tuple[str, Any] = ("", "—")

#: Error fields of the services that are called something else on the form.
FIELD_ALIASES: dict[str, str] = {
    "province": "province_code",
    "ward": "ward_code",
    "document": "id_number",
    "priority_group_code": "priority_group",
}


def _capitalized(choices: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    return [(value, capfirst(label)) for value, label in choices]


def province_choices() -> list[tuple[str, str]]:
    """The 2025 provinces, for a select (reference data)."""
    return [(u.code, u.name) for u in provinces_list()]


def ward_choices(province_code: str | None) -> list[tuple[str, str]]:
    """The wards of a province, for a select; none for no or an unknown province."""
    if not province_code:
        return []
    try:
        return [(u.code, u.name) for u in wards_for_province(province_code=province_code)]
    except DomainError:
        return []


def nationality_choices() -> list[tuple[str, str]]:
    """The countries for a select, in the active language: Việt Nam first, then by name ("Hàn Quốc (KR)")."""
    names = sorted(
        ((code, country_name(code)) for code in COUNTRY_NAMES if code != "VN"), key=lambda c: search_name(c[1])
    )
    return [("VN", country_name("VN")), *((code, f"{name} ({code})") for code, name in names)]


def priority_group_choices() -> list[tuple[str, str]]:
    """The priority groups in the active language (reference data)."""
    return [(g.code, priority_group_label(g)) for g in PriorityGroup.objects.all()]


class CodeSelect(forms.Select):
    """A select whose value need not be one of its options (the service judges it)."""


class DateOfBirthInput(forms.DateInput):
    """An HTML date input (ISO value) that shows a typed dd/mm/yyyy back as the date it means."""

    input_type = "date"

    def format_value(self, value: Any) -> str | None:
        parsed = parse_date(value) if isinstance(value, str) else value
        if isinstance(parsed, date):
            return parsed.isoformat()
        return super().format_value(value)


def _text(label: Any, **attrs: Any) -> forms.CharField:
    return forms.CharField(label=label, required=False, strip=True, widget=forms.TextInput(attrs=attrs))


def _select(
    label: Any, choices: list[tuple[str, Any]] | None = None, *, attrs: dict[str, Any] | None = None
) -> forms.CharField:
    return forms.CharField(label=label, required=False, widget=CodeSelect(attrs=attrs, choices=choices or []))


class PersonForm(forms.Form):
    """A person's data as the API takes it (PersonIn); registration and correction share it."""

    full_name = _text(_("Full name"), autocomplete="off", required=True, autocapitalize="words")
    date_of_birth = forms.CharField(
        label=_("Date of birth"),
        required=False,
        help_text=_("dd/mm/yyyy"),
        widget=DateOfBirthInput(attrs={"required": True}),
    )
    sex = _select(_("Sex"), [EMPTY_CHOICE, *_capitalized(Person.Sex.choices)], attrs={"required": True})
    phone = forms.CharField(
        label=_("Phone"),
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "off"}),
    )
    id_type = _select(_("Document type"), _capitalized(Person.IdType.choices))
    id_number = _text(_("Document number"), autocomplete="off", autocapitalize="characters")
    health_insurance_number = _text(_("Health insurance number"), autocomplete="off", autocapitalize="characters")
    nationality = _select(_("Nationality"))
    ethnicity = _text(_("Ethnicity"))
    occupation = _text(_("Occupation"))
    priority_group = _select(_("Priority group"))
    province_code = _select(
        _("Province"),
        attrs={"hx-get": reverse_lazy("registry:wards"), "hx-target": "#id_ward_code", "hx-trigger": "change"},
    )
    ward_code = _select(_("Ward / commune"))
    address_line = _text(_("Address (house number, street, hamlet)"), autocomplete="off")
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["nationality"].initial = "VN"
        self.fields["id_type"].initial = Person.IdType.CCCD
        self._choices("nationality", nationality_choices())
        self._choices("priority_group", priority_group_choices())
        self._choices("province_code", province_choices())
        self._choices("ward_code", ward_choices(self._current("province_code")))

    def _current(self, name: str) -> str:
        if self.is_bound:
            return str(self.data.get(self.add_prefix(name)) or "")
        return str(self.initial.get(name) or self.fields[name].initial or "")

    def _choices(self, name: str, choices: list[tuple[str, str]]) -> None:
        widget = self.fields[name].widget
        assert isinstance(widget, forms.Select)
        current = self._current(name)
        if current and current not in {code for code, _label in choices}:
            choices = [*choices, (current, current)]  # keep what was typed (an old code, an API value)
        widget.choices = [EMPTY_CHOICE, *choices]

    def focus_first(self) -> None:
        """Autofocus the first field in error, else the first field."""
        visible = [name for name, f in self.fields.items() if not f.widget.is_hidden]
        first = next((name for name in visible if name in self.errors), visible[0])
        self.fields[first].widget.attrs["autofocus"] = True

    def clean_date_of_birth(self) -> date | None:
        raw = self.cleaned_data.get("date_of_birth") or ""
        parsed, problems = parse_date_of_birth(raw)
        for problem in problems:
            raise ValidationError(str(problem.message), code=problem.code)
        return parsed

    def person_input(self) -> PersonInput:
        data = self.cleaned_data
        return PersonInput(
            full_name=data.get("full_name") or "",
            date_of_birth=data.get("date_of_birth"),
            sex=data.get("sex") or None,
            phone=data.get("phone") or "",
            id_type=data.get("id_type") or None,
            id_number=data.get("id_number") or "",
            health_insurance_number=data.get("health_insurance_number") or "",
            nationality=data.get("nationality") or "VN",
            ethnicity=data.get("ethnicity") or "",
            occupation=data.get("occupation") or "",
            priority_group=data.get("priority_group") or None,
            ward_code=data.get("ward_code") or None,
            address_line=data.get("address_line") or "",
        )

    def chosen_province_code(self) -> str | None:
        return self.cleaned_data.get("province_code") or None

    def changes(self) -> dict[str, Any]:
        """The edit as `services.person_update` takes it (input names, province_code included)."""
        values = asdict(self.person_input())
        values.pop("is_child", None)
        values["province_code"] = self.chosen_province_code()
        return values

    def add_domain_error(self, exc: DomainError) -> None:
        """Put each refused item next to its field; an item about no form field goes above the form.

        A field the form itself already refused (an unreadable date) keeps that one error.
        """
        add_refusals(self, exc.errors, FIELD_ALIASES)

    @classmethod
    def field_label(cls, name: str) -> str:
        """The label of a field as the form shows it, in the active language, for a form field or a
        record's field name (``ward`` → the ward field's label); the name itself for any other."""
        found = cls.base_fields.get(FIELD_ALIASES.get(name, name))
        return str(found.label) if found is not None and found.label else name

    @staticmethod
    def initial_for(person: Person) -> dict[str, Any]:
        return {
            "full_name": person.full_name,
            "date_of_birth": person.date_of_birth,
            "sex": person.sex,
            "phone": person.phone,
            "id_type": person.id_type,
            "id_number": person.id_number,
            "health_insurance_number": person.health_insurance_number,
            "nationality": person.nationality,
            "ethnicity": person.ethnicity,
            "occupation": person.occupation,
            "priority_group": person.priority_group.code if person.priority_group else "",
            "province_code": person.province.code if person.province else "",
            "ward_code": person.ward.code if person.ward else "",
            "address_line": person.address_line,
            "version": person.version,
        }


class MemberAddForm(forms.Form):
    """Adding a person to a household: who, and how they are related to the head."""

    person_id = forms.UUIDField(widget=forms.HiddenInput)
    relation = forms.CharField(
        label=_("Relation to the head"),
        required=False,
        widget=CodeSelect(
            choices=[
                ("", _("Relation to the head…")),
                *_capitalized([c for c in Person.Relation.choices if c[0] != Person.Relation.HEAD]),
            ]
        ),
    )
