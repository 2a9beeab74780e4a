"""Small helpers shared by the vaccines and clinic API routers."""

from collections.abc import Callable
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, JsonResponse

from vaxbook.common.idempotency import idempotent_call
from vaxbook.vaccines.errors import IdempotencyKeyInvalid, IdempotencyKeyRequired


def idempotency_header(*, required: bool = True) -> dict[str, Any]:
    """The `openapi_extra` of a route that reads the Idempotency-Key header (`idempotency_key`), so that
    the API's description says what a client must send (docs/api.md)."""
    return {
        "parameters": [
            {
                "in": "header",
                "name": "Idempotency-Key",
                "required": required,
                # Where the key is optional, an empty one counts as none (`idempotency_key`).
                "schema": {"type": "string", "minLength": 1 if required else 0, "maxLength": 200},
                "description": "The same key and body replay the first answer; another body is a 409 "
                "idempotency_key_reused. At most 200 visible ASCII characters (a UUID, say)."
                + ("" if required else " Optional: without one (or with an empty one), the call is not recorded."),
            }
        ]
    }


def idempotency_key(request: HttpRequest, *, required: bool = True) -> str | None:
    key = request.headers.get("Idempotency-Key") or None
    if required and not key:
        raise IdempotencyKeyRequired()
    if key is not None and not (key.isascii() and key.isprintable()):
        raise IdempotencyKeyInvalid()  # a control character (a NUL would be the database's refusal)
    return key


def idempotent_json(
    request: HttpRequest,
    *,
    scope: str,
    body: Any,
    run: Callable[[], tuple[int, Any]],
    required: bool = True,
) -> JsonResponse:
    """Run a write once per Idempotency-Key: the same key and body replay the first answer (success or
    refusal); another body is 409 `idempotency_key_reused`."""
    key = idempotency_key(request, required=required)
    status, payload = idempotent_call(user=request.user, scope=scope, key=key, body=body, run=run)
    return json_response(payload, status=status)


def json_response(payload: Any, *, status: int = 200) -> JsonResponse:
    return JsonResponse(payload, status=status, encoder=DjangoJSONEncoder, safe=False)
