"""Small query helpers for the hot paths."""

from typing import Any, TypeVar

from django.db.models import Model, QuerySet

M = TypeVar("M", bound=Model)


def unique_or_none(queryset: "QuerySet[M, Any]") -> M | None:
    """The row of a look-up by a unique key, or None.

    Like `.first()` without the ORDER BY it adds: a unique key needs none, and building it costs
    Python on every request. Use it only when the filter matches at most one row.
    """
    for obj in queryset.order_by()[:1]:
        return obj
    return None
