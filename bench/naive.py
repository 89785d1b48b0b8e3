"""The naive baseline: whole base tables into pandas, merged and aggregated there.

This is how most dashboards start: `pandas.read_sql` of every table the page needs (the base
tables, not Rete's read model), a few merges, then groupby. It must give exactly the numbers of
Rete's queries, so it follows the same rules (see `rete.queries`): live interviews only, period
on the interview's month (the referral's sending month for referrals), neighbourhoods ranked by
needs with ties broken by name and municipality, the first 15 shown and the rest as "Altri".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import Engine, text

from bench import canonical
from bench.canonical import Numbers, Rows
from rete import queries, readmodel
from rete.filters import Filters, month_range

BASE_TABLES = ("need", "interview", "household", "neighbourhood", "category", "referral", "partner")
ACCEPTED_STATUSES = list(readmodel.ACCEPTED_STATUSES)
TOP = queries.TOP_NEIGHBOURHOODS


@dataclass(frozen=True)
class Joined:
    """The base tables merged: one row per live need, one per referral of a live need."""

    needs: pd.DataFrame
    referrals: pd.DataFrame
    areas: pd.DataFrame  # id, code, sort_order
    categories: pd.DataFrame  # id, code, sort_order, area_code, area_sort
    neighbourhoods: pd.DataFrame  # id, name, municipality, homes
    partners: pd.DataFrame  # id, name


@dataclass(frozen=True)
class Place:
    """A neighbourhood shown on its own (key = its id), or "Altri" (key = None)."""

    key: int | None
    label: str
    total: int
    homes: int | None


def load_tables(engine: Engine) -> dict[str, pd.DataFrame]:
    """Every base table the page needs, whole."""
    with engine.connect() as connection:
        return {
            name: pd.read_sql(text(f"SELECT * FROM {name}"), connection) for name in BASE_TABLES
        }


def _month(dates: pd.Series) -> pd.Series:
    """yyyymm of a column of dates (ISO strings on SQLite, dates on PostgreSQL)."""
    parsed = pd.to_datetime(dates)
    return parsed.dt.year * 100 + parsed.dt.month


def join_tables(tables: dict[str, pd.DataFrame]) -> Joined:
    """Merge the base tables into the rows the aggregates need."""
    interviews = tables["interview"]
    live = interviews[interviews["deleted_at"].isna()]
    live = live[["id", "household_id", "held_on", "channel_code"]].rename(
        columns={"id": "interview_id"}
    )
    households = tables["household"][["id", "neighbourhood_id"]].rename(
        columns={"id": "household_id"}
    )
    places = tables["neighbourhood"][["id", "municipality"]].rename(
        columns={"id": "neighbourhood_id"}
    )
    category = tables["category"]
    parents = category[["id", "parent_id"]].rename(
        columns={"id": "category_id", "parent_id": "area_id"}
    )
    needs = (
        tables["need"][["id", "interview_id", "category_id"]]
        .rename(columns={"id": "need_id"})
        .merge(live, on="interview_id")
        .merge(households, on="household_id")
        .merge(places, on="neighbourhood_id")
        .merge(parents, on="category_id")
    )
    needs["month"] = _month(needs["held_on"])
    referrals = tables["referral"][
        ["id", "need_id", "partner_id", "sent_on", "due_on", "status", "outcome", "accepted_on"]
    ].merge(
        needs[
            [
                "need_id",
                "neighbourhood_id",
                "municipality",
                "area_id",
                "category_id",
                "channel_code",
            ]
        ],
        on="need_id",
    )
    sent_on = pd.to_datetime(referrals["sent_on"])
    referrals["sent_month"] = sent_on.dt.year * 100 + sent_on.dt.month
    referrals["due_on"] = pd.to_datetime(referrals["due_on"])
    referrals["days"] = (pd.to_datetime(referrals["accepted_on"]) - sent_on).dt.days
    areas = category[category["parent_id"].isna()][["id", "code", "sort_order"]]
    specific = category[category["parent_id"].notna()][["id", "code", "sort_order", "parent_id"]]
    categories = specific.merge(
        areas.rename(columns={"id": "parent_id", "code": "area_code", "sort_order": "area_sort"}),
        on="parent_id",
    )
    return Joined(
        needs=needs,
        referrals=referrals,
        areas=areas,
        categories=categories,
        neighbourhoods=tables["neighbourhood"][["id", "name", "municipality", "homes"]],
        partners=tables["partner"][["id", "name"]],
    )


def _filtered(frame: pd.DataFrame, filters: Filters, month_column: str) -> pd.DataFrame:
    """The rows the filters keep (the same rules as `rete.queries.common.conditions`)."""
    keep = frame[month_column].between(filters.start, filters.end)
    if filters.neighbourhood_ids:
        keep &= frame["neighbourhood_id"].isin(filters.neighbourhood_ids)
    elif filters.municipalities:
        keep &= frame["municipality"].isin(filters.municipalities)
    if filters.category_ids:
        keep &= frame["category_id"].isin(filters.category_ids)
    elif filters.area_ids:
        keep &= frame["area_id"].isin(filters.area_ids)
    if filters.channel_codes:
        keep &= frame["channel_code"].isin(filters.channel_codes)
    return frame[keep]


# --- The aggregates


def kpis(joined: Joined, filters: Filters, today: dt.date) -> Rows:
    """Headline figures, counted in pandas."""
    needs = _filtered(joined.needs, filters, "month")
    referrals = _filtered(joined.referrals, filters, "sent_month")
    accepted = referrals["status"].isin(ACCEPTED_STATUSES)
    overdue = (referrals["status"] == "sent") & (referrals["due_on"] < pd.Timestamp(today))
    days = referrals.loc[accepted & referrals["accepted_on"].notna(), "days"]
    sent, taken = len(referrals), int(accepted.sum())
    cancelled = int((referrals["status"] == "cancelled").sum())
    refused = int((referrals["status"] == "refused").sum())
    return canonical.kpi_rows(
        interviews=needs["interview_id"].nunique(),
        households=needs["household_id"].nunique(),
        needs=len(needs),
        sent=sent,
        accepted=taken,
        cancelled=cancelled,
        overdue=int(overdue.sum()),
        share_accepted=canonical.share(taken, refused, int(overdue.sum())),
        median_days=float(days.median()) if len(days) else None,
    )


def by_area(joined: Joined, filters: Filters) -> Rows:
    """Needs per area, most first."""
    counts = _filtered(joined.needs, filters, "month").groupby("area_id").size()
    frame = joined.areas.merge(counts.rename("needs"), left_on="id", right_index=True)
    frame = frame.sort_values(["needs", "sort_order", "code"], ascending=[False, True, True])
    return tuple((str(r.code), int(r.needs)) for r in frame.itertuples())


def ranked_places(joined: Joined, needs: pd.DataFrame) -> list[Place]:
    """Neighbourhoods by needs (ties by name, municipality), the first TOP, then "Altri"."""
    totals = needs.groupby("neighbourhood_id").size().rename("total")
    frame = joined.neighbourhoods.merge(totals, left_on="id", right_index=True)
    frame = frame.sort_values(["total", "name", "municipality"], ascending=[False, True, True])
    shown = [
        Place(
            int(r.id),
            canonical.place_label(r.name, r.municipality),
            int(r.total),
            canonical.optional_int(r.homes),
        )
        for r in frame.head(TOP).itertuples()
    ]
    rest = frame.iloc[TOP:]
    if rest.empty:
        return shown
    homes = None if rest["homes"].isna().any() else int(rest["homes"].sum())
    return [*shown, Place(None, queries.OTHERS_LABEL, int(rest["total"].sum()), homes)]


def _bucketed(needs: pd.DataFrame, places: list[Place]) -> pd.DataFrame:
    """The needs with the place they are shown under: their neighbourhood, or -1 for "Altri"."""
    shown = [place.key for place in places if place.key is not None]
    bucket = needs["neighbourhood_id"].where(needs["neighbourhood_id"].isin(shown), -1)
    return needs.assign(bucket=bucket)


def _place_key(place: Place) -> int:
    return -1 if place.key is None else place.key


def by_neighbourhood_area(joined: Joined, filters: Filters) -> Rows:
    """Needs per shown neighbourhood and area, neighbourhood by neighbourhood."""
    needs = _filtered(joined.needs, filters, "month")
    places = ranked_places(joined, needs)
    counts = _bucketed(needs, places).groupby(["bucket", "area_id"]).size().rename("needs")
    frame = counts.reset_index().merge(joined.areas, left_on="area_id", right_on="id")
    rows: list[tuple[Any, ...]] = []
    for place in places:
        mine = frame[frame["bucket"] == _place_key(place)].sort_values(["sort_order", "code"])
        rows += [
            (place.label, str(r.code), int(r.needs), place.total, place.homes)
            for r in mine.itertuples()
        ]
    return tuple(rows)


def heatmap(joined: Joined, filters: Filters) -> Rows:
    """Needs per shown neighbourhood and specific need, in taxonomy order."""
    needs = _filtered(joined.needs, filters, "month")
    places = ranked_places(joined, needs)
    counts = _bucketed(needs, places).groupby(["bucket", "category_id"]).size().rename("needs")
    frame = counts.reset_index().merge(joined.categories, left_on="category_id", right_on="id")
    present = frame[["area_sort", "area_code", "sort_order", "code"]].drop_duplicates()
    order = {
        code: rank for rank, code in enumerate(present.sort_values(list(present.columns))["code"])
    }
    frame["need_order"] = frame["code"].map(order)
    rows: list[tuple[Any, ...]] = []
    for place in places:
        mine = frame[frame["bucket"] == _place_key(place)].sort_values("need_order")
        rows += [
            (place.label, str(r.code), int(r.need_order), int(r.needs)) for r in mine.itertuples()
        ]
    return tuple(rows)


def trend(joined: Joined, filters: Filters) -> Rows:
    """Needs per month and area, every month of the period for every area present."""
    counts = _filtered(joined.needs, filters, "month").groupby(["month", "area_id"]).size()
    frame = (
        counts.rename("needs").reset_index().merge(joined.areas, left_on="area_id", right_on="id")
    )
    found = {(int(r.month), str(r.code)): int(r.needs) for r in frame.itertuples()}
    areas = frame[["sort_order", "code"]].drop_duplicates().sort_values(["sort_order", "code"])
    return tuple(
        (month, code, found.get((month, code), 0))
        for month in month_range(filters.start, filters.end)
        for code in areas["code"]
    )


def referrals(joined: Joined, filters: Filters, today: dt.date) -> Rows:
    """Referral outcomes per partner, most referrals first."""
    frame = _filtered(joined.referrals, filters, "sent_month")
    status, outcome = frame["status"], frame["outcome"]
    flags = pd.DataFrame(
        {
            "partner_id": frame["partner_id"],
            "sent": 1,
            "accepted": status.isin(ACCEPTED_STATUSES),
            "positive": (status == "closed") & (outcome == "positive"),
            "negative": (status == "closed") & (outcome == "negative"),
            "refused": status == "refused",
            "cancelled": status == "cancelled",
            "overdue": (status == "sent") & (frame["due_on"] < pd.Timestamp(today)),
        }
    )
    counts = flags.groupby("partner_id").sum().reset_index()
    counts = counts.merge(joined.partners, left_on="partner_id", right_on="id")
    counts = counts.sort_values(["sent", "name", "partner_id"], ascending=[False, True, True])
    measures = ["sent", "accepted", "positive", "negative", "refused", "cancelled", "overdue"]
    return tuple(
        (int(row["partner_id"]), *(int(row[m]) for m in measures)) for _, row in counts.iterrows()
    )


def naive_numbers(joined: Joined, filters: Filters, today: dt.date) -> Numbers:
    """Every aggregate of the page, computed in pandas from the merged base tables."""
    return {
        "kpis": kpis(joined, filters, today),
        "kpis_previous": kpis(joined, filters.previous(), today),
        "by_area": by_area(joined, filters),
        "by_neighbourhood_area": by_neighbourhood_area(joined, filters),
        "heatmap": heatmap(joined, filters),
        "trend": trend(joined, filters),
        "referrals": referrals(joined, filters, today),
    }
