"""Scheda nucleo: everything about one household on one screen, as a timeline."""

import streamlit as st

from rete.ui import accesslog_view, database, forms, household_view, links, messages, session
from rete.workspace import households

user = session.require_page("nucleo")
app_db = database.app_database()
tax = database.taxonomy(app_db)
today = database.today()

forms.show_flash()
household_id = links.id_from_url("nucleo")
if household_id is None:
    st.title("Scheda nucleo")
    st.caption("Cercare il nucleo per codice: la scheda mostra colloqui, bisogni e segnalazioni.")
    household_view.search(app_db, user)
    st.stop()
st.query_params["nucleo"] = str(household_id)  # a card opened from the search keeps its address

with messages.friendly_errors():
    card = households.household_card(app_db.engine, user, household_id)
    household_view.header(card)
    links.new_interview_link(card.code)
    household_view.edit_details(app_db, user, card, tax)
    accesslog_view.who_saw(app_db, user, card.id)
    st.header("Colloqui, bisogni e segnalazioni")
    household_view.timeline(app_db, user, card, today)
