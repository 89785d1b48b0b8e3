"""The bare page of the browser measurement: a sidebar select and five Plotly charts shaped like
the Cruscotto's, from fixed data made in memory (no database, no login, no cache of Rete's).

    python -m streamlit run bench/bare_page.py

It is the yardstick for what the browser and Streamlit themselves cost to draw and redraw such
a page: Rete's Cruscotto is measured against it (bench/browser.py). The figures are built once
per choice and kept (`st.cache_resource`), as Rete keeps its own, so a run's server work is
almost nothing and the time measured is Streamlit's and the browser's. Changing the select
changes every chart's data, so the redraw is real.
"""

from __future__ import annotations

import random

import plotly.graph_objects as go
import streamlit as st

CHOICES = ("Ultimi 12 mesi completi", "Anno in corso", "Anno scorso", "Un trimestre")
AREAS = (
    "Abitare",
    "Salute",
    "Economica",
    "Lavoro",
    "Famiglia",
    "Istruzione",
    "Legale",
    "Socialità",
)
COLOURS = ("#1f77b4", "#ff7f0e", "#bcbd22", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf")
PLACES = (*(f"Quartiere {n:02d}" for n in range(1, 16)), "Altri")
NEEDS = tuple(f"Bisogno {n:02d}" for n in range(1, 41))
MONTHS = ("nov", "dic", "gen", "feb", "mar", "apr", "mag", "giu", "lug", "ago", "set", "ott")
PARTNERS = tuple(f"Ente {n:02d}" for n in range(1, 41))
OUTCOMES = {
    "Esito positivo": "#009E73",
    "Esito negativo": "#E69F00",
    "Presa in carico": "#0072B2",
    "In attesa di risposta": "#BBBBBB",
    "In ritardo": "#CC79A7",
    "Rifiutata": "#D55E00",
}
LAYOUT = {
    "template": "plotly_white",
    "separators": ",.",
    "font": {"size": 16},
    "legend": {"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom"},
    "margin": {"l": 10, "r": 30, "t": 110, "b": 10},
}


def _figure(title: str, height: int, **layout: object) -> go.Figure:
    figure = go.Figure()
    figure.update_layout(title={"text": title, "x": 0}, height=height, **LAYOUT, **layout)
    return figure


def by_area(rng: random.Random) -> go.Figure:
    figure = _figure("Bisogni per area", 420)
    counts = [rng.randint(50, 2_000) for _ in AREAS]
    figure.add_trace(go.Bar(x=counts, y=list(AREAS), orientation="h", marker_color=list(COLOURS)))
    figure.update_yaxes(autorange="reversed")
    return figure


def by_neighbourhood_area(rng: random.Random) -> go.Figure:
    figure = _figure("Bisogni per quartiere e area", 160 + 34 * len(PLACES), barmode="stack")
    for area, colour in zip(AREAS, COLOURS, strict=True):
        counts = [rng.randint(0, 300) for _ in PLACES]
        figure.add_trace(
            go.Bar(x=counts, y=list(PLACES), orientation="h", name=area, marker_color=colour)
        )
    figure.update_yaxes(autorange="reversed")
    return figure


def heatmap(rng: random.Random) -> go.Figure:
    figure = _figure("Bisogni specifici per quartiere", 220 + 28 * len(NEEDS))
    grid = [[rng.choice((0, rng.randint(1, 400))) for _ in PLACES] for _ in NEEDS]
    figure.add_trace(
        go.Heatmap(
            z=grid,
            x=list(PLACES),
            y=list(NEEDS),
            text=[[str(v) if v else "" for v in row] for row in grid],
            texttemplate="%{text}",
            colorscale=[[0.0, "#FFFFFF"], [0.15, "#DCE9F5"], [1.0, "#08306B"]],
            xgap=2,
            ygap=2,
        )
    )
    figure.update_yaxes(autorange="reversed")
    figure.update_xaxes(tickangle=-35)
    return figure


def monthly(rng: random.Random) -> go.Figure:
    figure = _figure("Bisogni per mese e area", 480, hovermode="x unified")
    for area, colour in zip(AREAS, COLOURS, strict=True):
        figure.add_trace(
            go.Scatter(
                x=list(MONTHS),
                y=[rng.randint(0, 200) for _ in MONTHS],
                mode="lines+markers",
                name=area,
                line={"color": colour, "width": 3},
            )
        )
    return figure


def outcomes(rng: random.Random) -> go.Figure:
    figure = _figure("Segnalazioni per ente ed esito", 160 + 34 * len(PARTNERS), barmode="stack")
    for outcome, colour in OUTCOMES.items():
        counts = [rng.randint(0, 60) for _ in PARTNERS]
        figure.add_trace(
            go.Bar(x=counts, y=list(PARTNERS), orientation="h", name=outcome, marker_color=colour)
        )
    figure.update_yaxes(autorange="reversed")
    return figure


@st.cache_resource(show_spinner=False)
def figures(choice: str) -> list[go.Figure]:
    """The five charts for one choice of the select: each choice its own fixed data."""
    rng = random.Random(f"bare page {choice}")
    return [build(rng) for build in (by_area, by_neighbourhood_area, heatmap, monthly, outcomes)]


st.set_page_config(page_title="Pagina di confronto", layout="wide")
with st.sidebar:
    chosen = st.selectbox("Periodo", CHOICES)
st.title("Pagina di confronto")
for figure in figures(chosen):
    st.plotly_chart(figure, theme=None)
