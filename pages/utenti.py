"""Utenti: the administrator's accounts page (create, role, deactivate, reset, unlock, end
sessions) and the security and retention settings."""

import streamlit as st

from rete import accounts
from rete.ui import database, forms, session, users_view

admin = session.require_page("utenti")
app_db = database.app_database()
st.title("Utenti")
st.caption(
    "Chi può accedere a Rete e con quale ruolo. Le password non si vedono né si impostano qui: "
    "per un nuovo utente, o per chi l'ha dimenticata, si crea un link che l'utente apre per "
    "sceglierla da sé."
)
forms.show_flash()
users_view.show_link()
rows = accounts.users(app_db.engine)
chosen = users_view.user_table(rows)
if chosen is not None:
    users_view.user_panel(app_db.engine, admin, chosen)
users_view.new_user_form(app_db.engine, admin)
users_view.settings_form(app_db.engine, admin)
