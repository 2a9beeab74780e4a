"""Every label the admin shows comes from a translatable verbose name, never from a field's name.

A field without `verbose_name` gets one derived from its attribute name ("admin_unit" → "admin unit"),
which gettext never sees: the Vietnamese admin then shows English column headers and form labels.
"""

import pytest
from django.apps import apps
from django.db import models


def _project_models() -> list[type[models.Model]]:
    return [
        model
        for config in apps.get_app_configs()
        if config.name.startswith("vaxbook.")
        for model in config.get_models()
    ]


def _explicit_verbose_name(field: models.Field) -> object:
    # deconstruct() reports the verbose_name given to the constructor, not the one derived from the
    # attribute name when none was given; a label that happens to equal the name still counts.
    return field.deconstruct()[3].get("verbose_name")


def test_project_has_models() -> None:
    assert len(_project_models()) >= 10


@pytest.mark.parametrize("model", _project_models(), ids=lambda m: m._meta.label)
def test_every_field_has_an_explicit_verbose_name(model: type[models.Model]) -> None:
    fields = [*model._meta.concrete_fields, *model._meta.many_to_many]
    unlabelled = [
        field.name
        for field in fields
        if not (field.primary_key and field.auto_created) and not _explicit_verbose_name(field)
    ]
    assert unlabelled == [], f"{model._meta.label}: fields without a verbose_name: {unlabelled}"


@pytest.mark.parametrize("model", _project_models(), ids=lambda m: m._meta.label)
def test_every_model_has_explicit_verbose_names(model: type[models.Model]) -> None:
    attrs = model._meta.original_attrs
    assert attrs.get("verbose_name"), f"{model._meta.label}: Meta.verbose_name is not set"
    assert attrs.get("verbose_name_plural"), f"{model._meta.label}: Meta.verbose_name_plural is not set"
