"""A household's erasure and the retention job (issue 16), measured on each dataset.

Both write, so they run on the dataset's scratch copy, each in a child process of its own:

- `erasures`: `rete.workspace.erasure.erase_household` on households with the most interviews
  (the heaviest to erase), each in its own committed transaction followed by `settle` (on
  SQLite the checkpoint that empties the log), as the card's «Sì, cancella» does; a few first,
  unmeasured.
- `retention_job`: `rete.retention.plan` on the benchmark's frozen day, when nothing is due
  (what a nightly run costs on most nights: every household is looked at), then
  `rete.retention.run` on a day five years after the data's second month, so the households
  whose activity ended in the data's first two months are anonymised, and the audit trail,
  every entry of it then older than 24 months, is removed in batches.

`python bench/run.py --only erasure --sizes 10k --no-postgres` measures these alone and prints
their table (`erasure_markdown`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from bench.canonical import FROZEN_TODAY
from bench.items import Measurement, Task, peak_mb, timed

ONLY = "erasure"  # what `bench/run.py --only` calls these items
WARM_UPS = 2  # erasures before the measured ones
IDLE_SINCE = dt.date(2026, 1, 1)  # the run's cut-off: the data's first two months are idle
RUN_DAY = dt.date(2031, 1, 1)  # five years (the default setting) after IDLE_SINCE

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def _households(url: str, count: int) -> list[int]:
    """The households with the most interviews (ties by id): what an erasure has most to do."""
    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    from rete import db
    from rete.models import Interview

    with Session(db.get_engine(url)) as session:
        return list(
            session.scalars(
                select(Interview.household_id)
                .group_by(Interview.household_id)
                .order_by(func.count().desc(), Interview.household_id)
                .limit(count)
            )
        )


def erasures(task: Task) -> Measurement:
    """Erase one household's personal data, committed, then settle; repeated on others."""
    from rete import auth, db
    from rete.db import session_scope
    from rete.models import Household
    from rete.workspace import erasure

    engine = db.get_engine(task.url)
    with session_scope(engine) as session:
        admin = _administrator(session)
    chosen = _households(task.url, WARM_UPS + task.repetitions)
    removed = 0

    def erase(household_id: int) -> None:
        nonlocal removed
        with session_scope(engine) as session:
            version = session.get(Household, household_id).version  # type: ignore[union-attr]
            found = erasure.erase_household(
                session, auth.CurrentUser(*admin), household_id, version, "request"
            )
        erasure.settle(engine)
        removed += found.interview_notes + found.need_notes

    seconds = [timed(partial(erase, household_id))[0] for household_id in chosen]
    return Measurement(
        tuple(seconds[WARM_UPS:]),
        peak_mb(),
        counts={"households": len(chosen), "notes removed": removed},
    )


def _administrator(session: Session) -> tuple[int, str, str, str]:
    """The benchmark's administrator (created on a dataset that has none)."""
    from sqlalchemy import select

    from rete import auth
    from rete.models import User

    user = session.scalar(select(User).where(User.role == "admin").order_by(User.id))
    if user is None:
        password = "benchmark-non-interattivo"
        user = auth.create_user(session, "bench-admin", "bench-admin", "admin", password)
    return (user.id, user.username, user.display_name, user.role)


def retention_job(task: Task) -> tuple[Measurement, Measurement]:
    """The dry run on the frozen day (nothing due), then the real run on `RUN_DAY`."""
    from rete import db, retention

    engine = db.get_engine(task.url)
    planned_in, planned = timed(lambda: retention.plan(engine, FROZEN_TODAY))
    dry = Measurement(
        (planned_in,),
        peak_mb(),
        counts={"households due": planned.households, "entries due": planned.audit_entries},
    )
    due = retention.plan(engine, RUN_DAY)
    assert due.idle_since == IDLE_SINCE, due.idle_since
    ran_in, said = timed(lambda: retention.run(engine, RUN_DAY))
    after = retention.plan(engine, RUN_DAY)
    if after.households:
        raise RuntimeError(f"the run left {after.households} idle households: {said}")
    run = Measurement(
        (ran_in,),
        peak_mb(),
        counts={"households erased": due.households, "entries removed": due.audit_entries},
    )
    return dry, run


@dataclass(frozen=True)
class ErasureResult:
    """The items on one dataset."""

    label: str  # "SQLite 10k"
    needs: int
    erasure: Measurement
    dry_run: Measurement
    run: Measurement


def erasure_markdown(results: Sequence[ErasureResult], machine: list[str]) -> str:
    """What `--only erasure` prints: where it ran, then one row per item, a column per
    dataset (times are medians; the retention job runs once per dataset)."""
    from bench.report import megabytes, seconds

    def row(label: str, cell: object) -> str:
        return f"| {label} | " + " | ".join(cell(r) for r in results) + " |"  # type: ignore[operator]

    def counted(measured: Measurement) -> str:
        return ", ".join(f"{name} {value:,}" for name, value in measured.counts.items())

    lines = [
        "Machine: " + "; ".join(machine),
        "",
        "| measured | " + " | ".join(f"{r.label} ({r.needs:,} needs)" for r in results) + " |",
        "|---|" + "---:|" * len(results),
        row(
            "erasure of one household (most interviews), median",
            lambda r: f"{seconds(r.erasure.median)} (p95 {seconds(r.erasure.p95)})",
        ),
        row("erasure, peak memory", lambda r: megabytes(r.erasure.peak_mb)),
        row(
            "retention dry run, nothing due",
            lambda r: f"{seconds(r.dry_run.median)}, {megabytes(r.dry_run.peak_mb)}",
        ),
        row(
            "retention run (households idle since 01/01/2026; the whole trail)",
            lambda r: f"{seconds(r.run.median)}, {megabytes(r.run.peak_mb)}",
        ),
        row("what the run did", lambda r: counted(r.run)),
    ]
    return "\n".join(lines)
