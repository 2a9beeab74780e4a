"""The reference cache: found codes are kept, unknown ones are not, and a save clears it."""

import pytest

from vaxbook.common.testing import WardFactory
from vaxbook.registry import references


@pytest.fixture
def cache_on(settings):
    settings.REFERENCE_CACHE_SECONDS = 60
    references.clear()
    yield
    references.clear()


def test_found_codes_are_served_from_the_cache(cache_on):
    calls = []

    def load(codes):
        calls.append(set(codes))
        return {c: f"unit-{c}" for c in codes if c != "missing"}

    assert references.cached_many("ward", {"1", "missing"}, load) == {"1": "unit-1"}
    assert references.cached_many("ward", {"1", "missing"}, load) == {"1": "unit-1"}
    assert calls == [{"1", "missing"}, {"missing"}]


@pytest.mark.django_db
def test_saving_a_unit_clears_the_cache(cache_on, province):
    references.cached_many("ward", {"x"}, lambda codes: {"x": "old"})
    WardFactory(code="26999", parent=province)
    assert references.cached_many("ward", {"x"}, lambda codes: {"x": "new"}) == {"x": "new"}


def test_without_a_lifetime_nothing_is_kept(settings):
    settings.REFERENCE_CACHE_SECONDS = 0
    references.clear()
    references.cached_many("ward", {"1"}, lambda codes: {"1": "a"})
    assert references.cached_many("ward", {"1"}, lambda codes: {"1": "b"}) == {"1": "b"}
