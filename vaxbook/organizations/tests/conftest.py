from typing import Any

import pytest
from django.test import override_settings


@pytest.fixture(autouse=True)
def _media(tmp_path: Any) -> Any:
    """Each test stores its uploads and reports in its own folder."""
    with override_settings(MEDIA_ROOT=tmp_path / "media"):
        yield


@pytest.fixture
def places(ward1: Any, priority_group: Any) -> Any:
    """Province 75 with ward 26001 (and 26002), priority group 9."""
    from vaxbook.common.testing import WardFactory

    WardFactory(code="26002", name="Phường Tam Hiệp", parent=ward1.parent)
    return ward1
