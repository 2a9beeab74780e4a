"""The roster part of the demo: a real upload and import by the demo organization's representative, with a
row for the health staff to review, loaded once."""

import io
from typing import Any

import pytest

from vaxbook.common import demo
from vaxbook.common import testing as t
from vaxbook.organizations.demo import DEMO_FILE, roster_demo_load
from vaxbook.organizations.models import RosterConflict, RosterImport

pytestmark = pytest.mark.django_db


@pytest.fixture
def loaded(ward1: Any, ward2: Any, province: Any) -> str:
    """The base demo (which calls the roster demo at its end), small."""
    t.WardFactory(code="26080", name="Phường Long Khánh", parent=province)
    out = io.StringIO()
    demo.demo_load(stdout=out, persons=200, households=70, seed=7)
    return out.getvalue()


def test_the_demo_uploads_a_roster_with_a_row_to_review(loaded: str) -> None:
    imp = RosterImport.objects.get(original_name=DEMO_FILE)
    assert (imp.status, imp.total, imp.linked + imp.updated, imp.refused) == ("done", 3, 1, 2)
    assert imp.refusals == {"document_conflict": 1, "phone_format": 1}
    assert imp.error_report
    conflict = RosterConflict.objects.get()
    assert conflict.status == "open" and conflict.roster_import == imp
    assert conflict.submitted["date_of_birth"] != conflict.person.date_of_birth.isoformat()
    assert DEMO_FILE in loaded


def test_a_second_load_changes_nothing(loaded: str) -> None:
    out = io.StringIO()
    roster_demo_load(stdout=out)
    assert RosterImport.objects.count() == 1 and RosterConflict.objects.count() == 1
    assert out.getvalue().strip()  # it says so rather than staying silent
