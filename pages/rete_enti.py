"""Rete: the network's partners, whom to call, «Chi può aiutare?», the network's coverage and
the directory's exchange (Open Referral HSDS, Excel). Everyone reads; operatore and admin edit."""

import streamlit as st

from rete import access, formats
from rete.directory import search
from rete.ui import (
    coverage_view,
    database,
    directory_view,
    exchange_view,
    forms,
    links,
    messages,
    partner_form,
    session,
)

user = session.require_page("rete")
app_db = database.app_database()
tax = database.taxonomy(app_db)
today = database.today()
editor = access.may_edit_records(user.role)

VIEWS = {
    "enti": "Enti",
    "aiuto": "Chi può aiutare?",
    "copertura": "Copertura della rete",
    "scambio": "Esporta e importa",
}

st.title("Rete")
forms.show_flash()
asked = st.query_params.get("ente", "")
with messages.friendly_errors():
    if editor and asked == partner_form.NEW:
        partner_form.editor(app_db, user, tax, None, today)
        st.stop()
    partner_id = links.id_from_url("ente")
    if partner_id is not None:
        if editor and st.query_params.get("modifica") == "1":
            partner_form.editor(app_db, user, tax, partner_id, today)
            st.stop()
        if st.button("Tutti gli enti", icon=":material/arrow_back:"):
            st.query_params.clear()
            st.rerun()
        with st.columns([1, 2])[0]:
            period, start, end = directory_view.record_period(today)
        cards = search.partner_cards(app_db.engine, [partner_id], today=today)
        if not cards:
            st.warning(
                "Ente non trovato: cercarlo di nuovo nell'elenco.", icon=":material/search_off:"
            )
            st.stop()
        records = directory_view.records_of(app_db, [partner_id], start, end, today)
        directory_view.partner_card(
            cards[0], records.get(partner_id), period, user.role, opened=True
        )
        directory_view.partner_actions(app_db, user, cards[0], today)
        st.stop()

    view = st.segmented_control(
        "Vista", list(VIEWS), format_func=VIEWS.__getitem__, key="dir_view", default="enti"
    )
    if view == "aiuto":
        st.caption(
            "Gli enti che possono prendere in carico un bisogno in un quartiere, dal più adatto, "
            "con il perché: gli stessi che propone «Segnala a un ente»."
        )
        directory_view.who_can_help(app_db, tax, user.role)
    elif view == "copertura":
        coverage_view.coverage(app_db, tax, today)
    elif view == "scambio":
        exchange_view.exchange(app_db, user, today)
    else:
        if editor and st.button("Nuovo ente", icon=":material/add_business:"):
            partner_form.open_editor(None)
            st.rerun()
        query = directory_view.search_form(tax)
        with st.columns([1, 2])[0]:
            period, start, end = directory_view.record_period(today)
        page_key = "dir_page"
        if st.session_state.get("dir_last_query") != query:  # a new search starts on page 1
            st.session_state["dir_last_query"] = query
            st.session_state[page_key] = 1

        def page_of_results(page: int) -> search.DirectoryPage:
            return directory_view.found_partners(app_db, query, page, today)

        found = page_of_results(int(st.session_state[page_key]))
        if not found.cards and found.total:  # the page kept is past the end (a partner left)
            st.session_state[page_key] = -(-found.total // directory_view.PAGE_SIZE)
            found = page_of_results(int(st.session_state[page_key]))
        if not found.cards:
            st.info(
                "Nessun ente corrisponde alla ricerca: togliere qualche filtro.",
                icon=":material/search_off:",
            )
        else:
            st.caption(
                "1 ente trovato."
                if found.total == 1
                else f"{formats.number(found.total)} enti trovati."
            )
            records = directory_view.records_of(
                app_db, [card.id for card in found.cards], start, end, today
            )
            for card in found.cards:
                directory_view.partner_card(
                    card, records.get(card.id), period, user.role, opened=False
                )
            directory_view.pager(found, page_key)
