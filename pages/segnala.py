"""Segnala a un ente: send a recorded need to a partner of the network, with consent."""

import streamlit as st

from rete.ui import database, forms, links, messages, referral_form, session

user = session.require_page("segnala")
app_db = database.app_database()
today = database.today()

st.title("Segnala a un ente")
need_id = links.id_from_url("bisogno")
partner_id = links.id_from_url("ente")
if need_id is None and partner_id is not None:  # from the directory: the partner first
    with messages.friendly_errors():
        referral_form.need_for_partner(app_db, user, partner_id)
    st.stop()
if need_id is None:
    st.info(
        "Si segnala un bisogno registrato in un colloquio: aprire la scheda del nucleo e "
        "scegliere «Segnala a un ente» accanto al bisogno.",
        icon=":material/info:",
    )
    links.household_search_link()
    st.stop()

with messages.friendly_errors():
    need = referral_form.need_summary(app_db, user, need_id)
    sent = st.session_state.get(f"ref{need_id}_sent")
    if sent:
        st.success(sent, icon=":material/check_circle:")
        links.household_link(
            need.household_id, f"Torna alla scheda del nucleo {need.household_code}"
        )
        if st.button("Segnala lo stesso bisogno a un altro ente", icon=":material/send:"):
            forms.forget(f"ref{need_id}_")
            st.rerun()
        st.stop()
    forms.show_flash()
    referral_form.form(app_db, user, need, today)
