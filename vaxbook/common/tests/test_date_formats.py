"""Dates are shown in the active language's way (config/formats): day first in Vietnamese, the month named in
English, where 08/12/2026 reads as August 12. What is typed into a date field is read day first in both."""

from datetime import date, datetime

import pytest
from django.utils import formats, translation

DAY = date(2026, 12, 8)
MOMENT = datetime(2026, 12, 8, 7, 5)


@pytest.mark.parametrize(
    ("language", "day", "moment"),
    [("vi", "08/12/2026", "08/12/2026 07:05"), ("en", "8 Dec 2026", "8 Dec 2026 07:05")],
)
def test_each_language_shows_dates_its_way(language: str, day: str, moment: str) -> None:
    with translation.override(language):
        assert formats.date_format(DAY, "DATE_FORMAT") == formats.date_format(DAY, "SHORT_DATE_FORMAT") == day
        assert formats.date_format(MOMENT, "DATETIME_FORMAT") == moment
        assert formats.date_format(MOMENT, "SHORT_DATETIME_FORMAT") == moment
        assert formats.localize(DAY) == day  # a date shown without a format named, as the admin shows them


@pytest.mark.parametrize("language", ["vi", "en"])
def test_a_date_typed_is_read_day_first_in_both_languages(language: str) -> None:
    """Django's own input formats put the month first: 08/12/2026 typed (a browser without a date picker, the
    session's date, a lot's expiry) was read as August 12. Typed dates are read day first, as the hints say;
    ISO (what the pickers send) as before."""
    from django import forms

    field, moment = forms.DateField(), forms.DateTimeField()
    with translation.override(language):
        assert field.clean("08/12/2026") == field.clean("2026-12-08") == field.clean("8.12.2026") == DAY
        assert moment.clean("08/12/2026 07:05").replace(tzinfo=None) == MOMENT
        with pytest.raises(forms.ValidationError):
            field.clean("12/31/2026")  # month first: no 31st month


def test_english_reads_a_date_typed_as_its_pages_show_it() -> None:
    """The English pages show 8 Dec 2026; typed back into a form (a browser without a picker), it was refused."""
    from django import forms

    field, moment = forms.DateField(), forms.DateTimeField()
    with translation.override("en"):
        shown = formats.date_format(DAY, "DATE_FORMAT")
        assert field.clean(shown) == field.clean("08 December 2026") == DAY
        assert moment.clean(formats.date_format(MOMENT, "DATETIME_FORMAT")).replace(tzinfo=None) == MOMENT
        assert field.clean("2026-12-08") == field.clean("08/12/2026") == DAY  # what the picker sends, day first
    with translation.override("vi"), pytest.raises(forms.ValidationError):
        field.clean(shown)  # Vietnamese pages show 08/12/2026: a month named in English is not theirs
