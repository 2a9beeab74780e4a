from django.contrib import admin
from django.http import HttpRequest

from vaxbook.clinic.models import AdverseEvent, Appointment, Dose, DoseCounter, Screening, ScreeningQuestion, Session


class ReadOnlyAdmin(admin.ModelAdmin):
    """Written by the services only (audited, locked); the admin shows them."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(ScreeningQuestion)
class ScreeningQuestionAdmin(admin.ModelAdmin):
    list_display = ["order", "code", "yes_leads_to", "active"]
    list_editable = ["active"]
    ordering = ["order"]


@admin.register(Session)
class SessionAdmin(ReadOnlyAdmin):
    list_display = ["date", "starts_at", "facility", "vaccine", "capacity", "status"]
    list_filter = ["status", "vaccine"]
    date_hierarchy = "date"


@admin.register(Appointment)
class AppointmentAdmin(ReadOnlyAdmin):
    list_display = ["session", "person", "status", "source"]
    list_filter = ["status", "source"]
    raw_id_fields = ["session", "person"]


@admin.register(Screening)
class ScreeningAdmin(ReadOnlyAdmin):
    list_display = ["screened_at", "person", "facility", "outcome"]
    list_filter = ["outcome"]
    raw_id_fields = ["person"]


@admin.register(Dose)
class DoseAdmin(ReadOnlyAdmin):
    list_display = ["administered_at", "person", "dose_number", "vaccine", "lot", "facility", "source", "status"]
    list_filter = ["status", "source", "vaccine"]
    raw_id_fields = ["person", "lot", "screening", "appointment"]
    date_hierarchy = "administered_on"


@admin.register(DoseCounter)
class DoseCounterAdmin(ReadOnlyAdmin):
    list_display = ["date", "facility", "vaccine", "dose_number", "count"]
    list_filter = ["vaccine", "dose_number"]


@admin.register(AdverseEvent)
class AdverseEventAdmin(ReadOnlyAdmin):
    list_display = ["onset_at", "person", "facility", "serious", "outcome"]
    list_filter = ["serious", "outcome"]
    raw_id_fields = ["dose", "person"]
