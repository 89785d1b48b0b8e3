"""The interview form: find or create the household, date, channel, needs, notes.

Used by «Nuovo colloquio» (a new interview) and «Colloqui» (correcting one). Keyboard only if
the user wishes: every field is a plain widget in tab order; the household code is looked up
when the user presses Enter. The needs are rows of area → specific need → severity; the area
narrows the specific needs, which is why this is not an `st.form` (a form would not redraw).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import streamlit as st

from rete import records
from rete.bootstrap import AppDatabase
from rete.db import session_scope
from rete.errors import ValidationError
from rete.records import NeedInput
from rete.taxonomy import SEVERITY_LABELS, Taxonomy
from rete.ui import accesslog_view, forms
from rete.workspace import households
from rete.writes import Actor

NEW_HOUSEHOLD = -1  # the household choice "crea un nuovo nucleo"
SEVERITIES = list(SEVERITY_LABELS)
FIELDS = {
    "household",
    "code",
    "neighbourhood",
    "members",
    "full_name",
    "phone",
    "email",
    "held_on",
    "channel",
    "needs",
    "notes",
}


# --- Need rows


def _rows_key(prefix: str) -> str:
    return f"{prefix}rows"


def _start_rows(prefix: str, tax: Taxonomy, needs: tuple[NeedInput, ...]) -> None:
    """Rows of the form, once: one empty row, or one per need of the interview to correct."""
    if _rows_key(prefix) in st.session_state:
        return
    area_of = {need.id: need.area_id for need in tax.needs}
    rows = []
    for number, need in enumerate(needs or (NeedInput(0),)):
        rows.append(number)
        if need.category_id:
            st.session_state[f"{prefix}area_{number}"] = area_of.get(need.category_id)
            st.session_state[f"{prefix}need_{number}"] = need.category_id
            st.session_state[f"{prefix}sev_{number}"] = need.severity
            st.session_state[f"{prefix}id_{number}"] = need.id
    st.session_state[_rows_key(prefix)] = rows


def need_rows(
    prefix: str,
    tax: Taxonomy,
    needs: tuple[NeedInput, ...] = (),
    locked: frozenset[int] = frozenset(),
) -> list[NeedInput]:
    """The needs as the user set them; `locked` needs (already referred) cannot be removed."""
    _start_rows(prefix, tax, needs)
    rows: list[int] = st.session_state[_rows_key(prefix)]
    areas = {area.id: area.name for area in tax.areas}
    chosen: list[NeedInput] = []
    for position, row in enumerate(list(rows), start=1):
        with st.container(border=True):
            left, middle, right, end = st.columns([3, 4, 2, 1.6], vertical_alignment="bottom")
            area = left.selectbox(
                f"Area del bisogno {position}",
                list(areas),
                format_func=areas.__getitem__,
                index=None,
                placeholder="Scegliere l'area",
                key=f"{prefix}area_{row}",
            )
            specific = {need.id: need.name for need in tax.needs if need.area_id == area}
            if st.session_state.get(f"{prefix}need_{row}") not in specific:
                st.session_state[f"{prefix}need_{row}"] = None
            category = middle.selectbox(
                f"Bisogno specifico {position}",
                list(specific),
                format_func=specific.__getitem__,
                index=None,
                placeholder="Prima scegliere l'area" if area is None else "Scegliere il bisogno",
                disabled=area is None,
                key=f"{prefix}need_{row}",
            )
            st.session_state.setdefault(f"{prefix}sev_{row}", "medium")
            severity = right.selectbox(
                f"Gravità {position}",
                SEVERITIES,
                format_func=SEVERITY_LABELS.__getitem__,
                key=f"{prefix}sev_{row}",
            )
            need_id = st.session_state.get(f"{prefix}id_{row}")
            end.button(
                "Togli",
                key=f"{prefix}drop_{row}",
                icon=":material/delete:",
                help="Togliere questo bisogno dal colloquio",
                disabled=len(rows) == 1 or need_id in locked,
                on_click=_drop_row,
                args=(prefix, row),
                width="stretch",
            )
            if need_id in locked:
                st.caption("Già segnalato a un ente: non si può togliere dal colloquio.")
        chosen.append(NeedInput(category or 0, severity, None, need_id))
    st.button(
        "Aggiungi un altro bisogno",
        key=f"{prefix}add",
        icon=":material/add:",
        on_click=_add_row,
        args=(prefix,),
    )
    return chosen


def _add_row(prefix: str) -> None:
    rows: list[int] = st.session_state[_rows_key(prefix)]
    rows.append(max(rows, default=-1) + 1)


def _drop_row(prefix: str, row: int) -> None:
    rows: list[int] = st.session_state[_rows_key(prefix)]
    if row in rows and len(rows) > 1:
        rows.remove(row)


def filled(needs: list[NeedInput]) -> list[NeedInput]:
    """The rows the user filled in (an untouched empty row is not a need)."""
    return [need for need in needs if need.category_id or need.id is not None]


# --- Household


@dataclass(frozen=True)
class HouseholdChoice:
    id: int | None  # an existing household, or None for a new one
    new: records.HouseholdInput | None
    contact: records.ContactInput | None


def household_picker(
    app_db: AppDatabase, user: Actor, tax: Taxonomy, prefix: str
) -> HouseholdChoice | None:
    """Type the code and press Enter: an existing household is offered, never duplicated; an
    unknown code opens the new household's fields. The households offered are recorded in the
    access log."""
    form = prefix
    code = st.text_input(
        "Codice del nucleo",
        key=f"{prefix}code",
        placeholder="ad esempio VA-000123",
        help="Il codice contratto, o un altro codice che non dica chi è: i nuclei che iniziano "
        "così compaiono mentre si scrive.",
        live="300ms",
        max_chars=40,
    )
    forms.field_error(form, "household")
    forms.field_error(form, "code")
    if not code.strip():
        return None
    matches = households.find_households(app_db.engine, code)
    accesslog_view.households_seen(app_db, user, "interview", matches)
    exact = [match for match in matches if match.code == code.strip().upper()]
    options = {match.id: f"{match.code} · {match.neighbourhood}" for match in matches}
    if not exact:
        options[NEW_HOUSEHOLD] = f"Nuovo nucleo con codice {code.strip().upper()}"
    if st.session_state.get(f"{prefix}household") not in options:
        st.session_state[f"{prefix}household"] = exact[0].id if exact else next(iter(options))
    picked = st.radio(
        "Nucleo",
        list(options),
        format_func=lambda key: forms.plain(options[key]),
        key=f"{prefix}household",
    )
    if picked != NEW_HOUSEHOLD:
        return HouseholdChoice(picked, None, None)
    return _new_household_fields(tax, prefix, code)


def _new_household_fields(tax: Taxonomy, prefix: str, code: str) -> HouseholdChoice:
    with st.container(border=True):
        st.markdown("**Nuovo nucleo**")
        data = household_fields(tax, prefix, code)
        contact = contact_fields(prefix, prefix)
    return HouseholdChoice(None, data, contact)


def household_fields(tax: Taxonomy, prefix: str, code: str) -> records.HouseholdInput:
    """Neighbourhood, members and flags: a new household's, or those of one being corrected
    (whose values the caller puts in the session state first)."""
    places = {id_: f"{name} ({town})" for id_, name, town in tax.neighbourhoods}
    left, right = st.columns([3, 1])
    with left:
        place = st.selectbox(
            "Quartiere",
            list(places),
            format_func=places.__getitem__,
            index=None,
            placeholder="Scegliere il quartiere",
            key=f"{prefix}neighbourhood",
        )
        forms.field_error(prefix, "neighbourhood")
    with right:
        st.session_state.setdefault(f"{prefix}members", 1)
        members = st.number_input(
            "Componenti", min_value=1, max_value=30, step=1, key=f"{prefix}members"
        )
        forms.field_error(prefix, "members")
    flags = st.columns(3)
    elderly = flags[0].checkbox("Anziani (65+)", key=f"{prefix}elderly")
    minors = flags[1].checkbox("Minori", key=f"{prefix}minors")
    disability = flags[2].checkbox("Persone con disabilità", key=f"{prefix}disability")
    return records.HouseholdInput(
        code, place or 0, int(members), bool(elderly), bool(minors), bool(disability)
    )


def contact_fields(prefix: str, form: str) -> records.ContactInput:
    """The household's personal contact block: optional, seen only by the community manager and
    the administrator."""
    with st.expander("Recapiti (facoltativi, visibili solo a community manager e amministratore)"):
        name = st.text_input("Nome e cognome", key=f"{prefix}full_name")
        forms.field_error(form, "full_name")
        left, right = st.columns(2)
        with left:
            phone = st.text_input("Telefono", key=f"{prefix}phone", placeholder="333 1234567")
            forms.field_error(form, "phone")
        with right:
            email = st.text_input("E-mail", key=f"{prefix}email", placeholder="nome@dominio.it")
            forms.field_error(form, "email")
    return records.ContactInput(name, phone, email)


# --- Date, channel, notes


def interview_fields(
    tax: Taxonomy, prefix: str, today: dt.date, start: dt.date | None = None, channel: str = ""
) -> tuple[dt.date, str, str]:
    form = prefix
    st.session_state.setdefault(f"{prefix}held_on", start or today)
    channels = dict(tax.channels)
    st.session_state.setdefault(f"{prefix}channel", channel or next(iter(channels)))
    left, right = st.columns(2)
    with left:
        held_on = st.date_input(
            "Data del colloquio",
            max_value=today,
            format="DD/MM/YYYY",
            key=f"{prefix}held_on",
        )
        forms.field_error(form, "held_on")
    with right:
        chosen = st.selectbox(
            "Canale", list(channels), format_func=channels.__getitem__, key=f"{prefix}channel"
        )
        forms.field_error(form, "channel")
    return held_on, chosen, ""


def notes_field(prefix: str, form: str) -> str:
    notes = st.text_area(
        "Note del colloquio",
        key=f"{prefix}notes",
        height=100,
        help="Solo ciò che serve a seguire il nucleo. Le note non escono mai da Rete.",
    )
    forms.field_error(form, "notes")
    return notes


# --- Saving a new interview


def save_new_interview(
    app_db: AppDatabase,
    user: Actor,
    choice: HouseholdChoice | None,
    held_on: dt.date,
    channel: str,
    needs: list[NeedInput],
    notes: str,
    today: dt.date,
) -> tuple[int, int]:
    """Create the household if it is new, and the interview, in one transaction."""
    with session_scope(app_db.engine) as session:
        if choice is None:
            raise ValidationError(
                "Indicare il codice del nucleo: sceglierlo tra quelli proposti o crearne uno nuovo.",
                field="household",
            )
        household_id = choice.id
        if household_id is None:
            assert choice.new is not None
            household_id = records.create_household(session, user, choice.new, choice.contact).id
        interview = records.record_interview(
            session,
            user,
            household_id=household_id,
            held_on=held_on,
            channel_code=channel,
            needs=filled(needs),
            notes=notes,
            today=today,
        )
        return household_id, interview.id
