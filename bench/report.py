"""Read the wrk outputs run.sh saved and print the table, with the issue's targets checked.

    .venv/bin/python bench/report.py bench/results/<run>

Reads `wrk_<endpoint>_<listings>.txt` (the endpoints of ENDPOINTS): req/s and p50/p99 from wrk's own
output (`--latency`), p95 from the `BENCH ...` line of bench/wrk_p95.lua. Writes `summary.md` next to them.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

# The rows in the order run.sh measures them, and which yardstick each of ours is compared with.
ENDPOINTS = (
    "ours",
    "uncached",
    "minimal",
    "varied",
    "minimalvaried",
    "uncachedvaried",
    "variedtrickle",
    "facets",
    "matches",
)
YARDSTICK = {
    "ours": "minimal",
    "uncached": "minimal",
    "varied": "minimalvaried",
    "uncachedvaried": "minimalvaried",
    "variedtrickle": "varied",
}
# Issue 17's targets: the share of the yardstick's throughput, p95 (ms) by size, and the growth of p95.
SHARE = {"uncached": 0.60, "uncachedvaried": 0.60, "variedtrickle": 0.80}
P95_MS = {
    ("uncached", 10_000): 20.0,
    ("uncached", 100_000): 50.0,
    ("uncachedvaried", 10_000): 20.0,
    ("uncachedvaried", 100_000): 50.0,
    ("facets", 100_000): 100.0,
    ("matches", 100_000): 100.0,
}
GROWTH = {"uncached": 2.5, "uncachedvaried": 2.5}
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(number) * UNITS[unit]


def parse(path: Path) -> dict[str, float]:
    text = path.read_text()
    found: dict[str, float] = {}
    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    found["rps"] = float(rps.group(1)) if rps else 0.0
    for percent in ("50", "75", "90", "99"):
        line = re.search(rf"^\s+{percent}%\s+([\d.]+(?:us|ms|s|m))\s*$", text, re.MULTILINE)
        found[f"p{percent}"] = _ms(line.group(1)) if line else float("nan")
    bench = re.search(r"^BENCH (.*)$", text, re.MULTILINE)
    if bench:
        fields = dict(item.split("=") for item in bench.group(1).split())
        found["p95"] = int(fields["p95_us"]) / 1000
        found["requests"] = int(fields["requests"])
        found["timeouts"] = int(fields["timeouts"])
    else:
        found["p95"] = float("nan")
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    found["non2xx"] = int(non_2xx.group(1)) if non_2xx else 0
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    found["socket_errors"] = sum(int(n) for n in errors.groups()) if errors else 0
    return found


def main() -> int:
    folder = Path(sys.argv[1])
    results: dict[tuple[str, int], dict[str, float]] = {}
    for path in sorted(folder.glob("wrk_*_*.txt")):
        _, endpoint, listings = path.stem.split("_")
        results[(endpoint, int(listings))] = parse(path)
    if not results:
        print(f"no wrk output in {folder}")
        return 1
    sizes = sorted({size for _, size in results})
    label = (folder / "label").read_text().strip() if (folder / "label").exists() else ""
    lines = [
        f"Run {folder.name}{f' ({label})' if label else ''}: wrk -t2 -c8, 2 gunicorn sync workers, 2 CPU cores",
        "",
        "| endpoint | listings | req/s | p50 ms | p95 ms | p99 ms | requests | errors | req/s of its yardstick |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for size in sizes:
        for endpoint in ENDPOINTS:
            row = results.get((endpoint, size))
            if row is None:
                continue
            yardstick = results.get((YARDSTICK.get(endpoint, ""), size))
            share = f"{row['rps'] / yardstick['rps']:.0%}" if yardstick and yardstick["rps"] else ""
            errors = int(row["non2xx"] + row["socket_errors"])
            rps = f"{row['rps']:.{1 if row['rps'] >= 10 else 2}f}"
            lines.append(
                f"| {endpoint} | {size:,} | {rps} | {row['p50']:.1f} | {row['p95']:.1f} | "
                f"{row['p99']:.1f} | {int(row.get('requests', 0))} | {errors} | {share} |"
            )
    lines += ["", "Targets (issue 17):"]
    for endpoint, target in SHARE.items():
        for size in sizes:
            ours, yardstick = results.get((endpoint, size)), results.get((YARDSTICK[endpoint], size))
            if ours and yardstick and yardstick["rps"]:
                share = ours["rps"] / yardstick["rps"]
                verdict = "met" if share >= target else "MISSED"
                lines.append(
                    f"- {endpoint}, {size:,} listings: throughput {share:.0%} of {YARDSTICK[endpoint]}"
                    f" (target ≥ {target:.0%}): {verdict}"
                )
    for (endpoint, size), target in P95_MS.items():
        row = results.get((endpoint, size))
        if row:
            verdict = "met" if row["p95"] <= target else "MISSED"
            lines.append(
                f"- {endpoint}, {size:,} listings: p95 {row['p95']:.1f} ms (target ≤ {target:.0f} ms): {verdict}"
            )
    for endpoint, target in GROWTH.items():
        small, large = results.get((endpoint, 10_000)), results.get((endpoint, 100_000))
        if small and large and small["p95"]:
            growth = large["p95"] / small["p95"]
            verdict = "met" if growth <= target else "MISSED"
            lines.append(
                f"- {endpoint}, p95 from 10,000 to 100,000 listings: x{growth:.2f} (target ≤ x{target}): {verdict}"
            )
    bad = [f"{e} {s}" for (e, s), r in results.items() if r["non2xx"] or r["socket_errors"]]
    if bad:
        lines.append(f"- WARNING: errors or non-2xx responses in: {', '.join(bad)} (see the wrk outputs)")
    text = "\n".join(lines)
    print(text)
    (folder / "summary.md").write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
