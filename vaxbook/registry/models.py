from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from vaxbook.common.models import BaseModel
from vaxbook.registry.priority_groups import priority_group_label


class PriorityGroup(models.Model):
    """A priority group as data (Resolution 21/NQ-CP for Covid-19: codes "1", "2", …)."""

    code = models.CharField(_("code"), max_length=10, unique=True)
    name = models.CharField(_("name"), max_length=255)
    name_en = models.CharField(_("name in English"), max_length=255, blank=True)
    rank = models.PositiveSmallIntegerField(_("rank"), default=0)

    class Meta:
        verbose_name = _("priority group")
        verbose_name_plural = _("priority groups")
        ordering = ["rank", "code"]

    def __str__(self) -> str:
        return priority_group_label(self)  # in the active language, wherever a group is shown


class Household(BaseModel):
    """A household (hộ gia đình): a head and members, one address."""

    head = models.OneToOneField(
        "registry.Person",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="headed_household",
        verbose_name=_("head of household"),
    )
    ward = models.ForeignKey(
        "places.AdminUnit", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("ward")
    )
    address_line = models.CharField(_("address"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")

    def __str__(self) -> str:
        return str(_("Household of %(head)s") % {"head": self.head}) if self.head_id else str(self.public_id)


class Person(BaseModel):
    class Sex(models.TextChoices):
        MALE = "M", _("male")
        FEMALE = "F", _("female")

    class IdType(models.TextChoices):
        CCCD = "cccd", _("citizen ID (CCCD)")
        CMND = "cmnd", _("old ID card (CMND)")
        PASSPORT = "passport", _("passport")
        NONE = "none", _("no document")

    class Source(models.TextChoices):
        SELF = "self", _("self-registered")
        ORGANIZATION = "organization", _("organization")
        FACILITY = "facility", _("facility")
        IMPORT = "import", _("import")

    class DataStatus(models.TextChoices):
        COMPLETE = "complete", _("complete")
        INCOMPLETE = "incomplete", _("incomplete")
        INVALID = "invalid", _("invalid")

    class Relation(models.TextChoices):
        HEAD = "head", _("head of household")
        SPOUSE = "spouse", _("spouse")
        CHILD = "child", _("child")
        PARENT = "parent", _("parent")
        SIBLING = "sibling", _("sibling")
        GRANDCHILD = "grandchild", _("grandchild")
        GRANDPARENT = "grandparent", _("grandparent")
        OTHER = "other", _("other relative")

    full_name = models.CharField(_("full name"), max_length=200)
    # Indexed by person_name_dob_idx (its leading column) and the PostgreSQL name indexes (migrations 0002-0003).
    search_name = models.CharField(_("search name"), max_length=200)
    date_of_birth = models.DateField(_("date of birth"))
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    id_type = models.CharField(_("document type"), max_length=10, choices=IdType.choices, default=IdType.NONE)
    id_number = models.CharField(_("document number"), max_length=20, blank=True)
    health_insurance_number = models.CharField(_("health insurance number"), max_length=15, blank=True)
    nationality = models.CharField(_("nationality"), max_length=2, default="VN")
    ethnicity = models.CharField(_("ethnicity"), max_length=60, blank=True)
    occupation = models.CharField(_("occupation"), max_length=120, blank=True)
    priority_group = models.ForeignKey(
        PriorityGroup,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("priority group"),
    )
    province = models.ForeignKey(
        "places.AdminUnit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("province"),
        db_index=False,  # person_province_status_idx leads with it
    )
    ward = models.ForeignKey(
        "places.AdminUnit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("ward"),
        db_index=False,  # person_ward_status_idx leads with it
    )
    address_line = models.CharField(_("address"), max_length=255, blank=True)
    household = models.ForeignKey(
        Household,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
        verbose_name=_("household"),
        db_index=False,  # person_household_idx (partial)
    )
    relation_to_head = models.CharField(_("relation to head"), max_length=20, choices=Relation.choices, blank=True)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices, default=Source.FACILITY)
    data_status = models.CharField(_("data status"), max_length=12, choices=DataStatus.choices)
    problems = models.JSONField(_("problems"), default=list, blank=True)
    suspected_duplicate_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("suspected duplicate of"),
        db_index=False,  # person_duplicate_of_idx (partial)
    )
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("merged into"),
        db_index=False,  # person_merged_into_idx (partial)
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("persons")
        constraints = [
            # One person per document. A CCCD and a CMND share one number space (a 12-digit CMND's
            # number is its holder's CCCD number; 9-digit ones never equal a 12-digit one), so theirs
            # are unique whatever the type says; other documents by type and number.
            models.UniqueConstraint(
                fields=["id_number"],
                condition=models.Q(id_type__in=["cccd", "cmnd"]) & ~models.Q(id_number=""),
                name="person_unique_national_number",
            ),
            models.UniqueConstraint(
                fields=["id_type", "id_number"],
                condition=~models.Q(id_type__in=["cccd", "cmnd"]) & ~models.Q(id_number=""),
                name="person_unique_document",
            ),
        ]
        # Every index here is paid on every registration (an import writes 100,000 persons): each one
        # is used by a search or a scope. Plain indexes rather than db_index on text columns (which adds
        # a second, LIKE, index on PostgreSQL that no query uses); the rarely set links are indexed
        # only where set (the look-ups `household = x`, `suspected_duplicate_of IS NOT NULL`, and the
        # PROTECT check of `merged_into = x` all imply NOT NULL).
        indexes = [
            models.Index(fields=["search_name", "date_of_birth"], name="person_name_dob_idx"),
            models.Index(fields=["id_number"], name="person_id_number_idx"),
            models.Index(fields=["phone"], name="person_phone_idx"),
            models.Index(fields=["data_status"], name="person_data_status_idx"),
            models.Index(fields=["ward", "data_status"], name="person_ward_status_idx"),
            models.Index(fields=["province", "data_status"], name="person_province_status_idx"),
            models.Index(
                fields=["household"], name="person_household_idx", condition=models.Q(household__isnull=False)
            ),
            models.Index(
                fields=["suspected_duplicate_of"],
                name="person_duplicate_of_idx",
                condition=models.Q(suspected_duplicate_of__isnull=False),
            ),
            models.Index(
                fields=["merged_into"], name="person_merged_into_idx", condition=models.Q(merged_into__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def missing_fields(self) -> list[str]:
        return [p["field"] for p in self.problems if p.get("kind") == "missing"]

    @property
    def invalid_fields(self) -> list[str]:
        """Fields today's rules refuse (a record judged again after a rule was added: persons_recheck)."""
        return [p["field"] for p in self.problems if p.get("kind", "invalid") == "invalid"]
