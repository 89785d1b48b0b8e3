"""Who is logged in on this run, and the guard every page calls first."""

from __future__ import annotations

import streamlit as st
from sqlalchemy import Engine

from rete import access, auth
from rete.audit import Actor
from rete.bootstrap import AppDatabase

USER_KEY = "rete_user"  # the seam page tests set directly (AppTest cannot send cookies)
TOKEN_KEY = "rete_test_token"  # ...or a session token, checked as the cookie's would be
NOTICE_KEY = "rete_turned_away"  # what the home says after an address the user may not open


def current_user(app_db: AppDatabase) -> auth.CurrentUser | None:
    """The user of this run: from the session cookie; under AppTest from the session state."""
    token = st.context.cookies.get(auth.SESSION_COOKIE)
    if isinstance(token, str):
        return auth.user_for_token(app_db.engine, token) if token else None
    if token is None:
        return None  # a browser without a session cookie
    # Only AppTest gets here: its cookies are a mock, and page tests set the user directly, or
    # a token that goes through the same check as a browser's cookie.
    test_token = st.session_state.get(TOKEN_KEY)
    if isinstance(test_token, str):
        return auth.user_for_token(app_db.engine, test_token)
    user = st.session_state.get(USER_KEY)
    return user if isinstance(user, auth.CurrentUser) else None


def drawn_token() -> str | None:
    """The session token of this run (the browser's cookie, or AppTest's seam token), to check
    again later, when a click's callback or a deferred download runs outside the script."""
    token = st.context.cookies.get(auth.SESSION_COOKIE)
    if isinstance(token, str):
        return token or None
    test_token = st.session_state.get(TOKEN_KEY)
    return test_token if isinstance(test_token, str) else None


def signed_in(engine: Engine, user: Actor, token: str | None) -> bool:
    """Whether the session `token` (taken when the page was drawn) is still live, for the same
    user in the same role: a deactivated, expired, ended or demoted session is not. Without a
    token (page tests that set the user directly) the user of the run stands."""
    if token is None:
        return isinstance(st.session_state.get(USER_KEY), auth.CurrentUser)
    found = auth.user_for_token(engine, token)
    return found is not None and (found.id, found.role) == (user.id, user.role)


def still_signed_in(engine: Engine, user: Actor) -> bool:
    """For a widget's callback, which Streamlit runs before the script (so before app.py checks
    the session): False, and the user forgotten, when the session ended since the page was
    drawn; the run that follows then shows the login page and the click changed nothing."""
    if signed_in(engine, user, drawn_token()):
        return True
    st.session_state[USER_KEY] = None
    return False


def require_page(page: str) -> auth.CurrentUser:
    """Every page calls this first: the user of this run, allowed on this page, or the run stops.

    app.py's navigation already hides other roles' pages; this is the second lock, for the
    case where Streamlit runs a file of pages/ directly. Both read `rete.access`.
    """
    user = st.session_state.get(USER_KEY)
    if not isinstance(user, auth.CurrentUser) or not access.may_open(user.role, page):
        st.error("Pagina non disponibile: accedere dalla pagina iniziale di Rete.")
        st.stop()
    return user


def turned_away_notice(role: str, asked: str) -> str:
    """What the home page says to a user who typed an address that is not one of their pages.

    A page of Rete another role may open is named by its title from the registry; anything
    else is "not found". What was typed is never repeated."""
    home = "si è aperta la pagina iniziale"
    if asked in {spec.key for spec in access.PAGES} and not access.may_open(role, asked):
        return f"La pagina «{access.page(asked).title}» non è disponibile per il suo ruolo: {home}."
    return f"Pagina non trovata: {home}."
