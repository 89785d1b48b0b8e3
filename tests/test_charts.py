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
    assert fig.layout.paper_bgcolor == fig.layout.plot_bgcolor == "white"  # no template needed
    assert fig.layout.xaxis.zerolinecolor == charts.GRID_COLOUR  # no dark zero line
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


# --- Issue 13: legends, integer ticks, the outcome palette, "Altri", projector sizes

WITH_LEGEND = [
    (
        "neighbourhood",
        lambda **kw: charts.neighbourhood_area_stacked(
            by_neighbourhood(), "T", AREA_COLOURS, AREA_ORDER, **kw
        ),
    ),
    (
        "trend",
        lambda **kw: charts.monthly_trend_lines(trend(), "T", AREA_COLOURS, AREA_ORDER, **kw),
    ),
    ("outcomes", lambda **kw: charts.referral_outcomes_bar(outcomes(), "T", **kw)),
]
EVERY_BUILDER = [
    ("area", lambda **kw: charts.needs_by_area_bar(by_area(), "T", **kw)),
    ("heatmap", lambda **kw: charts.neighbourhood_need_heatmap(heatmap(), "T", **kw)),
    *WITH_LEGEND,
]


@pytest.mark.parametrize("presenting", [False, True])
@pytest.mark.parametrize(("name", "build"), WITH_LEGEND, ids=[case[0] for case in WITH_LEGEND])
def test_the_legend_sits_under_the_title_and_both_push_the_plot_down(
    name: str,
    build,  # type: ignore[no-untyped-def]
    presenting: bool,
) -> None:
    """A legend placed on the plot (y=1, anchored at its bottom) under a fixed top margin
    covered the title when it wrapped to several rows. Title and legend are placed in figure
    coordinates, the legend's top under the title's line, and plotly reserves their real height
    (a top margin that only grows)."""
    fig = build(presenting=presenting)
    title, legend = fig.layout.title, fig.layout.legend
    assert (title.yref, title.y, title.yanchor, title.automargin) == ("container", 1, "top", True)
    assert (legend.xref, legend.yref, legend.yanchor) == ("container", "container", "top")
    assert legend.orientation == "h" and (legend.x, legend.xanchor) == (0, "left")
    title_bottom = title.pad.t + 1.2 * title.font.size  # pixels from the top of the figure
    legend_top = (1 - legend.y) * fig.layout.height
    assert title_bottom <= legend_top <= title_bottom + title.font.size
    assert fig.layout.margin.t <= 20 and fig.layout.margin.autoexpand is not False


@pytest.mark.parametrize(("name", "build"), EVERY_BUILDER, ids=[case[0] for case in EVERY_BUILDER])
def test_every_chart_is_in_the_apps_font_at_16_px_or_more_and_larger_when_presenting(
    name: str,
    build,  # type: ignore[no-untyped-def]
) -> None:
    """Readable on a projector: Streamlit's body font ("Source Sans", not plotly's fallback to
    Arial for "Source Sans Pro"), 16 px or more for every text, titles larger; presenting
    scales everything up and gives bars and rows more room."""
    for fig, floor, title_floor in ((build(), 16, 20), (build(presenting=True), 22, 28)):
        layout = fig.layout
        assert layout.font.family.startswith('"Source Sans", ')
        assert layout.font.size >= floor
        assert layout.title.font.size >= title_floor > layout.font.size
        assert layout.hoverlabel.font.size >= floor
        assert layout.hoverlabel.font.family == layout.font.family
        assert layout.legend.font.size is None or layout.legend.font.size >= floor
        for trace in fig.data:
            size = trace.textfont.size if "textfont" in trace else None
            assert size is None or size >= floor, (trace.name, size)
            if isinstance(trace, go.Bar) and trace.textposition == "outside":
                assert trace.constraintext == "none"  # plotly would shrink the numbers
    assert build(presenting=True).layout.height > build().layout.height


def many_rows_figures(presenting: bool) -> list[go.Figure]:
    """Figures with 12 bars or 12 heatmap rows: their height follows the number of rows."""
    areas = pd.DataFrame(
        [(f"A{i}", f"Area {i}", ABITARE, i + 1) for i in range(12)], columns=queries.AREA_COLUMNS
    )
    return [charts.needs_by_area_bar(areas, "T", presenting=presenting)]


def test_presenting_gives_each_bar_more_room() -> None:
    (screen,) = many_rows_figures(False)
    (room,) = many_rows_figures(True)
    assert room.layout.height - screen.layout.height >= 12 * 12


def axis_ticks(axis) -> tuple[str, float | None]:  # type: ignore[no-untyped-def]
    return axis.tickformat, axis.dtick


def small_count_figures(maximum: int) -> dict[str, tuple[str, float | None]]:
    """The tick settings of every count axis and colour bar, with counts up to `maximum`."""
    area = by_area().assign(needs=[maximum, 1])
    places = by_neighbourhood().assign(needs=[1, maximum - 1 or 1, 1], total=[maximum, maximum, 1])
    cells = heatmap().assign(needs=[maximum, 0, 1])
    months = trend().assign(needs=[maximum, 1, 0, 1])
    referrals = outcomes().assign(
        sent=[maximum, 2], accepted=[maximum - 2 if maximum > 2 else 0, 0]
    )
    return {
        "area": axis_ticks(charts.needs_by_area_bar(area, "T").layout.xaxis),
        "neighbourhood": axis_ticks(
            charts.neighbourhood_area_stacked(places, "T", {}, []).layout.xaxis
        ),
        "heatmap colour bar": axis_ticks(
            charts.neighbourhood_need_heatmap(cells, "T").data[0].colorbar
        ),
        "trend": axis_ticks(charts.monthly_trend_lines(months, "T", {}, []).layout.yaxis),
        "outcomes": axis_ticks(charts.referral_outcomes_bar(referrals, "T").layout.xaxis),
    }


@pytest.mark.parametrize("maximum", [1, 2, 4, 7, 9, 15, 23, 40])
def test_small_counts_get_whole_number_ticks_on_every_axis_and_colour_bar(maximum: int) -> None:
    """With 4 needs plotly steps by 0,5 and a whole-number format wrote "0 1 1 2 2 3 3 4 4"
    (the colour bar "1 1 0"): up to 40 the step is a whole number, at most ten ticks."""
    for where, (tickformat, dtick) in small_count_figures(maximum).items():
        assert tickformat == ",d", where  # whole numbers, thousands dot
        assert dtick is not None and float(dtick).is_integer() and dtick >= 1, (where, dtick)
        assert maximum / dtick <= 8, (where, dtick)


def test_large_counts_keep_plotlys_whole_steps_and_the_thousands_dot() -> None:
    for where, (tickformat, dtick) in small_count_figures(5_000).items():
        assert tickformat == ",d", where  # 1.234 with separators=",."
        assert dtick is None, where  # plotly's own step: at least 500 here


def categorie_area_colours() -> set[str]:
    with open("data/categorie.csv", encoding="utf-8") as f:
        areas = pd.read_csv(f, dtype=str).dropna(subset=["colour"])
    return {colour.upper() for colour in areas["colour"]}


def rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def contrast_on_white(colour: str) -> float:
    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in rgb(colour))
    return 1.05 / (0.2126 * r + 0.7152 * g + 0.0722 * b + 0.05)


def test_outcomes_have_a_palette_of_their_own_that_means_something() -> None:
    """The outcome chart drew a negative outcome in Economica's yellow and "taken in charge" in
    Abitare's blue: a colour must never mean an area and an outcome."""
    area_colours = categorie_area_colours()
    assert len(area_colours) == 8
    palette = {name: colour.upper() for name, colour in charts.OUTCOME_COLOURS.items()}
    assert not set(palette.values()) & area_colours
    assert len(set(palette.values())) == len(palette)
    for name, colour in palette.items():
        assert contrast_on_white(colour) >= 3, name  # WCAG non-text contrast on white
    (r, g, b) = rgb(palette[charts.OUTCOME_POSITIVE])
    assert g > r and g > b  # green
    (r, g, b) = rgb(palette[charts.OUTCOME_NEGATIVE])
    assert r > g > b  # red-brown
    (r, g, b) = rgb(palette[charts.OUTCOME_IN_CHARGE])
    assert b > r and b > g  # blue
    (r, g, b) = rgb(palette[charts.OUTCOME_OVERDUE])
    assert r > b and g > b and min(r, g) > 2 * b  # yellow to amber: a warning
    waiting, cancelled = (
        rgb(palette[charts.OUTCOME_WAITING]),
        rgb(palette[charts.OUTCOME_CANCELLED]),
    )
    assert len(set(waiting)) == 1 and len(set(cancelled)) == 1  # neutral greys
    assert cancelled[0] < waiting[0] - 60  # cancelled the darker


def test_the_outcome_chart_draws_each_fate_in_its_own_colour() -> None:
    fig = charts.referral_outcomes_bar(outcomes(), "T")
    drawn = colours_by_name(fig)
    assert drawn == {name: charts.OUTCOME_COLOURS[name] for name in drawn}
    assert not {colour.upper() for colour in drawn.values()} & categorie_area_colours()


def heatmap_with_others() -> pd.DataFrame:
    """Two neighbourhoods with a few needs, and "Altri" summing many more."""
    rows = heatmap()
    others = pd.DataFrame(
        [
            (queries.OTHERS_LABEL, "SAN02", "Salute mentale", 2, "SAN", "Salute", SALUTE, 2),
            (
                queries.OTHERS_LABEL,
                "ABI01",
                "Manutenzione e guasti",
                0,
                "ABI",
                "Abitare",
                ABITARE,
                48,
            ),
        ],
        columns=queries.HEATMAP_COLUMNS,
    )
    return pd.concat([rows, others], ignore_index=True)


def test_the_altri_column_does_not_set_the_heatmaps_colour_scale() -> None:
    """ "Altri" sums the neighbourhoods beyond the first 15, so it was always the darkest
    column: the blue scale now ends at the largest single neighbourhood, and "Altri" is drawn
    in a grey scale of its own, with its numbers, and no second colour bar."""
    fig = charts.neighbourhood_need_heatmap(heatmap_with_others(), "T")
    single, others = fig.data
    columns = ["Sangallo · Varese", "Biumo · Varese", queries.OTHERS_LABEL]
    # Both traces span every column (plotly misplaces a heatmap covering only some
    # categories), each leaving the other's cells empty (None: a gap, no hover).
    assert list(single.x) == columns and list(others.x) == columns
    assert [list(row) for row in single.z] == [[2, 0, None], [0, 1, None], [1, 0, None]]
    assert [list(row) for row in others.z] == [[None, None, 48], [None, None, 0], [None, None, 2]]
    assert [list(row) for row in others.text] == [["", "", "48"], ["", "", ""], ["", "", "2"]]
    assert [list(row)[:2] for row in single.text] == [["2", ""], ["", "1"], ["1", ""]]
    assert single.hoverongaps is False and others.hoverongaps is False
    assert (single.zmin, single.zmax) == (0, 2)  # not 48
    assert single.showscale is not False and single.colorbar.title.text == "Bisogni"
    assert (others.zmin, others.zmax) == (0, 48)
    assert others.showscale is False
    grey = others.colorscale[-1][1]
    assert len(set(rgb(grey))) == 1  # a neutral grey, not the needs' blue
    assert "Altri" in others.hovertemplate and "%{z:,.0f}" in others.hovertemplate
    # The columns keep their order, "Altri" last and named as a sum.
    assert list(fig.layout.xaxis.categoryarray) == columns
    assert "somma" in list(fig.layout.xaxis.ticktext)[-1]


def test_a_heatmap_of_altri_alone_still_draws_it() -> None:
    only_others = heatmap_with_others().query("neighbourhood == @queries.OTHERS_LABEL")
    fig = charts.neighbourhood_need_heatmap(only_others, "T")
    (others,) = fig.data
    assert list(others.x) == [queries.OTHERS_LABEL]
    assert others.zmax == 48


def test_names_from_the_data_are_drawn_as_plain_text() -> None:
    """Plotly reads tags in any text it draws: a partner called "<b>Coop</b> A & B" must show
    those characters, not a bold name (entities are turned back into characters)."""
    odd = "<b>Coop</b> A & B"
    shown = "&lt;b&gt;Coop&lt;/b&gt; A &amp; B"
    referrals = charts.referral_outcomes_bar(outcomes().assign(partner=[odd, "Caritas"]), "T")
    assert list(referrals.layout.yaxis.categoryarray) == [shown, "Caritas"]
    assert all(trace.y[0] == shown for trace in referrals.data)
    places = charts.neighbourhood_area_stacked(
        by_neighbourhood().assign(label=[odd, odd, "Altri"], area=["<br>", "Abitare", "<br>"]),
        "<i>T</i>",
        AREA_COLOURS,
        AREA_ORDER,
    )
    assert places.layout.title.text == "&lt;i&gt;T&lt;/i&gt;"
    assert list(places.layout.yaxis.categoryarray) == [shown, "Altri"]
    assert {trace.name for trace in places.data if trace.name} == {"Abitare", "&lt;br&gt;"}
    cells = charts.neighbourhood_need_heatmap(
        heatmap().assign(neighbourhood=[odd, odd, "Biumo"], need=["<br>", "Casa", "Cure"]), "T"
    )
    assert list(cells.data[0].x) == [shown, "Biumo"]
    assert any("&lt;br&gt;" in tick for tick in cells.layout.yaxis.ticktext)
    assert list(cells.layout.xaxis.tickvals) == [shown, "Biumo"]


def test_per_100_homes_the_bars_are_rates_with_one_decimal():
    frame = pd.DataFrame(
        [
            [
                "Biumo",
                "Varese",
                "Biumo · Varese",
                "ABI",
                "Abitare",
                "#0072B2",
                3,
                4,
                120.0,
                400 / 120,
            ],
            [
                "Biumo",
                "Varese",
                "Biumo · Varese",
                "SAN",
                "Salute",
                "#D55E00",
                1,
                4,
                120.0,
                400 / 120,
            ],
        ],
        columns=queries.NEIGHBOURHOOD_AREA_COLUMNS,
    )
    fig = charts.neighbourhood_area_stacked(frame, "t", {}, ["Abitare", "Salute"], per_homes=True)
    bars = [trace for trace in fig.data if trace.type == "bar"]
    assert [list(bar.x) for bar in bars] == [[pytest.approx(2.5)], [pytest.approx(100 / 120)]]
    assert fig.layout.xaxis.title.text == "Bisogni ogni 100 alloggi ALER"
    ends = next(trace for trace in fig.data if trace.type == "scatter")
    assert list(ends.x) == [pytest.approx(400 / 120)] and ends.texttemplate == "  %{x:,.1f}"
