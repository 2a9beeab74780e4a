"""Registry names for people to read, in the active language, for templates.

`{{ person.missing_fields|field_labels|join:", " }}`: a record's field names as the person form labels
them ("id_number" → "Số giấy tờ" / "Document number"), never the code's names.
"""

from collections.abc import Iterable

from django import template

from vaxbook.registry import forms

register = template.Library()


@register.filter
def field_labels(names: Iterable[str] | None) -> list[str]:
    return [forms.PersonForm.field_label(name) for name in names or ()]
