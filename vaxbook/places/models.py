from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from vaxbook.common.models import BaseModel


class AdminUnit(models.Model):
    """An administrative unit: the 2025 two-level units, and the legacy three levels they replaced.

    Codes are the official statistics-office codes. Codes are unique within a level (a legacy ward
    and a 2025 ward may share a code), so lookups always name the level.
    """

    class Level(models.TextChoices):
        PROVINCE = "province", _("province")
        WARD = "ward", _("ward / commune")
        LEGACY_PROVINCE = "legacy_province", _("province (before 2025)")
        LEGACY_DISTRICT = "legacy_district", _("district (before 2025)")
        LEGACY_WARD = "legacy_ward", _("ward / commune (before 2025)")

    code = models.CharField(_("code"), max_length=10)
    name = models.CharField(_("name"), max_length=120)
    search_name = models.CharField(_("search name"), max_length=120, db_index=True)
    level = models.CharField(_("level"), max_length=20, choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=pgettext_lazy("administrative unit", "parent"),
    )
    successors = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="predecessors", verbose_name=_("successors")
    )

    class Meta:
        verbose_name = _("administrative unit")
        verbose_name_plural = _("administrative units")
        constraints = [models.UniqueConstraint(fields=["level", "code"], name="adminunit_level_code_unique")]
        ordering = ["level", "code"]

    def __str__(self) -> str:
        return self.name

    @property
    def province(self) -> "AdminUnit":
        """The province this unit belongs to (itself for a province)."""
        unit = self
        while unit.parent_id is not None and unit.level not in (self.Level.PROVINCE, self.Level.LEGACY_PROVINCE):
            assert unit.parent is not None
            unit = unit.parent
        return unit


class Facility(BaseModel):
    """A vaccination unit (điểm tiêm / cơ sở tiêm chủng)."""

    class Kind(models.TextChoices):
        HOSPITAL = "hospital", _("hospital")
        HEALTH_CENTRE = "health_centre", _("health centre")
        COMMUNE_STATION = "commune_station", _("commune health station")
        PRIVATE_CLINIC = "private_clinic", _("private clinic")
        MOBILE_TEAM = "mobile_team", _("mobile team")

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    admin_unit = models.ForeignKey(
        AdminUnit, on_delete=models.PROTECT, related_name="facilities", verbose_name=_("administrative unit")
    )
    catchment = models.ManyToManyField(
        AdminUnit, blank=True, related_name="catchment_facilities", verbose_name=_("catchment wards")
    )
    address_line = models.CharField(_("address"), max_length=255, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("facility")
        verbose_name_plural = _("facilities")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
