"""The Cruscotto's KPI tiles as data: each figure, its change against the previous period, and
when a figure or a change cannot be judged yet, a plain word instead of a misleading number.

Pure functions over `queries.Kpis`, so that the rules are tested without Streamlit;
`rete.ui.dashboard.kpi_tiles` draws them.

When a change is shown (`comparison_gap` returns None):
- the period is over: a month still running is compared with complete ones otherwise, and every
  count would read as a fall;
- the previous period lies wholly within the months with records: against months before the
  first interview was recorded every count would read as a rise.
A share or a median needs enough cases on both sides (`MIN_CASES`), or it is not compared; a
share with fewer cases than that is not shown at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from rete import formats
from rete.filters import Filters, month_label
from rete.queries.kpis import Kpis

MIN_CASES = 5  # referrals judged (or taken in charge) below which a share or a median says little
DeltaColour = Literal["normal", "inverse", "off"]


@dataclass(frozen=True)
class Tile:
    label: str
    value: str
    delta: str | None  # "+12", "-3,5 punti", "invariato", or a word such as "troppo pochi casi"
    colour: DeltaColour  # how st.metric colours the change; "off" for a word or "invariato"
    help: str

    @property
    def is_change(self) -> bool:
        """The delta is a signed change (st.metric draws an arrow), not a word."""
        return self.delta is not None and self.delta[:1] in "+-"


def current_month_note(filters: Filters, current_month: int) -> str | None:
    """A word under the title when the period includes the month still running, or None."""
    if filters.includes_month(current_month):
        return (
            f"Il periodo comprende {month_label(current_month)}, mese ancora in corso: "
            "i numeri di questo mese sono parziali."
        )
    return None


def comparison_gap(filters: Filters, current_month: int, first_month: int | None) -> str | None:
    """Why the period cannot be compared with the previous one, in Italian, or None."""
    if filters.includes_month(current_month):
        return "il periodo comprende il mese in corso, ancora incompleto"
    before = filters.previous()
    if first_month is None or before.start < first_month:
        since = "" if first_month is None else f" (da {month_label(first_month)})"
        return f"il periodo precedente comincia prima dei primi dati registrati{since}"
    return None


def change(current: float | None, previous: float | None, decimals: int, unit: str) -> str | None:
    """'+12', '-3,5 gg' or 'invariato' (st.metric reads the sign from an ASCII '+' or '-')."""
    if current is None or previous is None:
        return None
    difference = current - previous
    shown = formats.number(abs(difference), decimals)  # rounded as every figure is shown
    if not shown.strip("0,"):
        return "invariato"
    sign = "-" if difference < 0 else "+"
    return f"{sign}{shown}{unit}"


def _percent_points(share: float | None) -> float | None:
    return None if share is None else share * 100


def tiles(now: Kpis, before: Kpis, compare: bool) -> list[Tile]:
    """The six tiles; `compare` says whether the previous period may be compared at all."""

    def count(label: str, value: int, previous: int, colour: DeltaColour, help_: str) -> Tile:
        delta = change(value, previous, 0, "") if compare else None
        return Tile(label, formats.number(value), delta, colour, help_)

    share_known = now.share_accepted is not None and now.referrals_judged >= MIN_CASES
    share_delta = None
    if share_known and compare and before.referrals_judged >= MIN_CASES:
        share_delta = change(
            _percent_points(now.share_accepted), _percent_points(before.share_accepted), 1, " punti"
        )
    elif not share_known and now.referrals_sent:
        share_delta = "in attesa di risposte" if not now.referrals_judged else "troppo pochi casi"
    days_delta = None
    if compare and min(now.referrals_accepted, before.referrals_accepted) >= MIN_CASES:
        days_delta = change(now.median_days_to_accept, before.median_days_to_accept, 1, " gg")
    return [
        count("Colloqui", now.interviews, before.interviews, "normal",
              "Colloqui con almeno un bisogno che rientra nei filtri."),
        count("Nuclei raggiunti", now.households, before.households, "normal",
              "Nuclei diversi con almeno un bisogno che rientra nei filtri."),
        count("Bisogni rilevati", now.needs, before.needs, "off",
              "Fragilità registrate nei colloqui del periodo."),
        count("Segnalazioni inviate", now.referrals_sent, before.referrals_sent, "normal",
              "Invii agli enti della rete con data di invio nel periodo."),
        Tile(
            "Prese in carico",
            formats.percent(now.share_accepted) if share_known else "–",
            share_delta,
            "normal",
            "Quota delle segnalazioni inviate nel periodo che un ente ha preso in carico, tra "
            "quelle con una risposta (presa in carico o rifiuto) o in ritardo; non contano le "
            "annullate e quelle ancora nei tempi di risposta. Mostrata quando almeno "
            f"{MIN_CASES} segnalazioni hanno una risposta o sono in ritardo.",
        ),
        Tile(
            "Giorni alla presa in carico",
            formats.number(now.median_days_to_accept, 1),
            days_delta,
            "inverse",
            "Mediana dei giorni tra l'invio e la presa in carico. Confrontata con il periodo "
            f"precedente quando entrambi hanno almeno {MIN_CASES} prese in carico.",
        ),
    ]  # fmt: skip
