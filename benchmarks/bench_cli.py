"""How fast the command line starts: `ops --help` and `ops sla due` (a pure calculator on a calendar with Brazilian
holidays) against `python -c pass`, each a fresh process, median of repeated runs in the same run.

Run: uv run python benchmarks/bench_cli.py [--write] [--repeats 9]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results" / "cli.md"
CALENDAR = {
    "timezone": "America/Sao_Paulo",
    "hours": {day: [["08:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
    "country": "BR",
    "subdivision": "SP",
}


def run_once(command: list[str]) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system) of one fresh process. On a busy machine the wall time
    includes waiting for a core; the CPU time is what the command itself costs."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--repeats", type=int, default=9)
    args = parser.parse_args()
    bin_dir = Path(sys.executable).parent
    ops = str(bin_dir / "ops")
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(CALENDAR, handle)
    due = [ops, "sla", "due", "--calendar", handle.name, "--start", "2026-11-20T17:30:00-03:00", "--minutes", "90"]
    cases = [
        ("`python -c pass` (the reference)", [sys.executable, "-c", "pass"]),
        ("`ops --help`", [ops, "--help"]),
        ("`ops sla due` (BR/SP holidays)", due),
    ]
    # Interleaved rounds, so a busy moment of the shared machine weighs on every command alike.
    samples: dict[str, list[float]] = {name: [] for name, _ in cases}
    cpu: dict[str, list[float]] = {name: [] for name, _ in cases}
    load = os.getloadavg()[0]
    for _ in range(args.repeats):
        for name, command in cases:
            wall, used = run_once(command)
            samples[name].append(wall)
            cpu[name].append(used)
    medians = {name: statistics.median(values) for name, values in samples.items()}
    cpu_medians = {name: statistics.median(values) for name, values in cpu.items()}
    base = medians[cases[0][0]]
    lines = [
        "# Command-line start-up",
        "",
        f"Median of {args.repeats} interleaved runs, each a fresh process, on {platform.machine()}, Python "
        f"{platform.python_version()}; the environment byte-compiled as `./dev` leaves it; load average {load:.1f} "
        "at the start (wall time includes waiting for a core when the machine is busy; CPU time is user + system "
        "of the process).",
        "",
        "| command | wall median (s) | over `python -c pass` (s) | CPU median (s) | goal (wall) |",
        "|---|---:|---:|---:|---|",
    ]
    for name, _ in cases:
        goal = "" if name == cases[0][0] else ("< 0.5 s: met" if medians[name] < 0.5 else "< 0.5 s: **not met**")
        lines.append(
            f"| {name} | {medians[name]:.3f} | {medians[name] - base:+.3f} | {cpu_medians[name]:.3f} | {goal} |"
        )
    lines += ["", "Reproduce: `uv run python benchmarks/bench_cli.py --write`."]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.write:
        RESULTS.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
