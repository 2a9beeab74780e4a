"""Public ids: version 7 valid RFC 9562 UUIDs, in time order, distinct; version 4 as the standard
library's, distinct across threads and across a fork."""

import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

from vaxbook.common.ids import uuid4, uuid7


def test_uuid7_is_a_version_7_rfc_uuid_carrying_the_time() -> None:
    before = time.time_ns() // 1_000_000
    value = uuid7()
    after = time.time_ns() // 1_000_000
    assert value.version == 7 and value.variant == uuid.RFC_4122
    assert before <= value.int >> 80 <= after


def test_uuid7_values_are_distinct_and_ordered_across_milliseconds() -> None:
    first = uuid7()
    time.sleep(0.002)
    second = uuid7()
    assert first < second
    assert len({uuid7() for _ in range(10_000)}) == 10_000


def test_uuid4_is_a_version_4_rfc_uuid_like_the_standard_librarys() -> None:
    value = uuid4()
    assert type(value) is uuid.UUID
    assert value.version == 4 and value.variant == uuid.RFC_4122
    again = uuid.UUID(str(value))
    assert again == value and hash(again) == hash(value) and again.bytes == value.bytes
    assert value.is_safe == uuid.SafeUUID.unknown


def test_uuid4_values_are_distinct_and_random_in_every_bit_they_do_not_fix() -> None:
    values = [uuid4() for _ in range(10_000)]  # many draws of the pool
    assert len(set(values)) == 10_000
    varying = 0
    for v in values:
        varying |= v.int ^ values[0].int
    fixed = (0xC000 << 48) | (0xF000 << 64)
    assert varying == ((1 << 128) - 1) & ~fixed  # the 122 random bits all vary; version and variant never


def test_uuid4_in_several_threads_gives_distinct_ids() -> None:
    found: list[list[uuid.UUID]] = [[] for _ in range(4)]

    def draw(into: list[uuid.UUID]) -> None:
        into.extend(uuid4() for _ in range(2_000))

    threads = [threading.Thread(target=draw, args=(into,)) for into in found]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({v for into in found for v in into}) == 8_000


FORK_CHECK = """
import os
from vaxbook.common.ids import uuid4

uuid4()  # the parent holds random bytes not yet used
read_end, write_end = os.pipe()
pid = os.fork()
if pid == 0:  # the child: its next ids, to the parent
    os.close(read_end)
    os.write(write_end, b"".join(uuid4().bytes for _ in range(8)))
    os._exit(0)
os.close(write_end)
with os.fdopen(read_end, "rb") as pipe:
    child = pipe.read()
os.waitpid(pid, 0)
parent = b"".join(uuid4().bytes for _ in range(8))
assert len(child) == 128, child
shared = {child[i : i + 16] for i in range(0, 128, 16)} & {parent[i : i + 16] for i in range(0, 128, 16)}
print("shared", len(shared))
"""


def test_a_forked_child_never_draws_the_ids_its_parent_will() -> None:
    """In a process of its own (a fork from the test run's threads could deadlock): without the reset at
    fork, the child's next ids would be the very ones its parent draws next."""
    done = subprocess.run(
        [sys.executable, "-c", FORK_CHECK],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).resolve().parents[3],
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["shared", "0"]
