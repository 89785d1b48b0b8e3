"""The app's frame: the database it runs on, who is logged in, login page, banners, errors.

`rete/ui/` is the only part of `rete/` that imports Streamlit. Its caches are process-wide and
shared by every user, so every cached result is keyed on the database URL and the data
version, and none holds personal data.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlencode

import streamlit as st
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from rete import access, auth, config
from rete.bootstrap import AppDatabase, database_status, prepare_engine
from rete.config import load_settings
from rete.db import data_version, get_engine
from rete.errors import InvalidCredentials, ReteError
from rete.taxonomy import ROLE_LABELS, Taxonomy, load_taxonomy
from rete.web import LOGOUT_PATH, SESSION_PATH

log = logging.getLogger(__name__)

USER_KEY = "rete_user"  # the seam page tests set directly (AppTest cannot send cookies)


def today() -> dt.date:
    return config.today()


def show_error(error: ReteError) -> None:
    """A domain error's Italian message on the page; the details go to the log only."""
    log.warning("%s: %s", type(error).__name__, error)
    st.error(str(error), icon=":material/error:")


# --- Database ---


@st.cache_resource(show_spinner="Preparazione del database…")
def _prepared_engine(url: str, demo_requested: bool) -> Engine:
    return prepare_engine(load_settings())


def app_database() -> AppDatabase:
    """The database, migrated (embedded SQLite) and with demo data on a first start; whether
    it is ready is checked on every run, so `python -m rete init` shows without a restart."""
    settings = load_settings()
    return database_status(_prepared_engine(settings.database_url, settings.demo_requested))


def engine_url(app_db: AppDatabase) -> str:
    """The engine's URL with its password: cache keys must reopen the same database."""
    return app_db.engine.url.render_as_string(hide_password=False)


def current_version(app_db: AppDatabase) -> int:
    return data_version(app_db.engine)


@st.cache_data(show_spinner=False, max_entries=32)
def _taxonomy(url: str, version: int) -> Taxonomy:
    return load_taxonomy(get_engine(url))


def taxonomy(app_db: AppDatabase) -> Taxonomy:
    return _taxonomy(engine_url(app_db), current_version(app_db))


@contextmanager
def friendly_errors() -> Iterator[None]:
    """Domain errors and a database that stops answering become an Italian message on the
    page; the details go to the log."""
    try:
        yield
    except ReteError as error:
        show_error(error)
    except SQLAlchemyError:
        log.exception("database error")
        st.error(
            "Il database non risponde. Riprovare tra poco; se il problema resta, avvisare "
            "l'amministratore di Rete.",
            icon=":material/error:",
        )


# --- Who is logged in ---


def current_user(app_db: AppDatabase) -> auth.CurrentUser | None:
    """The user of this run: from the session cookie; under AppTest from the session state."""
    token = st.context.cookies.get(auth.SESSION_COOKIE)
    if isinstance(token, str):
        return auth.user_for_token(app_db.engine, token) if token else None
    if token is None:
        return None  # a browser without a session cookie
    # Only AppTest gets here: its cookies are a mock, and page tests set the user directly.
    user = st.session_state.get(USER_KEY)
    return user if isinstance(user, auth.CurrentUser) else None


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


def _redirect(path: str, message: str) -> None:
    """Send the browser to one of Rete's HTTP routes (a script cannot set cookies)."""
    st.info(message, icon=":material/hourglass_top:")
    # `path` is one of our routes with a query made by urlencode (the ticket we generated, and
    # `next`, the page's own query string encoded twice): no quote, bracket or angle bracket
    # of what a link carried can reach the script or the Markdown link unescaped.
    st.html(
        f"<script>window.location.replace({json.dumps(path)});</script>",
        unsafe_allow_javascript=True,
    )
    st.markdown(f"Se la pagina non cambia entro pochi secondi, [proseguire da qui]({path}).")


def _address_after_login(page: str, user: auth.CurrentUser) -> str:
    """Where the browser goes once logged in: the page and filters it was asked for.

    The role's home is served at '/' (Streamlit answers its own name with "page not found");
    a page the role may not open also leads home.
    """
    wanted = access.may_open(user.role, page) and page != access.home(user.role).key
    path = page if wanted else ""
    query = urlencode(
        [(key, value) for key in st.query_params for value in st.query_params.get_all(key)]
    )
    return f"/{path}" + (f"?{query}" if query else "")


def login_page(app_db: AppDatabase, page: str = "") -> None:
    st.title("Rete · accesso")
    st.caption("La rete territoriale di ALER per gli inquilini degli alloggi pubblici.")
    if st.query_params.get("accesso") == "scaduto":
        st.warning("L'accesso non è stato completato in tempo: inserire di nuovo le credenziali.")
    if app_db.demo:
        st.info(
            "**Versione dimostrativa** con dati inventati. Account disponibili, password `demo`: "
            "`direzione` (cruscotto), `operatore` (community manager), `admin` (amministratore).",
            icon=":material/science:",
        )
    with st.form("login"):
        username = st.text_input("Nome utente", autocomplete="username")
        password = st.text_input("Password", type="password", autocomplete="current-password")
        submitted = st.form_submit_button("Accedi", type="primary")
    if not submitted:
        return
    if not username.strip() or not password:
        st.error("Inserire nome utente e password.")
        return
    try:
        user = auth.authenticate(app_db.engine, username, password)
    except InvalidCredentials as error:
        st.error(str(error))
        return
    ticket = auth.issue_ticket(app_db.engine, user)
    target = urlencode({"ticket": ticket, "next": _address_after_login(page, user)})
    _redirect(f"{SESSION_PATH}?{target}", "Accesso in corso…")
    st.session_state[USER_KEY] = None  # the cookie, set by the route, is the only way in
    st.stop()


def needs_init_page() -> None:
    st.title("Rete · primo avvio")
    st.warning(
        "Il database è vuoto. Un amministratore deve prepararlo dal terminale con "
        "`python -m rete init --no-demo` (chiede la password del primo amministratore), "
        "poi ricaricare questa pagina.",
        icon=":material/construction:",
    )


def demo_banner() -> None:
    st.warning(
        "**Dati dimostrativi**: nomi, enti e numeri sono inventati.", icon=":material/science:"
    )


def user_box(app_db: AppDatabase, user: auth.CurrentUser) -> None:
    with st.sidebar:
        st.caption(f"{user.display_name} · {ROLE_LABELS.get(user.role, user.role)}")
        if st.button("Esci", icon=":material/logout:", key="logout"):
            token = st.context.cookies.get(auth.SESSION_COOKIE)
            if isinstance(token, str) and token:
                auth.end_session(app_db.engine, token)
            st.session_state.pop(USER_KEY, None)
            _redirect(LOGOUT_PATH, "Uscita in corso…")
            st.stop()
