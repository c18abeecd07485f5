"""The map of the house, checked: arrows run down only, the contract base imports no domain, pure cores do no
I/O, and no import circle. Read from the source with `ast` (every import, function-level ones included), so a
violation fails here before anyone runs the code. ARCHITECTURE.md draws the same map."""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"

# Layers, lowest first: a module may import its own layer (within its own domain) and the layers below.
# The base holds what every domain shares; the top assembles them (and may import anything).
BASE = "base"
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        BASE,
        (
            "ops",
            "ops.auth",
            "ops.auth_models",
            "ops.bounds",
            "ops.authentication",
            "ops.calendars",
            "ops.channels",
            "ops.cli",
            "ops.cli.support",
            "ops.config",
            "ops.db",
            "ops.decoding",
            "ops.errors",
            "ops.health",
            "ops.http",
            "ops.idempotency",
            "ops.jobs",
            "ops.limits",
            "ops.migrate",
            "ops.openapi",
            "ops.runtime",
            "ops.sessions",
            "ops.tabular",
        ),
    ),
    ("contracts", ("ops.contracts",)),
    ("queues", ("ops.queues",)),
    ("staffing", ("ops.staffing",)),
    ("reports", ("ops.reports",)),
    ("billing", ("ops.billing",)),
    ("web", ("ops.web",)),
    ("top", ("ops.app", "ops.composition", "ops.cli.main", "ops.demo")),
)

# Pure cores: rules over numbers, dates, text and frames. No database, HTTP, settings, files or network.
PURE: frozenset[str] = frozenset(
    {
        "ops.bounds",
        "ops.decoding",
        "ops.rows",
        "ops.calendars",
        "ops.contracts.schemas",
        "ops.contracts.document",
        "ops.queues.intake.classification",
        "ops.queues.intake.priority",
        "ops.queues.intake.outage",
        "ops.queues.intake.protocol",
        "ops.queues.intake.rules",
        "ops.queues.assignment.strategies",
        "ops.queues.live.notices",
        "ops.queues.sla.clock",
        "ops.queues.work.procedures",
        "ops.queues.work.minutes",
        "ops.queues.work.replies",
        "ops.queues.work.resolving",
        "ops.staffing.history.intervals",
        "ops.staffing.forecast.model",
        "ops.staffing.planning.erlang",
        "ops.staffing.planning.shifts",
        "ops.staffing.planning.oncall",
        "ops.staffing.planning.workload",
        "ops.staffing.planning.week",
        "ops.reports.metrics",
        "ops.reports.penalties",
        "ops.reports.sections",
        "ops.reports.regulatory",
        "ops.reports.inputs",
        "ops.reports.report",
        "ops.reports.wallboard.board",
        "ops.reports.wallboard.sections",
        "ops.billing.money",
        "ops.billing.terms",
        "ops.billing.indices.series",
        "ops.billing.indices.readjustment",
        "ops.billing.indices.recovery",
        "ops.billing.measurement.periods",
        "ops.billing.measurement.lines",
        "ops.billing.invoices.taxes",
        "ops.billing.invoices.chain",
        "ops.billing.invoices.audit",
        "ops.billing.disputes.states",
    }
)
# What a pure core may not import (first name of the module path), nor any ops module outside PURE but these.
IO_MODULES = frozenset(
    {
        "sqlalchemy",
        "advanced_alchemy",
        "alembic",
        "litestar",
        "httpx",
        "redis",
        "arq",
        "apscheduler",
        "click",
        "smtplib",
        "socket",
        "subprocess",
        "pathlib",
        "openpyxl",
        "kaleido",
        "weasyprint",
        "pydantic_settings",
        "duckdb",
    }
)
PURE_MAY_IMPORT = frozenset({"ops.errors"})


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def import_graph(root: Path = SRC / "ops") -> dict[str, set[str]]:
    """module -> every module it imports (absolute names; `from ops.x import y` counts y when y is a module)."""
    files = {module_name(p): p for p in root.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:  # the project writes no relative imports
                modules = {f"{node.module}.{a.name}" for a in node.names} & set(files)
                targets.update(modules)
                if len(modules) < len(node.names):  # some names are the module's own attributes
                    targets.add(node.module)
        graph[name] = targets
    return graph


def layer_of(module: str) -> tuple[int, str]:
    """(rank, layer) of an ops module: the layer whose prefix matches it most closely."""
    best: tuple[int, int, str] | None = None
    for rank, (layer, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and (best is None or len(prefix) > best[0]):
                best = (len(prefix), rank, layer)
    assert best is not None, f"{module} is in no layer: add it to LAYERS in {__file__}"
    return best[1], best[2]


def upward_arrows(graph: Mapping[str, Iterable[str]]) -> list[str]:
    found = []
    for module, targets in graph.items():
        rank, layer = layer_of(module)
        for target in targets:
            if not target.startswith("ops"):
                continue
            target_rank, target_layer = layer_of(target)
            if target_rank > rank:
                found.append(f"{module} ({layer}) imports {target} ({target_layer}), a higher layer")
    return sorted(found)


def impure_cores(graph: Mapping[str, Iterable[str]]) -> list[str]:
    found = []
    for module in sorted(PURE & set(graph)):
        for target in graph[module]:
            if target.split(".")[0] in IO_MODULES:
                found.append(f"{module} is a pure core but imports {target}")
            elif target.startswith("ops.") and target not in PURE and target not in PURE_MAY_IMPORT:
                found.append(f"{module} is a pure core but imports {target}, which is not")
    return sorted(found)


def cycles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each a circle of imports."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in graph:
                continue
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def violations(graph: Mapping[str, Iterable[str]]) -> list[str]:
    circles = [f"import circle: {' <-> '.join(c)}" for c in cycles(graph)]
    return upward_arrows(graph) + impure_cores(graph) + circles


GRAPH = import_graph()


def test_the_house_keeps_its_map() -> None:
    assert violations(GRAPH) == []


def test_the_contract_base_imports_no_domain() -> None:
    domains = ("ops.queues", "ops.staffing", "ops.reports", "ops.billing", "ops.web")
    reached = {t for m, ts in GRAPH.items() if m.startswith("ops.contracts") for t in ts if t.startswith(domains)}
    assert reached == set()


def test_every_domain_takes_the_calendar_from_its_one_home() -> None:
    users = {m for m, ts in GRAPH.items() if "ops.calendars" in ts}
    assert {m.split(".")[1] for m in users} >= {"contracts", "queues", "staffing", "reports"}
    assert not any(".calendar" in t and t != "ops.calendars" for ts in GRAPH.values() for t in ts)


def test_the_modules_that_read_call_logs_are_not_pure() -> None:
    # DuckDB opens the files: the counting engine and the format readers do I/O; the rules they apply
    # (the interval table, the zone's segments) stay in the pure intervals module.
    readers = {"ops.staffing.history.counting", "ops.staffing.history.calllog", "ops.staffing.history.queuelog"}
    assert readers <= set(GRAPH)
    assert not readers & PURE
    assert all("duckdb" in GRAPH[m] for m in ("ops.staffing.history.counting", "ops.staffing.history.calllog"))
    assert "ops.staffing.history.intervals" in PURE


@pytest.mark.parametrize(
    ("planted", "expected"),
    [
        (
            ("ops.contracts.services", "ops.queues.models"),
            "ops.contracts.services (contracts) imports ops.queues.models",
        ),
        (("ops.queues.sla.watch", "ops.reports.metrics"), "ops.queues.sla.watch (queues) imports ops.reports.metrics"),
        (("ops.staffing.planning.week", "ops.reports.report"), "imports ops.reports.report (reports), a higher layer"),
        (("ops.reports.metrics", "sqlalchemy"), "ops.reports.metrics is a pure core but imports sqlalchemy"),
        (
            ("ops.staffing.history.intervals", "duckdb"),
            "ops.staffing.history.intervals is a pure core but imports duckdb",
        ),
        (
            ("ops.staffing.history.intervals", "ops.staffing.history.counting"),
            "ops.staffing.history.intervals is a pure core but imports ops.staffing.history.counting, which is not",
        ),
        (("ops.staffing.planning.erlang", "ops.config"), "ops.staffing.planning.erlang is a pure core but imports"),
        (("ops.calendars", "ops.staffing.history.calllog"), "ops.calendars (base) imports ops.staffing.history"),
        (("ops.queues.intake.classification", "ops.queues.intake.priority"), "import circle: "),
    ],
)
def test_a_planted_violation_is_caught(planted: tuple[str, str], expected: str) -> None:
    module, target = planted
    graph = {m: set(ts) for m, ts in GRAPH.items()}
    graph[module].add(target)
    assert any(expected in v for v in violations(graph)), violations(graph)
