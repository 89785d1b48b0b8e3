"""Around every page: the demo-data banner and, once logged in, the user box with logout."""

from __future__ import annotations

import streamlit as st

from rete import auth
from rete.bootstrap import AppDatabase
from rete.taxonomy import ROLE_LABELS
from rete.ui.forms import plain
from rete.ui.login import redirect
from rete.ui.session import USER_KEY
from rete.web import LOGOUT_PATH


def demo_banner() -> None:
    st.warning(
        "**Dati dimostrativi**: nomi, enti e numeri sono inventati.", icon=":material/science:"
    )


def user_box(app_db: AppDatabase, user: auth.CurrentUser) -> None:
    with st.sidebar:
        # The display name is typed by an administrator: shown as typed, never as Markdown.
        st.caption(plain(f"{user.display_name} · {ROLE_LABELS.get(user.role, user.role)}"))
        if st.button("Esci", icon=":material/logout:", key="logout"):
            token = st.context.cookies.get(auth.SESSION_COOKIE)
            if isinstance(token, str) and token:
                auth.end_session(app_db.engine, token)
            st.session_state.pop(USER_KEY, None)
            redirect(LOGOUT_PATH, "Uscita in corso…")
            st.stop()
