from django.apps import AppConfig
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils.translation import gettext_lazy as _


def _invalidate(**kwargs: object) -> None:
    from vaxbook.vaccines.selectors import catalogue_invalidate

    catalogue_invalidate()


class VaccinesConfig(AppConfig):
    name = "vaxbook.vaccines"
    label = "vaccines"
    verbose_name = _("Vaccines")

    def ready(self) -> None:
        from vaxbook.vaccines.models import Vaccine

        # The in-memory catalogue (selectors) forgets itself whenever a vaccine changes here.
        post_save.connect(_invalidate, sender=Vaccine, dispatch_uid="vaccines.catalogue.save")
        post_delete.connect(_invalidate, sender=Vaccine, dispatch_uid="vaccines.catalogue.delete")
        m2m_changed.connect(
            _invalidate, sender=Vaccine.series_alternatives.through, dispatch_uid="vaccines.catalogue.m2m"
        )
