"""Open Referral HSDS 3.0 exchange of the partner directory: export and import.

Export (`export_zip`, `export_json`, `export_file`): the whole directory as an HSDS 3.0
tabular data package (a zip of the descriptor's CSVs and the official `datapackage.json`,
`descriptor`) or as HSDS JSON (`json_form`); see `export` and, for the ids and Rete's own
conventions, `vocabulary`.

Import (`preview_path`, `preview_upload`, then `commit_import`): parse (`read`: a zip or a
folder of CSVs, HSDS 3.0 or 1.x; `read_json`: a JSON file; both into `source`'s rows) →
validate (`check`: the structure; `mapping`: each value as the directory's form checks it) →
preview (`plan`: added, matched and changed, left out, every problem with its file, row and
field) → commit (`commit`: through `rete.directory.edit`, in the caller's one transaction).

Decisions (the preview says each of them where it applies):
- **Errors stop everything**: a file that is not HSDS, a foreign key that does not resolve, a
  required field Rete reads left empty, an id repeated, a code of Rete's taxonomy of needs
  that this installation does not have (the file claims Rete's taxonomy: a missing code means
  the two installations differ, and importing without it would silently drop coverage), two
  organizations that would be one partner, or a name taken in the same municipality.
- **Warnings leave a value or a row out and import the rest**: a phone or e-mail Rete's
  validators refuse (another country's numbers never pass an Italian check, and refusing the
  whole directory for them would make any foreign directory unimportable), a term of another
  taxonomy that does not name one of Rete's needs, an area that is not one of Rete's places, a
  contact without a name or a channel, an over-long text (cut).
- **A partner from another directory**: Rete's directory requires what makes a partner useful
  to the ranking — at least one need it covers, one place it serves and one contact person
  reachable directly (`rete.directory.edit`). An organization of a foreign directory gets them
  when its terms and areas name Rete's needs and places (an Italian directory often does:
  matched by name, accents and case ignored), and a contact «Recapito dell'ente» with the
  organization's own phone and e-mail when it lists no contact person. One that still lacks
  coverage or places is **not imported**, and the preview lists it with what is missing:
  giving it invented coverage would make «Chi può aiutare?» propose it for needs nobody said
  it takes, and the one write path has no «incomplete» partner. The user sees the list before
  confirming and adds those partners by hand, or completes the file.
- **Nothing is erased by an import**: see `rete.hsds.plan`.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from rete.hsds.commit import ImportResult, commit_import
from rete.hsds.export import export_file, export_json, export_zip
from rete.hsds.plan import ImportPreview, PartnerChange, not_hsds, preview
from rete.hsds.read import read_bytes, read_path
from rete.hsds.source import NotHsds


def preview_path(engine: Engine, path: Path, today: dt.date | None = None) -> ImportPreview:
    """The preview of importing a zip, a folder of CSVs or a JSON file (nothing written)."""
    try:
        source = read_path(path)
    except NotHsds as problem:
        return not_hsds(path.name, problem)
    with Session(engine) as session:
        return preview(session, source, today)


def preview_upload(
    engine: Engine, data: bytes, name: str, today: dt.date | None = None
) -> ImportPreview:
    """The preview of an uploaded zip or JSON file (nothing written)."""
    try:
        source = read_bytes(data, name)
    except NotHsds as problem:
        return not_hsds(name, problem)
    with Session(engine) as session:
        return preview(session, source, today)


__all__ = [
    "ImportPreview",
    "ImportResult",
    "PartnerChange",
    "commit_import",
    "export_file",
    "export_json",
    "export_zip",
    "preview_path",
    "preview_upload",
]
