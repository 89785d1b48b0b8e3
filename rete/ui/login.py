"""The login page, the redirect to Rete's HTTP routes, and the first-start notice."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import streamlit as st

from rete import access, accounts, auth, passwords
from rete.bootstrap import AppDatabase
from rete.errors import InvalidCredentials, ValidationError
from rete.ui import forms
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


def landing_path(page: str, role: str) -> str:
    """The path the browser opens once logged in, for the page the address asked for.

    The role's home is served at '/'; another of Rete's pages keeps its address even when the
    role may not open it, so that the page says why the user sees the home instead.
    """
    known = page in {spec.key for spec in access.PAGES}
    return f"/{page}" if known and page != access.home(role).key else "/"


def _address_after_login(page: str, user: auth.CurrentUser) -> str:
    """Where the browser goes once logged in: the page and filters it was asked for."""
    query = urlencode(
        [(key, value) for key in st.query_params for value in st.query_params.get_all(key)]
    )
    return landing_path(page, user.role) + (f"?{query}" if query else "")


LOGIN_WIDTH = 560  # px: a card, not a form stretched across a 1920 px screen


def login_page(app_db: AppDatabase, page: str = "", *, not_found: bool = False) -> None:
    """The login card, centred. `page` is the page the address asked for (opened after the
    login when the role may); `not_found` says the address was none of Rete's."""
    with st.container(horizontal_alignment="center"), st.container(width=LOGIN_WIDTH):
        _login_card(app_db, page, not_found)


def _login_card(app_db: AppDatabase, page: str, not_found: bool) -> None:
    code = st.query_params.get(accounts.RESET_PARAMETER)
    if code:
        _choose_password(app_db, code)
        return
    st.title("Rete · accesso")
    st.caption("La rete territoriale di ALER per gli inquilini degli alloggi pubblici.")
    if not_found:
        st.warning("Pagina non trovata: dopo l'accesso si apre la pagina iniziale.")
    forms.show_flash()
    if st.query_params.get("accesso") == "scaduto":
        st.warning("L'accesso non è stato completato in tempo: inserire di nuovo le credenziali.")
    if app_db.demo:  # the one demo notice of this page (the other pages have chrome's banner)
        st.info(
            "**Dati dimostrativi**: nomi, enti e numeri sono inventati. Account disponibili, "
            "password `demo`: `direzione` (cruscotto), `operatore` (community manager), "
            "`admin` (amministratore).",
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


RESET = "reset_"


def _choose_password(app_db: AppDatabase, code: str) -> None:
    """The page of a reset link: the user chooses their password (twice), then logs in."""
    st.title("Rete · nuova password")
    username = accounts.reset_user(app_db.engine, code)
    if username is None:
        st.error(accounts.RESET_INVALID, icon=":material/link_off:")
        st.markdown("[Torna alla pagina di accesso](/)")
        return
    st.text(f"Utente: {username}")
    st.caption(
        f"Da {passwords.MIN_LENGTH} a {passwords.MAX_LENGTH} caratteri, nessun'altra regola: una "
        "frase di qualche parola è facile da ricordare e difficile da indovinare. Le password più "
        "usate non sono accettate."
    )
    with st.form("reset"):
        new = st.text_input(
            "Nuova password", type="password", key=f"{RESET}new", autocomplete="new-password"
        )
        forms.field_error(RESET, "new_password")
        again = st.text_input(
            "Ripeti la password", type="password", key=f"{RESET}again", autocomplete="new-password"
        )
        forms.field_error(RESET, "again")
        submitted = st.form_submit_button("Salva la password", type="primary")
    forms.form_error(RESET)
    if not submitted:
        return

    def save() -> str:
        if new != again:
            raise ValidationError("Le due password non coincidono: riscriverle.", field="again")
        try:
            return accounts.complete_reset(app_db.engine, code, new)
        except ValidationError as error:
            if str(error) == accounts.RESET_INVALID:
                raise
            raise ValidationError(str(error), field="new_password") from error

    if forms.attempt(RESET, save, {"new_password", "again"}) is None:
        st.rerun()  # the message goes next to its field
    forms.forget(RESET)
    st.query_params.clear()
    forms.flash("Password salvata: ora si può accedere con il nome utente e la nuova password.")
    st.rerun()


def needs_init_page() -> None:
    st.title("Rete · primo avvio")
    st.warning(
        "Il database è vuoto. Un amministratore deve prepararlo dal terminale con "
        "`python -m rete init --no-demo` (chiede la password del primo amministratore), "
        "poi ricaricare questa pagina.",
        icon=":material/construction:",
    )
