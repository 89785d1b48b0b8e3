"""Links between the workspace's pages, carrying the record in the URL (a refresh or a shared
link opens the same record; the page checks the user's role and the record again)."""

from __future__ import annotations

import re
from urllib.parse import quote

import streamlit as st

from rete.directory import ContactCard
from rete.directory.edit import CONTACT_CHANNELS
from rete.ui.forms import plain
from rete.validation import is_record_id, split_extension

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


# What each record parameter of the URL names, for the notice about a link that is not valid.
URL_RECORDS = {
    "nucleo": "un nucleo",
    "colloquio": "un colloquio",
    "bisogno": "un bisogno",
    "ente": "un ente",
}
_ID = re.compile(r"[0-9]{1,10}")  # ASCII digits only: "²" is a digit to str.isdigit, not to int


def id_from_url(name: str, *, say: bool = True) -> int | None:
    """A record id from the URL; anything but a plain number an id can be is ignored and, with
    `say`, the page says that the link names no valid record (never repeating what it held:
    the URL comes from outside)."""
    value = st.query_params.get(name, "")
    if _ID.fullmatch(value) and is_record_id(int(value)):
        return int(value)
    if value and say:
        st.warning(
            f"Il link non indica {URL_RECORDS.get(name, 'un elemento')} valido: è stato "
            "ignorato. Cercarlo di nuovo nella pagina.",
            icon=":material/link_off:",
        )
    return None


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
