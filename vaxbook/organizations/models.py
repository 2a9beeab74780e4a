from django.db import models
from django.utils.translation import gettext_lazy as _

from vaxbook.common.models import BaseModel


class Organization(BaseModel):
    """An agency, unit or company that registers its staff (cơ quan, đơn vị, doanh nghiệp)."""

    tax_code = models.CharField(_("tax code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=255)
    admin_unit = models.ForeignKey(
        "places.AdminUnit", on_delete=models.PROTECT, related_name="organizations", verbose_name=_("area")
    )
    address_line = models.CharField(_("address"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
