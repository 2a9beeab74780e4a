"""The portal's own error pages: in the reader's language, inside the portal's frame, with a way back
(Django's bare English "403 Forbidden" otherwise)."""

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import translation

pytestmark = pytest.mark.django_db


def signed_in(user, language: str = "vi", **kwargs) -> Client:
    client = Client(**kwargs)
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


@pytest.mark.parametrize(("language", "title"), [("vi", "Không có quyền truy cập"), ("en", "Access denied")])
def test_a_page_the_user_may_not_see_says_so_in_their_language_with_the_menu(rep, language, title):
    response = signed_in(rep, language).get(reverse("organizations:conflicts"))
    assert response.status_code == 403
    page = response.content.decode()
    assert title in page and 'data-error="403"' in page
    assert 'id="lang-switch"' in page and f'href="{reverse("home")}"' in page


@pytest.mark.parametrize(("language", "title"), [("vi", "Không tìm thấy trang"), ("en", "Page not found")])
def test_an_address_that_does_not_exist_says_so_in_their_language(rep, language, title):
    response = signed_in(rep, language).get("/no-such-page/")
    assert response.status_code == 404
    assert title in response.content.decode()


def test_an_expired_form_says_what_to_do(rep):
    client = signed_in(rep, "vi", enforce_csrf_checks=True)
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 403
    page = response.content.decode()
    assert 'data-error="403-csrf"' in page and "Biểu mẫu đã hết hạn" in page


@pytest.mark.parametrize(("language", "title"), [("vi", "Đã có lỗi xảy ra"), ("en", "Something went wrong")])
def test_the_server_error_page_renders_without_a_request(language, title):
    with translation.override(language):
        page = render_to_string("500.html")
    assert title in page and 'data-error="500"' in page
