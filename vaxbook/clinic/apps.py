from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClinicConfig(AppConfig):
    name = "vaxbook.clinic"
    label = "clinic"
    verbose_name = _("Clinic")

    def ready(self) -> None:
        from vaxbook.clinic import signals  # noqa: F401
