from django.contrib import admin
from django.http import HttpRequest

from vaxbook.vaccines.models import Lot, StockMovement, Vaccine


@admin.register(Vaccine)
class VaccineAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "manufacturer", "kind", "primary_doses", "min_interval_days", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["code", "name", "manufacturer"]
    filter_horizontal = ["series_alternatives"]


@admin.register(Lot)
class LotAdmin(admin.ModelAdmin):
    list_display = ["number", "vaccine", "expiry"]
    list_filter = ["vaccine"]
    search_fields = ["number"]


@admin.register(StockMovement)
class StockMovementAdmin(admin.ModelAdmin):
    """The ledger is append-only: movements are made by the services, never edited here."""

    list_display = ["at", "facility", "lot", "kind", "quantity", "balance", "reference"]
    list_filter = ["kind"]
    search_fields = ["lot__number", "facility__name", "reference"]
    list_select_related = ["facility", "lot"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
