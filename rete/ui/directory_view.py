"""The «Rete» page's views: the partners found by a search, each as a card with its contact
persons and its record in the network, and «Chi può aiutare?».

Every text that came from a person (names, descriptions, roles) is shown as text (`plain`);
telephone numbers and e-mail addresses are `tel:` and `mailto:` links (`links.channel_links`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import streamlit as st

from rete import access, directory, formats
from rete.bootstrap import AppDatabase
from rete.db import get_engine, session_scope
from rete.directory import edit, search
from rete.directory.search import DirectoryPage, DirectoryQuery, PartnerCard, PartnerRecord
from rete.filters import PRESET_LABELS, PRESET_LAST_12, month_of, period_bounds, period_label
from rete.taxonomy import PARTNER_KINDS, Taxonomy
from rete.ui import forms, links, partner_form, session
from rete.ui.database import current_version, engine_url
from rete.ui.forms import plain
from rete.writes import Actor

PAGE_SIZE = 10
ALL = "tutti"
STATUSES = {"active": "Attivi", "inactive": "Disattivati", ALL: "Attivi e disattivati"}
REFERRAL_PAGE = "pages/segnala.py"


# --- The search, cached like the Cruscotto (database, data version, arguments, day): a rerun
# for a widget of the page (the editor's, the pager's) does not ask the database again.


@st.cache_data(show_spinner=False, max_entries=64)
def _found(url: str, version: int, query: DirectoryQuery, page: int, today: dt.date) -> Any:
    return search.search_partners(
        get_engine(url), query, page=page, page_size=PAGE_SIZE, today=today
    )


@st.cache_data(show_spinner=False, max_entries=64)
def _records(
    url: str, version: int, ids: tuple[int, ...], start: int, end: int, today: dt.date
) -> Any:
    return search.partner_records(get_engine(url), ids, start, end, today)


def found_partners(
    app_db: AppDatabase, query: DirectoryQuery, page: int, today: dt.date
) -> DirectoryPage:
    """A page of the partners matching `query` (`search.search_partners`)."""
    found: DirectoryPage = _found(engine_url(app_db), current_version(app_db), query, page, today)
    return found


def records_of(
    app_db: AppDatabase, ids: list[int], start: int, end: int, today: dt.date
) -> dict[int, PartnerRecord]:
    """Each partner's record in the network for the months start..end (`search.partner_records`)."""
    version = current_version(app_db)
    found: dict[int, PartnerRecord] = _records(
        engine_url(app_db), version, tuple(ids), start, end, today
    )
    return found


def _place_options(tax: Taxonomy) -> dict[str, str]:
    """Municipalities ("m:Varese") and neighbourhoods ("n:12"), each municipality followed by
    its neighbourhoods."""
    options = {ALL: "Tutti i luoghi"}
    for municipality in tax.municipalities():
        options[f"m:{municipality}"] = f"Comune di {municipality}"
        for id_, name, town in tax.neighbourhoods:
            if town == municipality:
                options[f"n:{id_}"] = f"{name} ({municipality})"
    return options


def search_form(tax: Taxonomy) -> DirectoryQuery:
    """The search, as the user sets it; the values stay for the whole session."""
    text = st.text_input(
        "Cerca un ente",
        key="dir_text",
        placeholder="nome, descrizione, referente (accenti e maiuscole non contano)",
        max_chars=80,
        live="400ms",
    )
    covers = {0: "Tutti i bisogni", **partner_form.coverage_options(tax)}
    places = _place_options(tax)
    kinds = {ALL: "Tutti i tipi", **PARTNER_KINDS}
    need, place, kind, status = st.columns(4)
    chosen_need = need.selectbox(
        "Bisogno coperto", list(covers), format_func=covers.__getitem__, key="dir_need"
    )
    chosen_place = place.selectbox(
        "Luogo servito", list(places), format_func=places.__getitem__, key="dir_place"
    )
    chosen_kind = kind.selectbox("Tipo", list(kinds), format_func=kinds.__getitem__, key="dir_kind")
    chosen_status = status.selectbox(
        "Stato", list(STATUSES), format_func=STATUSES.__getitem__, key="dir_status"
    )
    areas = {area.id for area in tax.areas}
    need_id = int(chosen_need) or None
    place_key = str(chosen_place)
    return DirectoryQuery(
        text=text.strip(),
        area_id=need_id if need_id in areas else None,
        category_id=need_id if need_id is not None and need_id not in areas else None,
        municipality=place_key[2:] if place_key.startswith("m:") else None,
        neighbourhood_id=int(place_key[2:]) if place_key.startswith("n:") else None,
        kind=None if chosen_kind == ALL else str(chosen_kind),
        active=None if chosen_status == ALL else chosen_status == "active",
    )


def record_period(
    today: dt.date, *, key: str = "dir_period", label: str = "Attività nella rete nel periodo"
) -> tuple[str, int, int]:
    """A period among the Cruscotto's presets (the cards' records, the coverage): its label,
    first and last month."""
    spec = st.selectbox(label, list(PRESET_LABELS), format_func=PRESET_LABELS.__getitem__, key=key)
    bounds = period_bounds(str(spec), today) or period_bounds(PRESET_LAST_12, today)
    assert bounds is not None
    start, end = bounds
    return period_label(str(spec), start, end), start, min(end, month_of(today))


def pager(found: DirectoryPage, key: str) -> int:
    """The page of results to show (1-based), with «Precedenti»/«Successivi» when needed."""
    pages = max(1, -(-found.total // PAGE_SIZE))
    page = min(int(st.session_state.get(key, 1)), pages)
    if pages > 1:
        back, where, forward = st.columns([1, 2, 1], vertical_alignment="center")
        if back.button("Precedenti", key=f"{key}_back", disabled=page <= 1):
            st.session_state[key] = page - 1
            st.rerun()
        where.caption(f"Pagina {page} di {pages}")
        if forward.button("Successivi", key=f"{key}_next", disabled=page >= pages):
            st.session_state[key] = page + 1
            st.rerun()
    return page


# --- A partner's card


def contact_lines(card: PartnerCard) -> None:
    """The contact persons, the primary first, each with its direct channels as links."""
    if not card.contacts:
        st.caption("Nessun referente indicato.")
    for contact in card.contacts:
        st.markdown(links.contact_line(contact))


def _record_line(record: PartnerRecord | None, period: str) -> str:
    """'Ultimi 12 mesi completi (dicembre 2025 – novembre 2026): 17 segnalazioni ricevute ·
    prese in carico 94,1% (16 su 17) · presa in carico in 3,0 giorni (mediana). Aperte ora: 2.'"""
    when = period[:1].upper() + period[1:]
    if record is None or record.received == 0:
        line = f"{when}: nessuna segnalazione ricevuta."
    else:
        sent = "segnalazione ricevuta" if record.received == 1 else "segnalazioni ricevute"
        line = f"{when}: {formats.number(record.received)} {sent}"
        if record.share_taken is not None:
            line += (
                f" · prese in carico {formats.percent(record.share_taken)} "
                f"({formats.number(record.taken)} su {formats.number(record.judged)})"
            )
        if record.median_days is not None:
            line += (
                f" · presa in carico in {formats.number(record.median_days, 1)} giorni (mediana)"
            )
        line += "."
    if record is not None and record.open_now:
        line += f" Aperte ora: {formats.number(record.open_now)}"
        if record.overdue_now:
            line += f", di cui {formats.number(record.overdue_now)} in ritardo"
        line += "."
    return line


def _verified_line(card: PartnerCard) -> str:
    if card.last_verified_on is None:
        return ":material/warning: Mai verificato con l'ente: da ricontrollare."
    when = f"Verificato con l'ente il {formats.date(card.last_verified_on)}"
    return f":material/warning: {when}: da ricontrollare." if card.needs_check else f"{when}."


def partner_card(
    card: PartnerCard, record: PartnerRecord | None, period: str, role: str, *, opened: bool
) -> None:
    """One partner: what it is, covers and serves, whom to call, and its record."""
    with st.container(border=True):
        title = f"**{plain(card.name)}** · {plain(card.kind)}"
        if not card.active:
            title += " · :gray-badge[disattivato]"
        st.markdown(title)
        if card.description:
            st.text(card.description)
        st.markdown(
            f"**Copre:** {plain(', '.join(card.covers) or 'nulla indicato')}  \n"
            f"**Dove:** {plain(', '.join(card.serves) or 'nessun luogo indicato')}"
        )
        seat = (
            card.municipality
            if card.municipality and card.municipality not in (card.address or "")
            else None
        )
        office = [plain(part) for part in (card.address, seat) if part]
        office += links.channel_links(card.phone, card.email)
        if card.website:
            office.append(plain(card.website))
        if office:
            st.markdown("**Sede:** " + " · ".join(office))
        contact_lines(card)
        st.caption(plain(_record_line(record, period)) + "  \n" + _verified_line(card))
        actions = st.container(horizontal=True, vertical_alignment="center")
        if not opened and actions.button(
            "Apri la scheda", key=f"open_{card.id}", icon=":material/open_in_full:"
        ):
            st.query_params.clear()
            st.query_params["ente"] = str(card.id)
            st.rerun()
        if access.may_edit_records(role) and card.active:
            with actions:
                st.page_link(
                    REFERRAL_PAGE,
                    label="Segnala un bisogno a questo ente",
                    icon=":material/send:",
                    query_params={"ente": str(card.id)},
                )


def partner_actions(app_db: AppDatabase, user: Actor, card: PartnerCard, today: dt.date) -> None:
    """On an opened card, for those who edit the directory: edit, verified today,
    deactivate or reactivate, delete (refused with the reason when referrals name it)."""
    if not access.may_edit_records(user.role):
        return
    form = f"pa{card.id}_"
    row = st.container(horizontal=True)  # the buttons side by side, not spread over the page
    if row.button("Modifica", key=f"{form}edit", icon=":material/edit:", type="primary"):
        partner_form.open_editor(card.id)
        st.rerun()

    # Callbacks carrying what the user saw: the partner's version and the state asked for, so a
    # change saved meanwhile (or the second click of a double click) is refused, never reversed.
    drawn = (app_db, user, card.id, card.name, card.version, today, form)
    row.button("Verificato oggi", key=f"{form}verify", icon=":material/verified:",
               help="I dati sono stati confermati oggi con l'ente.",
               on_click=_act, args=(*drawn, "verify", card.active))  # fmt: skip
    label, icon = ("Disattiva", "toggle_off") if card.active else ("Riattiva", "toggle_on")
    row.button(label, key=f"{form}toggle", icon=f":material/{icon}:",
               help="Un ente disattivato non viene più proposto, ma la sua storia resta.",
               on_click=_act, args=(*drawn, "toggle", not card.active))  # fmt: skip
    with row.popover("Elimina", icon=":material/delete:",
                     help="Solo per un ente mai usato: altrimenti disattivarlo."):  # fmt: skip
        st.write(
            "L'ente, i suoi referenti e ciò che copre spariranno dall'elenco. Si può eliminare "
            "solo un ente a cui non è mai stata inviata una segnalazione: altrimenti disattivarlo."
        )
        st.button("Sì, elimina", type="primary", key=f"{form}delete",
                  on_click=_act, args=(*drawn, "delete", card.active))  # fmt: skip
    forms.form_error(form)


def _act(
    app_db: AppDatabase,
    user: Actor,
    partner_id: int,
    name: str,
    version: int,
    today: dt.date,
    form: str,
    action: str,
    active: bool,
) -> None:
    """One of the card's actions, as a button's callback: `version` and `active` (the state
    asked for) are those the user saw when the button was drawn."""
    if not session.still_signed_in(app_db.engine, user):
        return

    def run() -> bool:
        with session_scope(app_db.engine) as session:
            if action == "verify":
                edit.mark_verified(session, user, partner_id, today, version=version)
            elif action == "toggle":
                edit.set_active(session, user, partner_id, active, version=version)
            else:
                edit.delete_partner(session, user, partner_id, version=version)
        return True

    if forms.attempt(form, run):
        done = {
            "verify": "verificato oggi",
            "toggle": "riattivato" if active else "disattivato",
            "delete": "eliminato dalla rete",
        }
        forms.flash(f"«{name}» {done[action]}.")
        if action == "delete":
            st.query_params.clear()


# --- Chi può aiutare?


def who_can_help(app_db: AppDatabase, tax: Taxonomy, role: str) -> None:
    """A specific need and a neighbourhood: the partners that can take it, best first, with
    the reason of each rank in words (`directory.propose_partners`, as the referral form)."""
    needs = {
        need.id: f"{area.name} › {need.name}"
        for area in tax.areas
        for need in tax.needs
        if need.area_id == area.id
    }
    places = partner_form.neighbourhood_options(tax)
    need_column, place_column = st.columns(2)
    need_id = need_column.selectbox(
        "Bisogno specifico",
        list(needs),
        format_func=needs.__getitem__,
        index=None,
        placeholder="Scegliere il bisogno",
        key="help_need",
    )
    place_id = place_column.selectbox(
        "Quartiere",
        list(places),
        format_func=places.__getitem__,
        index=None,
        placeholder="Scegliere il quartiere",
        key="help_place",
    )
    if need_id is None or place_id is None:
        st.caption("Scegliere un bisogno specifico e un quartiere.")
        return
    proposals = directory.propose_partners(app_db.engine, int(need_id), int(place_id))
    if not proposals:
        st.warning(
            "Nessun ente attivo della rete copre questo bisogno in questo quartiere: è un buco "
            "della rete (vedi «Copertura della rete»).",
            icon=":material/search_off:",
        )
        return
    found = "ente può" if len(proposals) == 1 else "enti possono"
    st.markdown(f"**{formats.number(len(proposals))} {found} aiutare**, dal più adatto:")
    for rank, proposal in enumerate(proposals, start=1):
        with st.container(border=True):
            st.markdown(f"**{rank}. {plain(proposal.name)}** · {plain(proposal.kind)}")
            st.caption(plain(proposal.reason))
            for contact in proposal.contacts:
                st.markdown(links.contact_line(contact))
            if access.may_edit_records(role):
                st.page_link(
                    REFERRAL_PAGE,
                    label="Segnala un bisogno a questo ente",
                    icon=":material/send:",
                    query_params={"ente": str(proposal.partner_id)},
                )
