"""Read side of the community manager's workspace: record-level lists and cards.

Unlike `rete.queries` (anonymous aggregates for the Cruscotto), these functions return records
about people: only pages that `rete.access` opens to `operatore` and `admin` call them, and
`households.household_card` writes the access to the audit trail. Lists are filtered, sorted
and paged in SQL on the read model's indexes; nothing loads a whole table.
"""
