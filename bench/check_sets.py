"""The minimal view's WHERE clause finds exactly the listings `visible_listings()` finds: the same set of ids.

    DJANGO_DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/oro_bench_10k .venv/bin/python bench/check_sets.py

`check_same.py` compares one page of the two endpoints; this compares every visible listing, so a condition
that one side has and the other lacks (it happened: the women-led roster test of individual miners) cannot
hide behind a page that happens to agree. Exits 1, naming a few ids, when the sets differ.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"


def main() -> int:
    import django

    django.setup()
    from django.db import connection

    from bench.minimal_view import CATALOGUE_SQL, Catalogue, visibility_sql
    from core import clock
    from listings.models import Listing
    from listings.visibility import visible_listings

    today = clock.today_lima()
    ours = set(visible_listings(Listing.objects.all(), today).values_list("pk", flat=True))
    with connection.cursor() as cursor:
        cursor.execute(CATALOGUE_SQL, {"today": today})
        catalogue = Catalogue(cursor.fetchall())
        # The view's own clause: ints and quoted codes only.
        query = "SELECT l.id FROM listings_listing l JOIN producers_producer p ON p.organization_id = l.producer_id"
        cursor.execute(f"{query} WHERE {visibility_sql(catalogue)}", {"today": today})
        minimal = {row[0] for row in cursor.fetchall()}
    if ours == minimal:
        print(f"same visible listings from both: {len(ours)}")
        return 0
    print(
        f"the visible listings differ: {len(ours)} from ours, {len(minimal)} from the minimal view;"
        f" only ours: {sorted(map(str, ours - minimal))[:3]}, only minimal: {sorted(map(str, minimal - ours))[:3]}"
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())
