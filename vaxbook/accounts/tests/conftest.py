"""Accounts test helpers: a citizen (a registry person with a user of their own) and SMS codes."""

import re
from typing import Any

import pytest

from vaxbook.accounts.models import User
from vaxbook.common import testing as t
from vaxbook.common.models import SentMessage

CITIZEN_PHONE = "+84987654321"


@pytest.fixture
def citizen(ward1: Any) -> Any:
    """Bình: a citizen signed in with their phone, linked to their registry record."""
    person = t.PersonFactory(full_name="Trần Văn Bình", phone=CITIZEN_PHONE, ward=ward1)
    user = User.objects.create(username=CITIZEN_PHONE, phone=CITIZEN_PHONE, person=person)
    user.set_unusable_password()
    user.save()
    return user


def last_code(phone: str) -> str:
    """The code in the latest SMS recorded for `phone`."""
    message = SentMessage.objects.filter(to=phone).order_by("-id").first()
    assert message is not None, f"no SMS was recorded for {phone}"
    match = re.search(r"\b(\d{6})\b", message.body)
    assert match is not None, message.body
    return match.group(1)
