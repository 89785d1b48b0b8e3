"""End to end in a real browser: Debian's Chromium driven by Playwright against `streamlit run`."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
PROJECT = Path(__file__).resolve().parent.parent
STARTUP_SECONDS = 90

pytestmark = pytest.mark.browser

if not Path(CHROMIUM).exists():
    if os.environ.get("RETE_REQUIRE_BROWSER") == "1":
        raise RuntimeError(
            f"RETE_REQUIRE_BROWSER=1 but {CHROMIUM} is missing: install Debian's chromium"
        )
    pytest.skip(
        f"{CHROMIUM} not found: browser tests skipped (apt-get install chromium)",
        allow_module_level=True,
    )

from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_healthy(url: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
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


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real app on a free port, over a temporary database with a small demo dataset."""
    folder = tmp_path_factory.mktemp("browser")
    env = {**os.environ, "RETE_DATABASE_URL": f"sqlite:///{folder / 'rete.db'}", "RETE_DEMO": "1"}
    subprocess.run(
        [sys.executable, "-m", "rete", "demo", "--households", "200", "--seed", "11"],
        cwd=PROJECT,
        env=env,
        check=True,
        capture_output=True,
    )
    port = free_port()
    log = (folder / "streamlit.log").open("w")
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
        wait_until_healthy(url, server)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()


@pytest.fixture
def page(server_url: str) -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
        yield context.new_page()
        browser.close()


def log_in(page: Page, server_url: str, username: str, password: str) -> None:
    page.goto(server_url)
    page.get_by_label("Nome utente").fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Accedi").click()


def screenshot(page: Page, name: str) -> None:
    folder = os.environ.get("RETE_SCREENSHOTS")
    if folder:
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def test_direzione_logs_in_and_sees_the_cruscotto_drawn(page: Page, server_url: str):
    log_in(page, server_url, "direzione", "demo")
    expect(page.get_by_role("heading", name="Cruscotto")).to_be_visible(timeout=60_000)
    expect(page.locator(".js-plotly-plot")).to_have_count(5, timeout=60_000)
    expect(page.locator('[data-testid="stMetric"]')).to_have_count(6)
    expect(page.get_by_text("Dati dimostrativi")).to_be_visible()
    assert page.locator('[data-testid="stException"]').count() == 0
    # Italian formats whatever the browser's locale: the share is "45,6%", never "45.6%".
    share = (
        page.locator('[data-testid="stMetric"]')
        .nth(4)
        .locator('[data-testid="stMetricValue"]')
        .inner_text()
    )
    assert share.endswith("%") and "." not in share
    screenshot(page, "cruscotto")

    page.reload()  # the session cookie keeps the user logged in
    expect(page.get_by_role("heading", name="Cruscotto")).to_be_visible(timeout=60_000)

    page.get_by_role("button", name="Esci").click()
    expect(page.get_by_role("button", name="Accedi")).to_be_visible(timeout=30_000)
    page.reload()
    expect(page.get_by_role("button", name="Accedi")).to_be_visible(timeout=30_000)


def test_a_wrong_password_is_refused_in_the_browser(page: Page, server_url: str):
    log_in(page, server_url, "direzione", "sbagliata")
    expect(page.get_by_text("Nome utente o password non corretti")).to_be_visible(timeout=30_000)
    assert page.context.cookies() == [] or all(
        c["name"] != "rete_session" for c in page.context.cookies()
    )
