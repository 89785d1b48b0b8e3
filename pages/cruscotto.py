"""Cruscotto: the needs found by the Ufficio Mobile and the Community Manager, and where they went."""

import streamlit as st

from rete import charts, downloads, tiles
from rete.filters import month_of
from rete.ui import dashboard, database, session, sidebar

user = session.require_page("cruscotto")
app_db = database.app_database()
tax = database.taxonomy(app_db)
now = database.today()
filters = sidebar.chosen_filters(tax, now)
period = sidebar.describe_period(filters)

title, switch = st.columns([4, 1], vertical_alignment="bottom")
title.title("Cruscotto")
switch.toggle(
    "Presenta",
    key=dashboard.PRESENTING_KEY,
    help="Testi dei grafici più grandi, leggibili anche dal fondo della sala.",
)
st.caption(f"Bisogni rilevati e segnalazioni alla rete · {period}")
note = tiles.current_month_note(filters, month_of(now))
if note:
    st.caption(f":material/schedule: {note}")

tiles_box = st.container()  # filled last: see dashboard.kpi_tiles
data = dashboard.chart_frames(app_db, filters, now)
dashboard.early_warnings(app_db, user.role, tax, now)
when = dashboard.short_period(filters)

st.header("Bisogni rilevati", anchor="bisogni")
dashboard.chart_block(
    data.by_area,
    charts.needs_by_area_bar,
    f"Bisogni per area · {when}",
    key="area",
    filename="bisogni_per_area.csv",
    csv=lambda: downloads.needs_by_area(data.by_area),
)

per_homes = st.toggle(
    "Ogni 100 alloggi ALER",
    key="cr_per_homes",
    help="I quartieri con più bisogni in proporzione agli alloggi, non i più grandi. "
    "Sono esclusi i quartieri di cui non si conosce il numero di alloggi.",
)
dashboard.chart_block(
    dashboard.neighbourhood_rates(app_db, filters) if per_homes else data.by_neighbourhood,
    charts.neighbourhood_area_stacked,
    f"Bisogni {'ogni 100 alloggi ' if per_homes else ''}per quartiere e area · {when}",
    tax.area_colours(),
    tax.area_order(),
    key="neighbourhood",
    filename="bisogni_per_quartiere.csv",
    csv=lambda: downloads.needs_by_neighbourhood(app_db.engine, filters),
    options={"per_homes": per_homes},
    empty_message=(
        "Nessun quartiere con bisogni nel periodo di cui si conosca il numero di alloggi."
        if per_homes
        else dashboard.NO_DATA
    ),
)

dashboard.chart_block(
    data.heatmap,
    charts.neighbourhood_need_heatmap,
    f"Bisogni specifici per quartiere · {when}",
    key="heatmap",
    filename="quartieri_bisogni_specifici.csv",
    csv=lambda: downloads.needs_by_neighbourhood_need(app_db.engine, filters),
)

dashboard.chart_block(
    data.trend,
    charts.monthly_trend_lines,
    f"Bisogni per mese e area · {when}",
    tax.area_colours(),
    tax.area_order(),
    key="trend",
    filename="andamento_mensile.csv",
    csv=lambda: downloads.monthly_trend(data.trend),
)

st.header("Segnalazioni agli enti", anchor="esiti")
dashboard.chart_block(
    data.referral_outcomes,
    charts.referral_outcomes_bar,
    f"Segnalazioni per ente ed esito · inviate {when}",
    key="referrals",
    filename="esiti_segnalazioni_per_ente.csv",
    csv=lambda: downloads.referral_outcomes(data.referral_outcomes),
)

with tiles_box:
    dashboard.kpi_tiles(dashboard.headline(app_db, filters, now), filters, now)
