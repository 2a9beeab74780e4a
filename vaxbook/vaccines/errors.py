"""Refusals of the vaccines and clinic services: one DomainError subclass per stable code.

Each class names its code, the field it concerns, its HTTP status and a translated message; a caller
may pass a more precise message and `extra` data (for example the earliest date a dose is allowed).
"""

from typing import Any, ClassVar

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from vaxbook.common.errors import DomainError, ErrorItem


class Refusal(DomainError):
    code: ClassVar[str] = "refused"
    field: ClassVar[str] = ""
    message: ClassVar[str | Promise] = _("Refused.")

    def __init__(
        self,
        message: str | Promise | None = None,
        *,
        field: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(
            [ErrorItem(field if field is not None else self.field, self.code, message or self.message)],
            extra=extra,
        )


# Access ---------------------------------------------------------------------------------------


class FacilityForbidden(Refusal):
    status = 403
    code = "facility_forbidden"
    field = "facility_id"
    message = _("You do not work for this facility.")


class RoleForbidden(Refusal):
    status = 403
    code = "role_forbidden"
    field = ""
    message = _("Your role does not allow this.")


# Look-ups ------------------------------------------------------------------------------------


class VaccineNotFound(Refusal):
    status = 404
    code = "vaccine_not_found"
    field = "vaccine_code"
    message = _("No such vaccine.")


class LotNotFound(Refusal):
    status = 404
    code = "lot_not_found"
    field = "lot_number"
    message = _("No such lot.")


class FacilityNotFound(Refusal):
    status = 404
    code = "facility_not_found"
    field = "facility_id"
    message = _("No such facility.")


# Lots and stock ------------------------------------------------------------------------------


class LotVaccineMismatch(Refusal):
    code = "lot_vaccine_mismatch"
    field = "lot_number"
    message = _("This lot is not of this vaccine.")


class LotExpired(Refusal):
    code = "lot_expired"
    field = "lot_number"
    message = _("This lot has expired.")


class LotExpiryMismatch(Refusal):
    status = 409
    code = "lot_expiry_mismatch"
    field = "expiry"
    message = _("This lot is already known with another expiry date.")


class OutOfStock(Refusal):
    status = 409
    code = "out_of_stock"
    field = "lot_number"
    message = _("There is not enough of this lot in stock at this facility.")


class QuantityInvalid(Refusal):
    code = "quantity_invalid"
    field = "quantity"
    message = _("The quantity must be a positive whole number of doses.")


class WasteReasonInvalid(Refusal):
    code = "waste_reason_invalid"
    field = "reason"
    message = _("Unknown wastage reason.")


class TransferToSelf(Refusal):
    code = "transfer_to_self"
    field = "to_facility_id"
    message = _("A facility cannot transfer stock to itself.")


class IdempotencyKeyRequired(Refusal):
    status = 400
    code = "idempotency_key_required"
    field = "Idempotency-Key"
    message = _("Every write needs an Idempotency-Key.")


class IdempotencyKeyInvalid(Refusal):
    status = 400
    code = "idempotency_key_invalid"
    field = "Idempotency-Key"
    message = _("An Idempotency-Key is made of visible ASCII characters (a UUID, say).")
