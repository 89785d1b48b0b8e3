"""HTTP routes served beside the Streamlit app (`st.App(routes=...)` in app.py).

A script cannot set cookies, so the login ends here: `/auth/session` swaps the one-time ticket
for a session cookie; `/auth/logout` ends the session and clears it. Handlers are plain `def`
(Starlette runs them in a thread pool), so database calls do not block the server.
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.routing import Route

from rete import auth
from rete.config import load_settings
from rete.db import get_engine
from rete.errors import ReteError

log = logging.getLogger(__name__)

SESSION_PATH = "/auth/session"
LOGOUT_PATH = "/auth/logout"


def _engine():  # type: ignore[no-untyped-def]
    return get_engine(load_settings().database_url)


def _is_https(request: Request) -> bool:
    forwarded = request.headers.get("x-forwarded-proto", "")
    return request.url.scheme == "https" or forwarded.split(",")[0].strip() == "https"


def safe_next(address: str) -> str:
    """A path on this site to land on after login; anything else (another site) becomes '/'."""
    if (
        len(address) > 2000
        or not address.startswith("/")
        or address.startswith("//")
        or "\\" in address
    ):
        return "/"
    return address


def _from_another_site(request: Request) -> bool:
    """Browsers say where a navigation came from; a ticket must come from Rete's own page, or
    a stranger's link could log a victim in as the stranger (login CSRF)."""
    return request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none")


def start_session(request: Request) -> RedirectResponse:
    ticket = request.query_params.get("ticket", "")
    if _from_another_site(request):
        log.warning("session ticket from another site refused")
        return RedirectResponse("/?accesso=scaduto", status_code=303)
    client = auth.client_label(request.headers.get("user-agent", ""))
    try:
        redeemed = auth.redeem_ticket(_engine(), ticket, client) if ticket else None
    except ReteError:
        log.exception("session start failed")
        redeemed = None
    if redeemed is None:
        return RedirectResponse("/?accesso=scaduto", status_code=303)
    response = RedirectResponse(safe_next(request.query_params.get("next", "/")), status_code=303)
    response.set_cookie(
        auth.SESSION_COOKIE,
        redeemed.token,
        max_age=redeemed.max_age,
        path="/",
        httponly=True,
        samesite="strict",
        secure=_is_https(request),
    )
    return response


def end_session(request: Request) -> RedirectResponse:
    token = request.cookies.get(auth.SESSION_COOKIE)
    if token:
        try:
            auth.end_session(_engine(), token)
        except ReteError:
            log.exception("session end failed")
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(auth.SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return response


ROUTES = [
    Route(SESSION_PATH, start_session, methods=["GET"]),
    Route(LOGOUT_PATH, end_session, methods=["GET"]),
]
