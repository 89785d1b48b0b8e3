"""Italian number and date formats (Babel), the same on every screen whatever the browser's locale.

Halves round away from zero (2,5 -> 3, 0,125 -> 0,13), as a reader rounding by hand or a
spreadsheet does, not to the even neighbour (Babel's and Python's default); a value that rounds
to zero never shows a minus sign; a missing value (None or NaN) is '–'.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math

from babel.dates import format_date as _babel_date
from babel.numbers import format_decimal as _babel_decimal
from babel.numbers import format_percent as _babel_percent

LOCALE = "it_IT"
MISSING = "–"

# Wide enough for any count or share Rete shows with its decimals (up to about 10^40).
_CONTEXT = decimal.Context(prec=60, rounding=decimal.ROUND_HALF_UP)


def _rounded(value: float | int, decimals: int, scale: int = 0) -> decimal.Decimal:
    """`value` × 10^scale rounded half away from zero to `decimals` places, never -0.

    Through `str`, as Babel does, so 1.005 is the 1.005 the reader sees, not the binary
    1.00499999…
    """
    exact = decimal.Decimal(str(value)).scaleb(scale, _CONTEXT)
    if not exact.is_finite():
        return exact
    rounded = exact.quantize(decimal.Decimal(1).scaleb(-decimals), context=_CONTEXT)
    return abs(rounded) if rounded.is_zero() else rounded


def rounded(value: float | int, decimals: int) -> float:
    """`value` rounded as every figure is shown (half away from zero): for a file's numbers to
    read as the screen's. NaN stays NaN."""
    if value != value:  # NaN
        return float(value)
    return float(_rounded(value, decimals))


def _pattern(decimals: int) -> str:
    return "#,##0" + ("." + "0" * decimals if decimals else "")


def number(value: float | int | None, decimals: int = 0) -> str:
    """1234.5 -> '1.235'; with decimals=1 '1.234,5'; None -> '–'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    return _babel_decimal(_rounded(value, decimals), format=_pattern(decimals), locale=LOCALE)


def percent(share: float | None, decimals: int = 1) -> str:
    """0.456 -> '45,6%'; None -> '–'."""
    if share is None or math.isnan(share):
        return MISSING
    points = _rounded(share, decimals, scale=2)
    return _babel_percent(points.scaleb(-2), format=_pattern(decimals) + "%", locale=LOCALE)


def date(day: dt.date | None) -> str:
    """25/02/2026; None -> '–'."""
    if day is None:
        return MISSING
    return _babel_date(day, format="dd/MM/yyyy", locale=LOCALE)
