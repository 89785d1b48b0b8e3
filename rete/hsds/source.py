"""A directory as read from a file, whatever its form: rows in HSDS 3.0's terms, each with
where it came from (file and row, or place in the JSON), and a count of what Rete does not read.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from rete.errors import ReteError

# The resources Rete reads (3.0 names); the others are only counted (their ids still resolve
# foreign keys).
READ = (
    "organization",
    "service",
    "service_at_location",
    "location",
    "address",
    "phone",
    "contact",
    "service_area",
    "attribute",
    "taxonomy_term",
    "taxonomy",
)
ITALIAN_NAMES = {
    "program": "programmi",
    "schedule": "orari",
    "funding": "finanziamenti",
    "required_document": "documenti richiesti",
    "language": "lingue",
    "accessibility": "accessibilità",
    "metadata": "registro delle modifiche",
    "meta_table_description": "descrizioni delle tabelle",
    "cost_option": "costi",
    "organization_identifier": "identificativi delle organizzazioni",
    "postal_address": "indirizzi postali",
    "eligibility": "requisiti",
    "holiday_schedule": "orari festivi",
    "regular_schedule": "orari",
    "payment_accepted": "pagamenti accettati",
}


class NotHsds(ReteError):
    """The file is not an HSDS directory Rete can read (the message says why)."""


@dataclass(frozen=True)
class Origin:
    """Where a row comes from: its file and row (CSV), or its place in the JSON."""

    file: str
    row: int | None = None  # CSV: as a spreadsheet numbers it, the header being row 1
    path: str | None = None  # JSON: contents[2].services[0]

    def where(self) -> str:
        if self.row is not None:
            return f"{self.file}, riga {self.row}"
        if self.path:
            return f"{self.file}, {self.path}"
        return self.file


@dataclass
class Record:
    """One row in 3.0 terms; `columns` names each field as the source does (for messages)."""

    resource: str
    values: dict[str, str]
    origin: Origin
    columns: dict[str, str] = field(default_factory=dict)

    def get(self, name: str) -> str:
        return self.values.get(name, "").strip()

    def column(self, name: str) -> str:
        return self.columns.get(name, name)


@dataclass
class Source:
    """A directory as read: its rows by resource, what version it is, what was left out."""

    name: str
    version: str  # "HSDS 3.0" or "HSDS 1.x"
    records: dict[str, list[Record]]
    unread: Counter[str] = field(default_factory=Counter)  # Italian name -> rows left out
    from_csv: bool = True  # CSV rows can repeat an id by mistake; JSON repeats objects

    def rows(self, resource: str) -> list[Record]:
        return self.records.get(resource, [])


def keep(source: Source, resource: str, rows: list[Record]) -> None:
    if resource not in READ and rows:
        # Counted for the preview; their ids still resolve foreign keys.
        source.unread[ITALIAN_NAMES.get(resource, resource)] += len(rows)
    source.records.setdefault(resource, []).extend(rows)
