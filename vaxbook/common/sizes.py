"""A size in bytes as a person reads it, in the active language: the bounds an upload is refused by."""

from __future__ import annotations

from django.utils.formats import number_format
from django.utils.translation import ngettext

_UNITS = (("MB", 1024 * 1024), ("kB", 1024))


def size_text(size: int) -> str:
    """`size` bytes in MB, kB or bytes, never rounded up (a bound said larger than it is would let a clerk send a
    file it refuses): 20 MB, 1,5 MB (Vietnamese) / 1.5 MB, 512 kB, 900 bytes. A whole number of units has no
    decimals; another has one, cut, not rounded."""
    for unit, scale in _UNITS:
        if size >= scale:
            tenths = size * 10 // scale
            if tenths % 10 == 0:
                return f"{number_format(tenths // 10, force_grouping=True)} {unit}"
            return f"{number_format(tenths / 10, decimal_pos=1, force_grouping=True)} {unit}"
    return ngettext("%(n)s byte", "%(n)s bytes", size) % {"n": number_format(size, force_grouping=True)}
