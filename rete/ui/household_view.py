"""The household card: details, contact block, and the timeline of interviews, needs and
referrals with their whole history. Free text (notes, names, reasons) is shown as text."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from rete import formats, records
from rete.bootstrap import AppDatabase
from rete.db import session_scope
from rete.referrals import ACTIVE_STATUSES, is_overdue
from rete.taxonomy import (
    NEED_STATUS_LABELS,
    NEGATIVE_REASONS,
    OUTCOME_LABELS,
    REFERRAL_STATUS_LABELS,
    REFUSAL_REASONS,
    SEVERITY_LABELS,
    Taxonomy,
)
from rete.ui import accesslog_view, forms, links, referral_widgets
from rete.ui.erasure_view import erase_panel
from rete.ui.forms import plain
from rete.ui.interview_form import contact_fields, household_fields
from rete.workspace import erasure, households
from rete.workspace.households import HouseholdCard, NeedCard, ReferralCard
from rete.writes import Actor

STATUS_COLOURS = {
    "open": "orange",
    "in_progress": "blue",
    "resolved": "green",
    "unresolved": "gray",
}
REFERRAL_COLOURS = {
    "sent": "orange",
    "accepted": "blue",
    "refused": "gray",
    "closed": "green",
    "cancelled": "gray",
}
EDIT_FIELDS = {"code", "neighbourhood", "members", "full_name", "phone", "email"}


def search(app_db: AppDatabase, user: Actor) -> None:
    """Find a household by code, as the user types; each match is a link to its card (the
    matches seen are recorded in the access log)."""
    text = st.text_input(
        "Cerca un nucleo per codice",
        key="card_search",
        placeholder="ad esempio VA-000123",
        live="300ms",
        max_chars=40,
    )
    if not text.strip():
        return
    matches = households.find_households(app_db.engine, text)
    if not matches:
        st.info("Nessun nucleo con un codice che inizia così.", icon=":material/search_off:")
        links.new_interview_link(text.strip().upper())
    accesslog_view.households_seen(app_db, user, "card", matches)
    for match in matches:
        links.household_link(match.id, plain(f"{match.code} · {match.neighbourhood}"))


def header(card: HouseholdCard) -> None:
    st.title(f"Nucleo {card.code}")
    flags = [
        label
        for label, on in (
            ("anziani", card.has_elderly),
            ("minori", card.has_minors),
            ("persone con disabilità", card.has_disability),
        )
        if on
    ]
    members = "1 componente" if card.members == 1 else f"{card.members} componenti"
    st.caption(
        plain(
            f"{card.neighbourhood} ({card.municipality}) · {members}"
            + (f" · con {', '.join(flags)}" if flags else "")
        )
    )
    if card.erased_at is not None:
        st.info(f"{erasure.erased_label(card.erased_at)}.", icon=":material/person_off:")
    if card.contact is not None:
        with st.container(border=True):
            st.markdown("**Recapiti** (solo community manager e amministratore)")
            parts = [card.contact.full_name, card.contact.phone, card.contact.email]
            st.text(" · ".join(part for part in parts if part))


def edit_details(app_db: AppDatabase, user: Actor, card: HouseholdCard, tax: Taxonomy) -> None:
    """Correct the household's details (a move to another neighbourhood included)."""
    form = f"hh{card.id}_"
    version = forms.opened_version(form, card.version)
    with st.expander("Correggi i dati del nucleo", icon=":material/edit:"):
        if f"{form}code" not in st.session_state:
            st.session_state.update(
                {
                    f"{form}code": card.code,
                    f"{form}neighbourhood": card.neighbourhood_id,
                    f"{form}members": card.members,
                    f"{form}elderly": card.has_elderly,
                    f"{form}minors": card.has_minors,
                    f"{form}disability": card.has_disability,
                }
            )
            if card.contact is not None:
                st.session_state[f"{form}full_name"] = card.contact.full_name or ""
                st.session_state[f"{form}phone"] = card.contact.phone or ""
                st.session_state[f"{form}email"] = card.contact.email or ""
        erased = card.erased_at is not None  # its code stays, no contact block comes back
        code = st.text_input("Codice del nucleo", key=f"{form}code", max_chars=40, disabled=erased)
        forms.field_error(form, "code")
        data = household_fields(tax, form, code)
        contact = None if erased else contact_fields(form, form)
        forms.form_error(form)
        if st.button("Salva i dati del nucleo", type="primary", key=f"{form}save"):

            def save() -> bool:
                with session_scope(app_db.engine) as session:
                    records.update_household(
                        session,
                        user,
                        card.id,
                        data,
                        contact,
                        version=version,
                    )
                return True

            if forms.attempt(form, save, EDIT_FIELDS):
                forms.forget(form)
                forms.flash("Dati del nucleo salvati.")
            st.rerun()
        forms.changed_meanwhile(form, version, card.version, "questo nucleo")
    erase_panel(app_db, user, card)


def timeline(app_db: AppDatabase, user: Actor, card: HouseholdCard, today: dt.date) -> None:
    """Interviews, newest first, each with its needs and their referrals."""
    if not card.interviews:
        st.info("Nessun colloquio registrato per questo nucleo.")
    for interview in card.interviews:
        with st.container(border=True):
            title = f"Colloquio del {formats.date(interview.held_on)} · {interview.channel}"
            if interview.operator:
                title += f" · {interview.operator}"
            st.markdown(f"### {plain(title)}")
            if interview.deleted:
                st.warning(
                    "Colloquio eliminato: non è contato nel Cruscotto.", icon=":material/delete:"
                )
            if interview.notes:
                st.text(interview.notes)
            if not interview.deleted:
                links.interview_link(interview.id)
            for need in interview.needs:
                _need(app_db, user, need, today, interview.deleted)


def _need(app_db: AppDatabase, user: Actor, need: NeedCard, today: dt.date, deleted: bool) -> None:
    head, badge = st.columns([4, 2], vertical_alignment="center")
    head.markdown(
        f"**{plain(need.area)} · {plain(need.name)}** · gravità {SEVERITY_LABELS[need.severity]}"
    )
    with badge:
        st.badge(NEED_STATUS_LABELS[need.status], color=STATUS_COLOURS[need.status])  # type: ignore[arg-type]
    if need.notes:
        st.text(need.notes)
    if need.closed_as:
        closed = "Risolto internamente" if need.closed_as == "resolved" else "Non risolto"
        text = f"{closed} il {formats.date(need.closed_on)}"
        st.caption(plain(text + (f": {need.closed_reason}" if need.closed_reason else "")))
    for referral in need.referrals:
        _referral(app_db, user, referral, today)
    if deleted:
        return
    open_referral = any(r.status in ACTIVE_STATUSES for r in need.referrals)
    actions = st.columns(3)
    with actions[0]:
        links.referral_link(need.id)
    if need.closed_as:
        with actions[1]:
            if referral_widgets.reopen_need(
                app_db, user, need.id, need.version, key=f"reopen{need.id}"
            ):
                st.rerun()
    elif not open_referral and need.status != "resolved":
        with actions[1], st.popover("Chiudi il bisogno", icon=":material/check:"):
            if referral_widgets.close_need_panel(
                app_db, user, need.id, need.version, today, key=f"close{need.id}"
            ):
                st.rerun()


def _referral(app_db: AppDatabase, user: Actor, referral: ReferralCard, today: dt.date) -> None:
    with st.container(border=True):
        status = REFERRAL_STATUS_LABELS[referral.status]
        if referral.outcome:
            status += f" ({OUTCOME_LABELS[referral.outcome]})"
        to = referral.partner + (f" · {referral.contact}" if referral.contact else "")
        late = is_overdue(referral.status, referral.due_on, today)
        line, badge = st.columns([4, 2], vertical_alignment="center")
        line.markdown(f"Segnalazione a **{plain(to)}**")
        with badge:
            st.badge(
                "in ritardo" if late else status,
                color="red" if late else REFERRAL_COLOURS[referral.status],  # type: ignore[arg-type]
            )
        if not referral.consent_given:
            st.warning(
                plain(f"Inviata senza consenso dell'inquilino: {referral.consent_override_note}"),
                icon=":material/gpp_maybe:",
            )
        for event in referral.events:
            text = f"{formats.date(event.happened_on)} · {REFERRAL_STATUS_LABELS[event.status]}"
            if event.outcome:
                text += f" ({OUTCOME_LABELS[event.outcome]})"
            if event.reason:
                reasons = REFUSAL_REASONS if event.status == "refused" else NEGATIVE_REASONS
                text += f" · motivo: {reasons.get(event.reason, event.reason)}"
            if event.by:
                text += f" · registrato da {event.by}"
            st.caption(plain(text))
            if event.note:
                st.text(f"    {event.note}")
        if referral.status in ACTIVE_STATUSES:
            with st.popover("Registra la risposta dell'ente", icon=":material/edit_note:"):
                if referral_widgets.answer_panel(
                    app_db,
                    user,
                    referral.id,
                    referral.version,
                    referral.status,
                    today,
                    key=f"ans{referral.id}",
                ):
                    st.rerun()
