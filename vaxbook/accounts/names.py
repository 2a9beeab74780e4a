"""How a staff user's name is shown: Vietnamese order, the family name first (``User.get_full_name``),
or the username for an account without a name."""

from typing import Any


def full_name(user: Any) -> str:
    """The user's name, family name first ("Nguyễn Thị Lan"); empty when the account has no name."""
    if user is None:
        return ""
    return str(user.get_full_name())


def display_name(user: Any) -> str:
    """The name to show for a user: their full name, or their username when the account has no name."""
    if user is None:
        return ""
    return full_name(user) or user.get_username()
