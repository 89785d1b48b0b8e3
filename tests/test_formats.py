"""Italian numbers, shares and dates: what every tile, chart label, message and CSV shows."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rete import formats

# An Italian number as Rete writes it: '.' between every group of three digits, ',' before
# the decimals, '-' for a negative.
ITALIAN_NUMBER = re.compile(r"^-?(0|[1-9]\d{0,2}(\.\d{3})*)(,\d+)?$")


def parse_italian(text: str) -> Decimal:
    """The value an Italian reader sees in `text` (strictly shaped, or the test fails)."""
    assert ITALIAN_NUMBER.match(text), f"not an Italian number: {text!r}"
    return Decimal(text.replace(".", "").replace(",", "."))


@pytest.mark.parametrize(
    ("value", "decimals", "shown"),
    [
        (0, 0, "0"),
        (7, 0, "7"),
        (999, 0, "999"),
        (1000, 0, "1.000"),
        (1234, 0, "1.234"),
        (1234567, 0, "1.234.567"),
        (-1234, 0, "-1.234"),
        (-1234567, 0, "-1.234.567"),
        (1234.5, 1, "1.234,5"),
        (1234.56, 1, "1.234,6"),
        (0.5, 2, "0,50"),
        (12, 1, "12,0"),
        (-3.25, 1, "-3,3"),
        (58.064516129, 1, "58,1"),
        (1_000_000_000, 0, "1.000.000.000"),
    ],
)
def test_numbers_are_grouped_by_thousands_with_a_decimal_comma(value, decimals, shown):
    assert formats.number(value, decimals) == shown


@pytest.mark.parametrize(
    ("value", "decimals", "shown"),
    [
        (0.5, 0, "1"),
        (1.5, 0, "2"),
        (2.5, 0, "3"),  # the even neighbour would be 2
        (4.5, 0, "5"),
        (1234.5, 0, "1.235"),
        (-2.5, 0, "-3"),
        (0.25, 1, "0,3"),
        (0.125, 2, "0,13"),
        (1.005, 2, "1,01"),  # the 1.005 on the screen, not the binary 1.00499…
        (2.45, 1, "2,5"),
    ],
)
def test_a_half_rounds_away_from_zero_as_by_hand(value, decimals, shown):
    assert formats.number(value, decimals) == shown


@pytest.mark.parametrize(("value", "decimals"), [(-0.0, 0), (-0.4, 0), (-0.04, 1), (-0.001, 2)])
def test_a_value_that_rounds_to_zero_has_no_minus_sign(value, decimals):
    assert formats.number(value, decimals) == "0" + ("," + "0" * decimals if decimals else "")


@pytest.mark.parametrize("missing", [None, float("nan"), np.nan])
def test_a_missing_value_is_a_dash(missing):
    assert formats.number(missing) == "–"
    assert formats.number(missing, 1) == "–"
    assert formats.percent(missing) == "–"


def test_numpy_and_pandas_scalars_format_like_python_numbers():
    assert formats.number(np.int64(1234567)) == "1.234.567"
    assert formats.number(np.float64(2.5)) == "3"
    assert formats.percent(np.float64(0.0125)) == "1,3%"


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_any_whole_number_reads_back_as_itself_grouped_every_three_digits(value):
    shown = formats.number(value)
    assert parse_italian(shown) == value
    digits = shown.lstrip("-").split(".")
    assert all(len(group) == 3 for group in digits[1:]) and 1 <= len(digits[0]) <= 3


@given(
    st.decimals(min_value=-(10**9), max_value=10**9, places=3, allow_nan=False),
    st.integers(min_value=0, max_value=3),
)
def test_a_number_reads_back_within_half_a_unit_of_its_last_digit(value, decimals):
    shown = formats.number(float(value), decimals)
    unit = Decimal(1).scaleb(-decimals)
    assert len(shown.partition(",")[2]) == decimals
    assert abs(parse_italian(shown) - value) <= unit / 2


@given(st.integers(min_value=0, max_value=10**6), st.integers(min_value=0, max_value=2))
def test_every_half_goes_up_in_size(whole, decimals):
    """k + 0.5 units of the last digit always becomes k + 1, never the even neighbour."""
    half = (Decimal(whole) + Decimal("0.5")).scaleb(-decimals)
    up = Decimal(whole + 1).scaleb(-decimals)
    assert parse_italian(formats.number(float(half), decimals)) == up
    assert parse_italian(formats.number(-float(half), decimals)) == -up


@pytest.mark.parametrize(
    ("share", "decimals", "shown"),
    [
        (0, 1, "0,0%"),
        (1, 1, "100,0%"),
        (0.456, 1, "45,6%"),
        (0.8988, 1, "89,9%"),
        (0.0125, 1, "1,3%"),  # a half of the last digit goes up here too
        (0.456, 0, "46%"),
        (12.5, 0, "1.250%"),
        (-0.1234, 1, "-12,3%"),
        (-0.0004, 1, "0,0%"),
    ],
)
def test_shares_are_shown_as_italian_percentages(share, decimals, shown):
    assert formats.percent(share, decimals) == shown


@given(st.decimals(min_value=0, max_value=1, places=6), st.integers(min_value=0, max_value=2))
def test_a_percentage_reads_back_as_the_share_times_100(share, decimals):
    shown = formats.percent(float(share), decimals)
    assert shown.endswith("%")
    points = parse_italian(shown.removesuffix("%"))
    assert abs(points - share * 100) <= Decimal(1).scaleb(-decimals) / 2


@pytest.mark.parametrize(
    ("day", "shown"),
    [
        (dt.date(2026, 2, 25), "25/02/2026"),
        (dt.date(2026, 2, 5), "05/02/2026"),  # day first, even when both could be a month
        (dt.date(2024, 12, 1), "01/12/2024"),
        (dt.datetime(2026, 11, 25, 23, 59), "25/11/2026"),
        (None, "–"),
    ],
)
def test_dates_are_day_month_year(day, shown):
    assert formats.date(day) == shown


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2200, 12, 31)))
def test_any_date_reads_back_as_itself(day):
    assert dt.datetime.strptime(formats.date(day), "%d/%m/%Y").date() == day
