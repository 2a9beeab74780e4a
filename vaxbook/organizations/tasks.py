"""Background work of organizations: running a roster import, writing a roster export.

The task takes the RosterImport's primary key and is enqueued on commit by `roster_import_start`; a
second delivery of the same task finds the import no longer queued and does nothing.
"""

from django.tasks import task

from vaxbook.organizations.services import roster_export_process, roster_import_process


@task()
def roster_import_run(import_id: int) -> None:
    """Import the rows of a queued roster file (see `services.roster_import_process`)."""
    roster_import_process(import_id=import_id)


@task()
def roster_export_run(export_id: int) -> None:
    """Write a queued roster export (see `services.roster_export_process`)."""
    roster_export_process(export_id=export_id)
