"""A user's name as the portal shows it: Vietnamese order, family name first."""

from vaxbook.accounts.models import User
from vaxbook.accounts.names import display_name, full_name


def test_the_family_name_comes_first() -> None:
    user = User(username="lan", first_name="Lan", last_name="Nguyễn Thị")
    assert full_name(user) == display_name(user) == "Nguyễn Thị Lan"
    assert user.get_full_name() == "Nguyễn Thị Lan"  # what Django's admin and anything else shows


def test_an_account_without_a_name_shows_its_username() -> None:
    user = User(username="clerk_a")
    assert full_name(user) == ""
    assert display_name(user) == "clerk_a"


def test_stray_spaces_are_dropped() -> None:
    user = User(username="x", first_name=" Hồng ", last_name="Lê  Thị ")
    assert display_name(user) == "Lê Thị Hồng"
    assert display_name(User(username="y", first_name="Hồng")) == "Hồng"
    assert display_name(None) == ""
