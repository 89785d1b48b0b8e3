"""Rete: entry point. `streamlit run app.py` serves this script and the login routes of rete.web.

The server also imports this file once as a module to find `app`; the page script therefore
runs only under `__main__` (which is how Streamlit runs it for every browser session).
Every run ends in `st.navigation`, logged in or not, so Streamlit never falls back to serving
the files of pages/ on their own.
"""

import logging
from collections.abc import Callable

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from rete import access
from rete.web import ROUTES

app = st.App(__file__, routes=ROUTES)

# Until the first st.navigation call in a process, Streamlit would serve each file of pages/
# on its own (its older multipage mode), login or not. The server imports this module once at
# start, so switching that mode off here closes the gap before any browser connects.
PagesManager.uses_pages_directory = False


def _nothing() -> None:
    """Placeholder body: before login the entry script draws the page itself."""


def single_page(draw: Callable[[str], None]) -> None:
    """Before login (or when the database is not ready): no menu, and every page's address
    leads here, so a link to a view survives the login (`draw` gets the page asked for)."""
    pages = [st.Page(_nothing, title="Rete", url_path="accesso", default=True)]
    pages += [st.Page(_nothing, title="Rete", url_path=spec.key) for spec in access.PAGES]
    asked = st.navigation(pages, position="hidden")
    draw("" if asked.url_path == "accesso" else asked.url_path)


def menu(role: str) -> list[st.Page] | dict[str, list[st.Page]]:
    """The role's pages from the registry, grouped by menu section (a plain list when there is
    only one); the role's home is the default page, served at '/'."""
    home = access.home(role).key
    sections: dict[str, list[st.Page]] = {}
    for spec in access.pages_for(role):
        sections.setdefault(spec.section, []).append(
            st.Page(
                spec.file,
                title=spec.title,
                icon=spec.icon,
                url_path=spec.key,
                default=spec.key == home,
            )
        )
    return sections if len(sections) > 1 else next(iter(sections.values()))


def main() -> None:
    from rete.ui import chrome, database, login, messages, session

    st.set_page_config(page_title="Rete · ALER", page_icon=":material/hub:", layout="wide")
    ready = False
    with messages.friendly_errors():
        app_db = database.app_database()
        user = None if app_db.needs_init else session.current_user(app_db)
        ready = True
    if not ready:  # the error is already on the page
        single_page(lambda _page: None)
        return
    if app_db.needs_init:
        single_page(lambda _page: login.needs_init_page())
        return
    if app_db.demo:
        chrome.demo_banner()
    if user is None:
        single_page(lambda page: login.login_page(app_db, page))
        return
    st.session_state[session.USER_KEY] = user
    chrome.user_box(app_db, user)
    with messages.friendly_errors():
        st.navigation(menu(user.role)).run()


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)  # Rete logs its own upgrade line
    main()
