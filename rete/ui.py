"""The only module of `rete/` that imports Streamlit: cached loaders, login, filters, tiles, charts.

Caches are process-wide and shared by every user, so every cached result is keyed on the
database URL, the data version, the filters and today's date, and none holds personal data.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlencode

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from rete import auth, config, formats, queries
from rete.bootstrap import AppDatabase, database_status, prepare_engine
from rete.config import load_settings
from rete.db import data_version, get_engine
from rete.errors import InvalidCredentials, ReteError
from rete.filters import (
    PRESET_LABELS,
    Filters,
    filters_from_query,
    filters_to_query,
    month_add,
    month_code,
    month_label,
    month_of,
    month_range,
    period_bounds,
    period_label,
)
from rete.taxonomy import ROLE_LABELS, Taxonomy, load_taxonomy
from rete.web import LOGOUT_PATH, SESSION_PATH

log = logging.getLogger(__name__)

USER_KEY = "rete_user"  # the seam page tests set directly (AppTest cannot send cookies)
FILTERS_READY_KEY = "rete_filters_ready"
LAST_FILTERS_KEY = "rete_last_filters"  # survives a visit to another page, unlike widget state
MONTHS_OFFERED = 60
PLOTLY_CONFIG = {"displaylogo": False, "locale": "it"}


def today() -> dt.date:
    return config.today()


def show_error(error: ReteError) -> None:
    """A domain error's Italian message on the page; the details go to the log only."""
    log.warning("%s: %s", type(error).__name__, error)
    st.error(str(error), icon=":material/error:")


# --- Database ---


@st.cache_resource(show_spinner="Preparazione del database…")
def _prepared_engine(url: str, demo_requested: bool) -> Engine:
    return prepare_engine(load_settings())


def app_database() -> AppDatabase:
    """The database, migrated (embedded SQLite) and with demo data on a first start; whether
    it is ready is checked on every run, so `python -m rete init` shows without a restart."""
    settings = load_settings()
    return database_status(_prepared_engine(settings.database_url, settings.demo_requested))


def _url(app_db: AppDatabase) -> str:
    """The engine's URL with its password: cache keys must reopen the same database."""
    return app_db.engine.url.render_as_string(hide_password=False)


def current_version(app_db: AppDatabase) -> int:
    return data_version(app_db.engine)


@st.cache_data(show_spinner=False, max_entries=32)
def _taxonomy(url: str, version: int) -> Taxonomy:
    return load_taxonomy(get_engine(url))


def taxonomy(app_db: AppDatabase) -> Taxonomy:
    return _taxonomy(_url(app_db), current_version(app_db))


@contextmanager
def friendly_errors() -> Iterator[None]:
    """Domain errors and a database that stops answering become an Italian message on the
    page; the details go to the log."""
    try:
        yield
    except ReteError as error:
        show_error(error)
    except SQLAlchemyError:
        log.exception("database error")
        st.error(
            "Il database non risponde. Riprovare tra poco; se il problema resta, avvisare "
            "l'amministratore di Rete.",
            icon=":material/error:",
        )


# --- Who is logged in ---


def current_user(app_db: AppDatabase) -> auth.CurrentUser | None:
    """The user of this run: from the session cookie; under AppTest from the session state."""
    token = st.context.cookies.get(auth.SESSION_COOKIE)
    if isinstance(token, str):
        return auth.user_for_token(app_db.engine, token) if token else None
    if token is None:
        return None  # a browser without a session cookie
    # Only AppTest gets here: its cookies are a mock, and page tests set the user directly.
    user = st.session_state.get(USER_KEY)
    return user if isinstance(user, auth.CurrentUser) else None


def require_page(page: str) -> auth.CurrentUser:
    """Every page calls this first: the user of this run, allowed on this page, or the run stops.

    app.py's navigation already hides other roles' pages; this is the second lock, for the
    case where Streamlit runs a file of pages/ directly.
    """
    user = st.session_state.get(USER_KEY)
    if not isinstance(user, auth.CurrentUser) or page not in auth.PAGES_BY_ROLE[user.role]:
        st.error("Pagina non disponibile: accedere dalla pagina iniziale di Rete.")
        st.stop()
    return user


def _redirect(path: str, message: str) -> None:
    """Send the browser to one of Rete's HTTP routes (a script cannot set cookies)."""
    st.info(message, icon=":material/hourglass_top:")
    # The path is built here from a token we generated, never from user input.
    st.html(
        f"<script>window.location.replace({json.dumps(path)});</script>",
        unsafe_allow_javascript=True,
    )
    st.markdown(f"Se la pagina non cambia entro pochi secondi, [proseguire da qui]({path}).")


def _address_after_login(page: str, user: auth.CurrentUser) -> str:
    """Where the browser goes once logged in: the page and filters it was asked for.

    A role's first page is its home, served at '/' (Streamlit answers its own name with
    "page not found"); a page the role may not see also leads home.
    """
    path = page if page in auth.PAGES_BY_ROLE[user.role][1:] else ""
    query = urlencode(
        [(key, value) for key in st.query_params for value in st.query_params.get_all(key)]
    )
    return f"/{path}" + (f"?{query}" if query else "")


def login_page(app_db: AppDatabase, page: str = "") -> None:
    st.title("Rete · accesso")
    st.caption("La rete territoriale di ALER per gli inquilini degli alloggi pubblici.")
    if st.query_params.get("accesso") == "scaduto":
        st.warning("L'accesso non è stato completato in tempo: inserire di nuovo le credenziali.")
    if app_db.demo:
        st.info(
            "**Versione dimostrativa** con dati inventati. Account disponibili, password `demo`: "
            "`direzione` (cruscotto), `operatore` (community manager), `admin` (amministratore).",
            icon=":material/science:",
        )
    with st.form("login"):
        username = st.text_input("Nome utente", autocomplete="username")
        password = st.text_input("Password", type="password", autocomplete="current-password")
        submitted = st.form_submit_button("Accedi", type="primary")
    if not submitted:
        return
    if not username.strip() or not password:
        st.error("Inserire nome utente e password.")
        return
    try:
        user = auth.authenticate(app_db.engine, username, password)
    except InvalidCredentials as error:
        st.error(str(error))
        return
    ticket = auth.issue_ticket(app_db.engine, user)
    target = urlencode({"ticket": ticket, "next": _address_after_login(page, user)})
    _redirect(f"{SESSION_PATH}?{target}", "Accesso in corso…")
    st.session_state[USER_KEY] = None  # the cookie, set by the route, is the only way in
    st.stop()


def needs_init_page() -> None:
    st.title("Rete · primo avvio")
    st.warning(
        "Il database è vuoto. Un amministratore deve prepararlo dal terminale con "
        "`python -m rete init --no-demo` (chiede la password del primo amministratore), "
        "poi ricaricare questa pagina.",
        icon=":material/construction:",
    )


def demo_banner() -> None:
    st.warning(
        "**Dati dimostrativi**: nomi, enti e numeri sono inventati.", icon=":material/science:"
    )


def user_box(app_db: AppDatabase, user: auth.CurrentUser) -> None:
    with st.sidebar:
        st.caption(f"{user.display_name} · {ROLE_LABELS.get(user.role, user.role)}")
        if st.button("Esci", icon=":material/logout:", key="logout"):
            token = st.context.cookies.get(auth.SESSION_COOKIE)
            if isinstance(token, str) and token:
                auth.end_session(app_db.engine, token)
            st.session_state.pop(USER_KEY, None)
            _redirect(LOGOUT_PATH, "Uscita in corso…")
            st.stop()


# --- Filters in the sidebar, mirrored in the URL ---

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


def sidebar_filters(tax: Taxonomy, now: dt.date) -> Filters:
    """The Cruscotto's filters: widgets in the sidebar, the same values in the URL."""
    if not st.session_state.get(FILTERS_READY_KEY):
        params = {key: st.query_params.get_all(key) for key in st.query_params}
        filters, notices = filters_from_query(params, tax, now)
        _seed_filter_widgets(filters)
        st.session_state["f_notices"] = notices
        st.session_state[FILTERS_READY_KEY] = True
    elif "f_period_kind" not in st.session_state and LAST_FILTERS_KEY in st.session_state:
        # Back from another page: Streamlit dropped the widgets' state, ours is kept.
        _seed_filter_widgets(st.session_state[LAST_FILTERS_KEY])
    for notice in st.session_state.get("f_notices", []):
        st.toast(notice, icon=":material/info:")
    st.session_state["f_notices"] = []

    names = {id_: f"{name} ({muni})" for id_, name, muni in tax.neighbourhoods}
    area_names = {area.id: area.name for area in tax.areas}
    need_names = {need.id: need.name for need in tax.needs}
    channel_names = dict(tax.channels)
    with st.sidebar:
        st.header("Filtri")
        spec = _period_widgets(now)
        municipalities = st.multiselect(
            "Comune", tax.municipalities(), key="f_municipalities", placeholder="Tutti"
        )
        offered = [
            id_
            for id_, _, muni in tax.neighbourhoods
            if not municipalities or muni in municipalities
        ]
        _prune("f_neighbourhoods", set(offered))
        neighbourhoods = st.multiselect(
            "Quartiere",
            offered,
            format_func=names.__getitem__,
            key="f_neighbourhoods",
            placeholder="Tutti",
        )
        _prune("f_areas", set(area_names))
        areas = st.multiselect(
            "Area di bisogno",
            list(area_names),
            format_func=area_names.__getitem__,
            key="f_areas",
            placeholder="Tutte",
        )
        needs_offered = [need.id for need in tax.needs if not areas or need.area_id in areas]
        _prune("f_needs", set(needs_offered))
        needs = st.multiselect(
            "Bisogno specifico",
            needs_offered,
            format_func=need_names.__getitem__,
            key="f_needs",
            placeholder="Tutti",
        )
        _prune("f_channels", set(channel_names))
        channels = st.multiselect(
            "Canale",
            list(channel_names),
            format_func=channel_names.__getitem__,
            key="f_channels",
            placeholder="Tutti",
        )
    start, end = period_bounds(spec, now) or period_bounds("ultimi12", now)  # type: ignore[misc]
    filters = Filters(
        period=spec,
        start=start,
        end=end,
        municipalities=tuple(municipalities),
        neighbourhood_ids=tuple(neighbourhoods),
        area_ids=tuple(areas),
        category_ids=tuple(needs),
        channel_codes=tuple(channels),
    )
    st.query_params.from_dict(filters_to_query(filters, tax))
    st.session_state[LAST_FILTERS_KEY] = filters
    return filters


def describe_period(filters: Filters) -> str:
    return period_label(filters.period, filters.start, filters.end)


# --- Cached queries ---

_QUERIES: dict[str, Callable[..., Any]] = {
    "kpis": lambda engine, filters, now: queries.kpis(engine, filters, now),
    "needs_by_area": lambda engine, filters, now: queries.needs_by_area(engine, filters),
    "neighbourhood_area": lambda engine, filters, now: queries.needs_by_neighbourhood_area(
        engine, filters
    ),
    "heatmap": lambda engine, filters, now: queries.heatmap_neighbourhood_need(engine, filters),
    "trend": lambda engine, filters, now: queries.monthly_trend(engine, filters),
    "referrals": lambda engine, filters, now: queries.referral_outcomes_by_partner(
        engine, filters, now
    ),
}


@st.cache_data(show_spinner=False, max_entries=512)
def _cached_query(name: str, url: str, version: int, filters: Filters, now: dt.date) -> Any:
    return _QUERIES[name](get_engine(url), filters, now)


def load(app_db: AppDatabase, name: str, filters: Filters, now: dt.date) -> Any:
    """A Cruscotto query, cached per database, data version, filters and day."""
    return _cached_query(name, _url(app_db), current_version(app_db), filters, now)


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


def kpi_tiles(current: queries.Kpis, previous: queries.Kpis, previous_label: str) -> None:
    share_now = current.share_accepted
    share_before = previous.share_accepted
    tiles = [
        (
            "Colloqui",
            formats.number(current.interviews),
            _delta(current.interviews, previous.interviews, 0, ""),
            "normal",
            "Colloqui con almeno un bisogno che rientra nei filtri.",
        ),
        (
            "Nuclei raggiunti",
            formats.number(current.households),
            _delta(current.households, previous.households, 0, ""),
            "normal",
            "Nuclei diversi con almeno un bisogno che rientra nei filtri.",
        ),
        (
            "Bisogni rilevati",
            formats.number(current.needs),
            _delta(current.needs, previous.needs, 0, ""),
            "off",
            "Fragilità registrate nei colloqui del periodo.",
        ),
        (
            "Segnalazioni inviate",
            formats.number(current.referrals_sent),
            _delta(current.referrals_sent, previous.referrals_sent, 0, ""),
            "normal",
            "Invii agli enti della rete con data di invio nel periodo.",
        ),
        (
            "Prese in carico",
            formats.percent(share_now),
            _delta(
                None if share_now is None else share_now * 100,
                None if share_before is None else share_before * 100,
                1,
                " punti",
            ),
            "normal",
            "Quota delle segnalazioni inviate nel periodo (escluse le annullate) che un ente ha preso in carico.",
        ),
        (
            "Giorni alla presa in carico",
            formats.number(current.median_days_to_accept, 1),
            _delta(current.median_days_to_accept, previous.median_days_to_accept, 1, " gg"),
            "inverse",
            "Mediana dei giorni tra l'invio e la presa in carico.",
        ),
    ]
    for index, (label, value, delta, colour, help_text) in enumerate(tiles):
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
    """A text starting with = + - @ would run as a formula in Excel: quote it."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def chart_block(
    figure: go.Figure | None,
    frame: pd.DataFrame,
    *,
    key: str,
    filename: str,
    columns: dict[str, str],
    empty_message: str = "Nessun dato per i filtri scelti: allargare il periodo o togliere qualche filtro.",
) -> None:
    """A chart, or a friendly message when there is nothing to draw, and its data as CSV."""
    if frame.empty or figure is None:
        st.info(empty_message, icon=":material/filter_alt_off:")
        return
    st.plotly_chart(figure, config=PLOTLY_CONFIG, theme=None, key=f"chart_{key}")
    st.download_button(
        "Scarica i dati (CSV)",
        data=to_csv(frame, columns),
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
