"""Plotly figure builders: a DataFrame of `rete.queries` in, a `go.Figure` out; never the database.

Every figure reads the same on a laptop and on a projector: Italian labels and number formats
(`separators=",."` with explicit `hovertemplate`/`texttemplate` formats, so 1234 shows as 1.234),
month names from our own labels on a category axis (not plotly's English dates), one colour per
area everywhere (a specific need is drawn in its area's colour), a sober white template, a large
font and the legend above the plot. Streamlit should draw them with `theme=None`, otherwise its
own theme replaces this template.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from rete import formats
from rete.taxonomy import FALLBACK_COLOUR

TEMPLATE = "plotly_white"
SEPARATORS = ",."  # decimal comma, thousands dot
FONT_FAMILY = "Source Sans Pro, Arial, sans-serif"
FONT_SIZE = 16  # readable from the back of a meeting room
TITLE_SIZE = 20
CELL_FONT_SIZE = 13  # numbers inside heatmap cells
TEXT_COLOUR = "#262730"
ROW_HEIGHT = 34  # pixels per bar of a horizontal bar chart
MIN_HEIGHT = 420
EMPTY_MESSAGE = "Nessun dato per i filtri scelti"
NOT_KNOWN = "n.d."

NEEDS_AXIS = "Bisogni"
REFERRALS_AXIS = "Segnalazioni"
HEATMAP_SCALE = [[0.0, "#FFFFFF"], [0.15, "#DCE9F5"], [1.0, "#08306B"]]  # white for empty cells

# Referral fates, stacked in this order; together they add up to the referrals sent. Okabe–Ito
# colours (colour-blind safe); the neutral ones are greys.
OUTCOME_POSITIVE = "Esito positivo"
OUTCOME_NEGATIVE = "Esito negativo"
OUTCOME_IN_CHARGE = "Presa in carico"
OUTCOME_WAITING = "In attesa di risposta"
OUTCOME_OVERDUE = "In ritardo"
OUTCOME_REFUSED = "Rifiutata"
OUTCOME_CANCELLED = "Annullata"
OUTCOME_COLOURS = {
    OUTCOME_POSITIVE: "#009E73",  # bluish green
    OUTCOME_NEGATIVE: "#E69F00",  # orange
    OUTCOME_IN_CHARGE: "#0072B2",  # blue
    OUTCOME_WAITING: "#BBBBBB",  # light grey
    OUTCOME_OVERDUE: "#CC79A7",  # reddish purple
    OUTCOME_REFUSED: "#D55E00",  # vermillion
    OUTCOME_CANCELLED: "#666666",  # dark grey
}


def _italian_layout(fig: go.Figure, title: str) -> go.Figure:
    """The look every Rete chart shares."""
    fig.update_layout(
        template=TEMPLATE,
        separators=SEPARATORS,
        title={"text": title, "x": 0, "xanchor": "left", "font": {"size": TITLE_SIZE}},
        font={"family": FONT_FAMILY, "size": FONT_SIZE, "color": TEXT_COLOUR},
        legend={
            "orientation": "h",
            "x": 0,
            "xanchor": "left",
            # Above the plot, under the title: a tall chart would push a bottom legend off
            # the figure.
            "y": 1.0,
            "yanchor": "bottom",
            "title": {"text": ""},
            "traceorder": "normal",  # stacked bars would otherwise list their areas backwards
        },
        hoverlabel={"font": {"size": FONT_SIZE, "family": FONT_FAMILY}},
        margin={"l": 10, "r": 30, "t": 110, "b": 10},
    )
    fig.update_xaxes(automargin=True)
    fig.update_yaxes(automargin=True)
    return fig


def _empty(fig: go.Figure) -> go.Figure:
    """A figure with nothing to draw says so instead of showing empty axes."""
    fig.add_annotation(
        text=EMPTY_MESSAGE, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper"
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


def _height(rows: int) -> int:
    return max(MIN_HEIGHT, 160 + ROW_HEIGHT * rows)


def _area_sequence(df: pd.DataFrame, area_order: Sequence[str]) -> list[str]:
    """The areas present in the frame, in the taxonomy's order (unknown ones last)."""
    present = list(dict.fromkeys(df["area"]))
    return [area for area in area_order if area in present] + [
        area for area in present if area not in area_order
    ]


def _area_colour(df: pd.DataFrame, area: str, area_colours: Mapping[str, str]) -> str:
    if area in area_colours:
        return area_colours[area]
    colours = df.loc[df["area"] == area, "colour"]
    return str(colours.iloc[0]) if len(colours) else FALLBACK_COLOUR


def _reversed_categories(labels: Sequence[str]) -> dict[str, Any]:
    """A category axis that lists the labels from the top down, in the given order."""
    return {
        "categoryorder": "array",
        "categoryarray": list(labels),
        "autorange": "reversed",
        "ticksuffix": "  ",  # a little air between a label and its bar
    }


def _add_totals(fig: go.Figure, totals: Sequence[Any], labels: Sequence[str]) -> None:
    """The total at the end of each stacked horizontal bar."""
    fig.add_trace(
        go.Scatter(
            x=list(totals),
            y=list(labels),
            mode="text",
            texttemplate="  %{x:,.0f}",
            textposition="middle right",
            cliponaxis=False,
            hoverinfo="skip",
            showlegend=False,
        )
    )


# --- Needs


def needs_by_area_bar(df: pd.DataFrame, title: str) -> go.Figure:
    """Horizontal bars, one per area in its colour, most needs on top (`queries.needs_by_area`)."""
    fig = _italian_layout(go.Figure(), title)
    if df.empty:
        return _empty(fig)
    for row in df.itertuples(index=False):
        fig.add_trace(
            go.Bar(
                x=[row.needs],
                y=[row.area],
                orientation="h",
                name=row.area,
                marker_color=row.colour or FALLBACK_COLOUR,
                texttemplate="%{x:,.0f}",
                textposition="outside",
                cliponaxis=False,
                hovertemplate="<b>%{y}</b><br>Bisogni: %{x:,.0f}<extra></extra>",
                showlegend=False,
            )
        )
    fig.update_layout(height=_height(len(df)), bargap=0.3)
    fig.update_yaxes(title_text=None, **_reversed_categories(df["area"].tolist()))
    fig.update_xaxes(title_text=NEEDS_AXIS, tickformat=",.0f", rangemode="tozero")
    return fig


def neighbourhood_area_stacked(
    df: pd.DataFrame, title: str, area_colours: Mapping[str, str], area_order: Sequence[str]
) -> go.Figure:
    """Neighbourhoods as horizontal bars stacked by area, the total at the end of each bar
    (`queries.needs_by_neighbourhood_area`); the hover adds the needs per 100 homes."""
    fig = _italian_layout(go.Figure(), title)
    if df.empty:
        return _empty(fig)
    labels = list(dict.fromkeys(df["label"]))
    rate = [
        NOT_KNOWN if pd.isna(value) else formats.number(value, 1) for value in df["per_100_homes"]
    ]
    df = df.assign(rate=rate)
    for area in _area_sequence(df, area_order):
        rows = df[df["area"] == area]
        fig.add_trace(
            go.Bar(
                x=rows["needs"],
                y=rows["label"],
                orientation="h",
                name=area,
                marker_color=_area_colour(df, area, area_colours),
                customdata=rows[["total", "rate"]].to_numpy(),
                hovertemplate=(
                    "<b>%{y}</b><br>%{fullData.name}: %{x:,.0f} bisogni"
                    "<br>Totale del quartiere: %{customdata[0]:,.0f}"
                    "<br>Bisogni ogni 100 alloggi: %{customdata[1]}<extra></extra>"
                ),
            )
        )
    totals = df.drop_duplicates("label")
    _add_totals(fig, totals["total"], totals["label"])
    fig.update_layout(barmode="stack", height=_height(len(labels)), bargap=0.25)
    fig.update_yaxes(title_text=None, **_reversed_categories(labels))
    fig.update_xaxes(title_text=NEEDS_AXIS, tickformat=",.0f", rangemode="tozero")
    return fig


def neighbourhood_need_heatmap(df: pd.DataFrame, title: str) -> go.Figure:
    """Neighbourhoods (columns) x specific needs (rows, in taxonomy order, each named in its
    area's colour); the number of needs in every non-empty cell
    (`queries.heatmap_neighbourhood_need`)."""
    fig = _italian_layout(go.Figure(), title)
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
    names = needs["need"].tolist()
    fig.add_trace(
        go.Heatmap(
            z=grid.to_numpy(),
            x=places,
            y=codes,
            customdata=[[name] * len(places) for name in names],
            text=[[formats.number(v) if v else "" for v in row] for row in grid.to_numpy()],
            texttemplate="%{text}",
            textfont={"size": CELL_FONT_SIZE},
            colorscale=HEATMAP_SCALE,
            zmin=0,
            xgap=2,
            ygap=2,
            colorbar={"title": {"text": NEEDS_AXIS}, "tickformat": ",.0f"},
            hovertemplate="<b>%{x}</b><br>%{customdata}: %{z:,.0f} bisogni<extra></extra>",
        )
    )
    ticks = [
        f'<span style="color:{colour}">{name}</span>'
        for name, colour in zip(names, needs["colour"].fillna(FALLBACK_COLOUR), strict=True)
    ]
    fig.update_layout(height=max(MIN_HEIGHT, 220 + 28 * len(codes)))
    fig.update_yaxes(
        title_text=None,
        tickvals=codes,
        ticktext=ticks,
        showgrid=False,
        **_reversed_categories(codes),
    )
    fig.update_xaxes(title_text=None, tickangle=-35, showgrid=False, side="bottom")
    return fig


def monthly_trend_lines(
    df: pd.DataFrame, title: str, area_colours: Mapping[str, str], area_order: Sequence[str]
) -> go.Figure:
    """One line per area over the months of the period, Italian month labels on a category axis
    (`queries.monthly_trend`)."""
    fig = _italian_layout(go.Figure(), title)
    if df.empty:
        return _empty(fig)
    months = df.drop_duplicates("month").sort_values("month")["month_label"].tolist()
    for area in _area_sequence(df, area_order):
        rows = df[df["area"] == area].sort_values("month")
        colour = _area_colour(df, area, area_colours)
        fig.add_trace(
            go.Scatter(
                x=rows["month_label"],
                y=rows["needs"],
                mode="lines+markers",
                name=area,
                line={"color": colour, "width": 3},
                marker={"color": colour, "size": 8},
                hovertemplate="%{fullData.name}: %{y:,.0f}<extra></extra>",
            )
        )
    fig.update_layout(hovermode="x unified", height=MIN_HEIGHT + 60)
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=months, title_text=None)
    fig.update_yaxes(title_text=NEEDS_AXIS, tickformat=",.0f", rangemode="tozero")
    return fig


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


def referral_outcomes_bar(df: pd.DataFrame, title: str) -> go.Figure:
    """One horizontal bar per partner, stacked by what became of its referrals, most referrals
    on top (`queries.referral_outcomes_by_partner`)."""
    fig = _italian_layout(go.Figure(), title)
    if df.empty:
        return _empty(fig)
    shares = [formats.percent(None if pd.isna(v) else v) for v in df["share_accepted"]]
    customdata = list(zip(df["sent"], shares, strict=True))
    for label, counts in _outcome_segments(df).items():
        if not counts.any():
            continue  # no empty legend entries
        fig.add_trace(
            go.Bar(
                x=counts,
                y=df["partner"],
                orientation="h",
                name=label,
                marker_color=OUTCOME_COLOURS[label],
                customdata=customdata,
                hovertemplate=(
                    "<b>%{y}</b><br>%{fullData.name}: %{x:,.0f}"
                    "<br>Segnalazioni inviate: %{customdata[0]:,.0f}"
                    "<br>Quota prese in carico: %{customdata[1]}<extra></extra>"
                ),
            )
        )
    _add_totals(fig, df["sent"], df["partner"])
    fig.update_layout(barmode="stack", height=_height(len(df)), bargap=0.25)
    fig.update_yaxes(title_text=None, **_reversed_categories(df["partner"].tolist()))
    fig.update_xaxes(title_text=REFERRALS_AXIS, tickformat=",.0f", rangemode="tozero")
    return fig
