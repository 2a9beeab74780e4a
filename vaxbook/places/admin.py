"""Admin for places. Units come from `manage.py load_places`; facilities are audited like any other write."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from vaxbook.common.audit import audit_log
from vaxbook.places.models import AdminUnit, Facility


@admin.register(AdminUnit)
class AdminUnitAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "level", "parent")
    list_filter = ("level",)
    search_fields = ("code", "name", "search_name")
    raw_id_fields = ("parent", "successors")
    readonly_fields = ("search_name",)
    list_select_related = ("parent",)
    ordering = ("level", "code")
    show_full_result_count = False


@admin.register(Facility)
class FacilityAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "admin_unit", "active")
    list_filter = ("kind", "active")
    search_fields = ("code", "name", "admin_unit__name", "admin_unit__code")
    raw_id_fields = ("admin_unit", "catchment")
    readonly_fields = ("public_id", "created_at", "updated_at")
    list_select_related = ("admin_unit",)

    def save_model(self, request: HttpRequest, obj: Facility, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        action = "places.facility.changed" if change else "places.facility.created"
        data = {"fields": sorted(form.changed_data), "via": "admin"}
        audit_log(actor=request.user, action=action, subject=obj, data=data)
