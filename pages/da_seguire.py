"""Da seguire: the referrals still open, the overdue ones first; record the partner's answer."""

import streamlit as st

from rete.ui import database, followup_view, forms, session

user = session.require_page("da_seguire")
app_db = database.app_database()
tax = database.taxonomy(app_db)
today = database.today()

st.title("Da seguire")
st.caption(
    "Le segnalazioni ancora aperte: prima quelle in ritardo (nessuna risposta entro la data "
    "attesa), poi le altre per data. Un clic registra la risposta più comune, con la data di "
    "oggi; «Altra risposta o nota…» apre le altre, con motivo, data e nota."
)
forms.show_flash()
filters = followup_view.filters(app_db, tax)
followup_view.worklist(app_db, user, filters, today)
