"""API input fields: texts bounded by the model column they are stored in, dates and times as text only.

`note: str = column_text(Session, "note", "")` accepts at most Session.note's max_length characters: a
longer text is a 422 `invalid_string_too_long` naming the field, never the database's refusal (a 500 on
PostgreSQL) nor a silent acceptance (SQLite does not enforce a varchar's length). A TextField has no
max_length, and the field is then unbounded, like its column.

`IsoDate`, `IsoDateTime` and `IsoTime` are pydantic's date, datetime and time without its lax reading of
a number (JSON's `0`, or a text of digits such as "86400") as seconds since 1970, or since midnight: a
birth date sent as a number (a spreadsheet's serial day, a Unix time) is a 422 naming the field, never
a person born on 1 January 1970.
"""

import re
from datetime import date, datetime, time
from typing import Annotated, Any

from django.db import models
from ninja import Schema
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError


class Body(Schema):
    """A request body read through ninja's Schema; any field it does not declare is a 422 `field_unknown`."""

    model_config = ConfigDict(extra="forbid")


class PlainBody(BaseModel):
    """A request body as a plain pydantic model (no ORM getter: the doses' hot path); any field it does not
    declare is a 422 `field_unknown`."""

    model_config = ConfigDict(extra="forbid")


def column_max_length(model: type[models.Model], name: str) -> int | None:
    """The max_length of `model.name` (None for a field without one, e.g. a TextField)."""
    return getattr(model._meta.get_field(name), "max_length", None)


def column_text(model: type[models.Model], name: str, default: Any = ..., **kwargs: Any) -> Any:
    """A pydantic Field for a text stored in `model.name`: at most its column's max_length characters."""
    return Field(default, max_length=column_max_length(model, name), **kwargs)


#: The largest `offset` a list may start at: far beyond any list, well inside the database's integers
#: (a larger one would be the database's refusal, a 500, rather than a 422 naming the field).
MAX_OFFSET = 2**31 - 1


def page_offset() -> Any:
    """The `offset` query parameter of a paginated list: 0 to MAX_OFFSET, else a 422 naming `offset`."""
    from ninja import Query

    return Query(0, ge=0, le=MAX_OFFSET)


def page_limit(default: int, maximum: int) -> Any:
    """The `limit` query parameter of a list: 1 to `maximum` (said in the API's description), else a 422
    naming `limit`. Never cut down silently: a client paging by `offset += limit` with a limit the
    server had lowered would skip the rows in between."""
    from ninja import Query

    return Query(default, ge=1, le=maximum)


def local_time() -> Any:
    """A pydantic Field for a wall-clock time ("07:30", "07:30:00"), described as RFC 3339's
    `partial-time`: JSON Schema's `time` format requires an offset, which these times do not have."""
    return Field(..., json_schema_extra={"format": "partial-time", "examples": ["07:30"]})


#: A text pydantic would read as a number of seconds: digits, with a sign or a decimal part.
_NUMERIC_TEXT = re.compile(r"\s*[-+]?(\d+\.?\d*|\.\d+)\s*")


def _text_only(kind: str) -> Any:
    """A BeforeValidator refusing a number, or a text of digits, where a `kind` ("date", "datetime",
    "time") is expected, with pydantic's own error types (`<kind>_type`, `<kind>_parsing`): the API's
    messages and codes for them already exist (common/apierrors.py)."""

    def check(value: Any) -> Any:
        if isinstance(value, bool | int | float):
            raise PydanticCustomError(f"{kind}_type", f"Input should be a valid {kind}")
        if isinstance(value, str) and _NUMERIC_TEXT.fullmatch(value):
            raise PydanticCustomError(f"{kind}_parsing", f"Input should be a valid {kind}, not a number")
        return value

    return BeforeValidator(check)


IsoDate = Annotated[date, _text_only("date")]
IsoDateTime = Annotated[datetime, _text_only("datetime")]
IsoTime = Annotated[time, _text_only("time")]
