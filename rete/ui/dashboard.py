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

from rete import formats, queries
from rete.bootstrap import AppDatabase
from rete.db import get_engine
from rete.filters import (
    Filters,
    month_label,
    month_of,
)
from rete.ui.database import current_version, engine_url

PLOTLY_CONFIG = {"displaylogo": False, "locale": "it"}


@st.cache_data(show_spinner=False, max_entries=128)
def _cached_cruscotto(url: str, version: int, filters: Filters, now: dt.date) -> Any:
    return queries.cruscotto_data(get_engine(url), filters, now)


def cruscotto_data(app_db: AppDatabase, filters: Filters, now: dt.date) -> queries.CruscottoData:
    """The Cruscotto's numbers, cached per database, data version, filters and day."""
    return _cached_cruscotto(engine_url(app_db), current_version(app_db), filters, now)


def forget_results() -> None:
    """Empty every data cache (queries, taxonomy) and the figure cache: the state after a write
    that changed every number. For the benchmark's cold runs; the app itself never needs it."""
    st.cache_data.clear()
    _figure.clear()


# --- KPI tiles ---


def _delta(current: float | None, previous: float | None, decimals: int, unit: str) -> str | None:
    """'+12', '-3,5 gg' or 'invariato' (st.metric reads the sign from an ASCII '+' or '-')."""
    if current is None or previous is None:
        return None
    change = round(current - previous, decimals)
    if change == 0:
        return "invariato"
    sign = "-" if change < 0 else "+"
    return f"{sign}{formats.number(abs(change), decimals)}{unit}"


def _percent_points(share: float | None) -> float | None:
    return None if share is None else share * 100


def kpi_tiles(current: queries.Kpis, previous: queries.Kpis, previous_label: str) -> None:
    """Six tiles in two rows, each with its change against the previous period."""
    now, before = current, previous
    tiles = [
        ("Colloqui", "Colloqui con almeno un bisogno che rientra nei filtri.",
         formats.number(now.interviews), _delta(now.interviews, before.interviews, 0, ""), "normal"),
        ("Nuclei raggiunti", "Nuclei diversi con almeno un bisogno che rientra nei filtri.",
         formats.number(now.households), _delta(now.households, before.households, 0, ""), "normal"),
        ("Bisogni rilevati", "Fragilità registrate nei colloqui del periodo.",
         formats.number(now.needs), _delta(now.needs, before.needs, 0, ""), "off"),
        ("Segnalazioni inviate", "Invii agli enti della rete con data di invio nel periodo.",
         formats.number(now.referrals_sent), _delta(now.referrals_sent, before.referrals_sent, 0, ""), "normal"),
        ("Prese in carico", "Quota delle segnalazioni inviate nel periodo (escluse le annullate) "
         "che un ente ha preso in carico.", formats.percent(now.share_accepted),
         _delta(_percent_points(now.share_accepted), _percent_points(before.share_accepted), 1, " punti"), "normal"),
        ("Giorni alla presa in carico", "Mediana dei giorni tra l'invio e la presa in carico.",
         formats.number(now.median_days_to_accept, 1),
         _delta(now.median_days_to_accept, before.median_days_to_accept, 1, " gg"), "inverse"),
    ]  # fmt: skip
    for index, (label, help_text, value, delta, colour) in enumerate(tiles):
        if index % 3 == 0:
            columns = st.columns(3)
        unchanged = delta == "invariato"
        with columns[index % 3]:
            st.metric(
                label,
                value,
                delta=delta,
                delta_color="off" if unchanged else colour,  # type: ignore[arg-type]
                delta_arrow="off" if unchanged else "auto",
                help=help_text,
                border=True,
                delta_description=f"rispetto a {previous_label}" if delta else None,
            )


# --- Charts with their data ---


def to_csv(frame: pd.DataFrame, columns: dict[str, str]) -> bytes:
    """CSV that Italian Excel opens as it is: ';' separator, ',' decimals, UTF-8 with BOM."""
    table = frame[list(columns)].rename(columns=columns)
    for column in table.columns:
        if not pd.api.types.is_numeric_dtype(table[column]):
            table[column] = table[column].map(_inert_in_a_spreadsheet)
    return table.to_csv(index=False, sep=";", decimal=",").encode("utf-8-sig")


def _inert_in_a_spreadsheet(value: object) -> object:
    """A text starting with = + - @, a tab, a carriage return or NUL could run as a formula in
    Excel or LibreOffice (OWASP's CSV injection list): quote it."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r", "\0"):
        return "'" + value
    return value


@st.cache_resource(show_spinner=False, max_entries=256)
def _figure(
    name: str, _build: Callable[..., go.Figure | None], frame: pd.DataFrame, *args: Any
) -> Any:
    """Build a chart once per frame: building Plotly figures is most of a warm page's time.

    Keyed on the builder's `name` (Streamlit cannot hash a function), the frame and the
    arguments. Shared by every session (cache_resource): the frames are anonymous aggregates and
    st.plotly_chart only reads the figure.
    """
    return _build(frame, *args)


def chart_block(
    frame: pd.DataFrame,
    build: Callable[..., go.Figure | None],
    *args: Any,
    key: str,
    filename: str,
    columns: dict[str, str],
    empty_message: str = "Nessun dato per i filtri scelti: allargare il periodo o togliere qualche filtro.",
) -> None:
    """The chart `build(frame, *args)`, or a friendly message when there is nothing to draw,
    and its data as CSV, written only when someone downloads it."""
    name = f"{build.__module__}.{build.__qualname__}"
    figure = None if frame.empty else _figure(name, build, frame, *args)
    if figure is None:
        st.info(empty_message, icon=":material/filter_alt_off:")
        return
    st.plotly_chart(figure, config=PLOTLY_CONFIG, theme=None, key=f"chart_{key}")
    st.download_button(
        "Scarica i dati (CSV)",
        data=lambda: to_csv(frame, columns),
        file_name=filename,
        mime="text/csv",
        icon=":material/download:",
        key=f"csv_{key}",
    )


def current_month_note(filters: Filters, now: dt.date) -> str | None:
    if filters.includes_month(month_of(now)):
        return (
            f"Il periodo comprende {month_label(month_of(now))}, mese ancora in corso: "
            "i numeri di questo mese sono parziali."
        )
    return None


def previous_label(filters: Filters) -> str:
    """The comparison period, short enough for a KPI tile: 'nov 2024 – ott 2025'."""
    before = filters.previous()
    if before.start == before.end:
        return month_label(before.start, short=True)
    return f"{month_label(before.start, short=True)} – {month_label(before.end, short=True)}"
