"""Where a person waits: the Cruscotto drawn and redrawn in Chromium, against a bare page.

Each measured page runs in a real `streamlit run` server (headless, on a free port) and is
driven by Debian's Chromium through Playwright, as the browser tests do:

- **drawn**: for Rete, from the click on «Accedi» (the login form was opened from a link to
  the Cruscotto) to the five charts drawn, the script idle and no placeholder left; for the
  bare page (bench/bare_page.py), from the start of the navigation to the same state;
- **redrawn**: from the click on an option of a sidebar select (Rete: «Area di bisogno», a
  different area each time, so its queries are never cached; the bare page: «Periodo») to
  every chart drawn again with new data and the script idle.

Each repetition uses a fresh browser context (no cookie, a new Streamlit session), after
unmeasured warm-ups: the server has imported its modules, Chromium has its code cache, and
Rete's default view is in its query cache, as for any viewer after the first one. Alongside
the times, Chromium's own counters (CDP `Performance.getMetrics`) say how long its main
thread was busy during the wait, and how much of that was JavaScript, layout and style; the
rest of the wait is the network and the server. How long the app said its script was running
(Streamlit's script state, read at every frame) gives the server's part.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
PROJECT = Path(__file__).resolve().parent.parent
BARE_PAGE = "bench/bare_page.py"
APP = "app.py"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
VIEWPORT = {"width": 1440, "height": 900}  # the laptop management uses
CHARTS = 5
STARTUP_SECONDS = 120
WAIT_MS = int(
    os.environ.get("BENCH_BROWSER_WAIT_MS", "180000")
)  # the longest one draw may take before the measurement gives up
AREA_SELECT = "Area di bisogno"
BARE_SELECT = "Periodo"
SELECT_ALL = "Select all"  # Streamlit's own first option of a multiselect: not an area
DEMO_USER = ("direzione", "demo")  # the demo's director: the Cruscotto is their home
# Chromium's main-thread counters (seconds, cumulative), read before and after each wait.
COUNTERS = {
    "busy": "TaskDuration",
    "script": "ScriptDuration",
    "layout": "LayoutDuration",
    "style": "RecalcStyleDuration",
}

# `python -c LAUNCHER <day> run <script> ...`: Streamlit's command line in a process whose
# `rete.config.today` is the given day, as the benchmark's other items freeze it (Rete reads
# no setting for it). An empty day leaves the clock alone.
LAUNCHER = """
import datetime, sys
day = sys.argv.pop(1)
if day:
    from rete import config
    frozen = datetime.date.fromisoformat(day)
    config.today = lambda: frozen
sys.argv[0] = "streamlit"
from streamlit.web.cli import main
main()
"""

_PLACEHOLDERS = ", ".join(
    f'[data-testid="{testid}"]' for testid in ("stSkeleton", "stSkeletonElement", "stAppSkeleton")
)
# True once Streamlit is connected and idle, nothing is a placeholder, and `n` charts are
# drawn; with `before` (the charts' data before a change), only once each chart has new data.
# Checked at every frame, it also adds up how long the app said its script was running
# (`window.__benchRun.total`, milliseconds): the server's part of the wait, as seen from here.
_DRAWN = (
    """([n, before]) => {
  const app = document.querySelector("[data-testid='stApp']");
  const state = app && app.getAttribute('data-test-script-state');
  const now = performance.now();
  const run = window.__benchRun || (window.__benchRun = { total: 0, since: null });
  if (state === 'running' && run.since === null) run.since = now;
  if (state !== 'running' && run.since !== null) { run.total += now - run.since; run.since = null; }
  if (!app || app.getAttribute('data-test-connection-state') !== 'CONNECTED'
      || state !== 'notRunning') return false;
  if (document.querySelector('"""
    + _PLACEHOLDERS.replace("'", "\\'")
    + """')) return false;
  const plots = [...document.querySelectorAll('.js-plotly-plot')];
  if (plots.length !== n) return false;
  const drawn = plots.every((p) => p._fullLayout && p.querySelector('.main-svg')
      && p.querySelectorAll('.trace, .hm').length > 0);
  if (!drawn) return false;
  if (!before) return true;
  return plots.every((p, i) => p._fullData !== window.__benchBefore[i]);
}"""
)
_REMEMBER = "() => { window.__benchRun = null; window.__benchBefore = [...document"
_REMEMBER += ".querySelectorAll('.js-plotly-plot')].map((p) => p._fullData); }"
_SCRIPT_RAN = "() => (window.__benchRun ? window.__benchRun.total : 0) / 1000"


def missing() -> str | None:
    """Why the browser measurement cannot run here, or None when it can."""
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} not found (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (pip install -r requirements-dev.txt)"
    return None


@dataclass(frozen=True)
class Plan:
    """How many unmeasured warm-ups, then how many measured repetitions."""

    warm_ups: int
    repetitions: int


@dataclass(frozen=True)
class BrowserMeasurement:
    """One page measured in Chromium: seconds to draw and to redraw, and where they went."""

    page: str  # "bare page", "Rete, demo volume", "Rete, SQLite 10k"
    draw: tuple[float, ...]
    redraw: tuple[float, ...]
    # Median seconds of Chromium's main thread during each wait: "draw busy", "redraw script"…
    parts: dict[str, float] = field(default_factory=dict)
    needs: int | None = None  # the needs in the database (None for the bare page)

    @property
    def draw_median(self) -> float:
        return statistics.median(self.draw)

    @property
    def redraw_median(self) -> float:
        return statistics.median(self.redraw)

    @property
    def draw_p95(self) -> float:
        return _p95(self.draw)

    @property
    def redraw_p95(self) -> float:
        return _p95(self.redraw)


def _p95(values: tuple[float, ...]) -> float:
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[94]


# --- The server


def free_port() -> int:
    """A TCP port nobody listens on (also the browser tests' server, tests/browser_helpers)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_until_healthy(
    url: str, server: subprocess.Popen[bytes], seconds: float = STARTUP_SECONDS
) -> None:
    """Until `streamlit run` answers its health check; an error if it exits or is too slow."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"streamlit exited with {server.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError("streamlit did not start in time")


@contextmanager
def streamlit_server(
    script: str, log: Path, env: dict[str, str] | None = None, today: dt.date | None = None
) -> Iterator[str]:
    """`streamlit run <script>` on a free port, headless, its clock frozen on `today` when
    given; yields its address. Its output goes to `log`."""
    port = free_port()
    command = [
        sys.executable,
        "-c",
        LAUNCHER,
        today.isoformat() if today else "",
        "run",
        script,
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
        "--server.fileWatcherType",
        "none",
        "--browser.gatherUsageStats",
        "false",
    ]
    with log.open("w") as output:
        server = subprocess.Popen(
            command,
            cwd=PROJECT,
            env={**os.environ, **(env or {})},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until_healthy(url, server)
            yield url
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


# --- Driving Chromium


def _counters(cdp: Any) -> dict[str, float]:
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    return {name: float(metrics.get(metric, 0.0)) for name, metric in COUNTERS.items()}


@dataclass
class _Timings:
    draw: list[float] = field(default_factory=list)
    redraw: list[float] = field(default_factory=list)
    parts: dict[str, list[float]] = field(default_factory=dict)

    def note(
        self, kind: str, seconds: float, before: dict[str, float], after: dict[str, float]
    ) -> None:
        getattr(self, kind).append(seconds)
        for name, value in after.items():
            self.parts.setdefault(f"{kind} {name}", []).append(value - before.get(name, 0.0))


_STATE = (
    """() => {
  const app = document.querySelector("[data-testid='stApp']");
  const plots = [...document.querySelectorAll('.js-plotly-plot')];
  return {
    address: location.pathname,
    connection: app && app.getAttribute('data-test-connection-state'),
    script: app && app.getAttribute('data-test-script-state'),
    placeholders: document.querySelectorAll('"""
    + _PLACEHOLDERS.replace("'", "\\'")
    + """').length,
    charts: plots.map((p) => ({
      drawn: !!(p._fullLayout && p.querySelector('.main-svg')),
      traces: p.querySelectorAll('.trace, .hm').length,
      changed: !!window.__benchBefore && p._fullData !== window.__benchBefore[plots.indexOf(p)],
    })),
    title: document.title,
  };
}"""
)


def _wait_drawn(page: Any, changed: bool) -> None:
    """Until the page is drawn (and, with `changed`, redrawn with new data); on a timeout,
    what the page looked like."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(_DRAWN, arg=[CHARTS, changed], polling="raf", timeout=WAIT_MS)
    except PlaywrightTimeout as error:
        raise RuntimeError(f"the page was not drawn: {page.evaluate(_STATE)}") from error


def _timed_wait(
    page: Any, cdp: Any, act: Callable[[], None], changed: bool
) -> tuple[float, dict[str, float], dict[str, float]]:
    before = _counters(cdp)
    started = time.perf_counter()
    act()
    _wait_drawn(page, changed)
    seconds = time.perf_counter() - started
    after = _counters(cdp)
    after["server"] = float(page.evaluate(_SCRIPT_RAN))
    return seconds, before, after


def _open_list(page: Any, label: str) -> None:
    """Open a sidebar select's list. Its pop-up closes when the page scrolls, and Playwright
    scrolls a box into view as part of a click: scroll first, then click (a few times at
    most), as the browser tests do."""
    box = page.get_by_test_id("stSidebar").get_by_role("combobox", name=label, exact=True)
    box.scroll_into_view_if_needed()
    for _ in range(3):
        page.wait_for_timeout(200)
        box.click()
        try:
            page.wait_for_function(
                "(box) => box.getAttribute('aria-expanded') === 'true'",
                arg=box.element_handle(),
                timeout=2_000,
            )
            return
        except Exception:  # Playwright's timeout: the next click tries again
            continue
    raise RuntimeError(f"the list of «{label}» does not open")


def _pick(page: Any, label: str, option: str) -> Callable[[], None]:
    """Open the sidebar select `label`; returns the click on `option` (the measured act)."""
    _open_list(page, label)
    choice = page.get_by_role("option", name=option, exact=True)
    choice.wait_for(state="visible")
    page.evaluate(_REMEMBER)
    return choice.click  # type: ignore[no-any-return]


def _options(page: Any, label: str) -> list[str]:
    """The options a sidebar select offers (its list opened and closed again)."""
    _open_list(page, label)
    page.get_by_role("option").first.wait_for(state="visible")
    names = [o.inner_text().strip() for o in page.get_by_role("option").all()]
    names = [name for name in names if name != SELECT_ALL]
    page.keyboard.press("Escape")
    return names


def _session(
    browser: Any, timings: _Timings | None, visit: Callable[[Any, Any, _Timings], None]
) -> None:
    """One repetition in a fresh context (no cookies): measured when `timings` is given."""
    context = browser.new_context(viewport=VIEWPORT, locale="it-IT")
    context.set_default_timeout(WAIT_MS)
    try:
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Performance.enable")
        visit(page, cdp, timings if timings is not None else _Timings())
    finally:
        context.close()


def _rete_visit(
    url: str, user: tuple[str, str], area: Callable[[list[str]], str]
) -> Callable[[Any, Any, _Timings], None]:
    def visit(page: Any, cdp: Any, timings: _Timings) -> None:
        page.goto(f"{url}/cruscotto")
        page.get_by_label("Nome utente").fill(user[0])
        page.get_by_label("Password", exact=True).fill(user[1])
        button = page.get_by_role("button", name="Accedi")
        timings.note("draw", *_timed_wait(page, cdp, button.click, changed=False))
        click = _pick(page, AREA_SELECT, area(_options(page, AREA_SELECT)))
        timings.note("redraw", *_timed_wait(page, cdp, click, changed=True))

    return visit


def _bare_visit(
    url: str, choice: Callable[[list[str]], str]
) -> Callable[[Any, Any, _Timings], None]:
    def visit(page: Any, cdp: Any, timings: _Timings) -> None:
        go = lambda: page.goto(url, wait_until="commit")  # noqa: E731
        timings.note("draw", *_timed_wait(page, cdp, go, changed=False))
        options = _options(page, BARE_SELECT)
        click = _pick(page, BARE_SELECT, choice(options[1:]))
        timings.note("redraw", *_timed_wait(page, cdp, click, changed=True))

    return visit


def _measure(
    name: str,
    plan: Plan,
    make_visit: Callable[[int], Callable[[Any, Any, _Timings], None]],
    needs: int | None,
) -> BrowserMeasurement:
    """Warm-ups, then the measured repetitions, each in its own context of one Chromium."""
    from playwright.sync_api import sync_playwright

    timings = _Timings()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            for index in range(plan.warm_ups + plan.repetitions):
                measured = index >= plan.warm_ups
                _session(browser, timings if measured else None, make_visit(index))
        finally:
            browser.close()
    parts = {key: statistics.median(values) for key, values in timings.parts.items()}
    return BrowserMeasurement(name, tuple(timings.draw), tuple(timings.redraw), parts, needs)


# --- The pages measured


def measure_rete(
    name: str,
    database_url: str,
    user: tuple[str, str],
    plan: Plan,
    *,
    needs: int | None = None,
    today: dt.date | None = None,
    env: dict[str, str] | None = None,
) -> BrowserMeasurement:
    """Rete's Cruscotto on `database_url`, logged in as `user` (name, password).

    Logging in writes into the database (the session, the audit trail): give it a copy."""

    def area(index: int) -> Callable[[list[str]], str]:
        return lambda options: options[index % len(options)]

    with tempfile.TemporaryDirectory(prefix="rete-browser-") as folder:
        settings = {"RETE_DATABASE_URL": database_url, **(env or {})}
        log = Path(folder) / "streamlit.log"
        with streamlit_server(APP, log, settings, today) as url:
            return _measure(name, plan, lambda index: _rete_visit(url, user, area(index)), needs)


def measure_bare(plan: Plan) -> BrowserMeasurement:
    """The bare page (bench/bare_page.py): no database, no login."""

    def choice(index: int) -> Callable[[list[str]], str]:
        return lambda options: options[index % len(options)]

    with (
        tempfile.TemporaryDirectory(prefix="rete-browser-") as folder,
        streamlit_server(BARE_PAGE, Path(folder) / "streamlit.log") as url,
    ):
        return _measure("bare page", plan, lambda index: _bare_visit(url, choice(index)), None)


def measure_demo(plan: Plan) -> BrowserMeasurement:
    """Rete's Cruscotto on the demo's own volume: a database made by `python -m rete demo`
    (its defaults: 1,500 households over 24 months up to today), logged in as `direzione`;
    the real clock, since the demo's data end today."""
    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    from rete import db
    from rete.models import Need

    with tempfile.TemporaryDirectory(prefix="rete-browser-demo-") as folder:
        url = f"sqlite:///{Path(folder) / 'rete.db'}"
        env = {**os.environ, "RETE_DATABASE_URL": url, "RETE_DEMO": "1"}
        subprocess.run(
            [sys.executable, "-m", "rete", "demo"],
            cwd=PROJECT,
            env=env,
            check=True,
            capture_output=True,
        )
        with Session(db.get_engine(url)) as session:
            needs = int(session.scalar(select(func.count()).select_from(Need)) or 0)
        db.dispose_engine(url)
        return measure_rete(
            "Rete, demo volume", url, DEMO_USER, plan, needs=needs, env={"RETE_DEMO": "1"}
        )
