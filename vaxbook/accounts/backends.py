"""Sign-in with a lockout: LOGIN_MAX_FAILURES failures in a row lock the account for a while.

A success resets the count. While locked, even the right password is refused, and the request is
marked (`request.login_locked_until`) so that the page and the API can say why (`account_locked`).
"""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone

from vaxbook.accounts.models import User
from vaxbook.accounts.selectors import mark_scope_cacheable
from vaxbook.common.audit import audit_log


class LockoutModelBackend(ModelBackend):
    def get_user(self, user_id: Any) -> Any:
        """The signed-in user of a session, read from its row for this request: its scope_version is
        current, so its scope may come from (and go to) the shared cache, as for an API token."""
        user = super().get_user(user_id)
        if user is not None:
            mark_scope_cacheable(user)
        return user

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> Any:
        if username is None or password is None:
            return None
        user = User.objects.filter(username__iexact=username).first()
        if user is None:
            User().set_password(password)  # same work as a real check, so timing does not tell
            return None
        now = timezone.now()
        if user.locked_until and user.locked_until > now:
            if request is not None:
                request.login_locked_until = user.locked_until  # type: ignore[attr-defined]
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            if user.failed_logins or user.locked_until:
                User.objects.filter(pk=user.pk).update(failed_logins=0, locked_until=None)
                user.failed_logins, user.locked_until = 0, None
            return user
        User.objects.filter(pk=user.pk).update(failed_logins=F("failed_logins") + 1)
        user.refresh_from_db(fields=["failed_logins"])
        if user.failed_logins >= settings.LOGIN_MAX_FAILURES:
            until = now + timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
            User.objects.filter(pk=user.pk).update(locked_until=until, failed_logins=0)
            audit_log(actor=None, action="accounts.user.locked", subject=user, data={"until": until.isoformat()})
            if request is not None:
                request.login_locked_until = until  # type: ignore[attr-defined]
        return None
