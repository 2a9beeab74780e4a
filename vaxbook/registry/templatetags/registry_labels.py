"""Registry names for people to read, in the active language, for templates.

`{{ person.missing_fields|field_labels|join:", " }}`: a record's field names as the person form labels
them ("id_number" → "Số giấy tờ" / "Document number"), never the code's names.
`{{ person.priority_group|priority_group_label }}`, `{{ person.nationality|country_name }}`.
"""

from collections.abc import Iterable
from typing import Any

from django import template

from vaxbook.registry import forms, priority_groups

register = template.Library()


@register.filter
def field_labels(names: Iterable[str] | None) -> list[str]:
    return [forms.PersonForm.field_label(name) for name in names or ()]


@register.filter
def priority_group_label(group: Any) -> str:
    return priority_groups.priority_group_label(group)


@register.filter
def country_name(code: str | None) -> str:
    return forms.country_name(code)
