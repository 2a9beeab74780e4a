"""A size bound as a person reads it: never said larger than it is, and a bound under a megabyte not "0 MB"."""

import pytest
from django.utils import translation

from vaxbook.common.sizes import size_text


@pytest.mark.parametrize(
    ("size", "vi", "en"),
    [
        (20 * 1024 * 1024, "20 MB", "20 MB"),
        (1536 * 1024, "1,5 MB", "1.5 MB"),
        (2 * 1024 * 1024 - 1, "1,9 MB", "1.9 MB"),  # cut, not rounded up to 2 MB
        (2000 * 1024 * 1024, "2.000 MB", "2,000 MB"),
        (512 * 1024, "512 kB", "512 kB"),
        (1024, "1 kB", "1 kB"),
        (2000, "1,9 kB", "1.9 kB"),
        (900, "900 byte", "900 bytes"),
        (1, "1 byte", "1 byte"),
        (0, "0 byte", "0 bytes"),
    ],
)
def test_a_size_in_the_readers_units_and_language(size, vi, en):
    with translation.override("vi"):
        assert size_text(size) == vi
    with translation.override("en"):
        assert size_text(size) == en
