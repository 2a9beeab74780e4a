"""English: the month by its name (8 Dec 2026), since 08/12/2026 reads as August 12 to many readers.

The input formats are day first, as in Vietnamese (config/formats/typed.py), and read a date typed as the pages
show it (8 Dec 2026, or the month's whole name). What Django does not find here it takes from its own English
formats: the separators and the times typed.
"""

from config.formats import typed

# What a date field reads from what is typed: day first, in both languages; then the month by its name.
DATE_INPUT_FORMATS = [*typed.DATE_INPUT_FORMATS, "%d %b %Y", "%d %B %Y"]
DATETIME_INPUT_FORMATS = [*typed.DATETIME_INPUT_FORMATS, "%d %b %Y %H:%M", "%d %B %Y %H:%M", "%d %b %Y", "%d %B %Y"]

DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y H:i"
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y H:i"
