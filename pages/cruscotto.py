"""Cruscotto: the needs found by the Ufficio Mobile and the Community Manager, and where they went."""

import streamlit as st

from rete import charts
from rete.ui import dashboard, database, session, sidebar

session.require_page("cruscotto")
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

st.subheader("Bisogni per area")
dashboard.chart_block(
    data.by_area,
    charts.needs_by_area_bar,
    f"Bisogni rilevati per area · {period}",
    key="area",
    filename="bisogni_per_area.csv",
    columns={"area": "Area", "needs": "Bisogni"},
)

st.subheader("Bisogni per quartiere")
dashboard.chart_block(
    data.by_neighbourhood,
    charts.neighbourhood_area_stacked,
    f"Bisogni per quartiere e area · {period}",
    tax.area_colours(),
    tax.area_order(),
    key="neighbourhood",
    filename="bisogni_per_quartiere.csv",
    columns={
        "neighbourhood": "Quartiere",
        "municipality": "Comune",
        "area": "Area",
        "needs": "Bisogni",
        "total": "Totale quartiere",
        "homes": "Alloggi ALER",
        "per_100_homes": "Bisogni ogni 100 alloggi",
    },
)

st.subheader("Quartieri e bisogni specifici")
dashboard.chart_block(
    data.heatmap,
    charts.neighbourhood_need_heatmap,
    f"Bisogni specifici per quartiere · {period}",
    key="heatmap",
    filename="quartieri_bisogni_specifici.csv",
    columns={
        "neighbourhood": "Quartiere",
        "area": "Area",
        "need": "Bisogno specifico",
        "needs": "Bisogni",
    },
)

st.subheader("Andamento mensile")
dashboard.chart_block(
    data.trend,
    charts.monthly_trend_lines,
    f"Bisogni per mese e area · {period}",
    tax.area_colours(),
    tax.area_order(),
    key="trend",
    filename="andamento_mensile.csv",
    columns={"month_label": "Mese", "area": "Area", "needs": "Bisogni"},
)

st.subheader("Esiti delle segnalazioni per ente")
dashboard.chart_block(
    data.referral_outcomes,
    charts.referral_outcomes_bar,
    f"Segnalazioni per ente ed esito · inviate {period}",
    key="referrals",
    filename="esiti_segnalazioni_per_ente.csv",
    columns={
        "partner": "Ente",
        "sent": "Inviate",
        "accepted": "Prese in carico",
        "positive": "Concluse con esito positivo",
        "negative": "Concluse con esito negativo",
        "refused": "Rifiutate",
        "cancelled": "Annullate",
        "overdue": "In ritardo",
        "share_accepted": "Quota presa in carico",
    },
)
