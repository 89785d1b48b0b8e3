"""Rete: entry point. `streamlit run app.py` serves this script and the login routes of rete.web.

The server also imports this file once as a module to find `app`; the page script therefore
runs only under `__main__` (which is how Streamlit runs it for every browser session).
Every run ends in `st.navigation`, logged in or not, so Streamlit never falls back to serving
the files of pages/ on their own.
"""

import logging
import re
from collections.abc import Callable

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager
from streamlit.runtime.scriptrunner import get_script_run_ctx

from rete import access
from rete.web import ROUTES

app = st.App(__file__, routes=ROUTES)

# Until the first st.navigation call in a process, Streamlit would serve each file of pages/
# on its own (its older multipage mode), login or not. The server imports this module once at
# start, so switching that mode off here closes the gap before any browser connects.
PagesManager.uses_pages_directory = False


# An address Streamlit can register as a page: one path segment of plain characters.
PAGE_NAME = re.compile(r"[A-Za-z0-9_-]{1,80}")


def _nothing() -> None:
    """Placeholder body: before login the entry script draws the page itself."""


def asked_page() -> str:
    """The page name of the address the browser opened: '' for "/", and on every run that a
    click started rather than an address (Streamlit then asks by page, not by name)."""
    ctx = get_script_run_ctx()
    return (ctx.pages_manager.intended_page_name or "") if ctx else ""


def unknown(name: str) -> bool:
    """A page name no role has and Streamlit can register (so it says nothing in English)."""
    return name not in {spec.key for spec in access.PAGES} and PAGE_NAME.fullmatch(name) is not None


def single_page(draw: Callable[[str, bool], None]) -> None:
    """Before login (or when the database is not ready): no menu, and every page's address
    leads here, so a link to a view survives the login (`draw` gets the page asked for, and
    whether the address was no page of Rete's)."""
    keys = [spec.key for spec in access.PAGES]
    pages = [st.Page(_nothing, title="Rete", url_path="", default=True)]
    pages += [st.Page(_nothing, title="Rete", url_path=key) for key in keys]
    not_found = unknown(name := asked_page())
    if not_found:
        pages.append(st.Page(_nothing, title="Rete", url_path=name))
    asked = st.navigation(pages, position="hidden")
    draw(asked.url_path if asked.url_path in keys else "", not_found)


def _turn_away(role: str, asked: str, home: st.Page) -> Callable[[], None]:
    """The body of an address the role may not open: nothing of the page; the home says why."""

    def body() -> None:
        from rete.ui import session

        st.session_state[session.NOTICE_KEY] = session.turned_away_notice(role, asked)
        st.switch_page(home)

    return body


def _home_alias(home: st.Page) -> Callable[[], None]:
    """The body of the home's own key ("/cruscotto"): the home at "/", with the link's filters."""

    def body() -> None:
        st.switch_page(
            home, query_params={key: st.query_params.get_all(key) for key in st.query_params}
        )

    return body


def menu(role: str, asked: str = "") -> list[st.Page] | dict[str, list[st.Page]]:
    """The role's pages from the registry, grouped by menu section (a plain list when there is
    only one); the role's home is the default page, served at '/'.

    Every other address is a hidden page that draws nothing and sends the user home with a
    notice (`rete.access.may_open` decides which pages are the role's): the other roles' pages,
    and the address asked for when it is none of Rete's, so Streamlit never answers with its
    own English "Page not found"."""
    home_key = access.home(role).key
    sections: dict[str, list[st.Page]] = {}
    home: st.Page | None = None
    for spec in access.pages_for(role):
        page = st.Page(
            spec.file,
            title=spec.title,
            icon=spec.icon,
            # The home's address is "/" alone: its key becomes a hidden page leading there
            # (a default page is never found by its own name: Streamlit says "Page not found").
            url_path="" if spec.key == home_key else spec.key,
            default=spec.key == home_key,
        )
        home = page if spec.key == home_key else home
        sections.setdefault(spec.section, []).append(page)
    assert home is not None  # every role's home is one of its pages (tests/test_access.py)
    hidden = [st.Page(_home_alias(home), title="Rete", url_path=home_key, visibility="hidden")]
    others = [spec.key for spec in access.PAGES if not access.may_open(role, spec.key)]
    if unknown(asked):
        others.append(asked)
    hidden += [
        st.Page(_turn_away(role, key, home), title="Rete", url_path=key, visibility="hidden")
        for key in others
    ]
    next(iter(sections.values())).extend(hidden)
    return sections if len(sections) > 1 else next(iter(sections.values()))


def main() -> None:
    from rete import auth
    from rete.ui import chrome, database, login, messages, session

    st.set_page_config(page_title="Rete · ALER", page_icon=":material/hub:", layout="wide")
    ready = False
    user: auth.CurrentUser | None = None
    with messages.friendly_errors():
        app_db = database.app_database()
        user = None if app_db.needs_init else session.current_user(app_db)
        ready = True
    if user is None:  # no session (ended, expired, or no database): no user left behind
        st.session_state.pop(session.USER_KEY, None)  # for the page guard, require_page
    if not ready:  # the error is already on the page
        single_page(lambda _page, _not_found: None)
        return
    if app_db.needs_init:
        single_page(lambda _page, _not_found: login.needs_init_page())
        return
    if user is None:  # the login page says itself that the data are a demo's
        single_page(lambda page, not_found: login.login_page(app_db, page, not_found=not_found))
        return
    if app_db.demo:
        chrome.demo_banner()
    st.session_state[session.USER_KEY] = user
    chrome.user_box(app_db, user)
    notice = st.session_state.pop(session.NOTICE_KEY, None)
    if isinstance(notice, str):
        st.warning(notice, icon=":material/block:")
    with messages.friendly_errors():
        st.navigation(menu(user.role, asked_page())).run()


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)  # Rete logs its own upgrade line
    try:
        main()
    finally:
        from rete import heap

        heap.freeze_once()
