"""Il mio profilo: who I am, my password, my open sessions."""

import streamlit as st

from rete.ui import database, forms, profile_view, session

user = session.require_page("profilo")
app_db = database.app_database()
st.title("Il mio profilo")
forms.show_flash()
profile_view.who(user)
current = profile_view.this_session(app_db.engine)
left, right = st.columns(2, gap="large")
with left:
    profile_view.password_form(app_db.engine, user, current)
with right:
    profile_view.sessions(app_db.engine, user, current)
