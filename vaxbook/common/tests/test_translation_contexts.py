"""Words with two meanings are translated by their context (pgettext), not with one Vietnamese word."""

from django.template import Context, Template
from django.utils import translation

from vaxbook.places.models import AdminUnit
from vaxbook.registry.models import Person


def test_parent_of_a_unit_is_not_a_persons_parent() -> None:
    with translation.override("vi"):
        unit_parent = str(AdminUnit._meta.get_field("parent").verbose_name)
        relation = str(dict(Person._meta.get_field("relation_to_head").choices).get("parent", ""))
    assert unit_parent == "đơn vị cấp trên"
    assert unit_parent != relation


def test_doses_in_stock_are_not_doses_given() -> None:
    template = Template('{% load i18n %}{% translate "Doses" context "quantity in stock" %}|{% translate "Doses" %}')
    with translation.override("vi"):
        in_stock, given = template.render(Context()).split("|")
    assert (in_stock, given) == ("Số liều", "Mũi tiêm")
