"""What the registry tells the apps built on it (they import the registry; it does not import them)."""

from django.dispatch import Signal

#: Sent by services.person_merge inside its transaction, with `actor`, `duplicate` and `into`: the
#: duplicate's records (the clinic's doses) now count for `into`.
person_merged = Signal()

#: Sent by services.person_update inside its transaction when a record's values changed, with `actor`,
#: `person` (as saved) and `changed` (the names of the fields that changed): what other apps hold against
#: the record's old values (a roster conflict) may be answered by the new ones.
person_updated = Signal()
