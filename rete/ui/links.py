"""Links between the workspace's pages, carrying the record in the URL (a refresh or a shared
link opens the same record; the page checks the user's role and the record again)."""

from __future__ import annotations

import re
from urllib.parse import quote

import streamlit as st

from rete.directory import ContactCard
from rete.directory.edit import CONTACT_CHANNELS
from rete.ui.forms import plain
from rete.validation import split_extension

_EMAIL = re.compile(r"^[^@\s<>()\[\]]+@[^@\s<>()\[\]]+$")

HOUSEHOLD_PAGE = "pages/nucleo.py"
INTERVIEW_PAGE = "pages/nuovo_colloquio.py"
REFERRAL_PAGE = "pages/segnala.py"
INTERVIEWS_PAGE = "pages/colloqui.py"


def household_link(household_id: int, label: str) -> None:
    st.page_link(
        HOUSEHOLD_PAGE,
        label=label,
        icon=":material/family_restroom:",
        query_params={"nucleo": str(household_id)},
    )


def referral_link(need_id: int, label: str = "Segnala a un ente") -> None:
    st.page_link(
        REFERRAL_PAGE, label=label, icon=":material/send:", query_params={"bisogno": str(need_id)}
    )


def new_interview_link(code: str) -> None:
    st.page_link(
        INTERVIEW_PAGE,
        label="Nuovo colloquio con questo nucleo",
        icon=":material/edit_note:",
        query_params={"nucleo": code},
    )


def interview_link(interview_id: int, label: str = "Correggi il colloquio") -> None:
    st.page_link(
        INTERVIEWS_PAGE,
        label=label,
        icon=":material/edit:",
        query_params={"colloquio": str(interview_id)},
    )


def id_from_url(name: str) -> int | None:
    """A record id from the URL; anything but a plain positive number is ignored."""
    value = st.query_params.get(name, "")
    return int(value) if value.isdigit() and len(value) < 12 else None


def household_search_link() -> None:
    st.page_link(HOUSEHOLD_PAGE, label="Cerca un nucleo", icon=":material/search:")


def channel_links(phone: str | None, email: str | None) -> list[str]:
    """Markdown `tel:` and `mailto:` links; the text escaped, each address reduced to what it
    may hold (digits and '+'; a plain e-mail address, percent-encoded)."""
    parts = []
    if phone:
        # The number to dial: an extension ("int. 31") is for the switchboard, not the link.
        digits = re.sub(r"[^0-9+]", "", split_extension(phone)[0])
        parts.append(f":material/call: [{plain(phone)}](tel:{digits})")
    if email and _EMAIL.match(email):
        parts.append(f":material/mail: [{plain(email)}](mailto:{quote(email, '@')})")
    return parts


def contact_line(contact: ContactCard) -> str:
    """'**Anna Bianchi** (assistente sociale) · [0332 255 111](tel:0332255111) · …' with
    `tel:` and `mailto:` links, the primary contact and the preferred channel said; every text
    escaped, every address reduced to what it may hold."""
    parts = [f"**{plain(contact.name)}**" + (f" ({plain(contact.role)})" if contact.role else "")]
    parts += channel_links(contact.phone, contact.email)
    if contact.is_primary:
        parts.append("referente principale")
    if contact.preferred_channel:
        label = CONTACT_CHANNELS.get(contact.preferred_channel, contact.preferred_channel)
        parts.append(f"preferisce: {plain(label.lower())}")
    return " · ".join(parts)
