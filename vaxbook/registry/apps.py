from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "vaxbook.registry"
    label = "registry"
    verbose_name = _("Registry")

    def ready(self) -> None:
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from vaxbook.places.models import AdminUnit
        from vaxbook.registry.models import PriorityGroup
        from vaxbook.registry.references import clear

        for model in (AdminUnit, PriorityGroup):
            post_save.connect(clear, sender=model, dispatch_uid=f"refcache-save-{model.__name__}")
            post_delete.connect(clear, sender=model, dispatch_uid=f"refcache-delete-{model.__name__}")
        m2m_changed.connect(clear, sender=AdminUnit.successors.through, dispatch_uid="refcache-successors")
