"""Errors on the page: a domain error's Italian message, a plain one for a silent database."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from rete import db
from rete.errors import ReteError
from rete.ui.forms import plain

log = logging.getLogger(__name__)


def show_error(error: ReteError) -> None:
    """A domain error's Italian message on the page, as text (it may quote what the user
    typed); the log gets only its kind: messages can hold personal data."""
    log.warning("shown to the user: %s", type(error).__name__)
    st.error(plain(str(error)), icon=":material/error:")


@contextmanager
def friendly_errors() -> Iterator[None]:
    """Domain errors and a database that stops answering become an Italian message on the
    page; the details go to the log."""
    try:
        yield
    except ReteError as error:
        show_error(error)
    except SQLAlchemyError as error:  # its message may quote a record: not in the log
        log.error("database error: %s", db.loggable(error))
        st.error(
            "Il database non risponde. Riprovare tra poco; se il problema resta, avvisare "
            "l'amministratore di Rete.",
            icon=":material/error:",
        )
