from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from vaxbook.common.models import BaseModel


class User(AbstractUser):
    """Staff sign in with username and password; citizens with their phone and a one-time code."""

    public_id = models.UUIDField(_("public id"), unique=True, editable=False, null=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True, db_index=True)
    person = models.OneToOneField(
        "registry.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="user",
        verbose_name=_("person (for citizens)"),
    )
    failed_logins = models.PositiveSmallIntegerField(_("failed sign-ins in a row"), default=0)
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True)
    # Bumped (with an F() update) whenever one of the user's memberships is saved or deleted: the
    # cached scope is keyed by it, so every process sees a membership change at once.
    scope_version = models.PositiveIntegerField(_("scope version"), default=0, editable=False)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def get_full_name(self) -> str:
        """The name in Vietnamese order, family name first ("Nguyễn Thị Lan"): the family name (with the
        middle name) is kept in ``last_name``, the given name in ``first_name``. Django's own puts the given
        name first, and its admin and anything else that names a user calls this."""
        return " ".join(f"{self.last_name or ''} {self.first_name or ''}".split())

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self.public_id is None:
            import uuid

            self.public_id = uuid.uuid4()
        super().save(*args, **kwargs)


class Role(models.TextChoices):
    NATIONAL_ADMIN = "national_admin", _("national administrator")
    PROVINCE_OFFICER = "province_officer", _("province officer")
    AREA_OFFICER = "area_officer", _("area officer")
    FACILITY_MANAGER = "facility_manager", _("facility manager")
    VACCINATOR = "vaccinator", _("vaccinator")
    DATA_CLERK = "data_clerk", _("data clerk")
    ORG_REPRESENTATIVE = "org_representative", _("organization representative")


FACILITY_ROLES = {Role.FACILITY_MANAGER, Role.VACCINATOR, Role.DATA_CLERK}
AREA_ROLES = {Role.PROVINCE_OFFICER, Role.AREA_OFFICER}


class Membership(BaseModel):
    """A role with its scope: a facility, an organization, or an administrative unit (or none: national)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user"))
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    facility = models.ForeignKey(
        "places.Facility",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="memberships",
        verbose_name=_("facility"),
    )
    organization = models.ForeignKey(
        "organizations.Organization",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="memberships",
        verbose_name=_("organization"),
    )
    admin_unit = models.ForeignKey(
        "places.AdminUnit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="memberships",
        verbose_name=_("administrative unit"),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.CheckConstraint(
                name="membership_scope_matches_role",
                condition=(
                    models.Q(
                        role="national_admin",
                        facility__isnull=True,
                        organization__isnull=True,
                        admin_unit__isnull=True,
                    )
                    | models.Q(
                        role__in=["province_officer", "area_officer"],
                        admin_unit__isnull=False,
                        facility__isnull=True,
                        organization__isnull=True,
                    )
                    | models.Q(
                        role__in=["facility_manager", "vaccinator", "data_clerk"],
                        facility__isnull=False,
                        organization__isnull=True,
                        admin_unit__isnull=True,
                    )
                    | models.Q(
                        role="org_representative",
                        organization__isnull=False,
                        facility__isnull=True,
                        admin_unit__isnull=True,
                    )
                ),
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.get_role_display()}"

    @property
    def scope_type(self) -> str:
        if self.facility_id:
            return "facility"
        if self.organization_id:
            return "organization"
        if self.admin_unit_id:
            return "admin_unit"
        return "national"


class ApiToken(models.Model):
    """A bearer token for the API. Only its SHA-256 is stored; revoking sets revoked_at."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("user"))
    key_hash = models.CharField(_("key hash"), max_length=64, unique=True)
    prefix = models.CharField(_("prefix"), max_length=8)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"


class OneTimeCode(models.Model):
    """A citizen's sign-in code sent by SMS; stored hashed, short-lived, with limited attempts."""

    phone = models.CharField(_("phone"), max_length=20, db_index=True)
    code_hash = models.CharField(_("code hash"), max_length=128)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("one-time code")
        verbose_name_plural = _("one-time codes")

    def __str__(self) -> str:
        return self.phone
