"""`{% registry_visible as show %}`: whether the portal's menu shows the registry link."""

from typing import Any

from django import template

from vaxbook.accounts import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def registry_visible(context: Any) -> bool:
    return selectors.registry_visible(user=context["request"].user)
