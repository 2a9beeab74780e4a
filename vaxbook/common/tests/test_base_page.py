"""The frame every page shares (templates/base.html): a link past the menu first, and what a change said in a
live region, an error in an alert."""

from typing import Any

import pytest
from django.contrib import messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.template.loader import render_to_string
from django.test import Client, RequestFactory

pytestmark = pytest.mark.django_db


def test_the_first_tab_stop_of_a_page_is_the_skip_link_to_its_content() -> None:
    page = Client().get("/accounts/login/").content.decode()
    body = page.split("<body", 1)[1].split(">", 1)[1].lstrip()
    assert body.startswith('<a class="skip-link" href="#content">Chuyển đến nội dung chính</a>')
    assert '<main id="content" tabindex="-1">' in page
    assert 'id="messages"' not in page  # nothing said: no empty regions, no script


def test_messages_are_announced_an_error_as_an_alert(admin_user: Any) -> None:
    request = RequestFactory().get("/")
    request.user = admin_user
    request.session = {}
    request._messages = FallbackStorage(request)  # type: ignore[attr-defined]
    messages.success(request, "Saved.")
    messages.warning(request, "Look again.")
    messages.error(request, "Refused.")
    html = render_to_string("base.html", request=request)
    status = html.split('<div role="status">')[1].split("</div>")[0]
    alert = html.split('<div role="alert">')[1].split("</div>")[0]
    assert status == '<ul><li class="success">Saved.</li><li class="warning">Look again.</li></ul>'
    assert alert == '<ul><li class="error">Refused.</li></ul>'
    assert "{#" not in html and "location.hash" in html  # the script that shows them at the page's place
