"""Domain errors: a stable code per refusal, translated messages, and the field they concern.

Services raise DomainError; every door (page, API, importer, command) translates it for its user.
The codes are English snake_case and never translated; the messages are.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Self


@dataclass(frozen=True)
class ErrorItem:
    field: str
    code: str
    message: Any  # a str or a lazy translation

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "code": self.code, "message": str(self.message)}


class DomainError(Exception):
    """A refused use case. `status` is the HTTP status the API answers with."""

    status = 422

    def __init__(self, errors: Iterable[Any], *, status: int | None = None, extra: dict | None = None):
        items = []
        for e in errors:
            if isinstance(e, ErrorItem):
                items.append(e)
            else:  # anything with field/code/message, e.g. registry.identity.Problem
                items.append(ErrorItem(field=e.field, code=e.code, message=e.message))
        self.errors: list[ErrorItem] = items
        if status is not None:
            self.status = status
        self.extra = extra or {}
        super().__init__("; ".join(f"{i.field}: {i.code}" for i in items))

    @classmethod
    def single(cls, field: str, code: str, message: Any, **kwargs: Any) -> Self:
        return cls([ErrorItem(field, code, message)], **kwargs)

    @property
    def codes(self) -> list[str]:
        return [e.code for e in self.errors]

    def as_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {"errors": [e.as_dict() for e in self.errors]}
        payload.update(self.extra)
        return payload


class Conflict(DomainError):
    status = 409


class NotFound(DomainError):
    status = 404


class Forbidden(DomainError):
    status = 403
