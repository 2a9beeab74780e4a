"""Name search: a trigram GIN index on search_name, on PostgreSQL only (SQLite uses the B-tree)."""

from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS person_search_name_trgm ON registry_person USING gin (search_name gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS person_search_name_prefix ON registry_person (search_name text_pattern_ops)",
]
BACKWARD = [
    "DROP INDEX IF EXISTS person_search_name_trgm",
    "DROP INDEX IF EXISTS person_search_name_prefix",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in FORWARD:
            schema_editor.execute(sql)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in BACKWARD:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
