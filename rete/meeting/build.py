"""The meeting deck from the database: its data read once, suppressed in two releases
(`rete.meeting.release`), drawn into slides (`rete.meeting.slides`); a release nothing can
protect is withheld, and a chart with nothing to draw says so."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from sqlalchemy import Engine

from rete import privacy, tiles
from rete.filters import Filters, month_of, month_range
from rete.meeting import settings, texts
from rete.meeting.context import Context
from rete.meeting.data import meeting_data
from rete.meeting.model import Deck, Slide
from rete.meeting.release import (
    Key,
    distinct_counts,
    needs_release,
    referrals_release,
)
from rete.meeting.slides import DATA_SLIDES, closing_slide, title_slide

WITHHELD_HEADLINE = "Troppo pochi casi per mostrare questi numeri."
WITHHELD = (
    "In questo periodo e territorio i casi sono così pochi che anche i valori nascosti si "
    "potrebbero ricavare: per non rendere riconoscibile nessuno, questi numeri non sono "
    "mostrati. Scegliere un periodo più lungo o un territorio più ampio."
)
NEEDS_SLIDES = frozenset({"aree", "quartieri", "alloggi", "matrice", "andamento", "copertura"})
REFERRAL_SLIDES = frozenset({"esiti", "tempi"})


def _all_hidden(figures: privacy.Suppressed[Key]) -> privacy.Suppressed[Key]:
    """A release with a count that nothing can protect (`Suppressed.unresolved`: four «< 5» and
    their total «< 5», each must be 1) is not released at all: every figure hidden."""
    if not figures.unresolved:
        return figures
    everything = frozenset(figures.values) - figures.primary
    return replace(figures, secondary=everything)


def _withheld(slide: Slide) -> Slide:
    return replace(slide, headline=WITHHELD_HEADLINE, chart=None, lines=(WITHHELD,), footnote=None)


def _shown(slide: Slide, withheld: frozenset[str]) -> Slide:
    """The slide as it may be shown: withheld when its release could not be protected, a line
    instead of an empty chart."""
    return _withheld(slide) if slide.key in withheld else _drawable(slide)


def _drawable(slide: Slide) -> Slide:
    """A chart with nothing to draw is left out (a file cannot hold an empty chart, and a blank
    one would look like a fault): the headline says why («Nessun bisogno rilevato…», «Pochi
    bisogni…»)."""
    if slide.chart is not None and not slide.chart.categories:
        return replace(slide, chart=None)
    return slide


SLIDE_TITLES = {
    "titolo": "Titolo",
    "numeri": "Il periodo in numeri",
    "aree": "Bisogni per area",
    "quartieri": "Bisogni per quartiere",
    "alloggi": "Bisogni ogni 100 alloggi ALER",
    "matrice": "Bisogni specifici per quartiere",
    "andamento": "Andamento mese per mese",
    "esiti": "Segnalazioni agli enti e loro esito",
    "tempi": "Tempi di presa in carico",
    "copertura": "Copertura della rete",
    "contatti": "Contatti del coordinamento",
}


def build_deck(
    engine: Engine,
    filters: Filters,
    today: dt.date,
    *,
    threshold: int,
    network: str,
    contacts: tuple[str, ...],
) -> Deck:
    """The deck for `filters` (a period and a territory), read on `today`."""
    data = meeting_data(engine, filters, today)
    territory = territory_label({p.id: p.name for p in data.places.values()}, filters)
    places = {data.places[p].municipality for (_, p, _) in data.cube}
    needs = needs_release(data, tuple(month_range(filters.start, filters.end)), threshold)
    referrals = referrals_release(data, threshold)
    withheld = (NEEDS_SLIDES if needs.figures.unresolved else frozenset()) | (
        REFERRAL_SLIDES if referrals.figures.unresolved else frozenset()
    )
    comparable = tiles.comparison_gap(filters, month_of(today), data.first_month) is None
    # The previous period's own deck, read only when the two can be compared (otherwise no
    # change is said, and the current releases stand in).
    before, before_needs, before_referrals = data, needs, referrals
    if comparable:
        earlier = filters.previous()
        before = meeting_data(engine, earlier, today)
        before_needs = needs_release(
            before, tuple(month_range(earlier.start, earlier.end)), threshold
        )
        before_referrals = referrals_release(before, threshold)
    ctx = Context(
        data=data,
        needs=replace(needs, figures=_all_hidden(needs.figures)),
        referrals=replace(referrals, figures=_all_hidden(referrals.figures)),
        distinct=distinct_counts(data, threshold),
        before=before,
        before_needs=_all_hidden(before_needs.figures),
        before_referrals=_all_hidden(before_referrals.figures),
        before_distinct=distinct_counts(before, threshold),
        filters=filters,
        today=today,
        threshold=threshold,
        comparable=comparable,
        one_town=len(places) <= 1,
    )
    slides = (
        title_slide(ctx, network, territory),
        *(_shown(build(ctx), withheld) for build in DATA_SLIDES),
        closing_slide(contacts),
    )
    return Deck(
        network=network,
        period_label=texts.period_text(filters),
        territory_label=territory,
        data_date=today,
        threshold=threshold,
        slides=slides,
        method=texts.method(filters, territory, threshold, today),
    )


def territory_label(data_places: dict[int, str], filters: Filters) -> str:
    """How the deck names its territory: «Tutta la rete», «Comune di Varese», «Quartieri:
    Bosto, Sangallo». `data_places` maps neighbourhood ids to their names."""
    if filters.neighbourhood_ids:
        names = sorted(data_places.get(p, "?") for p in filters.neighbourhood_ids)
        return ("Quartiere: " if len(names) == 1 else "Quartieri: ") + ", ".join(names)
    if filters.municipalities:
        towns = sorted(filters.municipalities)
        return ("Comune di " if len(towns) == 1 else "Comuni di ") + ", ".join(towns)
    return "Tutta la rete"


def meeting_deck(engine: Engine, filters: Filters, today: dt.date) -> Deck:
    """The deck with the network's own settings: its name, the coordination's contacts and
    the threshold below which counts are not shown."""
    chosen = settings.read(engine)
    return build_deck(
        engine,
        filters,
        today,
        threshold=chosen.threshold,
        network=chosen.network,
        contacts=chosen.contacts,
    )
