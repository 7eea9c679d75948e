"""On PostgreSQL, the search read model holds two stored tsvectors the model does not declare (SQLite has none;
search folds text there): `document`, the listing's search document (titles weigh A, descriptions D, each
language with its own dictionary, as `listings_listing.search_document`), and `title_document`, its titles
alone, which ranks a title hit before a hit elsewhere without computing `ts_rank` for every match
(docs/search.md). `listings.search_index` writes both when it writes a row. Both have GIN indexes.
"""

from django.db import migrations

FORWARD = """
ALTER TABLE listings_searchentry ADD COLUMN IF NOT EXISTS document tsvector NOT NULL DEFAULT ''::tsvector;
ALTER TABLE listings_searchentry ADD COLUMN IF NOT EXISTS title_document tsvector NOT NULL DEFAULT ''::tsvector;
CREATE INDEX IF NOT EXISTS search_entry_document_idx ON listings_searchentry USING gin (document);
CREATE INDEX IF NOT EXISTS search_entry_title_document_idx ON listings_searchentry USING gin (title_document);
"""

BACKWARD = """
DROP INDEX IF EXISTS search_entry_title_document_idx;
DROP INDEX IF EXISTS search_entry_document_idx;
ALTER TABLE listings_searchentry DROP COLUMN IF EXISTS title_document;
ALTER TABLE listings_searchentry DROP COLUMN IF EXISTS document;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("listings", "0011_search_entry")]

    operations = [migrations.RunPython(forward, backward)]
