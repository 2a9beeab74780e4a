"""What the registry tells the apps built on it (they import the registry; it does not import them)."""

from django.dispatch import Signal

#: Sent by services.person_merge inside its transaction, with `actor`, `duplicate` and `into`: the
#: duplicate's records (the clinic's doses) now count for `into`.
person_merged = Signal()
