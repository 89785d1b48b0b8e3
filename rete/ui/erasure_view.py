"""«Cancella i dati personali» on the household card: the administrator erases a household's
personal data (`rete.workspace.erasure`), choosing the reason, then confirming.

Two steps: «Cancella i dati personali…» checks the reason and the note (errors next to their
field) and asks for the confirmation, with the household's version as the card showed it;
«Sì, cancella» erases, refused if someone saved the household meanwhile. The values live in
`st.session_state` under one prefix, so a refusal keeps them.
"""

from __future__ import annotations

import streamlit as st

from rete import access
from rete.bootstrap import AppDatabase
from rete.db import session_scope
from rete.ui import forms
from rete.workspace import erasure
from rete.workspace.households import HouseholdCard
from rete.writes import Actor

FIELDS = {"reason", "note"}

WHAT_GOES = (
    "**Viene cancellato**, ovunque sia registrato: i recapiti (nome, telefono, e-mail); le "
    "note di tutti i colloqui, anche eliminati, dei bisogni e delle segnalazioni; le note "
    "delle risposte degli enti; i motivi scritti per un bisogno non risolto o per un invio "
    "senza consenso. Il codice del nucleo diventa «{code}»: non indica più il contratto."
)
WHAT_STAYS = (
    "**Resta**: i colloqui, i bisogni e le segnalazioni, con date, canale, bisogno, gravità, "
    "stato ed esito. I numeri del Cruscotto e della riunione non cambiano."
)
FINAL = (
    "La cancellazione non si può annullare. Resta nel registro accessi, con il motivo e chi "
    "l'ha fatta."
)


def erase_panel(app_db: AppDatabase, user: Actor, card: HouseholdCard) -> None:
    """The expander, for those who may erase (the administrator); nothing once erased."""
    if not access.may_erase_personal_data(user.role) or card.erased_at is not None:
        return
    form = f"er{card.id}_"
    confirming = f"{form}confirming"
    asked = bool(st.session_state.get(confirming))
    with st.expander("Cancella i dati personali", icon=":material/person_remove:"):
        st.markdown(WHAT_GOES.format(code=erasure.erased_code(card.id)))
        st.markdown(WHAT_STAYS)
        reasons = erasure.REASONS
        reason = st.selectbox(
            "Motivo",
            list(reasons),
            format_func=reasons.__getitem__,
            index=None,
            placeholder="Scegliere il motivo",
            key=f"{form}reason",
            disabled=asked,
        )
        forms.field_error(form, "reason")
        note = st.text_input(
            "Nota (facoltativa)",
            max_chars=erasure.NOTE_MAX,
            key=f"{form}note",
            disabled=asked,
            placeholder="ad esempio: richiesta ricevuta allo sportello",
        )
        st.caption(
            "La nota resta nel registro accessi: non scrivere dati personali (nomi, telefoni, "
            "e-mail, il codice del nucleo)."
        )
        forms.field_error(form, "note")
        forms.form_error(form)
        if not asked:
            _ask(form, card, reason, note)
        else:
            _confirm(app_db, user, form, card, reason, note)


def _ask(form: str, card: HouseholdCard, reason: str | None, note: str) -> None:
    """The first step: the reason and note checked, then the confirmation asked for."""
    if not st.button(
        "Cancella i dati personali…", key=f"{form}ask", icon=":material/delete_forever:"
    ):
        return
    known: list[str | None] = [card.code]
    if card.contact is not None:
        known += [card.contact.full_name, card.contact.phone, card.contact.email]
    if forms.attempt(form, lambda: erasure.checked_request(reason or "", note, known), FIELDS):
        st.session_state[f"{form}confirming"] = True
        st.session_state[f"{form}version"] = card.version  # what the user confirms about
    st.rerun()


def _confirm(
    app_db: AppDatabase,
    user: Actor,
    form: str,
    card: HouseholdCard,
    reason: str | None,
    note: str,
) -> None:
    """The second step: «Sì, cancella» or «Annulla»."""
    version: int = st.session_state.get(f"{form}version", card.version)
    st.warning(FINAL, icon=":material/warning:")
    yes, no = st.columns(2)
    if yes.button("Sì, cancella", type="primary", key=f"{form}confirm"):

        def erase() -> bool:
            with session_scope(app_db.engine) as session:
                erasure.erase_household(session, user, card.id, version, reason or "", note)
            erasure.settle(app_db.engine)
            return True

        if forms.attempt(form, erase, FIELDS):
            forms.forget(form)
            forms.flash("Dati personali del nucleo cancellati.")
        else:
            st.session_state[f"{form}confirming"] = False  # back to the first step, values kept
        st.rerun()
    if no.button("Annulla", key=f"{form}cancel"):
        st.session_state[f"{form}confirming"] = False
        st.rerun()
    forms.changed_meanwhile(form, version, card.version, "questo nucleo")
