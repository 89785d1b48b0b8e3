"""Riunione: the network meeting's slides from live data, presented full screen or handed out
as PowerPoint, Word, Excel and HTML files; aggregate figures only, small counts hidden."""

import streamlit as st

from rete.ui import database, forms, meeting_view, session

user = session.require_page("riunione")
app_db = database.app_database()
tax = database.taxonomy(app_db)
now = database.today()
choice = meeting_view.choice_from_url(tax, now)

if choice.presenting:
    deck = meeting_view.deck(app_db, choice.filters, now)
    meeting_view.present(deck.without(choice.hidden), choice, meeting_view.draw_slide)
    st.stop()

st.title("Riunione")
st.caption(
    "Le slide si compongono dai dati di oggi: solo numeri aggregati, senza nomi, codici o note; "
    "i valori piccoli non sono mostrati, così che si possano proiettare davanti agli enti."
)
forms.show_flash()
choice = meeting_view.choose(choice, tax, now)
deck = meeting_view.deck(app_db, choice.filters, now)
st.caption(f"{deck.period_label} · {deck.territory_label} · {deck.suppression_note}")
actions = st.container()  # above the slide list, filled once the list says what is left out
choice = meeting_view.slide_list(deck, choice)
with actions:
    st.button(
        "Presenta",
        type="primary",
        icon=":material/slideshow:",
        on_click=meeting_view.start_presenting,
        args=(choice,),
        disabled=len(choice.hidden) == len(deck.slides),
    )
    meeting_view.downloads(app_db, user, deck, choice)
meeting_view.settings_form(app_db, user)
