"""Rete: entry point. `streamlit run app.py` serves this script and the login routes of rete.web.

The server also imports this file once as a module to find `app`; the page script therefore
runs only under `__main__` (which is how Streamlit runs it for every browser session).
Every run ends in `st.navigation`, logged in or not, so Streamlit never falls back to serving
the files of pages/ on their own.
"""

import logging
from collections.abc import Callable

import streamlit as st

from rete.web import ROUTES

app = st.App(__file__, routes=ROUTES)

PAGES = {
    "cruscotto": ("pages/cruscotto.py", "Cruscotto", ":material/monitoring:"),
    "registro": ("pages/registro.py", "Registro attività", ":material/history:"),
}


def single_page(draw: Callable[[], None]) -> None:
    """Before login (or when the database is not ready) there is one page and no menu."""
    st.navigation(
        [st.Page(draw, title="Rete", url_path="accesso", default=True)], position="hidden"
    ).run()


def main() -> None:
    from rete import auth, ui
    from rete.errors import ReteError

    st.set_page_config(page_title="Rete · ALER", page_icon=":material/hub:", layout="wide")
    try:
        app_db = ui.app_database()
        user = None if app_db.needs_init else ui.current_user(app_db)
    except ReteError as error:
        problem = error  # the name `error` is unbound once the except block ends

        def unavailable() -> None:
            ui.show_error(problem)

        single_page(unavailable)
        return
    if app_db.needs_init:
        single_page(ui.needs_init_page)
        return
    if app_db.demo:
        ui.demo_banner()
    if user is None:

        def login() -> None:
            ui.login_page(app_db)

        single_page(login)
        return
    st.session_state[ui.USER_KEY] = user
    ui.user_box(app_db, user)
    pages = [
        st.Page(PAGES[key][0], title=PAGES[key][1], icon=PAGES[key][2], url_path=key)
        for key in auth.PAGES_BY_ROLE[user.role]
    ]
    try:
        st.navigation(pages).run()
    except ReteError as error:
        ui.show_error(error)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    main()
