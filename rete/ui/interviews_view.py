"""«Colloqui»: the list (filters, newest first, paged) and the correction of one interview,
with its deletion (after a confirmation) and, for the administrator, the deleted ones."""

from __future__ import annotations

import datetime as dt
import zlib

import streamlit as st

from rete import access, audit, records
from rete.bootstrap import AppDatabase
from rete.db import session_scope
from rete.taxonomy import Taxonomy
from rete.ui import forms, interview_form, links
from rete.workspace import interviews
from rete.workspace.interviews import InterviewDraft, InterviewFilters, InterviewPage
from rete.writes import Actor

PAGE_KEY = "iv_page"
EDIT_FIELDS = {"held_on", "channel", "needs", "notes"}


def filters(tax: Taxonomy, today: dt.date) -> InterviewFilters:
    places = {id_: f"{name} ({town})" for id_, name, town in tax.neighbourhoods}
    areas = {area.id: area.name for area in tax.areas}
    channels = dict(tax.channels)
    with st.expander("Filtri", expanded=True, icon=":material/filter_alt:"):
        top = st.columns([2, 2, 3])
        start = top[0].date_input(
            "Dal", value=None, max_value=today, format="DD/MM/YYYY", key="iv_from"
        )
        end = top[1].date_input("Al", value=None, max_value=today, format="DD/MM/YYYY", key="iv_to")
        code = top[2].text_input(
            "Codice del nucleo", key="iv_code", max_chars=40, placeholder="il codice intero"
        )
        bottom = st.columns(3)
        chosen_places = forms.choose_many(bottom[0], "Quartiere", places, "iv_place")
        chosen_areas = forms.choose_many(bottom[1], "Area", areas, "iv_area", "Tutte")
        chosen_channels = forms.choose_many(bottom[2], "Canale", channels, "iv_channel")
        open_only = st.toggle("Solo colloqui con bisogni ancora aperti", key="iv_open")
    chosen = InterviewFilters(
        start=start if isinstance(start, dt.date) else None,
        end=end if isinstance(end, dt.date) else None,
        neighbourhood_ids=tuple(chosen_places),
        area_ids=tuple(chosen_areas),
        channel_codes=tuple(chosen_channels),
        household_code=code,
        open_only=bool(open_only),
    )
    if st.session_state.get("iv_filters") != chosen:
        st.session_state["iv_filters"] = chosen
        st.session_state[PAGE_KEY] = 0
    return chosen


def table(
    page: InterviewPage, key: str, empty: str = "Nessun colloquio con questi filtri."
) -> int | None:
    """The page as a table; the id of the interview the user selected, if any.

    A selection is a row number: the table's key names the interviews it lists, so when they
    change (a filter, a deletion, a date corrected) the selection is dropped instead of
    silently pointing at whichever interview took that row.
    """
    if page.rows.empty:
        st.info(empty, icon=":material/filter_alt_off:")
        return None
    listed = zlib.crc32(",".join(map(str, page.rows["interview_id"])).encode())
    selection = st.dataframe(
        page.rows,
        hide_index=True,
        on_select="rerun",
        selection_mode="single-row",
        key=f"{key}_rows_{page.page}_{listed:x}",
        column_order=[
            "held_on",
            "household_code",
            "neighbourhood",
            "channel",
            "needs",
            *(["deleted_on"] if page.rows["deleted_on"].notna().any() else []),
        ],
        column_config={
            "held_on": st.column_config.DateColumn("Data", format="DD/MM/YYYY"),
            "household_code": st.column_config.TextColumn("Nucleo"),
            "neighbourhood": st.column_config.TextColumn("Quartiere"),
            "channel": st.column_config.TextColumn("Canale"),
            "needs": st.column_config.TextColumn("Bisogni (stato)", width="large"),
            "deleted_on": st.column_config.DateColumn("Eliminato il", format="DD/MM/YYYY"),
        },
    )
    pager(page, key)
    rows = selection.selection.rows if selection else []
    return int(page.rows.iloc[rows[0]]["interview_id"]) if rows else None


def pager(page: InterviewPage, key: str) -> None:
    if page.page == 0 and not page.has_next:
        return
    state = f"{key}_page"
    left, middle, right = st.columns([1, 2, 1], vertical_alignment="center")
    if left.button(
        "Più recenti", icon=":material/chevron_left:", disabled=page.page == 0, key=f"{key}_prev"
    ):
        st.session_state[state] = page.page - 1
        st.rerun()
    middle.caption(f"Pagina {page.page + 1}")
    if right.button(
        "Meno recenti",
        icon=":material/chevron_right:",
        disabled=not page.has_next,
        key=f"{key}_next",
    ):
        st.session_state[state] = page.page + 1
        st.rerun()


def editor(
    app_db: AppDatabase, user: Actor, tax: Taxonomy, interview_id: int, today: dt.date
) -> None:
    """Correct one interview; delete it after a confirmation; restore it (administrator)."""
    draft = interviews.interview_draft(app_db.engine, user, interview_id)
    # Its notes and household: a reading of personal data, in the access log.
    audit.record_access(app_db.engine, user, "interview_viewed", "interview", draft.id)
    prefix = f"ed{draft.id}_"
    version = forms.opened_version(prefix, draft.version)
    with st.container(border=True):
        st.header(f"Colloquio del nucleo {forms.plain(draft.household_code)}")
        links.household_link(draft.household_id, "Apri la scheda del nucleo")
        if draft.deleted:
            _restore(app_db, user, draft)
            return
        if f"{prefix}notes" not in st.session_state:
            st.session_state[f"{prefix}notes"] = draft.notes
        held_on, channel, _ = interview_form.interview_fields(
            tax, prefix, today, draft.held_on, draft.channel_code
        )
        st.markdown("**Bisogni**")
        needs = interview_form.need_rows(prefix, tax, draft.needs, draft.referred_need_ids)
        forms.field_error(prefix, "needs")
        notes = interview_form.notes_field(prefix, prefix)
        forms.form_error(prefix)
        save, delete = st.columns([1, 1])
        if save.button(
            "Salva le correzioni", type="primary", icon=":material/save:", key=f"{prefix}save"
        ):

            def correct() -> bool:
                with session_scope(app_db.engine) as session:
                    records.edit_interview(
                        session,
                        user,
                        draft.id,
                        version=version,
                        held_on=held_on,
                        channel_code=channel,
                        needs=interview_form.filled(needs),
                        notes=notes,
                        today=today,
                    )
                return True

            if forms.attempt(prefix, correct, EDIT_FIELDS):
                forms.forget(prefix)
                forms.flash("Correzioni salvate. Il Cruscotto le conta già.")
                # A corrected date may move it to another row: keep it open by its address.
                st.query_params["colloquio"] = str(draft.id)
            st.rerun()
        forms.changed_meanwhile(prefix, version, draft.version, "questo colloquio")
        with delete.popover("Elimina il colloquio", icon=":material/delete:"):
            st.write(
                "Il colloquio, i suoi bisogni e le loro segnalazioni spariranno da liste e "
                "Cruscotto. Un amministratore può ripristinarlo."
            )
            if st.button("Sì, elimina", type="primary", key=f"{prefix}delete"):
                with session_scope(app_db.engine) as session:
                    records.soft_delete_interview(session, user, draft.id)
                forms.forget(prefix)
                forms.flash("Colloquio eliminato.")
                st.query_params.pop("colloquio", None)
                st.rerun()


def _restore(app_db: AppDatabase, user: Actor, draft: InterviewDraft) -> None:
    st.warning("Questo colloquio è stato eliminato.", icon=":material/delete:")
    if not access.may_see_deleted(getattr(user, "role", "")):
        return
    if st.button(
        "Ripristina il colloquio", type="primary", icon=":material/restore:", key=f"rs{draft.id}"
    ):
        with session_scope(app_db.engine) as session:
            records.restore_interview(session, user, draft.id)
        forms.flash("Colloquio ripristinato.")
        st.query_params["colloquio"] = str(draft.id)
        st.rerun()
