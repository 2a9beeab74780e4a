"""Admin for organizations. Rosters change only through imports (audited); the admin shows them, their imports
and their exports read-only."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from vaxbook.organizations.models import Organization, RosterEntry, RosterExport, RosterImport


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ("name", "tax_code", "admin_unit")
    search_fields = ("name", "tax_code")
    raw_id_fields = ("admin_unit",)
    readonly_fields = ("public_id", "created_at", "updated_at")


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(RosterEntry)
class RosterEntryAdmin(_ReadOnly):
    list_display = ("person", "organization", "department", "employee_number", "created_at")
    search_fields = ("person__search_name", "person__id_number", "organization__name", "employee_number")
    list_select_related = ("person", "organization")
    raw_id_fields = ("person", "organization")
    show_full_result_count = False


@admin.register(RosterImport)
class RosterImportAdmin(_ReadOnly):
    list_display = ("original_name", "organization", "status", "progress", "accepted", "refused", "created_at")
    list_filter = ("status", "file_format")
    search_fields = ("original_name", "organization__name")
    list_select_related = ("organization",)
    raw_id_fields = ("organization", "uploaded_by")


@admin.register(RosterExport)
class RosterExportAdmin(_ReadOnly):
    list_display = ("organization", "data_status", "status", "progress", "rows", "requested_by", "created_at")
    list_filter = ("status", "data_status")
    search_fields = ("organization__name", "organization__tax_code")
    list_select_related = ("organization", "requested_by")
    raw_id_fields = ("organization", "requested_by")
