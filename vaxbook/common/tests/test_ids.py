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
