"""Vietnamese: dates day first with slashes, as the portal has always shown them (08/12/2026).

The input formats are day first (config/formats/typed.py). What Django does not find here it takes from its
own Vietnamese formats and then from the settings: the separators and the times typed.
"""

# What a date field reads from what is typed: day first, in both languages.
from config.formats.typed import DATE_INPUT_FORMATS, DATETIME_INPUT_FORMATS  # noqa: F401

DATE_FORMAT = "d/m/Y"
DATETIME_FORMAT = "d/m/Y H:i"
SHORT_DATE_FORMAT = "d/m/Y"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
