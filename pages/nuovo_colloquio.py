"""Nuovo colloquio: an interview with the needs found in it, recorded in under a minute."""

import streamlit as st

from rete.ui import database, forms, session
from rete.ui import interview_form as form
from rete.ui.links import household_link

PREFIX = "ni_"

user = session.require_page("nuovo_colloquio")
app_db = database.app_database()
tax = database.taxonomy(app_db)
today = database.today()

st.title("Nuovo colloquio")
saved = st.session_state.get(f"{PREFIX}saved")
if saved:
    household_id, code = saved
    st.success("Colloquio salvato. Il Cruscotto lo conta già.", icon=":material/check_circle:")
    household_link(household_id, f"Apri la scheda del nucleo {code}")
    if st.button("Registra un altro colloquio", type="primary", icon=":material/add:"):
        forms.forget(PREFIX)
        st.rerun()
    st.stop()

if "nucleo" in st.query_params and f"{PREFIX}code" not in st.session_state:
    st.session_state[f"{PREFIX}code"] = st.query_params["nucleo"][:40]

st.caption("Campi obbligatori: nucleo, data, canale e almeno un bisogno.")
choice = form.household_picker(app_db, user, tax, PREFIX)
held_on, channel, _ = form.interview_fields(tax, PREFIX, today)
st.header("Bisogni emersi")
needs = form.need_rows(PREFIX, tax)
forms.field_error(PREFIX, "needs")
notes = form.notes_field(PREFIX, PREFIX)
forms.form_error(PREFIX)
if st.button("Salva il colloquio", type="primary", icon=":material/save:", key=f"{PREFIX}save"):
    result = forms.attempt(
        PREFIX,
        lambda: form.save_new_interview(
            app_db, user, choice, held_on, channel, needs, notes, today
        ),
        form.FIELDS,
    )
    if result is not None:
        household_id, _interview_id = result
        st.session_state[f"{PREFIX}saved"] = (
            household_id,
            st.session_state[f"{PREFIX}code"].strip().upper(),
        )
    st.rerun()
