"""SMS backends: the recording one keeps messages; the HTTP one posts JSON to a real local server."""

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from vaxbook.common.models import SentMessage
from vaxbook.common.sms import HttpGatewayBackend, RecordingBackend, sms_send


class Gateway:
    """A tiny SMS gateway on 127.0.0.1: it keeps what it receives and answers with `status`."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.status = 200
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                gateway.received.append(
                    {
                        "path": self.path,
                        "headers": dict(self.headers),
                        "json": json.loads(self.rfile.read(length) or b"null"),
                    }
                )
                body = b'{"ok": true}' if gateway.status < 300 else b"gateway is down"
                self.send_response(gateway.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:  # keep the test output clean
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sms/send"


@pytest.fixture
def gateway(settings: Any) -> Iterator[Gateway]:
    gw = Gateway()
    thread = threading.Thread(target=gw.server.serve_forever, daemon=True)
    thread.start()
    settings.SMS_BACKEND = "vaxbook.common.sms.HttpGatewayBackend"
    settings.SMS_HTTP_URL = gw.url
    settings.SMS_HTTP_TOKEN = "gateway-token"
    settings.SMS_SENDER = "VAXBOOK"
    try:
        yield gw
    finally:
        gw.server.shutdown()
        gw.server.server_close()
        thread.join(timeout=5)


def test_the_http_backend_posts_json_with_a_bearer_token(db: Any, gateway: Gateway) -> None:
    message = sms_send(to="+84912345678", body="Mã đăng nhập: 123456")
    assert len(gateway.received) == 1
    request = gateway.received[0]
    assert request["path"] == "/sms/send"
    assert request["json"] == {"to": "+84912345678", "from": "VAXBOOK", "text": "Mã đăng nhập: 123456"}
    assert request["headers"]["Authorization"] == "Bearer gateway-token"
    assert request["headers"]["Content-Type"].startswith("application/json")
    assert (message.backend, message.status, message.error) == ("http", "sent", "")
    assert SentMessage.objects.get().to == "+84912345678"


def test_the_http_backend_records_a_refusal_of_the_gateway(db: Any, gateway: Gateway) -> None:
    gateway.status = 503
    message = sms_send(to="+84912345678", body="x")
    assert message.status == "failed"
    assert message.error.startswith("HTTP 503")
    assert "gateway is down" in message.error


def test_the_http_backend_records_an_unreachable_gateway(db: Any, settings: Any) -> None:
    with socket.socket() as s:  # a port that nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings.SMS_HTTP_URL = f"http://127.0.0.1:{port}/sms/send"
    message = HttpGatewayBackend().send(to="+84912345678", body="x")
    assert message.status == "failed"
    assert message.error
    assert SentMessage.objects.get().status == "failed"


def test_the_recording_backend_keeps_the_message(db: Any, settings: Any) -> None:
    settings.SMS_BACKEND = "vaxbook.common.sms.RecordingBackend"
    message = sms_send(to="+84912345678", body="Xin chào")
    assert (message.backend, message.status) == ("recording", "recorded")
    assert SentMessage.objects.get().body == "Xin chào"


def test_the_recording_backend_sends_nothing_anywhere(db: Any) -> None:
    RecordingBackend().send(to="+84912345678", body="x")
    assert SentMessage.objects.count() == 1
