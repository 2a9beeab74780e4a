"""The clinic's answers to what the registry tells it."""

from typing import Any

from django.dispatch import receiver

from vaxbook.registry.models import Person
from vaxbook.registry.signals import person_merged


@receiver(person_merged, dispatch_uid="clinic.history_renumber_after_merge")
def renumber_after_merge(sender: Any, *, actor: Any, duplicate: Person, into: Person, **kwargs: Any) -> None:
    # Imported here: connecting the receiver at start-up does not load the clinic's services.
    from vaxbook.clinic.services import history_renumber_after_merge

    history_renumber_after_merge(actor=actor, duplicate=duplicate, into=into)
