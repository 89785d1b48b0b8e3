"""Two app processes on one PostgreSQL, the way Rete grows past one machine (README, «Many
users»): each started with the README's options, over a database `python -m rete init` made
once.

- A session opened on one process holds on the other (the cookie copied from one to the
  other, as a proxy hands it on); a partner marked verified on one shows on the other's next
  view (its caches are keyed on the data version in the database); a logout on one ends the
  session on the other at its next run, in a tab that stayed open.
- A download lives only in the memory of the process that drew its button: why the README's
  proxy keeps each browser on one process.
- deploy/nginx-rete.conf, the README's proxy, run as it is (ports, certificate and address
  changed) when nginx is installed: HTTPS, a Secure session cookie, the WebSocket through it,
  every request of a browser on one process, a download; then that process stops and the tab
  carries on with the other, still logged in.

The two processes and the database are the module's; the browser is the session's
(`browser_helpers.shared_rete`).
"""

from __future__ import annotations

import os
import shutil
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import pytest
from browser_helpers import (
    PROJECT,
    RUN_SECONDS,
    STARTUP_SECONDS,
    TABLET,
    log_in,
    logged_in,
    menu,
    new_page,
    shared_rete,
    visit,
    wait_idle,
)
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import create_engine, select

from bench.browser import free_port, wait_until_healthy
from rete import auth, config, formats
from rete.models import Partner

pytestmark = pytest.mark.browser

POSTGRES_URL = os.environ.get("RETE_TEST_POSTGRES_URL")
HOUSEHOLDS = "60"  # a small demo: `init` takes a few seconds
# The README's options for every app process (each on its own port); nothing else, so what
# passes here is what the README says to run. No server.cookieSecret: Rete needs none.
APP_OPTIONS = [
    "--server.address",
    "127.0.0.1",
    "--server.headless",
    "true",
    "--server.fileWatcherType",
    "none",
    "--browser.gatherUsageStats",
    "false",
]
NGINX_CONF = PROJECT / "deploy" / "nginx-rete.conf"
# The proxy's address in the test: not 127.0.0.1 nor localhost, which Streamlit accepts as a
# WebSocket origin whatever the Host header says, so a proxy that lost the browser's Host
# would be caught here as on a real server name.
PROXY_HOST = "127.0.0.2"


# --- Two app processes on one database


@dataclass
class AppProcess:
    url: str
    server: subprocess.Popen[bytes]

    @property
    def address(self) -> str:
        """host:port, as nginx logs the process it chose."""
        return self.url.removeprefix("http://")

    def stop(self) -> None:
        if self.server.poll() is None:
            self.server.terminate()
            try:
                self.server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.server.wait()


@dataclass(frozen=True)
class TwoApps:
    database_url: str
    a: AppProcess
    b: AppProcess


@contextmanager
def _app_process(env: dict[str, str], log: Path) -> Iterator[AppProcess]:
    """`streamlit run app.py` with the README's options on a free port (not yet waited for)."""
    port = free_port()
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port)]
    with log.open("w") as output:
        server = subprocess.Popen(
            command + APP_OPTIONS, cwd=PROJECT, env=env, stdout=output, stderr=subprocess.STDOUT
        )
        app = AppProcess(f"http://127.0.0.1:{port}", server)
        try:
            yield app
        finally:
            app.stop()


@pytest.fixture(scope="module")
def two_apps(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TwoApps]:
    """A PostgreSQL database made by `python -m rete init` (demo data), and two app processes
    on it, started together."""
    if not POSTGRES_URL:
        pytest.skip("RETE_TEST_POSTGRES_URL is not set: PostgreSQL cases skipped")
    from conftest import _drop_postgres, _fresh_postgres_url

    server = request.getfixturevalue("postgres_server")
    url = _fresh_postgres_url(server)
    folder = tmp_path_factory.mktemp("two_apps")
    # What an operator's shell holds: the database's address and nothing of the tests'.
    env = {key: value for key, value in os.environ.items() if not key.startswith("RETE_")}
    env["RETE_DATABASE_URL"] = url
    try:
        subprocess.run(
            [sys.executable, "-m", "rete", "init", "--households", HOUSEHOLDS, "--seed", "11"],
            cwd=PROJECT,
            env=env,
            check=True,
            capture_output=True,
        )
        with ExitStack() as stack:
            a = stack.enter_context(_app_process(env, folder / "a.log"))
            b = stack.enter_context(_app_process(env, folder / "b.log"))
            for app in (a, b):
                wait_until_healthy(app.url, app.server, STARTUP_SECONDS)
            yield TwoApps(url, a, b)
    finally:
        _drop_postgres(server, url)


def _running(apps: TwoApps) -> None:
    """The failover test stops a process: it runs last, and nothing after it may need both."""
    stopped = [app.url for app in (apps.a, apps.b) if app.server.poll() is not None]
    assert not stopped, f"app process stopped before this test: {stopped}"


def _partner_to_check(database_url: str) -> tuple[int, str]:
    """The active partner verified longest ago (its card says «da ricontrollare»)."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            row = connection.execute(
                select(Partner.id, Partner.name)
                .where(Partner.active)
                .order_by(Partner.last_verified_on.asc().nulls_first(), Partner.id)
                .limit(1)
            ).one()
    finally:
        engine.dispose()
    return int(row.id), str(row.name)


def _session_token(page: Page) -> str:
    tokens = [c["value"] for c in page.context.cookies() if c["name"] == auth.SESSION_COOKIE]
    assert len(tokens) == 1, "no session cookie after the login"
    return tokens[0]


def _search_partner(page: Page, url: str, name: str) -> None:
    """The directory's list, searched by the partner's name: the cached search
    (`directory_view.found_partners`, keyed on the data version)."""
    visit(page, f"{url}/rete")
    search = page.get_by_label("Cerca un ente")
    search.fill(name)
    search.press("Enter")
    wait_idle(page)
    expect(page.get_by_text("1 ente trovato.")).to_be_visible()


# --- The tests


def test_a_session_and_a_save_on_one_process_hold_on_the_other(
    request: pytest.FixtureRequest, two_apps: TwoApps
) -> None:
    _running(two_apps)
    browser = shared_rete(request).browser
    a, b = two_apps.a.url, two_apps.b.url
    partner_id, name = _partner_to_check(two_apps.database_url)
    verified_today = f"Verificato con l'ente il {formats.date(config.today())}."

    on_a = logged_in(browser, a, "operatore")
    on_b = new_page(browser)
    try:
        # The cookie process A set, handed to process B (same host, another port).
        on_b.context.add_cookies(
            [{"name": auth.SESSION_COOKIE, "value": _session_token(on_a), "url": b}]
        )
        _search_partner(on_b, b, name)
        expect(on_b.get_by_role("button", name="Esci")).to_be_visible()
        expect(on_b.get_by_text("da ricontrollare")).to_be_visible()  # B's cache now holds it

        visit(on_a, f"{a}/rete?ente={partner_id}")
        on_a.get_by_role("button", name="Verificato oggi").click()
        wait_idle(on_a)
        expect(on_a.get_by_text(verified_today)).to_be_visible()

        # B's next view of the same search: the data version moved, so not B's cached answer.
        _search_partner(on_b, b, name)
        expect(on_b.get_by_text(verified_today)).to_be_visible()
        expect(on_b.get_by_text("da ricontrollare")).to_have_count(0)

        on_a.get_by_role("button", name="Esci").click()
        expect(on_a.get_by_role("button", name="Accedi")).to_be_visible()

        # B's tab stayed open on a page drawn for the user; its next run asks the database.
        on_b.get_by_test_id("stSidebarNav").get_by_role("link", name="Cruscotto").click()
        expect(on_b.get_by_role("button", name="Accedi")).to_be_visible()
        wait_idle(on_b)
        expect(on_b.get_by_role("button", name="Esci")).to_have_count(0)
        expect(on_b.get_by_test_id("stSidebarNav")).to_have_count(0)
    finally:
        on_a.context.close()
        on_b.context.close()


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=RUN_SECONDS) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


def test_a_download_is_served_only_by_the_process_that_drew_it(
    request: pytest.FixtureRequest, two_apps: TwoApps
) -> None:
    """Streamlit keeps a download's file in the memory of the process that ran the page, so a
    proxy must keep a browser on one process (deploy/nginx-rete.conf does)."""
    _running(two_apps)
    page = logged_in(shared_rete(request).browser, two_apps.a.url, "direzione")
    try:
        button = page.get_by_test_id("stDownloadButton").first  # a Cruscotto chart's CSV
        with page.expect_download() as download:
            button.locator("button").click()
        path = urlparse(download.value.url).path
        assert path.startswith("/media/")
        assert _status(two_apps.a.url + path) == 200
        assert _status(two_apps.b.url + path) == 404
    finally:
        page.context.close()


# --- The README's nginx, run as it is (last: it stops one of the two processes)


@dataclass(frozen=True)
class Proxy:
    url: str  # https://127.0.0.2:port
    http_url: str  # the plain-HTTP server that sends browsers to HTTPS
    access_log: Path


def _nginx_conf(apps: TwoApps, folder: Path, https_port: int, http_port: int) -> str:
    """deploy/nginx-rete.conf with this test's ports, certificate and address; each line
    changed must be found exactly once, so the file and this test cannot drift apart."""
    text = NGINX_CONF.read_text()
    changes = {
        "listen 80;": f"listen {PROXY_HOST}:{http_port};",
        "listen 443 ssl;": f"listen {PROXY_HOST}:{https_port} ssl;",
        "server 127.0.0.1:8501;": f"server {apps.a.address};",
        "server 127.0.0.1:8502;": f"server {apps.b.address};",
        "/etc/ssl/rete/fullchain.pem;": f"{folder / 'cert.pem'};",
        "/etc/ssl/rete/privkey.pem;": f"{folder / 'key.pem'};",
    }
    for line, replacement in changes.items():
        assert text.count(line) == 1, f"{line!r} not once in {NGINX_CONF.name}"
        text = text.replace(line, replacement)
    # Both servers' private log (no query string): here the test's log, which names the
    # process that served each request.
    private = "access_log /var/log/nginx/rete.access.log rete_private;"
    assert text.count(private) == 2, f"{private!r} not in both servers of {NGINX_CONF.name}"
    return text.replace(private, f"access_log {folder / 'access.log'} route;")


@contextmanager
def _nginx(apps: TwoApps, folder: Path) -> Iterator[Proxy]:
    files = ["-keyout", str(folder / "key.pem"), "-out", str(folder / "cert.pem")]
    self_signed = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
    subprocess.run(
        ["openssl", *self_signed, "-subj", f"/CN={PROXY_HOST}", *files],
        check=True,
        capture_output=True,
    )
    https_port, http_port = free_port(), free_port()
    (folder / "rete.conf").write_text(_nginx_conf(apps, folder, https_port, http_port))
    access_log = folder / "access.log"
    # The frame a distribution's nginx.conf gives conf.d/: here its paths in the test's folder,
    # and a log line saying which process served each request, for which route cookie.
    (folder / "nginx.conf").write_text(
        f"""daemon off;
pid {folder / "nginx.pid"};
error_log {folder / "error.log"} info;
events {{ worker_connections 256; }}
http {{
    log_format route '$cookie_rete_route|$upstream_addr|$status|$request_uri';
    access_log {access_log} route;
    client_body_temp_path {folder / "body"};
    proxy_temp_path {folder / "proxy"};
    include {folder / "rete.conf"};
}}
"""
    )
    command = ["nginx", "-c", str(folder / "nginx.conf"), "-e", str(folder / "error.log")]
    checked = subprocess.run([*command, "-t"], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    with (folder / "nginx.out").open("w") as output:
        server = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
    proxy = Proxy(
        f"https://{PROXY_HOST}:{https_port}", f"http://{PROXY_HOST}:{http_port}", access_log
    )
    try:
        insecure = ssl.create_default_context()
        insecure.check_hostname = False
        insecure.verify_mode = ssl.CERT_NONE
        for _ in range(100):
            try:
                with urllib.request.urlopen(
                    f"{proxy.url}/_stcore/health", timeout=5, context=insecure
                ):
                    break
            except OSError as error:
                if server.poll() is not None:
                    log = (folder / "error.log").read_text()
                    raise RuntimeError(f"nginx exited: {log}") from error
                time.sleep(0.1)
        yield proxy
    finally:
        server.terminate()
        server.wait(timeout=20)


def _served_by(proxy: Proxy, route: str) -> list[tuple[str, str, str]]:
    """(process, status, path) of every request nginx passed on with this route cookie; the
    process is the one that answered (nginx logs each it tried, the last answered)."""
    rows = []
    for line in proxy.access_log.read_text().splitlines():
        cookie, upstreams, status, path = line.split("|", 3)
        if cookie == route:
            rows.append((upstreams.split(", ")[-1], status, path))
    return rows


# Records every connection state the app goes through (a reconnection may be too quick to
# catch by polling).
_WATCH_CONNECTION = """() => {
  const app = document.querySelector("[data-testid='stApp']");
  window.__reteStates = [];
  new MutationObserver(() => window.__reteStates.push(
    app.getAttribute('data-test-connection-state'))).observe(
    app, { attributes: true, attributeFilter: ['data-test-connection-state'] });
}"""


def _new_https_page(browser: Browser) -> Page:
    """A fresh context that accepts the test's self-signed certificate."""
    context = browser.new_context(
        viewport=TABLET,  # type: ignore[arg-type]
        locale="en-US",
        ignore_https_errors=True,
    )
    context.set_default_timeout(RUN_SECONDS * 1000)
    return context.new_page()


def _no_redirect_status(url: str) -> tuple[int, str]:
    class Stop(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            return None

    try:
        urllib.request.build_opener(Stop).open(url, timeout=10)
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Location", "")
    raise AssertionError(f"{url} answered without redirecting")


def test_the_readme_nginx_keeps_a_browser_on_one_process_and_survives_its_stop(
    request: pytest.FixtureRequest,
    two_apps: TwoApps,
    tmp_path: Path,
) -> None:
    if shutil.which("nginx") is None or shutil.which("openssl") is None:
        pytest.skip("nginx or openssl not installed: the README's proxy is not tried")
    _running(two_apps)
    browser = shared_rete(request).browser
    with _nginx(two_apps, tmp_path) as proxy:
        status, location = _no_redirect_status(f"{proxy.http_url}/cruscotto")
        assert (status, location.split(":")[0]) == (301, "https")
        page = _new_https_page(browser)
        try:
            log_in(page, proxy.url, "direzione")
            expect(page.get_by_role("button", name="Esci")).to_be_visible(timeout=60_000)
            wait_idle(page)
            cookies = {c["name"]: c for c in page.context.cookies()}
            session = cookies[auth.SESSION_COOKIE]
            assert session["secure"] and session["httpOnly"], "X-Forwarded-Proto not honoured"
            route = cookies["rete_route"]["value"]

            with page.expect_download() as download:
                page.get_by_test_id("stDownloadButton").first.locator("button").click()
            assert download.value.failure() is None
            assert Path(download.value.path()).read_bytes()

            # Every request of this browser so far went to one process (the WebSocket is
            # logged when it closes, below).
            served = _served_by(proxy, route)
            processes = {upstream for upstream, _status, _path in served}
            assert len(processes) == 1, f"one browser spread over {processes}"
            assert any(path.startswith("/auth/session") for _up, _status, path in served)
            first = two_apps.a if processes == {two_apps.a.address} else two_apps.b
            other = two_apps.b if first is two_apps.a else two_apps.a

            # That process stops (a crash, a restart for a release): the tab reconnects
            # through nginx to the other one and is still logged in there.
            page.evaluate(_WATCH_CONNECTION)
            first.stop()
            page.wait_for_function("() => window.__reteStates.some(s => s !== 'CONNECTED')")
            wait_idle(page)
            menu(page, "Riunione")
            expect(page.get_by_role("button", name="Esci")).to_be_visible()
        finally:
            page.context.close()
        # Each WebSocket went through nginx (logged when it closed): the first tab's to the
        # process that stopped, the reconnected one's to the other.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            sockets = {
                upstream
                for upstream, status, path in _served_by(proxy, route)
                if path.startswith("/_stcore/stream") and status == "101"
            }
            if sockets == {first.address, other.address}:
                break
            time.sleep(0.2)
        assert sockets == {first.address, other.address}
