"""Vietnamese: dates day first with slashes, as the portal has always shown them (08/12/2026).

Only the display formats are set here. What Django does not find here it takes from its own Vietnamese
formats and then from the settings, as before: the separators, and the input formats (what a form reads
from what is typed) stay as they were.
"""

DATE_FORMAT = "d/m/Y"
DATETIME_FORMAT = "d/m/Y H:i"
SHORT_DATE_FORMAT = "d/m/Y"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
