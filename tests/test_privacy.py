"""Small counts in what partners see: hidden, and impossible to work out from what is shown.

The proofs here are the test's own: an exhaustive search over every integer table an intruder
could believe, and a linear programme written independently of `rete.privacy`'s.
"""

from __future__ import annotations

import math
import os
import random
import subprocess
import sys
import time
from collections.abc import Hashable, Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from rete.privacy import (
    SECONDARY_LABEL,
    Relation,
    Suppressed,
    change_shown,
    primary_label,
    share_shown,
    suppress,
    table_relations,
)

Key = tuple[Hashable, ...]
TOTAL: Key = ("total",)


def cell(row: Hashable, column: Hashable) -> Key:
    return ("cell", row, column)


def row_total(row: Hashable) -> Key:
    return ("row", row)


def column_total(column: Hashable) -> Key:
    return ("column", column)


def table(cells: Sequence[Sequence[int]]) -> tuple[dict[Key, int], list[Relation[Key]]]:
    """The figures of a table released with its row, column and grand totals."""
    rows, columns = range(len(cells)), range(len(cells[0]))
    values = {cell(r, c): cells[r][c] for r in rows for c in columns}
    values.update({row_total(r): sum(cells[r]) for r in rows})
    values.update({column_total(c): sum(cells[r][c] for r in rows) for c in columns})
    values[TOTAL] = sum(map(sum, cells))
    return values, table_relations(rows, columns, cell, row_total, column_total, TOTAL)


# --- Worked examples ------------------------------------------------------------------------


def test_a_small_cell_in_a_two_by_two_hides_its_row_its_column_and_the_opposite_cell() -> None:
    values, relations = table([[2, 10], [8, 12]])
    result = suppress(values, relations, 5)
    assert result.primary == {cell(0, 0)}
    # Row 0 takes 10 (not its total 12), column 0 takes 8 (not 10), then row 1 needs 12.
    assert result.secondary == {cell(0, 1), cell(1, 0), cell(1, 1)}
    assert all(result.shown(key) == values[key] for key in [row_total(0), column_total(1), TOTAL])


def test_a_part_that_is_its_whole_alone_hides_both_and_nothing_more() -> None:
    values = {"households": 2, "needs": 2, "other": 40}
    result = suppress(values, [Relation("needs", ("households",))], 5)
    assert result.primary == {"households", "needs"}
    assert result.secondary == set()
    assert result.unresolved == set()


def test_a_row_whose_only_other_non_zero_member_is_its_total_keeps_its_zero() -> None:
    values, relations = table([[3, 0], [9, 7]])
    result = suppress(values, relations, 5)
    assert {cell(0, 0), row_total(0)} <= result.primary
    assert not result.hidden(cell(0, 1))
    assert result.label(cell(0, 1)) == "0"
    # The cell and its total protect each other in row 0; column 0 takes the 9 and the
    # column of row totals the 16 (not the grand total, 19).
    assert result.secondary == {cell(1, 0), row_total(1)}


def test_zero_is_never_hidden_nor_taken_as_a_complement() -> None:
    values, relations = table([[2, 0, 7], [6, 0, 8]])
    result = suppress(values, relations, 5)
    assert not any(result.hidden(key) for key, value in values.items() if value == 0)
    # In row 0 the smallest visible figure is the zero: the 7 is taken instead.
    assert result.hidden(cell(0, 2))


def test_margins_below_the_threshold_are_primary() -> None:
    values, relations = table([[1, 2], [30, 40]])
    result = suppress(values, relations, 5)
    assert {cell(0, 0), cell(0, 1), row_total(0)} <= result.primary
    assert result.label(row_total(0)) == "< 5"


def test_labels_are_the_italian_count_less_than_k_or_not_available() -> None:
    values, relations = table([[2, 1234], [8, 12]])
    result = suppress(values, relations, 5)
    assert result.label(cell(0, 0)) == "< 5"
    assert result.label(cell(1, 0)) == SECONDARY_LABEL == "n.d."
    assert result.label(column_total(1)) == "1.246"
    assert result.shown(cell(0, 0)) is None
    assert result.shown(column_total(1)) == 1246
    assert primary_label(3) == "< 3"
    assert suppress(values, relations, 3).label(cell(0, 0)) == "< 3"


def test_the_counting_rule_alone_would_give_1_plus_5_equals_6_away() -> None:
    # The counting rule hides the 1 and its smallest neighbour, the 5; but "n.d." is at
    # least 5 and the total 6 is shown, so the 1 could be read back: the audit hides more.
    values = {"a": 1, "b": 5, "total": 6}
    result = suppress(values, [Relation("total", ("a", "b"))], 5)
    assert result.primary == {"a"}
    assert result.secondary == {"b", "total"}
    assert result.unresolved == set()


def test_the_audit_takes_its_complement_from_the_relation_that_gives_the_count_away() -> None:
    # After the counting rule, a + b = 6 pins a to 1 while a + c + e = 13 does not: the
    # audit hides the total 6 and leaves e (also 6, and a cell) shown.
    values = {"a": 1, "b": 5, "total": 6, "c": 6, "e": 6, "d": 13}
    relations = [Relation("total", ("a", "b")), Relation("d", ("a", "c", "e"))]
    result = suppress(values, relations, 5)
    assert result.secondary == {"b", "c", "total"}


def test_an_inexact_relation_is_no_sum_to_subtract_from() -> None:
    # "Needs with no partner" are some of the area's needs: a hidden 2 among 40 needs an upper
    # bound only, so nothing else is hidden (the counting rule is for exact relations).
    values = {"no partner": 2, "area": 40}
    result = suppress(values, [Relation("area", ("no partner",), exact=False)], 5)
    assert result.primary == {"no partner"}
    assert result.secondary == set()


def test_four_small_cells_with_a_small_total_cannot_be_protected_and_say_so() -> None:
    # Each cell "< 5", none zero, and the total "< 5": each cell is 1 whatever is hidden.
    values, relations = table([[1, 1], [1, 1]])
    result = suppress(values, relations, 5)
    assert all(result.hidden(key) for key in values)
    assert {cell(r, c) for r in range(2) for c in range(2)} <= result.unresolved
    assert result.unresolved <= result.primary


def test_an_input_without_small_counts_hides_nothing() -> None:
    values, relations = table([[0, 12], [5, 130]])
    result = suppress(values, relations, 5)
    assert not result.any_hidden
    assert [result.label(key) for key in values][:4] == ["0", "12", "5", "130"]
    assert suppress(*table([[2, 12], [5, 130]]), 5).any_hidden


def test_inputs_the_audit_could_not_reason_about_are_refused() -> None:
    with pytest.raises(ValueError, match="does not hold"):
        suppress({"a": 2, "t": 3}, [Relation("t", ("a",))], 5)
    with pytest.raises(ValueError, match="does not hold"):
        suppress({"a": 4, "t": 3}, [Relation("t", ("a",), exact=False)], 5)
    with pytest.raises(ValueError, match="no value"):
        suppress({"a": 2}, [Relation("t", ("a",))], 5)
    with pytest.raises(ValueError, match="negative"):
        suppress({"a": -1}, [], 5)
    with pytest.raises(ValueError, match="below 3"):
        suppress({"a": 1}, [], 2)


def test_table_relations_ties_rows_columns_and_the_grand_total() -> None:
    relations = table_relations(["Biumo", "Bosto"], ["ECO01"], cell, row_total, column_total, TOTAL)
    assert relations == [
        Relation(row_total("Biumo"), (cell("Biumo", "ECO01"),)),
        Relation(row_total("Bosto"), (cell("Bosto", "ECO01"),)),
        Relation(column_total("ECO01"), (cell("Biumo", "ECO01"), cell("Bosto", "ECO01"))),
        Relation(TOTAL, (row_total("Biumo"), row_total("Bosto"))),
        Relation(TOTAL, (column_total("ECO01"),)),
    ]


@pytest.mark.parametrize(
    ("current", "previous", "shown"),
    [(12, 9, True), (5, 5, True), (4, 30, False), (30, 4, False), (30, 0, False)],
)
def test_a_change_is_shown_only_between_two_counts_of_at_least_k(
    current: int, previous: int, shown: bool
) -> None:
    assert change_shown(current, previous, 5) is shown


def test_a_share_is_shown_only_over_at_least_k_cases() -> None:
    assert share_shown(5, 5)
    assert not share_shown(4, 5)
    assert not share_shown(0, 5)


# --- Determinism ----------------------------------------------------------------------------

# Ties everywhere (equal values, string keys whose set order changes with the hash seed).
TIED_TABLE = [[2, 7, 7, 7], [7, 2, 7, 7], [7, 7, 7, 3]]
DETERMINISM_SCRIPT = """
from rete.privacy import suppress, table_relations
cells = {cells!r}
rows = [f"r{{i}}" for i in range(len(cells))]
columns = [f"c{{j}}" for j in range(len(cells[0]))]
values = {{f"{{r}}/{{c}}": cells[i][j] for i, r in enumerate(rows) for j, c in enumerate(columns)}}
values.update({{r: sum(cells[i]) for i, r in enumerate(rows)}})
values.update({{c: sum(row[j] for row in cells) for j, c in enumerate(columns)}})
values["all"] = sum(map(sum, cells))
relations = table_relations(rows, columns, lambda r, c: f"{{r}}/{{c}}", str, str, "all")
print(sorted(suppress(values, relations, 5).secondary))
"""


def test_the_same_input_gives_the_same_output_in_any_process_and_key_order() -> None:
    script = DETERMINISM_SCRIPT.format(cells=TIED_TABLE)
    root = Path(__file__).resolve().parent.parent
    outputs = {
        subprocess.run(
            [sys.executable, "-c", script],
            env={**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(root)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2")
    }
    assert len(outputs) == 1
    values, relations = table(TIED_TABLE)
    forward = suppress(values, relations, 5)
    backward = suppress(dict(reversed(values.items())), relations, 5)
    assert forward == backward


# --- The intruder's view, checked exhaustively (small tables) ------------------------------

Interval = tuple[int, int]


def intruder_intervals(
    result: Suppressed[Key], values: Mapping[Key, int], cap: int
) -> dict[Key, Interval]:
    """What each label says: a shown value, "< k" in [1, k-1], "n.d." in [k, cap]."""
    k = result.threshold
    intervals = {}
    for key, value in values.items():
        if key in result.primary:
            intervals[key] = (1, k - 1)
        elif key in result.secondary:
            intervals[key] = (k, cap)
        else:
            intervals[key] = (value, value)
    return intervals


def table_exists(rows: int, columns: int, intervals: Mapping[Key, Interval]) -> bool:
    """Whether some integer table has every cell, row, column and grand total in its
    interval: a depth-first search over the cells, each one's range narrowed by what its
    row, its column and the grand total still allow."""
    order = [(r, c) for r in range(rows) for c in range(columns)]
    lows = {rc: intervals[cell(*rc)][0] for rc in order}
    highs = {rc: intervals[cell(*rc)][1] for rc in order}

    def rest(cells: Iterator[tuple[int, int]]) -> tuple[int, int]:
        chosen = list(cells)
        return sum(lows[rc] for rc in chosen), sum(highs[rc] for rc in chosen)

    after = {
        (r, c): (
            rest((r, j) for j in range(c + 1, columns)),
            rest((i, c) for i in range(r + 1, rows)),
            rest(iter(order[order.index((r, c)) + 1 :])),
        )
        for r, c in order
    }
    row_sums, column_sums = [0] * rows, [0] * columns

    def search(position: int, grand: int) -> bool:
        if position == len(order):
            return True
        r, c = order[position]
        low, high = lows[r, c], highs[r, c]
        for margin, so_far, (rest_low, rest_high) in (
            (intervals[row_total(r)], row_sums[r], after[r, c][0]),
            (intervals[column_total(c)], column_sums[c], after[r, c][1]),
            (intervals[TOTAL], grand, after[r, c][2]),
        ):
            low = max(low, margin[0] - so_far - rest_high)
            high = min(high, margin[1] - so_far - rest_low)
        for value in range(low, high + 1):
            row_sums[r] += value
            column_sums[c] += value
            found = search(position + 1, grand + value)
            row_sums[r] -= value
            column_sums[c] -= value
            if found:
                return True
        return False

    return search(0, 0)


def possible_alternatives(
    rows: int, columns: int, intervals: Mapping[Key, Interval], key: Key, true: int, k: int
) -> Iterator[int]:
    """The values other than `true` that `key` (a "< k" figure) can take, nearest first."""
    for value in sorted(range(1, k), key=lambda value: abs(value - true)):
        if value != true and table_exists(rows, columns, {**intervals, key: (value, value)}):
            yield value


@st.composite
def small_tables(draw: st.DrawFn, most: int = 4) -> tuple[list[list[int]], int]:
    rows, columns = draw(st.integers(2, most)), draw(st.integers(2, most))
    count = st.one_of(st.just(0), st.integers(1, 5), st.integers(0, 12))
    cells = [[draw(count) for _ in range(columns)] for _ in range(rows)]
    return cells, draw(st.integers(3, 6))


@settings(max_examples=300, deadline=None)
@given(small_tables())
def test_no_shown_count_is_small_and_no_exact_relation_hides_just_one(
    drawn: tuple[list[list[int]], int],
) -> None:
    cells, k = drawn
    values, relations = table(cells)
    result = suppress(values, relations, k)
    assert not [key for key, value in values.items() if result.shown(key) in range(1, k)]
    for relation in relations:
        assert sum(result.hidden(key) for key in relation.members) != 1, relation


@settings(max_examples=150, deadline=None)
@given(small_tables())
def test_every_small_count_has_two_possible_values_by_exhaustive_search(
    drawn: tuple[list[list[int]], int],
) -> None:
    cells, k = drawn
    values, relations = table(cells)
    result = suppress(values, relations, k)
    rows, columns = len(cells), len(cells[0])
    # Any n.d. could be huge; searching up to the grand total plus k finds the alternatives
    # a one-unit change needs, and whatever is found there the intruder must allow.
    intervals = intruder_intervals(result, values, values[TOTAL] + k)
    assert table_exists(rows, columns, intervals)  # the truth is among the tables searched
    for key in sorted(result.primary - result.unresolved):
        alternative = next(
            possible_alternatives(rows, columns, intervals, key, values[key], k), None
        )
        assert alternative is not None, f"{key} = {values[key]} can be worked out"
    # What is unresolved is so even with every non-zero figure hidden.
    everything_hidden = {
        key: interval if value == 0 or key in result.primary else (k, values[TOTAL] + k)
        for (key, interval), value in zip(intervals.items(), values.values(), strict=True)
    }
    for key in result.unresolved:
        assert (
            next(possible_alternatives(rows, columns, everything_hidden, key, values[key], k), None)
            is None
        )


# --- The intruder's view by linear programming (bigger tables, linked levels) --------------


@st.composite
def linked_tables(draw: st.DrawFn) -> tuple[dict[Key, int], list[Relation[Key]], int]:
    """Up to 6 x 6, the columns grouped into two areas whose totals (per row and overall) are
    released too, and the needs with no partner among the first area's (an inexact relation)."""
    cells, k = draw(small_tables(most=6))
    values, relations = table(cells)
    rows, columns = range(len(cells)), range(len(cells[0]))
    split = draw(st.integers(1, len(columns) - 1))
    for area, group in enumerate((columns[:split], columns[split:])):
        per_row = []
        for r in rows:
            values[("area", r, area)] = sum(cells[r][c] for c in group)
            relations.append(Relation(("area", r, area), tuple(cell(r, c) for c in group)))
            per_row.append(("area", r, area))
        values[("area total", area)] = sum(values[key] for key in per_row)
        relations.append(Relation(("area total", area), tuple(per_row)))
        relations.append(Relation(("area total", area), tuple(column_total(c) for c in group)))
    values[("no partner",)] = draw(st.integers(0, values[("area total", 0)]))
    relations.append(Relation(("area total", 0), (("no partner",),), exact=False))
    return values, relations, k


def intruder_range(
    result: Suppressed[Key], relations: Sequence[Relation[Key]], key: Key
) -> tuple[float, float]:
    """The least and greatest value of `key` over every real table matching the labels: every
    figure a variable, a shown one pinned by its bounds, dense matrices."""
    keys = list(result.values)
    index = {figure: i for i, figure in enumerate(keys)}
    k = result.threshold
    bounds = [
        (1, k - 1)
        if figure in result.primary
        else (k, None)
        if figure in result.secondary
        else (result.values[figure], result.values[figure])
        for figure in keys
    ]
    rows: dict[bool, list[np.ndarray]] = {True: [], False: []}  # exact, inexact
    for relation in relations:
        row = np.zeros(len(keys))
        row[[index[part] for part in relation.parts]] = 1
        row[index[relation.whole]] = -1
        rows[relation.exact].append(row)
    extremes = []
    for sign in (1, -1):
        objective = np.zeros(len(keys))
        objective[index[key]] = sign
        solved = linprog(
            objective,
            A_eq=np.array(rows[True]),
            b_eq=np.zeros(len(rows[True])),
            A_ub=np.array(rows[False]) if rows[False] else None,
            b_ub=np.zeros(len(rows[False])) if rows[False] else None,
            bounds=bounds,
        )
        assert solved.status == 0, solved.message
        extremes.append(float(solved.x[index[key]]))
    return extremes[0], extremes[1]


@settings(max_examples=60, deadline=None)
@given(linked_tables())
def test_linear_programming_agrees_that_no_small_count_can_be_worked_out(
    drawn: tuple[dict[Key, int], list[Relation[Key]], int],
) -> None:
    values, relations, k = drawn
    result = suppress(values, relations, k)
    assert not [key for key, value in values.items() if result.shown(key) in range(1, k)]
    for relation in relations:
        if relation.exact:
            assert sum(result.hidden(key) for key in relation.members) != 1, relation
    for key in sorted(result.primary):
        low, high = intruder_range(result, relations, key)
        single = math.floor(high + 1e-6) - math.ceil(low - 1e-6) < 1
        assert single == (key in result.unresolved), (key, values[key], low, high)


# --- Speed ----------------------------------------------------------------------------------


def deck_sized_table(seed: int) -> tuple[dict[Key, int], list[Relation[Key]]]:
    """16 neighbourhoods x 40 specific needs with margins and 8 area totals (5 needs each):
    about 700 figures, 30% of the cells small, 10% zero."""
    rng = random.Random(seed)
    cells = []
    for _ in range(16):
        draws = [rng.random() for _ in range(40)]
        cells.append(
            [rng.randint(1, 4) if x < 0.3 else 0 if x < 0.4 else rng.randint(5, 200) for x in draws]
        )
    values, relations = table(cells)
    for area in range(8):
        parts = tuple(column_total(c) for c in range(5 * area, 5 * area + 5))
        values[("area", area)] = sum(values[key] for key in parts)
        relations.append(Relation(("area", area), parts))
    return values, relations


def test_a_deck_sized_table_is_suppressed_well_under_a_second() -> None:
    timings = []
    for seed in range(3):
        values, relations = deck_sized_table(seed)
        started = time.perf_counter()
        result = suppress(values, relations, 5)
        timings.append(time.perf_counter() - started)
        assert result.primary and not result.unresolved
    print(f"16 x 40 table + 8 area totals: {', '.join(f'{t:.3f} s' for t in timings)}")
    assert min(timings) < 1.0
