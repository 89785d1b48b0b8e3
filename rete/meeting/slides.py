"""The meeting deck's slides, one builder each, from the suppressed releases (`Context`).

A headline's counts are figures the deck shows; a share is computed from shown totals; a
change is said only between two figures both this deck and the previous period's own deck
show; a median only over at least k cases. Otherwise the sentence says less, never a hidden
number.
"""

from __future__ import annotations

from collections.abc import Callable

from rete import formats, privacy, tiles
from rete.filters import month_label, month_of
from rete.meeting import texts
from rete.meeting.context import Context
from rete.meeting.model import OTHERS_PREFIX, Chart, Series, Slide, Tile, Value
from rete.meeting.release import GROUPS, OTHERS, Key

NEUTRAL = "#0072B2"  # one-series charts that are not about one area
GROUP_NAMES = {
    "accepted": "Presa in carico",
    "not_taken": "Rifiutata o annullata",
    "pending": "In attesa di risposta (anche in ritardo)",
}
# `charts.base`'s outcome palette: no area uses these colours.
GROUP_COLOURS = {"accepted": "#1B9E77", "not_taken": "#7570B3", "pending": "#D95F02"}
COVERED, UNCOVERED = "#1B9E77", "#D95F02"
TOTAL_COLOUR = "#3A3A3A"  # the month-by-month total: no area's colour
OTHER_PARTNERS = f"{OTHERS_PREFIX} enti"
HIDDEN_NAME = "Esiti non mostrati (valori piccoli)"
HIDDEN_COLOUR = "#C8C8C8"


def _footnote(ctx: Context, chart: Chart) -> str:
    """What the slide says of its small counts: the rule always (the room should know it),
    what «n.d.» means when something is hidden."""
    return ctx.footnote if chart.has_hidden else ctx.rule


# --- Slides


def title_slide(ctx: Context, network: str, territory: str) -> Slide:
    period = texts.period_text(ctx.filters)
    return Slide(
        "titolo",
        network,
        f"I bisogni rilevati e le segnalazioni alla rete · {period}",
        texts.TITLE_NOTES,
        lines=(territory, f"Dati al {formats.date(ctx.today)}"),
    )


def _numbers(ctx: Context) -> Slide:
    now, before = ctx.data.kpis, ctx.before.kpis
    k = ctx.threshold

    def count_tile(
        label: str,
        figures: privacy.Suppressed[Key],
        earlier: privacy.Suppressed[Key],
        key: Key,
        definition: str,
    ) -> Tile:
        """A count and its change, said only between two figures both decks show."""
        current, previous = figures.shown(key), earlier.shown(key)
        change = None
        if ctx.comparable and current is not None and previous is not None:
            change = tiles.change(current, previous, 0, "")
        return Tile(label, figures.label(key), change, definition)

    share_text, share_change = _share_tile(ctx)
    days_text = "–"
    days_change = None
    if privacy.share_shown(now.referrals_accepted, k):
        days_text = formats.number(now.median_days_to_accept, 1)
        if ctx.comparable and privacy.share_shown(before.referrals_accepted, k):
            days_change = tiles.change(
                now.median_days_to_accept, before.median_days_to_accept, 1, " gg"
            )
    definitions = texts.DEFINITIONS
    shown_tiles = (
        count_tile(
            "Colloqui",
            ctx.distinct,
            ctx.before_distinct,
            ("interviews",),
            definitions["interviews"],
        ),
        count_tile(
            "Nuclei raggiunti",
            ctx.distinct,
            ctx.before_distinct,
            ("households",),
            definitions["households"],
        ),
        count_tile(
            "Bisogni rilevati", ctx.needs.figures, ctx.before_needs, ("all",), definitions["needs"]
        ),
        count_tile(
            "Segnalazioni inviate",
            ctx.referrals.figures,
            ctx.before_referrals,
            ("sent_all",),
            definitions["sent"],
        ),
        Tile("Prese in carico", share_text, share_change, definitions["share"]),
        Tile("Giorni alla presa in carico", days_text, days_change, definitions["days"]),
    )
    gap = tiles.comparison_gap(ctx.filters, month_of(ctx.today), ctx.data.first_month)
    comparison = (
        f"Variazioni {texts.compared_with(ctx.filters.previous())}."
        if gap is None
        else f"Nessun confronto con il periodo precedente: {gap}."
    )
    hidden = any(tile.value.startswith(("<", "n.d.")) for tile in shown_tiles)
    return Slide(
        "numeri",
        "Il periodo in numeri",
        texts.numbers_headline(shown_tiles),
        texts.notes(shown_tiles) + "\n" + comparison,
        tiles=shown_tiles,
        footnote=f"{comparison} {ctx.footnote if hidden else ctx.rule}",
    )


def _by_shown(
    figures: privacy.Suppressed[Key], keys: dict[int, Key], name: Callable[[int], str]
) -> list[int]:
    """Ids in the order a slide may show them: shown figures largest first, then the hidden
    ones by name, «Altri» last. Ranking a hidden figure by its true value would say something
    about it («n.d.» after a 5 is 5)."""

    def order(item: int) -> tuple[bool, bool, int, str]:
        shown = figures.shown(keys[item])
        return (item == OTHERS, shown is None, -(shown or 0), name(item))

    return sorted(keys, key=order)


def _shown_share(figures: privacy.Suppressed[Key], k: int) -> float | None:
    """The share taken in charge from a release's shown outcome totals (accepted, refused,
    overdue: `queries.common.share`), or None when one is hidden or they are fewer than k."""
    parts = [figures.shown(("outcome", o)) for o in ("accepted", "refused", "overdue")]
    if None in parts:
        return None
    accepted, refused, overdue = (part or 0 for part in parts)
    judged = accepted + refused + overdue
    return accepted / judged if privacy.share_shown(judged, k) else None


def _share_tile(ctx: Context) -> tuple[str, str | None]:
    """The share's text and its change against the previous period's own deck; a word when it
    cannot be shown."""
    k = ctx.threshold
    share = _shown_share(ctx.referrals.figures, k)
    if share is None:
        if ctx.data.kpis.referrals_sent == 0:
            return "–", None
        if ctx.data.kpis.referrals_judged < k:
            return "–", "troppo pochi casi"
        return "–", "non mostrata per riservatezza"
    earlier = _shown_share(ctx.before_referrals, k)
    change = None
    if ctx.comparable and earlier is not None:
        change = tiles.change(share * 100, earlier * 100, 1, " punti")
    return formats.percent(share), change


def _by_area(ctx: Context) -> Slide:
    figures = ctx.needs.figures
    areas = sorted(
        ctx.needs.areas, key=lambda a: (-(figures.shown(("area", a)) or 0), ctx.data.areas[a].order)
    )
    values = tuple(ctx.value(figures, ("area", a)) for a in areas)
    chart = Chart(
        kind="bar",
        category_title="Area",
        categories=tuple(ctx.data.areas[a].name for a in areas),
        series=(Series("Bisogni", NEUTRAL, values),),
        value_title="Bisogni",
        point_colours=tuple(ctx.data.areas[a].colour for a in areas),
    )
    return Slide(
        "aree",
        "Bisogni per area",
        texts.area_headline(ctx, areas),
        texts.DEFINITIONS["needs"] + " " + texts.DEFINITIONS["areas"],
        chart=chart,
        footnote=_footnote(ctx, chart),
    )


def _by_place(ctx: Context) -> Slide:
    """The places with most needs, one bar each; the others summed are said in the footnote,
    not drawn (their bar would dwarf every neighbourhood's)."""
    figures = ctx.needs.figures
    rows = _by_shown(figures, {r: ("row", r) for r in ctx.needs.rows}, ctx.place_label)
    places = [r for r in rows if r != OTHERS]
    values = tuple(ctx.value(figures, ("row", r)) for r in places)
    chart = Chart(
        kind="hbar",
        category_title="Quartiere",
        categories=tuple(ctx.place_label(r) for r in places),
        series=(Series("Bisogni", NEUTRAL, values),),
        value_title="Bisogni",
    )
    notes = []
    others = ctx.needs.summed_places
    if others:
        total = figures.label(("row", OTHERS))
        notes.append(
            f"Gli altri {others} quartieri insieme: {total} bisogni."
            if others > 1
            else f"L'altro quartiere: {total} bisogni."
        )
    notes.append(ctx.footnote if chart.has_hidden else ctx.rule)
    if not places:  # every place has fewer than k needs: the note is the slide
        return Slide(
            "quartieri",
            "Bisogni per quartiere",
            f"Nessun quartiere con almeno {ctx.threshold} bisogni.",
            texts.DEFINITIONS["needs"] + " " + texts.DEFINITIONS["others_places"],
            lines=(notes[0],) if others else (),
            footnote=ctx.rule,
        )
    return Slide(
        "quartieri",
        "Bisogni per quartiere",
        texts.place_headline(ctx),
        texts.DEFINITIONS["needs"] + " " + texts.DEFINITIONS["others_places"],
        chart=chart,
        footnote=" ".join(notes),
    )


def _per_homes(ctx: Context) -> Slide:
    figures = ctx.needs.figures
    rates: list[tuple[float | None, str, Value]] = []
    for place in ctx.needs.rated:
        homes = ctx.data.places[place].homes or 1  # rated places have their homes
        shown = figures.shown(("place", place))
        if shown is None:
            rates.append((None, ctx.place_label(place), ctx.value(figures, ("place", place))))
        else:
            # Rounded as shown: the exact rate times the homes would give the count back.
            rate = formats.rounded(shown / homes * 100, 1)
            rates.append((rate, ctx.place_label(place), Value(rate, formats.number(rate, 1))))
    # Shown rates first, highest first; hidden ones after them by name: ranking a hidden
    # value would say something about it.
    rates.sort(key=lambda item: (item[0] is None, -(item[0] or 0), item[1]))
    rates = rates[: texts.TOP_RATES]
    chart = Chart(
        kind="hbar",
        category_title="Quartiere",
        categories=tuple(label for _, label, _ in rates),
        series=(Series("Bisogni ogni 100 alloggi", NEUTRAL, tuple(v for _, _, v in rates)),),
        value_title="Bisogni ogni 100 alloggi ALER",
        number_kind="rate",
    )
    return Slide(
        "alloggi",
        "Bisogni ogni 100 alloggi ALER",
        texts.rate_headline(rates),
        texts.DEFINITIONS["per_homes"],
        chart=chart,
        footnote=_footnote(ctx, chart),
    )


def _matrix(ctx: Context) -> Slide:
    figures = ctx.needs.figures
    rows = _by_shown(figures, {r: ("row", r) for r in ctx.needs.rows}, ctx.place_label)
    series = []
    for column in ctx.needs.columns:
        if column == OTHERS:
            name, colour = f"{OTHERS_PREFIX} bisogni", "#777777"
        else:
            need = ctx.data.needs[column]
            name, colour = need.name, ctx.data.areas[need.area_id].colour
        values = tuple(ctx.value(figures, ("cell", r, column)) for r in rows)
        series.append(Series(name, colour, values))
    chart = Chart(
        kind="matrix",
        category_title="Quartiere",
        categories=tuple(ctx.place_label(r) for r in rows) if series else (),
        series=tuple(series),
        value_title="Bisogni",
    )
    return Slide(
        "matrice",
        "Bisogni specifici per quartiere",
        texts.matrix_headline(chart),
        texts.DEFINITIONS["matrix"],
        chart=chart,
        footnote=_footnote(ctx, chart),
    )


def _trend(ctx: Context) -> Slide:
    """Each month's needs. Areas month by month would break into dots wherever a small month
    is hidden, and which areas were drawn (the largest) would tell something of those not."""
    figures = ctx.needs.figures
    months = ctx.needs.months
    total = Series(
        "Tutti i bisogni", TOTAL_COLOUR, tuple(ctx.value(figures, ("month_all", m)) for m in months)
    )
    chart = Chart(
        kind="line",
        category_title="Mese",
        categories=tuple(month_label(m, short=True) for m in months) if ctx.needs.areas else (),
        series=(total,),
        value_title="Bisogni",
    )
    return Slide(
        "andamento",
        "Andamento mese per mese",
        texts.trend_headline(chart, ctx.needs.months),
        texts.DEFINITIONS["trend"],
        chart=chart,
        footnote=_footnote(ctx, chart),
    )


def _outcomes(ctx: Context) -> Slide:
    figures = ctx.referrals.figures
    names = ctx.referrals.partner_names
    partners = tuple(
        _by_shown(
            figures, {p: ("sent", p) for p in ctx.referrals.partners}, lambda p: names.get(p, "")
        )
    )
    shown = tuple(
        Series(
            GROUP_NAMES[group],
            GROUP_COLOURS[group],
            tuple(ctx.value(figures, ("ref", p, group)) for p in partners),
        )
        for group in GROUPS
    )
    chart = Chart(
        kind="stacked_hbar",
        category_title="Ente (segnalazioni inviate)",
        categories=tuple(
            f"{OTHER_PARTNERS if p == OTHERS else names[p]} ({figures.label(('sent', p))})"
            for p in partners
        ),
        series=(*shown, _hidden_rest(figures, partners, shown)),
        value_title="Segnalazioni",
    )
    return Slide(
        "esiti",
        "Segnalazioni agli enti e loro esito",
        texts.outcomes_headline(ctx),
        texts.DEFINITIONS["sent"] + " " + texts.DEFINITIONS["outcomes"],
        chart=chart,
        footnote=_footnote(ctx, chart),
    )


def _hidden_rest(
    figures: privacy.Suppressed[Key], partners: tuple[int, ...], shown: tuple[Series, ...]
) -> Series:
    """What a partner's hidden outcomes add up to, so its bar is as long as the referrals it
    received: its total (shown) less its shown outcomes. Nothing new is told: anyone can
    subtract; which outcomes they are stays hidden."""
    k = figures.threshold
    values = []
    for index, partner in enumerate(partners):
        total = figures.shown(("sent", partner))
        parts = [series.values[index] for series in shown]
        if total is None or not any(part.hidden for part in parts):
            values.append(Value(0.0, ""))  # nothing hidden: no segment, no label
            continue
        rest = total - sum(int(part.number or 0) for part in parts)
        # Below k the rest is not drawn: a small number on the slide, even one anyone could
        # work out by subtraction, is what «< k» promises not to show.
        values.append(Value(float(rest), formats.number(rest)) if rest >= k else Value(0.0, ""))
    return Series(HIDDEN_NAME, HIDDEN_COLOUR, tuple(values))


def _days(ctx: Context) -> Slide:
    figures = ctx.referrals.figures
    values = tuple(ctx.value(figures, ("days", b)) for b in ctx.referrals.buckets)
    chart = Chart(
        kind="bar",
        category_title="Giorni dall'invio",
        categories=tuple(f"{b} giorni" for b in ctx.referrals.buckets),
        series=(Series("Segnalazioni prese in carico", COVERED, values),),
        value_title="Segnalazioni prese in carico",
    )
    return Slide(
        "tempi",
        "Tempi di presa in carico",
        texts.days_headline(ctx),
        texts.DEFINITIONS["days"],
        chart=chart,
        footnote=_footnote(ctx, chart),
    )


def _coverage(ctx: Context) -> Slide:
    figures = ctx.needs.figures
    areas = ctx.needs.areas
    values = tuple(ctx.value(figures, ("gap", a)) for a in areas)
    chart = Chart(
        kind="hbar",
        category_title="Area",
        categories=tuple(ctx.data.areas[a].name for a in areas),
        series=(Series("Bisogni senza un ente attivo nel quartiere", UNCOVERED, values),),
        value_title="Bisogni senza un ente attivo nel quartiere",
        point_colours=tuple(ctx.data.areas[a].colour for a in areas),
    )
    return Slide(
        "copertura",
        "Copertura della rete",
        texts.coverage_headline(ctx),
        texts.DEFINITIONS["coverage"],
        chart=chart,
        footnote=_footnote(ctx, chart),
    )


def closing_slide(contacts: tuple[str, ...]) -> Slide:
    return Slide(
        "contatti",
        "Contatti del coordinamento",
        "Per segnalare un bisogno, proporre un ente o aggiornare i contatti della rete",
        texts.CLOSING_NOTES,
        lines=contacts or (texts.NO_CONTACTS,),
    )


DATA_SLIDES: tuple[Callable[[Context], Slide], ...] = (
    _numbers,
    _by_area,
    _by_place,
    _per_homes,
    _matrix,
    _trend,
    _outcomes,
    _days,
    _coverage,
)
