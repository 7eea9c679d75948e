"""On PostgreSQL, a full-text index over the Spanish and English titles and descriptions, accent-blind.

`unaccent` is only STABLE (its dictionary could change), so it cannot appear in an index: `oro_unaccent`
wraps it, schema-qualified, as IMMUTABLE. The index expression is the one `listings.selectors.search`
filters with, character for character apart from the table qualification, or the planner would not use it
(tests/listings/test_search.py checks with EXPLAIN). Titles weigh A, descriptions D, for the relevance rank.

Since PostgreSQL 13 `unaccent` is a trusted extension: the owner of the database (or any role with
CREATE on it) may create it. Where the migrating role may not, the migration stops and says what to run.
On SQLite nothing happens: search falls back to a simpler match there.
"""

from django.db import migrations, transaction
from django.db.utils import DatabaseError

EXTENSION_SQL = "CREATE EXTENSION IF NOT EXISTS unaccent;"

FUNCTION = """
CREATE OR REPLACE FUNCTION oro_unaccent(text) RETURNS text
    AS $$ SELECT {schema}.unaccent('{schema}.unaccent'::regdictionary, $1) $$
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT;
"""

INDEX = """
CREATE INDEX IF NOT EXISTS listing_search_idx ON listings_listing USING gin ((
    setweight(to_tsvector('spanish'::regconfig, oro_unaccent(COALESCE(title_es, ''))), 'A')
    || setweight(to_tsvector('spanish'::regconfig, oro_unaccent(COALESCE(description_es, ''))), 'D')
    || setweight(to_tsvector('english'::regconfig, oro_unaccent(COALESCE(title_en, ''))), 'A')
    || setweight(to_tsvector('english'::regconfig, oro_unaccent(COALESCE(description_en, ''))), 'D')
));
"""

DROP = """
DROP INDEX IF EXISTS listing_search_idx;
DROP FUNCTION IF EXISTS oro_unaccent(text);
"""


class UnaccentMissing(RuntimeError):
    pass


def _extension_schema(cursor) -> str | None:
    cursor.execute(
        "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace"
        " WHERE e.extname = 'unaccent'"
    )
    row = cursor.fetchone()
    return row[0] if row else None


def ensure_unaccent(connection) -> str:
    """The schema `unaccent` lives in, creating the extension if it is missing; a clear error if we may not."""
    with connection.cursor() as cursor:
        schema = _extension_schema(cursor)
        if schema is not None:
            return schema
        try:
            with transaction.atomic(using=connection.alias):  # a savepoint: the migration goes on after a failure
                cursor.execute(EXTENSION_SQL)
        except DatabaseError as error:
            database = connection.settings_dict.get("NAME")
            raise UnaccentMissing(
                f"Listing search needs the PostgreSQL extension `unaccent`, which the role migrating may not "
                f"create ({str(error).strip()}). Ask a superuser (or the owner of the database) to run, in "
                f"database {database!r}:\n\n    {EXTENSION_SQL}\n\nthen run `manage.py migrate` again. (On a "
                f"managed service, enable `unaccent` in its list of allowed extensions first.)"
            ) from error
        schema = _extension_schema(cursor)
        assert schema is not None
        return schema


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema = ensure_unaccent(schema_editor.connection)
    quoted = schema_editor.quote_name(schema)
    schema_editor.execute(FUNCTION.replace("{schema}", quoted), params=None)
    schema_editor.execute(INDEX, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("listings", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
