"""Dates are shown in the active language's way (config/formats): day first in Vietnamese, the month named in
English, where 08/12/2026 reads as August 12. What forms read from what is typed is not changed by it."""

from collections.abc import Iterator
from datetime import date, datetime

import pytest
from django.test import override_settings
from django.utils import formats, translation

DAY = date(2026, 12, 8)
MOMENT = datetime(2026, 12, 8, 7, 5)

INPUT_FORMATS = ("DATE_INPUT_FORMATS", "DATETIME_INPUT_FORMATS", "TIME_INPUT_FORMATS")


@pytest.fixture
def fresh_formats() -> Iterator[None]:
    """Django keeps the formats it looked up; a test that changes where they come from starts and ends clean."""
    formats.reset_format_cache()
    yield
    formats.reset_format_cache()


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


def test_the_input_formats_are_django_s_as_before(fresh_formats: None) -> None:
    """The format modules set only how dates are shown: what a form reads stays what Django's own formats and
    the settings gave before (dd/mm/yyyy typed for a birth date is read by the registry's own rule)."""
    ours = {}
    for language in ("vi", "en"):
        with translation.override(language):
            ours[language] = [formats.get_format(name) for name in INPUT_FORMATS]
    formats.reset_format_cache()
    with override_settings(FORMAT_MODULE_PATH=None):
        for language in ("vi", "en"):
            with translation.override(language):
                assert [formats.get_format(name) for name in INPUT_FORMATS] == ours[language], language
