"""The name search's ordered index, in byte order (collation "C"), on PostgreSQL.

Under any other collation (C.UTF-8 included, before PostgreSQL 17) the planner cannot turn
`search_name LIKE 'prefix%'` into a range of the ordered (search_name, date_of_birth) index: it walked
that index from the start, filtering, and a common name took two seconds among a million persons.
Ordered and filtered in collation "C", the prefix is a range of this index. SQLite compares bytes
already (its BINARY collation).
"""

from django.db import migrations

FORWARD = [
    'CREATE INDEX IF NOT EXISTS person_name_c_dob_idx ON registry_person ((search_name COLLATE "C"), date_of_birth)',
]
BACKWARD = ["DROP INDEX IF EXISTS person_name_c_dob_idx"]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in FORWARD:
            schema_editor.execute(sql)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in BACKWARD:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("registry", "0002_trigram_search")]
    operations = [migrations.RunPython(forward, backward)]
