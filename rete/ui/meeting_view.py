"""The «Riunione» page: prepare the meeting (period, territory, slides to leave out, files),
then present it full screen, one slide at a time.

Everything the page shows is the deck of `rete.meeting.build`, already aggregate and
suppressed; the page never queries a record. The meeting's choices live in the URL (period,
territory, hidden slides, the slide shown, presenting or not), so a refresh or a shared link
opens the same slide.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import streamlit as st

from rete import access, auth
from rete.bootstrap import AppDatabase
from rete.db import get_engine
from rete.errors import PermissionDenied
from rete.filters import (
    PRESET_LABELS,
    PRESET_LAST_12,
    Filters,
    default_filters,
    month_add,
    month_code,
    month_label,
    month_of,
    period_bounds,
)
from rete.meeting import build, files, settings
from rete.meeting.model import Deck, Slide
from rete.taxonomy import Taxonomy
from rete.ui import forms, session
from rete.ui.database import current_version, engine_url

# URL keys
PERIOD, TOWN, PLACES, HIDDEN, SLIDE, PRESENTING = (
    "periodo",
    "comune",
    "quartiere",
    "nascoste",
    "slide",
    "presenta",
)
ALL, ONE_TOWN, SOME_PLACES = "tutta", "comune", "quartieri"
TERRITORY_LABELS = {ALL: "Tutta la rete", ONE_TOWN: "Un comune", SOME_PLACES: "Alcuni quartieri"}
RANGE = "mesi"
MONTHS_OFFERED = 48
SETTINGS_FORM = "mt_settings"


@dataclass(frozen=True)
class Choice:
    """What the meeting shows: the deck's filters, the slides left out, the slide on screen
    (1-based, among the slides shown) and whether the page is presenting."""

    filters: Filters
    hidden: tuple[str, ...]
    slide: int
    presenting: bool


# --- The choice, from the URL


def _param(key: str) -> str | None:
    value = st.query_params.get(key)
    return value if isinstance(value, str) else None


def _filters_from_url(tax: Taxonomy, now: dt.date) -> Filters:
    default = default_filters(now)
    spec = _param(PERIOD) or PRESET_LAST_12
    bounds = period_bounds(spec, now)
    if bounds is None:
        spec, bounds = default.period, (default.start, default.end)
    filters = Filters(spec, *bounds)
    known_places = {pid: town for pid, _, town in tax.neighbourhoods}
    chosen = tuple(
        sorted(
            int(v)
            for v in st.query_params.get_all(PLACES)
            if v.isdigit() and int(v) in known_places
        )
    )
    if chosen:
        return replace(filters, neighbourhood_ids=chosen)
    town = _param(TOWN)
    if town and town in tax.municipalities():
        return replace(filters, municipalities=(town,))
    return filters


def choice_from_url(tax: Taxonomy, now: dt.date) -> Choice:
    hidden = tuple(key for key in (_param(HIDDEN) or "").split(",") if key in build.SLIDE_TITLES)
    slide = _param(SLIDE) or "1"
    return Choice(
        filters=_filters_from_url(tax, now),
        hidden=hidden,
        slide=int(slide) if slide.isdigit() and int(slide) > 0 else 1,
        presenting=_param(PRESENTING) == "1",
    )


def _to_url(choice: Choice) -> None:
    """The choice in the address bar (only what differs from the defaults)."""
    params: dict[str, Any] = {PERIOD: choice.filters.period}
    if choice.filters.neighbourhood_ids:
        params[PLACES] = [str(p) for p in choice.filters.neighbourhood_ids]
    elif choice.filters.municipalities:
        params[TOWN] = choice.filters.municipalities[0]
    if choice.hidden:
        params[HIDDEN] = ",".join(choice.hidden)
    if choice.presenting:
        params[PRESENTING] = "1"
        params[SLIDE] = str(choice.slide)
    st.query_params.from_dict(params)


# --- The deck, cached like the Cruscotto's numbers


@st.cache_data(show_spinner=False, max_entries=32)
def _cached_deck(url: str, version: int, filters: Filters, today: dt.date) -> Deck:
    return build.meeting_deck(get_engine(url), filters, today)


def deck(app_db: AppDatabase, filters: Filters, today: dt.date) -> Deck:
    """The deck for the filters: aggregate figures only, so one cache serves every user."""
    return _cached_deck(engine_url(app_db), current_version(app_db), filters, today)


# --- Preparing


def _months(now: dt.date) -> list[int]:
    current = month_of(now)
    return [month_add(current, -k) for k in range(MONTHS_OFFERED)]


def _period_widgets(choice: Choice, now: dt.date) -> str:
    spec = choice.filters.period
    kinds = {**PRESET_LABELS, RANGE: "Scegli i mesi"}
    state = st.session_state
    if "mt_kind" not in state:
        state["mt_kind"] = spec if spec in PRESET_LABELS else RANGE
        state["mt_from"], state["mt_to"] = choice.filters.start, choice.filters.end
    kind = st.selectbox("Periodo", list(kinds), format_func=kinds.__getitem__, key="mt_kind")
    if kind != RANGE:
        return str(kind)
    months = _months(now)
    for key, fallback in (("mt_from", months[12]), ("mt_to", months[1])):
        if state.get(key) not in months:
            state[key] = fallback
    left, right = st.columns(2)
    first = left.selectbox("Dal mese", months, format_func=month_label, key="mt_from")
    last = right.selectbox("Al mese (compreso)", months, format_func=month_label, key="mt_to")
    if last < first:
        st.caption("Il mese finale precede quello iniziale: i due mesi sono stati scambiati.")
        first, last = last, first
    return f"{month_code(first)}:{month_code(last)}"


def _territory_widgets(choice: Choice, tax: Taxonomy) -> tuple[tuple[str, ...], tuple[int, ...]]:
    state = st.session_state
    towns = tax.municipalities()
    if "mt_territory" not in state:
        state["mt_territory"] = (
            SOME_PLACES
            if choice.filters.neighbourhood_ids
            else ONE_TOWN
            if choice.filters.municipalities
            else ALL
        )
        state["mt_town"] = (choice.filters.municipalities or (towns[0] if towns else "",))[0]
        state["mt_places"] = list(choice.filters.neighbourhood_ids)
    kind = st.radio(
        "Territorio",
        list(TERRITORY_LABELS),
        format_func=TERRITORY_LABELS.__getitem__,
        key="mt_territory",
        horizontal=True,
    )
    if kind == ONE_TOWN and towns:
        if state.get("mt_town") not in towns:
            state["mt_town"] = towns[0]
        return (str(st.selectbox("Comune", towns, key="mt_town")),), ()
    if kind == SOME_PLACES:
        names = {pid: f"{name} · {town}" for pid, name, town in tax.neighbourhoods}
        if not state.get("mt_places"):
            st.caption("Nessun quartiere scelto: finché non se ne sceglie uno, tutta la rete.")
        state["mt_places"] = [p for p in state.get("mt_places", []) if p in names]
        chosen = st.multiselect(
            "Quartieri",
            list(names),
            format_func=names.__getitem__,
            key="mt_places",
            placeholder="Scegliere uno o più quartieri",
        )
        return (), tuple(sorted(chosen))
    return (), ()


def choose(choice: Choice, tax: Taxonomy, now: dt.date) -> Choice:
    """The period and territory widgets; the URL follows them."""
    left, right = st.columns([1, 1])
    with left:
        spec = _period_widgets(choice, now)
    with right:
        towns, places = _territory_widgets(choice, tax)
    bounds = period_bounds(spec, now) or (choice.filters.start, choice.filters.end)
    filters = Filters(spec, *bounds, municipalities=towns, neighbourhood_ids=places)
    chosen = replace(choice, filters=filters)
    _to_url(chosen)
    return chosen


def slide_list(deck: Deck, choice: Choice) -> Choice:
    """A switch per slide: the presenter leaves out what this meeting does not need."""
    st.subheader("Slide della riunione")
    st.caption(
        "Togliere il segno alle slide da non mostrare in questa riunione: non compaiono nella "
        "presentazione né nei file."
    )
    hidden = []
    columns = st.columns(2)
    half = (len(deck.slides) + 1) // 2
    for number, slide in enumerate(deck.slides, start=1):
        shown = columns[(number - 1) // half].checkbox(
            f"{number}. {build.SLIDE_TITLES.get(slide.key, slide.title)}",
            value=slide.key not in choice.hidden,
            key=f"mt_show_{slide.key}",
        )
        if not shown:
            hidden.append(slide.key)
    chosen = replace(choice, hidden=tuple(hidden))
    _to_url(chosen)
    return chosen


def start_presenting(choice: Choice) -> None:
    _to_url(replace(choice, presenting=True, slide=1))


def downloads(app_db: AppDatabase, user: auth.CurrentUser, deck: Deck, choice: Choice) -> None:
    """One button per file; each file is made, and recorded in the audit trail, on the click."""
    st.subheader("Scarica")
    st.caption(
        "Gli stessi contenuti delle slide mostrate, con le stesse soglie di riservatezza. "
        "Ogni file scaricato è registrato nel registro accessi."
    )
    columns = st.columns(len(files.FORMATS))
    token = session.drawn_token()  # checked again on the click, which runs outside the script
    for column, (key, file_format) in zip(columns, files.FORMATS.items(), strict=True):

        def make(key: str = key) -> bytes:
            if token is not None and not session.signed_in(app_db.engine, user, token):
                raise PermissionDenied("Sessione scaduta: accedere di nuovo a Rete per scaricare.")
            return files.export(app_db.engine, user, deck, key, choice.hidden)

        column.download_button(
            file_format.label,
            data=make,
            file_name=files.file_name(choice.filters.start, choice.filters.end, key),
            mime=file_format.mime,
            icon=":material/download:",
            key=f"mt_file_{key}",
            width="stretch",
        )


def settings_form(app_db: AppDatabase, user: auth.CurrentUser) -> None:
    """The network's name and the coordination's contacts, for direzione and admin."""
    if not access.may_prepare_meeting(user.role):
        return
    seen_key = f"{SETTINGS_FORM}__seen"
    current = settings.read(app_db.engine)
    state = st.session_state
    if seen_key not in state:
        state[seen_key] = current
        state[f"{SETTINGS_FORM}_network"] = current.network
        state[f"{SETTINGS_FORM}_contacts"] = current.contacts_text
    with (
        st.expander("Titolo e contatti della riunione", icon=":material/edit:"),
        st.form(SETTINGS_FORM, border=False),
    ):
        st.text_input(
            "Nome della rete (titolo della prima slide)",
            key=f"{SETTINGS_FORM}_network",
            max_chars=settings.NAME_MAX,
        )
        forms.field_error(SETTINGS_FORM, "network")
        st.text_area(
            "Contatti del coordinamento (ultima slide, una riga per contatto)",
            key=f"{SETTINGS_FORM}_contacts",
            max_chars=settings.CONTACTS_MAX,
            help="Per esempio: chi coordina la rete, un telefono, un indirizzo e-mail.",
        )
        forms.field_error(SETTINGS_FORM, "contacts")
        forms.form_error(SETTINGS_FORM)
        saved = st.form_submit_button("Salva", icon=":material/save:")
    if saved:
        _save_settings(app_db, user)


def _save_settings(app_db: AppDatabase, user: auth.CurrentUser) -> None:
    from rete.db import session_scope

    state = st.session_state

    def save() -> bool:
        with session_scope(app_db.engine) as session:
            settings.save(
                session,
                user,
                str(state[f"{SETTINGS_FORM}_network"]),
                str(state[f"{SETTINGS_FORM}_contacts"]),
                state[f"{SETTINGS_FORM}__seen"],
            )
        return True

    if forms.attempt(SETTINGS_FORM, save, {"network", "contacts"}):
        del state[f"{SETTINGS_FORM}__seen"]
        forms.flash("Titolo e contatti della riunione salvati.")
    st.rerun()  # refused too: the form was drawn before the save, its messages go there now


# --- Presenting

SLIDE_HEIGHT = 800  # px: the slide area of a 1920×1080 projector, the controls below it
PRESENTING_CSS = """
<style>
section[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
header[data-testid="stHeader"] { display: none !important; }
[data-testid="stMainBlockContainer"] {
  padding: 0.75rem 2.5rem 0.5rem 2.5rem !important; max-width: 100% !important;
}
.st-key-mt_slide h1 { font-size: 52px !important; line-height: 1.15 !important; padding: 0 0 .15em 0 !important; }
.st-key-mt_slide h3 { font-size: 32px !important; line-height: 1.25 !important; }
.st-key-mt_slide [data-testid="stMarkdownContainer"] p { font-size: 30px !important; }
.st-key-mt_slide [data-testid="stCaptionContainer"] p { font-size: 24px !important; margin-bottom: 0 !important; }
.st-key-mt_cover h1 { font-size: 64px !important; padding-top: 1.5em !important; }
.st-key-mt_cover [data-testid="stMarkdownContainer"] p { font-size: 36px !important; }
.st-key-mt_slide [data-testid="stMetricValue"] p, .st-key-mt_slide [data-testid="stMetricValue"] div {
  font-size: 64px !important; line-height: 1.2 !important;
}
.st-key-mt_slide [data-testid="stMetricLabel"] * { font-size: 28px !important; }
.st-key-mt_slide [data-testid="stMetricDelta"] * { font-size: 28px !important; }
.st-key-mt_nav button, .st-key-mt_nav button * { font-size: 24px !important; }
.st-key-mt_nav [data-testid="stSelectbox"] * { font-size: 24px !important; }
[data-testid="stAlertContainer"] p, [data-testid="stAlertContainer"] strong,
[data-testid="stAlert"] p, [data-testid="stAlert"] strong { font-size: 24px !important; }
.st-key-mt_nav kbd { display: none !important; }
</style>
"""


def _go(choice: Choice, slide: int) -> Callable[[], None]:
    def move() -> None:
        _to_url(replace(choice, slide=slide))

    return move


def _hide(choice: Choice, key: str, count: int) -> Callable[[], None]:
    def hide() -> None:
        hidden = (*choice.hidden, key)
        # the next slide takes this one's number; past the end, the last one
        _to_url(replace(choice, hidden=hidden, slide=max(1, min(choice.slide, count - 1))))
        st.session_state[f"mt_show_{key}"] = False

    return hide


def _stop_presenting(choice: Choice) -> Callable[[], None]:
    def stop() -> None:
        _to_url(replace(choice, presenting=False, slide=1))

    return stop


def present(shown: Deck, choice: Choice, draw: Callable[[Slide], None]) -> None:
    """Full screen, one slide: its title, headline and chart (`draw`), then the controls."""
    st.html(PRESENTING_CSS)
    if not shown.slides:
        st.info("Tutte le slide sono nascoste: tornare alla preparazione e sceglierne alcune.")
        st.button("Torna alla preparazione", on_click=_stop_presenting(choice))
        return
    count = len(shown.slides)
    number = min(choice.slide, count)
    slide = shown.slides[number - 1]
    with st.container(height=SLIDE_HEIGHT, border=False, key="mt_slide"):
        draw(slide)
    nav = st.container(key="mt_nav")
    back, index, forward, hide, leave = nav.columns([2, 4, 2, 2, 2], vertical_alignment="center")
    back.button(
        "Precedente",
        icon=":material/arrow_back:",
        disabled=number == 1,
        on_click=_go(choice, number - 1),
        shortcut="Left",
        key="mt_back",
        width="stretch",
    )
    titles = [
        f"{n} / {count} · {build.SLIDE_TITLES.get(s.key, s.title)}"
        for n, s in enumerate(shown.slides, start=1)
    ]
    st.session_state["mt_index"] = titles[number - 1]
    index.selectbox(
        "Vai alla slide",
        titles,
        key="mt_index",
        label_visibility="collapsed",
        on_change=lambda: _to_url(
            replace(choice, slide=titles.index(st.session_state["mt_index"]) + 1)
        ),
    )
    forward.button(
        "Successiva",
        icon=":material/arrow_forward:",
        disabled=number == count,
        on_click=_go(choice, number + 1),
        shortcut="Right",
        key="mt_forward",
        width="stretch",
    )
    hide.button(
        "Nascondi",
        icon=":material/visibility_off:",
        help="Toglie questa slide dalla riunione (si rimette dalla preparazione).",
        on_click=_hide(choice, slide.key, count),
        key="mt_hide",
        width="stretch",
    )
    leave.button(
        "Esci",
        icon=":material/close:",
        help="Torna alla preparazione della riunione.",
        on_click=_stop_presenting(choice),
        shortcut="Esc",
        key="mt_leave",
        width="stretch",
    )


# --- One slide on screen

CHART_HEIGHT = 580  # px: the chart under a slide's title and headline, within SLIDE_HEIGHT
PLOTLY_CONFIG = {"displayModeBar": False, "displaylogo": False}


def draw_slide(slide: Slide, *, height: int = CHART_HEIGHT) -> None:
    """A slide: title, the headline computed from the data, then its chart, tiles or lines,
    and what was hidden. Every text is shown as text (names of partners are typed by people)."""
    from rete.meeting.figures import slide_figure

    if slide.key in ("titolo", "contatti"):  # the title and closing slides
        with st.container(key="mt_cover"):
            st.title(forms.plain(slide.title), anchor=False)
            st.subheader(forms.plain(slide.headline), anchor=False)
            for line in slide.lines:
                st.markdown(forms.plain(line))
        return
    st.title(forms.plain(slide.title), anchor=False)
    st.subheader(forms.plain(slide.headline), anchor=False)
    if slide.chart is not None:
        figure = slide_figure(slide, height=height)
        if figure is not None:
            st.plotly_chart(figure, config=PLOTLY_CONFIG, theme=None, key=f"mt_chart_{slide.key}")
    for start in range(0, len(slide.tiles), 3):
        for column, tile in zip(st.columns(3), slide.tiles[start : start + 3], strict=False):
            signed = bool(tile.change) and str(tile.change)[:1] in "+-"
            column.metric(
                tile.label,
                tile.value,
                delta=tile.change,
                delta_color="normal" if signed else "off",
                delta_arrow="auto" if signed else "off",
                help=tile.definition,
                border=True,
            )
    if slide.footnote:
        st.caption(forms.plain(slide.footnote))
