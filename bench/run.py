"""Benchmark the Cruscotto (issue 6) and the community manager's workspace (issue 12) at 10k,
100k and 1M recorded needs; see bench/README.md.

    python bench/run.py                  # full run: SQLite, plus PostgreSQL when its URL is set
    python bench/run.py --quick          # 10k only, in a temporary directory, about two minutes
    python bench/run.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test
    python bench/run.py --no-browser     # without the Chromium measurement (bench/browser.py)
    python bench/run.py --only meeting --sizes 10k,1M --no-postgres   # some items only
    python bench/run.py --only accesslog --sizes 10k --no-postgres    # the access log's
    python bench/run.py --only erasure --sizes 10k --no-postgres      # erasure and retention

A full run prints the results table and rewrites bench/README.md; every other run only prints.
"""

# ruff: noqa: E402  (the repository root goes on sys.path first, for `python bench/run.py`)
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, Python puts bench/ itself first on the path: the repository root goes there.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import argparse
import os
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, replace
from functools import partial
from typing import TypeVar

from bench import accesslog_side, browser, datasets, items, meeting_side, report
from bench.browser import BrowserMeasurement
from bench.canonical import AGGREGATES, FROZEN_TODAY, Case, Numbers, benchmark_cases, differences
from bench.datasets import SQLITE, Dataset
from bench.erasure_side import ONLY as ERASURE
from bench.erasure_side import ErasureResult, erasure_markdown, erasures, retention_job
from bench.items import Measurement, Task, in_child_process, in_new_processes
from bench.rete_side import PAGE_QUERIES
from bench.workspace_side import CALLS, Subjects, choose_subjects, page_visits
from rete import db
from rete.taxonomy import load_taxonomy

POSTGRES_ENV = "RETE_TEST_POSTGRES_URL"
MEETING = "meeting"  # what --only can choose: the meeting's items (issue 15)
ACCESSLOG = "accesslog"  # ... or the access log's (issue 16)
ScratchCopy = Callable[[Dataset], AbstractContextManager[str]]
Measured = TypeVar("Measured")


@dataclass(frozen=True)
class Repetitions:
    """How many times each item repeats (page runs, area changes, queries, naive loads, saves;
    the workspace's page runs and function calls, referrals sent and taken in charge; the
    meeting's files, each time in a new process; in Chromium, the unmeasured sessions and the
    measured ones)."""

    page: int
    areas: int
    queries: int
    naive: int
    saves: int
    workspace_pages: int
    workspace_calls: int
    referrals: int
    exports: int
    browser_warm_ups: int
    browser_sessions: int

    @property
    def browser_plan(self) -> browser.Plan:
        return browser.Plan(self.browser_warm_ups, self.browser_sessions)


FULL = Repetitions(
    page=5,
    areas=3,
    queries=5,
    naive=3,
    saves=50,
    workspace_pages=10,
    workspace_calls=20,
    referrals=50,
    exports=3,
    browser_warm_ups=1,
    browser_sessions=5,
)
QUICK = Repetitions(
    page=2,
    areas=2,
    queries=2,
    naive=1,
    saves=10,
    workspace_pages=2,
    workspace_calls=2,
    referrals=5,
    exports=2,  # two new processes: their measurements are merged as in a full run
    browser_warm_ups=0,
    browser_sessions=1,
)
QUICK_SIZES = ("10k",)


@dataclass(frozen=True)
class Options:
    """What to run: which sizes, on which databases, how thoroughly."""

    sizes: tuple[str, ...] = tuple(datasets.SIZES)
    quick: bool = False
    regenerate: bool = False
    postgres_url: str | None = None
    in_browser: bool = True  # False: --no-browser
    only: str | None = None  # MEETING: those items alone (--only)

    @property
    def repetitions(self) -> Repetitions:
        return QUICK if self.quick else FULL

    @property
    def browser_skipped(self) -> str | None:
        """Why Chromium measures nothing in this run, or None when it measures."""
        if not self.in_browser:
            return "--no-browser"
        return browser.missing()

    @property
    def is_full_run(self) -> bool:
        """Only a full run (every size and item, not quick) rewrites bench/README.md."""
        return not self.quick and not self.only and set(self.sizes) == set(datasets.SIZES)


def say(message: str) -> None:
    """Progress on standard error; the table goes to standard output."""
    print(message, file=sys.stderr, flush=True)


# --- One dataset, every item


def first_area_id(url: str) -> int:
    """The area the page's filter change picks: the first one offered, in taxonomy order."""
    area = load_taxonomy(db.get_engine(url)).areas[0].id
    db.dispose_engine(url)
    return area


LOAD: list[float] = []  # the 1-minute load average after each item of this run


def _note_load() -> None:
    LOAD.append(os.getloadavg()[0])


def _measure(name: str, item: Callable[[Task], Measurement], task: Task) -> Measurement:
    measurement = in_child_process(item, task)
    _note_load()
    say(
        f"  {name}: {report.seconds(measurement.median)}, peak {measurement.peak_mb:.0f} MB, "
        f"load {LOAD[-1]:.1f}"
    )
    return measurement


def _rete_numbers(queries: dict[str, Measurement], cases: tuple[Case, ...]) -> dict[str, Numbers]:
    """The per-query children's numbers, put together per case."""
    return {
        case.name: {name: queries[name].numbers[case.name][name] for name in AGGREGATES}
        for case in cases
    }


def _disagreements(
    rete: dict[str, Numbers], floor: Measurement, naive: Measurement
) -> dict[str, list[str]]:
    """For each implementation and case, the aggregates that differ from Rete's."""
    found = {}
    for case, expected in rete.items():
        found[f"floor, {case}"] = differences(expected, floor.numbers[case])
        found[f"naive, {case}"] = differences(expected, naive.numbers[case])
    return found


def _page_items(task: Task, repetitions: Repetitions) -> list[Measurement]:
    """The Cruscotto through AppTest: cold cache, warm cache, after choosing an area."""
    return [
        _measure("page, cold cache", items.page_cold, task),
        _measure("page, warm cache", items.page_warm, task),
        _measure(
            "page, area chosen",
            items.page_after_area_choice,
            replace(task, repetitions=repetitions.areas),
        ),
    ]


def _query_items(task: Task, repetitions: Repetitions) -> dict[str, Measurement]:
    """Each of the page's queries on its own."""
    each = replace(task, repetitions=repetitions.queries)
    return {
        name: _measure(f"query {name}", items.rete_query, replace(each, query=name))
        for name in PAGE_QUERIES
    }


def _workspace_page_items(task: Task, subjects: Subjects) -> dict[str, Measurement]:
    """The workspace's pages through AppTest, warm runs (they cache nothing but the taxonomy)."""
    return {
        name: _measure(f"page {name}", items.page_warm, replace(task, visit=visit))
        for name, visit in page_visits(subjects).items()
    }


def _workspace_call_items(task: Task) -> dict[str, Measurement]:
    """The workspace's read functions, each on its own."""
    found = {}
    for name in CALLS:
        found[name] = _measure(name, items.workspace_call, replace(task, call=name))
        say(f"    found {found[name].counts}")
    return found


def _referral_items(task: Task) -> tuple[Measurement, Measurement]:
    """Referrals sent and taken in charge, in one child: each move needs its referral sent."""
    sends, moves = in_child_process(items.referral_writes, task)
    _note_load()
    for name, measurement in (("referral sent", sends), ("referral taken in charge", moves)):
        say(
            f"  {name}: {report.seconds(measurement.median)}, p95 "
            f"{report.seconds(measurement.p95)}, peak {measurement.peak_mb:.0f} MB"
        )
    return sends, moves


def measure_meeting(dataset: Dataset, repetitions: Repetitions) -> report.MeetingResult:
    """The meeting's items: its files, each run in a new process, then its page's warm runs.
    Nothing of them writes, so they run on the dataset itself."""
    task = Task(dataset.url, (), repetitions.exports, dataset.user)
    export, files = in_new_processes(meeting_side.meeting_files, task)
    _note_load()
    say(
        f"  meeting files: PowerPoint {report.seconds(export.median)}, peak "
        f"{export.peak_mb:.0f} MB; {_parts(files)}, peak {files.peak_mb:.0f} MB; found "
        f"{export.counts}, load {LOAD[-1]:.1f}"
    )
    pages = replace(task, repetitions=repetitions.workspace_pages)
    return report.MeetingResult(
        dataset=dataset,
        export=export,
        files=files,
        pages={
            name: _measure(f"page {name}", items.page_warm, replace(pages, visit=visit))
            for name, visit in meeting_side.page_visits().items()
        },
    )


def measure_accesslog(
    dataset: Dataset, repetitions: Repetitions, trail: accesslog_side.Trail | None = None
) -> report.AccessLogResult:
    """The access log's items: the dataset's trail (written once and kept, see
    bench.accesslog_side), its read functions in one child process, then the Registro's warm
    runs as the administrator. None of them writes, so they run on the dataset itself."""
    if trail is None:
        trail = _trail(dataset)
    calls = in_child_process(
        accesslog_side.trail_calls,
        accesslog_side.TrailTask(dataset.url, trail, repetitions.workspace_calls),
    )
    _note_load()
    for name, measured in calls.items():
        say(f"  {name}: {report.seconds(measured.median)}, found {measured.counts['rows']}")
    task = accesslog_side.page_task(
        Task(dataset.url, (), repetitions.workspace_pages, dataset.user), trail
    )
    pages = {
        name: _measure(f"page {name}", items.page_warm, replace(task, visit=visit))
        for name, visit in accesslog_side.page_visits(trail).items()
    }
    return report.AccessLogResult(dataset=dataset, trail=trail, calls=calls, pages=pages)


def _trail(dataset: Dataset) -> accesslog_side.Trail:
    trail = accesslog_side.ensure_trail(dataset.url, dataset.needs)
    say(f"  access log: {trail.entries:,} entries")
    return trail


def _parts(measurement: Measurement) -> str:
    return ", ".join(f"{name} {report.seconds(value)}" for name, value in measurement.parts.items())


def _browser_item(dataset: Dataset, url: str, repetitions: Repetitions) -> BrowserMeasurement:
    """The Cruscotto in Chromium on this dataset (on its scratch copy: a login writes), the
    benchmark's user logging in, the clock frozen as everywhere else."""
    name = f"Rete, {dataset.backend} {dataset.label}"
    say(f"  {name} in Chromium")
    measured = browser.measure_rete(
        name,
        url,
        (datasets.BENCH_USER, datasets.BENCH_PASSWORD),
        repetitions.browser_plan,
        needs=dataset.needs,
        today=FROZEN_TODAY,
    )
    _note_load()
    _say_browser(measured)
    return measured


def _say_browser(measured: BrowserMeasurement) -> None:
    say(
        f"  {measured.page}: drawn {report.seconds(measured.draw_median)}, redrawn "
        f"{report.seconds(measured.redraw_median)}, load {os.getloadavg()[0]:.1f}"
    )


def measure_dataset(
    dataset: Dataset,
    repetitions: Repetitions,
    scratch_copy: Callable[[Dataset], AbstractContextManager[str]],
    in_browser: bool = False,
) -> report.SizeResult:
    """Every measured item on one dataset, each in a child process of its own (and, when
    `in_browser`, the Cruscotto in Chromium).

    The workspace's items, the writes and the browser run on a scratch copy: opening a
    household card writes the audit trail, and so does a login. Its reads come first, so they
    see the dataset as generated."""
    say(f"{dataset.backend} {dataset.label} ({dataset.needs:,} needs)")
    cases = benchmark_cases(first_area_id(dataset.url))
    subjects = choose_subjects(dataset.url)
    say(f"  workspace subjects: {subjects}")
    # The trail first: the workspace's pages record their readings in it.
    trail = _trail(dataset)
    task = Task(dataset.url, cases, repetitions.page, dataset.user)
    page_cold, page_warm, page_area = _page_items(task, repetitions)
    queries = _query_items(task, repetitions)
    floor = _measure(
        "floor", items.floor_statements, replace(task, repetitions=repetitions.queries)
    )
    naive = _measure("naive", items.naive_baseline, replace(task, repetitions=repetitions.naive))
    meeting = measure_meeting(dataset, repetitions)
    accesslog = measure_accesslog(dataset, repetitions, trail)
    with scratch_copy(dataset) as url:
        on_copy = Task(url, (), repetitions.workspace_pages, dataset.user, subjects=subjects)
        workspace_pages = _workspace_page_items(on_copy, subjects)
        workspace_calls = _workspace_call_items(
            replace(on_copy, repetitions=repetitions.workspace_calls)
        )
        saves_task = Task(url, (), repetitions.saves, dataset.user)
        saves = _measure("saves", items.interview_saves, saves_task)
        referral_sends, referral_moves = _referral_items(
            replace(saves_task, repetitions=repetitions.referrals)
        )
        in_chromium = _browser_item(dataset, url, repetitions) if in_browser else None
    result = report.SizeResult(
        dataset=dataset,
        page_cold=page_cold,
        page_warm=page_warm,
        page_area=page_area,
        queries=queries,
        floor=floor,
        naive=naive,
        saves=saves,
        subjects=subjects,
        workspace_pages=workspace_pages,
        workspace_calls=workspace_calls,
        referral_sends=referral_sends,
        referral_moves=referral_moves,
        disagreements=_disagreements(_rete_numbers(queries, cases), floor, naive),
        meeting=meeting,
        accesslog=accesslog,
        browser=in_chromium,
    )
    say(f"  numbers: {'equal' if result.agree else result.disagreements}")
    return result


# --- The databases


def _sqlite_results(
    options: Options, directory: Path, measure: Callable[[Dataset, ScratchCopy], Measured]
) -> Iterator[Measured]:
    for label in options.sizes:
        dataset = _announced(
            partial(datasets.sqlite_dataset, label, directory, regenerate=options.regenerate)
        )
        yield measure(dataset, lambda d: datasets.sqlite_scratch_copy(d, directory))


def _postgres_results(
    options: Options, server_url: str, measure: Callable[[Dataset, ScratchCopy], Measured]
) -> Iterator[Measured]:
    for label in options.sizes:
        name = datasets.postgres_database_name(label)
        if options.quick:  # a throwaway database, dropped once measured
            name = f"rete_bench_quick_{uuid.uuid4().hex[:8]}"
        try:
            dataset = _announced(
                partial(
                    datasets.postgres_dataset,
                    label,
                    server_url,
                    name,
                    regenerate=options.regenerate,
                )
            )
            yield measure(dataset, lambda d: datasets.postgres_scratch_copy(d, server_url))
        finally:
            if options.quick:
                datasets.drop_database(server_url, name)


def on_each_dataset(
    options: Options, directory: Path, measure: Callable[[Dataset, ScratchCopy], Measured]
) -> list[Measured]:
    """`measure` on every dataset of the run, SQLite first, then PostgreSQL when asked; it is
    given the dataset, ready, and the way to copy it for the items that write."""
    found = list(_sqlite_results(options, directory, measure))
    if options.postgres_url:
        found += _postgres_results(options, options.postgres_url, measure)
    return found


def _announced(prepare: Callable[[], Dataset]) -> Dataset:
    """Prepare a dataset, saying whether it was generated or reused."""
    dataset = prepare()
    how = "generated in" if dataset.generated_now else "reused; generated earlier in"
    say(f"dataset {dataset.backend} {dataset.label}: {how} {dataset.generation_seconds:.0f} s")
    return dataset


@contextmanager
def workspace(options: Options) -> Iterator[Path]:
    """bench/data for a full or partial run; a temporary directory for a quick one."""
    if options.quick:
        with tempfile.TemporaryDirectory(prefix="rete-bench-") as directory:
            yield Path(directory)
    else:
        yield datasets.DATA_DIR


def _browser_yardsticks(options: Options) -> list[BrowserMeasurement]:
    """The bare page and Rete at the demo's volume in Chromium; a quick run skips both (the
    test suite keeps to one short browser session, Rete's at 10k)."""
    if options.browser_skipped or options.quick:
        return []
    plan = options.repetitions.browser_plan
    found = []
    for name, measure in (
        ("the bare page", partial(browser.measure_bare, plan)),
        ("Rete at the demo's volume", partial(browser.measure_demo, plan)),
    ):
        say(f"{name} in Chromium")
        found.append(measure())
        _note_load()
        _say_browser(found[-1])
    return found


def run_benchmark(options: Options) -> report.Report:
    """Measure every size on SQLite (and PostgreSQL when asked), then report."""
    started = time.perf_counter()
    LOAD.clear()
    skipped = options.browser_skipped
    if skipped:
        say(f"Chromium measurement skipped: {skipped}")
    yardsticks = _browser_yardsticks(options)

    def everything(dataset: Dataset, scratch_copy: ScratchCopy) -> report.SizeResult:
        in_browser = skipped is None and dataset.backend == SQLITE
        return measure_dataset(dataset, options.repetitions, scratch_copy, in_browser=in_browser)

    with workspace(options) as directory:
        results = on_each_dataset(options, directory, everything)
    return report.Report(
        results=results,
        machine=_machine(options),
        seconds=time.perf_counter() - started,
        quick=options.quick,
        load=tuple(LOAD),
        browser=tuple(yardsticks),
        browser_skipped=skipped,
    )


def _machine(options: Options) -> list[str]:
    version = datasets.server_version(options.postgres_url) if options.postgres_url else None
    return report.machine(version)


def run_meeting_items(options: Options) -> list[report.MeetingResult]:
    """The meeting's items alone, on every dataset of the run (`--only meeting`)."""
    LOAD.clear()
    with workspace(options) as directory:
        return on_each_dataset(
            options, directory, lambda dataset, _: measure_meeting(dataset, options.repetitions)
        )


def run_accesslog_items(options: Options) -> list[report.AccessLogResult]:
    """The access log's items alone, on every dataset of the run (`--only accesslog`)."""
    LOAD.clear()
    with workspace(options) as directory:
        return on_each_dataset(
            options, directory, lambda dataset, _: measure_accesslog(dataset, options.repetitions)
        )


def measure_erasure(
    dataset: Dataset, scratch_copy: ScratchCopy, repetitions: Repetitions
) -> ErasureResult:
    """A household's erasure and the retention job (bench.erasure_side), each in a child
    process, on a scratch copy of the dataset: both write."""
    with scratch_copy(dataset) as url:
        task = Task(url, (), repetitions.saves, dataset.user)
        erased = _measure("erasure of one household", erasures, task)
        say(f"    found {erased.counts}")
        dry, run = in_child_process(retention_job, replace(task, repetitions=1))
        _note_load()
        say(
            f"  retention: dry run {report.seconds(dry.median)}, run {report.seconds(run.median)}, "
            f"peak {run.peak_mb:.0f} MB, {run.counts}, load {LOAD[-1]:.1f}"
        )
    return ErasureResult(f"{dataset.backend} {dataset.label}", dataset.needs, erased, dry, run)


def run_erasure_items(options: Options) -> list[ErasureResult]:
    """The erasure and the retention job alone, on every dataset of the run (`--only erasure`)."""
    LOAD.clear()
    with workspace(options) as directory:
        return on_each_dataset(
            options,
            directory,
            lambda dataset, scratch_copy: measure_erasure(
                dataset, scratch_copy, options.repetitions
            ),
        )


def run_quick(postgres_url: str | None = None) -> report.Report:
    """The quick mode the test suite runs: 10k only, nothing written into the repository."""
    return run_benchmark(Options(sizes=QUICK_SIZES, quick=True, postgres_url=postgres_url))


# --- Command line


def parse_options(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="10k only, few repetitions, temp dir")
    parser.add_argument("--regenerate", action="store_true", help="generate the datasets again")
    parser.add_argument(
        "--postgres", metavar="URL", help=f"PostgreSQL server to use too (default: ${POSTGRES_ENV})"
    )
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument(
        "--no-browser", action="store_true", help="skip the Chromium measurement (bench/browser.py)"
    )
    parser.add_argument(
        "--only",
        choices=(MEETING, ACCESSLOG, ERASURE),
        help="measure these items alone (prints their rows, does not rewrite the README)",
    )
    parser.add_argument(
        "--sizes",
        default=",".join(datasets.SIZES),
        help="comma-separated subset of 10k,100k,1M (a partial run does not rewrite the README)",
    )
    args = parser.parse_args(argv)
    sizes = QUICK_SIZES if args.quick else tuple(args.sizes.split(","))
    unknown = set(sizes) - set(datasets.SIZES)
    if unknown:
        parser.error(f"unknown sizes: {', '.join(sorted(unknown))}")
    postgres = None if args.no_postgres else (args.postgres or os.environ.get(POSTGRES_ENV))
    return Options(
        sizes,
        args.quick,
        args.regenerate,
        postgres,
        in_browser=not args.no_browser,
        only=args.only,
    )


def main(argv: list[str] | None = None) -> int:
    options = parse_options(argv)
    if options.only == MEETING:
        found = run_meeting_items(options)
        print(report.meeting_markdown(found, _machine(options), LOAD))
        return 0
    if options.only == ERASURE:
        erased = run_erasure_items(options)
        print(erasure_markdown(erased, _machine(options)))
        return 0
    if options.only == ACCESSLOG:
        trails = run_accesslog_items(options)
        print(report.accesslog_markdown(trails, _machine(options), LOAD))
        return 0
    result = run_benchmark(options)
    print(result.markdown())
    if options.is_full_run:
        report.write_readme(result)
        say(f"results written to {report.README.relative_to(ROOT)}")
    if not result.agree:
        say("the numbers of Rete, the naive baseline and the floor differ: see the table")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
