"""API authentication: a bearer token (stored hashed), or the signed-in session for the portal's htmx."""

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja.errors import HttpError
from ninja.security import HttpBearer
from ninja.security.session import SessionAuth

from vaxbook.accounts.selectors import mark_scope_cacheable, user_scope
from vaxbook.accounts.services import token_authenticate
from vaxbook.common.errors import ErrorItem, Forbidden

CSRF_FAILED = "csrf_failed"


class BearerAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = token_authenticate(raw=token)
        if user is not None:
            mark_scope_cacheable(user)  # read with the token just now: its scope_version is current
            user_scope(user=user)  # now, outside any transaction, so that a computed scope is shared
            request.user = user
            request.api_token = token  # type: ignore[attr-defined]  # so /auth/revoke knows which one
        return user


class CsrfFailed(Forbidden):
    """A signed-in session's unsafe request without its CSRF token (a stale page, or another site's form)."""

    def __init__(self) -> None:
        super().__init__(
            [
                # The header the portal's pages send it in (the cookie alone does not count).
                ErrorItem(
                    "X-CSRFToken",
                    CSRF_FAILED,
                    _("The page's security token is missing or out of date: reload the page and try again."),
                )
            ]
        )


class ApiAuth:
    """Bearer token first; otherwise the signed-in session, whose unsafe requests need their CSRF token.

    A request with neither a bearer token nor a signed-in session is not authenticated (401
    `not_authenticated`, whatever its method): it is not asked for a CSRF token it could not have. A
    signed-in session's unsafe request without a valid CSRF token is 403 `csrf_failed`.
    """

    def __init__(self) -> None:
        self.bearer = BearerAuth()
        self.session = SessionAuth()
        # What the API's description says of it (ninja reads this): the bearer token; the session is
        # the portal's own.
        self.openapi_security_schema = self.bearer.openapi_security_schema

    def __call__(self, request: HttpRequest) -> Any:
        if request.headers.get("Authorization", "").lower().startswith("bearer "):
            return self.bearer(request)
        if not request.user.is_authenticated:
            return None
        try:
            return self.session(request)
        except HttpError as exc:  # ninja's own refusal of the CSRF check: "CSRF check Failed", in English
            if exc.status_code == 403:
                raise CsrfFailed() from exc
            raise
