"""The community manager's workspace (issue 12) and the directory (issue 14): what their pages
and functions are measured on.

The parent chooses the records once per dataset (`choose_subjects`): the household with the most
live interviews, and a need of the specific need most often referred (the partner proposal reads
that need's referral history, the heaviest there is). Each page is then run through AppTest
(`PageVisit`) and each read function called on its own (`CALLS`), in a child process each; the
directory's page runs search, ask «Chi può aiutare?» and open the coverage with those records.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from bench.hsds_side import hsds_export
from rete import db, directory
from rete.directory import coverage, search
from rete.filters import PRESET_LAST_12, period_bounds
from rete.models import Category, Household, Interview, NeedFact, ReferralFact
from rete.workspace import followup, households, interviews
from rete.writes import Actor

Counts = dict[str, int]
Choice = tuple[str, str, str | int]  # AppTest's accessor ("selectbox"), the widget's key, value


@dataclass(frozen=True)
class PageVisit:
    """A page as a user reaches it: its file, the title it must show, the URL's query
    parameters, text inputs typed and then other widgets set (each with its rerun) before the
    measured runs, and a text and a number of charts every measured run must show (so a run
    that found nothing, or still waits for a choice, is not taken for a fast one)."""

    file: str
    title: str
    params: tuple[tuple[str, str], ...] = ()
    typed: tuple[tuple[str, str], ...] = ()
    chosen: tuple[Choice, ...] = ()
    shows: str = ""  # in a Markdown, caption or header element
    charts: int = 0  # Plotly charts every measured run must draw, at least


@dataclass(frozen=True)
class Subjects:
    """The records the workspace's items open, chosen once per dataset."""

    household_id: int
    household_code: str
    household_interviews: int  # live ones
    need_id: int
    category_id: int  # the need's specific need: the one most often referred
    neighbourhood_id: int  # the need's household's
    area_id: int  # the area of that specific need


def choose_subjects(url: str) -> Subjects:
    """The household with the most live interviews (lowest id on a tie) and the first live need
    of the specific need with the most referrals."""
    engine = db.get_engine(url)
    with Session(engine) as session:
        interviews_count = func.count(Interview.id)
        household_id, several = session.execute(
            select(Interview.household_id, interviews_count)
            .where(Interview.deleted_at.is_(None))
            .group_by(Interview.household_id)
            .order_by(interviews_count.desc(), Interview.household_id)
            .limit(1)
        ).one()
        code = session.scalars(select(Household.code).where(Household.id == household_id)).one()
        referrals_count = func.count(ReferralFact.referral_id)
        category_id = session.scalars(
            select(ReferralFact.category_id)
            .group_by(ReferralFact.category_id)
            .order_by(referrals_count.desc(), ReferralFact.category_id)
            .limit(1)
        ).one()
        need_id, neighbourhood_id = session.execute(
            select(NeedFact.need_id, NeedFact.neighbourhood_id)
            .where(NeedFact.category_id == category_id)
            .order_by(NeedFact.need_id)
            .limit(1)
        ).one()
        area_id = session.scalars(
            select(Category.parent_id).where(Category.id == category_id)
        ).one()
    db.dispose_engine(url)
    assert area_id is not None  # referrals are for specific needs, whose parent is an area
    return Subjects(household_id, code, several, need_id, category_id, neighbourhood_id, area_id)


# --- The pages


DIRECTORY_PAGE = "pages/rete_enti.py"
SEARCH_TEXT = "sociali"  # in the demo directory's names and descriptions (servizi sociali ...)
VIEW = "dir_view"  # the Rete page's segmented control: enti (the search), aiuto, copertura


def page_visits(subjects: Subjects) -> dict[str, PageVisit]:
    """The workspace's pages and the directory's (issue 14), as the table names them.

    The directory's search is a word and the area of the subjects' need, page 1 of the cards
    with each one's record in the period; «Chi può aiutare?» is asked for the subjects' need
    and neighbourhood, which have partners (the proposal row reports them); the coverage is
    cached like the Cruscotto's figures, so its warm run reads the cache (its uncached work
    is the `coverage_section` call)."""
    household = (("nucleo", str(subjects.household_id)),)
    return {
        "Da seguire": PageVisit("pages/da_seguire.py", "Da seguire"),
        "Colloqui, first page": PageVisit("pages/colloqui.py", "Colloqui"),
        "Colloqui, one household's code": PageVisit(
            "pages/colloqui.py", "Colloqui", typed=(("iv_code", subjects.household_code),)
        ),
        "Scheda nucleo": PageVisit(
            "pages/nucleo.py", f"Nucleo {subjects.household_code}", params=household
        ),
        "Segnala a un ente": PageVisit(
            "pages/segnala.py", "Segnala a un ente", params=(("bisogno", str(subjects.need_id)),)
        ),
        "Rete, a search": PageVisit(
            DIRECTORY_PAGE,
            "Rete",
            typed=(("dir_text", SEARCH_TEXT),),
            chosen=(("selectbox", "dir_need", subjects.area_id),),
            shows="segnalazioni ricevute",  # a card's record on page 1
        ),
        "Rete, chi può aiutare": PageVisit(
            DIRECTORY_PAGE,
            "Rete",
            chosen=(
                ("segmented_control", VIEW, "aiuto"),
                ("selectbox", "help_need", subjects.category_id),
                ("selectbox", "help_place", subjects.neighbourhood_id),
            ),
            shows="aiutare**, dal più adatto",  # partners ranked (not the caption above)
        ),
        "Rete, copertura della rete": PageVisit(
            DIRECTORY_PAGE,
            "Rete",
            chosen=(("segmented_control", VIEW, "copertura"),),
            shows="Buchi della rete",
        ),
    }


# --- The read functions


@dataclass(frozen=True)
class WorkspaceCall:
    """One read function of the workspace, and what its result holds (checked, reported)."""

    label: str
    run: Callable[[Engine, Actor, Subjects, dt.date], Counts]
    target: float | None = None  # seconds, the median at 1M on SQLite, where the issue sets one


def _open_referrals(engine: Engine, actor: Actor, subjects: Subjects, today: dt.date) -> Counts:
    page = followup.open_referrals(engine, followup.FollowUpFilters(), today)
    return {"open": page.total, "overdue": page.overdue, "rows": len(page.rows)}


def _interview_page(engine: Engine, actor: Actor, subjects: Subjects, today: dt.date) -> Counts:
    page = interviews.interview_page(engine, interviews.InterviewFilters())
    return {"rows": len(page.rows), "has_next": int(page.has_next)}


def _interview_page_code(
    engine: Engine, actor: Actor, subjects: Subjects, today: dt.date
) -> Counts:
    filters = interviews.InterviewFilters(household_code=subjects.household_code)
    page = interviews.interview_page(engine, filters)
    return {"rows": len(page.rows), "has_next": int(page.has_next)}


def _household_card(engine: Engine, actor: Actor, subjects: Subjects, today: dt.date) -> Counts:
    card = households.household_card(engine, actor, subjects.household_id)
    needs = [need for interview in card.interviews for need in interview.needs]
    referrals = [referral for need in needs for referral in need.referrals]
    return {
        "interviews": len(card.interviews),
        "needs": len(needs),
        "referrals": len(referrals),
        "events": sum(len(referral.events) for referral in referrals),
    }


def _propose_partners(engine: Engine, actor: Actor, subjects: Subjects, today: dt.date) -> Counts:
    proposals = directory.propose_partners(engine, subjects.category_id, subjects.neighbourhood_id)
    return {"partners": len(proposals), "answered": sum(p.answered for p in proposals)}


# --- The directory's read functions (issue 14): the search with its cards' records, and the
# coverage section, over the Cruscotto's default period (the 12 complete months before today).

DIRECTORY_TARGET = 0.3  # seconds: "each page run under 0.3 s on SQLite" at 1M needs


def _period(today: dt.date) -> tuple[int, int]:
    bounds = period_bounds(PRESET_LAST_12, today)
    assert bounds is not None
    return bounds


def _directory_search(engine: Engine, actor: Actor, subjects: Subjects, today: dt.date) -> Counts:
    """The page's search: a word and the area of the subjects' need, page 1, with each card's
    record in the period."""
    start, end = _period(today)
    query = search.DirectoryQuery(text=SEARCH_TEXT, area_id=subjects.area_id)
    page = search.search_partners(engine, query, today=today)
    found = search.partner_records(engine, [card.id for card in page.cards], start, end, today)
    return {
        "partners": page.total,
        "cards": len(page.cards),
        "received": sum(record.received for record in found.values()),
    }


def _coverage_section(engine: Engine, actor: Actor, subjects: Subjects, today: dt.date) -> Counts:
    """Everything «Copertura della rete» shows, as the page asks for it."""
    found = coverage.coverage_section(engine, *_period(today), today)
    return {
        "needs": int(found.by_need.needs.sum()),
        "gap_cells": int((found.gaps.uncovered > 0).sum()),
        "uncovered": int(found.gaps.uncovered.sum()),
        "gap_needs": len(found.gap_needs),
        "unused": len(found.unused),
        "to_recheck": len(found.to_recheck),
    }


CALLS = {
    "open_referrals": WorkspaceCall(
        "`followup.open_referrals` (no filter, page 1)", _open_referrals
    ),
    "interview_page": WorkspaceCall("`interviews.interview_page` (no filter)", _interview_page),
    "interview_page_code": WorkspaceCall(
        "`interviews.interview_page` (one household's code)", _interview_page_code
    ),
    "household_card": WorkspaceCall("`households.household_card`", _household_card),
    "propose_partners": WorkspaceCall(
        "`directory.propose_partners`", _propose_partners, DIRECTORY_TARGET
    ),
    "directory_search": WorkspaceCall(
        "`search_partners` + `partner_records` (a word and an area, page 1)",
        _directory_search,
        DIRECTORY_TARGET,
    ),
    "coverage_section": WorkspaceCall(
        "`coverage.coverage_section` (needs, gaps, partners to look at)",
        _coverage_section,
        DIRECTORY_TARGET,
    ),
    "hsds_export": WorkspaceCall(
        "`hsds.export_zip` (the demo directory as HSDS 3.0, the same at every size)",
        hsds_export,
    ),
}
