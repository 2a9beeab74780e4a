"""An upload sent in chunks (`Transfer-Encoding: chunked`, no `Content-Length`), through the WSGI stack the
app server runs (config/wsgi.py): it used to reach the views empty and be refused as "file missing"."""

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

from vaxbook.common.wsgi import chunked_bodies_measured
from vaxbook.organizations.models import RosterImport
from vaxbook.organizations.tests.builders import person_row, table, upload, xlsx_bytes


@pytest.fixture
def app() -> Iterator[Any]:
    """config/wsgi.py's stack without its one-off start-up; the test's database connection is kept between
    requests, as Django's test client keeps it."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    try:
        yield chunked_bodies_measured(WSGIHandler())
    finally:
        for signal in (request_started, request_finished):
            signal.connect(close_old_connections)


def send(app: Any, path: str, body: bytes, *, terminated: bool = True, **headers: str) -> tuple[int, bytes]:
    environ: dict[str, Any] = {}
    setup_testing_defaults(environ)
    environ.pop("CONTENT_LENGTH", None)
    environ.update(
        {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": path,
            "CONTENT_TYPE": MULTIPART_CONTENT,
            "HTTP_TRANSFER_ENCODING": "chunked",
            "wsgi.input": io.BytesIO(body),
            "wsgi.input_terminated": terminated,
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
    assert status == 411 and b"[length_required]" in page and b"The upload did not say its length" in page
    status, page = send(app, f"/organizations/{org.public_id}/", body, terminated=False)
    assert status == 411 and "Tệp tải lên không cho biết độ dài" in page.decode()
    assert not RosterImport.objects.exists()
