"""The organizations' answers to what the registry tells them."""

from typing import Any

from django.dispatch import receiver

from vaxbook.registry.models import Person
from vaxbook.registry.signals import person_merged, person_updated


@receiver(person_updated, dispatch_uid="organizations.conflicts_settle_after_update")
def settle_after_update(sender: Any, *, actor: Any, person: Person, changed: frozenset[str], **kwargs: Any) -> None:
    if {"full_name", "date_of_birth"} & changed:  # what a conflict is about
        # Imported here: connecting the receiver at start-up does not load the organizations' services.
        from vaxbook.organizations.services import roster_conflicts_settle

        roster_conflicts_settle(actor=actor, person=person)


@receiver(person_merged, dispatch_uid="organizations.roster_after_merge")
def roster_after_merge(sender: Any, *, actor: Any, duplicate: Person, into: Person, **kwargs: Any) -> None:
    from vaxbook.organizations.services import roster_after_merge

    roster_after_merge(actor=actor, duplicate=duplicate, into=Person.objects.get(pk=into.pk))
