"""Recording what a partner said about a referral, and closing a need by hand.

One panel serves «Da seguire» and the household card: the moves the referral's status allows
(from `rete.referrals.MOVES`), a reason where one is required, the day, an optional note.
"""

from __future__ import annotations

import datetime as dt

import streamlit as st

from rete import referrals
from rete.bootstrap import AppDatabase
from rete.db import session_scope
from rete.taxonomy import NEGATIVE_REASONS, REFUSAL_REASONS
from rete.ui import forms
from rete.writes import Actor

ANSWER_FIELDS = {"on", "reason", "note"}
MOVE_ICONS = {
    "accept": ":material/handshake:",
    "refuse": ":material/block:",
    "close_positive": ":material/task_alt:",
    "close_negative": ":material/cancel:",
    "cancel": ":material/undo:",
}


def answer_panel(
    app_db: AppDatabase,
    user: Actor,
    referral_id: int,
    version: int,
    status: str,
    today: dt.date,
    *,
    key: str,
) -> bool:
    """The panel; True once a move was saved (the caller then redraws its list)."""
    form = f"{key}_"
    version = forms.opened_version(form, version)
    moves = referrals.moves_from(status)
    if not moves:
        st.caption("Segnalazione chiusa: non ci sono altre risposte da registrare.")
        return False
    labels = {move.key: move.label for move in moves}
    chosen = st.segmented_control(
        "Che cosa ha detto l'ente?",
        list(labels),
        format_func=labels.__getitem__,
        key=f"{form}move",
    )
    reason = None
    move = referrals.MOVES.get(chosen) if chosen else None
    if move is not None and move.reasons is not None:
        reasons = REFUSAL_REASONS if move.key == "refuse" else NEGATIVE_REASONS
        reason = st.selectbox(
            "Motivo",
            list(reasons),
            format_func=reasons.__getitem__,
            index=None,
            placeholder="Scegliere il motivo (obbligatorio)",
            key=f"{form}reason",
        )
        forms.field_error(form, "reason")
    left, right = st.columns([1, 2])
    with left:
        on = st.date_input(
            "Quando", value=today, max_value=today, format="DD/MM/YYYY", key=f"{form}on"
        )
        forms.field_error(form, "on")
    with right:
        note = st.text_input("Nota (facoltativa)", key=f"{form}note", max_chars=2000)
        forms.field_error(form, "note")
    forms.form_error(form)
    label = labels[chosen] if chosen else "Registra"
    if st.button(
        f"Registra: {label}" if chosen else "Scegliere prima la risposta",
        type="primary",
        icon=MOVE_ICONS.get(chosen or "", ":material/save:"),
        disabled=chosen is None,
        key=f"{form}save",
    ):
        done = forms.attempt(
            form,
            lambda: record_move(
                app_db, user, referral_id, str(chosen), version, on, reason, note, today
            ),
            ANSWER_FIELDS,
        )
        if done:
            forms.forget(form)
            forms.flash(f"Registrato: {label.lower()}.")
            return True
        forms.reopen(form)  # the next try starts from the referral as it is now
        st.rerun()
    return False


def record_move(
    app_db: AppDatabase,
    user: Actor,
    referral_id: int,
    key: str,
    version: int,
    on: dt.date,
    reason: str | None,
    note: str,
    today: dt.date,
) -> bool:
    with session_scope(app_db.engine) as session:
        referrals.move_referral(
            session,
            user,
            referral_id,
            key,
            version=version,
            on=on,
            reason=reason,
            note=note,
            today=today,
        )
    return True


def close_need_panel(
    app_db: AppDatabase, user: Actor, need_id: int, version: int, today: dt.date, *, key: str
) -> bool:
    """Close a need with no open referral: risolto internamente, or non risolto (reason)."""
    form = f"{key}_"
    version = forms.opened_version(form, version)
    outcome = st.radio(
        "Esito",
        ["resolved", "unresolved"],
        format_func={"resolved": "Risolto internamente", "unresolved": "Non risolto"}.__getitem__,
        horizontal=True,
        key=f"{form}outcome",
    )
    reason = st.text_input(
        "Motivo" + (" (obbligatorio)" if outcome == "unresolved" else " (facoltativo)"),
        key=f"{form}reason",
        max_chars=2000,
    )
    forms.field_error(form, "reason")
    on = st.date_input("Quando", value=today, max_value=today, format="DD/MM/YYYY", key=f"{form}on")
    forms.field_error(form, "on")
    forms.form_error(form)
    if st.button("Chiudi il bisogno", type="primary", icon=":material/check:", key=f"{form}save"):

        def close() -> bool:
            with session_scope(app_db.engine) as session:
                referrals.close_need(
                    session,
                    user,
                    need_id,
                    version=version,
                    resolved=outcome == "resolved",
                    reason=reason,
                    on=on,
                    today=today,
                )
            return True

        if forms.attempt(form, close, {"reason", "on"}):
            forms.forget(form)
            forms.flash("Bisogno chiuso.")
            return True
        forms.reopen(form)
        st.rerun()
    return False


def reopen_need(app_db: AppDatabase, user: Actor, need_id: int, version: int, *, key: str) -> bool:
    if not st.button("Riapri il bisogno", icon=":material/replay:", key=f"{key}_reopen"):
        return False

    def reopen() -> bool:
        with session_scope(app_db.engine) as session:
            referrals.reopen_need(session, user, need_id, version=version)
        return True

    if forms.attempt(f"{key}_", reopen):
        forms.flash("Bisogno riaperto.")
        return True
    forms.form_error(f"{key}_")
    return False
