"""The REST API: /api/v1/, OpenAPI at /api/openapi.json, docs at /api/docs.

Every error has one shape: {"errors": [{"field", "code", "message"}]}, whatever the status.
"""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from vaxbook.accounts.api import router as accounts_router
from vaxbook.accounts.auth import ApiAuth
from vaxbook.clinic.api import router as clinic_router
from vaxbook.common.errors import DomainError
from vaxbook.organizations.api import router as organizations_router
from vaxbook.places.api import router as places_router
from vaxbook.registry.api import router as registry_router
from vaxbook.vaccines.api import router as vaccines_router

api = NinjaAPI(
    title="Vaxbook API",
    version="1",
    description='Vaxbook vaccination-campaign platform. Errors: {"errors": [{field, code, message}]}.',
    auth=ApiAuth(),
    urls_namespace="api",
    openapi_url="/openapi.json",
    docs_url="/docs",
)


def _errors(request: HttpRequest, status: int, items: list[dict[str, str]]) -> HttpResponse:
    return api.create_response(request, {"errors": items}, status=status)


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return api.create_response(request, exc.as_payload(), status=exc.status)


def _loc_to_field(loc: Any) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "form", "file", "payload", "header")]
    return ".".join(parts) or "body"


@api.exception_handler(NinjaValidationError)
def on_validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    items = []
    for err in exc.errors:
        kind = str(err.get("type", "invalid"))
        code = "required" if kind == "missing" else f"invalid_{kind}".replace(".", "_")
        items.append(
            {
                "field": _loc_to_field(err.get("loc", ())),
                "code": code,
                "message": str(err.get("msg", _("Invalid value."))),
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


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _errors(request, exc.status_code, [{"field": "", "code": "http_error", "message": str(exc)}])


api.add_router("/v1/", accounts_router)
api.add_router("/v1/places/", places_router)
api.add_router("/v1/", registry_router)
api.add_router("/v1/", organizations_router)
api.add_router("/v1/", vaccines_router)
api.add_router("/v1/", clinic_router)
