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
