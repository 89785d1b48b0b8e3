"""Colloqui: every interview, newest first; open one to correct it or delete it."""

import streamlit as st

from rete import access
from rete.ui import accesslog_view, database, forms, interviews_view, links, messages, session
from rete.workspace import interviews

user = session.require_page("colloqui")
app_db = database.app_database()
tax = database.taxonomy(app_db)
today = database.today()

st.title("Colloqui")
forms.show_flash()
chosen = links.id_from_url("colloquio")
deleted = access.may_see_deleted(user.role) and st.toggle(
    "Mostra i colloqui eliminati", key="iv_deleted"
)
with messages.friendly_errors():
    if deleted:
        page = interviews.deleted_interviews(
            app_db.engine, user, st.session_state.get("ivdel_page", 0)
        )
        selected = interviews_view.table(page, "ivdel", "Nessun colloquio eliminato.")
        accesslog_view.deleted_interviews_seen(app_db, user, page)
    else:
        filters = interviews_view.filters(tax, today)
        page = interviews.interview_page(app_db.engine, filters, st.session_state.get("iv_page", 0))
        selected = interviews_view.table(page, "iv")
        accesslog_view.interviews_seen(app_db, user, tax, filters, page)
    target = selected or chosen
    if target is not None:
        interviews_view.editor(app_db, user, tax, target, today)
    else:
        st.caption("Selezionare una riga per correggere il colloquio.")
