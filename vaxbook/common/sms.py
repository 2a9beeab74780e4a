"""SMS sending through a pluggable backend chosen by settings.SMS_BACKEND.

RecordingBackend keeps every message in the database (development, tests, demo): nothing leaves the
machine. HttpGatewayBackend posts JSON to the gateway at settings.SMS_HTTP_URL with a bearer token.
"""

import logging
from typing import Protocol

import httpx
from django.conf import settings
from django.utils.module_loading import import_string

from vaxbook.common.models import SentMessage

logger = logging.getLogger(__name__)


class SmsBackend(Protocol):
    def send(self, *, to: str, body: str) -> SentMessage: ...


class RecordingBackend:
    def send(self, *, to: str, body: str) -> SentMessage:
        return SentMessage.objects.create(to=to, body=body, backend="recording", status="recorded")


class HttpGatewayBackend:
    """POST {"to", "from", "text"} to SMS_HTTP_URL; any 2xx answer is a success."""

    timeout = 10.0

    def send(self, *, to: str, body: str) -> SentMessage:
        status, error = "sent", ""
        try:
            response = httpx.post(
                settings.SMS_HTTP_URL,
                json={"to": to, "from": settings.SMS_SENDER, "text": body},
                headers={"Authorization": f"Bearer {settings.SMS_HTTP_TOKEN}"},
                timeout=self.timeout,
            )
            if response.status_code >= 300:
                status, error = "failed", f"HTTP {response.status_code}: {response.text[:500]}"
        except httpx.HTTPError as exc:
            status, error = "failed", str(exc)[:500]
        if status == "failed":
            logger.warning("SMS to %s failed: %s", to, error)
        return SentMessage.objects.create(to=to, body=body, backend="http", status=status, error=error)


def get_backend() -> SmsBackend:
    return import_string(settings.SMS_BACKEND)()


def sms_send(*, to: str, body: str) -> SentMessage:
    return get_backend().send(to=to, body=body)
