"""The portal's own error pages: in the reader's language, inside the portal's frame, with a way back
(Django's bare English "403 Forbidden" otherwise)."""

import re

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


@pytest.mark.parametrize("query", ["q=%00", "q=ab%00", "status=open&q=a%00b", "q%00=x"])
@pytest.mark.parametrize("path", ["/registry/", "/organizations/conflicts/"])
def test_a_query_with_a_character_postgresql_refuses_is_a_clear_400_not_a_500(officer, path, query):
    """A NUL in ``?q=`` reached PostgreSQL, which refuses it (a 500 on its database): refused first, naming
    the parameter, as the API does."""
    response = signed_in(officer).get(f"{path}?{query}")
    assert response.status_code == 400
    page = response.content.decode()
    assert "Không đọc được địa chỉ" in page and "[invalid_character]" in page and 'data-error="400"' in page
    assert "“q" in page


def test_the_organizations_roster_search_refuses_a_nul_too(rep, org):
    response = signed_in(rep, "en").get(reverse("organizations:roster", args=[org.public_id]) + "?q=%00")
    assert response.status_code == 400 and "The address cannot be read" in response.content.decode()


def test_a_body_declared_larger_than_any_upload_is_refused_before_it_is_read(rep, org, api):
    """413 `request_too_large` from the declared length, the body unread: the API in its shape, the portal with
    its page; a body within the bound goes on to the import's own checks."""
    from django.test import override_settings

    from vaxbook.organizations.tests.builders import upload

    content = b"x" * 4000
    with override_settings(REQUEST_MAX_BYTES=2000, ROSTER_IMPORT_MAX_BYTES=1500):
        answer = api.as_user(rep).post(
            f"/api/v1/organizations/{org.public_id}/roster-imports", {"file": upload(content)}
        )
        assert answer.status_code == 413
        assert answer.json()["errors"][0] == {
            "field": "file",
            "code": "request_too_large",
            # a bound under a megabyte in kB, cut (it said "0 MB")
            "message": "Yêu cầu lớn hơn 1,9 kB, vượt quá mọi tệp mà API nhận.",
        }
        page = signed_in(rep).post(reverse("organizations:imports", args=[org.public_id]), {"file": upload(content)})
        assert (
            page.status_code == 413
            and "Tệp quá lớn" in page.content.decode()
            and "[request_too_large]" in page.content.decode()
            and "Tệp lớn hơn 1,4 kB, mức lớn nhất" in page.content.decode()
        )
    within = api.as_user(rep).post(f"/api/v1/organizations/{org.public_id}/roster-imports", {"file": upload(content)})
    assert within.status_code == 422 and within.json()["errors"][0]["code"] != "request_too_large"


def test_the_413_is_in_the_requests_language_not_the_one_the_thread_served_last(rep, org, api):
    """The API's in its Accept-Language, the portal's in the language chosen (Vietnamese by default), whatever
    the request the same thread answered before asked for; with Content-Language, as every answer."""
    from django.test import override_settings

    from vaxbook.organizations.tests.builders import upload

    url = f"/api/v1/organizations/{org.public_id}/roster-imports"
    with override_settings(REQUEST_MAX_BYTES=2000):
        for language, before, said in (("en", "vi", "The request is larger"), ("vi", "en", "Yêu cầu lớn hơn")):
            api.as_user(rep).get("/api/v1/roster-imports/x", HTTP_ACCEPT_LANGUAGE=before)
            answer = api.as_user(rep).post(url, {"file": upload(b"x" * 4000)}, HTTP_ACCEPT_LANGUAGE=language)
            assert answer.status_code == 413 and answer["Content-Language"] == language
            assert answer.json()["errors"][0]["message"].startswith(said)
        signed_in(rep, "en").get(reverse("organizations:roster", args=[org.public_id]))
        page = signed_in(rep).post(
            reverse("organizations:imports", args=[org.public_id]), {"file": upload(b"x" * 4000)}
        )
        assert page.status_code == 413 and "Tệp quá lớn" in page.content.decode()


def test_the_pager_offers_the_first_and_the_last_page_beyond_the_next_ones(rf):
    """A roster of 16,000 is 320 pages: the pager goes to the first and the last, not one page at a time."""
    import re

    from django.core.paginator import Paginator

    pages = Paginator(range(50), 10)

    def pager(number: int) -> str:
        context = {"page": pages.page(number), "pager_path": "/r/", "pager_anchor": "x"}
        return render_to_string("_pager.html", context, request=rf.get("/r/"))

    def links(number: int) -> list[str]:
        return [text.strip() for text in re.findall(r">([^<]+)</a>", pager(number))]

    with translation.override("vi"):
        assert links(3) == ["« Trang đầu", "← Trang trước", "Trang sau →", "Trang cuối »"]
        assert links(2) == ["← Trang trước", "Trang sau →", "Trang cuối »"]  # the first is the previous one
        assert links(5) == ["« Trang đầu", "← Trang trước"]
    assert 'href="/r/?page=1#x"' in pager(3) and 'href="/r/?page=5#x"' in pager(3)


@pytest.mark.parametrize("cut", [10, 30, 100, 2000])
def test_an_upload_cut_short_is_refused_as_unreadable_and_nothing_is_kept(rep, org, api, cut):
    """A body that ends before the form's closing boundary (a phone's upload lost midway): Django's parser kept
    what came (the last part dropped, answered as a missing file; or the boundary kept in a field's text). The
    API answers 400 `invalid_multipart` in its language, the portal a page that says so, with the way back."""
    from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

    from vaxbook.organizations.models import RosterImport
    from vaxbook.organizations.tests.builders import person_row, table, upload, xlsx_bytes

    content = xlsx_bytes(table([person_row(1), person_row(2)]))
    body = encode_multipart(BOUNDARY, {"file": upload(content)})
    assert body.endswith(f"--{BOUNDARY}--\r\n".encode())
    url = f"/api/v1/organizations/{org.public_id}/roster-imports"
    answer = api.as_user(rep).generic(
        "POST", url, body[:-cut], content_type=MULTIPART_CONTENT, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert answer.status_code == 400
    [error] = answer.json()["errors"]
    assert (error["field"], error["code"]) == ("body", "invalid_multipart")
    assert "cut short" in error["message"]
    roster = reverse("organizations:roster", args=[org.public_id])
    page = signed_in(rep).generic(
        "POST",
        reverse("organizations:imports", args=[org.public_id]),
        body[:-cut],
        content_type=MULTIPART_CONTENT,
        HTTP_REFERER=f"http://testserver{roster}?status=incomplete",
    )
    text = page.content.decode()
    assert page.status_code == 400 and "[invalid_multipart]" in text and "Tải lên không đến nơi trọn vẹn" in text
    assert f'href="{roster}?status=incomplete" id="error-back"' in text
    assert not RosterImport.objects.exists()
    whole = api.as_user(rep).generic("POST", url, body, content_type=MULTIPART_CONTENT)
    assert whole.status_code == 202


def test_an_error_page_s_way_back_is_only_to_this_site(rep, org):
    from django.test import override_settings

    from vaxbook.organizations.tests.builders import upload

    with override_settings(REQUEST_MAX_BYTES=2000, ROSTER_IMPORT_MAX_BYTES=1024 * 1024):
        page = signed_in(rep).post(
            reverse("organizations:imports", args=[org.public_id]),
            {"file": upload(b"x" * 4000)},
            HTTP_REFERER="https://evil.example/roster",
        )
    text = page.content.decode()
    assert page.status_code == 413 and 'id="error-back"' not in text and "evil" not in text
    assert "lớn hơn 1 MB" in text  # the largest file, as the upload form says, not the body's bound


class _DroppedInput:
    """A request body whose connection breaks after some bytes (a reset, a timeout): the server's stream
    raises OSError, which Django reads as UnreadablePostError."""

    def __init__(self, body: bytes, after: int = 200):
        self.body, self.after, self.read_so_far = body, after, 0

    def read(self, size: int = -1) -> bytes:
        if self.read_so_far >= self.after:
            raise OSError("connection reset by peer")
        size = self.after - self.read_so_far if size is None or size < 0 else min(size, self.after - self.read_so_far)
        data = self.body[self.read_so_far : self.read_so_far + size]
        self.read_so_far += len(data)
        return data

    def readline(self, size: int = -1) -> bytes:
        return self.read(size)


def test_an_upload_whose_connection_breaks_gets_the_page_not_a_500_and_the_page_is_as_any_other(rep, org):
    """The connection broke while the body was read: the cut-short page (reading the form before CSRF's check,
    the middleware had let the error out as a 500). The page is rendered as any page: its language switch's
    token is the session's (it made a new one no cookie held: a 403), and the menu knows who is signed in."""
    from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

    from vaxbook.organizations.tests.builders import upload

    body = encode_multipart(BOUNDARY, {"file": upload(b"x" * 3000)})
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    client.force_login(rep)
    client.get(reverse("organizations:roster", args=[org.public_id]))  # the CSRF cookie, as a browser has it
    imports = reverse("organizations:imports", args=[org.public_id])
    broken = client.generic(
        "POST", imports, body, content_type=MULTIPART_CONTENT, **{"wsgi.input": _DroppedInput(body)}
    )
    assert broken.status_code == 400 and "[invalid_multipart]" in broken.content.decode()
    cut = client.generic("POST", imports, body[:-30], content_type=MULTIPART_CONTENT)
    text = cut.content.decode()
    assert cut.status_code == 400 and "Đăng xuất" in text  # the menu knows who is signed in
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', text)
    assert token is not None
    switched = client.post(
        reverse("set_language"), {"language": "en", "next": "/", "csrfmiddlewaretoken": token.group(1)}
    )
    assert switched.status_code == 302
