"""The Cruscotto's charts as tables to download (CSV for Italian Excel, `rete.export`).

One function per chart, each giving the file's bytes. A table says what the chart shows in
full: the neighbourhoods the charts sum into "Altri" are listed one by one (with their
municipality, in the same two columns in every file), whole numbers have no decimals, rates are
rounded, and a share is a percentage whose header says what it is a share of.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine

from rete import export, queries
from rete.filters import Filters

PLACE = {"neighbourhood": "Quartiere", "municipality": "Comune"}


def needs_by_area(frame: pd.DataFrame) -> bytes:
    """`queries.needs_by_area`'s frame."""
    return export.to_csv(frame, {"area": "Area", "needs": "Bisogni"})


def needs_by_neighbourhood(engine: Engine, filters: Filters) -> bytes:
    """Every neighbourhood x area with needs (the chart's top 15 and each of the "Altri")."""
    frame = queries.needs_by_neighbourhood_area(engine, filters, top=None)
    columns = {
        **PLACE,
        "area": "Area",
        "needs": "Bisogni",
        "total": "Totale quartiere",
        "homes": "Alloggi ALER",
        "per_100_homes": "Bisogni ogni 100 alloggi",
    }
    return export.to_csv(frame, columns, decimals={"per_100_homes": 1})


def needs_by_neighbourhood_need(engine: Engine, filters: Filters) -> bytes:
    """Every neighbourhood x specific need with needs (the heatmap's cells, "Altri" unfolded)."""
    frame = queries.needs_by_neighbourhood_need(engine, filters)
    columns = {**PLACE, "area": "Area", "need": "Bisogno specifico", "needs": "Bisogni"}
    return export.to_csv(frame, columns)


def monthly_trend(frame: pd.DataFrame) -> bytes:
    """`queries.monthly_trend`'s frame: one row per month and area, zeros included."""
    return export.to_csv(frame, {"month_label": "Mese", "area": "Area", "needs": "Bisogni"})


SHARE_HEADER = "Prese in carico su risposte e ritardi (%)"


def referral_outcomes(frame: pd.DataFrame) -> bytes:
    """`queries.referral_outcomes_by_partner`'s frame; the share as a percentage with one
    decimal, of the referrals taken in charge, refused or overdue (`queries.common.share`)."""
    columns = {
        "partner": "Ente",
        "sent": "Inviate",
        "accepted": "Prese in carico",
        "positive": "Concluse con esito positivo",
        "negative": "Concluse con esito negativo",
        "refused": "Rifiutate",
        "cancelled": "Annullate",
        "overdue": "In ritardo",
        "share_accepted": SHARE_HEADER,
    }
    percent = frame.assign(share_accepted=frame["share_accepted"] * 100)
    return export.to_csv(percent, columns, decimals={"share_accepted": 1})
