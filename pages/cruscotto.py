"""Cruscotto: the needs found by the Ufficio Mobile and the Community Manager, and where they went."""

import streamlit as st

from rete import charts, downloads
from rete.ui import dashboard, database, session, sidebar

user = session.require_page("cruscotto")
app_db = database.app_database()
tax = database.taxonomy(app_db)
now = database.today()
filters = sidebar.chosen_filters(tax, now)
period = sidebar.describe_period(filters)

st.title("Cruscotto")
st.caption(f"Bisogni rilevati e segnalazioni alla rete · {period}")
note = dashboard.current_month_note(filters, now)
if note:
    st.caption(f":material/schedule: {note}")

data = dashboard.cruscotto_data(app_db, filters, now)
dashboard.kpi_tiles(data, filters, now)
dashboard.early_warnings(app_db, user.role, tax, now)

st.header("Bisogni per area")
dashboard.chart_block(
    data.by_area,
    charts.needs_by_area_bar,
    f"Bisogni rilevati per area · {period}",
    key="area",
    filename="bisogni_per_area.csv",
    csv=lambda: downloads.needs_by_area(data.by_area),
)

st.header("Bisogni per quartiere")
dashboard.chart_block(
    data.by_neighbourhood,
    charts.neighbourhood_area_stacked,
    f"Bisogni per quartiere e area · {period}",
    tax.area_colours(),
    tax.area_order(),
    key="neighbourhood",
    filename="bisogni_per_quartiere.csv",
    csv=lambda: downloads.needs_by_neighbourhood(app_db.engine, filters),
)

st.header("Quartieri e bisogni specifici")
dashboard.chart_block(
    data.heatmap,
    charts.neighbourhood_need_heatmap,
    f"Bisogni specifici per quartiere · {period}",
    key="heatmap",
    filename="quartieri_bisogni_specifici.csv",
    csv=lambda: downloads.needs_by_neighbourhood_need(app_db.engine, filters),
)

st.header("Andamento mensile")
dashboard.chart_block(
    data.trend,
    charts.monthly_trend_lines,
    f"Bisogni per mese e area · {period}",
    tax.area_colours(),
    tax.area_order(),
    key="trend",
    filename="andamento_mensile.csv",
    csv=lambda: downloads.monthly_trend(data.trend),
)

st.header("Esiti delle segnalazioni per ente")
dashboard.chart_block(
    data.referral_outcomes,
    charts.referral_outcomes_bar,
    f"Segnalazioni per ente ed esito · inviate {period}",
    key="referrals",
    filename="esiti_segnalazioni_per_ente.csv",
    csv=lambda: downloads.referral_outcomes(data.referral_outcomes),
)
