"""Registro attività: the audit trail, for the administrator."""

import pandas as pd
import streamlit as st

from rete import audit, formats
from rete.ui import database, session

LIMIT = 500

session.require_page("registro")
app_db = database.app_database()
st.title("Registro attività")
st.caption(
    "Chi ha fatto cosa e quando: accessi, accessi non riusciti, modifiche ai dati. "
    "Il registro non contiene i dati sensibili e non si può modificare."
)
entries = pd.DataFrame(audit.recent_entries(app_db.engine, limit=LIMIT))
if entries.empty:
    st.info("Il registro è ancora vuoto.")
else:
    selection = st.dataframe(
        entries,
        hide_index=True,
        on_select="rerun",
        selection_mode="single-row",
        # Keyed by the newest entry: when the trail grows, a selected row number would point at
        # another entry, so the selection is dropped instead.
        key=f"registro_rows_{entries['id'].iloc[0]}",
        column_order=["at", "username", "action", "entity", "summary"],
        column_config={
            # Just wide enough for what they hold at 1440 px; the details take the rest.
            "at": st.column_config.DatetimeColumn("Quando", format="DD/MM/YYYY HH:mm", width=140),
            "username": st.column_config.TextColumn("Utente", width=105),
            "action": st.column_config.TextColumn("Azione", width=205),
            "entity": st.column_config.TextColumn("Oggetto", width=135),
            "summary": st.column_config.TextColumn("Dettagli", width="large"),
        },
    )
    st.caption(
        f"Le ultime {LIMIT} voci, dalla più recente. Selezionare una riga per leggerla per intero."
    )
    rows = selection.selection.rows if selection else []
    if rows:
        entry = entries.iloc[rows[0]]
        when = entry["at"]
        lines = [
            f"Quando: {formats.date(when.date())} {when:%H:%M:%S}",
            f"Utente: {entry['username']}",
            f"Azione: {entry['action']}",
            *([f"Oggetto: {entry['entity']}"] if entry["entity"] else []),
            f"Dettagli: {entry['summary'] or '—'}",
        ]
        with st.container(border=True, key="registro_entry"):
            st.header("Voce selezionata")
            st.text("\n".join(lines))  # as text: a summary is never read as Markdown
