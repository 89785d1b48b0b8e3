"""The directory's editor: a partner, what it covers, where it works, its contact persons.

One form for a new partner and for an existing one (`rete.directory.edit` checks and saves).
Its values live in `st.session_state` under one prefix, so a refused save keeps everything
typed; the partner's version is the one the form was opened with, so a change someone else
saved meanwhile is refused, not overwritten (`forms.opened_version`). The contact persons are
a list the user grows and shrinks; each keeps its id, so a renamed person stays the same row.
"""

from __future__ import annotations

import datetime as dt
import itertools

import streamlit as st
from sqlalchemy import select

from rete.bootstrap import AppDatabase
from rete.db import session_scope
from rete.directory import edit
from rete.directory.edit import ContactInput, PartnerInput
from rete.models import Category, Neighbourhood
from rete.taxonomy import PARTNER_KINDS, Taxonomy
from rete.ui import forms
from rete.writes import Actor

NEW = "nuovo"  # the editor's address for a partner not yet saved: ?ente=nuovo
PARTNER_FIELDS = {
    "name",
    "kind",
    "description",
    "email",
    "phone",
    "website",
    "address",
    "municipality",
    "category_ids",
    "neighbourhood_ids",
    "municipalities",
    "contacts",
}
CONTACT_FIELDS = ("name", "role", "phone", "email", "preferred_channel", "is_primary")
NO_CHANNEL = "nessuno"


def prefix(partner_id: int | None) -> str:
    return f"pf{partner_id if partner_id is not None else NEW}_"


def coverage_options(tax: Taxonomy) -> dict[int, str]:
    """Each area ("Tutta l'area Salute") followed by its specific needs ("Salute › Visite")."""
    options: dict[int, str] = {}
    for area in tax.areas:
        options[area.id] = f"Tutta l'area {area.name}"
        for need in tax.needs:
            if need.area_id == area.id:
                options[need.id] = f"{area.name} › {need.name}"
    return options


def neighbourhood_options(tax: Taxonomy) -> dict[int, str]:
    return {id_: f"{name} ({municipality})" for id_, name, municipality in tax.neighbourhoods}


def _start(form: str, data: PartnerInput) -> None:
    """Put a partner's saved values into the form, once (later runs keep what is typed)."""
    if f"{form}started" in st.session_state:
        return
    values = {
        "name": data.name,
        "kind": data.kind,
        "description": data.description or "",
        "email": data.email or "",
        "phone": data.phone or "",
        "website": data.website or "",
        "address": data.address or "",
        "municipality": data.municipality or "",
        "category_ids": list(data.category_ids),
        "neighbourhood_ids": list(data.neighbourhood_ids),
        "municipalities": list(data.municipalities),
    }
    for name, value in values.items():
        st.session_state[f"{form}{name}"] = value
    slots = []
    for slot, contact in enumerate(data.contacts or (ContactInput(name="", is_primary=True),)):
        slots.append((slot, contact.id))
        at = f"{form}c{slot}_"
        st.session_state[f"{at}name"] = contact.name
        st.session_state[f"{at}role"] = contact.role or ""
        st.session_state[f"{at}phone"] = contact.phone or ""
        st.session_state[f"{at}email"] = contact.email or ""
        st.session_state[f"{at}preferred_channel"] = contact.preferred_channel or NO_CHANNEL
        st.session_state[f"{at}is_primary"] = contact.is_primary
    st.session_state[f"{form}slots"] = slots
    st.session_state[f"{form}started"] = True


def _slots(form: str) -> list[tuple[int, int | None]]:
    """The contact persons shown: (slot number, the contact's id or None for a new one)."""
    slots: list[tuple[int, int | None]] = st.session_state[f"{form}slots"]
    return slots


def _add_contact(form: str) -> None:
    slots = _slots(form)
    slot = max((s for s, _ in slots), default=-1) + 1
    st.session_state[f"{form}slots"] = [*slots, (slot, None)]
    st.session_state[f"{form}c{slot}_is_primary"] = not slots


def _remove_contact(form: str, slot: int) -> None:
    st.session_state[f"{form}slots"] = [s for s in _slots(form) if s[0] != slot]


RETIRED = " (non più in uso)"


def _with_retired(
    app_db: AppDatabase,
    form: str,
    field: str,
    options: dict[int, str],
    model: type[Category] | type[Neighbourhood],
) -> dict[int, str]:
    """The active choices, plus those the partner already has that were retired since: a
    multiselect drops a value that is not among its options, so a save (even of a phone
    number) would silently take them away from the partner."""
    missing = [id_ for id_ in st.session_state.get(f"{form}{field}", ()) if id_ not in options]
    if not missing:
        return options
    with session_scope(app_db.engine) as session:
        rows = session.execute(select(model.id, model.name).where(model.id.in_(missing)))
        names = {int(id_): str(name) for id_, name in rows}
    return {**options, **{id_: f"{names.get(id_, id_)}{RETIRED}" for id_ in missing}}


def _text(
    form: str, name: str, label: str, *, max_chars: int | None = None, placeholder: str = ""
) -> None:
    st.text_input(label, key=f"{form}{name}", max_chars=max_chars, placeholder=placeholder)
    forms.field_error(form, name)


def _contact_fields(form: str, index: int, slot: int, removable: bool) -> None:
    at = f"{form}c{slot}_"
    field = f"contacts.{index}."
    with st.container(border=True):
        st.markdown(f"**Referente {index + 1}**")
        name, role = st.columns(2)
        with name:
            st.text_input("Nome e cognome", key=f"{at}name", max_chars=edit.CONTACT_NAME_MAX)
            forms.field_error(form, f"{field}name")
        with role:
            st.text_input(
                "Ruolo",
                key=f"{at}role",
                max_chars=edit.CONTACT_ROLE_MAX,
                placeholder="ad esempio assistente sociale",
            )
            forms.field_error(form, f"{field}role")
        phone, email = st.columns(2)
        with phone:
            st.text_input("Telefono diretto", key=f"{at}phone", placeholder="0332 123456")
            forms.field_error(form, f"{field}phone")
        with email:
            st.text_input("E-mail diretta", key=f"{at}email", placeholder="nome@ente.it")
            forms.field_error(form, f"{field}email")
        channel, primary = st.columns(2)
        with channel:
            choices = {NO_CHANNEL: "Nessuna preferenza", **edit.CONTACT_CHANNELS}
            st.selectbox(
                "Canale preferito",
                list(choices),
                format_func=choices.__getitem__,
                key=f"{at}preferred_channel",
            )
            forms.field_error(form, f"{field}preferred_channel")
        with primary:
            st.checkbox(
                "Referente principale",
                key=f"{at}is_primary",
                help="Il primo da chiamare: uno solo per ente.",
            )
            forms.field_error(form, f"{field}is_primary")
            if removable:
                st.button(
                    "Togli questo referente",
                    key=f"{at}remove",
                    icon=":material/person_remove:",
                    on_click=_remove_contact,
                    args=(form, slot),
                )


def _entered(form: str, uuid: str | None) -> PartnerInput:
    """What the form holds now, as the edit functions take it."""
    state = st.session_state

    def text(name: str) -> str | None:
        value = str(state.get(f"{form}{name}", "")).strip()
        return value or None

    contacts = []
    for slot, contact_id in _slots(form):
        at = f"{form}c{slot}_"
        channel = state.get(f"{at}preferred_channel", NO_CHANNEL)
        contacts.append(
            ContactInput(
                name=str(state.get(f"{at}name", "")),
                role=str(state.get(f"{at}role", "")) or None,
                phone=str(state.get(f"{at}phone", "")) or None,
                email=str(state.get(f"{at}email", "")) or None,
                preferred_channel=None if channel == NO_CHANNEL else str(channel),
                is_primary=bool(state.get(f"{at}is_primary")),
                id=contact_id,
            )
        )
    return PartnerInput(
        name=str(state.get(f"{form}name", "")),
        kind=str(state.get(f"{form}kind", "")),
        description=text("description"),
        email=text("email"),
        phone=text("phone"),
        website=text("website"),
        address=text("address"),
        municipality=text("municipality"),
        category_ids=tuple(state.get(f"{form}category_ids", ())),
        neighbourhood_ids=tuple(state.get(f"{form}neighbourhood_ids", ())),
        municipalities=tuple(state.get(f"{form}municipalities", ())),
        contacts=tuple(contacts),
        uuid=uuid,
    )


def _fields_shown(form: str) -> set[str]:
    contacts = {
        f"contacts.{index}.{name}"
        for index, name in itertools.product(range(len(_slots(form))), CONTACT_FIELDS)
    }
    return PARTNER_FIELDS | contacts


def open_editor(partner_id: int | None) -> None:
    """The editor's address: ?ente=<id>&modifica=1, or ?ente=nuovo for a new partner."""
    st.query_params.clear()
    if partner_id is None:
        st.query_params["ente"] = NEW
    else:
        st.query_params.update({"ente": str(partner_id), "modifica": "1"})


def close_editor(partner_id: int | None) -> None:
    """Back to the partner's card (or to the list, for a new partner not saved)."""
    st.query_params.clear()
    if partner_id is not None:
        st.query_params["ente"] = str(partner_id)


def editor(
    app_db: AppDatabase, user: Actor, tax: Taxonomy, partner_id: int | None, today: dt.date
) -> None:
    """The form. Saved, it goes back to the partner's card with a confirmation; cancelled, to
    where the user came from; refused, it stays with every value and the messages in place."""
    form = prefix(partner_id)
    uuid = None
    if partner_id is None:
        _start(form, PartnerInput(name="", kind="association"))
        version = 0
    else:
        with session_scope(app_db.engine) as session:
            saved, current = edit.partner_input(session, partner_id)
        _start(form, saved)
        uuid = saved.uuid
        version = forms.opened_version(form, current)
        forms.changed_meanwhile(form, version, current, "questo ente")

    # A level-2 heading under the page's «Rete» (h1): a skipped level confuses screen readers.
    st.header("Nuovo ente" if partner_id is None else "Modifica l'ente")
    name, kind = st.columns([2, 1])
    with name:
        _text(form, "name", "Nome dell'ente", max_chars=edit.NAME_MAX)
    with kind:
        st.selectbox(
            "Tipo", list(PARTNER_KINDS), format_func=PARTNER_KINDS.__getitem__, key=f"{form}kind"
        )
        forms.field_error(form, "kind")
    st.text_area("Descrizione", key=f"{form}description", max_chars=edit.DESCRIPTION_MAX)
    forms.field_error(form, "description")
    first, second, third = st.columns(3)
    with first:
        _text(form, "phone", "Telefono dell'ente", placeholder="0332 123456")
    with second:
        _text(form, "email", "E-mail dell'ente", placeholder="info@ente.it")
    with third:
        _text(form, "website", "Sito web", placeholder="www.ente.it")
    address, seat = st.columns([2, 1])
    with address:
        _text(form, "address", "Indirizzo", max_chars=edit.ADDRESS_MAX)
    with seat:
        _text(form, "municipality", "Comune della sede", max_chars=edit.MUNICIPALITY_MAX)

    st.markdown("**Di che cosa si occupa e dove**")
    covers = _with_retired(app_db, form, "category_ids", coverage_options(tax), Category)
    st.multiselect(
        "Bisogni coperti",
        [id_ for id_ in covers],
        format_func=covers.__getitem__,
        key=f"{form}category_ids",
        placeholder="Scegliere aree intere o bisogni specifici",
        help="«Tutta l'area» vale per ogni bisogno specifico dell'area.",
    )
    forms.field_error(form, "category_ids")
    places = _with_retired(
        app_db, form, "neighbourhood_ids", neighbourhood_options(tax), Neighbourhood
    )
    where, towns = st.columns(2)
    with where:
        st.multiselect(
            "Quartieri serviti",
            list(places),
            format_func=places.__getitem__,
            key=f"{form}neighbourhood_ids",
            placeholder="Scegliere i quartieri",
        )
        forms.field_error(form, "neighbourhood_ids")
    with towns:
        st.multiselect(
            "Comuni serviti per intero",
            tax.municipalities(),
            key=f"{form}municipalities",
            placeholder="Scegliere i comuni",
        )
        forms.field_error(form, "municipalities")

    st.markdown("**Referenti**")
    forms.field_error(form, "contacts")
    slots = _slots(form)
    for index, (slot, _) in enumerate(slots):
        _contact_fields(form, index, slot, removable=len(slots) > 1)
    st.button(
        "Aggiungi un referente",
        key=f"{form}add",
        icon=":material/person_add:",
        on_click=_add_contact,
        args=(form,),
    )

    forms.form_error(form)
    buttons = st.container(horizontal=True)  # side by side, whatever the screen's width
    if buttons.button("Salva", key=f"{form}save", type="primary", icon=":material/save:"):
        data = _entered(form, uuid)

        def store() -> int:
            with session_scope(app_db.engine) as session:
                if partner_id is None:
                    return edit.create_partner(session, user, data, today=today).id
                return edit.update_partner(
                    session, user, partner_id, data, version=version, today=today
                ).id

        saved_id = forms.attempt(form, store, _fields_shown(form))
        if saved_id is not None:
            forms.forget(form)
            forms.flash(f"Ente «{data.name.strip()}» salvato.")
            close_editor(saved_id)
        st.rerun()  # refused: the messages go next to their fields, above
    if buttons.button("Annulla", key=f"{form}cancel"):
        forms.forget(form)
        close_editor(partner_id)
        st.rerun()
