"""The ledger's running balance (vaccines 0006): existing lines are numbered and balanced in the order they
were written, and a ledger that goes below zero stops the migration with a message, changing nothing."""

import importlib
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from vaxbook.clinic.tests import factories as f

BEFORE = [("vaccines", "0005_field_labels")]
AFTER = [("vaccines", "0006_ledger_running_balance")]


@pytest.mark.django_db(transaction=True)
def test_existing_lines_get_their_place_and_balance_and_a_ledger_below_zero_is_named(
    facility_a: Any, facility_b: Any, comirnaty: Any
) -> None:
    migration = importlib.import_module("vaxbook.vaccines.migrations.0006_ledger_running_balance")
    good, bad = f.LotFactory(vaccine=comirnaty, number="OLD1"), f.LotFactory(vaccine=comirnaty, number="OLD2")
    executor = MigrationExecutor(connection)
    try:
        executor.migrate(BEFORE)
        apps = executor.loader.project_state(BEFORE).apps
        Movement = apps.get_model("vaccines", "StockMovement")
        Holding = apps.get_model("vaccines", "LotHolding")
        now = timezone.now()

        def line(facility: Any, lot: Any, kind: str, quantity: int) -> Any:
            return Movement.objects.create(facility_id=facility.pk, lot_id=lot.pk, kind=kind, quantity=quantity, at=now)

        Holding.objects.create(facility_id=facility_a.pk, lot_id=good.pk)  # facility B's holding is missing
        for facility, lot, kind, quantity in [
            (facility_a, good, "received", 10),
            (facility_a, good, "used", -1),
            (facility_b, good, "transferred_in", 5),
            (facility_a, good, "transferred_out", -5),
            (facility_b, bad, "used", -1),  # a dose before its lot's receipt: below zero
            (facility_b, bad, "received", 3),
        ]:
            line(facility, lot, kind, quantity)
        executor = MigrationExecutor(connection)
        with pytest.raises(migration.LedgerBelowZero) as refused:
            executor.migrate(AFTER)
        assert f"facility {facility_b.pk} lot {bad.pk} (down to -1)" in str(refused.value)
        assert "migrate again" in str(refused.value)
        Movement.objects.filter(lot_id=bad.pk).delete()  # the ledger put right (here: taken out)
        executor = MigrationExecutor(connection)
        executor.migrate(AFTER)
        apps = executor.loader.project_state(AFTER).apps
        Movement = apps.get_model("vaccines", "StockMovement")
        ledger = Movement.objects.filter(lot_id=good.pk).order_by("facility_id", "sequence")
        assert list(ledger.values_list("facility_id", "sequence", "quantity", "balance")) == [
            (facility_a.pk, 1, 10, 10),
            (facility_a.pk, 2, -1, 9),
            (facility_a.pk, 3, -5, 4),
            (facility_b.pk, 1, 5, 5),
        ]
        holdings = apps.get_model("vaccines", "LotHolding").objects.filter(lot_id=good.pk)
        assert sorted(holdings.values_list("facility_id", flat=True)) == sorted([facility_a.pk, facility_b.pk])
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
