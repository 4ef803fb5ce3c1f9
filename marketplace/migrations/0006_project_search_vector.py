"""A stored, weighted search vector for projects (PostgreSQL), and partial indexes for the list.

Search used to rank with ts_rank over to_tsvector(search_text), which parses every match's text
again on every request; the vector is now parsed once, when a project is written, by a trigger, so
bulk writes and queryset updates keep it current too. SQLite has neither triggers of this kind nor
GIN indexes: the column stays empty there and search falls back to matching search_text.
"""

import django.contrib.postgres.search
from django.db import migrations, models

FUNCTION_SQL = """
CREATE OR REPLACE FUNCTION marketplace_project_search_vector() RETURNS trigger AS $$
BEGIN
    NEW.search_vector :=
        setweight(to_tsvector('english'::regconfig, COALESCE(NEW.title, '')), 'A')
        || setweight(to_tsvector('english'::regconfig, COALESCE(NEW.search_text, '')), 'B');
    RETURN NEW;
END
$$ LANGUAGE plpgsql
"""
# Only writes that name the text columns reparse it: a status change is a plain update.
TRIGGER_SQL = """
CREATE TRIGGER marketplace_project_search_vector
BEFORE INSERT OR UPDATE OF title, search_text ON marketplace_project
FOR EACH ROW EXECUTE FUNCTION marketplace_project_search_vector()
"""
# Kept in the row (not out of line in TOAST): checking a match then reads one heap tuple, not three
# more index and chunk pages, which halves the cost of walking the newest matches.
STORAGE_SQL = "ALTER TABLE marketplace_project ALTER COLUMN search_vector SET STORAGE MAIN"
BACKFILL_SQL = "UPDATE marketplace_project SET search_text = search_text"
GIN_SQL = "CREATE INDEX IF NOT EXISTS project_search_vector_gin ON marketplace_project USING gin (search_vector)"
OLD_GIN_SQL = (
    "CREATE INDEX IF NOT EXISTS marketplace_project_search_gin ON marketplace_project "
    "USING gin (to_tsvector('english'::regconfig, COALESCE(search_text, '')))"
)


def create_search_vector(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # The old expression index goes first, so the backfill does not maintain it row by row.
    schema_editor.execute("DROP INDEX IF EXISTS marketplace_project_search_gin")
    for sql in (STORAGE_SQL, FUNCTION_SQL, TRIGGER_SQL, BACKFILL_SQL, GIN_SQL):
        schema_editor.execute(sql)


def drop_search_vector(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(OLD_GIN_SQL)
    schema_editor.execute("DROP INDEX IF EXISTS project_search_vector_gin")
    schema_editor.execute("DROP TRIGGER IF EXISTS marketplace_project_search_vector ON marketplace_project")
    schema_editor.execute("DROP FUNCTION IF EXISTS marketplace_project_search_vector()")


class Migration(migrations.Migration):
    dependencies = [("marketplace", "0005_events_share_one_shape")]

    operations = [
        migrations.AddField(
            model_name="project",
            name="search_vector",
            field=django.contrib.postgres.search.SearchVectorField(editable=False, null=True),
        ),
        migrations.AddIndex(
            model_name="project",
            index=models.Index(
                condition=models.Q(("status", "open"), ("visibility", "public")),
                fields=["-published_at", "-id"],
                name="project_listed_newest_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="project",
            index=models.Index(
                condition=models.Q(("status", "open"), ("visibility", "public")),
                fields=["-budget_max_cents", "-published_at", "-id"],
                name="project_listed_budget_hi_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="project",
            index=models.Index(
                condition=models.Q(("status", "open"), ("visibility", "public")),
                fields=["budget_min_cents", "-published_at", "-id"],
                name="project_listed_budget_lo_idx",
            ),
        ),
        migrations.RunPython(create_search_vector, drop_search_vector),
    ]
