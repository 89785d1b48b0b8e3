"""Charts of the network itself: where recorded needs find no partner to take them.

`network_gaps_bar` draws «Copertura della rete»'s gaps (`rete.directory.coverage.network_gaps`)
on the directory page; the meeting deck reuses it as it is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd
import plotly.graph_objects as go

from rete import formats
from rete.charts.base import (
    _add_totals,
    _area_colour,
    _area_sequence,
    _count_axis,
    _Draft,
    _empty,
    _height,
    _italian_layout,
    _plain,
    _reversed_categories,
    _scale,
    _set_height,
)

GAPS_AXIS = "Bisogni senza un ente"
# Needs were recorded, and some active partner can take every one of them: not "no data".
NO_GAPS_MESSAGE = "Nessun bisogno senza un ente che lo prenda"


def _gap_sentence(uncovered: int, needs: int) -> str:
    """«3 bisogni senza un ente che li prenda su 5 rilevati», in the singular for one."""
    gap = (
        "1 bisogno senza un ente che lo prenda"
        if uncovered == 1
        else f"{formats.number(uncovered)} bisogni senza un ente che li prenda"
    )
    recorded = "rilevato" if needs == 1 else "rilevati"
    return f"{gap} su {formats.number(needs)} {recorded}"


def network_gaps_bar(
    df: pd.DataFrame,
    title: str,
    area_colours: Mapping[str, str],
    area_order: Sequence[str],
    *,
    presenting: bool = False,
) -> go.Figure:
    """«Buchi della rete»: one horizontal bar per neighbourhood with at least one need no active
    partner can take there, stacked by area in the areas' colours, the most such needs on top,
    their total at the end of the bar; the hover says how many of the area's needs recorded
    there they are. A neighbourhood whose needs are all taken is left out.

    `df` is `coverage.network_gaps`' frame (one row per neighbourhood × area with needs:
    neighbourhood_id, neighbourhood, municipality, area, colour, needs, uncovered); neighbourhoods
    with the same total keep its order (municipality, neighbourhood)."""
    scale = _scale(presenting)
    fig = _italian_layout(_Draft(), title, scale)
    if df.empty:
        return _empty(fig)
    gaps = df[df["uncovered"] > 0]
    if gaps.empty:
        return _empty(fig, NO_GAPS_MESSAGE)
    gaps = gaps.assign(
        label=[
            _plain(f"{name} ({town})")
            for name, town in zip(gaps["neighbourhood"], gaps["municipality"], strict=True)
        ],
        sentence=[
            _gap_sentence(int(uncovered), int(needs))
            for uncovered, needs in zip(gaps["uncovered"], gaps["needs"], strict=True)
        ],
    )
    places = (
        gaps.groupby("neighbourhood_id", sort=False)
        .agg(label=("label", "first"), total=("uncovered", "sum"))
        .sort_values("total", ascending=False, kind="stable")
    )
    labels = places["label"].tolist()
    for area in _area_sequence(gaps, area_order):
        rows = gaps[gaps["area"] == area]
        fig.add_trace(
            dict(  # a bar trace
                type="bar",
                x=rows["uncovered"].tolist(),
                y=rows["label"].tolist(),
                orientation="h",
                name=_plain(area),
                marker={"color": _area_colour(gaps, area, area_colours)},
                customdata=rows["sentence"].tolist(),
                hovertemplate="<b>%{y}</b><br>%{fullData.name}: %{customdata}<extra></extra>",
            )
        )
    _add_totals(fig, places["total"].tolist(), labels)
    _set_height(fig, _height(len(labels), scale), scale)
    fig.update_layout(barmode="stack", bargap=0.25)
    fig.update_yaxes(title_text=None, **_reversed_categories(labels))
    fig.update_xaxes(**_count_axis(places["total"].max(), GAPS_AXIS))
    return fig.figure()
