"""Registro accessi: the audit trail for the administrator, filtered, paged, exported."""

import streamlit as st

from rete import accesslog
from rete.ui import accesslog_view, database, session

user = session.require_page("registro")
app_db = database.app_database()
today = database.today()
st.title("Registro accessi")
st.caption(
    "Chi ha fatto cosa e quando: accessi, schede ed elenchi con dati personali consultati, "
    "modifiche, file scaricati. Il registro non contiene i dati sensibili e non si può "
    "modificare."
)
chosen = accesslog_view.filters(accesslog.options(app_db.engine), today)
accesslog_view.download(app_db, user, chosen, today)
accesslog_view.entries(app_db, chosen)
