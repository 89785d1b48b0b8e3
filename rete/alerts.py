"""Early warnings for the Cruscotto: at most three plain-Italian alerts computed from the data,
each with the Cruscotto view that shows it. Whatever the filters chosen, always on the last
complete month and on today.

The rules (the README's "Early warnings" says the same):

1. **Rising severe needs.** For each neighbourhood and each area, the urgent and high-severity
   needs of the last complete month against the twelve months before it: an alert when the
   month is above their mean plus two standard deviations (population) *and* has at least
   `MIN_SEVERE` such needs from at least `MIN_HOUSEHOLDS` households *and* at least `MIN_RISE`
   more than the mean. Only for a neighbourhood or area with records from before the twelve
   months (a place visited for the first time has no "normal" to compare with). The strongest
   rises first (by how many deviations above the mean), two at most.
2. **Referrals overdue now.** The referrals still awaiting a partner's reply past their date,
   whenever they were sent: one alert naming the three partners with the most.
3. **A partner's share taken in charge fell.** The last three complete months against the
   twelve before them, each share as the Cruscotto computes it (`queries.common.share`): an
   alert when it fell by at least `MIN_DROP_POINTS` points, with at least `MIN_JUDGED`
   referrals judged in each window. The largest fall, one at most.

No alert when the data are too few to say: thresholds, not percentages of nothing.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import Engine

from rete import formats
from rete.filters import month_add, month_code, month_label, month_of, month_range
from rete.queries import alerts as data
from rete.queries.common import judged, share

HISTORY_MONTHS = 12
MIN_SEVERE = 5  # severe needs in the month, at least
MIN_HOUSEHOLDS = 3  # households they come from, at least
MIN_RISE = 3  # above the mean, at least
DEVIATIONS = 2.0
RECENT_MONTHS = 3
MIN_JUDGED = 10  # referrals judged in each window, at least
MIN_DROP_POINTS = 20.0
MAX_ALERTS = 3


@dataclass(frozen=True)
class Alert:
    kind: str  # "rise", "overdue", "share"
    text: str  # plain Italian, no Markdown
    query: Mapping[str, str] = field(default_factory=dict)  # the Cruscotto's URL filters


@dataclass(frozen=True)
class SevereNeeds:
    """What the rise rule reads: `counts` is `queries.alerts.severe_needs` over the twelve
    months before the last complete one and that month; `households` the distinct households
    with a severe need in the last month, and `since` the first month with any need, both by
    unit: ("quartiere", neighbourhood id) or ("area", area code), as the URL says them."""

    counts: pd.DataFrame
    households: Mapping[tuple[str, str], int]
    since: Mapping[tuple[str, str], int]


@dataclass(frozen=True)
class Rise:
    key: str  # "quartiere" or "area": the URL filter
    value: str  # its URL value
    name: str
    count: int
    households: int
    mean: float
    score: float


UNITS = {
    "quartiere": ["neighbourhood_id", "neighbourhood", "municipality"],
    "area": ["area_code", "area"],
}


def rises(severe: SevereNeeds, last: int, key: str) -> list[Rise]:
    """The units (`key`: "quartiere" or "area") whose severe needs in month `last` rose above
    the rule of the module docstring, strongest first."""
    if severe.counts.empty:
        return []
    history = month_range(month_add(last, -HISTORY_MONTHS), month_add(last, -1))
    found: list[Rise] = []
    for unit, rows in severe.counts.groupby(UNITS[key], sort=False):
        value = str(unit[0])
        if severe.since.get((key, value), last) > history[0]:
            continue  # not twelve months of records for this place or area: no "normal" yet
        per_month = rows.groupby("month")["needs"].sum().to_dict()
        now = int(per_month.get(last, 0))
        households = severe.households.get((key, value), 0)
        before = [int(per_month.get(month, 0)) for month in history]
        mean = statistics.fmean(before)
        deviation = statistics.pstdev(before)
        if (
            now < MIN_SEVERE
            or households < MIN_HOUSEHOLDS
            or now - mean < MIN_RISE
            or now <= mean + DEVIATIONS * deviation
        ):
            continue
        name = f"{unit[1]} ({unit[2]})" if key == "quartiere" else str(unit[1])
        score = (now - mean) / max(deviation, 1.0)
        found.append(Rise(key, value, name, now, households, mean, score))
    return sorted(found, key=lambda rise: (-rise.score, rise.name))


def _rise_alert(rise: Rise, last: int) -> Alert:
    what = "nel quartiere" if rise.key == "quartiere" else "nell'area"
    text = (
        f"Bisogni urgenti o di gravità alta in aumento {what} {rise.name}: "
        f"{formats.number(rise.count)} nel mese di {month_label(last)} "
        f"({formats.number(rise.households)} nuclei), contro una media di "
        f"{formats.number(rise.mean, 1)} al mese nei {HISTORY_MONTHS} mesi precedenti."
    )
    # The view: the twelve months and this one, filtered on the place or area, so the monthly
    # trend shows the rise.
    period = f"{month_code(month_add(last, -HISTORY_MONTHS))}:{month_code(last)}"
    return Alert("rise", text, {"periodo": period, rise.key: rise.value})


def overdue_alert(overdue: pd.DataFrame) -> Alert | None:
    total = int(overdue["overdue"].sum()) if not overdue.empty else 0
    if not total:
        return None
    first = overdue.head(3)
    names = ", ".join(
        f"{row.partner} ({formats.number(row.overdue)})" for row in first.itertuples(index=False)
    )
    rest = " e altri enti" if len(overdue) > len(first) else ""
    word = "segnalazione attende" if total == 1 else "segnalazioni attendono"
    text = f"{formats.number(total)} {word} una risposta oltre la data prevista: {names}{rest}."
    return Alert("overdue", text)


def share_drops(recent: pd.DataFrame, before: pd.DataFrame) -> list[tuple[str, float, float]]:
    """(partner, share before, share now) of the partners whose share fell by the rule, the
    largest fall first."""
    merged = before.merge(recent, on=["partner_id", "partner"], suffixes=("_before", "_now"))
    drops = []
    for row in merged.itertuples(index=False):
        judged_before = judged(row.accepted_before, row.refused_before, row.overdue_before)
        judged_now = judged(row.accepted_now, row.refused_now, row.overdue_now)
        if min(judged_before, judged_now) < MIN_JUDGED:
            continue
        then = share(row.accepted_before, row.refused_before, row.overdue_before)
        now = share(row.accepted_now, row.refused_now, row.overdue_now)
        if then is not None and now is not None and (then - now) * 100 >= MIN_DROP_POINTS:
            drops.append((str(row.partner), then, now))
    return sorted(drops, key=lambda drop: (drop[2] - drop[1], drop[0]))


def the_percent(share: float) -> str:
    """'il 40%', 'l'80%': the article before a percentage, as it is read aloud (otto, undici,
    uno begin with a vowel)."""
    shown = formats.percent(share, 0)
    whole = shown.split(",")[0].rstrip("%")
    return ("l'" if whole.startswith("8") or whole in ("1", "11") else "il ") + shown


def _share_alert(partner: str, then: float, now: float, first: int, last: int) -> Alert:
    text = (
        f"Prese in carico in calo per {partner}: {the_percent(now)} delle "
        f"segnalazioni inviate da {month_label(first)} a {month_label(last)} con una risposta "
        f"o in ritardo, contro {the_percent(then)} nei {HISTORY_MONTHS} mesi "
        "precedenti."
    )
    return Alert("share", text, {"periodo": f"{month_code(first)}:{month_code(last)}"})


def alerts(
    severe: SevereNeeds,
    overdue: pd.DataFrame,
    recent: pd.DataFrame,
    before: pd.DataFrame,
    last: int,
    first_recorded: int | None,
) -> list[Alert]:
    """At most three alerts from the aggregates of `queries.alerts`, in the rules' order."""
    ranked = rises(severe, last, "quartiere") + rises(severe, last, "area")
    # The strongest first; on a tie the place, the more precise of the two.
    ranked.sort(key=lambda rise: (-rise.score, rise.key != "quartiere", rise.name))
    found = [_rise_alert(rise, last) for rise in ranked[:2]]
    late = overdue_alert(overdue)
    if late:
        found.append(late)
    first = month_add(last, 1 - RECENT_MONTHS)
    if first_recorded is not None and first_recorded <= month_add(first, -HISTORY_MONTHS):
        drops = share_drops(recent, before)
        found += [_share_alert(partner, then, now, first, last) for partner, then, now in drops[:1]]
    return found[:MAX_ALERTS]


def early_warnings(engine: Engine, today: dt.date, first_recorded: int | None) -> list[Alert]:
    """The alerts for `today`: the last complete month is the one before today's."""
    last = month_add(month_of(today), -1)
    recent_first = month_add(last, 1 - RECENT_MONTHS)
    households, since = data.severe_households(engine, last), data.first_months(engine)
    return alerts(
        SevereNeeds(
            data.severe_needs(engine, month_add(last, -HISTORY_MONTHS), last), households, since
        ),
        data.overdue_by_partner(engine, today),
        data.partner_window(engine, recent_first, last, today),
        data.partner_window(
            engine, month_add(recent_first, -HISTORY_MONTHS), month_add(recent_first, -1), today
        ),
        last,
        first_recorded,
    )
