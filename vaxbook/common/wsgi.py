"""The WSGI application's edge, before Django: a body sent in chunks.

A client that streams its upload (`Transfer-Encoding: chunked`, as phones' HTTP stacks and `curl -T -` do)
sends no `Content-Length`. Django reads a body only as far as that header says, so such an upload reached the
views empty, and was refused as "file missing" while the file had come. The app server (granian) takes the
chunks apart and ends the body where the client ended it (`wsgi.input_terminated`): the body is read here,
to a spooled temporary file, up to one byte over `REQUEST_MAX_BYTES`, and its length becomes its
`Content-Length`, so the rest of the stack (`RequestSizeMiddleware`'s 413 for a body over the bound, the form
parser, the upload limits) works as for any other. A server that does not end the body cannot be read to its
end without waiting for the connection to close: `RequestSizeMiddleware` answers it 411 `length_required`."""

import tempfile
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any

from django.conf import settings

#: Set in the environ (request.META) when a body sent in chunks could not be measured.
LENGTH_UNKNOWN = "vaxbook.length_unknown"
READ_SIZE = 64 * 1024

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def chunked_bodies_measured(app: WsgiApp) -> WsgiApp:
    """`app`, reading a body sent in chunks before it (see the module's docstring)."""

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if not _sent_in_chunks(environ):
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


def _sent_in_chunks(environ: dict[str, Any]) -> bool:
    return not environ.get("CONTENT_LENGTH") and "chunked" in str(environ.get("HTTP_TRANSFER_ENCODING", "")).lower()


def _measure(environ: dict[str, Any]) -> IO[bytes] | None:
    """The body read, now the request's input, with its length; None (and LENGTH_UNKNOWN set) when the server
    does not end it."""
    if not environ.get("wsgi.input_terminated"):
        environ[LENGTH_UNKNOWN] = True
        return None
    largest = settings.REQUEST_MAX_BYTES
    stream = environ["wsgi.input"]
    # In memory up to Django's own bound for an upload kept in memory, on disk (unlinked at once) past it;
    # closed with the response (_Closing).
    body = tempfile.SpooledTemporaryFile(max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE)  # noqa: SIM115
    size = 0
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
