"""The clinic's refusals: one DomainError subclass per stable code (see vaxbook.vaccines.errors)."""

from django.utils.translation import gettext_lazy as _

from vaxbook.vaccines.errors import IdempotencyKeyRequired, Refusal

__all__ = ["IdempotencyKeyRequired", "Refusal"]  # and every class below


class PersonNotFound(Refusal):
    status = 404
    code = "person_not_found"
    field = "person_id"
    message = _("No such person.")


class PersonAmbiguous(Refusal):
    status = 409
    code = "person_ambiguous"
    field = "phone"
    message = _("Several persons share this phone number: choose one.")


class CheckinIdentifierRequired(Refusal):
    code = "identifier_required"
    field = "token"
    message = _("Give exactly one of: QR token, person id, identity number, phone.")


class PersonDataIncomplete(Refusal):
    code = "person_data_incomplete"
    field = "person_id"
    message = _("The person's record is incomplete: complete it before screening or vaccination.")


class PersonDataInvalid(Refusal):
    code = "person_data_invalid"
    field = "person_id"
    message = _("The person's record has errors: correct it before screening or vaccination.")


class ScreeningAnswersMissing(Refusal):
    code = "screening_answers_missing"
    field = "answers"
    message = _("Every screening question must be answered yes or no.")


class ScreeningAnswerUnknown(Refusal):
    code = "screening_answer_unknown"
    field = "answers"
    message = _("An answer was given to a question that is not on the checklist.")


class ScreeningNotFound(Refusal):
    status = 404
    code = "screening_not_found"
    field = "screening_id"
    message = _("No such screening.")


class ScreeningRequired(Refusal):
    code = "screening_required"
    field = "screening_id"
    message = _("A dose given now needs this person's screening of the same day.")


class ScreeningNotEligible(Refusal):
    code = "screening_not_eligible"
    field = "screening_id"
    message = _("The screening did not find the person eligible for vaccination today.")


class ScreeningSuperseded(Refusal):
    code = "screening_superseded"
    field = "screening_id"
    message = _("A later screening of the person today replaces this one: record the dose with the latest screening.")


class VaccineWithdrawn(Refusal):
    code = "vaccine_withdrawn"
    field = "vaccine_code"
    message = _("This vaccine is no longer in use: it can be back-entered, not given.")


class SourceInvalid(Refusal):
    code = "source_invalid"
    field = "source"
    message = _("The source must be live or back_entry.")


class AdministeredInFuture(Refusal):
    code = "administered_in_future"
    field = "administered_at"
    message = _("The dose cannot be given in the future.")


class AdministeredBeforeBirth(Refusal):
    code = "administered_before_birth"
    field = "administered_at"
    message = _("The dose cannot be given before the person was born.")


class DoseDuplicate(Refusal):
    status = 409
    code = "dose_duplicate"
    field = "person_id"
    message = _("This person already has a dose recorded on that day.")


class DoseOutOfOrder(Refusal):
    code = "dose_out_of_order"
    field = "administered_at"
    message = _(
        "This dose is dated before the person's latest dose: a dose given earlier on paper is entered with "
        "source back_entry."
    )


class DoseConflictsWithLater(Refusal):
    code = "dose_conflicts_with_later"
    field = "administered_at"
    message = _(
        "With this dose, a dose recorded after it would no longer follow the schedule (too soon, or a vaccine "
        "not allowed): check the dates against the person's vaccination card."
    )


class DoseTooSoon(Refusal):
    code = "dose_too_soon"
    field = "administered_at"
    message = _("Too soon after the previous dose.")


class BoosterNotDue(Refusal):
    code = "booster_not_due"
    field = "administered_at"
    message = _("The primary series is complete and a booster is not due yet.")


class VaccineNotAllowed(Refusal):
    code = "vaccine_not_allowed"
    field = "vaccine_code"
    message = _("This vaccine cannot be used for this dose of the person's schedule.")


class VaccinatorInvalid(Refusal):
    code = "vaccinator_invalid"
    field = "vaccinator_id"
    message = _("The vaccinator must be a vaccinator of this facility.")


class DoseNotFound(Refusal):
    status = 404
    code = "dose_not_found"
    field = "id"
    message = _("No such dose.")


class DoseAlreadyVoided(Refusal):
    status = 409
    code = "dose_already_voided"
    field = "id"
    message = _("This dose is already voided.")


class VoidReasonRequired(Refusal):
    code = "void_reason_required"
    field = "reason"
    message = _("Say why the dose is voided.")


class VoidWindowPassed(Refusal):
    status = 403
    code = "void_window_passed"
    field = "id"
    message = _("After 7 days only an area officer or a national administrator may void a dose.")


class SessionNotFound(Refusal):
    status = 404
    code = "session_not_found"
    field = "id"
    message = _("No such session.")


class SessionInvalid(Refusal):
    code = "session_invalid"
    field = ""
    message = _("The session is not valid.")


class SessionInPast(Refusal):
    code = "session_in_past"
    field = "date"
    message = _("A session cannot be planned in the past.")


class SessionWindowInvalid(Refusal):
    code = "session_window_invalid"
    field = "ends_at"
    message = _("The session must end after it starts.")


class SessionTimeHasOffset(Refusal):
    code = "session_time_has_offset"
    field = "starts_at"
    message = _("Enter the local time at the facility, without a time zone offset (HH:MM).")


class CapacityInvalid(Refusal):
    code = "capacity_invalid"
    field = "capacity"
    message = _("The capacity must be between 1 and 100,000.")


class SessionFull(Refusal):
    status = 409
    code = "session_full"
    field = "session"
    message = _("The session is full.")


class SessionClosed(Refusal):
    status = 409
    code = "session_closed"
    field = "session"
    message = _("The session is cancelled or over.")


class InviteTargetRequired(Refusal):
    code = "invite_target_required"
    field = "person_ids"
    message = _("Give exactly one of: person ids, a priority group, an organization.")


class PriorityGroupNotFound(Refusal):
    status = 404
    code = "priority_group_not_found"
    field = "priority_group"
    message = _("No such priority group.")


class OrganizationNotFound(Refusal):
    status = 404
    code = "organization_not_found"
    field = "organization_id"
    message = _("No such organization.")


class AppointmentNotFound(Refusal):
    status = 404
    code = "appointment_not_found"
    field = "appointment_id"
    message = _("No such appointment.")


class AdverseEventNotFound(Refusal):
    status = 404
    code = "adverse_event_not_found"
    field = "id"
    message = _("No such adverse event report, or you may not see it.")


class SymptomsRequired(Refusal):
    code = "symptoms_required"
    field = "symptoms"
    message = _("Enter the symptoms of the reaction.")


class OutcomeInvalid(Refusal):
    code = "outcome_invalid"
    field = "outcome"
    message = _("Choose the outcome from the list.")


class OnsetBeforeDose(Refusal):
    code = "onset_before_dose"
    field = "onset_at"
    message = _("The onset cannot be before the dose was given.")


class OnsetInFuture(Refusal):
    code = "onset_in_future"
    field = "onset_at"
    message = _("The onset cannot be in the future.")


class DoseVoided(Refusal):
    status = 409
    code = "dose_voided"
    field = "dose_id"
    message = _("This dose was voided.")
