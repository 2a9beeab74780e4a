"""Public ids: random ones (UUID version 4) and ones in time order (version 7, RFC 9562).

A random (version 4) public id sends each new row's index entry to a random page of an index that
grows by millions of rows a day in a campaign: the page is read, dirtied and written back, and the
index outgrows memory. A version-7 id starts with the time in milliseconds, so new entries go to the
index's right edge, like a sequence. The other 74 bits are random: ids stay unguessable. Persons and
households keep version-4 ids: theirs would tell when a record was created.

The random bits come from the operating system's generator (`os.urandom`, as `uuid.uuid4` and
`secrets` take them), drawn a few kilobytes at a time rather than 16 bytes per id: an import builds a
hundred thousand ids, and one system call each cost more than the rest of the id. Each thread has its
own pool, and a forked process (the app server's workers) starts with an empty one, so no two
processes or threads ever hand out the same bytes.
"""

import os
import threading
import time
import uuid

_POOL_BYTES = 4096


class _Pool(threading.local):
    data = b""
    at = 0


_pool = _Pool()


def _forget_pool() -> None:
    global _pool
    _pool = _Pool()


os.register_at_fork(after_in_child=_forget_pool)


def random_int(nbytes: int) -> int:
    """A random integer of `nbytes` bytes from the operating system's generator (see the module)."""
    pool = _pool
    if pool.at + nbytes > len(pool.data):
        pool.data, pool.at = os.urandom(_POOL_BYTES), 0
    start = pool.at
    pool.at = start + nbytes
    return int.from_bytes(pool.data[start : start + nbytes])


_V4_CLEAR = ~((0xF << 76) | (0x3 << 62))


def uuid4() -> uuid.UUID:
    """A new version-4 (random) UUID, as `uuid.uuid4()` makes it."""
    return uuid.UUID(int=(random_int(16) & _V4_CLEAR) | (0x4 << 76) | (0b10 << 62))


def uuid7() -> uuid.UUID:
    """A new version-7 UUID: 48 bits of Unix time in milliseconds, then 74 random bits."""
    ms = time.time_ns() // 1_000_000
    rand = random_int(10) >> 6  # 74 bits
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76  # version
    value |= (rand >> 62) << 64  # 12 random bits (rand_a)
    value |= 0b10 << 62  # RFC 9562 variant
    value |= rand & ((1 << 62) - 1)  # 62 random bits (rand_b)
    return uuid.UUID(int=value)
