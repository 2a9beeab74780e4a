"""Admin for accounts. Changes made here are audited like any other write; secrets are never shown."""

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from vaxbook.accounts.models import ApiToken, Membership, OneTimeCode, User
from vaxbook.accounts.services import api_token_revoke
from vaxbook.common.audit import audit_log


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ("role", "facility", "organization", "admin_unit", "active")
    raw_id_fields = ("facility", "organization", "admin_unit")


def _audit_membership(request: HttpRequest, obj: Membership, change: bool, changed: list[str]) -> None:
    action = "accounts.membership.changed" if change else "accounts.membership.granted"
    data = {"user": obj.user.username, "role": obj.role, "fields": sorted(changed), "via": "admin"}
    audit_log(actor=request.user, action=action, subject=obj, data=data)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    inlines = (MembershipInline,)
    list_display = ("username", "first_name", "last_name", "phone", "is_active", "is_staff", "locked_until")
    list_filter = ("is_active", "is_staff", "is_superuser", "memberships__role")
    search_fields = ("username", "first_name", "last_name", "phone", "email")
    raw_id_fields = ("person",)
    readonly_fields = ("public_id", "last_login", "date_joined", "failed_logins")
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        (_("Vaxbook"), {"fields": ("public_id", "phone", "person", "failed_logins", "locked_until")}),
    )

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        fields = sorted(f for f in form.changed_data if f != "password")
        data: dict[str, Any] = {"fields": fields, "via": "admin"}
        if "password" in form.changed_data or not change:
            data["password_set"] = True
        action = "accounts.user.changed" if change else "accounts.user.created"
        audit_log(actor=request.user, action=action, subject=obj, data=data)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            audit_log(
                actor=request.user,
                action="accounts.membership.deleted",
                subject=obj,
                data={"user": obj.user.username, "role": obj.role, "via": "admin"},
            )
            obj.delete()
        changed_by_obj = {f.instance: f.changed_data for f in formset.forms if f.has_changed()}
        for obj in instances:
            is_new = obj.pk is None
            obj.save()
            _audit_membership(request, obj, not is_new, changed_by_obj.get(obj, []))
        formset.save_m2m()


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "role", "facility", "organization", "admin_unit", "active")
    list_filter = ("role", "active")
    search_fields = ("user__username", "facility__name", "organization__name", "admin_unit__name")
    raw_id_fields = ("user", "facility", "organization", "admin_unit")
    readonly_fields = ("public_id", "created_at", "updated_at")
    list_select_related = ("user", "facility", "organization", "admin_unit")

    def save_model(self, request: HttpRequest, obj: Membership, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        _audit_membership(request, obj, change, list(form.changed_data))


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    list_display = ("prefix", "user", "created_at", "expires_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("prefix", "user__username")
    fields = ("user", "prefix", "key_hash", "created_at", "expires_at", "last_used_at", "revoked_at")
    readonly_fields = fields
    list_select_related = ("user",)
    actions = ("revoke",)

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        count = 0
        for token in queryset.filter(revoked_at__isnull=True):
            api_token_revoke(actor=request.user, token=token)
            count += 1
        self.message_user(
            request,
            ngettext("%(count)d token revoked.", "%(count)d tokens revoked.", count) % {"count": count},
            messages.SUCCESS,
        )


@admin.register(OneTimeCode)
class OneTimeCodeAdmin(ReadOnlyAdmin):
    list_display = ("phone", "created_at", "expires_at", "attempts", "used_at")
    search_fields = ("phone",)
    fields = ("phone", "created_at", "expires_at", "attempts", "used_at")
    readonly_fields = fields
