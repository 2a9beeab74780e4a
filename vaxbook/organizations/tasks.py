"""Background work of organizations: running a roster import.

The task takes the RosterImport's primary key and is enqueued on commit by `roster_import_start`; a
second delivery of the same task finds the import no longer queued and does nothing.
"""

from django.tasks import task

from vaxbook.organizations.services import roster_import_process


@task()
def roster_import_run(import_id: int) -> None:
    """Import the rows of a queued roster file (see `services.roster_import_process`)."""
    roster_import_process(import_id=import_id)
