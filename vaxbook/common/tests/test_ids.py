"""Version-7 public ids: valid RFC 9562 UUIDs, in time order, distinct."""

import time
import uuid

from vaxbook.common.ids import uuid7


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


def test_uuid4_is_a_random_version_4_rfc_uuid_and_never_repeats() -> None:
    from vaxbook.common.ids import uuid4

    values = [uuid4() for _ in range(20_000)]  # several pools' worth
    assert all(v.version == 4 and v.variant == uuid.RFC_4122 for v in values)
    assert len(set(values)) == len(values)
    # Every random bit takes both values: nothing of the pool is left fixed.
    random_bits = ~((0xF << 76) | (0x3 << 62)) & ((1 << 128) - 1)
    ones = 0
    zeros = 0
    for v in values[:2000]:
        ones |= v.int
        zeros |= ~v.int
    assert ones & random_bits == random_bits and zeros & random_bits == random_bits


def test_threads_and_forked_processes_draw_different_ids() -> None:
    """Each thread has its own pool, and a forked child (an app server's worker) starts with an empty
    one: it never hands out the bytes its parent holds. The fork happens in a fresh interpreter (this one
    runs threads)."""
    import subprocess
    import sys
    import threading
    from pathlib import Path

    from vaxbook.common.ids import uuid4

    program = """
import os
from vaxbook.common.ids import uuid4
uuid4()  # the parent's pool is filled
read, write = os.pipe()
pid = os.fork()
if pid == 0:
    os.write(write, b"".join(uuid4().bytes for _ in range(50)))
    os._exit(0)
os.close(write)
child = b""
while chunk := os.read(read, 4096):
    child += chunk
os.waitpid(pid, 0)
parent = b"".join(uuid4().bytes for _ in range(50))
ours = {parent[i : i + 16] for i in range(0, 800, 16)}
theirs = {child[i : i + 16] for i in range(0, 800, 16)}
print(len(child), len(ours), len(theirs), len(ours & theirs))
"""
    root = Path(__file__).resolve().parents[3]
    out = subprocess.run([sys.executable, "-c", program], cwd=root, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["800", "50", "50", "0"]

    seen: list[bytes] = []
    threads = [threading.Thread(target=lambda: seen.append(uuid4().bytes)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(seen)) == 4


def test_built_rows_take_pooled_random_ids() -> None:
    from vaxbook.common.rows import Builder
    from vaxbook.registry.models import Person

    build = Builder(Person)
    first, second = build({}), build({})
    assert first.public_id.version == 4 and first.public_id != second.public_id
