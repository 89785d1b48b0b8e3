"""«Registro accessi»: the audit trail for the administrator (filters mirrored in the URL, a
table paged newest first, the selected entry whole as text, the filtered entries as CSV), and
"Chi ha visto questo nucleo?" on the household card."""

from __future__ import annotations

import datetime as dt
import zlib
from collections.abc import Callable, Sequence

import pandas as pd
import streamlit as st
from sqlalchemy import Engine

from rete import access, accesslog, audit, auth, directory, formats
from rete.accesslog import LogFilters, LogOptions, LogPage, LogRow
from rete.bootstrap import AppDatabase
from rete.config import load_settings
from rete.db import get_engine
from rete.errors import PermissionDenied
from rete.filters import Filters
from rete.taxonomy import Taxonomy
from rete.ui import database, session, sidebar
from rete.validation import is_record_id
from rete.workspace.followup import FollowUpFilters, FollowUpPage
from rete.workspace.households import HouseholdSummary
from rete.workspace.interviews import InterviewFilters, InterviewPage
from rete.writes import Actor

FileMaker = Callable[[], bytes]

PAGES_KEY = "al_pages"  # the `before_id` of each page reached: the first is None
FILTERS_KEY = "al_filters"
URL_KEY = "al_url"  # the query parameters this page last wrote
REGISTRO_PAGE = "pages/registro.py"
# Query parameter -> widget key.
PARAMS = {
    "utente": "al_user",
    "azione": "al_action",
    "oggetto": "al_entity",
    "numero": "al_number",
    "dal": "al_from",
    "al": "al_to",
}


# --- Filters, in the widgets and in the URL


def _url_params() -> dict[str, str]:
    return {name: st.query_params[name] for name in PARAMS if name in st.query_params}


def _number(text: str) -> int | None:
    valid = text.isascii() and text.isdigit() and len(text) < 12 and is_record_id(int(text))
    return int(text) if valid else None


def _day(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def _seed_from_url(choices: LogOptions, today: dt.date) -> None:
    """The widgets start from what the URL says whenever it says something this page did not
    write (a link, a refresh in a new session); values that are not among the choices are
    ignored, as the URL comes from outside."""
    params = _url_params()
    if st.session_state.get(URL_KEY) == params:
        return
    users = {id_ for id_, _ in choices.users}
    actions = {code for code, _ in choices.actions}
    entities = {code for code, _ in choices.entities}
    user = _number(params.get("utente", ""))
    start, end = _day(params.get("dal", "")), _day(params.get("al", ""))
    state = st.session_state
    state["al_user"] = user if user in users else None
    state["al_action"] = params.get("azione") if params.get("azione") in actions else None
    state["al_entity"] = params.get("oggetto") if params.get("oggetto") in entities else None
    state["al_number"] = _number(params.get("numero", "")) if state["al_entity"] else None
    state["al_from"] = start if start is not None and start <= today else None
    state["al_to"] = end if end is not None and end <= today else None
    state[URL_KEY] = params


def _to_url(chosen: LogFilters) -> None:
    values = {
        "utente": chosen.user_id,
        "azione": chosen.action,
        "oggetto": chosen.entity,
        "numero": chosen.entity_id,
        "dal": chosen.start.isoformat() if chosen.start else None,
        "al": chosen.end.isoformat() if chosen.end else None,
    }
    params = {name: str(value) for name, value in values.items() if value is not None}
    for name in PARAMS:
        if name in params:
            if st.query_params.get(name) != params[name]:
                st.query_params[name] = params[name]
        elif name in st.query_params:
            del st.query_params[name]
    st.session_state[URL_KEY] = params


def filters(choices: LogOptions, today: dt.date) -> LogFilters:
    """The Registro's filters: user, action, kind and number of record, period (days in
    Rome). Another choice starts again from the newest entries."""
    _seed_from_url(choices, today)
    users = dict(choices.users)
    actions = dict(choices.actions)
    entities = dict(choices.entities)
    with st.expander("Filtri", expanded=True, icon=":material/filter_alt:"):
        top = st.columns(2)
        user = top[0].selectbox(
            "Utente",
            list(users),
            index=None,
            format_func=users.__getitem__,
            placeholder="Tutti",
            key="al_user",
        )
        action = top[1].selectbox(
            "Azione",
            list(actions),
            index=None,
            format_func=actions.__getitem__,
            placeholder="Tutte",
            key="al_action",
        )
        bottom = st.columns([3, 2, 2, 2])
        entity = bottom[0].selectbox(
            "Oggetto",
            list(entities),
            index=None,
            format_func=entities.__getitem__,
            placeholder="Tutti",
            key="al_entity",
        )
        number = bottom[1].number_input(
            "Numero",
            min_value=1,
            step=1,
            value=None,
            key="al_number",
            disabled=entity is None,
            help="Il numero del record, come nel suo indirizzo (per esempio /nucleo?nucleo=12)",
        )
        start = bottom[2].date_input(
            "Dal", value=None, max_value=today, format="DD/MM/YYYY", key="al_from"
        )
        end = bottom[3].date_input(
            "Al", value=None, max_value=today, format="DD/MM/YYYY", key="al_to"
        )
        start = start if isinstance(start, dt.date) else None
        end = end if isinstance(end, dt.date) else None
        if start is not None and end is not None and end < start:
            st.caption("La data finale precede quella iniziale: le due date sono state scambiate.")
            start, end = end, start
        st.caption("Date e ore sono quelle italiane (Europe/Rome).")
    chosen = LogFilters(
        user_id=user,
        action=action,
        entity=entity,
        entity_id=int(number) if entity is not None and number is not None else None,
        start=start,
        end=end,
    )
    _to_url(chosen)
    if st.session_state.get(FILTERS_KEY) != chosen:
        st.session_state[FILTERS_KEY] = chosen
        st.session_state[PAGES_KEY] = [None]
    return chosen


# --- The table


def _frame(found: LogPage) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "id": row.id,
                "at": row.at,
                "username": row.username,
                "role": row.role,
                "action": row.action,
                "record": row.record,
                "summary": row.summary,
            }
            for row in found.rows
        ],
        columns=["id", "at", "username", "role", "action", "record", "summary"],
    )


def entries(app_db: AppDatabase, chosen: LogFilters) -> None:
    """A page of the entries, newest first, with «Precedenti» and «Successive»; the entry the
    user selects, whole, as text."""
    reached: list[int | None] = st.session_state.setdefault(PAGES_KEY, [None])
    found = accesslog.page(app_db.engine, chosen, before_id=reached[-1])
    if not found.rows:
        if len(reached) > 1:  # the last page emptied meanwhile (a purge): back to the first
            st.session_state[PAGES_KEY] = [None]
            st.rerun()
        st.info("Nessuna voce con questi filtri.", icon=":material/filter_alt_off:")
        return
    frame = _frame(found)
    # Keyed by the page's first and last entries and the filters: when the trail grows or
    # another page is shown, a selected row number would point at another entry, so the
    # selection is dropped instead.
    listed = zlib.crc32(repr(chosen).encode())
    selection = st.dataframe(
        frame,
        hide_index=True,
        on_select="rerun",
        selection_mode="single-row",
        key=f"registro_rows_{found.rows[0].id}_{found.rows[-1].id}_{listed:x}",
        column_order=["at", "username", "role", "action", "record", "summary"],
        column_config={
            # Just wide enough for what they hold at 1440 px; the details take the rest.
            "at": st.column_config.DatetimeColumn("Quando", format="DD/MM/YYYY HH:mm", width=140),
            "username": st.column_config.TextColumn("Utente", width=105),
            "role": st.column_config.TextColumn("Ruolo", width=130),
            "action": st.column_config.TextColumn("Azione", width=205),
            "record": st.column_config.TextColumn("Oggetto", width=135),
            "summary": st.column_config.TextColumn("Dettagli", width="large"),
        },
    )
    _pager(reached, found)
    rows = selection.selection.rows if selection else []
    if rows:
        _entry(found.rows[rows[0]])


def _pager(reached: list[int | None], found: LogPage) -> None:
    number = len(reached)
    left, middle, right = st.columns([1, 2, 1], vertical_alignment="center")
    if left.button(
        "Precedenti",
        icon=":material/chevron_left:",
        disabled=number == 1,
        key="al_prev",
        help="Le voci più recenti",
    ):
        st.session_state[PAGES_KEY] = reached[:-1]
        st.rerun()
    middle.caption(
        f"Pagina {number}, dalla voce più recente. Selezionare una riga per leggerla per intero."
    )
    if right.button(
        "Successive",
        icon=":material/chevron_right:",
        disabled=found.next_before is None,
        key="al_next",
        help="Le voci meno recenti",
    ):
        st.session_state[PAGES_KEY] = [*reached, found.next_before]
        st.rerun()


def entry_text(row: LogRow) -> str:
    """An entry whole, one field per line, as the selected row shows it."""
    lines = [
        f"Quando: {formats.date(row.at.date())} {row.at:%H:%M:%S} (ora italiana), "
        f"{row.at_utc:%H:%M:%S} UTC",
        f"Utente: {row.username}",
        *([f"Ruolo: {row.role}"] if row.role else []),
        f"Azione: {row.action}",
        *([f"Oggetto: {row.record}"] if row.record else []),
        f"Dettagli: {row.summary or '—'}",
    ]
    return "\n".join(lines)


def _entry(row: LogRow) -> None:
    with st.container(border=True, key="registro_entry"):
        st.header("Voce selezionata")
        st.text(entry_text(row))  # as text: a summary is never read as Markdown


def download(app_db: AppDatabase, user: Actor, chosen: LogFilters, today: dt.date) -> None:
    """«Scarica CSV»: every entry the filters select, made when clicked and itself recorded in
    the trail (`audit_exported`)."""
    st.download_button(
        "Scarica CSV",
        data=lambda: accesslog.export_csv(app_db.engine, user, chosen),
        file_name=accesslog.csv_file_name(today),
        mime="text/csv",
        icon=":material/download:",
        key="al_csv",
        help="Tutte le voci scelte dai filtri, non solo questa pagina. Lo scaricamento è "
        "registrato a sua volta nel registro.",
    )


# --- On the household card


def who_saw(app_db: AppDatabase, user: Actor, household_id: int) -> None:
    """«Chi ha visto questo nucleo?»: who opened the card, listed it or changed it, in which
    role and when, newest first; the rest in the Registro accessi (administrator)."""
    if not access.may_see_who_saw(user.role):
        return
    with st.expander("Chi ha visto questo nucleo?", icon=":material/visibility:"):
        found = accesslog.who_saw(app_db.engine, user, household_id)
        if not found.rows:
            st.caption("Nessuno finora.")
            return
        st.text(
            "\n".join(
                f"{formats.date(row.at.date())} {row.at:%H:%M} · {row.username}"
                + (f" ({row.role})" if row.role else "")
                + f" · {row.action}"
                for row in found.rows
            )
        )
        shown = f"Le ultime {len(found.rows)} voci, dalla più recente, in ora italiana."
        if found.more:
            shown += " Le altre sono nel Registro accessi, filtrando per questo nucleo."
        st.caption(shown)
        if access.may_open(user.role, "registro"):
            st.page_link(
                REGISTRO_PAGE,
                label="Tutte le voci nel Registro accessi",
                icon=":material/history:",
                query_params={"oggetto": "household", "numero": str(household_id)},
            )
        elif found.more:
            st.caption("Il Registro accessi è consultabile dall'amministratore.")


# --- Lists of personal data, recorded when seen (`audit.record_list_view`: once per user,
# list and filters every few minutes, so a rerun does not flood the trail). An empty list
# showed nothing and records nothing.


def interviews_seen(
    app_db: AppDatabase,
    user: Actor,
    tax: Taxonomy,
    chosen: InterviewFilters,
    found: InterviewPage,
) -> None:
    """«Colloqui» seen: its filters and page; filtered by a household's code, that household."""
    if found.rows.empty:
        return
    household = int(found.rows["household_id"].iloc[0]) if chosen.household_code.strip() else None
    audit.record_list_view(
        app_db.engine,
        user,
        "interviews_listed",
        accesslog.interviews_summary(chosen, tax, found.page),
        entity=None if household is None else "household",
        entity_id=household,
    )


def deleted_interviews_seen(app_db: AppDatabase, user: Actor, found: InterviewPage) -> None:
    """The administrator's list of deleted interviews seen: its page."""
    if not found.rows.empty:
        audit.record_list_view(
            app_db.engine, user, "deleted_interviews_listed", f"pagina {found.page + 1}"
        )


def followup_seen(
    app_db: AppDatabase, user: Actor, chosen: FollowUpFilters, found: FollowUpPage
) -> None:
    """«Da seguire» seen: its filters and page."""
    if found.rows.empty:
        return
    partners = dict(directory.active_partners(app_db.engine)) if chosen.partner_ids else {}
    summary = accesslog.followup_summary(chosen, database.taxonomy(app_db), partners, found.page)
    audit.record_list_view(app_db.engine, user, "followup_listed", summary)


def households_seen(
    app_db: AppDatabase, user: Actor, where: str, matches: Sequence[HouseholdSummary]
) -> None:
    """A type-ahead's households seen (codes and neighbourhoods), `where` being one of
    `accesslog.SEARCH_PLACES`; one household alone is named as the record."""
    if not matches:
        return
    one = matches[0].id if len(matches) == 1 else None
    audit.record_list_view(
        app_db.engine,
        user,
        "households_searched",
        accesslog.search_summary(where),
        entity=None if one is None else "household",
        entity_id=one,
    )


# --- Exports: a download button's file made on the click, and recorded then


def recorded(
    make: FileMaker, engine: Engine, user: Actor, action: str, summary: str, entity: str
) -> FileMaker:
    """`make` for a download button's `data`: Streamlit calls it when the user clicks (a
    deferred download), so the file is made only then, and the export is recorded in the
    trail (who, which file, which filters) once it is made, as the meeting's files are.
    Everything it needs is taken now, on the run that draws the button: the click's call runs
    outside the script, without its session state."""

    token = session.drawn_token()

    def file() -> bytes:
        if token is not None and not session.signed_in(engine, user, token):
            raise PermissionDenied("Sessione scaduta: accedere di nuovo a Rete per scaricare.")
        content = make()
        audit.record_export(engine, user, action, summary, entity=entity)
        return content

    return file


def dashboard_file(make: FileMaker, filename: str) -> FileMaker:
    """A Cruscotto chart's CSV (`rete.downloads`), recorded as `dashboard_exported` with the
    file's name and the sidebar's filters, for the user of this run."""
    user = st.session_state.get(session.USER_KEY)
    filters = st.session_state.get(sidebar.LAST_FILTERS_KEY)
    if not isinstance(user, auth.CurrentUser) or not isinstance(filters, Filters):
        raise PermissionDenied("Scaricamento non disponibile: accedere di nuovo a Rete.")
    engine = get_engine(load_settings().database_url)
    summary = accesslog.dashboard_summary(filename, filters)
    return recorded(make, engine, user, "dashboard_exported", summary, "dashboard")
