"""Reading an HSDS directory: a zip, a folder of CSVs or a JSON file, HSDS 3.0 or 1.x, into one
shape (the 3.0 resources and field names) that remembers where each row came from.

- **CSV** (3.0 or 1.x): the files are found through the package's `datapackage.json` when it
  has one (resource name → path), otherwise by their standard names (`organizations.csv`...),
  at any depth of the zip or folder. The version is told by the columns: 1.x's organizations
  have `url` where 3.0's have `website`, and 1.x has files 3.0 does not (`taxonomy.csv`,
  `services_at_location.csv`...). A 1.x package is renamed into 3.0's terms (`url` →
  `website`, `physical_addresses.csv` → `address`, `service_area.csv`'s `service_area` →
  `name`, `services.taxonomy_ids` and `service_taxonomy.csv` → attributes), each row keeping its
  file, row number (as a spreadsheet shows it: the header is row 1) and original column names.
- **JSON** (3.0): see `rete.hsds.read_json`.

A value that starts with an apostrophe before = + - @ (the guard `rete.export.spreadsheet_text`
puts on a CSV cell) is read without it. Whatever Rete does not read is counted, so the preview
can say what was left out.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path, PurePosixPath

from rete.export import unguarded
from rete.hsds import descriptor
from rete.hsds.read_json import read_json
from rete.hsds.source import NotHsds, Origin, Record, Source, keep

# HSDS 1.x files: (resource in 3.0 terms, column renames 1.x -> 3.0).
V1_FILES: dict[str, tuple[str, dict[str, str]]] = {
    "organizations.csv": ("organization", {"url": "website"}),
    "services.csv": ("service", {}),
    "services_at_location.csv": ("service_at_location", {}),
    "locations.csv": ("location", {}),
    "physical_addresses.csv": ("address", {}),
    "phones.csv": ("phone", {}),
    "contacts.csv": ("contact", {}),
    "service_area.csv": ("service_area", {"service_area": "name"}),
    "taxonomy.csv": ("taxonomy_term", {"vocabulary": "taxonomy"}),
    "service_taxonomy.csv": (
        "attribute",
        {"service_id": "link_id", "taxonomy_id": "taxonomy_term_id"},
    ),
    "postal_addresses.csv": ("postal_address", {}),
    "programs.csv": ("program", {}),
    "regular_schedules.csv": ("regular_schedule", {}),
    "holiday_schedules.csv": ("holiday_schedule", {}),
    "funding.csv": ("funding", {}),
    "eligibility.csv": ("eligibility", {}),
    "payment_accepted.csv": ("payment_accepted", {}),
    "languages.csv": ("language", {}),
    "accessibility_for_disabilities.csv": ("accessibility", {}),
    "metadata.csv": ("metadata", {}),
}
# What a zip may hold once unpacked: the sizes it declares are summed before anything is
# read, and a member never unpacks past its declared size (zipfile stops there), so a small
# zip that would unpack into gigabytes is refused up front. Only these members are read.
MAX_UNPACKED = 100 * 1024 * 1024
READ_SUFFIXES = (".csv", ".json")

V1_ONLY = {
    "services_at_location.csv",
    "physical_addresses.csv",
    "postal_addresses.csv",
    "service_area.csv",
    "taxonomy.csv",
    "service_taxonomy.csv",
    "regular_schedules.csv",
}


def read_path(path: Path) -> Source:
    """A zip, a folder of CSVs, or a JSON file."""
    if path.is_dir():
        files = {
            p.relative_to(path).as_posix(): p.read_bytes()
            for p in sorted(path.rglob("*"))
            if p.is_file()
        }
        return read_files(files, path.name)
    if not path.exists():
        raise NotHsds(f"Il file «{path}» non esiste.")
    return read_bytes(path.read_bytes(), path.name)


def read_bytes(data: bytes, name: str) -> Source:
    """An uploaded file: a zip or a JSON file (told by its content, not its name)."""
    if zipfile.is_zipfile(io.BytesIO(data)):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                members = [
                    info
                    for info in archive.infolist()
                    if not info.is_dir() and info.filename.lower().endswith(READ_SUFFIXES)
                ]
                unpacked = sum(info.file_size for info in members)
                if unpacked > MAX_UNPACKED:
                    raise NotHsds(
                        f"Il file «{name}» decompresso supera i "
                        f"{MAX_UNPACKED // 1024**2} MB che Rete accetta (sono "
                        f"{-(-unpacked // 1024**2)} MB): non è l'elenco degli enti di una rete "
                        "territoriale. Controllare di aver scelto il file giusto."
                    )
                files = {info.filename: archive.read(info) for info in members}
        except (zipfile.BadZipFile, OSError) as error:
            raise NotHsds(f"Il file «{name}» è uno zip danneggiato ({error}).") from None
        return read_files(files, name)
    stripped = data.lstrip()
    if stripped[:1] in (b"{", b"["):
        return read_json(data, name)
    raise NotHsds(
        f"Il file «{name}» non è un pacchetto HSDS: servono uno zip (o una cartella) con i "
        "file CSV e il loro datapackage.json, oppure un file JSON HSDS."
    )


# --- CSV packages


def read_files(files: dict[str, bytes], name: str) -> Source:
    """A package given as its files (relative path -> bytes)."""
    paths = _resource_paths(files)
    candidates = sorted(
        (path for path in files if PurePosixPath(path).name == "organizations.csv"),
        key=lambda path: (len(PurePosixPath(path).parts), path),
    )
    organizations = paths.get("organization") or next(iter(candidates), None)
    if organizations is None:
        raise NotHsds(
            f"«{name}» non è un pacchetto HSDS (Open Referral): manca organizations.csv, "
            "l'elenco delle organizzazioni. Esportare dal sistema di origine il formato HSDS "
            "(zip di CSV con datapackage.json, o JSON)."
        )
    root = PurePosixPath(organizations).parent
    beside = {
        PurePosixPath(path).name: path for path in files if PurePosixPath(path).parent == root
    }
    header = _header(files[organizations], PurePosixPath(organizations).name)
    if "website" in header or ("url" not in header and not set(beside) & V1_ONLY):
        return _read_v3(files, name, paths, beside)
    return _read_v1(files, name, beside)


def _resource_paths(files: dict[str, bytes]) -> dict[str, str]:
    """Resource name -> file, from the package's datapackage.json when it has a usable one."""
    descriptors = [path for path in files if PurePosixPath(path).name == "datapackage.json"]
    if len(descriptors) != 1:
        return {}
    try:
        package = json.loads(files[descriptors[0]].decode("utf-8-sig"))
        base = PurePosixPath(descriptors[0]).parent
        found = {}
        for entry in package.get("resources", []):
            path = str(base / entry["path"]) if str(base) != "." else entry["path"]
            if isinstance(entry.get("name"), str) and path in files:
                found[entry["name"]] = path
        return found
    except (ValueError, TypeError, KeyError, AttributeError):
        return {}


def _read_v3(
    files: dict[str, bytes], name: str, paths: dict[str, str], beside: dict[str, str]
) -> Source:
    source = Source(name, f"HSDS {descriptor.version()[:3]}", {})
    for resource in descriptor.resources():
        path = paths.get(resource.name) or beside.get(resource.path)
        if path is not None:
            rows = _csv_records(files[path], PurePosixPath(path).name, resource.name, {})
            keep(source, resource.name, rows)
    return source


def _read_v1(files: dict[str, bytes], name: str, beside: dict[str, str]) -> Source:
    source = Source(name, "HSDS 1.x", {})
    for file, path in sorted(beside.items()):
        known = V1_FILES.get(file)
        if known is None:
            continue
        resource, renames = known
        rows = _csv_records(files[path], file, resource, renames)
        if resource == "attribute":
            for record in rows:
                record.values.setdefault("link_entity", "service")
        if resource == "service":
            keep(source, "attribute", [a for r in rows for a in _taxonomy_ids(r)])
        keep(source, resource, rows)
    return source


def _taxonomy_ids(service: Record) -> list[Record]:
    """1.x `services.taxonomy_ids` ("id1, id2"): one attribute per taxonomy id."""
    ids = [part.strip() for part in service.get("taxonomy_ids").split(",") if part.strip()]
    return [
        Record(
            "attribute",
            {
                "id": f"{service.get('id')}/taxonomy/{term}",
                "link_id": service.get("id"),
                "link_entity": "service",
                "taxonomy_term_id": term,
            },
            service.origin,
            {"taxonomy_term_id": "taxonomy_ids"},
        )
        for term in ids
    ]


def _decoded(data: bytes, file: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise NotHsds(
            f"{file} non è in UTF-8: salvarlo come «CSV UTF-8» (HSDS usa UTF-8) e riprovare."
        ) from None


def _header(data: bytes, file: str) -> list[str]:
    try:
        return next(csv.reader(io.StringIO(_decoded(data, file), newline="")), [])
    except csv.Error as error:
        raise NotHsds(f"{file}, riga 1: non si legge come CSV ({error}).") from None


def _csv_records(data: bytes, file: str, resource: str, renames: dict[str, str]) -> list[Record]:
    reader = csv.reader(io.StringIO(_decoded(data, file), newline=""))
    records = []
    number = 1
    try:
        header = [column.strip() for column in next(reader, [])]
        columns = {renames.get(column, column): column for column in header}
        for number, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue
            values = {
                renames.get(column, column): unguarded(cell)
                for column, cell in zip(header, cells, strict=False)
            }
            records.append(Record(resource, values, Origin(file, row=number), columns))
    except csv.Error as error:  # a cell over csv's size limit, a broken quote at the end...
        raise NotHsds(f"{file}, riga {number + 1}: non si legge come CSV ({error}).") from None
    return records
