"""English: the month by its name (8 Dec 2026), since 08/12/2026 reads as August 12 to many readers.

Only the display formats are set here. What Django does not find here it takes from its own English
formats, as before: the separators, and the input formats (what a form reads from what is typed) stay as
they were.
"""

DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y H:i"
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y H:i"
