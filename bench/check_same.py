"""Check that the two endpoints wrk compares answer the same page: same rows, same order, same fields.

    .venv/bin/python bench/check_same.py http://127.0.0.1:8765 'q=mercurio&fineness_min=900&form=dore'

Fetches `/api/v1/listings/?<query>&page_size=20` and `/bench/minimal/?<query>` from a running server and
compares every field of every result (the pagination links differ by design: the API's cursor is signed).
Exits 1 and says what differs, so run.sh does not time two different workloads.
"""

from __future__ import annotations

import json
import sys
import urllib.request
from typing import Any


def fetch(url: str) -> dict[str, Any]:
    if not url.startswith("http://127.0.0.1:"):
        sys.exit(f"loopback only: {url}")
    with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - loopback URL checked above
        if response.status != 200:
            sys.exit(f"{url}: HTTP {response.status}")
        return json.loads(response.read())


def main() -> int:
    base, query = sys.argv[1].rstrip("/"), sys.argv[2]
    ours = fetch(f"{base}/api/v1/listings/?{query}&page_size=20")["results"]
    minimal = fetch(f"{base}/bench/minimal/?{query}")["results"]
    problems = []
    if [r["id"] for r in ours] != [r["id"] for r in minimal]:
        problems.append(f"different rows: ours {len(ours)}, minimal {len(minimal)}")
    for a, b in zip(ours, minimal, strict=False):
        if set(a) != set(b):
            problems.append(f"{a['id']}: fields differ: {sorted(set(a) ^ set(b))}")
        for key in sorted(set(a) & set(b)):
            if a[key] != b[key]:
                problems.append(f"{a['id']}.{key}: ours {a[key]!r} vs minimal {b[key]!r}")
    if not ours:
        problems.append("the query matches no visible listing: nothing to compare")
    if problems:
        print("the two endpoints differ:\n  " + "\n  ".join(problems[:20]))
        return 1
    print(f"same page from both endpoints: {len(ours)} rows, {len(ours[0])} fields each")
    return 0


if __name__ == "__main__":
    sys.exit(main())
