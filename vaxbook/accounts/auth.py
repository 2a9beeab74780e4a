"""API authentication: a bearer token (stored hashed), or the signed-in session for the portal's htmx."""

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer
from ninja.security.session import SessionAuth

from vaxbook.accounts.selectors import mark_scope_cacheable, user_scope
from vaxbook.accounts.services import token_authenticate


class BearerAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = token_authenticate(raw=token)
        if user is not None:
            mark_scope_cacheable(user)  # read with the token just now: its scope_version is current
            user_scope(user=user)  # now, outside any transaction, so that a computed scope is shared
            request.user = user
            request.api_token = token  # type: ignore[attr-defined]  # so /auth/revoke knows which one
        return user


class ApiAuth:
    """Bearer token first; otherwise the session (CSRF-checked by ninja for unsafe methods)."""

    def __init__(self) -> None:
        self.bearer = BearerAuth()
        self.session = SessionAuth()
        # What the API's description says of it (ninja reads this): the bearer token; the session is
        # the portal's own.
        self.openapi_security_schema = self.bearer.openapi_security_schema

    def __call__(self, request: HttpRequest) -> Any:
        if request.headers.get("Authorization", "").lower().startswith("bearer "):
            return self.bearer(request)
        return self.session(request)
