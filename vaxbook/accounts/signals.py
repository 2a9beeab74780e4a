"""A membership saved or deleted bumps its user's scope_version, so the cached scope is not reused."""

from typing import Any

from django.db.models import F
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from vaxbook.accounts.models import Membership, User


@receiver(post_save, sender=Membership, dispatch_uid="accounts.membership.scope_version.save")
@receiver(post_delete, sender=Membership, dispatch_uid="accounts.membership.scope_version.delete")
def membership_changed(sender: Any, instance: Membership, **kwargs: Any) -> None:
    User.objects.filter(pk=instance.user_id).update(scope_version=F("scope_version") + 1)
