"""The roster importer's limits: each one a Django setting with a safe default.

Set them in config/settings.py (from the environment) to change them; the names are the settings' names.
"""

from django.conf import settings

_DEFAULTS: dict[str, int] = {
    # The largest upload accepted (bytes).
    "ROSTER_IMPORT_MAX_BYTES": 20 * 1024 * 1024,
    # The most data rows in one file.
    "ROSTER_IMPORT_MAX_ROWS": 1_000_000,
    # A workbook may expand to at most this many bytes in all (a zip bomb expands to gigabytes).
    "ROSTER_IMPORT_MAX_UNCOMPRESSED_BYTES": 1024 * 1024 * 1024,
    # ... and no member may be compressed more than this (real sheets: 5–30×; a zip bomb: ~1000×).
    "ROSTER_IMPORT_MAX_COMPRESSION_RATIO": 200,
    # Rows per write transaction (and per progress step).
    "ROSTER_IMPORT_CHUNK_ROWS": 5000,
    # 1: write each chunk on a second database connection while the next one is read and checked
    # (PostgreSQL; Python and the database then work at once); 0: one after the other.
    "ROSTER_IMPORT_PIPELINE": 1,
    # Rows of a worksheet handed to calamine at once (more when the file has a big shared-strings part):
    # calamine holds a whole sheet in memory, so the importer gives it one slice at a time.
    "ROSTER_IMPORT_READ_ROWS": 5000,
    # A running import whose progress has not moved for this many minutes has lost its worker (a restart,
    # a killed process): it is marked failed (`import_interrupted`) when it is next looked at, or by
    # `manage.py roster_imports_fail_stalled`. A chunk takes seconds.
    "ROSTER_IMPORT_STALL_MINUTES": 10,
    # An organization's imports queued or running at once: one more is refused (429 `imports_waiting`) until
    # one ends, so that one organization's flood of uploads does not hold every other's behind it.
    "ROSTER_IMPORT_MAX_UNFINISHED": 5,
}


def limit(name: str) -> int:
    return int(getattr(settings, name, _DEFAULTS[name]))
