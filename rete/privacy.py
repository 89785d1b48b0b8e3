"""Small counts hidden from what partners see: primary and complementary suppression.

Every count in meeting mode and in partner exports goes through `suppress`, with the relations
that tie the released figures together (a total is the sum of its cells, an area total the sum
of its specific needs, ...), so that no hidden count can be worked out from what is shown.

Rules, in the order `suppress` applies them:

1. Primary: every figure with 0 < value < k is hidden and shown as "< k" (margins and totals
   too: a hidden total is a cell like any other). Zero is shown as 0 and is never hidden to
   protect another figure.
2. Counting rule (fast, first): in every exact relation the members (whole and parts) hold no
   hidden figure or at least two. While some relation holds exactly one, its smallest visible
   non-zero member is hidden as well (ties: a part before the whole, then by `repr` of the
   key), until nothing changes. Such complements are "secondary" and shown as "n.d.".
3. Audit (the proof, then the fix): an intruder knows every shown value and every relation,
   that figures are non-negative integers, that "< k" lies in [1, k-1] and that "n.d." is at
   least k (it is never zero, nor below k, or it would read "< k"). For each primary figure a
   linear programme (HiGHS; the hidden figures are its only variables, shown ones are
   constants) gives the least and the greatest value it can take; it is exposed when that
   range holds a single integer. Inexact relations say sum(parts) <= whole. An exposed figure
   first gets as complement the smallest visible non-zero figure of its relations, of those
   that hold it at its value if they have one (non-zero dual values; same tie-break). If it
   is still exposed at the next audit, or its relations have none, every
   visible figure touched by the cheapest change that moves it by one while keeping every
   relation and every figure's class is hidden (a second linear programme; the cost of a
   change is the sum of the visible values it touches). Rule 2 and the audit then run again,
   until no primary figure is exposed. When no such change exists even with everything
   hidden, the figure is listed in `Suppressed.unresolved` and the table must not be released
   as it is: zeros being shown, "< 5" four times with a total "< 5" says that each cell is 1.
4. Determinism: figures are ordered by `repr` of their key, so the same values and relations
   give the same result in any process.

Hiding a shown figure (always >= k) only widens what the intruder must consider, so a primary
figure found safe stays safe: the audit re-checks only the exposed ones, and a solution of one
programme that moves another primary figure by a whole unit proves that one safe too, without a
programme of its own. On a 2-core machine a 16 x 40 table with its margins and 8 area totals
(about 700 figures, 30% of the cells small) takes 0.12-0.17 s; with a subtotal per row and
area as well (about 830 figures, 190 relations), 0.15-0.45 s.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Generic, TypeVar

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import coo_array, hstack

from rete import formats

K = TypeVar("K", bound=Hashable)
R = TypeVar("R")
C = TypeVar("C")

SECONDARY_LABEL = "n.d."

# Below 3 a "< k" label tells the value itself ("< 2" is 1); Italy's official-statistics code
# sets 3 as its minimum.
MINIMUM_THRESHOLD = 3

# Slack for the floating-point bounds of the linear programmes.
_TOLERANCE = 1e-6

# A block of linear constraints as `linprog` takes it: (sparse matrix, right-hand side), or
# (None, None) for none.
_Rows = tuple[Any, Any]


@dataclass(frozen=True)
class Relation(Generic[K]):
    """The figure `whole` is the sum of the figures `parts` (exact=True), or at least their
    sum (exact=False: the parts are some of what the whole counts, e.g. needs with no partner
    among all needs of an area)."""

    whole: K
    parts: tuple[K, ...]
    exact: bool = True

    @property
    def members(self) -> tuple[K, ...]:
        return (self.whole, *self.parts)


@dataclass(frozen=True)
class Suppressed(Generic[K]):
    """The outcome of `suppress`: which figures are hidden, and how each one reads."""

    threshold: int
    values: Mapping[K, int]  # the true counts (never shown: for tests and derived checks)
    primary: frozenset[K]  # 0 < value < threshold
    secondary: frozenset[K]  # hidden so that no primary one can be worked out
    # Primary figures the released structure still gives away with every non-zero figure
    # linked to them hidden: a table holding one must not be released.
    unresolved: frozenset[K] = frozenset()

    def hidden(self, key: K) -> bool:
        return key in self.primary or key in self.secondary

    def shown(self, key: K) -> int | None:
        """The value, or None when hidden."""
        return None if self.hidden(key) else self.values[key]

    def label(self, key: K) -> str:
        """'1.234', '< 5' or 'n.d.'."""
        if key in self.primary:
            return primary_label(self.threshold)
        if key in self.secondary:
            return SECONDARY_LABEL
        return formats.number(self.values[key])

    @property
    def any_hidden(self) -> bool:
        return bool(self.primary or self.secondary)


def primary_label(threshold: int) -> str:
    """'< 5': what a count below the threshold reads."""
    return f"< {threshold}"


def change_shown(current: int, previous: int, threshold: int) -> bool:
    """Whether "current vs previous period" may be released: a change next to a shown count
    gives the other count away, so both must be at least the threshold."""
    return current >= threshold and previous >= threshold


def share_shown(denominator: int, threshold: int) -> bool:
    """Whether a share, rate or median over `denominator` cases may be released."""
    return denominator >= threshold


def table_relations(
    rows: Sequence[R],
    columns: Sequence[C],
    cell: Callable[[R, C], K],
    row_total: Callable[[R], K],
    column_total: Callable[[C], K],
    grand_total: K,
) -> list[Relation[K]]:
    """The relations of a table released with its margins: each row total is the sum of its
    cells, each column total of its column, the grand total of the row totals and of the
    column totals.

    The functions name the figures, e.g. `cell=lambda q, b: ("cell", q, b)`,
    `row_total=lambda q: ("row", q)`, `column_total=lambda b: ("column", b)`,
    `grand_total=("total",)`. A table shown without its grand total still gives it away
    (the sum of the row totals), so it always takes part.
    """
    relations = [Relation(row_total(row), tuple(cell(row, c) for c in columns)) for row in rows]
    relations += [
        Relation(column_total(column), tuple(cell(r, column) for r in rows)) for column in columns
    ]
    relations.append(Relation(grand_total, tuple(row_total(row) for row in rows)))
    relations.append(Relation(grand_total, tuple(column_total(column) for column in columns)))
    return relations


def suppress(
    values: Mapping[K, int], relations: Sequence[Relation[K]], threshold: int
) -> Suppressed[K]:
    """Hide every count below `threshold` and, by the rules above, every figure that would
    give one of them away."""
    _check(values, relations, threshold)
    primary = frozenset(key for key, value in values.items() if 0 < value < threshold)
    run = _Run(values, relations, threshold, primary)
    run.complete()
    return Suppressed(
        threshold=threshold,
        values=MappingProxyType(dict(values)),
        primary=primary,
        secondary=frozenset(run.hidden - primary),
        unresolved=frozenset(run.unresolved),
    )


def _check(values: Mapping[K, int], relations: Sequence[Relation[K]], threshold: int) -> None:
    """Refuse what the audit could not reason about: a suppression that could not be proved
    on wrong input would be worse than an error."""
    if threshold < MINIMUM_THRESHOLD:
        raise ValueError(f"threshold {threshold} is below {MINIMUM_THRESHOLD}")
    negative = [key for key, value in values.items() if value < 0]
    if negative:
        raise ValueError(f"negative counts: {negative!r}")
    for relation in relations:
        missing = [key for key in relation.members if key not in values]
        if missing:
            raise ValueError(f"{relation!r} names figures with no value: {missing!r}")
        if not relation.parts or len(set(relation.members)) != len(relation.members):
            raise ValueError(f"{relation!r} needs parts, each named once and not the whole")
        whole = values[relation.whole]
        parts = sum(values[key] for key in relation.parts)
        if (whole != parts) if relation.exact else (whole < parts):
            raise ValueError(f"{relation!r} does not hold: whole {whole}, parts {parts}")


class _Run(Generic[K]):
    """One suppression: the figures hidden so far, grown by the counting rule and the audit."""

    def __init__(
        self,
        values: Mapping[K, int],
        relations: Sequence[Relation[K]],
        threshold: int,
        primary: frozenset[K],
    ) -> None:
        self.values = values
        self.relations = tuple(relations)
        self.exact = tuple(relation for relation in relations if relation.exact)
        self.threshold = threshold
        self.primary = primary
        self.hidden: set[K] = set(primary)
        self.unresolved: set[K] = set()
        self.rank = {key: i for i, key in enumerate(sorted(values, key=repr))}
        self.memberships: dict[K, list[Relation[K]]] = {}
        for relation in self.relations:
            for key in relation.members:
                self.memberships.setdefault(key, []).append(relation)

    def complete(self) -> None:
        """Apply the counting rule, then audit and fix until no primary figure is exposed."""
        pending = sorted(self.primary, key=self.rank.__getitem__)
        fixed_once: set[K] = set()
        while True:
            self._apply_counting_rule()
            exposed = self._exposed(pending)
            if not exposed:
                return
            hidden_before = len(self.hidden)
            self._protect(exposed, fixed_once)
            if len(self.hidden) == hidden_before:
                # Nothing left to hide for them (or a rounding slip in the cost programme
                # thinks so): stop rather than loop, and say so.
                self.unresolved.update(exposed)
            pending = [key for key in exposed if key not in self.unresolved]

    def _apply_counting_rule(self) -> None:
        """Rule 2: no exact relation is left with a single hidden member."""
        changed = True
        while changed:
            changed = False
            for relation in self.exact:
                if sum(key in self.hidden for key in relation.members) == 1:
                    complement = self._smallest_visible(relation)
                    assert complement is not None  # a consistent relation always has one
                    self.hidden.add(complement)
                    changed = True

    def _visible(self, key: K) -> bool:
        """Shown and non-zero: a figure that may be hidden as a complement."""
        return key not in self.hidden and self.values[key] > 0

    def _smallest_visible(self, *relations: Relation[K]) -> K | None:
        """The visible non-zero member to hide: smallest value, a part before a whole, then
        by key."""
        candidates = [
            (self.values[key], role, self.rank[key], key)
            for relation in relations
            for role, keys in ((0, relation.parts), (1, (relation.whole,)))
            for key in keys
            if self._visible(key)
        ]
        return min(candidates, key=lambda candidate: candidate[:3])[3] if candidates else None

    def _protect(self, exposed: Mapping[K, list[Relation[K]]], fixed_once: set[K]) -> None:
        """Hide complements for the exposed figures. The first time, the smallest visible
        figure of its relations; when that was not enough (or there is none), every figure
        of the cheapest change that moves it by one (`_cover`). A figure next to a complement
        chosen in this round waits for the next audit, which may find it safe already."""
        touched: set[K] = set()
        for key, binding in exposed.items():
            relations = self.memberships[key]
            if any(member in touched for relation in relations for member in relation.members):
                continue
            complement = None
            if key not in fixed_once:
                pinning = [relation for relation in relations if relation in binding]
                complement = self._smallest_visible(*pinning)
                if complement is None:
                    complement = self._smallest_visible(*relations)
            fixed_once.add(key)
            cover = [complement] if complement is not None else self._cover(key)
            if cover is None:
                self.unresolved.add(key)
            else:  # empty when this round's complements already free it
                self.hidden.update(cover)
                touched.update(cover)

    def _cover(self, key: K) -> list[K] | None:
        """The visible figures to hide so that `key` can take another value: those touched
        by the cheapest change (in the values of the visible figures it touches) that moves
        `key` by one and keeps every relation and every figure's class ("< k", or at least
        k); None when no such change exists, even hiding everything."""
        figures = [figure for figure in self._linked(key) if self.values[figure] > 0]
        moves = _Moves(self, figures)
        true = self.values[key]
        changes = [
            change
            for step in (1, -1)
            if 1 <= true + step < self.threshold
            and (change := moves.cheapest(key, step)) is not None
        ]
        if not changes:
            return None
        moved = min(changes, key=lambda change: change[0])[1]
        return [figure for figure in moved if self._visible(figure)]

    def _linked(self, start: K) -> list[K]:
        """The figures linked to `start` through any chain of relations, in key order."""
        seen = {start}
        frontier = [start]
        while frontier:
            for relation in self.memberships.get(frontier.pop(), []):
                for member in relation.members:
                    if member not in seen:
                        seen.add(member)
                        frontier.append(member)
        return sorted(seen, key=self.rank.__getitem__)

    def _exposed(self, candidates: list[K]) -> dict[K, list[Relation[K]]]:
        """The figures among `candidates` (primary ones) whose feasible range holds a single
        integer, in key order, each with the relations that pin it down."""
        components = self._components()
        groups: dict[K, list[K]] = {}  # by the first figure of the component
        for key in candidates:
            # A primary figure in no relation is bounded by [1, k-1] only: never exposed.
            if key in components:
                groups.setdefault(components[key][0], []).append(key)
        exposed: dict[K, list[Relation[K]]] = {}
        for first, keys in groups.items():
            exposed.update(_Polytope(self, components[first]).exposed(keys))
        return {key: exposed[key] for key in sorted(exposed, key=self.rank.__getitem__)}

    def _components(self) -> dict[K, list[K]]:
        """Hidden figures linked by the relations that hold them: for each one, the figures
        of its component in key order (one list shared by the component)."""
        parent: dict[K, K] = {}

        def root(key: K) -> K:
            while parent[key] != key:
                parent[key] = parent[parent[key]]
                key = parent[key]
            return key

        for relation in self.relations:
            hidden = [key for key in relation.members if key in self.hidden]
            for key in hidden:
                parent.setdefault(key, key)
            for key in hidden[1:]:
                parent[root(key)] = root(hidden[0])
        members: dict[K, list[K]] = {}
        for key in sorted(parent, key=self.rank.__getitem__):
            members.setdefault(root(key), []).append(key)
        return {key: members[root(key)] for key in parent}


def _relation_rows(
    relations: list[Relation[K]], column: Mapping[K, int], values: Mapping[K, int]
) -> _Rows:
    """Each relation as sum(parts) - whole over the figures in `column`, and as right-hand
    side the same over the other figures, negated (so shown figures are constants); (None,
    None) for no relation, as `linprog` takes it."""
    if not relations:
        return None, None
    rows, columns, coefficients, rhs = [], [], [], []
    for row, relation in enumerate(relations):
        right = 0
        for key, sign in [(relation.whole, -1)] + [(part, 1) for part in relation.parts]:
            if key in column:
                rows.append(row)
                columns.append(column[key])
                coefficients.append(sign)
            else:
                right -= sign * values[key]
        rhs.append(right)
    matrix = coo_array((coefficients, (rows, columns)), shape=(len(relations), len(column)))
    return matrix.tocsr(), np.array(rhs, dtype=float)


def _solve(objective: Any, bounds: Sequence[Any], equalities: _Rows, inequalities: _Rows) -> Any:
    """`linprog` with HiGHS; None when the programme has no solution."""
    a_eq, b_eq = equalities
    a_ub, b_ub = inequalities
    result = linprog(
        objective, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs"
    )
    if result.status == 2:  # infeasible
        return None
    if result.status != 0:
        raise RuntimeError(f"suppression audit failed: {result.message}")
    return result


class _Polytope(Generic[K]):
    """What the intruder knows about one component of hidden figures, as a linear programme
    whose variables are those figures (shown ones are constants on the right-hand side)."""

    def __init__(self, run: _Run[K], figures: list[K]) -> None:
        self.run = run
        self.figures = figures
        self.column = {key: i for i, key in enumerate(figures)}
        relations = list(
            dict.fromkeys(relation for key in figures for relation in run.memberships[key])
        )
        self.exact = [relation for relation in relations if relation.exact]
        self.inexact = [relation for relation in relations if not relation.exact]
        self.equalities = _relation_rows(self.exact, self.column, run.values)
        self.inequalities = _relation_rows(self.inexact, self.column, run.values)
        k = run.threshold
        self.bounds = [(1, k - 1) if key in run.primary else (k, None) for key in figures]

    def exposed(self, keys: list[K]) -> dict[K, list[Relation[K]]]:
        """Those of `keys` with a single possible integer value, each with the relations that
        hold it there: the greatest value first, the least only when the greatest is the true
        one."""
        proved: set[K] = set()
        exposed = {}
        for key in keys:
            if key in proved:
                continue
            true = self.run.values[key]
            highest, above = self._extreme(key, 1, proved)
            if math.floor(highest + _TOLERANCE) > true:
                continue
            lowest, below = self._extreme(key, -1, proved)
            if math.ceil(lowest - _TOLERANCE) < true:
                continue
            exposed[key] = above + below
        return exposed

    def _extreme(self, key: K, direction: int, proved: set[K]) -> tuple[float, list[Relation[K]]]:
        """The greatest (direction 1) or least (-1) value of `key`, and the relations that
        hold it there (those with a non-zero dual value); every primary figure the solution
        moves by a whole unit from its true value is added to `proved`."""
        objective = np.zeros(len(self.figures))
        objective[self.column[key]] = -direction
        result = _solve(objective, self.bounds, self.equalities, self.inequalities)
        if result is None:
            raise RuntimeError(f"suppression audit found no solution for {key!r}")
        for figure, value in zip(self.figures, result.x, strict=True):
            moved = abs(value - self.run.values[figure]) >= 1 - _TOLERANCE
            if moved and figure in self.run.primary:
                proved.add(figure)
        binding = [
            relation
            for relations, duals in ((self.exact, result.eqlin), (self.inexact, result.ineqlin))
            if relations
            for relation, dual in zip(relations, duals.marginals, strict=True)
            if abs(dual) > _TOLERANCE
        ]
        return float(result.x[self.column[key]]), binding


class _Moves(Generic[K]):
    """Changes d of the non-zero figures linked to an exposed one that keep every relation
    (sum(d parts) = d whole, or within the slack of an inexact one) and every figure in its
    class, as a linear programme over d = up - down (both non-negative), so that the cost,
    the values of the visible figures touched, is linear. Zeros stay as they are."""

    def __init__(self, run: _Run[K], figures: list[K]) -> None:
        self.figures = figures
        self.column = {key: i for i, key in enumerate(figures)}
        relations = list(
            dict.fromkeys(relation for key in figures for relation in run.memberships[key])
        )
        exact = [relation for relation in relations if relation.exact]
        inexact = [relation for relation in relations if not relation.exact]
        slack = [run.values[r.whole] - sum(run.values[p] for p in r.parts) for r in inexact]
        self.equalities = _up_down(_relation_rows(exact, self.column, run.values), [0] * len(exact))
        self.inequalities = _up_down(_relation_rows(inexact, self.column, run.values), slack)
        k = run.threshold
        self.up: list[tuple[int, int | None]] = []
        self.down: list[tuple[int, int | None]] = []
        for key in figures:
            value = run.values[key]
            self.up.append((0, k - 1 - value if key in run.primary else None))
            self.down.append((0, value - 1 if key in run.primary else value - k))
        cost = [0 if key in run.hidden else run.values[key] for key in figures]
        self.objective = np.array(cost + cost, dtype=float)

    def cheapest(self, key: K, step: int) -> tuple[float, list[K]] | None:
        """The cost and the figures touched by the cheapest change moving `key` by `step`;
        None when there is none."""
        i = self.column[key]
        up, down = list(self.up), list(self.down)
        up[i], down[i] = ((1, 1), (0, 0)) if step > 0 else ((0, 0), (1, 1))
        result = _solve(self.objective, up + down, self.equalities, self.inequalities)
        if result is None:
            return None
        size = len(self.figures)
        touched = result.x[:size] + result.x[size:] > _TOLERANCE
        moved = [figure for figure, t in zip(self.figures, touched, strict=True) if t]
        return float(result.fun), moved


def _up_down(rows: _Rows, rhs: list[int]) -> _Rows:
    """Rows over d written over (up, down), with d = up - down; the right-hand side `rhs`."""
    matrix = rows[0]
    if matrix is None:
        return None, None
    return hstack([matrix, -matrix]).tocsr(), np.array(rhs, dtype=float)
