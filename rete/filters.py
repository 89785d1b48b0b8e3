"""The Cruscotto's filters: whole-month periods, their presets, and their form in the URL.

Months are integers `yyyymm` (202602 is February 2026), the same as in the read model.
Pure functions: no database, no Streamlit.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from rete.taxonomy import Taxonomy

MONTH_NAMES = (
    "gennaio",
    "febbraio",
    "marzo",
    "aprile",
    "maggio",
    "giugno",
    "luglio",
    "agosto",
    "settembre",
    "ottobre",
    "novembre",
    "dicembre",
)
MONTH_ABBREVIATIONS = tuple(name[:3] for name in MONTH_NAMES)

PRESET_LAST_12 = "ultimi12"
PRESET_THIS_YEAR = "anno"
PRESET_LAST_YEAR = "anno-scorso"
PRESET_LABELS = {
    PRESET_LAST_12: "Ultimi 12 mesi completi",
    PRESET_THIS_YEAR: "Anno in corso",
    PRESET_LAST_YEAR: "Anno scorso",
}
_QUARTER = re.compile(r"^(\d{4})-T([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_RANGE = re.compile(r"^(\d{4}-\d{2}):(\d{4}-\d{2})$")
MAX_MONTHS = 120
_NOT_SHOWN = re.compile(r"[^0-9A-Za-zÀ-ÿ :-]")  # no dots: "www.x.it" would become a link


def month_of(day: dt.date) -> int:
    return day.year * 100 + day.month


def month_add(month: int, count: int) -> int:
    index = (month // 100) * 12 + (month % 100 - 1) + count
    return (index // 12) * 100 + index % 12 + 1


def months_in(start: int, end: int) -> int:
    return ((end // 100) * 12 + end % 100) - ((start // 100) * 12 + start % 100) + 1


def month_range(start: int, end: int) -> list[int]:
    return [month_add(start, k) for k in range(months_in(start, end))]


def month_first_day(month: int) -> dt.date:
    return dt.date(month // 100, month % 100, 1)


def month_last_day(month: int) -> dt.date:
    return month_first_day(month_add(month, 1)) - dt.timedelta(days=1)


def month_label(month: int, *, short: bool = False) -> str:
    """'febbraio 2026', or 'feb 2026' when short."""
    names = MONTH_ABBREVIATIONS if short else MONTH_NAMES
    return f"{names[month % 100 - 1]} {month // 100}"


def month_code(month: int) -> str:
    return f"{month // 100:04d}-{month % 100:02d}"


def parse_month_code(text: str) -> int | None:
    match = _MONTH.match(text)
    if not match:
        return None
    year, month = int(match[1]), int(match[2])
    if not (2000 <= year <= 2100 and 1 <= month <= 12):
        return None
    return year * 100 + month


def period_bounds(spec: str, today: dt.date) -> tuple[int, int] | None:
    """(first, last) month of a period spec; None when the spec is not understood.

    Specs: 'ultimi12', 'anno', 'anno-scorso', '2026-T1' (a quarter), '2026-02' (a month),
    '2025-11:2026-04' (a range of months).
    """
    current = month_of(today)
    if spec == PRESET_LAST_12:
        return month_add(current, -12), month_add(current, -1)
    if spec == PRESET_THIS_YEAR:
        return today.year * 100 + 1, current
    if spec == PRESET_LAST_YEAR:
        return (today.year - 1) * 100 + 1, (today.year - 1) * 100 + 12
    if match := _QUARTER.match(spec):
        year, quarter = int(match[1]), int(match[2])
        first = year * 100 + 3 * (quarter - 1) + 1
        return (first, first + 2) if 2000 <= year <= 2100 else None
    if (month := parse_month_code(spec)) is not None:
        return month, month
    if match := _RANGE.match(spec):
        start, end = parse_month_code(match[1]), parse_month_code(match[2])
        if start is None or end is None or end < start or months_in(start, end) > MAX_MONTHS:
            return None
        return start, end
    return None


def month_span(start: int, end: int, *, short: bool = False) -> str:
    """Months start..end (yyyymm): 'dicembre 2025 – novembre 2026', 'marzo 2026' for one
    month; 'dic 2025 – nov 2026' when short."""
    if start == end:
        return month_label(start, short=short)
    return f"{month_label(start, short=short)} – {month_label(end, short=short)}"


def period_label(spec: str, start: int, end: int) -> str:
    """How a period reads in a chart title: 'ultimi 12 mesi (nov 2025 – ott 2026)'."""
    span = month_span(start, end)
    if spec in PRESET_LABELS:
        return f"{PRESET_LABELS[spec].lower()} ({span})"
    if _QUARTER.match(spec):
        return f"{spec[-2:]} {spec[:4]} ({span})"
    return span


@dataclass(frozen=True)
class Filters:
    """What the Cruscotto shows. Empty tuples mean 'all'.

    A neighbourhood choice narrows the municipality choice; a specific-need choice narrows the
    area choice.
    """

    period: str
    start: int
    end: int
    municipalities: tuple[str, ...] = ()
    neighbourhood_ids: tuple[int, ...] = ()
    area_ids: tuple[int, ...] = ()
    category_ids: tuple[int, ...] = ()
    channel_codes: tuple[str, ...] = ()

    @property
    def months(self) -> int:
        return months_in(self.start, self.end)

    def previous(self) -> Filters:
        """The period of the same length just before, with the same other filters."""
        length = self.months
        start, end = month_add(self.start, -length), month_add(self.start, -1)
        return replace(self, period=f"{month_code(start)}:{month_code(end)}", start=start, end=end)

    def includes_month(self, month: int) -> bool:
        return self.start <= month <= self.end


def default_filters(today: dt.date) -> Filters:
    start, end = period_bounds(PRESET_LAST_12, today)  # type: ignore[misc]
    return Filters(period=PRESET_LAST_12, start=start, end=end)


# --- The URL form: ?periodo=ultimi12&comune=Varese&quartiere=3&area=ECO&bisogno=SAN02&canale=telefono


def _as_shown(value: str) -> str:
    """A value from the URL as it may be echoed in a notice: no Markdown, no links, short."""
    return _NOT_SHOWN.sub("", value)[:40] or "?"


# What each URL key filters, as a notice names it, and the ending of "non riconosciut…".
_URL_KEYS = {
    "comune": ("comune", "o"),
    "quartiere": ("quartiere", "o"),
    "area": ("area", "a"),
    "bisogno": ("bisogno", "o"),
    "canale": ("canale", "o"),
}


def filters_from_query(
    params: Mapping[str, Sequence[str]], taxonomy: Taxonomy, today: dt.date
) -> tuple[Filters, list[str]]:
    """Filters from URL parameters; values not understood are dropped, each named in Italian
    in the list returned ("area «XYZ» non riconosciuta"): `ignored_notice` makes them one
    notice."""
    ignored: list[str] = []
    filters = default_filters(today)
    period = list(params.get("periodo", []))
    if period:
        bounds = period_bounds(period[-1], today)
        if bounds is None:
            ignored.append(f"periodo «{_as_shown(period[-1])}» non riconosciuto")
        elif bounds[0] > month_of(today):
            ignored.append(f"periodo «{_as_shown(period[-1])}» nel futuro")
        else:
            filters = replace(filters, period=period[-1], start=bounds[0], end=bounds[1])

    def pick(key: str, known: Mapping[str, object]) -> tuple[object, ...]:
        what, ending = _URL_KEYS[key]
        chosen = []
        for value in params.get(key, []):
            if value in known:
                if known[value] not in chosen:
                    chosen.append(known[value])
            else:
                ignored.append(f"{what} «{_as_shown(value)}» non riconosciut{ending}")
        return tuple(chosen)

    areas = {area.code: area.id for area in taxonomy.areas}
    needs = {need.code: need.id for need in taxonomy.needs}
    neighbourhoods = {str(id_): id_ for id_, _, _ in taxonomy.neighbourhoods}
    municipalities = {name: name for name in taxonomy.municipalities()}
    channels = {code: code for code, _ in taxonomy.channels}
    filters = replace(
        filters,
        municipalities=pick("comune", municipalities),  # type: ignore[arg-type]
        neighbourhood_ids=pick("quartiere", neighbourhoods),  # type: ignore[arg-type]
        area_ids=pick("area", areas),  # type: ignore[arg-type]
        category_ids=pick("bisogno", needs),  # type: ignore[arg-type]
        channel_codes=pick("canale", channels),  # type: ignore[arg-type]
    )
    return filters, ignored


def ignored_notice(ignored: Sequence[str]) -> str | None:
    """One notice for everything a link asked for that was ignored, or None."""
    if not ignored:
        return None
    period = any(item.startswith("periodo ") for item in ignored)
    after = " Per il periodo sono mostrati gli ultimi 12 mesi." if period else ""
    return f"Il link conteneva filtri non validi, ignorati: {'; '.join(ignored)}.{after}"


def filters_to_query(filters: Filters, taxonomy: Taxonomy) -> dict[str, list[str]]:
    """URL parameters that reproduce these filters (the default period is left out)."""
    area_codes = {area.id: area.code for area in taxonomy.areas}
    need_codes = {need.id: need.code for need in taxonomy.needs}
    query: dict[str, list[str]] = {}
    if filters.period != PRESET_LAST_12:
        query["periodo"] = [filters.period]
    if filters.municipalities:
        query["comune"] = list(filters.municipalities)
    if filters.neighbourhood_ids:
        query["quartiere"] = [str(id_) for id_ in filters.neighbourhood_ids]
    if filters.area_ids:
        query["area"] = [area_codes[id_] for id_ in filters.area_ids if id_ in area_codes]
    if filters.category_ids:
        query["bisogno"] = [need_codes[id_] for id_ in filters.category_ids if id_ in need_codes]
    if filters.channel_codes:
        query["canale"] = list(filters.channel_codes)
    return query
