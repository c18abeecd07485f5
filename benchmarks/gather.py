"""Rebuild BENCHMARKS.md from its hand-kept head (the preface and the summary table) and the sections each
benchmark writes to benchmarks/results/ with --write.

Run: uv run python benchmarks/gather.py
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
ORDER = ["erlang", "forecast", "plan", "cli", "intake", "import", "calls", "report"]
ELSEWHERE = {"load"}  # benchmarks/load.py's figures are RELIABILITY.md's: latencies under faults, not ratios


def main() -> None:
    target = ROOT / "BENCHMARKS.md"
    text = target.read_text(encoding="utf-8")
    summary = text.index("## Summary")
    head_end = text.index("\n## ", summary + 1)
    sections = []
    for name in ORDER + sorted(p.stem for p in RESULTS.glob("*.md") if p.stem not in ORDER and p.stem not in ELSEWHERE):
        body = (RESULTS / f"{name}.md").read_text(encoding="utf-8").strip()
        sections.append("#" + body if body.startswith("# ") else body)
    target.write_text(text[:head_end].rstrip() + "\n\n\n" + "\n\n".join(sections) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
