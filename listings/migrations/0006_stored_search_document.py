"""On PostgreSQL, the search document becomes a stored generated column, `search_document`, with the GIN
index on it instead of on the expression.

Why: ranking by relevance needs the document of every matching listing. With only an expression index,
PostgreSQL rebuilds `to_tsvector` over four columns, through `unaccent`, for each match on every search
(about 200 ms for 4,790 matches at 100,000 listings, bench/README.md). A stored column is computed once,
when the row is written, and `ts_rank` reads it. The expression is the one of 0002, so matching does not
change. The model does not declare the column (SQLite has no tsvector; search falls back there), so the ORM
never writes it and `listings.selectors` names it only on PostgreSQL. On SQLite nothing happens.
"""

from django.db import migrations

DOCUMENT = """
    setweight(to_tsvector('spanish'::regconfig, oro_unaccent(COALESCE(title_es, ''))), 'A')
    || setweight(to_tsvector('spanish'::regconfig, oro_unaccent(COALESCE(description_es, ''))), 'D')
    || setweight(to_tsvector('english'::regconfig, oro_unaccent(COALESCE(title_en, ''))), 'A')
    || setweight(to_tsvector('english'::regconfig, oro_unaccent(COALESCE(description_en, ''))), 'D')
"""

FORWARD = f"""
ALTER TABLE listings_listing ADD COLUMN IF NOT EXISTS search_document tsvector GENERATED ALWAYS AS ({DOCUMENT}) STORED;
CREATE INDEX IF NOT EXISTS listing_search_document_idx ON listings_listing USING gin (search_document);
DROP INDEX IF EXISTS listing_search_idx;
"""

BACKWARD = f"""
CREATE INDEX IF NOT EXISTS listing_search_idx ON listings_listing USING gin (({DOCUMENT}));
DROP INDEX IF EXISTS listing_search_document_idx;
ALTER TABLE listings_listing DROP COLUMN IF EXISTS search_document;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("listings", "0005_photos")]

    operations = [migrations.RunPython(forward, backward)]
