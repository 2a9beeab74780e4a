"""Form pieces shared by the pages that write to a lot's stock (the dose form, wastage)."""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


class LotField(forms.ChoiceField):
    """A lot select: it offers `choices` (the usable lots, labelled, in the page's order) and accepts any
    lot the facility holds (`held`), so that a lot that expired or ran out since the page was shown
    reaches the service, which refuses it with its own code; a lot the facility does not hold is
    `lot_not_held`. Shown again after an error, it keeps the lot posted only while it is one of `keep`
    (the lots fit for this write), else it shows the form's initial choice: an expired, empty or unsuited
    lot is never offered again nor preselected."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.held: frozenset[str] = frozenset()
        self.keep: frozenset[str] = frozenset()

    def configure(self, *, choices: list[tuple[str, Any]], held: Any = (), keep: Any = ()) -> None:
        self.choices = choices
        self.held = frozenset(held)
        self.keep = frozenset(keep)

    def valid_value(self, value: Any) -> bool:
        return str(value) in self.held or super().valid_value(value)

    def validate(self, value: Any) -> None:
        forms.Field.validate(self, value)  # required
        if value and not self.valid_value(value):
            raise ValidationError(_("Choose a lot this facility holds."), code="lot_not_held")

    def bound_data(self, data: Any, initial: Any) -> Any:
        return data if str(data or "") in self.keep else initial
