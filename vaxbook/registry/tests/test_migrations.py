"""Migrations that check the data before they constrain it."""

import importlib

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from vaxbook.common.testing import PersonFactory

BEFORE = [("registry", "0004_fewer_write_indexes")]
AFTER = [("registry", "0005_national_number_unique_across_types")]


@pytest.mark.django_db(transaction=True)
def test_the_national_number_constraint_names_the_records_that_share_a_number() -> None:
    """A database from before 0005 may hold a CCCD and a CMND with one number: migrating says which
    records and what to do (nothing changed), and migrates once they are mended."""
    migration = importlib.import_module("vaxbook.registry.migrations.0005_national_number_unique_across_types")
    first, second = PersonFactory(), PersonFactory()
    executor = MigrationExecutor(connection)
    try:
        executor.migrate(BEFORE)
        Person = executor.loader.project_state(BEFORE).apps.get_model("registry", "Person")
        Person.objects.filter(pk=first.pk).update(id_type="cccd", id_number="079090000123")
        Person.objects.filter(pk=second.pk).update(id_type="cmnd", id_number="079090000123")
        executor = MigrationExecutor(connection)
        with pytest.raises(migration.NationalNumberShared) as refused:
            executor.migrate(AFTER)
        message = str(refused.value)
        assert str(first.public_id) in message and str(second.public_id) in message
        assert "merge" in message
        Person.objects.filter(pk=second.pk).update(id_number="")  # as a merge leaves the duplicate
        executor = MigrationExecutor(connection)
        executor.migrate(AFTER)
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
