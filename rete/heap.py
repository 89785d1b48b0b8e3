"""The server's heap: the objects every run shares kept out of the garbage collector's way.

Streamlit's collection after every run is off (`runner.postScriptGC` in .streamlit/config.toml):
at ~220,000 live objects (pandas, plotly, SQLAlchemy and their caches) a full collection took
0.2-0.3 s of each redraw. Python's generational collector still runs on its own; freezing the
objects alive after the first run (`gc.freeze`: the imported modules, classes and functions)
keeps its full collections to what later runs made.
"""

from __future__ import annotations

import gc

_frozen = False  # `gc.get_freeze_count()` would walk the ~150,000 frozen objects on every run


def freeze_once() -> None:
    """After the process's first run: collect what it left, then freeze what is still alive.
    Later calls do nothing."""
    global _frozen
    if _frozen:
        return
    _frozen = True
    gc.collect()
    gc.freeze()
