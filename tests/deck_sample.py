"""A hand-built meeting deck with one slide of every kind and hidden values, for the renderers'
tests (PowerPoint, Word, Excel, HTML, screen figures) without a database.

`TENANT_TEXTS` are strings that must never reach a file: the renderers only get the deck, so a
test that searches every part of a file for them checks that nothing else leaks in.
"""

from __future__ import annotations

import datetime as dt

from rete import formats
from rete.meeting.model import Chart, Deck, Series, Slide, Tile, Value

K = 5
SMALL = Value(None, f"< {K}")
HIDDEN = Value(None, "n.d.")


def count(n: int) -> Value:
    return Value(float(n), formats.number(n))


AREAS = (("Economia e lavoro", "#E69F00"), ("Salute", "#009E73"), ("Abitare", "#0072B2"))

TENANT_TEXTS = ("VA-000123", "Rossi Maria", "3331234567", "nota riservata sul nucleo")


def sample_deck() -> Deck:
    by_area = Chart(
        kind="bar",
        category_title="Area",
        categories=tuple(name for name, _ in AREAS),
        series=(Series("Bisogni", "#0072B2", (count(1234), count(310), SMALL)),),
        value_title="Bisogni",
        point_colours=tuple(colour for _, colour in AREAS),
    )
    by_place = Chart(
        kind="hbar",
        category_title="Quartiere",
        categories=("Sangallo · Varese", "Bosto · Varese", "Altri quartieri"),
        series=(Series("Bisogni", "#0072B2", (count(420), HIDDEN, SMALL)),),
        value_title="Bisogni",
    )
    rates = Chart(
        kind="hbar",
        category_title="Quartiere",
        categories=("Bosto · Varese", "Sangallo · Varese"),
        series=(Series("Bisogni ogni 100 alloggi", "#0072B2", (Value(12.3, "12,3"), SMALL)),),
        value_title="Bisogni ogni 100 alloggi ALER",
        number_kind="rate",
    )
    matrix = Chart(
        kind="matrix",
        category_title="Quartiere",
        categories=("Sangallo · Varese", "Bosto · Varese"),
        series=(
            Series("Bollette e utenze", "#E69F00", (count(40), SMALL)),
            Series("Salute mentale", "#009E73", (HIDDEN, count(12))),
        ),
        value_title="Bisogni",
    )
    trend = Chart(
        kind="line",
        category_title="Mese",
        categories=("gen 2026", "feb 2026", "mar 2026"),
        series=tuple(
            Series(name, colour, (count(30 + i), SMALL if i == 1 else count(7), count(12)))
            for i, (name, colour) in enumerate(AREAS)
        ),
        value_title="Bisogni",
    )
    outcomes = Chart(
        kind="stacked_hbar",
        category_title="Ente",
        categories=("Caritas Varese", "Comune di Varese – Servizi sociali"),
        series=(
            Series("Presa in carico", "#1B9E77", (count(20), count(9))),
            Series("Rifiutata", "#7570B3", (SMALL, HIDDEN)),
            Series("In ritardo", "#D95F02", (count(6), SMALL)),
        ),
        value_title="Segnalazioni",
    )
    share = Chart(
        kind="bar",
        category_title="Giorni",
        categories=("0–2", "3–7", "8–14", "oltre 14"),
        series=(Series("Segnalazioni", "#1B9E77", (count(12), count(30), SMALL, HIDDEN)),),
        value_title="Segnalazioni prese in carico",
    )
    notes = "Bisogni: i bisogni rilevati nei colloqui del periodo."
    slides = (
        Slide(
            "titolo",
            "Rete ALER",
            "Dicembre 2025 – novembre 2026",
            notes,
            lines=("Tutta la rete", "Dati al 03/12/2026"),
        ),
        Slide(
            "numeri",
            "Il periodo in numeri",
            "1.234 bisogni rilevati in 800 colloqui, +12% rispetto all'anno precedente",
            notes,
            tiles=(
                Tile("Colloqui", "800", "+12", "Colloqui con almeno un bisogno."),
                Tile("Nuclei", "< 5", None, "Nuclei distinti."),
                Tile("Presi in carico", "58,1%", "-3,5 punti", "Quota presa in carico."),
            ),
            footnote="Valori inferiori a 5 non mostrati.",
        ),
        Slide(
            "aree",
            "Bisogni per area",
            "Le fragilità economiche sono il 79% dei bisogni rilevati",
            notes,
            chart=by_area,
            footnote="Valori inferiori a 5 non mostrati.",
        ),
        Slide(
            "quartieri",
            "Bisogni per quartiere",
            "Sangallo ha più bisogni",
            notes,
            chart=by_place,
            footnote="Valori inferiori a 5 non mostrati.",
        ),
        Slide(
            "alloggi",
            "Bisogni ogni 100 alloggi",
            "Bosto è il quartiere più fragile",
            notes,
            chart=rates,
            footnote="Valori inferiori a 5 non mostrati.",
        ),
        Slide(
            "matrice",
            "Bisogni specifici per quartiere",
            "Le bollette pesano a Sangallo",
            notes,
            chart=matrix,
            footnote="Valori inferiori a 5 non mostrati.",
        ),
        Slide(
            "andamento",
            "Andamento mensile",
            "I bisogni economici crescono",
            notes,
            chart=trend,
            footnote="Valori inferiori a 5 non mostrati.",
        ),
        Slide(
            "esiti",
            "Segnalazioni e esiti",
            "Il 58% delle segnalazioni è preso in carico",
            notes,
            chart=outcomes,
            footnote="Valori inferiori a 5 non mostrati.",
        ),
        Slide(
            "tempi",
            "Tempi di presa in carico",
            "Metà delle segnalazioni entro 6 giorni",
            notes,
            chart=share,
            footnote="Valori inferiori a 5 non mostrati.",
        ),
        Slide(
            "chiusura",
            "Contatti del coordinamento",
            "Per segnalare un bisogno alla rete",
            notes,
            lines=("Community Manager ALER", "0332 123456", "rete@aler.example.it"),
        ),
    )
    return Deck(
        network="Rete ALER Varese-Como-Monza Brianza-Busto Arsizio",
        period_label="dicembre 2025 – novembre 2026",
        territory_label="Tutta la rete",
        data_date=dt.date(2026, 12, 3),
        threshold=K,
        slides=slides,
        method=("Periodo: dicembre 2025 – novembre 2026.", "Soglia: valori inferiori a 5."),
    )
