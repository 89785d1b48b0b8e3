"""Italian number and date formats (Babel), the same on every screen whatever the browser's locale."""

from __future__ import annotations

import datetime as dt

from babel.dates import format_date as _babel_date
from babel.numbers import format_decimal as _babel_decimal
from babel.numbers import format_percent as _babel_percent

LOCALE = "it_IT"


def number(value: float | int | None, decimals: int = 0) -> str:
    """1234.5 -> '1.234,5'; None -> '–'."""
    if value is None:
        return "–"
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return _babel_decimal(value, format=pattern, locale=LOCALE)


def percent(share: float | None, decimals: int = 1) -> str:
    """0.456 -> '45,6%'."""
    if share is None:
        return "–"
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "") + "%"
    return _babel_percent(share, format=pattern, locale=LOCALE)


def date(day: dt.date | None) -> str:
    """25/02/2026."""
    if day is None:
        return "–"
    return _babel_date(day, format="dd/MM/yyyy", locale=LOCALE)
