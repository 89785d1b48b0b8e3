"""The HSDS export of the directory (issue 14), measured like the workspace's functions.

The benchmark's datasets hold the demo directory (some forty partners) at every size, so the
item times the same export whatever the number of needs: the directory read in a few queries,
its rows built, the zip written (`rete.hsds.export`). It is `bench.workspace_side.CALLS`'s
"hsds_export".
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine

from rete.hsds import export
from rete.writes import Actor


def hsds_export(engine: Engine, actor: Actor, subjects: object, today: dt.date) -> dict[str, int]:
    """The whole directory as an HSDS 3.0 zip; what it holds, for the report."""
    tables = export.export_tables(engine)
    package = export.package_zip(tables)
    return {
        "partners": len(tables["organization"]),
        "rows": sum(len(rows) for rows in tables.values()),
        "bytes": len(package),
    }
