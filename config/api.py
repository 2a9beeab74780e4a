"""The REST API: /api/v1/, OpenAPI at /api/openapi.json, docs at /api/docs.

Every error has one shape: {"errors": [{"field", "code", "message"}]}, whatever the status.
"""

import contextlib
import json
import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import (
    BadRequest,
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.signals import got_request_exception
from django.http import Http404, HttpRequest, HttpResponse, QueryDict, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from django.template.defaultfilters import filesizeformat
from django.utils.log import log_response
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from vaxbook.accounts.api import router as accounts_router
from vaxbook.accounts.auth import ApiAuth
from vaxbook.clinic.api import router as clinic_router
from vaxbook.common.apierrors import ERRORS_REF, validation_code, validation_message
from vaxbook.common.apiparser import ApiParser, invalid_character_error, printable_field, undecodable_parameters
from vaxbook.common.errors import DomainError, ErrorItem
from vaxbook.common.middleware import FormCutShort
from vaxbook.organizations.api import router as organizations_router
from vaxbook.places.api import router as places_router
from vaxbook.registry.api import router as registry_router
from vaxbook.vaccines.api import router as vaccines_router

UNKNOWN_PARAMETER = "unknown_parameter"

# The statuses any operation may answer with the error shape (a missing record, a refusal, a body the
# parser refuses, a page past the end...), and those only a write may (a conflict, a body too large, without
# its length or in a coding not read).
_ERROR_STATUSES = {
    "400": "A request that cannot be read (not JSON, a malformed header, a body cut short).",
    "401": "No valid bearer token (or session).",
    "403": "Not yours to see or change.",
    "404": "Nothing with this id that you may see.",
    "422": "A field refused: the code and the field say which and why.",
}
_WRITE_ERROR_STATUSES = {
    "409": "A conflict: the same Idempotency-Key with another body, a record changed meanwhile, a full session.",
    "411": "A body sent without its length that cannot be measured (length_required): send its Content-Length.",
    "413": "A body over the size limit.",
    "501": "A transfer coding other than chunked (transfer_coding_unsupported).",
}
_ERRORS_SCHEMA = {
    "type": "object",
    "required": ["errors"],
    "properties": {
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "code", "message"],
                "properties": {
                    "field": {"type": "string", "description": "The field (a JSON path in a body), or empty."},
                    "code": {"type": "string", "description": "Stable snake_case: program against it."},
                    "message": {"type": "string", "description": "In the request's language (vi by default)."},
                },
            },
        }
    },
}


#: a route's parameter as Django writes it (`<person_id>`, `<int:pk>`), and as OpenAPI does (`{person_id}`)
_ROUTE_PARAMETER = re.compile(r"<(?:[^:>]+:)?([^>]+)>")


def described_path(route: str) -> str:
    """A Django route of the API (`api/v1/persons/<person_id>`) as its description writes the path."""
    return _ROUTE_PARAMETER.sub(r"{\1}", "/" + route)


@dataclass(frozen=True)
class _Operation:
    """What the API description says an operation takes, as the checks before ninja's read it."""

    query: frozenset[str]  # its query parameters
    whole_numbers: frozenset[str]  # of them, those that are whole numbers (`limit`, `offset`, …)
    takes_body: bool  # a write declaring no body refuses one


def _operations(schema: dict[str, Any]) -> dict[tuple[str, str], _Operation]:
    """(path as the description writes it, METHOD) → what the operation takes."""
    table = {}
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            if isinstance(operation, dict) and "responses" in operation:
                query = [p for p in operation.get("parameters", []) if p.get("in") == "query"]
                table[(path, method.upper())] = _Operation(
                    query=frozenset(p["name"] for p in query),
                    whole_numbers=frozenset(p["name"] for p in query if p.get("schema", {}).get("type") == "integer"),
                    takes_body=method not in ("post", "put", "patch", "delete") or "requestBody" in operation,
                )
    return table


#: A whole number as a query writes one: ASCII digits, a minus sign before them at most. Python's int(), which
#: the parameters' validation uses, also takes "1_0", " 5 " and digits of other scripts (limit=1_0 answered 10 rows).
_WHOLE_NUMBER = re.compile(r"-?[0-9]+")


_UNREAD = object()


def unexpected_body_error(
    raw: bytes, content_type: str, known: frozenset[str], names: list[str] | None = None
) -> DomainError | None:
    """A body sent to a write that takes none: each field of a JSON object, or of a form (`names`), is a 422
    `field_unknown` (naming the query parameters the operation takes: `POST …/roster-exports` with
    `{"status": "invalid"}` exported the whole roster), any other body one `body_unexpected`. Nothing, an empty
    object, array or string, JSON's null, or an empty form is no body (a client serialising "nothing" sends one)."""
    data: Any = dict.fromkeys(names) if names else _UNREAD
    if data is _UNREAD:
        if not raw.strip():
            return None
        kind = content_type.split(";")[0].strip().lower()
        if kind in ("application/json", ""):
            with contextlib.suppress(ValueError):
                data = json.loads(raw)
        elif kind == "application/x-www-form-urlencoded":  # a DELETE's form: Django parses POST's only
            data = dict.fromkeys(QueryDict(raw, encoding="latin-1"))
    if data in ({}, [], "", None):
        return None
    if isinstance(data, dict):
        if known:
            message = _("This operation takes no body field “%(name)s”; its options are query parameters: %(known)s.")
        else:
            message = _("This operation takes no body field “%(name)s”; it takes no body.")
        known_text = ", ".join(sorted(known))
        return DomainError(
            [
                ErrorItem(
                    printable_field(str(name)),
                    "field_unknown",
                    message % {"name": printable_field(str(name)), "known": known_text},
                )
                for name in data
            ],
            status=422,
        )
    return DomainError.single("body", "body_unexpected", _("This operation takes no body: send it without one."))


def unknown_parameters_error(unknown: list[str], known: frozenset[str]) -> DomainError:
    """422 `unknown_parameter` for each query parameter the operation does not take, naming those it does."""
    if known:
        message = _("This operation takes no query parameter “%(name)s”; it takes: %(known)s.")
    else:
        message = _("This operation takes no query parameter “%(name)s”; it takes none.")
    known_text = ", ".join(sorted(known))
    fields = [printable_field(name) for name in unknown]
    return DomainError(
        [ErrorItem(f, UNKNOWN_PARAMETER, message % {"name": f, "known": known_text}) for f in fields], status=422
    )


class VaxbookApi(NinjaAPI):
    """The API, whose description also says what every operation may answer besides its success: the
    error shape of docs/api.md for each status it can refuse with (ninja lists only the declared ones);
    and which refuses, before ninja reads the request, what the operation's description does not take
    (`_Operation`, read once): a query parameter it has not (ninja ignores it: a misspelt filter, `?date_form=`,
    would answer the whole list as if filtered), a whole number not in ASCII digits, and a body sent to a write
    that takes none."""

    _operation_table: dict[tuple[str, str], _Operation] | None = None

    def create_temporal_response(self, request: HttpRequest) -> HttpResponse:
        # ninja calls this for every operation, after authentication and before reading the parameters.
        operation = self._operation(request)
        if operation is not None:
            if request.META.get("QUERY_STRING"):
                undecodable = undecodable_parameters(request.META["QUERY_STRING"])
                if undecodable:
                    raise invalid_character_error(undecodable)
                unknown = [name for name in request.GET if name not in operation.query]
                if unknown:
                    raise unknown_parameters_error(unknown, operation.query)
                self._refuse_odd_numbers(request, operation)
            if not operation.takes_body:
                self._refuse_unexpected_body(request, operation)
        return super().create_temporal_response(request)

    def _operation(self, request: HttpRequest) -> _Operation | None:
        """What the request's operation takes, read once from the API's description."""
        if self._operation_table is None:
            self._operation_table = _operations(self.get_openapi_schema())
        match = request.resolver_match
        if match is None:
            return None
        return self._operation_table.get((described_path(match.route), request.method or ""))

    @staticmethod
    def _refuse_odd_numbers(request: HttpRequest, operation: _Operation) -> None:
        """A whole-number query parameter written otherwise than in ASCII digits is refused as one that is no
        number (`invalid_int_parsing`), as "abc" is."""
        odd = [
            name
            for name in operation.whole_numbers
            if any(not _WHOLE_NUMBER.fullmatch(v) for v in request.GET.getlist(name))
        ]
        if odd:
            raise DomainError(
                [ErrorItem(name, validation_code("int_parsing"), validation_message("int_parsing")) for name in odd],
                status=422,
            )

    @staticmethod
    def _refuse_unexpected_body(request: HttpRequest, operation: _Operation) -> None:
        """A write that takes no body refuses one (ninja ignores it: a filter sent in the body went unread)."""
        content_type = request.META.get("CONTENT_TYPE") or ""
        if request.method == "POST" and content_type.split(";")[0].strip().lower() in (
            "multipart/form-data",
            "application/x-www-form-urlencoded",
        ):
            # a form's fields and files, read as a form (an upload is not read whole into memory)
            refused = unexpected_body_error(b"", "", operation.query, names=[*request.POST, *request.FILES])
        else:
            refused = unexpected_body_error(request.body, content_type, operation.query)
        if refused is not None:
            raise refused

    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None) -> Any:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        schema.setdefault("components", {}).setdefault("schemas", {})["ApiErrors"] = _ERRORS_SCHEMA
        for operations in schema.get("paths", {}).values():
            for method, operation in operations.items():
                if not isinstance(operation, dict) or "responses" not in operation:
                    continue
                statuses = dict(_ERROR_STATUSES)
                if method in ("post", "put", "patch", "delete"):
                    statuses |= _WRITE_ERROR_STATUSES
                if not operation.get("security"):
                    statuses.pop("401")
                for status, description in statuses.items():
                    operation["responses"].setdefault(status, {"description": description, **ERRORS_REF})
        return schema


api = VaxbookApi(
    title="Vaxbook API",
    version="1",
    description='Vaxbook vaccination-campaign platform. Errors: {"errors": [{field, code, message}]}.',
    auth=ApiAuth(),
    urls_namespace="api",
    openapi_url="/openapi.json",
    docs_url="/docs",
    parser=ApiParser(),
)


def _errors(request: HttpRequest, status: int, items: list[dict[str, str]]) -> HttpResponse:
    return api.create_response(request, {"errors": items}, status=status)


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return api.create_response(request, exc.as_payload(), status=exc.status)


#: Where a parameter comes from, which ninja puts first in an error's location ("file", "file": the file
#: parameter of the multipart body; "body", "payload", "full_name": a field of the JSON body).
_LOCATION_SOURCES = ("body", "query", "path", "form", "file", "header", "cookie")


def _loc_to_field(loc: Any) -> str:
    """An error's location as the field it names: its source dropped, and the JSON body's own parameter
    (`payload`) before a field of it; a field named like a source ("file", "header") is kept."""
    parts = [str(p) for p in loc]
    if parts and parts[0] in _LOCATION_SOURCES:
        parts = parts[1:]
    if parts and parts[0] == "payload":  # the body itself when nothing follows (an empty body)
        parts = parts[1:]
    return ".".join(parts) or "body"


@api.exception_handler(NinjaValidationError)
def on_validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    items = []
    for err in exc.errors:
        kind = str(err.get("type", "invalid"))
        items.append(
            {
                "field": _loc_to_field(err.get("loc", ())),
                "code": validation_code(kind),
                "message": validation_message(kind, err.get("ctx")),
            }
        )
    return _errors(request, 422, items)


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _errors(
        request, 401, [{"field": "Authorization", "code": "not_authenticated", "message": _("Sign-in required.")}]
    )


@api.exception_handler(PermissionDenied)
def on_permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return _errors(request, 403, [{"field": "", "code": "forbidden", "message": _("You are not allowed to do this.")}])


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _errors(request, 404, [{"field": "", "code": "not_found", "message": _("Not found.")}])


@api.exception_handler(UnreadablePostError)
def on_body_cut_short(request: HttpRequest, exc: Exception) -> HttpResponse:
    """A body that ended before its length (common.wsgi's `_WholeBody`): a client that stopped sending."""
    message = _("The request's body ended before its length: nothing of it was kept. Send it again.")
    return _errors(request, 400, [{"field": "body", "code": "body_cut_short", "message": message}])


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    cause = exc.__cause__
    if isinstance(cause, DomainError):  # refused by the parser (ApiParser), which ninja wraps in a 400
        return on_domain_error(request, cause)
    if isinstance(cause, UnreadablePostError):
        return on_body_cut_short(request, cause)
    if isinstance(cause, (ValueError, RecursionError)):  # ninja could not parse the body: not JSON, not UTF-8
        message = _("The request body is not valid JSON.")
        return _errors(request, 400, [{"field": "body", "code": "invalid_json", "message": message}])
    return _errors(request, exc.status_code, [{"field": "", "code": "http_error", "message": str(exc)}])


@api.exception_handler(RequestDataTooBig)
def on_request_too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    size = filesizeformat(settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0)
    message = _("The request is too large: at most %(size)s (files apart).") % {"size": size}
    return _errors(request, 413, [{"field": "body", "code": "request_too_large", "message": message}])


@api.exception_handler(MultiPartParserError)
def on_bad_multipart(request: HttpRequest, exc: MultiPartParserError) -> HttpResponse:
    if isinstance(exc, FormCutShort):
        message = _(
            "The request's form data ends before its closing boundary: the upload was cut short, and nothing of "
            "it was kept. Send it again."
        )
    else:
        message = _("The request's form data cannot be read (multipart/form-data with its boundary is expected).")
    return _errors(request, 400, [{"field": "body", "code": "invalid_multipart", "message": message}])


@api.exception_handler(TooManyFieldsSent)
@api.exception_handler(TooManyFilesSent)
def on_too_many_fields(request: HttpRequest, exc: Exception) -> HttpResponse:
    return _errors(
        request, 400, [{"field": "body", "code": "too_many_fields", "message": _("The request has too many fields.")}]
    )


@api.exception_handler(Exception)
def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    """What no other handler answers, in the API's shape rather than Django's HTML page: a request Django takes
    for suspicious (a 400, as Django answers it) or a fault of ours (a 500, logged and signalled as Django logs
    and signals one, so that the error reports and the test client still see it)."""
    if isinstance(exc, (SuspiciousOperation, BadRequest)):
        message = _("The request cannot be read.")
        return _errors(request, 400, [{"field": "", "code": "bad_request", "message": message}])
    got_request_exception.send(sender=None, request=request)
    message = _("Something went wrong on our side. Try again; if it happens again, tell the support team.")
    response = _errors(request, 500, [{"field": "", "code": "server_error", "message": message}])
    log_response("%s: %s", "Internal Server Error", request.path, response=response, request=request, exception=exc)
    return response


api.add_router("/v1/", accounts_router)
api.add_router("/v1/places/", places_router)
api.add_router("/v1/", registry_router)
api.add_router("/v1/", organizations_router)
api.add_router("/v1/", vaccines_router)
api.add_router("/v1/", clinic_router)
