"""«Buchi della rete» as a chart (`charts.network_gaps_bar`): which neighbourhoods, in which
order, stacked by area in the areas' colours, with the Cruscotto's layout rules."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.graph_objects as go
import pytest
from actors import seed_places
from test_coverage import END, START, record
from test_directory_search import add_partner

from rete import charts
from rete.directory import coverage

ABITARE, ECONOMICA, SALUTE = "#0072B2", "#E69F00", "#D55E00"
AREA_COLOURS = {"Abitare": ABITARE, "Economica": ECONOMICA, "Salute": SALUTE}
AREA_ORDER = ["Abitare", "Economica", "Salute"]
AREAS = {
    "Abitare": (1, "ABI", ABITARE),
    "Economica": (2, "ECO", ECONOMICA),
    "Salute": (3, "SAN", SALUTE),
}
PLACES = {
    "Centro": (11, "Gallarate"),
    "Biumo": (21, "Varese"),
    "Bizzozero": (22, "Varese"),
    "Sangallo": (23, "Varese"),
}


def gaps_frame(*rows: tuple[str, str, int, int]) -> pd.DataFrame:
    """A `coverage.network_gaps` frame from (neighbourhood, area, needs, uncovered) rows."""
    frame = []
    for place, area, needs, uncovered in rows:
        (place_id, town), (area_id, code, colour) = PLACES[place], AREAS[area]
        frame.append((place_id, place, town, area_id, code, area, colour, needs, uncovered))
    return pd.DataFrame(frame, columns=coverage.GAP_COLUMNS)


def gaps() -> pd.DataFrame:
    """In the frame's order (municipality, neighbourhood, area): Sangallo's needs are all
    taken, Biumo's Economica needs too."""
    return gaps_frame(
        ("Centro", "Salute", 1, 1),
        ("Biumo", "Abitare", 3, 2),
        ("Biumo", "Economica", 2, 0),
        ("Biumo", "Salute", 1, 1),
        ("Bizzozero", "Economica", 4, 4),
        ("Sangallo", "Abitare", 5, 0),
    )


def bars(fig: go.Figure) -> dict[str, dict[str, int]]:
    """Each area's segment length per neighbourhood."""
    return {
        trace.name: dict(zip(trace.y, trace.x, strict=True))
        for trace in fig.data
        if isinstance(trace, go.Bar)
    }


def hovers(fig: go.Figure) -> dict[tuple[str, str], str]:
    """The hover sentence of each (area, neighbourhood) segment."""
    return {
        (trace.name, place): sentence
        for trace in fig.data
        if isinstance(trace, go.Bar)
        for place, sentence in zip(trace.y, trace.customdata, strict=True)
    }


def test_one_bar_per_neighbourhood_with_uncovered_needs_most_first() -> None:
    fig = charts.network_gaps_bar(gaps(), "Buchi", AREA_COLOURS, AREA_ORDER)
    order = ["Bizzozero (Varese)", "Biumo (Varese)", "Centro (Gallarate)"]
    assert list(fig.layout.yaxis.categoryarray) == order  # Sangallo: every need taken
    assert fig.layout.yaxis.autorange == "reversed"  # the first on top
    assert fig.layout.barmode == "stack"
    (totals,) = [trace for trace in fig.data if trace.type == "scatter"]
    assert dict(zip(totals.y, totals.x, strict=True)) == {
        "Bizzozero (Varese)": 4,
        "Biumo (Varese)": 3,
        "Centro (Gallarate)": 1,
    }
    assert totals.hoverinfo == "skip" and "%{x:,.0f}" in totals.texttemplate


def test_the_bars_stack_the_uncovered_needs_of_each_area_in_its_colour() -> None:
    fig = charts.network_gaps_bar(gaps(), "Buchi", AREA_COLOURS, AREA_ORDER)
    # Areas in the taxonomy's order; no segment (nor legend entry) for a fully covered cell.
    assert bars(fig) == {
        "Abitare": {"Biumo (Varese)": 2},
        "Economica": {"Bizzozero (Varese)": 4},
        "Salute": {"Centro (Gallarate)": 1, "Biumo (Varese)": 1},
    }
    assert [trace.name for trace in fig.data if trace.name] == AREA_ORDER
    assert {trace.name: trace.marker.color for trace in fig.data if trace.name} == AREA_COLOURS


def test_an_area_missing_from_the_mapping_keeps_the_colour_of_its_rows() -> None:
    fig = charts.network_gaps_bar(gaps(), "Buchi", {}, [])
    assert {trace.name: trace.marker.color for trace in fig.data if trace.name} == AREA_COLOURS


def test_neighbourhoods_with_the_same_gap_keep_the_frames_order() -> None:
    frame = gaps_frame(
        ("Centro", "Salute", 2, 1),
        ("Biumo", "Abitare", 1, 1),
        ("Sangallo", "Economica", 9, 3),
        ("Bizzozero", "Abitare", 1, 1),
    )
    fig = charts.network_gaps_bar(frame, "Buchi", AREA_COLOURS, AREA_ORDER)
    assert list(fig.layout.yaxis.categoryarray) == [
        "Sangallo (Varese)",
        "Centro (Gallarate)",
        "Biumo (Varese)",
        "Bizzozero (Varese)",
    ]


def test_the_hover_says_how_many_of_the_areas_needs_found_no_partner() -> None:
    frame = pd.concat([gaps(), gaps_frame(("Sangallo", "Salute", 2000, 1234))], ignore_index=True)
    fig = charts.network_gaps_bar(frame, "Buchi", AREA_COLOURS, AREA_ORDER)
    assert hovers(fig) == {
        ("Abitare", "Biumo (Varese)"): "2 bisogni senza un ente che li prenda su 3 rilevati",
        ("Economica", "Bizzozero (Varese)"): "4 bisogni senza un ente che li prenda su 4 rilevati",
        ("Salute", "Centro (Gallarate)"): "1 bisogno senza un ente che lo prenda su 1 rilevato",
        ("Salute", "Biumo (Varese)"): "1 bisogno senza un ente che lo prenda su 1 rilevato",
        ("Salute", "Sangallo (Varese)"): (
            "1.234 bisogni senza un ente che li prenda su 2.000 rilevati"
        ),
    }
    for trace in fig.data:
        if isinstance(trace, go.Bar):
            assert trace.hovertemplate == (
                "<b>%{y}</b><br>%{fullData.name}: %{customdata}<extra></extra>"
            )


def test_the_layout_is_the_cruscottos() -> None:
    fig = charts.network_gaps_bar(gaps(), "Buchi della rete", AREA_COLOURS, AREA_ORDER)
    layout = fig.layout
    assert layout.title.text == "Buchi della rete"
    assert (layout.title.yref, layout.title.y, layout.title.yanchor) == ("container", 1, "top")
    assert (layout.legend.xref, layout.legend.yref) == ("container", "container")
    assert layout.legend.orientation == "h"
    assert layout.separators == ",."
    assert layout.paper_bgcolor == layout.plot_bgcolor == "white"
    assert layout.xaxis.title.text == charts.GAPS_AXIS
    assert layout.xaxis.tickformat == ",d"  # whole numbers, thousands dot
    assert layout.xaxis.dtick == 1  # 4 at most: plotly would step by 0,5
    fig.to_json()  # serialisable, as Streamlit needs it


def test_large_gaps_keep_plotlys_whole_steps() -> None:
    frame = gaps_frame(("Biumo", "Abitare", 6000, 5000))
    fig = charts.network_gaps_bar(frame, "Buchi", AREA_COLOURS, AREA_ORDER)
    assert fig.layout.xaxis.tickformat == ",d" and fig.layout.xaxis.dtick is None


def test_a_neighbourhood_name_is_drawn_as_plain_text() -> None:
    """Plotly reads tags in any text it draws; Markdown means nothing to it and stays as is."""
    frame = gaps()
    frame["neighbourhood"] = frame["neighbourhood"].replace("Bizzozero", "<b>*Via* [R]</b> & _c_")
    frame["area"] = frame["area"].replace("Salute", "<br>")
    fig = charts.network_gaps_bar(frame, "<i>Buchi</i>", AREA_COLOURS, AREA_ORDER)
    odd = "&lt;b&gt;*Via* [R]&lt;/b&gt; &amp; _c_ (Varese)"
    assert list(fig.layout.yaxis.categoryarray) == [odd, "Biumo (Varese)", "Centro (Gallarate)"]
    assert bars(fig)["Economica"] == {odd: 4}
    assert bars(fig)["&lt;br&gt;"] == {"Centro (Gallarate)": 1, "Biumo (Varese)": 1}
    assert fig.layout.title.text == "&lt;i&gt;Buchi&lt;/i&gt;"


@pytest.mark.parametrize("presenting", [False, True])
def test_every_text_is_16_px_or_more_and_larger_when_presenting(presenting: bool) -> None:
    fig = charts.network_gaps_bar(gaps(), "T", AREA_COLOURS, AREA_ORDER, presenting=presenting)
    floor, title_floor = (22, 28) if presenting else (16, 20)
    layout = fig.layout
    assert layout.font.family == charts.FONT_FAMILY
    assert layout.font.size >= floor and layout.title.font.size >= title_floor
    assert layout.hoverlabel.font.size >= floor and layout.legend.font.size >= floor
    screen = charts.network_gaps_bar(gaps(), "T", AREA_COLOURS, AREA_ORDER)
    if presenting:
        assert layout.height > screen.layout.height
        assert layout.font.size > screen.layout.font.size


def test_the_height_follows_the_number_of_neighbourhoods() -> None:
    many = pd.DataFrame(
        [(i, f"Q{i}", "Varese", 1, "ABI", "Abitare", ABITARE, 1, 1) for i in range(30)],
        columns=coverage.GAP_COLUMNS,
    )
    few = charts.network_gaps_bar(many.head(2), "T", AREA_COLOURS, AREA_ORDER)
    fig = charts.network_gaps_bar(many, "T", AREA_COLOURS, AREA_ORDER)
    assert len(fig.layout.yaxis.categoryarray) == 30
    assert fig.layout.height >= few.layout.height + 28 * 30


def test_an_empty_frame_says_there_is_nothing_to_draw() -> None:
    fig = charts.network_gaps_bar(gaps().head(0), "T", AREA_COLOURS, AREA_ORDER)
    assert fig.layout.title.text == "T"
    assert not fig.data
    assert fig.layout.annotations[0].text == charts.EMPTY_MESSAGE
    assert fig.layout.xaxis.visible is False


def test_needs_all_taken_say_there_is_no_gap_not_no_data() -> None:
    frame = gaps_frame(("Biumo", "Abitare", 3, 0), ("Sangallo", "Salute", 2, 0))
    fig = charts.network_gaps_bar(frame, "T", AREA_COLOURS, AREA_ORDER)
    assert not fig.data
    assert fig.layout.annotations[0].text == charts.NO_GAPS_MESSAGE


def test_it_draws_the_frame_of_network_gaps(engine) -> None:  # type: ignore[no-untyped-def]
    """The builder on `coverage.network_gaps`' own frame (test_coverage's network: Alfa takes
    Biumo's Morosità, nobody its Utenze nor Sangallo's Morosità; Rebbio's partner is
    deactivated)."""
    places = seed_places(engine)
    record(engine, places["Biumo"], dt.date(2026, 9, 10), "ECO01", "ECO01", "ECO01", "ECO02")
    record(engine, places["Sangallo"], dt.date(2026, 10, 3), "ECO01", "ECO01")
    record(engine, places["Rebbio"], dt.date(2026, 10, 20), "SAN02")
    add_partner(engine, "Alfa", covers=("ECO01",), serves=(places["Biumo"],))
    add_partner(engine, "Beta", covers=("ECO02",), serves=(places["Sangallo"],))
    add_partner(engine, "Chiuso", covers=("SAN",), towns=("Como",), active=False)
    frame = coverage.network_gaps(engine, START, END)
    fig = charts.network_gaps_bar(frame, "Buchi", {}, [])
    assert list(fig.layout.yaxis.categoryarray) == [
        "Sangallo (Varese)",
        "Rebbio (Como)",  # 1 each: Como before Varese, as the frame has them
        "Biumo (Varese)",
    ]
    assert hovers(fig)[("Economica", "Biumo (Varese)")] == (
        "1 bisogno senza un ente che lo prenda su 4 rilevati"
    )
    add_partner(engine, "Comune", covers=("ECO", "SAN"), towns=("Varese", "Como"))
    closed = charts.network_gaps_bar(coverage.network_gaps(engine, START, END), "T", {}, [])
    assert closed.layout.annotations[0].text == charts.NO_GAPS_MESSAGE
