"""A body sent without its length (`Transfer-Encoding: chunked`, or over HTTP/2), and one that ends before its
length, through the WSGI stack the app server runs (config/wsgi.py). The first reached the views empty, an upload
refused as "file missing"; the second, a URL-encoded form, was saved with its last field cut."""

import hashlib
import io
from collections.abc import Iterator
from typing import Any
from wsgiref.util import setup_testing_defaults

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

from vaxbook.common.wsgi import bodies_without_length_measured
from vaxbook.organizations.models import RosterImport
from vaxbook.organizations.tests.builders import person_row, table, upload, xlsx_bytes


@pytest.fixture
def app() -> Iterator[Any]:
    """config/wsgi.py's stack without its one-off start-up; the test's database connection is kept between
    requests, as Django's test client keeps it."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    try:
        yield bodies_without_length_measured(WSGIHandler())
    finally:
        for signal in (request_started, request_finished):
            signal.connect(close_old_connections)


class Trickle(io.BytesIO):
    """A body that comes a few bytes at a time, as a slow network gives it: each read returns at most 7."""

    def read(self, size: int | None = -1, /) -> bytes:
        return super().read(7 if size is None or size < 0 else min(size, 7))


def send(
    app: Any,
    path: str,
    body: bytes,
    *,
    terminated: bool = True,
    coding: str = "chunked",
    stream: Any = None,
    **headers: str,
) -> tuple[int, bytes]:
    """POST `body` as the server gives it to the app: with `coding` in Transfer-Encoding ("" for none, as over
    HTTP/2) and no Content-Length unless `headers` names one."""
    environ: dict[str, Any] = {}
    setup_testing_defaults(environ)
    environ.pop("CONTENT_LENGTH", None)
    environ.update(
        {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": path,
            "CONTENT_TYPE": MULTIPART_CONTENT,
            "wsgi.input": (stream or io.BytesIO)(body),
            "wsgi.input_terminated": terminated,
            **({"HTTP_TRANSFER_ENCODING": coding} if coding else {}),
            **headers,
        }
    )
    said: list[str] = []
    response = app(environ, lambda status, headers, exc_info=None: said.append(status))
    try:
        content = b"".join(response)
    finally:
        response.close()
    return int(said[0].split()[0]), content


@pytest.fixture
def token(api: Any, rep: Any) -> str:
    return api.as_user(rep).defaults["HTTP_AUTHORIZATION"]


def test_an_upload_sent_in_chunks_is_imported_whole(app, token, org, places, django_capture_on_commit_callbacks):
    content = xlsx_bytes(table([person_row(n) for n in range(1, 4)]))
    body = encode_multipart(BOUNDARY, {"file": upload(content)})
    with django_capture_on_commit_callbacks(execute=True):
        status, answer = send(
            app, f"/api/v1/organizations/{org.public_id}/roster-imports", body, HTTP_AUTHORIZATION=token
        )
    assert status == 202, answer
    imp = RosterImport.objects.get()
    with imp.file.open("rb") as kept:
        assert hashlib.sha256(kept.read()).digest() == hashlib.sha256(content).digest()
    assert (imp.status, imp.created, imp.refused) == ("done", 3, 0)


def test_a_body_sent_in_chunks_over_the_bound_is_refused_413_and_nothing_kept(app, token, org, settings):
    settings.REQUEST_MAX_BYTES = 4096
    body = encode_multipart(BOUNDARY, {"file": upload(b"x" * 10_000, name="roster.csv")})
    status, answer = send(app, f"/api/v1/organizations/{org.public_id}/roster-imports", body, HTTP_AUTHORIZATION=token)
    assert status == 413 and b'"code": "request_too_large"' in answer
    assert not RosterImport.objects.exists()


def test_a_body_the_server_does_not_end_is_refused_411_in_the_request_s_language(app, token, org):
    body = encode_multipart(BOUNDARY, {"file": upload(b"STT\n", name="roster.csv")})
    path = f"/api/v1/organizations/{org.public_id}/roster-imports"
    status, answer = send(app, path, body, terminated=False, HTTP_AUTHORIZATION=token, HTTP_ACCEPT_LANGUAGE="en")
    assert (
        status == 411
        and b"send it again with its length" in answer
        and b'"code": "length_required"' in answer
        and b'"field": "file"' in answer
    )
    status, page = send(
        app, f"/organizations/{org.public_id}/", body, terminated=False, HTTP_COOKIE="django_language=en"
    )
    assert status == 411 and b"[length_required]" in page and b"The upload could not be read" in page
    status, page = send(app, f"/organizations/{org.public_id}/", body, terminated=False)
    assert status == 411 and "Không đọc được dữ liệu tải lên" in page.decode()
    assert not RosterImport.objects.exists()


def test_an_upload_sent_over_http2_without_its_length_is_imported_whole(
    app, token, org, places, django_capture_on_commit_callbacks
):
    """HTTP/2 sends no Transfer-Encoding: its frames end the body. The server ends it (`wsgi.input_terminated`),
    and it is read as a body sent in chunks is, here a few bytes at a time."""
    content = xlsx_bytes(table([person_row(1)]))
    body = encode_multipart(BOUNDARY, {"file": upload(content)})
    path = f"/api/v1/organizations/{org.public_id}/roster-imports"
    with django_capture_on_commit_callbacks(execute=True):
        status, answer = send(app, path, body, coding="", stream=Trickle, HTTP_AUTHORIZATION=token)
    assert status == 202, answer
    assert RosterImport.objects.get().created == 1


def test_a_body_whose_end_cannot_be_told_is_refused_without_its_length(app, token, org):
    """A URL-encoded form sent in chunks, cut anywhere, still reads as a form (its last field cut): only a
    multipart form (its closing boundary) or JSON (its closing brace) is read without a length. A transfer
    coding the server does not undo is refused too."""
    form = b"full_name=Nguy%E1%BB%85n+V%C4%83n+A&address_line=S%E1%BB%91+12"
    form_type = {"CONTENT_TYPE": "application/x-www-form-urlencoded"}
    status, page = send(app, "/registry/persons/new/", form, **form_type)
    assert status == 411 and "[length_required]" in page.decode()
    status, answer = send(app, "/api/v1/persons", form, HTTP_AUTHORIZATION=token, **form_type)
    assert status == 411 and b'"field": "body", "code": "length_required"' in answer  # not an upload: the body
    path = f"/api/v1/organizations/{org.public_id}/roster-imports"
    gzipped = encode_multipart(BOUNDARY, {"file": upload(b"STT\n", name="roster.csv")})
    status, answer = send(app, path, gzipped, coding="gzip, chunked", HTTP_AUTHORIZATION=token)
    assert status == 501 and b'"code": "transfer_coding_unsupported"' in answer
    assert not RosterImport.objects.exists()


def test_a_body_that_ends_before_its_length_is_refused_and_nothing_kept(app, token, org, rep):
    """A client that stops sending mid-body: the server ends the body there. A form or a JSON body cut short is
    refused 400, whatever it would have read as."""

    def cut_short(path: str, whole: bytes, kept: int, content_type: str, **extra: Any) -> tuple[int, bytes]:
        """`whole`'s first `kept` bytes, with the length of the whole."""
        return send(
            app, path, whole[:kept], coding="", CONTENT_TYPE=content_type, CONTENT_LENGTH=str(len(whole)), **extra
        )

    form = b"full_name=Nguy%E1%BB%85n+V%C4%83n+A&address_line=S%E1%BB%91+12+%C4%90%C6%B0%E1%BB%9Dng"
    status, page = cut_short("/registry/persons/new/", form, 40, "application/x-www-form-urlencoded")
    assert status == 400 and "[invalid_form]" in page.decode()
    person = rb'{"full_name": "Nguy\u1ec5n V\u0103n A", "date_of_birth": "1990-01-02", "sex": "M"}'
    status, answer = cut_short("/api/v1/persons", person, 30, "application/json", HTTP_AUTHORIZATION=token)
    assert status == 400 and b'"code": "body_cut_short"' in answer
    content = xlsx_bytes(table([person_row(1)]))
    whole = encode_multipart(BOUNDARY, {"file": upload(content)})
    path = f"/api/v1/organizations/{org.public_id}/roster-imports"
    for kept in (len(whole) - 10, len(whole) // 2):
        status, answer = cut_short(path, whole, kept, MULTIPART_CONTENT, HTTP_AUTHORIZATION=token, stream=Trickle)
        assert status == 400 and b'"code": "body_cut_short"' in answer, answer
    assert not RosterImport.objects.exists()


def test_a_length_that_is_no_number_is_never_a_500(app, token, org):
    """A Content-Length of 5,000 nines (int() of it raises) is over any bound: 413; one of other digits than
    ASCII ("²", a digit to Python) is no length: the body is not read, and the file is missing."""
    body = encode_multipart(BOUNDARY, {"file": upload(b"STT\n", name="roster.csv")})
    path = f"/api/v1/organizations/{org.public_id}/roster-imports"
    status, answer = send(app, path, body, coding="", CONTENT_LENGTH="9" * 5000, HTTP_AUTHORIZATION=token)
    assert status == 413 and b'"code": "request_too_large"' in answer
    status, answer = send(app, path, body, coding="", CONTENT_LENGTH="²", HTTP_AUTHORIZATION=token)
    assert status == 422 and b'"code": "required"' in answer
    assert not RosterImport.objects.exists()
