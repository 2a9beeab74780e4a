"""English: the month by its name (8 Dec 2026), since 08/12/2026 reads as August 12 to many readers.

The input formats are day first, as in Vietnamese (config/formats/typed.py). What Django does not find here
it takes from its own English formats: the separators and the times typed.
"""

# What a date field reads from what is typed: day first, in both languages.
from config.formats.typed import DATE_INPUT_FORMATS, DATETIME_INPUT_FORMATS  # noqa: F401

DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y H:i"
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y H:i"
