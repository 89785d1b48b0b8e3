"""«Il mio profilo»: who I am, my password, my open sessions. Every act is `rete.accounts`."""

from __future__ import annotations

import streamlit as st
from sqlalchemy import Engine

from rete import accounts, auth, passwords
from rete.errors import ValidationError
from rete.taxonomy import ROLE_LABELS
from rete.ui import forms
from rete.ui.users_view import moment

PASSWORD = "profile_password_"
SESSIONS = "profile_sessions_"


def this_session(engine: Engine) -> int | None:
    """The id of the session this browser is in (None under AppTest, which has no cookie)."""
    token = st.context.cookies.get(auth.SESSION_COOKIE)
    return auth.session_id_for_token(engine, token) if isinstance(token, str) and token else None


def who(user: auth.CurrentUser) -> None:
    st.text(
        f"Nome: {user.display_name}\nNome utente: {user.username}\n"
        f"Ruolo: {ROLE_LABELS.get(user.role, user.role)}"
    )


def password_form(engine: Engine, user: auth.CurrentUser, current: int | None) -> None:
    """Change my password: the old one asked, the new one twice; the other sessions end."""
    st.subheader("Cambia la password")
    st.caption(
        f"Da {passwords.MIN_LENGTH} a {passwords.MAX_LENGTH} caratteri, nessun'altra regola: "
        "una frase di qualche parola è facile da ricordare e difficile da indovinare. Le password "
        "più usate non sono accettate."
    )
    with st.form("profile_password", border=False, clear_on_submit=False):
        old = st.text_input(
            "Password attuale",
            type="password",
            key=f"{PASSWORD}old",
            autocomplete="current-password",
        )
        forms.field_error(PASSWORD, "old_password")
        new = st.text_input(
            "Nuova password", type="password", key=f"{PASSWORD}new", autocomplete="new-password"
        )
        forms.field_error(PASSWORD, "new_password")
        again = st.text_input(
            "Ripeti la nuova password",
            type="password",
            key=f"{PASSWORD}again",
            autocomplete="new-password",
        )
        forms.field_error(PASSWORD, "again")
        submitted = st.form_submit_button("Cambia la password", type="primary")
    forms.form_error(PASSWORD)
    if not submitted:
        return

    def change() -> int:
        if new != again:
            raise ValidationError(
                "Le due nuove password non coincidono: riscriverle.", field="again"
            )
        return accounts.change_password(engine, user, old, new, current)

    ended = forms.attempt(PASSWORD, change, {"old_password", "new_password", "again"})
    if ended is not None:
        forms.forget(PASSWORD)
        others = f" Le altre sessioni aperte ({ended}) sono state chiuse." if ended else ""
        forms.flash(f"Password cambiata.{others}")
    st.rerun()


def sessions(engine: Engine, user: auth.CurrentUser, current: int | None) -> None:
    """My open sessions, this browser's marked; any other can be ended."""
    st.subheader("Le mie sessioni aperte")
    st.caption(
        "Dove è aperta Rete con il suo nome. Se non riconosce una sessione, la chiuda e cambi "
        "la password."
    )
    forms.form_error(SESSIONS)
    opened = auth.open_sessions(engine, user.id)
    for item in opened:
        with st.container(border=True, key=f"profile_session_{item.id}"):
            label, action = st.columns([4, 1], vertical_alignment="center")
            mark = " · questo browser" if item.id == current else ""
            label.text(
                f"{item.client}{mark}\nAperta il {moment(item.started)} · ultima attività "
                f"{moment(item.last_seen)} · scade il {moment(item.expires)}"
            )
            if item.id != current and action.button("Chiudi", key=f"profile_end_{item.id}"):
                _end(engine, user, item.id)
    if not opened:
        st.text("Nessuna sessione aperta.")


def _end(engine: Engine, user: auth.CurrentUser, session_id: int) -> None:
    ended = forms.attempt(SESSIONS, lambda: accounts.end_own_session(engine, user, session_id))
    if ended:
        forms.flash("Sessione chiusa: quel browser dovrà accedere di nuovo.")
    st.rerun()
