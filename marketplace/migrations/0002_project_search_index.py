"""Full-text search index on PostgreSQL. SQLite has no GIN indexes; it searches without one.

The expression matches what SearchVector("search_text", config="english") generates, so the
planner uses the index for project_search().
"""

from django.db import migrations

INDEX_SQL = (
    "CREATE INDEX IF NOT EXISTS marketplace_project_search_gin ON marketplace_project "
    "USING gin (to_tsvector('english'::regconfig, COALESCE(search_text, '')))"
)


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(INDEX_SQL)


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS marketplace_project_search_gin")


class Migration(migrations.Migration):
    dependencies = [("marketplace", "0001_initial")]

    operations = [migrations.RunPython(create_index, drop_index)]
