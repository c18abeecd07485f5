"""Call records counted where they lie: ops (DuckDB engine) against DuckDB's own plain GROUP BY, a month and a year.

(a) 5 M synthetic calls of February 2026 (two queues) as a typed CDR Parquet file; ops counts them with
    `count_call_log` (validation, zone conversion through zoneinfo's segments, every interval of each
    day) and DuckDB with one plain GROUP BY over wall-time half hours; each in a fresh process, time
    and peak memory (VmHWM) of that process.
(b) 12 months, 60 M calls, written by DuckDB as Parquet a row group at a time (never held in memory),
    counted by ops in a fresh process under 1 GB.
(c) the forecast reads the year's interval table (35 k rows), not the calls.

Run: uv run python benchmarks/bench_calls.py [--calls 5000000] [--year-calls 60000000] [--write]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "calls.md"
TZ = "America/Sao_Paulo"

# Calls over `days` days from `first`: two peaks, waits and patience drawn so ~80 % are answered in 20 s.
SYNTHETIC = """
COPY (
  SELECT CAST(i AS VARCHAR) AS call_id,
         TIMESTAMP '{first}' + to_seconds(CAST(floor(random() * {days}) * 86400
             + least(greatest(CASE WHEN random() < 0.35 THEN 37800 + 5400 * {normal}
                                   WHEN random() < 0.54 THEN 55800 + 5400 * {normal}
                                   ELSE 28800 + random() * 46800 END, 25200), 79199) AS BIGINT)) AS queue_entered_at,
         w AS wait_seconds, CASE WHEN p < w THEN 'abandoned' ELSE 'answered' END AS outcome,
         CASE WHEN p < w THEN NULL ELSE round(-90 * ln(random()) - 90 * ln(random())) END AS handle_seconds,
         CASE WHEN random() < 0.6 THEN 'care' ELSE 'helpdesk' END AS queue
  FROM (SELECT i, round(-14 * ln(random())) AS w, round(-150 * ln(random())) AS p FROM range({n}) t(i))
) TO '{path}' (FORMAT parquet, ROW_GROUP_SIZE 500000)
"""
PLAIN = """
SELECT queue, time_bucket(INTERVAL 30 MINUTE, queue_entered_at) AS interval_start, count(*) AS offered,
       count(*) FILTER (outcome = 'answered') AS answered,
       count(*) FILTER (outcome = 'answered' AND wait_seconds <= 20) AS answered_within,
       count(*) FILTER (outcome = 'abandoned') AS abandoned,
       count(*) FILTER (outcome = 'abandoned' AND wait_seconds <= 20) AS abandoned_within,
       count(*) FILTER (outcome = 'abandoned' AND wait_seconds <= 5) AS short_abandons,
       coalesce(sum(handle_seconds) FILTER (outcome = 'answered'), 0) AS handle_seconds,
       coalesce(sum(wait_seconds) FILTER (outcome = 'answered'), 0) AS wait_seconds
FROM read_parquet('{path}') GROUP BY ALL ORDER BY ALL
"""


def write(path: Path, n: int, first: str, days: int) -> float:
    import duckdb

    t = time.perf_counter()
    with duckdb.connect(config={"memory_limit": "512MB", "preserve_insertion_order": False}) as con:
        normal = "sqrt(-2 * ln(random())) * cos(6.283185 * random())"
        con.execute(SYNTHETIC.format(first=first, days=days, n=n, path=path, normal=normal))
    return time.perf_counter() - t


def child(engine: str, path: Path) -> None:
    import duckdb

    if engine == "ops":  # the imports are not the count; the reference process loads DuckDB alone
        from ops.staffing.history.calllog import count_call_log

    t = time.perf_counter()
    if engine == "ops":
        counted = count_call_log(path, fmt="cdr", queue_map={"care": "care", "helpdesk": "helpdesk"}, timezone=TZ)
        table = counted.intervals
        offered, rows = int(table["offered"].sum()), len(table)
        busy = table[table["offered"] > 0]
        answered_within = int(busy["answered_within"].sum())
    else:
        with duckdb.connect() as con:
            result = con.execute(PLAIN.format(path=path)).fetchall()
        offered, rows, answered_within = sum(r[2] for r in result), len(result), sum(r[4] for r in result)
    seconds = time.perf_counter() - t
    status = Path("/proc/self/status").read_text()
    hwm = next(line for line in status.splitlines() if line.startswith("VmHWM:"))
    print(
        json.dumps(
            {
                "seconds": seconds,
                "peak_mb": int(hwm.split()[1]) / 1024,
                "offered": offered,
                "rows": rows,
                "answered_within": answered_within,
            }
        )
    )


def measure(engine: str, path: Path) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    out = subprocess.run(
        [sys.executable, __file__, "--child", engine, "--file", str(path)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def best(engine: str, path: Path, repeats: int) -> dict[str, float]:
    runs = [measure(engine, path) for _ in range(repeats)]
    return min(runs, key=lambda r: r["seconds"]) | {"peak_mb": max(r["peak_mb"] for r in runs)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=5_000_000)
    parser.add_argument("--year-calls", type=int, default=60_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--child", choices=["ops", "duckdb"])
    parser.add_argument("--file", type=Path)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.file)
        return
    import duckdb

    with tempfile.TemporaryDirectory() as tmp:
        month = Path(tmp) / "month.parquet"
        made = write(month, args.calls, "2026-02-01", 28)
        measure("ops", month)  # warm the file cache and the imports
        ours, plain = best("ops", month, args.repeats), best("duckdb", month, args.repeats)
        year = Path(tmp) / "year.parquet"
        made_year = write(year, args.year_calls, "2025-01-01", 365)
        size_year = year.stat().st_size / 1e6
        ours_year, plain_year = measure("ops", year), measure("duckdb", year)
        size = month.stat().st_size / 1e6
    assert ours["answered_within"] == plain["answered_within"] and ours["offered"] == plain["offered"] == args.calls
    lines = [
        "# Call records counted where they lie",
        "",
        f"Synthetic calls (two voice queues, naive São Paulo wall times, typed CDR Parquet written by DuckDB "
        f"a row group at a time) counted by ops (`count_call_log`: every record checked, wall times placed "
        f"through zoneinfo's segments, every interval of each logged day listed) and by DuckDB {duckdb.__version__}'s "
        f"own plain GROUP BY over the same file, each in a fresh process (time of the count, peak RSS = VmHWM "
        f"of the process, imports included); best time of {args.repeats} runs after a warm-up for the month, "
        f"one run for the year. Python {platform.python_version()}, {os.cpu_count()} CPUs shared with other work.",
        "",
        "| what | ops | DuckDB plain GROUP BY (same run) | ratio | goal | met |",
        "|---|---:|---:|---:|---|---|",
        f"| a month, {args.calls:,} calls ({size:.0f} MB, written in {made:.1f} s): time | {ours['seconds']:.2f} s | "
        f"{plain['seconds']:.2f} s | {ours['seconds'] / plain['seconds']:.2f}x | <= 1.5x | "
        f"{'yes' if ours['seconds'] <= 1.5 * plain['seconds'] else '**no**'} |",
        f"| a month: peak memory | {ours['peak_mb']:,.0f} MB | {plain['peak_mb']:,.0f} MB | "
        f"{ours['peak_mb'] / plain['peak_mb']:.2f}x | <= 2x | "
        f"{'yes' if ours['peak_mb'] <= 2 * plain['peak_mb'] else '**no**'} |",
        f"| a year, {args.year_calls:,} calls ({size_year:.0f} MB, written in {made_year:.0f} s): time | "
        f"{ours_year['seconds']:.1f} s | {plain_year['seconds']:.1f} s | "
        f"{ours_year['seconds'] / plain_year['seconds']:.2f}x | - | - |",
        f"| a year: peak memory | {ours_year['peak_mb']:,.0f} MB | {plain_year['peak_mb']:,.0f} MB | "
        f"{ours_year['peak_mb'] / plain_year['peak_mb']:.2f}x | < 1 GB | "
        f"{'yes' if ours_year['peak_mb'] < 1024 else '**no**'} |",
        "",
        f"Both count the same calls (offered {args.calls:,}, answered within 20 s {int(ours['answered_within']):,} "
        f"in the month). ops lists {int(ours['rows']):,} intervals for the month (every half hour of each "
        f"logged day, zeros included) where the plain GROUP BY lists {int(plain['rows']):,} (half hours with "
        f"calls); the year's table is {int(ours_year['rows']):,} rows: that table, not the {args.year_calls:,} "
        "calls, is what the staffing history and the forecast read (`staffing.history.services.load_history`).",
        "",
        "Reproduce: `uv run python benchmarks/bench_calls.py --write`.",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if args.write:
        RESULTS.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
