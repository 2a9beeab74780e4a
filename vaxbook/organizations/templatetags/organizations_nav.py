"""`{% organizations_visible as show %}`, `{% conflicts_reviewable as show %}`: whether the portal's menu shows
the organizations link and the roster conflicts to review; `{% conflicts_waiting as n %}`: how many of those
wait for an answer (the reviewer's home says so)."""

from typing import Any

from django import template

from vaxbook.accounts.selectors import user_scope
from vaxbook.organizations.selectors import roster_conflicts_for_user

register = template.Library()


@register.simple_tag(takes_context=True)
def organizations_visible(context: Any) -> bool:
    scope = user_scope(user=context["request"].user)
    return bool(scope.national or scope.organization_ids or scope.area_unit_ids)


@register.simple_tag(takes_context=True)
def conflicts_reviewable(context: Any) -> bool:
    """Whether the menu shows the roster conflicts: to those who keep the records the rosters contradict."""
    return user_scope(user=context["request"].user).reviews_records


@register.simple_tag(takes_context=True)
def conflicts_waiting(context: Any) -> int:
    """How many roster conflicts the user may answer are open (0 for those who review none)."""
    return roster_conflicts_for_user(user=context["request"].user).count()
