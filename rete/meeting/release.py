"""The figures a meeting releases, linked as sums, and suppressed together (`rete.privacy`).

Two releases, each suppressed as one whole so that no hidden count can be worked out by
combining slides:
- needs: the neighbourhood × specific need matrix (the first places and needs, then «Altri»),
  its row, column and grand totals, the area totals, each month's total, the totals of the
  places with k needs (the per-100-homes slide), and each area's needs with no active partner,
  with every count a sum leaves out of what is drawn as a figure of its own;
- referrals: partner × outcome group (the first partners, then «Altri enti»), their totals,
  the network's total per outcome (the share taken in charge is computed from them), and the
  days-to-accept buckets, which add up to the referrals taken in charge.
The KPI tiles' distinct counts (interviews, households) stand alone: small ones are hidden.
Keys are tuples such as ("cell", place_id, need_id); `OTHERS` stands for a summed row or column.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass

from rete import privacy
from rete.meeting.data import MeetingData

OTHERS = 0  # the row of the places (or the column of the needs) summed into «Altri»
TOP_PLACES = 10  # rows of the matrix and bars of the neighbourhoods' slide (a slide's table
# holds about eleven rows at a size read from the back of the room)
TOP_NEEDS = 10  # columns of the matrix: a 1920-pixel slide reads about ten
TOP_PARTNERS = 10
# A partner gets its own bar with at least this many referrals × k: below it most of its row
# would read «< k» or «n.d.», an empty bar that says nothing.
PARTNER_MIN_K = 4
OUTCOMES = ("accepted", "refused", "cancelled", "waiting", "overdue")
# What the outcomes slide shows per partner: three groups, so that a partner's row holds
# fewer small counts (a single overdue referral would be a hidden cell of its own).
GROUPS = {
    "accepted": ("accepted",),
    "not_taken": ("refused", "cancelled"),
    "pending": ("waiting", "overdue"),
}
DAY_BUCKETS = ((0, 2, "0–2"), (3, 7, "3–7"), (8, 14, "8–14"), (15, 30, "15–30"))
LAST_BUCKET = "oltre 30"

Key = tuple[Hashable, ...]


@dataclass(frozen=True)
class NeedsRelease:
    figures: privacy.Suppressed[Key]
    rows: tuple[int, ...]  # place ids, biggest first; OTHERS last when some were summed
    columns: tuple[int, ...]  # need ids in taxonomy order; OTHERS last when some were summed
    summed_places: int  # places with needs and no row of their own
    rated: tuple[int, ...]  # places with a total of their own (per 100 homes), biggest first
    areas: tuple[int, ...]  # areas with needs, taxonomy order
    months: tuple[int, ...]


@dataclass(frozen=True)
class ReferralsRelease:
    figures: privacy.Suppressed[Key]
    partners: tuple[int, ...]  # partner ids, most referrals first; OTHERS last when summed
    partner_names: dict[int, str]
    buckets: tuple[str, ...]


def _sums(pairs: Iterable[tuple[Key, int]]) -> dict[Key, int]:
    totals: dict[Key, int] = defaultdict(int)
    for key, value in pairs:
        totals[key] += value
    return dict(totals)


def _ranked(totals: dict[int, int], names: dict[int, str]) -> list[int]:
    return sorted(totals, key=lambda key: (-totals[key], names.get(key, ""), key))


def needs_release(data: MeetingData, months: tuple[int, ...], threshold: int) -> NeedsRelease:
    """The needs' figures and their relations, suppressed as one release.

    A place or a specific need gets a row or a column of its own only with at least k needs:
    a row of small cells under a small total («< 5» four times and «< 5») gives each cell away
    whatever is hidden. The rest is summed in «Altri» (when that is small too, the release may
    have to be withheld: see `build`). A place's own total (the per-100-homes slide) is
    released only from k needs."""
    place_totals: dict[int, int] = defaultdict(int)
    need_totals: dict[int, int] = defaultdict(int)
    for (_, place, need), n in data.cube.items():
        place_totals[place] += n
        need_totals[need] += n
    places = _ranked(place_totals, {p: data.places[p].name for p in place_totals})
    rows = [p for p in places if place_totals[p] >= threshold][:TOP_PLACES]
    summed_places = [p for p in places if p not in rows]
    if summed_places:
        rows.append(OTHERS)
    ranked_needs = _ranked(need_totals, {n: data.needs[n].name for n in need_totals})
    top_needs = [n for n in ranked_needs if need_totals[n] >= threshold][:TOP_NEEDS]
    columns = sorted(top_needs, key=lambda n: data.needs[n].order)
    summed_needs = [n for n in ranked_needs if n not in top_needs]
    if summed_needs:
        columns.append(OTHERS)
    row_of = {place: (place if place in rows else OTHERS) for place in places}
    column_of = {need: (need if need in top_needs else OTHERS) for need in need_totals}
    rated = [p for p in places if place_totals[p] >= threshold and data.places[p].homes]
    areas = sorted({data.needs[n].area_id for n in need_totals}, key=lambda a: data.areas[a].order)

    values: dict[Key, int] = defaultdict(int)
    for (month, place, need), n in data.cube.items():
        area = data.needs[need].area_id
        row, column = row_of[place], column_of[need]
        if row in rows and column in columns:
            values[("cell", row, column)] += n
        if row in rows:
            values[("row", row)] += n
        if column in columns:
            values[("col", column)] += n
        values[("all",)] += n
        values[("area", area)] += n
        values[("month_all", month)] += n
        if place in rated:
            values[("place", place)] += n
    values.setdefault(("all",), 0)
    if OTHERS in rows:  # what «Altri» holds besides the rated places: a figure like any other
        values[("unrated",)] = values[("row", OTHERS)] - sum(
            values[("place", p)] for p in rated if p not in rows
        )
    for month in months:
        values.setdefault(("month_all", month), 0)
    for row in rows:
        for column in columns:
            values.setdefault(("cell", row, column), 0)
    gaps = _sums(((area,), n) for (_, area), n in data.gaps.items())
    area_columns = {
        a: [c for c in columns if c != OTHERS and data.needs[c].area_id == a] for a in areas
    }
    for area in areas:
        values[("gap", area)] = min(gaps.get((area,), 0), values[("area", area)])
        values[("covered", area)] = values[("area", area)] - values[("gap", area)]
        values[("area_rest", area)] = values[("area", area)] - sum(
            values[("col", c)] for c in area_columns[area]
        )

    # Every sum is exact: a count left out of one (the rest of a row, of a column, of
    # «Altri») could be worked out by subtraction, so it is a figure of the release too.
    relation = privacy.Relation[Key]
    relations = [relation(("row", r), tuple(("cell", r, c) for c in columns)) for r in rows]
    relations += [relation(("col", c), tuple(("cell", r, c) for r in rows)) for c in columns]
    relations += [
        relation(("all",), tuple(("row", r) for r in rows)),
        relation(("all",), tuple(("col", c) for c in columns)),
        relation(("all",), tuple(("area", a) for a in areas)),
        relation(("all",), tuple(("month_all", m) for m in months)),
    ]
    # What a sum leaves out of what is drawn is a figure too: an area's needs with a partner,
    # an area's needs outside the matrix's own columns.
    relations += [relation(("area", a), (("gap", a), ("covered", a))) for a in areas]
    relations += [
        relation(("area", a), (*(("col", c) for c in area_columns[a]), ("area_rest", a)))
        for a in areas
    ]
    if OTHERS in columns:
        relations.append(relation(("col", OTHERS), tuple(("area_rest", a) for a in areas)))
    for p in rated:  # a place's own total is its row's, or part of «Altri»'s
        if p in rows:
            relations.append(relation(("row", p), (("place", p),)))
    if OTHERS in rows:
        in_others = tuple(("place", p) for p in rated if p not in rows)
        relations.append(relation(("row", OTHERS), (*in_others, ("unrated",))))
    return NeedsRelease(
        figures=privacy.suppress(dict(values), [r for r in relations if r.parts], threshold),
        rows=tuple(rows),
        columns=tuple(columns),
        summed_places=len(summed_places),
        rated=tuple(rated),
        areas=tuple(areas),
        months=months,
    )


def _bucket(days: int) -> str:
    for low, high, label in DAY_BUCKETS:
        if low <= days <= high:
            return label
    return LAST_BUCKET


def referrals_release(data: MeetingData, threshold: int) -> ReferralsRelease:
    """Referrals by partner and outcome, and the days to taking in charge, as one release.

    The outcomes split the referrals sent: taken in charge (closed ones included), refused,
    cancelled, still waiting within their time, overdue."""
    frame = data.partners
    names = {int(row.partner_id): str(row.partner) for row in frame.itertuples(index=False)}
    ranked = [int(p) for p in frame["partner_id"]]  # the query's order: most referrals first
    sent = {int(row.partner_id): int(row.sent) for row in frame.itertuples(index=False)}
    shown = [p for p in ranked if sent[p] >= PARTNER_MIN_K * threshold][:TOP_PARTNERS]
    partners = shown + ([OTHERS] if len(ranked) > len(shown) else [])
    values: dict[Key, int] = defaultdict(int)
    for row in frame.itertuples(index=False):
        partner = int(row.partner_id) if int(row.partner_id) in shown else OTHERS
        waiting = int(row.sent - row.accepted - row.refused - row.cancelled - row.overdue)
        counts = dict(
            zip(
                OUTCOMES,
                (
                    int(row.accepted),
                    int(row.refused),
                    int(row.cancelled),
                    waiting,
                    int(row.overdue),
                ),
                strict=True,
            )
        )
        for group, outcomes in GROUPS.items():
            n = sum(counts[outcome] for outcome in outcomes)
            values[("ref", partner, group)] += n
            values[("status", group)] += n
            values[("sent", partner)] += n
            values[("sent_all",)] += n
        for outcome, n in counts.items():
            values[("outcome", outcome)] += n
    buckets = (*(label for _, _, label in DAY_BUCKETS), LAST_BUCKET)
    for label in buckets:
        values[("days", label)] = 0
    for days, n in data.days.items():
        values[("days", _bucket(days))] += n
    for group in GROUPS:
        values.setdefault(("status", group), 0)
    for outcome in OUTCOMES:
        values.setdefault(("outcome", outcome), 0)
    values.setdefault(("sent_all",), 0)

    relation = privacy.Relation[Key]
    relations = [relation(("sent", p), tuple(("ref", p, g) for g in GROUPS)) for p in partners]
    relations += [relation(("status", g), tuple(("ref", p, g) for p in partners)) for g in GROUPS]
    # Every outcome is a figure, shown (the share needs accepted, refused and overdue) or not
    # (cancelled, waiting): one left out of its group's sum could be worked out by subtraction.
    relations += [
        relation(("status", g), tuple(("outcome", o) for o in outcomes))
        for g, outcomes in GROUPS.items()
    ]
    relations += [
        relation(("sent_all",), tuple(("sent", p) for p in partners)),
        relation(("sent_all",), tuple(("status", g) for g in GROUPS)),
    ]
    # Every referral taken in charge has its days to acceptance: the buckets add up to them
    # (checked, not assumed: a record without a date would make the sum an upper bound).
    bucket_keys = tuple(("days", label) for label in buckets)
    exact = sum(values[key] for key in bucket_keys) == values[("outcome", "accepted")]
    relations.append(relation(("outcome", "accepted"), bucket_keys, exact=exact))
    return ReferralsRelease(
        figures=privacy.suppress(dict(values), [r for r in relations if r.parts], threshold),
        partners=tuple(partners),
        partner_names=names,
        buckets=buckets,
    )


def distinct_counts(data: MeetingData, threshold: int) -> privacy.Suppressed[Key]:
    """The tiles' distinct counts (interviews, households), each hidden when small."""
    values: dict[Key, int] = {
        ("interviews",): data.kpis.interviews,
        ("households",): data.kpis.households,
    }
    return privacy.suppress(values, [], threshold)
