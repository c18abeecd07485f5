"""A CRM export of 1 M ticket rows imported into SQLite by `ops import tickets`, beside a plain read of the same file.

The run writes a CSV of --rows tickets (the columns a CRM export has; reasons, channels and areas spread as in the
intake benchmark, so that no outage groups), loads the reference contract into a fresh SQLite file, then runs, each
as its own process and measured by wall time and its own peak RSS (wait4):
1. the reference: Python's csv module reading every row of the file (what any import pays at least);
2. `ops import tickets FILE --contract reference --quiet` (batches of 1,000, one transaction each);
and checks that the database holds --rows tickets afterwards.

Run: uv run python benchmarks/bench_import.py [--write] [--rows 1000000]
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONTRACT = ROOT / "examples" / "reference-contract.yaml"
RESULTS = ROOT / "benchmarks" / "results" / "import.md"
BODIES = (
    ("email", "undue_charge", "Cobrança indevida na fatura", "Fui cobrado por um serviço que não contratei."),
    ("web", "speed_upgrade", "Upgrade de velocidade", "Gostaria de passar o plano de 300 para 600 mega."),
    ("crm", "address_change", "Mudança de endereço", "Vou me mudar no próximo mês e preciso transferir."),
    ("email", "", "Reclamo por factura", "Me cobraron dos veces el mismo mes, quiero la devolución."),
    ("email", "", "Dúvida", "Se não resolverem vou abrir reclamação na Anatel."),
)
COLUMNS = ["external_id", "channel", "reason", "subject", "body", "customer_id", "customer_name", "customer_area"]
COLUMNS += ["customer_followers", "created_at"]


def write_csv(path: Path, rows: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        for n in range(rows):
            channel, reason, subject, body = BODIES[n % len(BODIES)]
            day, second = divmod(n, 86_400)
            clock = f"{second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}"
            created = f"2026-{1 + day // 28 % 12:02d}-{1 + day % 28:02d}T{clock}-03:00"
            area = f"Bairro {n % 997}"
            writer.writerow([f"B-{n:07d}", channel, reason, subject, body, f"C{n}", "Cliente", area, "1.200", created])


def measure(command: list[str], env: dict[str, str]) -> tuple[float, float, float, int]:
    """Wall seconds, CPU seconds (user + system), peak RSS in MB and exit status of one process."""
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert process.stderr is not None
    tail = process.stderr.read().decode(errors="replace").splitlines()[-3:]
    _pid, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code:
        print("\n".join(tail), file=sys.stderr)
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    ops = str(Path(sys.executable).parent / "ops")
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "tickets.csv"
        write_csv(data, args.rows)
        database = Path(tmp) / "ops.sqlite3"
        env = {**os.environ, "OPS_DATABASE_URL": f"sqlite+aiosqlite:///{database}", "OPS_REPORTS_DIR": tmp}
        env["OPS_IMPORT_MAX_ROWS"] = str(max(args.rows, 1_000_000))
        subprocess.run([ops, "contract", "load", str(CONTRACT)], env=env, check=True, capture_output=True)
        read = [sys.executable, "-c", f"import csv\nfor _ in csv.reader(open({str(data)!r}, newline='')): pass"]
        ref_wall, ref_cpu, ref_rss, _ = measure(read, env)
        wall, cpu, rss, code = measure([ops, "import", "tickets", str(data), "--contract", "reference", "--quiet"], env)
        stored = sqlite3.connect(database).execute("SELECT count(*) FROM tickets").fetchone()[0]
        size = data.stat().st_size / 1e6
    assert code == 0 and stored == args.rows, (code, stored)
    rate = args.rows / wall
    scale = args.rows / 1e6
    met = "met" if wall < 60 * scale and rss < 300 else "**not met**"
    cpu_met = "met" if cpu < 60 * scale else "**not met**"
    lines = [
        "# Importing a CRM export",
        "",
        f"{args.rows:,} ticket rows ({size:.0f} MB of CSV) imported into a fresh SQLite file by `ops import tickets "
        f"--quiet` (batches of 1,000 rows, one transaction each), one process; on {platform.machine()}, Python "
        f"{platform.python_version()}, load average {load:.1f} at the start (a shared 2-core machine).",
        "",
        "| what | wall (s) | CPU (s) | rows/s (wall) | peak RSS (MB) | goal |",
        "|---|---:|---:|---:|---:|---|",
        f"| reference: `csv.reader` over the file, nothing else | {ref_wall:.1f} | {ref_cpu:.1f} | "
        f"{args.rows / ref_wall:,.0f} | {ref_rss:.0f} | |",
        f"| `ops import tickets` | {wall:.1f} | {cpu:.1f} | {rate:,.0f} | {rss:.0f} | < 60 s and < 300 MB for 1 M "
        f"rows: {met} (in CPU time: {cpu_met}) |",
        f"| ratio | {wall / ref_wall:.0f}x | {cpu / max(ref_cpu, 1e-3):.0f}x | | {rss / ref_rss:.1f}x | |",
        "",
        f"Every row stored ({stored:,} tickets, each with its `created` event, its protocol number and its SLA due "
        "times).",
        "",
        f"Reproduce: `uv run python benchmarks/bench_import.py --rows {args.rows} --write`.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.write:
        RESULTS.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
