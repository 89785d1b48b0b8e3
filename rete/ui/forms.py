"""What every form of the workspace shares: errors next to their field, safe text.

A form is a set of widgets with keys under one prefix, outside `st.form` where one choice
changes the next (area, then specific need). Its values live in `st.session_state`, so a failed
save keeps everything typed. `attempt` runs the save and files a `ReteError` under the field it
names (`error.field`), shown by `field_error` right below that widget.

Saving once: a form that saved shows its result instead of its button until the user asks for
a new one, so the second run of a double click finds no button to act on.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from rete import db
from rete.errors import ReteError

log = logging.getLogger(__name__)
T = TypeVar("T")
GENERAL = "_form"  # errors that belong to no one field
_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$:=^&])")


def plain(text: object) -> str:
    """Text typed by a person, made inert for Streamlit's Markdown: every special character is
    escaped, so '<img …>' or '[x](javascript:…)' shows as those characters and runs nothing."""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", str(text))


def _errors(form: str) -> dict[str, str]:
    errors: dict[str, str] = st.session_state.setdefault(f"{form}__errors", {})
    return errors


def clear_errors(form: str) -> None:
    st.session_state[f"{form}__errors"] = {}


def field_error(form: str, field: str) -> None:
    """The message filed under `field`, if any, right where this is called."""
    message = _errors(form).get(field)
    if message:
        st.error(plain(message), icon=":material/error:")


def form_error(form: str) -> None:
    """A message about the whole form (not one field)."""
    field_error(form, GENERAL)


def has_errors(form: str) -> bool:
    return bool(_errors(form))


def attempt(form: str, action: Callable[[], T], fields: set[str] | None = None) -> T | None:
    """Run `action`; on a domain error file its message under its field (or the whole form, when
    the field is not one this form shows) and return None. Nothing typed is touched."""
    clear_errors(form)
    try:
        return action()
    except ReteError as error:
        log.info("form %s refused: %s", form, type(error).__name__)
        field = error.field if error.field and (fields is None or error.field in fields) else None
        _errors(form)[field or GENERAL] = str(error)
    except SQLAlchemyError as error:  # its message quotes what was typed: not in the log
        log.error("database error while saving %s: %s", form, db.loggable(error))
        _errors(form)[GENERAL] = (
            "Il database non risponde: niente è stato salvato e quanto scritto è ancora qui. "
            "Riprovare tra poco; se il problema resta, avvisare l'amministratore di Rete."
        )
    return None


def forget(prefix: str) -> None:
    """Drop every widget value and state of a form, for a fresh one (after a save)."""
    for key in [k for k in st.session_state if str(k).startswith(prefix)]:
        del st.session_state[key]


FLASH_KEY = "rete_flash"


def flash(message: str) -> None:
    """A confirmation to show at the top of the next run (after `st.rerun()`)."""
    st.session_state[FLASH_KEY] = message


def show_flash() -> None:
    message = st.session_state.pop(FLASH_KEY, None)
    if message:
        st.success(plain(message), icon=":material/check_circle:")


def opened_version(form: str, current: int) -> int:
    """The record's version when this form was first drawn: a save sends it, so a change
    someone else saved meanwhile is refused (rete.writes.claim) instead of overwritten, even
    though the page re-reads the record on every run."""
    key = f"{form}__version"
    if key not in st.session_state:
        st.session_state[key] = current
    version: int = st.session_state[key]
    return version


def reopen(form: str) -> None:
    """Forget the version a form was opened with (after a refusal, or to reload it)."""
    st.session_state.pop(f"{form}__version", None)


def changed_meanwhile(form: str, opened: int, current: int, what: str) -> None:
    """When someone else saved the record after this form was opened: say so, and offer to
    reload it (dropping what was typed, which is otherwise kept)."""
    if opened == current:
        return
    st.warning(
        f"Qualcun altro ha salvato {what} dopo che l'hai aperto: le tue modifiche sono ancora "
        "qui. Per ripartire dalla versione salvata, ricarica.",
        icon=":material/sync_problem:",
    )
    if st.button("Ricarica (perde le modifiche)", key=f"{form}reload"):
        forget(form)
        st.rerun()


def choose_many(
    where: Any, label: str, options: Mapping[Any, str], key: str, everything: str = "Tutti"
) -> tuple[Any, ...]:
    """A list filter: a multiselect over `options` (value -> shown text) whose empty choice
    means everything; `where` is the column or container it goes in."""
    chosen = where.multiselect(
        label, list(options), format_func=options.__getitem__, key=key, placeholder=everything
    )
    return tuple(chosen)
