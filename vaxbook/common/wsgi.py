"""The WSGI application's edge, before Django: a body sent without its length.

A client that streams its upload sends no `Content-Length`: over HTTP/1.1 with `Transfer-Encoding: chunked` (as
phones' HTTP stacks and `curl -T -` do), over HTTP/2 with nothing at all (its frames end the body). Django reads
a body only as far as that header says, so such an upload reached the views empty, and was refused as "file
missing" while the file had come. The app server (granian) takes the chunks or frames apart and ends the body
where the client ended it (`wsgi.input_terminated`): the body is read here, to a spooled temporary file, up to
one byte over `REQUEST_MAX_BYTES`, and its length becomes its `Content-Length`, so the rest of the stack
(`RequestSizeMiddleware`'s 413 for a body over the bound, the form parser, the upload limits) works as for any
other.

Refused (`RequestSizeMiddleware` answers, with the code set here in `BODY_REFUSED`):
- 411 `length_required`: a server that does not end the body (it could not be read to its end without waiting
  for the connection to close); and a body of another type than a multipart form or JSON. A client that stops
  sending mid-body looks, to the app, like one whose body ends there: a multipart form is then refused by its
  missing closing boundary (`FormCutShortMiddleware`), JSON by its missing closing brace; a URL-encoded form cut
  anywhere still reads as a form, its last field cut short (a red team's address was saved cut in the middle).
  Browsers send their forms with a length; a body with its length that ends before it raises
  `UnreadablePostError` when read (`_WholeBody`), which the form middleware and the API answer 400.
- 501 `transfer_coding_unsupported`: a transfer coding other than chunked (`gzip, chunked`): the server takes
  the chunks apart but leaves the bytes compressed."""

import tempfile
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any

from django.conf import settings
from django.http import UnreadablePostError
from django.utils.http import parse_header_parameters

#: Set in the environ (request.META) to the code of a body refused here.
BODY_REFUSED = "vaxbook.body_refused"
LENGTH_REQUIRED = "length_required"
CODING_UNSUPPORTED = "transfer_coding_unsupported"
#: The body types whose end can be told from their content: a body cut short is refused by its parser.
SELF_ENDING_TYPES = ("multipart/form-data", "application/json")
#: The methods whose body, sent without a length, is read.
BODY_METHODS = ("POST", "PUT", "PATCH", "DELETE")
READ_SIZE = 64 * 1024
#: Kept in memory up to this; on disk (unlinked at once) past it. Django's multipart parser then keeps an
#: upload's file in memory or on disk by its own bound, as it does for any body.
SPOOL_BYTES = 1024 * 1024

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def bodies_without_length_measured(app: WsgiApp) -> WsgiApp:
    """`app`, reading a body sent without its length before it (see the module's docstring)."""

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        declared = str(environ.get("CONTENT_LENGTH") or "")
        if declared:
            if declared.isascii() and declared.isdigit() and len(declared) < 19 and int(declared) > 0:
                environ["wsgi.input"] = _WholeBody(environ["wsgi.input"], int(declared))
            return app(environ, start_response)
        if not _may_have_body(environ):
            return app(environ, start_response)
        body = _measure(environ)
        if body is None:
            return app(environ, start_response)
        try:
            return _Closing(app(environ, start_response), body)
        except BaseException:
            body.close()
            raise

    return application


class _WholeBody:
    """A body with its length, read as Django reads it (`LimitedStream` asks for at most what is left), that
    raises `UnreadablePostError` when it ends before its length: a client that stopped sending mid-body. The
    server (granian) ends the body there, and a URL-encoded form cut short read as a whole one, its last field
    cut (saved so). A short read is read on from, not taken for the end."""

    def __init__(self, stream: Any, length: int):
        self.stream, self.left = stream, length

    def read(self, size: int = -1, /) -> bytes:
        want = self.left if size is None or size < 0 else min(size, self.left)
        pieces = []
        while want > 0:
            data = self.stream.read(want)
            if not data:
                raise UnreadablePostError(f"The body ended {self.left:,} bytes before its length.")
            pieces.append(data)
            want -= len(data)
            self.left -= len(data)
        return b"".join(pieces)

    def readline(self, size: int = -1, /) -> bytes:
        want = self.left if size is None or size < 0 else min(size, self.left)
        if want <= 0:
            return b""
        line = self.stream.readline(want)
        if not line:
            raise UnreadablePostError(f"The body ended {self.left:,} bytes before its length.")
        self.left -= len(line)
        return line


class _Closing:
    """The app's response, and the body read for it closed when the server closes the response."""

    def __init__(self, response: Iterable[bytes], body: IO[bytes]):
        self.response, self.body = response, body

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.response)

    def close(self) -> None:
        try:
            close = getattr(self.response, "close", None)
            if close is not None:
                close()
        finally:
            self.body.close()


def _codings(environ: dict[str, Any]) -> list[str]:
    return [c.strip().lower() for c in str(environ.get("HTTP_TRANSFER_ENCODING", "")).split(",") if c.strip()]


def _may_have_body(environ: dict[str, Any]) -> bool:
    """Sent in chunks (HTTP/1.1), or a method that carries a body on a server that ends it (HTTP/2's frames)."""
    return bool(_codings(environ)) or (
        bool(environ.get("wsgi.input_terminated")) and environ.get("REQUEST_METHOD") in BODY_METHODS
    )


def _measure(environ: dict[str, Any]) -> IO[bytes] | None:
    """The body read, now the request's input, with its length; None when there is none to read, or it is
    refused (`BODY_REFUSED` set)."""
    if any(coding not in ("chunked", "identity") for coding in _codings(environ)):
        environ[BODY_REFUSED] = CODING_UNSUPPORTED
        return None
    if not environ.get("wsgi.input_terminated"):
        environ[BODY_REFUSED] = LENGTH_REQUIRED
        return None
    stream = environ["wsgi.input"]
    first = stream.read(READ_SIZE)
    if not first:  # nothing sent (a POST without a body): as a length of 0
        environ["CONTENT_LENGTH"] = "0"
        return None
    content_type, _params = parse_header_parameters(str(environ.get("CONTENT_TYPE") or ""))
    if content_type not in SELF_ENDING_TYPES:
        environ[BODY_REFUSED] = LENGTH_REQUIRED
        return None
    largest = settings.REQUEST_MAX_BYTES
    body = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 (closed with the response)
    body.write(first)
    size = len(first)
    while size <= largest:  # one byte over the bound is enough for the 413
        data = stream.read(min(READ_SIZE, largest + 1 - size))
        if not data:
            break
        body.write(data)
        size += len(data)
    body.seek(0)
    environ["wsgi.input"] = body
    environ["CONTENT_LENGTH"] = str(size)
    return body
