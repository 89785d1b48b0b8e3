"""The deck as files (PowerPoint, Word, Excel, HTML), and the one function that makes one and
records it in the audit trail: who, when, which format, which period, territory and slides."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import Engine

from rete import audit
from rete.filters import month_code
from rete.meeting.model import Deck


@dataclass(frozen=True)
class FileFormat:
    key: str
    label: str  # the button's and the audit trail's word
    extension: str
    mime: str
    written: str  # «PowerPoint scritto», «Tabelle Excel scritte»: agreeing with the label


FORMATS = {
    f.key: f
    for f in (
        FileFormat(
            "pptx",
            "PowerPoint",
            "pptx",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            "scritto",
        ),
        FileFormat(
            "docx",
            "Report Word",
            "docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "scritto",
        ),
        FileFormat(
            "xlsx",
            "Tabelle Excel",
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "scritte",
        ),
        FileFormat("html", "Pagina HTML", "html", "text/html", "scritta"),
    )
}


def _renderer(key: str) -> Callable[[Deck], bytes]:
    """The writer of a format, imported when first asked for (python-pptx and python-docx
    take a while to import, and most page runs make no file)."""
    if key == "pptx":
        from rete.meeting.pptx_deck import deck_pptx

        return deck_pptx
    if key == "docx":
        from rete.meeting.report import deck_docx

        return deck_docx
    if key == "xlsx":
        from rete.meeting.workbook import deck_xlsx

        return deck_xlsx
    from rete.meeting.html_deck import deck_html

    return deck_html


def file_name(start: int, end: int, key: str) -> str:
    """riunione_rete_2025-12_2026-11.pptx"""
    return f"riunione_rete_{month_code(start)}_{month_code(end)}.{FORMATS[key].extension}"


def summary(deck: Deck, key: str, hidden: Iterable[str] = ()) -> str:
    """What the audit trail says of an export: format, period, territory, slides left out."""
    parts = [FORMATS[key].label, deck.period_label, deck.territory_label]
    left_out = sorted(hidden)
    if left_out:
        parts.append("slide nascoste: " + ", ".join(left_out))
    return " · ".join(parts)


def export(
    engine: Engine, actor: audit.Actor, deck: Deck, key: str, hidden: Iterable[str] = ()
) -> bytes:
    """The deck (without the `hidden` slides) as a file of format `key`, recorded in the audit
    trail before it is handed out."""
    hidden = tuple(hidden)
    content = _renderer(key)(deck.without(hidden))
    audit.record_export(engine, actor, "meeting_exported", summary(deck, key, hidden))
    return content
