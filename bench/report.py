"""The results as Markdown: one table per database, the datasets, the machine; README rewriting."""

from __future__ import annotations

import datetime as dt
import math
import os
import platform
import sqlite3
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

from bench.datasets import SQLITE, Dataset
from bench.items import Measurement
from bench.rete_side import PAGE_QUERIES
from bench.workspace_side import CALLS, Subjects

README = Path(__file__).resolve().parent / "README.md"
RESULTS_START = "<!-- results:start (bench/run.py rewrites this part on a full run) -->"
RESULTS_END = "<!-- results:end -->"
TARGET_SIZE = "1M"  # the targets are for 1M needs on SQLite
PPTX_NOT_YET = "n/d (non ancora disponibile)"
WORKSPACE_PAGES = (  # bench.workspace_side.page_visits, in the table's order
    "Da seguire",
    "Colloqui, first page",
    "Colloqui, one household's code",
    "Scheda nucleo",
    "Segnala a un ente",
)
PAGE_TARGET = 0.3  # seconds, a workspace page's warm script run (median), 1M on SQLite
WRITE_TARGET = 0.05  # seconds, a write's 95th percentile, 1M on SQLite


@dataclass(frozen=True)
class SizeResult:
    """Everything measured on one dataset."""

    dataset: Dataset
    page_cold: Measurement
    page_warm: Measurement
    page_area: Measurement
    queries: dict[str, Measurement]
    floor: Measurement
    naive: Measurement
    saves: Measurement
    subjects: Subjects  # the household and the need the workspace's items open
    workspace_pages: dict[str, Measurement]  # WORKSPACE_PAGES -> warm runs
    workspace_calls: dict[str, Measurement]  # bench.workspace_side.CALLS -> calls
    referral_sends: Measurement
    referral_moves: Measurement  # "accept", each on a referral just sent
    disagreements: dict[str, list[str]]  # "naive, default view" -> aggregates that differ

    @property
    def rete_seconds(self) -> float:
        """Rete's seven queries of a page, each on its own: the sum of their medians."""
        return sum(query.median for query in self.queries.values())

    @property
    def floor_seconds(self) -> float:
        return sum(self.floor.parts.values())

    @property
    def naive_over_rete(self) -> float:
        return self.naive.median / self.rete_seconds

    @property
    def rete_over_floor(self) -> float:
        return self.rete_seconds / self.floor_seconds

    @property
    def rete_peak_mb(self) -> float:
        """The highest peak of Rete's own items: the pages, the queries and calls, the writes."""
        items = [
            self.page_cold,
            self.page_warm,
            self.page_area,
            self.saves,
            self.referral_sends,
            self.referral_moves,
            *self.queries.values(),
            *self.workspace_pages.values(),
            *self.workspace_calls.values(),
        ]
        return max(item.peak_mb for item in items)

    @property
    def agree(self) -> bool:
        return not any(self.disagreements.values())


@dataclass(frozen=True)
class Report:
    """A whole run: results per database and size, where it ran, how long it took."""

    results: list[SizeResult]
    machine: list[str]
    seconds: float
    quick: bool
    started: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    load: tuple[float, ...] = ()  # the 1-minute load average after each item

    @property
    def agree(self) -> bool:
        return all(result.agree for result in self.results)

    @property
    def generation_seconds(self) -> float:
        return sum(r.dataset.generation_seconds for r in self.results if r.dataset.generated_now)

    def backends(self) -> list[str]:
        return list(dict.fromkeys(result.dataset.backend for result in self.results))

    def markdown(self) -> str:
        parts = [f"Run on {self.started:%Y-%m-%d %H:%M} UTC · " + " · ".join(self.machine)]
        parts.append(_durations(self))
        for backend in self.backends():
            results = [r for r in self.results if r.dataset.backend == backend]
            parts.append(f"### {backend}\n\n{results_table(results)}")
        parts.append(f"### Datasets\n\n{datasets_table(self.results)}")
        return "\n\n".join(parts) + "\n"


# --- Formatting


def seconds(value: float) -> str:
    """'8.1 ms', '0.41 s', '12.3 s'."""
    if math.isnan(value):
        return "n/d"
    if value < 0.1:
        return f"{value * 1000:.1f} ms"
    return f"{value:.2f} s" if value < 10 else f"{value:.1f} s"


def megabytes(value: float) -> str:
    return f"{value:.0f} MB"


def timed_cell(value: float, peak: float) -> str:
    return f"{seconds(value)} · {megabytes(peak)}"


def spread_cell(measurement: Measurement) -> str:
    """'0.12 s (p95 0.15 s) · 230 MB'."""
    return (
        f"{seconds(measurement.median)} (p95 {seconds(measurement.p95)}) · "
        f"{megabytes(measurement.peak_mb)}"
    )


def number(value: int) -> str:
    return f"{value:,}"


def ratio(value: float) -> str:
    return f"{value:.1f}×"


def _durations(report: Report) -> str:
    generated = report.generation_seconds
    made = (
        f"datasets generated in this run: {seconds(generated)}" if generated else "datasets reused"
    )
    text = f"Whole run {seconds(report.seconds)} ({made}); times are medians unless stated."
    if report.load:
        text += (
            f" Load average (1 minute) after each item: median {statistics.median(report.load):.1f},"
            f" highest {max(report.load):.1f}, on {os.cpu_count()} CPUs; the benchmark's own child"
            " adds about 1, so anything well above that is other work slowing the run down."
        )
    return text


# --- The results table


@dataclass(frozen=True)
class Row:
    """A line of the table: what it measures, its cell per size, and the target at 1M."""

    label: str
    cell: Callable[[SizeResult], str]
    target: str = ""
    met: Callable[[SizeResult], bool] | None = None


def _query_row(name: str) -> Row:
    query = PAGE_QUERIES[name]
    return Row(
        f"query {query.label}",
        lambda r: timed_cell(r.queries[name].median, r.queries[name].peak_mb),
    )


def _workspace_page_row(name: str) -> Row:
    return Row(
        f"page «{name}», warm",
        lambda r: spread_cell(r.workspace_pages[name]),
        f"< {PAGE_TARGET} s",
        lambda r: r.workspace_pages[name].median < PAGE_TARGET,
    )


def _workspace_call_row(name: str) -> Row:
    return Row(f"call {CALLS[name].label}", lambda r: spread_cell(r.workspace_calls[name]))


def _open_referrals(result: SizeResult) -> str:
    found = result.workspace_calls["open_referrals"].counts
    return f"{number(found['open'])} ({number(found['overdue'])} overdue)"


def _household(result: SizeResult) -> str:
    card = result.workspace_calls["household_card"].counts
    return (
        f"{result.subjects.household_code}: {card['interviews']} interviews, "
        f"{card['needs']} needs, {card['referrals']} referrals, {card['events']} events"
    )


def _proposals(result: SizeResult) -> str:
    found = result.workspace_calls["propose_partners"].counts
    return f"{found['partners']} partners, {number(found['answered'])} answers before"


def workspace_rows() -> list[Row]:
    """The community manager's workspace (issue 12): what it opens, its pages, its functions,
    its writes."""
    return [
        Row("workspace: open referrals in «Da seguire»", _open_referrals),
        Row("workspace: the household card opened", _household),
        Row("workspace: partners proposed for the need", _proposals),
        *(_workspace_page_row(name) for name in WORKSPACE_PAGES),
        *(_workspace_call_row(name) for name in CALLS),
        Row(
            "send a referral (`send_referral`)",
            lambda r: spread_cell(r.referral_sends),
            f"p95 < {WRITE_TARGET * 1000:.0f} ms",
            lambda r: r.referral_sends.p95 < WRITE_TARGET,
        ),
        Row(
            "take it in charge (`move_referral`, accept)",
            lambda r: spread_cell(r.referral_moves),
            f"p95 < {WRITE_TARGET * 1000:.0f} ms",
            lambda r: r.referral_moves.p95 < WRITE_TARGET,
        ),
    ]


def _agreement(result: SizeResult) -> str:
    if result.agree:
        return "equal"
    return "; ".join(f"{k}: {', '.join(v)}" for k, v in result.disagreements.items() if v)


def table_rows() -> list[Row]:
    """Every row of the results table, in order."""
    return [
        Row(
            "Cruscotto, first run in a new process",
            lambda r: seconds(r.page_cold.first_seconds or math.nan),
        ),
        Row(
            "Cruscotto, cold cache (queries and figures uncached)",
            lambda r: timed_cell(r.page_cold.median, r.page_cold.peak_mb),
            "< 1.5 s",
            lambda r: r.page_cold.median < 1.5,
        ),
        Row(
            "Cruscotto, warm cache",
            lambda r: timed_cell(r.page_warm.median, r.page_warm.peak_mb),
            "< 0.3 s",
            lambda r: r.page_warm.median < 0.3,
        ),
        Row(
            "Cruscotto, after choosing an area",
            lambda r: timed_cell(r.page_area.median, r.page_area.peak_mb),
        ),
        *(_query_row(name) for name in PAGE_QUERIES),
        Row(
            "Rete: the 7 queries together",
            lambda r: timed_cell(r.rete_seconds, max(q.peak_mb for q in r.queries.values())),
        ),
        Row(
            "floor: hand-written SQL on the read model",
            lambda r: timed_cell(r.floor_seconds, r.floor.peak_mb),
        ),
        Row(
            "naive: whole base tables into pandas",
            lambda r: timed_cell(r.naive.median, r.naive.peak_mb),
        ),
        Row(
            "naive / Rete",
            lambda r: ratio(r.naive_over_rete),
            "≥ 10×",
            lambda r: r.naive_over_rete >= 10,
        ),
        Row(
            "Rete / floor",
            lambda r: ratio(r.rete_over_floor),
            "≤ 1.5×",
            lambda r: r.rete_over_floor <= 1.5,
        ),
        Row(
            "save an interview with two needs, median",
            lambda r: timed_cell(r.saves.median, r.saves.peak_mb),
        ),
        Row(
            "save an interview with two needs, 95th percentile",
            lambda r: seconds(r.saves.p95),
            "< 50 ms",
            lambda r: r.saves.p95 < 0.05,
        ),
        Row("PowerPoint export", lambda r: PPTX_NOT_YET),
        *workspace_rows(),
        Row(
            "peak RSS, highest of Rete's items",
            lambda r: megabytes(r.rete_peak_mb),
            "< 500 MB",
            lambda r: r.rete_peak_mb < 500,
        ),
        Row("numbers: Rete = naive = floor (default view, one area)", _agreement),
    ]


def row_labels() -> list[str]:
    return [row.label for row in table_rows()]


def _target_cell(row: Row, results: list[SizeResult]) -> str:
    """The target, with 'met' or 'missed' where it applies (1M needs on SQLite)."""
    if not row.target:
        return ""
    at_target = [
        r for r in results if r.dataset.label == TARGET_SIZE and r.dataset.backend == SQLITE
    ]
    if not at_target or row.met is None:
        return row.target
    return f"{row.target}: {'met' if row.met(at_target[0]) else '**missed**'}"


def _header(result: SizeResult) -> str:
    return f"{result.dataset.label} ({result.dataset.needs:,} needs)"


def results_table(results: list[SizeResult]) -> str:
    """One Markdown table: a row per measured item, a column per dataset size."""
    lines = [
        "| measured | " + " | ".join(_header(r) for r in results) + " | target at 1M |",
        "|---|" + "---:|" * len(results) + "---|",
    ]
    for row in table_rows():
        cells = [row.cell(r) for r in results]
        lines.append(f"| {row.label} | " + " | ".join(cells) + f" | {_target_cell(row, results)} |")
    return "\n".join(lines)


def datasets_table(results: list[SizeResult]) -> str:
    """What each dataset holds and how long generating it took."""
    lines = [
        "| dataset | households | interviews | needs | referrals | generation |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for result in results:
        d = result.dataset
        when = "this run" if d.generated_now else "earlier run, reused"
        lines.append(
            f"| {d.backend} {d.label} | {d.households:,} | {d.interviews:,} | {d.needs:,} "
            f"| {d.referrals:,} | {seconds(d.generation_seconds)} ({when}) |"
        )
    return "\n".join(lines)


# --- Where it ran


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _ram_gb() -> float:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3


def machine(postgres_version: str | None) -> list[str]:
    """The machine and the software versions, one short item each."""
    items = [
        platform.platform(),
        f"{_cpu_model()}, {os.cpu_count()} CPUs",
        f"{_ram_gb():.1f} GB RAM",
        f"Python {platform.python_version()}",
        f"SQLite {sqlite3.sqlite_version}",
    ]
    if postgres_version:
        items.append(f"PostgreSQL {postgres_version}")
    packages = ("streamlit", "sqlalchemy", "pandas")
    items.append(", ".join(f"{name} {version(name)}" for name in packages))
    return items


def write_readme(report: Report, readme: Path = README) -> None:
    """Replace the results part of bench/README.md with this run's."""
    text = readme.read_text(encoding="utf-8")
    head, found, rest = text.partition(RESULTS_START)
    _, ended, tail = rest.partition(RESULTS_END)
    if not found or not ended:
        raise RuntimeError(f"{readme} has lost its results markers")
    results = f"{RESULTS_START}\n{report.markdown()}{RESULTS_END}"
    readme.write_text(head + results + tail, encoding="utf-8")
