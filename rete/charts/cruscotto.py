"""The Cruscotto's five charts: needs by area, by neighbourhood and area, by neighbourhood and
specific need, month by month, and what became of the referrals to each partner. Each takes the
frame of its `rete.queries` function (`queries.chart_frames` reads them all)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from rete import formats
from rete.charts.base import (
    NEEDS_AXIS,
    NOT_KNOWN,
    OUTCOME_CANCELLED,
    OUTCOME_COLOURS,
    OUTCOME_IN_CHARGE,
    OUTCOME_NEGATIVE,
    OUTCOME_OVERDUE,
    OUTCOME_POSITIVE,
    OUTCOME_REFUSED,
    OUTCOME_WAITING,
    PER_HOMES_AXIS,
    REFERRALS_AXIS,
    Scale,
    _add_totals,
    _area_colour,
    _area_sequence,
    _count_axis,
    _count_ticks,
    _Draft,
    _empty,
    _height,
    _italian_layout,
    _plain,
    _reversed_categories,
    _scale,
    _set_height,
)
from rete.queries.needs import OTHERS_LABEL
from rete.taxonomy import FALLBACK_COLOUR

HEATMAP_SCALE = [[0.0, "#FFFFFF"], [0.15, "#DCE9F5"], [1.0, "#08306B"]]  # white for empty cells
# "Altri" sums many neighbourhoods: drawn in a grey scale of its own, so it neither sets the
# blue scale's maximum nor looks like the most fragile place.
OTHERS_SCALE = [[0.0, "#FFFFFF"], [0.15, "#EEEEEE"], [1.0, "#7A7A7A"]]
OTHERS_TICK = f"<i>{OTHERS_LABEL} (somma)</i>"


# --- Needs


def needs_by_area_bar(df: pd.DataFrame, title: str, *, presenting: bool = False) -> go.Figure:
    """Horizontal bars, one per area in its colour, most needs on top (`queries.needs_by_area`)."""
    scale = _scale(presenting)
    fig = _italian_layout(_Draft(), title, scale)
    if df.empty:
        return _empty(fig)
    for row in df.itertuples(index=False):
        fig.add_trace(
            dict(  # a bar trace
                type="bar",
                x=[row.needs],
                y=[_plain(row.area)],
                orientation="h",
                name=_plain(row.area),
                marker={"color": row.colour or FALLBACK_COLOUR},
                texttemplate="%{x:,.0f}",
                textposition="outside",
                constraintext="none",  # never shrunk below the chart's font size
                cliponaxis=False,
                hovertemplate="<b>%{y}</b><br>Bisogni: %{x:,.0f}<extra></extra>",
                showlegend=False,
            )
        )
    _set_height(fig, _height(len(df), scale), scale)
    fig.update_layout(bargap=0.3)
    fig.update_yaxes(title_text=None, **_reversed_categories([_plain(a) for a in df["area"]]))
    fig.update_xaxes(**_count_axis(df["needs"].max(), NEEDS_AXIS))
    return fig.figure()


def neighbourhood_area_stacked(
    df: pd.DataFrame,
    title: str,
    area_colours: Mapping[str, str],
    area_order: Sequence[str],
    *,
    per_homes: bool = False,
    presenting: bool = False,
) -> go.Figure:
    """Neighbourhoods as horizontal bars stacked by area, the total at the end of each bar
    (`queries.needs_by_neighbourhood_area`); the hover adds the needs per 100 homes.

    `per_homes`: each bar is the neighbourhood's needs per 100 ALER homes (each area's part in
    proportion), one decimal, for a frame whose neighbourhoods all have their homes
    (`queries.needs_by_neighbourhood_rate`): the fragile neighbourhoods stand out, not the big
    ones."""
    scale = _scale(presenting)
    fig = _italian_layout(_Draft(), title, scale)
    if df.empty:
        return _empty(fig)
    labels = [_plain(label) for label in dict.fromkeys(df["label"])]
    rate = [
        NOT_KNOWN if pd.isna(value) else formats.number(value, 1) for value in df["per_100_homes"]
    ]
    df = df.assign(rate=rate)
    if per_homes:
        df = df.assign(shown=df["needs"] / df["homes"] * 100)
        value, hover = "%{x:,.1f} ogni 100 alloggi", "Bisogni: %{customdata[0]:,.0f}"
    else:
        df = df.assign(shown=df["needs"])
        value, hover = "%{x:,.0f} bisogni", "Totale del quartiere: %{customdata[0]:,.0f}"
    for area in _area_sequence(df, area_order):
        rows = df[df["area"] == area]
        fig.add_trace(
            dict(  # a bar trace
                type="bar",
                x=rows["shown"],
                y=[_plain(label) for label in rows["label"]],
                orientation="h",
                name=_plain(area),
                marker={"color": _area_colour(df, area, area_colours)},
                customdata=rows[["total", "rate"]].to_numpy(),
                hovertemplate=(
                    f"<b>%{{y}}</b><br>%{{fullData.name}}: {value}<br>{hover}"
                    "<br>Bisogni ogni 100 alloggi: %{customdata[1]}<extra></extra>"
                ),
            )
        )
    totals = df.drop_duplicates("label")
    bar_ends = totals["per_100_homes"] if per_homes else totals["total"]
    _add_totals(fig, bar_ends, [_plain(label) for label in totals["label"]], per_homes)
    _set_height(fig, _height(len(labels), scale), scale)
    fig.update_layout(barmode="stack", bargap=0.25)
    fig.update_yaxes(title_text=None, **_reversed_categories(labels))
    if per_homes:
        fig.update_xaxes(
            title_text=PER_HOMES_AXIS,
            rangemode="tozero",
            tickformat=",.1~f",
            separatethousands=True,
        )
    else:
        fig.update_xaxes(**_count_axis(totals["total"].max(), NEEDS_AXIS))
    return fig.figure()


def neighbourhood_need_heatmap(
    df: pd.DataFrame, title: str, *, presenting: bool = False
) -> go.Figure:
    """Neighbourhoods (columns) x specific needs (rows, in taxonomy order, each named in its
    area's colour); the number of needs in every non-empty cell
    (`queries.heatmap_neighbourhood_need`).

    The blue scale runs up to the largest cell of a single neighbourhood; the "Altri" column
    (the other neighbourhoods summed) is drawn in a grey scale of its own, with its numbers."""
    scale = _scale(presenting)
    fig = _italian_layout(_Draft(), title, scale)
    if df.empty:
        return _empty(fig)
    places = list(dict.fromkeys(df["neighbourhood"]))
    needs = df.drop_duplicates("category_code").sort_values("need_order")
    codes = needs["category_code"].tolist()
    grid = (
        df.pivot(index="category_code", columns="neighbourhood", values="needs")
        .reindex(index=codes, columns=places)
        .fillna(0)
        .astype(int)
    )
    names = [_plain(name) for name in needs["need"]]
    singles = [place for place in places if place != OTHERS_LABEL]
    others = [place for place in places if place == OTHERS_LABEL]
    hover = "<b>%{x}</b><br>%{customdata}: %{z:,.0f} bisogni<extra></extra>"
    if singles:
        colorbar = {"title": {"text": NEEDS_AXIS}, **_count_ticks(_largest(grid, singles))}
        fig.add_trace(_heatmap_cells(grid, singles, names, scale, HEATMAP_SCALE, hover, colorbar))
    if others:
        fig.add_trace(
            _heatmap_cells(
                grid,
                others,
                names,
                scale,
                OTHERS_SCALE,
                "<b>Altri quartieri, sommati</b> (scala di grigi a parte)"
                "<br>%{customdata}: %{z:,.0f} bisogni<extra></extra>",
                None,
            )
        )
    ticks = [
        f'<span style="color:{colour}">{name}</span>'
        for name, colour in zip(names, needs["colour"].fillna(FALLBACK_COLOUR), strict=True)
    ]
    _set_height(fig, max(scale.min_height, scale.chrome + scale.heat_row * len(codes)), scale)
    fig.update_yaxes(
        title_text=None,
        tickvals=codes,
        ticktext=ticks,
        showgrid=False,
        **_reversed_categories(codes),
    )
    fig.update_xaxes(
        title_text=None,
        tickangle=-35,
        showgrid=False,
        side="bottom",
        type="category",
        categoryorder="array",
        categoryarray=[_plain(place) for place in places],
        tickvals=[_plain(place) for place in places],
        ticktext=[OTHERS_TICK if place == OTHERS_LABEL else _plain(place) for place in places],
    )
    return fig.figure()


def _largest(grid: pd.DataFrame, columns: Sequence[str]) -> int:
    """The largest cell of those columns (at least 1, the top of a colour scale)."""
    return max(int(grid[list(columns)].to_numpy().max()), 1)


def _heatmap_cells(
    grid: pd.DataFrame,
    columns: Sequence[str],
    names: Sequence[str],
    scale: Scale,
    colours: list[list[Any]],
    hovertemplate: str,
    colorbar: dict[str, Any] | None,
) -> dict[str, Any]:
    """The cells of `columns` coloured from white (0) to `colours`' end at their largest value,
    the number written in every non-empty one; the other columns left as gaps (another trace
    draws them). Every trace spans all the columns: plotly misplaces a heatmap trace that
    covers only some categories of the axis. A colour bar when one is given."""
    shown = grid.astype(float)
    shown.loc[:, ~shown.columns.isin(list(columns))] = float("nan")
    values = shown.to_numpy()
    # Each distinct count formatted once (Babel is slow per call; a grid repeats few numbers).
    shown_as = {v: formats.number(v) for v in {v for row in values for v in row if v == v and v}}
    return dict(  # a heatmap trace
        type="heatmap",
        z=[[None if pd.isna(v) else int(v) for v in row] for row in values],
        x=[_plain(column) for column in grid.columns],
        y=list(grid.index),
        customdata=[[name] * len(grid.columns) for name in names],
        text=[[shown_as.get(v, "") for v in row] for row in values],
        texttemplate="%{text}",
        textfont={"size": scale.cell},
        colorscale=colours,
        zmin=0,
        zmax=_largest(grid, columns),
        xgap=2,
        ygap=2,
        hoverongaps=False,
        hovertemplate=hovertemplate,
        showscale=colorbar is not None,
        colorbar=colorbar,
    )


def monthly_trend_lines(
    df: pd.DataFrame,
    title: str,
    area_colours: Mapping[str, str],
    area_order: Sequence[str],
    *,
    presenting: bool = False,
) -> go.Figure:
    """One line per area over the months of the period, Italian month labels on a category axis
    (`queries.monthly_trend`)."""
    scale = _scale(presenting)
    fig = _italian_layout(_Draft(), title, scale)
    if df.empty:
        return _empty(fig)
    months = df.drop_duplicates("month").sort_values("month")["month_label"].tolist()
    for area in _area_sequence(df, area_order):
        rows = df[df["area"] == area].sort_values("month")
        colour = _area_colour(df, area, area_colours)
        fig.add_trace(
            dict(  # a scatter trace
                type="scatter",
                x=rows["month_label"],
                y=rows["needs"],
                mode="lines+markers",
                name=_plain(area),
                line={"color": colour, "width": scale.line},
                marker={"color": colour, "size": scale.marker},
                hovertemplate="%{fullData.name}: %{y:,.0f}<extra></extra>",
            )
        )
    _set_height(fig, scale.min_height + scale.chrome // 2, scale)
    fig.update_layout(hovermode="x unified")
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=months, title_text=None)
    fig.update_yaxes(**_count_axis(df["needs"].max(), NEEDS_AXIS))
    return fig.figure()


# --- Referrals


def _outcome_segments(df: pd.DataFrame) -> dict[str, pd.Series]:
    """Split each partner's referrals into fates that add up to `sent`."""
    in_charge = df["accepted"] - df["positive"] - df["negative"]
    waiting = df["sent"] - df["accepted"] - df["refused"] - df["cancelled"] - df["overdue"]
    return {
        OUTCOME_POSITIVE: df["positive"],
        OUTCOME_NEGATIVE: df["negative"],
        OUTCOME_IN_CHARGE: in_charge,
        OUTCOME_WAITING: waiting,
        OUTCOME_OVERDUE: df["overdue"],
        OUTCOME_REFUSED: df["refused"],
        OUTCOME_CANCELLED: df["cancelled"],
    }


def referral_outcomes_bar(df: pd.DataFrame, title: str, *, presenting: bool = False) -> go.Figure:
    """One horizontal bar per partner, stacked by what became of its referrals, most referrals
    on top (`queries.referral_outcomes_by_partner`)."""
    scale = _scale(presenting)
    fig = _italian_layout(_Draft(), title, scale)
    if df.empty:
        return _empty(fig)
    partners = [_plain(partner) for partner in df["partner"]]
    shares = [formats.percent(None if pd.isna(v) else v) for v in df["share_accepted"]]
    customdata = list(zip(df["sent"], shares, strict=True))
    for label, counts in _outcome_segments(df).items():
        if not counts.any():
            continue  # no empty legend entries
        fig.add_trace(
            dict(  # a bar trace
                type="bar",
                x=counts,
                y=partners,
                orientation="h",
                name=label,
                marker={"color": OUTCOME_COLOURS[label]},
                customdata=customdata,
                hovertemplate=(
                    "<b>%{y}</b><br>%{fullData.name}: %{x:,.0f}"
                    "<br>Segnalazioni inviate: %{customdata[0]:,.0f}"
                    "<br>Quota prese in carico: %{customdata[1]}<extra></extra>"
                ),
            )
        )
    _add_totals(fig, df["sent"], partners)
    _set_height(fig, _height(len(df), scale), scale)
    fig.update_layout(barmode="stack", bargap=0.25)
    fig.update_yaxes(title_text=None, **_reversed_categories(partners))
    fig.update_xaxes(**_count_axis(df["sent"].max(), REFERRALS_AXIS))
    return fig.figure()
