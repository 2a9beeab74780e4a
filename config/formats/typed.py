"""What a date field reads from what is typed, in every language: the browsers' date pickers send ISO; a
browser without one, or a person typing, sends what the page's hints ask for: day first, dd/mm/yyyy. Django's
own lists put the month first (08/12/2026 read as August 12), in both languages."""

DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y", "%d-%m-%Y", "%d.%m.%Y"]
DATETIME_INPUT_FORMATS = [
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%d %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
    "%Y-%m-%d",
]
