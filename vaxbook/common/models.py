from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from vaxbook.common.ids import uuid4, uuid7


class BaseModel(models.Model):
    """Every table: an internal integer key, a public UUID for URLs and the API, and timestamps."""

    public_id = models.UUIDField(_("public id"), default=uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class TimeOrderedModel(BaseModel):
    """A table written on every dose (doses, stock movements, appointments, screenings): public ids
    in time order, whose index grows at its right edge (see common/ids.py)."""

    public_id = models.UUIDField(_("public id"), default=uuid7, unique=True, editable=False)

    class Meta:
        abstract = True


class AuditEvent(models.Model):
    """One write, recorded in the same transaction as the write itself."""

    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("actor"),
    )
    action = models.CharField(_("action"), max_length=80)
    subject_type = models.CharField(_("subject type"), max_length=60)
    subject_id = models.CharField(_("subject id"), max_length=64)
    data = models.JSONField(_("data"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        # One plain index on the action (db_index on a CharField adds a second, for LIKE, on PostgreSQL):
        # every write of the product adds an event, so every index here is paid on every write.
        indexes = [
            models.Index(fields=["subject_type", "subject_id", "at"], name="audit_subject_idx"),
            models.Index(fields=["action"], name="audit_action_idx"),
        ]
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.subject_type}:{self.subject_id}"


class SentMessage(models.Model):
    """A message handed to the SMS backend; the recording backend keeps them here."""

    at = models.DateTimeField(_("at"), auto_now_add=True)
    to = models.CharField(_("to"), max_length=20, db_index=True)
    body = models.TextField(_("body"))
    backend = models.CharField(_("backend"), max_length=120)
    status = models.CharField(_("status"), max_length=20, default="sent")
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("sent message")
        verbose_name_plural = _("sent messages")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.to}: {self.body[:40]}"


class IdempotencyRecord(models.Model):
    """The first answer to a client write, replayed when the same key comes again."""

    key = models.CharField(_("key"), max_length=200)
    # idempotency_unique_key leads with the user: no index of its own.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("user"), db_index=False
    )
    scope = models.CharField(_("scope"), max_length=80)
    body_hash = models.CharField(_("body hash"), max_length=64)
    status_code = models.PositiveSmallIntegerField(_("status code"))
    response = models.JSONField(_("response"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        constraints = [
            models.UniqueConstraint(fields=["user", "scope", "key"], name="idempotency_unique_key"),
        ]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key}"
