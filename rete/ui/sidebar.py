"""The Cruscotto's filters: widgets in the sidebar, the same values in the URL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import streamlit as st

from rete.filters import (
    PRESET_LABELS,
    PRESET_LAST_12,
    Filters,
    filters_from_query,
    filters_to_query,
    ignored_notice,
    month_add,
    month_code,
    month_label,
    month_of,
    month_range,
    period_bounds,
    period_label,
)
from rete.taxonomy import Taxonomy

FILTERS_READY_KEY = "rete_filters_ready"
LAST_FILTERS_KEY = "rete_last_filters"  # survives a visit to another page, unlike widget state
MONTHS_OFFERED = 60


_PERIOD_KINDS = {
    **PRESET_LABELS,
    "trimestre": "Un trimestre",
    "mese": "Un mese",
    "intervallo": "Intervallo di mesi",
}


def _months_offered(now: dt.date) -> list[int]:
    """The last five years, newest first, stretched back to any month a link asked for."""
    current = month_of(now)
    asked = [
        value
        for key in ("f_month", "f_from", "f_to")
        if isinstance(value := st.session_state.get(key), int) and value <= current
    ]
    quarter = st.session_state.get("f_quarter")
    if isinstance(quarter, str) and (bounds := period_bounds(quarter, now)):
        asked.append(bounds[0])
    earliest = min([month_add(current, 1 - MONTHS_OFFERED), *asked])
    return list(reversed(month_range(earliest, current)))


def _quarters_offered(now: dt.date) -> list[str]:
    specs = []
    for month in _months_offered(now):
        spec = f"{month // 100}-T{(month % 100 - 1) // 3 + 1}"
        if spec not in specs:
            specs.append(spec)
    return specs


def _seed_filter_widgets(filters: Filters) -> None:
    """First run of a browser session: the widgets start from what the URL says."""
    spec = filters.period
    state = st.session_state
    if spec in PRESET_LABELS:
        state["f_period_kind"] = spec
    elif "-T" in spec:
        state["f_period_kind"], state["f_quarter"] = "trimestre", spec
    elif ":" in spec:
        state["f_period_kind"] = "intervallo"
        state["f_from"], state["f_to"] = filters.start, filters.end
    else:
        state["f_period_kind"], state["f_month"] = "mese", filters.start
    state["f_municipalities"] = list(filters.municipalities)
    state["f_neighbourhoods"] = list(filters.neighbourhood_ids)
    state["f_areas"] = list(filters.area_ids)
    state["f_needs"] = list(filters.category_ids)
    state["f_channels"] = list(filters.channel_codes)


def _period_widgets(now: dt.date) -> str:
    kind = st.selectbox(
        "Periodo", list(_PERIOD_KINDS), format_func=_PERIOD_KINDS.__getitem__, key="f_period_kind"
    )
    months = _months_offered(now)
    if kind == "trimestre":
        quarters = _quarters_offered(now)
        if st.session_state.get("f_quarter") not in quarters:
            st.session_state["f_quarter"] = quarters[1] if len(quarters) > 1 else quarters[0]
        return st.selectbox(
            "Trimestre", quarters, format_func=lambda q: f"{q[-2:]} {q[:4]}", key="f_quarter"
        )
    if kind == "mese":
        _keep_in(months, "f_month", month_add(months[0], -1))
        chosen = st.selectbox("Mese", months, format_func=month_label, key="f_month")
        return month_code(chosen)
    if kind == "intervallo":
        _keep_in(months, "f_from", months[min(12, len(months) - 1)])
        _keep_in(months, "f_to", months[1])
        first = st.selectbox("Dal mese", months, format_func=month_label, key="f_from")
        last = st.selectbox("Al mese (compreso)", months, format_func=month_label, key="f_to")
        if last < first:
            st.caption("Il mese finale precede quello iniziale: i due mesi sono stati scambiati.")
            first, last = last, first
        return f"{month_code(first)}:{month_code(last)}"
    return kind


def _keep_in(options: list[Any], key: str, default: Any) -> None:
    if st.session_state.get(key) not in options:
        st.session_state[key] = default if default in options else options[0]


def _prune(key: str, allowed: set[Any]) -> None:
    """Drop choices that a narrower filter made impossible (e.g. a neighbourhood of another town)."""
    if key in st.session_state:
        st.session_state[key] = [v for v in st.session_state[key] if v in allowed]


def chosen_filters(tax: Taxonomy, now: dt.date) -> Filters:
    """The Cruscotto's filters: widgets in the sidebar, the same values in the URL."""
    _seed_widgets(tax, now)
    with st.sidebar:
        st.header("Filtri")
        spec = _period_widgets(now)
        municipalities = _choice("Comune", tax.municipalities(), str, "f_municipalities", "Tutti")
        names = {id_: f"{name} ({muni})" for id_, name, muni in tax.neighbourhoods}
        in_towns = [id_ for id_, _, muni in tax.neighbourhoods if muni in municipalities]
        neighbourhoods = _choice(
            "Quartiere", in_towns or list(names), names.__getitem__, "f_neighbourhoods", "Tutti"
        )
        area_names = {area.id: area.name for area in tax.areas}
        areas = _choice(
            "Area di bisogno", list(area_names), area_names.__getitem__, "f_areas", "Tutte"
        )
        need_names = {
            need.id: need.name for need in tax.needs if not areas or need.area_id in areas
        }
        needs = _choice(
            "Bisogno specifico", list(need_names), need_names.__getitem__, "f_needs", "Tutti"
        )
        channel_names = dict(tax.channels)
        channels = _choice(
            "Canale", list(channel_names), channel_names.__getitem__, "f_channels", "Tutti"
        )
    start, end = period_bounds(spec, now) or period_bounds(PRESET_LAST_12, now)  # type: ignore[misc]
    chosen = Filters(
        period=spec,
        start=start,
        end=end,
        municipalities=tuple(municipalities),
        neighbourhood_ids=tuple(neighbourhoods),
        area_ids=tuple(areas),
        category_ids=tuple(needs),
        channel_codes=tuple(channels),
    )
    st.query_params.from_dict(filters_to_query(chosen, tax))
    st.session_state[LAST_FILTERS_KEY] = chosen
    return chosen


def _seed_widgets(tax: Taxonomy, now: dt.date) -> None:
    """The widgets start from the URL on a session's first run, and from the last choice when
    the user comes back from another page (Streamlit drops widget state, ours is kept)."""
    if not st.session_state.get(FILTERS_READY_KEY):
        params = {key: st.query_params.get_all(key) for key in st.query_params}
        from_url, ignored = filters_from_query(params, tax, now)
        _seed_filter_widgets(from_url)
        notice = ignored_notice(ignored)
        if notice:
            st.toast(notice, icon=":material/info:", duration="long")
        st.session_state[FILTERS_READY_KEY] = True
    elif "f_period_kind" not in st.session_state and LAST_FILTERS_KEY in st.session_state:
        _seed_filter_widgets(st.session_state[LAST_FILTERS_KEY])


def _choice(
    label: str, options: list[Any], shown: Callable[[Any], str], key: str, everything: str
) -> list[Any]:
    """A multiselect whose empty choice means everything; choices a narrower filter made
    impossible (a neighbourhood of another town) are dropped first."""
    _prune(key, set(options))
    return st.multiselect(label, options, format_func=shown, key=key, placeholder=everything)


def show_view(query: dict[str, str], tax: Taxonomy, now: dt.date) -> None:
    """Set the sidebar's filters to the view a link describes (URL form, e.g. an alert's), as
    an `on_click` callback: the widgets take it on the run that follows."""
    params = {key: [value] for key, value in query.items()}
    filters, _ = filters_from_query(params, tax, now)
    _seed_filter_widgets(filters)


def describe_period(filters: Filters) -> str:
    return period_label(filters.period, filters.start, filters.end)
