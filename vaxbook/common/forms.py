"""What the portal's forms share."""

from collections.abc import Iterable, Mapping

from django import forms
from django.core.exceptions import ValidationError

from vaxbook.common.errors import ErrorItem


def add_refusals(form: forms.Form, items: Iterable[ErrorItem], aliases: Mapping[str, str] | None = None) -> None:
    """A service's refusals shown on a form: each under its field (the service's field name, or the
    form's name for it in `aliases`), with its message and code; one about no field the form shows (none,
    or a hidden one such as a version) on top. A field the form itself already refused (an unreadable
    date) keeps that one error. Call it on a bound form that has been validated."""
    already = set(form.errors)
    for item in items:
        name = (aliases or {}).get(item.field, item.field)
        field = form.fields.get(name)
        shown = field is not None and not field.widget.is_hidden
        if shown and name in already:
            continue
        form.add_error(name if shown else None, ValidationError(str(item.message), code=item.code))
