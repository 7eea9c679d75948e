"""Read the wrk outputs run.sh saved and print the table, with the issue's targets checked.

    .venv/bin/python bench/report.py bench/results/<run>

Reads `wrk_<endpoint>_<listings>.txt` (the endpoints of ENDPOINTS): req/s and p50/p99 from wrk's own
output (`--latency`), p95 from the `BENCH ...` line of bench/wrk_p95.lua. Writes `summary.md` next to them.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

TARGET_SHARE = 0.60  # ours at 60% or more of the minimal view's throughput
TARGET_P95_MS = 25.0  # p95 under 25 ms with 8 concurrent clients and 2 workers
TARGET_GROWTH = 1.5  # p95 growing by at most 1.5x from 10,000 to 100,000 listings
# The rows in the order run.sh measures them, and which yardstick each of ours is compared with.
ENDPOINTS = ("ours", "uncached", "minimal", "varied", "minimalvaried")
YARDSTICK = {"ours": "minimal", "uncached": "minimal", "varied": "minimalvaried"}
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
    lines += ["", "Targets (issue 4, point 6), for each of our rows against its yardstick:"]
    for endpoint, yardstick_name in YARDSTICK.items():
        for size in sizes:
            ours, yardstick = results.get((endpoint, size)), results.get((yardstick_name, size))
            if ours and yardstick and yardstick["rps"]:
                share = ours["rps"] / yardstick["rps"]
                verdict = "met" if share >= TARGET_SHARE else "MISSED"
                lines.append(
                    f"- {endpoint}, {size:,} listings: throughput {share:.0%} of {yardstick_name} (target ≥ 60%):"
                    f" {verdict}"
                )
            if ours:
                verdict = "met" if ours["p95"] < TARGET_P95_MS else "MISSED"
                lines.append(f"- {endpoint}, {size:,} listings: p95 {ours['p95']:.1f} ms (target < 25 ms): {verdict}")
        small, large = results.get((endpoint, 10_000)), results.get((endpoint, 100_000))
        if small and large and small["p95"]:
            growth = large["p95"] / small["p95"]
            verdict = "met" if growth <= TARGET_GROWTH else "MISSED"
            lines.append(f"- {endpoint}, p95 from 10,000 to 100,000 listings: x{growth:.2f} (target ≤ x1.5): {verdict}")
    bad = [f"{e} {s}" for (e, s), r in results.items() if r["non2xx"] or r["socket_errors"]]
    if bad:
        lines.append(f"- WARNING: errors or non-2xx responses in: {', '.join(bad)} (see the wrk outputs)")
    text = "\n".join(lines)
    print(text)
    (folder / "summary.md").write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
