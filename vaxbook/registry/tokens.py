"""The person's QR token: a signed reference to the public id, with no personal data in it.

Wire format (version 1): ``P1.<public id as 32 hex digits>.<signature>``, where the signature is
Django's salted HMAC-SHA256 (base64url) over ``P1.<hex>`` with the salt ``vaxbook.person.qr``.
Anyone can read the public id; only the server can make a token the desk accepts.
"""

import uuid

from django.core import signing

from vaxbook.registry.models import Person

_SALT = "vaxbook.person.qr"
_VERSION = "P1"


def _signer() -> signing.Signer:
    """Made when used, with the key of that moment (not at import: a command that signs nothing runs
    without SECRET_KEY, and a rotated key is the one used)."""
    return signing.Signer(salt=_SALT, sep=".")


def person_qr_token(person: Person) -> str:
    return _signer().sign(f"{_VERSION}.{person.public_id.hex}")


def person_public_id_from_token(token: str) -> uuid.UUID | None:
    token = (token or "").strip()
    try:
        value = _signer().unsign(token)
    except signing.BadSignature:
        return None
    version, _sep, hex_id = value.partition(".")
    if version != _VERSION:
        return None
    try:
        return uuid.UUID(hex=hex_id)
    except ValueError:
        return None


def person_from_qr_token(token: str) -> Person | None:
    public_id = person_public_id_from_token(token)
    if public_id is None:
        return None
    return Person.objects.filter(public_id=public_id, merged_into__isnull=True).first()
