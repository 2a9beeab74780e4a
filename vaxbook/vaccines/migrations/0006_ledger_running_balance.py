"""Each stock movement carries its place in its (facility, lot) ledger and the balance after it.

Existing lines are numbered in the order they were written (their ids: a pair's writers hold its
holding's lock, so a later line has a larger id) and given the running sum of their quantities. A pair
with lines and no holding gets one (every writer locks it)."""

from django.db import migrations, models

HOLDINGS = """
INSERT INTO vaccines_lotholding (opened_at, facility_id, lot_id)
SELECT MIN(m.at), m.facility_id, m.lot_id FROM vaccines_stockmovement m
WHERE NOT EXISTS (
    SELECT 1 FROM vaccines_lotholding h WHERE h.facility_id = m.facility_id AND h.lot_id = m.lot_id
)
GROUP BY m.facility_id, m.lot_id
"""

BACKFILL = """
UPDATE vaccines_stockmovement SET sequence = w.n, balance = w.running
FROM (
    SELECT id,
        ROW_NUMBER() OVER (PARTITION BY facility_id, lot_id ORDER BY id) AS n,
        SUM(quantity) OVER (PARTITION BY facility_id, lot_id ORDER BY id ROWS UNBOUNDED PRECEDING) AS running
    FROM vaccines_stockmovement
) w
WHERE w.id = vaccines_stockmovement.id
"""


class LedgerBelowZero(RuntimeError):
    """Ledgers whose running balance, in the order their lines were written, goes below zero."""


def refuse_negative_balances(apps, schema_editor):
    """Before `stock_balance_not_negative`: a ledger whose lines, in their order, take the balance below
    zero cannot get the constraint. Say which and what to do instead of the database's bare error; the
    migration is one transaction, so nothing is changed."""
    StockMovement = apps.get_model("vaccines", "StockMovement")
    below = (
        StockMovement.objects.filter(balance__lt=0)
        .values("facility_id", "lot_id")
        .annotate(lowest=models.Min("balance"))
        .order_by("facility_id", "lot_id")
    )
    found = list(below[:20])
    if not found:
        return
    listed = ", ".join(f"facility {r['facility_id']} lot {r['lot_id']} (down to {r['lowest']})" for r in found)
    raise LedgerBelowZero(
        f"{below.count()} stock ledgers go below zero in the order their lines were written, e.g. {listed}. "
        "The stock services never let a balance go below zero, so these lines were written around them (an "
        "import, SQL): put each ledger right (a receipt written after the doses it supplied, for one), "
        "then run migrate again."
    )


class Migration(migrations.Migration):
    dependencies = [
        ("vaccines", "0005_field_labels"),
    ]

    operations = [
        migrations.AddField(
            model_name="stockmovement",
            name="sequence",
            field=models.PositiveIntegerField(null=True, verbose_name="line of its facility and lot"),
        ),
        migrations.AddField(
            model_name="stockmovement",
            name="balance",
            field=models.IntegerField(null=True, verbose_name="on hand after it"),
        ),
        migrations.RunSQL(HOLDINGS, migrations.RunSQL.noop),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
        migrations.RunPython(refuse_negative_balances, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="stockmovement",
            name="sequence",
            field=models.PositiveIntegerField(verbose_name="line of its facility and lot"),
        ),
        migrations.AlterField(
            model_name="stockmovement",
            name="balance",
            field=models.IntegerField(verbose_name="on hand after it"),
        ),
        migrations.RemoveIndex(model_name="stockmovement", name="stock_facility_lot_qty_idx"),
        migrations.AddConstraint(
            model_name="stockmovement",
            constraint=models.UniqueConstraint(fields=("facility", "lot", "sequence"), name="stock_pair_sequence"),
        ),
        migrations.AddConstraint(
            model_name="stockmovement",
            constraint=models.CheckConstraint(condition=models.Q(("balance__gte", 0)), name="stock_balance_not_negative"),
        ),
    ]
