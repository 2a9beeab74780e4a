"""A membership saved or deleted bumps its user's scope_version, so the cached scope is not reused; a
user or a membership changed makes this process forget the token look-ups it keeps (the other
processes forget theirs within API_TOKEN_CACHE_SECONDS)."""

from typing import Any

from django.db import transaction
from django.db.models import F
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from vaxbook.accounts.models import Membership, User
from vaxbook.accounts.services import token_cache_clear


@receiver(post_save, sender=Membership, dispatch_uid="accounts.membership.scope_version.save")
@receiver(post_delete, sender=Membership, dispatch_uid="accounts.membership.scope_version.delete")
def membership_changed(sender: Any, instance: Membership, **kwargs: Any) -> None:
    User.objects.filter(pk=instance.user_id).update(scope_version=F("scope_version") + 1)
    transaction.on_commit(token_cache_clear)


@receiver(post_save, sender=User, dispatch_uid="accounts.user.token_cache.save")
@receiver(post_delete, sender=User, dispatch_uid="accounts.user.token_cache.delete")
def user_changed(sender: Any, instance: User, **kwargs: Any) -> None:
    transaction.on_commit(token_cache_clear)
