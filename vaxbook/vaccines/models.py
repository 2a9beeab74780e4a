"""Vaccine products, lots, and the stock ledger.

Stock on hand is always the SUM of a facility's movements for a lot: nobody edits a counter. The
`LotHolding` row exists only so that writers have one small row per (facility, lot) to lock before
they add up the ledger and append to it.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from vaxbook.common.models import BaseModel, TimeOrderedModel


class Vaccine(BaseModel):
    """A vaccine product, keyed by its EU DCC product code (`mp`), with its schedule as data."""

    class Kind(models.TextChoices):
        MRNA = "mrna", _("mRNA")
        VIRAL_VECTOR = "viral_vector", _("viral vector")
        INACTIVATED = "inactivated", _("inactivated virus")
        PROTEIN_SUBUNIT = "protein_subunit", _("protein subunit")

    code = models.CharField(_("product code (DCC)"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    manufacturer = models.CharField(_("manufacturer"), max_length=200)
    manufacturer_code = models.CharField(_("manufacturer code (DCC)"), max_length=60, blank=True)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    prophylaxis_code = models.CharField(_("prophylaxis code (DCC, SNOMED CT)"), max_length=20)
    disease_code = models.CharField(_("disease code (DCC)"), max_length=20, default="840539006")
    primary_doses = models.PositiveSmallIntegerField(_("doses in the primary series"))
    min_interval_days = models.PositiveSmallIntegerField(_("minimum days between primary doses"), default=0)
    booster_interval_days = models.PositiveSmallIntegerField(_("minimum days before a booster"), default=90)
    booster_allowed = models.BooleanField(_("may be used as a booster"), default=True)
    series_alternatives = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="+",
        verbose_name=_("may continue a primary series begun with this vaccine"),
    )
    vial_size = models.PositiveSmallIntegerField(_("doses per vial"), default=1)
    local_code = models.BooleanField(
        _("local code"), default=False, help_text=_("The code is ours, not from the EU value set.")
    )
    active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("vaccine")
        verbose_name_plural = _("vaccines")
        ordering = ["sort_order", "name"]
        constraints = [
            models.CheckConstraint(name="vaccine_primary_doses_positive", condition=models.Q(primary_doses__gte=1)),
        ]

    def __str__(self) -> str:
        return self.name


class Lot(BaseModel):
    """A manufacturer's lot (lô vắc xin): number and expiry, unique per vaccine."""

    vaccine = models.ForeignKey(Vaccine, on_delete=models.PROTECT, related_name="lots", verbose_name=_("vaccine"))
    number = models.CharField(_("lot number"), max_length=40)
    expiry = models.DateField(_("expiry date"))

    class Meta:
        verbose_name = _("lot")
        verbose_name_plural = _("lots")
        ordering = ["expiry", "number"]
        constraints = [models.UniqueConstraint(fields=["vaccine", "number"], name="lot_unique_number_per_vaccine")]
        indexes = [models.Index(fields=["number"], name="lot_number_idx")]

    def __str__(self) -> str:
        return f"{self.vaccine.code} {self.number}"


class LotHolding(models.Model):
    """A lot held at a facility: the row that writers lock before they read where the ledger stands and
    extend it.

    It carries no quantity on purpose: no counter is ever edited; the quantity is the ledger's, the balance
    of its last line (the sum of its movements).
    """

    facility = models.ForeignKey(
        "places.Facility", on_delete=models.PROTECT, related_name="lot_holdings", verbose_name=_("facility")
    )
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="holdings", verbose_name=_("lot"))
    opened_at = models.DateTimeField(_("first received at"), auto_now_add=True)

    class Meta:
        verbose_name = _("lot held at a facility")
        verbose_name_plural = _("lots held at facilities")
        constraints = [models.UniqueConstraint(fields=["facility", "lot"], name="lotholding_unique")]

    def __str__(self) -> str:
        return f"{self.facility_id}:{self.lot_id}"


class StockMovement(TimeOrderedModel):
    """One line of a facility's stock ledger, in doses. Inflows are positive, outflows negative.

    Each line also carries the ledger's running position in its (facility, lot): its place in the pair's
    ledger (`sequence`, 1, 2, …) and the doses on hand after it (`balance`). Both are written once, with
    the line, under the holding's lock (vaccines.services), and never edited: stock on hand is the balance
    of the pair's last line, one index probe however long the ledger, and it equals the sum of the pair's
    quantities (the tests check that). A sum grows with the lot's use: 23 ms a dose at 100,000 lines."""

    class Kind(models.TextChoices):
        RECEIVED = "received", _("received")
        USED = "used", _("used (dose given)")
        WASTED = "wasted", _("wasted")
        TRANSFERRED_OUT = "transferred_out", _("transferred out")
        TRANSFERRED_IN = "transferred_in", _("transferred in")
        VOID_REVERSAL = "void_reversal", _("returned by a voided dose")

    INFLOWS = ("received", "transferred_in", "void_reversal")
    OUTFLOWS = ("used", "wasted", "transferred_out")

    class WasteReason(models.TextChoices):
        OPEN_VIAL = "open_vial", _("opened vial not used in time")
        BROKEN = "broken", _("broken or contaminated")
        COLD_CHAIN = "cold_chain", _("cold-chain failure")
        EXPIRED = "expired", _("expired")
        OTHER = "other", _("other")

    # stock_pair_sequence leads with the facility: no index of its own (every dose writes one row).
    facility = models.ForeignKey(
        "places.Facility",
        on_delete=models.PROTECT,
        related_name="stock_movements",
        verbose_name=_("facility"),
        db_index=False,
    )
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="movements", verbose_name=_("lot"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    quantity = models.IntegerField(_("quantity (doses, signed)"))
    at = models.DateTimeField(_("at"))
    counterpart = models.ForeignKey(
        "places.Facility",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("other facility (transfers)"),
        db_index=False,  # set on transfers only; nobody lists movements by it
    )
    sequence = models.PositiveIntegerField(_("line of its facility and lot"))
    balance = models.IntegerField(_("on hand after it"))
    reason = models.CharField(_("reason"), max_length=20, blank=True, choices=WasteReason.choices)
    reference = models.CharField(_("reference"), max_length=64, blank=True, help_text=_("e.g. the dose's public id"))
    note = models.CharField(_("note"), max_length=255, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
        db_index=False,
    )

    class Meta:
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock movements")
        ordering = ["-at", "-id"]
        constraints = [
            # Its index serves the read of a pair's last line (and leads with the facility).
            models.UniqueConstraint(fields=["facility", "lot", "sequence"], name="stock_pair_sequence"),
            models.CheckConstraint(name="stock_balance_not_negative", condition=models.Q(balance__gte=0)),
            models.CheckConstraint(
                name="stock_quantity_sign_matches_kind",
                condition=(
                    models.Q(kind__in=["received", "transferred_in", "void_reversal"], quantity__gt=0)
                    | models.Q(kind__in=["used", "wasted", "transferred_out"], quantity__lt=0)
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.quantity:+d} {self.lot_id}@{self.facility_id}"
