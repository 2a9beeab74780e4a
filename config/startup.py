"""What an app server checks before it serves (config/wsgi.py, config/asgi.py)."""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def require_secret_key() -> None:
    """Refuse to start without SECRET_KEY: the settings load without one (for the commands that sign
    nothing), a server that signs sessions, CSRF tokens and QR codes must not."""
    try:
        settings.SECRET_KEY  # noqa: B018 (Django refuses an empty key when it is read)
    except ImproperlyConfigured:
        raise ImproperlyConfigured("The environment variable SECRET_KEY is required (DEBUG is off).") from None
