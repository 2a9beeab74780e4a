"""Vaccination day: sessions, appointments, screening, doses, counters and adverse events."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from vaxbook.common.models import BaseModel, TimeOrderedModel


class ScreeningQuestion(models.Model):
    """One question of the Ministry of Health's pre-vaccination checklist, as data."""

    class YesLeadsTo(models.TextChoices):
        VACCINATE = "vaccinate", _("vaccinate")
        PRECAUTION = "precaution", _("vaccinate with precautions (at a hospital)")
        POSTPONE = "postpone", _("postpone")
        REFER = "refer", _("refer to hospital")

    code = models.CharField(_("code"), max_length=40, unique=True)
    text_vi = models.TextField(_("text (Vietnamese)"))
    text_en = models.TextField(_("text (English)"))
    order = models.PositiveSmallIntegerField(_("order"))
    yes_leads_to = models.CharField(_("a yes leads to"), max_length=12, choices=YesLeadsTo.choices)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("screening question")
        verbose_name_plural = _("screening questions")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.code

    def text(self, language: str | None) -> str:
        return self.text_en if (language or "").startswith("en") else self.text_vi


class Session(BaseModel):
    """A vaccination session (buổi tiêm): one facility, one day, a time window, one vaccine, a capacity."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("planned")
        CANCELLED = "cancelled", _("cancelled")

    facility = models.ForeignKey(
        "places.Facility", on_delete=models.PROTECT, related_name="sessions", verbose_name=_("facility")
    )
    date = models.DateField(_("date"))
    starts_at = models.TimeField(_("starts at"))
    ends_at = models.TimeField(_("ends at"))
    vaccine = models.ForeignKey(
        "vaccines.Vaccine", on_delete=models.PROTECT, related_name="sessions", verbose_name=_("vaccine")
    )
    capacity = models.PositiveIntegerField(_("capacity"))
    priority_groups = models.ManyToManyField(
        "registry.PriorityGroup", blank=True, related_name="+", verbose_name=_("priority groups")
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PLANNED)
    note = models.CharField(_("note"), max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        ordering = ["-date", "starts_at"]
        indexes = [models.Index(fields=["facility", "date"], name="session_facility_date_idx")]
        constraints = [
            models.CheckConstraint(name="session_capacity_positive", condition=models.Q(capacity__gte=1)),
            models.CheckConstraint(
                name="session_window_ordered", condition=models.Q(ends_at__gt=models.F("starts_at"))
            ),
        ]

    def __str__(self) -> str:
        return f"{self.facility_id} {self.date} {self.starts_at:%H:%M}"


class Appointment(TimeOrderedModel):
    """A person invited to (or walking into) a session."""

    class Status(models.TextChoices):
        INVITED = "invited", _("invited")
        CHECKED_IN = "checked_in", _("checked in")
        VACCINATED = "vaccinated", _("vaccinated")
        CANCELLED = "cancelled", _("cancelled")

    class Source(models.TextChoices):
        REGISTRY = "registry", _("chosen from the registry")
        ROSTER = "roster", _("organization roster")
        PRIORITY_GROUP = "priority_group", _("priority group in the catchment")
        WALK_IN = "walk_in", _("walk-in")

    #: the statuses that hold a place in the session
    HOLDS_PLACE = ("invited", "checked_in", "vaccinated")

    # No index of their own: appointment_once_per_session (session, person) serves a session's look-ups
    # and appointment_person_idx (person, status) a person's; two more would only slow every invitation.
    session = models.ForeignKey(
        Session, on_delete=models.PROTECT, related_name="appointments", verbose_name=_("session"), db_index=False
    )
    person = models.ForeignKey(
        "registry.Person",
        on_delete=models.PROTECT,
        related_name="appointments",
        verbose_name=_("person"),
        db_index=False,
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.INVITED)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("invited by"),
    )
    invitation_sent_at = models.DateTimeField(_("invitation sent at"), null=True, blank=True)
    reminder_sent_at = models.DateTimeField(_("reminder sent at"), null=True, blank=True)
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)

    class Meta:
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        ordering = ["session", "created_at"]
        constraints = [models.UniqueConstraint(fields=["session", "person"], name="appointment_once_per_session")]
        indexes = [models.Index(fields=["person", "status"], name="appointment_person_idx")]

    def __str__(self) -> str:
        return f"{self.person_id}@{self.session_id} {self.status}"


class Screening(TimeOrderedModel):
    """The pre-vaccination check (khám sàng lọc): every answer, the outcome and the reasons for it."""

    class Outcome(models.TextChoices):
        ELIGIBLE = "eligible", _("eligible")
        PRECAUTION = "precaution", _("vaccinate with precautions (at a hospital)")
        POSTPONE = "postpone", _("postpone")
        REFER = "refer", _("refer to hospital")

    person = models.ForeignKey(
        "registry.Person", on_delete=models.PROTECT, related_name="screenings", verbose_name=_("person")
    )
    facility = models.ForeignKey(
        "places.Facility", on_delete=models.PROTECT, related_name="screenings", verbose_name=_("facility")
    )
    appointment = models.ForeignKey(
        Appointment,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="screenings",
        verbose_name=_("appointment"),
    )
    screened_at = models.DateTimeField(_("screened at"))
    screened_on = models.DateField(_("screened on (local date)"))
    screened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("screened by")
    )
    answers = models.JSONField(_("answers"), default=dict)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices)
    reasons = models.JSONField(_("reasons"), default=list, blank=True)
    note = models.CharField(_("note"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("screening")
        verbose_name_plural = _("screenings")
        ordering = ["-screened_at"]
        indexes = [models.Index(fields=["person", "screened_on"], name="screening_person_day_idx")]

    def __str__(self) -> str:
        return f"{self.person_id} {self.screened_on} {self.outcome}"


class Dose(TimeOrderedModel):
    """One administered dose (mũi tiêm). Never deleted: a wrong one is voided with a reason."""

    class Source(models.TextChoices):
        LIVE = "live", _("recorded at the chair")
        BACK_ENTRY = "back_entry", _("entered afterwards from paper")

    class Status(models.TextChoices):
        VALID = "valid", _("valid")
        VOIDED = "voided", _("voided")

    # Every index is written by every dose: the foreign keys that dose_person_idx and
    # dose_facility_time_idx lead with, and those nobody searches doses by (the users), have none.
    person = models.ForeignKey(
        "registry.Person", on_delete=models.PROTECT, related_name="doses", verbose_name=_("person"), db_index=False
    )
    vaccine = models.ForeignKey(
        "vaccines.Vaccine", on_delete=models.PROTECT, related_name="doses", verbose_name=_("vaccine"), db_index=False
    )
    lot = models.ForeignKey("vaccines.Lot", on_delete=models.PROTECT, related_name="doses", verbose_name=_("lot"))
    dose_number = models.PositiveSmallIntegerField(_("dose number"))
    administered_at = models.DateTimeField(_("administered at"))
    administered_on = models.DateField(_("administered on (local date)"))
    facility = models.ForeignKey(
        "places.Facility", on_delete=models.PROTECT, related_name="doses", verbose_name=_("facility"), db_index=False
    )
    vaccinator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("vaccinator"),
        db_index=False,
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
        db_index=False,
    )
    recorded_at = models.DateTimeField(_("recorded at"))
    source = models.CharField(_("source"), max_length=12, choices=Source.choices)
    # A back-entered dose has neither: their indexes leave the empty ones out (dose_screening_idx, …).
    screening = models.ForeignKey(
        Screening,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="doses",
        verbose_name=_("screening"),
        db_index=False,
    )
    appointment = models.ForeignKey(
        Appointment,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="doses",
        verbose_name=_("appointment"),
        db_index=False,
    )
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.VALID)
    void_reason = models.CharField(_("reason for voiding"), max_length=255, blank=True)
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("voided by"),
        db_index=False,
    )
    idempotency_key = models.CharField(_("idempotency key"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("dose")
        verbose_name_plural = _("doses")
        ordering = ["administered_at"]
        indexes = [
            models.Index(fields=["person", "status", "administered_on"], name="dose_person_idx"),
            models.Index(fields=["facility", "administered_at"], name="dose_facility_time_idx"),
            # For deleting a screening or an appointment (PROTECT, SET_NULL): only the doses that have one.
            models.Index(fields=["screening"], name="dose_screening_idx", condition=models.Q(screening__isnull=False)),
            models.Index(
                fields=["appointment"], name="dose_appointment_idx", condition=models.Q(appointment__isnull=False)
            ),
        ]
        constraints = [
            # The last line of defence of "one dose per person per day", whatever the code above does.
            models.UniqueConstraint(
                fields=["person", "administered_on"],
                condition=models.Q(status="valid"),
                name="dose_one_valid_per_person_day",
            ),
            models.CheckConstraint(name="dose_number_positive", condition=models.Q(dose_number__gte=1)),
            models.CheckConstraint(
                name="dose_void_has_reason",
                condition=models.Q(status="valid") | (~models.Q(void_reason="") & models.Q(voided_at__isnull=False)),
            ),
            models.CheckConstraint(
                name="dose_live_has_screening",
                condition=~models.Q(source="live") | models.Q(screening__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} #{self.dose_number} {self.administered_on}"

    @property
    def entry_delay(self) -> timedelta:
        """How long after the dose it was entered: the data-entry backlog, per dose."""
        return self.recorded_at - self.administered_at

    @property
    def is_valid(self) -> bool:
        return self.status == self.Status.VALID


class DoseCounter(models.Model):
    """Doses given, per facility, vaccine, day and dose number: kept in the dose's transaction, for reports."""

    facility = models.ForeignKey(
        "places.Facility", on_delete=models.PROTECT, related_name="+", verbose_name=_("facility")
    )
    vaccine = models.ForeignKey(
        "vaccines.Vaccine", on_delete=models.PROTECT, related_name="+", verbose_name=_("vaccine")
    )
    date = models.DateField(_("date"))
    dose_number = models.PositiveSmallIntegerField(_("dose number"))
    count = models.IntegerField(_("count"), default=0)

    class Meta:
        verbose_name = _("dose counter")
        verbose_name_plural = _("dose counters")
        constraints = [
            models.UniqueConstraint(fields=["facility", "vaccine", "date", "dose_number"], name="dosecounter_unique"),
        ]
        indexes = [models.Index(fields=["date", "facility"], name="dosecounter_date_idx")]

    def __str__(self) -> str:
        return f"{self.facility_id} {self.vaccine_id} {self.date} #{self.dose_number}: {self.count}"


class AdverseEvent(BaseModel):
    """An adverse event following immunization (phản ứng sau tiêm); serious ones go to the area officer."""

    class Outcome(models.TextChoices):
        ONGOING = "ongoing", _("ongoing")
        RECOVERED = "recovered", _("recovered")
        RECOVERED_WITH_SEQUELAE = "recovered_with_sequelae", _("recovered with sequelae")
        HOSPITALIZED = "hospitalized", _("hospitalized")
        DIED = "died", _("died")
        UNKNOWN = "unknown", _("unknown")

    dose = models.ForeignKey(Dose, on_delete=models.PROTECT, related_name="adverse_events", verbose_name=_("dose"))
    person = models.ForeignKey(
        "registry.Person", on_delete=models.PROTECT, related_name="adverse_events", verbose_name=_("person")
    )
    facility = models.ForeignKey(
        "places.Facility", on_delete=models.PROTECT, related_name="adverse_events", verbose_name=_("facility")
    )
    onset_at = models.DateTimeField(_("onset"))
    symptoms = models.TextField(_("symptoms"))
    serious = models.BooleanField(_("serious"), default=False)
    outcome = models.CharField(_("outcome"), max_length=24, choices=Outcome.choices, default=Outcome.ONGOING)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("reported by")
    )
    reported_at = models.DateTimeField(_("reported at"))
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("adverse event")
        verbose_name_plural = _("adverse events")
        ordering = ["-onset_at"]
        indexes = [models.Index(fields=["facility", "serious", "onset_at"], name="aefi_facility_idx")]

    def __str__(self) -> str:
        return f"{self.person_id} {self.onset_at:%Y-%m-%d} {'serious' if self.serious else 'mild'}"
