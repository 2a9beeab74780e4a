"""Public ids in time order (UUID version 7, RFC 9562) for the tables written on every dose.

A random (version 4) public id sends each new row's index entry to a random page of an index that
grows by millions of rows a day in a campaign: the page is read, dirtied and written back, and the
index outgrows memory. A version-7 id starts with the time in milliseconds, so new entries go to the
index's right edge, like a sequence. The other 74 bits are random (`secrets`): ids stay unguessable.
Persons and households keep version-4 ids: theirs would tell when a record was created.
"""

import secrets
import time
import uuid


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
