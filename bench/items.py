"""Each measured item runs in a child process of its own (spawned), so its peak RSS is its own.

A child gets a `Task`, repeats its item, and returns a `Measurement`: the seconds of every
repetition, its peak RSS (`ru_maxrss`: a process's peak only grows, hence one process per item),
and the numbers it computed for each filter case, which the parent compares.

The items: the Cruscotto and the workspace's pages through AppTest, the Cruscotto's queries,
the floor, the naive baseline, the workspace's read functions, and three writes (an interview
saved, a referral sent, a referral taken in charge).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import random
import resource
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from bench.canonical import FROZEN_TODAY, Case, Numbers
from bench.workspace_side import PageVisit, Subjects

APP = str(Path(__file__).resolve().parent.parent / "app.py")
APP_TIMEOUT = 600  # seconds AppTest waits for one run of the script
AREA_WIDGET = "f_areas"
SAVE_WARM_UPS = 2  # saves before the measured ones: the connection and its pages get ready
NAIVE_BUDGET_SECONDS = 30.0  # the naive baseline stops repeating once it has spent this long
SAVE_SEED = 6
REFERRAL_SEED = 12
CALL_WARM_UPS = 1  # calls of a workspace function before the measured ones
STATUS_FILE = Path("/proc/self/status")
CRUSCOTTO = PageVisit("pages/cruscotto.py", "Cruscotto")
HOME = "pages/da_seguire.py"  # the bench user's (an operatore) landing page

T = TypeVar("T")


@dataclass(frozen=True)
class Task:
    """What a child measures: on which database, for which filter cases, how many times."""

    url: str
    cases: tuple[Case, ...]
    repetitions: int
    user: tuple[int, str, str, str] = (0, "", "", "")
    query: str = ""  # one of the Cruscotto's queries (bench.rete_side.PAGE_QUERIES)
    visit: PageVisit = CRUSCOTTO  # the page the page items run
    call: str = ""  # one of the workspace's functions (bench.workspace_side.CALLS)
    subjects: Subjects | None = None  # the records the workspace's items open


@dataclass(frozen=True)
class Measurement:
    """What a child measured."""

    seconds: tuple[float, ...]
    peak_mb: float
    numbers: dict[str, Numbers] = field(default_factory=dict)  # case name -> numbers
    first_seconds: float | None = None  # page items: the first run of the new process
    parts: dict[str, float] = field(default_factory=dict)  # floor: median per statement
    counts: dict[str, int] = field(default_factory=dict)  # what a workspace call found

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def p95(self) -> float:
        return statistics.quantiles(self.seconds, n=100, method="inclusive")[94]


def in_child_process(item: Callable[[Task], T], task: Task) -> T:
    """Run one measured item in a fresh spawned process and return what it measured."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(item, task).result()


def in_new_processes(
    item: Callable[[Task], tuple[Measurement, ...]], task: Task
) -> tuple[Measurement, ...]:
    """Run an item once in each of `task.repetitions` fresh processes: every run is a first
    one (no connection, statement or result cached before it). Each of its measurements becomes
    one with the runs' seconds, the highest peak and the median of each part."""
    runs = [in_child_process(item, task) for _ in range(task.repetitions)]
    return tuple(_merged(measured) for measured in zip(*runs, strict=True))


def _merged(runs: tuple[Measurement, ...]) -> Measurement:
    """One measurement from the same item's runs, which must have found the same counts."""
    counts = runs[0].counts
    if any(run.counts != counts for run in runs):
        raise RuntimeError(f"the runs found different things: {[run.counts for run in runs]}")
    return Measurement(
        seconds=tuple(seconds for run in runs for seconds in run.seconds),
        peak_mb=max(run.peak_mb for run in runs),
        parts={name: statistics.median(run.parts[name] for run in runs) for name in runs[0].parts},
        counts=counts,
    )


def peak_mb() -> float:
    """This process's own peak resident memory so far, in MB.

    Linux keeps `ru_maxrss` across the fork and exec that start a spawned child, so there it
    reports at least the parent's RSS at that moment (checked: 515 MB in a child of a 500 MB
    parent, whose own peak was 16 MB). VmHWM is the high-water mark of this process's own
    memory; `ru_maxrss` (KiB on Linux) is the fallback where /proc is missing.
    """
    try:
        for line in STATUS_FILE.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def _freeze_the_clock() -> None:
    """Rete's 'today' (default period, 'in ritardo') becomes the benchmark's frozen day."""
    from rete import config

    config.today = lambda: FROZEN_TODAY


# --- The pages, through AppTest


def _quiet_streamlit() -> None:
    """AppTest outside a server logs a warning per call ('missing ScriptRunContext')."""
    os.environ["STREAMLIT_LOGGER_LEVEL"] = "error"
    from streamlit import logger

    logger.set_log_level(logging.ERROR)


def _navigation_as_in_the_server() -> None:
    """Keep Streamlit's pages/ folder mode off after every PagesManager init, as the server
    does (see tests/conftest.py): otherwise reruns execute the page file alone."""
    from streamlit.runtime.pages_manager import PagesManager

    original = PagesManager.__init__

    def init(self: PagesManager, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    PagesManager.__init__ = init  # type: ignore[method-assign]


def _page(task: Task) -> Any:
    """AppTest on app.py with the benchmark's user logged in and the task's page asked for in
    the URL (the user's home needs no switch), its first run done and timed; then the page's
    text inputs typed and its other widgets set, each with its rerun (not timed)."""
    os.environ["RETE_DATABASE_URL"] = task.url
    _quiet_streamlit()
    _freeze_the_clock()
    _navigation_as_in_the_server()
    from streamlit.testing.v1 import AppTest

    from rete import access, auth

    visit = task.visit
    app = AppTest.from_file(APP, default_timeout=APP_TIMEOUT)
    app.session_state["rete_user"] = auth.CurrentUser(*task.user)
    for name, value in visit.params:
        app.query_params[name] = value
    if visit.file != HOME:
        # Before the first run AppTest names the page by its file: where the url path is the
        # file's name the first run opens the page itself, as a link to it would. Elsewhere
        # (pages/rete_enti.py is at "rete") that run would land on the home: it is run first,
        # untimed, and the switch follows it.
        url_path = {spec.file: spec.key for spec in access.PAGES}[visit.file]
        if url_path != Path(visit.file).stem:
            app.run()
        app.switch_page(visit.file)
    seconds, _ = timed(app.run)
    _check_page(app, visit, shown=False)
    _quiet_streamlit()  # the first run reads Streamlit's config, log level included
    for key, value in visit.typed:
        app.text_input(key=key).input(value).run()
        _check_page(app, visit, shown=False)
    for accessor, key, choice in visit.chosen:
        getattr(app, accessor)(key=key).set_value(choice).run()
        _check_page(app, visit, shown=False)
    _check_page(app, visit)
    return app, seconds


def _check_page(app: Any, visit: PageVisit, *, shown: bool = True) -> None:
    """A run that raised, showed an error or did not reach its page measures nothing: stop
    loudly. (The Cruscotto shows no st.error on a normal run, nor does any workspace page.)
    Once every input is set, the run must also show the visit's text and charts (`shown`)."""
    if app.exception or app.error or not app.title or app.title[0].value != visit.title:
        errors = [e.value for e in app.exception] + [e.value for e in app.error]
        titles = [t.value for t in app.title]
        raise RuntimeError(f"{visit.title} did not render: {titles} {errors}")
    if shown and visit.shows:
        texts = [e.value for kind in (app.markdown, app.caption, app.header) for e in kind]
        if not any(visit.shows in text for text in texts):
            raise RuntimeError(f"{visit.title} does not show {visit.shows!r}: {texts}")
    if shown and len(app.get("plotly_chart")) < visit.charts:
        raise RuntimeError(f"{visit.title} drew fewer than {visit.charts} charts")


def _page_runs(task: Task, before_each: Callable[[], None]) -> Measurement:
    """Full script runs of the page, `before_each` done before each (and not timed)."""
    app, first = _page(task)
    seconds = []
    for _ in range(task.repetitions):
        before_each()
        elapsed, _ = timed(app.run)
        _check_page(app, task.visit)
        seconds.append(elapsed)
    return Measurement(tuple(seconds), peak_mb(), first_seconds=first)


def page_cold(task: Task) -> Measurement:
    """Full script runs with the queries and figures uncached (after a write changed them)."""

    def forget() -> None:
        from rete.ui import dashboard  # imported once _page has set the database up

        dashboard.forget_results()

    return _page_runs(task, forget)


def page_warm(task: Task) -> Measurement:
    """Full script runs with every query already in the cache (a user rerunning the page).

    The workspace's pages cache nothing but the taxonomy: each run reads its records again."""
    return _page_runs(task, lambda: None)


def page_after_area_choice(task: Task) -> Measurement:
    """Full script runs after choosing one area in the sidebar, a different one each time."""
    app, first = _page(task)
    areas = list(app.multiselect(key=AREA_WIDGET).options)
    seconds = []
    for area in areas[: task.repetitions]:
        chosen = app.multiselect(key=AREA_WIDGET).set_value([area])
        elapsed, _ = timed(chosen.run)
        _check_page(app, task.visit)
        seconds.append(elapsed)
    return Measurement(tuple(seconds), peak_mb(), first_seconds=first)


# --- Rete's queries, the floor and the naive baseline


def rete_query(task: Task) -> Measurement:
    """One of the page's queries on its own, repeated on the first case; once on the others.

    One unmeasured call first: a running app has its connection pool and SQLAlchemy's
    statement cache ready (the cold page run is where a first call is measured).
    """
    from bench.rete_side import PAGE_QUERIES
    from rete import db

    query = PAGE_QUERIES[task.query]
    engine = db.get_engine(task.url)
    first, *others = task.cases
    rows = query.run(engine, first.filters, FROZEN_TODAY)
    seconds = []
    for _ in range(task.repetitions):
        elapsed, rows = timed(lambda: query.run(engine, first.filters, FROZEN_TODAY))
        seconds.append(elapsed)
    numbers: dict[str, Numbers] = {first.name: {task.query: rows}}
    for case in others:
        numbers[case.name] = {task.query: query.run(engine, case.filters, FROZEN_TODAY)}
    return Measurement(tuple(seconds), peak_mb(), numbers)


def floor_statements(task: Task) -> Measurement:
    """The hand-written statements, all of them per repetition; the numbers of every case.

    One unmeasured pass first, as for Rete's queries.
    """
    from bench import floor
    from rete import db

    engine = db.get_engine(task.url)
    first, *others = task.cases
    floor.floor_numbers(engine, first.filters, FROZEN_TODAY)
    per_statement: dict[str, list[float]] = {name: [] for name in floor.STATEMENTS}
    totals, numbers = [], {}
    with engine.connect() as connection:
        for _ in range(task.repetitions):
            found: Numbers = {}
            for name, statement in floor.STATEMENTS.items():
                elapsed, found[name] = timed(
                    partial(statement, connection, first.filters, FROZEN_TODAY)
                )
                per_statement[name].append(elapsed)
            totals.append(sum(times[-1] for times in per_statement.values()))
            numbers[first.name] = found
    for case in others:
        numbers[case.name] = floor.floor_numbers(engine, case.filters, FROZEN_TODAY)
    parts = {name: statistics.median(times) for name, times in per_statement.items()}
    return Measurement(tuple(totals), peak_mb(), numbers, parts=parts)


def naive_baseline(task: Task) -> Measurement:
    """Load the whole base tables, merge, aggregate: timed together, per repetition (fewer
    repetitions once NAIVE_BUDGET_SECONDS are spent: at 1M one takes about 20 s)."""
    from bench import naive
    from rete import db

    engine = db.get_engine(task.url)
    first, *others = task.cases
    seconds, numbers = [], {}

    def everything() -> tuple[naive.Joined, Numbers]:
        joined = naive.join_tables(naive.load_tables(engine))
        return joined, naive.naive_numbers(joined, first.filters, FROZEN_TODAY)

    for _ in range(task.repetitions):
        elapsed, (joined, numbers[first.name]) = timed(everything)
        seconds.append(elapsed)
        if sum(seconds) > NAIVE_BUDGET_SECONDS:
            break
    for case in others:  # the tables are in memory already, as a naive dashboard would keep them
        numbers[case.name] = naive.naive_numbers(joined, case.filters, FROZEN_TODAY)
    return Measurement(tuple(seconds), peak_mb(), numbers)


# --- Saving an interview


def _save_inputs(url: str) -> tuple[list[int], list[int]]:
    """Household ids to save interviews for, and the specific needs to record."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from rete import db
    from rete.models import Category, Household

    with Session(db.get_engine(url)) as session:
        households = list(session.scalars(select(Household.id)))
        needs = list(session.scalars(select(Category.id).where(Category.parent_id.is_not(None))))
    return households, needs


def interview_saves(task: Task) -> Measurement:
    """`records.record_interview` with two needs, each in its own committed transaction."""
    from bench.canonical import DATA_LAST_DAY
    from rete import auth, db, records
    from rete.db import session_scope

    engine = db.get_engine(task.url)
    households, needs = _save_inputs(task.url)
    rng = random.Random(SAVE_SEED)

    def save() -> None:
        first, second = rng.sample(needs, 2)
        with session_scope(engine) as session:
            records.record_interview(
                session,
                auth.CurrentUser(*task.user),
                household_id=rng.choice(households),
                held_on=DATA_LAST_DAY,
                channel_code="telefono",
                needs=[records.NeedInput(first, "medium"), records.NeedInput(second, "high")],
                today=FROZEN_TODAY,
            )

    for _ in range(SAVE_WARM_UPS):
        save()
    seconds = tuple(timed(save)[0] for _ in range(task.repetitions))
    return Measurement(seconds, peak_mb())


# --- The workspace's read functions


def workspace_call(task: Task) -> Measurement:
    """One read function of the workspace, called the way its page calls it, repeated.

    One unmeasured call first (the connection pool and SQLAlchemy's statement cache get ready;
    `household_card` writes its audit entry then, and only checks for it afterwards, as when a
    page redraws itself). What the call found is returned with the times."""
    from bench.workspace_side import CALLS
    from rete import auth, db

    subjects = task.subjects
    assert subjects is not None
    call = CALLS[task.call]
    engine = db.get_engine(task.url)
    actor = auth.CurrentUser(*task.user)

    def once() -> dict[str, int]:
        return call.run(engine, actor, subjects, FROZEN_TODAY)

    for _ in range(CALL_WARM_UPS):
        counts = once()
    seconds = []
    for _ in range(task.repetitions):
        elapsed, found = timed(once)
        if found != counts:
            raise RuntimeError(f"{task.call} found {found}, then {counts}")
        seconds.append(elapsed)
    return Measurement(tuple(seconds), peak_mb(), counts=counts)


# --- Sending a referral and recording that the partner took it in charge


def _referral_inputs(url: str) -> tuple[list[int], list[tuple[int, int | None]]]:
    """Live needs with no referral open (status 'open'), and every active partner with the
    contact a referral to it goes to (its primary one; None when it has none)."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from rete import db
    from rete.models import Contact, NeedFact, Partner

    with Session(db.get_engine(url)) as session:
        needs = list(
            session.scalars(
                select(NeedFact.need_id).where(NeedFact.status == "open").order_by(NeedFact.need_id)
            )
        )
        partners = list(session.scalars(select(Partner.id).where(Partner.active)))
        contacts: dict[int, int] = {}
        for partner_id, contact_id in session.execute(
            select(Contact.partner_id, Contact.id).order_by(
                Contact.partner_id, Contact.is_primary.desc(), Contact.id
            )
        ):
            contacts.setdefault(partner_id, contact_id)
    return needs, [(partner, contacts.get(partner)) for partner in sorted(partners)]


def referral_writes(task: Task) -> tuple[Measurement, Measurement]:
    """`referrals.send_referral`, then `referrals.move_referral(..., "accept")` on the referral
    just sent, each in its own committed transaction, on needs with no referral open: the
    seconds of the sends and of the moves (SAVE_WARM_UPS pairs first, unmeasured)."""
    from rete import auth, db, referrals
    from rete.db import session_scope

    engine = db.get_engine(task.url)
    actor = auth.CurrentUser(*task.user)
    needs, partners = _referral_inputs(task.url)
    rng = random.Random(REFERRAL_SEED)
    chosen = rng.sample(needs, SAVE_WARM_UPS + task.repetitions)

    def send(need_id: int) -> tuple[int, int]:
        partner_id, contact_id = rng.choice(partners)
        with session_scope(engine) as session:
            referral = referrals.send_referral(
                session,
                actor,
                referrals.ReferralInput(
                    need_id=need_id,
                    partner_id=partner_id,
                    contact_id=contact_id,
                    channel_code="telefono",
                    sent_on=FROZEN_TODAY,
                    consent_given=True,
                ),
                today=FROZEN_TODAY,
            )
            return referral.id, referral.version

    def accept(referral_id: int, version: int) -> None:
        with session_scope(engine) as session:
            referrals.move_referral(
                session,
                actor,
                referral_id,
                "accept",
                version=version,
                on=FROZEN_TODAY,
                today=FROZEN_TODAY,
            )

    sends, moves = [], []
    for index, need_id in enumerate(chosen):
        sent_in, (referral_id, version) = timed(partial(send, need_id))
        moved_in, _ = timed(partial(accept, referral_id, version))
        if index >= SAVE_WARM_UPS:
            sends.append(sent_in)
            moves.append(moved_in)
    peak = peak_mb()
    return Measurement(tuple(sends), peak), Measurement(tuple(moves), peak)
