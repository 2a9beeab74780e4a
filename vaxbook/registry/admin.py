"""Admin for the registry.

Persons and households are shown, searched and filtered here, but changed only in the portal (or the
API): every change to a person goes through `services.person_update`, which applies the identity
rules and writes the audit event, and nothing a person or an audit needs is deleted. Priority
groups are reference data and are edited here, with an audit event.
"""

import contextlib
import uuid
from typing import Any

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from vaxbook.common.audit import audit_log
from vaxbook.registry.identity import normalize_id_number, normalize_phone, search_name
from vaxbook.registry.models import Household, Person, PriorityGroup


class ReadOnlyAdmin(admin.ModelAdmin):
    """View and search only: writes go through the services (rules + audit)."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Person)
class PersonAdmin(ReadOnlyAdmin):
    list_display = ("full_name", "date_of_birth", "id_type", "id_number", "phone", "ward", "data_status", "source")
    list_filter = ("data_status", "source", "id_type", "sex")
    search_fields = ("search_name", "=id_number", "=phone")  # see get_search_results
    list_select_related = ("ward",)
    show_full_result_count = False
    date_hierarchy = "created_at"
    readonly_fields = ("portal_link", "problems", "search_name", "public_id", "version", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("portal_link", "full_name", "search_name", "date_of_birth", "sex", "public_id")}),
        (_("Document and contact"), {"fields": ("id_type", "id_number", "health_insurance_number", "phone")}),
        (
            _("Details"),
            {
                "fields": (
                    "nationality",
                    "ethnicity",
                    "occupation",
                    "priority_group",
                    "province",
                    "ward",
                    "address_line",
                )
            },
        ),
        (_("Household"), {"fields": ("household", "relation_to_head")}),
        (
            _("Data quality"),
            {"fields": ("data_status", "problems", "suspected_duplicate_of", "merged_into", "source")},
        ),
        (_("Record"), {"fields": ("created_by", "version", "created_at", "updated_at")}),
    )

    @admin.display(description=_("In the portal"))
    def portal_link(self, obj: Person) -> str:
        url = reverse("registry:person", kwargs={"public_id": obj.public_id})
        return format_html('<a href="{}">{}</a>', url, _("Open (and correct) this record in the portal"))

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Person], search_term: str
    ) -> tuple[QuerySet[Person], bool]:
        """A name typed with or without diacritics, an ID number or a phone in any usual spelling."""
        term = search_term.strip()
        if not term:
            return queryset, False
        match = Q(pk__in=[])
        folded = search_name(term)
        if folded:
            match |= Q(search_name__contains=folded)
        number = normalize_id_number(None, term)
        if number:
            match |= Q(id_number=number) | Q(id_number=normalize_id_number("cccd", term))
        phone = normalize_phone(term)
        if phone:
            match |= Q(phone=phone)
        with contextlib.suppress(ValueError):
            match |= Q(public_id=uuid.UUID(term))
        return queryset.filter(match), False


class MemberInline(admin.TabularInline):
    model = Person
    fk_name = "household"
    fields = ("full_name", "date_of_birth", "relation_to_head", "data_status")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Household)
class HouseholdAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "ward", "address_line", "created_at")
    search_fields = ("head__search_name", "=head__id_number", "address_line", "=public_id")
    list_select_related = ("head", "ward")
    readonly_fields = ("public_id", "created_at", "updated_at")
    inlines = [MemberInline]
    show_full_result_count = False


@admin.register(PriorityGroup)
class PriorityGroupAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "name_en", "rank")
    search_fields = ("code", "name", "name_en")
    ordering = ("rank", "code")

    def save_model(self, request: HttpRequest, obj: PriorityGroup, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        action = "registry.priority_group.changed" if change else "registry.priority_group.created"
        audit_log(actor=request.user, action=action, subject=obj, data={"fields": sorted(form.changed_data)})

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # persons point at their group
