"""What the browser tests share: the real app on a free port over a demo database, Debian's
Chromium driven by Playwright, waiting for Streamlit to finish a run, screenshots, the layout
check and axe-core.

The browser test modules share one server and one Chromium for the whole test session
(`shared_rete`), and one logged-in page per user: on this 2-core machine starting the server
costs about ten seconds and a login several.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bench.browser import free_port, wait_until_healthy
from rete import access

CHROMIUM = "/usr/bin/chromium"
PROJECT = Path(__file__).resolve().parent.parent
STARTUP_SECONDS = 90
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
PASSWORD = "demo"  # the demo accounts' password
# The community manager's 10-inch tablet, and the two desktop screens management uses.
TABLET = {"width": 1280, "height": 800}
LAPTOP = {"width": 1440, "height": 900}
FULL_HD = {"width": 1920, "height": 1080}
SCREENS = (TABLET, LAPTOP, FULL_HD)
RUN_SECONDS = 30  # the longest a Streamlit run may take here before a test gives up


def require_chromium() -> None:
    """Skip the calling test module (at import) without Debian's Chromium; fail it instead
    where the browser is required (CI)."""
    if Path(CHROMIUM).exists():
        return
    if os.environ.get("RETE_REQUIRE_BROWSER") == "1":
        raise RuntimeError(
            f"RETE_REQUIRE_BROWSER=1 but {CHROMIUM} is missing: install Debian's chromium"
        )
    pytest.skip(
        f"{CHROMIUM} not found: browser tests skipped (apt-get install chromium)",
        allow_module_level=True,
    )


require_chromium()

from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright  # noqa: E402

# A run of the app may take a few seconds on a busy 2-core machine (the Cruscotto's charts).
expect.set_options(timeout=20_000)

# --- The server


@dataclass(frozen=True)
class RunningApp:
    url: str
    database_url: str


@contextmanager
def app_server(folder: Path) -> Iterator[RunningApp]:
    """`streamlit run app.py` on a free port, over a temporary database with a small demo
    dataset (200 households, fixed seed); its log is `folder/streamlit.log`."""
    database_url = f"sqlite:///{folder / 'rete.db'}"
    env = {**os.environ, "RETE_DATABASE_URL": database_url, "RETE_DEMO": "1"}
    subprocess.run(
        [sys.executable, "-m", "rete", "demo", "--households", "200", "--seed", "11"],
        cwd=PROJECT,
        env=env,
        check=True,
        capture_output=True,
    )
    port = free_port()
    with (folder / "streamlit.log").open("w") as log:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                "app.py",
                "--server.port",
                str(port),
                "--server.address",
                "127.0.0.1",
                "--server.headless",
                "true",
            ],
            cwd=PROJECT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until_healthy(url, server, STARTUP_SECONDS)
            yield RunningApp(url, database_url)
        finally:
            server.terminate()
            server.wait(timeout=20)


@contextmanager
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            yield browser
        finally:
            browser.close()


# --- One app and one Chromium for every browser test module


@dataclass
class Rete:
    """The app, the browser, and one logged-in page per user, shared by the browser test
    modules: starting the server and logging in are most of their time on 2 cores."""

    app: RunningApp
    browser: Browser
    users: dict[str, Page] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.app.url

    def as_user(self, username: str) -> Page:
        """A page of `username`, logged in on first use (at the tablet's size) and reused: a
        test starts it from an address, which opens a new Streamlit session (fresh widgets),
        and leaves it at the tablet's size."""
        page = self.users.get(username)
        if page is None or page.is_closed():
            page = self.users[username] = logged_in(self.browser, self.url, username)
        return page


_SHARED: list[tuple[ExitStack, Rete]] = []


def shared_rete(request: pytest.FixtureRequest) -> Rete:
    """The session's `Rete`, started on first use and stopped when pytest ends (so one server
    and one Chromium whatever the number of browser test modules)."""
    if not _SHARED:
        folder = request.getfixturevalue("tmp_path_factory").mktemp("browser")
        with ExitStack() as stack:
            app = stack.enter_context(app_server(folder))
            browser = stack.enter_context(chromium())
            _SHARED.append((stack.pop_all(), Rete(app, browser)))
        request.config.add_cleanup(_stop_shared)
    return _SHARED[0][1]


def _stop_shared() -> None:
    stack, rete = _SHARED.pop()
    for page in rete.users.values():
        if not page.is_closed():
            page.context.close()
    stack.close()


# --- Driving the app


def new_page(browser: Browser, viewport: dict[str, int] = TABLET) -> Page:
    """A page in a fresh context (no cookies). An English browser locale on purpose: Rete's
    numbers and dates must be Italian whatever the browser says."""
    context = browser.new_context(viewport=viewport, locale="en-US")  # type: ignore[arg-type]
    context.set_default_timeout(RUN_SECONDS * 1000)
    return context.new_page()


def wait_idle(page: Page) -> None:
    """Until Streamlit is connected and has finished the run a click or a key started (the
    way Streamlit's own end-to-end tests wait): the app root carries the script's state."""
    page.wait_for_timeout(250)  # a widget's change reaches the server after a short delay
    page.wait_for_selector(
        "[data-testid='stApp'][data-test-connection-state='CONNECTED']", state="attached"
    )
    page.wait_for_selector(
        "[data-testid='stApp'][data-test-script-state='notRunning']", state="attached"
    )
    # The run is over, but a widget whose code the browser is still loading is drawn as a
    # grey placeholder until it arrives (slow on a busy machine): wait for those too.
    page.wait_for_function(f"() => !document.querySelector({_PLACEHOLDERS!r})")


_PLACEHOLDERS = ", ".join(
    f'[data-testid="{testid}"]' for testid in ("stSkeleton", "stSkeletonElement", "stAppSkeleton")
)


def log_in(page: Page, url: str, username: str, password: str = PASSWORD) -> None:
    page.goto(url)
    page.get_by_label("Nome utente").fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Accedi").click()


def logged_in(browser: Browser, url: str, username: str, viewport: dict[str, int] = TABLET) -> Page:
    """A page in its own context, logged in (the session cookie is the context's)."""
    page = new_page(browser, viewport)
    log_in(page, url, username)
    expect(page.get_by_role("button", name="Esci")).to_be_visible(timeout=60_000)
    wait_idle(page)
    return page


def visit(page: Page, url: str) -> None:
    page.goto(url)
    wait_idle(page)


def menu(page: Page, title: str) -> None:
    """Open a page from the sidebar menu, as a user does."""
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=title, exact=True).click()
    expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible()
    wait_idle(page)


def open_list(page: Page, box: Locator) -> None:
    """Open a select box's list. Its pop-up closes when the page scrolls, and Playwright
    scrolls a box into view as part of a click: scroll first, then click (twice at most)."""
    box.scroll_into_view_if_needed()
    page.wait_for_timeout(150)
    box.click()
    try:
        expect(box).to_have_attribute("aria-expanded", "true", timeout=1_500)
    except AssertionError:
        box.click()
        expect(box).to_have_attribute("aria-expanded", "true")


def choose(page: Page, label: str, option: str) -> None:
    """Pick `option` in the select box labelled `label`."""
    open_list(page, page.get_by_role("combobox", name=label, exact=True))
    page.get_by_role("option", name=option, exact=True).click()
    wait_idle(page)


def metrics(page: Page) -> dict[str, str]:
    """The tiles of the page, label → value as shown."""
    tiles = page.get_by_test_id("stMetric")
    return {
        tile.get_by_test_id("stMetricLabel").inner_text().strip(): tile.get_by_test_id(
            "stMetricValue"
        )
        .inner_text()
        .strip()
        for tile in tiles.all()
    }


def italian_integer(text: str) -> int:
    """'1.234' → 1234."""
    return int(text.replace(".", ""))


# --- Layout and screenshots


def screenshot_folder() -> Path | None:
    folder = os.environ.get("RETE_SCREENSHOTS")
    return Path(folder) if folder else None


@contextmanager
def whole_page_in_view(page: Page) -> Iterator[None]:
    """Stretch the window to the whole page for a moment. Streamlit scrolls its main block,
    not the document: Playwright's `full_page` screenshot stops at the window, and axe-core
    checks the colour contrast of what is on screen only."""
    viewport = page.viewport_size or TABLET
    extra = page.evaluate(
        "() => { const m = document.querySelector('[data-testid=\"stMain\"]');"
        " return m ? m.scrollHeight - m.clientHeight : 0; }"
    )
    if extra > 0:
        height = min(viewport["height"] + extra, 15_000)
        page.set_viewport_size({"width": viewport["width"], "height": height})
        page.wait_for_timeout(300)
    try:
        yield
    finally:
        if extra > 0:
            page.set_viewport_size(viewport)
            page.wait_for_timeout(150)


def screenshot(page: Page, name: str) -> None:
    """The whole page into $RETE_SCREENSHOTS/<name>.png, when that variable is set."""
    folder = screenshot_folder()
    if folder is None:
        return
    path = folder / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    with whole_page_in_view(page):
        page.screenshot(path=str(path))


_OVERFLOW = """
() => {
  const describe = (e) => {
    const id = e.getAttribute('data-testid');
    const text = (e.innerText || '').trim().slice(0, 60).replace(/\\s+/g, ' ');
    return `${e.tagName.toLowerCase()}${id ? `[data-testid=${id}]` : ''} "${text}"`
      + ` (right edge ${Math.round(e.getBoundingClientRect().right)})`;
  };
  const doc = document.documentElement;
  const main = document.querySelector('[data-testid="stMain"]');
  const found = [];
  if (doc.scrollWidth > window.innerWidth) {
    found.push(`document ${doc.scrollWidth}px wide in a ${window.innerWidth}px window`);
  }
  if (main && main.scrollWidth > main.clientWidth) {
    found.push(`main block scrolls sideways: ${main.scrollWidth}px in ${main.clientWidth}px`);
    const edge = main.getBoundingClientRect().right;
    const out = [...main.querySelectorAll('*')].filter(
      (e) => e.getBoundingClientRect().right > edge + 1 && e.getClientRects().length);
    // the outermost offenders only
    out.filter((e) => !out.includes(e.parentElement)).slice(0, 5)
      .forEach((e) => found.push('  sticks out: ' + describe(e)));
  }
  return found;
}
"""


def horizontal_overflow(page: Page) -> list[str]:
    """What scrolls sideways: the document (the page level), or Streamlit's main block, which
    is where a Streamlit page actually scrolls (the document itself never does)."""
    return page.evaluate(_OVERFLOW)


def fits_every_screen(page: Page, name: str) -> list[str]:
    """What scrolls sideways on the page as it is now at 1280×800 (the tablet) and, when
    $RETE_SCREENSHOTS is set, also at 1440×900 and 1920×1080, with a screenshot at each size
    into $RETE_SCREENSHOTS/<width>x<height>/<name>.png."""
    original = page.viewport_size or TABLET
    screens = SCREENS if screenshot_folder() else (TABLET,)
    problems = []
    for screen in screens:
        if screen != page.viewport_size:
            page.set_viewport_size(screen)
            page.wait_for_timeout(400)  # columns and charts reflow on resize
        size = f"{screen['width']}x{screen['height']}"
        problems += [f"{name} at {size}: {found}" for found in horizontal_overflow(page)]
        screenshot(page, f"{size}/{name}")
    if original != page.viewport_size:
        page.set_viewport_size(original)
        page.wait_for_timeout(200)
    return problems


# --- Accessibility (axe-core, bundled with axe-playwright-python: nothing is downloaded)

# Violations that come from Streamlit's own markup, which Rete cannot change: each is a rule
# and the element (a CSS selector its node lies in) where Streamlit draws it. Nothing else is
# excused; every entry was checked against the DOM Streamlit 1.67 renders.
STREAMLIT_OWN: tuple[tuple[str, str, str], ...] = (
    (
        "list",
        '[data-testid="stSidebarNavItems"]',
        "st.navigation with menu sections: Streamlit puts each section (a <div> holding a "
        "<header> and the section's <li>) straight inside its <ul data-testid="
        '"stSidebarNavItems">, so the <ul> has <div> children',
    ),
    (
        "listitem",
        '[data-testid="stSidebarNavItems"]',
        "the same sidebar menu: the <li> of a section sit in that <div>, not in a <ul>",
    ),
    (
        "color-contrast",
        'label[data-testid="stWidgetLabel"][disabled]',
        "the label of a disabled widget (e.g. «Bisogno specifico» before an area is chosen) "
        "is greyed by Streamlit; WCAG 1.4.3 exempts inactive components, but Streamlit's "
        "<label> has no `for` and its text is aria-hidden (the input carries aria-label), so "
        "axe cannot tell the text belongs to a disabled control",
    ),
)
SEVERE = ("serious", "critical")


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core on the whole page as it is now: every violation, with each node's target."""
    from axe_playwright_python.sync_playwright import Axe

    with whole_page_in_view(page):
        return Axe().run(page, options={"resultTypes": ["violations"]}).response["violations"]


def _streamlit_own(page: Page, rule: str, node: dict[str, Any]) -> bool:
    for excused_rule, container, _why in STREAMLIT_OWN:
        if rule != excused_rule:
            continue
        target = node["target"][-1]
        if isinstance(target, str) and page.evaluate(
            "([target, container]) => !!document.querySelector(target)?.closest(container)",
            [target, container],
        ):
            return True
    return False


def severe_violations(page: Page, name: str) -> list[str]:
    """Serious and critical violations, less Streamlit's own (STREAMLIT_OWN), one line per
    node: rule, impact, target selector, help; every violation (any impact) is saved to
    $RETE_SCREENSHOTS/axe/<name>.json when that variable is set."""
    violations = axe_violations(page)
    lines = []
    for violation in violations:
        if violation["impact"] not in SEVERE:
            continue
        for node in violation["nodes"]:
            if _streamlit_own(page, violation["id"], node):
                continue
            summary = " ".join(
                check["message"] for check in node["any"] + node["all"] + node["none"]
            )
            lines.append(
                f"{violation['id']} ({violation['impact']}) at {' > '.join(map(str, node['target']))}"
                f": {violation['help']} [{node['html'][:160]}] {summary[:240]}"
            )
    folder = screenshot_folder()
    if folder is not None:
        report = folder / "axe" / f"{name}.json"
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text(json.dumps(violations, indent=1, ensure_ascii=False))
    return lines


# --- What a page shows (for the checks that nothing of the workspace leaks)

WORKSPACE_TITLES = [spec.title for spec in access.PAGES if "direzione" not in spec.roles]
DEMO_CODE = re.compile(r"\b[A-Z]{2}-\d{6}\b")  # the demo households' codes, e.g. VA-000123


def shown_text(page: Page) -> dict[str, Any]:
    """The page's headings, link texts and whole text, read at once."""
    return page.evaluate(
        """() => ({
          headings: [...document.querySelectorAll('h1, h2, h3, h4, h5, h6')]
            .map(e => e.innerText.trim()),
          links: [...document.querySelectorAll('a')].map(e => e.innerText.trim()),
          body: document.body.innerText,
        })"""
    )


def workspace_titles_shown(shown: dict[str, Any]) -> list[str]:
    """The workspace's page titles among the headings and links of `shown_text`."""
    return [
        title
        for title in WORKSPACE_TITLES
        for text in shown["headings"] + shown["links"]
        if title in text
    ]
