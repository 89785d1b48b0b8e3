"""Registro attività: the audit trail, for the administrator."""

import pandas as pd
import streamlit as st

from rete import audit
from rete.ui import database, session

session.require_page("registro")
app_db = database.app_database()
st.title("Registro attività")
st.caption(
    "Chi ha fatto cosa e quando: accessi, accessi non riusciti, modifiche ai dati. "
    "Il registro non contiene i dati sensibili e non si può modificare."
)
entries = pd.DataFrame(audit.recent_entries(app_db.engine, limit=500))
if entries.empty:
    st.info("Il registro è ancora vuoto.")
else:
    st.dataframe(
        entries,
        hide_index=True,
        column_config={
            "at": st.column_config.DatetimeColumn("Quando", format="DD/MM/YYYY HH:mm"),
            "username": "Utente",
            "action": "Azione",
            "entity": "Oggetto",
            "entity_id": "N.",
            "summary": "Dettagli",
        },
    )
    st.caption("Le ultime 500 voci, dalla più recente.")
