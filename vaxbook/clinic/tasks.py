"""Background work of the clinic: appointment invitations and reminders by SMS.

Tasks take primary keys and are enqueued on commit; each message is sent once (the sent-at stamp is
checked and set per appointment), so a task that runs twice does not send twice.
"""

from django.db.models import Q
from django.tasks import task
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from vaxbook.clinic.models import Appointment
from vaxbook.common.sms import sms_send


def _body(appointment: Appointment, *, reminder: bool) -> str:
    session = appointment.session
    values = {
        "name": appointment.person.full_name,
        "vaccine": session.vaccine.name,
        "date": formats.date_format(session.date, "d/m/Y"),
        "start": session.starts_at.strftime("%H:%M"),
        "end": session.ends_at.strftime("%H:%M"),
        "facility": session.facility.name,
    }
    if reminder:
        text = _(
            "Vaxbook reminder: %(name)s, your Covid-19 vaccination (%(vaccine)s) is on %(date)s, "
            "%(start)s-%(end)s, at %(facility)s. Bring your ID card."
        )
    else:
        text = _(
            "Vaxbook: %(name)s is invited for Covid-19 vaccination (%(vaccine)s) on %(date)s, "
            "%(start)s-%(end)s, at %(facility)s. Bring your ID card."
        )
    return text % values


def _send(appointment_ids: list[int], *, reminder: bool) -> int:
    stamp = "reminder_sent_at" if reminder else "invitation_sent_at"
    pending = (
        Appointment.objects.filter(pk__in=appointment_ids, **{f"{stamp}__isnull": True})
        .filter(Q(status=Appointment.Status.INVITED) | Q(status=Appointment.Status.CHECKED_IN))
        .select_related("person", "session", "session__facility", "session__vaccine")
    )
    sent = 0
    for appointment in pending:
        phone = appointment.person.phone
        if not phone:
            continue
        # Claim the appointment first: a second run of the same task finds it stamped and skips it.
        claimed = Appointment.objects.filter(pk=appointment.pk, **{f"{stamp}__isnull": True}).update(
            **{stamp: timezone.now()}
        )
        if not claimed:
            continue
        with translation.override("vi"):
            body = _body(appointment, reminder=reminder)
        sms_send(to=phone, body=body)
        sent += 1
    return sent


@task()
def appointments_send_invitations(appointment_ids: list[int]) -> int:
    """Send the invitation SMS of these appointments (once each). Returns how many were sent."""
    return _send(appointment_ids, reminder=False)


@task()
def appointments_send_reminders(appointment_ids: list[int]) -> int:
    """Send the reminder SMS of these appointments (once each). Returns how many were sent."""
    return _send(appointment_ids, reminder=True)
