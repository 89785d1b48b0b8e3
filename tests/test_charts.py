"""The figure builders: Italian formats, the area colours on the right traces, one-row frames."""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go
import pytest

from rete import charts, queries

ABITARE, SALUTE = "#0072B2", "#D55E00"
AREA_COLOURS = {"Abitare": ABITARE, "Economica": "#E69F00", "Salute": SALUTE}
AREA_ORDER = ["Abitare", "Economica", "Salute"]


def by_area() -> pd.DataFrame:
    return pd.DataFrame(
        [("ABI", "Abitare", ABITARE, 1234), ("SAN", "Salute", SALUTE, 2)],
        columns=queries.AREA_COLUMNS,
    )


def by_neighbourhood() -> pd.DataFrame:
    return pd.DataFrame(
        [
            ("Sangallo", "Varese", "Sangallo · Varese", "SAN", "Salute", SALUTE, 1, 4, 190.0, 2.1),
            (
                "Sangallo",
                "Varese",
                "Sangallo · Varese",
                "ABI",
                "Abitare",
                ABITARE,
                3,
                4,
                190.0,
                2.1,
            ),
            ("Altri", "", "Altri", "SAN", "Salute", SALUTE, 1, 1, math.nan, math.nan),
        ],
        columns=queries.NEIGHBOURHOOD_AREA_COLUMNS,
    )


def heatmap() -> pd.DataFrame:
    return pd.DataFrame(
        [
            ("Sangallo · Varese", "SAN02", "Salute mentale", 2, "SAN", "Salute", SALUTE, 1),
            (
                "Sangallo · Varese",
                "ABI01",
                "Manutenzione e guasti",
                0,
                "ABI",
                "Abitare",
                ABITARE,
                2,
            ),
            ("Biumo · Varese", "SAN01", "Malattia cronica e cure", 1, "SAN", "Salute", SALUTE, 1),
        ],
        columns=queries.HEATMAP_COLUMNS,
    )


def trend() -> pd.DataFrame:
    return pd.DataFrame(
        [
            (202612, "dic 2026", "ABI", "Abitare", ABITARE, 1500),
            (202612, "dic 2026", "SAN", "Salute", SALUTE, 1),
            (202701, "gen 2027", "ABI", "Abitare", ABITARE, 0),
            (202701, "gen 2027", "SAN", "Salute", SALUTE, 3),
        ],
        columns=queries.TREND_COLUMNS,
    )


def outcomes() -> pd.DataFrame:
    return pd.DataFrame(
        [
            (1, "Caritas Varese", 3, 2, 0, 1, 0, 0, 1, 2 / 3),
            (3, "Servizi sociali Varese", 2, 0, 0, 0, 0, 2, 0, math.nan),
        ],
        columns=queries.PARTNER_COLUMNS,
    )


def assert_italian(fig: go.Figure, title: str) -> None:
    assert fig.layout.title.text == title
    assert fig.layout.separators == ",."
    assert fig.layout.template.layout.paper_bgcolor is not None  # plotly_white is applied
    assert fig.layout.font.size >= 15
    assert fig.layout.legend.orientation == "h"
    for trace in fig.data:
        if trace.hoverinfo != "skip":
            assert trace.hovertemplate and ":,.0f}" in trace.hovertemplate


def colours_by_name(fig: go.Figure) -> dict[str, str]:
    return {trace.name: trace.marker.color for trace in fig.data if trace.name}


def test_needs_by_area_bar_draws_each_area_in_its_colour_most_needs_on_top() -> None:
    fig = charts.needs_by_area_bar(by_area(), "Bisogni per area")
    assert_italian(fig, "Bisogni per area")
    assert colours_by_name(fig) == {"Abitare": ABITARE, "Salute": SALUTE}
    assert list(fig.layout.yaxis.categoryarray) == ["Abitare", "Salute"]
    assert fig.layout.yaxis.autorange == "reversed"
    assert fig.layout.xaxis.title.text == "Bisogni"


def test_neighbourhood_bars_stack_areas_in_taxonomy_order_with_their_colours() -> None:
    fig = charts.neighbourhood_area_stacked(
        by_neighbourhood(), "Bisogni per quartiere", AREA_COLOURS, AREA_ORDER
    )
    assert_italian(fig, "Bisogni per quartiere")
    bars = [trace for trace in fig.data if isinstance(trace, go.Bar)]
    assert [bar.name for bar in bars] == ["Abitare", "Salute"]
    assert [bar.marker.color for bar in bars] == [ABITARE, SALUTE]
    assert fig.layout.barmode == "stack"
    assert list(fig.layout.yaxis.categoryarray) == ["Sangallo · Varese", "Altri"]
    salute = bars[1]
    assert list(salute.y) == ["Sangallo · Varese", "Altri"]
    assert [row[1] for row in salute.customdata] == ["2,1", "n.d."]  # needs per 100 homes


def test_an_area_missing_from_the_mapping_keeps_the_colour_of_its_rows() -> None:
    fig = charts.neighbourhood_area_stacked(by_neighbourhood(), "Quartieri", {}, [])
    assert colours_by_name(fig) == {"Salute": SALUTE, "Abitare": ABITARE}


def test_heatmap_orders_needs_by_taxonomy_and_names_them_in_their_area_colour() -> None:
    fig = charts.neighbourhood_need_heatmap(heatmap(), "Bisogni specifici per quartiere")
    assert_italian(fig, "Bisogni specifici per quartiere")
    (cells,) = fig.data
    assert list(cells.x) == ["Sangallo · Varese", "Biumo · Varese"]
    assert list(cells.y) == ["ABI01", "SAN01", "SAN02"]
    assert [list(row) for row in cells.z] == [[2, 0], [0, 1], [1, 0]]
    ticks = list(fig.layout.yaxis.ticktext)
    assert ABITARE in ticks[0] and "Manutenzione e guasti" in ticks[0]
    assert SALUTE in ticks[1] and SALUTE in ticks[2]
    assert list(cells.text[1]) == ["", "1"]  # empty cells stay blank


def test_monthly_trend_has_one_line_per_area_on_italian_month_labels() -> None:
    fig = charts.monthly_trend_lines(trend(), "Andamento mensile", AREA_COLOURS, AREA_ORDER)
    assert_italian(fig, "Andamento mensile")
    assert {trace.name: trace.line.color for trace in fig.data} == {
        "Abitare": ABITARE,
        "Salute": SALUTE,
    }
    assert fig.layout.xaxis.type == "category"
    assert list(fig.layout.xaxis.categoryarray) == ["dic 2026", "gen 2027"]
    assert list(fig.data[0].x) == ["dic 2026", "gen 2027"]
    assert list(fig.data[0].y) == [1500, 0]


def test_referral_outcomes_stack_fates_that_add_up_to_the_referrals_sent() -> None:
    fig = charts.referral_outcomes_bar(outcomes(), "Esiti delle segnalazioni")
    assert_italian(fig, "Esiti delle segnalazioni")
    bars = {trace.name: list(trace.x) for trace in fig.data if isinstance(trace, go.Bar)}
    assert bars == {
        "Esito negativo": [1, 0],
        "Presa in carico": [1, 0],
        "In ritardo": [1, 0],
        "Annullata": [0, 2],
    }
    assert colours_by_name(fig)["Esito negativo"] == charts.OUTCOME_COLOURS["Esito negativo"]
    assert [row[1] for row in fig.data[0].customdata] == ["66,7%", "–"]


ONE_ROW_CASES = [
    ("area", lambda: charts.needs_by_area_bar(by_area().head(1), "T")),
    (
        "neighbourhood",
        lambda: charts.neighbourhood_area_stacked(
            by_neighbourhood().head(1), "T", AREA_COLOURS, AREA_ORDER
        ),
    ),
    ("heatmap", lambda: charts.neighbourhood_need_heatmap(heatmap().head(1), "T")),
    ("trend", lambda: charts.monthly_trend_lines(trend().head(1), "T", AREA_COLOURS, AREA_ORDER)),
    ("outcomes", lambda: charts.referral_outcomes_bar(outcomes().head(1), "T")),
]


@pytest.mark.parametrize(("name", "build"), ONE_ROW_CASES, ids=[case[0] for case in ONE_ROW_CASES])
def test_each_builder_handles_a_one_row_frame(name: str, build) -> None:  # type: ignore[no-untyped-def]
    fig = build()
    assert isinstance(fig, go.Figure)
    assert fig.layout.title.text == "T"
    assert len(fig.data) >= 1
    fig.to_json()  # serialisable, as Streamlit needs it


EMPTY_CASES = [
    ("area", lambda: charts.needs_by_area_bar(by_area().head(0), "T")),
    (
        "neighbourhood",
        lambda: charts.neighbourhood_area_stacked(by_neighbourhood().head(0), "T", {}, []),
    ),
    ("heatmap", lambda: charts.neighbourhood_need_heatmap(heatmap().head(0), "T")),
    ("trend", lambda: charts.monthly_trend_lines(trend().head(0), "T", {}, [])),
    ("outcomes", lambda: charts.referral_outcomes_bar(outcomes().head(0), "T")),
]


@pytest.mark.parametrize(("name", "build"), EMPTY_CASES, ids=[case[0] for case in EMPTY_CASES])
def test_each_builder_says_so_when_there_is_nothing_to_draw(name: str, build) -> None:  # type: ignore[no-untyped-def]
    fig = build()
    assert fig.layout.title.text == "T"
    assert not fig.data
    assert fig.layout.annotations[0].text == charts.EMPTY_MESSAGE
