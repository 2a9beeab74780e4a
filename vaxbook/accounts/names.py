"""How a staff user's name is shown: Vietnamese order, the family name first.

Django's ``User.get_full_name()`` puts the given name first ("Lan Nguyễn Thị"); a Vietnamese name
is written family name, middle name, given name ("Nguyễn Thị Lan"). Vaxbook keeps the family name
(with the middle name) in ``last_name`` and the given name in ``first_name``, so every page, list and
answer that names a user asks here instead of calling ``get_full_name``.
"""

from typing import Any


def full_name(user: Any) -> str:
    """The user's name, family name first ("Nguyễn Thị Lan"); empty when the account has no name."""
    if user is None:
        return ""
    return " ".join(f"{user.last_name or ''} {user.first_name or ''}".split())


def display_name(user: Any) -> str:
    """The name to show for a user: their full name, or their username when the account has no name."""
    if user is None:
        return ""
    return full_name(user) or user.get_username()
