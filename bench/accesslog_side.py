"""The access log (issue 16): «Registro accessi» and «Chi ha visto questo nucleo?» measured on
each dataset.

The demo writes no audit trail, so each dataset is given one in proportion to it
(`ensure_trail`): one entry per recorded need, over the data's year, newest last, as the
community managers' work leaves it — cards opened, lists seen, interviews recorded, answers
registered, logins — by eight community managers and an administrator, with one household
opened far more often than the others (the one «Chi ha visto» lists). It is written once,
in bulk, and marked, so a dataset reused keeps it; it is there before the other items run, so
the workspace's pages (which now record their readings) meet a trail of that size too.

The read functions are each timed in one child process (`trail_calls`), the page through
AppTest like the workspace's (`page_visits`); nothing here writes but `ensure_trail`.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Engine, func, insert, select
from sqlalchemy.orm import Session

from bench.canonical import DATA_LAST_DAY
from bench.items import Measurement, Task, peak_mb, timed
from bench.workspace_side import PageVisit
from rete import accesslog, accounts, auth, db
from rete.accesslog import LogFilters
from rete.db import session_scope
from rete.models import AuditEntry, Household, Interview, Need, Referral, Setting, User

TRAIL_KEY = "bench_audit_trail"  # the setting saying how the dataset's trail was made
TRAIL_SEED = 16
ADMIN = "bench-admin"
OPERATORS = tuple(f"bench-cm-{n}" for n in range(1, 9))
PASSWORD = "benchmark-non-interattivo"
BUSY_VIEWS = 300  # extra openings of the busiest household's card
CHUNK = 20_000  # rows per INSERT
REGISTRO = "pages/registro.py"
# What the community managers' work leaves in the trail, and how often.
MIX = {
    "household_viewed": 0.35,
    "interviews_listed": 0.12,
    "followup_listed": 0.10,
    "households_searched": 0.08,
    "interview_created": 0.12,
    "interview_viewed": 0.06,
    "referral_moved": 0.08,
    "need_viewed": 0.04,
    "login": 0.05,
}
ENTITIES = {
    "household_viewed": "household",
    "interview_created": "interview",
    "interview_viewed": "interview",
    "referral_moved": "referral",
    "need_viewed": "need",
}


@dataclass(frozen=True)
class Trail:
    """What the access log's items ask for, chosen once per dataset."""

    entries: int
    admin: tuple[int, str, str, str]  # auth.CurrentUser's fields
    operator_id: int  # one community manager's entries
    household_id: int  # the busiest household: «Chi ha visto» lists it
    day: dt.date  # one day of the year (Rome)
    first_day: dt.date  # the year's first day: the oldest entries
    middle_id: int  # a page deep in the trail starts before it


def _user(session: Session, username: str, role: str) -> int:
    found = session.scalar(select(User.id).where(User.username == username))
    if found is None:
        found = auth.create_user(session, username, username, role, PASSWORD).id
    return found


def _range(session: Session, column: Any) -> tuple[int, int]:
    low, high = session.execute(select(func.min(column), func.max(column))).one()
    return int(low or 0), int(high or 0)


def _write_trail(engine: Engine, needs: int) -> None:
    """One entry per need over the data's year, in chunks, ids growing with time."""
    rng = random.Random(TRAIL_SEED)
    with session_scope(engine) as session:
        admin = _user(session, ADMIN, "admin")
        operators = [_user(session, name, "operatore") for name in OPERATORS]
        ranges = {
            "household": _range(session, Household.id),
            "interview": _range(session, Interview.id),
            "need": _range(session, Need.id),
            "referral": _range(session, Referral.id),
        }
    busy = ranges["household"][0]
    start = dt.datetime.combine(DATA_LAST_DAY, dt.time(), tzinfo=dt.UTC) - dt.timedelta(days=365)
    span = 365 * 86_400
    actions, weights = list(MIX), list(MIX.values())
    total = needs + BUSY_VIEWS
    moments = sorted(rng.randrange(span) for _ in range(total))
    busy_rows = set(rng.sample(range(total), BUSY_VIEWS))
    rows: list[dict[str, object]] = []

    def flush() -> None:
        with engine.begin() as connection:
            connection.execute(insert(AuditEntry), rows)
        rows.clear()

    for n, second in enumerate(moments):
        user = admin if rng.random() < 0.05 else rng.choice(operators)
        action = "household_viewed" if n in busy_rows else rng.choices(actions, weights)[0]
        entity = ENTITIES.get(action)
        entity_id = None
        if entity is not None:
            entity_id = busy if n in busy_rows else rng.randint(*ranges[entity])
        at = start + dt.timedelta(seconds=second)
        rows.append(
            {
                "at": at,
                "created_at": at,
                "user_id": user,
                "role": "admin" if user == admin else "operatore",
                "action": action,
                "entity": entity,
                "entity_id": entity_id,
                "summary": "nessun filtro; pagina 1" if action.endswith("_listed") else None,
            }
        )
        if len(rows) == CHUNK:
            flush()
    if rows:
        flush()


def _marker(needs: int) -> str:
    return f"{needs} bisogni, {BUSY_VIEWS} in più sul nucleo più visto, seme {TRAIL_SEED}"


def ensure_trail(url: str, needs: int) -> Trail:
    """The dataset's trail, written unless its marker says it is there; what the items ask."""
    engine = db.get_engine(url)
    with Session(engine) as session:
        marked = session.scalar(select(Setting.value).where(Setting.key == TRAIL_KEY))
    if marked != _marker(needs):
        _write_trail(engine, needs)
        with session_scope(engine) as session:
            setting = session.get(Setting, TRAIL_KEY)
            if setting is None:
                session.add(Setting(key=TRAIL_KEY, value=_marker(needs)))
            else:
                setting.value = _marker(needs)
        if engine.dialect.name == "postgresql":
            with engine.begin() as connection:
                connection.exec_driver_sql("ANALYZE audit_entry")
    with Session(engine) as session:
        admin = session.scalars(select(User).where(User.username == ADMIN)).one()
        operator = session.scalar(select(User.id).where(User.username == OPERATORS[0]))
        low, high = _range(session, AuditEntry.id)
        entries = int(session.scalar(select(func.count()).select_from(AuditEntry)) or 0)
        household = _range(session, Household.id)[0]
    db.dispose_engine(url)
    assert operator is not None
    return Trail(
        entries=entries,
        admin=(admin.id, admin.username, admin.display_name, admin.role),
        operator_id=operator,
        household_id=household,
        day=DATA_LAST_DAY - dt.timedelta(days=30),
        first_day=DATA_LAST_DAY - dt.timedelta(days=364),
        middle_id=(low + high) // 2,
    )


# --- The read functions, each timed in one child process


@dataclass(frozen=True)
class TrailCall:
    label: str
    run: Callable[[Engine, Trail], int]  # how many rows it found


def _page(
    chosen: Callable[[Trail], LogFilters], *, deep: bool = False
) -> Callable[[Engine, Trail], int]:
    """A page of the Registro with the filters `chosen` for this dataset's trail; `deep`: the
    page that starts half-way down the trail."""

    def run(engine: Engine, trail: Trail) -> int:
        before = trail.middle_id if deep else None
        return len(accesslog.page(engine, chosen(trail), before_id=before).rows)

    return run


def _who_saw(engine: Engine, trail: Trail) -> int:
    found = accesslog.who_saw(engine, auth.CurrentUser(*trail.admin), trail.household_id)
    return len(found.rows)


def _options(engine: Engine, trail: Trail) -> int:
    choices = accesslog.options(engine)
    return len(choices.actions)


def _day_csv(engine: Engine, trail: Trail) -> int:
    filters = LogFilters(start=trail.day, end=trail.day)
    return accesslog.to_csv(engine, filters).count(b"\n") - 1


def _users(engine: Engine, trail: Trail) -> int:
    """«Utenti»'s list: every account with its state and open sessions."""
    return len(accounts.users(engine))


def _login(engine: Engine, trail: Trail) -> int:
    """A login as the browser makes it: the password checked (argon2id at its real cost), the
    one-time ticket issued and swapped for a session, which is then ended (each a write with
    its audit entry)."""
    user = auth.authenticate(engine, ADMIN, PASSWORD)
    redeemed = auth.redeem_ticket(engine, auth.issue_ticket(engine, user))
    assert redeemed is not None
    auth.end_session(engine, redeemed.token)
    return 1


CALLS = {
    "first_page": TrailCall(
        "`accesslog.page`, no filter (the first page)", _page(lambda t: LogFilters())
    ),
    "deep_page": TrailCall(
        "`accesslog.page`, a page half-way down the trail",
        _page(lambda t: LogFilters(), deep=True),
    ),
    "user_page": TrailCall(
        "`accesslog.page`, one user", _page(lambda t: LogFilters(user_id=t.operator_id))
    ),
    "action_page": TrailCall(
        "`accesslog.page`, one action", _page(lambda t: LogFilters(action="interview_created"))
    ),
    "record_page": TrailCall(
        "`accesslog.page`, one household",
        _page(lambda t: LogFilters(entity="household", entity_id=t.household_id)),
    ),
    "day_page": TrailCall(
        "`accesslog.page`, one day", _page(lambda t: LogFilters(start=t.day, end=t.day))
    ),
    "oldest_day_page": TrailCall(
        "`accesslog.page`, the year's first day",
        _page(lambda t: LogFilters(start=t.first_day, end=t.first_day)),
    ),
    "user_day_page": TrailCall(
        "`accesslog.page`, one user on one day",
        _page(lambda t: LogFilters(user_id=t.operator_id, start=t.day, end=t.day)),
    ),
    "who_saw": TrailCall("`accesslog.who_saw` (the busiest household)", _who_saw),
    "options": TrailCall("`accesslog.options` (users, actions present)", _options),
    "day_csv": TrailCall("`accesslog.to_csv`, one day", _day_csv),
    "users": TrailCall("`accounts.users` («Utenti»'s list)", _users),
    "login": TrailCall("a login: password, ticket, session (and its logout)", _login),
}


@dataclass(frozen=True)
class TrailTask:
    url: str
    trail: Trail
    repetitions: int


def trail_calls(task: TrailTask) -> dict[str, Measurement]:
    """In a child process: each call once unmeasured (connection, statement cache), then
    `repetitions` times; each must find the same rows every time."""
    engine = db.get_engine(task.url)
    found = {}
    for name, call in CALLS.items():
        rows = call.run(engine, task.trail)
        seconds = []
        for _ in range(task.repetitions):
            elapsed, again = timed(lambda call=call: call.run(engine, task.trail))
            if again != rows:
                raise RuntimeError(f"{name} found {again} rows, then {rows}")
            seconds.append(elapsed)
        found[name] = Measurement(tuple(seconds), peak_mb(), counts={"rows": rows})
    return found


# --- The page


FIRST_PAGE = "Registro accessi, first page"
USERS_PAGE = "Utenti"
PROFILE_PAGE = "Il mio profilo"
HOUSEHOLD_PAGE = "Registro accessi, one household"


def page_visits(trail: Trail) -> dict[str, PageVisit]:
    """The Registro as the administrator opens it, and from a card's «Tutte le voci» link;
    each run must draw its table (the pager's caption says «Pagina 1»). The administrator's
    «Utenti» (its table's caption) and «Il mio profilo» (the password rules' caption)."""
    return {
        USERS_PAGE: PageVisit("pages/utenti.py", "Utenti", shows="Selezionare un utente"),
        PROFILE_PAGE: PageVisit("pages/profilo.py", "Il mio profilo", shows="Da 12 a 128"),
        FIRST_PAGE: PageVisit(REGISTRO, "Registro accessi", shows="Pagina 1"),
        HOUSEHOLD_PAGE: PageVisit(
            REGISTRO,
            "Registro accessi",
            params=(("oggetto", "household"), ("numero", str(trail.household_id))),
            shows="Pagina 1",
        ),
    }


def page_task(task: Task, trail: Trail) -> Task:
    """A page task as the administrator, the only one who may open the Registro."""
    return replace(task, user=trail.admin)
