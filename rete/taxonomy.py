"""Codes and Italian labels; reference data seeded from `data/*.csv`, then read from the DB."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from rete import access
from rete.config import DATA_DIR
from rete.errors import NotFound, ValidationError
from rete.models import Category, Channel, Need, Neighbourhood
from rete.validation import optional_text
from rete.writes import Actor, write

SEVERITY_LABELS = {"low": "bassa", "medium": "media", "high": "alta", "urgent": "urgente"}
NEED_STATUS_LABELS = {
    "open": "aperto",
    "in_progress": "in carico",
    "resolved": "risolto",
    "unresolved": "non risolto",
}
REFERRAL_STATUS_LABELS = {
    "sent": "inviata",
    "accepted": "presa in carico",
    "refused": "rifiutata",
    "closed": "conclusa",
    "cancelled": "annullata",
}
OUTCOME_LABELS = {"positive": "esito positivo", "negative": "esito negativo"}
REFUSAL_REASONS = {
    "no_capacity": "nessuna disponibilità",
    "not_eligible": "non idoneo",
    "out_of_area": "fuori zona",
    "missing_documents": "documentazione mancante",
    "other": "altro",
}
NEGATIVE_REASONS = {
    "unreachable_tenant": "non contattabile",
    "unreachable_partner": "ente non raggiungibile",
    "no_longer_interested": "non più interessato",
    "no_longer_needed": "non più necessario",
    "sent_elsewhere": "inviato altrove",
    "other": "altro",
}
PARTNER_KINDS = {
    "municipal_social_services": "servizi sociali comunali",
    "public_body": "ente pubblico",
    "health": "sanitario (ASST/ATS)",
    "association": "associazione",
    "ets_onlus": "ETS/ONLUS",
    "social_cooperative": "cooperativa sociale",
    "trade_union": "sindacato",
    "parish_caritas": "parrocchia/Caritas",
    "other": "altro",
}
ROLE_LABELS = {
    "direzione": "Direzione",
    "operatore": "Community manager",
    "admin": "Amministratore",
}

# An area without a colour of its own (the admin may add one) is drawn in this grey.
FALLBACK_COLOUR = "#777777"

CATEGORIES_CSV = DATA_DIR / "categorie.csv"
CHANNELS_CSV = DATA_DIR / "canali.csv"
DEMO_NEIGHBOURHOODS_CSV = DATA_DIR / "quartieri_demo.csv"


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def seed_reference_data(session: Session) -> int:
    """Add the categories and channels of `data/` whose code is missing; returns how many.

    Existing rows are left alone: after the first seed the database is the truth.
    """
    added = 0
    known_channels = set(session.scalars(select(Channel.code)))
    for row in read_csv(CHANNELS_CSV):
        if row["code"] not in known_channels:
            session.add(
                Channel(code=row["code"], name=row["name"], sort_order=int(row["sort_order"]))
            )
            added += 1
    categories = {c.code: c for c in session.scalars(select(Category))}
    for row in read_csv(CATEGORIES_CSV):  # areas come before their needs in the file
        if row["code"] in categories:
            continue
        parent = categories[row["parent_code"]] if row["parent_code"] else None
        category = Category(
            code=row["code"],
            name=row["name"],
            parent_id=parent.id if parent else None,
            colour=row["colour"] or None,
            sort_order=int(row["sort_order"]),
        )
        session.add(category)
        session.flush()
        categories[category.code] = category
        added += 1
    return added


def seed_demo_neighbourhoods(session: Session) -> list[Neighbourhood]:
    neighbourhoods = [
        Neighbourhood(name=row["name"], municipality=row["municipality"], homes=int(row["homes"]))
        for row in read_csv(DEMO_NEIGHBOURHOODS_CSV)
    ]
    session.add_all(neighbourhoods)
    session.flush()
    return neighbourhoods


@dataclass(frozen=True)
class Area:
    id: int
    code: str
    name: str
    colour: str


@dataclass(frozen=True)
class SpecificNeed:
    id: int
    code: str
    name: str
    area_id: int


@dataclass(frozen=True)
class Taxonomy:
    """The categories, channels and neighbourhoods as they stand in the database."""

    areas: tuple[Area, ...]
    needs: tuple[SpecificNeed, ...]
    channels: tuple[tuple[str, str], ...]  # (code, name)
    neighbourhoods: tuple[tuple[int, str, str], ...]  # (id, name, municipality)

    def area_colours(self) -> dict[str, str]:
        """Area name -> colour, the same on every chart, slide and legend."""
        return {area.name: area.colour for area in self.areas}

    def area_order(self) -> list[str]:
        return [area.name for area in self.areas]

    def municipalities(self) -> list[str]:
        return sorted({municipality for _, _, municipality in self.neighbourhoods})


def load_taxonomy(engine: Engine) -> Taxonomy:
    with Session(engine) as session:
        categories = session.scalars(
            select(Category).where(Category.active).order_by(Category.sort_order, Category.code)
        ).all()
        channels = session.execute(
            select(Channel.code, Channel.name).where(Channel.active).order_by(Channel.sort_order)
        ).all()
        neighbourhoods = session.execute(
            select(Neighbourhood.id, Neighbourhood.name, Neighbourhood.municipality)
            .where(Neighbourhood.active)
            .order_by(Neighbourhood.municipality, Neighbourhood.name)
        ).all()
    areas = tuple(
        Area(c.id, c.code, c.name, c.colour or FALLBACK_COLOUR)
        for c in categories
        if c.parent_id is None
    )
    area_rank = {area.id: rank for rank, area in enumerate(areas)}
    needs = sorted(
        (c for c in categories if c.parent_id in area_rank),
        key=lambda c: (area_rank[c.parent_id or 0], c.sort_order, c.code),
    )
    return Taxonomy(
        areas=areas,
        needs=tuple(SpecificNeed(c.id, c.code, c.name, c.parent_id or 0) for c in needs),
        channels=tuple((code, name) for code, name in channels),
        neighbourhoods=tuple((id_, name, muni) for id_, name, muni in neighbourhoods),
    )


# --- Changes by the administrator. The read model copies each need's area: a specific need
# moved under another area moves its needs' facts with it, so every count follows.


def _specific_need(session: Session, category_id: int) -> Category:
    category = session.get(Category, category_id)
    if category is None:
        raise NotFound("Voce della classificazione non trovata: ricaricare la pagina.")
    return category


def rename_category(session: Session, actor: Actor, category_id: int, name: str) -> None:
    """A new name for an area or a specific need (charts key on codes, which never change)."""
    with write(session, actor, allowed=access.may_edit_taxonomy) as unit:
        category = _specific_need(session, category_id)
        cleaned = optional_text(name, "Il nome", 160)
        if cleaned is None:
            raise ValidationError("Indicare il nuovo nome.")
        category.name = cleaned
        unit.audit("category_renamed", "category", category.id, category.code)


def move_specific_need(session: Session, actor: Actor, category_id: int, area_id: int) -> None:
    """Put a specific need under another area; its recorded needs follow it everywhere."""
    with write(session, actor, allowed=access.may_edit_taxonomy) as unit:
        category = _specific_need(session, category_id)
        area = session.get(Category, area_id)
        if category.parent_id is None:
            raise ValidationError("Si possono spostare solo i bisogni specifici, non le aree.")
        if area is None or area.parent_id is not None:
            raise ValidationError("Scegliere l'area di destinazione dall'elenco delle aree.")
        if area.id == category.parent_id:
            return
        with unit.changing(need_ids=select(Need.id).where(Need.category_id == category.id)):
            category.parent_id = area.id
            session.flush()
        unit.audit("category_moved", "category", category.id, f"{category.code} → {area.code}")


def set_category_active(session: Session, actor: Actor, category_id: int, active: bool) -> None:
    """Take a category out of use (it stays on recorded needs and in the charts) or back."""
    with write(session, actor, allowed=access.may_edit_taxonomy) as unit:
        category = _specific_need(session, category_id)
        if category.active == active:
            return
        category.active = active
        action = "category_activated" if active else "category_deactivated"
        unit.audit(action, "category", category.id, category.code)
