"""What the portal's forms share."""

from collections.abc import Iterable, Mapping

from django import forms
from django.core.exceptions import ValidationError

from vaxbook.common.errors import ErrorItem


def add_refusals(form: forms.Form, items: Iterable[ErrorItem], aliases: Mapping[str, str] | None = None) -> None:
    """A service's refusals shown on a form: each under its field (the service's field name, or the
    form's name for it in `aliases`), with its message and code; one about no field of the form on top."""
    for item in items:
        name = (aliases or {}).get(item.field, item.field)
        form.add_error(name if name in form.fields else None, ValidationError(str(item.message), code=item.code))
