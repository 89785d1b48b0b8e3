"""Saves interviews in a loop, as «Nuovo colloquio» does, until it is killed
(tests/test_durability.py). Prints `ready`, then one line per save the database acknowledged,
only once its commit returned: `interview_id household_code category_id,category_id`.

Usage: python tests/durability_writer.py DATABASE_URL RUN
"""

from __future__ import annotations

import datetime as dt
import sys

from actors import editor
from sqlalchemy import select

from rete import records
from rete.db import get_engine, session_scope
from rete.models import Category, Neighbourhood

HELD_ON = dt.date(2026, 11, 20)


def main(url: str, run: int) -> None:
    engine = get_engine(url)
    with session_scope(engine) as session:
        who = editor(session)
        places = list(session.scalars(select(Neighbourhood.id).order_by(Neighbourhood.id)))
        needs = list(
            session.scalars(
                select(Category.id)
                .where(Category.parent_id.is_not(None), Category.active)
                .order_by(Category.id)
            )
        )
    print("ready", flush=True)
    count = 0
    while True:
        count += 1
        code = f"KILL-{run:02d}-{count:05d}"
        chosen = [needs[count % len(needs)], needs[(count * 7 + 3) % len(needs)]]
        if chosen[0] == chosen[1]:
            chosen.pop()
        # The same transaction as the form's save (rete.ui.interview_form.save_new_interview):
        # a new household with its contact, then the interview with its needs.
        with session_scope(engine) as session:
            household = records.create_household(
                session,
                who,
                records.HouseholdInput(code=code, neighbourhood_id=places[count % len(places)]),
                records.ContactInput("Persona di prova", "0332 123456", ""),
            )
            interview = records.record_interview(
                session,
                who,
                household_id=household.id,
                held_on=HELD_ON,
                channel_code="telefono",
                needs=[records.NeedInput(category_id=c, severity="high") for c in chosen],
                notes="Colloquio di prova della durabilità.",
                today=HELD_ON,
            )
            interview_id = interview.id
        # Past this point the save is acknowledged: the commit returned.
        print(interview_id, code, ",".join(map(str, chosen)), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
