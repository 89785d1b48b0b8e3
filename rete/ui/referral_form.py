"""The referral form: the partners Rete proposes for a need, best first, with their contacts;
the tenant's consent; the channel, the day and a note."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from rete import audit, directory, formats, referrals
from rete.bootstrap import AppDatabase
from rete.db import session_scope
from rete.directory import ContactCard, Proposal
from rete.taxonomy import NEED_STATUS_LABELS, SEVERITY_LABELS
from rete.ui import accesslog_view, forms, links
from rete.ui.forms import plain
from rete.workspace import households
from rete.workspace.households import NeedSummary
from rete.writes import Actor

FIELDS = {"partner", "contact", "channel", "sent_on", "consent", "note"}
OTHER = -1  # "another partner of the network"
REFERRAL_CHANNELS = {
    "telefono": "Telefono",
    "email": "E-mail",
    "sportello": "Di persona",
    "altro": "Altro",
}


def need_summary(app_db: AppDatabase, user: Actor, need_id: int) -> NeedSummary:
    """The need the form sends, with its household's code: a reading, in the access log."""
    need = households.need_summary(app_db.engine, user, need_id)
    audit.record_access(app_db.engine, user, "need_viewed", "need", need_id)
    return need


def need_for_partner(app_db: AppDatabase, user: Actor, partner_id: int) -> None:
    """«Segnala un bisogno a questo ente» from the directory: find the household by its code,
    then pick one of its open needs; the referral form opens with this partner chosen."""
    names = dict(directory.active_partners(app_db.engine))
    if partner_id not in names:
        st.warning(
            "Questo ente non è attivo nella rete: scegliere un altro ente nella pagina «Rete».",
            icon=":material/block:",
        )
        return
    st.markdown(f"Segnalare a **{plain(names[partner_id])}** un bisogno di quale nucleo?")
    text = st.text_input(
        "Codice del nucleo",
        key=f"forpartner{partner_id}_code",
        placeholder="ad esempio VA-000123",
        max_chars=40,
        live="300ms",
    )
    if not text.strip():
        return
    matches = households.find_households(app_db.engine, text)
    if not matches:
        st.info("Nessun nucleo con un codice che inizia così.", icon=":material/search_off:")
        return
    if len(matches) > 1:
        accesslog_view.households_seen(app_db, user, "referral", matches)
        st.caption("Più nuclei iniziano così: scrivere il codice intero.")
        for match in matches:
            st.markdown(plain(f"{match.code} · {match.neighbourhood}"))
        return
    card = households.household_card(app_db.engine, user, matches[0].id)
    open_needs = [
        need
        for interview in card.interviews
        if not interview.deleted
        for need in interview.needs
        if need.status in ("open", "in_progress")
    ]
    st.markdown(plain(f"Nucleo {card.code} · {card.neighbourhood} ({card.municipality})"))
    if not open_needs:
        st.info("Questo nucleo non ha bisogni aperti.", icon=":material/task_alt:")
        return
    for need in open_needs:
        st.page_link(
            links.REFERRAL_PAGE,
            label=plain(f"{need.area} · {need.name}"),
            icon=":material/send:",
            query_params={"bisogno": str(need.id), "ente": str(partner_id)},
        )


def _need_box(need: NeedSummary) -> None:
    with st.container(border=True):
        st.markdown(
            f"**{plain(need.area)} · {plain(need.name)}** · gravità "
            f"{SEVERITY_LABELS[need.severity]} · {NEED_STATUS_LABELS[need.status]}"
        )
        st.caption(
            plain(
                f"Nucleo {need.household_code} · {need.neighbourhood} ({need.municipality}) · "
                f"emerso nel colloquio del {formats.date(need.held_on)}"
            )
        )
        links.household_link(need.household_id, "Apri la scheda del nucleo")


def form(app_db: AppDatabase, user: Actor, need: NeedSummary, today: dt.date) -> None:
    prefix = f"ref{need.id}_"
    _need_box(need)
    proposals = directory.propose_partners(app_db.engine, need.category_id, need.neighbourhood_id)
    st.header("A quale ente?")
    if proposals:
        st.caption(
            "Proposti prima gli enti che coprono proprio questo bisogno e servono il quartiere, "
            "poi quelli che l'hanno preso in carico più spesso e più in fretta."
        )
    else:
        st.warning(
            "Nessun ente della rete copre questo bisogno in questo quartiere o comune: si può "
            "comunque scegliere un altro ente.",
            icon=":material/travel_explore:",
        )
    by_id = {proposal.partner_id: proposal for proposal in proposals}
    options = [*by_id, OTHER]
    asked = links.id_from_url("ente", say=False)  # the directory's choice (the page says)
    if f"{prefix}partner" not in st.session_state:
        if asked in by_id:
            st.session_state[f"{prefix}partner"] = asked
        elif asked is not None:  # not proposed for this need: «Un altro ente», with it chosen
            st.session_state[f"{prefix}partner"] = OTHER
        else:
            st.session_state[f"{prefix}partner"] = options[0] if proposals else OTHER
    partner_id: int | None = st.radio(
        "Ente",
        options,
        format_func=lambda key: _option(by_id.get(key)),
        key=f"{prefix}partner",
        label_visibility="collapsed",
    )
    if partner_id == OTHER:
        others = dict(directory.active_partners(app_db.engine))
        if asked in others and f"{prefix}other" not in st.session_state:
            st.session_state[f"{prefix}other"] = asked
        partner_id = st.selectbox(
            "Altro ente della rete",
            list(others),
            format_func=others.__getitem__,
            index=None,
            placeholder="Scegliere l'ente",
            key=f"{prefix}other",
        )
    forms.field_error(prefix, "partner")
    contacts = directory.partner_contacts(app_db.engine, partner_id) if partner_id else []
    contact_id = _contact(prefix, contacts)
    _details(app_db, user, need, prefix, partner_id, contact_id, today)


def _option(proposal: Proposal | None) -> str:
    if proposal is None:
        return "Un altro ente della rete"
    text = f"**{plain(proposal.name)}** ({plain(proposal.kind)})  \n{plain(proposal.reason)}"
    if proposal.contacts:
        first = proposal.contacts[0]
        reach = " · ".join(part for part in (first.phone, first.email) if part)
        text += f"  \nReferente: {plain(first.name)}" + (f" · {plain(reach)}" if reach else "")
    return text


def _contact(prefix: str, contacts: list[ContactCard]) -> int | None:
    if not contacts:
        st.caption("Questo ente non ha referenti registrati: si invia all'ente.")
        return None
    by_id = {contact.id: contact for contact in contacts}
    if st.session_state.get(f"{prefix}contact") not in by_id:
        st.session_state[f"{prefix}contact"] = contacts[0].id  # the primary contact comes first
    chosen = st.radio(
        "Referente",
        list(by_id),
        format_func=lambda key: links.contact_line(by_id[key]),
        key=f"{prefix}contact",
    )
    forms.field_error(prefix, "contact")
    return chosen


def _details(
    app_db: AppDatabase,
    user: Actor,
    need: NeedSummary,
    prefix: str,
    partner_id: int | None,
    contact_id: int | None,
    today: dt.date,
) -> None:
    st.header("Consenso e invio")
    answer = st.radio(
        "L'inquilino ha dato il consenso a condividere il bisogno con questo ente?",
        ["yes", "no"],
        format_func={"yes": "Sì, ha dato il consenso", "no": "No: si invia senza consenso"}.get,
        index=None,
        key=f"{prefix}consent",
    )
    override = ""
    if answer == "no":
        override = st.text_area(
            "Perché si invia senza consenso (obbligatorio; resta nella scheda e nel registro)",
            key=f"{prefix}override",
            height=80,
        )
    forms.field_error(prefix, "consent")
    left, right = st.columns(2)
    with left:
        channel = st.selectbox(
            "Canale usato per l'invio",
            list(REFERRAL_CHANNELS),
            format_func=REFERRAL_CHANNELS.__getitem__,
            key=f"{prefix}channel",
        )
        forms.field_error(prefix, "channel")
    with right:
        sent_on = st.date_input(
            "Data di invio",
            value=today,
            max_value=today,
            format="DD/MM/YYYY",
            key=f"{prefix}sent_on",
        )
        forms.field_error(prefix, "sent_on")
    note = st.text_area("Nota per la segnalazione (facoltativa)", key=f"{prefix}note", height=80)
    forms.field_error(prefix, "note")
    forms.form_error(prefix)
    if st.button(
        "Invia la segnalazione", type="primary", icon=":material/send:", key=f"{prefix}save"
    ):
        data = referrals.ReferralInput(
            need_id=need.id,
            partner_id=partner_id or 0,
            contact_id=contact_id,
            channel_code=channel,
            sent_on=sent_on,
            consent_given=answer == "yes",
            consent_override_note=override,
            note=note,
        )

        def send() -> str:
            with session_scope(app_db.engine) as session:
                referral = referrals.send_referral(session, user, data, today=today)
                due = formats.date(referral.due_on)
            return f"Segnalazione inviata. Se l'ente non risponde entro il {due}, comparirà tra quelle in ritardo in «Da seguire»."

        message = forms.attempt(prefix, send, FIELDS)
        if message:
            st.session_state[f"{prefix}sent"] = message
        st.rerun()
