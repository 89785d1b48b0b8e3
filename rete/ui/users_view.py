"""«Utenti», the admin's page: the accounts, what can be done to one, a new account, and the
security and retention settings. Every act is `rete.accounts` / `rete.security`; this module
only draws and collects."""

from __future__ import annotations

import datetime as dt
import zlib
from collections.abc import Callable
from urllib.parse import urlencode, urlsplit

import pandas as pd
import streamlit as st
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from rete import access, accounts, auth, formats, security
from rete.config import local_time
from rete.db import session_scope
from rete.taxonomy import ROLE_LABELS
from rete.ui import forms

LINK_KEY = "users_link"  # (username, link): shown until the admin closes it, never stored
NEW = "users_new_"
SETTINGS = "users_settings_"
ACTION = "users_action_"


def moment(value: dt.datetime | None) -> str:
    """A stored UTC moment as Rome's date and time: 03/12/2026 21:05."""
    if value is None:
        return "—"
    local = local_time(value)
    return f"{formats.date(local.date())} {local:%H:%M}"


def reset_link(code: str) -> str:
    """The address the user opens to choose a password: this site's login page with the code."""
    parts = urlsplit(str(st.context.url or ""))
    origin = f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""
    return f"{origin}/?{urlencode({accounts.RESET_PARAMETER: code})}"


def show_link() -> None:
    shown = st.session_state.get(LINK_KEY)
    if not shown:
        return
    username, link = shown
    with st.container(border=True, key="users_link_box"):
        st.subheader(f"Link per «{username}»")
        st.text(
            "Consegnare questo link all'utente, di persona o per un canale sicuro: con esso "
            "sceglie la propria password. Vale 72 ore e una volta sola, e non sarà più mostrato."
        )
        st.code(link, language=None, wrap_lines=True)
        if st.button("Ho consegnato il link: nascondilo", key="users_link_done"):
            st.session_state.pop(LINK_KEY, None)
            st.rerun()


def user_table(rows: list[accounts.UserRow]) -> accounts.UserRow | None:
    """The accounts as a table; the row selected (or None)."""
    frame = pd.DataFrame(
        [
            {
                "Utente": row.username,
                "Nome": row.display_name,
                "Ruolo": ROLE_LABELS.get(row.role, row.role),
                "Stato": _state(row),
                "Ultimo accesso": moment(row.last_login),
                "Sessioni aperte": row.open_sessions,
            }
            for row in rows
        ]
    )
    selection = st.dataframe(
        frame,
        hide_index=True,
        on_select="rerun",
        selection_mode="single-row",
        # Keyed by the rows shown: when another admin adds or changes a user, a selected row
        # number would point at someone else, so the selection is dropped instead.
        key=f"users_table_{_fingerprint(rows)}",
        column_config={
            "Stato": st.column_config.TextColumn(width="medium"),
            "Sessioni aperte": st.column_config.NumberColumn(format="%d", width=130),
        },
    )
    chosen = selection.selection.rows if selection else []
    st.caption("Selezionare un utente per cambiarne il ruolo, reimpostarne la password e altro.")
    return rows[chosen[0]] if chosen and chosen[0] < len(rows) else None


def _fingerprint(rows: list[accounts.UserRow]) -> int:
    return zlib.crc32(repr([(r.id, r.username, r.role, r.active) for r in rows]).encode())


def _state(row: accounts.UserRow) -> str:
    if row.state == "bloccato" and row.locked_until is not None:
        return f"bloccato fino alle {local_time(row.locked_until):%H:%M}"
    return row.state


def _act(engine: Engine, done: str, act: Callable[[Session], object]) -> None:
    """Run an act on accounts in its own transaction; its confirmation at the top of the next
    run, or the error above the buttons (nothing changed)."""

    def run() -> bool:
        with session_scope(engine) as session:
            act(session)
        return True

    if forms.attempt(ACTION, run):
        forms.flash(done)
    for key in [k for k in st.session_state if str(k).startswith("users_seen_role_")]:
        del st.session_state[key]  # saved or refused: the panel shows the role as it is now
    st.rerun()  # refused: the message goes above the buttons, nothing changed


def user_panel(engine: Engine, admin: auth.CurrentUser, row: accounts.UserRow) -> None:
    """What the admin can do to the selected account."""
    with st.container(border=True, key="users_panel"):
        st.subheader(forms.plain(f"{row.display_name} ({row.username})"))
        st.text(
            f"Ruolo: {ROLE_LABELS.get(row.role, row.role)} · Stato: {_state(row)} · "
            f"Ultimo accesso: {moment(row.last_login)} · Sessioni aperte: {row.open_sessions}"
        )
        forms.form_error(ACTION)
        itself = row.id == admin.id
        # The role as the panel first showed it: a change another admin saves meanwhile is
        # refused, not overwritten.
        seen_role = st.session_state.setdefault(f"users_seen_role_{row.id}", row.role)
        if itself:
            st.caption(
                "Il proprio ruolo e la disattivazione del proprio accesso li gestisce un altro "
                "amministratore."
            )
        role_column, reset_column = st.columns(2)
        with role_column:
            role = st.selectbox(
                "Ruolo",
                access.ROLES,
                index=access.ROLES.index(row.role),
                format_func=lambda code: ROLE_LABELS.get(code, code),
                key=f"users_role_{row.id}",
                disabled=itself,
            )
            if st.button("Cambia ruolo", key="users_role_save", disabled=role == row.role):
                _act(
                    engine,
                    f"Ruolo di «{row.username}» cambiato.",
                    lambda s: accounts.change_role(s, admin, row.id, seen_role, role),
                )
        with reset_column:
            st.caption("La password non si vede né si imposta qui: l'utente la sceglie da sé.")
            if st.button(
                "Reimposta la password", key="users_reset", disabled=not row.active or itself
            ):
                code = forms.attempt(ACTION, lambda: _start_reset(engine, admin, row.id))
                if code:
                    st.session_state[LINK_KEY] = (row.username, reset_link(code))
                    forms.flash(
                        f"Reimpostazione avviata per «{row.username}»: la password attuale non "
                        "vale più e le sue sessioni sono state chiuse."
                    )
                st.rerun()
        buttons = st.columns(3)
        if row.locked_until is not None and buttons[0].button("Sblocca", key="users_unlock"):
            _act(
                engine,
                f"«{row.username}» sbloccato: può accedere di nuovo.",
                lambda s: accounts.unlock(s, admin, row.id),
            )
        if row.open_sessions and buttons[1].button("Chiudi le sessioni", key="users_end"):
            _act(
                engine,
                f"Sessioni di «{row.username}» chiuse.",
                lambda s: accounts.end_user_sessions(s, admin, row.id),
            )
        with buttons[2]:
            _activation(engine, admin, row, itself)


def _start_reset(engine: Engine, admin: auth.CurrentUser, user_id: int) -> str:
    with session_scope(engine) as session:
        return accounts.start_reset(session, admin, user_id)


def _activation(
    engine: Engine, admin: auth.CurrentUser, row: accounts.UserRow, itself: bool
) -> None:
    if not row.active:
        if st.button("Riattiva", key="users_activate"):
            _act(
                engine,
                f"«{row.username}» riattivato: per accedere gli serve una nuova password "
                "(«Reimposta la password») se non ricorda la sua.",
                lambda s: accounts.set_active(s, admin, row.id, True),
            )
        return
    sure = st.checkbox(
        "Confermo la disattivazione",
        key=f"users_sure_{row.id}",
        disabled=itself,
    )
    if st.button("Disattiva", key="users_deactivate", disabled=itself or not sure):
        _act(
            engine,
            f"«{row.username}» disattivato: le sue sessioni sono state chiuse.",
            lambda s: accounts.set_active(s, admin, row.id, False),
        )


def new_user_form(engine: Engine, admin: auth.CurrentUser) -> None:
    """A new account: name, display name, role; the link for its first password."""
    with st.expander("Nuovo utente", icon=":material/person_add:"):
        with st.form("users_new", border=False):
            username = st.text_input(
                "Nome utente", key=f"{NEW}username", placeholder="per esempio mrossi"
            )
            forms.field_error(NEW, "username")
            name = st.text_input("Nome e cognome", key=f"{NEW}name", max_chars=120)
            role = st.selectbox(
                "Ruolo",
                access.ROLES,
                index=access.ROLES.index("operatore"),
                format_func=lambda code: ROLE_LABELS.get(code, code),
                key=f"{NEW}role",
            )
            submitted = st.form_submit_button("Crea l'utente", type="primary")
        forms.form_error(NEW)
        if not submitted:
            return
        created = forms.attempt(
            NEW, lambda: _create(engine, admin, username, name, role), fields={"username"}
        )
        if created is not None:
            stored, code = created
            st.session_state[LINK_KEY] = (stored, reset_link(code))
            forms.forget(NEW)
            forms.flash(
                f"Utente «{stored}» creato: consegnargli il link per scegliere la password."
            )
        st.rerun()  # refused: the message goes next to its field, what was typed stays


def _create(
    engine: Engine, admin: auth.CurrentUser, username: str, name: str, role: str
) -> tuple[str, str]:
    with session_scope(engine) as session:
        _id, code = accounts.create(session, admin, username, name, role)
    return auth.check_username(username), code


def settings_form(engine: Engine, admin: auth.CurrentUser) -> None:
    """Sessions' limits and retention: the values the form showed are sent with the save, so
    another admin's change meanwhile is refused, not overwritten."""
    with st.expander("Sicurezza e conservazione dei dati", icon=":material/shield_lock:"):
        with session_scope(engine) as session:
            current = security.read(session)
        seen = st.session_state.setdefault(f"{SETTINGS}seen", current)
        values = {}
        with st.form("users_settings", border=False):
            for name, rule in security.RULES.items():
                values[name] = st.number_input(
                    f"{rule.label} ({rule.unit})",
                    min_value=rule.low,
                    max_value=rule.high,
                    value=getattr(current, name),
                    step=1,
                    key=f"{SETTINGS}{name}",
                )
            st.caption(
                "I nuclei senza attività da più anni di quelli indicati vengono anonimizzati dal "
                "comando «python -m rete retention» (contatti e note tolti, i conteggi restano). Il "
                "registro accessi si conserva almeno 24 mesi."
            )
            submitted = st.form_submit_button("Salva le impostazioni")
        forms.form_error(SETTINGS)
        if not submitted:
            return
        new = security.Limits(**{name: int(value) for name, value in values.items()})
        changed = forms.attempt(SETTINGS, lambda: _save_settings(engine, admin, new, seen))
        # Saved or refused, the next save compares with the values as they are now: after a
        # refusal the admin has been told, and what they typed is still in the form.
        st.session_state.pop(f"{SETTINGS}seen", None)
        if changed is not None:
            forms.flash(
                "Impostazioni salvate: " + ", ".join(changed) + "."
                if changed
                else "Nessuna impostazione cambiata."
            )
        st.rerun()


def _save_settings(
    engine: Engine, admin: auth.CurrentUser, new: security.Limits, seen: security.Limits
) -> list[str]:
    with session_scope(engine) as session:
        return security.save(session, admin, new, seen)
