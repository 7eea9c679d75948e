"""Both endpoints search what the gate computed from scratch finds: the same set of ids, every one, not a page.

    DJANGO_DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/oro_bench_10k .venv/bin/python bench/check_sets.py

Both the API and the minimal view read the search read model (`listings_searchentry`). This compares the
listings it holds as visible today (the minimal view's own condition) with `visible_listings()`, the gate over
the stored compliance verdicts, and runs `listings.search_index.check` (every row's copied columns too). So a
condition one side has and the other lacks cannot hide behind a page that happens to agree. Exits 1, naming a
few ids or differences, when they differ.
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

    from bench.minimal_view import VISIBLE_IDS
    from core import clock
    from listings import search_index
    from listings.models import Listing
    from listings.visibility import visible_listings

    today = clock.today_lima()
    ours = set(visible_listings(Listing.objects.all(), today).values_list("pk", flat=True))
    with connection.cursor() as cursor:
        cursor.execute(VISIBLE_IDS, {"today": today})
        minimal = {row[0] for row in cursor.fetchall()}
    differences = search_index.check(today=today)
    if ours == minimal and not differences:
        print(f"same visible listings from the gate and the read model: {len(ours)}; every row agrees")
        return 0
    print(
        f"the visible listings differ: {len(ours)} from the gate, {len(minimal)} from the read model;"
        f" only the gate: {sorted(map(str, ours - minimal))[:3]}, only the read model: "
        f"{sorted(map(str, minimal - ours))[:3]}; {len(differences)} differences: {differences[:3]}"
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())
