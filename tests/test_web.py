"""The login routes, through Starlette's TestClient (a script cannot set cookies; these do)."""

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from rete import auth
from rete.web import ROUTES


@pytest.fixture
def client(engine, cast, monkeypatch):
    monkeypatch.setenv("RETE_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    return TestClient(Starlette(routes=ROUTES), base_url="http://testserver")


def login_ticket(engine, username="olga"):
    return auth.issue_ticket(engine, auth.authenticate(engine, username, "password-di-prova"))


def test_a_valid_ticket_sets_an_httponly_strict_session_cookie(engine, client):
    response = client.get(f"/auth/session?ticket={login_ticket(engine)}", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{auth.SESSION_COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Secure" not in cookie
    token = response.cookies[auth.SESSION_COOKIE]
    assert auth.user_for_token(engine, token).username == "olga"


def test_behind_an_https_proxy_the_cookie_is_secure(engine, client):
    response = client.get(
        f"/auth/session?ticket={login_ticket(engine)}",
        headers={"x-forwarded-proto": "https"},
        follow_redirects=False,
    )
    assert "Secure" in response.headers["set-cookie"]


def test_a_used_or_invented_ticket_sends_back_to_the_login(engine, client):
    ticket = login_ticket(engine)
    client.get(f"/auth/session?ticket={ticket}", follow_redirects=False)
    for attempt in (ticket, "inventato", ""):
        response = client.get(f"/auth/session?ticket={attempt}", follow_redirects=False)
        assert response.headers["location"] == "/?accesso=scaduto"
        assert "set-cookie" not in response.headers


def test_logout_ends_the_session_and_clears_the_cookie(engine, client):
    response = client.get(f"/auth/session?ticket={login_ticket(engine)}", follow_redirects=False)
    token = response.cookies[auth.SESSION_COOKIE]
    client.cookies.set(auth.SESSION_COOKIE, token)
    response = client.get("/auth/logout", follow_redirects=False)
    assert response.status_code == 303
    assert f'{auth.SESSION_COOKIE}=""' in response.headers["set-cookie"]
    assert auth.user_for_token(engine, token) is None


@pytest.mark.parametrize(
    ("asked", "landing"),
    [
        ("/registro", "/registro"),
        ("/?area=ECO&periodo=anno", "/?area=ECO&periodo=anno"),
        ("https://altro.example.org/", "/"),
        ("//altro.example.org/", "/"),
        ("/\\altro.example.org", "/"),
        ("", "/"),
    ],
)
def test_after_login_the_browser_lands_on_the_page_it_asked_for_never_elsewhere(
    engine, client, asked, landing
):
    response = client.get(
        "/auth/session",
        params={"ticket": login_ticket(engine), "next": asked},
        follow_redirects=False,
    )
    assert response.headers["location"] == landing


def test_a_ticket_followed_from_another_site_is_refused(engine, client):
    ticket = login_ticket(engine)
    response = client.get(
        f"/auth/session?ticket={ticket}",
        headers={"sec-fetch-site": "cross-site"},
        follow_redirects=False,
    )
    assert (
        response.headers["location"] == "/?accesso=scaduto" and "set-cookie" not in response.headers
    )
    same_site = client.get(
        f"/auth/session?ticket={ticket}",
        headers={"sec-fetch-site": "same-origin"},
        follow_redirects=False,
    )
    assert auth.SESSION_COOKIE in same_site.cookies
