"""The API's edge: a request whose JSON body, query string or form fields hold a character that no text
column can store is refused before any endpoint sees it, whatever the endpoint; so is a JSON body that is
not an object (422 `invalid_dict_type`, field `body`), and a parameter that takes one value given twice
(422 `repeated_parameter`).

Those characters are NUL (U+0000: PostgreSQL refuses it in text and in jsonb) and lone UTF-16 surrogates
(U+D800–U+DFFF: they have no UTF-8 form, so no driver can send them). One rule, here, for every field:
422 `invalid_character`, naming the field by its path in the body ("items.3.lot_number").
"""

import json
import re
import urllib.parse
from collections.abc import Iterable
from typing import Any

from django.http import HttpRequest
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from ninja.parser import Parser

from vaxbook.common.apierrors import validation_code, validation_message
from vaxbook.common.errors import DomainError, ErrorItem

INVALID_CHARACTER = "invalid_character"
REPEATED_PARAMETER = "repeated_parameter"

#: a NUL or a lone surrogate (json.loads keeps a \ud800 escape as a lone surrogate)
_BAD_CHARACTER = re.compile("[\x00\ud800-\udfff]")

#: a raw body that may decode to such a character: a \u0000 or \uD800–\uDFFF escape, a NUL byte (a UTF-16
#: or UTF-32 body has them), or a surrogate encoded in UTF-8 (json.loads decodes bytes with surrogatepass).
#: Most bodies match none, and are checked by this one scan; the others are walked string by string.
_SUSPECT_BODY = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])|\x00|\xed[\xa0-\xbf]")


def _printable_path(path: Iterable[Any]) -> str:
    return printable_field(".".join(str(p) for p in path))


def printable_field(name: str) -> str:
    """A field's name as an answer can carry it: a NUL or a lone surrogate written as its escape."""
    return _BAD_CHARACTER.sub(lambda m: f"\\u{ord(m.group()):04x}", name)


def bad_character_fields(data: Any) -> list[str]:
    """The paths ("items.0.lot_number") of the strings in decoded JSON that hold a NUL or a lone
    surrogate, in document order; a key that holds one is named itself. "body" for a bare string."""
    found: list[str] = []
    # (path, value, its key is bad): a stack, children pushed in reverse to be seen in document order
    pending: list[tuple[tuple[Any, ...], Any, bool]] = [((), data, False)]
    while pending:  # no recursion: json.loads accepts nestings deeper than Python's stack
        path, value, bad_key = pending.pop()
        if bad_key or (isinstance(value, str) and _BAD_CHARACTER.search(value)):
            found.append(_printable_path(path) or "body")
        elif isinstance(value, dict):
            pending.extend(
                reversed(
                    [((*path, k), v, isinstance(k, str) and bool(_BAD_CHARACTER.search(k))) for k, v in value.items()]
                )
            )
        elif isinstance(value, list):
            pending.extend(reversed([((*path, i), v, False) for i, v in enumerate(value)]))
    return found


def undecodable_parameters(query_string: str) -> list[str]:
    """The names of the parameters of a raw query string (WSGI's: its bytes as Latin-1) whose name or value is
    no UTF-8 once percent-decoded: Django reads them with U+FFFD in the bytes' place, and `q=%FF` searched for
    "�" and answered nobody. Named as `invalid_character` names a NUL."""
    if "%" not in query_string and query_string.isascii():
        return []  # nothing encoded: nothing to decode wrongly
    found = []
    for piece in query_string.split("&"):
        name, _sign, value = piece.partition("=")
        raw = [
            urllib.parse.unquote_to_bytes(part.replace("+", " ").encode("latin-1", "replace")) for part in (name, value)
        ]
        try:
            for part in raw:
                part.decode("utf-8")
        except UnicodeDecodeError:
            found.append(printable_field(raw[0].decode("utf-8", "replace")))
    return found


def invalid_character_error(fields: Iterable[str]) -> DomainError:
    return DomainError(
        [
            ErrorItem(
                field,
                INVALID_CHARACTER,
                _("The field “%(field)s” contains a character that is not allowed (NUL or invalid Unicode).")
                % {"field": field},
            )
            for field in fields
        ],
        status=422,
    )


class ApiParser(Parser):
    """ninja's JSON parser, refusing NUL and lone surrogates in every string of a body or a query dict, and
    a body that is not a JSON object.

    A refusal from `parse_body` reaches the API's handlers as the cause of ninja's HttpError(400), which
    answers with it (config/api.py); one from `parse_querydict` reaches them as it is.
    """

    def parse_body(self, request: HttpRequest) -> Any:
        body = request.body
        data = json.loads(body)
        if _SUSPECT_BODY.search(body):
            fields = bad_character_fields(data)
            if fields:
                raise invalid_character_error(fields)
        if not isinstance(data, dict):
            # Every body of the API is an object. ninja reads a schema's fields from any value by their
            # names, so a list or a number would pass for an object whose every field is missing: a PATCH,
            # whose fields are all optional, would answer 200 having changed nothing.
            raise DomainError.single("body", validation_code("dict_type"), validation_message("dict_type"))
        return data

    def parse_querydict(self, data: MultiValueDict, list_fields: list[str], request: HttpRequest) -> Any:
        fields = []
        for key, values in data.lists():
            if _BAD_CHARACTER.search(key) or any(isinstance(v, str) and _BAD_CHARACTER.search(v) for v in values):
                fields.append(_printable_path([key]))
        if fields:
            raise invalid_character_error(fields)
        # A parameter that takes one value, given twice (`?serious=true&serious=false`): ninja would read the
        # last and drop the others without a word.
        repeated = [key for key, values in data.lists() if len(values) > 1 and key not in list_fields]
        if repeated:
            raise DomainError(
                [
                    ErrorItem(
                        printable_field(key),
                        REPEATED_PARAMETER,
                        _("The parameter “%(name)s” takes one value and is given more than once.")
                        % {"name": printable_field(key)},
                    )
                    for key in repeated
                ],
                status=422,
            )
        return super().parse_querydict(data, list_fields, request)
