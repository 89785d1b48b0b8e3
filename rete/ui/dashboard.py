"""The Cruscotto's building blocks: its cached numbers, KPI tiles, charts with their data as CSV.

The numbers are cached on the database URL, the data version, the filters and today's date, so
another user's write, another database or a new day is never served a stale result.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from rete import access, alerts, queries, tiles
from rete.bootstrap import AppDatabase
from rete.db import get_engine
from rete.filters import (
    Filters,
    month_of,
    month_span,
)
from rete.taxonomy import Taxonomy
from rete.ui import accesslog_view, sidebar
from rete.ui.database import current_version, engine_url
from rete.ui.forms import plain

# No Plotly toolbar: its tooltips are English ("Download plot as a PNG", Zoom, Pan…) and the
# bundled plotly.js has no Italian locale ("locale": "it" did nothing); each chart's data has
# its own "Scarica i dati (CSV)" button, and hovering still shows the values.
PLOTLY_CONFIG = {"displayModeBar": False, "displaylogo": False}


@st.cache_data(show_spinner=False, max_entries=128)
def _cached_frames(url: str, version: int, filters: Filters, now: dt.date) -> Any:
    return queries.chart_frames(get_engine(url), filters, now)


@st.cache_data(show_spinner=False, max_entries=128)
def _cached_headline(url: str, version: int, filters: Filters, now: dt.date) -> Any:
    return queries.headline(get_engine(url), filters, now)


def chart_frames(app_db: AppDatabase, filters: Filters, now: dt.date) -> queries.ChartFrames:
    """The five charts' frames, cached per database, data version, filters and day."""
    frames: queries.ChartFrames = _cached_frames(
        engine_url(app_db), current_version(app_db), filters, now
    )
    return frames


def headline(app_db: AppDatabase, filters: Filters, now: dt.date) -> queries.Headline:
    """The KPI tiles' numbers, cached like the charts' frames."""
    top: queries.Headline = _cached_headline(
        engine_url(app_db), current_version(app_db), filters, now
    )
    return top


def forget_results() -> None:
    """Empty every data cache (queries, taxonomy) and the figure cache: the state after a write
    that changed every number. For the benchmark's cold runs; the app itself never needs it."""
    st.cache_data.clear()
    _figure.clear()


# --- Early warnings ---


@st.cache_data(show_spinner=False, max_entries=16)
def _cached_alerts(url: str, version: int, now: dt.date) -> Any:
    engine = get_engine(url)
    return alerts.early_warnings(engine, now, queries.first_month(engine))


ALERT_ICONS = {"rise": ":material/trending_up:", "overdue": ":material/schedule:",
               "share": ":material/trending_down:"}  # fmt: skip


def early_warnings(app_db: AppDatabase, role: str, tax: Taxonomy, now: dt.date) -> None:
    """At most three alerts (`rete.alerts`), whatever the filters; each with the view that
    shows it (the sidebar's filters set to it) or, for the overdue referrals, «Da seguire»
    for those who may open it."""
    found: list[alerts.Alert] = _cached_alerts(engine_url(app_db), current_version(app_db), now)
    if not found:
        return
    st.header("Da tenere d'occhio", anchor="allerte")
    for index, alert in enumerate(found):
        linked = bool(alert.query) or (
            alert.kind == "overdue" and access.may_open(role, "da_seguire")
        )
        if not linked:
            st.warning(plain(alert.text), icon=ALERT_ICONS[alert.kind])
            continue
        text, action = st.columns([5, 1], vertical_alignment="center")
        text.warning(plain(alert.text), icon=ALERT_ICONS[alert.kind])
        with action:
            if alert.query:
                st.button(
                    "Mostra",
                    key=f"alert_{index}",
                    icon=":material/filter_alt:",
                    on_click=sidebar.show_view,
                    args=(dict(alert.query), tax, now),
                    help="Imposta i filtri del Cruscotto su ciò che l'avviso descrive.",
                )
            else:
                st.page_link(
                    access.page("da_seguire").file, label="Da seguire", icon=":material/list:"
                )


# --- KPI tiles ---


def kpi_tiles(data: queries.Headline, filters: Filters, now: dt.date) -> None:
    """Six tiles in two rows, each with its change against the previous period when the two
    periods can be compared (`rete.tiles`); one line above them says against what, or why not.

    The page draws them last, into a container above the charts (`st.container`): their
    queries are the slow ones at 1M needs, and until they come the browser keeps the previous
    tiles there (faded), so nothing below moves."""
    gap = tiles.comparison_gap(filters, month_of(now), data.first_month)
    if gap is None:
        st.caption(f"Variazioni rispetto al periodo precedente: {previous_label(filters)}.")
    else:
        st.caption(f"Nessun confronto con il periodo precedente: {gap}.")
    for index, tile in enumerate(tiles.tiles(data.kpis, data.previous_kpis, gap is None)):
        if index % 3 == 0:
            columns = st.columns(3)
        with columns[index % 3]:
            st.metric(
                tile.label,
                tile.value,
                delta=tile.delta,
                delta_color=tile.colour if tile.is_change else "off",
                delta_arrow="auto" if tile.is_change else "off",
                help=tile.help,
                border=True,
            )


# --- Charts with their data ---


@st.cache_resource(show_spinner=False, max_entries=256)
def _figure(
    name: str,
    _build: Callable[..., go.Figure | None],
    frame: pd.DataFrame,
    options: tuple[tuple[str, Any], ...],
    *args: Any,
) -> Any:
    """Build a chart once per frame: building Plotly figures is most of a warm page's time.

    Keyed on the builder's `name` (Streamlit cannot hash a function), the frame, the keyword
    `options` and the arguments. Shared by every session (cache_resource): the frames are
    anonymous aggregates and st.plotly_chart only reads the figure.
    """
    return _build(frame, *args, **dict(options))


PRESENTING_KEY = "cr_present"
NO_DATA = "Nessun dato per i filtri scelti: allargare il periodo o togliere qualche filtro."


def presenting() -> bool:
    """The «Presenta» switch: larger chart text for a meeting room (`charts`' `presenting`)."""
    return bool(st.session_state.get(PRESENTING_KEY))


def chart_block(
    frame: pd.DataFrame,
    build: Callable[..., go.Figure | None],
    *args: Any,
    key: str,
    filename: str,
    csv: Callable[[], bytes],
    options: dict[str, Any] | None = None,
    empty_message: str = NO_DATA,
) -> None:
    """The chart `build(frame, *args, **options)` (at the «Presenta» scale when it is on), or a
    friendly message when there is nothing to draw, and its data as a CSV file
    (`rete.downloads`), made only when someone downloads it, and recorded then in the access
    log."""
    name = f"{build.__module__}.{build.__qualname__}"
    chosen = tuple(sorted({**(options or {}), "presenting": presenting()}.items()))
    figure = None if frame.empty else _figure(name, build, frame, chosen, *args)
    if figure is None:
        st.info(empty_message, icon=":material/filter_alt_off:")
        return
    st.plotly_chart(figure, config=PLOTLY_CONFIG, theme=None, key=f"chart_{key}")
    st.download_button(
        "Scarica i dati (CSV)",
        data=accesslog_view.dashboard_file(csv, filename),
        file_name=filename,
        mime="text/csv",
        icon=":material/download:",
        key=f"csv_{key}",
    )


@st.cache_data(show_spinner=False, max_entries=64)
def _cached_rates(url: str, version: int, filters: Filters) -> pd.DataFrame:
    return queries.needs_by_neighbourhood_rate(get_engine(url), filters)


def neighbourhood_rates(app_db: AppDatabase, filters: Filters) -> pd.DataFrame:
    """Needs per 100 ALER homes by neighbourhood (`queries.needs_by_neighbourhood_rate`), cached
    like the rest of the Cruscotto."""
    return _cached_rates(engine_url(app_db), current_version(app_db), filters)


def short_period(filters: Filters) -> str:
    """The period as a chart title says it: 'dic 2025 – nov 2026', 'nov 2026'."""
    return short_range(filters.start, filters.end)


def short_range(start: int, end: int) -> str:
    """Months start..end (yyyymm) as a chart title says them: 'dic 2025 – nov 2026'."""
    return month_span(start, end, short=True)


def previous_label(filters: Filters) -> str:
    """The comparison period, short enough for a KPI tile: 'nov 2024 – ott 2025'."""
    return short_period(filters.previous())
