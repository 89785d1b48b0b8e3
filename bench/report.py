"""The results as Markdown: one table per database, the datasets, the machine; README rewriting."""

from __future__ import annotations

import datetime as dt
import math
import os
import platform
import sqlite3
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from importlib.metadata import version
from pathlib import Path
from typing import Generic, Protocol, TypeVar

from bench import accesslog_side
from bench.browser import BrowserMeasurement
from bench.datasets import SQLITE, Dataset
from bench.items import Measurement
from bench.meeting_side import OTHER_FILES, PREPARING_PAGE, SLIDE_PAGE
from bench.rete_side import PAGE_QUERIES
from bench.workspace_side import CALLS, Subjects

README = Path(__file__).resolve().parent / "README.md"
RESULTS_START = "<!-- results:start (bench/run.py rewrites this part on a full run) -->"
RESULTS_END = "<!-- results:end -->"
TARGET_SIZE = "1M"  # the targets are for 1M needs on SQLite
WORKSPACE_PAGES = (  # bench.workspace_side.page_visits, in the table's order
    "Da seguire",
    "Colloqui, first page",
    "Colloqui, one household's code",
    "Scheda nucleo",
    "Segnala a un ente",
    "Rete, a search",  # the directory's page (issue 14), three of its views
    "Rete, chi può aiutare",
    "Rete, copertura della rete",
)
PAGE_TARGET = 0.3  # seconds, a workspace or directory page's warm run (median), 1M on SQLite
WRITE_TARGET = 0.05  # seconds, a write's 95th percentile, 1M on SQLite
BROWSER_TARGET = 1.2  # Rete / the bare page in Chromium, drawing and redrawing
EXPORT_TARGET = 5.0  # seconds, the meeting's deck built and written as PowerPoint, 1M on SQLite
EXPORT_MEMORY_TARGET = 500  # MB, the peak of the process doing it


@dataclass(frozen=True)
class MeetingResult:
    """The meeting's items on one dataset (issue 15); all that `--only meeting` measures."""

    dataset: Dataset
    export: Measurement  # the deck built and written as PowerPoint, a new process each run
    files: Measurement  # Word, Excel and HTML written from that deck, in the same processes
    pages: dict[str, Measurement]  # bench.meeting_side.page_visits -> warm runs

    def measurements(self) -> list[Measurement]:
        return [self.export, self.files, *self.pages.values()]


@dataclass(frozen=True)
class AccessLogResult:
    """The access log's items on one dataset (issue 16); all that `--only accesslog` measures."""

    dataset: Dataset
    trail: accesslog_side.Trail
    calls: dict[str, Measurement]  # bench.accesslog_side.CALLS -> calls
    pages: dict[str, Measurement]  # bench.accesslog_side.page_visits -> warm runs

    def measurements(self) -> list[Measurement]:
        return [*self.calls.values(), *self.pages.values()]


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
    meeting: MeetingResult
    accesslog: AccessLogResult
    browser: BrowserMeasurement | None = None  # the Cruscotto in Chromium (SQLite only)

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
            *self.meeting.measurements(),
            *self.accesslog.measurements(),
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
    browser: tuple[BrowserMeasurement, ...] = ()  # the bare page and the demo volume
    browser_skipped: str | None = None  # why Chromium measured nothing

    def in_browser(self) -> list[BrowserMeasurement]:
        """Everything measured in Chromium: the bare page, the demo volume, each dataset."""
        return [*self.browser, *(r.browser for r in self.results if r.browser is not None)]

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
            parts.append(f"### {backend}\n\n{results_table(results, table_rows())}")
        parts.append(f"### In the browser\n\n{browser_section(self)}")
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
    return f"{text} {_load_text(report.load)}" if report.load else text


def _load_text(load: Sequence[float]) -> str:
    return (
        f"Load average (1 minute) after each item: median {statistics.median(load):.1f},"
        f" highest {max(load):.1f}, on {os.cpu_count()} CPUs; the benchmark's own child"
        " adds about 1, so anything well above that is other work slowing the run down."
    )


# --- The results table


class OnDataset(Protocol):
    """What a table's column is made of: everything measured on one dataset, or some of it."""

    @property
    def dataset(self) -> Dataset: ...


R = TypeVar("R", bound=OnDataset)


@dataclass(frozen=True)
class Row(Generic[R]):
    """A line of the table: what it measures, its cell per size, and the target at 1M."""

    label: str
    cell: Callable[[R], str]
    target: str = ""
    met: Callable[[R], bool] | None = None


def _query_row(name: str) -> Row[SizeResult]:
    query = PAGE_QUERIES[name]
    return Row(
        f"query {query.label}",
        lambda r: timed_cell(r.queries[name].median, r.queries[name].peak_mb),
    )


def _workspace_page_row(name: str) -> Row[SizeResult]:
    return Row(
        f"page «{name}», warm",
        lambda r: spread_cell(r.workspace_pages[name]),
        f"< {PAGE_TARGET} s",
        lambda r: r.workspace_pages[name].median < PAGE_TARGET,
    )


def _workspace_call_row(name: str) -> Row[SizeResult]:
    call = CALLS[name]
    row: Row[SizeResult] = Row(f"call {call.label}", lambda r: spread_cell(r.workspace_calls[name]))
    if call.target is None:
        return row
    target = call.target
    return replace(
        row,
        target=f"< {target} s",
        met=lambda r: r.workspace_calls[name].median < target,
    )


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


def _directory(result: SizeResult) -> str:
    found = result.workspace_calls["directory_search"].counts
    gaps = result.workspace_calls["coverage_section"].counts
    exported = result.workspace_calls["hsds_export"].counts
    return (
        f"search: {found['partners']} partners, {number(found['received'])} referrals on page 1;"
        f" coverage: {number(gaps['uncovered'])} needs in {gaps['gap_needs']} gaps"
        f" (neighbourhood × specific need), {gaps['unused']} partners unused,"
        f" {gaps['to_recheck']} to check again; HSDS export: {exported['partners']} partners,"
        f" {number(exported['rows'])} rows, {exported['bytes'] / 1024:.0f} kB zipped"
    )


def workspace_rows() -> list[Row[SizeResult]]:
    """The community manager's workspace (issue 12): what it opens, its pages, its functions,
    its writes; the directory (issue 14) among them: the Rete page's search, «Chi può
    aiutare?» and coverage, the functions behind them and the HSDS export."""
    return [
        Row("workspace: open referrals in «Da seguire»", _open_referrals),
        Row("workspace: the household card opened", _household),
        Row("workspace: partners proposed for the need", _proposals),
        Row("directory: what the search, the coverage and the HSDS export found", _directory),
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


def _export(result: MeetingResult) -> str:
    """'1.90 s (deck 1.50 s, PowerPoint 0.40 s) · 250 MB'."""
    export = result.export
    return (
        f"{seconds(export.median)} (deck {seconds(export.parts['deck'])}, PowerPoint "
        f"{seconds(export.parts['pptx'])}) · {megabytes(export.peak_mb)}"
    )


def _other_files(result: MeetingResult) -> str:
    """'Word 0.11 s · Excel 25.7 ms · HTML 0.16 s · 263 MB'."""
    files = result.files
    each = [f"{label} {seconds(files.parts[label])}" for label in OTHER_FILES]
    return " · ".join([*each, megabytes(files.peak_mb)])


def meeting_rows() -> list[Row[MeetingResult]]:
    """The meeting (issue 15): its deck as PowerPoint (the issue's target) and as the other
    files, and its page presenting a slide (the issue's target) and preparing the meeting."""
    return [
        Row(
            "PowerPoint export (the deck built and written, in a new process)",
            _export,
            f"< {EXPORT_TARGET:.0f} s, < {EXPORT_MEMORY_TARGET} MB",
            lambda r: r.export.median < EXPORT_TARGET and r.export.peak_mb < EXPORT_MEMORY_TARGET,
        ),
        Row("Altri file della riunione (Word, Excel, HTML, from that deck)", _other_files),
        Row(
            f"page «{SLIDE_PAGE}», warm",
            lambda r: spread_cell(r.pages[SLIDE_PAGE]),
            f"< {PAGE_TARGET} s",
            lambda r: r.pages[SLIDE_PAGE].median < PAGE_TARGET,
        ),
        Row(f"page «{PREPARING_PAGE}», warm", lambda r: spread_cell(r.pages[PREPARING_PAGE])),
    ]


def accesslog_rows() -> list[Row[AccessLogResult]]:
    """The access log (issue 16): the Registro accessi's page and its read functions, and
    «Chi ha visto questo nucleo?», on a trail of one entry per need."""
    return [
        Row("access log: entries in the trail", lambda r: number(r.trail.entries)),
        *(
            Row(
                f"page «{name}», warm",
                lambda r, name=name: spread_cell(r.pages[name]),
                f"< {PAGE_TARGET} s",
                lambda r, name=name: r.pages[name].median < PAGE_TARGET,
            )
            for name in (
                accesslog_side.FIRST_PAGE,
                accesslog_side.HOUSEHOLD_PAGE,
                accesslog_side.USERS_PAGE,
                accesslog_side.PROFILE_PAGE,
            )
        ),
        *(
            Row(f"call {call.label}", lambda r, name=name: spread_cell(r.calls[name]))
            for name, call in accesslog_side.CALLS.items()
        ),
    ]


def _of_accesslog(row: Row[AccessLogResult]) -> Row[SizeResult]:
    """An access log row in the whole table, where each column is a SizeResult."""
    met = row.met
    return Row(
        row.label,
        lambda r: row.cell(r.accesslog),
        row.target,
        None if met is None else lambda r: met(r.accesslog),
    )


def _of_size(row: Row[MeetingResult]) -> Row[SizeResult]:
    """A meeting row in the whole table, where each column is a SizeResult."""
    met = row.met
    return Row(
        row.label,
        lambda r: row.cell(r.meeting),
        row.target,
        None if met is None else lambda r: met(r.meeting),
    )


def table_rows() -> list[Row[SizeResult]]:
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
        *(_of_size(row) for row in meeting_rows()),
        *workspace_rows(),
        *(_of_accesslog(row) for row in accesslog_rows()),
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


def _target_cell(row: Row[R], results: Sequence[R]) -> str:
    """The target, with 'met' or 'missed' where it applies (1M needs on SQLite)."""
    if not row.target:
        return ""
    at_target = [
        r for r in results if r.dataset.label == TARGET_SIZE and r.dataset.backend == SQLITE
    ]
    if not at_target or row.met is None:
        return row.target
    return f"{row.target}: {'met' if row.met(at_target[0]) else '**missed**'}"


def _header(result: OnDataset) -> str:
    return f"{result.dataset.label} ({result.dataset.needs:,} needs)"


def results_table(results: Sequence[R], rows: Sequence[Row[R]]) -> str:
    """One Markdown table: a row per measured item, a column per dataset size."""
    lines = [
        "| measured | " + " | ".join(_header(r) for r in results) + " | target at 1M |",
        "|---|" + "---:|" * len(results) + "---|",
    ]
    for row in rows:
        cells = [row.cell(r) for r in results]
        lines.append(f"| {row.label} | " + " | ".join(cells) + f" | {_target_cell(row, results)} |")
    return "\n".join(lines)


# --- In the browser

BARE = "bare page"


def _browser_header(measured: BrowserMeasurement) -> str:
    if measured.needs is None:
        return measured.page
    return f"{measured.page} ({measured.needs:,} needs)"


def _over_bare(value: float, bare: float | None) -> str:
    return "n/d (bare page not measured)" if bare is None else ratio(value / bare)


@dataclass(frozen=True)
class BrowserRow:
    """A line of the browser table: its cell per measured page, and its target."""

    label: str
    cell: Callable[[BrowserMeasurement, BrowserMeasurement | None], str]  # (page, bare page)
    target: str = ""
    ratio_of: Callable[[BrowserMeasurement], float] | None = None  # for the target's check


def _busy(kind: str) -> Callable[[BrowserMeasurement, BrowserMeasurement | None], str]:
    def cell(measured: BrowserMeasurement, _bare: BrowserMeasurement | None) -> str:
        parts = measured.parts
        return (
            f"{seconds(parts[f'{kind} busy'])} (JavaScript {seconds(parts[f'{kind} script'])}, "
            f"layout and style {seconds(parts[f'{kind} layout'] + parts[f'{kind} style'])})"
        )

    return cell


def _ratio_cell(
    of: Callable[[BrowserMeasurement], float],
) -> Callable[[BrowserMeasurement, BrowserMeasurement | None], str]:
    def cell(measured: BrowserMeasurement, bare: BrowserMeasurement | None) -> str:
        if measured.page == BARE:
            return "1.0×"
        return _over_bare(of(measured), None if bare is None else of(bare))

    return cell


def browser_rows() -> list[BrowserRow]:
    """Every row of the browser table, in order."""

    def draw(m: BrowserMeasurement) -> float:
        return m.draw_median

    def redraw(m: BrowserMeasurement) -> float:
        return m.redraw_median

    return [
        BrowserRow(
            "drawn: «Accedi» (bare page: the address) → five charts, page idle",
            lambda m, _b: f"{seconds(m.draw_median)} (p95 {seconds(m.draw_p95)})",
        ),
        BrowserRow(
            "redrawn: a sidebar choice → five charts with new data, page idle",
            lambda m, _b: f"{seconds(m.redraw_median)} (p95 {seconds(m.redraw_p95)})",
        ),
        BrowserRow(
            "drawing, Rete / bare page",
            _ratio_cell(draw),
            f"≤ {BROWSER_TARGET}×",
            draw,
        ),
        BrowserRow(
            "redrawing, Rete / bare page",
            _ratio_cell(redraw),
            f"≤ {BROWSER_TARGET}×",
            redraw,
        ),
        BrowserRow("Chromium's main thread busy while drawing", _busy("draw")),
        BrowserRow("Chromium's main thread busy while redrawing", _busy("redraw")),
        BrowserRow(
            "script running, as the page saw it: drawing · redrawing",
            lambda m, _b: (
                f"{seconds(m.parts['draw server'])} · {seconds(m.parts['redraw server'])}"
            ),
        ),
    ]


def browser_row_labels() -> list[str]:
    return [row.label for row in browser_rows()]


def _browser_target(
    row: BrowserRow, measured: list[BrowserMeasurement], bare: BrowserMeasurement | None
) -> str:
    """The target, met or missed on the demo volume and at 1M on SQLite, where measured."""
    if not row.target or row.ratio_of is None or bare is None:
        return row.target
    checked = [
        m
        for m in measured
        if m.page == "Rete, demo volume" or m.page == f"Rete, {SQLITE} {TARGET_SIZE}"
    ]
    if not checked:
        return row.target
    limit = BROWSER_TARGET * row.ratio_of(bare)
    verdicts = [
        f"{m.page.removeprefix('Rete, ')} {'met' if row.ratio_of(m) <= limit else '**missed**'}"
        for m in checked
    ]
    return f"{row.target}: " + ", ".join(verdicts)


def browser_section(report: Report) -> str:
    """The Cruscotto in Chromium against the bare page, or why it was not measured."""
    measured = report.in_browser()
    if not measured:
        reason = report.browser_skipped or "nothing measured"
        return f"Not measured in this run: {reason}."
    bare = next((m for m in measured if m.page == BARE), None)
    lines = [
        "| measured | " + " | ".join(_browser_header(m) for m in measured) + " | target |",
        "|---|" + "---:|" * len(measured) + "---|",
    ]
    for row in browser_rows():
        cells = [row.cell(m, bare) for m in measured]
        target = _browser_target(row, measured, bare)
        lines.append(f"| {row.label} | " + " | ".join(cells) + f" | {target} |")
    counts = ", ".join(f"{m.page} {len(m.draw)}" for m in measured)
    lines.append("")
    lines.append(f"Measured sessions (median and p95 of): {counts}.")
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


def meeting_markdown(
    results: Sequence[MeetingResult], machine: list[str], load: Sequence[float]
) -> str:
    """What a run of the meeting's items only prints: where it ran, then their rows."""
    started = dt.datetime.now(dt.UTC)
    parts = [f"Run on {started:%Y-%m-%d %H:%M} UTC · " + " · ".join(machine)]
    text = "The meeting's items only; times are medians unless stated."
    parts.append(f"{text} {_load_text(load)}" if load else text)
    for backend in dict.fromkeys(result.dataset.backend for result in results):
        chosen = [result for result in results if result.dataset.backend == backend]
        parts.append(f"### {backend}\n\n{results_table(chosen, meeting_rows())}")
    return "\n\n".join(parts) + "\n"


def accesslog_markdown(
    results: Sequence[AccessLogResult], machine: list[str], load: Sequence[float]
) -> str:
    """What a run of the access log's items only prints: where it ran, then their rows."""
    started = dt.datetime.now(dt.UTC)
    parts = [f"Run on {started:%Y-%m-%d %H:%M} UTC · " + " · ".join(machine)]
    text = "The access log's items only; times are medians unless stated."
    parts.append(f"{text} {_load_text(load)}" if load else text)
    for backend in dict.fromkeys(result.dataset.backend for result in results):
        chosen = [result for result in results if result.dataset.backend == backend]
        parts.append(f"### {backend}\n\n{results_table(chosen, accesslog_rows())}")
    return "\n\n".join(parts) + "\n"


def write_readme(report: Report, readme: Path = README) -> None:
    """Replace the results part of bench/README.md with this run's."""
    text = readme.read_text(encoding="utf-8")
    head, found, rest = text.partition(RESULTS_START)
    _, ended, tail = rest.partition(RESULTS_END)
    if not found or not ended:
        raise RuntimeError(f"{readme} has lost its results markers")
    results = f"{RESULTS_START}\n{report.markdown()}{RESULTS_END}"
    readme.write_text(head + results + tail, encoding="utf-8")
