"""The API's validation refusals in the user's language.

pydantic says "Field required" in English whatever the Accept-Language; the API answers with its own
translated message per pydantic error type instead (the codes stay as they were: `required` for a
missing field, `invalid_<type>` for the others). A type not listed here gets "Invalid value.".
"""

from collections.abc import Mapping
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

_TEXT = gettext_lazy("Enter text.")
_WHOLE = gettext_lazy("Enter a whole number.")
_NUMBER = gettext_lazy("Enter a number.")
_UUID = gettext_lazy("Enter a valid identifier (a UUID).")
_DATETIME = gettext_lazy("Enter a date and time (ISO 8601, e.g. 2026-11-26T08:30:00+07:00).")
_DATE = gettext_lazy("Enter a date (YYYY-MM-DD).")
_TIME = gettext_lazy("Enter a time (HH:MM).")
_BOOL = gettext_lazy("Enter true or false.")
_OBJECT = gettext_lazy("Enter an object ({…}).")
_CHOICE = gettext_lazy("Choose one of: %(expected)s.")

#: pydantic error type → our message; %(name)s placeholders are filled from the error's context
MESSAGES: dict[str, Promise] = {
    "missing": gettext_lazy("This field is required."),
    "string_type": _TEXT,
    "string_sub_type": _TEXT,
    "string_unicode": gettext_lazy("The text is not valid Unicode."),
    "string_too_long": gettext_lazy("At most %(max_length)s characters."),
    "string_too_short": gettext_lazy("At least %(min_length)s characters."),
    "string_pattern_mismatch": gettext_lazy("The text does not have the expected form."),
    "int_parsing": _WHOLE,
    "int_type": _WHOLE,
    "int_from_float": _WHOLE,
    "int_parsing_size": gettext_lazy("The number is too large."),
    "float_parsing": _NUMBER,
    "float_type": _NUMBER,
    "decimal_parsing": _NUMBER,
    "decimal_type": _NUMBER,
    "finite_number": _NUMBER,
    "uuid_parsing": _UUID,
    "uuid_type": _UUID,
    "uuid_version": _UUID,
    "datetime_parsing": _DATETIME,
    "datetime_from_date_parsing": _DATETIME,
    "datetime_type": _DATETIME,
    "datetime_object_invalid": _DATETIME,
    "timezone_aware": gettext_lazy("Enter a date and time with its time zone (e.g. +07:00)."),
    "date_parsing": _DATE,
    "date_from_datetime_parsing": _DATE,
    "date_from_datetime_inexact": _DATE,
    "date_type": _DATE,
    "time_parsing": _TIME,
    "time_type": _TIME,
    "bool_parsing": _BOOL,
    "bool_type": _BOOL,
    "list_type": gettext_lazy("Enter a list ([…])."),
    "dict_type": _OBJECT,
    "model_type": _OBJECT,
    "model_attributes_type": _OBJECT,
    "too_long": gettext_lazy("At most %(max_length)s items."),
    "too_short": gettext_lazy("At least %(min_length)s items."),
    "greater_than": gettext_lazy("Must be greater than %(gt)s."),
    "greater_than_equal": gettext_lazy("Must be at least %(ge)s."),
    "less_than": gettext_lazy("Must be less than %(lt)s."),
    "less_than_equal": gettext_lazy("Must be at most %(le)s."),
    "enum": _CHOICE,
    "literal_error": _CHOICE,
    "json_invalid": gettext_lazy("This is not valid JSON."),
    "json_type": gettext_lazy("Enter JSON text."),
    "extra_forbidden": gettext_lazy("This field is not allowed."),
    "value_error": gettext_lazy("Invalid value."),
}


def _expected(value: Any) -> str:
    # pydantic lists the choices in English: "'M' or 'F'", "'a', 'b' or 'c'"
    return str(value).replace(" or ", ", ")


def validation_message(kind: str, ctx: Mapping[str, Any] | None = None) -> str:
    """The translated message of one pydantic error (its `type` and `ctx`), in the active language."""
    template = MESSAGES.get(kind)
    if template is None:
        return _("Invalid value.")
    values = dict(ctx or {})
    if "expected" in values:
        values["expected"] = _expected(values["expected"])
    try:
        return str(template) % values if "%(" in str(template) else str(template)
    except (KeyError, TypeError, ValueError):  # a context without the expected key: the message without it
        return _("Invalid value.")


def validation_code(kind: str) -> str:
    """The stable code of a pydantic error type: `required`, `field_unknown` (a field the body may not hold, as
    the services name it), or `invalid_<type>`."""
    if kind == "extra_forbidden":
        return "field_unknown"
    return "required" if kind == "missing" else f"invalid_{kind}".replace(".", "_")


#: The API description's component for the error shape (config/api.py defines it).
ERRORS_REF = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ApiErrors"}}}}


def error_responses(statuses: Mapping[int, str]) -> dict[str, Any]:
    """The `openapi_extra` of a route that answers with the error shape for a status the API's description
    does not list for it by itself (config/api.py lists the common ones): status → when."""
    return {"responses": {str(status): {"description": when, **ERRORS_REF} for status, when in statuses.items()}}
