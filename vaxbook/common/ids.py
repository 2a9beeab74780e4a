"""Public ids in time order (UUID version 7, RFC 9562) for the tables written on every dose.

A random (version 4) public id sends each new row's index entry to a random page of an index that
grows by millions of rows a day in a campaign: the page is read, dirtied and written back, and the
index outgrows memory. A version-7 id starts with the time in milliseconds, so new entries go to the
index's right edge, like a sequence. The other 74 bits are random (`secrets`): ids stay unguessable.
Persons and households keep version-4 ids: theirs would tell when a record was created.

`uuid4` is the standard library's, made cheaper for the importer, which gives a hundred thousand
persons and roster entries their ids in one run: the random bytes come from `os.urandom` (the same
source) 256 ids at a time instead of one system call per id, per thread, and a forked child draws
afresh (it never reuses its parent's bytes).
"""

import os
import secrets
import threading
import time
import uuid

_IDS_PER_DRAW = 256
# RFC 9562: the variant bits 10, the version 4 (what uuid.UUID(bytes=..., version=4) does).
_CLEAR = ~((0xC000 << 48) | (0xF000 << 64))
_VERSION_4 = (0x8000 << 48) | (4 << 76)


class _Drawn(threading.local):
    """This thread's random bytes not yet used."""

    def __init__(self) -> None:
        self.data = b""
        self.at = 0


_drawn = _Drawn()


def _draw_afresh() -> None:
    global _drawn
    _drawn = _Drawn()


os.register_at_fork(after_in_child=_draw_afresh)


_new = object.__new__
_set = object.__setattr__
_UUID = uuid.UUID
_UNKNOWN = uuid.SafeUUID.unknown


def _from_int(value: int) -> uuid.UUID:
    """uuid.UUID(int=value) without its checks, for a value made here (Python 3.14 has this as
    `UUID._from_int`): the instance's two slots set directly."""
    made = _new(_UUID)
    _set(made, "int", value)
    _set(made, "is_safe", _UNKNOWN)
    return made


def uuid4() -> uuid.UUID:
    """A new random (version 4) UUID, as `uuid.uuid4()`: 122 bits from `os.urandom`."""
    drawn = _drawn
    at = drawn.at
    if at >= len(drawn.data):
        drawn.data = os.urandom(16 * _IDS_PER_DRAW)
        at = 0
    drawn.at = at + 16
    return _from_int((int.from_bytes(drawn.data[at : at + 16]) & _CLEAR) | _VERSION_4)


def uuid7() -> uuid.UUID:
    """A new version-7 UUID: 48 bits of Unix time in milliseconds, then 74 random bits."""
    ms = time.time_ns() // 1_000_000
    rand = secrets.randbits(74)
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76  # version
    value |= (rand >> 62) << 64  # 12 random bits (rand_a)
    value |= 0b10 << 62  # RFC 9562 variant
    value |= rand & ((1 << 62) - 1)  # 62 random bits (rand_b)
    return uuid.UUID(int=value)
