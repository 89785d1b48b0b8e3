"""The deck's words: each slide's headline computed from the figures it shows, the definitions
(speaker notes, the report's notes) and the note on method.

A headline's counts are shown figures (and changes are said only against the previous
period's own deck); when the figure a sentence needs is hidden, it says less, never a hidden
number.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from rete import formats, privacy
from rete.filters import Filters, month_label, month_span
from rete.meeting.model import Chart, Tile, Value, summed

if TYPE_CHECKING:
    from rete.meeting.context import Context

TOP_RATES = 12  # neighbourhoods on the per-100-homes slide
STEADY_POINTS = 1.0  # a share that moved less than this many points is "stabile"

DEFINITIONS = {
    "interviews": "Colloqui: i colloqui del periodo con almeno un bisogno rilevato.",
    "households": "Nuclei raggiunti: i nuclei familiari diversi incontrati in quei colloqui.",
    "needs": "Bisogni rilevati: le fragilità registrate nei colloqui del periodo (un colloquio "
    "può rilevarne più d'una).",
    "areas": "Ogni bisogno specifico appartiene a un'area, con il suo colore in ogni grafico.",
    "others_places": "Sono mostrati uno per uno i quartieri con più bisogni (almeno quanti la "
    "soglia di riservatezza); gli altri sono sommati («Altri quartieri»).",
    "per_homes": "Bisogni ogni 100 alloggi ALER: i bisogni rilevati nel quartiere divisi per gli "
    "alloggi ALER del quartiere, per 100. Mette in luce i quartieri più fragili, non i più "
    "grandi. Solo i quartieri di cui si conosce il numero di alloggi e con almeno tanti "
    "bisogni quanti la soglia di riservatezza.",
    "matrix": "Quanti bisogni di ciascun tipo in ciascun quartiere: le righe sono i quartieri "
    "con più bisogni, le colonne i bisogni specifici più frequenti (gli altri in «Altri»). "
    "Più scuro il colore, più numerosi i bisogni.",
    "trend": "Bisogni rilevati ogni mese, secondo il mese del colloquio: tutti, e quelli delle "
    "tre aree con più bisogni nel periodo.",
    "sent": "Segnalazioni inviate: gli invii di un bisogno a un ente della rete con data di "
    "invio nel periodo.",
    "outcomes": "Esito a oggi: presa in carico (anche se poi conclusa); rifiutata dall'ente o "
    "annullata; in attesa di risposta, nei tempi o in ritardo (nessuna risposta oltre il "
    "termine). Tra parentesi le segnalazioni inviate a ciascun ente.",
    "share": "Prese in carico: la quota delle segnalazioni del periodo che un ente ha preso in "
    "carico, tra quelle prese in carico, rifiutate o in ritardo (non contano le annullate e "
    "quelle ancora nei tempi di risposta).",
    "days": "Giorni alla presa in carico: i giorni tra l'invio e la presa in carico; il valore "
    "centrale (mediana) dice entro quanti giorni è presa in carico metà delle segnalazioni.",
    "coverage": "Copertura: un bisogno è senza un ente attivo quando nessun ente attivo della "
    "rete si occupa di quel bisogno specifico (o della sua intera area) nel quartiere o nel "
    "comune in cui è stato rilevato, secondo l'elenco degli enti di oggi.",
}
TITLE_NOTES = (
    "Tutti i numeri sono aggregati: nessun nome, codice o nota di un nucleo. "
    "I valori piccoli non sono mostrati, così che nessuna persona sia riconoscibile."
)
CLOSING_NOTES = "I contatti di chi coordina la rete, per segnalare un bisogno o un ente."
NO_CONTACTS = "Contatti del coordinamento non ancora indicati."


def period_text(filters: Filters) -> str:
    """'dicembre 2025 – novembre 2026', or 'marzo 2026' for one month."""
    return month_span(filters.start, filters.end)


def notes(shown: Sequence[Tile]) -> str:
    return "\n".join(tile.definition for tile in shown)


def _share(part: int, whole: int) -> str:
    """'il 25%', 'l'85%', 'lo 0%': the share with the article Italian gives its number."""
    text = formats.percent(part / whole, 0)
    number = int(text.rstrip("%").replace(".", ""))
    if number == 0:
        return f"lo {text}"
    vowel = number in (1, 8, 11) or 80 <= number <= 89
    return f"l'{text}" if vowel else f"il {text}"


def compared_with(filters: Filters) -> str:
    """'rispetto a dicembre 2024 – …', 'rispetto ad agosto 2025': «ad» before an a."""
    period = period_text(filters)
    return f"rispetto {'ad' if period.startswith('a') else 'a'} {period}"


def numbers_headline(shown: Sequence[Tile]) -> str:
    by_label = {tile.label: tile for tile in shown}
    needs, interviews = by_label["Bisogni rilevati"], by_label["Colloqui"]
    households = by_label["Nuclei raggiunti"]
    if needs.value.startswith(("<", "n.d.")):
        return "Pochi bisogni rilevati nel periodo: i numeri piccoli non sono mostrati."
    sentence = f"{needs.value} bisogni rilevati"
    if not interviews.value.startswith(("<", "n.d.")):
        sentence += f" in {interviews.value} colloqui"
    if not households.value.startswith(("<", "n.d.")):
        sentence += f" con {households.value} nuclei"
    if needs.change and needs.change[:1] in "+-":
        sentence += f" ({needs.change} bisogni rispetto al periodo precedente)"
    return sentence


def area_headline(ctx: Context, areas: Sequence[int]) -> str:
    figures = ctx.needs.figures
    total = figures.shown(("all",))
    if not areas:
        return "Nessun bisogno rilevato nel periodo."
    if not total:
        return "Pochi bisogni per area: i numeri piccoli non sono mostrati."
    top = areas[0]
    count = figures.shown(("area", top))
    name = ctx.data.areas[top].name
    if count is None:
        return "Pochi bisogni per area: i numeri piccoli non sono mostrati."
    among = " tra quelle mostrate" if any(figures.hidden(("area", a)) for a in areas) else ""
    sentence = (
        f"«{name}» è l'area con più bisogni{among}: {_share(count, total)} dei bisogni rilevati"
    )
    # Compared only with what the previous period's own deck shows.
    previous = ctx.before_needs.shown(("area", top))
    previous_total = ctx.before_needs.shown(("all",))
    if ctx.comparable and previous is not None and previous_total:
        points = (count / total - previous / previous_total) * 100
        if abs(points) < STEADY_POINTS:
            sentence += ", stabile rispetto al periodo precedente"
        else:
            trend = "in crescita" if points > 0 else "in calo"
            sentence += f", {trend} rispetto al periodo precedente"
            sentence += f" ({formats.percent(previous / previous_total, 0)})"
    return sentence + "."


def place_headline(ctx: Context) -> str:
    figures = ctx.needs.figures
    total = figures.shown(("all",))
    rows = [r for r in ctx.needs.rows if r != 0 and figures.shown(("row", r)) is not None]
    if not rows or not total:
        return "Pochi bisogni per quartiere: i numeri piccoli non sono mostrati."
    top = max(rows, key=lambda r: figures.shown(("row", r)) or 0)
    count = figures.shown(("row", top)) or 0
    hidden = any(figures.hidden(("row", r)) for r in ctx.needs.rows if r != 0)
    among = " tra quelli mostrati" if hidden else ""
    return (
        f"{ctx.place_label(top)} è il quartiere con più bisogni{among}: "
        f"{formats.number(count)}, {_share(count, total)} del totale."
    )


def rate_headline(rates: Sequence[tuple[float | None, str, Value]]) -> str:
    shown = [(rate, label) for rate, label, _ in rates if rate is not None]
    if not shown:
        return "Nessun quartiere con abbastanza bisogni e un numero di alloggi noto."
    rate, label = shown[0]
    among = " tra quelli mostrati" if len(shown) < len(rates) else ""
    return (
        f"{label}: {formats.number(rate, 1)} bisogni ogni 100 alloggi ALER, "
        f"il quartiere più fragile in proporzione alle sue case{among}."
    )


def _largest(chart: Chart) -> tuple[float, str, str] | None:
    """The largest shown value of a chart: (value, category, series)."""
    found: tuple[float, str, str] | None = None
    for series in chart.series:
        if summed(series.name):
            continue
        for category, value in zip(chart.categories, series.values, strict=True):
            if summed(category) or not value.number:
                continue
            if found is None or value.number > found[0]:
                found = (value.number, category, series.name)
    return found


def matrix_headline(chart: Chart) -> str:
    largest = _largest(chart)
    if largest is None:
        return "Pochi bisogni per quartiere e tipo: i numeri piccoli non sono mostrati."
    count, place, need = largest
    among = " tra i valori mostrati" if chart.has_hidden else ""
    return (
        f"Il bisogno più frequente in un solo quartiere{among} è «{need}» a {place}: "
        f"{formats.number(count)}."
    )


def trend_headline(chart: Chart, months: Sequence[int]) -> str:
    """The month with most needs among those shown."""
    if not chart.categories:
        return "Nessun bisogno rilevato nel periodo."
    shown = [
        (value.number, month)
        for month, value in zip(months, chart.series[0].values, strict=True)
        if value.number
    ]
    if not shown:
        return "Pochi bisogni al mese: i numeri piccoli non sono mostrati."
    count, month = max(shown, key=lambda item: item[0])
    among = " tra quelli mostrati" if chart.has_hidden else ""
    return (
        f"Il mese con più bisogni rilevati{among} è stato {month_label(int(month))}: "
        f"{formats.number(count)}."
    )


def outcomes_headline(ctx: Context) -> str:
    figures = ctx.referrals.figures
    sent = figures.shown(("sent_all",))
    if not sent:
        return "Nessuna segnalazione inviata nel periodo, o troppo poche per mostrarle."
    parts = [figures.shown(("outcome", s)) for s in ("accepted", "refused", "overdue")]
    sentence = f"{formats.number(sent)} segnalazioni inviate agli enti"
    if all(part is not None for part in parts):
        accepted, refused, overdue = (part or 0 for part in parts)
        judged = accepted + refused + overdue
        if privacy.share_shown(judged, ctx.threshold):
            sentence += (
                f": {_share(accepted, judged)} è stato preso in carico, tra quelle con una "
                "risposta o in ritardo"
            )
    return sentence + "."


def days_headline(ctx: Context) -> str:
    now = ctx.data.kpis
    if not privacy.share_shown(now.referrals_accepted, ctx.threshold):
        return "Troppo poche prese in carico nel periodo per dire dei tempi."
    days = formats.number(now.median_days_to_accept, 0)
    return f"Metà delle segnalazioni prese in carico lo è stata entro {days} giorni dall'invio."


def coverage_headline(ctx: Context) -> str:
    figures = ctx.needs.figures
    areas = ctx.needs.areas
    total = figures.shown(("all",))
    gaps = [figures.shown(("gap", a)) for a in areas]
    if not areas:
        return "Nessun bisogno rilevato nel periodo."
    if not total:
        return "Pochi bisogni nel periodo: i numeri piccoli non sono mostrati."
    if all(gap == 0 for gap in gaps):
        return "Ogni bisogno rilevato ha un ente attivo della rete che se ne occupa dove vive il nucleo."
    if any(gap is None for gap in gaps):
        known = [(gap, a) for gap, a in zip(gaps, areas, strict=True) if gap]
        if not known:
            return "Pochi bisogni senza un ente attivo: i numeri piccoli non sono mostrati."
        gap, area = max(known, key=lambda item: item[0] or 0)
        return (
            f"«{ctx.data.areas[area].name}» è l'area più scoperta: "
            f"{formats.number(gap)} bisogni senza un ente attivo nel quartiere."
        )
    uncovered = sum(gap or 0 for gap in gaps)
    worst = max(zip(gaps, areas, strict=True), key=lambda item: item[0] or 0)[1]
    return (
        f"{formats.number(uncovered)} bisogni ({formats.percent(uncovered / total, 0)}) sono stati rilevati "
        f"dove nessun ente attivo della rete se ne occupa; l'area più scoperta è "
        f"«{ctx.data.areas[worst].name}»."
    )


def method(filters: Filters, territory: str, threshold: int, today: dt.date) -> tuple[str, ...]:
    """The note on method: period, territory, threshold, where the numbers come from."""
    return (
        f"Periodo: {period_text(filters)} (mese del colloquio per i bisogni, mese di invio per "
        "le segnalazioni).",
        f"Territorio: {territory}.",
        f"Dati letti il {formats.date(today)}: i numeri cambiano se nel frattempo vengono "
        "registrati o corretti colloqui e segnalazioni.",
        f"Riservatezza: i numeri sono aggregati, senza nomi, codici o note. I valori da 1 a "
        f"{threshold - 1} sono indicati come «< {threshold}»; alcuni altri valori sono indicati "
        "come «n.d.» perché i valori piccoli non si possano ricavare per sottrazione dai totali. "
        "Quote, tassi e mediane sono mostrati solo quando si basano su almeno "
        f"{threshold} casi.",
        *DEFINITIONS.values(),
    )
