"""Meeting mode: the network meeting's slides and report, from live data, aggregate-only.

- `model`: the deck as data (slides, charts, values already suppressed).
- `build`: the deck from the database, every figure through `rete.privacy`.
"""
