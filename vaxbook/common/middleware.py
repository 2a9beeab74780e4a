"""Middleware of our own: the portal's language, and the API's answers that Django or ninja make before
any of its handlers run, in the API's error shape."""

import contextlib
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from django.middleware.locale import LocaleMiddleware
from django.shortcuts import render, resolve_url
from django.utils import translation
from django.utils.http import parse_header_parameters, url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from vaxbook.common.apiparser import INVALID_CHARACTER, bad_character_fields, undecodable_parameters
from vaxbook.common.sizes import size_text
from vaxbook.common.wsgi import BODY_REFUSED, CODING_UNSUPPORTED

API_PREFIX = "/api/"


class PortalLocaleMiddleware(LocaleMiddleware):
    """Vietnamese first. A page of the portal is in Vietnamese until the person picks English with the
    language switch (its cookie); the browser's Accept-Language is not asked, since a clerk's browser set
    up in English would otherwise turn the portal English without anyone choosing it. The API still
    answers in the language its client names in Accept-Language (a program states what it wants)."""

    def process_request(self, request: HttpRequest) -> None:
        if request.path_info.startswith(API_PREFIX):
            return super().process_request(request)
        language = settings.LANGUAGE_CODE
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if chosen:
            with contextlib.suppress(LookupError):  # a cookie naming a language the portal does not have
                language = translation.get_supported_language_variant(chosen)
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        return None


class RequestSizeMiddleware:
    """A request whose declared body (Content-Length) is larger than REQUEST_MAX_BYTES is answered 413
    `request_too_large` before the body is read: Django would first write the whole of it to a temporary
    file (a 400 MB upload took a second and its disk space before the roster import said it was too large),
    whatever the size. The API answers in its error shape; the portal with its error page. It also answers the
    bodies sent without a length that the WSGI edge refused (`common.wsgi`: 411 `length_required`, 501
    `transfer_coding_unsupported`)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        refused = request.META.get(BODY_REFUSED)
        if refused:
            return self._body_refused(request, refused)
        declared = request.META.get("CONTENT_LENGTH") or ""
        largest = settings.REQUEST_MAX_BYTES
        # A length of 19 digits or more is over any bound (and int() of 5,000 digits raises)
        if not (declared.isascii() and declared.isdigit()) or (len(declared) < 19 and int(declared) <= largest):
            return self.get_response(request)
        if request.path_info.startswith(API_PREFIX):
            message = _("The request is larger than %(limit)s, more than any file the API takes.") % {
                "limit": size_text(largest)
            }
            item = {"field": "file", "code": "request_too_large", "message": message}
            return JsonResponse({"errors": [item]}, status=413)
        # The page names the largest file, as the upload form does (the body's bound adds the form's fields).
        file_bytes = getattr(settings, "ROSTER_IMPORT_MAX_BYTES", largest)
        context = {"code": "request_too_large", "limit": size_text(file_bytes), "back_url": back_url(request)}
        return render(request, "413.html", context, status=413)

    @staticmethod
    def _body_refused(request: HttpRequest, code: str) -> HttpResponse:
        """A body sent without a length that `common.wsgi` refused: 501 for a transfer coding it does not undo,
        else 411."""
        if code == CODING_UNSUPPORTED:
            status = 501
            message = _(
                "The request's body is sent with a transfer coding Vaxbook does not read (%(coding)s): send it "
                "again without it."
            ) % {"coding": request.META.get("HTTP_TRANSFER_ENCODING", "")}
        else:
            status = 411
            message = _("The request did not say how long its body is: send it again with its length (Content-Length).")
        if request.path_info.startswith(API_PREFIX):
            content_type, _params = parse_header_parameters(request.META.get("CONTENT_TYPE") or "")
            field = "file" if content_type == "multipart/form-data" else "body"  # an upload, or the body itself
            return JsonResponse({"errors": [{"field": field, "code": code, "message": message}]}, status=status)
        context = {"code": code, "status": status, "message": message, "back_url": back_url(request)}
        return render(request, "body_refused.html", context, status=status)


def back_url(request: HttpRequest) -> str | None:
    """The page of this site the request came from (its Referer), for an error page's way back; None when
    there is none, or it is another site's."""
    referer = request.headers.get("Referer") or ""
    if not referer or not url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return None
    parts = urlsplit(referer)
    return parts.path + (f"?{parts.query}" if parts.query else "")


class FormCutShort(MultiPartParserError):
    """A form's body (multipart/form-data) that ends before its closing delimiter: cut short."""


class _FormEndStream:
    """A request's body stream that watches for the form's closing delimiter (``--boundary--``) as it is read,
    and raises `FormCutShort` at the end of a body without it."""

    def __init__(self, stream: Any, boundary: bytes):
        self.stream = stream
        # On a line of its own: a file's bytes may hold "--boundary--" elsewhere only by a huge coincidence.
        self.delimiter = b"\r\n--" + boundary + b"--"
        self.tail = b"\r\n"  # a form with no part at all begins with its closing delimiter
        self.ended = False  # the closing delimiter was read

    def _seen(self, data: bytes) -> bytes:
        if data and not self.ended:
            window = self.tail + data
            self.ended = self.delimiter in window
            self.tail = window[-len(self.delimiter) :]
        elif not data and not self.ended:
            raise FormCutShort("The form data ends before its closing boundary.")
        return data

    # `request.body` asks these of its stream (it answered AttributeError, a 500, when read whole).
    def seekable(self) -> bool:
        return False

    def close(self) -> None:
        closing = getattr(self.stream, "close", None)
        if closing is not None:
            closing()

    def read(self, *args: Any) -> bytes:
        data = self._seen(self.stream.read(*args))
        if (not args or args[0] is None or args[0] < 0) and not self.ended:  # read to its end: no more reads
            raise FormCutShort("The form data ends before its closing boundary.")
        return data

    def readline(self, *args: Any) -> bytes:
        return self._seen(self.stream.readline(*args))


class FormCutShortMiddleware:
    """A form's body cut short (a phone's upload lost midway, a client that stopped sending) is refused as
    unreadable, 400 `invalid_multipart`, nothing kept: Django's parser reads what came, drops the part that was
    cut, and the API answered 422 `required` for the file, a page "choose a file"; or keeps the boundary in the
    last field's text. The body is read as before, through `_FormEndStream`. The API's answer is its handler's
    (config/api.py); a page says the upload did not arrive whole, with the way back, as it does when the
    connection broke while the body was read (`UnreadablePostError`, which CSRF's check used to swallow). Placed
    after the session, CSRF and authentication middleware (the page's forms and menu as on any page), whose
    checks read the body only later, in their view hooks. A URL-encoded form has no closing delimiter: its end
    is its length, and a body that stops before it raises `UnreadablePostError` when read (common.wsgi's
    `_WholeBody`); a page's form is read here too, and one cut short gets the same page (`invalid_form`) rather
    than CSRF's (which took it for a form without its token)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        content_type, params = parse_header_parameters(request.META.get("CONTENT_TYPE") or "")
        boundary = params.get("boundary", "")
        stream = getattr(request, "_stream", None)
        if content_type == "application/x-www-form-urlencoded" and not request.path_info.startswith(API_PREFIX):
            # Its end is its length only (common.wsgi's `_WholeBody` raises when the body stops before it): read
            # here too, so that a form cut short gets this page, not CSRF's (which takes it for a form without
            # its token).
            try:
                request.POST  # noqa: B018
            except UnreadablePostError:
                context = {"code": "invalid_form", "back_url": back_url(request)}
                return render(request, "400_form.html", context, status=400)
            return self.get_response(request)
        if content_type != "multipart/form-data" or not boundary.isascii() or not boundary or stream is None:
            return self.get_response(request)
        request._stream = _FormEndStream(stream, boundary.encode())  # type: ignore[attr-defined,assignment]
        if request.path_info.startswith(API_PREFIX):
            return self.get_response(request)
        try:
            request.POST  # noqa: B018 - read here, where a body cut short can be answered with its page
        except (FormCutShort, UnreadablePostError):
            context = {"code": "invalid_multipart", "back_url": back_url(request)}
            return render(request, "400_form.html", context, status=400)
        return self.get_response(request)


class ApiErrorShapeMiddleware:
    """Under /api/, a 404 for an address with no route and a 405 for a method the route does not take are
    answered as every other refusal of the API (`{"errors": [{field, code, message}]}`, JSON), not with
    Django's HTML pages. The 405 keeps its `Allow` header; asked without any sign-in (no Authorization
    header, no session), it is the 401 `not_authenticated` every request without one gets, whatever its
    method. HEAD is answered as GET is, without the body (HTTP: a server answering GET answers HEAD), under
    /api/ and on the portal's pages and downloads alike (their views take GET only: HEAD answered 405)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "HEAD":
            return self._head(request)
        response = self.get_response(request)
        if response.status_code not in (404, 405) or not request.path_info.startswith(API_PREFIX):
            return response
        if response.get("Content-Type", "").startswith("application/json"):
            return response  # the API's own answer (a missing record), already in shape
        if response.status_code == 405 and not _signed_in(request):
            item = {"field": "Authorization", "code": "not_authenticated", "message": _("Sign-in required.")}
            return JsonResponse({"errors": [item]}, status=401)
        if response.status_code == 404:
            item = {"field": "", "code": "not_found", "message": _("There is nothing at this address of the API.")}
        else:
            item = {
                "field": "",
                "code": "method_not_allowed",
                "message": _("This address of the API does not take %(method)s.") % {"method": request.method},
            }
        shaped = JsonResponse({"errors": [item]}, status=response.status_code)
        for name, value in response.items():  # the answer's own headers (Vary, Content-Language, X-Frame-Options …)
            if name.lower() not in ("content-type", "content-length", "allow"):
                shaped[name] = value
        if "Allow" in response:
            allowed = [m.strip() for m in response["Allow"].split(",") if m.strip()]
            if "GET" in allowed and "HEAD" not in allowed:  # answered as GET is (`_head`)
                allowed.append("HEAD")
            shaped["Allow"] = ", ".join(allowed)
        return shaped

    def _head(self, request: HttpRequest) -> HttpResponse:
        """The GET answer's status and headers (its length among them), without its body."""
        request.method = "GET"
        try:
            answer = self(request)
        finally:
            request.method = "HEAD"
        head = HttpResponse(status=answer.status_code)
        for name, value in answer.items():
            head[name] = value
        if not answer.streaming and "Content-Length" not in answer:
            head["Content-Length"] = str(len(answer.content))
        head.cookies = answer.cookies
        stream = getattr(answer, "file_to_stream", None)  # a file answered by GET is not read
        if stream is not None:
            stream.close()
        return head


def _signed_in(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    return bool(request.headers.get("Authorization")) or bool(user is not None and user.is_authenticated)


class PortalQueryCharactersMiddleware:
    """A page of the portal asked with a NUL or a lone surrogate in its query string (``?q=%00``, which no
    browser sends of itself) answers 400 `invalid_character` naming the parameter, as the API does, rather
    than passing the text to PostgreSQL, which refuses it in a query (a 500). The API checks its own."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.META.get("QUERY_STRING") and not request.path_info.startswith(API_PREFIX):
            fields = bad_character_fields({key: request.GET.getlist(key) for key in request.GET})
            fields += undecodable_parameters(request.META["QUERY_STRING"])  # q=%FF: "�" searched for
            if fields:
                parameters = sorted({field.split(".")[0] for field in fields})  # "q.0": the parameter q
                context = {"code": INVALID_CHARACTER, "parameters": ", ".join(parameters)}
                return render(request, "400.html", context, status=400)
        return self.get_response(request)


class HtmxSignInMiddleware:
    """A fragment htmx asks for (a progress card polled every second, a search's results) when the session
    has ended (signed out in another tab, the session's age) is answered with ``HX-Redirect`` to the sign-in
    page, coming back to the page the person was on: htmx follows a plain redirect itself and would put the
    whole sign-in page inside the fragment, with a form that posts nowhere useful."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.headers.get("HX-Request") != "true" or response.status_code != 302:
            return response
        login = resolve_url(settings.LOGIN_URL)
        if urlsplit(response.get("Location", "")).path != login:
            return response
        page = urlsplit(request.headers.get("HX-Current-URL", ""))
        here = page.path + (f"?{page.query}" if page.query else "") if page.path else request.get_full_path()
        answer = HttpResponse(status=204)
        answer["HX-Redirect"] = f"{login}?{urlencode({'next': here})}"
        return answer


class HtmxPageLanguageMiddleware:
    """A fragment htmx asks for in one language for a page shown in another (English chosen in a second tab
    while the first polls an import's progress) reloads the whole page (``HX-Refresh``) rather than putting
    English text into a Vietnamese page, read out by a screen reader with the page's voice. The page names its
    language in every htmx request's ``X-Page-Language`` (base.html)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        shown = request.headers.get("X-Page-Language")
        if (
            shown
            and request.method in ("GET", "HEAD")  # a form sent is done, in whatever language it answers
            and request.headers.get("HX-Request") == "true"
            and shown != translation.get_language()
            and not request.path_info.startswith(API_PREFIX)
        ):
            answer = HttpResponse(status=204)
            answer["HX-Refresh"] = "true"
            return answer
        return self.get_response(request)
