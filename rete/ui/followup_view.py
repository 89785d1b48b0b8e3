"""«Da seguire»: filters, the paged list of open referrals, and the answer panel of the row
the user selects (one click to select, one to record)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import streamlit as st

from rete import directory, formats, referrals
from rete.bootstrap import AppDatabase
from rete.taxonomy import Taxonomy
from rete.ui import accesslog_view, forms, links, referral_widgets, session
from rete.ui.forms import plain
from rete.workspace import followup
from rete.workspace.followup import FollowUpFilters
from rete.writes import Actor

PAGE_KEY = "fu_page"


def filters(app_db: AppDatabase, tax: Taxonomy) -> FollowUpFilters:
    partners = dict(directory.active_partners(app_db.engine))
    areas = {area.id: area.name for area in tax.areas}
    places = {id_: f"{name} ({town})" for id_, name, town in tax.neighbourhoods}
    columns = st.columns(3)
    chosen = FollowUpFilters(
        forms.choose_many(columns[0], "Ente", partners, "fu_partner"),
        forms.choose_many(columns[1], "Area", areas, "fu_area", "Tutte"),
        forms.choose_many(columns[2], "Quartiere", places, "fu_place"),
    )
    if st.session_state.get("fu_filters") != chosen:  # another choice starts from page one
        st.session_state["fu_filters"] = chosen
        st.session_state[PAGE_KEY] = 0
    return chosen


def worklist(app_db: AppDatabase, user: Actor, chosen: FollowUpFilters, today: dt.date) -> None:
    page = followup.open_referrals(
        app_db.engine, chosen, today, page=st.session_state.get(PAGE_KEY, 0)
    )
    left, right = st.columns(2)
    left.metric("Segnalazioni aperte", formats.number(page.total), border=True)
    right.metric("In ritardo", formats.number(page.overdue), border=True)
    if page.rows.empty:
        st.info("Nessuna segnalazione aperta con questi filtri.", icon=":material/done_all:")
        return
    accesslog_view.followup_seen(app_db, user, chosen, page)
    for row in page.rows.to_dict("records"):
        _card(app_db, user, row, today)
    _pager(page)


def _card(app_db: AppDatabase, user: Actor, row: dict[str, Any], today: dt.date) -> None:
    """One open referral: who, what, since when, what to do; quick answers and the panel."""
    referral_id = int(row["referral_id"])
    with st.container(border=True):
        text, actions = st.columns([3, 2], vertical_alignment="top")
        with text:
            late = bool(row["overdue"])
            st.badge(
                f"In ritardo · {row['status']}" if late else str(row["status"]).capitalize(),
                icon=":material/warning:" if late else None,
                color="red" if late else ("blue" if row["status_code"] == "accepted" else "orange"),
            )
            to = str(row["partner"]) + (f" · {row['contact']}" if row["contact"] else "")
            st.markdown(f"**{plain(to)}**")
            if row["contact_phone"] or row["contact_email"]:
                st.markdown(
                    " · ".join(links.channel_links(row["contact_phone"], row["contact_email"]))
                )
            st.markdown(
                plain(
                    f"{row['need']} ({row['area']}) · nucleo {row['household_code']}, "
                    f"{row['neighbourhood']} · da {row['days']} giorni"
                )
            )
            st.caption(plain(f"Ultima azione: {row['last_action']}. Ora: {row['next_action']}."))
        with actions:
            _quick_answers(app_db, user, row, today)
            links.household_link(int(row["household_id"]), "Scheda del nucleo")
        if st.session_state.get("fu_open") == referral_id and referral_widgets.answer_panel(
            app_db,
            user,
            referral_id,
            int(row["version"]),
            str(row["status_code"]),
            today,
            key=f"fu{referral_id}",
        ):
            st.session_state.pop("fu_open", None)
            st.rerun()


QUICK = {"sent": "accept", "accepted": "close_positive"}


def _quick_answer(
    app_db: AppDatabase,
    user: Actor,
    referral_id: int,
    key: str,
    version: int,
    partner: str,
    today: dt.date,
) -> None:
    if not session.still_signed_in(app_db.engine, user):
        return
    form = f"fu{referral_id}_"
    label = referrals.MOVES[key].label
    if forms.attempt(
        form,
        lambda: referral_widgets.record_move(
            app_db, user, referral_id, key, version, today, None, "", today
        ),
    ):
        forms.flash(f"Registrato: {label.lower()} ({partner}).")
    else:
        st.session_state["fu_open"] = referral_id  # the panel shows why, under the card


def _quick_answers(app_db: AppDatabase, user: Actor, row: dict[str, Any], today: dt.date) -> None:
    """One click for the usual answer (taken in charge; concluded well), today, no note."""
    referral_id = int(row["referral_id"])
    quick = referrals.MOVES[QUICK[str(row["status_code"])]]
    st.button(
        quick.label,
        key=f"fu_quick_{referral_id}_{quick.key}",
        icon=referral_widgets.MOVE_ICONS[quick.key],
        type="primary",
        width="stretch",
        help="Registra subito questa risposta, con la data di oggi",
        # A callback, with the move and the version the user saw: if the referral changed
        # meanwhile, the move is refused, never applied to what it has become.
        on_click=_quick_answer,
        args=(
            app_db,
            user,
            referral_id,
            quick.key,
            int(row["version"]),
            str(row["partner"]),
            today,
        ),
    )
    if st.button(
        "Altra risposta o nota…",
        key=f"fu_more_{referral_id}",
        icon=":material/edit_note:",
        width="stretch",
    ):
        st.session_state["fu_open"] = (
            None if st.session_state.get("fu_open") == referral_id else referral_id
        )
        st.rerun()


def _pager(page: followup.FollowUpPage) -> None:
    if page.pages <= 1:
        return
    left, middle, right = st.columns([1, 2, 1], vertical_alignment="center")
    if left.button(
        "Precedenti", icon=":material/chevron_left:", disabled=page.page == 0, key="fu_prev"
    ):
        st.session_state[PAGE_KEY] = page.page - 1
        st.rerun()
    middle.caption(f"Pagina {page.page + 1} di {page.pages}")
    if right.button(
        "Successive",
        icon=":material/chevron_right:",
        disabled=page.page >= page.pages - 1,
        key="fu_next",
    ):
        st.session_state[PAGE_KEY] = page.page + 1
        st.rerun()
