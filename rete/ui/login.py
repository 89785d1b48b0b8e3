"""The login page, the redirect to Rete's HTTP routes, and the first-start notice."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import streamlit as st

from rete import access, auth
from rete.bootstrap import AppDatabase
from rete.errors import InvalidCredentials
from rete.ui.session import USER_KEY
from rete.web import SESSION_PATH


def redirect(path: str, message: str) -> None:
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
    redirect(f"{SESSION_PATH}?{target}", "Accesso in corso…")
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
