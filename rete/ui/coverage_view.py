"""«Copertura della rete»: the needs recorded against the partners able to take them, the
network's gaps by neighbourhood and area, the partners never used, those to re-check.

The numbers are `rete.directory.coverage`'s, cached like the Cruscotto's (database, data
version, period, day); the gaps chart is `charts.network_gaps_bar`, which the meeting deck
reuses.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import streamlit as st

from rete import charts, formats
from rete.bootstrap import AppDatabase
from rete.db import get_engine
from rete.directory import coverage as network
from rete.taxonomy import Taxonomy
from rete.ui import dashboard, directory_view
from rete.ui.database import current_version, engine_url


@st.cache_data(show_spinner=False, max_entries=32)
def _section(url: str, version: int, start: int, end: int, today: dt.date) -> Any:
    return network.coverage_section(get_engine(url), start, end, today)


def _counts(frame: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    """The columns to show, renamed in Italian, numbers written the Italian way."""
    shown = frame[list(columns)].rename(columns=columns)
    for column in shown.columns:
        if pd.api.types.is_integer_dtype(shown[column]):
            shown[column] = [formats.number(value) for value in shown[column]]
    return shown


def _table(frame: pd.DataFrame, columns: dict[str, str]) -> None:
    st.dataframe(_counts(frame, columns), hide_index=True, width="stretch")


def coverage(app_db: AppDatabase, tax: Taxonomy, today: dt.date) -> None:
    with st.columns([1, 2])[0]:
        period, start, end = directory_view.record_period(today, key="cov_period", label="Periodo")
    data: network.Coverage = _section(
        engine_url(app_db), current_version(app_db), start, end, today
    )

    st.header("Bisogni ed enti che li coprono", anchor="copertura")
    st.caption(
        f"{period[:1].upper()}{period[1:]}: i bisogni rilevati e gli enti attivi che li coprono, "
        "per tutta l'area o almeno per uno dei suoi bisogni specifici."
    )
    _table(
        data.by_area,
        {
            "area": "Area",
            "needs": "Bisogni rilevati",
            "partners_area": "Enti per tutta l'area",
            "partners_any": "Enti per almeno un bisogno",
        },
    )
    with st.expander("Per bisogno specifico"):
        _table(
            data.by_need,
            {
                "area": "Area",
                "need": "Bisogno specifico",
                "needs": "Bisogni rilevati",
                "partners": "Enti che lo coprono",
            },
        )

    st.header("Buchi della rete", anchor="buchi")
    st.caption(
        "Bisogni rilevati in un quartiere per cui nessun ente attivo copre quel bisogno (o la "
        "sua area intera) e serve quel quartiere (o il suo comune intero): «Chi può aiutare?» "
        "non proporrebbe nessuno."
    )
    figure = charts.network_gaps_bar(
        data.gaps,
        f"Bisogni senza un ente che li prenda · {dashboard.short_range(start, end)}",
        tax.area_colours(),
        tax.area_order(),
        presenting=dashboard.presenting(),
    )
    if data.gap_needs.empty:
        st.success(
            "Nessun buco: ogni bisogno rilevato nel periodo ha almeno un ente che lo prende.",
            icon=":material/task_alt:",
        )
    else:
        st.plotly_chart(figure, config=dashboard.PLOTLY_CONFIG, theme=None, key="coverage_gaps")
        with st.expander("Quali bisogni, dove"):
            gaps = data.gap_needs.assign(
                place=[
                    f"{n} ({m})"
                    for n, m in zip(
                        data.gap_needs["neighbourhood"], data.gap_needs["municipality"], strict=True
                    )
                ]
            )
            _table(
                gaps,
                {
                    "place": "Quartiere",
                    "area": "Area",
                    "need": "Bisogno specifico",
                    "needs": "Bisogni",
                },
            )

    st.header("Enti mai usati nel periodo", anchor="mai-usati")
    if data.unused.empty:
        st.caption("Ogni ente attivo ha ricevuto almeno una segnalazione nel periodo.")
    else:
        _table(data.unused, {"name": "Ente", "kind": "Tipo", "municipality": "Comune"})

    st.header("Da ricontrollare", anchor="da-ricontrollare")
    if data.to_recheck.empty:
        st.caption("Ogni ente attivo è stato verificato di recente.")
    else:
        recheck = data.to_recheck.assign(
            verified=[
                "mai" if pd.isna(day) else formats.date(day)
                for day in data.to_recheck["last_verified_on"]
            ]
        )
        _table(
            recheck,
            {
                "name": "Ente",
                "kind": "Tipo",
                "municipality": "Comune",
                "verified": "Ultima verifica",
            },
        )
