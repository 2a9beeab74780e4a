"""`{{ user|display_name }}`: a user's name as the portal shows it (see `vaxbook.accounts.names`)."""

from typing import Any

from django import template

from vaxbook.accounts import names

register = template.Library()


@register.filter
def display_name(user: Any) -> str:
    return names.display_name(user) if getattr(user, "is_authenticated", False) else ""
