"""The priority groups as loaded and as named on a page: the reader's language, nothing internal."""

from typing import Any

import pytest
from django.utils import translation

from vaxbook.registry.forms import priority_group_choices
from vaxbook.registry.models import PriorityGroup
from vaxbook.registry.priority_groups import NQ21_GROUPS, priority_group_label
from vaxbook.registry.services import priority_groups_load

pytestmark = pytest.mark.django_db


def test_the_loaded_names_say_who_is_in_the_group_and_nothing_internal(db: Any) -> None:
    priority_groups_load()
    group = PriorityGroup.objects.get(code="12")
    assert (group.name, group.name_en) == ("Người dân khác từ 18 tuổi trở lên", "Other adults (18 and over)")
    for code, name_vi, name_en in NQ21_GROUPS:
        for name in (name_vi, name_en):
            assert "catch-all" not in name and "project" not in name.lower(), code


def test_a_group_is_labelled_in_the_active_language(db: Any) -> None:
    priority_groups_load()
    group = PriorityGroup.objects.get(code="6")
    with translation.override("vi"):
        assert priority_group_label(group) == "6. Người sinh sống tại các vùng có dịch"
    with translation.override("en"):
        assert priority_group_label(group) == "6. People living in outbreak areas"
        assert ("6", "6. People living in outbreak areas") in priority_group_choices()
    assert priority_group_label(None) == ""


def test_a_group_without_an_english_name_is_labelled_in_vietnamese(db: Any) -> None:
    group = PriorityGroup.objects.create(code="13", name="Nhóm mới")
    with translation.override("en"):
        assert priority_group_label(group) == "13. Nhóm mới"


@pytest.mark.django_db
def test_the_command_loads_the_groups_and_brings_their_names_up_to_date() -> None:
    """A deployment loads them by command (the demo did it alone), and an upgrade that renames one
    (group 12's English name lost its internal note) reaches a loaded database by running it again."""
    from io import StringIO

    from django.core.management import call_command

    from vaxbook.registry.models import PriorityGroup
    from vaxbook.registry.priority_groups import NQ21_GROUPS

    out = StringIO()
    call_command("load_priority_groups", stdout=out)
    assert f"{len(NQ21_GROUPS)} created" in out.getvalue()
    code, _vi, name_en = NQ21_GROUPS[-1]
    PriorityGroup.objects.filter(code=code).update(name_en="old name: project catch-all")
    call_command("load_priority_groups", stdout=StringIO())
    assert PriorityGroup.objects.get(code=code).name_en == name_en
    assert PriorityGroup.objects.count() == len(NQ21_GROUPS)
